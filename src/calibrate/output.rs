//! `ccgsim calibrate`: run (or resume) the sampler, then write the result
//! folder — posterior.csv, generations.csv, predictive.csv, manifest.json and
//! plots/ — atomically.

use super::abc::{self, Checkpoint, Generation, Stop};
use super::{Calibration, weighted_quantile};
use crate::engine;
use crate::error::{Error, Result};
use crate::output::manifest::timestamp;
use crate::output::tables::format_number;
use crate::output::{FileInfo, ResultDir};
use crate::sweep::column_name;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

#[derive(Debug, Clone)]
pub struct Options {
    pub out: PathBuf,
    pub threads: usize,
    pub force: bool,
    pub quiet: bool,
    /// Draw plots/ (marginals and pairs).
    pub plots: bool,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub path: PathBuf,
    pub generations: Vec<Generation>,
    pub stop: Stop,
    /// Generations taken from a checkpoint (a resumed run).
    pub resumed: usize,
    pub seconds: f64,
    /// Per parameter: path, weighted median, 5% and 95% quantiles.
    pub marginals: Vec<(String, f64, f64, f64)>,
}

/// The stream coordinate of posterior-predictive simulations (never a generation).
const PREDICTIVE: u64 = u64::MAX;

/// The checkpoint folder beside `out`: `.<name>.calibration`.
pub fn checkpoint_dir(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map_or("calibration".into(), |n| n.to_string_lossy().to_string());
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    parent.join(format!(".{name}.calibration"))
}

