//! `manifest.json`: what produced a result (resolved scenario, seed, version,
//! command line, times) and what it holds (rows, bytes and hash of each file).

use super::FileInfo;
use crate::error::{Error, Result};
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub tool: String,
    pub version: String,
    /// "run" for `ccgsim run`.
    pub kind: String,
    pub scenario_file: String,
    /// BLAKE3 of the resolved scenario below: equal hashes, equal runs.
    pub scenario_hash: String,
    pub scenario: serde_json::Value,
    pub ccg_sizes: Vec<u32>,
    pub seed: u64,
    pub replicates: u32,
    pub months: u32,
    pub threads: usize,
    pub command_line: Vec<String>,
    pub started_at: String,
    pub finished_at: String,
    pub elapsed_seconds: f64,
    pub files: BTreeMap<String, FileInfo>,
    /// The rows `practices.csv` holds (`run --practices`), if written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practices: Option<crate::output::practices::Described>,
    /// Written last: a result whose manifest says complete holds every run.
    pub complete: bool,
}

/// The resolved scenario as JSON, and its hash.
pub fn scenario_json(scn: &Scenario) -> (serde_json::Value, String) {
    let v = serde_json::to_value(scn).expect("a scenario always serialises");
    let hash = blake3::hash(v.to_string().as_bytes()).to_hex().to_string();
    (v, hash)
}

pub fn timestamp(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

impl Manifest {
    pub fn for_run(scn: &Scenario, threads: usize, started: SystemTime) -> Manifest {
        let (scenario, scenario_hash) = scenario_json(scn);
        let now = SystemTime::now();
        Manifest {
            tool: "ccgsim".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            kind: "run".into(),
            scenario_file: scn.file_label(),
            scenario_hash,
            scenario,
            ccg_sizes: scn.ccg_sizes(),
            seed: scn.seed,
            replicates: scn.replicates,
            months: scn.months,
            threads,
            command_line: std::env::args().collect(),
            started_at: timestamp(started),
            finished_at: timestamp(now),
            elapsed_seconds: now.duration_since(started).map_or(0.0, |d| d.as_secs_f64()),
            files: BTreeMap::new(),
            practices: None,
            complete: false,
        }
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        std::fs::write(path, sealed_json(self)).map_err(|e| Error::io("write", path, e))
    }

    pub fn read(path: &Path) -> Result<Manifest> {
        let text = crate::error::read_input(path, "read", super::verify::MAX_MANIFEST_BYTES)?;
        serde_json::from_str(&text).map_err(|e| {
            Error::Refused(format!("{} is not a ccgsim manifest: {e}", path.display()))
        })
    }
}

/// The manifest key holding BLAKE3 of every other field: an edited
/// `sweep_hash`, `replicates`, `kind` or `ccg_sizes` no longer matches it.
pub const SEAL: &str = "manifest_blake3";

fn seal_of(m: &serde_json::Map<String, serde_json::Value>) -> String {
    let mut m = m.clone();
    m.remove(SEAL);
    // Keys are sorted (serde_json's map is ordered): one text per manifest.
    blake3::hash(serde_json::Value::Object(m).to_string().as_bytes())
        .to_hex()
        .to_string()
}

/// `value` as pretty JSON with its seal added (see [`SEAL`]).
pub fn sealed_json(value: &impl Serialize) -> String {
    let mut v = serde_json::to_value(value).expect("a manifest always serialises");
    if let serde_json::Value::Object(m) = &mut v {
        let seal = seal_of(m);
        m.insert(SEAL.into(), seal.into());
    }
    serde_json::to_string_pretty(&v).expect("a manifest always serialises") + "\n"
}

/// Does a parsed manifest's seal match its other fields?
pub fn seal_matches(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Object(m) => {
            m.get(SEAL).and_then(|s| s.as_str()) == Some(seal_of(m).as_str())
        }
        _ => false,
    }
}
