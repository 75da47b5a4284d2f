//! `ccgsim run --format parquet`: timeseries.parquet and summary.parquet, the
//! same columns, rows and values as timeseries.csv and summary.csv. Keys
//! (replicate, ccg, practices, month) and failed/failed_month are INT64,
//! `scenario` is a string, observations are doubles holding exactly the
//! numbers the CSV cells read back as (six decimals), NaN as null.

use super::parquet::{Cells, Column, ColumnType, FloatScan, TableWriter};
use super::result_dir::{FileInfo, ResultDir};
use super::spare::Spare;
#[cfg(target_arch = "x86_64")]
use super::tables::csv_values_x4;
use super::tables::{SUMMARY_KEYS, SUMMARY_OUTCOME, TIMESERIES_KEYS, csv_value};
use crate::engine::RunRecord;
use crate::error::Result;
use crate::model::Observation;

const VALUES: usize = Observation::COLUMNS.len();

/// Months rounded at a time (a block of rows on the stack).
const BLOCK: usize = 32;

fn keys(names: &[&str]) -> Vec<Column> {
    names
        .iter()
        .map(|&n| {
            let ty = if n == "scenario" {
                ColumnType::Utf8
            } else {
                ColumnType::Int64
            };
            Column::new(n, ty, false)
        })
        .collect()
}

fn observations() -> impl Iterator<Item = Column> {
    Observation::COLUMNS
        .iter()
        .map(|n| Column::new(n, ColumnType::Float64, true))
}

/// timeseries.parquet's columns, in timeseries.csv's order.
pub fn timeseries_columns() -> Vec<Column> {
    let mut c = keys(&TIMESERIES_KEYS);
    c.extend(observations());
    c
}

/// summary.parquet's columns, in summary.csv's order.
pub fn summary_columns() -> Vec<Column> {
    let mut c = keys(&SUMMARY_KEYS);
    c.extend(observations());
    let [failed, failed_month] = SUMMARY_OUTCOME;
    c.push(Column::new(failed, ColumnType::Int64, false));
    c.push(Column::new(failed_month, ColumnType::Int64, true));
    c
}

/// One run's rows, prepared on its worker thread: every value already
/// rounded as the CSV writes it, laid out column by column as the Parquet
/// column buffers hold them (little-endian doubles), so the writer thread
/// appends each column with one copy.
pub struct RunRows {
    keys: [i64; 3],
    months: usize,
    /// Column `c`'s `months` values at bytes `8·c·months .. 8·(c+1)·months`.
    columns: Vec<u8>,
    /// The last month's values (the summary row; boxed, as `scans`).
    last: Box<[f64; VALUES]>,
    /// Each column's minimum, maximum and NaN count (boxed: a run's rows
    /// travel from its worker to the writer by value).
    scans: Box<[FloatScan; VALUES]>,
    failed_month: Option<u32>,
}

