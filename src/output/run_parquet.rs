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
    /// Rows (months) of the run.
    months: usize,
    /// Observation column `c` of month `t` at `c * months + t`.
    values: Vec<f64>,
    /// Each column's minimum, maximum and NaN count.
    scans: [FloatScan; VALUES],
    failed_month: Option<u32>,
}

impl RunRows {
    pub fn of(rec: &RunRecord) -> RunRows {
        let n = rec.months.len();
        let mut values = vec![0.0; VALUES * n];
        let mut scans = [FloatScan::new(); VALUES];
        // Most columns repeat last month's value (counts, shares of small
        // groups, parameters): round each distinct value once, and take it
        // into the column's minimum and maximum once.
        let mut raw = [0u64; VALUES];
        let mut rounded = [0.0f64; VALUES];
        for (t, o) in rec.months.iter().enumerate() {
            for (c, v) in o.values().into_iter().enumerate() {
                let bits = v.to_bits();
                if bits != raw[c] || t == 0 {
                    raw[c] = bits;
                    rounded[c] = csv_value(v);
                    scans[c].bound(rounded[c]);
                }
                let r = rounded[c];
                values[c * n + t] = r;
                scans[c].nans += r.is_nan() as usize;
            }
        }
        RunRows {
            keys: [
                i64::from(rec.id.replicate),
                i64::from(rec.id.ccg),
                i64::from(rec.practices),
            ],
            months: n,
            values,
            scans,
            failed_month: rec.failed_month,
        }
    }

    fn column(&self, c: usize) -> &[f64] {
        &self.values[c * self.months..(c + 1) * self.months]
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
        cells.extend((0..VALUES).map(|c| Cells::ScannedFloats(run.column(c), run.scans[c])));
        self.timeseries.push_rows(n, &cells)?;

        let sm = &mut self.summary;
        sm.push_text(&self.scenario);
        for k in run.keys {
            sm.push_int(Some(k));
        }
        let last = match n {
            0 => Observation::default().values(),
            _ => std::array::from_fn(|c| run.values[c * n + n - 1]),
        };
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
