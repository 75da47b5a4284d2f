//! Scenarios: what a user writes in TOML, validated into a [`Scenario`] that the
//! engine can run. Parse → validate happens here; nothing downstream re-checks.

mod parse;
mod population;
pub mod schema;

pub(crate) use parse::{found_type, toml_document};
pub use parse::{parse, parse_value_for, sort_diagnostics};
pub use population::Population;
pub use schema::{Kind, Params, SPECS, Spec};

use crate::error::{Diagnostic, Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Bounds of the `[scenario]` section, shared by parsing and command-line overrides.
pub const MAX_MONTHS: u32 = 1200;
pub const MAX_REPLICATES: u32 = 10_000_000;
pub const MAX_CCGS: u32 = 10_000;
/// Largest scenario file read (a scenario with an event every month of the
/// longest horizon is well under 1 MB).
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// A validated scenario: every default filled in, every value in range.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// Horizon: the run records months 0 (April 2013) to `months`.
    pub months: u32,
    pub replicates: u32,
    pub seed: u64,
    pub params: Params,
    /// Several CCGs in one scenario; `None` means one CCG of `ccg.practices`.
    pub population: Option<Population>,
    pub events: Vec<Event>,
    /// Where it was read from (for messages and the manifest).
    #[serde(skip)]
    pub source: PathBuf,
    /// `--posterior`: each replicate runs under a particle drawn from it (its
    /// file and hash are part of the resolved scenario, hence of the manifest).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::calibrate::posterior::serialize"
    )]
    pub posterior: Option<std::sync::Arc<crate::calibrate::Posterior>>,
}

/// A scheduled change, applied at the start of `month` (month 0 = before the
/// first state is recorded).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub month: u32,
    pub label: String,
    /// Set these parameters to these values.
    pub set: Vec<(&'static str, f64)>,
    /// Move these parameters linearly to these values over `ramp_months`.
    pub ramp: Vec<(&'static str, f64)>,
    pub ramp_months: u32,
    /// A narrative shock: strength (0..1, failure predicted) held for `duration` months.
    #[serde(rename = "failure_narrative")]
    pub narrative: Option<NarrativeShock>,
    #[serde(skip)]
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NarrativeShock {
    pub strength: f64,
    pub duration: u32,
}

impl Scenario {
    /// Read and validate a scenario file.
    pub fn load(path: &Path) -> Result<Scenario> {
        // A scenario is a few kB; a huge file (a wrong path, a data file, an
        // endless device) is refused without being read into memory.
        let text = crate::error::read_input(path, "read scenario", MAX_SCENARIO_BYTES)?;
        parse(&text, path)
    }

    /// Practices in each CCG, in CCG order.
    pub fn ccg_sizes(&self) -> Vec<u32> {
        match &self.population {
            Some(p) => p.sizes(),
            None => vec![self.params.ccg.practices],
        }
    }

    pub fn file_label(&self) -> String {
        self.source.display().to_string()
    }

    /// Command-line `--seed/--replicates/--months`: as [`override_run`](Self::override_run),
    /// except that `--months` shorter than some events drops those events (a quick
    /// trial of a long scenario) instead of refusing; returns one note per
    /// dropped event, for the user. (In a file, an event past the file's own
    /// horizon stays an error.)
    pub fn override_from_command_line(
        &mut self,
        seed: Option<u64>,
        replicates: Option<u32>,
        months: Option<u32>,
    ) -> Result<Vec<String>> {
        let mut notes = Vec::new();
        if let Some(m) = months.filter(|m| (1..=MAX_MONTHS).contains(m)) {
            let file = self.file_label();
            self.events.retain(|e| {
                let keep = e.month <= m;
                if !keep {
                    let label = if e.label.is_empty() {
                        String::new()
                    } else {
                        format!(" \"{}\"", e.label)
                    };
                    notes.push(format!(
                        "note: --months {m} ends the run before the event{label} at month {} ({file}:{}); that event was dropped",
                        e.month, e.line
                    ));
                }
                keep
            });
        }
        self.override_run(seed, replicates, months)?;
        Ok(notes)
    }

    /// Apply `--seed/--replicates/--months` style overrides, re-checking what they touch.
    pub fn override_run(
        &mut self,
        seed: Option<u64>,
        replicates: Option<u32>,
        months: Option<u32>,
    ) -> Result<()> {
        let file = self.file_label();
        let mut diags = Vec::new();
        if let Some(s) = seed {
            self.seed = s;
        }
        if let Some(r) = replicates {
            if r == 0 || r > MAX_REPLICATES {
                diags.push(Diagnostic::unplaced(
                    &file,
                    "--replicates",
                    format!("{r} is out of range; allowed an integer from 1 to {MAX_REPLICATES}"),
                ));
            }
            self.replicates = r;
        }
        if let Some(m) = months {
            if m == 0 || m > MAX_MONTHS {
                diags.push(Diagnostic::unplaced(
                    &file,
                    "--months",
                    format!("{m} is out of range; allowed an integer from 1 to {MAX_MONTHS}"),
                ));
            }
            self.months = m;
            for e in &self.events {
                if e.month > m {
                    diags.push(Diagnostic::unplaced(
                        &file,
                        "events.month",
                        format!(
                            "the event on line {} is at month {} but --months {m} ends the run first; allowed months 0 to {m}",
                            e.line, e.month
                        ),
                    ));
                }
            }
        }
        if diags.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(diags))
        }
    }

    /// Total CCG-runs and practice-months, for progress and size estimates.
    pub fn workload(&self) -> (u64, u64) {
        let practices: u64 = self.ccg_sizes().iter().map(|&n| n as u64).sum();
        let runs = self.replicates as u64 * self.ccg_sizes().len() as u64;
        (
            runs,
            self.replicates as u64 * practices * self.months as u64,
        )
    }
}
