//! `ccgsim compare`: two policies side by side under common random numbers.
//!
//! Both scenarios run with the same seed, so run (replicate r, CCG c) of A and
//! of B draw from the same random stream; the difference B − A is then
//! estimated run by run (paired), which removes most of the noise the two
//! share. Two `ccgsim run` result folders can be compared too: they are paired
//! when their seeds and run layouts agree, and compared unpaired (Welch)
//! otherwise.

use crate::engine::{self, Plan};
use crate::error::{Error, Result};
use crate::output::manifest::{scenario_json, timestamp};
use crate::output::tables::{self, format_number};
use crate::output::{FileInfo, Manifest, ResultDir};
use crate::progress::Progress;
use crate::scenario::Scenario;
use crate::stats::{self, Difference};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Compared outcomes: (name in compare.csv, column of summary.csv). Failure
/// probability is the mean of summary.csv's 0/1 `failed`.
pub const OUTCOMES: [(&str, &str); 5] = [
    ("engaged_share", "engaged_share"),
    ("ownership_members", "ownership_members"),
    ("performance", "performance"),
    ("credibility", "credibility"),
    ("failure_probability", "failed"),
];

/// One side's end-of-run outcomes, in run order.
#[derive(Debug, Clone)]
pub struct Side {
    /// The scenario file or result folder it came from.
    pub source: String,
    pub name: String,
    pub seed: u64,
    pub scenario_hash: String,
    /// (replicate, ccg, practices) of each run.
    pub runs: Vec<(u32, u32, u32)>,
    /// `values[k][i]`: outcome k of run i.
    pub values: Vec<Vec<f64>>,
}

/// Run `scn` and keep its end-of-run outcomes, as written in summary.csv
/// (6 decimals), so a scenario and its result folder compare identically.
pub fn run_side(scn: Scenario, threads: usize, quiet: bool) -> Result<Side> {
    let pool = engine::pool(threads)?;
    let plan = Plan::new(scn);
    let n = plan.runs();
    let mut summary = tables::summary_header();
    let mut progress = Progress::new(n, "CCG-runs", quiet);
    pool.install(|| {
        engine::ordered_map(
            0..n,
            32 * pool.current_num_threads() as u64,
            |i| tables::format_run(&plan.record(i), false).summary,
            |_, row| {
                summary.extend(row);
                progress.inc(1);
                Ok(())
            },
        )
    })?;
    progress.finish();
    let (_, hash) = scenario_json(&plan.scenario);
    side_from_summary(
        plan.scenario.file_label(),
        plan.scenario.name.clone(),
        plan.scenario.seed,
        hash,
        &summary,
        Path::new("summary.csv"),
    )
}

/// Read a `ccgsim run` result folder (manifest.json + summary.csv).
pub fn read_side(dir: &Path) -> Result<Side> {
    let m = Manifest::read(&dir.join("manifest.json"))?;
    if m.kind != "run" || !m.complete {
        return Err(Error::Refused(format!(
            "{} is not a complete `ccgsim run` result",
            dir.display()
        )));
    }
    let path = dir.join("summary.csv");
    let bytes = std::fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
    if let Some(info) = m.files.get("summary.csv")
        && blake3::hash(&bytes).to_hex().as_str() != info.blake3
    {
        return Err(Error::Refused(format!(
            "{} does not match its hash in manifest.json; the result is damaged",
            path.display()
        )));
    }
    let name = m
        .scenario
        .get("name")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    side_from_summary(
        dir.display().to_string(),
        name,
        m.seed,
        m.scenario_hash,
        &bytes,
        &path,
    )
}

fn side_from_summary(
    source: String,
    name: String,
    seed: u64,
    scenario_hash: String,
    csv_bytes: &[u8],
    path: &Path,
) -> Result<Side> {
    let bad = |why: String| Error::Refused(format!("{}: {why}", path.display()));
    let mut r = csv::Reader::from_reader(csv_bytes);
    let headers = r.headers().map_err(|e| bad(e.to_string()))?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| bad(format!("no `{name}` column")))
    };
    let keys = [col("replicate")?, col("ccg")?, col("practices")?];
    let cols: Vec<usize> = OUTCOMES
        .iter()
        .map(|(_, c)| col(c))
        .collect::<Result<_>>()?;
    let mut side = Side {
        source,
        name,
        seed,
        scenario_hash,
        runs: Vec::new(),
        values: vec![Vec::new(); OUTCOMES.len()],
    };
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(e.to_string()))?;
        let k: Vec<u32> = keys
            .iter()
            .map(|&c| rec[c].parse().map_err(|_| bad("bad run key".into())))
            .collect::<Result<_>>()?;
        side.runs.push((k[0], k[1], k[2]));
        for (v, &c) in side.values.iter_mut().zip(&cols) {
            v.push(if rec[c].is_empty() {
                f64::NAN
            } else {
                rec[c]
                    .parse()
                    .map_err(|_| bad(format!("bad number {}", &rec[c])))?
            });
        }
    }
    Ok(side)
}

