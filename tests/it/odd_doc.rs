//! docs/ODD.md must describe the model in the code: every parameter with its
//! default, range and whether events may change it, and every output column.

use ccgsim::model::Observation;
use ccgsim::scenario::{Kind, SPECS};

fn odd() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ODD.md"))
        .expect("docs/ODD.md is readable")
}

/// The cells of the table row whose first cell is `` `key` ``.
fn row(doc: &str, key: &str) -> Option<Vec<String>> {
    let start = format!("| `{key}` |");
    doc.lines().find(|l| l.starts_with(&start)).map(|l| {
        l.trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    })
}

#[test]
fn odd_lists_every_parameter_with_its_default_and_range() {
    let doc = odd();
    let mut problems = Vec::new();
    for s in SPECS {
        let Some(cells) = row(&doc, s.path) else {
            problems.push(format!("{} is missing from the parameter table", s.path));
            continue;
        };
        let kind = match s.kind {
            Kind::Float => "float",
            Kind::Int => "int",
            Kind::Bool => "bool",
        };
        let default_ok = match s.kind {
            Kind::Bool => cells[2] == if s.default != 0.0 { "true" } else { "false" },
            _ => cells[2].parse::<f64>().ok() == Some(s.default),
        };
        let allowed = match s.kind {
            Kind::Bool => "true/false".to_string(),
            _ => format!("{}–{}", s.min, s.max),
        };
        let events = if s.dynamic { "yes" } else { "no" };
        if cells[1] != kind || !default_ok || cells[3] != allowed || cells[4] != events {
            problems.push(format!(
                "{}: ODD says {:?}, code says {kind} | {} | {allowed} | {events}",
                s.path,
                &cells[1..5],
                s.default
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn odd_lists_every_output_column() {
    let doc = odd();
    let missing: Vec<&str> = Observation::COLUMNS
        .iter()
        .copied()
        .filter(|c| row(&doc, c).is_none())
        .collect();
    assert!(missing.is_empty(), "missing output columns: {missing:?}");
}
