//! Confidence intervals for validation: the mean of per-replicate values (or of
//! paired differences under common random numbers) with a Student-t interval.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// A mean with its two-sided 95% confidence interval over `n` replicates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub lo: f64,
    pub hi: f64,
    pub n: usize,
}

impl Estimate {
    /// Mean and 95% t-interval of `xs` (NaN values are dropped: a month with no
    /// leader in post has no leader figures).
    pub fn of(xs: &[f64]) -> Estimate {
        let v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
        let n = v.len();
        if n == 0 {
            return Estimate {
                mean: f64::NAN,
                lo: f64::NAN,
                hi: f64::NAN,
                n,
            };
        }
        let mean = v.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Estimate {
                mean,
                lo: f64::NAN,
                hi: f64::NAN,
                n,
            };
        }
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let half = t975(n - 1) * (var / n as f64).sqrt();
        Estimate {
            mean,
            lo: mean - half,
            hi: mean + half,
            n,
        }
    }

    /// Mean difference `a − b` of paired replicates (common random numbers), with
    /// the paired t-interval. Pairs with a NaN on either side are dropped.
    pub fn paired_difference(a: &[f64], b: &[f64]) -> Estimate {
        assert_eq!(a.len(), b.len(), "paired samples must have equal length");
        let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
        Estimate::of(&d)
    }

    /// The interval lies wholly above zero.
    pub fn above_zero(&self) -> bool {
        self.lo > 0.0
    }
    /// The interval lies wholly below zero.
    pub fn below_zero(&self) -> bool {
        self.hi < 0.0
    }
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64)
        .map(|t| t.inverse_cdf(0.975))
        .unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantile_matches_tables() {
        assert!((t975(29) - 2.045).abs() < 1e-3);
        assert!((t975(1000) - 1.962).abs() < 1e-3);
    }

    #[test]
    fn interval_of_known_sample() {
        // mean 2, sd 1, n 4: half-width = 3.182 * 0.5
        let e = Estimate::of(&[1.0, 2.0, 3.0, 2.0 + 0.0]);
        assert!((e.mean - 2.0).abs() < 1e-12);
        let sd = (2.0f64 / 3.0).sqrt();
        assert!((e.hi - e.mean - 3.182 * sd / 2.0).abs() < 1e-3);
        let d = Estimate::paired_difference(&[3.0, 3.1, 2.9], &[1.0, 1.0, 1.0]);
        assert!((d.mean - 2.0).abs() < 1e-12 && d.above_zero());
    }
}
