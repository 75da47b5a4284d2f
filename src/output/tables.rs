//! Tidy CSV tables: `timeseries.csv` (replicate × CCG × month) and `summary.csv`
//! (replicate × CCG, end of run), each row led by the scenario's name so results
//! of several scenarios stack. Each run is formatted on its worker thread; the
//! writer only concatenates, in run order. Also: wide tables → long (one row per
//! outcome × statistic), for the long companions of a sweep's tables.

use crate::engine::RunRecord;
use crate::model::Observation;

pub const TIMESERIES_KEYS: [&str; 5] = ["scenario", "replicate", "ccg", "practices", "month"];
pub const SUMMARY_KEYS: [&str; 4] = ["scenario", "replicate", "ccg", "practices"];

/// The `scenario` cell that starts every row, with its comma: the name, quoted
/// as CSV requires when it holds a comma, quote or line break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowPrefix(Vec<u8>);

impl RowPrefix {
    pub fn new(scenario: &str) -> RowPrefix {
        let mut b = if scenario.contains([',', '"', '\n', '\r']) || scenario.is_empty() {
            format!("\"{}\"", scenario.replace('"', "\"\""))
        } else {
            scenario.to_string()
        }
        .into_bytes();
        b.push(b',');
        RowPrefix(b)
    }

    /// The cell and its comma, as written.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}
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

/// Wide → long: a table whose first `ids` columns identify a row and whose
/// other columns each hold one (outcome, statistic) becomes one row per value:
/// the id columns, `outcome`, the statistic's column, `value`.
pub struct Long {
    ids: usize,
    names: Vec<(String, String)>,
}

impl Long {
    /// `split` names the outcome and statistic of each value column; returns
    /// the converter and the long table's header line.
    pub fn new(
        header: &csv::StringRecord,
        ids: usize,
        statistic: &str,
        split: impl Fn(&str) -> (String, String),
    ) -> (Long, Vec<u8>) {
        let names = header.iter().skip(ids).map(split).collect();
        let mut cols: Vec<&str> = header.iter().take(ids).collect();
        cols.extend(["outcome", statistic, "value"]);
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&cols).expect("memory");
        (Long { ids, names }, w.into_inner().expect("memory"))
    }

    /// The long rows of one wide row, and how many there are.
    pub fn rows(&self, rec: &csv::StringRecord) -> (Vec<u8>, u64) {
        let mut w = csv::Writer::from_writer(Vec::new());
        let ids: Vec<&str> = rec.iter().take(self.ids).collect();
        for ((outcome, stat), value) in self.names.iter().zip(rec.iter().skip(self.ids)) {
            for id in &ids {
                w.write_field(id).expect("memory");
            }
            w.write_record([outcome.as_str(), stat.as_str(), value])
                .expect("memory");
        }
        (w.into_inner().expect("memory"), self.names.len() as u64)
    }
}

/// A run's rows, ready to append: (timeseries bytes, rows), (summary bytes, rows).
pub struct FormattedRun {
    pub timeseries: Vec<u8>,
    pub timeseries_rows: u64,
    pub summary: Vec<u8>,
}

/// Timeseries text buffers of written runs, for the next runs.
static SPARE: super::spare::Spare = super::spare::Spare::new();

impl Drop for FormattedRun {
    fn drop(&mut self) {
        SPARE.give(std::mem::take(&mut self.timeseries));
    }
}

