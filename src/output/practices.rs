//! Per-practice output (`ccgsim run --practices`): `practices.csv`, one row per
//! replicate × CCG × month × practice, the agent-level table Mesa, NetLogo and
//! Agents.jl users expect. Its volume is bounded by a [`Selection`] (every K
//! months, chosen replicates and CCGs). Rows are formatted on the worker that
//! simulates the run, into a buffer of that run's rows only, and written in run
//! order like `timeseries.csv`, so memory does not grow with the run count.
//!
//! The columns are defined once, with exact types, in [`COLUMNS`] (docs/ODD.md
//! §6 gives their units): a writer for another format can consume the same list.

use crate::engine::RunId;
use crate::error::{Error, Result};
use crate::model::Ccg;
use crate::model::equations as eq;
use crate::output::tables::{RowPrefix, push_number};
use crate::scenario::{Params, Scenario};

/// The type of a column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text.
    Text,
    /// Unsigned integer (fits in a u32).
    Int,
    /// 64-bit float, written with up to six decimals.
    Float,
}

/// One column of `practices.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// snake_case name, as in the CSV header.
    pub name: &'static str,
    pub kind: Kind,
    /// May the cell be empty (undefined)?
    pub nullable: bool,
    /// Unit or range, as in the docs.
    pub unit: &'static str,
    pub doc: &'static str,
}

const fn col(name: &'static str, kind: Kind, unit: &'static str, doc: &'static str) -> Column {
    Column {
        name,
        kind,
        nullable: false,
        unit,
        doc,
    }
}

/// The columns of `practices.csv`, in order.
pub const COLUMNS: &[Column] = &[
    col(
        "scenario",
        Kind::Text,
        "text",
        "the scenario's `[scenario] name`",
    ),
    col("replicate", Kind::Int, "index", "replicate number, from 0"),
    col(
        "ccg",
        Kind::Int,
        "index",
        "CCG number within the scenario, from 0",
    ),
    col("month", Kind::Int, "months", "months since April 2013"),
    col(
        "practice",
        Kind::Int,
        "index",
        "practice number within its CCG, from 0 (fixed for the run)",
    ),
    col(
        "locality",
        Kind::Int,
        "index",
        "locality group of the practice, from 0 (fixed)",
    ),
    col(
        "list_size",
        Kind::Float,
        "patients",
        "registered list size, a real number drawn from the lognormal (fixed)",
    ),
    col(
        "gps",
        Kind::Float,
        "FTE GPs",
        "GP capacity: full-time-equivalent GPs, max(1, list_size / ccg.patients_per_gp) (fixed)",
    ),
    col(
        "conflicted",
        Kind::Int,
        "0/1",
        "1 if the practice also provides services the CCG commissions (fixed)",
    ),
    col(
        "leader",
        Kind::Int,
        "0/1",
        "1 if a GP of the practice holds a leadership post at month end",
    ),
    col(
        "tenure",
        Kind::Int,
        "months",
        "months served in the current term (leaders; 0 otherwise)",
    ),
    col(
        "ownership",
        Kind::Float,
        "0–1",
        "sense that the CCG belongs to its members",
    ),
    col(
        "engagement",
        Kind::Int,
        "level 0–3",
        "0 not, 1 somewhat, 2 moderately, 3 highly engaged",
    ),
    col(
        "workload",
        Kind::Float,
        "share of capacity",
        "demand over capacity this month (1 = at capacity)",
    ),
    col(
        "finance",
        Kind::Float,
        "0–1",
        "financial pressure on the practice, apart from the sanction penalty",
    ),
    col(
        "penalty",
        Kind::Float,
        "0–1 (finance units)",
        "sanction penalty the practice pays",
    ),
    Column {
        nullable: true,
        ..col(
            "burnout",
            Kind::Float,
            "0–1",
            "burnout of the practice's leader; empty when it holds no post",
        )
    },
];

/// The header line of `practices.csv`.
pub fn header() -> Vec<u8> {
    let mut h = COLUMNS
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(",")
        .into_bytes();
    h.push(b'\n');
    h
}

/// A set of replicate or CCG numbers, from a list like `0,1,5-9`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdList {
    /// Inclusive ranges, sorted and merged.
    ranges: Vec<(u32, u32)>,
}

