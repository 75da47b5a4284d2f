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

    /// [`column`](Self::column) for each of `cols` (at distinct x, in the
    /// image, see [`Columns`]), the same blend of each pixel, row by row
    /// over groups of neighbouring columns: in a row, the pixels of adjacent
    /// columns that reach it are one run of bytes, blended together
    /// ([`blend_run`], the arithmetic of [`blend`]).
    fn blend_columns(&mut self, cols: &[(u32, u32, u32)], c: BackendColor) {
        if cols.is_empty() {
            return;
        }
        // At most 256: `|new − prev|·a` fits 16 bits.
        let a = (256.0 * c.alpha.clamp(0.0, 1.0)).floor() as u16;
        let stride = self.size.0 as usize * 3;
        let (r, g, b) = c.rgb;
        let colour: [u8; 3 * GROUP] = std::array::from_fn(|i| [r, g, b][i % 3]);
        let mut rest = cols;
        while !rest.is_empty() {
            // A group: up to GROUP columns, while the rows it spans are not
            // much more than the pixels it blends (a steep, thin band makes
            // groups narrow).
            let (mut lo, mut hi, mut area, mut n) = (u32::MAX, 0, 0usize, 0);
            for &(_, y0, y1) in rest.iter().take(GROUP) {
                let (l, h) = (lo.min(y0), hi.max(y1));
                let area2 = area + (y1 - y0) as usize;
                if n > 0 && (h - l) as usize * (n + 1) > 2 * area2 + 64 {
                    break;
                }
                (lo, hi, area, n) = (l, h, area2, n + 1);
            }
            let (group, next) = rest.split_at(n);
            for y in lo..hi {
                let row = &mut self.buf[y as usize * stride..(y as usize + 1) * stride];
                let mut i = 0;
                while i < group.len() {
                    let (x, y0, y1) = group[i];
                    i += 1;
                    if y < y0 || y >= y1 {
                        continue;
                    }
                    // The run of columns from x that reach this row.
                    let mut end = x + 1;
                    while let Some(&(x, y0, y1)) = group.get(i) {
                        if x != end || y < y0 || y >= y1 {
                            break;
                        }
                        end += 1;
                        i += 1;
                    }
                    let px = &mut row[x as usize * 3..end as usize * 3];
                    blend_run(px, &colour[..px.len()], a);
                }
            }
            rest = next;
        }
    }
}

/// Columns blended together at most (see [`Pixels::blend_columns`]).
const GROUP: usize = 64;

