//! `ccgsim compare`: two policies side by side under common random numbers.
//!
//! Both scenarios run with the same seed, so run (replicate r, CCG c) of A and
//! of B draw from the same random stream; the difference B − A is then
//! estimated run by run (paired), which removes most of the noise the two
//! share. Two `ccgsim run` result folders can be compared too. Runs are paired
//! by (replicate, CCG) when the seeds agree — over the runs both sides have, if
//! one side has more replicates or CCGs — and compared unpaired (Welch) when
//! the seeds differ.
//!
//! An outcome is any column of timeseries.csv, or `failure_probability`; its
//! value for a run is the value at the last month, or with a window of months
//! `A..B` the mean over months A to B (undefined months skipped), as
//! `ccgsim validate` measures. Failure with a window counts the runs failed by
//! month B.

use crate::engine::{self, Plan, RunRecord};
use crate::error::{Error, Result, nearest};
use crate::model::Observation;
use crate::output::manifest::{scenario_json, timestamp};
use crate::output::tables::{format_number, push_number};
use crate::output::{FileInfo, Manifest, ResultDir};
use crate::progress::Progress;
use crate::scenario::Scenario;
use crate::stats::{self, Difference};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The outcome name for the share of runs that failed.
pub const FAILURE: &str = "failure_probability";

/// Outcomes compared when none is named.
pub const DEFAULT_OUTCOMES: [&str; 5] = [
    "engaged_share",
    "ownership_members",
    "performance",
    "credibility",
    FAILURE,
];

/// One compared quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A column of timeseries.csv (index into [`Observation::COLUMNS`]).
    Column(usize),
    /// Failed (1) or not (0); its mean is the failure probability.
    Failure,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Column(i) => Observation::COLUMNS[i],
            Outcome::Failure => FAILURE,
        }
    }

    /// `engaged_share`, … (any timeseries column), or `failure_probability`
    /// (also written `failure` or `failed`).
    pub fn parse(name: &str) -> Result<Outcome> {
        if matches!(name, "failure" | "failed" | FAILURE) {
            return Ok(Outcome::Failure);
        }
        if let Some(i) = Observation::COLUMNS.iter().position(|c| *c == name) {
            return Ok(Outcome::Column(i));
        }
        let all = Observation::COLUMNS.iter().copied().chain([FAILURE]);
        let hint = match nearest(name, all.clone()) {
            Some(n) => format!("did you mean `{n}`?"),
            None => format!("allowed: {}", all.collect::<Vec<_>>().join(", ")),
        };
        Err(Error::Usage(format!(
            "--outcome {name}: not an outcome; {hint}"
        )))
    }
}

/// What is measured on each run: the outcomes, at the last month or as a mean
/// over a window of months.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub outcomes: Vec<Outcome>,
    /// Months `from..=to`; `None` = the last month of the run.
    pub window: Option<(u32, u32)>,
}

impl Default for Measure {
    fn default() -> Self {
        Measure {
            outcomes: DEFAULT_OUTCOMES
                .iter()
                .map(|n| Outcome::parse(n).expect("default outcomes exist"))
                .collect(),
            window: None,
        }
    }
}

impl Measure {
    /// From `--outcome` names (empty: the defaults) and `--months A..B`.
    pub fn new(outcomes: &[String], window: Option<&str>) -> Result<Measure> {
        let mut m = Measure::default();
        if !outcomes.is_empty() {
            m.outcomes.clear();
            for n in outcomes {
                let o = Outcome::parse(n.trim())?;
                if !m.outcomes.contains(&o) {
                    m.outcomes.push(o);
                }
            }
        }
        m.window = window.map(parse_window).transpose()?;
        Ok(m)
    }

    /// "months 12–24 (mean)" or "the last month".
    pub fn describe(&self) -> String {
        match self.window {
            Some((a, b)) => format!("mean over months {a}–{b}"),
            None => "at the last month".to_string(),
        }
    }

    /// Refuse a window past the end of a side's runs.
    fn check_months(&self, label: &str, months: u32) -> Result<()> {
        match self.window {
            Some((a, b)) if b > months => Err(Error::Usage(format!(
                "--months {a}..{b}: {label} runs to month {months} only; choose a window that ends by month {months}"
            ))),
            _ => Ok(()),
        }
    }

