//! Pattern-oriented validation (MODEL.md §5–§6): the nine patterns as paired
//! experiments over many replicates, and the calibration figures, each as a
//! [`Check`] with an estimate, its 95% confidence interval, the criterion and a
//! verdict. `ccgsim validate` prints them and `tests/patterns.rs` asserts them,
//! so the command and the tests measure the same thing.

mod bundled;
pub mod ci;
mod figures;
pub mod mutations;
mod nulls;
mod patterns;
mod report;

pub use bundled::BUNDLED;
pub use ci::Estimate;
pub use figures::{figures, predictions};
pub use mutations::{MUTATION_REPLICATES, MUTATIONS, Mutation};
pub use nulls::{NULLS, NullContrast, NullModel, null_contrasts};
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
    pub overrides: Overrides,
    /// Replaces every bundled scenario's seed (paired scenarios stay paired).
    pub seed: Option<u64>,
    /// Each replicate's parameters drawn from this posterior (`--posterior`).
    pub posterior: Option<std::sync::Arc<crate::calibrate::Posterior>>,
}

impl Default for Lab {
    fn default() -> Self {
        Lab {
            replicates: DEFAULT_REPLICATES,
            overrides: Overrides::default(),
            seed: None,
            posterior: None,
        }
    }
}

/// What a line of the validation table is, read from [`Check::pattern`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// A behavioural consequence of one of the nine patterns ("1" … "9"): counts.
    Pattern,
    /// A pattern's claim beaten against its null model ("N2", "N5", "N9"): counts.
    Null,
    /// A calibration figure, used in fitting ("F"): counts.
    Fit,
    /// An out-of-sample prediction (2015–16 figures, "P"): reported, never fitted,
    /// and not part of the verdict (a miss is a finding, not a failed test).
    Prediction,
    /// A sanity check of the inputs ("S1" … "S9"): it would pass for any
    /// coefficients, so it is shown, labelled, and does not count.
    Sanity,
}

/// One line of the validation table.
#[derive(Debug, Clone)]
pub struct Check {
    /// "1" … "9" for pattern checks, "S<n>" for a labelled sanity check of
    /// pattern n (not counted), "N<n>" for pattern n against its null model,
    /// "F" for calibration figures, "P" for out-of-sample predictions.
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

impl Check {
    pub fn group(&self) -> Group {
        match self.pattern.chars().next() {
            Some('S') => Group::Sanity,
            Some('N') => Group::Null,
            Some('F') => Group::Fit,
            Some('P') => Group::Prediction,
            _ => Group::Pattern,
        }
    }

    /// Does this check count toward the verdict (and the exit code)?
    pub fn counts(&self) -> bool {
        matches!(self.group(), Group::Pattern | Group::Null | Group::Fit)
    }

    /// The pattern number this line belongs to ("5" for "5", "S5" and "N5").
    pub fn pattern_number(&self) -> Option<u8> {
        self.pattern.trim_start_matches(['S', 'N']).parse().ok()
    }
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
        self.overrides.apply(&mut scn.params);
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

    /// This lab with more overrides applied after its own (a null model or a
    /// mutation: the same path as `ccgsim validate --set`).
    pub fn with(&self, more: &Overrides) -> Lab {
        let mut lab = self.clone();
        lab.overrides.params.extend_from_slice(&more.params);
        lab.overrides.options.extend_from_slice(&more.options);
        lab
    }

    /// Check every pattern, null model and figure.
    pub fn validate(&self) -> Report {
        let mut checks = Vec::new();
        for n in 1..=9 {
            checks.extend(pattern(self, n));
        }
        let nulls = null_contrasts(self);
        checks.extend(
            nulls
                .iter()
                .filter(|n| n.spec.counted)
                .map(NullContrast::check),
        );
        checks.extend(figures(self));
        checks.extend(predictions(self));
        Report {
            replicates: self.replicates,
            seed: self.seed,
            overrides: self.overrides.clone(),
            checks,
            nulls,
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

/// Overrides given with `ccgsim validate --set` (or by a null model or a
/// mutation): parameter values, and `[model]` options by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// (parameter path, value), applied in order.
    pub params: Vec<(&'static str, f64)>,
    /// (`[model]` key, option word), applied in order.
    pub options: Vec<(&'static str, &'static str)>,
}

impl Overrides {
    pub fn is_empty(&self) -> bool {
        self.params.is_empty() && self.options.is_empty()
    }

    /// Apply every override to `p` (events still apply on top of parameters).
    pub fn apply(&self, p: &mut crate::scenario::Params) {
        for &(path, v) in &self.params {
            if let Some(s) = schema::spec(path) {
                (s.set)(p, v);
            }
        }
        for &(key, word) in &self.options {
            if let Some(o) = schema::option_spec(key) {
                (o.set)(&mut p.model, word);
            }
        }
    }

    /// Each override as `path = value`, in the order given.
    pub fn describe(&self) -> Vec<String> {
        let params = self.params.iter().map(|(p, v)| format!("{p} = {v}"));
        let options = self
            .options
            .iter()
            .map(|(k, w)| format!("model.{k} = \"{w}\""));
        params.chain(options).collect()
    }
}

/// Parse `path=value` overrides (as given to `ccgsim validate --set`), with the
/// same type and range rules as a scenario file. `model.<key>=<option>` picks a
/// `[model]` option (quotes around the word are optional).
pub fn parse_overrides(items: &[String]) -> Result<Overrides> {
    let mut out = Vec::new();
    let mut options = Vec::new();
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
        if let Some(key) = path.strip_prefix("model.") {
            let word = value.trim().trim_matches('"');
            match schema::option_spec(key) {
                Some(o) => match o.values.iter().find(|w| **w == word) {
                    Some(w) => options.push((o.key, *w)),
                    None => diags.push(Diagnostic::unplaced(
                        "--set",
                        path,
                        format!(
                            "`{word}` is not an option; allowed {}",
                            o.values.join(" or ")
                        ),
                    )),
                },
                None => {
                    let hint = crate::error::nearest(key, schema::OPTIONS.iter().map(|o| o.key))
                        .map_or(String::new(), |n| format!("; did you mean `model.{n}`?"));
                    diags.push(Diagnostic::unplaced(
                        "--set",
                        path,
                        format!("unknown [model] option{hint}"),
                    ));
                }
            }
            continue;
        }
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
    let overrides = Overrides {
        params: out,
        options,
    };
    let mut p = crate::scenario::Params::default();
    overrides.apply(&mut p);
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
        Ok(overrides)
    } else {
        Err(Error::Invalid(diags))
    }
}
