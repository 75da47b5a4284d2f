//! Building blocks shared by the figures: the header (title, note, legend),
//! shaded bands, event markers and the calendar axis.

use super::render::{DrawResult, Rect};
use super::style;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One legend entry: a coloured line (or a filled box) and its label.
pub struct Key {
    pub label: String,
    pub colour: RGBColor,
    pub filled: bool,
}

/// How a series line is drawn besides its colour: dash pattern and marker
/// glyphs, so series stay apart where they overlap and in greyscale print.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Look {
    /// Pixels on, pixels off; `None` = solid.
    pub dash: Option<(u32, u32)>,
    pub glyph: Option<Glyph>,
    /// A glyph on every `every`-th point (at least 1), starting at `offset`,
    /// so the glyphs of different series do not sit on each other.
    pub every: usize,
    pub offset: usize,
    /// Glyphs drawn white inside (hollow) rather than filled.
    pub hollow: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Glyph {
    Circle,
    Square,
    Triangle,
    Diamond,
}

/// Distinct looks for series `i` of several: solid, dashed, dotted, dash-dot,
/// each with its own glyph (the i-th series' glyphs offset by i points).
pub fn look(i: usize, every: usize) -> Look {
    const DASHES: [Option<(u32, u32)>; 4] = [None, Some((14, 7)), Some((4, 5)), Some((18, 6))];
    const GLYPHS: [Glyph; 4] = [
        Glyph::Circle,
        Glyph::Triangle,
        Glyph::Square,
        Glyph::Diamond,
    ];
    let every = every.max(1);
    Look {
        dash: DASHES[i % 4],
        glyph: Some(GLYPHS[i % 4]),
        every,
        // Spread the glyphs of up to four series evenly between each other's.
        offset: (i * every / 4) % every,
        hollow: i % 2 == 1,
    }
}

/// The strip above the charts: title, grey note lines, a one-row legend (when
/// there is more than one series) and extra lines (e.g. an event key).
pub struct Header<'a> {
    pub title: &'a str,
    pub notes: Vec<String>,
    pub keys: &'a [Key],
    pub extra: &'a [String],
    /// Line looks of the keys (same order); empty = plain lines.
    pub looks: Vec<Look>,
    /// Keys per legend row: one row while it fits the width with a margin.
    legend_rows: Vec<std::ops::Range<usize>>,
}

const LINE: u32 = 24;

impl<'a> Header<'a> {
    /// The note is wrapped at "; " to fit the width of `area`.
    pub fn new<DB: DrawingBackend>(
        area: &DrawingArea<DB, Shift>,
        title: &'a str,
        note: &str,
        keys: &'a [Key],
        extra: &'a [String],
    ) -> Header<'a> {
        let parts: Vec<String> = note.split("; ").map(str::to_string).collect();
        let notes = wrap(area, &parts, "; ", area.dim_in_pixel().0.saturating_sub(60));
        Header {
            title,
            notes,
            keys,
            extra,
            looks: Vec::new(),
            legend_rows: legend_rows(area, keys, area.dim_in_pixel().0 as i32),
        }
    }

    /// Draw the legend's lines with these looks (dashes, glyphs).
    pub fn with_looks(mut self, looks: Vec<Look>) -> Header<'a> {
        self.looks = looks;
        self
    }

    pub fn height(&self) -> u32 {
        let legend = if self.keys.is_empty() {
            0
        } else {
            34 * self.legend_rows.len() as u32
        };
        60 + LINE * (self.notes.len() + self.extra.len()) as u32 + legend
    }

    /// Draw into the top `height()` pixels of `area`.
    pub fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
        let w = area.dim_in_pixel().0 as i32;
        let centre = Pos::new(HPos::Center, VPos::Top);
        area.draw_text(
            self.title,
            &style::title().color(&style::INK).pos(centre),
            (w / 2, 12),
        )?;
        let mut y = 50;
        for line in &self.notes {
            area.draw_text(line, &style::note().pos(centre), (w / 2, y))?;
            y += LINE as i32;
        }
        for row in &self.legend_rows {
            draw_legend(
                area,
                &self.keys[row.clone()],
                &self.looks[row.start.min(self.looks.len())..],
                w,
                y + 14,
            )?;
            y += 34;
        }
        for line in self.extra {
            area.draw_text(
                line,
                &style::note().color(&style::INK).pos(centre),
                (w / 2, y + 4),
            )?;
            y += LINE as i32;
        }
        Ok(())
    }
}

