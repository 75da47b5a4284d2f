//! `ccgsim plot …`: figures from finished results (compare, sweep) and the
//! teaching hysteresis figure. Each writes PNG + SVG into a new folder.

use ccgsim::error::{Error, Result};
use ccgsim::output::ResultDir;
use ccgsim::plot::{self, compare, hysteresis, sensitivity, sweep};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum PlotCommand {
    /// Overlay several results (folders written by `ccgsim run`), one colour each
    Compare {
        /// Result folders (two or more)
        #[arg(required = true, num_args = 2..)]
        results: Vec<PathBuf>,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Tipping-point maps (two grid parameters) or outcome curves (one) of a sweep;
    /// scatter panels with PRCC (prcc.csv) for sampled designs, index figures for sensitivity results
    Sweep {
        /// Sweep result folder (with stats.csv)
        dir: PathBuf,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Engaged share as a failure narrative is raised step by step, then lowered
    Hysteresis(HysteresisArgs),
}

#[derive(Args)]
pub struct OutArgs {
    /// Folder for the figures [default: see each command]
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing figure folder
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
pub struct HysteresisArgs {
    /// Scenario whose parameters (at month 0) and seed are used [default: built-in defaults]
    scenario: Option<PathBuf>,
    /// Narrative strengths from 0 to --max-strength, inclusive
    #[arg(long, default_value_t = 21)]
    steps: u32,
    /// Strongest failure narrative (0–1); the calibrated model tips near 0.1
    #[arg(long, default_value_t = 0.4)]
    max_strength: f64,
    /// Months the CCG spends at each strength before it is measured
    #[arg(long, default_value_t = 36)]
    months_per_step: u32,
    /// CCGs followed through the whole cycle
    #[arg(long, default_value_t = 40)]
    replicates: u32,
    /// Override the seed
    #[arg(long)]
    seed: Option<u64>,
    #[command(flatten)]
    out: OutArgs,
}

pub fn run(cmd: PlotCommand) -> Result<()> {
    match cmd {
        PlotCommand::Compare { results, out } => {
            let dirs: Vec<&Path> = results.iter().map(PathBuf::as_path).collect();
            let samples = dirs
                .iter()
                .map(|d| compare::read_result(d))
                .collect::<Result<Vec<_>>>()?;
            let target = out
                .out
                .clone()
                .unwrap_or_else(|| default_compare_out(&dirs));
            write_all(&target, out.force, compare::figures(&samples, &dirs))
        }
        PlotCommand::Sweep { dir, out } => sweep_figures(&dir, out.out.clone(), out.force),
        PlotCommand::Hysteresis(a) => {
            let mut setup = match &a.scenario {
                Some(path) => hysteresis::Setup::from_scenario(&crate::cli::load(path)?),
                None => hysteresis::Setup::default(),
            };
            if let Some(s) = a.seed {
                setup.seed = s;
            }
            setup.levels = hysteresis::levels(a.steps, a.max_strength)?;
            setup.months_per_step = check(a.months_per_step, 1, 1200, "--months-per-step")?;
            setup.replicates = check(a.replicates, 1, 100_000, "--replicates")?;
            let result = hysteresis::compute(&setup);
            let target = a
                .out
                .out
                .clone()
                .unwrap_or_else(|| PathBuf::from("output").join("hysteresis"));
            write_all(
                &target,
                a.out.force,
                vec![hysteresis::figure(&setup, &result)],
            )
        }
    }
}

/// The figures of a sweep folder: heatmaps or curves of a grid; scatter
/// panels and prcc.csv of a sampled design (LHS, Sobol, Morris, Saltelli) or
/// of more than two parameters; plus index figures when it holds indices.csv.
pub fn sweep_figures(dir: &Path, out: Option<PathBuf>, force: bool) -> Result<()> {
    let stats = sweep::read_stats(&dir.join("stats.csv"))?;
    let target = out.unwrap_or_else(|| dir.join("plots"));
    let design = ccgsim::sweep::SweepManifest::read(&dir.join("manifest.json"))
        .ok()
        .map(|m| m.design);
    let sampled = matches!(
        design.as_deref(),
        Some("lhs" | "sobol" | "morris" | "sobol_indices")
    ) || stats.params.len() > 2;
    if !sampled {
        return write_all(&target, force, sweep::figures(&stats)?);
    }
    let result = ResultDir::create(&target, force)?;
    let mut figs = sensitivity::scatter_figures(&stats);
    let ix = dir.join(ccgsim::sweep::indices::INDICES);
    if ix.is_file() {
        let rows = sensitivity::read_indices(&ix)?;
        figs.extend(sensitivity::index_figures(&rows, &stats.runs_note()));
    }
    for f in &figs {
        plot::save(f, result.staging())?;
    }
    let prcc = result.staging().join(sensitivity::PRCC_CSV);
    std::fs::write(&prcc, sensitivity::prcc_csv(&stats))
        .map_err(|e| Error::io("write", &prcc, e))?;
    finish(result, figs.len())
}

fn check(v: u32, lo: u32, hi: u32, flag: &str) -> Result<u32> {
    if v < lo || v > hi {
        return Err(Error::Usage(format!(
            "{flag} {v} is out of range; allowed an integer from {lo} to {hi}"
        )));
    }
    Ok(v)
}

/// Write figures of one type into a new folder, atomically.
fn write_all<F: plot::Figure>(target: &Path, force: bool, figs: Vec<F>) -> Result<()> {
    let dir = ResultDir::create_for(target, force, "plot")?;
    for f in &figs {
        plot::save(f, dir.staging())?;
    }
    finish(dir, figs.len())
}

fn finish(dir: ResultDir, n: usize) -> Result<()> {
    // A manifest marks the folder as ccgsim's: `--force` may then replace it.
    dir.write_listing_manifest("plot")?;
    let path = dir.commit()?;
    ccgsim::outln!("wrote {n} figure(s) as PNG and SVG into {}", path.display());
    Ok(())
}

/// `output/plot-compare-<a>-<b>…` from the result folders' names: not
/// `compare`'s own default folder, so the comparison's files are never replaced.
fn default_compare_out(dirs: &[&Path]) -> PathBuf {
    let names: Vec<String> = dirs
        .iter()
        .map(|d| {
            d.file_name()
                .map_or("result".into(), |n| n.to_string_lossy().to_string())
        })
        .collect();
    let mut name = format!("plot-compare-{}", names.join("-"));
    if name.len() > 80 {
        let mut end = 80;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    PathBuf::from("output").join(name)
}
