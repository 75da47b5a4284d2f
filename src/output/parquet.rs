//! Parquet tables (`--format parquet`). ccgsim writes the file itself: data
//! pages (version 1) compressed with Snappy (a column chunk Snappy would not
//! shrink is stored uncompressed), definition levels only for nullable
//! columns, chunk statistics (null count, min and max) and the Thrift footer,
//! all in a few hundred lines below. Values are plain encoded, except in a
//! chunk that holds one value in every row (a run's keys, a scenario's
//! parameters) or few distinct values that change often (shares of a few
//! practices, counts), which is dictionary encoded: a dictionary page of its
//! values (at most 256), then pages of their indices, bit-packed. Snappy is
//! slowest on exactly those columns (short repeats), and the indices are a
//! small fraction of their bytes. The `parquet` crate's column
//! writer did the same but cost the single writer thread more than the CSV
//! writer (value-by-value buffers, page statistics, level encoding one value at
//! a time); the crate still reads the files (the commands that read results,
//! and the tests, which also check that pyarrow reads them).
//!
//! A table is a schema (column name and exact type) and rows, pushed one value
//! at a time in column order ([`TableWriter::push_int`] and friends) or many
//! rows at once, column by column ([`TableWriter::push_rows`]). Values collect
//! in typed column buffers and a row group is written every [`ROW_GROUP_ROWS`]
//! rows, so memory stays bounded however long the table. The bytes depend only
//! on the rows: `created_by` is fixed and no time is recorded, so the same rows
//! give the same file on any thread count.
//!
//! Missing values: a CSV cell left empty (NaN, undefined) is a null in a
//! nullable column, which pandas reads as NaN, as it reads the empty cell.
//!
//! The reader turns rows back into CSV-like text records (numbers formatted
//! exactly as the CSV writer formats them), so every command that reads a CSV
//! table reads the Parquet one through the same code.

use super::HashedFile;
use super::result_dir::FileInfo;
use crate::error::{Error, Result};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use parquet::record::reader::RowIter;
use std::path::{Path, PathBuf};

/// Rows per row group: about 9 MB of buffered values for a timeseries table
/// (35 columns × 8 bytes × 32,768 rows). Fresh memory costs the writer a page
/// fault per 4 KiB, so the buffers are kept small; Snappy compresses 64 KiB
/// blocks, so larger groups would not compress better.
pub const ROW_GROUP_ROWS: usize = 1 << 15;

/// Bytes of plain-encoded values per data page at most (one value more for
/// text): 1 MiB, the `parquet` crate's default page size.
const PAGE_BYTES: usize = 1 << 20;

/// Text statistics longer than this are left out (only the null count is
/// written), so a long scenario name does not bloat the footer.
const TEXT_STATS_MAX: usize = 64;

/// The `created_by` written into every file (fixed: no build or time in it).
pub const CREATED_BY: &str = concat!("ccgsim ", env!("CARGO_PKG_VERSION"));

fn pq_error(e: parquet::errors::ParquetError) -> Error {
    Error::Refused(format!("parquet: {e}"))
}

/// A column's exact type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text (Parquet BYTE_ARRAY, logical type STRING).
    Utf8,
    /// A whole number (Parquet INT64).
    Int64,
    /// A double (Parquet DOUBLE); NaN is written as null in a nullable column.
    Float64,
}

impl ColumnType {
    /// Parquet's physical type number (parquet.thrift `Type`).
    fn physical(self) -> i32 {
        match self {
            ColumnType::Utf8 => 6,
            ColumnType::Int64 => 2,
            ColumnType::Float64 => 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    /// May hold nulls (empty CSV cells).
    pub nullable: bool,
}

impl Column {
    pub fn new(name: &str, ty: ColumnType, nullable: bool) -> Column {
        Column {
            name: name.to_string(),
            ty,
            nullable,
        }
    }
}

/// The Thrift compact protocol, as much of it as a Parquet footer and page
/// header need (parquet.thrift; the protocol's field headers, zigzag varints,
/// lists and nested structs).
struct Thrift {
    buf: Vec<u8>,
    /// The last field id written in the struct being written, and those of
    /// the structs around it.
    last: i16,
    outer: Vec<i16>,
}

const T_I16: u8 = 4;
const T_I32: u8 = 5;
const T_I64: u8 = 6;
const T_BINARY: u8 = 8;
const T_LIST: u8 = 9;
const T_STRUCT: u8 = 12;

impl Thrift {
    fn new() -> Thrift {
        Thrift {
            buf: Vec::new(),
            last: 0,
            outer: Vec::new(),
        }
    }

    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    fn zigzag(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn field(&mut self, id: i16, ty: u8) {
        let delta = id - self.last;
        if (1..=15).contains(&delta) {
            self.buf.push(((delta as u8) << 4) | ty);
        } else {
            self.buf.push(ty);
            self.zigzag(i64::from(id));
        }
        self.last = id;
    }

    fn i16(&mut self, id: i16, v: i16) {
        self.field(id, T_I16);
        self.zigzag(i64::from(v));
    }

    fn i32(&mut self, id: i16, v: i32) {
        self.field(id, T_I32);
        self.zigzag(i64::from(v));
    }

    fn i64(&mut self, id: i16, v: i64) {
        self.field(id, T_I64);
        self.zigzag(v);
    }

    fn binary(&mut self, id: i16, v: &[u8]) {
        self.field(id, T_BINARY);
        self.bytes(v);
    }

    /// A binary value without a field header (a list element).
    fn bytes(&mut self, v: &[u8]) {
        self.varint(v.len() as u64);
        self.buf.extend_from_slice(v);
    }

    /// A list's header; its `n` elements follow.
    fn list(&mut self, id: i16, elem: u8, n: usize) {
        self.field(id, T_LIST);
        if n < 15 {
            self.buf.push(((n as u8) << 4) | elem);
        } else {
            self.buf.push(0xF0 | elem);
            self.varint(n as u64);
        }
    }

    /// A struct field; its fields follow, then [`end`](Self::end).
    fn begin(&mut self, id: i16) {
        self.field(id, T_STRUCT);
        self.enter();
    }

    /// A struct without a field header (a list element); then [`end`](Self::end).
    fn enter(&mut self) {
        self.outer.push(self.last);
        self.last = 0;
    }

    fn end(&mut self) {
        self.buf.push(0);
        self.last = self.outer.pop().unwrap_or(0);
    }
}

/// Parquet's numbers for what the writer writes (parquet.thrift).
const PLAIN: i32 = 0;
const RLE: i32 = 3;
const UNCOMPRESSED: i32 = 0;
const SNAPPY: i32 = 1;

/// A column chunk is Snappy-compressed unless the first [`SAMPLE_BYTES`] of
/// its values shrink by less than 1/32 (doubles whose low-order bits are
/// effectively random grow slightly under Snappy): then it is written
/// uncompressed, which is smaller and saves compressing it.
const SAMPLE_BYTES: usize = 8 << 10;
const DATA_PAGE: i32 = 0;
const DICTIONARY_PAGE: i32 = 2;
const RLE_DICTIONARY: i32 = 8;

/// Bytes kept free before a nullable column's values for the definition
/// levels of its page, so that a chunk of one page (the usual case) is
/// compressed where it lies, without copying its values. Levels that do not
/// fit (many short runs of nulls) are copied with the values instead. One
/// memory page: no nulls take 8 bytes, and the levels of the 40-practice and
/// England runs' plain chunks at most 1.8 KB (a larger room only cost page
/// faults zeroing it).
const LEVELS_ROOM: usize = 4 << 10;

/// One column's values in the row group being filled: the present values,
/// plain encoded (little-endian numbers; text as a 4-byte length and the
/// bytes) after `head` bytes kept for the levels, the rows that are null,
/// and the chunk's statistics so far.
///
/// Values are held in one of three ways ([`Held`]), from the cheapest: while
/// every row of the chunk holds one and the same value (a run's keys, a
/// scenario's parameters, counts that do not move), that value once; while a
/// chunk of numbers has at most [`DICTIONARY_MAX`] distinct values, their
/// dictionary and an index (a byte) per value; else the values themselves.
struct ColumnBuf {
    ty: ColumnType,
    nullable: bool,
    /// Empty (no room taken) until the chunk first holds values themselves:
    /// then `head` bytes for the levels and room for a row group's numbers,
    /// kept for the next groups (see [`ColumnBuf::become_plain`]).
    data: Vec<u8>,
    head: usize,
    /// Bytes of values reserved after `head` when `data` is first used.
    room: usize,
    held: Held,
    /// The one value (plain encoded) of every row so far, when [`Held::One`].
    same: Vec<u8>,
    /// The values so far, when [`Held::Coded`].
    dict: Dictionary,
    /// Rows (in this group) that are null, ascending.
    nulls: Vec<u32>,
    rows: usize,
    stats: Stats,
}

/// Minimum and maximum of a chunk's present values.
#[derive(Clone)]
struct Stats {
    present: bool,
    imin: i64,
    imax: i64,
    fmin: f64,
    fmax: f64,
    tmin: Vec<u8>,
    tmax: Vec<u8>,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            present: false,
            imin: i64::MAX,
            imax: i64::MIN,
            fmin: f64::INFINITY,
            fmax: f64::NEG_INFINITY,
            tmin: Vec::new(),
            tmax: Vec::new(),
        }
    }
}

/// Minimum, maximum and NaN count of `s`, as [`Cells::Column`]
/// carries them (NaN takes no part in the minimum and maximum; ±∞ when every
/// value is NaN).
pub fn float_scan(s: &[f64]) -> FloatScan {
    let mut f = FloatScan::new();
    for &v in s {
        f.add(v);
    }
    f
}

/// Minimum, maximum and NaN count of some doubles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloatScan {
    pub min: f64,
    pub max: f64,
    pub nans: usize,
}