/// Split `parts` joined by `sep` into lines no wider than `max` pixels.
pub fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    parts: &[String],
    sep: &str,
    max: u32,
) -> Vec<String> {
    let font = style::note();
    let width = |t: &str| area.estimate_text_size(t, &font).map_or(0, |(w, _)| w);
    let mut lines: Vec<String> = Vec::new();
    for p in parts {
        match lines.last_mut() {
            Some(l) if width(&format!("{l}{sep}{p}")) <= max => {
                l.push_str(sep);
                l.push_str(p);
            }
            _ => lines.push(p.clone()),
        }
    }
    lines
}

const SWATCH: i32 = 52;
const KEY_GAP: i32 = 10;
const KEY_PAD: i32 = 30;

/// Split the keys into rows no wider than `w` less a margin of 30 px each side.
fn legend_rows<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[Key],
    w: i32,
) -> Vec<std::ops::Range<usize>> {
    let font = style::label();
    let mut rows: Vec<std::ops::Range<usize>> = Vec::new();
    let mut width = 0;
    for (i, k) in keys.iter().enumerate() {
        let tw = area
            .estimate_text_size(&k.label, &font)
            .map_or(0, |s| s.0 as i32);
        let kw = SWATCH + KEY_GAP + tw;
        match rows.last_mut() {
            Some(r) if width + KEY_PAD + kw <= w - 60 => {
                r.end = i + 1;
                width += KEY_PAD + kw;
            }
            _ => {
                rows.push(i..i + 1);
                width = kw;
            }
        }
    }
    rows
}

/// Keys centred on one row at height `y`.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[Key],
    looks: &[Look],
    w: i32,
    y: i32,
) -> DrawResult<(), DB> {
    let font = style::label().color(&style::INK);
    let (swatch, gap, pad) = (if looks.is_empty() { 34 } else { SWATCH }, KEY_GAP, KEY_PAD);
    let widths: Vec<i32> = keys
        .iter()
        .map(|k| {
            let (tw, _) = area.estimate_text_size(&k.label, &font).unwrap_or((0, 0));
            swatch + gap + tw as i32
        })
        .collect();
    let total: i32 = widths.iter().sum::<i32>() + pad * (keys.len() as i32 - 1);
    let mut x = (w - total).max(10) / 2;
    for (i, (k, kw)) in keys.iter().zip(widths).enumerate() {
        if k.filled {
            area.draw(&Rectangle::new(
                [(x, y - 9), (x + swatch, y + 9)],
                k.colour.filled(),
            ))?;
        } else if let Some(l) = looks.get(i) {
            dashed_path(area, &[(x, y), (x + swatch, y)], k.colour, 4, l.dash)?;
            if let Some(g) = l.glyph {
                draw_glyph(area, (x + swatch / 2, y), g, k.colour, l.hollow)?;
            }
        } else {
            area.draw(&PathElement::new(
                vec![(x, y), (x + swatch, y)],
                k.colour.stroke_width(4),
            ))?;
        }
        area.draw_text(
            &k.label,
            &font.pos(Pos::new(HPos::Left, VPos::Center)),
            (x + swatch + gap, y),
        )?;
        x += kw + pad;
    }
    Ok(())
}

