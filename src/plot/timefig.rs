//! A time-series figure: for each series its median over runs as a line, with
//! the middle 50 % (and optionally 90 %) of runs shaded; scheduled events as
//! dashed lines, a narrative's months as a shaded window, each labelled in a
//! strip above the data so no label covers a line, a band or another label.
//! Several panels share one y scale.

use super::chart::{self, Key, Look};
use super::render::{DrawResult, Figure, Rect};
use super::sample::Bands;
use super::style;
use super::table::Table;
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
    /// Width of the median line.
    pub line_width: u32,
    /// Dashes and glyphs (default: a plain solid line).
    pub look: Look,
    /// Edge the 50 % band with thin lines in the series' dashes (for
    /// overlapping bands of several scenarios).
    pub edged: bool,
}

#[derive(Debug, Clone)]
pub struct Panel {
    /// Heading above the panel (when there are several).
    pub heading: Option<String>,
    pub series: Vec<BandSeries>,
}

/// A scheduled event: a dashed line at `month` with `label` above it, or, with
/// `until`, a shaded window over months `month..until` (a narrative).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub month: u32,
    pub label: String,
    pub until: Option<u32>,
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

    /// Looks of the legend keys, when any series has dashes or glyphs.
    fn looks(&self) -> Vec<Look> {
        let mut seen: Vec<&str> = Vec::new();
        let mut looks = Vec::new();
        for s in self.panels.iter().flat_map(|p| &p.series) {
            if !seen.contains(&s.label.as_str()) {
                seen.push(&s.label);
                looks.push(s.look);
            }
        }
        if looks.iter().any(|l| *l != Look::default()) {
            looks
        } else {
            Vec::new()
        }
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
        let header = chart::Header::new(root, &self.title, &self.note, &keys, &key_lines)
            .with_looks(self.looks());
        let (head, body) = root.split_vertically(header.height());
        header.draw(&head)?;
        let (y0, y1) = self.y_range();
        let x: Vec<i32> = (0..=self.months as i32).collect();
        let x_range =
            || (0..self.months.max(1) as i32).with_key_points(chart::month_ticks(self.months));
        let areas = body.split_evenly((1, self.panels.len().max(1)));
        let font = style::text(style::NOTE_PX).color(&style::INK);
        let y_area = |i: usize| if i == 0 { 90 } else { 60 };

        // Where the labels go: x positions do not depend on the chart's height,
        // so a provisional chart of the full panel gives them.
        let mut layouts = Vec::new();
        for (i, area) in areas.iter().enumerate().take(self.panels.len()) {
            let probe = ChartBuilder::on(area)
                .margin_left(10)
                .margin_right(45)
                .x_label_area_size(70)
                .y_label_area_size(y_area(i))
                .build_cartesian_2d(x_range(), y0..y1)?;
            let rect = chart::plot_rect(probe.plotting_area());
            let items: Vec<(i32, i32)> = events
                .on_chart
                .iter()
                .map(|m| {
                    let px = probe.backend_coord(&(m.month as i32, y1)).0;
                    let tw = root.estimate_text_size(&m.label, &font).map_or(0, |s| s.0) as i32;
                    (px, tw)
                })
                .collect();
            layouts.push(layout_labels(&items, rect.2));
        }
        let th = root.estimate_text_size("Ag", &font)?.1 as i32;
        let row_h = th + 8;
        let rows = layouts
            .iter()
            .flatten()
            .map(|&(r, _)| r + 1)
            .max()
            .unwrap_or(0);
        let strip = if rows == 0 {
            0
        } else {
            rows as i32 * row_h + 6
        };
        let heading_h = if self.panels.iter().any(|p| p.heading.is_some()) {
            32
        } else {
            0
        };

        let mut rects = Vec::new();
        for (i, (area, panel)) in areas.iter().zip(&self.panels).enumerate() {
            let (top, rest) = area.split_vertically(heading_h + strip + 10);
            let mut ch = ChartBuilder::on(&rest)
                .margin_left(10)
                .margin_right(45)
                .margin_bottom(10)
                .x_label_area_size(70)
                .y_label_area_size(y_area(i))
                .build_cartesian_2d(x_range(), y0..y1)?;
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
            let rect = chart::plot_rect(ch.plotting_area());
            if let Some(h) = &panel.heading {
                let centre = Pos::new(HPos::Center, VPos::Top);
                root.draw_text(
                    h,
                    &style::label().color(&style::INK).pos(centre),
                    ((rect.0 + rect.2) / 2, top.get_base_pixel().1 + 4),
                )?;
            }
            // Events under the data, so no line or band is hidden by them.
            draw_events(root, &ch, &events.on_chart, (y0, y1), rect)?;
            for s in &panel.series {
                let n = s.bands.len().min(x.len());
                let xs = &x[..n];
                if s.with_90 {
                    chart::band(&mut ch, xs, &s.bands.q05, &s.bands.q95, s.colour.mix(0.12))?;
                }
                chart::band(&mut ch, xs, &s.bands.q25, &s.bands.q75, s.colour.mix(0.22))?;
            }
            // Styled series edge their bands in their own dashes, so where
            // bands overlap each one's extent can still be read.
            for s in panel.series.iter().filter(|s| s.edged) {
                let n = s.bands.len().min(x.len());
                let edge = Look {
                    glyph: None,
                    ..s.look
                };
                for q in [&s.bands.q25, &s.bands.q75] {
                    chart::styled_line(root, &ch, &x[..n], &q[..n], s.colour, 1, edge)?;
                }
            }
            for s in &panel.series {
                let n = s.bands.len().min(x.len());
                if s.look == Look::default() {
                    chart::line(
                        &mut ch,
                        &x[..n],
                        &s.bands.q50[..n],
                        s.colour.stroke_width(s.line_width),
                    )?;
                } else {
                    chart::styled_line(
                        root,
                        &ch,
                        &x[..n],
                        &s.bands.q50[..n],
                        s.colour,
                        s.line_width,
                        s.look,
                    )?;
                }
            }
            // Labels in the strip above the data, joined to their event by a
            // thin line that no other label crosses.
            for (m, &(row, left)) in events.on_chart.iter().zip(&layouts[i]) {
                let px = ch.backend_coord(&(m.month as i32, y1)).0;
                if px < rect.0 || px > rect.2 || m.label.is_empty() {
                    continue;
                }
                let ty = rect.1 - 6 - (row as i32 + 1) * row_h + 4;
                root.draw(&PathElement::new(
                    vec![(px, rect.1), (px, ty)],
                    style::EVENT.stroke_width(1),
                ))?;
                root.draw_text(
                    &m.label,
                    &font.pos(Pos::new(HPos::Left, VPos::Top)),
                    (left, ty),
                )?;
            }
            rects.push(rect);
        }
        Ok(rects)
    }

    fn data(&self) -> Table {
        let mut t = Table::new(&[
            "panel", "series", "month", "date", "median", "q25", "q75", "q05", "q95",
        ]);
        for p in &self.panels {
            for s in &p.series {
                let b = &s.bands;
                for m in 0..b.len().min(self.months as usize + 1) {
                    let opt = |v: &[f64]| {
                        if s.with_90 {
                            v.get(m).copied().unwrap_or(f64::NAN)
                        } else {
                            f64::NAN
                        }
                    };
                    t.push(vec![
                        p.heading.clone().unwrap_or_default().into(),
                        s.label.as_str().into(),
                        m.into(),
                        chart::iso_month(m as i32).into(),
                        b.q50[m].into(),
                        b.q25[m].into(),
                        b.q75[m].into(),
                        opt(&b.q05).into(),
                        opt(&b.q95).into(),
                    ]);
                }
            }
        }
        t
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
                    last.until = last.until.max(m.until);
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
                .map(|(i, m)| {
                    let when = match m.until {
                        Some(u) => format!("months {}–{}", m.month, u.saturating_sub(1)),
                        None => format!("month {}", m.month),
                    };
                    format!("{}: {} ({when})", letter(i), m.label)
                })
                .collect(),
            on_chart: merged
                .into_iter()
                .enumerate()
                .map(|(i, m)| Marker {
                    label: letter(i),
                    ..m
                })
                .collect(),
        }
    }
}

