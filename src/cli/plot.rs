//! `ccgsim plot …`: figures from finished results (compare, sweep) and the
//! teaching hysteresis figure (its experiment run first). Each writes PNG +
//! SVG + CSV of the plotted values into a new folder, with a manifest.

use ccgsim::error::{Error, Result};
use ccgsim::hysteresis::{self as experiment, Design};
use ccgsim::output::ResultDir;
use ccgsim::plot::{self, PlotManifest, compare, hysteresis, sensitivity, sweep};
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
    /// Run the hysteresis experiment (a failure narrative raised step by step,
    /// then lowered) and draw engaged share against narrative strength
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
    /// Strongest failure narrative (0–1) [default: twice the strength at which
    /// engagement falls below half in a quick pilot (strengths 0 to 1, the way up
    /// only), rounded up, so the collapse fills the figure; printed when run]
    #[arg(long)]
    max_strength: Option<f64>,
    /// Months the CCG spends at each strength before it is measured (1–240)
    #[arg(long, default_value_t = 36)]
    months_per_step: u32,
    /// CCGs followed through the whole cycle
    #[arg(long, default_value_t = 40)]
    replicates: u32,
    /// Override the seed
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (0 = one per core); results do not depend on it
    #[arg(long, default_value_t = 0)]
    threads: usize,
    #[command(flatten)]
    out: OutArgs,
}

pub fn run(cmd: PlotCommand) -> Result<()> {
    match cmd {
        PlotCommand::Compare { results, out } => {
            let dirs: Vec<&Path> = results.iter().map(PathBuf::as_path).collect();
            let target = out
                .out
                .clone()
                .unwrap_or_else(|| default_compare_out(&dirs));
            let dir = ResultDir::create_for(&target, out.force, "plot")?;
            let samples = dirs
                .iter()
                .map(|d| compare::read_result(d))
                .collect::<Result<Vec<_>>>()?;
            let inputs = dirs.iter().map(|d| d.display().to_string()).collect();
            write_all(
                dir,
                "plot compare",
                inputs,
                compare::figures(&samples, &dirs),
                &[],
            )
        }
        PlotCommand::Sweep { dir, out } => sweep_figures(&dir, out.out.clone(), out.force),
        PlotCommand::Hysteresis(a) => {
            let mut design = match &a.scenario {
                Some(path) => Design::from_scenario(&crate::cli::load(path)?),
                None => Design::defaults(),
            };
            if let Some(s) = a.seed {
                design.seed = s;
            }
            design.months_per_step = check(a.months_per_step, 1, 240, "--months-per-step")?;
            design.replicates = check(a.replicates, 1, 100_000, "--replicates")?;
            if let Some(m) = a.max_strength {
                experiment::levels(a.steps, m)?;
            }
            let target = a
                .out
                .out
                .clone()
                .unwrap_or_else(|| PathBuf::from("output").join("hysteresis"));
            let pool = ccgsim::engine::pool(a.threads)?;
            let dir = ResultDir::create_for(&target, a.out.force, "plot")?;
            let max = match a.max_strength {
                Some(m) => m,
                None => {
                    let (max, tip) = pool.install(|| experiment::auto_max_strength(&design))?;
                    eprintln!(
                        "pilot: {}; strengths 0 to {max}",
                        match tip {
                            Some(t) => format!("engagement tips at strength {t}"),
                            None => "engagement does not tip up to strength 1".into(),
                        }
                    );
                    max
                }
            };
            design.levels = experiment::levels(a.steps, max)?;
            let rows = pool.install(|| experiment::run(&design))?;
            let summary = experiment::Summary::of(&design, &rows);
            let inputs = vec![
                a.scenario
                    .as_ref()
                    .map_or("model defaults".into(), |p| p.display().to_string()),
            ];
            let runs = experiment::runs_csv(&rows);
            write_all(
                dir,
                "plot hysteresis",
                inputs,
                vec![hysteresis::figure(&design, &summary)],
                &[("hysteresis_runs.csv", runs, rows.len() as u64)],
            )
        }
    }
}

/// The figures of a sweep folder: heatmaps or curves of a grid; scatter
/// panels and prcc.csv of a sampled design (LHS, Sobol, Morris, Saltelli) or
/// of more than two parameters; plus index figures when it holds indices.csv.
pub fn sweep_figures(dir: &Path, out: Option<PathBuf>, force: bool) -> Result<()> {
    let stats_path = ccgsim::output::format::table_path(dir, "stats");
    let stats = sweep::read_stats(&stats_path)?;
    let target = out.unwrap_or_else(|| dir.join("plots"));
    let design = ccgsim::sweep::SweepManifest::read(&dir.join("manifest.json"))
        .ok()
        .map(|m| m.design);
    let sampled = matches!(
        design.as_deref(),
        Some("lhs" | "sobol" | "morris" | "sobol_indices")
    ) || stats.params.len() > 2;
    let result = ResultDir::create_for(&target, force, "plot")?;
    let inputs = vec![stats_path.display().to_string()];
    if !sampled {
        return write_all(result, "plot sweep", inputs, sweep::figures(&stats)?, &[]);
    }
    let mut figs = sensitivity::scatter_figures(&stats);
    let ix = ccgsim::output::format::table_path(dir, "indices");
    if ix.is_file() {
        let rows = sensitivity::read_indices(&ix)?;
        figs.extend(sensitivity::index_figures(&rows, &stats.runs_note()));
    }
    let prcc = sensitivity::prcc_csv(&stats);
    let rows = prcc
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        .saturating_sub(1) as u64;
    write_all(
        result,
        "plot sweep",
        inputs,
        figs,
        &[(sensitivity::PRCC_CSV, prcc, rows)],
    )
}

fn check(v: u32, lo: u32, hi: u32, flag: &str) -> Result<u32> {
    if v < lo || v > hi {
        return Err(Error::Usage(format!(
            "{flag} {v} is out of range; allowed an integer from {lo} to {hi}"
        )));
    }
    Ok(v)
}

/// Write figures of one type (PNG, SVG and CSV each), any extra tables, and a
/// manifest listing them into the new folder `dir`, then move it into place.
fn write_all<F: plot::Figure>(
    dir: ResultDir,
    kind: &str,
    inputs: Vec<String>,
    figs: Vec<F>,
    extra: &[(&str, Vec<u8>, u64)],
) -> Result<()> {
    let mut manifest = PlotManifest::new(kind, inputs);
    for f in &figs {
        manifest.add(dir.staging(), &plot::save(f, dir.staging())?);
    }
    for (name, bytes, rows) in extra {
        let saved = plot::render::save_file(dir.staging(), name, bytes, *rows)?;
        manifest.add(dir.staging(), &[saved]);
    }
    manifest.write(dir.staging())?;
    let path = dir.commit()?;
    ccgsim::outln!(
        "wrote {} figure(s) as PNG and SVG, with the plotted values as CSV, into {}",
        figs.len(),
        path.display()
    );
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
