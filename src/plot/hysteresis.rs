//! The teaching figure for self-fulfilling failure, drawn from the table of
//! the hysteresis experiment ([`crate::hysteresis`]: the model is stepped
//! there, never here). Engaged share against failure-narrative strength: the
//! way up (strengthening) and the way back (easing), each a median line with
//! its middle-50 % band. If engagement collapses on the way up and does not
//! come back at the same strength on the way down, the branches part:
//! hysteresis.

use super::chart::{self, Glyph, Key, Look};
use super::render::{DrawResult, Figure, Rect};
use super::style;
use super::table::Table;
use crate::hysteresis::{Branch, Design, Summary};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub struct HysteresisFigure {
    pub title: String,
    pub note: String,
    /// The experiment's summary table: what is drawn, all of it.
    pub summary: Summary,
}

pub fn figure(design: &Design, summary: &Summary) -> HysteresisFigure {
    let tip = match summary.tipping_point() {
        Some(t) => format!(
            "on the way up engagement falls below half its starting level at strength {}",
            chart::tick_label(t)
        ),
        None => "engagement does not fall below half its starting level".into(),
    };
    HysteresisFigure {
        title: format!(
            "Hysteresis: engagement as a failure narrative rises, then eases — {}",
            design.name()
        ),
        note: format!(
            "each point: engaged share after {} months at that strength (mean of the last {}); line: median of {} CCGs of {} practices that keep their state throughout; band: middle 50 %; {tip}",
            design.months_per_step,
            design.window(),
            design.replicates,
            design.practices
        ),
        summary: summary.clone(),
    }
}

pub const X_LABEL: &str = "failure-narrative strength (0 = none, 1 = strongest)";

/// (strength, q25, median, q75) of one branch, ascending strength.
fn branch(s: &Summary, b: Branch) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let rows: Vec<_> = s.branch(b).collect();
    (
        rows.iter().map(|r| r.strength).collect(),
        rows.iter().map(|r| r.q25).collect(),
        rows.iter().map(|r| r.median).collect(),
        rows.iter().map(|r| r.q75).collect(),
    )
}

/// The two branches' looks: the way up a wide solid line with filled
/// circles, the way back a dashed line with hollow squares drawn on top, so
/// both show where they coincide.
pub const UP_LOOK: Look = Look {
    dash: None,
    glyph: Some(Glyph::Circle),
    every: 1,
    offset: 0,
    hollow: false,
};
pub const DOWN_LOOK: Look = Look {
    dash: Some((12, 8)),
    glyph: Some(Glyph::Square),
    every: 1,
    offset: 0,
    hollow: true,
};

impl Figure for HysteresisFigure {
    fn stem(&self) -> String {
        "hysteresis".into()
    }
    fn title(&self) -> String {
        self.title.clone()
    }