impl IdList {
    /// Parse `text` given to `flag`: comma-separated numbers and `a-b` ranges
    /// (inclusive), in any order, overlaps allowed.
    pub fn parse(flag: &str, text: &str) -> Result<IdList> {
        let bad = |item: &str, why: &str| {
            Error::Usage(format!(
                "{flag} {text:?}: {why} in {item:?}; expected numbers and ranges such as 0,1,5-9"
            ))
        };
        let number = |item: &str, s: &str| -> Result<u32> {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(item, "not a whole number"));
            }
            s.parse::<u32>()
                .map_err(|_| bad(item, "a number beyond 4294967295"))
        };
        let mut ranges = Vec::new();
        for item in text.split(',') {
            let (a, b) = match item.split_once('-') {
                Some((a, b)) => (number(item, a)?, number(item, b)?),
                None => {
                    let a = number(item, item)?;
                    (a, a)
                }
            };
            if a > b {
                return Err(bad(item, "a range that ends before it starts"));
            }
            ranges.push((a, b));
        }
        ranges.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
        for (a, b) in ranges {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        Ok(IdList { ranges: merged })
    }

    pub fn contains(&self, x: u32) -> bool {
        let i = self.ranges.partition_point(|&(_, b)| b < x);
        self.ranges.get(i).is_some_and(|&(a, _)| a <= x)
    }

    /// The largest number in the list.
    pub fn max(&self) -> u32 {
        self.ranges.last().map_or(0, |r| r.1)
    }

    /// How many numbers in the list are below `n`.
    pub fn count_below(&self, n: u32) -> u64 {
        self.ranges
            .iter()
            .filter(|r| r.0 < n)
            .map(|&(a, b)| (b.min(n - 1) - a) as u64 + 1)
            .sum()
    }
}

impl std::fmt::Display for IdList {
    /// The canonical list: merged ranges in order, `0-3,5`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (k, &(a, b)) in self.ranges.iter().enumerate() {
            if k > 0 {
                f.write_str(",")?;
            }
            if a == b {
                write!(f, "{a}")?;
            } else {
                write!(f, "{a}-{b}")?;
            }
        }
        Ok(())
    }
}

/// The selection as the manifest records it (`None` = all).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Described {
    pub every: u32,
    pub replicates: Option<String>,
    pub ccgs: Option<String>,
}

/// Which rows `practices.csv` holds: months 0, K, 2K, … (and no other), of the
/// chosen replicates (all if `None`) and CCGs (all if `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub every: u32,
    pub replicates: Option<IdList>,
    pub ccgs: Option<IdList>,
}

/// The command-line names of the options, for messages.
pub const FLAG_EVERY: &str = "--practices-every";
pub const FLAG_REPLICATES: &str = "--practices-replicates";
pub const FLAG_CCGS: &str = "--practices-ccgs";

impl Default for Selection {
    fn default() -> Self {
        Selection {
            every: 1,
            replicates: None,
            ccgs: None,
        }
    }
}

impl Selection {
    /// From the raw option values; `every` must be at least 1.
    pub fn parse(
        every: Option<u32>,
        replicates: Option<&str>,
        ccgs: Option<&str>,
    ) -> Result<Selection> {
        let every = every.unwrap_or(1);
        if every == 0 {
            return Err(Error::Usage(format!(
                "{FLAG_EVERY} 0: the step must be at least 1 month (1 = every month)"
            )));
        }
        Ok(Selection {
            every,
            replicates: replicates
                .map(|s| IdList::parse(FLAG_REPLICATES, s))
                .transpose()?,
            ccgs: ccgs.map(|s| IdList::parse(FLAG_CCGS, s)).transpose()?,
        })
    }

    /// Refuse numbers the scenario does not have (a typo would otherwise
    /// silently select nothing). A step longer than the run writes month 0 only.
    pub fn check(&self, scn: &Scenario) -> Result<()> {
        let out_of = |flag: &str, list: &IdList, n: u32, what: &str| {
            if list.max() >= n {
                Err(Error::Usage(format!(
                    "{flag}: {} is out of range; this run has {n} {what} (numbered 0 to {})",
                    list.max(),
                    n.saturating_sub(1)
                )))
            } else {
                Ok(())
            }
        };
        if let Some(r) = &self.replicates {
            out_of(FLAG_REPLICATES, r, scn.replicates, "replicates")?;
        }
        if let Some(c) = &self.ccgs {
            out_of(FLAG_CCGS, c, scn.ccg_sizes().len() as u32, "CCGs")?;
        }
        Ok(())
    }

    /// The selection a manifest recorded, if it is well formed.
    pub fn from_described(d: &Described) -> Result<Selection> {
        Selection::parse(Some(d.every), d.replicates.as_deref(), d.ccgs.as_deref())
    }

    pub fn describe(&self) -> Described {
        Described {
            every: self.every,
            replicates: self.replicates.as_ref().map(|l| l.to_string()),
            ccgs: self.ccgs.as_ref().map(|l| l.to_string()),
        }
    }

    pub fn includes(&self, id: RunId) -> bool {
        self.replicates
            .as_ref()
            .is_none_or(|r| r.contains(id.replicate))
            && self.ccgs.as_ref().is_none_or(|c| c.contains(id.ccg))
    }

    pub fn includes_month(&self, t: u32) -> bool {
        t % self.every == 0
    }

