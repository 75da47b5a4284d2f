//! Extreme but valid inputs either run correctly or are refused up front with a
//! clear message — never a hang, a panic or running out of memory.

use ccgsim::engine::Plan;
use ccgsim::model::Observation;
use ccgsim::output::verify::{Verdict, verify};
use ccgsim::run::{RunOptions, run};
use ccgsim::scenario::{Kind, SPECS, Scenario, parse};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

fn scenario(text: &str) -> Scenario {
    parse(text, Path::new("extreme.toml")).unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
}

/// Every value finite and every share in [0, 1]; NaN only in the documented cells.
fn assert_sane(plan: &Plan) {
    for i in 0..plan.runs() {
        let rec = plan.record(i);
        assert_eq!(rec.months.len() as u32, plan.scenario.months + 1);
        for (t, o) in rec.months.iter().enumerate() {
            let leaders = o.leaders;
            for (name, v) in Observation::COLUMNS.iter().zip(o.values()) {
                if v.is_nan() {
                    let leader_col = name.contains("leader") && leaders == 0.0;
                    let member_col = name.contains("members") && leaders == rec.practices as f64;
                    assert!(leader_col || member_col, "run {i} month {t}: {name} NaN");
                    continue;
                }
                assert!(v.is_finite(), "run {i} month {t}: {name} = {v}");
                if !matches!(
                    *name,
                    "leaders"
                        | "leader_posts"
                        | "allowance_per_head"
                        | "narrative"
                        | "workload"
                        | "overload"
                        | "leader_stepdowns"
                        | "leader_vacancies"
                        | "ccg_balance"
                        | "quality_premium"
                        | "localities"
                ) {
                    assert!((0.0..=1.0).contains(&v), "run {i} month {t}: {name} = {v}");
                }
            }
        }
    }
}

/// Run through the library into a temporary folder and check the result is whole.
fn run_ok(scn: Scenario) -> (u64, u64) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let runs = scn.replicates as u64 * scn.ccg_sizes().len() as u64;
    let months = scn.months as u64 + 1;
    run(
        scn,
        &RunOptions {
            threads: 2,
            ..RunOptions::new(&out)
        },
    )
    .unwrap();
    let v = verify(&out).unwrap();
    assert_eq!(v.verdict, Verdict::Complete, "{:?}", v.findings);
    let rows = |f: &str| {
        std::fs::read_to_string(out.join(f))
            .unwrap()
            .lines()
            .count() as u64
            - 1
    };
    assert_eq!(rows("summary.csv"), runs);
    assert_eq!(rows("timeseries.csv"), runs * months);
    (runs, months)
}

/// The binary, killed (and the test failed) if it outlives `limit`.
fn ccgsim(args: &[&str], dir: &Path, limit: Duration) -> Output {
    crate::common::ccgsim_within(dir, args, limit)
}

#[test]
fn one_practice_one_locality() {
    let s =
        scenario("[scenario]\nmonths = 60\nreplicates = 5\n[ccg]\npractices = 1\nlocalities = 1\n");
    assert_sane(&Plan::new(s.clone()));
    assert_eq!(run_ok(s), (5, 61));
}

#[test]
fn a_thousand_practices() {
    let s = scenario(
        "[scenario]\nmonths = 24\nreplicates = 2\n[ccg]\npractices = 1000\nlocalities = 100\n",
    );
    assert_sane(&Plan::new(s.clone()));
    run_ok(s);
}

#[test]
fn more_localities_than_practices_is_refused_clearly() {
    let e = parse(
        "[ccg]\npractices = 1\nlocalities = 2\n",
        Path::new("x.toml"),
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("ccg.localities") && msg.contains("at most one locality per practice"),
        "{msg}"
    );
}

