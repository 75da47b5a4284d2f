//! ABC-SMC, the population Monte Carlo sampler of Beaumont, Cornuet, Marin &
//! Robert (2009, Biometrika 96:983) and Toni, Welch, Strelkowa, Ipsen &
//! Stumpf (2009, J R Soc Interface 6:187), written against a small [`Model`]
//! trait so that it can be tested on a model with a known posterior.
//!
//! Generation 0 draws `particles` points from the prior (tolerance ∞).
//! Generation t ≥ 1 has tolerance ε_t = the `quantile` of generation t−1's
//! distances; attempt k picks a particle of generation t−1 by weight, moves it
//! by a Gaussian kernel with per-parameter variance twice the weighted
//! variance of generation t−1 (Beaumont et al. 2009), simulates, and accepts
//! when the distance is at most ε_t. An accepted point θ gets the importance
//! weight π(θ) / Σ_j w_j K(θ | θ_j). Attempts are numbered, each one's random
//! numbers come from (seed, generation, attempt), and a generation keeps the
//! first `particles` acceptances in attempt order: the result does not depend
//! on how many threads evaluate the attempts, or in which batches.
//!
//! The sampler stops after `generations`, or earlier when the tolerance stops
//! falling (ε_t > (1 − min_fall)·ε_{t−1}), or when a generation needs more
//! than `max_attempts` attempts (the last complete generation is kept).

use super::Prior;
use crate::engine;
use crate::error::{Error, Result};
use crate::model::rng::Stream;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Stream coordinate marking proposals (so they never share a stream with a simulation).
const PROPOSE: u64 = 0xAB_C0;

/// A simulator seen by the sampler.
pub trait Model: Sync {
    /// Summaries of one simulation at `theta` whose random numbers come from
    /// `coords` (generation, attempt); `None` when `theta` is not a valid point
    /// (it is then rejected like a point outside the prior).
    fn simulate(&self, theta: &[f64], coords: [u64; 2]) -> Option<Vec<f64>>;
    /// Distance of the summaries from the observed data (∞ when undefined).
    fn distance(&self, summaries: &[f64]) -> f64;
}

/// How the sampler runs (the `[calibration]` section).
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub particles: usize,
    pub generations: u32,
    pub seed: u64,
    /// Quantile of the last generation's distances used as the next tolerance.
    pub quantile: f64,
    /// Stop when the tolerance falls by less than this fraction.
    pub min_fall: f64,
    /// Most attempts one generation may use.
    pub max_attempts: u64,
    /// Show a bar of accepted particles during each generation (not part of the identity).
    #[serde(skip)]
    pub show_progress: bool,
}

/// One finished generation: its accepted particles and how it went.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Generation {
    pub index: u32,
    /// ∞ for generation 0 (written as null in JSON).
    pub tolerance: Option<f64>,
    pub attempts: u64,
    pub ess: f64,
    pub seconds: f64,
    pub particles: Vec<Vec<f64>>,
    /// Normalised to sum 1.
    pub weights: Vec<f64>,
    pub distances: Vec<f64>,
    pub summaries: Vec<Vec<f64>>,
}

impl Generation {
    pub fn acceptance_rate(&self) -> f64 {
        self.particles.len() as f64 / self.attempts.max(1) as f64
    }
}

/// Why the sampler stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// All `generations` ran.
    Generations,
    /// The next tolerance would fall by less than `min_fall`.
    ToleranceFlat,
    /// A generation used `max_attempts` without enough acceptances.
    Attempts,
}

/// Where finished generations are kept: a folder of `generation-NNN.json`
/// files written atomically (a killed run resumes from them), or memory.
pub struct Checkpoint {
    dir: Option<PathBuf>,
}

const IDENTITY_FILE: &str = "calibration-identity.txt";

impl Checkpoint {
    pub fn memory() -> Checkpoint {
        Checkpoint { dir: None }
    }