/// A number for a tick label: at most three decimals, no trailing zeros.
pub fn tick_label(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// Pixel rectangle of a chart's data region.
pub fn plot_rect<DB: DrawingBackend, CT: plotters::coord::CoordTranslate>(
    area: &DrawingArea<DB, CT>,
) -> Rect {
    let (xr, yr) = area.get_pixel_range();
    (xr.start, yr.start, xr.end, yr.end)
}

/// Fill between `lower` and `upper` over `x`, skipping missing values (NaN),
/// so a gap in the data is a gap in the band.
pub fn band<DB: DrawingBackend, X: Ranged<ValueType = XV>, XV: Copy + 'static>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    x: &[XV],
    lower: &[f64],
    upper: &[f64],
    fill: RGBAColor,
) -> DrawResult<(), DB> {
    for run in finite_runs(x.len(), |i| lower[i].is_finite() && upper[i].is_finite()) {
        let mut pts: Vec<(XV, f64)> = run.clone().map(|i| (x[i], upper[i])).collect();
        pts.extend(run.rev().map(|i| (x[i], lower[i])));
        chart.draw_series(std::iter::once(Polygon::new(pts, fill.filled())))?;
    }
    Ok(())
}

/// A line through `(x, y)`, broken where `y` is missing.
pub fn line<DB: DrawingBackend, X: Ranged<ValueType = XV>, XV: Copy + 'static>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    x: &[XV],
    y: &[f64],
    style: ShapeStyle,
) -> DrawResult<(), DB> {
    for run in finite_runs(x.len(), |i| y[i].is_finite()) {
        if run.len() == 1 {
            let i = run.start;
            chart.draw_series(std::iter::once(Circle::new(
                (x[i], y[i]),
                3,
                style.filled(),
            )))?;
        } else {
            chart.draw_series(LineSeries::new(run.map(|i| (x[i], y[i])), style))?;
        }
    }
    Ok(())
}

/// A line through `(x, y)` in `look` (dashes and glyphs, drawn in pixels on
/// `root` so both formats match), broken where `y` is missing.
pub fn styled_line<DB: DrawingBackend, X: Ranged<ValueType = XV>, XV: Copy + 'static>(
    root: &DrawingArea<DB, Shift>,
    chart: &ChartContext<'_, DB, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    x: &[XV],
    y: &[f64],
    colour: RGBColor,
    width: u32,
    look: Look,
) -> DrawResult<(), DB> {
    let runs = finite_runs(x.len().min(y.len()), |i| y[i].is_finite());
    for run in &runs {
        let pts: Vec<(i32, i32)> = run
            .clone()
            .map(|i| chart.backend_coord(&(x[i], y[i])))
            .collect();
        dashed_path(root, &pts, colour, width, look.dash)?;
    }
    if let Some(g) = look.glyph {
        let every = look.every.max(1);
        for run in &runs {
            for i in run
                .clone()
                .filter(|i| (i + every - look.offset % every) % every == 0)
            {
                draw_glyph(
                    root,
                    chart.backend_coord(&(x[i], y[i])),
                    g,
                    colour,
                    look.hollow,
                )?;
            }
        }
    }
    Ok(())
}

/// A polyline in pixels, solid or cut into `(on, off)` dashes that run on
/// across its corners.
pub fn dashed_path<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    pts: &[(i32, i32)],
    colour: RGBColor,
    width: u32,
    dash: Option<(u32, u32)>,
) -> DrawResult<(), DB> {
    let style = colour.stroke_width(width);
    let Some((on, off)) = dash else {
        if pts.len() == 1 {
            return area.draw(&Circle::new(pts[0], width.max(2), colour.filled()));
        }
        return area.draw(&PathElement::new(pts.to_vec(), style));
    };
    let (on, period) = (on as f64, (on + off).max(1) as f64);
    let mut travelled = 0.0;
    for w in pts.windows(2) {
        let (a, b) = (
            (w[0].0 as f64, w[0].1 as f64),
            (w[1].0 as f64, w[1].1 as f64),
        );
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        if len == 0.0 {
            continue;
        }
        let at = |d: f64| {
            let t = (d / len).clamp(0.0, 1.0);
            let p = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
            (p.0.round() as i32, p.1.round() as i32)
        };
        // Walk the segment from dash boundary to dash boundary.
        let mut d = 0.0;
        while d < len {
            let phase = (travelled + d) % period;
            let (drawing, left) = if phase < on {
                (true, on - phase)
            } else {
                (false, period - phase)
            };
            let end = (d + left).min(len);
            if drawing {
                area.draw(&PathElement::new(vec![at(d), at(end)], style))?;
            }
            d = end;
        }
        travelled += len;
    }
    Ok(())
}

