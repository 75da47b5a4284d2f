//! The hysteresis experiment: does a CCG come back when a failure narrative
//! eases? A design of narrative strengths, raised step by step and then
//! lowered, is one scenario whose narrative events hold each strength for
//! `months_per_step` months; the engine runs its replicates (each CCG keeps its
//! state throughout: numerical continuation), and a reducer turns every run
//! into the engaged share at the end of each step (mean over the step's last
//! quarter). The result is a tidy table ([`Outcome`] rows, `hysteresis_runs.csv`)
//! and its per-strength quartiles ([`Summary`], what the figure draws).
//!
//! The strengths need not be guessed: [`auto_max_strength`] runs a quick pilot
//! (strengths raised from 0 to 1) and sets the range to about twice the
//! strength where engagement tips, so the collapse fills the figure.

use crate::engine::{self, Plan};
use crate::error::{Error, Result};
use crate::output::tables::push_number;
use crate::scenario::{Event, NarrativeShock, Params, Scenario};
use std::path::Path;

/// Mixed into every run's stream so these runs never share draws with a
/// scenario's own runs.
pub const STREAM_TAG: u64 = 0x6879_7374_6572_6573; // "hysteres"

/// Which way the narrative is moving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Branch {
    /// Strengthening (0 → max).
    Up,
    /// Easing again (max → 0).
    Down,
}

impl Branch {
    /// As written in the CSV files.
    pub fn name(self) -> &'static str {
        match self {
            Branch::Up => "strengthening",
            Branch::Down => "easing",
        }
    }
}

/// The experiment's design: what is held fixed, and the strengths visited.
#[derive(Debug, Clone)]
pub struct Design {
    /// The scenario providing the parameters (at month 0) and the seed.
    pub base: Scenario,
    pub practices: u32,
    pub seed: u64,
    /// Failure-narrative strengths, ascending from 0.
    pub levels: Vec<f64>,
    pub months_per_step: u32,
    pub replicates: u32,
    /// Ease the narrative again after the top (false: the way up only).
    pub return_path: bool,
}

impl Design {
    /// The model's defaults (one CCG of the default size, seed 1).
    pub fn defaults() -> Design {
        let base = crate::scenario::parse(
            "[scenario]\nname = \"model defaults\"\n",
            Path::new("defaults"),
        )
        .expect("an empty scenario is valid");
        Design::from_scenario(&base)
    }

    /// A scenario's parameters in force at month 0, its seed, and its median CCG size.
    pub fn from_scenario(scn: &Scenario) -> Design {
        let mut sizes = scn.ccg_sizes();
        sizes.sort_unstable();
        let mut base = scn.clone();
        base.params = engine::Schedule::new(scn).params(0).clone();
        Design {
            practices: sizes.get(sizes.len() / 2).copied().unwrap_or(1),
            seed: scn.seed,
            base,
            levels: levels(21, 0.4).expect("valid defaults"),
            months_per_step: 36,
            replicates: 40,
            return_path: true,
        }
    }

    pub fn name(&self) -> &str {
        &self.base.name
    }

    pub fn params(&self) -> &Params {
        &self.base.params
    }

    /// Months at the end of each step over which engagement is averaged.
    pub fn window(&self) -> u32 {
        (self.months_per_step / 4).max(1)
    }

    /// The steps in the order they are lived: up through every level, then
    /// (with the return path) down from the one below the top to 0.
    pub fn steps(&self) -> Vec<(Branch, usize)> {
        let k = self.levels.len();
        let mut s: Vec<(Branch, usize)> = (0..k).map(|i| (Branch::Up, i)).collect();
        if self.return_path {
            s.extend((0..k.saturating_sub(1)).rev().map(|i| (Branch::Down, i)));
        }
        s
    }

