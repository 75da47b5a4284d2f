//! Is a result folder whole? Re-reads every file a `manifest.json` lists and
//! compares bytes, data rows and BLAKE3 hash, so `ccgsim check-result` can tell a
//! complete result from a partial (unfinished) or tampered (changed) one.
//!
//! The manifest is read as plain JSON, not as [`super::Manifest`], so results of
//! every command (run, sweep, …) are checked by the same rules: a top-level
//! `complete` flag, a `files` map of name → {rows, bytes, blake3}, and where
//! present a `scenario_hash` that must match the resolved `scenario` it sits beside.

use crate::error::{Error, Result};
use serde_json::Value;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Component, Path};

/// Outcome, from best to worst; a folder's verdict is its worst finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Complete,
    /// The run did not finish: no manifest, or one that says `complete: false`.
    Partial,
    /// Something differs from what the manifest records.
    Tampered,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Complete => "complete",
            Verdict::Partial => "partial",
            Verdict::Tampered => "tampered",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub verdict: Verdict,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Verification {
    pub verdict: Verdict,
    /// Problems found (empty for a complete result).
    pub findings: Vec<Finding>,
    /// Files checked and found as recorded.
    pub checked: Vec<String>,
    /// Files in the folder that the manifest does not list (not an error: notes
    /// or plots may be added beside a result).
    pub unlisted: Vec<String>,
}

impl Verification {
    fn flag(&mut self, verdict: Verdict, message: String) {
        self.verdict = self.verdict.max(verdict);
        self.findings.push(Finding { verdict, message });
    }
}

/// Largest manifest.json read (a sweep's lists its base scenario; a few MB at most).
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// Why a file in the result folder is not read.
#[derive(Debug)]
pub enum Unreadable {
    Missing,
    /// A link that leaves the folder, a FIFO, a device, a folder…
    NotPlain(String),
    Io(std::io::Error),
}

/// Open `dir/name` only if it is a regular file inside `dir`: a symbolic link
/// may point only inside the folder, and FIFOs and devices are refused before
/// they are opened (a FIFO would block, /dev/zero would never end).
pub fn open_inside(dir: &Path, name: &str) -> std::result::Result<(File, u64), Unreadable> {
    let path = dir.join(name);
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Unreadable::Missing),
        Err(e) => return Err(Unreadable::Io(e)),
    };
    if meta.file_type().is_symlink() {
        let (Ok(real), Ok(root)) = (path.canonicalize(), dir.canonicalize()) else {
            return Err(Unreadable::NotPlain("a broken symbolic link".into()));
        };
        if !real.starts_with(&root) {
            return Err(Unreadable::NotPlain(format!(
                "a symbolic link leaving the result folder (to {})",
                real.display()
            )));
        }
    }
    let meta = std::fs::metadata(&path).map_err(Unreadable::Io)?;
    if !meta.is_file() {
        return Err(Unreadable::NotPlain(
            if meta.is_dir() {
                "a folder"
            } else {
                "not a regular file (a pipe or device)"
            }
            .into(),
        ));
    }
    let f = File::open(&path).map_err(Unreadable::Io)?;
    Ok((f, meta.len()))
}

/// Rows, bytes and hash of a file as it is on disk, reading at most
/// `limit + 1` bytes (enough to see it differs from a record of `limit`).
/// Only CSV tables have rows (lines − header); figures and other files count 0.
fn measure(f: File, csv: bool, limit: u64) -> std::io::Result<(u64, u64, String)> {
    let mut r = BufReader::with_capacity(1 << 20, f.take(limit.saturating_add(1)));
    let mut hasher = blake3::Hasher::new();
    let (mut bytes, mut lines) = (0u64, 0u64);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
    Ok((
        if csv { lines.saturating_sub(1) } else { 0 },
        bytes,
        hasher.finalize().to_hex().to_string(),
    ))
}