    /// Each outcome's value for one run, from numbers as written in the CSV
    /// files (six decimals), so a scenario and its result folder agree exactly.
    fn of_record(&self, rec: &RunRecord) -> Vec<f64> {
        let last = rec.months.len().saturating_sub(1) as u32;
        let (from, to) = self.window.unwrap_or((last, last));
        self.outcomes
            .iter()
            .map(|o| match *o {
                Outcome::Failure => failed_by(rec.failed_month, to),
                Outcome::Column(c) => {
                    let mut acc = Mean::default();
                    for m in &rec.months[from as usize..=to as usize] {
                        acc.add(as_written(m.values()[c]));
                    }
                    acc.get()
                }
            })
            .collect()
    }
}

/// `"12..24"` (or `12-24`, `12..=24`) → (12, 24).
pub fn parse_window(text: &str) -> Result<(u32, u32)> {
    let bad = || {
        Error::Usage(format!(
            "--months {text}: expected a window of months A..B, e.g. 3..9 (month 0 = April 2013)"
        ))
    };
    let (a, b) = text
        .split_once("..=")
        .or_else(|| text.split_once(".."))
        .or_else(|| text.split_once('-'))
        .ok_or_else(bad)?;
    let (a, b): (u32, u32) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if a > b {
        return Err(Error::Usage(format!(
            "--months {text}: the window starts after it ends; write A..B with A ≤ B"
        )));
    }
    Ok((a, b))
}

fn failed_by(failed_month: Option<u32>, month: u32) -> f64 {
    match failed_month {
        Some(m) if m <= month => 1.0,
        _ => 0.0,
    }
}

/// `v` rounded as the CSV files write it.
fn as_written(v: f64) -> f64 {
    let mut b = Vec::new();
    push_number(v, &mut b);
    if b.is_empty() {
        return f64::NAN;
    }
    std::str::from_utf8(&b)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Mean of the defined values added, in order.
#[derive(Default, Clone, Copy)]
struct Mean {
    sum: f64,
    n: u32,
}

impl Mean {
    fn add(&mut self, x: f64) {
        if x.is_finite() {
            self.sum += x;
            self.n += 1;
        }
    }
    fn get(self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.sum / self.n as f64
        }
    }
}

/// One side's outcomes, in run order.
#[derive(Debug, Clone)]
pub struct Side {
    /// The scenario file or result folder it came from.
    pub source: String,
    pub name: String,
    pub seed: u64,
    pub months: u32,
    pub scenario_hash: String,
    /// (replicate, ccg, practices) of each run.
    pub runs: Vec<(u32, u32, u32)>,
    /// `values[k][i]`: outcome k of run i.
    pub values: Vec<Vec<f64>>,
}

impl Side {
    /// Position of each run by (replicate, CCG).
    fn index(&self) -> HashMap<(u32, u32), usize> {
        self.runs
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.0, r.1), i))
            .collect()
    }
}

/// Run `scn` and measure each run.
pub fn run_side(scn: Scenario, measure: &Measure, threads: usize, quiet: bool) -> Result<Side> {
    measure.check_months(&scn.file_label(), scn.months)?;
    let pool = engine::pool(threads)?;
    let plan = Plan::new(scn);
    let n = plan.runs();
    let mut side = Side {
        source: plan.scenario.file_label(),
        name: plan.scenario.name.clone(),
        seed: plan.scenario.seed,
        months: plan.scenario.months,
        scenario_hash: scenario_json(&plan.scenario).1,
        runs: Vec::with_capacity(n as usize),
        values: vec![Vec::with_capacity(n as usize); measure.outcomes.len()],
    };
    let mut progress = Progress::new(n, "CCG-runs", quiet);
    pool.install(|| {
        engine::ordered_map(
            0..n,
            32 * pool.current_num_threads() as u64,
            |i| {
                let rec = plan.record(i);
                (
                    (rec.id.replicate, rec.id.ccg, rec.practices),
                    measure.of_record(&rec),
                )
            },
            |_, (key, vals)| {
                side.runs.push(key);
                for (col, v) in side.values.iter_mut().zip(vals) {
                    col.push(v);
                }
                progress.inc(1);
                Ok(())
            },
        )
    })?;
    progress.finish();
    Ok(side)
}