    /// Use (or create) `dir` for the calibration whose identity hash is `identity`.
    pub fn folder(dir: &Path, identity: &str) -> Result<Checkpoint> {
        let id_path = dir.join(IDENTITY_FILE);
        if dir.exists() {
            match std::fs::read_to_string(&id_path) {
                Ok(s) if s.trim() == identity => {}
                Ok(_) => {
                    return Err(Error::Refused(format!(
                        "{} holds the checkpoints of a different calibration (the file, its scenarios or ccgsim changed); pass --force to start again",
                        dir.display()
                    )));
                }
                Err(_) => {
                    return Err(Error::Refused(format!(
                        "{} exists but was not written by `ccgsim calibrate`; remove it or choose another --out",
                        dir.display()
                    )));
                }
            }
        } else {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create folder", dir, e))?;
            write_atomically(&id_path, format!("{identity}\n").as_bytes())?;
        }
        Ok(Checkpoint {
            dir: Some(dir.to_path_buf()),
        })
    }

    fn path(&self, index: u32) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(format!("generation-{index:03}.json")))
    }

    /// The finished generations saved so far, in order.
    pub fn load(&self) -> Result<Vec<Generation>> {
        let mut out = Vec::new();
        while let Some(p) = self.path(out.len() as u32) {
            if !p.exists() {
                break;
            }
            let text = std::fs::read_to_string(&p).map_err(|e| Error::io("read", &p, e))?;
            let g: Generation = serde_json::from_str(&text).map_err(|e| {
                Error::Refused(format!(
                    "{} is damaged ({e}); remove it to recompute that generation",
                    p.display()
                ))
            })?;
            out.push(g);
        }
        Ok(out)
    }

    fn save(&self, g: &Generation) -> Result<()> {
        if let Some(p) = self.path(g.index) {
            let text = serde_json::to_string(g).expect("a generation serialises");
            write_atomically(&p, text.as_bytes())?;
        }
        Ok(())
    }

    /// The checkpoint folder `dir` if `ccgsim calibrate` wrote it (it holds
    /// the identity file), whatever calibration it belongs to.
    pub fn ours(dir: &Path) -> Option<Checkpoint> {
        dir.join(IDENTITY_FILE).is_file().then(|| Checkpoint {
            dir: Some(dir.to_path_buf()),
        })
    }

    /// Remove the folder (after the result is written); only files we wrote.
    pub fn remove(self) -> Result<()> {
        if let Some(d) = &self.dir {
            for i in 0.. {
                let Some(p) = self.path(i) else { break };
                if !p.exists() {
                    break;
                }
                std::fs::remove_file(&p).map_err(|e| Error::io("remove", &p, e))?;
            }
            let id = d.join(IDENTITY_FILE);
            std::fs::remove_file(&id).map_err(|e| Error::io("remove", &id, e))?;
            let _ = std::fs::remove_dir(d);
        }
        Ok(())
    }
}

/// Write to a temporary file beside `path`, flush it, then rename it into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("partial-{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io("write", &tmp, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io("write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io("write", path, e))
}

/// Normal draw by inversion of one uniform (exact, one draw per value).
fn normal(s: &mut Stream) -> f64 {
    let u = s.unit().clamp(1e-300, 1.0 - 1e-16);
    std::f64::consts::SQRT_2 * statrs::function::erf::erf_inv(2.0 * u - 1.0)
}

/// Index drawn with probability proportional to `weights` (cumulative, sums to 1).
pub fn pick(cumulative: &[f64], u: f64) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    let x = u * total;
    cumulative
        .partition_point(|&c| c <= x)
        .min(cumulative.len().saturating_sub(1))
}

pub fn cumulative(weights: &[f64]) -> Vec<f64> {
    let mut acc = 0.0;
    weights
        .iter()
        .map(|w| {
            acc += w;
            acc
        })
        .collect()
}

