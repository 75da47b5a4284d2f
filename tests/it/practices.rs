//! `ccgsim run --practices`: practices.csv holds one row per selected replicate ×
//! CCG × month × practice, agrees with timeseries.csv, is byte-identical on any
//! thread count, leaves every other file unchanged, and refuses bad options.

use crate::common::*;
use ccgsim::output::practices::{COLUMNS, Kind};
use std::collections::BTreeMap;
use std::path::Path;

/// One CSV row: column name → cell.
type Row = BTreeMap<String, String>;

const SCENARIO: &str = r#"
[scenario]
name = "practices-test"
months = 14
replicates = 4
seed = 7
[population]
practices = [3, 12, 40]
[[events]]
month = 4
failure_narrative = 0.8
duration = 6
[[events]]
month = 5
set = { "ccg.allowance_per_head" = 20.0 }
"#;
const SIZES: [u64; 3] = [3, 12, 40];
const REPS: u64 = 4;
const MONTHS: u64 = 14;

fn run_ok(dir: &Path, out: &str, extra: &[&str]) {
    let mut args = vec!["run", "s.toml", "--out", out, "-q", "--no-plots"];
    args.extend_from_slice(extra);
    let o = ccgsim(dir, &args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
}

fn read(dir: &Path, out: &str, file: &str) -> String {
    std::fs::read_to_string(dir.join(out).join(file)).unwrap()
}

/// Data rows of a CSV as maps from column name to cell.
fn table(text: &str) -> Vec<Row> {
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), header.len(), "row {l:?}");
            header
                .iter()
                .cloned()
                .zip(cells.iter().map(|c| c.to_string()))
                .collect()
        })
        .collect()
}

fn num(row: &Row, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?}", row[col]))
}

fn key(row: &Row) -> (u64, u64, u64) {
    let k = |c: &str| row[c].parse::<u64>().unwrap();
    (k("replicate"), k("ccg"), k("month"))
}

#[test]
fn every_practice_month_is_written_and_agrees_with_the_timeseries() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "s.toml", SCENARIO);
    run_ok(d, "r", &["--practices", "--threads", "2"]);
    let text = read(d, "r", "practices.csv");
    let header = text.lines().next().unwrap();
    let names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
    assert_eq!(header, names.join(","));

    let rows = table(&text);
    let practice_months: u64 = SIZES.iter().sum::<u64>() * REPS * (MONTHS + 1);
    assert_eq!(rows.len() as u64, practice_months);

    // The manifest lists the file with its row count, and check-result accepts it.
    let manifest: serde_json::Value = serde_json::from_str(&read(d, "r", "manifest.json")).unwrap();
    assert_eq!(
        manifest["files"]["practices.csv"]["rows"].as_u64(),
        Some(practice_months)
    );
    assert_eq!(manifest["practices"]["every"].as_u64(), Some(1));
    let o = ccgsim(d, &["check-result", "r"]);
    assert!(o.status.success(), "{}", stderr(&o));

    // Each cell has its declared type; rows come in replicate, CCG, month,
    // practice order; practice numbers run 0..n within each month.
    let mut order = Vec::new();
    for r in &rows {
        assert_eq!(r["scenario"], "practices-test");
        for c in COLUMNS {
            let cell = &r[c.name];
            match c.kind {
                Kind::Text => {}
                Kind::Int => assert!(cell.parse::<u32>().is_ok(), "{}: {cell:?}", c.name),
                Kind::Float if cell.is_empty() => assert!(c.nullable, "{} empty", c.name),
                Kind::Float => assert!(cell.parse::<f64>().is_ok(), "{}: {cell:?}", c.name),
            }
        }
        let (rep, ccg, month) = key(r);
        order.push((rep, ccg, month, num(r, "practice") as u64));
        assert!(num(r, "engagement") <= 3.0);
        assert!(matches!(r["leader"].as_str(), "0" | "1"));
        assert!(matches!(r["conflicted"].as_str(), "0" | "1"));
        // Burnout is defined for leaders only; tenure is 0 outside a post.
        assert_eq!(r["burnout"].is_empty(), r["leader"] == "0", "{r:?}");
        if r["leader"] == "0" {
            assert_eq!(r["tenure"], "0");
        }
        assert!(num(r, "gps") >= 1.0);
        for c in ["ownership", "finance", "penalty"] {
            assert!((0.0..=1.0).contains(&num(r, c)), "{c} {r:?}");
        }
    }
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(
        order, sorted,
        "rows are not in replicate, CCG, month, practice order"
    );

    // Group by (replicate, ccg, month) and compare with the timeseries row.
    let mut groups: BTreeMap<(u64, u64, u64), Vec<&Row>> = BTreeMap::new();
    for r in &rows {
        groups.entry(key(r)).or_default().push(r);
    }
    let ts = table(&read(d, "r", "timeseries.csv"));
    assert_eq!(groups.len(), ts.len());
    let close = |a: f64, b: f64, tol: f64, what: &str, k: &(u64, u64, u64)| {
        assert!(
            (a - b).abs() <= tol,
            "{what} at {k:?}: practices give {a}, timeseries {b}"
        );
    };
    let mut leaders_seen = 0.0;
    for t in &ts {
        let k = key(t);
        let g = &groups[&k];
        let n = g.len() as f64;
        assert_eq!(n, num(t, "practices"), "{k:?}");
        for (i, r) in g.iter().enumerate() {
            assert_eq!(num(r, "practice") as usize, i);
        }
        let count = |f: &dyn Fn(&Row) -> bool| g.iter().filter(|r| f(r)).count() as f64;
        // Counts and shares of counts are exact (up to the timeseries' 6 decimals).
        close(
            count(&|r| num(r, "engagement") >= 1.0) / n,
            num(t, "engaged_share"),
            5e-7,
            "engaged_share",
            &k,
        );
        close(
            count(&|r| num(r, "engagement") == 3.0) / n,
            num(t, "highly_engaged_share"),
            5e-7,
            "highly_engaged_share",
            &k,
        );
        let leaders = count(&|r| r["leader"] == "1");
        close(leaders, num(t, "leaders"), 0.0, "leaders", &k);
        leaders_seen += leaders;
        let localities = g.iter().map(|r| num(r, "locality")).fold(0.0, f64::max) + 1.0;
        close(localities, num(t, "localities"), 0.0, "localities", &k);
        // Means of values rounded to 6 decimals: within 1e-6 of the timeseries.
        let mean = |f: &dyn Fn(&Row) -> f64| g.iter().map(|r| f(r)).sum::<f64>() / n;
        close(
            mean(&|r| num(r, "workload")),
            num(t, "workload"),
            1e-6,
            "workload",
            &k,
        );
        close(
            mean(&|r| num(r, "penalty")),
            num(t, "penalty"),
            1e-6,
            "penalty",
            &k,
        );
        close(
            mean(&|r| (num(r, "finance") + num(r, "penalty")).min(1.0)),
            num(t, "finance"),
            2e-6,
            "finance",
            &k,
        );
        if leaders > 0.0 {
            let b: f64 = g
                .iter()
                .filter(|r| r["leader"] == "1")
                .map(|r| num(r, "burnout"))
                .sum();
            close(
                b / leaders,
                num(t, "leader_burnout"),
                1e-6,
                "leader_burnout",
                &k,
            );
        } else {
            assert!(t["leader_burnout"].is_empty());
        }
    }
    assert!(leaders_seen > 0.0);
}

