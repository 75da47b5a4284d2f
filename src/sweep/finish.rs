//! From runs to results: the CSV layouts of a sweep folder, and stats.csv /
//! timeseries_quantiles.csv computed by reading runs.csv / timeseries_runs.csv
//! back, one point at a time. Whole runs and merged shards both go through
//! here, from the same bytes, so their statistics are byte-identical.

use super::KEY_OUTCOMES;
use super::manifest::{SweepManifest, sync_dir, tmp_path};
use crate::error::{Error, Result};
use crate::output::tables::{self, format_number};
use crate::output::{FileInfo, HashedFile};
use crate::stats;
use std::path::Path;

pub const POINTS: &str = "points.csv";
pub const RUNS: &str = "runs.csv";
pub const STATS: &str = "stats.csv";
pub const TIMESERIES_RUNS: &str = "timeseries_runs.csv";
pub const TIMESERIES_QUANTILES: &str = "timeseries_quantiles.csv";
pub const MANIFEST: &str = "manifest.json";
/// Long companions of stats.csv and timeseries_quantiles.csv (one row per value).
pub const STATS_LONG: &str = "stats_long.csv";
pub const TIMESERIES_QUANTILES_LONG: &str = "timeseries_quantiles_long.csv";

/// runs.csv header: `point`, the point's parameter values, then the columns
/// of `ccgsim run`'s summary.csv.
pub fn runs_header(param_columns: &[String]) -> Vec<u8> {
    let mut h = b"point,".to_vec();
    for c in param_columns {
        h.extend(c.as_bytes());
        h.push(b',');
    }
    h.extend(tables::summary_header());
    h
}

/// timeseries_runs.csv header: point, replicate, ccg, month and the key outcomes.
pub fn timeseries_header() -> Vec<u8> {
    let mut cols = vec!["point", "replicate", "ccg", "month"];
    cols.extend(KEY_OUTCOMES);
    (cols.join(",") + "\n").into_bytes()
}

/// stats.csv header (the plotting code relies on these names).
pub fn stats_header(param_columns: &[String]) -> Vec<String> {
    let mut h = vec!["point".to_string()];
    h.extend(param_columns.iter().cloned());
    h.push("runs".into());
    for x in KEY_OUTCOMES {
        for s in ["mean", "sd", "ci_low", "ci_high"] {
            h.push(format!("{x}_{s}"));
        }
    }
    h.extend(["failure_probability", "failure_ci_low", "failure_ci_high"].map(String::from));
    h
}

/// Column name of quantile `q`: 0.05 → `q05`, 0.5 → `q50`, 0.025 → `q2_5`.
pub fn quantile_label(q: f64) -> String {
    let pct = q * 100.0;
    if (pct - pct.round()).abs() < 1e-9 {
        format!("q{:02}", pct.round() as i64)
    } else {
        let mut s = String::new();
        format_number(pct, &mut s);
        format!("q{}", s.replace('.', "_"))
    }
}

/// Write a file through `fill`, atomically (temporary name, fsync, rename).
pub fn write_file(
    path: &Path,
    fill: impl FnOnce(&mut HashedFile) -> Result<()>,
) -> Result<FileInfo> {
    let tmp = tmp_path(path);
    let mut f = HashedFile::create(&tmp)?;
    fill(&mut f)?;
    let info = f.finish()?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io("rename into place", path, e))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")));
    Ok(info)
}

fn reader(path: &Path) -> Result<csv::Reader<std::fs::File>> {
    csv::ReaderBuilder::new()
        .from_path(path)
        .map_err(|e| Error::Refused(format!("cannot read {}: {e}", path.display())))
}

fn bad(path: &Path, what: String) -> Error {
    Error::Refused(format!(
        "{} is damaged or incomplete: {what}",
        path.display()
    ))
}

pub(super) fn column(headers: &csv::StringRecord, name: &str, path: &Path) -> Result<usize> {
    headers
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| bad(path, format!("no `{name}` column")))
}

pub(super) fn number(cell: &str) -> f64 {
    if cell.is_empty() {
        f64::NAN
    } else {
        cell.parse().unwrap_or(f64::NAN)
    }
}