/// Effective sample size of normalised weights.
pub fn ess(weights: &[f64]) -> f64 {
    let s: f64 = weights.iter().sum();
    let s2: f64 = weights.iter().map(|w| w * w).sum();
    if s2 > 0.0 { s * s / s2 } else { 0.0 }
}

/// Weighted mean and variance of dimension `d`.
pub fn weighted_mean_var(particles: &[Vec<f64>], weights: &[f64], d: usize) -> (f64, f64) {
    let sw: f64 = weights.iter().sum();
    let mean = particles
        .iter()
        .zip(weights)
        .map(|(p, w)| w * p[d])
        .sum::<f64>()
        / sw;
    let var = particles
        .iter()
        .zip(weights)
        .map(|(p, w)| w * (p[d] - mean).powi(2))
        .sum::<f64>()
        / sw;
    (mean, var)
}

/// Run (or resume) the sampler; `report` sees each generation as it finishes
/// (with `true` for generations read back from the checkpoint).
pub fn run(
    model: &impl Model,
    priors: &[Prior],
    s: &Settings,
    checkpoint: &Checkpoint,
    mut report: impl FnMut(&Generation, bool),
) -> Result<(Vec<Generation>, Stop)> {
    let mut gens = checkpoint.load()?;
    for g in &gens {
        report(g, true);
    }
    loop {
        let t = gens.len() as u32;
        if t >= s.generations {
            return Ok((gens, Stop::Generations));
        }
        let tolerance = match gens.last() {
            None => None,
            Some(last) => {
                let mut d = last.distances.clone();
                d.sort_by(f64::total_cmp);
                let eps = crate::stats::quantile_sorted(&d, s.quantile);
                if let Some(prev) = last.tolerance
                    && eps > (1.0 - s.min_fall) * prev
                {
                    return Ok((gens, Stop::ToleranceFlat));
                }
                Some(eps)
            }
        };
        let Some(g) = generation(model, priors, s, t, tolerance, gens.last()) else {
            return Ok((gens, Stop::Attempts));
        };
        checkpoint.save(&g)?;
        report(&g, false);
        gens.push(g);
    }
}

/// One attempt's outcome: the point, and its summaries and distance if simulated.
type Attempt = Option<(Vec<f64>, Vec<f64>, f64)>;