impl FloatScan {
    pub fn new() -> FloatScan {
        FloatScan {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            nans: 0,
        }
    }

    /// Take `v` into the minimum and maximum (it is not NaN).
    #[inline]
    pub fn bound(&mut self, v: f64) {
        self.min = if v < self.min { v } else { self.min };
        self.max = if v > self.max { v } else { self.max };
    }

    #[inline]
    pub fn add(&mut self, v: f64) {
        self.bound(v);
        self.nans += v.is_nan() as usize;
    }
}

impl Default for FloatScan {
    fn default() -> Self {
        Self::new()
    }
}

impl ColumnBuf {
    /// Nothing is allocated for the values yet: most columns hold one value
    /// or a dictionary in every chunk and never need the room.
    fn new(c: &Column, group_rows: usize) -> ColumnBuf {
        let head = if c.nullable { LEVELS_ROOM } else { 0 };
        let room = if c.ty == ColumnType::Utf8 {
            0
        } else {
            8 * group_rows
        };
        ColumnBuf {
            ty: c.ty,
            nullable: c.nullable,
            data: Vec::new(),
            head,
            room,
            held: Held::One,
            same: Vec::new(),
            dict: Dictionary::new(),
            nulls: Vec::new(),
            rows: 0,
            stats: Stats::new(),
        }
    }

    /// `n` rows of the one text value `parts` (concatenated: its plain
    /// encoding), kept once if every row of the chunk holds it; false
    /// (nothing taken, the chunk now plain) if not.
    fn repeat(&mut self, parts: &[&[u8]], n: usize) -> bool {
        if self.held != Held::One {
            return false;
        }
        if self.rows == 0 {
            self.same.clear();
            for p in parts {
                self.same.extend_from_slice(p);
            }
        } else if !same_parts(&self.same, parts) {
            self.become_plain();
            return false;
        }
        self.rows += n;
        true
    }

    /// One value → a dictionary of it (numbers; text goes plain).
    fn become_coded(&mut self) {
        debug_assert!(self.held == Held::One);
        if self.ty == ColumnType::Utf8 {
            return self.become_plain();
        }
        self.dict.reset();
        self.held = Held::Coded;
        if self.rows > 0 {
            // While one value is held no row is null: one value per row.
            let bits = u64::from_le_bytes(self.same[..8].try_into().unwrap());
            let i = self.dict.index(bits).expect("an empty dictionary has room");
            self.dict.indices.resize(self.rows, i);
        }
    }

    /// The chunk holds its values themselves from here on. The first time,
    /// `data` takes its room: the levels' head (zeroed, the only bytes
    /// written before the values) and, reserved, a row group of numbers (no
    /// copies as it fills; memory is only touched as values arrive).
    fn become_plain(&mut self) {
        if self.data.capacity() == 0 {
            self.data.reserve_exact(self.head + self.room);
        }
        if self.data.len() < self.head {
            self.data.resize(self.head, 0);
        }
        match self.held {
            Held::One => {
                self.data.reserve(self.rows * self.same.len());
                for _ in 0..self.rows {
                    self.data.extend_from_slice(&self.same);
                }
            }
            Held::Coded => {
                let d = &self.dict;
                self.data.reserve(8 * d.indices.len());
                for &i in &d.indices {
                    let i = usize::from(i);
                    self.data.extend_from_slice(&d.values[8 * i..8 * i + 8]);
                }
            }
            Held::Plain => {}
        }
        self.held = Held::Plain;
    }

    /// `n` present rows holding the number `bits`.
    fn same_number(&mut self, bits: u64, n: usize) {
        loop {
            match self.held {
                Held::One if self.rows == 0 => {
                    self.same.clear();
                    self.same.extend_from_slice(&bits.to_le_bytes());
                    break;
                }
                Held::One if self.same[..] == bits.to_le_bytes() => break,
                Held::One => self.become_coded(),
                Held::Coded => match self.dict.index(bits) {
                    Some(i) => {
                        let at = self.dict.indices.len();
                        self.dict.indices.resize(at + n, i);
                        break;
                    }
                    None => self.become_plain(),
                },
                Held::Plain => {
                    let at = self.data.len();
                    self.data.resize(at + 8 * n, 0);
                    for d in self.data[at..].chunks_exact_mut(8) {
                        d.copy_from_slice(&bits.to_le_bytes());
                    }
                    break;
                }
            }
        }
        self.rows += n;
    }

    /// Present rows holding the numbers `v` (plain encoded, 8 bytes each).
    fn numbers(&mut self, v: &[u8]) {
        let n = v.len() / 8;
        let Some(first) = v.get(..8) else {
            return;
        };
        if v.chunks_exact(8).all(|d| d == first) {
            return self.same_number(u64::from_le_bytes(first.try_into().unwrap()), n);
        }
        if self.held == Held::One {
            self.become_coded();
        }
        if self.held == Held::Coded {
            // The indices are written in place into a block on the stack,
            // appended a block at a time (not a zeroed stretch of the chunk's
            // indices, overwritten). A value not in its first slot that
            // repeats the last one looked up takes its index unlooked-up.
            const BLOCK: usize = 128;
            let mut block = [0u8; BLOCK];
            let mut last: Option<(u64, u8)> = None;
            for (b, values) in v.chunks(8 * BLOCK).enumerate() {
                for (k, (d, out)) in values.chunks_exact(8).zip(&mut block).enumerate() {
                    let bits = u64::from_le_bytes(d.try_into().unwrap());
                    // Found at its first slot: the usual case once the
                    // chunk's values are in, taken without a branch on
                    // whether the value changed (which follows no pattern).
                    if let Some(i) = self.dict.at_home(bits) {
                        *out = i;
                        continue;
                    }
                    let i = match last {
                        Some((b, i)) if b == bits => i,
                        _ => match self.dict.index(bits) {
                            Some(i) => {
                                last = Some((bits, i));
                                i
                            }
                            None => {
                                self.dict.indices.extend_from_slice(&block[..k]);
                                self.become_plain();
                                self.data.extend_from_slice(&v[8 * (b * BLOCK + k)..]);
                                self.rows += n;
                                return;
                            }
                        },
                    };
                    *out = i;
                }
                self.dict
                    .indices
                    .extend_from_slice(&block[..values.len() / 8]);
            }
        } else {
            self.data.extend_from_slice(v);
        }
        self.rows += n;
    }

    fn null(&mut self, name: &str) {
        assert!(self.nullable, "null in required column {name}");
        if self.held == Held::One {
            self.become_coded();
        }
        self.nulls.push(self.rows as u32);
        self.rows += 1;
    }

    /// `v` in the next `n` rows.
    fn text(&mut self, v: &[u8], n: usize, name: &str) {
        assert!(self.ty == ColumnType::Utf8, "column {name} is not text");
        let len = u32::try_from(v.len()).expect("a text value under 4 GiB");
        if n == 0 {
            return;
        }
        if !self.repeat(&[&len.to_le_bytes(), v], n) {
            self.data.reserve(n * (4 + v.len()));
            for _ in 0..n {
                self.data.extend_from_slice(&len.to_le_bytes());
                self.data.extend_from_slice(v);
            }
            self.rows += n;
        }
        {
            let s = &mut self.stats;
            if !s.present {
                s.present = true;
                s.tmin = v.to_vec();
                s.tmax = v.to_vec();
            } else if v < &s.tmin[..] {
                s.tmin = v.to_vec();
            } else if v > &s.tmax[..] {
                s.tmax = v.to_vec();
            }
        }
    }

    /// `v` in the next `n` rows.
    fn int_repeat(&mut self, v: i64, n: usize, name: &str) {
        assert!(
            self.ty == ColumnType::Int64,
            "column {name} is not whole numbers"
        );
        if n == 0 {
            return;
        }
        self.same_number(v as u64, n);
        let s = &mut self.stats;
        s.present = true;
        s.imin = s.imin.min(v);
        s.imax = s.imax.max(v);
    }

    fn ints(&mut self, v: &[i64], name: &str) {
        assert!(
            self.ty == ColumnType::Int64,
            "column {name} is not whole numbers"
        );
        if v.is_empty() {
            return;
        }
        self.number_bits(v.iter().map(|&x| x as u64), name);
        let s = &mut self.stats;
        s.present = true;
        s.imin = v.iter().fold(s.imin, |a, &b| a.min(b));
        s.imax = v.iter().fold(s.imax, |a, &b| a.max(b));
    }

    /// The next `v.len()` rows; NaN is null.
    fn floats(&mut self, v: &[f64], name: &str) {
        self.scanned_floats(v, float_scan(v), name)
    }

    /// Column `c` of the rows of `stride` doubles `rows`, whose scan is known.
    fn column_floats(
        &mut self,
        rows: &[f64],
        stride: usize,
        c: usize,
        scan: FloatScan,
        name: &str,
    ) {
        assert!(
            self.ty == ColumnType::Float64,
            "column {name} is not doubles"
        );
        self.number_bits(rows.chunks_exact(stride).map(|r| r[c].to_bits()), name);
        self.bound(rows.len() / stride, scan);
    }

    /// The next rows, numbers given as their bits (a double's NaN: null),
    /// plain encoded a few dozen at a time on the stack.
    fn number_bits(&mut self, bits: impl Iterator<Item = u64>, name: &str) {
        let mut buf = [0u8; 8 * 64];
        let mut len = 0;
        let mut bits = bits.peekable();
        while bits.peek().is_some() {
            for (d, b) in buf.chunks_exact_mut(8).zip(bits.by_ref()) {
                d.copy_from_slice(&b.to_le_bytes());
                len += 8;
            }
            self.plain_numbers(&buf[..len], name);
            len = 0;
        }
    }

