//! Running a sweep (or one shard of it) into a result folder that survives
//! interruption.
//!
//! While it runs, the folder holds `partial.json` (which sweep, which shard)
//! and `partial/`, where every finished chunk of runs is one file, written to
//! a temporary name, fsynced and renamed, ending in a trailer line with its
//! sweep hash, first run, sizes and BLAKE3. A kill at any moment leaves only
//! whole, verifiable chunks; running the same command again computes the
//! missing ones and assembles the same bytes as an uninterrupted run.

use super::finish::{self, MANIFEST, POINTS, RUNS, TIMESERIES_RUNS};
use super::manifest::{Shard, SweepManifest, sync_dir, tmp_path, write_atomic};
use super::{KEY_OUTCOMES, Sweep};
use crate::engine::{self, RunRecord};
use crate::error::{Error, Result};
use crate::model::Observation;
use crate::output::tables::{self, format_number};
use crate::output::{FileInfo, HashedFile};
use crate::progress::Progress;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

/// The in-progress manifest and the folder of finished chunks.
pub const PARTIAL: &str = "partial.json";
pub const CHUNKS: &str = "partial";
/// Runs per chunk: a few seconds of work, so an interruption loses little.
pub const DEFAULT_CHUNK_RUNS: u64 = 1024;
/// Testing hooks: chunk size, and abort (like kill -9) after writing N chunks.
pub const ENV_CHUNK_RUNS: &str = "CCGSIM_SWEEP_CHUNK_RUNS";
pub const ENV_ABORT_AFTER_CHUNKS: &str = "CCGSIM_SWEEP_ABORT_AFTER_CHUNKS";

#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub out: PathBuf,
    pub shard: Shard,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
    pub quiet: bool,
    /// Quantile levels for timeseries_quantiles.csv (None: no time series).
    pub timeseries_quantiles: Option<Vec<f64>>,
    /// Table format of the finished result (a shard records it for its merge).
    pub format: crate::output::Format,
}

#[derive(Debug, Clone)]
pub struct SweepReport {
    pub path: PathBuf,
    /// Runs this folder holds.
    pub runs: u64,
    /// Runs computed now (the rest were found finished on disk).
    pub computed: u64,
    pub already_complete: bool,
    pub seconds: f64,
}

pub fn run(sweep: &Sweep, opts: &SweepOptions) -> Result<SweepReport> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let pool = engine::pool(opts.threads)?;
    let chunk_runs = std::env::var(ENV_CHUNK_RUNS)
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&c| c > 0)
        .unwrap_or(DEFAULT_CHUNK_RUNS);
    let mut m = SweepManifest::new(
        sweep,
        opts.shard,
        opts.timeseries_quantiles.clone(),
        chunk_runs,
        pool.current_num_threads(),
        started,
    );
    m.format = opts.format;
    let out = &opts.out;
    let held = m.end_run - m.first_run;
    let report = |computed, already_complete| SweepReport {
        path: out.clone(),
        runs: held,
        computed,
        already_complete,
        seconds: clock.elapsed().as_secs_f64(),
    };
    // One writer per folder: a second sweep into it is refused while this one
    // runs (an advisory lock, released when the process ends however it ends).
    if !out.exists() {
        std::fs::create_dir_all(out).map_err(|e| Error::io("create output folder", out, e))?;
    }
    let _lock = if out.is_dir() {
        crate::output::result_dir::lock_folder(out, false)?
    } else {
        None
    };
    if prepare(out, &mut m)? {
        return Ok(report(0, true));
    }

    let chunks: Vec<(u64, u64)> = (m.first_run..m.end_run)
        .step_by(m.chunk_runs as usize)
        .map(|s| (s, (s + m.chunk_runs).min(m.end_run)))
        .collect();
    let dir = out.join(CHUNKS);
    let mut todo = Vec::new();
    for &(s, e) in &chunks {
        let path = chunk_path(&dir, s);
        match read_chunk(&path, &m.sweep_hash, s, e - s, m.months) {
            Ok(_) => {}
            Err(ChunkError::Missing) => todo.push((s, e)),
            Err(ChunkError::Damaged(why)) => {
                crate::warnln!(
                    "warning: finished chunk {} is damaged ({why}); computing its runs again",
                    path.display()
                );
                todo.push((s, e));
            }
        }
    }
    let computed: u64 = todo.iter().map(|(s, e)| e - s).sum();
    let abort_after: Option<usize> = std::env::var(ENV_ABORT_AFTER_CHUNKS)
        .ok()
        .and_then(|s| s.parse().ok());
    let with_ts = m.timeseries_quantiles.is_some();
    let rpp = m.runs_per_point;
    let mut progress = Progress::new(computed, "CCG-runs", opts.quiet);
    let scenario = tables::RowPrefix::new(&sweep.base.name);
    // Contiguous stretches of missing chunks each go through one ordered_map,
    // a chunk per batch, so writing a chunk overlaps computing the next.
    let mut spans: Vec<(u64, u64)> = Vec::new();
    for &(s, e) in &todo {
        match spans.last_mut() {
            Some(last) if last.1 == s => last.1 = e,
            _ => spans.push((s, e)),
        }
    }
    let mut written = 0usize;
    for (s, e) in spans {
        let (mut runs, mut ts) = (Vec::new(), Vec::new());
        let mut chunk_start = s;
        pool.install(|| {
            engine::ordered_map(
                s..e,
                m.chunk_runs,
                // A plan per run costs a few microseconds against a run's
                // hundreds, and keeps memory independent of the design.
                |g| {
                    let p = g / rpp;
                    let rec = sweep.point_plan(p as usize).record(g % rpp);
                    format_run(p, &sweep.point_fields(p as usize), &rec, with_ts, &scenario)
                },
                |g, (r, t)| {
                    runs.extend(r);
                    ts.extend(t);
                    progress.inc(1);
                    let chunk_end = (chunk_start + m.chunk_runs).min(e);
                    if g + 1 < chunk_end {
                        return Ok(());
                    }
                    let path = chunk_path(&dir, chunk_start);
                    write_chunk(
                        &path,
                        &m.sweep_hash,
                        chunk_start,
                        chunk_end - chunk_start,
                        &runs,
                        &ts,
                    )?;
                    runs.clear();
                    ts.clear();
                    chunk_start = chunk_end;
                    written += 1;
                    if abort_after.is_some_and(|a| written >= a) {
                        crate::warnln!(
                            "{ENV_ABORT_AFTER_CHUNKS}: aborting after {written} chunk(s)"
                        );
                        std::process::abort();
                    }
                    Ok(())
                },
            )
        })?;
    }
    progress.finish();

    assemble(out, sweep, &mut m, &chunks, started)?;
    Ok(report(computed, false))
}