impl RunRows {
    /// A run's rows. Two ways to the same values: with AVX2 and FMA (chosen
    /// at run time), every value is rounded, four columns at a time; else
    /// each column's changed values only, one at a time. A unit test checks
    /// that both give the same rows and scans.
    pub fn of(rec: &RunRecord) -> RunRows {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            return unsafe { RunRows::of_x4(rec) };
        }
        RunRows::of_plain(rec)
    }

    /// Row by row: each row's values rounded four at a time
    /// ([`csv_values_x4`]), and each column's minimum, maximum and NaN count
    /// kept in the lane of its group, taking the months in order as
    /// [`FloatScan::add`] does.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn of_x4(rec: &RunRecord) -> RunRows {
        const GROUPS: usize = VALUES.div_ceil(4);
        let n = rec.months.len();
        let len = 8 * n * VALUES;
        let mut columns = SPARE.take();
        columns.clear();
        columns.reserve(len);
        // Written in place below (every byte), not zeroed first.
        let out = columns.spare_capacity_mut()[..len]
            .as_mut_ptr()
            .cast::<u8>();
        let mut mins = [[f64::INFINITY; 4]; GROUPS];
        let mut maxs = [[f64::NEG_INFINITY; 4]; GROUPS];
        let mut nans = [[0u64; 4]; GROUPS];
        // A row, padded to whole groups, and its roundings.
        let mut row = [0.0f64; 4 * GROUPS];
        let mut rounded = [0.0f64; 4 * GROUPS];
        for (t, o) in rec.months.iter().enumerate() {
            row[..VALUES].copy_from_slice(&o.values());
            for g in 0..GROUPS {
                let x = csv_values_x4(row[4 * g..4 * g + 4].try_into().unwrap());
                bound_x4(&mut mins[g], &mut maxs[g], &mut nans[g], x);
                rounded[4 * g..4 * g + 4].copy_from_slice(&x);
            }
            for (c, x) in rounded[..VALUES].iter().enumerate() {
                // SAFETY: c < VALUES and t < n, so the 8 bytes at
                // 8·(c·n + t) lie within the `len` reserved above.
                unsafe {
                    let at = out.add(8 * (c * n + t));
                    std::ptr::copy_nonoverlapping(x.to_le_bytes().as_ptr(), at, 8);
                }
            }
        }
        // SAFETY: the loops above wrote the 8 bytes of every (c, t),
        // c < VALUES, t < n: all `len` bytes.
        unsafe { columns.set_len(len) };
        let mut scans = [FloatScan::new(); VALUES];
        for (c, s) in scans.iter_mut().enumerate() {
            let (g, k) = (c / 4, c % 4);
            *s = FloatScan {
                min: mins[g][k],
                max: maxs[g][k],
                nans: nans[g][k] as usize,
            };
        }
        let last = rounded[..VALUES].try_into().unwrap();
        RunRows::assemble(rec, columns, last, scans)
    }

    /// Column by column, rounding only the values that changed.
    pub fn of_plain(rec: &RunRecord) -> RunRows {
        let n = rec.months.len();
        // Every byte is written below.
        let mut columns = SPARE.take();
        columns.resize(8 * n * VALUES, 0);
        let mut scans = [FloatScan::new(); VALUES];
        // Most columns repeat last month's value (counts, shares of small
        // groups, parameters): round each distinct value once, and take it
        // into the column's minimum, maximum and NaN count once (a NaN counts
        // for the months until the value changes). Months are taken a block
        // at a time, and each block column by column, so that each column's
        // repeats are regular enough for the branch predictor.
        // Each column's last raw value (bits; the first month's is taken as a
        // change) and its rounding.
        let mut raw = [0u64; VALUES];
        if let Some(first) = rec.months.first() {
            for (r, v) in raw.iter_mut().zip(first.values()) {
                *r = !v.to_bits();
            }
        }
        let mut rounded = [0.0f64; VALUES];
        let mut block = [[0.0f64; VALUES]; BLOCK];
        // Per column of a block: the months whose value changed, and the
        // roundings (`fresh[0]`: the one carried in from the last block).
        let mut changed = [0usize; BLOCK];
        let mut step = [0usize; BLOCK];
        let mut fresh = [0.0f64; BLOCK + 1];
        for t0 in (0..n).step_by(BLOCK) {
            let months = &rec.months[t0..n.min(t0 + BLOCK)];
            for (row, o) in block.iter_mut().zip(months) {
                *row = o.values();
            }
            let block = &block[..months.len()];
            for c in 0..VALUES {
                // Three passes without a branch on the data (a column's
                // changes are often irregular): find the changes, round
                // each changed value, lay the roundings out month by month.
                let (mut r, mut k) = (raw[c], 0);
                for (i, row) in block.iter().enumerate() {
                    let bits = row[c].to_bits();
                    changed[k] = i;
                    let new = usize::from(bits != r);
                    step[i] = new;
                    k += new;
                    r = bits;
                }
                raw[c] = r;
                fresh[0] = rounded[c];
                let mut scan = scans[c];
                for (x, &i) in fresh[1..=k].iter_mut().zip(&changed[..k]) {
                    *x = csv_value(block[i][c]);
                    scan.bound(*x);
                }
                let at = 8 * (c * n + t0);
                let out = &mut columns[at..at + 8 * months.len()];
                let mut j = 0;
                for (d, &s) in out.chunks_exact_mut(8).zip(&step) {
                    j += s;
                    let x = fresh[j];
                    scan.nans += usize::from(x.is_nan());
                    d.copy_from_slice(&x.to_le_bytes());
                }
                rounded[c] = fresh[k];
                scans[c] = scan;
            }
        }
        RunRows::assemble(rec, columns, rounded, scans)
    }

    /// The rows of `rec` from its columns (`months` values each), its last
    /// month's rounded values and its scans; a run of no months has the
    /// default observation as its summary row.
    fn assemble(
        rec: &RunRecord,
        columns: Vec<u8>,
        last: [f64; VALUES],
        scans: [FloatScan; VALUES],
    ) -> RunRows {
        let last = if rec.months.is_empty() {
            Observation::default().values()
        } else {
            last
        };
        RunRows {
            keys: [
                i64::from(rec.id.replicate),
                i64::from(rec.id.ccg),
                i64::from(rec.practices),
            ],
            months: rec.months.len(),
            columns,
            last: Box::new(last),
            scans: Box::new(scans),
            failed_month: rec.failed_month,
        }
    }

    /// Column `c`'s values, plain encoded.
    fn column(&self, c: usize) -> &[u8] {
        &self.columns[8 * c * self.months..8 * (c + 1) * self.months]
    }
}