fn generation(
    model: &impl Model,
    priors: &[Prior],
    s: &Settings,
    t: u32,
    tolerance: Option<f64>,
    prev: Option<&Generation>,
) -> Option<Generation> {
    let clock = Instant::now();
    let dims = priors.len();
    // The kernel: per-parameter sd = sqrt(2 × weighted variance).
    let kernel: Vec<f64> = prev.map_or_else(Vec::new, |g| {
        (0..dims)
            .map(|d| (2.0 * weighted_mean_var(&g.particles, &g.weights, d).1).sqrt())
            .collect()
    });
    let cum = prev.map(|g| cumulative(&g.weights));
    let propose = |k: u64| -> Option<Vec<f64>> {
        let mut st = Stream::derive(s.seed, &[PROPOSE, t as u64, k]);
        match (prev, &cum) {
            (Some(g), Some(c)) => {
                let j = pick(c, st.unit());
                let theta: Vec<f64> = g.particles[j]
                    .iter()
                    .zip(&kernel)
                    .map(|(&x, &sd)| x + sd * normal(&mut st))
                    .collect();
                priors
                    .iter()
                    .zip(&theta)
                    .all(|(p, &x)| p.density(x) > 0.0)
                    .then_some(theta)
            }
            _ => Some(priors.iter().map(|p| p.sample(&mut st)).collect()),
        }
    };
    let attempt = |k: u64| -> Attempt {
        let theta = propose(k)?;
        let sum = model.simulate(&theta, [t as u64, k])?;
        let d = model.distance(&sum);
        let ok = match tolerance {
            None => true,
            Some(eps) => d <= eps,
        };
        ok.then_some((theta, sum, d))
    };

    let threads = rayon::current_num_threads() as u64;
    let mut accepted: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::with_capacity(s.particles);
    let mut attempts = 0u64;
    let mut next = 0u64;
    let mut bar =
        crate::progress::Progress::new(s.particles as u64, "particles accepted", !s.show_progress);
    while accepted.len() < s.particles {
        if next >= s.max_attempts {
            return None;
        }
        // Batch size only changes how much work is wasted past the last
        // acceptance, never the result: acceptances are taken in attempt order.
        let need = (s.particles - accepted.len()) as u64;
        let rate = if next == 0 {
            1.0
        } else {
            (accepted.len() as f64 / next as f64).max(0.01)
        };
        let batch = ((need as f64 / rate).ceil() as u64)
            .clamp(threads.max(1), 4 * s.particles as u64 + threads)
            .min(s.max_attempts - next);
        let start = next;
        engine::ordered_map(start..start + batch, batch, attempt, |k, a| {
            if accepted.len() < s.particles {
                attempts = k + 1;
                if let Some(a) = a {
                    accepted.push(a);
                    bar.inc(1);
                }
            }
            Ok(())
        })
        .ok()?;
        next = start + batch;
    }
    bar.finish();

    let mut particles = Vec::with_capacity(s.particles);
    let mut summaries = Vec::with_capacity(s.particles);
    let mut distances = Vec::with_capacity(s.particles);
    for (p, sm, d) in accepted {
        particles.push(p);
        summaries.push(sm);
        distances.push(d);
    }
    let raw: Vec<f64> = match prev {
        None => vec![1.0; particles.len()],
        Some(g) => particles
            .iter()
            .map(|theta| {
                let prior: f64 = priors
                    .iter()
                    .zip(theta)
                    .map(|(p, &x)| p.density(x))
                    .product();
                let mix: f64 = g
                    .particles
                    .iter()
                    .zip(&g.weights)
                    .map(|(q, w)| {
                        w * theta
                            .iter()
                            .zip(q)
                            .zip(&kernel)
                            .map(|((&x, &m), &sd)| gauss(x, m, sd))
                            .product::<f64>()
                    })
                    .sum();
                if mix > 0.0 { prior / mix } else { 0.0 }
            })
            .collect(),
    };
    let total: f64 = raw.iter().sum();
    let weights: Vec<f64> = if total > 0.0 && total.is_finite() {
        raw.iter().map(|w| w / total).collect()
    } else {
        vec![1.0 / particles.len() as f64; particles.len()]
    };
    Some(Generation {
        index: t,
        tolerance,
        attempts,
        ess: ess(&weights),
        seconds: clock.elapsed().as_secs_f64(),
        particles,
        weights,
        distances,
        summaries,
    })
}