/// Each share (a parameter ranging over [0, 1]) at 0 and at 1, one at a time,
/// then every parameter at its minimum and at its maximum together.
#[test]
fn every_share_at_zero_and_one() {
    let shares: Vec<_> = SPECS
        .iter()
        .filter(|s| s.kind != Kind::Int && s.min == 0.0 && s.max == 1.0)
        .collect();
    assert!(shares.len() > 30, "{} shares", shares.len());
    let mut cases = 0;
    for spec in &shares {
        for v in ["0", "1"] {
            let v = if spec.kind == Kind::Bool {
                if v == "1" { "true" } else { "false" }
            } else {
                v
            };
            let s = scenario(&format!(
                "[scenario]\nmonths = 36\nreplicates = 2\n[{}]\n{} = {v}\n",
                spec.section(),
                spec.key()
            ));
            assert_sane(&Plan::new(s));
            cases += 1;
        }
    }
    for end in ["min", "max"] {
        let mut text = String::from("[scenario]\nmonths = 36\nreplicates = 2\n");
        let mut section = "";
        for spec in SPECS {
            let mut v = if end == "min" { spec.min } else { spec.max };
            // Cut points must rise, so spread them inside their range.
            v = match spec.path {
                "behaviour.cut_1" => -1.0 + v / 20.0,
                "behaviour.cut_2" => v / 20.0,
                "behaviour.cut_3" => 1.0 + v / 20.0,
                "ccg.localities" => 1.0,
                _ => v,
            };
            if spec.section() != section {
                section = spec.section();
                text.push_str(&format!("[{section}]\n"));
            }
            let lit = match spec.kind {
                Kind::Bool => (v != 0.0).to_string(),
                Kind::Int => (v as i64).to_string(),
                Kind::Float => format!("{v:?}"),
            };
            text.push_str(&format!("{} = {lit}\n", spec.key()));
        }
        assert_sane(&Plan::new(scenario(&text)));
        cases += 1;
    }
    assert_eq!(cases, shares.len() * 2 + 2);
}

#[test]
fn a_600_month_horizon() {
    let s = scenario("[scenario]\nmonths = 600\nreplicates = 3\n");
    assert_sane(&Plan::new(s.clone()));
    assert_eq!(run_ok(s), (3, 601));
}

#[test]
fn an_event_every_month() {
    let months = 600;
    let mut text =
        format!("[scenario]\nmonths = {months}\nreplicates = 2\n[ccg]\npractices = 20\n");
    for m in 0..=months {
        let body = match m % 3 {
            0 => format!("set = {{ \"ccg.allowance_per_head\" = {} }}", 15 + m % 11),
            1 => format!(
                "ramp = {{ \"environment.qipp\" = {:?} }}\nover = {}",
                (m % 7) as f64 / 3.0,
                1 + m % 13
            ),
            _ => format!(
                "failure_narrative = {:?}\nduration = {}",
                (m % 5) as f64 / 4.0,
                1 + m % 9
            ),
        };
        text.push_str(&format!("[[events]]\nmonth = {m}\n{body}\n"));
    }
    let s = scenario(&text);
    assert_eq!(s.events.len(), months as usize + 1);
    assert_sane(&Plan::new(s.clone()));
    run_ok(s);
}

#[test]
fn the_largest_request_is_refused_up_front_with_the_estimate() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("huge.toml"),
        "[scenario]\nmonths = 1200\nreplicates = 10000000\n[population]\nccgs = 10000\nmedian_population = 221000\nmin_population = 63100\nmax_population = 869400\npatients_per_practice = 7200\n",
    )
    .unwrap();
    let out = ccgsim(
        &["run", "huge.toml", "--out", "r"],
        tmp.path(),
        Duration::from_secs(30),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("would need up to") && err.contains("PB") && err.contains("free"),
        "{err}"
    );
    assert!(!tmp.path().join("r").exists());
    // Nothing left behind, not even a staging folder.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[test]
fn absurd_thread_counts_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("s.toml"),
        "[scenario]\nmonths = 2\nreplicates = 1\n",
    )
    .unwrap();
    let out = ccgsim(
        &["run", "s.toml", "--threads", "100000"],
        tmp.path(),
        Duration::from_secs(30),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--threads 100000 is out of range"), "{err}");
}

#[test]
fn a_huge_file_is_not_read() {
    let tmp = tempfile::tempdir().unwrap();
    let f = std::fs::File::create(tmp.path().join("big.toml")).unwrap();
    f.set_len(ccgsim::scenario::MAX_SCENARIO_BYTES + 1).unwrap(); // sparse: costs no disk
    let out = ccgsim(&["check", "big.toml"], tmp.path(), Duration::from_secs(30));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("may be at most"), "{err}");
}

#[test]
fn extreme_seeds_and_overrides() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("s.toml"),
        "[scenario]\nmonths = 3\nreplicates = 1\n",
    )
    .unwrap();
    let out = ccgsim(
        &[
            "run",
            "s.toml",
            "--seed",
            "18446744073709551615",
            "--months",
            "1",
            "--out",
            "r",
        ],
        tmp.path(),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for bad in [
        ["--months", "0"],
        ["--months", "1201"],
        ["--replicates", "0"],
    ] {
        let out = ccgsim(
            &["run", "s.toml", bad[0], bad[1]],
            tmp.path(),
            Duration::from_secs(30),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {err}");
        assert!(
            err.contains(bad[0]) && err.contains("out of range"),
            "{err}"
        );
    }
}