/// The first key that appears twice in one JSON object, if any (serde_json
/// keeps the last silently: `"complete": false, …, "complete": true`).
pub fn duplicate_key(json: &[u8]) -> Option<String> {
    use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
    struct Dup(Option<String>);
    struct V<'a>(&'a mut Option<String>);
    impl<'de> serde::de::DeserializeSeed<'de> for V<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for V<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> std::result::Result<(), A::Error> {
            while a.next_element_seed(V(&mut *self.0))?.is_some() {}
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> std::result::Result<(), A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(k) = a.next_key::<String>()? {
                if !seen.insert(k.clone()) && self.0.is_none() {
                    *self.0 = Some(k);
                }
                a.next_value_seed(V(&mut *self.0))?;
            }
            Ok(())
        }
    }
    let mut dup = Dup(None);
    let mut de = serde_json::Deserializer::from_slice(json);
    let _ = serde::de::DeserializeSeed::deserialize(V(&mut dup.0), &mut de);
    dup.0
}

/// A manifest file name must stay inside the result folder.
fn safe_name(name: &str) -> bool {
    let p = Path::new(name);
    !name.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

/// The result folder a staging folder `.NAME.partial-PID` was for (`NAME`),
/// if `dir` is named as one (see `ResultDir::create`).
fn staging_target(dir: &Path) -> Option<String> {
    let name = dir.file_name()?.to_str()?;
    let (target, pid) = name.strip_prefix('.')?.rsplit_once(".partial-")?;
    (!target.is_empty() && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        .then(|| target.to_string())
}

/// Check the result folder `dir`. Errors only when `dir` cannot be read at all.
pub fn verify(dir: &Path) -> Result<Verification> {
    if !dir.is_dir() {
        return Err(Error::Refused(format!(
            "{} is not a folder; give a result folder written by ccgsim",
            dir.display()
        )));
    }
    let mut v = Verification {
        verdict: Verdict::Complete,
        findings: Vec::new(),
        checked: Vec::new(),
        unlisted: Vec::new(),
    };
    if let Some(target) = staging_target(dir) {
        // Its files may all be there and sealed: a run writes the manifest
        // into the staging folder, then moves the folder into place. Killed
        // between the two, it leaves a folder that would check as complete
        // but was never delivered as a result.
        v.flag(
            Verdict::Partial,
            format!(
                "a staging folder: a run into {target} stopped before moving it into place \
                 (the next run into {target} removes it)"
            ),
        );
        return Ok(v);
    }
    let manifest_path = dir.join("manifest.json");
    let text = match open_inside(dir, "manifest.json") {
        Ok((f, len)) if len <= MAX_MANIFEST_BYTES => {
            let mut t = Vec::new();
            f.take(MAX_MANIFEST_BYTES + 1)
                .read_to_end(&mut t)
                .map_err(|e| Error::io("read", &manifest_path, e))?;
            t
        }
        Ok((_, len)) => {
            v.flag(
                Verdict::Tampered,
                format!("manifest.json is {len} bytes; a ccgsim manifest is at most {MAX_MANIFEST_BYTES}"),
            );
            return Ok(v);
        }
        Err(Unreadable::Missing) => {
            let why = if dir.join("partial.json").is_file() {
                "no manifest.json: a sweep that is running or was interrupted; \
                 run the same sweep command again to resume it"
            } else {
                "no manifest.json: the run did not finish (or this is not a ccgsim result)"
            };
            v.flag(Verdict::Partial, why.into());
            return Ok(v);
        }
        Err(Unreadable::NotPlain(what)) => {
            v.flag(
                Verdict::Tampered,
                format!("manifest.json is {what}; it was not read"),
            );
            return Ok(v);
        }
        Err(Unreadable::Io(e)) => return Err(Error::io("read", &manifest_path, e)),
    };
    if let Some(k) = duplicate_key(&text) {
        v.flag(
            Verdict::Tampered,
            format!("manifest.json has the key `{k}` twice in one object (edited by hand?)"),
        );
        return Ok(v);
    }
    let m: Value = match serde_json::from_slice(&text) {
        Ok(m @ Value::Object(_)) => m,
        Ok(_) => {
            v.flag(
                Verdict::Tampered,
                "manifest.json is not a JSON object".into(),
            );
            return Ok(v);
        }
        Err(e) => {
            v.flag(
                Verdict::Tampered,
                format!("manifest.json is not valid JSON: {e}"),
            );
            return Ok(v);
        }
    };

    match m.get("complete") {
        Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => v.flag(
            Verdict::Partial,
            "manifest.json says the result is not complete (the run stopped early)".into(),
        ),
        _ => v.flag(
            Verdict::Tampered,
            "manifest.json has no true/false `complete` flag".into(),
        ),
    }
    if let Some(hash) = m.get("scenario_hash") {
        match m.get("scenario") {
            Some(scn) => {
                let actual = blake3::hash(scn.to_string().as_bytes())
                    .to_hex()
                    .to_string();
                if hash.as_str() != Some(actual.as_str()) {
                    v.flag(
                        Verdict::Tampered,
                        "the scenario recorded in manifest.json does not match its scenario_hash"
                            .into(),
                    );
                }
            }
            None => v.flag(
                Verdict::Tampered,
                "manifest.json has a scenario_hash but no scenario".into(),
            ),
        }
    }

    let Some(Value::Object(files)) = m.get("files") else {
        v.flag(
            Verdict::Tampered,
            "manifest.json has no `files` table".into(),
        );
        return Ok(v);
    };
    if files.is_empty() {
        v.flag(Verdict::Tampered, "manifest.json lists no files".into());
    }
    for (name, info) in files {
        if !safe_name(name) {
            v.flag(
                Verdict::Tampered,
                format!("manifest.json lists `{name}`, which is outside the result folder"),
            );
            continue;
        }
        let want = (
            info.get("rows").and_then(Value::as_u64),
            info.get("bytes").and_then(Value::as_u64),
            info.get("blake3").and_then(Value::as_str),
        );
        let (Some(rows), Some(bytes), Some(hash)) = want else {
            v.flag(
                Verdict::Tampered,
                format!("manifest.json entry for {name} lacks rows, bytes or blake3"),
            );
            continue;
        };
        let path = dir.join(name);
        let (got_rows, got_bytes, got_hash) = match open_inside(dir, name) {
            Ok((f, _)) => {
                let (mut got_rows, got_bytes, got_hash) = measure(f, name.ends_with(".csv"), bytes)
                    .map_err(|e| Error::io("read", &path, e))?;
                if super::format::is_parquet(Path::new(name)) {
                    got_rows = parquet_rows(&path, rows);
                }
                (got_rows, got_bytes, got_hash)
            }
            Err(Unreadable::Missing) => {
                v.flag(Verdict::Tampered, format!("{name} is listed but missing"));
                continue;
            }
            Err(Unreadable::NotPlain(what)) => {
                v.flag(
                    Verdict::Tampered,
                    format!("{name} is {what}; it was not read"),
                );
                continue;
            }
            Err(Unreadable::Io(e)) => return Err(Error::io("read", &path, e)),
        };
        let mut ok = true;
        if got_bytes != bytes {
            ok = false;
            v.flag(
                Verdict::Tampered,
                format!("{name} has {got_bytes} bytes, the manifest records {bytes}"),
            );
        }
        if got_rows != rows {
            ok = false;
            v.flag(
                Verdict::Tampered,
                format!("{name} has {got_rows} data rows, the manifest records {rows}"),
            );
        }
        if got_hash != hash {
            ok = false;
            v.flag(
                Verdict::Tampered,
                format!("{name} does not match its BLAKE3 hash in the manifest"),
            );
        }
        if ok {
            v.checked.push(name.clone());
        }
    }
    match m.get("kind").and_then(Value::as_str) {
        Some("run") => expected_run_rows(&m, files, &mut v),
        Some("sweep") => {
            expected_sweep_rows(&m, files, &mut v);
            sweep_identity(&m, files, &mut v);
        }
        Some("compare") => require(files, &["compare.csv"], "a compare", &mut v),
        Some("plot") => {}
        Some(other) => v.flag(
            Verdict::Tampered,
            format!("manifest.json names an unknown kind of result `{other}`"),
        ),
        None => v.flag(
            Verdict::Tampered,
            "manifest.json does not say what kind of result it is".into(),
        ),
    }
    // A manifest that says it is incomplete is already unusable (partial).
    let says_incomplete = m.get("complete") == Some(&Value::Bool(false));
    match m.get(super::manifest::SEAL) {
        _ if says_incomplete => {}
        Some(_) if !super::manifest::seal_matches(&m) => v.flag(
            Verdict::Tampered,
            "manifest.json was edited: its fields do not match its manifest_blake3 seal".into(),
        ),
        Some(_) => {}
        None if matches!(m.get("kind").and_then(Value::as_str), Some("run" | "sweep")) => v.flag(
            Verdict::Tampered,
            "manifest.json has no manifest_blake3 seal (every run and sweep manifest has one)"
                .into(),
        ),
        None => {}
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut extra: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n != "manifest.json" && !files.contains_key(n))
            // A folder whose files are listed (e.g. plots/) is checked through them.
            .filter(|n| !files.keys().any(|k| k.starts_with(&format!("{n}/"))))
            .collect();
        extra.sort();
        v.unlisted = extra;
    }
    Ok(v)
}

/// Data rows of a Parquet table, from its footer (0 if it is not readable
/// Parquet). Built without Parquet support, the rows cannot be counted and the
/// manifest's `recorded` is taken (the BLAKE3 hash still covers every byte).
fn parquet_rows(path: &Path, recorded: u64) -> u64 {
    #[cfg(feature = "parquet")]
    {
        let _ = recorded;
        super::parquet::footer_rows(path).unwrap_or(0)
    }
    #[cfg(not(feature = "parquet"))]
    {
        let _ = path;
        recorded
    }
}

/// A sweep (or shard) result holds one points.csv row per design point and one
/// runs.csv row per run in its range.
fn expected_sweep_rows(m: &Value, files: &serde_json::Map<String, Value>, v: &mut Verification) {
    let get = |k: &str| m.get(k).and_then(Value::as_u64);
    let format = super::Format::of_listing("runs", files.keys());
    let (points_table, runs_table) = (format.file("points"), format.file("runs"));
    let rows = |f: &str| {
        files
            .get(f)
            .and_then(|f| f.get("rows"))
            .and_then(Value::as_u64)
    };
    if let (Some(points), Some(got)) = (get("points"), rows(&points_table)) {
        if points != got {
            v.flag(
                Verdict::Tampered,
                format!(
                    "{points_table}: the manifest records {got} rows but the sweep has {points} points"
                ),
            );
        }
    }
    if let (Some(first), Some(end)) = (get("first_run"), get("end_run")) {
        let want = end.saturating_sub(first);
        match rows(&runs_table) {
            Some(got) if got == want => {}
            Some(got) => v.flag(
                Verdict::Tampered,
                format!("{runs_table}: the manifest records {got} rows but runs {first} to {end} make {want}"),
            ),
            None => v.flag(
                Verdict::Tampered,
                format!("a sweep result must list {runs_table} in its manifest"),
            ),
        }
    }
}

/// Every file in `names` must be listed (and was checked above).
fn require(
    files: &serde_json::Map<String, Value>,
    names: &[&str],
    what: &str,
    v: &mut Verification,
) {
    for n in names {
        if !files.contains_key(*n) {
            v.flag(
                Verdict::Tampered,
                format!("{what} result must hold {n}, but its manifest does not list it"),
            );
        }
    }
}

/// The files a sweep result must hold, and its identifying numbers checked
/// against each other and against the base scenario it records.
fn sweep_identity(m: &Value, files: &serde_json::Map<String, Value>, v: &mut Verification) {
    let whole = m.pointer("/shard/count").and_then(Value::as_u64) == Some(1);
    let quantiles = m.get("timeseries_quantiles").is_some_and(|q| !q.is_null());
    let mut need = vec!["points", "runs"];
    match (whole, quantiles) {
        (true, true) => need.extend(["stats", "timeseries_quantiles"]),
        (true, false) => need.push("stats"),
        (false, true) => need.push("timeseries_runs"),
        (false, false) => {}
    }
    let format = super::Format::of_listing("runs", files.keys());
    let need: Vec<String> = need.into_iter().map(|t| format.file(t)).collect();
    let need: Vec<&str> = need.iter().map(String::as_str).collect();
    require(files, &need, "a sweep", v);
    let get = |k: &str| m.get(k).and_then(Value::as_u64);
    let sizes = m
        .get("ccg_sizes")
        .and_then(Value::as_array)
        .map(|a| a.len() as u64);
    let (Some(points), Some(reps), Some(ccgs), Some(rpp), Some(total)) = (
        get("points"),
        get("replicates"),
        sizes,
        get("runs_per_point"),
        get("total_runs"),
    ) else {
        v.flag(
            Verdict::Tampered,
            "manifest.json lacks points, replicates, ccg_sizes, runs_per_point or total_runs"
                .into(),
        );
        return;
    };
    if reps.checked_mul(ccgs) != Some(rpp) || points.checked_mul(rpp) != Some(total) {
        v.flag(
            Verdict::Tampered,
            format!(
                "manifest.json: {reps} replicates × {ccgs} CCG(s) × {points} points do not make its \
                 {rpp} runs per point and {total} runs"
            ),
        );
    }
    let base = m.get("base_scenario");
    if base
        .and_then(|b| b.get("replicates"))
        .and_then(Value::as_u64)
        != Some(reps)
    {
        v.flag(
            Verdict::Tampered,
            "manifest.json: `replicates` differs from its base scenario's".into(),
        );
    }
    if let Some(sweep_hash) = m.get("sweep_hash").and_then(Value::as_str) {
        if sweep_hash.len() != 64 || !sweep_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            v.flag(
                Verdict::Tampered,
                "manifest.json: `sweep_hash` is not a BLAKE3 hash".into(),
            );
        }
    } else {
        v.flag(Verdict::Tampered, "manifest.json has no sweep_hash".into());
    }
}

