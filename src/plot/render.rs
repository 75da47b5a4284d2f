//! Drawing a figure once per format: PNG (pixels, for reports and slides) and
//! SVG (vector, for editing). Both are rendered in memory and written whole.

use super::pixels::Pixels;
use super::style;
use super::table::Table;
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
    /// The values drawn, as a tidy table (written as `<stem>.csv` by [`save`]).
    fn data(&self) -> Table;
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
    // White from the start: what `root.fill(&WHITE)` would leave (opaque
    // white over every pixel), without a second pass over the image. The
    // buffer comes from the pool (its pages already mapped) and goes back.
    let mut rgb = PIXEL_BUFFERS.take_filled(size.0 as usize * size.1 as usize * 3, 255);
    let plot_areas = {
        let root = Pixels::new(&mut rgb, size).into_drawing_area();
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
    let png = encode_png(&rgb, size);
    PIXEL_BUFFERS.give(rgb);
    Ok(Rendered {
        png,
        svg,
        size,
        plot_areas,
    })
}

/// The pixel buffers of [`render`], kept for the next figures (a fresh 2 MB
/// has each of its pages mapped and cleared by the kernel on first touch,
/// about a tenth of the time of drawing a run's figures): as many as figures
/// are drawn at once on a small machine; at 1100 × 650 pixels, 2.1 MB each.
static PIXEL_BUFFERS: crate::output::spare::Spare = crate::output::spare::Spare::bounded(4);

/// Give memory no longer needed (a run's sample, its pages mapped as it
/// filled) to the pixel buffers of the next figures, when it holds a whole
/// figure: drawing in it then maps no fresh page. What it held is cleared
/// (painted white) before a figure is drawn in it.
pub fn spare_pixels(buf: Vec<u8>) {
    if buf.len() >= style::SIZE.0 as usize * style::SIZE.1 as usize * 3 {
        PIXEL_BUFFERS.give(buf);
    }
}

/// The encoded PNG files of [`render`], given back by [`save`] once written,
/// for the next figures: each file (130–170 KB) grew into fresh memory by
/// doubling, a page fault per 4 KiB every figure.
static PNG_BUFFERS: crate::output::spare::Spare = crate::output::spare::Spare::bounded(4);

fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Vec<u8> {
    let mut out = PNG_BUFFERS.take();
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
    /// Data rows (the CSV); 0 for images.
    pub rows: u64,
    pub bytes: u64,
    pub blake3: String,
}

impl Saved {
    /// The manifest entry: `rows`, `bytes`, `blake3`.
    pub fn info(&self) -> crate::output::FileInfo {
        crate::output::FileInfo {
            rows: self.rows,
            bytes: self.bytes,
            blake3: self.blake3.clone(),
        }
    }
}

/// Render `fig` and write `<dir>/<stem>.png`, `.svg` and `.csv` (the plotted
/// values, see [`Figure::data`]). `dir` is a staging folder (see
/// `output::ResultDir`), so a half-written figure is never visible. Every
/// figure goes through here, so every figure has its numbers beside it.
pub fn save(fig: &impl Figure, dir: &Path) -> Result<Vec<Saved>> {
    let r = render(fig)?;
    let table = fig.data();
    let csv = table.csv();
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create plot folder", dir, e))?;
    let stem = fig.stem();
    let mut out = Vec::new();
    for (ext, bytes, rows) in [
        ("png", r.png.as_slice(), 0),
        ("svg", r.svg.as_bytes(), 0),
        ("csv", csv.as_slice(), table.rows.len() as u64),
    ] {
        let path = dir.join(format!("{stem}.{ext}"));
        std::fs::write(&path, bytes).map_err(|e| Error::io("write", &path, e))?;
        out.push(Saved {
            path,
            rows,
            bytes: bytes.len() as u64,
            blake3: blake3::hash(bytes).to_hex().to_string(),
        });
    }
    PNG_BUFFERS.give(r.png);
    Ok(out)
}

/// `manifest.json` of a folder written by `ccgsim plot …`: what made it
/// (command line, inputs) and every file in it (rows, bytes, BLAKE3), like a
/// run's manifest lists its `plots/`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PlotManifest {
    pub tool: String,
    pub version: String,
    /// Always `plot` (what `--force` and `check-result` go by).
    pub kind: String,
    /// `plot compare`, `plot sweep` or `plot hysteresis`.
    pub figure: String,
    pub command_line: Vec<String>,
    /// Folders or files the figures were drawn from.
    pub inputs: Vec<String>,
    pub files: std::collections::BTreeMap<String, crate::output::FileInfo>,
    pub complete: bool,
}

