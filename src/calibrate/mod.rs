//! Calibration with uncertainty: approximate Bayesian computation (ABC-SMC)
//! of scenario parameters against observed figures, and posterior ensembles.
//!
//! The calibration is an experiment like a sweep: the design ([`abc`]'s
//! proposals) proposes points, the engine ([`crate::engine::Plan`]) evaluates
//! each point's replicates, and a reducer ([`Calibration::summaries`]) turns the
//! runs into outcomes — each target's window mean — and a distance. A point's
//! values are applied to a base scenario with the sweep's [`Axis`].
//!
//! [`posterior`] reads a `posterior.csv` back so that `run`, `compare`,
//! `sweep` and `validate` draw one particle per replicate.

pub mod abc;
pub mod figures;
pub mod output;
mod parse;
pub mod posterior;

pub use abc::{Checkpoint, Generation, Model, Settings, Stop};
pub use parse::{load, parse};
pub use posterior::Posterior;

use crate::engine::Plan;
use crate::model::Observation;
use crate::model::rng::Stream;
use crate::scenario::Scenario;
use crate::sweep::{Axis, apply_point as apply};
use serde::Serialize;
use statrs::function::erf::{erf, erf_inv};
use std::path::PathBuf;

/// A prior's shape.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dist {
    Uniform {
        low: f64,
        high: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// log x ~ Normal(ln median, sd_log).
    Lognormal {
        median: f64,
        sd_log: f64,
    },
}

/// A prior on one parameter, truncated to `[low, high]`.
#[derive(Debug, Clone, Serialize)]
pub struct Prior {
    pub path: String,
    pub dist: Dist,
    pub low: f64,
    pub high: f64,
}

fn phi(z: f64) -> f64 {
    0.5 * (1.0 + erf(z / std::f64::consts::SQRT_2))
}

fn phi_inv(p: f64) -> f64 {
    std::f64::consts::SQRT_2 * erf_inv(2.0 * p - 1.0)
}

impl Prior {
    /// The normal behind the shape, on the scale it is normal on (x, or ln x).
    fn normal_scale(&self) -> Option<(f64, f64, bool)> {
        match self.dist {
            Dist::Uniform { .. } => None,
            Dist::Normal { mean, sd } => Some((mean, sd, false)),
            Dist::Lognormal { median, sd_log } => Some((median.ln(), sd_log, true)),
        }
    }

    /// Bounds on the normal's scale.
    fn scaled_bounds(&self, log: bool) -> (f64, f64) {
        if log {
            let lo = if self.low > 0.0 {
                self.low.ln()
            } else {
                f64::NEG_INFINITY
            };
            (lo, self.high.ln())
        } else {
            (self.low, self.high)
        }
    }

    /// Prior probability inside the bounds (1 for a uniform).
    pub fn mass(&self) -> f64 {
        match self.normal_scale() {
            None => 1.0,
            Some((m, sd, log)) => {
                let (a, b) = self.scaled_bounds(log);
                phi((b - m) / sd) - phi((a - m) / sd)
            }
        }
    }

    /// Unnormalised density (constant factors cancel in ABC weights); 0 outside the bounds.
    pub fn density(&self, x: f64) -> f64 {
        if !(x >= self.low && x <= self.high) {
            return 0.0;
        }
        match self.dist {
            Dist::Uniform { .. } => 1.0,
            Dist::Normal { mean, sd } => (-0.5 * ((x - mean) / sd).powi(2)).exp(),
            Dist::Lognormal { median, sd_log } => {
                if x <= 0.0 {
                    0.0
                } else {
                    (-0.5 * ((x.ln() - median.ln()) / sd_log).powi(2)).exp() / x
                }
            }
        }
    }

    /// One draw from the truncated prior, by inversion (exact, one uniform).
    pub fn sample(&self, s: &mut Stream) -> f64 {
        let u = s.unit();
        let x = match self.normal_scale() {
            None => self.low + u * (self.high - self.low),
            Some((m, sd, log)) => {
                let (a, b) = self.scaled_bounds(log);
                let (pa, pb) = (phi((a - m) / sd), phi((b - m) / sd));
                let p = (pa + u * (pb - pa)).clamp(1e-300, 1.0 - 1e-16);
                let z = m + sd * phi_inv(p);
                if log { z.exp() } else { z }
            }
        };
        x.clamp(self.low, self.high)
    }

    /// The quantile `q` of the truncated prior (for figures).
    pub fn quantile(&self, q: f64) -> f64 {
        match self.normal_scale() {
            None => self.low + q * (self.high - self.low),
            Some((m, sd, log)) => {
                let (a, b) = self.scaled_bounds(log);
                let (pa, pb) = (phi((a - m) / sd), phi((b - m) / sd));
                let z = m + sd * phi_inv((pa + q * (pb - pa)).clamp(1e-300, 1.0 - 1e-16));
                (if log { z.exp() } else { z }).clamp(self.low, self.high)
            }
        }
    }
}

/// One observed figure the simulations are compared with.
#[derive(Debug, Clone, Serialize)]
pub struct Observed {
    pub name: String,
    /// Index into [`Calibration::scenarios`].
    pub scenario: usize,
    pub observable: String,
    #[serde(skip)]
    pub column: usize,
    /// Window: months `from..=to`.
    pub from: u32,
    pub to: u32,
    /// How a run's window becomes one number.
    pub reduce: Reduce,
    pub value: f64,
    /// Standard error the distance divides by (given `sd`, or binomial from `n`).
    pub se: f64,
}