    /// Months written per selected run, of months 0..=`months`.
    pub fn months_of(&self, months: u32) -> u64 {
        (months / self.every) as u64 + 1
    }

    /// Rows `practices.csv` will hold for `scn`.
    pub fn rows(&self, scn: &Scenario) -> u64 {
        self.rows_of(&scn.ccg_sizes(), scn.replicates, scn.months)
    }

    /// Rows for CCGs of `sizes`, `replicates` and months 0..=`months`.
    pub fn rows_of(&self, sizes: &[u32], replicates: u32, months: u32) -> u64 {
        let reps = self
            .replicates
            .as_ref()
            .map_or(replicates as u64, |r| r.count_below(replicates));
        let practices: u64 = sizes
            .iter()
            .enumerate()
            .filter(|(c, _)| self.ccgs.as_ref().is_none_or(|l| l.contains(*c as u32)))
            .map(|(_, &n)| n as u64)
            .sum();
        reps.saturating_mul(practices)
            .saturating_mul(self.months_of(months))
    }

    /// Upper bound of the bytes of one row (see [`ROW_VALUE_BYTES`]).
    pub fn row_bytes(&self, scn: &Scenario) -> u64 {
        let sizes = scn.ccg_sizes();
        let digits = |x: u64| x.checked_ilog10().map_or(1, |d| d as u64 + 1);
        let keys = digits(scn.replicates.saturating_sub(1) as u64)
            + digits(sizes.len().saturating_sub(1) as u64)
            + digits(scn.months as u64)
            + 2 * digits(sizes.iter().copied().max().unwrap_or(1) as u64);
        // The scenario cell as RowPrefix writes it: quoted, quotes doubled.
        let name = scn.name.len() as u64 + scn.name.matches('"').count() as u64 + 2;
        name + keys + ROW_VALUE_BYTES + COLUMNS.len() as u64
    }

    /// Upper bound of the bytes of `practices.csv` for `scn`, for the disk check.
    pub fn output_bytes(&self, scn: &Scenario) -> u64 {
        self.rows(scn)
            .saturating_mul(self.row_bytes(scn))
            .saturating_add(1024)
    }

    /// Bytes the largest selected run's rows take while its batch is held.
    pub fn run_memory_bytes(&self, scn: &Scenario) -> u64 {
        let largest = scn
            .ccg_sizes()
            .iter()
            .enumerate()
            .filter(|(c, _)| self.ccgs.as_ref().is_none_or(|l| l.contains(*c as u32)))
            .map(|(_, &n)| n as u64)
            .max()
            .unwrap_or(0);
        largest
            .saturating_mul(self.months_of(scn.months))
            .saturating_mul(self.row_bytes(scn))
    }
}

/// Widest text of the value cells of a row, without commas: `list_size` and
/// `gps` up to 16 characters (under 10⁹ with six decimals), `workload` up to
/// 12 (under 10⁵), the other shares 9 ("-0.123456"), the integer flags and
/// levels 1, `tenure` up to 4 (a term is at most the run's 1200 months). List
/// sizes are lognormal around a median of at most 100,000, so 10⁹ patients is
/// far beyond any draw; workload is a few times capacity at most.
pub const ROW_VALUE_BYTES: u64 = 16 + 16 + 1 + 1 + 4 + 9 + 1 + 12 + 9 + 9 + 9;

/// The rows of one run, formatted on its worker.
#[derive(Debug, Default)]
pub struct RunRows {
    pub bytes: Vec<u8>,
    pub rows: u64,
    /// The text of each practice's fixed cells (`practice` to `conflicted`,
    /// with their commas), formatted at its first month and copied after:
    /// `fixed[fixed_at[i]..fixed_at[i + 1]]` is practice i's.
    fixed: Vec<u8>,
    fixed_at: Vec<usize>,
}

impl RunRows {
    /// A buffer for one run of `practices` practices, sized up front for its
    /// rows of at most `row_bytes` each (as [`Selection::run_memory_bytes`]
    /// counts), so it does not grow.
    pub fn for_run(sel: &Selection, months: u32, practices: u32, row_bytes: u64) -> RunRows {
        let rows = sel.months_of(months).saturating_mul(practices as u64);
        RunRows {
            bytes: Vec::with_capacity(rows.saturating_mul(row_bytes) as usize),
            ..RunRows::default()
        }
    }