#[test]
fn other_files_are_identical_with_and_without_practices_and_on_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "s.toml", SCENARIO);
    run_ok(d, "plain", &["--threads", "2"]);
    run_ok(d, "p1", &["--practices", "--threads", "1"]);
    run_ok(d, "p2", &["--practices", "--threads", "2"]);
    for f in ["timeseries.csv", "summary.csv"] {
        assert_eq!(
            read(d, "plain", f),
            read(d, "p1", f),
            "{f} changed with --practices"
        );
        assert_eq!(
            read(d, "p1", f),
            read(d, "p2", f),
            "{f} differs across threads"
        );
    }
    let (a, b) = (
        std::fs::read(d.join("p1/practices.csv")).unwrap(),
        std::fs::read(d.join("p2/practices.csv")).unwrap(),
    );
    assert!(a == b, "practices.csv differs between 1 and 2 threads");
    assert!(!d.join("plain/practices.csv").exists());
}

#[test]
fn the_options_bound_the_rows_to_a_subset_of_the_full_table() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "s.toml", SCENARIO);
    run_ok(d, "all", &["--practices"]);
    let sel = [
        "--practices",
        "--practices-every",
        "5",
        "--practices-replicates",
        "3,0-1,1",
        "--practices-ccgs",
        "2,0",
    ];
    run_ok(d, "some", &sel);
    let all = read(d, "all", "practices.csv");
    let some = read(d, "some", "practices.csv");
    // Months 0, 5, 10 of replicates 0, 1, 3 and CCGs 0 and 2.
    let want: Vec<&str> = all
        .lines()
        .enumerate()
        .filter(|(i, l)| {
            if *i == 0 {
                return true;
            }
            let c: Vec<u64> = l
                .split(',')
                .skip(1)
                .take(3)
                .map(|x| x.parse().unwrap())
                .collect();
            [0, 1, 3].contains(&c[0]) && [0, 2].contains(&c[1]) && c[2] % 5 == 0
        })
        .map(|(_, l)| l)
        .collect();
    let got: Vec<&str> = some.lines().collect();
    assert_eq!(got.len() as u64, 1 + 3 * (3 + 40) * 3);
    assert!(
        got == want,
        "the selected rows are not exactly the matching rows of the full table"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&read(d, "some", "manifest.json")).unwrap();
    assert_eq!(manifest["practices"]["replicates"], "0-1,3");
    assert_eq!(manifest["practices"]["ccgs"], "0,2");
    assert_eq!(manifest["practices"]["every"], 5);
    // The estimate used for the disk check bounds the real size.
    let scn = ccgsim::scenario::Scenario::load(&d.join("s.toml")).unwrap();
    for (out, s) in [
        ("all", ccgsim::output::practices::Selection::default()),
        (
            "some",
            ccgsim::output::practices::Selection::parse(Some(5), Some("3,0-1,1"), Some("2,0"))
                .unwrap(),
        ),
    ] {
        let bytes = std::fs::metadata(d.join(out).join("practices.csv"))
            .unwrap()
            .len();
        let bound = s.output_bytes(&scn);
        assert!(
            bytes <= bound,
            "{out}: {bytes} bytes over the estimate {bound}"
        );
        assert!(
            bytes * 3 >= bound,
            "{out}: estimate {bound} is loose for {bytes} bytes"
        );
        assert_eq!(
            s.rows(&scn) + 1,
            read(d, out, "practices.csv").lines().count() as u64
        );
    }
}