impl PlotManifest {
    pub fn new(kind: &str, inputs: Vec<String>) -> PlotManifest {
        PlotManifest {
            tool: "ccgsim".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            kind: "plot".into(),
            figure: kind.into(),
            command_line: std::env::args().collect(),
            inputs,
            files: Default::default(),
            complete: false,
        }
    }

    /// Record written files under their path relative to `dir`.
    pub fn add(&mut self, dir: &Path, saved: &[Saved]) {
        for s in saved {
            let name = s.path.strip_prefix(dir).unwrap_or(&s.path);
            self.files
                .insert(name.to_string_lossy().replace('\\', "/"), s.info());
        }
    }

    /// Write `<dir>/manifest.json`, marked complete.
    pub fn write(mut self, dir: &Path) -> Result<()> {
        self.complete = true;
        let path = dir.join("manifest.json");
        let text = crate::output::manifest::sealed_json(&self);
        std::fs::write(&path, text).map_err(|e| Error::io("write", &path, e))
    }
}

/// Write `bytes` as `<dir>/<name>` and describe it for a manifest.
pub fn save_file(dir: &Path, name: &str, bytes: &[u8], rows: u64) -> Result<Saved> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(|e| Error::io("write", &path, e))?;
    Ok(Saved {
        path,
        rows,
        bytes: bytes.len() as u64,
        blake3: blake3::hash(bytes).to_hex().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small figure: a filled band, a line and text.
    struct Tiny;

    impl Figure for Tiny {
        fn stem(&self) -> String {
            "tiny".into()
        }
        fn title(&self) -> String {
            "tiny".into()
        }
        fn draw<DB: DrawingBackend>(
            &self,
            root: &DrawingArea<DB, Shift>,
        ) -> DrawResult<Vec<Rect>, DB> {
            let band: Vec<(i32, i32)> = (0..50)
                .map(|i| (20 + i * 20, 300 + (i * 37 % 90)))
                .chain((0..50).rev().map(|i| (20 + i * 20, 420 + (i * 53 % 70))))
                .collect();
            root.draw(&Polygon::new(band, BLUE.mix(0.22).filled()))?;
            root.draw(&PathElement::new(vec![(10, 10), (900, 600)], RED))?;
            root.draw(&Text::new("Apr 2013", (100, 100), ("sans-serif", 20)))?;
            Ok(vec![(0, 0, 10, 10)])
        }
        fn data(&self) -> Table {
            Table::new(&["x"])
        }
    }

    /// A figure drawn in memory given to the pixel buffers (a sample's,
    /// full of its values) is byte for byte the figure drawn in fresh
    /// memory, in both formats.
    #[test]
    fn figures_drawn_in_spare_memory_are_those_drawn_in_fresh() {
        let fresh = render(&Tiny).unwrap();
        let mut noise = vec![0u8; style::SIZE.0 as usize * style::SIZE.1 as usize * 3 + 999];
        for (i, b) in noise.iter_mut().enumerate() {
            *b = (i * 131 % 253) as u8;
        }
        spare_pixels(noise);
        // Too small to hold a figure: not kept.
        spare_pixels(vec![7u8; 100]);
        for _ in 0..2 {
            let again = render(&Tiny).unwrap();
            assert!(again.png == fresh.png, "PNG differs");
            assert_eq!(again.svg, fresh.svg);
        }
    }

    /// A PNG encoded into a buffer given back (longer, full of another
    /// file's bytes) is the PNG encoded into a fresh one.
    #[test]
    fn png_encoded_into_a_reused_buffer_is_that_of_a_fresh_one() {
        let (w, h) = (37u32, 23u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 7 % 251) as u8).collect();
        let mut fresh = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut fresh, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut writer = enc.write_header().unwrap();
            writer.write_image_data(&rgb).unwrap();
        }
        PNG_BUFFERS.give(vec![0xAB; 1 << 16]);
        let png = encode_png(&rgb, (w, h));
        assert_eq!(png, fresh);
        // Given back and used again: the same bytes.
        PNG_BUFFERS.give(png);
        assert_eq!(encode_png(&rgb, (w, h)), fresh);
    }
}
