//! The table format of a result (`--format csv|parquet`) and a reader that
//! gives the rows of either as CSV text records, so every command that reads
//! results reads both through one code path.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// How a result's tables are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma-separated text (the default).
    #[default]
    Csv,
    /// Apache Parquet, Snappy-compressed, exact column types.
    Parquet,
}

impl Format {
    /// `csv` or `parquet`; anything else is a usage error (exit 2).
    pub fn parse(s: &str) -> Result<Format> {
        match s {
            "csv" => Ok(Format::Csv),
            "parquet" if cfg!(feature = "parquet") => Ok(Format::Parquet),
            "parquet" => Err(Error::Usage(
                "--format parquet: this ccgsim was built without the `parquet` cargo feature; \
                 rebuild with default features (cargo build --release) or use --format csv"
                    .into(),
            )),
            other => Err(Error::Usage(format!(
                "--format {other}: expected csv or parquet"
            ))),
        }
    }

    /// For `skip_serializing_if`: CSV results' manifests do not name their format.
    pub fn is_csv(&self) -> bool {
        *self == Format::Csv
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }

    /// The file name of table `stem` (`timeseries`, `summary`, …) in this format.
    pub fn file(self, stem: &str) -> String {
        format!("{stem}.{}", self.extension())
    }

    /// The format of a result whose manifest lists `names`: Parquet if it lists
    /// `stem.parquet`, else CSV.
    pub fn of_listing<'a>(stem: &str, mut names: impl Iterator<Item = &'a String>) -> Format {
        let pq = Format::Parquet.file(stem);
        if names.any(|n| *n == pq) {
            Format::Parquet
        } else {
            Format::Csv
        }
    }
}

/// A CSV reading error: the file's I/O error, or a usage error for a file
/// that is not valid CSV.
fn csv_error(path: &Path, e: csv::Error) -> Error {
    let msg = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io("read", path, io),
        _ => Error::Usage(format!("{} is not valid CSV: {msg}", path.display())),
    }
}

/// `dir/stem.parquet` if it exists, else `dir/stem.csv`: where a result's table is.
pub fn table_path(dir: &Path, stem: &str) -> PathBuf {
    let pq = dir.join(Format::Parquet.file(stem));
    if pq.is_file() {
        pq
    } else {
        dir.join(Format::Csv.file(stem))
    }
}

/// A whole Parquet table as the CSV text it would be (at most `limit` bytes),
/// for readers that parse a small table (stats, indices) from text.
pub fn parquet_as_csv(path: &Path, limit: u64) -> Result<String> {
    let too_big = || {
        Error::Refused(format!(
            "{} is larger than {limit} bytes, more than this table can be",
            path.display()
        ))
    };
    let mut r = Records::open(path)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(r.headers()).expect("memory");
    let mut rec = csv::StringRecord::new();
    while r.read(&mut rec)? {
        w.write_record(&rec).expect("memory");
        if w.get_ref().len() as u64 > limit {
            return Err(too_big());
        }
    }
    String::from_utf8(w.into_inner().expect("memory")).map_err(|_| too_big())
}

/// Is `path` a Parquet table (by its name)?
pub fn is_parquet(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "parquet")
}

/// Rows of a CSV or Parquet table (by the file's extension) as text records.
pub enum Records {
    Csv(
        Box<csv::Reader<std::io::BufReader<std::fs::File>>>,
        PathBuf,
        csv::StringRecord,
    ),
    #[cfg(feature = "parquet")]
    Parquet(super::parquet::Records),
}

impl Records {
    pub fn open(path: &Path) -> Result<Records> {
        if is_parquet(path) {
            #[cfg(feature = "parquet")]
            return super::parquet::Records::open(path).map(Records::Parquet);
            #[cfg(not(feature = "parquet"))]
            return Err(Error::Usage(format!(
                "{} is a Parquet table, but this ccgsim was built without the `parquet` cargo feature",
                path.display()
            )));
        }
        let f = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
        let mut r =
            csv::ReaderBuilder::new().from_reader(std::io::BufReader::with_capacity(1 << 20, f));
        let header = r.headers().map_err(|e| csv_error(path, e))?.clone();
        Ok(Records::Csv(Box::new(r), path.to_path_buf(), header))
    }

    pub fn headers(&self) -> &csv::StringRecord {
        match self {
            Records::Csv(_, _, header) => header,
            #[cfg(feature = "parquet")]
            Records::Parquet(r) => r.headers(),
        }
    }

    /// The next row into `rec`; false at the end.
    pub fn read(&mut self, rec: &mut csv::StringRecord) -> Result<bool> {
        match self {
            Records::Csv(r, path, _) => r.read_record(rec).map_err(|e| csv_error(path, e)),
            #[cfg(feature = "parquet")]
            Records::Parquet(r) => r.read(rec),
        }
    }
}