pub fn calibrate(cal: &Calibration, opts: &Options) -> Result<Report> {
    let started = SystemTime::now();
    let clock = Instant::now();
    if opts.out.exists() && !opts.force {
        return Err(Error::Refused(format!(
            "output folder {} already exists; choose another --out, or pass --force to replace it",
            opts.out.display()
        )));
    }
    let pool = engine::pool(opts.threads)?;
    let cdir = checkpoint_dir(&opts.out);
    let checkpoint = match Checkpoint::folder(&cdir, &cal.hash) {
        Err(Error::Refused(m)) if opts.force => match Checkpoint::ours(&cdir) {
            // Ours, from another calibration: start again.
            Some(old) => {
                old.remove()?;
                Checkpoint::folder(&cdir, &cal.hash)?
            }
            None => return Err(Error::Refused(m)),
        },
        other => other?,
    };
    let quiet = opts.quiet;
    let mut settings = cal.settings.clone();
    settings.show_progress = !quiet;
    let mut resumed = 0;
    let (gens, stop) = pool.install(|| {
        abc::run(cal, &cal.priors, &settings, &checkpoint, |g, old| {
            resumed += usize::from(old);
            if !quiet {
                let how = if old { " (from checkpoint)" } else { "" };
                eprintln!("{}{how}", progress_line(g, &cal.settings));
            }
        })
    })?;
    let last = gens.last().ok_or_else(|| {
        Error::Refused(format!(
            "generation 0 found fewer than {} valid particles in {} attempts; widen the priors",
            cal.settings.particles, cal.settings.max_attempts
        ))
    })?;
    if !quiet {
        eprintln!(
            "stopped: {}; posterior predictive checks ({} simulations)",
            match stop {
                Stop::Generations => "all generations ran",
                Stop::ToleranceFlat => "the tolerance stopped falling",
                Stop::Attempts => "a generation ran out of attempts",
            },
            last.particles.len()
        );
    }
    let predictive: Vec<Vec<f64>> = pool.install(|| {
        let mut out = Vec::with_capacity(last.particles.len());
        engine::ordered_map(
            0..last.particles.len() as u64,
            64,
            |i| {
                cal.summaries(&last.particles[i as usize], [PREDICTIVE, i])
                    .unwrap_or_else(|| vec![f64::NAN; cal.targets.len()])
            },
            |_, s| {
                out.push(s);
                Ok(())
            },
        )
        .map(|_| out)
    })?;

    let dir = ResultDir::create(&opts.out, opts.force)?;
    let mut files = BTreeMap::new();
    let mut put = |name: &str, bytes: Vec<u8>, rows: u64| -> Result<()> {
        let mut f = dir.file(name)?;
        f.write(&bytes, rows)?;
        files.insert(name.to_string(), f.finish()?);
        Ok(())
    };
    put(
        "posterior.csv",
        posterior_csv(cal, last),
        last.particles.len() as u64,
    )?;
    put("generations.csv", generations_csv(&gens), gens.len() as u64)?;
    let pred = predictive_rows(cal, last, &predictive);
    put("predictive.csv", predictive_csv(&pred), pred.len() as u64)?;
    if opts.plots {
        let plots = dir.staging().join("plots");
        std::fs::create_dir_all(&plots).map_err(|e| Error::io("create folder", &plots, e))?;
        for f in super::figures::write(cal, &gens, &plots)? {
            let name = f.path.strip_prefix(dir.staging()).unwrap_or(&f.path);
            files.insert(
                name.to_string_lossy().replace('\\', "/"),
                FileInfo {
                    rows: 0,
                    bytes: f.bytes,
                    blake3: f.blake3,
                },
            );
        }
    }
    let marginals: Vec<(String, f64, f64, f64)> = cal
        .priors
        .iter()
        .enumerate()
        .map(|(d, p)| {
            let v: Vec<f64> = last.particles.iter().map(|x| x[d]).collect();
            (
                p.path.clone(),
                weighted_quantile(&v, &last.weights, 0.5),
                weighted_quantile(&v, &last.weights, 0.05),
                weighted_quantile(&v, &last.weights, 0.95),
            )
        })
        .collect();
    let manifest = CalibrationManifest {
        tool: "ccgsim",
        version: env!("CARGO_PKG_VERSION"),
        kind: "calibration",
        calibration_file: cal.file.display().to_string(),
        calibration_file_hash: &cal.file_hash,
        calibration_hash: &cal.hash,
        settings: &cal.settings,
        replicates: cal.replicates,
        priors: &cal.priors,
        targets: &cal.targets,
        scenarios: cal
            .scenarios
            .iter()
            .map(|s| (s.file_label(), crate::output::manifest::scenario_json(s).1))
            .collect(),
        generations: gens.len(),
        stop,
        threads: pool.current_num_threads(),
        command_line: std::env::args().collect(),
        started_at: timestamp(started),
        finished_at: timestamp(SystemTime::now()),
        elapsed_seconds: clock.elapsed().as_secs_f64(),
        sampling_seconds: gens.iter().map(|g| g.seconds).sum(),
        files,
        complete: true,
    };
    let text = serde_json::to_string_pretty(&manifest).expect("a manifest serialises") + "\n";
    let mpath = dir.staging().join("manifest.json");
    std::fs::write(&mpath, text).map_err(|e| Error::io("write", &mpath, e))?;
    let path = dir.commit()?;
    checkpoint.remove()?;
    Ok(Report {
        path,
        stop,
        resumed,
        seconds: clock.elapsed().as_secs_f64(),
        marginals,
        generations: gens,
    })
}

pub fn progress_line(g: &Generation, s: &abc::Settings) -> String {
    format!(
        "generation {}/{}: tolerance {}, acceptance rate {:.3} ({} of {} attempts), ESS {:.0}, {:.1} s",
        g.index + 1,
        s.generations,
        g.tolerance
            .map_or("∞ (prior)".to_string(), |t| format!("{t:.4}")),
        g.acceptance_rate(),
        g.particles.len(),
        g.attempts,
        g.ess,
        g.seconds
    )
}

