//! Sweep file (TOML) → validated [`Sweep`]. Like scenario files, every problem
//! is collected with its line and column; each swept value goes through
//! [`scenario::parse_value_for`], so a value a scenario file would refuse is
//! refused here too.

use super::design::{self, Design, Range};
use super::indices::{self, IndexSpec};
use super::{Axis, Sweep, Target};
use crate::error::{Diagnostic, Error, Result, nearest};
use crate::model::Observation;
use crate::scenario::{self, Kind, MAX_MONTHS, MAX_REPLICATES, SPECS, Scenario, schema};
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::DeValue;

type Item<'a> = Spanned<DeValue<'a>>;

const TOP_KEYS: [&str; 11] = [
    "base",
    "replicates",
    "seed",
    "months",
    "description",
    "grid",
    "lhs",
    "sobol",
    "morris",
    "sobol_indices",
    "outcomes",
];

/// Design sections: sweeps, then the sensitivity designs.
const DESIGNS: [&str; 5] = ["grid", "lhs", "sobol", "morris", "sobol_indices"];
/// Most bootstrap resamples for index intervals.
pub const MAX_BOOTSTRAP: i64 = 100_000;

/// Most design points one sweep may have (a guard against typos like 10^9 points).
pub const MAX_POINTS: u64 = 10_000_000;
/// Most CCG-runs one sweep may have.
pub const MAX_RUNS: u64 = 1 << 40;

pub fn load(path: &Path) -> Result<Sweep> {
    parse(&read_utf8(path, "read sweep file")?, path)
}

/// A file's text, read through the input limit; not UTF-8 is an invalid-input
/// error. Shared with calibration files.
pub(crate) fn read_utf8(path: &Path, action: &'static str) -> Result<String> {
    crate::error::read_input(path, action, crate::error::MAX_INPUT_BYTES)
}

/// Parse and validate sweep text; `path` locates messages and the `base` file.
pub fn parse(text: &str, path: &Path) -> Result<Sweep> {
    crate::error::with_line_index(text, || parse_indexed(text, path))
}

