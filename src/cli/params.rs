//! `ccgsim params`: every scenario key — the `[scenario]`, `[population]` and
//! `[[events]]` keys, then each parameter with its default, range, unit and
//! whether an event may change it.

use ccgsim::scenario::schema::{self, Kind, SPECS};

/// Keys outside the parameter table: (key, allowed, meaning).
const SCENARIO_KEYS: &[(&str, &str, &str)] = &[
    (
        "name",
        "text",
        "names the result folder and the `scenario` column [file name]",
    ),
    ("description", "text", "free text, kept in the manifest"),
    (
        "months",
        "1 – 1200",
        "horizon in months after April 2013 (month 0) [60]",
    ),
    (
        "replicates",
        "1 – 10000000",
        "independent runs of each CCG [20]",
    ),
    (
        "seed",
        "integer ≥ 0",
        "random seed; equal seeds pair runs across scenarios [1]",
    ),
];
const POPULATION_KEYS: &[(&str, &str, &str)] = &[
    (
        "ccgs",
        "1 – 10000",
        "number of CCGs (or the length of `practices`)",
    ),
    (
        "practices",
        "list of 1 – 1000",
        "practices of each CCG, e.g. [12, 40, 120]",
    ),
    (
        "median_population",
        "people",
        "median CCG population (lognormal sizes)",
    ),
    ("min_population", "people", "smallest CCG population"),
    ("max_population", "people", "largest CCG population"),
    (
        "patients_per_practice",
        "100 – 1000000",
        "patients per practice: population → practices",
    ),
];
const EVENT_KEYS: &[(&str, &str, &str)] = &[
    (
        "month",
        "0 – months",
        "applied at the start of this month (0 = April 2013)",
    ),
    ("label", "text", "a name for the event (figures, sweeps)"),
    (
        "set",
        "{ \"path\" = value }",
        "set parameters marked `event` below",
    ),
    (
        "ramp",
        "{ \"path\" = value }",
        "move float parameters linearly, with `over`",
    ),
    ("over", "1 – 1200 months", "months a `ramp` takes"),
    (
        "failure_narrative",
        "0 – 1",
        "failure narrative shock strength (≥ 0; 1 = strongest), with `duration`",
    ),
    (
        "duration",
        "1 – 1200 months",
        "months a `failure_narrative` lasts",
    ),
];

fn keys(text: &mut String, title: &str, rows: &[(&str, &str, &str)]) {
    text.push_str(&format!("\n{title}\n"));
    for (k, allowed, doc) in rows {
        text.push_str(&format!("  {k:<38} {allowed:<24} {doc}\n"));
    }
}

/// The plain-text listing (without `--markdown`).
pub fn text() -> String {
    let mut text = String::from(
        "Scenario keys. `event` = yes marks parameters an [[events]] entry may change during a run.\n",
    );
    keys(&mut text, "[scenario]", SCENARIO_KEYS);
    keys(
        &mut text,
        "[population]  (many CCGs in one scenario)",
        POPULATION_KEYS,
    );
    keys(&mut text, "[[events]]", EVENT_KEYS);
    for section in schema::sections() {
        text.push_str(&format!(
            "\n[{section}]\n  {:<38} {:>8}  {:<16} {:<22} {:<5} meaning\n",
            "key", "default", "allowed", "unit", "event"
        ));
        for s in SPECS.iter().filter(|s| s.section() == section) {
            let (default, allowed) = match s.kind {
                Kind::Bool => ((s.default != 0.0).to_string(), "true/false".to_string()),
                _ => (s.default.to_string(), format!("{} – {}", s.min, s.max)),
            };
            text.push_str(&format!(
                "  {:<38} {:>8}  {:<16} {:<22} {:<5} {}\n",
                s.key(),
                default,
                allowed,
                s.unit,
                if s.dynamic { "yes" } else { "no" },
                s.doc
            ));
        }
    }
    text
}

pub fn run(markdown: bool) {
    if markdown {
        super::emit(&schema::markdown_table());
        return;
    }
    super::emit(&text());
}
