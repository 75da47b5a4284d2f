//! How big a run's output will be, checked against the free space where it is
//! written, so a request that cannot fit is refused before any work is done
//! (a full disk hours into a run wastes the night).

use crate::error::{Error, Result};
use crate::model::Observation;
use crate::scenario::Scenario;
use std::path::{Path, PathBuf};

/// Widest value cell: a sign or two integer digits, point, six decimals ("-0.123456", "22.123456").
/// Every observation lies inside (-100, 100) or is a count of at most 4 digits.
const MAX_VALUE_CHARS: u64 = 9;
/// Widest `failed` + `failed_month` pair with its commas.
const MAX_OUTCOME_CHARS: u64 = 1 + 1 + 4 + 1;
/// Header lines, with room to spare.
const HEADER_BYTES: u64 = 1024;

fn digits(x: u64) -> u64 {
    x.checked_ilog10().map_or(1, |d| d as u64 + 1)
}

/// Upper bound of the bytes of one row's value cells, commas and newline.
fn values_bytes() -> u64 {
    let n = Observation::COLUMNS.len() as u64;
    n * MAX_VALUE_CHARS + n + 1
}

/// Upper bounds of (timeseries.csv, summary.csv) bytes for a scenario.
pub fn run_output_bytes(scn: &Scenario) -> (u64, u64) {
    let sizes = scn.ccg_sizes();
    let reps = scn.replicates as u64;
    let months = scn.months as u64 + 1;
    let key_bytes = digits(reps.saturating_sub(1))
        + digits(sizes.len().saturating_sub(1) as u64)
        + digits(sizes.iter().copied().max().unwrap_or(1) as u64)
        + 3;
    let runs = reps.saturating_mul(sizes.len() as u64);
    let ts_row = key_bytes + digits(months) + 1 + values_bytes();
    let sm_row = key_bytes + values_bytes() + MAX_OUTCOME_CHARS;
    (
        runs.saturating_mul(months)
            .saturating_mul(ts_row)
            .saturating_add(HEADER_BYTES),
        runs.saturating_mul(sm_row).saturating_add(HEADER_BYTES),
    )
}

/// Bytes one CCG-run holds in memory while its batch is formatted: its monthly
/// observations plus their CSV text.
pub fn run_memory_bytes(scn: &Scenario) -> u64 {
    let months = scn.months as u64 + 1;
    let max_practices = scn.ccg_sizes().into_iter().max().unwrap_or(1) as u64;
    let (ts, _) = {
        let mut one = scn.clone();
        one.replicates = 1;
        one.population = None;
        one.params.ccg.practices = max_practices as u32;
        run_output_bytes(&one)
    };
    months * std::mem::size_of::<Observation>() as u64 + ts + max_practices * 128
}

/// The nearest folder at or above `path` that exists (where the output will land).
fn existing_ancestor(path: &Path) -> PathBuf {
    let mut p = if path.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        path.to_path_buf()
    };
    loop {
        if p.is_dir() {
            return p;
        }
        match p.parent() {
            Some(q) if !q.as_os_str().is_empty() => p = q.to_path_buf(),
            _ => return PathBuf::from("."),
        }
    }
}

/// "1.2 GB" style sizes for messages.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 6] = ["bytes", "kB", "MB", "GB", "TB", "PB"];
    let mut x = b as f64;
    let mut u = 0;
    while x >= 1000.0 && u + 1 < UNITS.len() {
        x /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} bytes")
    } else {
        format!("{x:.1} {}", UNITS[u])
    }
}

/// Refuse (exit 1) when `needed` bytes will not fit on the file system holding `out`.
pub fn check_free_space(out: &Path, needed: u64) -> Result<()> {
    let dir = existing_ancestor(out);
    let free =
        fs4::available_space(&dir).map_err(|e| Error::io("measure free space in", &dir, e))?;
    if needed > free {
        return Err(Error::Refused(format!(
            "the result would need up to {} but only {} is free in {}; free some space, choose another --out, \
             or lower replicates/months (pass --no-space-check if the file system misreports free space)",
            human_bytes(needed),
            human_bytes(free),
            dir.display()
        )));
    }
    Ok(())
}

/// Memory the system can give now (Linux `MemAvailable`), if known.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.saturating_mul(1024))
}

/// Bytes of memory a command may plan for at most, if set (tests, shared machines).
pub const ENV_MEMORY_LIMIT: &str = "CCGSIM_MEMORY_LIMIT";

/// Memory one command may plan to hold when the system does not say.
pub const DEFAULT_MEMORY_LIMIT: u64 = 8 << 30;

/// `Err(message)` when `needed` bytes of memory for `what` exceed what is
/// available (or [`DEFAULT_MEMORY_LIMIT`] where that is unknown): refused
/// before any work, as `run` refuses a result larger than the free disk.
pub fn check_memory(needed: u64, what: &str) -> std::result::Result<(), String> {
    let mut limit = available_memory().unwrap_or(DEFAULT_MEMORY_LIMIT);
    // Testing hook (and a way to be more careful on a shared machine).
    if let Some(cap) = std::env::var(ENV_MEMORY_LIMIT)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        limit = limit.min(cap);
    }
    if needed > limit {
        return Err(format!(
            "{what} would need about {} of memory, but only {} is available; make it smaller",
            human_bytes(needed),
            human_bytes(limit)
        ));
    }
    Ok(())
}

/// Bytes `ccgsim compare` holds per CCG-run of one side: its summary.csv row
/// and its outcomes (see `compare::Side`).
pub const COMPARE_BYTES_PER_RUN: u64 = 512;

/// Upper bound of the bytes of one run figure as PNG plus SVG. Figures are a
/// fixed 1100 × 650 pixels and their SVG series are thinned, so their size does
/// not grow with the run: the largest measured was 234 kB (PNG) + 29 kB (SVG),
/// 120 months × 4 CCG sizes (docs/RELIABILITY.md); the bound leaves ~40% room.
pub const FIGURE_BYTES: u64 = 320_000 + 64_000;

/// Upper bound of the bytes of a run's figures (plots/), for the disk check.
pub fn run_figure_bytes(_scn: &Scenario) -> u64 {
    crate::plot::run_figures::FIGURES.len() as u64 * FIGURE_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_and_sizes() {
        assert_eq!(digits(0), 1);
        assert_eq!(digits(9), 1);
        assert_eq!(digits(10), 2);
        assert_eq!(human_bytes(999), "999 bytes");
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
    }

    #[test]
    fn ancestor_of_missing_path_exists() {
        let d = tempfile::tempdir().unwrap();
        let deep = d.path().join("a/b/c");
        assert_eq!(existing_ancestor(&deep), d.path());
    }
}