/// Read a `ccgsim run` result folder (manifest.json, summary.csv and, for a
/// window of months, timeseries.csv), checking each file against its hash.
pub fn read_side(dir: &Path, measure: &Measure) -> Result<Side> {
    let mpath = dir.join("manifest.json");
    if !mpath.exists() {
        let what = if dir.join("points.csv").exists() {
            " (it looks like a `ccgsim sweep` folder)"
        } else {
            ""
        };
        return Err(Error::Refused(format!(
            "{} is not a `ccgsim run` result folder{what}: compare expects a scenario file (.toml) or a folder `ccgsim run` wrote (with manifest.json, summary.csv and timeseries.csv)",
            dir.display()
        )));
    }
    expect_run_folder(dir, "compare")?;
    let m = Manifest::read(&mpath)?;
    if m.kind != "run" || !m.complete {
        return Err(Error::Refused(format!(
            "{} is not a complete `ccgsim run` result (its manifest says kind \"{}\"{}); compare expects a scenario file or a `ccgsim run` folder",
            dir.display(),
            m.kind,
            if m.complete { "" } else { ", incomplete" }
        )));
    }
    measure.check_months(&dir.display().to_string(), m.months)?;
    let name = m
        .scenario
        .get("name")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    let mut side = Side {
        source: dir.display().to_string(),
        name,
        seed: m.seed,
        months: m.months,
        scenario_hash: m.scenario_hash.clone(),
        runs: Vec::new(),
        values: vec![Vec::new(); measure.outcomes.len()],
    };
    // summary.csv: the runs, their last month and when they failed.
    let format = crate::output::Format::of_listing("summary", m.files.keys());
    let path = dir.join(format.file("summary"));
    let mut failed_month = Vec::new();
    let mut last = Vec::new();
    read_csv(&path, m.files.get(&format.file("summary")), |cols| {
        let keys = [
            cols.index("replicate")?,
            cols.index("ccg")?,
            cols.index("practices")?,
        ];
        let fm = cols.index("failed_month")?;
        let outs = outcome_columns(cols, measure)?;
        let (runs, failed_month, last) = (&mut side.runs, &mut failed_month, &mut last);
        Ok(Box::new(move |rec: &csv::StringRecord, line: u64| {
            let k = [
                int(rec, keys[0], line)?,
                int(rec, keys[1], line)?,
                int(rec, keys[2], line)?,
            ];
            runs.push((k[0], k[1], k[2]));
            failed_month.push(if rec.get(fm) == Some("") {
                None
            } else {
                Some(int(rec, fm, line)?)
            });
            last.push(
                outs.iter()
                    .map(|c| c.map_or(Ok(f64::NAN), |c| num(rec, c, line)))
                    .collect::<Result<Vec<f64>>>()?,
            );
            Ok(())
        }))
    })?;
    let end = m.months;
    let (from, to) = measure.window.unwrap_or((end, end));
    // With a window, the column outcomes are averaged from timeseries.csv.
    let mut window: Vec<Vec<Mean>> = Vec::new();
    if measure.window.is_some() && measure.outcomes.iter().any(|o| *o != Outcome::Failure) {
        let index = side.index();
        window = vec![vec![Mean::default(); measure.outcomes.len()]; side.runs.len()];
        let path = dir.join(format.file("timeseries"));
        read_csv(&path, m.files.get(&format.file("timeseries")), |cols| {
            let keys = [cols.index("replicate")?, cols.index("ccg")?];
            let month = cols.index("month")?;
            let outs = outcome_columns(cols, measure)?;
            let window = &mut window;
            Ok(Box::new(move |rec: &csv::StringRecord, line: u64| {
                let t = int(rec, month, line)?;
                if t < from || t > to {
                    return Ok(());
                }
                let key = (int(rec, keys[0], line)?, int(rec, keys[1], line)?);
                let Some(&i) = index.get(&key) else {
                    return Err(bad_row(line, "a run that summary.csv does not list"));
                };
                for (acc, c) in window[i].iter_mut().zip(&outs) {
                    if let Some(c) = *c {
                        acc.add(num(rec, c, line)?);
                    }
                }
                Ok(())
            }))
        })?;
    }
    for i in 0..side.runs.len() {
        for (k, o) in measure.outcomes.iter().enumerate() {
            let v = match o {
                Outcome::Failure => failed_by(failed_month[i], to),
                Outcome::Column(_) if measure.window.is_some() => window[i][k].get(),
                Outcome::Column(_) => last[i][k],
            };
            side.values[k].push(v);
        }
    }
    Ok(side)
}