/// One run's timeseries rows (when `with_timeseries`) and summary row. The
/// same code is compiled twice, for the baseline x86-64 and with AVX2, BMI2
/// and FMA (wider stores, cheaper shifts, each row's changed columns and
/// roundings found four at a time), chosen at run time; both write the same
/// bytes (unit tests compare them).
pub fn format_run(rec: &RunRecord, with_timeseries: bool, scenario: &RowPrefix) -> FormattedRun {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("bmi2")
        && std::arch::is_x86_feature_detected!("fma")
    {
        // SAFETY: the CPU has AVX2, BMI2 and FMA (checked just above).
        return unsafe { format_run_avx2(rec, with_timeseries, scenario) };
    }
    format_run_plain::<false>(rec, with_timeseries, scenario)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,bmi2,fma")]
fn format_run_avx2(rec: &RunRecord, with_timeseries: bool, scenario: &RowPrefix) -> FormattedRun {
    format_run_plain::<true>(rec, with_timeseries, scenario)
}

/// `X4`: the CPU has AVX2 and FMA, and the caller was compiled for them (each
/// row's changes and roundings are then found four columns at a time).
#[inline(always)]
fn format_run_plain<const X4: bool>(
    rec: &RunRecord,
    with_timeseries: bool,
    scenario: &RowPrefix,
) -> FormattedRun {
    let keys = [
        rec.id.replicate as u64,
        rec.id.ccg as u64,
        rec.practices as u64,
    ];
    let mut last_text = LastText::default();
    let mut ts = Vec::new();
    if with_timeseries {
        ts = SPARE.take();
        ts.reserve(rec.months.len() * ROW_BYTES_GUESS);
        let lead = RowLead::new(scenario, keys);
        for (t, o) in rec.months.iter().enumerate() {
            push_timeseries_row::<X4>(&lead, t as u64, &o.values(), &mut last_text, &mut ts);
        }
    }
    let mut sm = Vec::with_capacity(ROW_BYTES_GUESS);
    sm.extend_from_slice(&scenario.0);
    let last = rec.months.last().copied().unwrap_or_default();
    push_row(&keys, &last.values(), &mut last_text, &mut sm);
    sm.extend_from_slice(if rec.failed_month.is_some() {
        b",1,"
    } else {
        b",0,"
    });
    if let Some(m) = rec.failed_month {
        sm.extend_from_slice(itoa::Buffer::new().format(m).as_bytes());
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

/// Bytes to reserve per row, a little more than a typical row (keys, then
/// about six characters per number): a run's buffer is allocated once, not
/// grown. Only sizes the buffers.
const ROW_BYTES_GUESS: usize = 24 + 7 * VALUES;
const VALUES: usize = Observation::COLUMNS.len();
/// [`VALUES`] rounded up to whole groups of four.
const VALUES_X4: usize = VALUES.div_ceil(4) * 4;
/// Longest text of a key (u64) and of a fast-path number, each with its comma.
const KEY_MAX: usize = 21;
const NUMBER_MAX: usize = 21;
/// A row's longest text, plus room to copy one whole number buffer at the end.
const ROW_MAX: usize = 4 * KEY_MAX + VALUES * NUMBER_MAX + NUMBER_MAX;

/// The text of each column's previous value. Within a run most columns repeat
/// last month's value (counts, shares of small groups, parameters), and
/// copying its text is cheaper than formatting the number again. A text of at
/// most 16 bytes (every number below 1000 in magnitude) is kept packed in two
/// `u64`s, built in registers and stored whole: a number assembled byte by byte
/// and then copied as a block stalls the copy's load (store forwarding fails),
/// which cost more than the digits. Longer texts are kept as bytes in `long`.
/// Each text is kept with the comma that leads its cell (in `len` too), so a
/// row is its keys and then the texts, one copy each.
struct LastText {
    /// Bits of each column's last value; meaningless until `known`. Padded
    /// to whole groups of four (the padding stays zero).
    bits: [u64; VALUES_X4],
    known: bool,
    packed: [[u64; 2]; VALUES],
    len: [usize; VALUES],
    long: [[u8; 1 + NUMBER_MAX]; VALUES],
    is_long: [bool; VALUES],
}

impl Default for LastText {
    fn default() -> Self {
        LastText {
            bits: [0; VALUES_X4],
            known: false,
            packed: [[0; 2]; VALUES],
            len: [0; VALUES],
            long: [[0; 1 + NUMBER_MAX]; VALUES],
            is_long: [false; VALUES],
        }
    }
}

impl LastText {
    /// Column `j`'s text is `v`'s long text (`v` rounds to 1000 or more in
    /// magnitude), with its comma.
    fn set_long(&mut self, j: usize, v: f64) {
        self.long[j][0] = b',';
        self.len[j] = 1 + put_fixed6(v, &mut self.long[j][1..]);
        self.is_long[j] = true;
    }
}

/// A packed text of `n` bytes (at most 15) led by a comma.
#[inline(always)]
fn with_comma(text: u128, n: usize) -> (u128, usize) {
    (text << 8 | u128::from(b','), n + 1)
}

/// Append `keys` then `values`, comma-separated, without a line end. Rows are
/// assembled on the stack and appended in one copy: every field is a number
/// or empty, so none needs CSV quoting, and per-field writes into the `Vec`
/// (or the csv crate's per-field checks) would cost more than the digits.
#[inline(always)]
fn push_row(keys: &[u64], values: &[f64; VALUES], last: &mut LastText, out: &mut Vec<u8>) {
    if keys.len() > 4 || values.iter().any(|v| v.abs() >= FAST_LIMIT) {
        // Huge or infinite values: field by field, the slow exact way.
        for (i, k) in keys.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(itoa::Buffer::new().format(*k).as_bytes());
        }
        for v in values {
            out.push(b',');
            push_number(*v, out);
        }
        return;
    }
    let mut row = [0u8; ROW_MAX];
    let mut len = 0;
    for (i, &k) in keys.iter().enumerate() {
        if i > 0 {
            row[len] = b',';
            len += 1;
        }
        len += put_uint(k, &mut row[len..]);
    }
    let fresh = !last.known;
    last.known = true;
    for (j, &v) in values.iter().enumerate() {
        // The packed text goes into the row from registers when just made,
        // else from two u64 loads of what two u64 stores left (a wider load
        // of narrower stores would stall again).
        let (lo, hi) = if fresh || last.bits[j] != v.to_bits() {
            last.bits[j] = v.to_bits();
            match fixed6_packed(v) {
                Some((text, n)) => {
                    let (text, n) = with_comma(text, n);
                    let (lo, hi) = (text as u64, (text >> 64) as u64);
                    last.packed[j] = [lo, hi];
                    last.len[j] = n;
                    last.is_long[j] = false;
                    (lo, hi)
                }
                None => {
                    last.set_long(j, v);
                    (0, 0)
                }
            }
        } else {
            (last.packed[j][0], last.packed[j][1])
        };
        // Fixed-size copies (cheaper than variable ones); only len[j] bytes count.
        if last.is_long[j] {
            row[len..len + 1 + NUMBER_MAX].copy_from_slice(&last.long[j]);
        } else {
            row[len..len + 8].copy_from_slice(&lo.to_le_bytes());
            row[len + 8..len + 16].copy_from_slice(&hi.to_le_bytes());
        }
        len += last.len[j];
    }
    out.extend_from_slice(&row[..len]);
}

/// What leads each timeseries row of a run: the scenario cell and the three
/// run keys (replicate, ccg, practices), each with its comma, made once per
/// run and padded so that it is copied with one fixed-size copy.
struct RowLead {
    bytes: [u8; LEAD_MAX],
    len: usize,
    /// The scenario cell and the keys, for rows [`push_timeseries_row`]
    /// leaves to [`push_row`].
    scenario: Vec<u8>,
    keys: [u64; 3],
}

/// Longest lead copied whole; a longer one (a long scenario name) makes
/// every row take [`push_row`].
const LEAD_MAX: usize = 64;

impl RowLead {
    fn new(scenario: &RowPrefix, keys: [u64; 3]) -> RowLead {
        let mut text = scenario.0.clone();
        for k in keys {
            text.extend_from_slice(itoa::Buffer::new().format(k).as_bytes());
            text.push(b',');
        }
        let mut bytes = [0u8; LEAD_MAX];
        let len = if text.len() <= LEAD_MAX {
            bytes[..text.len()].copy_from_slice(&text);
            text.len()
        } else {
            usize::MAX
        };
        RowLead {
            bytes,
            len,
            scenario: scenario.0.clone(),
            keys,
        }
    }
}

/// Room a row written by [`push_timeseries_row`] may touch: the lead, a
/// month's four bytes, and per value a whole text buffer with its comma (its
/// bytes past the text's length are overwritten by what follows), and the
/// line end.
const TS_ROW_ROOM: usize = LEAD_MAX + 4 + VALUES * (1 + NUMBER_MAX) + 1;

/// Append one timeseries row (`lead`, month `t`, `values`) and its line end:
/// the same bytes as the scenario cell, then [`push_row`] of the keys and
/// values, then `\n`, and the same [`LastText`] after it. The row is written
/// straight into `out`'s spare room: the lead in one copy, the month from a
/// table, each value's text from `last`, made again only for the columns
/// whose value changed (found first, so the loop that makes texts runs over
/// the changed columns only, without a branch per column).
#[inline(always)]
fn push_timeseries_row<const X4: bool>(
    lead: &RowLead,
    t: u64,
    values: &[f64; VALUES],
    last: &mut LastText,
    out: &mut Vec<u8>,
) {
    let mut padded = [0.0f64; VALUES_X4];
    padded[..VALUES].copy_from_slice(values);
    // Changed columns, columns whose rounding `micros` holds, huge values.
    let mut micros = [0u64; VALUES_X4];
    #[cfg(target_arch = "x86_64")]
    // SAFETY: X4 is set only by callers compiled for, and run on, a CPU
    // with AVX2 and FMA.
    let scanned = X4.then(|| unsafe { scan_row_x4(&padded, &last.bits, &mut micros) });
    #[cfg(not(target_arch = "x86_64"))]
    let scanned: Option<(u64, u64, bool)> = None;
    let (mut changed, exact, big) = scanned.unwrap_or_else(|| {
        let mut changed = 0u64;
        let mut big = false;
        for (j, v) in values.iter().enumerate() {
            changed |= u64::from(last.bits[j] != v.to_bits()) << j;
            big |= v.abs() >= FAST_LIMIT;
        }
        (changed, 0u64, big)
    });
    if big || t >= 1000 || lead.len > LEAD_MAX {
        // Rare: the general way (it leaves `last` as it was).
        out.extend_from_slice(&lead.scenario);
        let [r, c, n] = lead.keys;
        push_row(&[r, c, n, t], values, last, out);
        out.push(b'\n');
        return;
    }
    if !last.known {
        changed = (1u64 << VALUES) - 1;
        last.known = true;
    }
    while changed != 0 {
        let j = changed.trailing_zeros() as usize;
        changed &= changed - 1;
        let v = values[j];
        last.bits[j] = v.to_bits();
        let text = if v.is_nan() {
            Some((0, 0))
        } else if exact & (1 << j) != 0 {
            fixed6_of_micros(v, micros[j])
        } else {
            fixed6_of_micros(v, round_micros(v.abs()))
        };
        match text {
            Some((text, n)) => {
                let (text, n) = with_comma(text, n);
                last.packed[j] = [text as u64, (text >> 64) as u64];
                last.len[j] = n;
                last.is_long[j] = false;
            }
            None => last.set_long(j, v),
        }
    }
    out.reserve(TS_ROW_ROOM);
    // SAFETY: `out` has TS_ROW_ROOM spare bytes; every write below lies
    // within them (at most LEAD_MAX, 4, VALUES·(1 + NUMBER_MAX) and 1
    // bytes, in that order, each starting where the text so far ends), and
    // the length is raised only over bytes written.
    unsafe {
        let start = out.as_mut_ptr().add(out.len());
        let mut p = start;
        std::ptr::copy_nonoverlapping(lead.bytes.as_ptr(), p, LEAD_MAX);
        p = p.add(lead.len);
        std::ptr::write_unaligned(p.cast::<u32>(), DIGITS3_PACKED[t as usize].to_le());
        p = p.add(INT_LEN[t as usize] as usize);
        for j in 0..VALUES {
            if last.is_long[j] {
                std::ptr::copy_nonoverlapping(last.long[j].as_ptr(), p, 1 + NUMBER_MAX);
            } else {
                std::ptr::write_unaligned(p.cast::<u64>(), last.packed[j][0].to_le());
                std::ptr::write_unaligned(p.add(8).cast::<u64>(), last.packed[j][1].to_le());
            }
            p = p.add(last.len[j]);
        }
        *p = b'\n';
        p = p.add(1);
        out.set_len(out.len() + p.offset_from(start) as usize);
    }
}

/// One row's scan, four columns at a time: which columns differ from
/// `last_bits` (bit `j`), which have their rounding `|v|·10⁶` (as
/// [`round_micros`], ties to even, exactly) in `micros[j]` (those below
/// [`X4_LIMIT`]; see [`csv_values_x4`] for why the rounding is exact), and
/// whether any value is at least [`FAST_LIMIT`] in magnitude (infinities too).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
fn scan_row_x4(
    values: &[f64; VALUES_X4],
    last_bits: &[u64; VALUES_X4],
    micros: &mut [u64; VALUES_X4],
) -> (u64, u64, bool) {
    use std::arch::x86_64::*;
    let abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX));
    let million = _mm256_set1_pd(1e6);
    let two52 = _mm256_set1_pd(4_503_599_627_370_496.0);
    let two52_bits = _mm256_set1_epi64x(0x4330_0000_0000_0000);
    let half = _mm256_set1_pd(0.5);
    let minus_half = _mm256_set1_pd(-0.5);
    let zero = _mm256_setzero_pd();
    let one = _mm256_set1_pd(1.0);
    let limit = _mm256_set1_pd(X4_LIMIT);
    let fast_limit = _mm256_set1_pd(FAST_LIMIT);
    let (mut changed, mut exact, mut big) = (0u64, 0u64, 0i32);
    for g in 0..VALUES_X4 / 4 {
        // SAFETY: 4·g + 4 ≤ VALUES_X4: four whole elements of each array.
        let (vv, bits) = unsafe {
            (
                _mm256_loadu_pd(values.as_ptr().add(4 * g)),
                _mm256_loadu_si256(last_bits.as_ptr().add(4 * g).cast()),
            )
        };
        let same = _mm256_cmpeq_epi64(_mm256_castpd_si256(vv), bits);
        changed |=
            u64::from(!_mm256_movemask_pd(_mm256_castsi256_pd(same)) as u32 & 0xF) << (4 * g);
        let a = _mm256_and_pd(vv, abs_mask);
        big |= _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_GE_OQ>(a, fast_limit));
        exact |=
            u64::from(_mm256_movemask_pd(_mm256_cmp_pd::<_CMP_LT_OQ>(a, limit)) as u32) << (4 * g);
        let p = _mm256_mul_pd(a, million);
        let e = _mm256_fmsub_pd(a, million, p);
        let r = _mm256_sub_pd(_mm256_add_pd(p, two52), two52);
        let d = _mm256_sub_pd(p, r);
        let up = _mm256_and_pd(
            _mm256_cmp_pd::<_CMP_EQ_OQ>(d, half),
            _mm256_cmp_pd::<_CMP_GT_OQ>(e, zero),
        );
        let down = _mm256_and_pd(
            _mm256_cmp_pd::<_CMP_EQ_OQ>(d, minus_half),
            _mm256_cmp_pd::<_CMP_LT_OQ>(e, zero),
        );
        let r = _mm256_sub_pd(
            _mm256_add_pd(r, _mm256_and_pd(up, one)),
            _mm256_and_pd(down, one),
        );
        // r is a whole number below 2⁵²: r + 2⁵² is exact, and its low
        // mantissa bits are r.
        let m = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(r, two52)), two52_bits);
        // SAFETY: as above.
        unsafe { _mm256_storeu_si256(micros.as_mut_ptr().add(4 * g).cast(), m) };
    }
    let lanes = (1u64 << VALUES) - 1;
    (changed & lanes, exact & lanes, big != 0)
}