fn parse_indexed(text: &str, path: &Path) -> Result<Sweep> {
    let mut cx = Cx {
        file: path.display().to_string(),
        text,
        diags: Vec::new(),
    };
    let root = crate::scenario::toml_document(text, &cx.file)?;
    for (k, _) in root.iter() {
        let key: &str = k.get_ref().as_ref();
        if !TOP_KEYS.contains(&key) {
            let hint = match nearest(key, TOP_KEYS) {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!("allowed: {}", TOP_KEYS.join(", ")),
            };
            cx.push(
                k.span().start,
                key,
                format!("unknown key in a sweep file; {hint}"),
            );
        }
    }

    // The base scenario: its own errors are reported in its own file.
    let base_path = match root.get("base") {
        None => {
            cx.push(
                0,
                "base",
                "a sweep needs `base = \"path/to/scenario.toml\"` (relative to this file)".into(),
            );
            None
        }
        Some(item) => match item.get_ref() {
            DeValue::String(s) => Some((resolve(path, s), item.span().start)),
            other => {
                cx.push(
                    item.span().start,
                    "base",
                    format!("expected a file path string, found {}", other.type_str()),
                );
                None
            }
        },
    };
    let mut base = match base_path {
        Some((p, off)) if !p.is_file() => {
            let why = if p.is_dir() {
                "is a folder, not a scenario file".to_string()
            } else if p.exists() {
                "is not a regular file (a pipe, socket or device)".to_string()
            } else {
                "does not exist".to_string()
            };
            cx.push(off, "base", format!("scenario file {} {why}", p.display()));
            None
        }
        // Only TOML scenarios are read: a mistyped `base = "/etc/shadow"` must
        // not put a line of that file into an error message or a job log.
        Some((p, off)) if p.extension().is_none_or(|e| e != "toml") => {
            cx.push(
                off,
                "base",
                format!(
                    "{} is not a scenario file: `base` must name a .toml scenario",
                    p.display()
                ),
            );
            None
        }
        Some((p, _)) => match Scenario::load(&p) {
            Ok(s) => Some(s),
            Err(Error::Invalid(d)) => {
                cx.diags.extend(d);
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };

    let replicates = root
        .get("replicates")
        .and_then(|v| cx.int("replicates", v, 1, MAX_REPLICATES as i64));
    let seed = root
        .get("seed")
        .and_then(|v| cx.int("seed", v, 0, i64::MAX));
    let months = root
        .get("months")
        .and_then(|v| cx.int("months", v, 1, MAX_MONTHS as i64));
    let description = match root.get("description").map(|v| (v.get_ref(), v)) {
        Some((DeValue::String(s), v))
            if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') =>
        {
            cx.push(
                v.span().start,
                "description",
                "contains a control character (such as an ANSI escape); it must be plain text"
                    .into(),
            );
            String::new()
        }
        Some((DeValue::String(s), _)) => s.to_string(),
        Some((other, v)) => {
            cx.push(
                v.span().start,
                "description",
                format!("expected a string, found {}", other.type_str()),
            );
            String::new()
        }
        None => String::new(),
    };
    if let Some(b) = base.as_mut() {
        let r = replicates.map(|r| r as u32);
        let m = months.map(|m| m as u32);
        if let Err(Error::Invalid(d)) = b.override_run(seed.map(|s| s as u64), r, m) {
            // Only `months` can clash (with the base's events); point at it.
            let off = root.get("months").map_or(0, |v| v.span().start);
            for x in d {
                cx.push(off, "months", x.message);
            }
        }
    }

    let designs: Vec<&str> = DESIGNS
        .into_iter()
        .filter(|d| root.contains_key(*d))
        .collect();
    let mut design = None;
    match designs.as_slice() {
        [] => cx.push(
            0,
            "grid",
            "a sweep needs one design section: [grid], [lhs] or [sobol] (a sensitivity analysis: [morris] or [sobol_indices])".into(),
        ),
        [one] => {
            let seed = seed.map(|s| s as u64).or(base.as_ref().map(|b| b.seed));
            design = cx.design(one, &root[*one], base.as_ref(), seed.unwrap_or(1));
        }
        [_, second, ..] => {
            let off = root
                .iter()
                .find(|(k, _)| k.get_ref().as_ref() == *second)
                .map_or(0, |(k, _)| k.span().start);
            cx.push(
                off,
                second,
                format!(
                    "a sweep has exactly one design section; found {}",
                    designs.join(" and ")
                ),
            );
        }
    }

    let outcomes = match (root.get("outcomes"), &design) {
        (None, _) => None,
        (Some(item), Some((d, ..))) if !d.common_random_numbers() => {
            cx.push(
                item.span().start,
                "outcomes",
                "`outcomes` chooses what a sensitivity analysis ([morris] or [sobol_indices]) reduces; a plain sweep writes every outcome".into(),
            );
            None
        }
        (Some(item), _) => cx.outcomes(item),
    };

    let (Some(base), Some((design, axes, points, unit)), true) =
        (base, design, cx.diags.is_empty())
    else {
        scenario::sort_diagnostics(&mut cx.diags);
        return Err(Error::Invalid(cx.diags));
    };
    let indices = unit.map(|(ranges, key)| IndexSpec {
        design,
        outcomes: outcomes.unwrap_or_else(|| default_outcomes(&base)),
        low: ranges.iter().map(|r| r.low).collect(),
        high: ranges.iter().map(|r| r.high).collect(),
        key,
    });
    let sweep = Sweep::new(
        path,
        text.as_bytes(),
        description,
        base,
        design,
        axes,
        points,
    )
    .with_indices(indices);
    if let Err(d) = sweep.check_points(&cx.file, text) {
        return Err(Error::Invalid(vec![d]));
    }
    let total = sweep.points.len() as u64 * sweep.runs_per_point();
    if total > MAX_RUNS {
        return Err(Error::Invalid(vec![Diagnostic::unplaced(
            &cx.file,
            "replicates",
            format!("{total} CCG-runs is more than one sweep may hold ({MAX_RUNS}); split it"),
        )]));
    }
    Ok(sweep)
}

/// `base` relative to the sweep file's folder (absolute paths kept).
fn resolve(sweep_file: &Path, base: &str) -> PathBuf {
    let b = Path::new(base);
    if b.is_absolute() {
        return b.to_path_buf();
    }
    match sweep_file.parent() {
        Some(d) => d.join(b),
        None => b.to_path_buf(),
    }
}

/// Collects located problems; shared with the calibration file parser.
pub(crate) struct Cx<'t> {
    pub(crate) file: String,
    pub(crate) text: &'t str,
    pub(crate) diags: Vec<Diagnostic>,
}

/// Design, axes, points and, for a sensitivity design, the ranges and key.
type Parsed = (Design, Vec<Axis>, Vec<Vec<f64>>, Option<(Vec<Range>, u64)>);

/// Every summary outcome: the key outcomes, the failure probability and,
/// when the base scenario has a failure narrative, the time to failure.
pub fn default_outcomes(base: &Scenario) -> Vec<String> {
    let mut o: Vec<String> = super::KEY_OUTCOMES.iter().map(|s| s.to_string()).collect();
    o.push(indices::FAILURE_PROBABILITY.into());
    let narrative = base.params.environment.narrative != 0.0
        || base.events.iter().any(|e| e.narrative.is_some());
    if narrative {
        o.push(indices::TIME_TO_FAILURE.into());
    }
    o
}

/// Names `outcomes = [...]` may hold.
fn outcome_names() -> Vec<&'static str> {
    let mut v: Vec<&str> = Observation::COLUMNS.to_vec();
    v.extend([indices::FAILURE_PROBABILITY, indices::TIME_TO_FAILURE]);
    v
}