#[derive(Serialize)]
struct CalibrationManifest<'a> {
    tool: &'static str,
    version: &'static str,
    kind: &'static str,
    calibration_file: String,
    calibration_file_hash: &'a str,
    /// BLAKE3 of everything that decides the posterior: equal hashes, equal posteriors.
    calibration_hash: &'a str,
    settings: &'a abc::Settings,
    replicates: u32,
    priors: &'a [super::Prior],
    targets: &'a [super::Observed],
    /// (file, resolved scenario hash) of each target scenario.
    scenarios: Vec<(String, String)>,
    generations: usize,
    stop: Stop,
    threads: usize,
    command_line: Vec<String>,
    started_at: String,
    finished_at: String,
    elapsed_seconds: f64,
    sampling_seconds: f64,
    files: BTreeMap<String, FileInfo>,
    complete: bool,
}

/// Full precision (shortest text that reads back to the same number).
fn exact(v: f64) -> String {
    format!("{v}")
}

pub fn posterior_csv(cal: &Calibration, g: &Generation) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["generation".to_string(), "particle".into(), "weight".into()];
    header.extend(cal.priors.iter().map(|p| column_name(&p.path)));
    w.write_record(&header).expect("memory");
    for (i, (p, wt)) in g.particles.iter().zip(&g.weights).enumerate() {
        let mut row = vec![g.index.to_string(), i.to_string(), exact(*wt)];
        row.extend(p.iter().map(|&x| exact(x)));
        w.write_record(&row).expect("memory");
    }
    w.into_inner().expect("memory")
}

pub fn generations_csv(gens: &[Generation]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "generation",
        "tolerance",
        "particles",
        "attempts",
        "acceptance_rate",
        "ess",
        "seconds",
    ])
    .expect("memory");
    let mut n = String::new();
    let mut f = |v: f64| {
        format_number(v, &mut n);
        n.clone()
    };
    for g in gens {
        w.write_record([
            g.index.to_string(),
            g.tolerance.map_or(String::new(), &mut f),
            g.particles.len().to_string(),
            g.attempts.to_string(),
            f(g.acceptance_rate()),
            f(g.ess),
            f(g.seconds),
        ])
        .expect("memory");
    }
    w.into_inner().expect("memory")
}

/// One target's posterior-predictive check.
#[derive(Debug, Clone)]
pub struct Predictive {
    pub target: String,
    pub observed: f64,
    pub se: f64,
    pub mean: f64,
    pub q05: f64,
    pub q95: f64,
}

impl Predictive {
    pub fn covers(&self) -> bool {
        self.q05 <= self.observed && self.observed <= self.q95
    }
}

/// Per target: fresh simulations at the final particles (new random numbers),
/// weighted by the particles' weights.
pub fn predictive_rows(cal: &Calibration, g: &Generation, sims: &[Vec<f64>]) -> Vec<Predictive> {
    cal.targets
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let v: Vec<f64> = sims.iter().map(|s| s[k]).collect();
            let (mut sw, mut sx) = (0.0, 0.0);
            for (x, w) in v.iter().zip(&g.weights) {
                if x.is_finite() {
                    sw += w;
                    sx += w * x;
                }
            }
            Predictive {
                target: t.name.clone(),
                observed: t.value,
                se: t.se,
                mean: if sw > 0.0 { sx / sw } else { f64::NAN },
                q05: weighted_quantile(&v, &g.weights, 0.05),
                q95: weighted_quantile(&v, &g.weights, 0.95),
            }
        })
        .collect()
}

pub fn predictive_csv(rows: &[Predictive]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "target",
        "observed",
        "standard_error",
        "predictive_mean",
        "predictive_q05",
        "predictive_q95",
        "covers",
    ])
    .expect("memory");
    let mut n = String::new();
    let mut f = |v: f64| {
        format_number(v, &mut n);
        n.clone()
    };
    for r in rows {
        w.write_record([
            r.target.clone(),
            f(r.observed),
            f(r.se),
            f(r.mean),
            f(r.q05),
            f(r.q95),
            r.covers().to_string(),
        ])
        .expect("memory");
    }
    w.into_inner().expect("memory")
}
