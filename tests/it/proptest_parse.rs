//! Hostile scenario text: whatever a user (or a corrupted file) hands the parser,
//! it returns a scenario or located diagnostics — never a panic — and a value it
//! accepts always lies in the range the parameter table allows.
//!
//! The long-running version of this is the cargo-fuzz target in `fuzz/`
//! (docs/RELIABILITY.md); this is its quick, always-on counterpart.

use ccgsim::error::Error;
use ccgsim::scenario::{Kind, SPECS, Scenario, parse};
use proptest::prelude::*;
use std::path::Path;

/// The committed fuzz corpus: valid scenarios to mutate.
fn corpus() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/scenario");
    let mut out: Vec<String> = std::fs::read_dir(&dir)
        .expect("fuzz corpus")
        .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
        .filter_map(|b| String::from_utf8(b).ok())
        .collect();
    out.sort();
    out
}

/// Parse and render any error: both must return normally.
fn parse_and_render(text: &str) -> Result<Scenario, Error> {
    let r = parse(text, Path::new("prop.toml"));
    if let Err(e) = &r {
        let msg = e.to_string();
        assert!(!msg.is_empty());
        assert!(
            matches!(e, Error::Invalid(_)),
            "parse errors are input errors"
        );
        assert_eq!(e.exit_code(), 2);
    }
    r
}

/// Every parameter of an accepted scenario lies in its declared range.
fn assert_in_range(s: &Scenario) {
    for spec in SPECS {
        let v = (spec.get)(&s.params);
        assert!(
            v.is_finite() && v >= spec.min && v <= spec.max,
            "{} = {v} accepted outside {}",
            spec.path,
            spec.allowed()
        );
    }
    assert!(s.months >= 1 && s.replicates >= 1);
    for e in &s.events {
        assert!(e.month <= s.months);
        for &(path, v) in e.set.iter().chain(&e.ramp) {
            let spec = ccgsim::scenario::schema::spec(path).unwrap();
            assert!(
                spec.dynamic && v >= spec.min && v <= spec.max,
                "{path} = {v}"
            );
        }
    }
    for &n in &s.ccg_sizes() {
        assert!((1..=1000).contains(&n));
    }
}

/// TOML-ish fragments: real sections and keys mixed with junk, and every kind of value.
fn key() -> impl Strategy<Value = String> {
    let real: Vec<String> = SPECS.iter().map(|s| s.key().to_string()).collect();
    prop_oneof![
        4 => proptest::sample::select(real),
        1 => proptest::sample::select(vec![
            "name", "months", "replicates", "seed", "ccgs", "practices", "month", "set",
            "ramp", "over", "failure_narrative", "narrative", "duration", "label",
        ]).prop_map(String::from),
        1 => "[a-z_]{1,12}",
        1 => "\"[^\"\\\\]{0,8}\"",
    ]
}

fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        (-3i64..1500).prop_map(|i| i.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        (-2.0f64..2.0).prop_map(|f| format!("{f}")),
        proptest::sample::select(vec![
            "inf",
            "-inf",
            "nan",
            "+nan",
            "-0.0",
            "1e308",
            "1e-320",
            "true",
            "false",
            "0x7fffffffffffffff",
            "1_000",
            "0o17",
            "0b101",
            "1979-05-27T07:32:00Z",
            "\"\"",
            "\"x\"",
            "[]",
            "{}",
            "'''a\nb'''",
            "0",
            "1",
        ])
        .prop_map(String::from),
        "\"[^\"\\\\\n]{0,12}\"",
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec((key(), inner), 0..3).prop_map(|kv| {
                let body: Vec<String> = kv.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("{{ {} }}", body.join(", "))
            }),
        ]
    })
}

fn header() -> impl Strategy<Value = String> {
    let mut sections: Vec<String> = ccgsim::scenario::schema::sections()
        .into_iter()
        .map(|s| format!("[{s}]"))
        .collect();
    sections.extend(
        [
            "[scenario]",
            "[population]",
            "[[events]]",
            "[nope]",
            "[ccg.x]",
            "[[ccg]]",
        ]
        .map(String::from),
    );
    proptest::sample::select(sections)
}

fn document() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        1 => header(),
        4 => (key(), value()).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => "[ -~]{0,20}",
    ];
    prop::collection::vec(line, 0..24).prop_map(|l| l.join("\n"))
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    Replace(usize, char),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), 1usize..20).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), prop_oneof!["[ -~\n]{1,8}", value()])
            .prop_map(|(a, s)| Edit::Insert(a, s)),
        (any::<usize>(), any::<char>()).prop_map(|(a, c)| Edit::Replace(a, c)),
    ];
    prop::collection::vec(edit, 1..6)
}

