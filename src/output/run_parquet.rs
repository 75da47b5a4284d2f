//! `ccgsim run --format parquet`: timeseries.parquet and summary.parquet, the
//! same columns, rows and values as timeseries.csv and summary.csv. Keys
//! (replicate, ccg, practices, month) and failed/failed_month are INT64,
//! `scenario` is a string, observations are doubles holding exactly the
//! numbers the CSV cells read back as (six decimals), NaN as null.

use super::parquet::{Cells, Column, ColumnType, FloatScan, TableWriter};
use super::result_dir::{FileInfo, ResultDir};
use super::tables::{SUMMARY_KEYS, SUMMARY_OUTCOME, TIMESERIES_KEYS, csv_value};
use crate::engine::RunRecord;
use crate::error::Result;
use crate::model::Observation;

const VALUES: usize = Observation::COLUMNS.len();

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
/// rounded as the CSV writes it, column by column.
pub struct RunRows {
    keys: [i64; 3],
    /// Each month's observations, rounded.
    rows: Vec<[f64; VALUES]>,
    /// Each column's minimum, maximum and NaN count (boxed: a run's rows
    /// travel from its worker to the writer by value).
    scans: Box<[FloatScan; VALUES]>,
    failed_month: Option<u32>,
}

impl RunRows {
    pub fn of(rec: &RunRecord) -> RunRows {
        let n = rec.months.len();
        let mut rows = Vec::with_capacity(n);
        let mut scans = [FloatScan::new(); VALUES];
        // Most columns repeat last month's value (counts, shares of small
        // groups, parameters): round each distinct value once, and take it
        // into the column's minimum, maximum and NaN count once (a NaN
        // counts for the months until the column's value changes).
        let mut raw = [0u64; VALUES];
        let mut rounded = [0.0f64; VALUES];
        let mut since = [0usize; VALUES];
        for (t, o) in rec.months.iter().enumerate() {
            for (c, v) in o.values().into_iter().enumerate() {
                let bits = v.to_bits();
                if bits != raw[c] || t == 0 {
                    if rounded[c].is_nan() {
                        scans[c].nans += t - since[c];
                    }
                    since[c] = t;
                    raw[c] = bits;
                    rounded[c] = csv_value(v);
                    scans[c].bound(rounded[c]);
                }
            }
            rows.push(rounded);
        }
        for c in 0..VALUES {
            if n > 0 && rounded[c].is_nan() {
                scans[c].nans += n - since[c];
            }
        }
        RunRows {
            keys: [
                i64::from(rec.id.replicate),
                i64::from(rec.id.ccg),
                i64::from(rec.practices),
            ],
            rows,
            scans: Box::new(scans),
            failed_month: rec.failed_month,
        }
    }
}

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
        let n = run.rows.len();
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
        let flat = run.rows.as_flattened();
        cells.extend((0..VALUES).map(|c| Cells::Column(flat, VALUES, c, run.scans[c])));
        self.timeseries.push_rows(n, &cells)?;

        let sm = &mut self.summary;
        sm.push_text(&self.scenario);
        for k in run.keys {
            sm.push_int(Some(k));
        }
        let last = (run.rows.last().copied()).unwrap_or(Observation::default().values());
        for v in last {
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
            let rows = RunRows::of(&rec);
            assert_eq!(rows.rows.len(), n);
            for c in 0..VALUES {
                let want: Vec<f64> = rec
                    .months
                    .iter()
                    .map(|o| csv_value(o.values()[c]))
                    .collect();
                let got: Vec<f64> = rows.rows.iter().map(|r| r[c]).collect();
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