    /// The design as one scenario: step `j` covers months `j·m + 1 ..= (j+1)·m`
    /// (m = months per step), with a narrative event of that step's strength.
    pub fn plan(&self) -> Plan {
        let m = self.months_per_step;
        let steps = self.steps();
        let mut scn = self.base.clone();
        scn.params.ccg.practices = self.practices;
        scn.population = None;
        scn.seed = self.seed;
        scn.replicates = self.replicates;
        scn.months = steps.len() as u32 * m;
        scn.events = steps
            .iter()
            .enumerate()
            .filter(|(_, (_, i))| self.levels[*i] > 0.0)
            .map(|(j, &(b, i))| Event {
                month: j as u32 * m + 1,
                label: format!("{} {}", b.name(), self.levels[i]),
                set: Vec::new(),
                ramp: Vec::new(),
                ramp_months: 0,
                narrative: Some(NarrativeShock {
                    strength: self.levels[i],
                    duration: m,
                }),
                line: 0,
            })
            .collect();
        let mut plan = Plan::new(scn);
        plan.stream_prefix = vec![STREAM_TAG];
        plan
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

/// One run at the end of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub branch: Branch,
    /// Position in the sequence of steps (0 = first month block).
    pub step: usize,
    pub strength: f64,
    pub replicate: u32,
    /// Mean engaged share over the step's last [`Design::window`] months.
    pub engaged_share: f64,
}

/// The reducer: a run's engaged share at the end of each step.
fn reduce(design: &Design, plan: &Plan, index: u64) -> Vec<f64> {
    let (m, w) = (design.months_per_step, design.window());
    let mut sums = vec![0.0; design.steps().len()];
    let id = plan.run_id(index);
    plan.simulate(id, |t, c| {
        if t == 0 {
            return;
        }
        let j = ((t - 1) / m) as usize;
        if t > (j as u32 + 1) * m - w {
            sums[j] += c.observe(plan.schedule.params(t)).engaged_share;
        }
    });
    sums.iter().map(|s| s / w as f64).collect()
}

/// Run the design on the current rayon pool; rows come back step-major, then
/// by replicate, whatever the thread count.
pub fn run(design: &Design) -> Result<Vec<Outcome>> {
    let plan = design.plan();
    let steps = design.steps();
    let mut per_run: Vec<Vec<f64>> = Vec::with_capacity(design.replicates as usize);
    engine::ordered_map(
        0..plan.runs(),
        64,
        |i| reduce(design, &plan, i),
        |_, v| {
            per_run.push(v);
            Ok(())
        },
    )?;
    let mut out = Vec::with_capacity(steps.len() * per_run.len());
    for (j, &(branch, i)) in steps.iter().enumerate() {
        for (r, v) in per_run.iter().enumerate() {
            out.push(Outcome {
                branch,
                step: j,
                strength: design.levels[i],
                replicate: r as u32,
                engaged_share: v[j],
            });
        }
    }
    Ok(out)
}

/// `hysteresis_runs.csv`: one row per step and replicate.
pub fn runs_csv(rows: &[Outcome]) -> Vec<u8> {
    let mut out = b"branch,step,strength,replicate,engaged_share\n".to_vec();
    for o in rows {
        out.extend_from_slice(o.branch.name().as_bytes());
        out.extend_from_slice(format!(",{},", o.step).as_bytes());
        push_number(o.strength, &mut out);
        out.extend_from_slice(format!(",{},", o.replicate).as_bytes());
        push_number(o.engaged_share, &mut out);
        out.push(b'\n');
    }
    out
}

/// Quartiles of the engaged share at one strength on one branch.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub branch: Branch,
    pub strength: f64,
    pub runs: usize,
    pub q25: f64,
    pub median: f64,
    pub q75: f64,
}

/// Per branch, ascending strength. The easing branch starts at the top, where
/// it shares the strengthening branch's last step, so the two lines join.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub rows: Vec<SummaryRow>,
}

impl Summary {
    pub fn of(design: &Design, rows: &[Outcome]) -> Summary {
        let top = design.levels.len().saturating_sub(1);
        let mut out = Vec::new();
        for branch in [Branch::Up, Branch::Down] {
            if branch == Branch::Down && !design.return_path {
                continue;
            }
            for (i, &s) in design.levels.iter().enumerate() {
                // The top step is lived once, on the way up.
                let from = if i == top { Branch::Up } else { branch };
                let mut v: Vec<f64> = rows
                    .iter()
                    .filter(|o| o.branch == from && o.strength == s)
                    .map(|o| o.engaged_share)
                    .collect();
                v.sort_by(f64::total_cmp);
                out.push(SummaryRow {
                    branch,
                    strength: s,
                    runs: v.len(),
                    q25: crate::stats::quantile_sorted(&v, 0.25),
                    median: crate::stats::quantile_sorted(&v, 0.5),
                    q75: crate::stats::quantile_sorted(&v, 0.75),
                });
            }
        }
        Summary { rows: out }
    }

