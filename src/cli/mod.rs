//! Command-line arguments and dispatch; each command is a few lines over the library.

mod check_result;
mod params;
mod plot;
mod serve;

use ccgsim::error::{Error, Result};
use ccgsim::run::{RunOptions, run};
use ccgsim::scenario::Scenario;
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};

mod calibrate;
mod compare;
mod merge;
mod sensitivity;
mod sweep;
mod validate;

#[derive(Parser)]
#[command(
    name = "ccgsim",
    version,
    about = "Agent-based simulator of NHS clinical commissioning groups and their member GP practices"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and write timeseries.csv, summary.csv (or .parquet) and manifest.json (and the per-practice table with --practices)
    Run(RunArgs),
    /// Draw figures: compare results, map a sweep, or show hysteresis
    #[command(subcommand)]
    Plot(plot::PlotCommand),
    /// Validate a scenario without running it
    Check {
        /// Scenario file (TOML)
        scenario: PathBuf,
    },
    /// Check a result folder against its manifest: complete (exit 0), partial or tampered (exit 1)
    CheckResult {
        /// Result folder (holds manifest.json)
        dir: PathBuf,
    },
    /// Run a parameter sweep (or one shard of it): points.csv, runs.csv, stats.csv, manifest.json
    Sweep(sweep::SweepArgs),
    /// Global sensitivity analysis ([morris] or [sobol_indices] file): a sweep plus indices.csv and figures
    Sensitivity(sweep::SweepArgs),
    /// Merge the shard folders of one sweep into the whole sweep's result
    Merge(merge::MergeArgs),
    /// Compare two policies (scenarios or run results) under common random numbers
    Compare(compare::CompareArgs),
    /// List every scenario parameter with its default, range and meaning
    Params {
        /// Print the Markdown table of docs/PARAMETERS.md
        #[arg(long)]
        markdown: bool,
    },
    /// Check the model against the nine patterns and the calibration figures
    Validate(validate::ValidateArgs),
    /// Open the live classroom page (tipping points, hysteresis) on a local web server
    Serve(serve::ServeArgs),
    /// Calibrate parameters against observed figures (ABC-SMC): posterior.csv and checks
    Calibrate(calibrate::CalibrateArgs),
}

/// How a job that writes a result folder executes; shared by `run` and `compare`.
#[derive(Args)]
pub struct Execution {
    /// Worker threads (0 = one per core)
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Replace an existing result folder
    #[arg(long)]
    pub force: bool,
    /// Print nothing but errors (no progress, no summary)
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args)]
struct RunArgs {
    /// Scenario file (TOML)
    scenario: PathBuf,
    /// Result folder [default: output/<scenario file name>]
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override [scenario] seed
    #[arg(long)]
    seed: Option<u64>,
    /// Override [scenario] replicates
    #[arg(long)]
    replicates: Option<u32>,
    /// Override [scenario] months (events after the new end are dropped, with a note)
    #[arg(long)]
    months: Option<u32>,
    #[command(flatten)]
    exec: Execution,
    /// Skip the up-front check that the estimated output fits the free disk space
    /// (for file systems that misreport it)
    #[arg(long)]
    no_space_check: bool,
    /// Skip the figures in <out>/plots/
    #[arg(long)]
    no_plots: bool,
    /// Draw each replicate's parameters from this posterior.csv (`ccgsim calibrate`)
    #[arg(long)]
    posterior: Option<PathBuf>,
    /// Also write practices.csv: one row per replicate × CCG × month × practice
    /// (locality, list size, GPs, leader, ownership, engagement, workload,
    /// finance, penalty, burnout, …; docs/ODD.md §6). It is large: about 90
    /// bytes per practice-month, so bound it with the options below; for large
    /// runs Parquet (`--format parquet`) is recommended over CSV
    #[arg(long, help_heading = "Per-practice output")]
    practices: bool,
    /// Write months 0, K, 2K, … only [default: 1, every month]
    #[arg(
        long,
        value_name = "K",
        requires = "practices",
        help_heading = "Per-practice output"
    )]
    practices_every: Option<u32>,
    /// Write these replicates only, e.g. 0,1,5-9 [default: all]
    #[arg(
        long,
        value_name = "LIST",
        requires = "practices",
        help_heading = "Per-practice output"
    )]
    practices_replicates: Option<String>,
    /// Write these CCGs only, e.g. 0-3 [default: all]
    #[arg(
        long,
        value_name = "LIST",
        requires = "practices",
        help_heading = "Per-practice output"
    )]
    practices_ccgs: Option<String>,
    /// Table format: csv, or parquet (timeseries.parquet, summary.parquet)
    #[arg(long, default_value = "csv", value_name = "csv|parquet")]
    format: String,
}

