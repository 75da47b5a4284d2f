//! `ccgsim sweep`: run a sweep file (or one shard of it) into a result folder.

use ccgsim::error::{Error, Result};
use ccgsim::sweep::{self, SweepOptions, manifest::Shard};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct SweepArgs {
    /// Sweep file (TOML)
    pub sweep: PathBuf,
    /// Result folder [default: output/<sweep file name>, with -shard-K-of-N for a shard]
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run only slice K of N (K counts from 0), e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Worker threads (0 = one per core)
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Also write per-point, per-month quantiles of the key outcomes
    /// (timeseries_quantiles.csv); optional comma-separated levels
    #[arg(
        long,
        value_name = "Q,...",
        num_args = 0..=1,
        default_missing_value = "0.05,0.25,0.5,0.75,0.95"
    )]
    timeseries_quantiles: Option<String>,
    /// Print nothing but errors (no progress, no summary)
    #[arg(long, short)]
    quiet: bool,
    /// Draw each replicate's parameters from this posterior.csv (`ccgsim calibrate`)
    #[arg(long)]
    posterior: Option<PathBuf>,
    /// Table format of the result: csv, or parquet (a shard keeps CSV tables
    /// and its merge is written as parquet)
    #[arg(long, default_value = "csv", value_name = "csv|parquet")]
    format: String,
}

pub fn parse_shard(s: &str) -> Result<Shard> {
    let bad = || {
        Error::Usage(format!(
            "--shard {s}: expected K/N with 0 ≤ K < N, e.g. --shard 3/16"
        ))
    };
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (index, count): (u64, u64) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if count == 0 || index >= count {
        return Err(bad());
    }
    Ok(Shard { index, count })
}

pub fn parse_quantiles(s: &str) -> Result<Vec<f64>> {
    let bad = || {
        Error::Usage(format!(
            "--timeseries-quantiles {s}: expected rising levels between 0 and 1, e.g. 0.05,0.5,0.95"
        ))
    };
    let qs: Vec<f64> = s
        .split(',')
        .map(|q| q.trim().parse::<f64>().map_err(|_| bad()))
        .collect::<Result<_>>()?;
    if qs.is_empty()
        || qs.iter().any(|q| !(0.0..=1.0).contains(q))
        || qs.windows(2).any(|w| w[0] >= w[1])
    {
        return Err(bad());
    }
    Ok(qs)
}

pub fn run(a: SweepArgs) -> Result<()> {
    let sw = sweep::load(&a.sweep)?;
    run_loaded(a, &sw).map(|_| ())
}

/// Run a loaded sweep file as `a` says; the folder written and its report.
pub fn run_loaded(a: SweepArgs, sw: &sweep::Sweep) -> Result<sweep::SweepReport> {
    let format = ccgsim::output::Format::parse(&a.format)?;
    let shard = match &a.shard {
        Some(s) => parse_shard(s)?,
        None => Shard::WHOLE,
    };
    let timeseries_quantiles = a
        .timeseries_quantiles
        .as_deref()
        .map(parse_quantiles)
        .transpose()?;
    // The posterior is part of what decides the runs (and of resuming them).
    let with_posterior;
    let sw = match ccgsim::calibrate::posterior::load_opt(a.posterior.as_deref())? {
        Some(p) => {
            let mut s = sw.clone();
            s.hash = blake3::hash(format!("{}{}", s.hash, p.blake3).as_bytes())
                .to_hex()
                .to_string();
            s.base.posterior = Some(p);
            with_posterior = s;
            &with_posterior
        }
        None => sw,
    };
    let out = a.out.unwrap_or_else(|| {
        let stem = a
            .sweep
            .file_stem()
            .map_or("sweep".into(), |s| s.to_string_lossy().to_string());
        let name = if shard.is_whole() {
            stem
        } else {
            format!("{stem}-shard-{}-of-{}", shard.index, shard.count)
        };
        PathBuf::from("output").join(name)
    });
    let (first, end) = shard.range(sw.total_runs());
    if !a.quiet {
        ccgsim::warnln!(
            "sweep {}: {} points × {} replicates × {} CCG(s) = {} CCG-runs; {} into {}",
            a.sweep.display(),
            sw.points.len(),
            sw.base.replicates,
            sw.base.ccg_sizes().len(),
            sw.total_runs(),
            if shard.is_whole() {
                "all of them".to_string()
            } else {
                format!("shard {}/{} runs {first}..{end}", shard.index, shard.count)
            },
            out.display()
        );
    }
    let report = sweep::run(
        sw,
        &SweepOptions {
            out,
            shard,
            threads: a.threads,
            quiet: a.quiet,
            timeseries_quantiles,
            format,
        },
    )?;
    if a.quiet {
        return Ok(report);
    }
    if report.already_complete {
        ccgsim::outln!(
            "{} already holds the complete result of this sweep ({} CCG-runs); nothing to do",
            report.path.display(),
            report.runs
        );
    } else {
        ccgsim::outln!(
            "wrote {} ({} CCG-runs: {} computed now in {:.2} s, {:.0} runs/s; {} found finished)",
            report.path.display(),
            report.runs,
            report.computed,
            report.seconds,
            report.computed as f64 / report.seconds.max(1e-9),
            report.runs - report.computed
        );
    }
    Ok(report)
}
