//! `ccgsim merge`: shard folders of one sweep → the whole sweep's result.
//! Shards are contiguous slices of the global run order, so their runs
//! concatenate in shard order; statistics are then computed exactly as for a
//! whole run, which makes the result byte-identical to one.

use super::finish::{self, MANIFEST, POINTS, RUNS, TIMESERIES_RUNS};
use super::manifest::{Shard, SweepManifest};
use crate::error::{Error, Result};
use crate::output::{HashedFile, ResultDir};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

#[derive(Debug, Clone)]
pub struct MergeReport {
    pub path: PathBuf,
    pub shards: usize,
    pub runs: u64,
    pub points: u64,
}

/// Read, check and join `shards` into a new result folder `out`, in the
/// table format the shards were run with.
pub fn merge(shards: &[PathBuf], out: &Path) -> Result<MergeReport> {
    merge_as(shards, out, None)
}

/// [`merge`], writing the result's tables as `format` if given.
pub fn merge_as(
    shards: &[PathBuf],
    out: &Path,
    format: Option<crate::output::Format>,
) -> Result<MergeReport> {
    let started = SystemTime::now();
    if shards.is_empty() {
        return Err(Error::Usage("merge needs at least one shard folder".into()));
    }
    let mut parts: Vec<(PathBuf, SweepManifest)> = Vec::new();
    for dir in shards {
        let mpath = dir.join(MANIFEST);
        if !mpath.is_file() {
            let hint = if dir.join(super::run::PARTIAL).is_file() {
                "it is unfinished: run its `ccgsim sweep … --shard` command again to complete it"
            } else {
                "it holds no manifest.json"
            };
            return Err(Error::Refused(format!(
                "{} is not a finished sweep shard: {hint}",
                dir.display()
            )));
        }
        let m = SweepManifest::read(&mpath)?;
        if m.kind != "sweep" || !m.complete {
            return Err(Error::Refused(format!(
                "{} is not a complete sweep result",
                dir.display()
            )));
        }
        if m.shard.is_whole() {
            return Err(Error::Refused(format!(
                "{} is a whole sweep, not a shard: it is already complete, so there is nothing to merge \
                 (merge joins the folders of `ccgsim sweep … --shard K/N`)",
                dir.display()
            )));
        }
        if m.timeseries_quantiles.is_some() && !m.files.contains_key(TIMESERIES_RUNS) {
            return Err(Error::Refused(format!(
                "{} is a shard run with time series, but its manifest lists no {TIMESERIES_RUNS}; \
                 the shard is damaged: run its `ccgsim sweep … --shard` command again into a new folder",
                dir.display()
            )));
        }
        parts.push((dir.clone(), m));
    }
    let (first_dir, reference) = parts[0].clone();
    for (dir, m) in &parts[1..] {
        if let Some(diff) = reference.same_sweep(m) {
            return Err(Error::Refused(format!(
                "{} and {} are not shards of the same sweep: {diff}",
                first_dir.display(),
                dir.display()
            )));
        }
        if m.shard.count != reference.shard.count {
            return Err(Error::Refused(format!(
                "{} is shard {}/{} but {} is shard {}/{}; all shards must come from one split",
                first_dir.display(),
                reference.shard.index,
                reference.shard.count,
                dir.display(),
                m.shard.index,
                m.shard.count
            )));
        }
    }
    let count = reference.shard.count;
    let mut seen = vec![Vec::new(); count as usize];
    for (dir, m) in &parts {
        seen[m.shard.index as usize].push(dir.display().to_string());
    }
    let missing: Vec<String> = (0..count)
        .filter(|&k| seen[k as usize].is_empty())
        .map(|k| k.to_string())
        .collect();
    let dupes: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, d)| d.len() > 1)
        .map(|(k, d)| format!("shard {k} given {} times ({})", d.len(), d.join(", ")))
        .collect();
    if !missing.is_empty() || !dupes.is_empty() {
        let mut why = Vec::new();
        if !missing.is_empty() {
            why.push(format!(
                "missing shard(s) {} of 0..{}",
                missing.join(", "),
                count - 1
            ));
        }
        why.extend(dupes);
        return Err(Error::Refused(format!("cannot merge: {}", why.join("; "))));
    }
    parts.sort_by_key(|(_, m)| m.shard.index);
    let mut expect = 0;
    for (dir, m) in &parts {
        if m.first_run != expect {
            return Err(Error::Refused(format!(
                "{} starts at run {} but the previous shard ends at {expect}",
                dir.display(),
                m.first_run
            )));
        }
        expect = m.end_run;
        finish::verify(dir, m)?;
        if m.files.get(POINTS).map(|f| &f.blake3) != reference.files.get(POINTS).map(|f| &f.blake3)
        {
            return Err(Error::Refused(format!(
                "{}'s points.csv differs from {}'s",
                dir.display(),
                first_dir.display()
            )));
        }
    }
    if expect != reference.total_runs {
        return Err(Error::Refused(format!(
            "the shards hold runs 0..{expect} of {}",
            reference.total_runs
        )));
    }

    let result = ResultDir::create(out, false)?;
    let stage = result.staging().to_path_buf();
    let mut m = reference.clone();
    m.shard = Shard::WHOLE;
    m.first_run = 0;
    m.end_run = reference.total_runs;
    m.merged_from = parts.iter().map(|(d, _)| d.display().to_string()).collect();
    m.command_line = std::env::args().collect();
    m.started_at = crate::output::manifest::timestamp(started);
    m.files.clear();
    m.complete = false;
    if let Some(f) = format {
        m.format = f;
    }
    let pts = std::fs::read(first_dir.join(POINTS))
        .map_err(|e| Error::io("read", &first_dir.join(POINTS), e))?;
    let info = finish::write_file(&stage.join(POINTS), |f| f.write(&pts, m.points))?;
    m.files.insert(POINTS.into(), info);
    let mut names = vec![RUNS];
    if m.timeseries_quantiles.is_some() {
        names.push(TIMESERIES_RUNS);
    }
    for name in names {
        let info = finish::write_file(&stage.join(name), |out| {
            for (k, (dir, sm)) in parts.iter().enumerate() {
                let rows = sm.files.get(name).map_or(0, |f| f.rows);
                append(&dir.join(name), out, k == 0, rows)?;
            }
            Ok(())
        })?;
        m.files.insert(name.into(), info);
    }
    finish::complete(&stage, &mut m, started)?;
    let path = result.commit()?;
    Ok(MergeReport {
        path,
        shards: parts.len(),
        runs: m.total_runs,
        points: m.points,
    })
}

/// Copy a CSV file into `out`, keeping its header line only if `header`.
fn append(path: &Path, out: &mut HashedFile, header: bool, rows: u64) -> Result<()> {
    let f = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
    let mut r = BufReader::with_capacity(1 << 20, f);
    let mut first = Vec::new();
    r.read_until(b'\n', &mut first)
        .map_err(|e| Error::io("read", path, e))?;
    if header {
        out.write(&first, 0)?;
    }
    let mut buf = vec![0u8; 1 << 20];
    let mut counted = false;
    loop {
        let n = r.read(&mut buf).map_err(|e| Error::io("read", path, e))?;
        if n == 0 {
            break;
        }
        // Rows are counted once, from the manifest, not per buffer.
        out.write(&buf[..n], if counted { 0 } else { rows })?;
        counted = true;
    }
    Ok(())
}
