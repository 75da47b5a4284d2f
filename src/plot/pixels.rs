//! The PNG backend: plotters' bitmap backend with our own text rasteriser.
//! plotters 0.3.7 draws ab_glyph text without each glyph's left side bearing,
//! which leaves visible gaps ("Apr 2 013"); here glyphs are placed at their
//! fractional caret positions with kerning, from the same embedded font.

use super::style;
use ab_glyph::{Font, FontRef, ScaleFont, point};
use plotters::prelude::*;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
    text_anchor::{HPos, VPos},
};

type Error = DrawingErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

pub struct Pixels<'a> {
    inner: BitMapBackend<'a>,
    font: FontRef<'static>,
}

impl<'a> Pixels<'a> {
    pub fn new(buf: &'a mut [u8], size: (u32, u32)) -> Pixels<'a> {
        Pixels {
            inner: BitMapBackend::with_buffer(buf, size),
            font: FontRef::try_from_slice(style::FONT_BYTES).expect("the embedded font is valid"),
        }
    }
}

impl DrawingBackend for Pixels<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), Error> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), Error> {
        self.inner.present()
    }
    fn draw_pixel(&mut self, p: BackendCoord, c: BackendColor) -> Result<(), Error> {
        self.inner.draw_pixel(p, c)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        a: BackendCoord,
        b: BackendCoord,
        s: &S,
    ) -> Result<(), Error> {
        self.inner.draw_line(a, b, s)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        a: BackendCoord,
        b: BackendCoord,
        s: &S,
        fill: bool,
    ) -> Result<(), Error> {
        self.inner.draw_rect(a, b, s, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        s: &S,
    ) -> Result<(), Error> {
        self.inner.draw_path(path, s)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        c: BackendCoord,
        r: u32,
        s: &S,
        fill: bool,
    ) -> Result<(), Error> {
        self.inner.draw_circle(c, r, s, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        s: &S,
    ) -> Result<(), Error> {
        self.inner.fill_polygon(vert, s)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (w, h): (u32, u32),
        src: &[u8],
    ) -> Result<(), Error> {
        self.inner.blit_bitmap(pos, (w, h), src)
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
            let Some(outline) = self.font.outline_glyph(g) else {
                continue;
            };
            let b = outline.px_bounds();
            let mut pixels = Vec::new();
            outline.draw(|gx, gy, cov| pixels.push((gx, gy, cov)));
            for (gx, gy, cov) in pixels {
                if cov <= 0.0 {
                    continue;
                }
                let (tx, ty) =
                    trans.transform(b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32);
                let (px, py) = (pos.0 + tx, pos.1 + ty);
                if px >= 0 && py >= 0 && (px as u32) < w && (py as u32) < h {
                    self.inner.draw_pixel(
                        (px, py),
                        BackendColor {
                            alpha: colour.alpha * cov.min(1.0) as f64,
                            rgb: colour.rgb,
                        },
                    )?;
                }
            }
        }
        Ok(())
    }
}