/// Refuse a result folder that another command wrote (a sweep, a comparison),
/// saying what `command` expected and what to use instead.
pub fn expect_run_folder(dir: &Path, command: &str) -> Result<()> {
    let path = dir.join("manifest.json");
    let kind = std::fs::read(&path)
        .ok()
        .filter(|b| b.len() < (64 << 20))
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string));
    match kind.as_deref() {
        Some("run") | None => Ok(()),
        Some(other) => {
            let instead = match other {
                "sweep" => format!(
                    "; to draw a sweep use `ccgsim plot sweep {}`",
                    dir.display()
                ),
                _ => String::new(),
            };
            Err(Error::Usage(format!(
                "{} is a `ccgsim {other}` result, but `{command}` expects folders written by `ccgsim run` (manifest.json with kind \"run\", summary.csv, timeseries.csv){instead}",
                dir.display()
            )))
        }
    }
}

/// Column positions of a CSV header, by name.
struct Columns<'h> {
    header: &'h csv::StringRecord,
    path: &'h Path,
}

impl Columns<'_> {
    fn index(&self, name: &str) -> Result<usize> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            Error::Refused(format!(
                "{}: no `{name}` column; was it written by `ccgsim run`?",
                self.path.display()
            ))
        })
    }
}

/// Each outcome's column (`None` for failure, which summary.csv gives as `failed_month`).
fn outcome_columns(cols: &Columns, measure: &Measure) -> Result<Vec<Option<usize>>> {
    measure
        .outcomes
        .iter()
        .map(|o| match o {
            Outcome::Column(_) => cols.index(o.name()).map(Some),
            Outcome::Failure => Ok(None),
        })
        .collect()
}

type RowFn<'a> = Box<dyn FnMut(&csv::StringRecord, u64) -> Result<()> + 'a>;

thread_local! {
    /// The file [`read_csv`] is reading, for row messages (`file:line: …`).
    static CURRENT: std::cell::RefCell<PathBuf> = std::cell::RefCell::new(PathBuf::new());
}

fn bad_row(line: u64, why: &str) -> Error {
    let file = CURRENT.with(|c| c.borrow().display().to_string());
    Error::Refused(format!("{file}:{line}: {why}"))
}

fn int(rec: &csv::StringRecord, c: usize, line: u64) -> Result<u32> {
    rec.get(c)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad_row(line, "expected a whole number"))
}

fn num(rec: &csv::StringRecord, c: usize, line: u64) -> Result<f64> {
    match rec.get(c) {
        Some("") => Ok(f64::NAN),
        Some(s) => s
            .parse()
            .map_err(|_| bad_row(line, &format!("bad number {s}"))),
        None => Err(bad_row(line, "missing a column")),
    }
}

/// Stream the CSV at `path` row by row (`setup` sees the header first), and
/// check the bytes read against the manifest's hash. A Parquet table is
/// checked against its hash first (its footer is at the end), then read as
/// CSV-like text records.
fn read_csv<'a>(
    path: &Path,
    info: Option<&FileInfo>,
    setup: impl FnOnce(&Columns) -> Result<RowFn<'a>>,
) -> Result<()> {
    CURRENT.with(|c| *c.borrow_mut() = path.to_path_buf());
    if crate::output::format::is_parquet(path) {
        return read_parquet(path, info, setup);
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
    let mut hashed = Hashing {
        inner: std::io::BufReader::with_capacity(1 << 20, file),
        hasher: blake3::Hasher::new(),
    };
    {
        let mut r = csv::ReaderBuilder::new().from_reader(&mut hashed);
        let header = r
            .headers()
            .map_err(|e| Error::Refused(format!("{}: {e}", path.display())))?
            .clone();
        let mut row = setup(&Columns {
            header: &header,
            path,
        })?;
        let mut rec = csv::StringRecord::new();
        let mut line = 1;
        while r
            .read_record(&mut rec)
            .map_err(|e| Error::Refused(format!("{}: {e}", path.display())))?
        {
            line += 1;
            row(&rec, line)?;
        }
    }
    // Whatever the CSV reader left unread still counts toward the hash.
    std::io::copy(&mut hashed, &mut std::io::sink()).map_err(|e| Error::io("read", path, e))?;
    match info {
        Some(info) => check_hash(path, &hashed.hasher, info),
        None => Ok(()),
    }
}

/// A file whose bytes do not hash to its manifest entry is refused.
fn check_hash(path: &Path, hasher: &blake3::Hasher, info: &FileInfo) -> Result<()> {
    if hasher.finalize().to_hex().as_str() != info.blake3 {
        return Err(Error::Refused(format!(
            "{} does not match its hash in manifest.json; the result is damaged",
            path.display()
        )));
    }
    Ok(())
}

fn read_parquet<'a>(
    path: &Path,
    info: Option<&FileInfo>,
    setup: impl FnOnce(&Columns) -> Result<RowFn<'a>>,
) -> Result<()> {
    if let Some(info) = info {
        let file = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
        let mut hasher = blake3::Hasher::new();
        hasher
            .update_reader(file)
            .map_err(|e| Error::io("read", path, e))?;
        check_hash(path, &hasher, info)?;
    }
    let mut r = crate::output::format::Records::open(path)?;
    let header = r.headers().clone();
    let mut row = setup(&Columns {
        header: &header,
        path,
    })?;
    let mut rec = csv::StringRecord::new();
    // Row numbers count as CSV lines do (the header is line 1).
    let mut line = 1;
    while r.read(&mut rec)? {
        line += 1;
        row(&rec, line)?;
    }
    Ok(())
}

