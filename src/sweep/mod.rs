//! Parameter sweeps: a base scenario run at many design points × replicates.
//!
//! A sweep file names a base scenario and a design (`[grid]`, `[lhs]` or
//! `[sobol]`) over dotted parameter paths. Point `p` is the base scenario with
//! the point's values set, run with random streams derived from
//! (seed, p, replicate, ccg). All runs of a sweep form one global order,
//! point-major; a shard is a contiguous slice of it, so shards concatenate.
//!
//! [`run`] executes a sweep (or a shard) into a resumable result folder,
//! [`merge`] joins shard folders, [`finish`] turns runs into statistics and,
//! for the sensitivity designs `[morris]` and `[sobol_indices]`, [`indices`]
//! turns them into Sobol or Morris indices (indices.csv).

pub mod design;
pub mod finish;
pub mod indices;
pub mod manifest;
pub mod merge;
pub(crate) mod parse;
pub mod run;

pub use design::Design;
pub use manifest::SweepManifest;
pub use parse::{MAX_POINTS, load, parse};
pub use run::{SweepOptions, SweepReport, run};

use crate::engine::Plan;
use crate::error::Diagnostic;
use crate::output::tables::format_number;
use crate::scenario::{Kind, Scenario, Spec};
use std::path::{Path, PathBuf};

/// The end-of-run outcomes summarised per point in stats.csv (and per month
/// in timeseries quantiles), in column order. All are columns of runs.csv.
pub const KEY_OUTCOMES: [&str; 8] = [
    "engaged_share",
    "highly_engaged_share",
    "ownership_members",
    "ownership_leaders",
    "performance",
    "credibility",
    "workload",
    "leaders_lacking_support",
];

/// What a swept path changes.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// A parameter from the table (its value at month 0; events still apply).
    Param(&'static Spec),
    /// The strength of the base scenario's narrative event number `event`.
    Narrative { event: usize },
}

/// One swept dimension.
#[derive(Debug, Clone)]
pub struct Axis {
    /// As written in the sweep file, e.g. `constitution.sanctions`.
    pub path: String,
    /// Its CSV column: the path with every `.` (or other non-alphanumeric
    /// character) replaced by `_`, e.g. `constitution_sanctions`.
    pub column: String,
    pub kind: Kind,
    pub target: Target,
}

impl Axis {
    pub fn new(path: &str, kind: Kind, target: Target) -> Axis {
        Axis {
            path: path.to_string(),
            column: column_name(path),
            kind,
            target,
        }
    }

    /// A value as written in points.csv: integers without decimals, booleans as
    /// `true`/`false`, numbers with up to 6 decimals.
    pub fn format(&self, v: f64) -> String {
        match self.kind {
            Kind::Bool => (if v != 0.0 { "true" } else { "false" }).to_string(),
            Kind::Int => itoa::Buffer::new().format(v as i64).to_string(),
            Kind::Float => {
                let mut s = String::new();
                format_number(v, &mut s);
                s
            }
        }
    }
}

/// Set a point's values (one per axis) on a scenario.
pub fn apply_point(scn: &mut Scenario, axes: &[Axis], values: &[f64]) {
    for (axis, &v) in axes.iter().zip(values) {
        match axis.target {
            Target::Param(spec) => (spec.set)(&mut scn.params, v),
            Target::Narrative { event } => {
                if let Some(n) = scn.events[event].narrative.as_mut() {
                    n.strength = v;
                }
            }
        }
    }
}

pub fn column_name(path: &str) -> String {
    path.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A validated sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub file: PathBuf,
    /// BLAKE3 of the sweep file's bytes.
    pub file_hash: String,
    pub description: String,
    /// The base scenario with the sweep's replicates, seed and months applied.
    pub base: Scenario,
    pub design: Design,
    pub axes: Vec<Axis>,
    /// Values per point, one per axis, validated.
    pub points: Vec<Vec<f64>>,
    /// BLAKE3 of everything that decides the runs (version, resolved base,
    /// axes, points, seed, replicates): equal hashes, equal results.
    pub hash: String,
    /// What the reducer of a sensitivity design (`[morris]`,
    /// `[sobol_indices]`) computes from the runs; `None` for a plain sweep.
    pub indices: Option<indices::IndexSpec>,
}