/// A `run` result holds replicates × CCGs summary rows and that × (months + 1)
/// timeseries rows; a manifest whose counts disagree was edited.
fn expected_run_rows(m: &Value, files: &serde_json::Map<String, Value>, v: &mut Verification) {
    let reps = m.get("replicates").and_then(Value::as_u64);
    let months = m.get("months").and_then(Value::as_u64);
    let ccgs = m
        .get("ccg_sizes")
        .and_then(Value::as_array)
        .map(|a| a.len() as u64);
    let (Some(reps), Some(months), Some(ccgs)) = (reps, months, ccgs) else {
        v.flag(
            Verdict::Tampered,
            "manifest.json lacks replicates, months or ccg_sizes".into(),
        );
        return;
    };
    let runs = reps.saturating_mul(ccgs);
    let format = super::Format::of_listing("summary", files.keys());
    let (summary, timeseries) = (format.file("summary"), format.file("timeseries"));
    for (name, want) in [
        (summary.as_str(), runs),
        (timeseries.as_str(), runs.saturating_mul(months + 1)),
    ] {
        match files.get(name).and_then(|f| f.get("rows")).and_then(Value::as_u64) {
            Some(rows) if rows == want => {}
            Some(rows) => v.flag(
                Verdict::Tampered,
                format!(
                    "{name}: the manifest records {rows} rows but {reps} replicates × {ccgs} CCG(s){} make {want}",
                    if name == timeseries {
                        format!(" × {} months", months + 1)
                    } else {
                        String::new()
                    }
                ),
            ),
            None => v.flag(
                Verdict::Tampered,
                format!("a run result must list {name} in its manifest"),
            ),
        }
    }
    expected_practice_rows(m, files, reps, months, v);
}

