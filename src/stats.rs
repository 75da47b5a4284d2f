//! Summary statistics shared by sweeps and `compare`: mean, standard deviation,
//! 95% confidence intervals (Student t for means, Wilson for proportions),
//! paired and unpaired differences, and sample quantiles.
//!
//! Undefined values (NaN, e.g. leader figures in a month with no leader) are
//! left out; a statistic that needs more values than there are is NaN, which
//! the CSV writers print as an empty cell.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Confidence level of every interval in ccgsim.
pub const LEVEL: f64 = 0.95;

/// Mean, sample standard deviation and the t-based 95% CI of the mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanCi {
    /// Number of defined (non-NaN) values used.
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Two-sided quantile of Student's t with `df` degrees of freedom at [`LEVEL`].
pub fn t_quantile(df: f64) -> f64 {
    let p = 1.0 - (1.0 - LEVEL) / 2.0;
    StudentsT::new(0.0, 1.0, df)
        .expect("df is positive")
        .inverse_cdf(p)
}

fn z_quantile() -> f64 {
    Normal::standard().inverse_cdf(1.0 - (1.0 - LEVEL) / 2.0)
}

/// Mean and its 95% CI (mean ± t·sd/√n). The values are summed in the order
/// given, so equal inputs give bit-equal outputs.
pub fn mean_ci(values: &[f64]) -> MeanCi {
    let (mut n, mut sum) = (0usize, 0.0);
    for &v in values.iter().filter(|v| !v.is_nan()) {
        n += 1;
        sum += v;
    }
    if n == 0 {
        return MeanCi {
            n,
            mean: f64::NAN,
            sd: f64::NAN,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
        };
    }
    let mean = sum / n as f64;
    if n == 1 {
        return MeanCi {
            n,
            mean,
            sd: f64::NAN,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
        };
    }
    // Two passes: the deviations are summed after the mean is known (stable).
    let ss: f64 = values
        .iter()
        .filter(|v| !v.is_nan())
        .map(|v| (v - mean) * (v - mean))
        .sum();
    let sd = (ss / (n - 1) as f64).sqrt();
    let half = t_quantile((n - 1) as f64) * sd / (n as f64).sqrt();
    MeanCi {
        n,
        mean,
        sd,
        ci_low: mean - half,
        ci_high: mean + half,
    }
}

/// A proportion `successes / n` with its Wilson score 95% interval, which
/// stays inside [0, 1] and behaves at 0 and n successes (unlike the Wald interval).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proportion {
    pub n: u64,
    pub p: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

pub fn wilson(successes: u64, n: u64) -> Proportion {
    if n == 0 {
        return Proportion {
            n,
            p: f64::NAN,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
        };
    }
    let z = z_quantile();
    let nf = n as f64;
    let p = successes as f64 / nf;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
    let half = z / (1.0 + z2 / nf) * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    Proportion {
        n,
        p,
        // The bounds are exactly 0 at 0 successes and 1 at n; say so rather
        // than leave rounding residue like 3e-17.
        ci_low: if successes == 0 {
            0.0
        } else {
            (centre - half).max(0.0)
        },
        ci_high: if successes == n {
            1.0
        } else {
            (centre + half).min(1.0)
        },
    }
}

/// The difference `b − a` with its 95% CI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    pub mean_a: f64,
    pub mean_b: f64,
    pub difference: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Pairs used (paired) or the smaller sample size (unpaired).
    pub n: usize,
    pub paired: bool,
}

/// Paired difference `b[i] − a[i]` (common random numbers: run i of A and run i
/// of B share their random stream). Pairs with an undefined value are skipped.
pub fn paired_difference(a: &[f64], b: &[f64]) -> Difference {
    assert_eq!(a.len(), b.len(), "paired samples have equal length");
    let keep: Vec<usize> = (0..a.len())
        .filter(|&i| !a[i].is_nan() && !b[i].is_nan())
        .collect();
    let d: Vec<f64> = keep.iter().map(|&i| b[i] - a[i]).collect();
    let pick = |x: &[f64]| keep.iter().map(|&i| x[i]).collect::<Vec<_>>();
    let m = mean_ci(&d);
    Difference {
        mean_a: mean_ci(&pick(a)).mean,
        mean_b: mean_ci(&pick(b)).mean,
        difference: m.mean,
        ci_low: m.ci_low,
        ci_high: m.ci_high,
        n: m.n,
        paired: true,
    }
}

