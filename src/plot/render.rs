//! Drawing a figure once per format: PNG (pixels, for reports and slides) and
//! SVG (vector, for editing). Both are rendered in memory and written whole.

use super::pixels::Pixels;
use super::style;
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Pixel rectangle `(x0, y0, x1, y1)` of a chart's data region.
pub type Rect = (i32, i32, i32, i32);

/// Error type of drawing code generic over the backend.
pub type DrawResult<T, DB> =
    std::result::Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A figure that can draw itself on any plotters backend.
pub trait Figure {
    /// Base file name without extension, e.g. `engaged_share`.
    fn stem(&self) -> String;
    /// Title, written into the SVG and used in messages.
    fn title(&self) -> String;
    fn size(&self) -> (u32, u32) {
        style::SIZE
    }
    /// Draw on `root`; returns the data regions of its charts.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<Vec<Rect>, DB>;
}

/// A figure rendered in memory.
pub struct Rendered {
    pub png: Vec<u8>,
    pub svg: String,
    pub size: (u32, u32),
    /// Data regions (one per panel), the same in both formats.
    pub plot_areas: Vec<Rect>,
}

pub fn render(fig: &impl Figure) -> Result<Rendered> {
    style::init();
    let size = fig.size();
    let fail = |e: String| Error::Refused(format!("cannot draw figure {:?}: {e}", fig.title()));
    let mut rgb = vec![255u8; size.0 as usize * size.1 as usize * 3];
    let plot_areas = {
        let root = Pixels::new(&mut rgb, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        let areas = fig.draw(&root).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
        areas
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        fig.draw(&root).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    Ok(Rendered {
        png: encode_png(&rgb, size),
        svg,
        size,
        plot_areas,
    })
}

fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().expect("writing to memory cannot fail");
        writer
            .write_image_data(rgb)
            .expect("the buffer matches the image size");
    }
    out
}

/// A written figure file and what the manifest records about it.
pub struct Saved {
    pub path: PathBuf,
    pub bytes: u64,
    pub blake3: String,
}

/// Render `fig` and write `<dir>/<stem>.png` and `.svg`. `dir` is a staging
/// folder (see `output::ResultDir`), so a half-written figure is never visible.
pub fn save(fig: &impl Figure, dir: &Path) -> Result<Vec<Saved>> {
    let r = render(fig)?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create plot folder", dir, e))?;
    let stem = fig.stem();
    let mut out = Vec::new();
    for (ext, bytes) in [("png", r.png.as_slice()), ("svg", r.svg.as_bytes())] {
        let path = dir.join(format!("{stem}.{ext}"));
        std::fs::write(&path, bytes).map_err(|e| Error::io("write", &path, e))?;
        out.push(Saved {
            path,
            bytes: bytes.len() as u64,
            blake3: blake3::hash(bytes).to_hex().to_string(),
        });
    }
    Ok(out)
}