/// `practices.csv` or `practices.parquet` (`run --practices`) holds the rows
/// its recorded selection makes.
fn expected_practice_rows(
    m: &Value,
    files: &serde_json::Map<String, Value>,
    reps: u64,
    months: u64,
    v: &mut Verification,
) {
    use super::practices::{Described, Selection};
    let name = ["practices.csv", "practices.parquet"]
        .into_iter()
        .find(|n| files.contains_key(*n))
        .unwrap_or("practices.csv");
    let listed = files
        .get(name)
        .map(|f| f.get("rows").and_then(Value::as_u64));
    let recorded = m.get("practices");
    let (Some(rows), Some(recorded)) = (listed, recorded) else {
        if listed.is_some() != recorded.is_some() {
            v.flag(
                Verdict::Tampered,
                format!(
                    "manifest.json lists {name} without its selection `practices`, or the reverse"
                ),
            );
        }
        return;
    };
    let sizes: Option<Vec<u32>> = m
        .get("ccg_sizes")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(|x| x.as_u64().map(|n| n as u32)).collect());
    let selection = serde_json::from_value::<Described>(recorded.clone())
        .ok()
        .and_then(|d| Selection::from_described(&d).ok());
    let (Some(sizes), Some(selection), Some(rows)) = (sizes, selection, rows) else {
        v.flag(
            Verdict::Tampered,
            format!("manifest.json: `practices` or the rows of {name} are malformed"),
        );
        return;
    };
    let want = selection.rows_of(&sizes, reps as u32, months as u32);
    if rows != want {
        v.flag(
            Verdict::Tampered,
            format!(
                "{name}: the manifest records {rows} rows but its selection (`practices`) makes {want}"
            ),
        );
    }
}
