//! The teaching figure for self-fulfilling failure: a CCG lives through a
//! failure narrative that is strengthened step by step and then eased step by
//! step, keeping its state throughout (numerical continuation). If engagement
//! collapses on the way up and does not come back at the same strength on the
//! way down, the two branches part: hysteresis.

use super::chart::{self, Key};
use super::render::{DrawResult, Figure, Rect};
use super::sample::quantile_sorted;
use super::style;
use crate::engine::Schedule;
use crate::error::{Error, Result};
use crate::model::{Ccg, rng::Stream};
use crate::scenario::{Params, Scenario};
use plotters::coord::Shift;
use plotters::prelude::*;
use rayon::prelude::*;

/// Mixed into every stream so these runs never share draws with a scenario's runs.
const STREAM_TAG: u64 = 0x6879_7374_6572_6573; // "hysteres"

#[derive(Debug, Clone)]
pub struct Setup {
    pub scenario: String,
    /// Parameters held fixed (a scenario's month-0 parameters).
    pub params: Params,
    pub practices: u32,
    pub seed: u64,
    /// Failure-narrative strengths, ascending from 0.
    pub levels: Vec<f64>,
    pub months_per_step: u32,
    pub replicates: u32,
}

impl Default for Setup {
    fn default() -> Setup {
        let params = Params::default();
        Setup {
            scenario: "model defaults".into(),
            practices: params.ccg.practices,
            params,
            seed: 1,
            levels: levels(21, 0.4).expect("valid defaults"),
            months_per_step: 36,
            replicates: 40,
        }
    }
}

impl Setup {
    /// A scenario's parameters in force at month 0, its seed, and its median CCG size.
    pub fn from_scenario(scn: &Scenario) -> Setup {
        let mut sizes = scn.ccg_sizes();
        sizes.sort_unstable();
        Setup {
            scenario: scn.name.clone(),
            params: Schedule::new(scn).params(0).clone(),
            practices: sizes.get(sizes.len() / 2).copied().unwrap_or(1),
            seed: scn.seed,
            ..Setup::default()
        }
    }

    /// Months at the end of each step over which engagement is averaged.
    pub fn window(&self) -> u32 {
        (self.months_per_step / 4).max(1)
    }
}

/// `steps` evenly spaced strengths from 0 to `max` inclusive.
pub fn levels(steps: u32, max: f64) -> Result<Vec<f64>> {
    if !(2..=201).contains(&steps) {
        return Err(Error::Usage(format!(
            "--steps {steps} is out of range; allowed an integer from 2 to 201"
        )));
    }
    if !(max > 0.0 && max <= 1.0) {
        return Err(Error::Usage(format!(
            "--max-strength {max} is out of range; allowed a number above 0 and at most 1"
        )));
    }
    Ok((0..steps)
        .map(|i| max * i as f64 / (steps - 1) as f64)
        .collect())
}

/// Engaged share at each strength: `up[k][r]` while strengthening, `down[k][r]`
/// while easing (both indexed by `levels[k]`; `down[top] == up[top]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Branches {
    pub levels: Vec<f64>,
    pub up: Vec<Vec<f64>>,
    pub down: Vec<Vec<f64>>,
}

fn engaged_share(c: &Ccg) -> f64 {
    let n = c.practices.len();
    if n == 0 {
        return 0.0;
    }
    c.practices.engagement.iter().filter(|&&e| e >= 1).count() as f64 / n as f64
}

/// Hold strength `s` for `months`; return the mean engaged share of the last `window` months.
fn settle(c: &mut Ccg, p: &Params, s: f64, months: u32, window: u32) -> f64 {
    let mut sum = 0.0;
    for m in 0..months {
        c.step(p, s);
        if m >= months - window {
            sum += engaged_share(c);
        }
    }
    sum / window as f64
}

/// Follow `replicates` CCGs up and down the strengths (in parallel; each
/// replicate's stream depends only on the seed and its number).
pub fn compute(setup: &Setup) -> Branches {
    let k = setup.levels.len();
    let (months, window) = (setup.months_per_step, setup.window());
    let per_rep: Vec<(Vec<f64>, Vec<f64>)> = (0..setup.replicates)
        .into_par_iter()
        .map(|r| {
            let stream = Stream::derive(setup.seed, &[STREAM_TAG, r as u64]);
            let mut c = Ccg::new(&setup.params, setup.practices as usize, stream);
            let up: Vec<f64> = setup
                .levels
                .iter()
                .map(|&s| settle(&mut c, &setup.params, s, months, window))
                .collect();
            let mut down = vec![0.0; k];
            down[k - 1] = up[k - 1];
            for i in (0..k - 1).rev() {
                down[i] = settle(&mut c, &setup.params, setup.levels[i], months, window);
            }
            (up, down)
        })
        .collect();
    let (mut up, mut down) = (vec![Vec::new(); k], vec![Vec::new(); k]);
    for (u, d) in &per_rep {
        for i in 0..k {
            up[i].push(u[i]);
            down[i].push(d[i]);
        }
    }
    Branches {
        levels: setup.levels.clone(),
        up,
        down,
    }
}

