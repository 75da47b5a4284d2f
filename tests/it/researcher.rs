//! Issue 16 (a researcher's day): narrative sign convention, compare windows and
//! outcomes, unequal replicate counts, early output-folder checks, `--months`
//! shorter than the events, tidy outputs, `params`, and messages.

use crate::common::*;

fn out(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Write scenario `name` and `ccgsim check` it, expecting an input error
/// (exit 2); its message.
fn refused(d: &std::path::Path, name: &str, text: &str) -> String {
    write(d, name, text);
    let o = ccgsim(d, &["check", name]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    stderr(&o)
}

fn manifest(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

/// The event key is `failure_narrative` (≥ 0); the old key `narrative` is refused
/// with a located message that explains the change; a negative strength is refused.
#[test]
fn event_narrative_key_is_failure_narrative() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "new.toml",
        "[scenario]\nmonths = 6\nreplicates = 2\n[[events]]\nmonth = 2\nfailure_narrative = 0.6\nduration = 2\n",
    );
    let o = ccgsim(d, &["check", "new.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));

    let e = refused(
        d,
        "old.toml",
        "[scenario]\nmonths = 6\n[[events]]\nmonth = 2\nnarrative = 0.6\nduration = 2\n",
    );
    assert!(e.contains("old.toml:5:1"), "{e}");
    assert!(e.contains("now `failure_narrative`"), "{e}");
    assert!(e.contains("signed"), "{e}");
    // One message, not a second "duration only applies to…".
    assert!(!e.contains("only applies"), "{e}");

    let e = refused(
        d,
        "neg.toml",
        "[[events]]\nmonth = 2\nfailure_narrative = -0.3\nduration = 2\n",
    );
    assert!(e.contains("out of range"), "{e}");
}

/// A sweep path with the old key explains the change too.
#[test]
fn sweep_path_with_old_narrative_key_explains() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "base.toml",
        "[scenario]\nmonths = 6\nreplicates = 1\n[[events]]\nmonth = 2\nlabel = \"shock\"\nfailure_narrative = 0.5\nduration = 2\n",
    );
    write(
        d,
        "sw.toml",
        "base = \"base.toml\"\n[grid]\n\"events.shock.narrative\" = [0.1]\n",
    );
    let o = ccgsim(d, &["sweep", "sw.toml", "--out", "o"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("now `failure_narrative`"),
        "{}",
        stderr(&o)
    );
}

fn scenario(d: &std::path::Path, name: &str, seed: u64, reps: u32, sanctions: f64) {
    write(
        d,
        name,
        &format!(
            "[scenario]\nmonths = 18\nreplicates = {reps}\nseed = {seed}\n[ccg]\npractices = 15\n[constitution]\nsanctions = {sanctions}\n"
        ),
    );
}

/// compare.csv rows: (outcome, month_from, month_to, statistic, value).
fn long(path: &std::path::Path) -> Vec<[String; 5]> {
    let mut r = csv::Reader::from_path(path).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["outcome", "month_from", "month_to", "statistic", "value"]
    );
    r.records()
        .map(|x| {
            let x = x.unwrap();
            std::array::from_fn(|i| x[i].to_string())
        })
        .collect()
}

fn value(rows: &[[String; 5]], outcome: &str, stat: &str) -> f64 {
    rows.iter()
        .find(|r| r[0] == outcome && r[3] == stat)
        .unwrap_or_else(|| panic!("no {outcome} {stat}"))[4]
        .parse()
        .unwrap()
}

/// Mean over months a..=b of `col` per run of a result folder, in run order.
fn window_means(dir: &std::path::Path, col: &str, a: u32, b: u32) -> Vec<f64> {
    let mut r = csv::Reader::from_path(dir.join("timeseries.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let at = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (rep, month, c) = (at("replicate"), at("month"), at(col));
    let mut sums: std::collections::BTreeMap<u32, (f64, u32)> = Default::default();
    for rec in r.records() {
        let rec = rec.unwrap();
        let t: u32 = rec[month].parse().unwrap();
        if (a..=b).contains(&t) && !rec[c].is_empty() {
            let e = sums.entry(rec[rep].parse().unwrap()).or_default();
            e.0 += rec[c].parse::<f64>().unwrap();
            e.1 += 1;
        }
    }
    sums.values().map(|(s, n)| s / *n as f64).collect()
}

/// `--months A..B` compares window means, `--outcome` picks any column (and
/// failure); the numbers equal the paired mean difference computed by hand from
/// the two runs' timeseries.csv, and scenario files and result folders agree.
#[test]
fn compare_window_and_outcomes_match_the_timeseries() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    scenario(d, "a.toml", 5, 8, 0.0);
    scenario(d, "b.toml", 5, 8, 1.0);
    let args = [
        "--months",
        "3..9",
        "--outcome",
        "workload",
        "--outcome",
        "ownership_agree",
        "--outcome",
        "failure",
    ];
    let mut c1 = vec!["compare", "a.toml", "b.toml", "--out", "c1"];
    c1.extend(args);
    let o = ccgsim(d, &c1);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out(&o).contains("mean over months 3–9"), "{}", out(&o));
    let rows = long(&d.join("c1/compare.csv"));
    let outcomes: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(outcomes.len(), 3 * 6);
    assert_eq!(outcomes[0], "workload");
    assert_eq!(outcomes[6], "ownership_agree");
    assert_eq!(outcomes[12], "failure_probability");
    assert!(rows.iter().all(|r| r[1] == "3" && r[2] == "9"));
    for (name, s) in [("a.toml", "ra"), ("b.toml", "rb")] {
        let o = ccgsim(d, &["run", name, "--out", s, "--no-plots", "-q"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let (a, b) = (
        window_means(&d.join("ra"), "workload", 3, 9),
        window_means(&d.join("rb"), "workload", 3, 9),
    );
    let want = b.iter().zip(&a).map(|(x, y)| x - y).sum::<f64>() / a.len() as f64;
    let got = value(&rows, "workload", "difference");
    assert!((got - want).abs() < 2e-6, "{got} vs {want}");
    assert_eq!(value(&rows, "workload", "n"), 8.0);
    // Result folders give the same file.
    let mut c2 = vec!["compare", "ra", "rb", "--out", "c2", "-q"];
    c2.extend(args);
    let o = ccgsim(d, &c2);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(d.join("c1/compare.csv")).unwrap(),
        std::fs::read(d.join("c2/compare.csv")).unwrap()
    );
    // An unknown outcome and a window past the horizon are usage errors.
    let o = ccgsim(
        d,
        &["compare", "ra", "rb", "--out", "c3", "--outcome", "engaged"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("engaged_share"), "{}", stderr(&o));
    let o = ccgsim(
        d,
        &["compare", "ra", "rb", "--out", "c3", "--months", "3..40"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("runs to month 18 only"),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("c3").exists());
}

/// The bundled baseline (20 replicates) against running-cost-cut (30): the 20
/// common replicates are paired, and the message says so exactly.
#[test]
fn compare_pairs_the_common_replicates_of_unequal_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    scenario(d, "a.toml", 2, 4, 0.2);
    scenario(d, "b.toml", 2, 6, 0.2);
    for (name, s) in [("a.toml", "ra"), ("b.toml", "rb")] {
        let o = ccgsim(d, &["run", name, "--out", s, "--no-plots", "-q"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = ccgsim(d, &["compare", "ra", "rb", "--out", "c"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = out(&o);
    assert!(text.contains("4 paired CCG-runs"), "{text}");
    assert!(
        text.contains("A has replicates 0–3 (4 replicates), B has replicates 0–5 (6 replicates)"),
        "{text}"
    );
    assert!(text.contains("left out 0 of A's and 2 of B's"), "{text}");
    let rows = long(&d.join("c/compare.csv"));
    // Same scenario, same seed: the common replicates are identical runs.
    assert_eq!(value(&rows, "engaged_share", "difference"), 0.0);
    assert_eq!(value(&rows, "engaged_share", "n"), 4.0);
    let m = manifest(&d.join("c"));
    assert_eq!(m["paired"], true);
    assert!(m["pairing"].as_str().unwrap().contains("left out"));
}

/// An existing output folder is refused before anything runs (no "running"
/// line, no progress), with a hint to use --force.
#[test]
fn compare_checks_the_output_folder_first() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    scenario(d, "a.toml", 1, 3, 0.2);
    std::fs::create_dir(d.join("c")).unwrap();
    std::fs::write(d.join("c/keep.txt"), "mine").unwrap();
    let o = ccgsim(d, &["compare", "a.toml", "a.toml", "--out", "c"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("already exists") && e.contains("--force"), "{e}");
    assert!(!e.contains("running"), "{e}");
    assert!(out(&o).is_empty(), "{}", out(&o));
    assert_eq!(
        std::fs::read_to_string(d.join("c/keep.txt")).unwrap(),
        "mine"
    );
}

/// `--months` shorter than a scenario's events drops them, saying which; an
/// event past the file's own horizon stays an error.
#[test]
fn short_months_drop_later_events_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "s.toml",
        "[scenario]\nmonths = 36\nreplicates = 2\n[[events]]\nmonth = 6\nset = { \"constitution.sanctions\" = 0.5 }\n[[events]]\nmonth = 24\nlabel = \"cut\"\nset = { \"ccg.allowance_per_head\" = 22.0 }\n",
    );
    let o = ccgsim(
        d,
        &[
            "run",
            "s.toml",
            "--months",
            "12",
            "--out",
            "r",
            "--no-plots",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("\"cut\" at month 24"), "{e}");
    assert!(e.contains("s.toml:7"), "{e}");
    assert!(e.contains("dropped"), "{e}");
    assert!(!e.contains("month 6"), "{e}");
    let m = manifest(&d.join("r"));
    assert_eq!(m["scenario"]["events"].as_array().unwrap().len(), 1);
    // In the file itself the horizon still rules.
    let e = refused(
        d,
        "bad.toml",
        "[scenario]\nmonths = 12\n[[events]]\nmonth = 24\nset = { \"ccg.allowance_per_head\" = 22.0 }\n",
    );
    assert!(e.contains("past the horizon"), "{e}");
}

/// Results stack: every timeseries and summary row names its scenario.
#[test]
fn outputs_carry_a_scenario_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "s.toml",
        "[scenario]\nname = \"peer, led\"\nmonths = 3\nreplicates = 2\n[ccg]\npractices = 8\n",
    );
    let o = ccgsim(d, &["run", "s.toml", "--out", "r", "--no-plots", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (file, rows) in [("timeseries.csv", 8), ("summary.csv", 2)] {
        let mut r = csv::Reader::from_path(d.join("r").join(file)).unwrap();
        assert_eq!(&r.headers().unwrap()[0], "scenario");
        assert_eq!(&r.headers().unwrap()[1], "replicate");
        let recs: Vec<_> = r.records().map(|x| x.unwrap()).collect();
        assert_eq!(recs.len(), rows);
        assert!(recs.iter().all(|x| &x[0] == "peer, led"));
    }
}

/// A sweep's runs.csv carries each point's parameter values, and stats.csv /
/// timeseries_quantiles.csv have long companions with the same numbers.
#[test]
fn sweep_outputs_are_tidy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "base.toml",
        "[scenario]\nmonths = 4\nreplicates = 2\n[ccg]\npractices = 8\n",
    );
    write(
        d,
        "sw.toml",
        "base = \"base.toml\"\n[grid]\n\"constitution.sanctions\" = [0.25, 0.75]\n",
    );
    let o = ccgsim(
        d,
        &[
            "sweep",
            "sw.toml",
            "--out",
            "s",
            "--timeseries-quantiles",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut r = csv::Reader::from_path(d.join("s/runs.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    assert_eq!(&h[0], "point");
    assert_eq!(&h[1], "constitution_sanctions");
    for rec in r.records() {
        let rec = rec.unwrap();
        let want = if &rec[0] == "0" { "0.25" } else { "0.75" };
        assert_eq!(&rec[1], want, "{rec:?}");
    }
    // Long stats: one row per point × outcome × statistic, same values.
    let mut wide = csv::Reader::from_path(d.join("s/stats.csv")).unwrap();
    let wh = wide.headers().unwrap().clone();
    let wrows: Vec<_> = wide.records().map(|x| x.unwrap()).collect();
    let mut l = csv::Reader::from_path(d.join("s/stats_long.csv")).unwrap();
    assert_eq!(
        l.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "point",
            "constitution_sanctions",
            "runs",
            "outcome",
            "statistic",
            "value"
        ]
    );
    let lrows: Vec<_> = l.records().map(|x| x.unwrap()).collect();
    assert_eq!(lrows.len(), wrows.len() * (wh.len() - 3));
    let find = |p: &str, o: &str, s: &str| {
        lrows
            .iter()
            .find(|r| &r[0] == p && &r[3] == o && &r[4] == s)
            .map(|r| r[5].to_string())
    };
    let col = |n: &str| wh.iter().position(|x| x == n).unwrap();
    assert_eq!(
        find("1", "engaged_share", "mean").unwrap(),
        &wrows[1][col("engaged_share_mean")]
    );
    assert_eq!(
        find("0", "failure_probability", "ci_high").unwrap(),
        &wrows[0][col("failure_ci_high")]
    );
    let mut q = csv::Reader::from_path(d.join("s/timeseries_quantiles_long.csv")).unwrap();
    assert_eq!(
        q.headers().unwrap().iter().collect::<Vec<_>>(),
        ["point", "month", "outcome", "quantile", "value"]
    );
    assert!(q.records().any(|r| {
        let r = r.unwrap();
        &r[3] == "0.5" && &r[2] == "engaged_share"
    }));
    let m = manifest(&d.join("s"));
    assert!(m["files"]["stats_long.csv"]["blake3"].is_string());
    let o = ccgsim(d, &["check-result", "s"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `params` shows units, which parameters events may change, and the
/// [scenario], [population] and [failure] keys.
#[test]
fn params_lists_units_events_and_every_section() {
    let dir = tempfile::tempdir().unwrap();
    let o = ccgsim(dir.path(), &["params"]);
    assert!(o.status.success());
    let t = out(&o);
    for want in [
        "[scenario]",
        "replicates",
        "[population]",
        "median_population",
        "[[events]]",
        "failure_narrative",
        "[failure]",
        "engaged_line",
        "GBP per head per year",
        "event",
    ] {
        assert!(t.contains(want), "missing {want}:\n{t}");
    }
    let line = |k: &str| {
        t.lines()
            .find(|l| l.trim_start().starts_with(k))
            .unwrap()
            .to_string()
    };
    assert!(
        line("allowance_per_head").contains(" yes "),
        "{}",
        line("allowance_per_head")
    );
    assert!(
        line("list_size_median").contains(" no "),
        "{}",
        line("list_size_median")
    );
}

/// `-q` prints nothing but errors; without it, a run into a log (not a
/// terminal, no CI) prints plain progress lines.
#[test]
fn quiet_is_silent_and_logs_get_progress_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    scenario(d, "a.toml", 1, 3, 0.2);
    let o = ccgsim(d, &["run", "a.toml", "--out", "r", "-q", "--no-plots"]);
    assert!(o.status.success());
    assert!(
        o.stdout.is_empty() && o.stderr.is_empty(),
        "{}{}",
        out(&o),
        stderr(&o)
    );
    let o = ccgsim(d, &["compare", "a.toml", "a.toml", "--out", "c", "-q"]);
    assert!(o.status.success());
    assert!(
        o.stdout.is_empty() && o.stderr.is_empty(),
        "{}{}",
        out(&o),
        stderr(&o)
    );
    let log = std::process::Command::new(env!("CARGO_BIN_EXE_ccgsim"))
        .args(["run", "a.toml", "--out", "r2", "--no-plots"])
        .current_dir(d)
        .env_remove("CI")
        .env("CCGSIM_PROGRESS_EVERY", "0")
        .output()
        .unwrap();
    assert!(log.status.success());
    let e = stderr(&log);
    assert!(e.contains("progress: 1/3 CCG-runs"), "{e}");
    assert!(e.contains("progress: 3/3 CCG-runs done"), "{e}");
}

/// Messages: run on a sweep file, plot compare on a sweep folder, a missing
/// file, a sweep value out of range (one message), errors in line order.
#[test]
fn messages_say_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "base.toml",
        "[scenario]\nmonths = 3\nreplicates = 1\n[ccg]\npractices = 6\n",
    );
    write(
        d,
        "sw.toml",
        "base = \"base.toml\"\n[grid]\n\"constitution.sanctions\" = [0.5]\n",
    );
    let o = ccgsim(d, &["run", "sw.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("use `ccgsim sweep")
            || stderr(&o).contains("run it with `ccgsim sweep sw.toml`"),
        "{}",
        stderr(&o)
    );

    let o = ccgsim(d, &["sweep", "sw.toml", "--out", "s", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = ccgsim(d, &["run", "base.toml", "--out", "r", "-q", "--no-plots"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = ccgsim(d, &["plot", "compare", "r", "s", "--out", "p"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("`ccgsim sweep` result") && e.contains("ccgsim plot sweep"),
        "{e}"
    );

    let o = ccgsim(d, &["run", "nope.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("No such file or directory"),
        "{}",
        stderr(&o)
    );
    let o = ccgsim(d, &["check", "nope.toml"]);
    assert!(
        stderr(&o).contains("No such file or directory"),
        "{}",
        stderr(&o)
    );

    write(
        d,
        "range.toml",
        "base = \"base.toml\"\n[grid]\n\"constitution.sanctions\" = [0.5, 3]\n",
    );
    let o = ccgsim(d, &["sweep", "range.toml", "--out", "s2"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert_eq!(e.matches("error:").count(), 1, "{e}");
    assert!(e.contains("out of range"), "{e}");
    assert!(!e.contains("expected a number"), "{e}");

    // Events are checked last, but their errors are listed in line order.
    let e = refused(
        d,
        "order.toml",
        "[[events]]\nmonth = 2\nset = { \"ccg.allowance_per_hed\" = 1 }\n[ccg]\npractices = 0\n",
    );
    let (a, b) = (
        e.find("order.toml:3").unwrap(),
        e.find("order.toml:5").unwrap(),
    );
    assert!(a < b, "{e}");
}
