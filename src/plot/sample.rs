//! Bounded-memory quantiles over many runs: a bottom-k sample of whole run
//! series. Each run gets a priority that is a hash of its run index; the `cap`
//! runs with the smallest priorities are kept. The kept set is a uniform random
//! sample that depends only on which runs were offered, not on their order or
//! the thread count, and holds every run while there are at most `cap` of them.

use crate::model::rng::splitmix64;
use std::collections::BinaryHeap;

/// Values kept per sample at most (×4 bytes): 4 M values = 16 MB, whatever the
/// number of replicates.
pub const VALUES_BUDGET: usize = 4_000_000;
/// Runs kept at most per sample: quantile error at 5 % is then about ±0.7
/// percentage points of probability, finer than a line on a figure.
pub const MAX_RUNS: usize = 1000;
/// Runs kept at least, even for very long horizons.
pub const MIN_RUNS: usize = 100;

/// The runs kept for one group of runs; each run is `width` values.
#[derive(Debug, Clone)]
pub struct Sample {
    width: usize,
    cap: usize,
    /// (priority, slot), largest priority on top: the first to be replaced.
    heap: BinaryHeap<(u64, usize)>,
    data: Vec<f32>,
    offered: u64,
}

/// Priority of run `index`: a fixed pseudo-random permutation of indices.
pub fn priority(index: u64) -> u64 {
    splitmix64(index ^ 0x706c_6f74_7300_0000)
}

impl Sample {
    /// A sample of runs of `width` values, keeping as many runs as the budget allows.
    pub fn new(width: usize) -> Sample {
        let cap = (VALUES_BUDGET / width.max(1)).clamp(MIN_RUNS, MAX_RUNS);
        Sample::with_cap(width, cap)
    }

