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
    // Rows are written straight into bytes: every field is a number or empty,
    // so none needs CSV quoting, and the csv crate's per-field checks cost more
    // than the formatting itself.
    let keys = [
        rec.id.replicate as u64,
        rec.id.ccg as u64,
        rec.practices as u64,
    ];
    let mut ts = Vec::new();
    if with_timeseries {
        ts.reserve(rec.months.len() * ROW_BYTES_GUESS);
        for (t, o) in rec.months.iter().enumerate() {
            for k in keys.iter().chain(&[t as u64]) {
                push_int(*k, &mut ts);
                ts.push(b',');
            }
            push_values(o, &mut ts);
            ts.push(b'\n');
        }
    }
    let mut sm = Vec::with_capacity(ROW_BYTES_GUESS);
    for k in keys {
        push_int(k, &mut sm);
        sm.push(b',');
    }
    let last = rec.months.last().copied().unwrap_or_default();
    push_values(&last, &mut sm);
    sm.extend_from_slice(if rec.failed_month.is_some() {
        b",1,"
    } else {
        b",0,"
    });
    if let Some(m) = rec.failed_month {
        push_int(m as u64, &mut sm);
    }
    sm.push(b'\n');
    FormattedRun {
        timeseries: ts,
        timeseries_rows: if with_timeseries {
            rec.months.len() as u64
        } else {
            0
        },
        summary: sm,
    }
}

/// Typical bytes in one row; only sizes the buffers.
const ROW_BYTES_GUESS: usize = 128;

/// The observation's values, comma-separated, without a trailing comma.
fn push_values(o: &Observation, out: &mut Vec<u8>) {
    for (i, v) in o.values().into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_number(v, out);
    }
}

fn push_int(v: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Six decimals without trailing zeros; NaN (undefined) is an empty cell.
pub fn format_number(v: f64, out: &mut String) {
    let mut bytes = std::mem::take(out).into_bytes();
    bytes.clear();
    push_number(v, &mut bytes);
    *out = String::from_utf8(bytes).expect("numbers are ASCII");
}

/// Append `v` rounded to six decimals, without trailing zeros, "0" for any
/// value that rounds to zero, nothing for NaN. The text is exactly that of
/// `format!("{v:.6}")` trimmed (the standard library rounds the exact binary
/// value half to even); it is computed here in integer arithmetic because the
/// standard library falls back to slow big-number code for most values.
#[inline]
pub fn push_number(v: f64, out: &mut Vec<u8>) {
    if v.is_nan() {
        return;
    }
    let a = v.abs();
    // Beyond this a·10⁶ may not fit in a u64 (and infinities): rare, slow path.
    if a >= 1.0e12 {
        return push_number_std(v, out);
    }
    let micros = round_micros(a);
    if micros == 0 {
        out.push(b'0');
        return;
    }
    if v < 0.0 {
        out.push(b'-');
    }
    push_int(micros / 1_000_000, out);
    let mut frac = micros % 1_000_000;
    if frac != 0 {
        let mut digits = 6;
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        let mut buf = [b'0'; 7];
        buf[0] = b'.';
        for d in buf[1..=digits].iter_mut().rev() {
            *d = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        out.extend_from_slice(&buf[..=digits]);
    }
}

/// `a·10⁶` rounded to the nearest integer, ties to even, exactly: with
/// `a = m·2^e`, the product `m·10⁶` fits in 73 bits, so a u128 shift and the
/// bits shifted out decide the rounding. Needs `0 ≤ a < 1e12`.
#[inline]
fn round_micros(a: f64) -> u64 {
    let bits = a.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (m, e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    if e >= 0 {
        return (m << e) * 1_000_000;
    }
    let k = (-e) as u32;
    if k > 74 {
        // m·10⁶ < 2^73 ≤ half of 2^k: rounds to zero.
        return 0;
    }
    let x = m as u128 * 1_000_000;
    let q = (x >> k) as u64;
    let rest = x & ((1u128 << k) - 1);
    let half = 1u128 << (k - 1);
    q + (rest > half || (rest == half && q & 1 == 1)) as u64
}

/// The reference formatting, for values the fast path does not cover.
fn push_number_std(v: f64, out: &mut Vec<u8>) {
    let mut s = format!("{v:.6}");
    if s.contains('.') {
        let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(trimmed);
    }
    if s == "-0" {
        s = "0".into();
    }
    out.extend_from_slice(s.as_bytes());
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

    /// The fast formatter against the standard library's exact formatting.
    fn check(v: f64) {
        let mut fast = Vec::new();
        push_number(v, &mut fast);
        let mut reference = Vec::new();
        if !v.is_nan() {
            push_number_std(v, &mut reference);
        }
        assert_eq!(
            String::from_utf8_lossy(&fast),
            String::from_utf8_lossy(&reference),
            "{v:e} ({:#x})",
            v.to_bits()
        );
    }

    /// Neighbouring doubles (away from and toward zero) of a finite value.
    fn up(v: f64) -> f64 {
        f64::from_bits(v.to_bits() + 1)
    }
    fn down(v: f64) -> f64 {
        f64::from_bits(v.to_bits().saturating_sub(1))
    }

    #[test]
    fn fast_numbers_match_the_standard_library() {
        // Exact ties at the seventh decimal (k/128) and their neighbours.
        for k in -2000i64..=2000 {
            let v = k as f64 / 128.0;
            for w in [v, up(v), down(v)] {
                check(w);
            }
        }
        // Decimal boundaries x.xxxxxx5 in and near [0, 100].
        for k in 0..200_000u64 {
            let v = (k as f64 + 0.5) / 1e6;
            for w in [v, up(v), down(v), -v, 100.0 - v] {
                check(w);
            }
        }
        // Random bit patterns of every magnitude, and specials.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            x = crate::model::rng::splitmix64(x);
            check(f64::from_bits(x));
            check(f64::from_bits(x) % 1000.0);
        }
        for v in [
            0.0,
            -0.0,
            1e12,
            down(1e12),
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            check(v);
        }
    }
}
