//! The same scenario and seed give byte-identical files on 1 thread and on many.

use crate::common::*;

const SCENARIO: &str = r#"
[scenario]
months = 24
replicates = 7
seed = 42
[population]
practices = [3, 12, 40, 77, 150]
[[events]]
month = 6
set = { "ccg.allowance_per_head" = 22.0 }
[[events]]
month = 8
failure_narrative = 0.6
duration = 4
"#;

#[test]
fn outputs_are_byte_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.toml", SCENARIO);
    let mut results = Vec::new();
    for threads in ["1", "2", "3", "8"] {
        let out = format!("t{threads}");
        let o = ccgsim(
            dir.path(),
            &["run", "s.toml", "--out", &out, "--threads", threads],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let ts = std::fs::read(dir.path().join(&out).join("timeseries.csv")).unwrap();
        let sm = std::fs::read(dir.path().join(&out).join("summary.csv")).unwrap();
        results.push((threads, ts, sm));
    }
    let (_, ts1, sm1) = &results[0];
    assert_eq!(ts1.iter().filter(|&&b| b == b'\n').count(), 1 + 7 * 5 * 25);
    for (threads, ts, sm) in &results[1..] {
        assert!(
            ts == ts1,
            "timeseries.csv differs between 1 and {threads} threads"
        );
        assert!(
            sm == sm1,
            "summary.csv differs between 1 and {threads} threads"
        );
    }
}

#[test]
fn a_different_seed_gives_different_results() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.toml", SCENARIO);
    for (out, seed) in [("a", "1"), ("b", "2")] {
        let o = ccgsim(
            dir.path(),
            &[
                "run",
                "s.toml",
                "--out",
                out,
                "--seed",
                seed,
                "--replicates",
                "2",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let a = std::fs::read(dir.path().join("a/timeseries.csv")).unwrap();
    let b = std::fs::read(dir.path().join("b/timeseries.csv")).unwrap();
    assert_ne!(a, b);
}