/// Check or claim the result folder. Ok(true): it already holds this complete
/// result. Ok(false): runs may start (fresh, or resuming this sweep's chunks).
fn prepare(out: &Path, m: &mut SweepManifest) -> Result<bool> {
    if out.is_file() {
        return Err(Error::Refused(format!(
            "output path {} is a file, not a folder; choose another --out",
            out.display()
        )));
    }
    let refuse = |why: String| {
        Err(Error::Refused(format!(
            "refusing to write into {}: {why}; choose another --out",
            out.display()
        )))
    };
    if out.exists() {
        let names = entries(out)?;
        if names.iter().any(|n| n == MANIFEST) {
            let old = SweepManifest::read(&out.join(MANIFEST))?;
            if let Some(diff) = m.same_sweep(&old) {
                return refuse(diff);
            }
            if old.shard != m.shard {
                return refuse(format!(
                    "it holds shard {}/{} of this sweep, not {}/{}",
                    old.shard.index, old.shard.count, m.shard.index, m.shard.count
                ));
            }
            if !old.complete {
                return refuse("its manifest.json says the result is incomplete".into());
            }
            finish::verify(out, &old)?;
            remove_partial(out)?;
            return Ok(true);
        }
        if names.iter().any(|n| n == PARTIAL) {
            let old = SweepManifest::read(&out.join(PARTIAL))?;
            if let Some(diff) = m.same_sweep(&old) {
                return refuse(format!("it holds an unfinished run, but {diff}"));
            }
            if old.shard != m.shard {
                return refuse(format!(
                    "it holds an unfinished shard {}/{}, not {}/{}",
                    old.shard.index, old.shard.count, m.shard.index, m.shard.count
                ));
            }
            // Files an interrupted run or assembly may leave behind.
            let ours = |n: &str| {
                [PARTIAL, CHUNKS, POINTS, RUNS, TIMESERIES_RUNS]
                    .into_iter()
                    .chain([finish::STATS, finish::TIMESERIES_QUANTILES])
                    .chain([finish::STATS_LONG, finish::TIMESERIES_QUANTILES_LONG])
                    .chain([super::indices::INDICES])
                    .any(|k| k == n || n.strip_suffix(".parquet") == k.strip_suffix(".csv"))
                    || (n.starts_with('.') && n.ends_with(".tmp"))
            };
            if let Some(other) = names.iter().find(|n| !ours(n)) {
                return refuse(format!(
                    "it holds an unfinished run of this sweep but also `{other}`, which ccgsim did not write"
                ));
            }
            m.chunk_runs = old.chunk_runs;
            std::fs::create_dir_all(out.join(CHUNKS))
                .map_err(|e| Error::io("create", &out.join(CHUNKS), e))?;
            return Ok(false);
        }
        // A run killed while claiming the folder leaves at most these behind.
        let claimed = |n: &String| {
            n == ".partial.json.tmp"
                || (n == CHUNKS && entries(&out.join(CHUNKS)).is_ok_and(|e| e.is_empty()))
        };
        if !names.iter().all(claimed) {
            return refuse(format!(
                "it is not empty ({} entries) and holds no ccgsim sweep result",
                names.len()
            ));
        }
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io("create output folder", out, e))?;
    m.write(&out.join(PARTIAL))?;
    std::fs::create_dir_all(out.join(CHUNKS))
        .map_err(|e| Error::io("create", &out.join(CHUNKS), e))?;
    Ok(false)
}