struct Hashing<R> {
    inner: R,
    hasher: blake3::Hasher,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// How A's runs were matched with B's, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Pairing {
    pub paired: bool,
    /// Indices of the runs used, in A and in B (equal lengths when paired).
    pub a: Vec<usize>,
    pub b: Vec<usize>,
    /// One or two plain sentences for the screen and the manifest.
    pub note: String,
}

/// "0–19 (20 replicates)" for a set of replicate numbers.
fn span(set: &BTreeSet<u32>, what: &str) -> String {
    match (set.first(), set.last()) {
        (Some(a), Some(b)) if (b - a) as usize + 1 == set.len() && a != b => {
            format!("{what}s {a}–{b} ({} {what}s)", set.len())
        }
        (Some(a), Some(b)) if a == b => format!("{what} {a} (1 {what})"),
        _ => format!("{} {what}s", set.len()),
    }
}

/// Pair the runs both sides have (same seed, same replicate and CCG); say
/// exactly what differs and what was done.
pub fn pairing(a: &Side, b: &Side) -> Pairing {
    let all = |s: &Side| (0..s.runs.len()).collect::<Vec<_>>();
    if a.seed != b.seed {
        return Pairing {
            paired: false,
            a: all(a),
            b: all(b),
            note: format!(
                "the seeds differ (A {}, B {}), so no run of A shares its random numbers with a run of B: compared unpaired (Welch) over all {} and {} CCG-runs; run both with one seed (`--seed`) to pair them",
                a.seed,
                b.seed,
                a.runs.len(),
                b.runs.len()
            ),
        };
    }
    let key_b = b.index();
    let (mut ia, mut ib) = (Vec::new(), Vec::new());
    for (i, r) in a.runs.iter().enumerate() {
        if let Some(&j) = key_b.get(&(r.0, r.1)) {
            ia.push(i);
            ib.push(j);
        }
    }
    let reps = |s: &Side| s.runs.iter().map(|r| r.0).collect::<BTreeSet<u32>>();
    let ccgs = |s: &Side| s.runs.iter().map(|r| r.1).collect::<BTreeSet<u32>>();
    let mut differs = Vec::new();
    if reps(a) != reps(b) {
        differs.push(format!(
            "A has {}, B has {}",
            span(&reps(a), "replicate"),
            span(&reps(b), "replicate")
        ));
    }
    if ccgs(a) != ccgs(b) {
        differs.push(format!(
            "A has {} CCG(s) per replicate, B has {}",
            ccgs(a).len(),
            ccgs(b).len()
        ));
    }
    if ia.is_empty() {
        return Pairing {
            paired: false,
            a: all(a),
            b: all(b),
            note: format!(
                "same seed {}, but no (replicate, CCG) run in common ({}): compared unpaired (Welch) over all {} and {} CCG-runs",
                a.seed,
                differs.join("; "),
                a.runs.len(),
                b.runs.len()
            ),
        };
    }
    let note = if differs.is_empty() {
        format!(
            "common random numbers: seed {}, {} paired CCG-runs",
            a.seed,
            ia.len()
        )
    } else {
        format!(
            "common random numbers: seed {}, {} paired CCG-runs — {}; paired the {} CCG-runs both have (same replicate and CCG), left out {} of A's and {} of B's",
            a.seed,
            ia.len(),
            differs.join("; "),
            ia.len(),
            a.runs.len() - ia.len(),
            b.runs.len() - ib.len()
        )
    };
    Pairing {
        paired: true,
        a: ia,
        b: ib,
        note,
    }
}

