//! The look shared by every figure: the embedded font, sizes that read at 100 %
//! zoom, and colour-blind-safe colours (Okabe–Ito for series, viridis for maps).

use plotters::style::{FontStyle, RGBColor, TextStyle, register_font};
use std::sync::Once;

/// DejaVu Sans (Bitstream Vera licence, assets/fonts/LICENSE-DejaVu.txt), compiled
/// in so text looks the same on any machine, cluster nodes without fonts included.
pub static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registered under the generic CSS name: plotters writes the family into SVG
/// text, so SVG viewers fall back to their own sans-serif font.
pub const FAMILY: &str = "sans-serif";

/// Pixel size of every figure (PNG) and view box (SVG).
pub const SIZE: (u32, u32) = (1100, 650);

pub const TITLE_PX: f64 = 28.0;
pub const LABEL_PX: f64 = 21.0;
pub const TICK_PX: f64 = 17.0;
pub const NOTE_PX: f64 = 17.0;

/// Make the embedded font known to plotters; cheap to call before every figure.
pub fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if register_font(FAMILY, FontStyle::Normal, FONT_BYTES).is_err() {
            panic!("the embedded DejaVu Sans font is not a valid font file");
        }
    });
}

pub fn text(px: f64) -> TextStyle<'static> {
    TextStyle::from((FAMILY, px))
}

pub fn title() -> TextStyle<'static> {
    text(TITLE_PX)
}
pub fn label() -> TextStyle<'static> {
    text(LABEL_PX)
}
pub fn tick() -> TextStyle<'static> {
    text(TICK_PX)
}
pub fn note() -> TextStyle<'static> {
    text(NOTE_PX).color(&GREY_TEXT)
}

pub const INK: RGBColor = RGBColor(34, 34, 34);
pub const GREY_TEXT: RGBColor = RGBColor(85, 85, 85);
pub const GRID: RGBColor = RGBColor(225, 225, 225);
pub const EVENT: RGBColor = RGBColor(110, 110, 110);
/// Shading of an event's window (a narrative's months): neutral grey, so it
/// never reads as a series.
pub const WINDOW: RGBColor = RGBColor(234, 234, 234);

/// Okabe & Ito (2008) colours, most distinguishable first; yellow is left out
/// because thin yellow lines vanish on white.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
];

pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Viridis (perceptually uniform, colour-blind safe) at `t` in 0..=1.
pub fn viridis(t: f64) -> RGBColor {
    use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
    let c = ViridisRGB.get_color(t.clamp(0.0, 1.0) as f32);
    RGBColor(c.0, c.1, c.2)
}
