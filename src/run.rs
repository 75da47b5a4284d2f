//! `ccgsim run`: a validated scenario → a complete result folder
//! (timeseries.csv, summary.csv — or .parquet with `--format parquet` —
//! manifest.json, and figures in plots/; with `practices`, practices.csv or
//! .parquet: see [`crate::output::practices`]).

use crate::engine::{self, Plan};
use crate::error::Result;
use crate::output::practices::{self, RunRows};
use crate::output::{Format, HashedFile, Manifest, ResultDir, space, tables};
use crate::plot::run_figures::{self, RunFigures};
use crate::progress::Progress;
use crate::scenario::Scenario;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub out: PathBuf,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
    pub force: bool,
    pub quiet: bool,
    /// Refuse up front when the estimated output exceeds the free disk space.
    pub check_space: bool,
    /// Draw the figures into `plots/` (collected in memory as the runs finish).
    pub plots: bool,
    /// Table format: CSV (default) or Parquet.
    pub format: Format,
    /// Also write the per-practice table (one row per practice and month) for these rows.
    pub practices: Option<practices::Selection>,
}

impl RunOptions {
    /// Options for writing into `out`: all cores, no overwrite, quiet, space
    /// checked, figures drawn (as `ccgsim run` does by default).
    pub fn new(out: impl Into<PathBuf>) -> RunOptions {
        RunOptions {
            out: out.into(),
            threads: 0,
            force: false,
            quiet: true,
            check_space: true,
            plots: true,
            format: Format::Csv,
            practices: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RunReport {
    pub path: PathBuf,
    pub runs: u64,
    pub practice_months: u64,
    pub seconds: f64,
}

/// Runs per parallel batch and worker: large enough to keep every core busy,
/// small enough that memory does not grow with the number of replicates.
const BATCH_PER_THREAD: u64 = 32;
/// Memory a batch of formatted runs may hold; long horizons get smaller batches.
const BATCH_MEMORY_BYTES: u64 = 256 << 20;

/// Runs per batch: enough for every worker, within [`BATCH_MEMORY_BYTES`].
pub fn batch_size(scn: &Scenario, threads: usize) -> u64 {
    batch_size_with(scn, threads, None)
}

/// Runs per batch when each run also holds its per-practice rows.
pub fn batch_size_with(
    scn: &Scenario,
    threads: usize,
    practices: Option<&practices::Selection>,
) -> u64 {
    let rows = practices.map_or(0, |s| s.run_memory_bytes(scn));
    let per_run = space::run_memory_bytes(scn).saturating_add(rows);
    let by_memory = (BATCH_MEMORY_BYTES / per_run.max(1)).max(1);
    (BATCH_PER_THREAD * threads.max(1) as u64).min(by_memory)
}

pub fn run(scn: Scenario, opts: &RunOptions) -> Result<RunReport> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let pool = engine::pool(opts.threads)?;
    let threads = pool.current_num_threads();
    if let Some(s) = &opts.practices {
        s.check(&scn)?;
    }
    if opts.check_space {
        let (ts, sm) = space::run_output_bytes(&scn);
        let figures = if opts.plots {
            space::run_figure_bytes(&scn)
        } else {
            0
        };
        // With Parquet the per-practice CSV is staged, then converted: room for both.
        let rows = (opts.practices.as_ref()).map_or(0, |s| s.output_bytes(&scn));
        let rows = if opts.format.is_csv() {
            rows
        } else {
            rows.saturating_mul(2)
        };
        let needed = ts.saturating_add(sm).saturating_add(figures);
        space::check_free_space(&opts.out, needed.saturating_add(rows))?;
    }
    let batch = batch_size_with(&scn, threads, opts.practices.as_ref());
    let practice_row_bytes = (opts.practices.as_ref()).map_or(0, |s| s.row_bytes(&scn));
    let plan = Plan::new(scn);
    let dir = ResultDir::create_for(&opts.out, opts.force, "run")?;
    let mut out = Tables::create(&dir, opts.format, &plan.scenario.name)?;
    let mut pf = match &opts.practices {
        Some(_) => Some(dir.file("practices.csv")?),
        None => None,
    };
    if let Some(pf) = &mut pf {
        pf.write(&practices::header(), 0)?;
    }

    let runs = plan.runs();
    let mut progress = Progress::new(runs, "CCG-runs", opts.quiet);
    let mut figures = opts.plots.then(|| RunFigures::new(&plan));
    // The runs the figures read (all but a sample's worth are skipped when
    // there are many): only those are reduced.
    let kept = figures.as_ref().map(|f| f.kept().clone());
    let scenario = tables::RowPrefix::new(&plan.scenario.name);
    pool.install(|| {
        engine::ordered_map(
            0..runs,
            batch,
            |i| {
                let id = plan.run_id(i);
                let selected = (opts.practices.as_ref()).filter(|s| s.includes(id));
                let mut practice_rows = selected.map(|s| {
                    let n = plan.sizes[id.ccg as usize];
                    RunRows::for_run(s, plan.scenario.months, n, practice_row_bytes)
                });
                let rec = match (selected, &mut practice_rows) {
                    (Some(s), Some(r)) => plan.record_with(i, |t, ccg, p| {
                        if s.includes_month(t) {
                            r.push_month(&scenario, id, t, ccg, p);
                        }
                    }),
                    _ => plan.record(i),
                };
                // Reduced here, on the worker, so the writer thread only copies.
                let series = kept.as_ref().map(|k| {
                    let ccg = rec.id.ccg;
                    (ccg, k.contains(i, ccg).then(|| run_figures::reduce(&rec)))
                });
                (
                    Rows::of(opts.format, &rec, &scenario),
                    series,
                    practice_rows,
                )
            },
            |i, (rows, series, practice_rows)| {
                out.add(rows)?;
                if let (Some(pf), Some(r)) = (&mut pf, practice_rows) {
                    pf.write(&r.bytes, r.rows)?;
                }
                if let (Some(figs), Some((ccg, values))) = (&mut figures, series) {
                    match values {
                        Some(values) => figs.add(i, ccg, &values),
                        None => figs.skip(i, ccg),
                    }
                }
                progress.inc(1);
                Ok(())
            },
        )
    })?;
    progress.finish();

    let mut manifest = Manifest::for_run(&plan.scenario, threads, started);
    let (ts, sm) = out.finish()?;
    manifest.files.insert(opts.format.file("timeseries"), ts);
    manifest.files.insert(opts.format.file("summary"), sm);
    if let Some(pf) = pf {
        let info = pf.finish()?;
        let name = opts.format.file("practices");
        let info = if opts.format.is_csv() {
            info
        } else {
            practices::to_parquet(
                &dir.staging().join("practices.csv"),
                &dir.staging().join(&name),
            )?
        };
        manifest.files.insert(name, info);
        manifest.practices = opts.practices.as_ref().map(|s| s.describe());
    }
    if let Some(figs) = figures {
        let plots = dir.staging().join("plots");
        for f in pool.install(|| figs.write(&plots))? {
            let name = f.path.strip_prefix(dir.staging()).unwrap_or(&f.path);
            manifest
                .files
                .insert(name.to_string_lossy().replace('\\', "/"), f.info());
        }
    }
    manifest.complete = true;
    manifest.write(&dir.staging().join("manifest.json"))?;
    let path = dir.commit()?;
    let (_, practice_months) = plan.scenario.workload();
    Ok(RunReport {
        path,
        runs,
        practice_months,
        seconds: clock.elapsed().as_secs_f64(),
    })
}

/// The run's two tables in the chosen format (one per run: its size does not matter).
#[allow(clippy::large_enum_variant)]
enum Tables {
    Csv(HashedFile, HashedFile),
    #[cfg(feature = "parquet")]
    Parquet(crate::output::run_parquet::RunTables),
}

/// One run's rows, made on its worker thread.
enum Rows {
    Csv(tables::FormattedRun),
    #[cfg(feature = "parquet")]
    Parquet(crate::output::run_parquet::RunRows),
}

impl Rows {
    fn of(format: Format, rec: &crate::engine::RunRecord, scenario: &tables::RowPrefix) -> Rows {
        match format {
            #[cfg(feature = "parquet")]
            Format::Parquet => Rows::Parquet(crate::output::run_parquet::RunRows::of(rec)),
            _ => Rows::Csv(tables::format_run(rec, true, scenario)),
        }
    }
}

impl Tables {
    fn create(dir: &ResultDir, format: Format, scenario: &str) -> Result<Tables> {
        match format {
            Format::Csv => {
                let mut ts = dir.file("timeseries.csv")?;
                let mut sm = dir.file("summary.csv")?;
                ts.write(&tables::timeseries_header(), 0)?;
                sm.write(&tables::summary_header(), 0)?;
                Ok(Tables::Csv(ts, sm))
            }
            #[cfg(feature = "parquet")]
            Format::Parquet => Ok(Tables::Parquet(
                crate::output::run_parquet::RunTables::create(dir, scenario)?,
            )),
            #[cfg(not(feature = "parquet"))]
            Format::Parquet => {
                let _ = scenario;
                Err(crate::error::Error::Usage(
                    "this ccgsim was built without the `parquet` cargo feature".into(),
                ))
            }
        }
    }

    fn add(&mut self, rows: Rows) -> Result<()> {
        match (self, rows) {
            (Tables::Csv(ts, sm), Rows::Csv(f)) => {
                ts.write(&f.timeseries, f.timeseries_rows)?;
                sm.write(&f.summary, 1)
            }
            #[cfg(feature = "parquet")]
            (Tables::Parquet(t), Rows::Parquet(r)) => t.add(&r),
            #[cfg(feature = "parquet")]
            _ => unreachable!("rows are made for their tables"),
        }
    }

    fn finish(self) -> Result<(crate::output::FileInfo, crate::output::FileInfo)> {
        match self {
            Tables::Csv(ts, sm) => Ok((ts.finish()?, sm.finish()?)),
            #[cfg(feature = "parquet")]
            Tables::Parquet(t) => t.finish(),
        }
    }
}