/// [`blend`] of each byte of `px` towards the byte of `new` beside it, with
/// weight `a`/256 (`a` ≤ 256): the same values, in 16-bit lanes.
fn blend_run(px: &mut [u8], new: &[u8], a: u16) {
    for (p, &n) in px.iter_mut().zip(new) {
        let (p16, n16) = (u16::from(*p), u16::from(n));
        *p = if n16 > p16 {
            p16 + (((n16 - p16) * a) >> 8)
        } else {
            p16 - (((p16 - n16) * a) >> 8)
        } as u8;
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
        let a = u64::from((c.alpha * 256.0) as u32);
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

/// Glyphs kept per thread at most (a few figures' worth, about 1 KB each at
/// the figures' text sizes); the cache is emptied when full.
const GLYPHS_KEPT: usize = 4096;

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

/// An edge of a polygon as plotters' rasteriser sweeps it: `epoch` steps
/// along the sweep axis of `total_epoch`, the other coordinate going from
/// `slave_begin` to `slave_end`.
#[derive(Clone, Copy)]
struct Edge {
    epoch: u32,
    total_epoch: u32,
    slave_begin: i32,
    slave_end: i32,
}

impl Edge {
    /// The edge `from`–`to` given as (sweep, other) coordinates; none if it
    /// lies across the sweep (both ends on one sweep line).
    fn new(mut from: BackendCoord, mut to: BackendCoord) -> Option<Edge> {
        if from.0 == to.0 {
            return None;
        }
        if from.0 > to.0 {
            std::mem::swap(&mut from, &mut to);
        }
        Some(Edge {
            epoch: 0,
            total_epoch: (to.0 - from.0) as u32,
            slave_begin: from.1,
            slave_end: to.1,
        })
    }

    fn master_pos(&self) -> i32 {
        (self.total_epoch - self.epoch) as i32
    }

    fn slave_pos(&self) -> f64 {
        f64::from(self.slave_begin)
            + (i64::from(self.slave_end - self.slave_begin) * i64::from(self.epoch)) as f64
                / f64::from(self.total_epoch)
    }
}

/// plotters-backend 0.3.7's `rasterizer::fill_polygon`, step for step: the
/// same sweep, the same edges in the same (stable) order, the same
/// `draw_line` and `draw_pixel` calls in the same order with the same
/// arguments (the PNG test below compares it with plotters' own backend),
/// without its allocations per sweep line and clones per edge. Adapted from
/// plotters-backend (MIT licence, copyright the plotters developers,
/// <https://github.com/plotters-rs/plotters>).
fn fill_polygon<S: BackendStyle>(
    back: &mut Pixels<'_>,
    vertices: &[BackendCoord],
    style: &S,
) -> Result<(), Error> {
    let Some((&first, rest)) = vertices.split_first() else {
        return Ok(());
    };
    let (mut x_span, mut y_span) = ((first.0, first.0), (first.1, first.1));
    for &(x, y) in rest {
        x_span = (x_span.0.min(x), x_span.1.max(x));
        y_span = (y_span.0.min(y), y_span.1.max(y));
    }
    // All points on one vertical or horizontal line.
    if x_span.0 == x_span.1 || y_span.0 == y_span.1 {
        return back.draw_line((x_span.0, y_span.0), (x_span.1, y_span.1), style);
    }
    let horizontal_sweep = x_span.1 - x_span.0 > y_span.1 - y_span.0;
    // (sweep, other) coordinates of a point.
    let along = |(x, y): BackendCoord| if horizontal_sweep { (x, y) } else { (y, x) };
    let mut edges: Vec<(BackendCoord, BackendCoord)> = vertices
        .windows(2)
        .map(|w| (along(w[0]), along(w[1])))
        .collect();
    edges.push((along(vertices[vertices.len() - 1]), along(vertices[0])));
    edges.sort_by_key(|(a, b)| a.0.min(b.0));
    for edge in &mut edges {
        if edge.0.0 > edge.1.0 {
            std::mem::swap(&mut edge.0, &mut edge.1);
        }
    }
    let (low, high) = if horizontal_sweep { x_span } else { y_span };
    let colour = style.color();
    // A translucent polygon swept along x: its columns are blended later,
    // row by row (see `Columns`).
    let mut columns =
        (horizontal_sweep && colour.alpha > 0.0 && colour.alpha < 1.0).then(Columns::default);
    let mut spans: Vec<(f64, f64)> = Vec::new();
    let mut idx = 0;
    let mut active: Vec<Edge> = Vec::new();
    for sweep_line in low..=high {
        active.retain_mut(|e| {
            let keep = e.master_pos() > 0;
            if keep {
                e.epoch += 1;
            }
            keep
        });
        while let Some(&(a, b)) = edges.get(idx) {
            if a.0 > sweep_line {
                break;
            }
            active.extend(Edge::new(a, b));
            idx += 1;
        }
        active.sort_by(|a, b| a.slave_pos().partial_cmp(&b.slave_pos()).unwrap());
        let mut first: Option<Edge> = None;
        let mut second: Option<Edge> = None;
        for &edge in &active {
            if first.is_none() {
                first = Some(edge);
            } else if second.is_none() {
                second = Some(edge);
            }
            let (Some(a), Some(b)) = (first, second) else {
                continue;
            };
            if a.master_pos() == 0 && b.master_pos() != 0 {
                first = Some(b);
                second = None;
                continue;
            }
            if a.master_pos() != 0 && b.master_pos() == 0 {
                first = Some(a);
                second = None;
                continue;
            }
            let from = a.slave_pos();
            let to = b.slave_pos();
            if a.master_pos() == 0 && b.master_pos() == 0 && to - from > 1.0 {
                first = None;
                second = None;
                continue;
            }
            if horizontal_sweep {
                // Drawn once the sweep line's spans are known.
                spans.push((from, to));
            } else {
                back.draw_line(
                    (from.ceil() as i32, sweep_line),
                    (to.floor() as i32, sweep_line),
                    &colour,
                )?;
                back.draw_pixel(
                    (from.floor() as i32, sweep_line),
                    colour.mix(from.ceil() - from),
                )?;
                back.draw_pixel((to.ceil() as i32, sweep_line), colour.mix(to.floor() - to))?;
            }
            first = None;
            second = None;
        }
        if let ([(from, to)], Some(columns)) = (&spans[..], &mut columns) {
            // One span: its column and its two edge pixels are disjoint (an
            // edge pixel has coverage above 0 only off a whole pixel, so
            // outside the column's `⌈from⌉..=⌊to⌋`), and no other sweep line
            // reaches this x, so the column may be blended after them.
            columns.push(
                back.size,
                sweep_line,
                from.ceil() as i32,
                to.floor() as i32 + 1,
            );
            back.draw_pixel(
                (sweep_line, from.floor() as i32),
                colour.mix(from.ceil() - from),
            )?;
            back.draw_pixel((sweep_line, to.ceil() as i32), colour.mix(to - to.floor()))?;
        } else {
            for &(from, to) in &spans {
                back.draw_line(
                    (sweep_line, from.ceil() as i32),
                    (sweep_line, to.floor() as i32),
                    &colour,
                )?;
                back.draw_pixel(
                    (sweep_line, from.floor() as i32),
                    colour.mix(from.ceil() - from),
                )?;
                back.draw_pixel((sweep_line, to.ceil() as i32), colour.mix(to - to.floor()))?;
            }
        }
        spans.clear();
    }
    if let Some(columns) = columns {
        back.blend_columns(&columns.cols, colour);
    }
    Ok(())
}

/// The translucent columns of one polygon (one colour), each at its own x:
/// `(x, y0, y1)`, rows `y0..y1`, clipped to the image, x ascending. Blended
/// one after another down each column, every pixel is a new cache line and
/// often a new page; blended a row at a time over a few neighbouring columns,
/// each pixel gets the same one blend, so the same bytes, in a fraction of
/// the memory traffic.
#[derive(Default)]
struct Columns {
    cols: Vec<(u32, u32, u32)>,
}

impl Columns {
    /// What [`Pixels::column`] would blend for `x, from, to_excl`.
    fn push(&mut self, (w, h): (u32, u32), x: i32, from: i32, to_excl: i32) {
        let (x0, x1) = (x.max(0), (x + 1).min(w as i32));
        let (y0, y1) = (from.min(to_excl).max(0), from.max(to_excl).min(h as i32));
        if x0 < x1 && y0 < y1 {
            self.cols.push((x0 as u32, y0 as u32, y1 as u32));
        }
    }
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
        // plotters' default `draw_path` (the bitmap backend's): thin paths as
        // lines, thick ones as a polygon, here through this backend's faster
        // `fill_polygon` (the same calls, so the same pixels).
        if s.color().alpha == 0.0 {
            return Ok(());
        }
        if s.stroke_width() == 1 {
            let mut begin: Option<BackendCoord> = None;
            for end in path {
                if let Some(begin) = begin {
                    self.draw_line(begin, end, s)?;
                }
                begin = Some(end);
            }
            return Ok(());
        }
        let p: Vec<BackendCoord> = path.into_iter().collect();
        let v = plotters_backend::rasterizer::polygonize(&p, s.stroke_width());
        fill_polygon(self, &v, &s.color())
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
        fill_polygon(self, &vert, s)
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
    /// and tall, some off the edge), lines, paths 1–4 pixels thick and pixels through
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
            let path: Vec<BackendCoord> = (0..2 + next(6))
                .map(|_| (next(200) - 10, next(100) - 5))
                .collect();
            let thick = style.stroke_width(1 + next(4) as u32);
            // The same calls on either backend.
            fn draw<B: DrawingBackend>(
                p: &mut B,
                pts: &[BackendCoord],
                line: (BackendCoord, BackendCoord),
                pixel: BackendCoord,
                path: &[BackendCoord],
                style: &ShapeStyle,
                thick: &ShapeStyle,
            ) {
                p.fill_polygon(pts.iter().copied(), style).unwrap();
                p.draw_line(line.0, line.1, style).unwrap();
                p.draw_line((line.0.0, line.0.1), (line.0.0, line.1.1), style)
                    .unwrap();
                p.draw_pixel(pixel, style.color.to_backend_color()).unwrap();
                p.draw_path(path.iter().copied(), thick).unwrap();
            }
            // Each backend is dropped (so flushed) at the end of its statement.
            let (p, t) = (&pts[..], &path[..]);
            draw(
                &mut Pixels::new(&mut ours, size),
                p,
                line,
                pixel,
                t,
                &style,
                &thick,
            );
            {
                let mut theirs_backend = BitMapBackend::with_buffer(&mut theirs, size);
                draw(&mut theirs_backend, p, line, pixel, t, &style, &thick);
            }
            assert!(ours == theirs, "pixels differ after shape {round}");
            covered += ours.iter().filter(|&&v| v != 255).count();
        }
        // The shapes did draw something.
        assert!(covered > 100_000, "{covered}");
    }

    /// The 16-bit blend of runs is plotters' blend, for every previous
    /// value, new value and weight.
    #[test]
    fn run_blend_is_the_blend() {
        let prev: Vec<u8> = (0..=255).collect();
        for a in 0..=256u16 {
            for new in 0..=255u8 {
                let mut px = prev.clone();
                blend_run(&mut px, &[new; 256], a);
                for (&p, &got) in prev.iter().zip(&px) {
                    assert_eq!(got, blend(p, new, u64::from(a)), "{p} {new} {a}");
                }
            }
        }
    }

    /// Translucent polygons wider than tall, blended a row at a time
    /// (`Pixels::blend_columns`): smooth bands, steep thin bands (narrow
    /// groups), jagged outlines, edges on whole and fractional pixels, partly
    /// off the image, over each other: the same pixels as plotters'. (Sweep
    /// lines crossing several spans, drawn column by column in order, are
    /// the thick paths of `same_pixels_as_plotters`, which fails if those are
    /// blended by rows.)
    #[test]
    fn row_blended_columns_are_plotters_pixels() {
        let size = (300u32, 160u32);
        let mut k = 29u64;
        let mut next = |n: i32| {
            k = splitmix64(k);
            (k % n as u64) as i32
        };
        let mut ours = vec![255u8; 300 * 160 * 3];
        let mut theirs = ours.clone();
        for round in 0..300 {
            let colour = RGBColor(next(256) as u8, next(256) as u8, next(256) as u8);
            let alpha = [0.12, 0.3, 0.5, 0.9, 0.001][next(5) as usize];
            let style = colour.mix(alpha).filled();
            let n = 2 + next(120) as usize;
            let x0 = next(80) - 20;
            let step = 1 + next(4);
            let jump = [3, 40, 200][round % 3];
            let mut y = next(160);
            let mut pts: Vec<BackendCoord> = (0..n)
                .map(|i| {
                    y = (y + next(2 * jump + 1) - jump).clamp(-30, 190);
                    (x0 + i as i32 * step, y)
                })
                .collect();
            let back: Vec<BackendCoord> = pts
                .iter()
                .rev()
                .map(|&(x, y)| (x + next(3) - 1, y + next(60) - [0, 30][round % 2]))
                .collect();
            pts.extend(back);
            Pixels::new(&mut ours, size)
                .fill_polygon(pts.iter().copied(), &style)
                .unwrap();
            BitMapBackend::with_buffer(&mut theirs, size)
                .fill_polygon(pts.iter().copied(), &style)
                .unwrap();
            assert!(ours == theirs, "pixels differ after polygon {round}");
        }
        assert!(ours.iter().filter(|&&v| v != 255).count() > 50_000);
    }
}
