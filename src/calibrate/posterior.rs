//! A posterior (`posterior.csv` of `ccgsim calibrate`) carried into other
//! commands: with `--posterior`, replicate r of a scenario runs under the
//! particle drawn by weight from a stream derived from (seed, r) — the same
//! particle for every CCG of the replicate, and for both sides of a
//! comparison — so results mix parameter and stochastic uncertainty.

use crate::engine::Schedule;
use crate::error::{Diagnostic, Error, Result};
use crate::model::rng::Stream;
use crate::scenario::{Kind, SPECS, Scenario};
use crate::sweep::{Axis, Target, apply_point, column_name};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

/// Largest posterior file read (a million particles of a dozen parameters fit).
pub const MAX_POSTERIOR_BYTES: u64 = 256 << 20;
/// Stream coordinate marking posterior draws.
const DRAW: u64 = 0xD2A3;

/// Weighted particles over parameter paths.
#[derive(Debug, Clone, Serialize)]
pub struct Posterior {
    pub file: String,
    /// BLAKE3 of the file's bytes (recorded in manifests).
    pub blake3: String,
    pub particles: usize,
    pub paths: Vec<String>,
    #[serde(skip)]
    pub axes: Vec<Axis>,
    #[serde(skip)]
    pub weights: Vec<f64>,
    #[serde(skip)]
    pub values: Vec<Vec<f64>>,
    #[serde(skip)]
    cumulative: Vec<f64>,
}

/// Per-replicate parameter sets of a plan: replicate r runs under
/// `schedules[pick[r]]`, which holds particle `particle[pick[r]]`.
#[derive(Debug, Clone)]
pub struct Ensemble {
    pub pick: Vec<u32>,
    pub particle: Vec<u32>,
    pub schedules: Vec<Schedule>,
}

impl Posterior {
    pub fn load(path: &Path) -> Result<Posterior> {
        let file = path.display().to_string();
        let len = std::fs::metadata(path)
            .map_err(|e| Error::io("read posterior", path, e))?
            .len();
        if len > MAX_POSTERIOR_BYTES {
            return Err(Error::Invalid(vec![Diagnostic::unplaced(
                &file,
                "",
                format!(
                    "the file is {len} bytes; a posterior may be at most {MAX_POSTERIOR_BYTES}"
                ),
            )]));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io("read posterior", path, e))?;
        Posterior::parse(&bytes, &file)
    }

