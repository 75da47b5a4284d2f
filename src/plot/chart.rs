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

/// The strip above the charts: title, grey note lines, a one-row legend (when
/// there is more than one series) and extra lines (e.g. an event key).
pub struct Header<'a> {
    pub title: &'a str,
    pub notes: Vec<String>,
    pub keys: &'a [Key],
    pub extra: &'a [String],
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
        }
    }

    pub fn height(&self) -> u32 {
        let legend = if self.keys.is_empty() { 0 } else { 34 };
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
        if !self.keys.is_empty() {
            draw_legend(area, self.keys, w, y + 14)?;
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

/// Keys centred on one row at height `y`.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[Key],
    w: i32,
    y: i32,
) -> DrawResult<(), DB> {
    let font = style::label().color(&style::INK);
    let (swatch, gap, pad) = (34, 10, 30);
    let widths: Vec<i32> = keys
        .iter()
        .map(|k| {
            let (tw, _) = area.estimate_text_size(&k.label, &font).unwrap_or((0, 0));
            swatch + gap + tw as i32
        })
        .collect();
    let total: i32 = widths.iter().sum::<i32>() + pad * (keys.len() as i32 - 1);
    let mut x = (w - total).max(10) / 2;
    for (k, kw) in keys.iter().zip(widths) {
        if k.filled {
            area.draw(&Rectangle::new(
                [(x, y - 9), (x + swatch, y + 9)],
                k.colour.filled(),
            ))?;
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