impl Sweep {
    fn new(
        file: &Path,
        bytes: &[u8],
        description: String,
        base: Scenario,
        design: Design,
        axes: Vec<Axis>,
        points: Vec<Vec<f64>>,
    ) -> Sweep {
        let (base_json, base_hash) = crate::output::manifest::scenario_json(&base);
        let identity = serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "base": base_json,
            "base_hash": base_hash,
            "design": design,
            "axes": axes.iter().map(|a| &a.path).collect::<Vec<_>>(),
            "points": points.len(),
        });
        // The points are hashed as raw values, not JSON: a grid may be large.
        let mut h = blake3::Hasher::new();
        h.update(identity.to_string().as_bytes());
        for v in points.iter().flatten() {
            h.update(&v.to_le_bytes());
        }
        Sweep {
            file: file.to_path_buf(),
            file_hash: blake3::hash(bytes).to_hex().to_string(),
            description,
            hash: h.finalize().to_hex().to_string(),
            base,
            design,
            axes,
            points,
            indices: None,
        }
    }

    /// A sensitivity design's reducer settings; they join the identity, so
    /// shards reduced differently never merge (plain sweeps keep theirs).
    fn with_indices(mut self, spec: Option<indices::IndexSpec>) -> Sweep {
        if let Some(ix) = &spec {
            let mut h = blake3::Hasher::new();
            h.update(self.hash.as_bytes());
            h.update(serde_json::json!(ix).to_string().as_bytes());
            self.hash = h.finalize().to_hex().to_string();
        }
        self.indices = spec;
        self
    }

    /// CCG-runs at each point: replicates × CCGs of the base scenario.
    pub fn runs_per_point(&self) -> u64 {
        self.base.replicates as u64 * self.base.ccg_sizes().len() as u64
    }

    pub fn total_runs(&self) -> u64 {
        self.points.len() as u64 * self.runs_per_point()
    }

    /// The scenario of design point `p`.
    pub fn point_scenario(&self, p: usize) -> Scenario {
        let mut scn = self.base.clone();
        apply_point(&mut scn, &self.axes, &self.points[p]);
        scn
    }

    /// The run plan of point `p`: its random streams carry `p` as a coordinate.
    pub fn point_plan(&self, p: usize) -> Plan {
        let mut plan = Plan::new(self.point_scenario(p));
        plan.stream_prefix = if self.design.common_random_numbers() {
            Vec::new()
        } else {
            vec![p as u64]
        };
        plan
    }

    /// Rules that involve several parameters, checked at every point (each
    /// value alone was checked when the file was read).
    fn check_points(&self, file: &str, text: &str) -> Result<(), Diagnostic> {
        for p in 0..self.points.len() {
            let scn = self.point_scenario(p);
            let q = &scn.params;
            let problem = if scn.population.is_none() && q.ccg.localities > q.ccg.practices {
                Some((
                    "ccg.localities",
                    format!(
                        "{} localities for {} practices; allowed at most one locality per practice",
                        q.ccg.localities, q.ccg.practices
                    ),
                ))
            } else if !(q.behaviour.cut_1 < q.behaviour.cut_2
                && q.behaviour.cut_2 < q.behaviour.cut_3)
            {
                Some((
                    "behaviour.cut_1",
                    format!(
                        "cut points must rise: cut_1 < cut_2 < cut_3, found {} / {} / {}",
                        q.behaviour.cut_1, q.behaviour.cut_2, q.behaviour.cut_3
                    ),
                ))
            } else {
                None
            };
            if let Some((key, msg)) = problem {
                let values: Vec<String> = self
                    .axes
                    .iter()
                    .zip(&self.points[p])
                    .map(|(a, &v)| format!("{} = {}", a.path, a.format(v)))
                    .collect();
                let off = self
                    .axes
                    .iter()
                    .find(|a| a.path.starts_with(key.split('.').next().unwrap_or("")))
                    .and_then(|a| text.find(&format!("\"{}\"", a.path)))
                    .unwrap_or(0);
                return Err(Diagnostic::at(
                    file,
                    text,
                    off,
                    key,
                    format!("at design point {p} ({}): {msg}", values.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// Point `p`'s parameter values as they follow `point` in runs.csv: `,v1,v2…`.
    pub fn point_fields(&self, p: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for (a, &v) in self.axes.iter().zip(&self.points[p]) {
            out.push(b',');
            out.extend(a.format(v).as_bytes());
        }
        out
    }

    /// points.csv: `point` then one column per axis.
    pub fn points_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["point".to_string()];
        header.extend(self.axes.iter().map(|a| a.column.clone()));
        w.write_record(&header).expect("memory");
        for (p, values) in self.points.iter().enumerate() {
            let mut row = vec![p.to_string()];
            row.extend(self.axes.iter().zip(values).map(|(a, &v)| a.format(v)));
            w.write_record(&row).expect("memory");
        }
        w.into_inner().expect("memory")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Observation;

    #[test]
    fn key_outcomes_are_observation_columns() {
        for k in KEY_OUTCOMES {
            assert!(Observation::COLUMNS.contains(&k), "{k}");
        }
        for c in crate::compare::DEFAULT_OUTCOMES {
            assert!(crate::compare::Outcome::parse(c).is_ok(), "{c}");
        }
    }

    #[test]
    fn shards_tile_the_run_order() {
        for total in [0u64, 1, 7, 24, 1000] {
            for count in 1..=9u64 {
                let mut next = 0;
                for index in 0..count {
                    let (a, b) = manifest::Shard { index, count }.range(total);
                    assert_eq!(a, next);
                    assert!(b >= a && b - a <= total / count + 1);
                    next = b;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn columns_replace_dots() {
        assert_eq!(
            column_name("constitution.sanctions"),
            "constitution_sanctions"
        );
        assert_eq!(
            column_name("events.cut-1.failure_narrative"),
            "events_cut_1_failure_narrative"
        );
        assert_eq!(finish::quantile_label(0.05), "q05");
        assert_eq!(finish::quantile_label(0.5), "q50");
        assert_eq!(finish::quantile_label(0.025), "q2_5");
    }
}