fn entries(dir: &Path) -> Result<Vec<String>> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io("read folder", dir, e))?;
    let mut names = Vec::new();
    for e in rd {
        let e = e.map_err(|e| Error::io("read folder", dir, e))?;
        names.push(e.file_name().to_string_lossy().to_string());
    }
    Ok(names)
}

fn remove_partial(out: &Path) -> Result<()> {
    let chunks = out.join(CHUNKS);
    if chunks.exists() {
        std::fs::remove_dir_all(&chunks).map_err(|e| Error::io("remove", &chunks, e))?;
    }
    let p = out.join(PARTIAL);
    if p.exists() {
        std::fs::remove_file(&p).map_err(|e| Error::io("remove", &p, e))?;
    }
    sync_dir(out);
    Ok(())
}

/// Indices of the key outcomes among the observation's columns.
fn key_indices() -> [usize; KEY_OUTCOMES.len()] {
    KEY_OUTCOMES.map(|k| {
        Observation::COLUMNS
            .iter()
            .position(|c| *c == k)
            .expect("key outcomes are observation columns")
    })
}

/// A run's runs.csv row (point, its parameter values `fields`, the summary
/// row) and (optionally) its timeseries_runs.csv rows.
fn format_run(
    point: u64,
    fields: &[u8],
    rec: &RunRecord,
    with_ts: bool,
    scenario: &tables::RowPrefix,
) -> (Vec<u8>, Vec<u8>) {
    let f = tables::format_run(rec, false, scenario);
    let mut p = itoa::Buffer::new();
    let p = p.format(point).as_bytes();
    let mut row = Vec::with_capacity(p.len() + fields.len() + 1 + f.summary.len());
    row.extend(p);
    row.extend(fields);
    row.push(b',');
    row.extend_from_slice(&f.summary);
    let mut ts = Vec::new();
    if with_ts {
        let idx = key_indices();
        let mut num = String::new();
        let mut b = itoa::Buffer::new();
        for (t, o) in rec.months.iter().enumerate() {
            ts.extend(p);
            for k in [rec.id.replicate as u64, rec.id.ccg as u64, t as u64] {
                ts.push(b',');
                ts.extend(b.format(k).as_bytes());
            }
            let values = o.values();
            for &i in &idx {
                ts.push(b',');
                format_number(values[i], &mut num);
                ts.extend(num.as_bytes());
            }
            ts.push(b'\n');
        }
    }
    (row, ts)
}

fn chunk_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{first:013}.chunk"))
}

const TRAILER: &str = "#ccgsim-chunk v1";

fn write_chunk(path: &Path, hash: &str, first: u64, runs: u64, r: &[u8], t: &[u8]) -> Result<()> {
    let mut h = blake3::Hasher::new();
    h.update(r);
    h.update(t);
    let mut data = Vec::with_capacity(r.len() + t.len() + 200);
    data.extend(r);
    data.extend(t);
    data.extend(
        format!(
            "{TRAILER} sweep={hash} first={first} runs={runs} runs_bytes={} ts_bytes={} blake3={}\n",
            r.len(),
            t.len(),
            h.finalize().to_hex()
        )
        .as_bytes(),
    );
    write_atomic(path, &data)
}

enum ChunkError {
    Missing,
    Damaged(String),
}