/// Rows of `path` grouped by their `point` column, checked to run 0, 1, … with
/// `per_point` rows each; `each(point, rows)` sees one point's rows at a time.
pub(super) fn by_point(
    path: &Path,
    points: u64,
    per_point: u64,
    mut each: impl FnMut(u64, &csv::StringRecord, &[csv::StringRecord]) -> Result<()>,
) -> Result<()> {
    let mut r = reader(path)?;
    let headers = r.headers().map_err(|e| bad(path, e.to_string()))?.clone();
    let pcol = column(&headers, "point", path)?;
    let mut group: Vec<csv::StringRecord> = Vec::new();
    let mut current = 0u64;
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(path, e.to_string()))?;
        let p: u64 = rec.get(pcol).and_then(|s| s.parse().ok()).ok_or_else(|| {
            bad(
                path,
                format!(
                    "bad point id on line {}",
                    rec.position().map_or(0, |p| p.line())
                ),
            )
        })?;
        if p != current {
            if p != current + 1 || group.len() as u64 != per_point {
                return Err(bad(
                    path,
                    format!(
                        "point {current} has {} rows (expected {per_point}), then point {p} follows",
                        group.len()
                    ),
                ));
            }
            each(current, &headers, &group)?;
            group.clear();
            current = p;
        }
        group.push(rec);
    }
    if points == 0 {
        return Ok(());
    }
    if current + 1 != points || group.len() as u64 != per_point {
        return Err(bad(
            path,
            format!(
                "it ends at point {current} with {} rows; expected {points} points of {per_point} rows",
                group.len()
            ),
        ));
    }
    each(current, &headers, &group)
}

/// stats.csv from runs.csv and points.csv: one row per point.
pub fn write_stats(dir: &Path, m: &SweepManifest) -> Result<FileInfo> {
    let runs_path = dir.join(RUNS);
    let mut points = reader(&dir.join(POINTS))?;
    let mut point_rows = points.records();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(stats_header(&m.columns)).expect("memory");
    let mut header = w.into_inner().expect("memory");
    let mut num = String::new();
    write_file(&dir.join(STATS), |out| {
        out.write(&header, 0)?;
        header.clear();
        by_point(
            &runs_path,
            m.points,
            m.runs_per_point,
            |p, headers, rows| {
                let prow = point_rows
                    .next()
                    .and_then(|r| r.ok())
                    .ok_or_else(|| bad(&dir.join(POINTS), format!("no row for point {p}")))?;
                let mut w = csv::Writer::from_writer(Vec::new());
                for cell in prow.iter() {
                    w.write_field(cell).expect("memory");
                }
                w.write_field(itoa::Buffer::new().format(rows.len()))
                    .expect("memory");
                for x in KEY_OUTCOMES {
                    let c = column(headers, x, &runs_path)?;
                    let values: Vec<f64> = rows.iter().map(|r| number(&r[c])).collect();
                    let s = stats::mean_ci(&values);
                    for v in [s.mean, s.sd, s.ci_low, s.ci_high] {
                        format_number(v, &mut num);
                        w.write_field(&num).expect("memory");
                    }
                }
                let fc = column(headers, "failed", &runs_path)?;
                let failed = rows.iter().filter(|r| &r[fc] == "1").count() as u64;
                let f = stats::wilson(failed, rows.len() as u64);
                for v in [f.p, f.ci_low, f.ci_high] {
                    format_number(v, &mut num);
                    w.write_field(&num).expect("memory");
                }
                w.write_record(None::<&[u8]>).expect("memory");
                out.write(&w.into_inner().expect("memory"), 1)
            },
        )
    })
}