    /// The next rows, numbers given plain encoded (8 little-endian bytes
    /// each; a double's NaN: null).
    fn plain_numbers(&mut self, v: &[u8], name: &str) {
        let is_nan = |d: &[u8]| f64::from_le_bytes(d.try_into().unwrap()).is_nan();
        if self.ty != ColumnType::Float64 || !v.chunks_exact(8).any(is_nan) {
            return self.numbers(v);
        }
        for d in v.chunks_exact(8) {
            if is_nan(d) {
                self.null(name);
            } else {
                self.numbers(d);
            }
        }
    }

    /// The next rows, doubles given plain encoded (little-endian; NaN:
    /// null), whose scan is known.
    fn plain_floats(&mut self, v: &[u8], scan: FloatScan, name: &str) {
        assert!(
            self.ty == ColumnType::Float64,
            "column {name} is not doubles"
        );
        if scan.nans == 0 {
            self.numbers(v);
        } else {
            self.plain_numbers(v, name);
        }
        self.bound(v.len() / 8, scan);
    }

    fn bound(&mut self, n: usize, scan: FloatScan) {
        if scan.nans < n {
            let s = &mut self.stats;
            s.present = true;
            s.fmin = if scan.min < s.fmin { scan.min } else { s.fmin };
            s.fmax = if scan.max > s.fmax { scan.max } else { s.fmax };
        }
    }

    /// [`floats`](Self::floats) whose scan is known.
    fn scanned_floats(&mut self, v: &[f64], scan: FloatScan, name: &str) {
        self.column_floats(v, 1, 0, scan, name)
    }

    /// The data pages: first row, end row, and the range of their values'
    /// bytes in `data` (of their dictionary indices, when coded), of each.
    fn pages(&self) -> Vec<(usize, usize, std::ops::Range<usize>)> {
        let mut pages = Vec::new();
        match self.ty {
            ColumnType::Utf8 => {
                // Text is never null (push_text has no null): row = value.
                let (mut start, mut start_at, mut at, mut row) = (0, self.head, self.head, 0);
                while at < self.data.len() {
                    if at - start_at >= PAGE_BYTES {
                        pages.push((start, row, start_at..at));
                        (start, start_at) = (row, at);
                    }
                    let len = u32::from_le_bytes(self.data[at..at + 4].try_into().unwrap());
                    at += 4 + len as usize;
                    row += 1;
                }
                if row > start || pages.is_empty() {
                    pages.push((start, self.rows, start_at..at));
                }
            }
            _ => {
                let step = PAGE_BYTES / 8;
                let mut r = 0;
                // Present values before row `r` of this group.
                let values_before =
                    |r: usize| r - self.nulls.partition_point(|&n| (n as usize) < r);
                // Plain: the values' bytes in `data`; coded: their indices.
                let (at, size) = match self.held {
                    Held::Plain => (self.head, 8),
                    _ => (0, 1),
                };
                while r < self.rows {
                    let end = (r + step).min(self.rows);
                    let bytes = at + size * values_before(r)..at + size * values_before(end);
                    pages.push((r, end, bytes));
                    r = end;
                }
            }
        }
        pages
    }

    /// The definition levels of rows `r0..r1` (a page) into `out`, if the
    /// column is nullable.
    fn put_levels(&self, r0: usize, r1: usize, bits: &mut Vec<u8>, out: &mut Vec<u8>) {
        if self.nullable {
            let lo = self.nulls.partition_point(|&n| (n as usize) < r0);
            let hi = self.nulls.partition_point(|&n| (n as usize) < r1);
            let nulls: Vec<u32> = self.nulls[lo..hi].iter().map(|&n| n - r0 as u32).collect();
            put_levels(r1 - r0, &nulls, bits, out);
        }
    }

    fn clear(&mut self) {
        self.held = Held::One;
        self.data.truncate(self.head);
        self.nulls.clear();
        self.rows = 0;
        self.stats = Stats::new();
    }
}

/// Most entries of a dictionary-encoded chunk: indices fit in a byte.
const DICTIONARY_MAX: usize = 256;

/// How a [`ColumnBuf`] holds its chunk's values.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Held {
    /// Every row so far holds `same` (no null): `data` holds no value.
    One,
    /// A dictionary of the present values and an index per present value.
    Coded,
    /// The present values, plain encoded, in `data`.
    Plain,
}

/// A column chunk's dictionary: its distinct values in order of first
/// appearance (plain encoded), and each present value's index into them.
struct Dictionary {
    values: Vec<u8>,
    indices: Vec<u8>,
    /// Open addressing: a slot's value bits, and its index + 1 (0: empty);
    /// made on first use.
    keys: Vec<u64>,
    slots: Vec<u16>,
}

impl Dictionary {
    const SLOTS: usize = 2 * DICTIONARY_MAX;