/// A finished chunk's runs and time-series bytes, verified against its trailer.
fn read_chunk(
    path: &Path,
    hash: &str,
    first: u64,
    runs: u64,
    months: u32,
) -> std::result::Result<(Vec<u8>, Vec<u8>), ChunkError> {
    use std::io::Read;
    // Only a regular file (not a link, FIFO or device), and no more bytes than
    // `runs` runs can take: a planted file cannot hang or exhaust the resume.
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ChunkError::Missing),
        Err(e) => return Err(ChunkError::Damaged(e.to_string())),
    };
    if !meta.is_file() {
        return Err(ChunkError::Damaged("it is not a regular file".into()));
    }
    let limit = runs
        .saturating_mul(4096 + (months as u64 + 1).saturating_mul(512))
        .saturating_add(4096);
    if meta.len() > limit {
        return Err(ChunkError::Damaged(format!(
            "it is {} bytes, more than {runs} runs can take",
            meta.len()
        )));
    }
    let mut data = Vec::new();
    if let Err(e) = std::fs::File::open(path).and_then(|f| f.take(limit).read_to_end(&mut data)) {
        return Err(ChunkError::Damaged(e.to_string()));
    }
    let damaged = |s: &str| ChunkError::Damaged(s.to_string());
    if data.last() != Some(&b'\n') {
        return Err(damaged("no trailer line"));
    }
    let start = data[..data.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let trailer = String::from_utf8_lossy(&data[start..data.len() - 1]).to_string();
    let Some(fields) = trailer.strip_prefix(TRAILER) else {
        return Err(damaged("no trailer line"));
    };
    let get = |k: &str| {
        fields
            .split_whitespace()
            .find_map(|f| f.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
            .unwrap_or("")
    };
    if get("sweep") != hash {
        return Err(damaged("it belongs to another sweep"));
    }
    if get("first") != first.to_string() || get("runs") != runs.to_string() {
        return Err(damaged("it holds other runs than its name says"));
    }
    let (Ok(rb), Ok(tb)) = (
        get("runs_bytes").parse::<usize>(),
        get("ts_bytes").parse::<usize>(),
    ) else {
        return Err(damaged("unreadable trailer"));
    };
    if rb + tb != start {
        return Err(damaged("its length does not match its trailer"));
    }
    data.truncate(start);
    if blake3::hash(&data).to_hex().as_str() != get("blake3") {
        return Err(damaged("its content does not match its checksum"));
    }
    let ts = data.split_off(rb);
    let rows = data.iter().filter(|&&b| b == b'\n').count() as u64;
    if rows != runs {
        return Err(damaged("wrong number of rows"));
    }
    Ok((data, ts))
}

/// Concatenate the verified chunks into runs.csv (and timeseries_runs.csv),
/// write points.csv, then statistics and the manifest; finally drop the chunks.
fn assemble(
    out: &Path,
    sweep: &Sweep,
    m: &mut SweepManifest,
    chunks: &[(u64, u64)],
    started: SystemTime,
) -> Result<()> {
    m.files.clear();
    let points = sweep.points_csv();
    let info = finish::write_file(&out.join(POINTS), |f| {
        f.write(&points, sweep.points.len() as u64)
    })?;
    m.files.insert(POINTS.into(), info);

    let dir = out.join(CHUNKS);
    let with_ts = m.timeseries_quantiles.is_some();
    let runs_path = out.join(RUNS);
    let ts_path = out.join(TIMESERIES_RUNS);
    let mut runs = HashedFile::create(&tmp_path(&runs_path))?;
    let mut ts = if with_ts {
        Some(HashedFile::create(&tmp_path(&ts_path))?)
    } else {
        None
    };
    runs.write(&finish::runs_header(&m.columns), 0)?;
    if let Some(t) = ts.as_mut() {
        t.write(&finish::timeseries_header(), 0)?;
    }
    let months = m.months as u64 + 1;
    for &(s, e) in chunks {
        let path = chunk_path(&dir, s);
        let (r, t) = read_chunk(&path, &m.sweep_hash, s, e - s, m.months).map_err(|err| {
            let why = match err {
                ChunkError::Missing => "it is missing".to_string(),
                ChunkError::Damaged(w) => w,
            };
            Error::Refused(format!(
                "chunk {} changed while the sweep ran ({why}); run the command again",
                path.display()
            ))
        })?;
        runs.write(&r, e - s)?;
        if let Some(f) = ts.as_mut() {
            f.write(&t, (e - s) * months)?;
        }
    }
    let mut place = |f: HashedFile, path: &Path, name: &str| -> Result<FileInfo> {
        let info = f.finish()?;
        std::fs::rename(tmp_path(path), path).map_err(|e| Error::io("rename", path, e))?;
        m.files.insert(name.into(), info.clone());
        Ok(info)
    };
    place(runs, &runs_path, RUNS)?;
    if let Some(f) = ts {
        place(f, &ts_path, TIMESERIES_RUNS)?;
    }
    sync_dir(out);
    finish::complete(out, m, started)?;
    remove_partial(out)
}