/// [`put_fixed6`]'s text of `v` packed little-endian into a `u128` (bytes past
/// the length are unspecified), with its length; `None` when `v` rounds to
/// 1000 or more in magnitude (text possibly longer than 16 bytes).
#[inline]
fn fixed6_packed(v: f64) -> Option<(u128, usize)> {
    if v.is_nan() {
        return Some((0, 0));
    }
    fixed6_of_micros(v, round_micros(v.abs()))
}

/// [`fixed6_packed`] of a number `v` (not NaN) given `round_micros(|v|)`.
#[inline(always)]
fn fixed6_of_micros(v: f64, micros: u64) -> Option<(u128, usize)> {
    let int = micros / 1_000_000;
    if int >= 1000 {
        return None;
    }
    // Without a branch on the data (zero, the sign, whether there is a
    // fraction, where its zeros are: irregular from value to value): zero
    // is the integer part 0 with no fraction, "0".
    let frac = (micros - int * 1_000_000) as usize;
    let int = int as usize;
    // Sign and integer part: at most 4 bytes.
    let negative = (v < 0.0) & (micros != 0);
    let digits = u64::from(DIGITS3_PACKED[int]);
    let head = if negative {
        digits << 8 | u64::from(b'-')
    } else {
        digits
    };
    let n = INT_LEN[int] as usize + usize::from(negative);
    let (hi, lo) = (frac / 1000, frac % 1000);
    let (zeros_lo, zeros_hi) = (zeros3(lo), 3 + zeros3(hi));
    let zeros = if lo == 0 { zeros_hi } else { zeros_lo };
    // '.', then six digits; trailing zeros lie past the length.
    let dot =
        u64::from(b'.') | u64::from(DIGITS3_FULL[hi]) << 8 | u64::from(DIGITS3_FULL[lo]) << 32;
    let (dot, fraction_len) = if frac != 0 { (dot, 7 - zeros) } else { (0, 0) };
    // 1 ≤ n ≤ 4: the dot's 7 bytes start in the first word and may end in
    // the second.
    let low = head | dot << (8 * n);
    let high = dot >> (64 - 8 * n);
    Some(((high as u128) << 64 | low as u128, n + fraction_len))
}