fn quartiles(v: &[f64]) -> (f64, f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    (
        quantile_sorted(&s, 0.25),
        quantile_sorted(&s, 0.5),
        quantile_sorted(&s, 0.75),
    )
}

pub struct HysteresisFigure {
    pub title: String,
    pub note: String,
    pub levels: Vec<f64>,
    /// (q25, median, q75) per level, for each branch.
    pub up: Vec<(f64, f64, f64)>,
    pub down: Vec<(f64, f64, f64)>,
}

pub fn figure(setup: &Setup, b: &Branches) -> HysteresisFigure {
    HysteresisFigure {
        title: format!(
            "Hysteresis: engagement as a failure narrative rises, then eases — {}",
            setup.scenario
        ),
        note: format!(
            "each point: engaged share after {} months at that strength (mean of the last {}); line: median of {} CCGs of {} practices that keep their state throughout; band: middle 50 %",
            setup.months_per_step,
            setup.window(),
            setup.replicates,
            setup.practices
        ),
        levels: b.levels.clone(),
        up: b.up.iter().map(|v| quartiles(v)).collect(),
        down: b.down.iter().map(|v| quartiles(v)).collect(),
    }
}

pub const X_LABEL: &str = "failure-narrative strength (0 = none, 1 = strongest)";

impl Figure for HysteresisFigure {
    fn stem(&self) -> String {
        "hysteresis".into()
    }
    fn title(&self) -> String {
        self.title.clone()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<Vec<Rect>, DB> {
        let max = self.levels.last().copied().unwrap_or(1.0);
        let keys = [
            Key {
                label: format!(
                    "strengthening the narrative (0 → {}) ▶",
                    chart::tick_label(max)
                ),
                colour: style::colour(0),
                filled: false,
            },
            Key {
                label: format!("◀ easing it again ({} → 0)", chart::tick_label(max)),
                colour: style::colour(1),
                filled: false,
            },
        ];
        let header = chart::Header::new(root, &self.title, &self.note, &keys, &[]);
        let (head, body) = root.split_vertically(header.height());
        header.draw(&head)?;
        let mut ch = ChartBuilder::on(&body)
            .margin(10)
            .margin_right(45)
            .x_label_area_size(70)
            .y_label_area_size(90)
            .build_cartesian_2d(-0.02 * max..1.02 * max, -0.015..1.015)?;
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
        let x = &self.levels;
        for (branch, colour) in [(&self.up, style::colour(0)), (&self.down, style::colour(1))] {
            let lo: Vec<f64> = branch.iter().map(|q| q.0).collect();
            let hi: Vec<f64> = branch.iter().map(|q| q.2).collect();
            chart::band(&mut ch, x, &lo, &hi, colour.mix(0.2))?;
        }
        for (branch, colour, forward) in [
            (&self.up, style::colour(0), true),
            (&self.down, style::colour(1), false),
        ] {
            let med: Vec<f64> = branch.iter().map(|q| q.1).collect();
            // The first branch wider, so it shows around the second where they coincide.
            chart::line(
                &mut ch,
                x,
                &med,
                colour.stroke_width(if forward { 6 } else { 3 }),
            )?;
            // Arrowheads on every other segment (alternating between the branches
            // so they do not sit on each other), pointing the way the narrative moves.
            for i in (usize::from(!forward)..x.len().saturating_sub(1)).step_by(2) {
                let (a, b) = if forward { (i, i + 1) } else { (i + 1, i) };
                if !(med[a].is_finite() && med[b].is_finite()) {
                    continue;
                }
                let pa = ch.backend_coord(&(x[a], med[a]));
                let pb = ch.backend_coord(&(x[b], med[b]));
                root.draw(&arrowhead(pa, pb, colour))?;
            }
        }
        Ok(vec![chart::plot_rect(ch.plotting_area())])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_span_zero_to_max() {
        assert_eq!(levels(3, 0.5).unwrap(), vec![0.0, 0.25, 0.5]);
        assert!(levels(1, 1.0).is_err());
        assert!(levels(5, 1.5).is_err());
    }

    #[test]
    fn branches_meet_at_the_top_and_repeat_by_seed() {
        let setup = Setup {
            levels: levels(4, 1.0).unwrap(),
            months_per_step: 6,
            replicates: 3,
            practices: 12,
            ..Setup::default()
        };
        let a = compute(&setup);
        assert_eq!(a.up.len(), 4);
        assert_eq!(a.up[3], a.down[3]);
        assert_eq!(a, compute(&setup));
        assert!(a.up.iter().flatten().all(|v| (0.0..=1.0).contains(v)));
    }
}