    fn data(&self) -> Table {
        let mut t = Table::new(&["branch", "strength", "runs", "median", "q25", "q75"]);
        for r in &self.summary.rows {
            t.push(vec![
                r.branch.name().into(),
                r.strength.into(),
                r.runs.into(),
                r.median.into(),
                r.q25.into(),
                r.q75.into(),
            ]);
        }
        t
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<Vec<Rect>, DB> {
        let max = self
            .summary
            .rows
            .iter()
            .map(|r| r.strength)
            .fold(0.0, f64::max);
        let max = if max > 0.0 { max } else { 1.0 };
        let down_drawn = self.summary.branch(Branch::Down).next().is_some();
        let mut keys = vec![Key {
            label: format!(
                "strengthening the narrative (0 → {}) ▶",
                chart::tick_label(max)
            ),
            colour: style::colour(0),
            filled: false,
        }];
        let mut looks = vec![UP_LOOK];
        if down_drawn {
            keys.push(Key {
                label: format!("◀ easing it again ({} → 0)", chart::tick_label(max)),
                colour: style::colour(1),
                filled: false,
            });
            looks.push(DOWN_LOOK);
        }
        let header =
            chart::Header::new(root, &self.title, &self.note, &keys, &[]).with_looks(looks);
        let (head, body) = root.split_vertically(header.height());
        header.draw(&head)?;
        let mut ch = ChartBuilder::on(&body)
            .margin(10)
            .margin_right(45)
            .x_label_area_size(70)
            .y_label_area_size(90)
            .build_cartesian_2d(-0.02 * max..1.02 * max, -0.04..1.04)?;
        ch.configure_mesh()
            .x_desc(X_LABEL)
            .y_desc("share of practices engaged (0–1)")
            .x_label_formatter(&|v| chart::tick_label(*v))
            .y_label_formatter(&|v| chart::tick_label(*v))
            .label_style(style::tick().color(&style::INK))
            .axis_desc_style(style::label().color(&style::INK))
            .bold_line_style(style::GRID)
            .light_line_style(TRANSPARENT)
            .axis_style(style::GREY_TEXT)
            .draw()?;
        let rect = chart::plot_rect(ch.plotting_area());
        let drawn: Vec<(Branch, RGBColor, Look, u32)> = [
            (Branch::Up, style::colour(0), UP_LOOK, 6),
            (Branch::Down, style::colour(1), DOWN_LOOK, 3),
        ]
        .into_iter()
        .filter(|(b, ..)| self.summary.branch(*b).next().is_some())
        .collect();
        for &(b, colour, ..) in &drawn {
            let (x, lo, _, hi) = branch(&self.summary, b);
            chart::band(&mut ch, &x, &lo, &hi, colour.mix(0.18))?;
        }
        // The tipping point: a thin grey line and its value, under the data.
        if let Some(t) = self.summary.tipping_point() {
            let (px, top) = ch.backend_coord(&(t, 1.04));
            let (_, bottom) = ch.backend_coord(&(t, -0.04));
            root.draw(&PathElement::new(
                vec![(px, top), (px, bottom)],
                style::EVENT.stroke_width(1),
            ))?;
            let label = format!("tips at {}", chart::tick_label(t));
            let font = style::text(style::NOTE_PX).color(&style::INK);
            let tw = root.estimate_text_size(&label, &font)?.0 as i32;
            let left = if px + 6 + tw <= rect.2 {
                px + 6
            } else {
                px - 6 - tw
            };
            root.draw_text(
                &label,
                &font.pos(Pos::new(HPos::Left, VPos::Top)),
                (left, top + 4),
            )?;
        }
        for &(b, colour, look, width) in &drawn {
            let (x, _, med, _) = branch(&self.summary, b);
            chart::styled_line(root, &ch, &x, &med, colour, width, look)?;
            // Arrowheads on every other segment (alternating between the branches
            // so they do not sit on each other), pointing the way the narrative moves.
            let forward = b == Branch::Up;
            for i in (usize::from(!forward)..x.len().saturating_sub(1)).step_by(2) {
                let (a, c) = if forward { (i, i + 1) } else { (i + 1, i) };
                if !(med[a].is_finite() && med[c].is_finite()) {
                    continue;
                }
                let pa = ch.backend_coord(&(x[a], med[a]));
                let pc = ch.backend_coord(&(x[c], med[c]));
                if (pa.0 - pc.0).abs() + (pa.1 - pc.1).abs() > 30 {
                    root.draw(&arrowhead(pa, pc, colour))?;
                }
            }
        }
        Ok(vec![rect])
    }
}

/// A filled triangle at the middle of the segment `from → to`, pointing to `to`.
fn arrowhead(from: (i32, i32), to: (i32, i32), colour: RGBColor) -> Polygon<(i32, i32)> {
    let (dx, dy) = ((to.0 - from.0) as f64, (to.1 - from.1) as f64);
    let len = (dx * dx + dy * dy).sqrt().max(1e-9);
    let (ux, uy) = (dx / len, dy / len);
    let (mx, my) = ((from.0 + to.0) as f64 / 2.0, (from.1 + to.1) as f64 / 2.0);
    let (l, w) = (14.0, 7.0);
    let tip = (mx + ux * l / 2.0, my + uy * l / 2.0);
    let back = (mx - ux * l / 2.0, my - uy * l / 2.0);
    let p = |x: f64, y: f64| (x.round() as i32, y.round() as i32);
    Polygon::new(
        vec![
            p(tip.0, tip.1),
            p(back.0 - uy * w, back.1 + ux * w),
            p(back.0 + uy * w, back.1 - ux * w),
        ],
        colour.filled(),
    )
}