/// Every number below 1000 as its 1–3 ASCII digits (no leading zeros), packed
/// little-endian, and its length.
static DIGITS3_PACKED: [u32; 1000] = {
    let mut t = [0u32; 1000];
    let mut i = 0;
    while i < 1000 {
        t[i] = if i < 10 {
            (b'0' + i as u8) as u32
        } else if i < 100 {
            (b'0' + (i / 10) as u8) as u32 | ((b'0' + (i % 10) as u8) as u32) << 8
        } else {
            (b'0' + (i / 100) as u8) as u32
                | ((b'0' + (i / 10 % 10) as u8) as u32) << 8
                | ((b'0' + (i % 10) as u8) as u32) << 16
        };
        i += 1;
    }
    t
};
static INT_LEN: [u8; 1000] = {
    let mut t = [0u8; 1000];
    let mut i = 0;
    while i < 1000 {
        t[i] = if i < 10 {
            1
        } else if i < 100 {
            2
        } else {
            3
        };
        i += 1;
    }
    t
};
/// Every number below 1000 as exactly three ASCII digits, packed little-endian.
static DIGITS3_FULL: [u32; 1000] = {
    let mut t = [0u32; 1000];
    let mut i = 0;
    while i < 1000 {
        t[i] = (b'0' + (i / 100) as u8) as u32
            | ((b'0' + (i / 10 % 10) as u8) as u32) << 8
            | ((b'0' + (i % 10) as u8) as u32) << 16;
        i += 1;
    }
    t
};

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
/// value half to even), computed in integer arithmetic because the standard
/// library falls back to slow big-number code for most values.
pub fn push_number(v: f64, out: &mut Vec<u8>) {
    if v.abs() >= FAST_LIMIT {
        return push_number_std(v, out);
    }
    let mut buf = [0u8; NUMBER_MAX];
    let n = put_fixed6(v, &mut buf);
    out.extend_from_slice(&buf[..n]);
}

