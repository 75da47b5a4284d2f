//! The PNG backend: plotters' bitmap backend with our own text rasteriser and
//! a faster path for the shaded bands.
//!
//! plotters 0.3.7 draws ab_glyph text without each glyph's left side bearing,
//! which leaves visible gaps ("Apr 2 013"); here glyphs are placed at their
//! fractional caret positions with kerning, from the same embedded font.
//!
//! Speed, not looks: plotters fills a band (a translucent polygon wider than
//! tall) as one 1-pixel-wide translucent column per x, each drawn through its
//! general rectangle blender, which costs ~40 instructions a pixel and was half
//! of all figure drawing. [`Pixels`] runs the same polygon rasteriser but blends
//! those columns (and single pixels) itself, with the same integer arithmetic
//! (`prev ± (|new − prev|·⌊256α⌋) / 256` per channel) from a table built once per
//! colour, so every PNG is byte for byte what plotters drew (a unit test
//! compares both on random shapes). Everything else is delegated to plotters'
//! `BitMapBackend` over the same buffer.

use super::style;
use ab_glyph::{Font, FontRef, ScaleFont, point};
use plotters::prelude::*;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
    text_anchor::{HPos, VPos},
};

type Error = DrawingErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

pub struct Pixels<'a> {
    /// RGB rows, 3 bytes a pixel.
    buf: &'a mut [u8],
    size: (u32, u32),
    font: FontRef<'static>,
    /// The blend table of the last translucent colour: `(r, g, b, ⌊256α⌋)`
    /// and, per channel, the blended value for every previous value.
    lut: Option<Lut>,
}

/// A colour `(r, g, b, ⌊256α⌋)` and its per-channel blend tables.
type Lut = ((u8, u8, u8, u64), [[u8; 256]; 3]);

impl<'a> Pixels<'a> {
    pub fn new(buf: &'a mut [u8], size: (u32, u32)) -> Pixels<'a> {
        assert!(
            buf.len() >= size.0 as usize * size.1 as usize * 3,
            "the pixel buffer holds the image"
        );
        Pixels {
            buf,
            size,
            font: FontRef::try_from_slice(style::FONT_BYTES).expect("the embedded font is valid"),
            lut: None,
        }
    }

    /// plotters' backend over the same pixels, for what is not done here.
    fn bitmap(&mut self) -> BitMapBackend<'_> {
        BitMapBackend::with_buffer(self.buf, self.size)
    }

    /// plotters' `blend_rect_fast` for a rectangle one pixel wide (its
    /// corners as `draw_line` passes them: `(x, y0)` and `(x + 1, y1 + 1)`),
    /// translucent: every pixel through the per-pixel blend.
    fn column(&mut self, x: i32, from: i32, to_excl: i32, c: BackendColor) {
        let (w, h) = self.size;
        let a = c.alpha.clamp(0.0, 1.0);
        if a == 0.0 {
            return;
        }
        let (x0, x1) = (x.max(0), (x + 1).min(w as i32));
        let (y0, y1) = (from.min(to_excl).max(0), from.max(to_excl).min(h as i32));
        if x0 >= x1 || y0 >= y1 {
            return;
        }
        let a = (256.0 * a).floor() as u64;
        let stride = w as usize * 3;
        let t = table(&mut self.lut, c.rgb, a);
        let start = y0 as usize * stride + x0 as usize * 3;
        let end = (y1 as usize - 1) * stride + x0 as usize * 3 + 3;
        // Pixel after pixel down the column; the loop condition bounds
        // every index, so none is checked again.
        let px = &mut self.buf[start..end];
        let mut i = 0;
        while i + 2 < px.len() {
            px[i] = t[0][px[i] as usize];
            px[i + 1] = t[1][px[i + 1] as usize];
            px[i + 2] = t[2][px[i + 2] as usize];
            i += stride;
        }
    }
}

/// plotters' `draw_pixel` for RGB: bounds checked, opaque from
/// α ≥ 255/256, nothing at α ≤ 0, else blended with ⌊256α⌋.
fn pixel(buf: &mut [u8], (w, h): (u32, u32), (x, y): BackendCoord, c: BackendColor) {
    if x < 0 || y < 0 || x as u32 >= w || y as u32 >= h {
        return;
    }
    let base = (y as usize * w as usize + x as usize) * 3;
    let (r, g, b) = c.rgb;
    if c.alpha >= 1.0 - 1.0 / 256.0 {
        buf[base..base + 3].copy_from_slice(&[r, g, b]);
    } else if c.alpha > 0.0 {
        // In (0, 255): truncation is the floor plotters takes.
        let a = (c.alpha * 256.0) as u64;
        let px = &mut buf[base..base + 3];
        for (p, new) in px.iter_mut().zip([r, g, b]) {
            *p = blend(*p, new, a);
        }
    }
}