/// Can A and B be paired run by run? Same seed and the same runs (replicate,
/// CCG) in the same order: then run i of both drew from the same stream, even
/// if the CCGs differ in size (as when comparing CCG sizes).
pub fn paired(a: &Side, b: &Side) -> bool {
    a.seed == b.seed
        && a.runs.len() == b.runs.len()
        && a.runs
            .iter()
            .zip(&b.runs)
            .all(|(x, y)| (x.0, x.1) == (y.0, y.1))
}

/// B − A for each outcome in [`OUTCOMES`].
pub fn compare(a: &Side, b: &Side) -> Vec<(&'static str, Difference)> {
    let pair = paired(a, b);
    OUTCOMES
        .iter()
        .enumerate()
        .map(|(k, (name, _))| {
            let d = if pair {
                stats::paired_difference(&a.values[k], &b.values[k])
            } else {
                stats::welch_difference(&a.values[k], &b.values[k])
            };
            (*name, d)
        })
        .collect()
}

pub fn csv(rows: &[(&str, Difference)]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "outcome",
        "mean_a",
        "mean_b",
        "difference",
        "ci_low",
        "ci_high",
        "n",
        "paired",
    ])
    .expect("memory");
    let mut num = String::new();
    for (name, d) in rows {
        w.write_field(name).expect("memory");
        for v in [d.mean_a, d.mean_b, d.difference, d.ci_low, d.ci_high] {
            format_number(v, &mut num);
            w.write_field(&num).expect("memory");
        }
        w.write_field(d.n.to_string()).expect("memory");
        w.write_field(if d.paired { "true" } else { "false" })
            .expect("memory");
        w.write_record(None::<&[u8]>).expect("memory");
    }
    w.into_inner().expect("memory")
}

/// The on-screen table.
pub fn table(a: &Side, b: &Side, rows: &[(&str, Difference)]) -> String {
    let mut s = format!(
        "A = {} ({})\nB = {} ({})\n{}\n",
        a.name,
        a.source,
        b.name,
        b.source,
        if paired(a, b) {
            format!(
                "common random numbers: seed {}, {} paired CCG-runs",
                a.seed,
                a.runs.len()
            )
        } else {
            "runs differ in seed or layout: unpaired comparison (Welch)".to_string()
        }
    );
    s += &format!(
        "{:<22} {:>10} {:>10} {:>10}   {:<24}\n",
        "outcome", "mean A", "mean B", "B − A", "95% CI of B − A"
    );
    let f = |v: f64| {
        if v.is_nan() {
            "–".to_string()
        } else {
            format!("{v:.4}")
        }
    };
    for (name, d) in rows {
        let excl = if d.ci_low > 0.0 || d.ci_high < 0.0 {
            " *"
        } else {
            ""
        };
        s += &format!(
            "{:<22} {:>10} {:>10} {:>10}   [{}, {}]{excl}\n",
            name,
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
    scenario_hash: &'a str,
    runs: usize,
}

fn side(s: &Side) -> SideInfo<'_> {
    SideInfo {
        source: &s.source,
        name: &s.name,
        seed: s.seed,
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
    confidence_level: f64,
    command_line: Vec<String>,
    started_at: String,
    finished_at: String,
    files: BTreeMap<String, FileInfo>,
    complete: bool,
}

/// Write compare.csv and manifest.json into a new result folder `out`.
pub fn write(
    out: &Path,
    force: bool,
    a: &Side,
    b: &Side,
    rows: &[(&str, Difference)],
    started: SystemTime,
) -> Result<PathBuf> {
    let dir = ResultDir::create_for(out, force, "compare")?;
    let mut f = dir.file("compare.csv")?;
    f.write(&csv(rows), rows.len() as u64)?;
    let info = f.finish()?;
    let m = CompareManifest {
        tool: "ccgsim",
        version: env!("CARGO_PKG_VERSION"),
        kind: "compare",
        a: side(a),
        b: side(b),
        paired: paired(a, b),
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