/// Below this, `|v|·10⁶` fits in a u64 and the fast path is exact.
const FAST_LIMIT: f64 = 1.0e12;

/// Write `v` (NaN or `|v| < FAST_LIMIT`) as [`push_number`] does at the start
/// of `buf`, returning its length (at most 21 bytes).
#[inline]
fn put_fixed6(v: f64, buf: &mut [u8]) -> usize {
    if v.is_nan() {
        return 0;
    }
    let micros = round_micros(v.abs());
    if micros == 0 {
        buf[0] = b'0';
        return 1;
    }
    let mut len = 0;
    if v < 0.0 {
        buf[0] = b'-';
        len = 1;
    }
    len += put_uint(micros / 1_000_000, &mut buf[len..]);
    let frac = (micros % 1_000_000) as usize;
    if frac != 0 {
        let (hi, lo) = (frac / 1000, frac % 1000);
        let out = &mut buf[len..len + 7];
        out[0] = b'.';
        out[1..4].copy_from_slice(&DIGITS3[hi]);
        out[4..7].copy_from_slice(&DIGITS3[lo]);
        let zeros = if lo == 0 { 3 + zeros3(hi) } else { zeros3(lo) };
        len += 7 - zeros;
    }
    len
}

/// Trailing decimal zeros of `x` in 1..=999.
#[inline]
fn zeros3(x: usize) -> usize {
    ZEROS3[x] as usize
}

/// Trailing decimal zeros (at most 2) of every number below 1000.
static ZEROS3: [u8; 1000] = {
    let mut t = [0u8; 1000];
    let mut i = 0;
    while i < 1000 {
        t[i] = if i % 100 == 0 {
            2
        } else if i % 10 == 0 {
            1
        } else {
            0
        };
        i += 1;
    }
    t
};

/// Three ASCII digits of every number below 1000.
static DIGITS3: [[u8; 3]; 1000] = {
    let mut t = [[0u8; 3]; 1000];
    let mut i = 0;
    while i < 1000 {
        t[i] = [
            b'0' + (i / 100) as u8,
            b'0' + (i / 10 % 10) as u8,
            b'0' + (i % 10) as u8,
        ];
        i += 1;
    }
    t
};

/// Write `v` in decimal at the start of `buf`, returning its length.
#[inline]
fn put_uint(v: u64, buf: &mut [u8]) -> usize {
    // Most keys and integer parts are small: one table look-up.
    if v < 10 {
        buf[0] = b'0' + v as u8;
        return 1;
    }
    if v < 100 {
        buf[..2].copy_from_slice(&DIGITS3[v as usize][1..]);
        return 2;
    }
    if v < 1000 {
        buf[..3].copy_from_slice(&DIGITS3[v as usize]);
        return 3;
    }
    let mut digits = 1;
    let mut x = v;
    while x >= 10 {
        x /= 10;
        digits += 1;
    }
    let mut x = v;
    for d in buf[..digits].iter_mut().rev() {
        *d = b'0' + (x % 10) as u8;
        x /= 10;
    }
    digits
}

/// `a·10⁶` rounded to the nearest integer, ties to even, exactly, for
/// `0 ≤ a < FAST_LIMIT`. With `a = m·2^-k` (m < 2^53, and k ≥ 13 because
/// a < 2^40), `x = m·10⁶ < 2^73`: `x >> (k−1)` fits in a u64 and holds the
/// integer part and the rounding bit, and the bits shifted out below it are
/// all zero exactly when `x` has at least `k−1` trailing zeros, i.e. when
/// `tz(m) + 6 ≥ k−1` (10⁶ = 2⁶·15625).
#[inline]
fn round_micros(a: f64) -> u64 {
    debug_assert!((0.0..FAST_LIMIT).contains(&a));
    let bits = a.to_bits();
    let biased = (bits >> 52) as i32;
    if biased == 0 {
        // Zero and subnormals round to zero.
        return 0;
    }
    let m = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
    let k = (1075 - biased) as u32;
    if k > 74 {
        // m·10⁶ < 2^73 ≤ half of 2^k: rounds to zero.
        return 0;
    }
    let s = ((m as u128 * 1_000_000) >> (k - 1)) as u64;
    let (q, round) = (s >> 1, s & 1);
    let sticky = (m.trailing_zeros() + 6 < k - 1) as u64;
    q + (round & (sticky | (q & 1)))
}

/// The number the CSV cell [`push_number`] writes for `v` reads back as: `v`
/// rounded to six decimals (NaN stays NaN; -0 and what rounds to zero are 0).
/// Parquet tables hold these, so both formats hold the same values.
pub fn csv_value(v: f64) -> f64 {
    if v.is_nan() {
        return v;
    }
    if v.abs() < FAST_LIMIT {
        let micros = round_micros(v.abs());
        // Below 2^53 the quotient is one correctly rounded division, the same
        // double as parsing the decimal text.
        if micros < (1 << 53) {
            let x = micros as f64 / 1e6;
            return if v < 0.0 && micros != 0 { -x } else { x };
        }
    }
    let mut text = Vec::new();
    push_number(v, &mut text);
    std::str::from_utf8(&text)
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(v)
}

