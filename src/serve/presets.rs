//! The bundled scenarios, embedded in the binary so the classroom page works
//! with no files beside it. A preset supplies the starting parameters, the
//! scheduled events and the horizon; the page shows one CCG of `ccg.practices`
//! (a `[population]` of many CCGs is not drawn, see docs/CLASSROOM.md).

use crate::scenario::{self, Scenario};
use std::path::Path;
use std::sync::OnceLock;

/// (file name, text) of every scenario offered as a preset; the first is the default.
const FILES: &[(&str, &str)] = &[(
    "baseline.toml",
    include_str!("../../scenarios/baseline.toml"),
)];

/// A parsed preset.
#[derive(Debug, Clone)]
pub struct Preset {
    /// The file stem, which is what a request names (`"preset": "baseline"`).
    pub id: String,
    pub file: &'static str,
    pub scenario: Scenario,
}

/// All presets, parsed once. A bundled file that does not parse is a bug in the
/// build, caught by the tests; it is left out rather than taking the server down.
pub fn all() -> &'static [Preset] {
    static PRESETS: OnceLock<Vec<Preset>> = OnceLock::new();
    PRESETS.get_or_init(|| {
        FILES
            .iter()
            .filter_map(|&(file, text)| {
                let path = Path::new("scenarios").join(file);
                let scenario = scenario::parse(text, &path).ok()?;
                let id = file.trim_end_matches(".toml").to_string();
                Some(Preset { id, file, scenario })
            })
            .collect()
    })
}

pub fn find(id: &str) -> Option<&'static Preset> {
    all().iter().find(|p| p.id == id)
}

/// Number of bundled files, for the test that every one of them parses.
pub fn bundled_files() -> usize {
    FILES.len()
}
