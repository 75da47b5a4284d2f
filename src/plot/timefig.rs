//! A time-series figure: for each series its median over runs as a line, with
//! the middle 50 % (and optionally 90 %) of runs shaded; scheduled events as
//! labelled dashed lines. Several panels share one y scale.

use super::chart::{self, Key};
use super::render::{DrawResult, Figure, Rect};
use super::sample::Bands;
use super::style;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

#[derive(Debug, Clone)]
pub struct BandSeries {
    pub label: String,
    pub colour: RGBColor,
    pub bands: Bands,
    /// Also shade the middle 90 % (lighter).
    pub with_90: bool,
    /// Width of the median line; wider for series drawn first, so a series
    /// hidden under a later one still shows as a border.
    pub line_width: u32,
}

#[derive(Debug, Clone)]
pub struct Panel {
    /// Heading above the panel (when there are several).
    pub heading: Option<String>,
    pub series: Vec<BandSeries>,
}

/// A scheduled event: a dashed line at `month` with `label` beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub month: u32,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct TimeFigure {
    pub stem: String,
    pub title: String,
    /// Grey line under the title: what the lines and bands are.
    pub note: String,
    pub y_label: String,
    /// Fixed y range (e.g. 0..1 for shares); `None` fits the data.
    pub y_range: Option<(f64, f64)>,
    /// When fitting, start the axis at zero (counts).
    pub y_from_zero: bool,
    pub panels: Vec<Panel>,
    pub markers: Vec<Marker>,
    /// Horizon: the x axis runs from month 0 to `months`.
    pub months: u32,
}

pub const X_LABEL: &str = "date (monthly steps; month 0 = April 2013)";

impl TimeFigure {
    fn y_range(&self) -> (f64, f64) {
        if let Some((lo, hi)) = self.y_range {
            // A hair of room so a line at the limit is not half cut off.
            return (lo - 0.015 * (hi - lo), hi + 0.015 * (hi - lo));
        }
        let ext = self
            .panels
            .iter()
            .flat_map(|p| &p.series)
            .filter_map(|s| s.bands.extent(s.with_90))
            .fold(None, |acc: Option<(f64, f64)>, (lo, hi)| match acc {
                None => Some((lo, hi)),
                Some((a, b)) => Some((a.min(lo), b.max(hi))),
            });
        let (lo, hi) = ext.unwrap_or((0.0, 1.0));
        chart::padded(lo, hi, self.y_from_zero)
    }

    /// Legend keys: one per distinct series label (panels repeat them).
    fn keys(&self) -> Vec<Key> {
        let mut keys: Vec<Key> = Vec::new();
        for s in self.panels.iter().flat_map(|p| &p.series) {
            if !keys.iter().any(|k| k.label == s.label) {
                keys.push(Key {
                    label: s.label.clone(),
                    colour: s.colour,
                    filled: false,
                });
            }
        }
        if keys.len() > 1 { keys } else { Vec::new() }
    }
}