pub fn main() -> Result<()> {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // Help and version are not errors; bad usage exits 2 as everywhere else.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    match cli.command {
        Command::Run(a) => cmd_run(a),
        Command::Check { scenario } => cmd_check(&scenario),
        Command::CheckResult { dir } => check_result::cmd_check_result(&dir),
        Command::Sweep(a) => sweep::run(a),
        Command::Sensitivity(a) => sensitivity::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Params { markdown } => {
            params::run(markdown);
            Ok(())
        }
        Command::Validate(a) => validate::run(a),
        Command::Serve(a) => serve::cmd_serve(a),
        Command::Plot(p) => plot::run(p),
        Command::Calibrate(a) => calibrate::run(a),
    }
}

pub(crate) fn load(path: &Path) -> Result<Scenario> {
    // The operating system's own reason ("No such file or directory (os error 2)").
    if let Err(e) = std::fs::metadata(path) {
        return Err(Error::io("read scenario", path, e));
    }
    match Scenario::load(path) {
        Err(Error::Invalid(_)) if looks_like_sweep(path) => Err(Error::Usage(format!(
            "{} is a sweep file (it has `base = …` and a [grid], [lhs], [sobol], [morris] or [sobol_indices] design), not a scenario; run it with `ccgsim sweep {}` (or `ccgsim sensitivity` for [morris] and [sobol_indices])",
            path.display(),
            path.display()
        ))),
        other => other,
    }
}

/// A sweep file names its base scenario and a design at its top level.
fn looks_like_sweep(path: &Path) -> bool {
    // Read through the same limit as the scenario itself (never a device or FIFO).
    let Ok(text) = ccgsim::error::read_input(path, "read", ccgsim::error::MAX_INPUT_BYTES) else {
        return false;
    };
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let base = lines.iter().any(|l| {
        l.strip_prefix("base")
            .is_some_and(|r| r.trim_start().starts_with('='))
    });
    let design = lines.iter().any(|l| {
        matches!(
            *l,
            "[grid]" | "[lhs]" | "[sobol]" | "[morris]" | "[sobol_indices]"
        )
    });
    base && design
}

/// A message on stderr unless `--quiet` (which silences everything but errors).
pub fn note(quiet: bool, text: &str) {
    if !quiet {
        ccgsim::warnln!("{text}");
    }
}

fn cmd_run(a: RunArgs) -> Result<()> {
    // Options first: a malformed list is refused before the scenario is read.
    let practices = a
        .practices
        .then(|| {
            ccgsim::output::practices::Selection::parse(
                a.practices_every,
                a.practices_replicates.as_deref(),
                a.practices_ccgs.as_deref(),
            )
        })
        .transpose()?;
    let format = ccgsim::output::Format::parse(&a.format)?;
    let mut scn = load(&a.scenario)?;
    for n in scn.override_from_command_line(a.seed, a.replicates, a.months)? {
        note(a.exec.quiet, &n);
    }
    let posterior = ccgsim::calibrate::posterior::load_opt(a.posterior.as_deref())?;
    ccgsim::calibrate::posterior::attach(&mut scn, &posterior);
    if let Some(s) = &practices {
        s.check(&scn)?;
    }
    let out = a.out.unwrap_or_else(|| default_out(&a.scenario));
    // Refuse an existing result before announcing (or doing) anything.
    ccgsim::output::result_dir::check_target(&out, a.exec.force, Some("run"))?;
    let (runs, pm) = scn.workload();
    note(
        a.exec.quiet,
        &format!(
            "running {} ({} CCG-runs, {} practice-months) into {}",
            a.scenario.display(),
            runs,
            pm,
            out.display()
        ),
    );
    let report = run(
        scn,
        &RunOptions {
            out,
            threads: a.exec.threads,
            force: a.exec.force,
            quiet: a.exec.quiet,
            check_space: !a.no_space_check,
            plots: !a.no_plots,
            practices,
            format,
        },
    )?;
    if a.exec.quiet {
        return Ok(());
    }
    emit(&format!(
        "wrote {} ({} CCG-runs in {:.2} s, {:.1} million practice-months/s)\n",
        report.path.display(),
        report.runs,
        report.seconds,
        report.practice_months as f64 / report.seconds.max(1e-9) / 1e6
    ));
    Ok(())
}

fn cmd_check(path: &Path) -> Result<()> {
    let scn = load(path)?;
    let sizes = scn.ccg_sizes();
    emit(&format!(
        "{}: valid — {} CCG(s) of {}–{} practices, {} replicates × {} months, {} event(s)\n",
        path.display(),
        sizes.len(),
        sizes.iter().min().unwrap_or(&0),
        sizes.iter().max().unwrap_or(&0),
        scn.replicates,
        scn.months,
        scn.events.len()
    ));
    Ok(())
}

/// `output/<file stem>` beside wherever the command is run.
fn default_out(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or("result".into(), |s| s.to_string_lossy().to_string());
    PathBuf::from("output").join(stem)
}

/// Print to stdout; a closed pipe (`ccgsim params | head`) is not an error.
pub fn emit(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