/// One compared outcome.
#[derive(Debug, Clone)]
pub struct Row {
    pub outcome: &'static str,
    pub difference: Difference,
}

/// B − A for each outcome of `measure`.
pub fn compare(a: &Side, b: &Side, measure: &Measure, pair: &Pairing) -> Vec<Row> {
    measure
        .outcomes
        .iter()
        .enumerate()
        .map(|(k, o)| {
            let pick = |s: &Side, idx: &[usize]| idx.iter().map(|&i| s.values[k][i]).collect();
            let (va, vb): (Vec<f64>, Vec<f64>) = (pick(a, &pair.a), pick(b, &pair.b));
            let d = if pair.paired {
                stats::paired_difference(&va, &vb)
            } else {
                let keep = |v: Vec<f64>| v.into_iter().filter(|x| !x.is_nan()).collect::<Vec<_>>();
                stats::welch_difference(&keep(va), &keep(vb))
            };
            Row {
                outcome: o.name(),
                difference: d,
            }
        })
        .collect()
}

/// The statistics of each outcome in compare.csv, in order.
pub const STATISTICS: [&str; 6] = ["mean_a", "mean_b", "difference", "ci_low", "ci_high", "n"];

/// compare.csv, long format: one row per outcome × statistic.
pub fn csv(rows: &[Row], measure: &Measure, months: u32) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["outcome", "month_from", "month_to", "statistic", "value"])
        .expect("memory");
    let (from, to) = measure.window.unwrap_or((months, months));
    let (from, to) = (from.to_string(), to.to_string());
    let mut num = String::new();
    for r in rows {
        let d = &r.difference;
        let values = [d.mean_a, d.mean_b, d.difference, d.ci_low, d.ci_high];
        for (stat, v) in STATISTICS.iter().zip(values) {
            format_number(v, &mut num);
            w.write_record([r.outcome, &from, &to, stat, &num])
                .expect("memory");
        }
        w.write_record([r.outcome, &from, &to, "n", &d.n.to_string()])
            .expect("memory");
    }
    w.into_inner().expect("memory")
}

/// The on-screen table.
pub fn table(a: &Side, b: &Side, rows: &[Row], measure: &Measure, pair: &Pairing) -> String {
    let mut s = format!(
        "A = {} ({})\nB = {} ({})\n{}\noutcomes {}\n",
        a.name,
        a.source,
        b.name,
        b.source,
        pair.note,
        measure.describe()
    );
    s += &format!(
        "{:<26} {:>10} {:>10} {:>10}   {:<24}\n",
        "outcome", "mean A", "mean B", "B − A", "95% CI of B − A"
    );
    let f = |v: f64| {
        if v.is_nan() {
            "–".to_string()
        } else {
            format!("{v:.4}")
        }
    };
    for r in rows {
        let d = &r.difference;
        let excl = if d.ci_low > 0.0 || d.ci_high < 0.0 {
            " *"
        } else {
            ""
        };
        s += &format!(
            "{:<26} {:>10} {:>10} {:>10}   [{}, {}]{excl}\n",
            r.outcome,
            f(d.mean_a),
            f(d.mean_b),
            f(d.difference),
            f(d.ci_low),
            f(d.ci_high)
        );
    }
    s + "* the interval excludes zero\n"
}

#[derive(Debug, Serialize)]
struct SideInfo<'a> {
    source: &'a str,
    name: &'a str,
    seed: u64,
    months: u32,
    scenario_hash: &'a str,
    runs: usize,
}

fn side(s: &Side) -> SideInfo<'_> {
    SideInfo {
        source: &s.source,
        name: &s.name,
        seed: s.seed,
        months: s.months,
        scenario_hash: &s.scenario_hash,
        runs: s.runs.len(),
    }
}