    /// Parse `posterior.csv` text: `generation, particle, weight`, then one
    /// column per parameter (the path with `.` as `_`).
    pub fn parse(bytes: &[u8], file: &str) -> Result<Posterior> {
        let text = String::from_utf8_lossy(bytes);
        let bad = |line: usize, key: &str, msg: String| {
            let off = text
                .split_inclusive('\n')
                .take(line.saturating_sub(1))
                .map(str::len)
                .sum();
            Error::Invalid(vec![Diagnostic::at(file, &text, off, key, msg)])
        };
        let mut r = csv::ReaderBuilder::new().from_reader(bytes);
        let headers = r
            .headers()
            .map_err(|e| bad(1, "", format!("not a CSV file: {e}")))?
            .clone();
        let head: Vec<&str> = headers.iter().collect();
        if head.len() < 4 || head[..3] != ["generation", "particle", "weight"] {
            return Err(bad(
                1,
                "",
                "expected the header `generation,particle,weight,<parameter columns>` of a `ccgsim calibrate` posterior.csv".into(),
            ));
        }
        let mut axes = Vec::new();
        for col in &head[3..] {
            let Some(spec) = SPECS
                .iter()
                .find(|s| column_name(s.path) == *col && s.kind == Kind::Float)
            else {
                return Err(bad(
                    1,
                    col,
                    format!("`{col}` is not the column of a number parameter"),
                ));
            };
            axes.push(Axis::new(spec.path, spec.kind, Target::Param(spec)));
        }
        let mut weights = Vec::new();
        let mut values = Vec::new();
        for (i, rec) in r.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| bad(line, "", format!("bad row: {e}")))?;
            if rec.len() != head.len() {
                return Err(bad(line, "", format!("expected {} fields", head.len())));
            }
            let num = |k: usize| -> Result<f64> {
                rec[k]
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| bad(line, head[k], format!("`{}` is not a number", &rec[k])))
            };
            let w = num(2)?;
            if w < 0.0 {
                return Err(bad(line, "weight", format!("weight {w} is negative")));
            }
            let mut row = Vec::with_capacity(axes.len());
            for (k, axis) in axes.iter().enumerate() {
                let x = num(3 + k)?;
                if let Target::Param(spec) = axis.target
                    && (x < spec.min || x > spec.max)
                {
                    return Err(bad(
                        line,
                        &axis.path,
                        format!("{x} is out of range; allowed {}", spec.allowed()),
                    ));
                }
                row.push(x);
            }
            weights.push(w);
            values.push(row);
        }
        let total: f64 = weights.iter().sum();
        if values.is_empty() || total <= 0.0 {
            return Err(bad(
                1,
                "weight",
                "the posterior has no particle with positive weight".into(),
            ));
        }
        Ok(Posterior {
            file: file.to_string(),
            blake3: blake3::hash(bytes).to_hex().to_string(),
            particles: values.len(),
            paths: axes.iter().map(|a| a.path.clone()).collect(),
            cumulative: super::abc::cumulative(&weights),
            axes,
            weights,
            values,
        })
    }

    /// The particle replicate `replicate` of a scenario with seed `seed` runs under.
    pub fn draw(&self, seed: u64, replicate: u32) -> usize {
        let mut s = Stream::derive(seed, &[DRAW, replicate as u64]);
        super::abc::pick(&self.cumulative, s.unit())
    }

    /// `scn` with particle `i`'s values set (events still apply on top).
    pub fn scenario_for(&self, scn: &Scenario, i: usize) -> Scenario {
        let mut s = scn.clone();
        s.posterior = None;
        apply_point(&mut s, &self.axes, &self.values[i]);
        s
    }

    /// The per-replicate schedules of `scn` (which carries this posterior).
    pub fn ensemble(&self, scn: &Scenario) -> Ensemble {
        let mut pick = Vec::with_capacity(scn.replicates as usize);
        let mut particle: Vec<u32> = Vec::new();
        let mut schedules = Vec::new();
        let mut slot = std::collections::HashMap::new();
        for r in 0..scn.replicates {
            let i = self.draw(scn.seed, r);
            let k = *slot.entry(i).or_insert_with(|| {
                particle.push(i as u32);
                schedules.push(Schedule::new(&self.scenario_for(scn, i)));
                schedules.len() - 1
            });
            pick.push(k as u32);
        }
        Ensemble {
            pick,
            particle,
            schedules,
        }
    }
}

/// Attach a posterior (read once) to a scenario.
pub fn attach(scn: &mut Scenario, posterior: &Option<Arc<Posterior>>) {
    if let Some(p) = posterior {
        scn.posterior = Some(p.clone());
    }
}

/// Read `--posterior FILE` if given.
pub fn load_opt(path: Option<&Path>) -> Result<Option<Arc<Posterior>>> {
    path.map(|p| Posterior::load(p).map(Arc::new)).transpose()
}

/// Serde helper: a scenario's posterior as `{file, blake3, particles, paths}`.
pub fn serialize<S: serde::Serializer>(
    p: &Option<Arc<Posterior>>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match p {
        Some(p) => s.serialize_some(&**p),
        None => s.serialize_none(),
    }
}

/// Under a posterior, the spread of B − A run by run (paired: run i of A and
/// of B share their random numbers and their particle): the median and 90%
/// interval mix parameter and stochastic uncertainty, beside the mean's CI.
pub fn effect_table(
    p: &Posterior,
    a: &crate::compare::Side,
    b: &crate::compare::Side,
    measure: &crate::compare::Measure,
    pairing: &crate::compare::Pairing,
) -> String {
    let mut s = format!(
        "posterior {} (blake3 {}…, {} particles): B − A per paired CCG-run\n{:<22} {:>10}   {:<24}\n",
        p.file,
        &p.blake3[..12],
        p.particles,
        "outcome",
        "median",
        "90% credible interval"
    );
    if !pairing.paired {
        return s + "(the sides are not paired; no per-run interval)\n";
    }
    for (k, outcome) in measure.outcomes.iter().enumerate() {
        let mut d: Vec<f64> = pairing
            .a
            .iter()
            .zip(&pairing.b)
            .map(|(&i, &j)| b.values[k][j] - a.values[k][i])
            .filter(|x| x.is_finite())
            .collect();
        d.sort_by(f64::total_cmp);
        let q = |x| crate::stats::quantile_sorted(&d, x);
        s += &format!(
            "{:<22} {:>10.4}   [{:.4}, {:.4}]\n",
            outcome.name(),
            q(0.5),
            q(0.05),
            q(0.95)
        );
    }
    s
}