    /// Append month `t` of run `id`, whose CCG is `ccg` under parameters `p`.
    pub fn push_month(&mut self, scenario: &RowPrefix, id: RunId, t: u32, ccg: &Ccg, p: &Params) {
        let ps = &ccg.practices;
        let n = ps.len();
        let mut ib = itoa::Buffer::new();
        if self.fixed_at.len() != n + 1 {
            self.fixed.clear();
            self.fixed_at.clear();
            self.fixed_at.push(0);
            let out = &mut self.fixed;
            for i in 0..n {
                for x in [i as u64, ps.locality[i] as u64] {
                    out.extend_from_slice(ib.format(x).as_bytes());
                    out.push(b',');
                }
                let list = ps.list_size[i];
                for v in [list, eq::gps(p, list)] {
                    push_number(v, out);
                    out.push(b',');
                }
                out.extend_from_slice(if ps.conflicted[i] { b"1," } else { b"0," });
                self.fixed_at.push(out.len());
            }
        }
        let mut keys = Vec::with_capacity(64);
        keys.extend_from_slice(scenario.as_bytes());
        for k in [id.replicate, id.ccg, t] {
            keys.extend_from_slice(ib.format(k).as_bytes());
            keys.push(b',');
        }
        let out = &mut self.bytes;
        for i in 0..n {
            out.extend_from_slice(&keys);
            out.extend_from_slice(&self.fixed[self.fixed_at[i]..self.fixed_at[i + 1]]);
            let leader = ps.leader[i];
            out.extend_from_slice(if leader { b"1," } else { b"0," });
            out.extend_from_slice(ib.format(ps.tenure[i]).as_bytes());
            out.push(b',');
            push_number(ps.ownership[i], out);
            out.push(b',');
            out.push(b'0' + ps.engagement[i].min(9));
            out.push(b',');
            for v in [ps.workload[i], ps.finance[i], ps.penalty[i]] {
                push_number(v, out);
                out.push(b',');
            }
            if leader {
                push_number(ps.burnout[i], out);
            }
            out.push(b'\n');
        }
        self.rows += n as u64;
    }
}

/// The Parquet columns of `practices.parquet`: [`COLUMNS`] with their exact
/// types (integers as INT64, floats as DOUBLE and nullable: an empty cell,
/// such as `burnout` outside a post, is null).
#[cfg(feature = "parquet")]
pub fn parquet_columns() -> Vec<super::parquet::Column> {
    use super::parquet::{Column as PqColumn, ColumnType};
    COLUMNS
        .iter()
        .map(|c| {
            let ty = match c.kind {
                Kind::Text => ColumnType::Utf8,
                Kind::Int => ColumnType::Int64,
                Kind::Float => ColumnType::Float64,
            };
            // Doubles are always nullable, as in the run's other tables (a
            // required column would refuse an undefined value).
            PqColumn::new(c.name, ty, c.nullable || ty == ColumnType::Float64)
        })
        .collect()
}

/// `--practices --format parquet`: the staged `practices.csv` (written as for
/// CSV, streamed run by run) becomes `practices.parquet` with the exact types
/// of [`COLUMNS`], streamed in row groups (memory stays bounded); the staged
/// CSV, which only ccgsim's staging folder holds, is then removed.
#[cfg(feature = "parquet")]
pub fn to_parquet(
    csv_path: &std::path::Path,
    pq_path: &std::path::Path,
) -> Result<super::result_dir::FileInfo> {
    let info = super::parquet::convert_csv_with(csv_path, pq_path, parquet_columns())?;
    std::fs::remove_file(csv_path).map_err(|e| Error::io("remove", csv_path, e))?;
    Ok(info)
}

/// Without the `parquet` feature `--format parquet` is refused before any run.
#[cfg(not(feature = "parquet"))]
pub fn to_parquet(
    _csv_path: &std::path::Path,
    _pq_path: &std::path::Path,
) -> Result<super::result_dir::FileInfo> {
    Err(Error::Usage(
        "this ccgsim was built without the `parquet` cargo feature".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_parse_merge_and_count() {
        let l = IdList::parse("--x", "5-9,0,1,7,2-3").unwrap();
        assert_eq!(l.ranges, vec![(0, 3), (5, 9)]);
        for x in [0, 1, 2, 3, 5, 9] {
            assert!(l.contains(x), "{x}");
        }
        for x in [4, 10, 1000] {
            assert!(!l.contains(x), "{x}");
        }
        assert_eq!(l.max(), 9);
        assert_eq!(l.count_below(100), 9);
        assert_eq!(l.count_below(6), 5);
        assert_eq!(l.to_string(), "0-3,5-9");
        for bad in ["", "1,", "a", "3-1", "-1", "1-", "1.5", "99999999999", " "] {
            let e = IdList::parse("--x", bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            assert!(e.to_string().contains("--x"), "{e}");
        }
    }

    #[test]
    fn schema_matches_header_and_names_are_snake_case() {
        let h = String::from_utf8(header()).unwrap();
        let names: Vec<&str> = h.trim_end().split(',').collect();
        assert_eq!(names.len(), COLUMNS.len());
        for c in COLUMNS {
            assert!(
                c.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}",
                c.name
            );
        }
    }
}
