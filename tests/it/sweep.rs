//! `ccgsim sweep` and `ccgsim merge` end to end: the same bytes on any thread
//! count, as shards merged, and after an interruption; refusals of foreign,
//! damaged or incomplete folders; located errors in sweep files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DATA: [&str; 4] = [
    "points.csv",
    "runs.csv",
    "stats.csv",
    "timeseries_quantiles.csv",
];

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ccgsim"));
    c.env_remove("CCGSIM_SWEEP_CHUNK_RUNS")
        .env_remove("CCGSIM_SWEEP_ABORT_AFTER_CHUNKS");
    c
}

fn run(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = bin();
    c.current_dir(dir).args(args).arg("-q");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("ccgsim runs")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn err(o: &Output, code: i32) -> String {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout {}\nstderr {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn same(a: &Path, b: &Path) {
    for f in DATA {
        let (x, y) = (a.join(f), b.join(f));
        assert_eq!(x.exists(), y.exists(), "{f}");
        if x.exists() {
            assert!(
                std::fs::read(&x).unwrap() == std::fs::read(&y).unwrap(),
                "{f} differs between {} and {}",
                a.display(),
                b.display()
            );
        }
    }
}

/// A folder with a small base scenario and a 2 × 3 grid sweep over it.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("base.toml"),
        "[scenario]\nname = \"base\"\nmonths = 18\nreplicates = 2\n[ccg]\npractices = 16\n",
    )
    .unwrap();
    let sweep = d.path().join("grid.toml");
    std::fs::write(
        &sweep,
        "base = \"base.toml\"\nreplicates = 4\nseed = 11\n[grid]\n\"ccg.practices\" = [8, 20]\n\"constitution.sanctions\" = [0.0, 0.5, 1.0]\n",
    )
    .unwrap();
    (d, sweep)
}

#[test]
fn grid_sweep_writes_tidy_files_and_stats_match_runs() {
    let (d, _) = setup();
    let p = d.path();
    ok(&run(&["sweep", "grid.toml", "--out", "r"], p, &[]));
    let points = std::fs::read_to_string(p.join("r/points.csv")).unwrap();
    let lines: Vec<&str> = points.lines().collect();
    assert_eq!(lines[0], "point,ccg_practices,constitution_sanctions");
    assert_eq!(lines.len(), 7, "2 × 3 grid");
    assert_eq!(lines[1], "0,8,0");
    assert_eq!(lines[6], "5,20,1", "integers stay integers");

    // stats.csv recomputed here from runs.csv: mean and failure share per point.
    let mut runs = csv::Reader::from_path(p.join("r/runs.csv")).unwrap();
    let h = runs.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (pc, ec, fc) = (col("point"), col("engaged_share"), col("failed"));
    let mut sum = [0.0; 6];
    let mut fails = [0.0; 6];
    let mut count = [0usize; 6];
    for r in runs.records() {
        let r = r.unwrap();
        let k: usize = r[pc].parse().unwrap();
        sum[k] += r[ec].parse::<f64>().unwrap();
        fails[k] += r[fc].parse::<f64>().unwrap();
        count[k] += 1;
    }
    let mut stats = csv::Reader::from_path(p.join("r/stats.csv")).unwrap();
    let sh = stats.headers().unwrap().clone();
    let scol = |n: &str| sh.iter().position(|x| x == n).unwrap();
    for name in [
        "engaged_share_mean",
        "engaged_share_sd",
        "engaged_share_ci_low",
        "engaged_share_ci_high",
        "leaders_lacking_support_ci_high",
        "failure_probability",
        "failure_ci_low",
        "failure_ci_high",
    ] {
        scol(name);
    }
    let mut n = 0;
    for r in stats.records() {
        let r = r.unwrap();
        let k: usize = r[0].parse().unwrap();
        assert_eq!(count[k], 4, "4 replicates × 1 CCG");
        assert_eq!(r[scol("runs")].parse::<usize>().unwrap(), 4);
        let mean: f64 = r[scol("engaged_share_mean")].parse().unwrap();
        assert!((mean - sum[k] / 4.0).abs() < 1e-6, "point {k}");
        let lo: f64 = r[scol("engaged_share_ci_low")].parse().unwrap();
        let hi: f64 = r[scol("engaged_share_ci_high")].parse().unwrap();
        assert!(lo <= mean && mean <= hi);
        let fp: f64 = r[scol("failure_probability")].parse().unwrap();
        assert!((fp - fails[k] / 4.0).abs() < 1e-9);
        n += 1;
    }
    assert_eq!(n, 6, "one row per point");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("r/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["complete"], true);
    assert_eq!(m["total_runs"], 24);
    assert!(m["files"]["stats.csv"]["blake3"].is_string());
    assert!(!p.join("r/partial").exists() && !p.join("r/partial.json").exists());
}

#[test]
fn thread_count_does_not_change_a_byte() {
    let (d, _) = setup();
    let p = d.path();
    let tq = ["--timeseries-quantiles", "0.1,0.5,0.9"];
    ok(&run(
        &[
            "sweep",
            "grid.toml",
            "--out",
            "t1",
            "--threads",
            "1",
            tq[0],
            tq[1],
        ],
        p,
        &[],
    ));
    ok(&run(
        &[
            "sweep",
            "grid.toml",
            "--out",
            "t2",
            "--threads",
            "2",
            tq[0],
            tq[1],
        ],
        p,
        &[("CCGSIM_SWEEP_CHUNK_RUNS", "5")],
    ));
    same(&p.join("t1"), &p.join("t2"));
    let q = std::fs::read_to_string(p.join("t1/timeseries_quantiles.csv")).unwrap();
    assert!(q.starts_with("point,month,engaged_share_q10,engaged_share_q50,engaged_share_q90,"));
    assert_eq!(q.lines().count(), 1 + 6 * 19, "6 points × months 0..=18");
    assert!(!p.join("t1/timeseries_runs.csv").exists());
}

#[test]
fn three_shards_merged_equal_the_whole_sweep() {
    let (d, _) = setup();
    let p = d.path();
    let tq = "--timeseries-quantiles";
    ok(&run(&["sweep", "grid.toml", "--out", "whole", tq], p, &[]));
    for k in 0..3 {
        let s = format!("{k}/3");
        ok(&run(
            &[
                "sweep",
                "grid.toml",
                "--out",
                &format!("part-{k}"),
                "--shard",
                &s,
                tq,
            ],
            p,
            &[],
        ));
    }
    // Any order on the command line.
    ok(&run(
        &["merge", "part-2", "part-0", "part-1", "--out", "merged"],
        p,
        &[],
    ));
    same(&p.join("whole"), &p.join("merged"));
    assert!(p.join("merged/timeseries_quantiles.csv").exists());
    assert!(
        !p.join("part-1/stats.csv").exists(),
        "a shard has no stats of its own"
    );

    // Missing and duplicate shards are named.
    let e = err(
        &run(
            &["merge", "part-0", "part-2", "part-2", "--out", "m2"],
            p,
            &[],
        ),
        1,
    );
    assert!(e.contains("missing shard(s) 1"), "{e}");
    assert!(e.contains("shard 2 given 2 times"), "{e}");
    assert!(!p.join("m2").exists());
    // Merging into an existing folder is refused.
    let e = err(
        &run(
            &["merge", "part-0", "part-1", "part-2", "--out", "merged"],
            p,
            &[],
        ),
        1,
    );
    assert!(e.contains("already exists"), "{e}");
}

#[test]
fn merge_refuses_shards_of_different_sweeps_or_unfinished_shards() {
    let (d, _) = setup();
    let p = d.path();
    std::fs::write(
        p.join("other.toml"),
        "base = \"base.toml\"\nreplicates = 4\nseed = 12\n[grid]\n\"ccg.practices\" = [8, 20]\n\"constitution.sanctions\" = [0.0, 0.5, 1.0]\n",
    )
    .unwrap();
    ok(&run(
        &["sweep", "grid.toml", "--out", "a0", "--shard", "0/2"],
        p,
        &[],
    ));
    ok(&run(
        &["sweep", "other.toml", "--out", "b1", "--shard", "1/2"],
        p,
        &[],
    ));
    let e = err(&run(&["merge", "a0", "b1", "--out", "m"], p, &[]), 1);
    assert!(e.contains("not shards of the same sweep"), "{e}");

    // An interrupted shard is reported as unfinished.
    let o = run(
        &["sweep", "grid.toml", "--out", "a1", "--shard", "1/2"],
        p,
        &[
            ("CCGSIM_SWEEP_CHUNK_RUNS", "2"),
            ("CCGSIM_SWEEP_ABORT_AFTER_CHUNKS", "1"),
        ],
    );
    assert!(!o.status.success());
    let e = err(&run(&["merge", "a0", "a1", "--out", "m"], p, &[]), 1);
    assert!(e.contains("unfinished"), "{e}");
}

#[test]
fn resume_after_abort_finishes_only_missing_runs_and_matches() {
    let (d, _) = setup();
    let p = d.path();
    ok(&run(&["sweep", "grid.toml", "--out", "whole"], p, &[]));
    let o = run(
        &["sweep", "grid.toml", "--out", "r", "--threads", "2"],
        p,
        &[
            ("CCGSIM_SWEEP_CHUNK_RUNS", "3"),
            ("CCGSIM_SWEEP_ABORT_AFTER_CHUNKS", "3"),
        ],
    );
    assert!(!o.status.success(), "the hook aborts the process");
    assert!(!p.join("r/manifest.json").exists());
    assert_eq!(std::fs::read_dir(p.join("r/partial")).unwrap().count(), 3);
    // Same command again (the chunk size is taken from partial.json).
    let out = ok(&run(
        &["sweep", "grid.toml", "--out", "r", "--threads", "1"],
        p,
        &[],
    ));
    assert!(
        out.contains("15 computed now") && out.contains("9 found finished"),
        "{out}"
    );
    same(&p.join("whole"), &p.join("r"));

    // Once complete, running again does nothing and says so.
    let before = std::fs::read(p.join("r/manifest.json")).unwrap();
    let out = ok(&run(&["sweep", "grid.toml", "--out", "r"], p, &[]));
    assert!(out.contains("nothing to do"), "{out}");
    assert_eq!(std::fs::read(p.join("r/manifest.json")).unwrap(), before);
}

#[test]
fn resume_after_sigkill_matches_an_uninterrupted_run() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::write(
        p.join("base.toml"),
        "[scenario]\nmonths = 60\n[ccg]\npractices = 120\n",
    )
    .unwrap();
    std::fs::write(
        p.join("big.toml"),
        "base = \"base.toml\"\nreplicates = 20\nseed = 3\n[lhs]\nn = 30\n\"constitution.sanctions\" = [0.0, 1.0]\n\"ccg.localities\" = [1, 8]\n",
    )
    .unwrap();
    let mut child = bin()
        .current_dir(p)
        .args(["sweep", "big.toml", "--out", "k", "--threads", "1", "-q"])
        .env("CCGSIM_SWEEP_CHUNK_RUNS", "8")
        .spawn()
        .unwrap();
    // Kill -9 once a few chunks are on disk.
    let chunks = p.join("k/partial");
    let t0 = std::time::Instant::now();
    loop {
        let n = std::fs::read_dir(&chunks).map_or(0, |r| r.count());
        if n >= 3 || t0.elapsed().as_secs() > 120 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    assert!(
        !p.join("k/manifest.json").exists(),
        "the sweep must still be running when killed (make it bigger)"
    );
    let out = ok(&run(&["sweep", "big.toml", "--out", "k"], p, &[]));
    assert!(!out.contains(" 0 found finished"), "{out}");
    ok(&run(&["sweep", "big.toml", "--out", "whole"], p, &[]));
    same(&p.join("whole"), &p.join("k"));
}

#[test]
fn foreign_unrelated_and_damaged_folders_are_refused() {
    let (d, _) = setup();
    let p = d.path();
    std::fs::write(
        p.join("other.toml"),
        "base = \"base.toml\"\nreplicates = 2\n[grid]\n\"constitution.sanctions\" = [0.0, 1.0]\n",
    )
    .unwrap();
    ok(&run(&["sweep", "grid.toml", "--out", "r"], p, &[]));
    // Another sweep's complete result.
    let e = err(&run(&["sweep", "other.toml", "--out", "r"], p, &[]), 1);
    assert!(e.contains("another sweep"), "{e}");
    // Another sweep's unfinished result.
    let o = run(
        &["sweep", "other.toml", "--out", "u"],
        p,
        &[
            ("CCGSIM_SWEEP_CHUNK_RUNS", "1"),
            ("CCGSIM_SWEEP_ABORT_AFTER_CHUNKS", "1"),
        ],
    );
    assert!(!o.status.success());
    let e = err(&run(&["sweep", "grid.toml", "--out", "u"], p, &[]), 1);
    assert!(
        e.contains("unfinished") && e.contains("another sweep"),
        "{e}"
    );
    // A folder with unrelated files.
    std::fs::create_dir(p.join("mine")).unwrap();
    std::fs::write(p.join("mine/notes.txt"), "keep me").unwrap();
    let e = err(&run(&["sweep", "grid.toml", "--out", "mine"], p, &[]), 1);
    assert!(e.contains("holds no ccgsim sweep"), "{e}");
    assert_eq!(
        std::fs::read_to_string(p.join("mine/notes.txt")).unwrap(),
        "keep me"
    );
    // The result of another ccgsim command.
    std::fs::write(
        p.join("scn.toml"),
        "[scenario]\nmonths = 3\nreplicates = 1\n",
    )
    .unwrap();
    ok(&run(&["run", "scn.toml", "--out", "ran"], p, &[]));
    let e = err(&run(&["sweep", "grid.toml", "--out", "ran"], p, &[]), 1);
    assert!(e.contains("not a ccgsim sweep manifest"), "{e}");
    let e = err(&run(&["merge", "ran", "--out", "m"], p, &[]), 1);
    assert!(e.contains("not a ccgsim sweep manifest"), "{e}");
    // A complete result whose data was altered.
    let runs = p.join("r/runs.csv");
    let mut bytes = std::fs::read(&runs).unwrap();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'1' { b'2' } else { b'1' };
    std::fs::write(&runs, bytes).unwrap();
    let e = err(&run(&["sweep", "grid.toml", "--out", "r"], p, &[]), 1);
    assert!(e.contains("does not match its hash"), "{e}");
}

#[test]
fn a_damaged_chunk_is_reported_and_recomputed() {
    let (d, _) = setup();
    let p = d.path();
    ok(&run(&["sweep", "grid.toml", "--out", "whole"], p, &[]));
    let env = [
        ("CCGSIM_SWEEP_CHUNK_RUNS", "4"),
        ("CCGSIM_SWEEP_ABORT_AFTER_CHUNKS", "2"),
    ];
    assert!(
        !run(&["sweep", "grid.toml", "--out", "r"], p, &env)
            .status
            .success()
    );
    let chunk = p.join("r/partial/0000000000004.chunk");
    let mut bytes = std::fs::read(&chunk).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&chunk, bytes).unwrap();
    let mut c = bin();
    let o = c
        .current_dir(p)
        .args(["sweep", "grid.toml", "--out", "r"])
        .output()
        .unwrap();
    let e = err(&o, 0);
    assert!(e.contains("0000000000004.chunk is damaged"), "{e}");
    same(&p.join("whole"), &p.join("r"));
}

#[test]
fn sweep_file_errors_are_located_and_exit_2() {
    let (d, _) = setup();
    let p = d.path();
    let cases = [
        (
            "base = \"base.toml\"\n[grid]\n\"constitution.sanctons\" = [0.0, 1.0]\n",
            "bad.toml:3:1: `constitution.sanctons`: unknown parameter path; did you mean `constitution.sanctions`?",
        ),
        (
            "base = \"base.toml\"\n[grid]\n\"constitution.sanctions\" = [0.0, 1.5]\n",
            "bad.toml:3:34: `constitution.sanctions`: 1.5 is out of range; allowed a number from 0 to 1",
        ),
        (
            "base = \"base.toml\"\n[grid]\n\"ccg.practices\" = [12.5]\n",
            "`ccg.practices`: expected an integer",
        ),
        (
            "base = \"base.toml\"\n[lhs]\nn = 10\n\"constitution.dispute_procedure\" = [0, 1]\n",
            "cannot be sampled by [lhs]",
        ),
        (
            "base = \"base.toml\"\n[lhs]\n\"constitution.sanctions\" = [0.0, 1.0]\n",
            "[lhs] needs `n`",
        ),
        (
            "base = \"base.toml\"\n[grid]\n\"ccg.practices\" = [2, 20]\n[sobol]\nn = 4\n",
            "exactly one design section",
        ),
        (
            "base = \"base.toml\"\n[grid]\n\"ccg.localities\" = [4]\n\"ccg.practices\" = [2, 20]\n",
            "4 localities for 2 practices",
        ),
        (
            "base = \"nowhere.toml\"\n[grid]\n\"ccg.practices\" = [2, 20]\n",
            "bad.toml:1:8: `base`: scenario file",
        ),
        (
            "base = \"base.toml\"\nreplicate = 3\n[grid]\n\"ccg.practices\" = [20]\n",
            "did you mean `replicates`?",
        ),
        (
            "base = \"base.toml\"\n[sobol]\nn = 70000\n\"ccg.practices\" = [20, 30]\n",
            "allowed an integer from 1 to 65536",
        ),
        (
            "base = \"base.toml\"\n[grid]\n\"events.shock.narrative\" = [0.5]\n",
            "no narrative event labelled `shock`",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(p.join("bad.toml"), text).unwrap();
        let e = err(&run(&["sweep", "bad.toml", "--out", "x"], p, &[]), 2);
        assert!(e.contains(want), "{text}\nwanted: {want}\ngot: {e}");
        assert!(!p.join("x").exists());
    }
    let e = err(&run(&["sweep", "grid.toml", "--shard", "3/3"], p, &[]), 2);
    assert!(e.contains("0 ≤ K < N"), "{e}");
}

#[test]
fn lhs_and_sobol_points_respect_ranges_and_integer_types() {
    let (d, _) = setup();
    let p = d.path();
    for design in ["lhs", "sobol"] {
        std::fs::write(
            p.join("s.toml"),
            format!(
                "base = \"base.toml\"\nreplicates = 1\nmonths = 3\n[{design}]\nn = 32\n\"ccg.practices\" = [10, 13]\n\"behaviour.own_voice\" = [0.5, 4.0]\n"
            ),
        )
        .unwrap();
        let out = format!("o-{design}");
        ok(&run(&["sweep", "s.toml", "--out", &out], p, &[]));
        let text = std::fs::read_to_string(p.join(&out).join("points.csv")).unwrap();
        let mut practices = std::collections::BTreeSet::new();
        let mut voices = Vec::new();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let n: u32 = f[1].parse().expect("an integer, written without decimals");
            assert!((10..=13).contains(&n));
            practices.insert(n);
            let v: f64 = f[2].parse().unwrap();
            assert!((0.5..=4.0).contains(&v), "{v}");
            voices.push(v);
        }
        assert_eq!(voices.len(), 32);
        assert_eq!(practices.len(), 4, "{design}: all four integers appear");
        if design == "lhs" {
            // One point in each of the 32 strata of [0.5, 4.0].
            let mut strata: Vec<usize> = voices
                .iter()
                .map(|v| (((v - 0.5) / 3.5) * 32.0).min(31.0) as usize)
                .collect();
            strata.sort();
            assert_eq!(strata, (0..32).collect::<Vec<_>>());
        }
        // The runs used the values in points.csv: practices per point agree.
        let runs = std::fs::read_to_string(p.join(&out).join("runs.csv")).unwrap();
        for (row, point) in runs.lines().skip(1).zip(text.lines().skip(1)) {
            let r: Vec<&str> = row.split(',').collect();
            let q: Vec<&str> = point.split(',').collect();
            assert_eq!(r[0], q[0]);
            assert_eq!(r[3], q[1], "practices column matches the design");
        }
    }
}

#[test]
fn narrative_event_strength_is_swept_through_the_event() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::write(
        p.join("base.toml"),
        "[scenario]\nmonths = 30\n[[events]]\nmonth = 12\nlabel = \"shock\"\nnarrative = 0.5\nduration = 6\n",
    )
    .unwrap();
    let text = "base = \"base.toml\"\n[grid]\n\"events.shock.narrative\" = [0.0, 0.25, 1]\n";
    let sw = ccgsim::sweep::parse(text, &p.join("n.toml")).unwrap();
    assert_eq!(sw.axes[0].column, "events_shock_narrative");
    for (k, want) in [0.0, 0.25, 1.0].into_iter().enumerate() {
        let plan = sw.point_plan(k);
        assert_eq!(plan.stream_prefix, vec![k as u64]);
        assert_eq!(plan.schedule.shock(11), 0.0);
        assert_eq!(plan.schedule.shock(12), want, "point {k}");
        assert_eq!(plan.schedule.shock(17), want);
        assert_eq!(plan.schedule.shock(18), 0.0);
    }
    assert_eq!(
        sw.base.events[0].narrative.unwrap().strength,
        0.5,
        "base untouched"
    );
    assert!(sw.point_scenario(0).params == sw.base.params);
}

