//! The bundled scenarios, embedded in the binary so the classroom page works
//! with no files beside it. A preset supplies the starting parameters, the
//! scheduled events and the horizon; the page shows one CCG of `ccg.practices`
//! (a `[population]` of many CCGs is not drawn, see docs/CLASSROOM.md).

use crate::scenario::{self, Scenario};
use std::path::Path;
use std::sync::OnceLock;

/// (file name, text) of every scenario offered as a preset, in menu order; the
/// first is the default. Every file in `scenarios/` belongs here (a test checks).
const FILES: &[(&str, &str)] = &[
    (
        "baseline.toml",
        include_str!("../../scenarios/baseline.toml"),
    ),
    (
        "failure-narrative.toml",
        include_str!("../../scenarios/failure-narrative.toml"),
    ),
    (
        "ccg-size-large.toml",
        include_str!("../../scenarios/ccg-size-large.toml"),
    ),
    (
        "ccg-size-medium.toml",
        include_str!("../../scenarios/ccg-size-medium.toml"),
    ),
    (
        "ccg-size-small.toml",
        include_str!("../../scenarios/ccg-size-small.toml"),
    ),
    (
        "co-commissioning-lay-scrutiny.toml",
        include_str!("../../scenarios/co-commissioning-lay-scrutiny.toml"),
    ),
    (
        "co-commissioning.toml",
        include_str!("../../scenarios/co-commissioning.toml"),
    ),
    (
        "england-2013.toml",
        include_str!("../../scenarios/england-2013.toml"),
    ),
    (
        "leadership-no-succession.toml",
        include_str!("../../scenarios/leadership-no-succession.toml"),
    ),
    (
        "leadership-succession.toml",
        include_str!("../../scenarios/leadership-succession.toml"),
    ),
    (
        "peer-led-stress.toml",
        include_str!("../../scenarios/peer-led-stress.toml"),
    ),
    (
        "peer-led.toml",
        include_str!("../../scenarios/peer-led.toml"),
    ),
    (
        "peer-review-none.toml",
        include_str!("../../scenarios/peer-review-none.toml"),
    ),
    (
        "peer-review.toml",
        include_str!("../../scenarios/peer-review.toml"),
    ),
    (
        "qipp-bunched.toml",
        include_str!("../../scenarios/qipp-bunched.toml"),
    ),
    (
        "qipp-spread.toml",
        include_str!("../../scenarios/qipp-spread.toml"),
    ),
    (
        "running-cost-cut.toml",
        include_str!("../../scenarios/running-cost-cut.toml"),
    ),
    (
        "sanction-heavy-stress.toml",
        include_str!("../../scenarios/sanction-heavy-stress.toml"),
    ),
    (
        "sanction-heavy.toml",
        include_str!("../../scenarios/sanction-heavy.toml"),
    ),
];

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

/// File names of the bundled scenarios, for the tests that every one of them
/// parses and that none in `scenarios/` is missing.
pub fn bundled_files() -> Vec<&'static str> {
    FILES.iter().map(|&(f, _)| f).collect()
}