impl Figure for TimeFigure {
    fn stem(&self) -> String {
        self.stem.clone()
    }
    fn title(&self) -> String {
        self.title.clone()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<Vec<Rect>, DB> {
        let keys = self.keys();
        let events = EventLabels::new(&self.markers, self.panels.len());
        let width = root.dim_in_pixel().0;
        let key_lines = chart::wrap(root, &events.key, "   ", width - 40);
        let header = chart::Header::new(root, &self.title, &self.note, &keys, &key_lines);
        let (head, body) = root.split_vertically(header.height());
        header.draw(&head)?;
        let (y0, y1) = self.y_range();
        let x: Vec<i32> = (0..=self.months as i32).collect();
        let areas = body.split_evenly((1, self.panels.len().max(1)));
        let mut rects = Vec::new();
        for (i, (area, panel)) in areas.iter().zip(&self.panels).enumerate() {
            let mut b = ChartBuilder::on(area);
            b.margin_left(10)
                .margin_right(45)
                .margin_bottom(10)
                .margin_top(if panel.heading.is_some() { 0 } else { 10 })
                .x_label_area_size(70)
                .y_label_area_size(if i == 0 { 90 } else { 60 });
            if let Some(h) = &panel.heading {
                b.caption(h, style::label().color(&style::INK));
            }
            let mut ch = b.build_cartesian_2d(
                (0..self.months.max(1) as i32).with_key_points(chart::month_ticks(self.months)),
                y0..y1,
            )?;
            let mut mesh = ch.configure_mesh();
            mesh.x_desc(X_LABEL)
                .x_label_formatter(&|m| chart::date_label(*m))
                .y_label_formatter(&|v| chart::tick_label(*v))
                .y_labels(8)
                .label_style(style::tick().color(&style::INK))
                .axis_desc_style(style::label().color(&style::INK))
                .bold_line_style(style::GRID)
                .light_line_style(TRANSPARENT)
                .axis_style(style::GREY_TEXT);
            if i == 0 {
                mesh.y_desc(&self.y_label);
            }
            mesh.draw()?;

            for s in &panel.series {
                let n = s.bands.len().min(x.len());
                let xs = &x[..n];
                if s.with_90 {
                    chart::band(&mut ch, xs, &s.bands.q05, &s.bands.q95, s.colour.mix(0.12))?;
                }
                chart::band(&mut ch, xs, &s.bands.q25, &s.bands.q75, s.colour.mix(0.28))?;
            }
            for s in &panel.series {
                let n = s.bands.len().min(x.len());
                chart::line(
                    &mut ch,
                    &x[..n],
                    &s.bands.q50[..n],
                    s.colour.stroke_width(s.line_width),
                )?;
            }
            let rect = chart::plot_rect(ch.plotting_area());
            draw_markers(root, &ch, &events.on_chart, (y0, y1), rect)?;
            rects.push(rect);
        }
        Ok(rects)
    }
}

/// What is written at the event lines: the labels themselves when one chart
/// has room for them, otherwise letters (A, B, …) explained in the header.
struct EventLabels {
    on_chart: Vec<Marker>,
    key: Vec<String>,
}

impl EventLabels {
    fn new(markers: &[Marker], panels: usize) -> EventLabels {
        let mut sorted: Vec<Marker> = markers.to_vec();
        sorted.sort_by_key(|m| m.month);
        // Events in the same month share one line and one letter.
        let mut merged: Vec<Marker> = Vec::new();
        for m in sorted {
            match merged.last_mut() {
                Some(last) if last.month == m.month => {
                    last.label = format!("{}; {}", last.label, m.label);
                }
                _ => merged.push(m),
            }
        }
        if panels <= 1 && merged.len() <= 3 {
            return EventLabels {
                on_chart: merged,
                key: Vec::new(),
            };
        }
        let letter = |i: usize| {
            let c = (b'A' + (i % 26) as u8) as char;
            if i < 26 {
                c.to_string()
            } else {
                format!("{c}{}", i / 26)
            }
        };
        EventLabels {
            key: merged
                .iter()
                .enumerate()
                .map(|(i, m)| format!("{}: {} (month {})", letter(i), m.label, m.month))
                .collect(),
            on_chart: merged
                .into_iter()
                .enumerate()
                .map(|(i, m)| Marker {
                    month: m.month,
                    label: letter(i),
                })
                .collect(),
        }
    }
}

/// Dashed vertical lines with their labels at the top of the data region;
/// labels that would overlap drop to the next row.
fn draw_markers<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    ch: &ChartContext<
        '_,
        DB,
        Cartesian2d<
            plotters::coord::combinators::WithKeyPoints<plotters::coord::types::RangedCoordi32>,
            plotters::coord::types::RangedCoordf64,
        >,
    >,
    markers: &[Marker],
    (y0, y1): (f64, f64),
    rect: Rect,
) -> DrawResult<(), DB> {
    let font = style::text(style::NOTE_PX).color(&style::INK);
    let mut rows_end: Vec<i32> = Vec::new();
    let mut sorted: Vec<&Marker> = markers.iter().collect();
    sorted.sort_by_key(|m| m.month);
    // Every line first, then the labels, so no line crosses a label.
    let mut placed = Vec::new();
    for m in sorted {
        let x = m.month as i32;
        let (px, top) = ch.backend_coord(&(x, y1));
        let (_, bottom) = ch.backend_coord(&(x, y0));
        if px < rect.0 || px > rect.2 {
            continue;
        }
        let mut y = top;
        while y < bottom {
            root.draw(&PathElement::new(
                vec![(px, y), (px, (y + 8).min(bottom))],
                style::EVENT.stroke_width(2),
            ))?;
            y += 14;
        }
        placed.push((m, px, top));
    }
    for (m, px, top) in placed {
        if m.label.is_empty() {
            continue;
        }
        let (tw, th) = root.estimate_text_size(&m.label, &font)?;
        let (tw, th) = (tw as i32, th as i32);
        // Right of the line, or left of it when it would run off the chart.
        let left = if px + 6 + tw <= rect.2 {
            px + 6
        } else {
            px - 6 - tw
        };
        let row = rows_end
            .iter()
            .position(|&end| end < left)
            .unwrap_or(rows_end.len());
        if row == rows_end.len() {
            rows_end.push(i32::MIN);
        }
        rows_end[row] = left + tw + 8;
        let ty = top + 6 + row as i32 * (th + 8);
        root.draw(&Rectangle::new(
            [(left - 3, ty - 2), (left + tw + 3, ty + th + 3)],
            WHITE.mix(0.85).filled(),
        ))?;
        root.draw_text(
            &m.label,
            &font.pos(Pos::new(HPos::Left, VPos::Top)),
            (left, ty),
        )?;
    }
    Ok(())
}