/// Unpaired difference of means `mean(b) − mean(a)` with Welch's interval, for
/// samples that cannot be paired run by run.
pub fn welch_difference(a: &[f64], b: &[f64]) -> Difference {
    let (ma, mb) = (mean_ci(a), mean_ci(b));
    let (va, vb) = (ma.sd * ma.sd / ma.n as f64, mb.sd * mb.sd / mb.n as f64);
    let se2 = va + vb;
    let df = se2 * se2 / (va * va / (ma.n as f64 - 1.0) + vb * vb / (mb.n as f64 - 1.0));
    let diff = mb.mean - ma.mean;
    // With no spread at all the difference is exact.
    let half = if se2 == 0.0 {
        0.0
    } else {
        t_quantile(df) * se2.sqrt()
    };
    Difference {
        mean_a: ma.mean,
        mean_b: mb.mean,
        difference: diff,
        ci_low: diff - half,
        ci_high: diff + half,
        n: ma.n.min(mb.n),
        paired: false,
    }
}

/// Sample quantile `q` of sorted, NaN-free `sorted` by linear interpolation
/// between order statistics (Hyndman & Fan type 7, the default of R and NumPy).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_sd_and_t_interval_match_hand_computation() {
        let m = mean_ci(&[1.0, 2.0, 3.0, 4.0, f64::NAN]);
        assert_eq!(m.n, 4);
        assert_eq!(m.mean, 2.5);
        assert!((m.sd - 1.290_994_448_7).abs() < 1e-9);
        // t(0.975, 3) = 3.182446305…
        let half = 3.182_446_305_284 * m.sd / 2.0;
        assert!((m.ci_high - (2.5 + half)).abs() < 1e-9, "{m:?}");
        assert!((m.ci_low - (2.5 - half)).abs() < 1e-9);
        assert!(mean_ci(&[7.0]).sd.is_nan());
        assert!(mean_ci(&[]).mean.is_nan());
    }

    #[test]
    fn wilson_matches_published_example_and_stays_in_range() {
        // 0 of 10: Wilson 95% upper bound is 0.2775.
        let w = wilson(0, 10);
        assert_eq!(w.ci_low, 0.0);
        assert!((w.ci_high - 0.277_5).abs() < 1e-3, "{w:?}");
        // 5 of 10: 0.2366 to 0.7634.
        let w = wilson(5, 10);
        assert!((w.ci_low - 0.236_6).abs() < 1e-3 && (w.ci_high - 0.763_4).abs() < 1e-3);
        let w = wilson(10, 10);
        assert_eq!(w.ci_high, 1.0);
    }

    #[test]
    fn interval_covers_the_true_mean_about_95_percent_of_the_time() {
        // 2000 samples of 10 uniforms: coverage sd is √(.95·.05/2000) ≈ 0.005; allow 4 sd.
        let mut s = crate::model::rng::Stream::derive(3, &[]);
        let mut hits = 0;
        let trials = 2000;
        for _ in 0..trials {
            let x: Vec<f64> = (0..10).map(|_| s.unit()).collect();
            let m = mean_ci(&x);
            hits += (m.ci_low <= 0.5 && 0.5 <= m.ci_high) as u32;
        }
        let cover = hits as f64 / trials as f64;
        assert!((cover - 0.95).abs() < 0.02, "coverage {cover}");
    }

    #[test]
    fn paired_difference_removes_shared_noise() {
        let a = [1.0, 5.0, 9.0, 2.0];
        let b = [1.5, 5.4, 9.6, 2.5];
        let d = paired_difference(&a, &b);
        assert!((d.difference - 0.5).abs() < 1e-12);
        assert!(d.ci_low > 0.0, "paired CI excludes zero: {d:?}");
        let w = welch_difference(&a, &b);
        assert!(
            w.ci_low < 0.0,
            "unpaired CI is swamped by the spread: {w:?}"
        );
        assert!((w.difference - 0.5).abs() < 1e-12);
    }

    #[test]
    fn quantiles_interpolate() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&s, 0.0), 1.0);
        assert_eq!(quantile_sorted(&s, 1.0), 4.0);
        assert_eq!(quantile_sorted(&s, 0.5), 2.5);
        assert!(quantile_sorted(&[], 0.5).is_nan());
    }
}