/// How a target turns one run's window into one number; the runs' numbers
/// are then averaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reduce {
    /// The mean over the window's months (the default).
    Mean,
    /// 1 when the observable is above zero in any month of the window, else 0:
    /// averaged over runs, the share of CCGs in which it happened at all (e.g.
    /// a CCG that lost at least one GP leader).
    Any,
}

/// A validated calibration file.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub file: PathBuf,
    pub file_hash: String,
    pub settings: Settings,
    /// Runs per particle per scenario.
    pub replicates: u32,
    pub priors: Vec<Prior>,
    /// How each prior's value is applied to a scenario (as a sweep axis is).
    pub axes: Vec<Axis>,
    pub targets: Vec<Observed>,
    /// The targets' scenarios, each run only as far as its last target month.
    pub scenarios: Vec<Scenario>,
    /// BLAKE3 of everything that decides the result (not threads).
    pub hash: String,
}

/// Stream coordinate marking simulations of the calibration.
const SIMULATE: u64 = 0x5151;

impl Calibration {
    /// Scenario `g` with the point `theta` applied, or `None` when the point
    /// breaks a rule that involves several parameters (cut points must rise).
    pub fn point_scenario(&self, g: usize, theta: &[f64]) -> Option<Scenario> {
        let mut scn = self.scenarios[g].clone();
        apply(&mut scn, &self.axes, theta);
        let b = &scn.params.behaviour;
        (b.cut_1 < b.cut_2 && b.cut_2 < b.cut_3).then_some(scn)
    }

    /// The reducer: every target's mean over its window, averaged over all
    /// runs (replicates × CCGs) of its scenario, at `theta`; streams from
    /// (seed, generation, attempt, scenario, replicate, ccg).
    pub fn summaries(&self, theta: &[f64], coords: [u64; 2]) -> Option<Vec<f64>> {
        let mut out = vec![0.0; self.targets.len()];
        for g in 0..self.scenarios.len() {
            let scn = self.point_scenario(g, theta)?;
            let mut plan = Plan::new(scn);
            plan.stream_prefix = vec![SIMULATE, coords[0], coords[1], g as u64];
            let mine: Vec<usize> = (0..self.targets.len())
                .filter(|&k| self.targets[k].scenario == g)
                .collect();
            let mut sums = vec![0.0; mine.len()];
            let mut counts = vec![0usize; mine.len()];
            for i in 0..plan.runs() {
                let id = plan.run_id(i);
                let mut acc = vec![(0.0, 0usize); mine.len()];
                plan.simulate(id, |t, c| {
                    let mut obs: Option<[f64; Observation::COLUMNS.len()]> = None;
                    for (j, &k) in mine.iter().enumerate() {
                        let tg = &self.targets[k];
                        if t >= tg.from && t <= tg.to {
                            let o = obs.get_or_insert_with(|| {
                                c.observe(plan.schedule_of(id.replicate).params(t)).values()
                            });
                            let x = o[tg.column];
                            if x.is_finite() {
                                match tg.reduce {
                                    Reduce::Mean => acc[j].0 += x,
                                    Reduce::Any => acc[j].0 = acc[j].0.max(f64::from(x > 0.0)),
                                }
                                acc[j].1 += 1;
                            }
                        }
                    }
                });
                for (j, (s, n)) in acc.into_iter().enumerate() {
                    if n > 0 {
                        let per_run = match self.targets[mine[j]].reduce {
                            Reduce::Mean => s / n as f64,
                            Reduce::Any => s,
                        };
                        sums[j] += per_run;
                        counts[j] += 1;
                    }
                }
            }
            for (j, &k) in mine.iter().enumerate() {
                out[k] = if counts[j] > 0 {
                    sums[j] / counts[j] as f64
                } else {
                    f64::NAN
                };
            }
        }
        Some(out)
    }
}

impl Model for Calibration {
    fn simulate(&self, theta: &[f64], coords: [u64; 2]) -> Option<Vec<f64>> {
        self.summaries(theta, coords)
    }

    /// Euclidean distance with each target scaled by its standard error.
    fn distance(&self, s: &[f64]) -> f64 {
        let d2: f64 = self
            .targets
            .iter()
            .zip(s)
            .map(|(t, &x)| ((x - t.value) / t.se).powi(2))
            .sum();
        if d2.is_nan() {
            f64::INFINITY
        } else {
            d2.sqrt()
        }
    }
}

/// Weighted quantile `q` of `values` (weights need not be normalised).
pub fn weighted_quantile(values: &[f64], weights: &[f64], q: f64) -> f64 {
    let mut idx: Vec<usize> = (0..values.len())
        .filter(|&i| values[i].is_finite())
        .collect();
    if idx.is_empty() {
        return f64::NAN;
    }
    idx.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let total: f64 = idx.iter().map(|&i| weights[i]).sum();
    let mut acc = 0.0;
    for &i in &idx {
        acc += weights[i];
        if acc >= q * total {
            return values[i];
        }
    }
    values[*idx.last().expect("non-empty")]
}
