//! `ccgsim compare A B`: two scenarios (or two `run` result folders) under
//! common random numbers; prints B − A with 95% CIs and writes compare.csv.

use ccgsim::compare;
use ccgsim::error::Result;
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
    /// Months for both scenarios [default: each scenario's own]
    #[arg(long)]
    months: Option<u32>,
    #[command(flatten)]
    exec: super::Execution,
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
    // Scenario files are loaded (and validated) before anything runs.
    let mut scns = Vec::new();
    for p in [&a.a, &a.b] {
        scns.push(if p.is_dir() { None } else { Some(load(p)?) });
    }
    let seed = a
        .seed
        .or(scns.iter().flatten().next().map(|s| s.seed))
        .unwrap_or(1);
    let replicates = a
        .replicates
        .or(scns.iter().flatten().map(|s| s.replicates).max());
    // Both sides' outcomes are held in memory: refuse up front what cannot fit.
    let runs: u64 = scns
        .iter()
        .flatten()
        .map(|s| {
            let mut s = s.clone();
            let _ = s.override_run(Some(seed), replicates, a.months);
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
            None => compare::read_side(p)?,
            Some(mut s) => {
                s.override_run(Some(seed), replicates, a.months)?;
                if !a.exec.quiet {
                    let (runs, _) = s.workload();
                    ccgsim::warnln!("running {} ({runs} CCG-runs, seed {seed})", p.display());
                }
                compare::run_side(s, a.exec.threads, a.exec.quiet)?
            }
        };
        sides.push(side);
    }
    let rows = compare::compare(&sides[0], &sides[1]);
    print!("{}", compare::table(&sides[0], &sides[1], &rows));
    let path = compare::write(&out, a.exec.force, &sides[0], &sides[1], &rows, started)?;
    println!("wrote {}", path.join("compare.csv").display());
    Ok(())
}