/// Four [`csv_value`]s at once, bit for bit, on CPUs with AVX2 and FMA.
///
/// For `a = |v|` below [`X4_LIMIT`], `p = a·10⁶` rounded and its exact error
/// `e = a·10⁶ − p` (one fused multiply-add) give `a·10⁶` rounded to the
/// nearest integer, ties to even, exactly: `r = (p + 2⁵²) − 2⁵²` rounds `p`
/// so (as `p < 2⁵²`), `d = p − r` is exact, and the exact product differs
/// from `p` by less than half an ulp of `p`, so it can only round otherwise
/// than `p` where `p` is itself halfway (`d = ±½`): then `e`'s sign decides.
/// `r < 2⁵³` is then divided by 10⁶ (correctly rounded, as parsing the six
/// decimals), and takes `v`'s sign unless it is zero. NaN lanes stay `v`;
/// lanes at or above the limit take the scalar [`csv_value`].
///
/// # Safety
/// The CPU must have AVX2 and FMA (`is_x86_feature_detected!`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
pub fn csv_values_x4(v: [f64; 4]) -> [f64; 4] {
    use std::arch::x86_64::*;
    // SAFETY: an array of four doubles is read and written whole.
    let vv = unsafe { _mm256_loadu_pd(v.as_ptr()) };
    let a = _mm256_and_pd(vv, _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MAX)));
    let million = _mm256_set1_pd(1e6);
    let p = _mm256_mul_pd(a, million);
    let e = _mm256_fmsub_pd(a, million, p);
    let two52 = _mm256_set1_pd(4_503_599_627_370_496.0);
    let r = _mm256_sub_pd(_mm256_add_pd(p, two52), two52);
    let d = _mm256_sub_pd(p, r);
    let zero = _mm256_setzero_pd();
    let one = _mm256_set1_pd(1.0);
    let up = _mm256_and_pd(
        _mm256_cmp_pd::<_CMP_EQ_OQ>(d, _mm256_set1_pd(0.5)),
        _mm256_cmp_pd::<_CMP_GT_OQ>(e, zero),
    );
    let down = _mm256_and_pd(
        _mm256_cmp_pd::<_CMP_EQ_OQ>(d, _mm256_set1_pd(-0.5)),
        _mm256_cmp_pd::<_CMP_LT_OQ>(e, zero),
    );
    let r = _mm256_sub_pd(
        _mm256_add_pd(r, _mm256_and_pd(up, one)),
        _mm256_and_pd(down, one),
    );
    let x = _mm256_div_pd(r, million);
    let negative = _mm256_and_pd(
        _mm256_cmp_pd::<_CMP_LT_OQ>(vv, zero),
        _mm256_cmp_pd::<_CMP_NEQ_OQ>(r, zero),
    );
    let x = _mm256_or_pd(
        x,
        _mm256_and_pd(negative, _mm256_castsi256_pd(_mm256_set1_epi64x(i64::MIN))),
    );
    let nan = _mm256_cmp_pd::<_CMP_UNORD_Q>(vv, vv);
    let x = _mm256_blendv_pd(x, vv, nan);
    // Not below the limit and not NaN.
    let slow = _mm256_andnot_pd(
        nan,
        _mm256_cmp_pd::<_CMP_NLT_UQ>(a, _mm256_set1_pd(X4_LIMIT)),
    );
    let mut out = [0.0; 4];
    // SAFETY: as above.
    unsafe { _mm256_storeu_pd(out.as_mut_ptr(), x) };
    let slow = _mm256_movemask_pd(slow);
    if slow != 0 {
        for (k, o) in out.iter_mut().enumerate() {
            if slow & (1 << k) != 0 {
                *o = csv_value(v[k]);
            }
        }
    }
    out
}