/// Rows and left edges of event labels, given each label's event position
/// `px` and text width (in order of `px`), for a chart whose data region ends
/// at `right`. Row 0 is just above the data; a label sits right of its event
/// (left of it when it would run past `right`) in the lowest row where it
/// overlaps no other label and no other event's connecting line crosses it
/// (a connector runs from the data up to its own label's row). Labels are
/// placed from the rightmost event leftwards, so a long label climbs over the
/// connectors of the events it spans instead of blocking them.
pub fn layout_labels(items: &[(i32, i32)], right: i32) -> Vec<(usize, i32)> {
    const GAP: i32 = 8;
    let mut placed: Vec<(usize, i32, i32, i32)> = Vec::new(); // (row, px, left, right)
    let mut out = vec![(0, 0); items.len()];
    for (k, &(px, tw)) in items.iter().enumerate().rev() {
        let left = if px + 6 + tw <= right {
            px + 6
        } else {
            px - 6 - tw
        };
        let end = left + tw;
        let clash = |row: usize| {
            placed.iter().any(|&(r, opx, ol, or)| {
                let same_row = r == row && left < or + GAP && ol < end + GAP;
                let its_line_crosses_me = r > row && opx >= left - GAP && opx <= end + GAP;
                let my_line_crosses_it = r < row && px >= ol - GAP && px <= or + GAP;
                same_row || its_line_crosses_me || my_line_crosses_it
            })
        };
        // Above every placed label only this connector can clash (events less
        // than a few pixels apart); then the label takes that top row.
        let top = placed.iter().map(|p| p.0 + 1).max().unwrap_or(0);
        let row = (0..=top).find(|&r| !clash(r)).unwrap_or(top);
        placed.push((row, px, left, end));
        out[k] = (row, left);
    }
    out
}