/// A marker glyph centred at `p` (pixels), about 12 px across.
pub fn draw_glyph<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: (i32, i32),
    g: Glyph,
    colour: RGBColor,
    hollow: bool,
) -> DrawResult<(), DB> {
    let r = 5;
    let (x, y) = p;
    let shape: Vec<(i32, i32)> = match g {
        Glyph::Circle => {
            let fill = if hollow {
                WHITE.filled()
            } else {
                colour.filled()
            };
            area.draw(&Circle::new(p, r, fill))?;
            return area.draw(&Circle::new(p, r, colour.stroke_width(2)));
        }
        Glyph::Square => vec![
            (x - r + 1, y - r + 1),
            (x + r - 1, y - r + 1),
            (x + r - 1, y + r - 1),
            (x - r + 1, y + r - 1),
        ],
        Glyph::Triangle => vec![
            (x, y - r - 1),
            (x + r + 1, y + r - 1),
            (x - r - 1, y + r - 1),
        ],
        Glyph::Diamond => vec![
            (x, y - r - 1),
            (x + r + 1, y),
            (x, y + r + 1),
            (x - r - 1, y),
        ],
    };
    let fill = if hollow {
        WHITE.filled()
    } else {
        colour.filled()
    };
    area.draw(&Polygon::new(shape.clone(), fill))?;
    let mut outline = shape.clone();
    outline.push(shape[0]);
    area.draw(&PathElement::new(outline, colour.stroke_width(2)))
}

/// Maximal index ranges where `ok(i)` holds.
fn finite_runs(n: usize, ok: impl Fn(usize) -> bool) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..=n {
        match (i < n && ok(i), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Month `m` of a run as a date: month 0 is April 2013, when CCGs took over.
pub fn date_label(m: i32) -> String {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = m.max(0) as i64 + 3; // months since January 2013
    format!("{} {}", NAMES[(m % 12) as usize], 2013 + m / 12)
}

/// Month `m` of a run as `YYYY-MM` (month 0 = 2013-04), for CSV files.
pub fn iso_month(m: i32) -> String {
    let m = m.max(0) as i64 + 3;
    format!("{}-{:02}", 2013 + m / 12, m % 12 + 1)
}

/// Tick positions for a horizon of `months`: whole years where the axis is long
/// enough (at most about 8 ticks), otherwise quarters or single months.
pub fn month_ticks(months: u32) -> Vec<i32> {
    let step = if months >= 24 {
        let years = (months as f64 / 12.0 / 8.0).ceil().max(1.0) as u32;
        12 * years
    } else if months >= 8 {
        3
    } else {
        1
    };
    (0..=months as i32).step_by(step as usize).collect()
}

/// `(lo, hi)` widened by 5 % each side (and kept off a zero-width range).
pub fn padded(lo: f64, hi: f64, from_zero: bool) -> (f64, f64) {
    let (lo, hi) = if from_zero {
        (lo.min(0.0), hi)
    } else {
        (lo, hi)
    };
    let span = (hi - lo).max(1e-6 * hi.abs().max(1.0));
    let lo = if from_zero && lo >= 0.0 {
        0.0
    } else {
        lo - 0.05 * span
    };
    (lo, hi + 0.05 * span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_zero_is_april_2013() {
        assert_eq!(date_label(0), "Apr 2013");
        assert_eq!(date_label(9), "Jan 2014");
        assert_eq!(date_label(24), "Apr 2015");
        assert_eq!(iso_month(0), "2013-04");
        assert_eq!(iso_month(9), "2014-01");
    }

    #[test]
    fn ticks_are_years_on_long_axes() {
        assert_eq!(month_ticks(60), vec![0, 12, 24, 36, 48, 60]);
        assert_eq!(month_ticks(12).len(), 5);
        assert!(month_ticks(1200).len() <= 9);
    }

    #[test]
    fn gaps_split_runs() {
        let v = [1.0, f64::NAN, 2.0, 3.0];
        assert_eq!(finite_runs(4, |i| v[i].is_finite()), vec![0..1, 2..4]);
    }
}
