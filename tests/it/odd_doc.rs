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

#[test]
fn odd_lists_every_structural_option_with_its_values() {
    let doc = odd();
    for o in ccgsim::scenario::schema::OPTIONS {
        let cells = row(&doc, o.key).unwrap_or_else(|| panic!("[model] {} missing", o.key));
        for v in o.values {
            assert!(
                cells[1].contains(&format!("\"{v}\"")),
                "[model] {}: value {v} missing from ODD §7.10",
                o.key
            );
        }
        assert!(
            cells[1].starts_with(&format!("`\"{}\"`", o.values[0])),
            "[model] {}: the default ({}) must be listed first",
            o.key,
            o.values[0]
        );
    }
}

#[test]
fn odd_refers_to_nothing_outside_the_repository() {
    let doc = odd();
    for bad in ["/work/", "../shared", "MODEL.md"] {
        assert!(!doc.contains(bad), "docs/ODD.md refers to {bad}");
    }
}

#[test]
fn odd_names_a_removal_for_every_mechanism_parameter_it_cites() {
    // Every parameter named in the §10 removal table exists.
    let doc = odd();
    let start = doc.find("## 10.").expect("ODD has §10");
    let section = &doc[start..];
    let end = section[5..].find("\n## ").map_or(section.len(), |e| e + 5);
    for cell in section[..end].split('`').skip(1).step_by(2) {
        let path = cell.split(" = ").next().unwrap_or("");
        if path.contains('.') && !path.contains(' ') {
            assert!(
                SPECS.iter().any(|s| s.path == path),
                "§10 names {path}, which is not a parameter"
            );
        }
    }
}

#[test]
fn odd_lists_every_practices_column_with_its_type_and_unit() {
    use ccgsim::output::practices::{COLUMNS, Kind};
    let doc = odd();
    let start = doc
        .find("**Per-practice output**")
        .expect("ODD §6 describes practices.csv");
    let section = &doc[start..doc[start..].find("\n## ").map_or(doc.len(), |e| start + e)];
    for c in COLUMNS {
        let cells = row(section, c.name)
            .unwrap_or_else(|| panic!("practices.csv column {} missing from ODD §6", c.name));
        let kind = match (c.kind, c.nullable) {
            (Kind::Text, _) => "text",
            (Kind::Int, _) => "integer",
            (Kind::Float, false) => "real",
            (Kind::Float, true) => "real or empty",
        };
        assert_eq!(cells[1], kind, "{}: type", c.name);
        assert_eq!(cells[2], c.unit, "{}: unit", c.name);
        assert_eq!(cells[3], c.doc, "{}: meaning", c.name);
    }
}