    pub fn with_cap(width: usize, cap: usize) -> Sample {
        Sample {
            width,
            cap: cap.max(1),
            heap: BinaryHeap::new(),
            data: Vec::new(),
            offered: 0,
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Runs kept at most.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Count a run offered but known not to be kept (its priority is above
    /// those of `cap` other runs): the same as offering it, without its values.
    pub fn count_unkept(&mut self) {
        self.offered += 1;
    }

    /// Runs offered so far.
    pub fn offered(&self) -> u64 {
        self.offered
    }

    /// Runs kept.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Offer run `index` with its `values` (length `width`).
    pub fn offer(&mut self, index: u64, values: &[f32]) {
        debug_assert_eq!(values.len(), self.width);
        self.offered += 1;
        let key = priority(index);
        if self.heap.len() < self.cap {
            let slot = self.heap.len();
            self.data.extend_from_slice(values);
            self.heap.push((key, slot));
        } else if let Some(&(top, slot)) = self.heap.peek() {
            if key < top {
                self.heap.pop();
                self.data[slot * self.width..(slot + 1) * self.width].copy_from_slice(values);
                self.heap.push((key, slot));
            }
        }
    }

    /// Quantiles `qs` of each value in `range`, one Vec per value. Reads the
    /// kept runs in memory order (a run at a time), which is much faster than
    /// [`quantiles`](Self::quantiles) per value when runs are long.
    pub fn quantiles_of(&self, range: std::ops::Range<usize>, qs: &[f64]) -> Vec<Vec<f64>> {
        // Each column sized once (`vec![v; n]` would clone it without its
        // capacity). Values are kept as integer keys in the order of
        // `f64::total_cmp` on the values as f64 (an f32 widens exactly, so the
        // order is f32's total order), which compare in one instruction.
        let mut cols: Vec<Vec<u32>> = (0..range.len())
            .map(|_| Vec::with_capacity(self.len()))
            .collect();
        for slot in self.data.chunks_exact(self.width) {
            for (col, &x) in cols.iter_mut().zip(&slot[range.clone()]) {
                if !x.is_nan() {
                    col.push(order_key(x));
                }
            }
        }
        cols.into_iter()
            .map(|mut keys| {
                // Only the order statistics the quantiles read are put in
                // place (the same values a full sort leaves there).
                let mut ranks: Vec<usize> = qs
                    .iter()
                    .flat_map(|&q| sorted_ranks(keys.len(), q))
                    .collect();
                ranks.sort_unstable();
                ranks.dedup();
                select_ranks(&mut keys, &ranks);
                let v: Vec<f64> = keys.iter().map(|&k| from_order_key(k) as f64).collect();
                qs.iter().map(|&q| quantile_sorted(&v, q)).collect()
            })
            .collect()
    }

    /// Quantiles `qs` (in 0..=1) of value `j` over the kept runs, ignoring
    /// missing (NaN) values; NaN when no run has a value.
    pub fn quantiles(&self, j: usize, qs: &[f64]) -> Vec<f64> {
        let mut v: Vec<f64> = (0..self.len())
            .map(|s| self.data[s * self.width + j] as f64)
            .filter(|x| !x.is_nan())
            .collect();
        v.sort_by(f64::total_cmp);
        qs.iter().map(|&q| quantile_sorted(&v, q)).collect()
    }
}

/// The positions of a sorted `v` (of `len` values) that [`quantile_sorted`]
/// reads for `q`.
fn sorted_ranks(len: usize, q: f64) -> [usize; 2] {
    if len == 0 {
        return [0, 0];
    }
    let h = (len - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    [lo, (lo + 1).min(len - 1)]
}

/// An f32's bits, mapped so that unsigned order is `total_cmp` order
/// (negative values' bits reversed, positive values' above them).
fn order_key(x: f32) -> u32 {
    let b = x.to_bits();
    if b >> 31 == 1 { !b } else { b | 1 << 31 }
}

/// The f32 whose [`order_key`] is `k`.
fn from_order_key(k: u32) -> f32 {
    f32::from_bits(if k >> 31 == 1 { k & !(1 << 31) } else { !k })
}

/// Reorder `v` so that `v[r]` is what `v` sorted holds at `r`, for every `r`
/// in `ranks` (ascending, distinct, in range): select the middle rank, then
/// the ranks left and right of it in the two parts (each part holds exactly
/// the order statistics of its positions).
fn select_ranks(v: &mut [u32], ranks: &[usize]) {
    select_within(v, 0, ranks);
}

/// [`select_ranks`] for the part `v` of the whole that starts at `offset`.
fn select_within(v: &mut [u32], offset: usize, ranks: &[usize]) {
    if ranks.is_empty() || v.is_empty() {
        return;
    }
    let mid = ranks.len() / 2;
    let r = ranks[mid] - offset;
    v.select_nth_unstable(r);
    let (left, right) = v.split_at_mut(r);
    select_within(left, offset, &ranks[..mid]);
    select_within(&mut right[1..], offset + r + 1, &ranks[mid + 1..]);
}

/// Linear interpolation between order statistics (Hyndman & Fan type 7, the
/// default of R and numpy); NaN for no data.
pub fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let h = (v.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// Median, middle-50 % and middle-90 % limits of one series over time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bands {
    pub q05: Vec<f64>,
    pub q25: Vec<f64>,
    pub q50: Vec<f64>,
    pub q75: Vec<f64>,
    pub q95: Vec<f64>,
}

pub const BAND_QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

impl Bands {
    /// Bands of series `series` when each kept run stores `months` values per
    /// series, series-major (`series * months + month`).
    pub fn from_sample(s: &Sample, series: usize, months: usize) -> Bands {
        let mut b = Bands::default();
        for q in s.quantiles_of(series * months..(series + 1) * months, &BAND_QUANTILES) {
            b.q05.push(q[0]);
            b.q25.push(q[1]);
            b.q50.push(q[2]);
            b.q75.push(q[3]);
            b.q95.push(q[4]);
        }
        b
    }

    pub fn len(&self) -> usize {
        self.q50.len()
    }

    pub fn is_empty(&self) -> bool {
        self.q50.is_empty()
    }

    /// Smallest and largest finite value drawn with (or without) the 90 % band.
    pub fn extent(&self, with_90: bool) -> Option<(f64, f64)> {
        let cols = if with_90 {
            [&self.q05, &self.q95]
        } else {
            [&self.q25, &self.q75]
        };
        let vals = cols
            .into_iter()
            .chain([&self.q50])
            .flat_map(|c| c.iter())
            .copied()
            .filter(|x| x.is_finite());
        vals.fold(None, |acc, x| match acc {
            None => Some((x, x)),
            Some((lo, hi)) => Some((lo.min(x), hi.max(x))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_run_under_the_cap_and_quantiles_are_exact() {
        let mut s = Sample::with_cap(1, 100);
        for i in 0..11u64 {
            s.offer(i, &[i as f32]);
        }
        assert_eq!(s.len(), 11);
        assert_eq!(
            s.quantiles(0, &[0.0, 0.5, 0.25, 1.0]),
            vec![0.0, 5.0, 2.5, 10.0]
        );
    }

    #[test]
    fn memory_stops_growing_at_the_cap() {
        let mut s = Sample::new(7 * 61);
        assert_eq!(s.cap, MAX_RUNS);
        let run = vec![0.5f32; 7 * 61];
        for i in 0..20_000u64 {
            s.offer(i, &run);
        }
        assert_eq!(s.len(), MAX_RUNS);
        assert_eq!(s.data.len(), MAX_RUNS * 7 * 61);
        // A 100-year horizon keeps fewer runs so the budget holds.
        let long = Sample::new(7 * 1201);
        assert!(long.cap * 7 * 1201 <= VALUES_BUDGET && long.cap >= MIN_RUNS);
    }

    #[test]
    fn kept_set_does_not_depend_on_offer_order() {
        let mut a = Sample::with_cap(1, 50);
        let mut b = Sample::with_cap(1, 50);
        for i in 0..5000u64 {
            a.offer(i, &[i as f32]);
            let j = 4999 - i;
            b.offer(j, &[j as f32]);
        }
        let qs = [0.05, 0.5, 0.95];
        assert_eq!(a.quantiles(0, &qs), b.quantiles(0, &qs));
        assert_eq!(a.len(), 50);
    }

    #[test]
    fn sample_quantiles_track_the_population() {
        // Values 0..100_000 in run order: the kept 1000 runs are a uniform sample,
        // so the sample median lies within ±5 % of 50_000 (about 3 standard errors).
        let mut s = Sample::with_cap(1, 1000);
        for i in 0..100_000u64 {
            s.offer(i, &[i as f32]);
        }
        let q = s.quantiles(0, &[0.05, 0.5, 0.95]);
        for (got, want) in q.iter().zip([5_000.0, 50_000.0, 95_000.0]) {
            assert!((got - want).abs() < 5_000.0, "{got} vs {want}");
        }
    }

    #[test]
    fn bulk_quantiles_equal_single_ones() {
        let mut s = Sample::with_cap(3, 40);
        for i in 0..100u64 {
            let x = (i * 37 % 101) as f32;
            s.offer(i, &[x, -x, if i % 3 == 0 { f32::NAN } else { x * 0.5 }]);
        }
        let qs = [0.05, 0.5, 0.95];
        let bulk = s.quantiles_of(0..3, &qs);
        for (j, b) in bulk.iter().enumerate() {
            assert_eq!(*b, s.quantiles(j, &qs));
        }
    }

    /// The bulk quantiles place order statistics by selection: they must be
    /// bit for bit those of a full sort, with many runs, repeated values,
    /// signed zeros, a column without values and the end points.
    #[test]
    fn selected_quantiles_equal_sorted_ones() {
        let mut k = 3u64;
        for (runs, distinct) in [(1000u64, 7u64), (999, 1_000_000), (2, 3), (1, 1), (57, 2)] {
            // The third column has no values at all (every run NaN).
            let mut s = Sample::with_cap(3, 1000);
            for i in 0..runs {
                k = splitmix64(k);
                let x = (k % distinct) as f32 / 8.0 - 1.0;
                let y = if k % 5 == 0 {
                    -0.0
                } else if k % 7 == 0 {
                    f32::NAN
                } else {
                    0.0
                };
                s.offer(i, &[x, y, f32::NAN]);
            }
            let qs = [0.0, 0.05, 0.25, 0.333, 0.5, 0.75, 0.95, 1.0];
            let bulk = s.quantiles_of(0..3, &qs);
            assert!(bulk[2].iter().all(|q| q.is_nan()));
            for (j, b) in bulk.iter().enumerate() {
                let sorted = s.quantiles(j, &qs);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(b), bits(&sorted), "runs {runs}, column {j}");
            }
        }
    }

    /// The integer keys order every non-NaN f32 as `total_cmp` orders it
    /// widened to f64, and give it back bit for bit.
    #[test]
    fn order_keys_follow_total_order() {
        let mut xs = vec![
            f32::NEG_INFINITY,
            -1.5,
            -f32::MIN_POSITIVE,
            -1e-45,
            -0.0,
            0.0,
            1e-45,
            f32::MIN_POSITIVE,
            0.1,
            1.0,
            f32::MAX,
            f32::INFINITY,
        ];
        let mut k = 11u64;
        for _ in 0..2000 {
            k = splitmix64(k);
            let x = f32::from_bits(k as u32);
            if !x.is_nan() {
                xs.push(x);
            }
        }
        for &a in &xs {
            assert_eq!(from_order_key(order_key(a)).to_bits(), a.to_bits());
            for &b in xs.iter().take(40) {
                assert_eq!(
                    order_key(a).cmp(&order_key(b)),
                    (a as f64).total_cmp(&(b as f64)),
                    "{a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn missing_values_are_ignored() {
        let mut s = Sample::with_cap(1, 10);
        s.offer(0, &[f32::NAN]);
        s.offer(1, &[2.0]);
        assert_eq!(s.quantiles(0, &[0.5]), vec![2.0]);
        let mut e = Sample::with_cap(1, 10);
        e.offer(0, &[f32::NAN]);
        assert!(e.quantiles(0, &[0.5])[0].is_nan());
    }
}
