//! `ccgsim compare`: common random numbers, the paired difference and its CI,
//! the same answer from scenario files and from their `run` result folders.

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ccgsim"))
        .current_dir(dir)
        .args(args)
        .env("CI", "1")
        .output()
        .expect("ccgsim runs")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Statistics of each outcome, in compare.csv's order.
const STATS: [&str; 6] = ["mean_a", "mean_b", "difference", "ci_low", "ci_high", "n"];

/// compare.csv (long: outcome, month_from, month_to, statistic, value) as one
/// row per outcome: [outcome, mean_a, mean_b, difference, ci_low, ci_high, n].
pub fn table(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["outcome", "month_from", "month_to", "statistic", "value"]
    );
    let mut out: Vec<Vec<String>> = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        if out.last().is_none_or(|o| o[0] != rec[0]) {
            out.push(vec![rec[0].to_string()]);
        }
        let row = out.last_mut().unwrap();
        assert_eq!(&rec[3], STATS[row.len() - 1], "{rec:?}");
        row.push(rec[4].to_string());
    }
    out
}

fn write(dir: &Path, name: &str, seed: u64, sanctions: f64) {
    std::fs::write(
        dir.join(name),
        format!(
            "[scenario]\nmonths = 24\nreplicates = 12\nseed = {seed}\n[ccg]\npractices = 20\n[constitution]\nsanctions = {sanctions}\n"
        ),
    )
    .unwrap();
}

#[test]
fn a_policy_compared_with_itself_differs_by_exactly_zero() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "a.toml", 4, 0.3);
    write(p, "b.toml", 99, 0.3); // B's seed is replaced by A's: common random numbers.
    let out = ok(&run(&["compare", "a.toml", "b.toml", "--out", "c"], p));
    assert!(
        out.contains("common random numbers: seed 4, 12 paired"),
        "{out}"
    );
    let rows = table(&p.join("c/compare.csv"));
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        names,
        [
            "engaged_share",
            "ownership_members",
            "performance",
            "credibility",
            "failure_probability"
        ]
    );
    for r in &rows {
        assert_eq!(r[1], r[2], "{r:?}");
        assert_eq!(
            (r[3].as_str(), r[4].as_str(), r[5].as_str()),
            ("0", "0", "0")
        );
        assert_eq!(r[6].as_str(), "12");
    }
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("c/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["kind"], "compare");
    assert_eq!(m["paired"], true);
    assert!(m["files"]["compare.csv"]["blake3"].is_string());
}

#[test]
fn scenarios_and_their_result_folders_compare_identically() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "a.toml", 4, 0.0);
    write(p, "b.toml", 4, 1.0);
    ok(&run(&["compare", "a.toml", "b.toml", "--out", "c1"], p));
    ok(&run(&["run", "a.toml", "--out", "ra"], p));
    ok(&run(&["run", "b.toml", "--out", "rb"], p));
    ok(&run(&["compare", "ra", "rb", "--out", "c2"], p));
    assert_eq!(
        std::fs::read(p.join("c1/compare.csv")).unwrap(),
        std::fs::read(p.join("c2/compare.csv")).unwrap()
    );
    // The difference is the mean of the run-by-run differences of summary.csv.
    let col = |dir: &str, name: &str| -> Vec<f64> {
        let mut r = csv::Reader::from_path(p.join(dir).join("summary.csv")).unwrap();
        let i = r.headers().unwrap().iter().position(|h| h == name).unwrap();
        r.records()
            .map(|x| x.unwrap()[i].parse().unwrap())
            .collect()
    };
    let (a, b) = (
        col("ra", "ownership_members"),
        col("rb", "ownership_members"),
    );
    let want = b.iter().zip(&a).map(|(x, y)| x - y).sum::<f64>() / a.len() as f64;
    let rows = table(&p.join("c1/compare.csv"));
    let got: f64 = rows[1][3].parse().unwrap();
    assert!((got - want).abs() < 2e-6, "{got} vs {want}");
    let (lo, hi): (f64, f64) = (rows[1][4].parse().unwrap(), rows[1][5].parse().unwrap());
    assert!(lo <= got && got <= hi);
}

#[test]
fn runs_with_different_seeds_are_compared_unpaired() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "a.toml", 1, 0.5);
    write(p, "b.toml", 2, 0.5);
    ok(&run(&["run", "a.toml", "--out", "ra"], p));
    ok(&run(&["run", "b.toml", "--out", "rb"], p));
    let out = ok(&run(&["compare", "ra", "rb", "--out", "c"], p));
    assert!(out.contains("compared unpaired (Welch)"), "{out}");
    assert!(out.contains("the seeds differ (A 1, B 2)"), "{out}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("c/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["paired"], false);
    // Refuses to overwrite without --force.
    let o = run(&["compare", "ra", "rb", "--out", "c"], p);
    assert_eq!(o.status.code(), Some(1));
    ok(&run(&["compare", "ra", "rb", "--out", "c", "--force"], p));
    // A bad scenario is an input error (exit 2), before anything runs.
    std::fs::write(p.join("bad.toml"), "[constitution]\nsanctions = 2\n").unwrap();
    let o = run(&["compare", "a.toml", "bad.toml", "--out", "c3"], p);
    assert_eq!(o.status.code(), Some(2));
    assert!(!p.join("c3").exists());
}

#[test]
fn ccgs_of_different_sizes_pair_by_replicate_and_ccg() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "a.toml", 3, 0.5);
    std::fs::write(
        p.join("big.toml"),
        "[scenario]\nmonths = 24\nreplicates = 12\nseed = 3\n[ccg]\npractices = 60\n[constitution]\nsanctions = 0.5\n",
    )
    .unwrap();
    let out = ok(&run(&["compare", "a.toml", "big.toml", "--out", "c"], p));
    assert!(out.contains("12 paired CCG-runs"), "{out}");
    // Other replicate counts pair over the replicates both have.
    let out = ok(&run(
        &["run", "a.toml", "--out", "ra", "--replicates", "6"],
        p,
    ));
    assert!(out.contains("wrote"));
    ok(&run(&["run", "a.toml", "--out", "rb"], p));
    let out = ok(&run(&["compare", "ra", "rb", "--out", "c2"], p));
    assert!(out.contains("6 paired CCG-runs"), "{out}");
    assert!(
        out.contains("A has replicates 0–5 (6 replicates), B has replicates 0–11 (12 replicates)"),
        "{out}"
    );
    assert!(out.contains("left out 0 of A's and 6 of B's"), "{out}");
    // The same run compared with its first half differs by exactly zero.
    for r in table(&p.join("c2/compare.csv")) {
        assert_eq!(r[1], r[2], "{r:?}");
        assert_eq!(r[6], "6");
    }
}