/// Below this, `|v|·10⁶ < 2⁵²` and [`csv_values_x4`]'s vector path is exact.
pub const X4_LIMIT: f64 = 4_294_967_296.0;

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
    fn scenario_names_are_quoted_when_needed() {
        assert_eq!(RowPrefix::new("baseline").0, b"baseline,");
        assert_eq!(RowPrefix::new("a, \"b\"").0, b"\"a, \"\"b\"\"\",");
    }

    #[test]
    fn wide_rows_become_long_rows() {
        let header = csv::StringRecord::from(vec!["point", "x", "e_mean", "e_sd"]);
        let (long, head) = Long::new(&header, 2, "statistic", |c| {
            let (o, s) = c.split_once('_').unwrap();
            (o.to_string(), s.to_string())
        });
        assert_eq!(head, b"point,x,outcome,statistic,value\n");
        let (rows, n) = long.rows(&csv::StringRecord::from(vec!["0", "0.5", "0.7", ""]));
        assert_eq!(n, 2);
        assert_eq!(
            String::from_utf8(rows).unwrap(),
            "0,0.5,e,mean,0.7\n0,0.5,e,sd,\n"
        );
    }

    /// Values that test a rounding to six decimals, appended to `values`,
    /// each with its negation and its three nearest doubles on either side:
    /// the `edges`; exact halfway cases `j/2^m` (whose product by 10⁶ often
    /// ends in .5); and `randoms` rounds of random numbers of every size and
    /// sign, random bit patterns, and a point halfway between two six-decimal
    /// numbers below `halfway_below / 10⁶`.
    fn rounding_cases(edges: &[f64], randoms: usize, halfway_below: u64, values: &mut Vec<f64>) {
        let near = |v: f64, values: &mut Vec<f64>| {
            let (mut up, mut down) = (v, v);
            values.extend([v, -v]);
            for _ in 0..3 {
                up = up.next_up();
                down = down.next_down();
                values.extend([up, down, -up, -down]);
            }
        };
        for &v in edges {
            near(v, values);
        }
        for m in 0..=24 {
            for j in 0..4_000u32 {
                near(f64::from(j) / f64::from(1u32 << m), values);
            }
        }
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..randoms {
            x = crate::model::rng::splitmix64(x);
            let u = (x >> 11) as f64 / (1u64 << 53) as f64;
            let scale = 10f64.powi((x % 19) as i32 - 8);
            values.extend([u, -u, u * scale, -u * scale, f64::from_bits(x)]);
            near(((x >> 20) % halfway_below) as f64 / 1e6 + 0.5e-6, values);
        }
    }

    /// The vector rounding gives [`csv_value`]'s bits: on random numbers of
    /// every size and sign, random bit patterns (NaNs with payloads,
    /// subnormals, infinities), exact halfway cases (`j/2^m`, whose product
    /// by 10⁶ often ends in .5) and their neighbours, numbers near six-decimal
    /// halfway points and around the vector path's limit.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn four_at_a_time_rounding_is_csv_value() {
        if !(std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma"))
        {
            return;
        }
        let mut values = vec![
            0.0,
            -0.0,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7FF0_0000_0000_0001),
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            5e-7,
            -5e-7,
            4.999_999_999_999_999e-7,
            FAST_LIMIT,
            1e300,
        ];
        rounding_cases(
            &[X4_LIMIT, X4_LIMIT / 2.0, 0.5e-6, 1.5e-6, 0.0078125, 1.0],
            100_000,
            10_000_000,
            &mut values,
        );
        let mut checked = 0;
        for four in values.chunks_exact(4) {
            let four: [f64; 4] = four.try_into().unwrap();
            // SAFETY: the CPU has AVX2 and FMA (checked above).
            let got = unsafe { csv_values_x4(four) };
            for (g, v) in got.iter().zip(four) {
                assert_eq!(
                    g.to_bits(),
                    csv_value(v).to_bits(),
                    "{v:e} ({:#x})",
                    v.to_bits()
                );
                checked += 1;
            }
        }
        assert!(checked > 2_000_000, "{checked}");
    }

    /// Values for the row tests: small and large, negative, exact ties at
    /// the seventh decimal and their neighbours, NaN, zeros, values around
    /// 1000 (longer texts), around the vector limit and the fast limit, and
    /// infinities.
    fn row_value(x: u64) -> f64 {
        let u = (x >> 11) as f64 / (1u64 << 53) as f64;
        let tie = ((x >> 24) % 200_000) as f64 / 1e6 + 0.5e-6;
        let nudge = |v: f64| match (x >> 4) % 3 {
            0 => v,
            1 => v.next_up(),
            _ => v.next_down(),
        };
        let sign = if x & 1 == 0 { 1.0 } else { -1.0 };
        sign * match (x >> 8) % 16 {
            0 => f64::NAN,
            1 => 0.0,
            2 => nudge(999.9999995),
            3 => u * 2e6,
            4 => nudge(X4_LIMIT),
            5 => u * 2e11,
            6 => nudge(((x >> 30) % 4096) as f64 / 128.0),
            7 => nudge(tie),
            8 => u * 1e-6,
            _ => u * 200.0,
        }
    }

    /// Timeseries rows written straight into the table (changed columns
    /// found first, four at a time with AVX2 and FMA, or one at a time) are
    /// the bytes of the scenario cell, [`push_row`] of the keys and values
    /// and a line end, made from scratch for every row: over runs of rows
    /// where each column keeps or changes its value, with NaNs, ties, long
    /// texts, huge values (rows the general way) and months past 999, and
    /// for a scenario name too long for the whole-lead copy.
    #[test]
    fn timeseries_rows_are_push_row() {
        let x4 = cfg!(target_arch = "x86_64")
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma");
        let mut x = 0x1234_5678_9ABC_DEF0u64;
        let mut rows = 0;
        for (run, name) in ["b40", "a, \"quoted\" name", &"long".repeat(20)]
            .iter()
            .cycle()
            .take(240)
            .enumerate()
        {
            let prefix = RowPrefix::new(name);
            let keys = [run as u64 * 977, (run % 7) as u64, 40 + run as u64 % 3];
            let lead = RowLead::new(&prefix, keys);
            let mut fast = LastText::default();
            let mut fast_x4 = LastText::default();
            let (mut got, mut got_x4, mut want) = (Vec::new(), Vec::new(), Vec::new());
            let mut values = [0.0; VALUES];
            let months = if run % 40 == 0 { 1010 } else { 120 };
            // How often this run's columns change, and whether huge values occur.
            x = crate::model::rng::splitmix64(x);
            let change = 1 + x % 8;
            let huge = x % 5 == 0;
            for t in 0..months {
                for v in values.iter_mut() {
                    x = crate::model::rng::splitmix64(x);
                    if t == 0 || x % 8 < change {
                        *v = row_value(x >> 3);
                        if !huge && v.abs() >= 1e11 {
                            *v = 0.5;
                        }
                        if huge && x % 97 == 0 {
                            *v = [f64::INFINITY, -2e12, 1e15][(x as usize >> 12) % 3];
                        }
                    }
                }
                push_timeseries_row::<false>(&lead, t, &values, &mut fast, &mut got);
                #[cfg(target_arch = "x86_64")]
                if x4 {
                    // SAFETY: the CPU has AVX2 and FMA (checked above); the
                    // vector scan is an `avx2,fma` function.
                    unsafe { push_row_x4_for_test(&lead, t, &values, &mut fast_x4, &mut got_x4) };
                }
                want.extend_from_slice(&prefix.0);
                let texts: Vec<String> = keys
                    .iter()
                    .chain(&[t])
                    .map(|k| k.to_string())
                    .chain(values.iter().map(|&v| {
                        let mut b = Vec::new();
                        push_number(v, &mut b);
                        String::from_utf8(b).unwrap()
                    }))
                    .collect();
                want.extend_from_slice(texts.join(",").as_bytes());
                want.push(b'\n');
                rows += 1;
            }
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want),
                "run {run}"
            );
            if x4 {
                assert_eq!(
                    String::from_utf8_lossy(&got_x4),
                    String::from_utf8_lossy(&want),
                    "run {run}, four at a time"
                );
            }
        }
        assert!(rows > 30_000);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn push_row_x4_for_test(
        lead: &RowLead,
        t: u64,
        values: &[f64; VALUES],
        last: &mut LastText,
        out: &mut Vec<u8>,
    ) {
        push_timeseries_row::<true>(lead, t, values, last, out);
    }

    /// The vector scan's roundings are [`round_micros`]'s, bit for bit, on
    /// every lane it claims (all finite values below the vector limit), on
    /// millions of values: exact ties `j/2^m` (whose products by 10⁶ often
    /// end in .5) and their neighbours, six-decimal halfway points, random
    /// numbers of every size and random bit patterns; and it finds exactly
    /// the changed columns and the huge values.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn row_scan_rounds_as_round_micros() {
        if !(std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma"))
        {
            return;
        }
        let mut values = vec![
            0.0,
            -0.0,
            5e-324,
            f64::MIN_POSITIVE,
            5e-7,
            4.999_999_999_999_999e-7,
        ];
        rounding_cases(
            &[X4_LIMIT, X4_LIMIT / 2.0, 999.9999995, 1000.0, FAST_LIMIT],
            150_000,
            1_000_000_000,
            &mut values,
        );
        values.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300]);
        let mut checked = 0u64;
        let mut last_bits = [0u64; VALUES_X4];
        for (k, row) in values.chunks(VALUES).enumerate() {
            let mut padded = [0.0; VALUES_X4];
            padded[..row.len()].copy_from_slice(row);
            // Some columns keep their last bits.
            for (j, b) in last_bits.iter_mut().enumerate().take(VALUES) {
                if (j + k) % 3 != 0 {
                    *b = padded[j].to_bits();
                }
            }
            let mut micros = [0u64; VALUES_X4];
            // SAFETY: the CPU has AVX2 and FMA (checked above).
            let (changed, exact, big) = unsafe { scan_row_x4(&padded, &last_bits, &mut micros) };
            for j in 0..VALUES {
                let v = padded[j];
                let a = v.abs();
                assert_eq!(changed >> j & 1 == 1, last_bits[j] != v.to_bits(), "{v:e}");
                assert_eq!(exact >> j & 1 == 1, a < X4_LIMIT, "{v:e}");
                if a < X4_LIMIT {
                    assert_eq!(micros[j], round_micros(a), "{v:e} ({:#x})", v.to_bits());
                    checked += 1;
                }
            }
            assert_eq!(big, padded.iter().any(|v| v.abs() >= FAST_LIMIT));
            last_bits = padded.map(f64::to_bits);
        }
        assert!(checked > 2_000_000, "{checked}");
    }

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
        // The packed text of a row's cell, where it applies, is the same text.
        if v.abs() < FAST_LIMIT || v.is_nan() {
            match fixed6_packed(v) {
                Some((text, n)) => assert_eq!(
                    String::from_utf8_lossy(&text.to_le_bytes()[..n]),
                    String::from_utf8_lossy(&reference),
                    "packed {v:e} ({:#x})",
                    v.to_bits()
                ),
                None => assert!(v.abs() >= 999.9999995, "{v:e} should be packed"),
            }
        }
    }

    #[test]
    fn rows_match_field_by_field_formatting() {
        let specials = [
            f64::NAN,
            0.0,
            -0.0,
            1e15,
            -1e12,
            f64::INFINITY,
            0.0078125,
            25.0,
        ];
        let mut x = 1u64;
        // One memory of last texts across all rows, as within a run.
        let mut last = LastText::default();
        for case in 0..2000 {
            let mut values = [0.0; VALUES];
            for v in values.iter_mut() {
                x = crate::model::rng::splitmix64(x);
                *v = if case % 10 == 0 && x % 7 == 0 {
                    specials[(x >> 8) as usize % specials.len()]
                } else {
                    // Mostly small numbers (packed texts), some up to 1e11
                    // (texts longer than 16 bytes).
                    let scale = [200.0, 2000.0, 2e6, 2e11][(x as usize >> 3) % 4];
                    (x >> 11) as f64 / (1u64 << 53) as f64 * scale - scale / 2.0
                };
            }
            let keys = [case, u64::MAX, 0, 120];
            let mut fast = Vec::new();
            // Twice: the second time every column repeats its last text.
            push_row(&keys, &values, &mut last, &mut fast);
            fast.push(b'\n');
            push_row(&keys, &values, &mut last, &mut fast);
            let mut want = keys.map(|k| k.to_string()).join(",").into_bytes();
            for v in values {
                want.push(b',');
                if !v.is_nan() {
                    push_number_std(v, &mut want);
                }
            }
            want = [&want[..], b"\n", &want[..]].concat();
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(want).unwrap()
            );
        }
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
        // Short decimals (trailing zeros trimmed), integers, and the edge of
        // the packed texts (rounding to 1000).
        for k in -3000i64..=3000 {
            for w in [
                k as f64 / 1000.0,
                k as f64 / 10.0,
                k as f64,
                k as f64 * 0.37,
            ] {
                check(w);
            }
        }
        for v in [999.9999995f64, 999.999999, 1000.0, 999.9999994999] {
            for w in [v, up(v), down(v), -v, -up(v), -down(v)] {
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

#[cfg(test)]
mod builds {
    use super::*;
    use crate::engine::Plan;

    /// `format_run` chooses a build at run time (AVX2 and BMI2, or the
    /// baseline): both write the same bytes, for CCGs of five sizes, a
    /// quoted scenario name and a 150-month horizon.
    #[test]
    fn both_builds_of_format_run_agree() {
        let text = "[scenario]\nname = \"b, \\\"q\\\"\"\nmonths = 150\nreplicates = 3\nseed = 4\n\
                    [population]\nccgs = 5\nmedian_population = 90000\nmin_population = 20000\n\
                    max_population = 600000\npatients_per_practice = 6800\n";
        let scn = crate::scenario::parse(text, std::path::Path::new("t.toml")).unwrap();
        let plan = Plan::new(scn);
        let prefix = RowPrefix::new(&plan.scenario.name);
        for i in 0..plan.runs() {
            let rec = plan.record(i);
            for ts in [true, false] {
                let chosen = format_run(&rec, ts, &prefix);
                let plain = format_run_plain::<false>(&rec, ts, &prefix);
                assert_eq!(chosen.timeseries, plain.timeseries, "run {i}");
                assert_eq!(chosen.summary, plain.summary, "run {i}");
                assert_eq!(chosen.timeseries_rows, plain.timeseries_rows);
            }
        }
    }
}