impl Drop for RunRows {
    fn drop(&mut self) {
        SPARE.give(std::mem::take(&mut self.columns));
    }
}

/// [`FloatScan::add`] of four columns' values `x`, each in its lane: the
/// minimum `x < min ? x : min` and maximum `x > max ? x : max` (NaN never
/// replaces a bound), and the NaN count.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn bound_x4(min: &mut [f64; 4], max: &mut [f64; 4], nans: &mut [u64; 4], x: [f64; 4]) {
    use std::arch::x86_64::*;
    // SAFETY: arrays of four 8-byte numbers are read and written whole.
    unsafe {
        let v = _mm256_loadu_pd(x.as_ptr());
        // `minpd(a, b)` is `a < b ? a : b`, `maxpd(a, b)` is `a > b ? a : b`.
        let lo = _mm256_min_pd(v, _mm256_loadu_pd(min.as_ptr()));
        let hi = _mm256_max_pd(v, _mm256_loadu_pd(max.as_ptr()));
        _mm256_storeu_pd(min.as_mut_ptr(), lo);
        _mm256_storeu_pd(max.as_mut_ptr(), hi);
        let nan = _mm256_castpd_si256(_mm256_cmp_pd::<_CMP_UNORD_Q>(v, v));
        let count = _mm256_loadu_si256(nans.as_ptr().cast());
        // A NaN lane's mask is -1: subtracting it counts one.
        _mm256_storeu_si256(nans.as_mut_ptr().cast(), _mm256_sub_epi64(count, nan));
    }
}

/// Column buffers of written runs, for the next runs.
static SPARE: Spare = Spare::new();

/// The two tables of a run result, filled run by run in run order.
pub struct RunTables {
    scenario: Vec<u8>,
    /// 0, 1, 2, …: the month column.
    month_numbers: Vec<i64>,
    timeseries: TableWriter,
    summary: TableWriter,
}

impl RunTables {
    pub fn create(dir: &ResultDir, scenario: &str) -> Result<RunTables> {
        Ok(RunTables {
            scenario: scenario.as_bytes().to_vec(),
            month_numbers: Vec::new(),
            timeseries: TableWriter::create(
                &dir.staging().join("timeseries.parquet"),
                timeseries_columns(),
            )?,
            summary: TableWriter::create(
                &dir.staging().join("summary.parquet"),
                summary_columns(),
            )?,
        })
    }