/// Apply edits at char positions (wrapping), so the text stays valid UTF-8.
fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let n = chars.len().max(1);
        match e {
            Edit::Delete(a, k) => {
                let a = a % n;
                let b = (a + k).min(chars.len());
                if a < b {
                    chars.drain(a..b);
                }
            }
            Edit::Insert(a, s) => {
                let a = a % (chars.len() + 1);
                chars.splice(a..a, s.chars());
            }
            Edit::Replace(a, c) => {
                if !chars.is_empty() {
                    let a = a % chars.len();
                    chars[a] = *c;
                }
            }
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        if let Ok(s) = parse_and_render(&text) {
            assert_in_range(&s);
        }
    }

    #[test]
    fn arbitrary_toml_documents_never_panic(text in document()) {
        if let Ok(s) = parse_and_render(&text) {
            assert_in_range(&s);
        }
    }

    #[test]
    fn mutated_valid_scenarios_never_panic(pick in any::<prop::sample::Index>(), e in edits()) {
        let all = corpus();
        let base: &String = pick.get(&all);
        let text = mutate(base, &e);
        if let Ok(s) = parse_and_render(&text) {
            assert_in_range(&s);
        }
    }

    /// Any value for any parameter: accepted exactly when it has the right type and
    /// lies in range, and then stored unchanged; refused with the key and the range.
    #[test]
    fn any_value_for_every_key(i in 0..SPECS.len(), v in value(), extreme in any::<bool>()) {
        let spec = &SPECS[i];
        let v = if extreme { format!("{:?}", if v.len() % 2 == 0 { spec.min } else { spec.max }) } else { v };
        let text = format!("[{}]\n{} = {v}\n", spec.section(), spec.key());
        match parse_and_render(&text) {
            Ok(s) => {
                assert_in_range(&s);
                let got = (spec.get)(&s.params);
                if let Ok(toml::Value::Table(t)) = format!("x = {v}").parse::<toml::Table>().map(toml::Value::Table) {
                    match (spec.kind, &t["x"]) {
                        (Kind::Bool, toml::Value::Boolean(b)) => prop_assert_eq!(got, f64::from(u8::from(*b))),
                        (_, toml::Value::Integer(x)) => prop_assert_eq!(got, *x as f64),
                        (_, toml::Value::Float(x)) => prop_assert_eq!(got, *x),
                        (k, other) => prop_assert!(false, "{k:?} accepted {other:?}"),
                    }
                }
            }
            Err(Error::Invalid(d)) => {
                if extreme && spec.kind != Kind::Bool {
                    // The ends of every range are valid on their own; only a
                    // cross-check against a default sibling may refuse them.
                    prop_assert!(
                        d.iter().all(|d| d.key.starts_with("behaviour.cut_") || d.key == "ccg.localities"),
                        "{} refused at an end of its range: {:?}", spec.path, d
                    );
                }
                // Cross-checks (cut points, localities) may name a sibling key.
                prop_assert!(
                    d.iter().any(|d| d.key == spec.path || d.key.is_empty() || d.key.starts_with(spec.section())),
                    "{:?}", d
                );
                let lines = text.lines().count() + 1;
                prop_assert!(d.iter().all(|d| d.line >= 1 && d.line <= lines), "{:?}", d);
            }
            Err(other) => prop_assert!(false, "{other}"),
        }
    }
}

/// Inputs that once broke (or nearly broke) the parser or its messages.
#[test]
fn regression_inputs() {
    let deep_array = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_table = format!(
        "[[events]]\nmonth = 1\nset = {}1{}",
        "{a=".repeat(50_000),
        "}".repeat(50_000)
    );
    let deep_dotted = format!(
        "[[events]]\nmonth = 1\nset.{} = 1",
        vec!["a"; 100_000].join(".")
    );
    let deep_header = format!("[{}]", vec!["a"; 100_000].join("."));
    for text in [&deep_array, &deep_table, &deep_dotted, &deep_header] {
        let e = parse_and_render(text).expect_err("refused");
        // A one-line monster must not become a megabyte-long message.
        assert!(e.to_string().len() < 2_000, "{} bytes", e.to_string().len());
    }
}
