//! Parquet tables (`--format parquet`), written with the Apache `parquet` crate's
//! low-level column writer (no Arrow layer: it would double the build for no
//! gain here) and compressed with Snappy (pure Rust, fast, every reader has it).
//!
//! A table is a schema (column name and exact type) and rows pushed one value
//! at a time, in column order. Values collect in typed column buffers and a row
//! group is written every [`ROW_GROUP_ROWS`] rows, so memory stays bounded
//! however long the table. The bytes depend only on the rows: the writer's
//! `created_by` is fixed and no time is recorded, so the same rows give the
//! same file on any thread count.
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
use parquet::basic::{Compression, LogicalType, Repetition, Type as Physical};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::record::reader::RowIter;
use parquet::schema::types::Type;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows per row group: about 40 MB of buffered values for a timeseries table
/// (~35 columns × 8 bytes), and groups large enough to compress well.
pub const ROW_GROUP_ROWS: usize = 1 << 17;

/// The `created_by` written into every file (fixed: no build or time in it).
pub const CREATED_BY: &str = concat!("ccgsim ", env!("CARGO_PKG_VERSION"));

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

fn schema(cols: &[Column]) -> Result<Type> {
    let fields = cols
        .iter()
        .map(|c| {
            let (physical, logical) = match c.ty {
                ColumnType::Utf8 => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
                ColumnType::Int64 => (Physical::INT64, None),
                ColumnType::Float64 => (Physical::DOUBLE, None),
            };
            Type::primitive_type_builder(&c.name, physical)
                .with_repetition(if c.nullable {
                    Repetition::OPTIONAL
                } else {
                    Repetition::REQUIRED
                })
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(pq_error)?;
    Type::group_type_builder("schema")
        .with_fields(fields)
        .build()
        .map_err(pq_error)
}

fn pq_error(e: parquet::errors::ParquetError) -> Error {
    Error::Refused(format!("parquet: {e}"))
}

/// The hashed file under the Parquet writer.
struct Sink(HashedFile);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .write(buf, 0)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One column's values of the row group being filled; nulls are only in the
/// definition levels (1 = present, 0 = null) of nullable columns.
enum Values {
    Utf8(Vec<ByteArray>),
    Int64(Vec<i64>),
    Float64(Vec<f64>),
}

/// A Parquet table being written into a result folder (see the module doc).
pub struct TableWriter {
    path: PathBuf,
    writer: SerializedFileWriter<Sink>,
    cols: Vec<Column>,
    values: Vec<Values>,
    defs: Vec<Vec<i16>>,
    /// Column the next pushed value belongs to.
    next: usize,
    group_rows: usize,
    rows_in_group: usize,
    rows: u64,
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
        let props = WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_compression(Compression::SNAPPY)
            .set_created_by(CREATED_BY.to_string())
            // Plain encoding: dictionaries cost the single writer thread about
            // 17% more CPU for 11% smaller files (England × 20, measured).
            .set_dictionary_enabled(false)
            .build();
        let file = HashedFile::create(path)?;
        let writer = SerializedFileWriter::new(Sink(file), Arc::new(schema(&cols)?), props.into())
            .map_err(|e| Error::Refused(format!("{}: {e}", path.display())))?;
        let values = cols
            .iter()
            .map(|c| match c.ty {
                ColumnType::Utf8 => Values::Utf8(Vec::new()),
                ColumnType::Int64 => Values::Int64(Vec::new()),
                ColumnType::Float64 => Values::Float64(Vec::new()),
            })
            .collect();
        Ok(TableWriter {
            path: path.to_path_buf(),
            writer,
            defs: vec![Vec::new(); cols.len()],
            cols,
            values,
            next: 0,
            group_rows: group_rows.max(1),
            rows_in_group: 0,
            rows: 0,
        })
    }

    pub fn columns(&self) -> &[Column] {
        &self.cols
    }

    fn advance(&mut self, present: bool) {
        let c = self.next;
        if self.cols[c].nullable {
            self.defs[c].push(present as i16);
        } else {
            assert!(present, "null in required column {}", self.cols[c].name);
        }
        self.next += 1;
    }

    /// The next value, a text column's.
    pub fn push_text(&mut self, v: &ByteArray) {
        match &mut self.values[self.next] {
            Values::Utf8(b) => b.push(v.clone()),
            _ => panic!("column {} is not text", self.cols[self.next].name),
        }
        self.advance(true);
    }

    /// The next value, a whole-number column's (`None`: null).
    pub fn push_int(&mut self, v: Option<i64>) {
        match (&mut self.values[self.next], v) {
            (Values::Int64(b), Some(v)) => b.push(v),
            (Values::Int64(_), None) => {}
            _ => panic!("column {} is not whole numbers", self.cols[self.next].name),
        }
        self.advance(v.is_some());
    }

    /// The next value, a double column's (NaN: null).
    pub fn push_float(&mut self, v: f64) {
        let present = !v.is_nan();
        match &mut self.values[self.next] {
            Values::Float64(b) if present => b.push(v),
            Values::Float64(_) => {}
            _ => panic!("column {} is not doubles", self.cols[self.next].name),
        }
        self.advance(present);
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

    fn flush_group(&mut self) -> Result<()> {
        if self.rows_in_group == 0 {
            return Ok(());
        }
        let path = self.path.clone();
        let err =
            |e: parquet::errors::ParquetError| Error::Refused(format!("{}: {e}", path.display()));
        let mut rg = self.writer.next_row_group().map_err(err)?;
        let mut i = 0;
        while let Some(mut col) = rg.next_column().map_err(err)? {
            let def = self.cols[i].nullable.then_some(&self.defs[i][..]);
            match &self.values[i] {
                Values::Utf8(v) => col.typed::<ByteArrayType>().write_batch(v, def, None),
                Values::Int64(v) => col.typed::<Int64Type>().write_batch(v, def, None),
                Values::Float64(v) => col.typed::<DoubleType>().write_batch(v, def, None),
            }
            .map_err(err)?;
            col.close().map_err(err)?;
            i += 1;
        }
        rg.close().map_err(err)?;
        for v in &mut self.values {
            match v {
                Values::Utf8(b) => b.clear(),
                Values::Int64(b) => b.clear(),
                Values::Float64(b) => b.clear(),
            }
        }
        for d in &mut self.defs {
            d.clear();
        }
        self.rows_in_group = 0;
        Ok(())
    }

    /// Write the last row group and the footer; bytes, data rows and hash for the manifest.
    pub fn finish(mut self) -> Result<FileInfo> {
        assert_eq!(self.next, 0, "an unfinished row");
        self.flush_group()?;
        let path = self.path.clone();
        let Sink(file) = self
            .writer
            .into_inner()
            .map_err(|e| Error::Refused(format!("{}: {e}", path.display())))?;
        let mut info = file.finish()?;
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
                ColumnType::Utf8 => w.push_text(&ByteArray::from(cell)),
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
        let name = ByteArray::from("a,b");
        for i in 0..50i64 {
            w.push_text(&name);
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
}