/// Per channel, every `prev` blended towards the colour with weight `a`/256,
/// kept in `lut` while the colour stays the same.
fn table(lut: &mut Option<Lut>, (r, g, b): (u8, u8, u8), a: u64) -> &[[u8; 256]; 3] {
    let key = (r, g, b, a);
    if lut.as_ref().is_none_or(|(k, _)| *k != key) {
        let mut t = [[0u8; 256]; 3];
        for (c, new) in [r, g, b].into_iter().enumerate() {
            for (prev, out) in t[c].iter_mut().enumerate() {
                *out = blend(prev as u8, new, a);
            }
        }
        *lut = Some((key, t));
    }
    &lut.as_ref().expect("just set").1
}

/// plotters-bitmap's per-channel blend: `prev` moved towards `new` by
/// `|new − prev|·a/256`, rounded towards `prev`.
fn blend(prev: u8, new: u8, a: u64) -> u8 {
    if new > prev {
        prev + (u64::from(new - prev) * a / 256) as u8
    } else {
        prev - (u64::from(prev - new) * a / 256) as u8
    }
}

/// A glyph's coverage: the top-left pixel of its bounds, and every pixel
/// inside them with coverage above 0, in ab_glyph's drawing order.
struct Raster {
    min: (i32, i32),
    pixels: Vec<(u32, u32, f32)>,
}

/// Glyphs rasterised at their exact scale and position (f32 bits), kept per
/// thread: the same tick labels, notes and legends come back at the same
/// places in figure after figure, and a glyph's coverage depends on nothing
/// else (one embedded font), so a cached glyph draws the same pixels.
type GlyphKey = (u16, [u32; 4]);

thread_local! {
    static GLYPHS: std::cell::RefCell<std::collections::HashMap<GlyphKey, Option<std::rc::Rc<Raster>>>> =
        Default::default();
}

/// Glyphs kept per thread at most (a few figures' worth); the cache is
/// emptied when full.
const GLYPHS_KEPT: usize = 8192;

/// The coverage of glyph `g` of `font` (the embedded font), `None` for a
/// glyph without outline (a space).
fn rasterise(font: &FontRef<'static>, g: ab_glyph::Glyph) -> Option<std::rc::Rc<Raster>> {
    let key = (
        g.id.0,
        [
            g.scale.x.to_bits(),
            g.scale.y.to_bits(),
            g.position.x.to_bits(),
            g.position.y.to_bits(),
        ],
    );
    if let Some(hit) = GLYPHS.with(|c| c.borrow().get(&key).cloned()) {
        return hit;
    }
    let raster = font.outline_glyph(g).map(|outline| {
        let b = outline.px_bounds();
        let mut pixels = Vec::new();
        outline.draw(|gx, gy, cov| {
            // As drawn before the cache: every pixel but those of no
            // coverage (a NaN would be drawn).
            if cov > 0.0 || cov.is_nan() {
                pixels.push((gx, gy, cov));
            }
        });
        std::rc::Rc::new(Raster {
            min: (b.min.x as i32, b.min.y as i32),
            pixels,
        })
    });
    GLYPHS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= GLYPHS_KEPT {
            c.clear();
        }
        c.insert(key, raster.clone());
    });
    raster
}

