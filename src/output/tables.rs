//! Tidy CSV tables: `timeseries.csv` (replicate × CCG × month) and `summary.csv`
//! (replicate × CCG, end of run). Each run is formatted on its worker thread;
//! the writer only concatenates, in run order.

use crate::engine::RunRecord;
use crate::model::Observation;

pub const TIMESERIES_KEYS: [&str; 4] = ["replicate", "ccg", "practices", "month"];
pub const SUMMARY_KEYS: [&str; 3] = ["replicate", "ccg", "practices"];
pub const SUMMARY_OUTCOME: [&str; 2] = ["failed", "failed_month"];

pub fn timeseries_header() -> Vec<u8> {
    header(
        TIMESERIES_KEYS
            .iter()
            .chain(Observation::COLUMNS)
            .chain(&[]),
    )
}

pub fn summary_header() -> Vec<u8> {
    header(
        SUMMARY_KEYS
            .iter()
            .chain(Observation::COLUMNS)
            .chain(&SUMMARY_OUTCOME),
    )
}

fn header<'a>(cols: impl Iterator<Item = &'a &'a str>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cols.copied())
        .expect("writing to memory cannot fail");
    w.into_inner().expect("writing to memory cannot fail")
}

/// A run's rows, ready to append: (timeseries bytes, rows), (summary bytes, rows).
pub struct FormattedRun {
    pub timeseries: Vec<u8>,
    pub timeseries_rows: u64,
    pub summary: Vec<u8>,
}

pub fn format_run(rec: &RunRecord, with_timeseries: bool) -> FormattedRun {
    let mut num = String::new();
    let mut ts = csv::Writer::from_writer(Vec::new());
    let keys = [
        rec.id.replicate as u64,
        rec.id.ccg as u64,
        rec.practices as u64,
    ];
    if with_timeseries {
        for (t, o) in rec.months.iter().enumerate() {
            for k in keys.iter().chain(&[t as u64]) {
                ts.write_field(itoa::Buffer::new().format(*k))
                    .expect("memory");
            }
            write_values(&mut ts, o, &mut num);
            ts.write_record(None::<&[u8]>).expect("memory");
        }
    }
    let mut sm = csv::Writer::from_writer(Vec::new());
    for k in keys {
        sm.write_field(itoa::Buffer::new().format(k))
            .expect("memory");
    }
    let last = rec.months.last().copied().unwrap_or_default();
    write_values(&mut sm, &last, &mut num);
    sm.write_field(if rec.failed_month.is_some() { "1" } else { "0" })
        .expect("memory");
    match rec.failed_month {
        Some(m) => sm
            .write_field(itoa::Buffer::new().format(m))
            .expect("memory"),
        None => sm.write_field("").expect("memory"),
    }
    sm.write_record(None::<&[u8]>).expect("memory");
    FormattedRun {
        timeseries: ts.into_inner().expect("memory"),
        timeseries_rows: if with_timeseries {
            rec.months.len() as u64
        } else {
            0
        },
        summary: sm.into_inner().expect("memory"),
    }
}

fn write_values(w: &mut csv::Writer<Vec<u8>>, o: &Observation, num: &mut String) {
    for v in o.values() {
        format_number(v, num);
        w.write_field(num.as_bytes()).expect("memory");
    }
}

/// Six decimals without trailing zeros; NaN (undefined) is an empty cell.
pub fn format_number(v: f64, out: &mut String) {
    use std::fmt::Write;
    out.clear();
    if v.is_nan() {
        return;
    }
    write!(out, "{v:.6}").expect("memory");
    if out.contains('.') {
        let trimmed = out.trim_end_matches('0').trim_end_matches('.').len();
        out.truncate(trimmed);
    }
    if out == "-0" {
        out.clear();
        out.push('0');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_stable() {
        let mut s = String::new();
        for (v, want) in [
            (0.5, "0.5"),
            (1.0, "1"),
            (0.1234567, "0.123457"),
            (-0.0000001, "0"),
            (f64::NAN, ""),
            (22.07, "22.07"),
        ] {
            format_number(v, &mut s);
            assert_eq!(s, want);
        }
    }
}