impl Cx<'_> {
    pub(crate) fn push(&mut self, offset: usize, key: &str, message: String) {
        self.diags
            .push(Diagnostic::at(&self.file, self.text, offset, key, message));
    }

    pub(crate) fn int(&mut self, key: &str, item: &Item, min: i64, max: i64) -> Option<i64> {
        let allowed = format!("allowed an integer from {min} to {max}");
        match item.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(x) if (min..=max).contains(&x) => Some(x),
                _ => {
                    self.push(
                        item.span().start,
                        key,
                        format!("{} is out of range; {allowed}", i.as_str()),
                    );
                    None
                }
            },
            other => {
                self.push(
                    item.span().start,
                    key,
                    format!(
                        "expected an integer, found {}; {allowed}",
                        crate::scenario::found_type(other)
                    ),
                );
                None
            }
        }
    }

    fn design(
        &mut self,
        name: &str,
        item: &Item,
        base: Option<&Scenario>,
        seed: u64,
    ) -> Option<Parsed> {
        let DeValue::Table(t) = item.get_ref() else {
            self.push(
                item.span().start,
                name,
                format!("must be a table, written [{name}]"),
            );
            return None;
        };
        let before = self.diags.len();
        let mut axes = Vec::new();
        let mut lists: Vec<Vec<f64>> = Vec::new();
        let mut ranges: Vec<Range> = Vec::new();
        let sobol_max = design::SOBOL_MAX_POINTS as i64;
        // The design's own settings: (key, min, max).
        let settings: &[(&str, i64, i64)] = match name {
            "grid" => &[],
            "lhs" => &[("n", 1, MAX_POINTS as i64)],
            "sobol" => &[("n", 1, sobol_max)],
            "morris" => &[
                ("trajectories", 2, MAX_POINTS as i64),
                ("levels", 2, 1000),
                ("bootstrap", 0, MAX_BOOTSTRAP),
            ],
            _ => &[("n", 2, sobol_max), ("bootstrap", 0, MAX_BOOTSTRAP)],
        };
        let mut ints: Vec<(&str, i64)> = Vec::new();
        // Axes in the order written (the TOML table itself is sorted by key):
        // the first grid axis varies slowest, columns follow the file.
        let mut keys: Vec<_> = t.iter().collect();
        keys.sort_by_key(|(k, _)| k.span().start);
        for (k, v) in keys {
            let path: &str = k.get_ref().as_ref();
            let off = k.span().start;
            if let Some(&(key, min, max)) = settings.iter().find(|(key, ..)| *key == path) {
                if let Some(x) = self.int(&format!("{name}.{key}"), v, min, max) {
                    ints.push((key, x));
                }
                continue;
            }
            let Some(axis) = self.axis(path, off, base) else {
                continue;
            };
            if name == "grid" {
                if let Some(vals) = self.grid_values(&axis, v) {
                    lists.push(vals);
                    axes.push(axis);
                }
            } else if let Some(r) = self.range(&axis, v, name) {
                ranges.push(r);
                axes.push(axis);
            }
        }
        let get = |key: &str| {
            ints.iter()
                .find(|(k, _)| *k == key)
                .map(|&(_, x)| x as usize)
        };
        if axes.is_empty() && self.diags.len() == before {
            self.push(
                item.span().start,
                name,
                format!(
                    "[{name}] {} no parameter; add e.g. \"constitution.sanctions\" = {}",
                    if name == "grid" { "sweeps" } else { "samples" },
                    if name == "grid" {
                        "[0.0, 0.5, 1.0]"
                    } else {
                        "[0.0, 1.0]"
                    }
                ),
            );
        }
        let required = match name {
            "grid" => None,
            "morris" => Some((
                "trajectories",
                "the number of one-at-a-time paths (e.g. 20)",
            )),
            _ => Some(("n", "the number of design points")),
        };
        if let Some((key, what)) = required
            && !t.contains_key(key)
        {
            let (_, min, max) = settings.iter().find(|(k, ..)| *k == key).expect("listed");
            self.push(
                item.span().start,
                name,
                format!("[{name}] needs `{key}`, {what}, from {min} to {max}"),
            );
        }
        let max_dims = match name {
            "sobol" => design::SOBOL_MAX_DIMENSIONS,
            "sobol_indices" => design::SOBOL_MAX_DIMENSIONS / 2,
            _ => usize::MAX,
        };
        if axes.len() > max_dims {
            self.push(
                item.span().start,
                name,
                format!(
                    "[{name}] samples {} parameters; at most {max_dims} are supported",
                    axes.len(),
                ),
            );
        }
        let levels = get("levels").unwrap_or(4);
        if name == "morris" && levels % 2 != 0 {
            let off = t
                .get("levels")
                .map_or(item.span().start, |v| v.span().start);
            self.push(
                off,
                "morris.levels",
                format!("{levels} levels; Morris designs need an even number (then the step p/(2(p−1)) keeps every point on the grid), e.g. 4"),
            );
        }
        if self.diags.len() != before {
            return None;
        }
        let k = ranges.len();
        let key = design_key(seed, &axes);
        let bootstrap = get("bootstrap").unwrap_or(200);
        // The design's points are held in memory (unit and scaled values):
        // refuse up front what cannot fit, as `run` refuses a full disk.
        let count = match name {
            "grid" => lists
                .iter()
                .try_fold(1u64, |acc, l| acc.checked_mul(l.len() as u64))
                .unwrap_or(u64::MAX),
            "morris" => (get("trajectories").unwrap_or(0) as u64).saturating_mul(k as u64 + 1),
            "sobol_indices" => (get("n").unwrap_or(0) as u64).saturating_mul(k as u64 + 2),
            _ => get("n").unwrap_or(0) as u64,
        };
        let per_point = 3 * (axes.len() as u64 * 8 + 24);
        if let Err(m) = crate::output::space::check_memory(
            count.min(MAX_POINTS).saturating_mul(per_point),
            &format!("[{name}] with {count} points × {} parameters", axes.len()),
        ) {
            self.push(item.span().start, name, m);
            return None;
        }
        let (design, unit, sensitivity) = match name {
            "grid" => {
                let count: u64 = lists
                    .iter()
                    .try_fold(1u64, |acc, l| acc.checked_mul(l.len() as u64))
                    .unwrap_or(u64::MAX);
                if count > MAX_POINTS {
                    self.push(
                        item.span().start,
                        name,
                        format!("the grid has {count} points; at most {MAX_POINTS} are allowed"),
                    );
                    return None;
                }
                return Some((Design::Grid, axes, design::grid(&lists), None));
            }
            "lhs" => {
                let n = get("n")?;
                (Design::Lhs { n }, design::lhs(n, k, key), false)
            }
            "sobol" => {
                let n = get("n")?;
                (Design::Sobol { n }, design::sobol(n, k, key), false)
            }
            "morris" => {
                let trajectories = get("trajectories")?;
                self.check_count(item, name, trajectories as u64 * (k as u64 + 1))?;
                let d = Design::Morris {
                    trajectories,
                    levels,
                    bootstrap,
                };
                (d, design::morris(trajectories, k, levels, key).0, true)
            }
            _ => {
                let n = get("n")?;
                self.check_count(item, name, n as u64 * (k as u64 + 2))?;
                let d = Design::SobolIndices { n, bootstrap };
                (d, design::saltelli(n, k, key), true)
            }
        };
        let points = unit
            .into_iter()
            .map(|u| u.iter().zip(&ranges).map(|(&x, r)| r.at(x)).collect())
            .collect();
        Some((design, axes, points, sensitivity.then_some((ranges, key))))
    }

    fn check_count(&mut self, item: &Item, name: &str, count: u64) -> Option<()> {
        if count > MAX_POINTS {
            self.push(
                item.span().start,
                name,
                format!("the design has {count} points; at most {MAX_POINTS} are allowed"),
            );
            return None;
        }
        Some(())
    }

    /// `outcomes = ["engaged_share", "failure_probability", …]`.
    fn outcomes(&mut self, item: &Item) -> Option<Vec<String>> {
        let DeValue::Array(arr) = item.get_ref() else {
            self.push(
                item.span().start,
                "outcomes",
                "expected a list of outcome names, e.g. [\"engaged_share\", \"failure_probability\"]".into(),
            );
            return None;
        };
        let allowed = outcome_names();
        let mut out: Vec<String> = Vec::new();
        for v in arr.iter() {
            let DeValue::String(s) = v.get_ref() else {
                self.push(
                    v.span().start,
                    "outcomes",
                    format!("expected an outcome name, found {}", v.get_ref().type_str()),
                );
                continue;
            };
            let name = if s.as_ref() == "failed" {
                indices::FAILURE_PROBABILITY
            } else {
                s.as_ref()
            };
            if !allowed.contains(&name) {
                let hint = match nearest(name, allowed.iter().copied()) {
                    Some(n) => format!("did you mean `{n}`?"),
                    None => format!("allowed: {}", allowed.join(", ")),
                };
                self.push(
                    v.span().start,
                    "outcomes",
                    format!("unknown outcome `{name}`; {hint}"),
                );
            } else if out.iter().any(|o| o == name) {
                self.push(
                    v.span().start,
                    "outcomes",
                    format!("`{name}` is listed twice"),
                );
            } else {
                out.push(name.to_string());
            }
        }
        if arr.is_empty() {
            self.push(
                item.span().start,
                "outcomes",
                "the list of outcomes is empty".into(),
            );
        }
        Some(out)
    }

    /// A swept path: a parameter, or the strength of a labelled narrative event.
    fn axis(&mut self, path: &str, off: usize, base: Option<&Scenario>) -> Option<Axis> {
        if let Some(rest) = path.strip_prefix("events.") {
            let Some(label) = rest.strip_suffix(".failure_narrative") else {
                let why = if rest.ends_with(".narrative") {
                    "the event key `narrative` is now `failure_narrative`: write `events.<label>.failure_narrative` (a strength from 0 to 1)"
                } else {
                    "an event path is `events.<label>.failure_narrative` (the strength of that event's failure narrative)"
                };
                self.push(off, path, why.into());
                return None;
            };
            let base = base?;
            let found = base
                .events
                .iter()
                .position(|e| e.label == label && e.narrative.is_some());
            let Some(event) = found else {
                let labels: Vec<String> = base
                    .events
                    .iter()
                    .filter(|e| e.narrative.is_some())
                    .map(|e| format!("`{}`", e.label))
                    .collect();
                self.push(
                    off,
                    path,
                    format!(
                        "the base scenario has no narrative event labelled `{label}`; {}",
                        if labels.is_empty() {
                            "it has no narrative events at all".to_string()
                        } else {
                            format!("labels with a narrative: {}", labels.join(", "))
                        }
                    ),
                );
                return None;
            };
            return Some(Axis::new(path, Kind::Float, Target::Narrative { event }));
        }
        let Some(spec) = schema::spec(path) else {
            let hint = match nearest(path, SPECS.iter().map(|s| s.path)) {
                Some(n) => format!("did you mean `{n}`?"),
                None => "use a dotted parameter path such as \"constitution.sanctions\" (see `ccgsim check` docs), or events.<label>.failure_narrative".into(),
            };
            self.push(off, path, format!("unknown parameter path; {hint}"));
            return None;
        };
        if spec.path == "ccg.practices" && base.is_some_and(|b| b.population.is_some()) {
            self.push(
                off,
                path,
                "the base scenario has a [population], which sets each CCG's practices; sweep a base without one".into(),
            );
            return None;
        }
        Some(Axis::new(spec.path, spec.kind, Target::Param(spec)))
    }

    fn check(&mut self, axis: &Axis, item: &Item, v: &toml::Value) -> Option<f64> {
        let got = match axis.target {
            Target::Param(spec) => scenario::parse_value_for(spec, v),
            // Same rule as `failure_narrative = …` in an [[events]] block.
            Target::Narrative { .. } => match v {
                toml::Value::Integer(i) => Ok(*i as f64),
                toml::Value::Float(f) => Ok(*f),
                other => Err(format!("expected a number, found {}", other.type_str())),
            }
            .and_then(|x| {
                if x.is_finite() && (0.0..=1.0).contains(&x) {
                    Ok(x)
                } else {
                    Err(format!("{x} is out of range; allowed a number from 0 to 1"))
                }
            }),
        };
        match got {
            Ok(x) => Some(x),
            Err(m) => {
                self.push(item.span().start, &axis.path, m);
                None
            }
        }
    }

    fn grid_values(&mut self, axis: &Axis, item: &Item) -> Option<Vec<f64>> {
        let DeValue::Array(arr) = item.get_ref() else {
            self.push(
                item.span().start,
                &axis.path,
                format!(
                    "expected a list of values, e.g. [0.0, 0.5, 1.0], found {}",
                    item.get_ref().type_str()
                ),
            );
            return None;
        };
        if arr.is_empty() {
            self.push(
                item.span().start,
                &axis.path,
                "the list of values is empty".into(),
            );
            return None;
        }
        let mut out = Vec::with_capacity(arr.len());
        let mut ok = true;
        for v in arr.iter() {
            // A scalar is checked once (its message, if any, is pushed there);
            // only a non-scalar gets "expected a number".
            let got = to_value(v.get_ref()).map(|tv| self.check(axis, v, &tv));
            match got {
                Some(Some(x)) => out.push(x),
                Some(None) => ok = false,
                None => {
                    ok = false;
                    self.push(
                        v.span().start,
                        &axis.path,
                        format!("expected a number, found {}", v.get_ref().type_str()),
                    );
                }
            }
        }
        ok.then_some(out)
    }

    fn range(&mut self, axis: &Axis, item: &Item, design: &str) -> Option<Range> {
        if axis.kind == Kind::Bool {
            self.push(
                item.span().start,
                &axis.path,
                format!(
                    "true/false parameters cannot be sampled by [{design}]; sweep them in a [grid]"
                ),
            );
            return None;
        }
        let bad = |cx: &mut Self| {
            cx.push(
                item.span().start,
                &axis.path,
                "expected a range [low, high], e.g. [0.0, 1.0]".into(),
            );
            None
        };
        let DeValue::Array(arr) = item.get_ref() else {
            return bad(self);
        };
        if arr.len() != 2 {
            return bad(self);
        }
        let mut ends = [0.0; 2];
        for (i, v) in arr.iter().enumerate() {
            let Some(tv) = to_value(v.get_ref()) else {
                return bad(self);
            };
            ends[i] = self.check(axis, v, &tv)?;
        }
        if ends[0] > ends[1] {
            self.push(
                item.span().start,
                &axis.path,
                format!("low {} is above high {}", ends[0], ends[1]),
            );
            return None;
        }
        Some(Range {
            low: ends[0],
            high: ends[1],
            integer: axis.kind == Kind::Int,
        })
    }
}

/// The design is drawn from the sweep seed and the swept paths, never from
/// time: the same file always gives the same points.
fn design_key(seed: u64, axes: &[Axis]) -> u64 {
    axes.iter()
        .fold(crate::model::rng::splitmix64(seed), |h, a| {
            crate::model::rng::splitmix64(h ^ hash_str(&a.path))
        })
}

fn hash_str(s: &str) -> u64 {
    let h = blake3::hash(s.as_bytes());
    u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

/// Scalar TOML values as `toml::Value`; `None` for arrays, tables and datetimes.
fn to_value(v: &DeValue) -> Option<toml::Value> {
    Some(match v {
        DeValue::Boolean(b) => toml::Value::Boolean(*b),
        DeValue::Integer(i) => {
            toml::Value::Integer(i64::from_str_radix(i.as_str(), i.radix()).ok()?)
        }
        DeValue::Float(f) => toml::Value::Float(f.as_str().replace('_', "").parse().ok()?),
        DeValue::String(s) => toml::Value::String(s.to_string()),
        _ => return None,
    })
}
