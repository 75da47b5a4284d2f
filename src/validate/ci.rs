//! Estimates for validation: a mean of per-replicate values (or of paired
//! differences under common random numbers) with its 95% Student-t interval,
//! computed by [`crate::stats`] like every other interval in ccgsim.

use crate::stats;

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
        let m = stats::mean_ci(xs);
        Estimate {
            mean: m.mean,
            lo: m.ci_low,
            hi: m.ci_high,
            n: m.n,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_of_known_sample() {
        // mean 2, sd sqrt(2/3), n 4: half-width = t(3) · sd / 2 = 3.182 · sd / 2
        let e = Estimate::of(&[1.0, 2.0, 3.0, 2.0]);
        assert!((e.mean - 2.0).abs() < 1e-12);
        let sd = (2.0f64 / 3.0).sqrt();
        assert!((e.hi - e.mean - 3.182 * sd / 2.0).abs() < 1e-3);
        let d = Estimate::paired_difference(&[3.0, 3.1, 2.9, f64::NAN], &[1.0, 1.0, 1.0, 1.0]);
        assert!((d.mean - 2.0).abs() < 1e-12 && d.above_zero() && d.n == 3);
        assert!(Estimate::paired_difference(&[1.0, 1.1, 0.9], &[3.0, 3.0, 3.0]).below_zero());
    }
}