    fn new() -> Dictionary {
        Dictionary {
            values: Vec::new(),
            indices: Vec::new(),
            keys: Vec::new(),
            slots: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.values.len() / 8
    }

    /// Empty, for a new chunk.
    fn reset(&mut self) {
        self.values.clear();
        self.indices.clear();
        self.keys.resize(Self::SLOTS, 0);
        self.slots.clear();
        self.slots.resize(Self::SLOTS, 0);
    }

    /// The first slot `bits` is looked for in.
    #[inline]
    fn home(bits: u64) -> usize {
        (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 55) as usize % Self::SLOTS
    }

    /// The index of the number `bits` if it is in its first slot.
    #[inline]
    fn at_home(&self, bits: u64) -> Option<u8> {
        let s = Self::home(bits);
        let slot = self.slots[s];
        ((self.keys[s] == bits) & (slot != 0)).then(|| (slot.wrapping_sub(1)) as u8)
    }

    /// The index of the number `bits` (compared bit for bit), added if new;
    /// None when the dictionary is full.
    #[inline]
    fn index(&mut self, bits: u64) -> Option<u8> {
        let mut s = Self::home(bits);
        loop {
            match self.slots[s] {
                0 => {
                    let i = self.len();
                    if i == DICTIONARY_MAX {
                        return None;
                    }
                    self.values.extend_from_slice(&bits.to_le_bytes());
                    self.keys[s] = bits;
                    self.slots[s] = i as u16 + 1;
                    return Some(i as u8);
                }
                k if self.keys[s] == bits => return Some((k - 1) as u8),
                _ => s = (s + 1) % Self::SLOTS,
            }
        }
    }
}

/// Bits for indices into a dictionary of `entries` values (at least 1).
fn bit_width(entries: usize) -> u8 {
    (usize::BITS - entries.saturating_sub(1).leading_zeros()).max(1) as u8
}

/// A data page's dictionary indices.
enum Indices {
    /// `n` zeros (a one-entry dictionary).
    Zeros(usize),
    /// These of the chunk's [`Dictionary`] indices.
    Packed(std::ops::Range<usize>),
}

/// `indices` (each under 2^`width`, `width` ≤ 8) as one bit-packed run of
/// the RLE / bit-packing hybrid: groups of eight, first index in the lowest
/// bits, the last group padded with zeros.
fn put_packed(indices: &[u8], width: u8, out: &mut Vec<u8>) {
    let w = u32::from(width);
    put_varint(((indices.len().div_ceil(8) as u64) << 1) | 1, out);
    for g in indices.chunks(8) {
        let mut acc = 0u64;
        for (k, &i) in g.iter().enumerate() {
            acc |= u64::from(i) << (k as u32 * w);
        }
        out.extend_from_slice(&acc.to_le_bytes()[..width as usize]);
    }
}

/// Whether `whole` is `parts` laid end to end.
fn same_parts(whole: &[u8], parts: &[&[u8]]) -> bool {
    let mut rest = whole;
    for p in parts {
        match rest.strip_prefix(*p) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
}

/// Make `buf` (scratch: what it holds does not matter) at least `len`
/// long. Never shortened, so a buffer that alternates between a small and a
/// large use grows once, not each time. It grows into a fresh zeroed
/// allocation, not by zeroing each byte: a large one is mapped zero by the
/// system, so only the pages written later are ever touched.
fn grow(buf: &mut Vec<u8>, len: usize) {
    if buf.len() < len {
        *buf = vec![0; len];
    }
}

/// Write `bytes` as the next bytes of `file`, which holds `offset` bytes.
fn emit(file: &mut HashedFile, offset: &mut u64, bytes: &[u8]) -> Result<()> {
    *offset += bytes.len() as u64;
    file.write(bytes, 0)
}

/// The file being written and the scratch of page writing.
struct PageOut {
    path: PathBuf,
    file: HashedFile,
    /// Bytes written so far.
    offset: u64,
    snappy: snap::raw::Encoder,
    /// Scratch: compressed bytes, a page header.
    packed: Vec<u8>,
    header: Thrift,
}

impl PageOut {
    /// The size of `bytes` compressed with Snappy (into `packed`).
    fn snappy(&mut self, bytes: &[u8]) -> Result<usize> {
        grow(&mut self.packed, snap::raw::max_compress_len(bytes.len()));
        let path = &self.path;
        self.snappy
            .compress(bytes, &mut self.packed)
            .map_err(|e| Error::Refused(format!("{}: snappy: {e}", path.display())))
    }
}

#[derive(Clone, Copy)]
enum PageKind {
    /// `rows` values (levels first when nullable) in `encoding`.
    Data { rows: usize, encoding: i32 },
    /// A dictionary of `values` plain-encoded values.
    Dictionary { values: usize },
}

/// Write one page of a chunk: its header, then its bytes, compressed with the
/// chunk's codec; the sizes are added to `meta`.
fn put_page(out: &mut PageOut, meta: &mut ChunkMeta, kind: PageKind, page: &[u8]) -> Result<()> {
    let page_len = page.len();
    let n = if meta.codec == SNAPPY {
        out.snappy(page)?
    } else {
        page_len
    };
    let path = &out.path;
    let too_big = || Error::Refused(format!("{}: a Parquet page over 2 GiB", path.display()));
    let h = &mut out.header;
    h.buf.clear();
    match kind {
        PageKind::Data { .. } => h.i32(1, DATA_PAGE),
        PageKind::Dictionary { .. } => h.i32(1, DICTIONARY_PAGE),
    }
    h.i32(2, i32::try_from(page_len).map_err(|_| too_big())?);
    h.i32(3, i32::try_from(n).map_err(|_| too_big())?);
    match kind {
        PageKind::Data { rows, encoding } => {
            h.begin(5);
            h.i32(1, i32::try_from(rows).map_err(|_| too_big())?);
            h.i32(2, encoding);
            h.i32(3, RLE);
            h.i32(4, RLE);
            h.end();
        }
        PageKind::Dictionary { values } => {
            h.begin(7);
            h.i32(1, i32::try_from(values).map_err(|_| too_big())?);
            h.i32(2, PLAIN);
            h.end();
        }
    }
    h.buf.push(0);
    meta.uncompressed += (h.buf.len() + page_len) as i64;
    meta.compressed += (h.buf.len() + n) as i64;
    let bytes = if meta.codec == SNAPPY {
        &out.packed[..n]
    } else {
        page
    };
    emit(&mut out.file, &mut out.offset, &h.buf)?;
    emit(&mut out.file, &mut out.offset, bytes)
}

/// The definition levels (bit width 1) of `n` rows whose null rows are
/// `nulls` (ascending, relative to the first row), in Parquet's RLE /
/// bit-packing hybrid, preceded by their length in 4 bytes (data page v1).
/// Runs of whole bytes of equal levels are run-length encoded, the rest
/// bit-packed; no nulls (the usual case) is one run.
fn put_levels(n: usize, nulls: &[u32], bits: &mut Vec<u8>, out: &mut Vec<u8>) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    if nulls.is_empty() {
        put_varint((n as u64) << 1, out);
        out.push(1);
    } else {
        bits.clear();
        bits.resize(n.div_ceil(8), 0xFF);
        if n % 8 != 0 {
            *bits.last_mut().unwrap() = (1u8 << (n % 8)) - 1;
        }
        for &r in nulls {
            bits[r as usize / 8] &= !(1u8 << (r % 8));
        }
        put_hybrid(bits, n, out);
    }
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

fn put_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// `n` levels of bit width 1 (`bits`, first level in the lowest bit, unused
/// high bits of the last byte zero) in the RLE / bit-packing hybrid.
fn put_hybrid(bits: &[u8], n: usize, out: &mut Vec<u8>) {
    // Bit-packed runs of at most 63 groups of 8 (a one-byte header).
    fn packed(groups: &[u8], out: &mut Vec<u8>) {
        for g in groups.chunks(63) {
            out.push(((g.len() as u8) << 1) | 1);
            out.extend_from_slice(g);
        }
    }
    let full = n / 8;
    let rem = n % 8;
    let mut pending = 0; // first byte not yet written
    let mut i = 0;
    let mut tail_done = false;
    while i < full {
        let b = bits[i];
        if b == 0 || b == 0xFF {
            let mut j = i + 1;
            while j < full && bits[j] == b {
                j += 1;
            }
            let tail_mask = if rem > 0 { (1u8 << rem) - 1 } else { 0 };
            let tail = j == full && rem > 0 && bits[full] == b & tail_mask;
            if j - i >= 2 || tail || (j == full && rem == 0) {
                packed(&bits[pending..i], out);
                let count = (j - i) * 8 + if tail { rem } else { 0 };
                put_varint((count as u64) << 1, out);
                out.push(b & 1);
                tail_done = tail;
                i = j;
                pending = j;
                continue;
            }
        }
        i += 1;
    }
    let end = if rem > 0 && !tail_done {
        full + 1
    } else {
        full
    };
    if end > pending {
        packed(&bits[pending..end], out);
    }
}

/// A written column chunk, for the footer.
struct ChunkMeta {
    /// The dictionary page's offset (then `offset`), if dictionary encoded.
    dictionary: Option<i64>,
    /// The first data page's offset.
    data_offset: i64,
    values: i64,
    uncompressed: i64,
    compressed: i64,
    /// SNAPPY, or UNCOMPRESSED for values Snappy does not shrink.
    codec: i32,
    offset: i64,
    nulls: i64,
    /// Plain-encoded minimum and maximum, if any value is present.
    min_max: Option<(Vec<u8>, Vec<u8>)>,
}

struct GroupMeta {
    chunks: Vec<ChunkMeta>,
    rows: i64,
    offset: i64,
}

/// Many rows of one column for [`TableWriter::push_rows`].
#[derive(Clone, Copy)]
pub enum Cells<'a> {
    /// The same text in every row.
    Text(&'a [u8]),
    /// The same whole number in every row.
    Int(i64),
    /// One whole number per row.
    Ints(&'a [i64]),
    /// One double per row (NaN: null).
    Floats(&'a [f64]),
    /// Column `c` of rows of `stride` doubles laid end to end (one row per
    /// table row; NaN: null), with the column's [`float_scan`], made where
    /// the values were.
    Column(&'a [f64], usize, usize, FloatScan),
    /// One double per row, plain encoded (8 little-endian bytes each; NaN:
    /// null), with their [`float_scan`].
    Plain(&'a [u8], FloatScan),
}

/// A Parquet table being written into a result folder (see the module doc).
pub struct TableWriter {
    out: PageOut,
    cols: Vec<Column>,
    bufs: Vec<ColumnBuf>,
    groups: Vec<GroupMeta>,
    /// Column the next pushed value belongs to.
    next: usize,
    group_rows: usize,
    rows_in_group: usize,
    rows: u64,
    /// Scratch: a page, level bits.
    page: Vec<u8>,
    bits: Vec<u8>,
}

impl TableWriter {
    /// A new table `path` (inside a result folder's staging area), hashed as written.
    pub fn create(path: &Path, cols: Vec<Column>) -> Result<TableWriter> {
        Self::with_group_rows(path, cols, ROW_GROUP_ROWS)
    }

    /// [`create`](Self::create) with `group_rows` rows per row group (tests).
    pub fn with_group_rows(
        path: &Path,
        cols: Vec<Column>,
        group_rows: usize,
    ) -> Result<TableWriter> {
        let group_rows = group_rows.clamp(1, u32::MAX as usize);
        let mut file = HashedFile::create(path)?;
        file.write(b"PAR1", 0)?;
        Ok(TableWriter {
            out: PageOut {
                path: path.to_path_buf(),
                file,
                offset: 4,
                snappy: snap::raw::Encoder::new(),
                packed: Vec::new(),
                header: Thrift::new(),
            },
            bufs: cols.iter().map(|c| ColumnBuf::new(c, group_rows)).collect(),
            cols,
            groups: Vec::new(),
            next: 0,
            group_rows,
            rows_in_group: 0,
            rows: 0,
            page: Vec::new(),
            bits: Vec::new(),
        })
    }

    pub fn columns(&self) -> &[Column] {
        &self.cols
    }

    /// The next value, a text column's.
    pub fn push_text(&mut self, v: &[u8]) {
        let c = self.next;
        self.bufs[c].text(v, 1, &self.cols[c].name);
        self.next += 1;
    }

    /// The next value, a whole-number column's (`None`: null).
    pub fn push_int(&mut self, v: Option<i64>) {
        let c = self.next;
        let name = &self.cols[c].name;
        let b = &mut self.bufs[c];
        match v {
            Some(v) => b.int_repeat(v, 1, name),
            None => {
                assert!(
                    b.ty == ColumnType::Int64,
                    "column {name} is not whole numbers"
                );
                b.null(name)
            }
        }
        self.next += 1;
    }

    /// The next value, a double column's (NaN: null).
    pub fn push_float(&mut self, v: f64) {
        let c = self.next;
        self.bufs[c].floats(&[v], &self.cols[c].name);
        self.next += 1;
    }

    /// Close the row whose values were pushed; writes a row group when full.
    pub fn end_row(&mut self) -> Result<()> {
        assert_eq!(self.next, self.cols.len(), "a row needs every column");
        self.next = 0;
        self.rows += 1;
        self.rows_in_group += 1;
        if self.rows_in_group >= self.group_rows {
            self.flush_group()?;
        }
        Ok(())
    }

    /// `n` whole rows at once, given column by column (each slice `n` long):
    /// the same table as pushing them row by row.
    pub fn push_rows(&mut self, n: usize, cells: &[Cells<'_>]) -> Result<()> {
        assert_eq!(self.next, 0, "an unfinished row");
        assert_eq!(cells.len(), self.cols.len(), "a row needs every column");
        let mut done = 0;
        while done < n {
            let take = (self.group_rows - self.rows_in_group).min(n - done);
            let rows = done..done + take;
            for ((b, col), cell) in self.bufs.iter_mut().zip(&self.cols).zip(cells) {
                let name = &col.name;
                match *cell {
                    Cells::Text(v) => b.text(v, take, name),
                    Cells::Int(v) => b.int_repeat(v, take, name),
                    Cells::Ints(v) => b.ints(&v[rows.clone()], name),
                    Cells::Floats(v) => b.floats(&v[rows.clone()], name),
                    Cells::Column(v, stride, c, scan) => {
                        let part = &v[rows.start * stride..rows.end * stride];
                        // Split between row groups: each part scanned anew.
                        let scan = if take * stride == v.len() {
                            scan
                        } else {
                            part.chunks_exact(stride).map(|r| r[c]).fold(
                                FloatScan::new(),
                                |mut f, x| {
                                    f.add(x);
                                    f
                                },
                            )
                        };
                        b.column_floats(part, stride, c, scan, name)
                    }
                    Cells::Plain(v, scan) => {
                        let part = &v[rows.start * 8..rows.end * 8];
                        let scan = if 8 * take == v.len() {
                            scan
                        } else {
                            part.chunks_exact(8)
                                .map(|d| f64::from_le_bytes(d.try_into().unwrap()))
                                .fold(FloatScan::new(), |mut f, x| {
                                    f.add(x);
                                    f
                                })
                        };
                        b.plain_floats(part, scan, name)
                    }
                }
            }
            done += take;
            self.rows += take as u64;
            self.rows_in_group += take;
            if self.rows_in_group >= self.group_rows {
                self.flush_group()?;
            }
        }
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        emit(&mut self.out.file, &mut self.out.offset, bytes)
    }

    fn flush_group(&mut self) -> Result<()> {
        if self.rows_in_group == 0 {
            return Ok(());
        }
        let mut group = GroupMeta {
            chunks: Vec::with_capacity(self.cols.len()),
            rows: self.rows_in_group as i64,
            offset: self.out.offset as i64,
        };
        for c in 0..self.cols.len() {
            let chunk = self.write_chunk(c)?;
            group.chunks.push(chunk);
            self.bufs[c].clear();
        }
        self.groups.push(group);
        self.rows_in_group = 0;
        Ok(())
    }

    /// Write column `c`'s pages of this row group.
    fn write_chunk(&mut self, c: usize) -> Result<ChunkMeta> {
        let b = &self.bufs[c];
        assert_eq!(b.rows, self.rows_in_group, "column {}", self.cols[c].name);
        let mut meta = ChunkMeta {
            dictionary: None,
            data_offset: self.out.offset as i64,
            values: b.rows as i64,
            uncompressed: 0,
            compressed: 0,
            codec: SNAPPY,
            offset: self.out.offset as i64,
            nulls: b.nulls.len() as i64,
            min_max: None,
        };
        let s = &b.stats;
        if s.present {
            meta.min_max = match b.ty {
                ColumnType::Int64 => {
                    Some((s.imin.to_le_bytes().to_vec(), s.imax.to_le_bytes().to_vec()))
                }
                // Zero as -0 in the minimum and +0 in the maximum (parquet.thrift).
                ColumnType::Float64 => Some((
                    (if s.fmin == 0.0 { -0.0f64 } else { s.fmin })
                        .to_le_bytes()
                        .to_vec(),
                    (if s.fmax == 0.0 { 0.0f64 } else { s.fmax })
                        .to_le_bytes()
                        .to_vec(),
                )),
                ColumnType::Utf8 => (s.tmin.len() <= TEXT_STATS_MAX
                    && s.tmax.len() <= TEXT_STATS_MAX)
                    .then(|| (s.tmin.clone(), s.tmax.clone())),
            };
        }
        match b.held {
            Held::One => {
                let rows = b.rows;
                let pages = [(0, rows, Indices::Zeros(rows))];
                return self.write_dictionary_chunk(c, meta, &pages);
            }
            Held::Coded => {
                let pages: Vec<_> = b
                    .pages()
                    .into_iter()
                    .map(|(r0, r1, v)| (r0, r1, Indices::Packed(v)))
                    .collect();
                return self.write_dictionary_chunk(c, meta, &pages);
            }
            Held::Plain => {}
        }
        let pages: Vec<_> = self.bufs[c].pages();
        let whole = pages.len() == 1;
        let first = &pages[0].2;
        let sample = &self.bufs[c].data[first.start..first.end.min(first.start + SAMPLE_BYTES)];
        let n = self.out.snappy(sample)?;
        if n >= sample.len() - sample.len() / 32 {
            meta.codec = UNCOMPRESSED;
        }
        for (r0, r1, bytes) in pages {
            let b = &mut self.bufs[c];
            self.page.clear();
            b.put_levels(r0, r1, &mut self.bits, &mut self.page);
            // The page: levels, then values. A whole chunk's values are
            // compressed where they lie, the levels just before them.
            let page: &[u8] = if whole && self.page.len() <= b.head {
                let at = b.head - self.page.len();
                b.data[at..b.head].copy_from_slice(&self.page);
                &b.data[at..bytes.end]
            } else {
                self.page.extend_from_slice(&b.data[bytes]);
                &self.page
            };
            let kind = PageKind::Data {
                rows: r1 - r0,
                encoding: PLAIN,
            };
            put_page(&mut self.out, &mut meta, kind, page)?;
        }
        Ok(meta)
    }

    /// Write column `c`'s chunk as a dictionary page then data pages of
    /// indices into it, after the levels if nullable: the one-entry
    /// dictionary of a chunk whose rows all hold one value (no null), or the
    /// chunk's [`Dictionary`]. Snappy, unless it would not shrink the first
    /// page (indices of values that change every row).
    fn write_dictionary_chunk(
        &mut self,
        c: usize,
        mut meta: ChunkMeta,
        pages: &[(usize, usize, Indices)],
    ) -> Result<ChunkMeta> {
        let b = &self.bufs[c];
        let (dict, entries) = match b.held {
            Held::One => (&b.same[..], 1),
            _ => (&b.dict.values[..], b.dict.len()),
        };
        let width = bit_width(entries);
        for (k, (r0, r1, indices)) in pages.iter().enumerate() {
            let (r0, r1) = (*r0, *r1);
            self.page.clear();
            b.put_levels(r0, r1, &mut self.bits, &mut self.page);
            self.page.push(width);
            match indices {
                // One RLE run of zeros (the value in one byte: width ≤ 8).
                Indices::Zeros(n) => {
                    put_varint((*n as u64) << 1, &mut self.page);
                    self.page.push(0);
                }
                Indices::Packed(v) => put_packed(&b.dict.indices[v.clone()], width, &mut self.page),
            }
            if k == 0 {
                let sample = &self.page[..self.page.len().min(SAMPLE_BYTES)];
                if sample.len() >= 64
                    && self.out.snappy(sample)? >= sample.len() - sample.len() / 32
                {
                    meta.codec = UNCOMPRESSED;
                }
                let kind = PageKind::Dictionary { values: entries };
                put_page(&mut self.out, &mut meta, kind, dict)?;
                meta.dictionary = Some(meta.offset);
                meta.data_offset = self.out.offset as i64;
            }
            let kind = PageKind::Data {
                rows: r1 - r0,
                encoding: RLE_DICTIONARY,
            };
            put_page(&mut self.out, &mut meta, kind, &self.page)?;
        }
        Ok(meta)
    }

    /// The footer: the schema, every row group's column chunks, `created_by`.
    fn footer(&self) -> Vec<u8> {
        let mut t = Thrift::new();
        t.i32(1, 1); // format version
        t.list(2, T_STRUCT, self.cols.len() + 1);
        t.enter();
        t.binary(4, b"schema");
        t.i32(5, self.cols.len() as i32);
        t.end();
        for c in &self.cols {
            t.enter();
            t.i32(1, c.ty.physical());
            t.i32(3, c.nullable as i32); // OPTIONAL = 1, REQUIRED = 0
            t.binary(4, c.name.as_bytes());
            if c.ty == ColumnType::Utf8 {
                t.i32(6, 0); // converted type UTF8
                t.begin(10); // logical type STRING
                t.begin(1);
                t.end();
                t.end();
            }
            t.end();
        }
        t.i64(3, self.rows as i64);
        t.list(4, T_STRUCT, self.groups.len());
        for (ordinal, g) in self.groups.iter().enumerate() {
            t.enter();
            t.list(1, T_STRUCT, g.chunks.len());
            for (m, c) in g.chunks.iter().zip(&self.cols) {
                t.enter();
                t.i64(2, 0); // file_offset: no column metadata outside the footer
                t.begin(3);
                t.i32(1, c.ty.physical());
                let encodings: &[i32] = if m.dictionary.is_some() {
                    &[PLAIN, RLE, RLE_DICTIONARY]
                } else {
                    &[PLAIN, RLE]
                };
                t.list(2, T_I32, encodings.len());
                for &e in encodings {
                    t.zigzag(i64::from(e));
                }
                t.list(3, T_BINARY, 1);
                t.bytes(c.name.as_bytes());
                t.i32(4, m.codec);
                t.i64(5, m.values);
                t.i64(6, m.uncompressed);
                t.i64(7, m.compressed);
                t.i64(9, m.data_offset);
                if let Some(d) = m.dictionary {
                    t.i64(11, d);
                }
                t.begin(12);
                t.i64(3, m.nulls);
                if let Some((min, max)) = &m.min_max {
                    t.binary(5, max);
                    t.binary(6, min);
                }
                t.end();
                t.end();
                t.end();
            }
            t.i64(2, g.chunks.iter().map(|m| m.uncompressed).sum());
            t.i64(3, g.rows);
            t.i64(5, g.offset);
            t.i64(6, g.chunks.iter().map(|m| m.compressed).sum());
            if let Ok(o) = i16::try_from(ordinal) {
                t.i16(7, o);
            }
            t.end();
        }
        t.binary(6, CREATED_BY.as_bytes());
        // Column orders: every column's statistics in its type's order.
        t.list(7, T_STRUCT, self.cols.len());
        for _ in &self.cols {
            t.enter();
            t.begin(1);
            t.end();
            t.end();
        }
        t.buf.push(0);
        t.buf
    }

    /// Write the last row group and the footer; bytes, data rows and hash for the manifest.
    pub fn finish(mut self) -> Result<FileInfo> {
        assert_eq!(self.next, 0, "an unfinished row");
        self.flush_group()?;
        let footer = self.footer();
        let len = u32::try_from(footer.len()).map_err(|_| {
            Error::Refused(format!("{}: footer over 4 GiB", self.out.path.display()))
        })?;
        self.write(&footer)?;
        self.write(&len.to_le_bytes())?;
        self.write(b"PAR1")?;
        let mut info = self.out.file.finish()?;
        info.rows = self.rows;
        Ok(info)
    }
}

/// Columns that hold whole numbers wherever they appear (keys and counts).
pub const INTEGER_COLUMNS: [&str; 8] = [
    "point",
    "replicate",
    "ccg",
    "practices",
    "month",
    "runs",
    "failed",
    "failed_month",
];

/// Columns that hold text even when every value looks like a number.
pub const TEXT_COLUMNS: [&str; 5] = ["scenario", "outcome", "statistic", "parameter", "index"];

/// The exact column types of a CSV table written by ccgsim: whole numbers for
/// [`INTEGER_COLUMNS`], text for [`TEXT_COLUMNS`] and for any column holding
/// a cell that is not a number, doubles for the rest; whole numbers are
/// nullable where a cell is empty. One pass over the file.
pub fn infer_columns(csv_path: &Path) -> Result<Vec<Column>> {
    let bad = |e: csv::Error| Error::Refused(format!("{}: {e}", csv_path.display()));
    let mut r = csv::Reader::from_path(csv_path).map_err(bad)?;
    let header = r.headers().map_err(bad)?.clone();
    let mut cols: Vec<Column> = header
        .iter()
        .map(|n| {
            let ty = if TEXT_COLUMNS.contains(&n) {
                ColumnType::Utf8
            } else if INTEGER_COLUMNS.contains(&n) {
                ColumnType::Int64
            } else {
                ColumnType::Float64
            };
            Column::new(n, ty, false)
        })
        .collect();
    let mut rec = csv::StringRecord::new();
    while r.read_record(&mut rec).map_err(bad)? {
        for (c, cell) in cols.iter_mut().zip(rec.iter()) {
            if cell.is_empty() {
                c.nullable = true;
                continue;
            }
            let fits = match c.ty {
                ColumnType::Utf8 => true,
                ColumnType::Int64 => cell.parse::<i64>().is_ok(),
                ColumnType::Float64 => cell.parse::<f64>().is_ok_and(|v| !v.is_nan()),
            };
            if !fits {
                c.ty = ColumnType::Utf8;
            }
        }
    }
    // Text is never null (an empty text cell is the empty string); doubles
    // are always nullable (missing = NaN), as in a run's tables.
    for c in &mut cols {
        c.nullable = match c.ty {
            ColumnType::Utf8 => false,
            ColumnType::Float64 => true,
            ColumnType::Int64 => c.nullable,
        };
    }
    Ok(cols)
}

/// Write the CSV table `csv_path` as the Parquet table `pq_path` with the
/// columns [`infer_columns`] finds: the same rows, and values equal to the
/// CSV text parsed (empty cells null, empty text "").
pub fn convert_csv(csv_path: &Path, pq_path: &Path) -> Result<FileInfo> {
    convert_csv_with(csv_path, pq_path, infer_columns(csv_path)?)
}

/// Write the CSV table `csv_path` as the Parquet table `pq_path` with the given
/// columns (in the CSV's order): a table whose types are known in advance.
pub fn convert_csv_with(csv_path: &Path, pq_path: &Path, cols: Vec<Column>) -> Result<FileInfo> {
    let bad = |e: csv::Error| Error::Refused(format!("{}: {e}", csv_path.display()));
    let mut r = csv::Reader::from_path(csv_path).map_err(bad)?;
    let mut w = TableWriter::create(pq_path, cols.clone())?;
    let mut rec = csv::StringRecord::new();
    while r.read_record(&mut rec).map_err(bad)? {
        for (c, cell) in cols.iter().zip(rec.iter()) {
            match c.ty {
                ColumnType::Utf8 => w.push_text(cell.as_bytes()),
                ColumnType::Int64 => w.push_int(cell.parse().ok()),
                ColumnType::Float64 => w.push_float(cell.parse().unwrap_or(f64::NAN)),
            }
        }
        w.end_row()?;
    }
    w.finish()
}

thread_local! {
    /// Set while this thread runs the Parquet reader under [`guarded`].
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f` (the `parquet` crate's reader) so that a damaged file that makes
/// the reader panic (it indexes past buffers on some corrupt pages) becomes an
/// error naming the file, not a crash. The panic message is silenced on this
/// thread only; other panics print as before.
fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(|g| g.get()) {
                previous(info);
            }
        }));
    });
    let was = GUARDED.with(|g| g.replace(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(was));
    r.unwrap_or_else(|p| {
        let why = p
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| p.downcast_ref::<&str>().copied())
            .unwrap_or("unknown failure");
        Err(Error::Refused(format!(
            "{} is damaged: the Parquet reader failed ({why})",
            path.display()
        )))
    })
}

/// Data rows a Parquet file's footer records; `None` if it is not readable Parquet.
pub fn footer_rows(path: &Path) -> Option<u64> {
    guarded(path, || {
        let f = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
        let r = SerializedFileReader::new(f).map_err(pq_error)?;
        Ok(u64::try_from(r.metadata().file_metadata().num_rows()).ok())
    })
    .ok()
    .flatten()
}

/// A Parquet table read row by row as CSV text records: text as is, whole
/// numbers in decimal, doubles as the CSV writer formats them, nulls empty.
pub struct Records {
    path: PathBuf,
    header: csv::StringRecord,
    rows: RowIter<'static>,
    cell: String,
}

impl Records {
    pub fn open(path: &Path) -> Result<Records> {
        guarded(path, || Self::open_unguarded(path))
    }

    fn open_unguarded(path: &Path) -> Result<Records> {
        let bad = |e: parquet::errors::ParquetError| {
            Error::Refused(format!(
                "{} is not a readable Parquet table: {e}",
                path.display()
            ))
        };
        let f = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
        let reader = SerializedFileReader::new(f).map_err(bad)?;
        let header = reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect::<Vec<_>>();
        Ok(Records {
            path: path.to_path_buf(),
            header: csv::StringRecord::from(header),
            rows: RowIter::from_file_into(Box::new(reader) as Box<dyn FileReader>),
            cell: String::new(),
        })
    }

    pub fn headers(&self) -> &csv::StringRecord {
        &self.header
    }

    /// The next row into `rec`; false at the end.
    pub fn read(&mut self, rec: &mut csv::StringRecord) -> Result<bool> {
        let Records {
            path, rows, cell, ..
        } = self;
        guarded(path, || read_row(path, rows, cell, rec))
    }
}

fn read_row(
    path: &Path,
    rows: &mut RowIter<'static>,
    cell: &mut String,
    rec: &mut csv::StringRecord,
) -> Result<bool> {
    {
        let Some(row) = rows.next() else {
            return Ok(false);
        };
        let row = row.map_err(|e| {
            Error::Refused(format!(
                "{} is not a readable Parquet table: {e}",
                path.display()
            ))
        })?;
        rec.clear();
        for (_, field) in row.get_column_iter() {
            match field {
                Field::Null => rec.push_field(""),
                Field::Str(s) => rec.push_field(s),
                Field::Long(v) => rec.push_field(itoa::Buffer::new().format(*v)),
                Field::Int(v) => rec.push_field(itoa::Buffer::new().format(*v)),
                Field::Double(v) => {
                    super::tables::format_number(*v, cell);
                    rec.push_field(cell);
                }
                other => {
                    *cell = other.to_string();
                    rec.push_field(cell);
                }
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tables::{csv_value, push_number};

    #[test]
    fn csv_values_are_the_numbers_the_csv_text_reads_back_as() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let check = |v: f64| {
            let mut text = Vec::new();
            push_number(v, &mut text);
            let got = csv_value(v);
            if text.is_empty() {
                assert!(got.is_nan());
            } else {
                let want: f64 = std::str::from_utf8(&text).unwrap().parse().unwrap();
                assert_eq!(got.to_bits(), want.to_bits(), "{v:e}");
            }
        };
        for _ in 0..200_000 {
            x = crate::model::rng::splitmix64(x);
            let u = (x >> 11) as f64 / (1u64 << 53) as f64;
            check(u);
            check(u * 200.0 - 100.0);
            check(f64::from_bits(x));
            check((x % 2_000_001) as f64 / 1e6 - 1.0);
        }
        for v in [
            0.0,
            -0.0,
            -1e-9,
            1e12,
            9.5e9,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            check(v);
        }
        assert_eq!(csv_value(-1e-9).to_bits(), 0.0f64.to_bits());
    }

    /// Many small row groups (memory stays bounded) read back as the rows written.
    #[test]
    fn rows_span_row_groups_and_read_back_as_csv_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let cols = vec![
            Column::new("name", ColumnType::Utf8, false),
            Column::new("n", ColumnType::Int64, true),
            Column::new("x", ColumnType::Float64, true),
        ];
        let mut w = TableWriter::with_group_rows(&path, cols, 7).unwrap();
        for i in 0..50i64 {
            w.push_text(b"a,b");
            w.push_int((i % 5 != 0).then_some(i));
            w.push_float(if i % 3 == 0 { f64::NAN } else { i as f64 / 8.0 });
            w.end_row().unwrap();
        }
        let info = w.finish().unwrap();
        assert_eq!(info.rows, 50);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(info.bytes, bytes.len() as u64);
        assert_eq!(info.blake3, blake3::hash(&bytes).to_hex().as_str());
        let f = std::fs::File::open(&path).unwrap();
        let r = SerializedFileReader::new(f).unwrap();
        assert_eq!(r.metadata().num_row_groups(), 8);
        assert_eq!(footer_rows(&path), Some(50));
        let mut rec = csv::StringRecord::new();
        let mut records = Records::open(&path).unwrap();
        assert_eq!(
            records.headers(),
            &csv::StringRecord::from(vec!["name", "n", "x"])
        );
        for i in 0..50i64 {
            assert!(records.read(&mut rec).unwrap());
            let n = if i % 5 != 0 {
                i.to_string()
            } else {
                String::new()
            };
            let mut x = String::new();
            crate::output::tables::format_number(
                if i % 3 == 0 { f64::NAN } else { i as f64 / 8.0 },
                &mut x,
            );
            assert_eq!(rec, csv::StringRecord::from(vec!["a,b", &n, &x]));
        }
        assert!(!records.read(&mut rec).unwrap());
        // An empty table is valid Parquet too.
        let empty = dir.path().join("e.parquet");
        let w =
            TableWriter::create(&empty, vec![Column::new("x", ColumnType::Float64, true)]).unwrap();
        assert_eq!(w.finish().unwrap().rows, 0);
        assert_eq!(footer_rows(&empty), Some(0));
        assert_eq!(footer_rows(&dir.path().join("missing")), None);
    }

    /// Rows pushed column by column (split across row groups, nulls in every
    /// pattern: none, runs, isolated, alternating, all) make the same file,
    /// byte for byte, as the rows pushed one value at a time, and read back
    /// as those values (so the definition levels, pages and statistics are
    /// right, whichever path made them).
    #[test]
    fn rows_pushed_by_column_are_the_rows_pushed_by_value() {
        let dir = tempfile::tempdir().unwrap();
        let cols = vec![
            Column::new("s", ColumnType::Utf8, false),
            Column::new("k", ColumnType::Int64, false),
            Column::new("t", ColumnType::Int64, false),
            Column::new("x", ColumnType::Float64, true),
            Column::new("y", ColumnType::Float64, true),
        ];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        // Runs of different lengths; y's nulls follow a pattern per run.
        let mut runs = Vec::new();
        for r in 0..60usize {
            let n = [0, 1, 7, 8, 9, 121, 300, 1000][r % 8];
            let ts: Vec<i64> = (0..n as i64).collect();
            let xs: Vec<f64> = (0..n)
                .map(|_| {
                    x = crate::model::rng::splitmix64(x);
                    if x % 17 == 0 {
                        f64::NAN
                    } else {
                        (x >> 11) as f64 / 9.0e15 - 0.5
                    }
                })
                .collect();
            let ys: Vec<f64> = (0..n)
                .map(|t| {
                    let null = match r % 5 {
                        0 => false,
                        1 => t % 2 == 0,
                        2 => (t / 40) % 2 == 1,
                        3 => true,
                        _ => t % 9 == 4,
                    };
                    if null { f64::NAN } else { t as f64 * -0.25 }
                })
                .collect();
            runs.push((r as i64, ts, xs, ys));
        }
        let name = format!("run {}", "x".repeat(70)); // statistics left out
        let by_value = dir.path().join("v.parquet");
        let by_column = dir.path().join("c.parquet");
        let mut v = TableWriter::with_group_rows(&by_value, cols.clone(), 1000).unwrap();
        let mut c = TableWriter::with_group_rows(&by_column, cols, 1000).unwrap();
        for (k, ts, xs, ys) in &runs {
            for t in 0..ts.len() {
                v.push_text(name.as_bytes());
                v.push_int(Some(*k));
                v.push_int(Some(ts[t]));
                v.push_float(xs[t]);
                v.push_float(ys[t]);
                v.end_row().unwrap();
            }
            // x and y side by side in rows of 3 (the middle one unused).
            let flat: Vec<f64> = xs.iter().zip(ys).flat_map(|(&x, &y)| [x, 7.0, y]).collect();
            let (x_cells, y_cells) = if k % 2 == 0 {
                (
                    Cells::Column(&flat, 3, 0, float_scan(xs)),
                    Cells::Column(&flat, 3, 2, float_scan(ys)),
                )
            } else {
                (Cells::Floats(xs), Cells::Floats(ys))
            };
            c.push_rows(
                ts.len(),
                &[
                    Cells::Text(name.as_bytes()),
                    Cells::Int(*k),
                    Cells::Ints(ts),
                    x_cells,
                    y_cells,
                ],
            )
            .unwrap();
        }
        let (iv, ic) = (v.finish().unwrap(), c.finish().unwrap());
        assert_eq!(iv.rows, ic.rows);
        let bytes = std::fs::read(&by_value).unwrap();
        assert_eq!(bytes, std::fs::read(&by_column).unwrap());
        // Read back with the parquet crate: every value, null where NaN.
        let r = SerializedFileReader::new(std::fs::File::open(&by_value).unwrap()).unwrap();
        assert!(r.metadata().num_row_groups() > 5);
        let mut rows = r.get_row_iter(None).unwrap();
        let mut total = 0;
        for (k, ts, xs, ys) in &runs {
            for t in 0..ts.len() {
                let row = rows.next().unwrap().unwrap();
                let f: Vec<&Field> = row.get_column_iter().map(|(_, f)| f).collect();
                assert_eq!(f[0], &Field::Str(name.clone()));
                assert_eq!(f[1], &Field::Long(*k));
                assert_eq!(f[2], &Field::Long(ts[t]));
                for (got, want) in [(f[3], xs[t]), (f[4], ys[t])] {
                    match got {
                        Field::Null => assert!(want.is_nan()),
                        Field::Double(d) => assert_eq!(d.to_bits(), want.to_bits()),
                        other => panic!("{other:?}"),
                    }
                }
                total += 1;
            }
        }
        assert!(rows.next().is_none());
        assert_eq!(total as u64, iv.rows);
        // Chunk statistics: keys' bounds and null counts, as the rows say.
        let mut row = 0;
        for g in r.metadata().row_groups() {
            let n = g.num_rows() as usize;
            let all: Vec<_> = runs
                .iter()
                .flat_map(|(k, ts, _, ys)| ts.iter().zip(ys).map(move |(t, y)| (*k, *t, *y)))
                .skip(row)
                .take(n)
                .collect();
            row += n;
            let st = |i: usize| g.column(i).statistics().unwrap().clone();
            use parquet::file::statistics::Statistics as S;
            match st(1) {
                S::Int64(s) => {
                    assert_eq!(
                        *s.min_opt().unwrap(),
                        all.iter().map(|a| a.0).min().unwrap()
                    );
                    assert_eq!(
                        *s.max_opt().unwrap(),
                        all.iter().map(|a| a.0).max().unwrap()
                    );
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(st(0).min_bytes_opt(), None, "long text: no bounds");
            // Random doubles are stored as they are; repeated keys compressed.
            use parquet::basic::Compression;
            assert_eq!(g.column(3).compression(), Compression::UNCOMPRESSED);
            assert_eq!(g.column(1).compression(), Compression::SNAPPY);
            let nulls = all.iter().filter(|a| a.2.is_nan()).count() as u64;
            assert_eq!(st(4).null_count_opt(), Some(nulls));
        }
    }

    /// The definition-level encoder on every null pattern of up to 12 rows
    /// (one row group each) and on long mixed runs, read back by the parquet
    /// crate's reader.
    #[test]
    fn levels_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let check = |n: usize, patterns: &[Vec<bool>]| {
            let path = dir.path().join(format!("l{n}.parquet"));
            let cols = vec![Column::new("x", ColumnType::Float64, true)];
            let mut w = TableWriter::with_group_rows(&path, cols, n).unwrap();
            for p in patterns {
                let v: Vec<f64> = (0..n)
                    .map(|i| if p[i] { i as f64 } else { f64::NAN })
                    .collect();
                w.push_rows(n, &[Cells::Floats(&v)]).unwrap();
            }
            w.finish().unwrap();
            let r = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
            assert_eq!(r.metadata().num_row_groups(), patterns.len());
            let mut rows = r.get_row_iter(None).unwrap();
            for p in patterns {
                for (i, &present) in p.iter().enumerate() {
                    let row = rows.next().unwrap().unwrap();
                    let got = row.get_column_iter().next().unwrap().1.clone();
                    let want = if present {
                        Field::Double(i as f64)
                    } else {
                        Field::Null
                    };
                    assert_eq!(got, want, "{p:?}");
                }
            }
            assert!(rows.next().is_none());
        };
        for n in 1..=12usize {
            let all: Vec<Vec<bool>> = (0..1u32 << n)
                .map(|m| (0..n).map(|i| m >> i & 1 == 1).collect())
                .collect();
            check(n, &all);
        }
        let mut x = 5u64;
        let mut long = Vec::new();
        for _ in 0..20 {
            let mut levels = Vec::new();
            while levels.len() < 3000 {
                x = crate::model::rng::splitmix64(x);
                let run = (x % 100) as usize;
                let kind = (x >> 32) % 3;
                for i in 0..run {
                    levels.push(match kind {
                        0 => true,
                        1 => false,
                        _ => (x >> (i % 60)) & 1 == 1,
                    });
                }
            }
            levels.truncate(3000);
            long.push(levels);
        }
        check(3000, &long);
        // Levels longer than the room kept for them before the values.
        let alternating: Vec<bool> = (0..131_072).map(|i| i % 2 == 0).collect();
        check(alternating.len(), &[alternating]);
    }

    /// Whole numbers whose bits would be a double's NaN are numbers, not
    /// nulls, however they are pushed.
    #[test]
    fn whole_numbers_with_nan_bits_are_not_nulls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.parquet");
        let nan_bits = f64::NAN.to_bits() as i64;
        let ks: Vec<i64> = (0..300)
            .map(|i| if i % 3 == 0 { nan_bits } else { -i })
            .collect();
        let cols = vec![Column::new("k", ColumnType::Int64, true)];
        let mut w = TableWriter::with_group_rows(&path, cols, 128).unwrap();
        w.push_rows(200, &[Cells::Ints(&ks[..200])]).unwrap();
        for &k in &ks[200..] {
            w.push_int(Some(k));
            w.end_row().unwrap();
        }
        w.finish().unwrap();
        let r = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        let got: Vec<Field> = r
            .get_row_iter(None)
            .unwrap()
            .map(|row| row.unwrap().get_column_iter().next().unwrap().1.clone())
            .collect();
        let want: Vec<Field> = ks.iter().map(|&k| Field::Long(k)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn bit_widths_hold_every_index() {
        for (entries, width) in [
            (1, 1),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (128, 7),
            (129, 8),
            (256, 8),
        ] {
            assert_eq!(bit_width(entries), width, "{entries} entries");
        }
    }

    /// A chunk with at most 256 distinct values (bit for bit: 0 and -0 are
    /// two) is dictionary encoded, more is plain; both read back as written,
    /// with nulls, across pages and row groups.
    #[test]
    fn few_distinct_values_are_dictionary_encoded_and_read_back() {
        use parquet::basic::Encoding;
        let dir = tempfile::tempdir().unwrap();
        let mut x = 11u64;
        for distinct in [1usize, 2, 3, 5, 17, 100, 255, 256, 257, 1000] {
            for with_nulls in [false, true] {
                // Three pages in the first group (131,072 values a page), one
                // in the second.
                let (n, group) = (302_000, 300_000);
                let set: Vec<f64> = (0..distinct)
                    .map(|i| match i {
                        0 => 0.0,
                        1 => -0.0,
                        _ => (i as f64 - 50.5) * 1e-3,
                    })
                    .collect();
                let mut xs = Vec::with_capacity(n);
                let mut ks = Vec::with_capacity(n);
                let mut i = 0;
                while xs.len() < n {
                    x = crate::model::rng::splitmix64(x);
                    // Runs of one value, and every value of the set in turn
                    // early on (so each appears in the first group).
                    let v = if i < distinct {
                        i
                    } else {
                        (x >> 20) as usize % distinct
                    };
                    for _ in 0..1 + x % 4 {
                        let null = with_nulls && (x >> 40) % 7 == 0;
                        xs.push(if null { f64::NAN } else { set[v] });
                        ks.push(v as i64 * 1_000_003);
                    }
                    i += 1;
                }
                xs.truncate(n);
                ks.truncate(n);
                let path = dir.path().join(format!("d{distinct}{with_nulls}.parquet"));
                let cols = vec![
                    Column::new("x", ColumnType::Float64, true),
                    Column::new("k", ColumnType::Int64, false),
                ];
                let mut w = TableWriter::with_group_rows(&path, cols, group).unwrap();
                w.push_rows(n, &[Cells::Floats(&xs), Cells::Ints(&ks)])
                    .unwrap();
                w.finish().unwrap();
                let r = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
                let meta = r.metadata();
                assert_eq!(meta.num_row_groups(), 2);
                for c in [0, 1] {
                    let nulls = c == 0 && with_nulls;
                    let want = distinct <= 256;
                    let chunk = meta.row_group(0).column(c);
                    let dictionary = chunk.encodings().any(|e| e == Encoding::RLE_DICTIONARY);
                    assert_eq!(dictionary, want, "{distinct} values, column {c}, {nulls}");
                    assert_eq!(chunk.dictionary_page_offset().is_some(), dictionary);
                    let pages = r
                        .get_row_group(0)
                        .unwrap()
                        .get_column_page_reader(c)
                        .unwrap();
                    // Three data pages, after a dictionary page; a chunk of
                    // one value and no null is one data page of indices.
                    let want_pages = match (want, distinct, nulls) {
                        (true, 1, false) => 2,
                        (true, _, _) => 4,
                        (false, _, _) => 3,
                    };
                    assert_eq!(pages.count(), want_pages, "{distinct} values, column {c}");
                }
                let mut rows = 0;
                for (row, (x, k)) in r.get_row_iter(None).unwrap().zip(xs.iter().zip(&ks)) {
                    let f: Vec<Field> = row
                        .unwrap()
                        .get_column_iter()
                        .map(|(_, f)| f.clone())
                        .collect();
                    match &f[0] {
                        Field::Double(v) => assert_eq!(v.to_bits(), x.to_bits(), "row {rows}"),
                        Field::Null => assert!(x.is_nan(), "row {rows}"),
                        other => panic!("{other:?}"),
                    }
                    assert_eq!(f[1], Field::Long(*k), "row {rows}");
                    rows += 1;
                }
                assert_eq!(rows, n);
            }
        }
    }

    /// A column takes room for its values only once a chunk holds them
    /// plain: a column of one value or of a dictionary never allocates it,
    /// a plain one keeps it for the next groups. A whole chunk whose levels
    /// outgrow the room kept before its values (nulls in every third row:
    /// 12.5 KB of levels) is written the copying way. Plain-encoded values
    /// whose dictionary overflows many values into a push go plain from
    /// there. The file is the one pushed value by value, and every row reads
    /// back.
    #[test]
    fn room_is_taken_only_for_plain_values_and_long_levels_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.parquet");
        let by_value = dir.path().join("v.parquet");
        let cols = vec![
            Column::new("k", ColumnType::Int64, false),
            Column::new("c", ColumnType::Float64, true),
            Column::new("x", ColumnType::Float64, true),
            Column::new("p", ColumnType::Float64, false),
        ];
        // Two groups, each one page; the second without nulls (levels of
        // 8 bytes, written in the room before the values).
        let n = 100_000;
        let cs: Vec<f64> = (0..2 * n).map(|i| (i % 5) as f64).collect();
        let xs: Vec<f64> = (0..2 * n)
            .map(|i| {
                if i < n && i % 3 == 1 {
                    f64::NAN
                } else {
                    i as f64 * 0.5
                }
            })
            .collect();
        // Ten values for 1,000 rows, then a new value every row: the
        // dictionary overflows 246 values on (ten blocks into the push); in
        // the second group, 256 values in.
        let ps: Vec<f64> = (0..2 * n)
            .map(|i| if i < 1000 { (i % 10) as f64 } else { i as f64 })
            .collect();
        let mut w = TableWriter::with_group_rows(&path, cols.clone(), n).unwrap();
        let mut v = TableWriter::with_group_rows(&by_value, cols, n).unwrap();
        for half in [0..n, n..2 * n] {
            let p = &ps[half.clone()];
            let plain: Vec<u8> = p.iter().flat_map(|x| x.to_le_bytes()).collect();
            let cells = [
                Cells::Int(7),
                Cells::Floats(&cs[half.clone()]),
                Cells::Floats(&xs[half.clone()]),
                Cells::Plain(&plain, float_scan(p)),
            ];
            w.push_rows(n, &cells).unwrap();
            assert_eq!(w.bufs[0].data.capacity(), 0, "one value");
            assert_eq!(w.bufs[1].data.capacity(), 0, "a dictionary");
            assert!(w.bufs[2].data.capacity() >= LEVELS_ROOM + 8 * n, "plain");
            for i in half {
                v.push_int(Some(7));
                v.push_float(cs[i]);
                v.push_float(xs[i]);
                v.push_float(ps[i]);
                v.end_row().unwrap();
            }
        }
        w.finish().unwrap();
        v.finish().unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(&by_value).unwrap()
        );
        let r = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        assert_eq!(r.metadata().num_row_groups(), 2);
        let mut rows = 0;
        let rows_in = cs.iter().zip(&xs).zip(&ps);
        for (row, ((c, x), p)) in r.get_row_iter(None).unwrap().zip(rows_in) {
            let f: Vec<Field> = row
                .unwrap()
                .get_column_iter()
                .map(|(_, f)| f.clone())
                .collect();
            assert_eq!(f[0], Field::Long(7));
            assert_eq!(f[1], Field::Double(*c));
            assert_eq!(f[3], Field::Double(*p));
            match &f[2] {
                Field::Double(v) => assert_eq!(v.to_bits(), x.to_bits(), "row {rows}"),
                Field::Null => assert!(x.is_nan(), "row {rows}"),
                other => panic!("{other:?}"),
            }
            rows += 1;
        }
        assert_eq!(rows, 2 * n);
    }

    /// Text and numbers over 1 MiB a row group are cut into pages, which read
    /// back in order.
    #[test]
    fn large_chunks_are_cut_into_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.parquet");
        let cols = vec![
            Column::new("s", ColumnType::Utf8, false),
            Column::new("x", ColumnType::Float64, true),
        ];
        let n = 300_000;
        let xs: Vec<f64> = (0..n)
            .map(|i| if i % 1000 == 7 { f64::NAN } else { i as f64 })
            .collect();
        let mut w = TableWriter::with_group_rows(&path, cols, n).unwrap();
        for (i, x) in xs.iter().enumerate() {
            w.push_text(format!("{i:>20}").as_bytes());
            w.push_float(*x);
            w.end_row().unwrap();
        }
        w.finish().unwrap();
        let r = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        assert_eq!(r.metadata().num_row_groups(), 1);
        let g = r.get_row_group(0).unwrap();
        // 24 bytes a text value, 8 a double: 7 and 3 pages of at most 1 MiB.
        for (c, want) in [(0, 7), (1, 3)] {
            let pages = g.get_column_page_reader(c).unwrap().count();
            assert_eq!(pages, want, "column {c}");
        }
        for (i, row) in r.get_row_iter(None).unwrap().enumerate() {
            let row = row.unwrap();
            let f: Vec<Field> = row.get_column_iter().map(|(_, f)| f.clone()).collect();
            assert_eq!(f[0], Field::Str(format!("{i:>20}")));
            let want = if i % 1000 == 7 {
                Field::Null
            } else {
                Field::Double(i as f64)
            };
            assert_eq!(f[1], want);
        }
    }
}
