//! Pattern-oriented validation (MODEL.md §5–§6): the nine patterns as paired
//! experiments over many replicates, and the calibration figures, each as a
//! [`Check`] with an estimate, its 95% confidence interval, the criterion and a
//! verdict. `ccgsim validate` prints them and `tests/patterns.rs` asserts them,
//! so the command and the tests measure the same thing.

mod bundled;
pub mod ci;
mod figures;
mod patterns;
mod report;

pub use bundled::BUNDLED;
pub use ci::Estimate;
pub use figures::{figures, predictions};
pub use patterns::{
    MAX_BETWEEN, MIN_FALL, MIN_STEP_RATIO, SweepPoint, between_share, pattern, step_ratios,
    sweep_narrative, sweep_strengths, transition_width,
};
pub use report::Report;

use crate::engine::{Plan, RunRecord};
use crate::error::{Diagnostic, Error, Result};
use crate::model::Observation;
use crate::scenario::{self, Scenario, schema};
use rayon::prelude::*;
use std::path::Path;

/// Replicates per experiment unless asked otherwise.
pub const DEFAULT_REPLICATES: u32 = 100;
/// The fewest replicates a statistical claim may rest on.
pub const MIN_REPLICATES: u32 = 30;

/// What every experiment shares: the number of replicates and any parameter
/// overrides applied on top of each bundled scenario's own values (for
/// sensitivity checks; events still apply on top of them).
#[derive(Debug, Clone)]
pub struct Lab {
    pub replicates: u32,
    pub overrides: Vec<(&'static str, f64)>,
    /// Replaces every bundled scenario's seed (paired scenarios stay paired).
    pub seed: Option<u64>,
    /// Each replicate's parameters drawn from this posterior (`--posterior`).
    pub posterior: Option<std::sync::Arc<crate::calibrate::Posterior>>,
}

impl Default for Lab {
    fn default() -> Self {
        Lab {
            replicates: DEFAULT_REPLICATES,
            overrides: Vec::new(),
            seed: None,
            posterior: None,
        }
    }
}

/// One line of the validation table.
#[derive(Debug, Clone)]
pub struct Check {
    /// "1" … "9" for patterns, "F" for calibration figures.
    pub pattern: String,
    /// The claim, in the words of MODEL.md.
    pub claim: String,
    /// Source (cited by key, see docs/SOURCES.md) or statistic.
    pub source: String,
    /// Scenario file(s) compared.
    pub scenario: String,
    /// What is estimated, with its window of months.
    pub measure: String,
    pub estimate: Estimate,
    /// The rule the estimate must meet, in words.
    pub criterion: String,
    pub pass: bool,
}

impl Lab {
    pub fn new(replicates: u32) -> Lab {
        Lab {
            replicates,
            ..Lab::default()
        }
    }

    /// A bundled scenario with this lab's replicates and overrides.
    pub fn scenario(&self, file: &str) -> Scenario {
        let text = BUNDLED
            .iter()
            .find(|(f, _)| *f == file)
            .unwrap_or_else(|| panic!("{file} is not a bundled scenario"))
            .1;
        let mut scn = scenario::parse(text, &Path::new("scenarios").join(file))
            .unwrap_or_else(|e| panic!("bundled scenario {file} is invalid: {e}"));
        scn.replicates = self.replicates;
        if let Some(seed) = self.seed {
            scn.seed = seed;
        }
        for &(path, v) in &self.overrides {
            if let Some(s) = schema::spec(path) {
                (s.set)(&mut scn.params, v);
            }
        }
        crate::calibrate::posterior::attach(&mut scn, &self.posterior);
        scn
    }

    /// Every run of `scn` (in run order), each reduced by `f` on a worker thread.
    pub fn run<T: Send>(&self, scn: &Scenario, f: impl Fn(&RunRecord) -> T + Sync) -> Vec<T> {
        let plan = Plan::new(scn.clone());
        (0..plan.runs())
            .into_par_iter()
            .map(|i| f(&plan.record(i)))
            .collect()
    }

    /// Per-replicate means of `col` over months `from..=to` in a one-CCG scenario.
    pub fn window(
        &self,
        scn: &Scenario,
        from: u32,
        to: u32,
        col: impl Fn(&Observation) -> f64 + Sync,
    ) -> Vec<f64> {
        self.run(scn, |r| window_mean(r, from, to, &col))
    }

    /// Check every pattern and figure.
    pub fn validate(&self) -> Report {
        let mut checks = Vec::new();
        for n in 1..=9 {
            checks.extend(pattern(self, n));
        }
        checks.extend(figures(self));
        checks.extend(predictions(self));
        Report {
            replicates: self.replicates,
            seed: self.seed,
            overrides: self.overrides.clone(),
            checks,
        }
    }
}

/// Mean of `col` over months `from..=to` of one run, ignoring NaN months.
pub fn window_mean(r: &RunRecord, from: u32, to: u32, col: impl Fn(&Observation) -> f64) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for o in &r.months[from as usize..=to as usize] {
        let x = col(o);
        if x.is_finite() {
            sum += x;
            n += 1;
        }
    }
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

/// Parse `path=value` overrides (as given to `ccgsim validate --set`), with the
/// same type and range rules as a scenario file.
pub fn parse_overrides(items: &[String]) -> Result<Vec<(&'static str, f64)>> {
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for item in items {
        let Some((path, value)) = item.split_once('=') else {
            diags.push(Diagnostic::unplaced(
                "--set",
                item,
                "expected path=value, e.g. behaviour.eng_peer=2.5".into(),
            ));
            continue;
        };
        let path = path.trim();
        let Some(spec) = schema::spec(path) else {
            let hint = crate::error::nearest(path, schema::SPECS.iter().map(|s| s.path))
                .map_or(String::new(), |n| format!("; did you mean `{n}`?"));
            diags.push(Diagnostic::unplaced(
                "--set",
                path,
                format!("unknown parameter{hint}"),
            ));
            continue;
        };
        let parsed = format!("v = {}", value.trim())
            .parse::<toml::Table>()
            .ok()
            .and_then(|t| t.get("v").cloned());
        let result = match parsed {
            Some(v) => scenario::parse_value_for(spec, &v),
            None => Err(format!(
                "`{}` is not a value; allowed {}",
                value.trim(),
                spec.allowed()
            )),
        };
        match result {
            Ok(x) => out.push((spec.path, x)),
            Err(m) => diags.push(Diagnostic::unplaced("--set", spec.path, m)),
        }
    }
    let mut p = crate::scenario::Params::default();
    for &(path, v) in &out {
        if let Some(s) = schema::spec(path) {
            (s.set)(&mut p, v);
        }
    }
    let b = &p.behaviour;
    if diags.is_empty() && !(b.cut_1 < b.cut_2 && b.cut_2 < b.cut_3) {
        diags.push(Diagnostic::unplaced(
            "--set",
            "behaviour.cut_1",
            format!(
                "cut points must rise: cut_1 < cut_2 < cut_3, found {} / {} / {}",
                b.cut_1, b.cut_2, b.cut_3
            ),
        ));
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(Error::Invalid(diags))
    }
}