impl DrawingBackend for Pixels<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }
    fn ensure_prepared(&mut self) -> Result<(), Error> {
        Ok(())
    }
    fn present(&mut self) -> Result<(), Error> {
        Ok(())
    }
    fn draw_pixel(&mut self, p: BackendCoord, c: BackendColor) -> Result<(), Error> {
        pixel(self.buf, self.size, p, c);
        Ok(())
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        a: BackendCoord,
        b: BackendCoord,
        s: &S,
    ) -> Result<(), Error> {
        // A translucent vertical line one pixel wide (what the polygon
        // rasteriser draws a band with); plotters would blend it as the
        // rectangle (a.0, a.1)–(b.0 + 1, b.1 + 1).
        let c = s.color();
        if a.0 == b.0 && s.stroke_width() == 1 && c.alpha < 1.0 {
            self.column(a.0, a.1, b.1 + 1, c);
            return Ok(());
        }
        self.bitmap().draw_line(a, b, s)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        a: BackendCoord,
        b: BackendCoord,
        s: &S,
        fill: bool,
    ) -> Result<(), Error> {
        self.bitmap().draw_rect(a, b, s, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        s: &S,
    ) -> Result<(), Error> {
        self.bitmap().draw_path(path, s)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        c: BackendCoord,
        r: u32,
        s: &S,
        fill: bool,
    ) -> Result<(), Error> {
        self.bitmap().draw_circle(c, r, s, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        s: &S,
    ) -> Result<(), Error> {
        // plotters' rasteriser, calling back into this backend's
        // `draw_line` and `draw_pixel` (as its bitmap backend would into its own).
        let vert: Vec<BackendCoord> = vert.into_iter().collect();
        plotters_backend::rasterizer::fill_polygon(self, &vert, s)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (w, h): (u32, u32),
        src: &[u8],
    ) -> Result<(), Error> {
        self.bitmap().blit_bitmap(pos, (w, h), src)
    }

    /// Text in the layout box plotters expects (width = advances, height =
    /// size / 1.24), capitals filling it, anchored and rotated as asked.
    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        st: &T,
        pos: BackendCoord,
    ) -> Result<(), Error> {
        let colour = st.color();
        if colour.alpha == 0.0 {
            return Ok(());
        }
        let font = self.font.as_scaled(st.size() as f32);
        let mut caret = 0f32;
        let mut prev = None;
        let mut glyphs = Vec::new();
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = prev {
                caret += font.kern(p, id);
            }
            glyphs.push((id, caret));
            caret += font.h_advance(id);
            prev = Some(id);
        }
        let width = caret;
        let height = st.size() as f32 / 1.24;
        let baseline = 0.78 * st.size() as f32;
        let dx = match st.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        let dy = match st.anchor().v_pos {
            VPos::Top => 0.0,
            VPos::Center => -height / 2.0,
            VPos::Bottom => -height,
        };
        let trans = st.transform();
        let (w, h) = self.get_size();
        for (id, x) in glyphs {
            let g = id.with_scale_and_position(font.scale(), point(x + dx, baseline + dy));
            let Some(raster) = rasterise(&self.font, g) else {
                continue;
            };
            for &(gx, gy, cov) in &raster.pixels {
                let (tx, ty) = trans.transform(raster.min.0 + gx as i32, raster.min.1 + gy as i32);
                let (px, py) = (pos.0 + tx, pos.1 + ty);
                if px >= 0 && py >= 0 && (px as u32) < w && (py as u32) < h {
                    pixel(
                        self.buf,
                        self.size,
                        (px, py),
                        BackendColor {
                            alpha: colour.alpha * cov.min(1.0) as f64,
                            rgb: colour.rgb,
                        },
                    );
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rng::splitmix64;

    /// Draws the same random translucent and opaque polygons (bands, wide
    /// and tall, some off the edge), lines, rectangles and pixels through
    /// [`Pixels`] and through plotters' own bitmap backend: the pixels must
    /// be identical, byte for byte.
    #[test]
    fn same_pixels_as_plotters() {
        let size = (173u32, 91u32);
        let mut k = 17u64;
        let mut next = |n: i32| {
            k = splitmix64(k);
            (k % n as u64) as i32
        };
        let mut ours = vec![255u8; 173 * 91 * 3];
        let mut theirs = ours.clone();
        let mut covered = 0;
        for round in 0..400 {
            let colour = RGBColor(next(256) as u8, next(256) as u8, next(256) as u8);
            let alpha = [0.12, 0.22, 0.18, 0.5, 1.0, 0.0, 0.999][next(7) as usize];
            let style = colour.mix(alpha).filled();
            let n = 3 + next(30) as usize;
            // A band: an upper edge left to right, a lower one back.
            let x0 = next(60) - 10;
            let step = 1 + next(9);
            let mut pts: Vec<BackendCoord> = (0..n)
                .map(|i| (x0 + i as i32 * step, next(100) - 5))
                .collect();
            let back: Vec<BackendCoord> = pts
                .iter()
                .rev()
                .map(|&(x, y)| (x, (y + next(40)).min(120)))
                .collect();
            pts.extend(back);
            if round % 5 == 0 {
                // Taller than wide: swept along y.
                pts = pts.iter().map(|&(x, y)| (y, x)).collect();
            }
            let line = (
                (next(200) - 10, next(100) - 5),
                (next(200) - 10, next(100) - 5),
            );
            let pixel = (next(180) - 3, next(95) - 2);
            for (buf, fast) in [(&mut ours, true), (&mut theirs, false)] {
                if fast {
                    let mut p = Pixels::new(buf, size);
                    p.fill_polygon(pts.iter().copied(), &style).unwrap();
                    p.draw_line(line.0, line.1, &style).unwrap();
                    p.draw_line((line.0.0, line.0.1), (line.0.0, line.1.1), &style)
                        .unwrap();
                    p.draw_pixel(pixel, style.color.to_backend_color()).unwrap();
                } else {
                    let mut p = BitMapBackend::with_buffer(buf, size);
                    p.fill_polygon(pts.iter().copied(), &style).unwrap();
                    p.draw_line(line.0, line.1, &style).unwrap();
                    p.draw_line((line.0.0, line.0.1), (line.0.0, line.1.1), &style)
                        .unwrap();
                    p.draw_pixel(pixel, style.color.to_backend_color()).unwrap();
                }
            }
            assert!(ours == theirs, "pixels differ after shape {round}");
            covered += ours.iter().filter(|&&v| v != 255).count();
        }
        // The shapes did draw something.
        assert!(covered > 100_000, "{covered}");
    }
}
