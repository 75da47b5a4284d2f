//! Random streams. Each CCG-run owns one stream derived from the scenario seed
//! and the run's coordinates (never from threads or time), so results do not
//! depend on how runs are scheduled.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::ops::{Deref, DerefMut};

/// SplitMix64's finaliser: a bijective mix of 64 bits.
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A Xoshiro256++ generator with the few draws the model needs.
#[derive(Debug, Clone)]
pub struct Stream(Xoshiro256PlusPlus);

impl Stream {
    /// The stream for the run at `coords` (e.g. `[replicate, ccg]`) under `seed`:
    /// `key = mix(…mix(mix(seed) ^ c0) ^ c1…)`, then Xoshiro256++ seeded from `key`
    /// by SplitMix64 (rand_xoshiro's `seed_from_u64`).
    pub fn derive(seed: u64, coords: &[u64]) -> Stream {
        let key = coords
            .iter()
            .fold(splitmix64(seed), |k, &c| splitmix64(k ^ splitmix64(c)));
        Stream(Xoshiro256PlusPlus::seed_from_u64(key))
    }

    /// Uniform in [0, 1) with 53 random bits.
    #[inline(always)]
    pub fn unit(&mut self) -> f64 {
        use rand::Rng;
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `self.unit() < c`'s probability, drawn exactly as that comparison would
    /// be (same draw, same answer) but on integers: see [`Chance`].
    #[inline(always)]
    pub fn hit(&mut self, c: Chance) -> bool {
        use rand::Rng;
        (self.0.next_u64() >> 11) < c.0
    }

    /// Uniform integer in `0..n` (n ≥ 1), by Lemire's multiply-shift.
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        use rand::Rng;
        ((self.0.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// `k` distinct indices from `0..n` (partial Fisher–Yates), in draw order.
    pub fn sample_indices(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..n).collect();
        let k = k.min(n);
        for i in 0..k {
            let j = i + self.below(n - i);
            idx.swap(i, j);
        }
        idx.truncate(k);
        idx
    }
}

/// A probability `p` as a threshold on the 53 random bits behind
/// [`Stream::unit`]: `unit() = k·2⁻⁵³ < p` exactly when `k < ⌈p·2⁵³⌉`, because
/// `k` is an integer and scaling by 2⁵³ is exact. (p ≤ 0 or NaN never hits,
/// p ≥ 1 always does, as with `unit() < p`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chance(u64);

impl Chance {
    pub fn new(p: f64) -> Chance {
        // `as` saturates: negative and NaN give 0.
        Chance((p * (1u64 << 53) as f64).ceil() as u64)
    }
}

impl Deref for Stream {
    type Target = Xoshiro256PlusPlus;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Stream {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_coordinates_and_repeat_by_seed() {
        let a: Vec<f64> = (0..4)
            .map({
                let mut s = Stream::derive(1, &[0, 0]);
                move |_| s.unit()
            })
            .collect();
        let b: Vec<f64> = (0..4)
            .map({
                let mut s = Stream::derive(1, &[0, 0]);
                move |_| s.unit()
            })
            .collect();
        let c: Vec<f64> = (0..4)
            .map({
                let mut s = Stream::derive(1, &[0, 1]);
                move |_| s.unit()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn a_chance_hits_exactly_when_unit_is_below_it() {
        let edge = 0.25 + f64::EPSILON / 8.0; // needs the ceiling to agree at 2^-53 steps
        for p in [
            0.0,
            1e-17,
            0.1,
            0.25,
            edge,
            1.0 / 3.0,
            0.5,
            0.999_999,
            1.0,
            1.5,
            -0.2,
        ] {
            let (mut a, mut b) = (Stream::derive(9, &[]), Stream::derive(9, &[]));
            let c = Chance::new(p);
            for _ in 0..20_000 {
                assert_eq!(a.hit(c), b.unit() < p, "p = {p}");
            }
        }
        // At the boundary itself: the largest k below p·2^53 hits, the next does not.
        let p = 0.3;
        let t = Chance::new(p).0;
        assert!(((t - 1) as f64) * (1.0 / (1u64 << 53) as f64) < p);
        assert!((t as f64) * (1.0 / (1u64 << 53) as f64) >= p);
    }

    #[test]
    fn unit_mean_is_a_half() {
        let mut s = Stream::derive(7, &[]);
        let n = 200_000;
        let mean = (0..n).map(|_| s.unit()).sum::<f64>() / n as f64;
        // sd of the mean is 1/sqrt(12 n) ≈ 0.00065; allow 5 sd.
        assert!((mean - 0.5).abs() < 0.0033, "{mean}");
    }
}
