//! `manifest.json` of a sweep result (and `partial.json` of one in progress):
//! what sweep, which slice of its runs, with which options, and the hash of
//! every file. Two folders hold parts of the same sweep when their
//! [`SweepManifest::same_sweep`] agrees.

use super::Sweep;
use crate::error::{Error, Result};
use crate::output::FileInfo;
use crate::output::manifest::{scenario_json, timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

/// Shard `index` of `count` (counting from 0, as SLURM array tasks do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Runs `[first, end)` of `total`: contiguous, in global order, so the
    /// shards 0..count concatenate to the whole sweep.
    pub fn range(&self, total: u64) -> (u64, u64) {
        let at = |k: u64| (total as u128 * k as u128 / self.count as u128) as u64;
        (at(self.index), at(self.index + 1))
    }

    pub fn is_whole(&self) -> bool {
        self.count == 1
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SweepManifest {
    pub tool: String,
    pub version: String,
    /// Always "sweep".
    pub kind: String,
    pub sweep_file: String,
    pub sweep_file_blake3: String,
    /// Identity of the runs: equal hashes (and version), equal results.
    pub sweep_hash: String,
    pub description: String,
    pub design: String,
    /// Swept paths, and their column names in points.csv / stats.csv.
    pub parameters: Vec<String>,
    pub columns: Vec<String>,
    pub points: u64,
    pub replicates: u32,
    pub ccg_sizes: Vec<u32>,
    pub runs_per_point: u64,
    pub total_runs: u64,
    pub seed: u64,
    pub months: u32,
    pub base_scenario_file: String,
    pub base_scenario: serde_json::Value,
    pub shard: Shard,
    /// This folder holds global runs `first_run..end_run`.
    pub first_run: u64,
    pub end_run: u64,
    /// Quantile levels of timeseries_quantiles.csv, if requested.
    pub timeseries_quantiles: Option<Vec<f64>>,
    /// Runs per resumable chunk while the sweep was in progress.
    pub chunk_runs: u64,
    pub threads: usize,
    pub command_line: Vec<String>,
    pub started_at: String,
    pub finished_at: String,
    pub elapsed_seconds: f64,
    /// Shard folders this result was merged from (empty unless `ccgsim merge`).
    pub merged_from: Vec<String>,
    pub files: BTreeMap<String, FileInfo>,
    /// Sensitivity designs: what indices.csv holds (absent for plain sweeps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indices: Option<super::indices::IndexSpec>,
    /// Table format of the finished result (absent: CSV). Shards keep CSV
    /// working tables; a whole sweep, or the merge of shards, is converted.
    #[serde(default, skip_serializing_if = "crate::output::Format::is_csv")]
    pub format: crate::output::Format,
    /// Written last: a complete manifest means every file is final.
    pub complete: bool,
}

impl SweepManifest {
    pub fn new(
        sweep: &Sweep,
        shard: Shard,
        timeseries_quantiles: Option<Vec<f64>>,
        chunk_runs: u64,
        threads: usize,
        started: SystemTime,
    ) -> SweepManifest {
        let (base_scenario, _) = scenario_json(&sweep.base);
        let total = sweep.total_runs();
        let (first_run, end_run) = shard.range(total);
        SweepManifest {
            tool: "ccgsim".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            kind: "sweep".into(),
            sweep_file: sweep.file.display().to_string(),
            sweep_file_blake3: sweep.file_hash.clone(),
            sweep_hash: sweep.hash.clone(),
            description: sweep.description.clone(),
            design: sweep.design.name().into(),
            parameters: sweep.axes.iter().map(|a| a.path.clone()).collect(),
            columns: sweep.axes.iter().map(|a| a.column.clone()).collect(),
            points: sweep.points.len() as u64,
            replicates: sweep.base.replicates,
            ccg_sizes: sweep.base.ccg_sizes(),
            runs_per_point: sweep.runs_per_point(),
            total_runs: total,
            seed: sweep.base.seed,
            months: sweep.base.months,
            base_scenario_file: sweep.base.file_label(),
            base_scenario,
            shard,
            first_run,
            end_run,
            timeseries_quantiles,
            chunk_runs,
            threads,
            command_line: std::env::args().collect(),
            started_at: timestamp(started),
            finished_at: String::new(),
            elapsed_seconds: 0.0,
            merged_from: Vec::new(),
            files: BTreeMap::new(),
            indices: sweep.indices.clone(),
            format: crate::output::Format::Csv,
            complete: false,
        }
    }

    /// `None` when `other` holds runs of the same sweep (same file content
    /// after resolution, same version, same options); otherwise what differs.
    pub fn same_sweep(&self, other: &SweepManifest) -> Option<String> {
        if self.version != other.version {
            return Some(format!(
                "it was made by ccgsim {} (this is {})",
                other.version, self.version
            ));
        }
        if self.sweep_hash != other.sweep_hash {
            return Some(format!(
                "it holds another sweep ({}, hash {}…)",
                other.sweep_file,
                &other.sweep_hash[..12.min(other.sweep_hash.len())]
            ));
        }
        if self.timeseries_quantiles != other.timeseries_quantiles {
            let show = |q: &Option<Vec<f64>>| match q {
                None => "without --timeseries-quantiles".to_string(),
                Some(l) => format!(
                    "with --timeseries-quantiles {}",
                    l.iter().map(f64::to_string).collect::<Vec<_>>().join(",")
                ),
            };
            return Some(format!(
                "it was run {}, this run is {}",
                show(&other.timeseries_quantiles),
                show(&self.timeseries_quantiles)
            ));
        }
        None
    }

    pub fn finish(&mut self, started: SystemTime) {
        let now = SystemTime::now();
        self.finished_at = timestamp(now);
        self.elapsed_seconds = now.duration_since(started).map_or(0.0, |d| d.as_secs_f64());
    }

    /// Write atomically (temporary file, fsync, rename).
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = crate::output::manifest::sealed_json(self);
        write_atomic(path, text.as_bytes())
    }

    pub fn read(path: &Path) -> Result<SweepManifest> {
        // Bounded, regular files only: a manifest linked to /dev/zero or a FIFO is refused.
        let text =
            crate::error::read_input(path, "read", crate::output::verify::MAX_MANIFEST_BYTES)
                .map_err(|e| match e {
                    Error::Invalid(d) => Error::Refused(format!(
                        "{} cannot be read as a manifest: {}",
                        path.display(),
                        d.first().map_or(String::new(), |d| d.message.clone())
                    )),
                    other => other,
                })?;
        serde_json::from_str(&text).map_err(|e| {
            Error::Refused(format!(
                "{} is not a ccgsim sweep manifest ({e}); it may belong to another kind of result",
                path.display()
            ))
        })
    }
}

/// Write `data` to `path` so that a crash leaves either the old file or the
/// new one, never half of it: temporary sibling, fsync, rename, fsync folder.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = tmp_path(path);
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
    f.write_all(data).map_err(|e| Error::io("write", &tmp, e))?;
    f.sync_all().map_err(|e| Error::io("sync", &tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| Error::io("rename into place", path, e))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")));
    Ok(())
}

/// `.name.tmp` beside `path`.
pub fn tmp_path(path: &Path) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map_or("file".into(), |n| n.to_string_lossy().to_string());
    path.with_file_name(format!(".{name}.tmp"))
}

/// Make a rename durable (best effort: not every filesystem allows it).
pub fn sync_dir(dir: &Path) {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