    pub fn branch(&self, b: Branch) -> impl Iterator<Item = &SummaryRow> {
        self.rows.iter().filter(move |r| r.branch == b)
    }

    /// The weakest narrative at which the median engaged share on the way up
    /// falls below half its value without a narrative (`None`: it never does).
    pub fn tipping_point(&self) -> Option<f64> {
        let mut up = self.branch(Branch::Up);
        let start = up.next()?.median;
        up.find(|r| r.median < 0.5 * start).map(|r| r.strength)
    }
}

/// Strengths in the pilot that locates the tipping point.
pub const PILOT_STEPS: u32 = 41;
/// Replicates in the pilot (at most).
pub const PILOT_REPLICATES: u32 = 10;

/// The strongest narrative worth showing: about twice the pilot's tipping
/// point, rounded up to a round number (1 when it never tips). The pilot
/// raises the narrative from 0 to 1 in [`PILOT_STEPS`] steps, the way up only.
pub fn auto_max_strength(design: &Design) -> Result<(f64, Option<f64>)> {
    let pilot = Design {
        levels: levels(PILOT_STEPS, 1.0)?,
        replicates: design.replicates.min(PILOT_REPLICATES),
        return_path: false,
        ..design.clone()
    };
    let tip = Summary::of(&pilot, &run(&pilot)?).tipping_point();
    Ok((tip.map_or(1.0, |t| round_up(2.0 * t).min(1.0)), tip))
}

/// The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × a power of ten that is ≥ `v`.
pub fn round_up(v: f64) -> f64 {
    if v.is_nan() || v <= 0.0 {
        return 0.0;
    }
    // Divide by a power of ten below 1, so 1.5 / 10 is the double nearest 0.15.
    let e = v.log10().floor() as i32;
    let scale = |m: f64| {
        if e < 0 {
            m / 10f64.powi(-e)
        } else {
            m * 10f64.powi(e)
        }
    };
    [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .into_iter()
        .map(scale)
        .find(|&c| c >= v * (1.0 - 1e-12))
        .unwrap_or(scale(10.0))
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
    fn round_numbers() {
        assert_eq!(round_up(0.09), 0.1);
        assert_eq!(round_up(0.11), 0.15);
        assert_eq!(round_up(0.7), 0.8);
    }

    #[test]
    fn steps_go_up_then_down_and_events_hold_each_strength() {
        let d = Design {
            levels: levels(3, 0.5).unwrap(),
            months_per_step: 4,
            ..Design::defaults()
        };
        assert_eq!(
            d.steps(),
            vec![
                (Branch::Up, 0),
                (Branch::Up, 1),
                (Branch::Up, 2),
                (Branch::Down, 1),
                (Branch::Down, 0)
            ]
        );
        let plan = d.plan();
        assert_eq!(plan.scenario.months, 20);
        // Month 5..=8 is the second step (0.25), 9..=12 the top, 13..=16 back at 0.25.
        let shock: Vec<f64> = (1..=20).map(|t| plan.schedule.shock(t)).collect();
        assert_eq!(&shock[0..4], &[0.0; 4]);
        assert_eq!(&shock[4..8], &[0.25; 4]);
        assert_eq!(&shock[8..12], &[0.5; 4]);
        assert_eq!(&shock[12..16], &[0.25; 4]);
        assert_eq!(&shock[16..20], &[0.0; 4]);
    }

    #[test]
    fn runs_repeat_by_seed_and_branches_meet_at_the_top() {
        let d = Design {
            levels: levels(4, 1.0).unwrap(),
            months_per_step: 6,
            replicates: 3,
            practices: 12,
            ..Design::defaults()
        };
        let a = run(&d).unwrap();
        assert_eq!(a.len(), 7 * 3);
        assert_eq!(a, run(&d).unwrap());
        assert!(a.iter().all(|o| (0.0..=1.0).contains(&o.engaged_share)));
        let s = Summary::of(&d, &a);
        let up: Vec<_> = s.branch(Branch::Up).collect();
        let down: Vec<_> = s.branch(Branch::Down).collect();
        assert_eq!(up[3].median, down[3].median);
    }
}