    /// Append a run's rows: every month to timeseries (column by column), the
    /// last to summary.
    pub fn add(&mut self, run: &RunRows) -> Result<()> {
        let n = run.months;
        if self.month_numbers.len() < n {
            self.month_numbers = (0..n as i64).collect();
        }
        let [replicate, ccg, practices] = run.keys;
        let mut cells = Vec::with_capacity(5 + VALUES);
        cells.extend([
            Cells::Text(&self.scenario),
            Cells::Int(replicate),
            Cells::Int(ccg),
            Cells::Int(practices),
            Cells::Ints(&self.month_numbers[..n]),
        ]);
        cells.extend((0..VALUES).map(|c| Cells::Plain(run.column(c), run.scans[c])));
        self.timeseries.push_rows(n, &cells)?;

        let sm = &mut self.summary;
        sm.push_text(&self.scenario);
        for k in run.keys {
            sm.push_int(Some(k));
        }
        for &v in run.last.iter() {
            sm.push_float(v);
        }
        sm.push_int(Some(i64::from(run.failed_month.is_some())));
        sm.push_int(run.failed_month.map(i64::from));
        sm.end_row()
    }

    /// (timeseries, summary) file records for the manifest.
    pub fn finish(self) -> Result<(FileInfo, FileInfo)> {
        Ok((self.timeseries.finish()?, self.summary.finish()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RunId;
    use crate::output::parquet::float_scan;

    /// A run's rows are its observations rounded as the CSV writes them, and
    /// each column's scan (minimum, maximum, NaN count) is that of its rows,
    /// whatever the pattern of repeats and NaNs.
    #[test]
    fn run_rows_are_rounded_observations_with_their_scans() {
        let mut x = 0x1234_5678_9ABC_DEF0u64;
        for n in [0usize, 1, 2, 5, 121] {
            let months: Vec<Observation> = (0..n)
                .map(|t| {
                    let mut o = Observation::default();
                    x = crate::model::rng::splitmix64(x);
                    o.ownership_members = (x >> 11) as f64 / (1u64 << 53) as f64;
                    o.leaders = 3.0;
                    // NaN at the start, in the middle, at the end, repeated.
                    o.ownership_leaders = if t < 2 || (t > 40 && t < 45) || t + 3 >= n {
                        f64::NAN
                    } else {
                        0.25 + (t / 7) as f64 * 1e-7
                    };
                    o.leader_burnout = if x % 3 == 0 { f64::NAN } else { -1.5e-7 };
                    o.ccg_balance = if t % 2 == 0 { -0.0 } else { 1e13 / 3.0 };
                    o
                })
                .collect();
            let rec = RunRecord {
                id: RunId {
                    replicate: 1,
                    ccg: 2,
                },
                practices: 9,
                months,
                failed_month: None,
            };
            let mut ways = vec![RunRows::of_plain(&rec)];
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: the CPU has AVX2 and FMA.
                ways.push(unsafe { RunRows::of_x4(&rec) });
            }
            for rows in ways {
                assert_eq!(rows.months, n);
                for c in 0..VALUES {
                    let want: Vec<f64> = rec
                        .months
                        .iter()
                        .map(|o| csv_value(o.values()[c]))
                        .collect();
                    let got: Vec<f64> = rows
                        .column(c)
                        .chunks_exact(8)
                        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
                        .collect();
                    if let Some(&l) = want.last() {
                        assert_eq!(rows.last[c].to_bits(), l.to_bits(), "column {c} last");
                    }
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&got), bits(&want), "column {c}, {n} months");
                    let (s, w) = (rows.scans[c], float_scan(&want));
                    assert_eq!(s.nans, w.nans, "column {c}, {n} months");
                    assert_eq!(s.min.to_bits(), w.min.to_bits(), "column {c}");
                    assert_eq!(s.max.to_bits(), w.max.to_bits(), "column {c}");
                }
            }
        }
    }
}
