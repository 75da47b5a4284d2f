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

/// The runs kept for one group of runs; each run is `width` values, in
/// [`parts`](Sample::in_parts) of equal length (a run's series).
#[derive(Debug, Clone)]
pub struct Sample {
    width: usize,
    cap: usize,
    /// Values of a part.
    part: usize,
    /// (priority, slot), largest priority on top: the first to be replaced.
    heap: BinaryHeap<(u64, usize)>,
    /// Slots each part has room for.
    slots: usize,
    /// The values' bits (native-endian f32, 4 bytes a value), part after
    /// part; each part holds its values of every slot, slot after slot (room
    /// for `slots`): the quantiles of a part (one series) read one contiguous
    /// block, not a slice of every run spread over the whole sample. Bytes,
    /// so that once the quantiles are taken the memory (its pages already
    /// mapped) can hold a figure's pixels ([`Sample::into_bytes`]).
    data: Vec<u8>,
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
            part: width.max(1),
            heap: BinaryHeap::new(),
            slots: 0,
            data: Vec::new(),
            offered: 0,
        }
    }

    /// The same sample, each run stored as `parts` parts of `width / parts`
    /// values (when `parts` divides `width`; else as one part). The values,
    /// hence every quantile, are the same; only where they lie changes.
    pub fn in_parts(mut self, parts: usize) -> Sample {
        assert!(self.is_empty(), "parts are set before runs are offered");
        if parts > 0 && self.width % parts == 0 && self.width > 0 {
            self.part = self.width / parts;
        }
        self
    }

    /// Parts a run is stored in.
    fn parts(&self) -> usize {
        self.width / self.part
    }

    /// Byte offset of part `p` of the run in `slot`.
    fn at(&self, p: usize, slot: usize) -> usize {
        (p * self.slots + slot) * self.part * 4
    }

    /// Value `j` of the run in `slot`.
    fn value(&self, slot: usize, j: usize) -> f32 {
        let i = self.at(j / self.part, slot) + j % self.part * 4;
        f32::from_ne_bytes(self.data[i..i + 4].try_into().expect("four bytes"))
    }

    /// Room for `slots` runs (at least those kept): the kept values move to
    /// their places in a new buffer. Zeroed memory from the allocator, so a
    /// page is mapped only once a value is written to it.
    fn relayout(&mut self, slots: usize) {
        let mut data = vec![0u8; slots * self.width * 4];
        let bytes = self.len() * self.part * 4;
        for p in 0..self.parts() {
            let (from, to) = (self.at(p, 0), (p * slots) * self.part * 4);
            data[to..to + bytes].copy_from_slice(&self.data[from..from + bytes]);
        }
        self.data = data;
        self.slots = slots;
    }

    /// Write `values` (a whole run) into `slot`.
    fn write(&mut self, slot: usize, values: &[f32]) {
        let part = self.part;
        for (p, v) in values.chunks_exact(part).enumerate() {
            let at = self.at(p, slot);
            let out = &mut self.data[at..at + part * 4];
            for (o, x) in out.chunks_exact_mut(4).zip(v) {
                o.copy_from_slice(&x.to_ne_bytes());
            }
        }
    }

    /// The sample's memory, its values no longer needed: bytes whose pages
    /// were written (those of the kept runs), for a buffer of that size.
    pub fn into_bytes(self) -> Vec<u8> {
        self.data
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Runs kept at most.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Make room for `runs` runs at once (the runs the sample will keep,
    /// when known): the values are then written once, never moved by a
    /// growing buffer. At most `cap` runs.
    pub fn reserve_runs(&mut self, runs: usize) {
        let runs = runs.min(self.cap);
        if runs > self.slots {
            self.relayout(runs);
        }
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
            if slot == self.slots {
                // Room doubles (up to the cap) when not reserved.
                self.relayout((2 * self.slots).max(8).min(self.cap));
            }
            self.write(slot, values);
            self.heap.push((key, slot));
        } else if let Some(&(top, slot)) = self.heap.peek() {
            if key < top {
                self.heap.pop();
                self.write(slot, values);
                self.heap.push((key, slot));
            }
        }
    }

    /// Quantiles `qs` of each value in `range`, one Vec per value: the same
    /// numbers as [`quantiles`](Self::quantiles) gives value by value, bit
    /// for bit. Values are taken as integer keys in the order of
    /// `f64::total_cmp` on the values as f64 (an f32 widens exactly, so the
    /// order is f32's total order), and only the order statistics the
    /// quantiles read are found (see [`order_statistics`]).
    pub fn quantiles_of(&self, range: std::ops::Range<usize>, qs: &[f64]) -> Vec<Vec<f64>> {
        let cols = range.len();
        // The values of the range, run after run: `stride` values a run, the
        // range's first at `offset`. Within one part (a whole series, as the
        // bands ask), read where they lie, not copied; else gathered first.
        // Values as their bits: `order_key` reads nothing else.
        let gathered: Vec<u8>;
        let (p, part) = (range.start / self.part, self.part);
        let (values, stride, offset) = if cols > 0 && (range.end - 1) / part == p {
            let at = self.at(p, 0);
            let block = &self.data[at..at + self.len() * part * 4];
            (block, part, range.start - p * part)
        } else {
            gathered = (0..self.len())
                .flat_map(|slot| range.clone().map(move |j| self.value(slot, j)))
                .flat_map(f32::to_ne_bytes)
                .collect();
            (&gathered[..], cols, 0)
        };
        let bits = |b: &[u8]| u32::from_ne_bytes(b.try_into().expect("four bytes"));
        // The columns a group at a time: one read of each run's keys of the
        // group fills the group's columns (instead of one strided read per
        // column), each then a contiguous slice, reordered in place.
        const GROUP: usize = 8;
        let n_runs = self.len();
        let mut columns = vec![0u32; GROUP * n_runs];
        let mut scratch = Scratch::default();
        let mut ranks = Vec::new();
        let mut stats = Vec::new();
        let mut out = Vec::with_capacity(cols);
        for first in (0..cols).step_by(GROUP) {
            let group = offset + first..offset + (first + GROUP).min(cols);
            let mut runs = values.chunks_exact(stride * 4);
            let bytes = group.start * 4..group.end * 4;
            let mut s = 0;
            if group.len() == GROUP {
                // Eight runs at a time: an 8 × 8 tile of keys, read a row (a
                // run's eight months) at a time and written a column at a time.
                while s + GROUP <= n_runs {
                    let mut tile = [[0u32; GROUP]; GROUP];
                    for (row, run) in tile.iter_mut().zip(runs.by_ref()) {
                        for (k, x) in row.iter_mut().zip(run[bytes.clone()].chunks_exact(4)) {
                            *k = order_key_bits(bits(x));
                        }
                    }
                    for c in 0..GROUP {
                        let at = c * n_runs + s;
                        columns[at..at + GROUP].copy_from_slice(&tile.map(|row| row[c]));
                    }
                    s += GROUP;
                }
            }
            for run in runs {
                for (c, x) in run[bytes.clone()].chunks_exact(4).enumerate() {
                    columns[c * n_runs + s] = order_key_bits(bits(x));
                }
                s += 1;
            }
            for column in columns.chunks_exact_mut(n_runs.max(1)).take(group.len()) {
                // Missing values (NaN) are left out; their keys lie beyond
                // those of ±∞, so the smallest and largest key tell.
                let (mut lo, mut hi) = min_max(column);
                let mut keys = &mut column[..];
                if lo < NEG_INFINITY_KEY || hi > INFINITY_KEY {
                    let kept = retain(keys, |k| (NEG_INFINITY_KEY..=INFINITY_KEY).contains(&k));
                    keys = &mut keys[..kept];
                    (lo, hi) = min_max(keys);
                }
                let n = keys.len();
                ranks.clear();
                if n > 0 {
                    ranks.extend(qs.iter().flat_map(|&q| sorted_ranks(n, q)));
                    ranks.sort_unstable();
                    ranks.dedup();
                }
                stats.clear();
                order_statistics(keys, (lo, hi), &ranks, 0, &mut stats, &mut scratch);
                let at = |r: usize| {
                    let i = ranks.partition_point(|&x| x < r);
                    from_order_key(stats[i]) as f64
                };
                out.push(qs.iter().map(|&q| quantile_at(n, q, at)).collect());
            }
        }
        // No runs: no values, NaN quantiles.
        out.resize(cols, vec![f64::NAN; qs.len()]);
        out
    }

    /// Quantiles `qs` (in 0..=1) of value `j` over the kept runs, ignoring
    /// missing (NaN) values; NaN when no run has a value.
    pub fn quantiles(&self, j: usize, qs: &[f64]) -> Vec<f64> {
        let mut v: Vec<f64> = (0..self.len())
            .map(|s| self.value(s, j) as f64)
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

/// Move the keys `keep` accepts to the front of `keys`, in their order;
/// how many there are.
fn retain(keys: &mut [u32], keep: impl Fn(u32) -> bool) -> usize {
    let mut kept = 0;
    for i in 0..keys.len() {
        let k = keys[i];
        if keep(k) {
            keys[kept] = k;
            kept += 1;
        }
    }
    kept
}

/// The smallest and largest of `keys` (`(u32::MAX, 0)` for none).
fn min_max(keys: &[u32]) -> (u32, u32) {
    // Two passes, each vectorised.
    let lo = keys.iter().fold(u32::MAX, |m, &k| m.min(k));
    let hi = keys.iter().fold(0, |m, &k| m.max(k));
    (lo, hi)
}

/// [`order_key`] of −∞ and of +∞: every NaN's key lies outside them.
const NEG_INFINITY_KEY: u32 = !0xff80_0000;
const INFINITY_KEY: u32 = 0x7f80_0000 | 1 << 31;

/// An f32's bits, mapped so that unsigned order is `total_cmp` order
/// (negative values' bits reversed, positive values' above them).
#[cfg(test)]
fn order_key(x: f32) -> u32 {
    order_key_bits(x.to_bits())
}

/// [`order_key`] of the f32 of bits `b`.
fn order_key_bits(b: u32) -> u32 {
    if b >> 31 == 1 { !b } else { b | 1 << 31 }
}

/// The f32 whose [`order_key`] is `k`.
fn from_order_key(k: u32) -> f32 {
    f32::from_bits(if k >> 31 == 1 { k & !(1 << 31) } else { !k })
}

/// Buffers [`order_statistics`] reuses from column to column (and its
/// recursive calls, one after another).
struct Scratch {
    gathered: Vec<u32>,
    /// Keys per bucket, then each wanted bucket's next slot plus one.
    counts: Box<[u32; BUCKETS]>,
    /// The wanted buckets of the calls under way, innermost last.
    parts: Vec<Part>,
}

impl Default for Scratch {
    fn default() -> Scratch {
        Scratch {
            gathered: Vec::new(),
            counts: Box::new([0; BUCKETS]),
            parts: Vec::new(),
        }
    }
}

/// A wanted bucket: its first rank, its first slot in `gathered`, its keys,
/// and how many wanted ranks fall in it.
#[derive(Clone, Copy)]
struct Part {
    bucket: usize,
    first: usize,
    at: usize,
    len: usize,
    wanted: usize,
}

/// Buckets a pass at most: 2^`BUCKET_BITS`.
const BUCKET_BITS: u32 = 8;
const BUCKETS: usize = 1 << BUCKET_BITS;

/// Buckets this small are finished by selection instead of another pass.
const SMALL: usize = 48;

/// Append to `out` the keys a sort of `keys` would place at positions
/// `r - offset` for each `r` in `ranks` (ascending, distinct, in range), in
/// that order; `keys` may be reordered.
///
/// One pass counts the keys per bucket of equal width between the smallest
/// and largest key (a quarter as many buckets as keys, 256 at most), which
/// tells the bucket of each wanted rank; a second pass gathers the few keys
/// of those buckets, where the same is repeated on a much narrower span (or,
/// for a few keys, they are put in place by selection). About two reads a
/// key, instead of the several partitioning passes of a selection per rank.
fn order_statistics(
    keys: &mut [u32],
    (lo, hi): (u32, u32),
    ranks: &[usize],
    offset: usize,
    out: &mut Vec<u32>,
    s: &mut Scratch,
) {
    if ranks.is_empty() {
        return;
    }
    debug_assert!(ranks.windows(2).all(|w| w[0] < w[1]));
    debug_assert!(ranks[0] >= offset && ranks[ranks.len() - 1] - offset < keys.len());
    debug_assert_eq!((lo, hi), min_max(keys));
    if lo == hi {
        out.extend(ranks.iter().map(|_| lo));
        return;
    }
    if keys.len() <= SMALL {
        select_within(keys, offset, ranks);
        out.extend(ranks.iter().map(|&r| keys[r - offset]));
        return;
    }
    // 2^bits buckets (a fixed array, so indexing needs no bounds check),
    // 4–8 keys each on average: `(k - lo) >> shift` < 2^bits, and `hi` is
    // not in the bucket of `lo`.
    let bits = (usize::BITS - keys.len().leading_zeros())
        .saturating_sub(2)
        .clamp(2, BUCKET_BITS);
    let shift = (u32::BITS - (hi - lo).leading_zeros()).saturating_sub(bits);
    let bucket = |k: u32| ((k - lo) >> shift) as usize & (BUCKETS - 1);
    let counts = &mut *s.counts;
    counts[..1 << bits].fill(0);
    for &k in keys.iter() {
        counts[bucket(k)] += 1;
    }
    // The wanted buckets.
    let base = s.parts.len();
    let (mut b, mut start, mut total) = (0, offset, 0);
    for &r in ranks {
        while start + counts[b] as usize <= r {
            start += counts[b] as usize;
            b += 1;
        }
        match s.parts[base..].last_mut() {
            Some(p) if p.bucket == b => p.wanted += 1,
            _ => {
                let len = counts[b] as usize;
                s.parts.push(Part {
                    bucket: b,
                    first: start,
                    at: total,
                    len,
                    wanted: 1,
                });
                total += len;
            }
        }
    }
    // Their keys, bucket after bucket (a counting sort of those buckets
    // only): per bucket, its next slot in `gathered`, 0 for the others,
    // whose keys all go to slot 0, never read (no branch on the bucket: which
    // keys are wanted is as good as random, so a branch would mispredict).
    counts[..1 << bits].fill(0);
    for p in &s.parts[base..] {
        counts[p.bucket] = p.at as u32 + 1;
    }
    let mut gathered = std::mem::take(&mut s.gathered);
    gathered.clear();
    gathered.resize(total + 1, 0);
    for &k in keys.iter() {
        let b = bucket(k);
        let c = counts[b];
        gathered[c as usize] = k;
        counts[b] = c + u32::from(c != 0);
    }
    // Each on its own (it holds fewer keys: `hi` is in another bucket), its
    // ranks counted from its start.
    let mut first_rank = 0;
    for i in base..s.parts.len() {
        let p = s.parts[i];
        let part = &mut gathered[p.at + 1..p.at + 1 + p.len];
        let bounds = min_max(part);
        let wanted = &ranks[first_rank..first_rank + p.wanted];
        order_statistics(part, bounds, wanted, p.first, out, s);
        first_rank += p.wanted;
    }
    s.parts.truncate(base);
    s.gathered = gathered;
}

/// Reorder `v` so that `v[r]` is what `v` sorted holds at `r`, for every `r`
/// in `ranks` (ascending, distinct, in range, counted from `offset`): select
/// the middle rank, then the ranks left and right of it in the two parts
/// (each part holds exactly the order statistics of its positions).
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
    quantile_at(v.len(), q, |r| v[r])
}

/// [`quantile_sorted`] of `len` sorted values, the one at position `r` being
/// `at(r)` (only the positions [`sorted_ranks`] gives are asked for).
fn quantile_at(len: usize, q: f64, at: impl Fn(usize) -> f64) -> f64 {
    if len == 0 {
        return f64::NAN;
    }
    let h = (len - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(len - 1);
    let (a, b) = (at(lo), at(hi));
    a + (h - lo as f64) * (b - a)
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
        assert_eq!(s.data.len(), MAX_RUNS * 7 * 61 * 4);
        // A 100-year horizon keeps fewer runs so the budget holds.
        let long = Sample::new(7 * 1201);
        assert!(long.cap * 7 * 1201 <= VALUES_BUDGET && long.cap >= MIN_RUNS);
    }

    /// Room made for the runs to be kept holds them all without moving
    /// (never more than `cap` runs' worth), and changes no value kept.
    #[test]
    fn reserved_room_holds_the_kept_runs() {
        let mut s = Sample::with_cap(5, 8);
        s.reserve_runs(1000);
        assert_eq!(s.data.capacity(), 8 * 5 * 4);
        let at = s.data.as_ptr();
        for i in 0..100u64 {
            s.offer(i, &[i as f32; 5]);
        }
        assert_eq!(s.data.as_ptr(), at, "no reallocation");
        let mut plain = Sample::with_cap(5, 8);
        for i in 0..100u64 {
            plain.offer(i, &[i as f32; 5]);
        }
        assert_eq!(s.quantiles(3, &[0.1, 0.5]), plain.quantiles(3, &[0.1, 0.5]));
    }

    /// A sample stored in parts keeps the same runs and gives the same
    /// quantiles, bit for bit, as one stored whole: over a part, within one,
    /// across parts, and value by value.
    #[test]
    fn parts_change_no_quantile() {
        let (parts, part) = (4, 7);
        let mut whole = Sample::with_cap(parts * part, 30);
        let mut split = Sample::with_cap(parts * part, 30).in_parts(parts);
        let mut k = 9u64;
        for i in 0..200u64 {
            let run: Vec<f32> = (0..parts * part)
                .map(|_| {
                    k = splitmix64(k);
                    if k % 11 == 0 {
                        f32::NAN
                    } else {
                        (k % 97) as f32 / 7.0
                    }
                })
                .collect();
            whole.offer(i, &run);
            split.offer(i, &run);
        }
        assert_eq!(split.len(), 30);
        let bits =
            |v: Vec<Vec<f64>>| -> Vec<u64> { v.iter().flatten().map(|x| x.to_bits()).collect() };
        let qs = [0.05, 0.25, 0.5, 0.75, 0.95];
        for range in [0..7, 7..14, 21..28, 9..12, 5..16, 0..28, 3..3] {
            assert_eq!(
                bits(split.quantiles_of(range.clone(), &qs)),
                bits(whole.quantiles_of(range.clone(), &qs)),
                "{range:?}"
            );
        }
        for j in 0..parts * part {
            assert_eq!(split.quantiles(j, &qs), whole.quantiles(j, &qs).to_vec());
        }
        // Whole groups of eight months over whole tiles of eight runs, and
        // the runs and months left over, all as a sort gives them.
        for range in [0..28, 3..27] {
            let bulk = split.quantiles_of(range.clone(), &qs);
            for (b, j) in bulk.iter().zip(range) {
                assert_eq!(
                    bits(vec![b.clone()]),
                    bits(vec![whole.quantiles(j, &qs)]),
                    "{j}"
                );
            }
        }
        // A width the parts do not divide is kept whole.
        assert_eq!(Sample::with_cap(10, 3).in_parts(4).part, 10);
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

    /// The bucket passes find exactly the keys a sort places at the wanted
    /// ranks, whatever the keys: spread over all of u32, clustered with an
    /// outlier (most keys in one bucket, so a second pass), few distinct
    /// values, all equal, two values, and sizes around the selection cut-off.
    #[test]
    fn order_statistics_equal_a_sort() {
        let mut k = 5u64;
        let mut next = || {
            k = splitmix64(k);
            k
        };
        let mut s = Scratch::default();
        let mut out = Vec::new();
        for case in 0..400 {
            let n = [1, 2, 47, 48, 49, 50, 1000, 999, 3000, 100][case % 10];
            let keys: Vec<u32> = (0..n)
                .map(|i| {
                    let r = next();
                    match case % 7 {
                        0 => r as u32,
                        1 if i == 0 => u32::MAX,
                        1 => 0x3f00_0000 + (r % 5000) as u32,
                        2 => (r % 4) as u32 * 1_000_000,
                        3 => 77,
                        4 => [0, u32::MAX][(r % 2) as usize],
                        5 => 0xbf00_0000 + (r % 300) as u32 * (1 + (r >> 40) as u32 % 3),
                        _ => (r % 1_000_000) as u32 + (i as u32 % 3) * 0x4000_0000,
                    }
                })
                .collect();
            let mut sorted = keys.clone();
            sorted.sort_unstable();
            let mut ranks: Vec<usize> = (0..1 + next() % 12)
                .map(|_| (next() % n as u64) as usize)
                .chain([0, n - 1, n / 2])
                .collect();
            ranks.sort_unstable();
            ranks.dedup();
            let mut v = keys.clone();
            out.clear();
            let bounds = min_max(&v);
            order_statistics(&mut v, bounds, &ranks, 0, &mut out, &mut s);
            let want: Vec<u32> = ranks.iter().map(|&r| sorted[r]).collect();
            assert_eq!(out, want, "case {case}, n {n}");
            // Only reordered.
            v.sort_unstable();
            assert_eq!(v, sorted);
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
        assert_eq!(order_key(f32::NEG_INFINITY), NEG_INFINITY_KEY);
        assert_eq!(order_key(f32::INFINITY), INFINITY_KEY);
        for bits in [
            0x7fc0_0000u32,
            0x7f80_0001,
            0xffff_ffff,
            0xff80_0001,
            0x7fff_ffff,
        ] {
            let k = order_key(f32::from_bits(bits));
            assert!(!(NEG_INFINITY_KEY..=INFINITY_KEY).contains(&k), "{bits:x}");
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
