//! The bytes of `timeseries.csv` and `summary.csv` are fixed (issue 17: speed work
//! must not change a byte of CSV output). Two guards:
//!
//! 1. The files `ccgsim run` writes equal, byte for byte, what a plain reference
//!    writer makes from the same runs (`Plan::record`, numbers with
//!    `format!("{v:.6}")` trimmed of trailing zeros, NaN as an empty cell). This
//!    holds whatever the model computes, so it survives model changes.
//! 2. Their BLAKE3 hashes for one fixed scenario equal recorded constants, which
//!    also catches a change in what is observed. When the model is changed on
//!    purpose, regenerate the constants with
//!    `cargo test --release --test it output_bytes -- --nocapture`
//!    (the failure message prints the new hashes) and say why in the commit.

use crate::common::*;
use ccgsim::engine::Plan;
use std::path::Path;

/// Several CCG sizes (3 practices: member figures are NaN when every practice
/// holds a post), an event, a failure narrative, a name CSV must quote.
const SCENARIO: &str = r#"
[scenario]
name = "bytes, \"frozen\""
months = 30
replicates = 4
seed = 1717
[population]
practices = [2, 3, 12, 40, 97]
[[events]]
month = 5
set = { "ccg.allowance_per_head" = 21.5 }
[[events]]
month = 9
failure_narrative = 0.7
duration = 6
"#;

/// BLAKE3 of `timeseries.csv` and `summary.csv` of [`SCENARIO`], recorded with
/// the binary of main at 8172400 (the posterior-median defaults, before issue
/// 17's speed work was merged; the speed branch matched main at 2227c61 under
/// the earlier defaults the same way).
const TIMESERIES_BLAKE3: &str = "807a187973785d648a99016621cddf040720fc19992e5c781366b83ce8e5d7b2";
const SUMMARY_BLAKE3: &str = "0001e7cea148beb2d01c2ee4444527a52c90d7036819c2b556e0e8f3e9197078";

fn number(v: f64, out: &mut String) {
    if v.is_nan() {
        return;
    }
    let mut s = format!("{v:.6}");
    if s.contains('.') {
        s.truncate(s.trim_end_matches('0').trim_end_matches('.').len());
    }
    out.push_str(if s == "-0" { "0" } else { &s });
}

/// The two tables as a straightforward writer makes them.
fn reference(scenario_text: &str) -> (Vec<u8>, Vec<u8>) {
    let scn = ccgsim::scenario::parse(scenario_text, Path::new("s.toml")).unwrap();
    let prefix = format!("\"{}\"", scn.name.replace('"', "\"\""));
    let plan = Plan::new(scn);
    let cols = ccgsim::model::Observation::COLUMNS;
    let mut ts = format!(
        "scenario,replicate,ccg,practices,month,{}\n",
        cols.join(",")
    );
    let mut sm = format!(
        "scenario,replicate,ccg,practices,{},failed,failed_month\n",
        cols.join(",")
    );
    for i in 0..plan.runs() {
        let rec = plan.record(i);
        let keys = format!(
            "{prefix},{},{},{}",
            rec.id.replicate, rec.id.ccg, rec.practices
        );
        for (t, o) in rec.months.iter().enumerate() {
            ts.push_str(&format!("{keys},{t}"));
            for v in o.values() {
                ts.push(',');
                number(v, &mut ts);
            }
            ts.push('\n');
        }
        sm.push_str(&keys);
        for v in rec.months.last().unwrap().values() {
            sm.push(',');
            number(v, &mut sm);
        }
        match rec.failed_month {
            Some(m) => sm.push_str(&format!(",1,{m}\n")),
            None => sm.push_str(",0,\n"),
        }
    }
    (ts.into_bytes(), sm.into_bytes())
}

fn run(dir: &Path, threads: &str) -> (Vec<u8>, Vec<u8>) {
    let out = format!("r{threads}");
    let o = ccgsim(
        dir,
        &[
            "run",
            "s.toml",
            "--out",
            &out,
            "--threads",
            threads,
            "--quiet",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let read = |f: &str| std::fs::read(dir.join(&out).join(f)).unwrap();
    (read("timeseries.csv"), read("summary.csv"))
}

#[test]
fn tables_equal_a_plain_reference_writer() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.toml", SCENARIO);
    let (ts, sm) = run(dir.path(), "2");
    let (want_ts, want_sm) = reference(SCENARIO);
    assert_eq!(ts.iter().filter(|&&b| b == b'\n').count(), 1 + 4 * 5 * 31);
    // Some cells are empty (NaN), some negative, so the edge cases are exercised.
    assert!(ts.windows(2).any(|w| w == b",,"), "no empty cell");
    assert!(ts.windows(2).any(|w| w == b",-"), "no negative number");
    if ts != want_ts {
        let (a, b) = (
            String::from_utf8_lossy(&ts),
            String::from_utf8_lossy(&want_ts),
        );
        let line = a.lines().zip(b.lines()).position(|(x, y)| x != y);
        panic!(
            "timeseries.csv differs from the reference writer at line {line:?}:\n{:?}\n{:?}",
            line.and_then(|l| a.lines().nth(l)),
            line.and_then(|l| b.lines().nth(l))
        );
    }
    assert!(
        sm == want_sm,
        "summary.csv differs from the reference writer:\n{}\n---\n{}",
        String::from_utf8_lossy(&sm),
        String::from_utf8_lossy(&want_sm)
    );
}

#[test]
fn table_bytes_are_frozen() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.toml", SCENARIO);
    let (ts, sm) = run(dir.path(), "1");
    let got = (
        blake3::hash(&ts).to_hex().to_string(),
        blake3::hash(&sm).to_hex().to_string(),
    );
    println!("timeseries.csv {}\nsummary.csv    {}", got.0, got.1);
    assert_eq!(
        (got.0.as_str(), got.1.as_str()),
        (TIMESERIES_BLAKE3, SUMMARY_BLAKE3),
        "the CSV bytes changed; if the model changed on purpose, copy the new hashes \
         (printed above) into tests/it/output_bytes.rs"
    );
}