#[derive(Debug, Serialize)]
struct CompareManifest<'a> {
    tool: &'static str,
    version: &'static str,
    kind: &'static str,
    a: SideInfo<'a>,
    b: SideInfo<'a>,
    paired: bool,
    pairing: &'a str,
    outcomes: Vec<&'static str>,
    /// Months averaged over, or null for the last month.
    window: Option<(u32, u32)>,
    confidence_level: f64,
    command_line: Vec<String>,
    started_at: String,
    finished_at: String,
    files: BTreeMap<String, FileInfo>,
    complete: bool,
}

/// Everything one comparison produced.
pub struct Comparison<'a> {
    pub a: &'a Side,
    pub b: &'a Side,
    pub measure: &'a Measure,
    pub pairing: &'a Pairing,
    pub rows: &'a [Row],
}

/// Write compare.csv and manifest.json into `dir` (created, and so checked,
/// before anything ran) and move it into place.
pub fn write(dir: ResultDir, c: &Comparison, started: SystemTime) -> Result<PathBuf> {
    let months = c.a.months.min(c.b.months);
    let mut f = dir.file("compare.csv")?;
    let rows = (c.rows.len() * STATISTICS.len()) as u64;
    f.write(&csv(c.rows, c.measure, months), rows)?;
    let info = f.finish()?;
    let m = CompareManifest {
        tool: "ccgsim",
        version: env!("CARGO_PKG_VERSION"),
        kind: "compare",
        a: side(c.a),
        b: side(c.b),
        paired: c.pairing.paired,
        pairing: &c.pairing.note,
        outcomes: c.measure.outcomes.iter().map(|o| o.name()).collect(),
        window: c.measure.window,
        confidence_level: stats::LEVEL,
        command_line: std::env::args().collect(),
        started_at: timestamp(started),
        finished_at: timestamp(SystemTime::now()),
        files: BTreeMap::from([("compare.csv".to_string(), info)]),
        complete: true,
    };
    let text = serde_json::to_string_pretty(&m).expect("a manifest always serialises") + "\n";
    let path = dir.staging().join("manifest.json");
    std::fs::write(&path, text).map_err(|e| Error::io("write", &path, e))?;
    dir.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(seed: u64, reps: u32, ccgs: u32) -> Side {
        let runs: Vec<(u32, u32, u32)> = (0..reps)
            .flat_map(|r| (0..ccgs).map(move |c| (r, c, 10)))
            .collect();
        Side {
            source: "x".into(),
            name: "x".into(),
            seed,
            months: 12,
            scenario_hash: String::new(),
            values: vec![runs.iter().map(|r| r.0 as f64).collect()],
            runs,
        }
    }

    #[test]
    fn windows_parse_and_refuse_nonsense() {
        assert_eq!(parse_window("3..9").unwrap(), (3, 9));
        assert_eq!(parse_window("3..=9").unwrap(), (3, 9));
        assert_eq!(parse_window("12-24").unwrap(), (12, 24));
        assert!(parse_window("9..3").is_err());
        assert!(parse_window("x").is_err());
    }

    #[test]
    fn outcomes_are_columns_or_failure() {
        assert_eq!(Outcome::parse("failed").unwrap(), Outcome::Failure);
        assert_eq!(Outcome::parse("workload").unwrap().name(), "workload");
        let e = Outcome::parse("engaged_shar").unwrap_err().to_string();
        assert!(e.contains("did you mean `engaged_share`"), "{e}");
    }

    #[test]
    fn unequal_replicates_pair_the_common_ones() {
        let (a, b) = (side(1, 20, 1), side(1, 30, 1));
        let p = pairing(&a, &b);
        assert!(p.paired);
        assert_eq!(p.a.len(), 20);
        assert_eq!(p.b, (0..20).collect::<Vec<_>>());
        assert!(
            p.note.contains(
                "A has replicates 0–19 (20 replicates), B has replicates 0–29 (30 replicates)"
            ),
            "{}",
            p.note
        );
        assert!(
            p.note.contains("left out 0 of A's and 10 of B's"),
            "{}",
            p.note
        );
        let p = pairing(&a, &side(2, 20, 1));
        assert!(
            !p.paired && p.note.contains("seeds differ (A 1, B 2)"),
            "{}",
            p.note
        );
    }
}