type MonthChart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<
        plotters::coord::combinators::WithKeyPoints<plotters::coord::types::RangedCoordi32>,
        plotters::coord::types::RangedCoordf64,
    >,
>;

/// Events inside the data region: a grey window for a narrative's months, a
/// dashed line for a change.
fn draw_events<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    ch: &MonthChart<'_, DB>,
    markers: &[Marker],
    (y0, y1): (f64, f64),
    rect: Rect,
) -> DrawResult<(), DB> {
    for m in markers {
        let (px, top) = ch.backend_coord(&(m.month as i32, y1));
        let (_, bottom) = ch.backend_coord(&(m.month as i32, y0));
        if px < rect.0 || px > rect.2 {
            continue;
        }
        if let Some(until) = m.until {
            let (qx, _) = ch.backend_coord(&(until as i32, y1));
            let qx = qx.min(rect.2).max((px + 2).min(rect.2));
            root.draw(&Rectangle::new(
                [(px, top), (qx, bottom)],
                style::WINDOW.filled(),
            ))?;
            for edge in [px, qx] {
                root.draw(&PathElement::new(
                    vec![(edge, top), (edge, bottom)],
                    style::EVENT.stroke_width(1),
                ))?;
            }
        } else {
            let mut y = top;
            while y < bottom {
                root.draw(&PathElement::new(
                    vec![(px, y), (px, (y + 8).min(bottom))],
                    style::EVENT.stroke_width(2),
                ))?;
                y += 14;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::layout_labels;

    #[test]
    fn labels_never_overlap_each_other_or_other_events_lines() {
        // Three events close together, long labels: each gets its own row,
        // and no connector runs through a label above it.
        let items = [(100, 300), (150, 200), (160, 50), (700, 100)];
        let rows = layout_labels(&items, 1000);
        for (i, &(ri, li)) in rows.iter().enumerate() {
            let ei = li + items[i].1;
            for (j, &(rj, lj)) in rows.iter().enumerate() {
                if i == j {
                    continue;
                }
                let ej = lj + items[j].1;
                assert!(!(ri == rj && li < ej && lj < ei), "{i} and {j} overlap");
                // j's connector (px_j) crosses label i when j sits higher.
                let pxj = items[j].0;
                assert!(
                    !(rj > ri && pxj >= li && pxj <= ei),
                    "line {j} crosses label {i}"
                );
            }
        }
        assert_eq!(rows[3].0, 0, "a far event stays on the first row");
        // A long label whose span covers the next event's line (this used to
        // leave no free row at all).
        let rows = layout_labels(&[(100, 400), (200, 100)], 1000);
        assert_eq!(rows[1].0, 0);
        assert_eq!(rows[0].0, 1);
        // A label that would run past the right edge goes left of its event.
        assert_eq!(layout_labels(&[(980, 100)], 1000), vec![(0, 874)]);
    }
}
