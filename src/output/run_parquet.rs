//! `ccgsim run --format parquet`: timeseries.parquet and summary.parquet, the
//! same columns, rows and values as timeseries.csv and summary.csv. Keys
//! (replicate, ccg, practices, month) and failed/failed_month are INT64,
//! `scenario` is a string, observations are doubles holding exactly the
//! numbers the CSV cells read back as (six decimals), NaN as null.

use super::parquet::{Column, ColumnType, TableWriter};
use super::result_dir::{FileInfo, ResultDir};
use super::tables::{SUMMARY_KEYS, SUMMARY_OUTCOME, TIMESERIES_KEYS, csv_value};
use crate::engine::RunRecord;
use crate::error::Result;
use crate::model::Observation;
use parquet::data_type::ByteArray;

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
/// rounded as the CSV writes it.
pub struct RunRows {
    keys: [i64; 3],
    months: Vec<[f64; VALUES]>,
    failed_month: Option<u32>,
}

impl RunRows {
    pub fn of(rec: &RunRecord) -> RunRows {
        let months = rec
            .months
            .iter()
            .map(|o| o.values().map(csv_value))
            .collect();
        RunRows {
            keys: [
                i64::from(rec.id.replicate),
                i64::from(rec.id.ccg),
                i64::from(rec.practices),
            ],
            months,
            failed_month: rec.failed_month,
        }
    }
}

/// The two tables of a run result, filled run by run in run order.
pub struct RunTables {
    scenario: ByteArray,
    timeseries: TableWriter,
    summary: TableWriter,
}

impl RunTables {
    pub fn create(dir: &ResultDir, scenario: &str) -> Result<RunTables> {
        Ok(RunTables {
            scenario: ByteArray::from(scenario),
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

    /// Append a run's rows: every month to timeseries, the last to summary.
    pub fn add(&mut self, run: &RunRows) -> Result<()> {
        let ts = &mut self.timeseries;
        for (t, values) in run.months.iter().enumerate() {
            ts.push_text(&self.scenario);
            for k in run.keys {
                ts.push_int(Some(k));
            }
            ts.push_int(Some(t as i64));
            for &v in values {
                ts.push_float(v);
            }
            ts.end_row()?;
        }
        let sm = &mut self.summary;
        sm.push_text(&self.scenario);
        for k in run.keys {
            sm.push_int(Some(k));
        }
        let last = run
            .months
            .last()
            .copied()
            .unwrap_or(Observation::default().values());
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
