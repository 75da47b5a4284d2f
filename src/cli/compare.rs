//! `ccgsim compare A B`: two scenarios (or two `run` result folders) under
//! common random numbers; prints B − A with 95% CIs and writes compare.csv.

use ccgsim::compare;
use ccgsim::error::Result;
use ccgsim::output::ResultDir;
use ccgsim::scenario::Scenario;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct CompareArgs {
    /// Policy A: a scenario file (TOML) or a `ccgsim run` result folder
    a: PathBuf,
    /// Policy B: a scenario file (TOML) or a `ccgsim run` result folder
    b: PathBuf,
    /// Result folder [default: output/compare-<A>-<B>]
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seed for both scenarios [default: A's seed]
    #[arg(long)]
    seed: Option<u64>,
    /// Replicates for both scenarios [default: the larger of the two]
    #[arg(long)]
    replicates: Option<u32>,
    /// A window of months A..B: compare each run's mean over months A to B (as
    /// `ccgsim validate` does) instead of its last month. A single number N
    /// instead sets the months both scenarios run for
    #[arg(long, value_name = "A..B")]
    months: Option<String>,
    /// An outcome to compare: any timeseries.csv column, or failure_probability
    /// (repeatable) [default: engaged_share, ownership_members, performance,
    /// credibility, failure_probability]
    #[arg(long = "outcome", value_name = "NAME")]
    outcomes: Vec<String>,
    #[command(flatten)]
    exec: super::Execution,
    /// Draw each replicate's parameters from this posterior.csv (`ccgsim calibrate`);
    /// replicate r uses the same particle under A and B
    #[arg(long)]
    posterior: Option<PathBuf>,
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .or(p.file_name())
        .map_or("x".into(), |s| s.to_string_lossy().to_string())
}

fn load(p: &Path) -> Result<Scenario> {
    // Reading reports the operating system's reason (no such file, permissions).
    Scenario::load(p)
}

pub fn run(a: CompareArgs) -> Result<()> {
    let started = std::time::SystemTime::now();
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!("compare-{}-{}", stem(&a.a), stem(&a.b)))
    });
    // `--months 24` sets the horizon; `--months 12..24` is a window.
    let (horizon, window) = match a.months.as_deref() {
        Some(m) if m.trim().parse::<u32>().is_ok() => (m.trim().parse().ok(), None),
        other => (None, other),
    };
    let measure = compare::Measure::new(&a.outcomes, window)?;
    // Scenario files are loaded (and validated) before anything runs.
    let mut scns = Vec::new();
    for p in [&a.a, &a.b] {
        scns.push(if p.is_dir() { None } else { Some(load(p)?) });
    }
    // The output folder is checked (and reserved) before anything runs too.
    let dir = ResultDir::create_for(&out, a.exec.force, "compare")?;
    let seed = a
        .seed
        .or(scns.iter().flatten().next().map(|s| s.seed))
        .unwrap_or(1);
    let replicates = a
        .replicates
        .or(scns.iter().flatten().map(|s| s.replicates).max());
    let posterior = ccgsim::calibrate::posterior::load_opt(a.posterior.as_deref())?;
    // Both sides' outcomes are held in memory: refuse up front what cannot fit.
    let runs: u64 = scns
        .iter()
        .flatten()
        .map(|s| {
            let mut s = s.clone();
            let _ = s.override_from_command_line(Some(seed), replicates, horizon);
            s.workload().0
        })
        .fold(0, u64::saturating_add);
    ccgsim::output::space::check_memory(
        runs.saturating_mul(ccgsim::output::space::COMPARE_BYTES_PER_RUN),
        &format!("comparing {runs} CCG-runs"),
    )
    .map_err(ccgsim::error::Error::Refused)?;
    let mut sides = Vec::new();
    for (p, scn) in [&a.a, &a.b].into_iter().zip(scns) {
        let side = match scn {
            None => compare::read_side(p, &measure)?,
            Some(mut s) => {
                for note in s.override_from_command_line(Some(seed), replicates, horizon)? {
                    super::note(a.exec.quiet, &note);
                }
                ccgsim::calibrate::posterior::attach(&mut s, &posterior);
                let (runs, _) = s.workload();
                super::note(
                    a.exec.quiet,
                    &format!("running {} ({runs} CCG-runs, seed {seed})", p.display()),
                );
                compare::run_side(s, &measure, a.exec.threads, a.exec.quiet)?
            }
        };
        sides.push(side);
    }
    let (sa, sb) = (&sides[0], &sides[1]);
    let pairing = compare::pairing(sa, sb);
    let rows = compare::compare(sa, sb, &measure, &pairing);
    if !a.exec.quiet {
        super::emit(&compare::table(sa, sb, &rows, &measure, &pairing));
        if let Some(p) = &posterior {
            super::emit(&ccgsim::calibrate::posterior::effect_table(
                p, sa, sb, &measure, &pairing,
            ));
        }
    }
    let c = compare::Comparison {
        a: sa,
        b: sb,
        measure: &measure,
        pairing: &pairing,
        rows: &rows,
    };
    let path = compare::write(dir, &c, started)?;
    if !a.exec.quiet {
        super::emit(&format!("wrote {}\n", path.join("compare.csv").display()));
    }
    Ok(())
}