#[test]
fn bad_practice_options_exit_2_naming_the_option_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "s.toml", SCENARIO);
    for (args, says) in [
        (
            vec!["--practices", "--practices-every", "0"],
            "--practices-every",
        ),
        (
            vec!["--practices", "--practices-every", "x"],
            "--practices-every",
        ),
        (
            vec!["--practices", "--practices-replicates", "1-x"],
            "--practices-replicates",
        ),
        (
            vec!["--practices", "--practices-replicates", "3-1"],
            "--practices-replicates",
        ),
        (
            vec!["--practices", "--practices-replicates", "4"],
            "--practices-replicates",
        ),
        (
            vec!["--practices", "--practices-ccgs", "0,,1"],
            "--practices-ccgs",
        ),
        (
            vec!["--practices", "--practices-ccgs", "3"],
            "--practices-ccgs",
        ),
        (vec!["--practices-every", "2"], "--practices"),
        (vec!["--practices-ccgs", "0"], "--practices"),
    ] {
        let mut all = vec!["run", "s.toml", "--out", "bad", "-q"];
        all.extend_from_slice(&args);
        let o = ccgsim(d, &all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(says), "{args:?}: {e}");
        assert!(!e.contains("panicked"), "{e}");
        assert!(!d.join("bad").exists(), "{args:?} left a result behind");
    }
    // --replicates applies before the range check: replicate 5 of 6 is fine.
    run_ok(
        d,
        "ok",
        &[
            "--replicates",
            "6",
            "--practices",
            "--practices-replicates",
            "5",
        ],
    );
    assert_eq!(
        read(d, "ok", "practices.csv").lines().count() as u64,
        1 + SIZES.iter().sum::<u64>() * (MONTHS + 1)
    );
}

#[test]
fn help_describes_the_options_and_recommends_parquet_for_large_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let o = ccgsim(tmp.path(), &["run", "--help"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for s in [
        "--practices",
        "--practices-every",
        "--practices-replicates",
        "--practices-ccgs",
        "Parquet",
    ] {
        assert!(text.contains(s), "run --help lacks {s}");
    }
}

#[test]
fn check_result_holds_practices_csv_to_its_hash_and_its_selection() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "s.toml", SCENARIO);
    let check = |name: &str| {
        let o = ccgsim(d, &["check-result", name]);
        let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
        (o.status.code(), text)
    };
    // A row removed from practices.csv: its hash no longer matches.
    run_ok(d, "cut", &["--practices", "--practices-every", "7"]);
    assert_eq!(check("cut").0, Some(0));
    let p = d.join("cut/practices.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    let last = text.trim_end().rfind('\n').unwrap();
    std::fs::write(&p, &text[..last + 1]).unwrap();
    let (code, out) = check("cut");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("tampered"), "{out}");
    // A manifest whose recorded selection was changed and then resealed: the
    // rows no longer match the selection.
    run_ok(d, "resealed", &["--practices", "--practices-every", "7"]);
    let mp = d.join("resealed/manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&mp).unwrap()).unwrap();
    m["practices"]["every"] = 2.into();
    m.as_object_mut()
        .unwrap()
        .remove(ccgsim::output::manifest::SEAL);
    std::fs::write(&mp, ccgsim::output::manifest::sealed_json(&m)).unwrap();
    let (code, out) = check("resealed");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("practices.csv: the manifest records"), "{out}");
}