/// timeseries_quantiles.csv from timeseries_runs.csv: per point and month,
/// quantiles of each key outcome over that point's runs.
pub fn write_quantiles(dir: &Path, m: &SweepManifest, qs: &[f64]) -> Result<FileInfo> {
    let src = dir.join(TIMESERIES_RUNS);
    let per_point = m.runs_per_point * (m.months as u64 + 1);
    let mut cols = vec!["point".to_string(), "month".to_string()];
    for x in KEY_OUTCOMES {
        for &q in qs {
            cols.push(format!("{x}_{}", quantile_label(q)));
        }
    }
    let header = (cols.join(",") + "\n").into_bytes();
    let mut num = String::new();
    write_file(&dir.join(TIMESERIES_QUANTILES), |out| {
        out.write(&header, 0)?;
        by_point(&src, m.points, per_point, |p, headers, rows| {
            let mc = column(headers, "month", &src)?;
            let months = m.months as usize + 1;
            let idx: Vec<usize> = KEY_OUTCOMES
                .iter()
                .map(|x| column(headers, x, &src))
                .collect::<Result<_>>()?;
            // values[month][outcome] over the point's runs.
            let mut values = vec![vec![Vec::new(); KEY_OUTCOMES.len()]; months];
            for r in rows {
                let t: usize = r[mc].parse().map_err(|_| bad(&src, "bad month".into()))?;
                if t >= months {
                    return Err(bad(&src, format!("month {t} beyond the horizon")));
                }
                for (k, &c) in idx.iter().enumerate() {
                    let v = number(&r[c]);
                    if !v.is_nan() {
                        values[t][k].push(v);
                    }
                }
            }
            let mut w = csv::Writer::from_writer(Vec::new());
            for (t, per) in values.iter_mut().enumerate() {
                w.write_field(itoa::Buffer::new().format(p))
                    .expect("memory");
                w.write_field(itoa::Buffer::new().format(t))
                    .expect("memory");
                for v in per.iter_mut() {
                    v.sort_by(f64::total_cmp);
                    for &q in qs {
                        format_number(stats::quantile_sorted(v, q), &mut num);
                        w.write_field(&num).expect("memory");
                    }
                }
                w.write_record(None::<&[u8]>).expect("memory");
            }
            out.write(&w.into_inner().expect("memory"), months as u64)
        })
    })
}

/// Complete a folder that holds points.csv, runs.csv (and timeseries_runs.csv):
/// a whole sweep also gets stats.csv (and timeseries_quantiles.csv, which
/// replaces the raw time series), a sensitivity design indices.csv; then
/// manifest.json, last, says complete.
pub fn complete(dir: &Path, m: &mut SweepManifest, started: std::time::SystemTime) -> Result<()> {
    if m.shard.is_whole() {
        let info = write_stats(dir, m)?;
        m.files.insert(STATS.into(), info);
        let info = write_stats_long(dir, m)?;
        m.files.insert(STATS_LONG.into(), info);
        if let Some(spec) = m.indices.clone() {
            let info = super::indices::write_indices(dir, m, &spec)?;
            m.files.insert(super::indices::INDICES.into(), info);
        }
        if let Some(qs) = m.timeseries_quantiles.clone() {
            let info = write_quantiles(dir, m, &qs)?;
            m.files.insert(TIMESERIES_QUANTILES.into(), info);
            let info = write_quantiles_long(dir, &qs)?;
            m.files.insert(TIMESERIES_QUANTILES_LONG.into(), info);
            m.files.remove(TIMESERIES_RUNS);
            let raw = dir.join(TIMESERIES_RUNS);
            std::fs::remove_file(&raw).map_err(|e| Error::io("remove", &raw, e))?;
        }
    }
    if m.format == crate::output::Format::Parquet && m.shard.is_whole() {
        to_parquet(dir, m)?;
    }
    m.complete = true;
    m.finish(started);
    m.write(&dir.join(MANIFEST))
}

/// `--format parquet`: every finished CSV table becomes a Parquet table of
/// the same rows and values (written aside, renamed into place, then the CSV
/// removed), and the manifest lists the Parquet files.
#[cfg(feature = "parquet")]
fn to_parquet(dir: &Path, m: &mut SweepManifest) -> Result<()> {
    let tables: Vec<String> = m
        .files
        .keys()
        .filter(|n| n.ends_with(".csv"))
        .cloned()
        .collect();
    for name in tables {
        let csv = dir.join(&name);
        let pq_name = format!("{}.parquet", name.trim_end_matches(".csv"));
        let pq = dir.join(&pq_name);
        let tmp = tmp_path(&pq);
        let info = crate::output::parquet::convert_csv(&csv, &tmp)?;
        std::fs::rename(&tmp, &pq).map_err(|e| Error::io("rename into place", &pq, e))?;
        std::fs::remove_file(&csv).map_err(|e| Error::io("remove", &csv, e))?;
        m.files.remove(&name);
        m.files.insert(pq_name, info);
    }
    sync_dir(dir);
    Ok(())
}