/// Normal density (up to the constant 1/√(2π), which cancels in the weights).
fn gauss(x: f64, mean: f64, sd: f64) -> f64 {
    if sd <= 0.0 {
        return if x == mean { 1.0 } else { 0.0 };
    }
    let z = (x - mean) / sd;
    (-0.5 * z * z).exp() / sd
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::{Dist, Prior};

    /// y_1..y_n ~ Normal(mu, 1), prior mu ~ Normal(0, 2²): the posterior is
    /// Normal(m, s²) with 1/s² = 1/4 + n and m = s²·n·ȳ. The sample mean is
    /// sufficient, so ABC on it converges to the exact posterior as ε → 0.
    struct NormalMean {
        n: usize,
        ybar: f64,
    }

    impl Model for NormalMean {
        fn simulate(&self, theta: &[f64], coords: [u64; 2]) -> Option<Vec<f64>> {
            let mut s = Stream::derive(99, &coords);
            let sum: f64 = (0..self.n).map(|_| theta[0] + normal(&mut s)).sum();
            Some(vec![sum / self.n as f64])
        }
        fn distance(&self, x: &[f64]) -> f64 {
            (x[0] - self.ybar).abs()
        }
    }

    #[test]
    fn recovers_the_posterior_of_a_normal_mean() {
        let model = NormalMean { n: 20, ybar: 1.3 };
        let prior = Prior {
            path: "mu".into(),
            dist: Dist::Normal { mean: 0.0, sd: 2.0 },
            low: -20.0,
            high: 20.0,
        };
        let s2: f64 = 1.0 / (0.25 + 20.0);
        let (m, sd) = (s2 * 20.0 * 1.3, s2.sqrt());
        let settings = Settings {
            particles: 2000,
            generations: 12,
            seed: 7,
            quantile: 0.5,
            min_fall: 0.0,
            max_attempts: 2_000_000,
            show_progress: false,
        };
        let (gens, _) = run(
            &model,
            &[prior],
            &settings,
            &Checkpoint::memory(),
            |_, _| {},
        )
        .expect("runs");
        let g = gens.last().unwrap();
        let (mean, var) = weighted_mean_var(&g.particles, &g.weights, 0);
        // The final tolerance (well under sd/10) widens the posterior by a
        // variance of at most ε²/3; the Monte Carlo error of the mean with
        // ESS ≥ 1000 is under 0.04 sd. Tolerances: 0.1 sd for the mean, 10%
        // for the sd.
        let eps = g.tolerance.unwrap();
        assert!(eps < 0.1 * sd, "final tolerance {eps} vs sd {sd}");
        assert!(g.ess > 1000.0, "ESS {}", g.ess);
        assert!(
            (mean - m).abs() < 0.1 * sd,
            "mean {mean} vs exact {m} (sd {sd})"
        );
        assert!(
            (var.sqrt() / sd - 1.0).abs() < 0.1,
            "sd {} vs exact {sd}",
            var.sqrt()
        );
        // The prior alone would be far off: the test can fail.
        assert!((0.0 - m).abs() > 5.0 * sd);
    }

    #[test]
    fn same_result_in_any_pool_and_after_resuming() {
        let model = NormalMean { n: 5, ybar: -0.4 };
        let prior = Prior {
            path: "mu".into(),
            dist: Dist::Uniform {
                low: -3.0,
                high: 3.0,
            },
            low: -3.0,
            high: 3.0,
        };
        let settings = Settings {
            particles: 300,
            generations: 5,
            seed: 3,
            quantile: 0.5,
            min_fall: 0.0,
            max_attempts: 1_000_000,
            show_progress: false,
        };
        let pool = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap()
        };
        let go = |n, cp: &Checkpoint| {
            pool(n)
                .install(|| {
                    run(
                        &model,
                        std::slice::from_ref(&prior),
                        &settings,
                        cp,
                        |_, _| {},
                    )
                })
                .unwrap()
                .0
        };
        let strip = |g: Vec<Generation>| -> Vec<(Vec<Vec<f64>>, Vec<f64>, u64)> {
            g.into_iter()
                .map(|g| (g.particles, g.weights, g.attempts))
                .collect()
        };
        let one = strip(go(1, &Checkpoint::memory()));
        let four = strip(go(4, &Checkpoint::memory()));
        assert_eq!(one, four);
        // Resume: keep the first two saved generations, as a killed run would.
        let dir = tempfile::tempdir().unwrap();
        let cp_dir = dir.path().join("cp");
        let full = go(2, &Checkpoint::folder(&cp_dir, "x").unwrap());
        for i in 2..5 {
            std::fs::remove_file(cp_dir.join(format!("generation-{i:03}.json"))).unwrap();
        }
        let mut loaded = 0;
        let resumed = pool(3)
            .install(|| {
                run(
                    &model,
                    std::slice::from_ref(&prior),
                    &settings,
                    &Checkpoint::folder(&cp_dir, "x").unwrap(),
                    |_, old| loaded += usize::from(old),
                )
            })
            .unwrap()
            .0;
        assert_eq!(loaded, 2);
        assert_eq!(strip(full), strip(resumed));
        assert!(Checkpoint::folder(&cp_dir, "another").is_err());
    }
}