#[test]
fn shipped_sweeps_are_valid_and_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sweeps");
    let d = tempfile::tempdir().unwrap();
    let mut n = 0;
    for e in std::fs::read_dir(&root).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let sw = ccgsim::sweep::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(sw.total_runs() >= 100, "{}", path.display());
        let out = d.path().join(path.file_stem().unwrap());
        let o = run(
            &[
                "sweep",
                path.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            d.path(),
            &[],
        );
        ok(&o);
        let rows = std::fs::read_to_string(out.join("stats.csv"))
            .unwrap()
            .lines()
            .count();
        assert_eq!(rows, 1 + sw.points.len());
        n += 1;
    }
    assert!(
        n >= 3,
        "size × sanctions, narrative × allowance, behaviour LHS"
    );
}

#[test]
fn a_folder_claimed_by_a_run_killed_at_once_is_reused() {
    let (d, _) = setup();
    let p = d.path();
    // Killed between creating its folder and writing partial.json.
    std::fs::create_dir_all(p.join("r/partial")).unwrap();
    std::fs::write(p.join("r/.partial.json.tmp"), "{").unwrap();
    ok(&run(&["sweep", "grid.toml", "--out", "r"], p, &[]));
    ok(&run(&["sweep", "grid.toml", "--out", "whole"], p, &[]));
    same(&p.join("whole"), &p.join("r"));
    // An empty folder is fine too.
    std::fs::create_dir(p.join("empty")).unwrap();
    ok(&run(&["sweep", "grid.toml", "--out", "empty"], p, &[]));
}