#[cfg(not(feature = "parquet"))]
fn to_parquet(_: &Path, _: &mut SweepManifest) -> Result<()> {
    Err(Error::Usage(
        "this ccgsim was built without the `parquet` cargo feature".into(),
    ))
}

/// `dst` as the long form of `src` (see [`tables::Long`]), streamed.
fn write_long(
    dir: &Path,
    src: &str,
    dst: &str,
    ids: usize,
    statistic: &str,
    split: impl Fn(&str) -> (String, String),
) -> Result<FileInfo> {
    let path = dir.join(src);
    let mut r = reader(&path)?;
    let header = r.headers().map_err(|e| bad(&path, e.to_string()))?.clone();
    let (long, head) = tables::Long::new(&header, ids, statistic, split);
    write_file(&dir.join(dst), |out| {
        out.write(&head, 0)?;
        for rec in r.records() {
            let (rows, n) = long.rows(&rec.map_err(|e| bad(&path, e.to_string()))?);
            out.write(&rows, n)?;
        }
        Ok(())
    })
}

/// stats_long.csv: point, parameters, runs, outcome, statistic, value.
fn write_stats_long(dir: &Path, m: &SweepManifest) -> Result<FileInfo> {
    write_long(
        dir,
        STATS,
        STATS_LONG,
        m.columns.len() + 2,
        "statistic",
        |c| {
            if let Some(s) = c.strip_prefix("failure_") {
                let s = if s == "probability" { "mean" } else { s };
                return ("failure_probability".into(), s.into());
            }
            for s in ["mean", "sd", "ci_low", "ci_high"] {
                if let Some(o) = c.strip_suffix(&format!("_{s}")) {
                    return (o.into(), s.into());
                }
            }
            (c.into(), String::new())
        },
    )
}

/// timeseries_quantiles_long.csv: point, month, outcome, quantile (a level
/// such as 0.05), value.
fn write_quantiles_long(dir: &Path, qs: &[f64]) -> Result<FileInfo> {
    let mut names = std::collections::HashMap::new();
    let mut level = String::new();
    for x in KEY_OUTCOMES {
        for &q in qs {
            format_number(q, &mut level);
            names.insert(format!("{x}_{}", quantile_label(q)), (x, level.clone()));
        }
    }
    write_long(
        dir,
        TIMESERIES_QUANTILES,
        TIMESERIES_QUANTILES_LONG,
        2,
        "quantile",
        |c| {
            names.get(c).map_or((c.into(), String::new()), |(x, l)| {
                (x.to_string(), l.clone())
            })
        },
    )
}

/// Check every file a complete manifest lists against its hash and size.
pub fn verify(dir: &Path, m: &SweepManifest) -> Result<()> {
    for (name, info) in &m.files {
        let path = dir.join(name);
        let (bytes, hash) = hash_file(&path).map_err(|e| {
            Error::Refused(format!(
                "{} is listed in the manifest but cannot be read ({e}); the result is damaged",
                path.display()
            ))
        })?;
        if bytes != info.bytes || hash != info.blake3 {
            return Err(Error::Refused(format!(
                "{} does not match its hash in manifest.json; the result is damaged (delete the folder and run again)",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Size and BLAKE3 of a file, streamed (results can be larger than memory).
/// Only a regular file is read (not a symbolic link, FIFO or device).
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    if !std::fs::symlink_metadata(path)?.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a link, pipe or device)",
        ));
    }
    let mut f = std::fs::File::open(path)?;
    let mut h = blake3::Hasher::new();
    let n = std::io::copy(&mut f, &mut h)?;
    Ok((n, h.finalize().to_hex().to_string()))
}
