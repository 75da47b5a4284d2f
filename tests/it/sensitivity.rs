//! `ccgsim sensitivity` end to end: indices.csv and figures from a
//! `[sobol_indices]` or `[morris]` file, byte-identical on any thread count
//! and after shard-and-merge; a parameter that cannot matter gets a total
//! index of exactly zero; located errors. The estimators themselves are
//! tested against the Ishigami and G functions in src/sweep/indices.rs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FILES: [&str; 4] = ["points.csv", "runs.csv", "stats.csv", "indices.csv"];

fn run(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ccgsim"));
    c.env_remove("CCGSIM_SWEEP_CHUNK_RUNS")
        .env_remove("CCGSIM_SWEEP_ABORT_AFTER_CHUNKS")
        .current_dir(dir)
        .args(args)
        .arg("-q");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("ccgsim runs")
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn err(o: &Output, code: i32) -> String {
    assert_eq!(
        o.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn same(a: &Path, b: &Path) {
    for f in FILES {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// A small base (co-commissioning off, so lay scrutiny cannot matter) and a
/// sensitivity file with `design` over three parameters.
fn setup(design: &str) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("base.toml"),
        "[scenario]\nname = \"base\"\nmonths = 24\nreplicates = 2\n[ccg]\npractices = 16\n[co_commissioning]\nlevel = 0\n",
    )
    .unwrap();
    let file = d.path().join("sa.toml");
    std::fs::write(
        &file,
        format!(
            "base = \"base.toml\"\nreplicates = 2\nseed = 5\n\n{design}\n\"behaviour.eng_credibility\" = [1.25, 5.0]\n\"constitution.sanctions\" = [0.0, 1.0]\n\"co_commissioning.lay_scrutiny\" = [0.0, 1.0]\n"
        ),
    )
    .unwrap();
    (d, file)
}

struct Row {
    outcome: String,
    parameter: String,
    index: String,
    cells: [String; 3],
}

fn indices(dir: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("indices.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("outcome,parameter,index,estimate,ci_low,ci_high")
    );
    lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            assert_eq!(c.len(), 6, "{l}");
            Row {
                outcome: c[0].into(),
                parameter: c[1].into(),
                index: c[2].into(),
                cells: [c[3].into(), c[4].into(), c[5].into()],
            }
        })
        .collect()
}

fn value(rows: &[Row], outcome: &str, parameter: &str, index: &str) -> f64 {
    let r = rows
        .iter()
        .find(|r| r.outcome == outcome && r.parameter == parameter && r.index == index)
        .unwrap_or_else(|| panic!("no {outcome} {parameter} {index}"));
    r.cells[0].parse().unwrap()
}

#[test]
fn sobol_indices_are_the_same_bytes_on_any_thread_count_and_after_merge() {
    let (d, _) = setup("[sobol_indices]\nn = 24\nbootstrap = 50");
    let p = d.path();
    ok(&run(
        &["sensitivity", "sa.toml", "--out", "t1", "--threads", "1"],
        p,
        &[],
    ));
    ok(&run(
        &["sensitivity", "sa.toml", "--out", "t2", "--threads", "2"],
        p,
        &[("CCGSIM_SWEEP_CHUNK_RUNS", "7")],
    ));
    same(&p.join("t1"), &p.join("t2"));
    for k in 0..3 {
        let shard = format!("{k}/3");
        let out = format!("part-{k}");
        ok(&run(
            &["sensitivity", "sa.toml", "--out", &out, "--shard", &shard],
            p,
            &[("CCGSIM_SWEEP_CHUNK_RUNS", "5")],
        ));
        assert!(
            !p.join(&out).join("indices.csv").exists(),
            "a shard has no indices of its own"
        );
    }
    ok(&run(
        &["merge", "part-1", "part-0", "part-2", "--out", "merged"],
        p,
        &[],
    ));
    same(&p.join("t1"), &p.join("merged"));

    // 24 · (3 + 2) points; every default outcome × parameter × {S1, ST}.
    let points = std::fs::read_to_string(p.join("t1/points.csv")).unwrap();
    assert_eq!(points.lines().count(), 1 + 24 * 5);
    let rows = indices(&p.join("t1"));
    let outcomes = ccgsim::sweep::KEY_OUTCOMES.len() + 1; // + failure probability
    assert_eq!(rows.len(), outcomes * 3 * 2);
    // Lay scrutiny acts only through co-commissioning, which is off: with
    // common random numbers its runs are identical, so ST is exactly 0.
    for r in rows
        .iter()
        .filter(|r| r.parameter == "co_commissioning_lay_scrutiny" && r.index == "ST")
    {
        if !r.cells[0].is_empty() {
            assert_eq!(r.cells, ["0", "0", "0"].map(String::from), "{}", r.outcome);
        }
    }
    // The coefficient the v1 review found dominant is not zero.
    let st = value(&rows, "engaged_share", "behaviour_eng_credibility", "ST");
    assert!(st > 0.2, "ST of eng_credibility on engaged_share = {st}");
    // The figures were drawn beside the result.
    for f in [
        "plots/sobol_engaged_share.png",
        "plots/scatter_engaged_share_mean.svg",
        "plots/prcc.csv",
    ] {
        assert!(p.join("t1").join(f).is_file(), "{f}");
    }
    // `check-result` accepts the folder with its figures.
    let o = Command::new(env!("CARGO_BIN_EXE_ccgsim"))
        .args(["check-result", "t1"])
        .current_dir(p)
        .output()
        .unwrap();
    ok(&o);
}

#[test]
fn morris_indices_are_deterministic_and_the_dummy_has_no_effect() {
    let (d, _) = setup(
        "outcomes = [\"engaged_share\", \"failed\"]\n[morris]\ntrajectories = 8\nlevels = 4\nbootstrap = 40",
    );
    let p = d.path();
    ok(&run(
        &["sensitivity", "sa.toml", "--out", "a", "--threads", "1"],
        p,
        &[],
    ));
    ok(&run(
        &["sensitivity", "sa.toml", "--out", "b", "--threads", "2"],
        p,
        &[("CCGSIM_SWEEP_CHUNK_RUNS", "3")],
    ));
    same(&p.join("a"), &p.join("b"));
    let rows = indices(&p.join("a"));
    // Two outcomes × three parameters × {mu_star, mu, sigma}.
    assert_eq!(rows.len(), 2 * 3 * 3);
    assert_eq!(
        value(
            &rows,
            "engaged_share",
            "co_commissioning_lay_scrutiny",
            "mu_star"
        ),
        0.0
    );
    assert!(
        value(
            &rows,
            "engaged_share",
            "behaviour_eng_credibility",
            "mu_star"
        ) > 0.05
    );
    assert!(p.join("a/plots/morris_engaged_share.png").is_file());
    // Re-running a complete result computes nothing and changes nothing.
    let before = std::fs::read(p.join("a/indices.csv")).unwrap();
    ok(&run(&["sensitivity", "sa.toml", "--out", "a"], p, &[]));
    assert_eq!(std::fs::read(p.join("a/indices.csv")).unwrap(), before);
}

#[test]
fn sensitivity_file_errors_are_located_and_exit_2() {
    let (d, file) = setup("outcomes = [\"engagd_share\"]\n[morris]\ntrajectories = 4\nlevels = 3");
    let p = d.path();
    let e = err(&run(&["sensitivity", "sa.toml"], p, &[]), 2);
    assert!(
        e.contains("sa.toml:5:13") && e.contains("did you mean `engaged_share`?"),
        "{e}"
    );
    assert!(
        e.contains("sa.toml:8:10") && e.contains("even number"),
        "{e}"
    );
    // `outcomes` belongs to sensitivity designs only.
    std::fs::write(&file, "base = \"base.toml\"\noutcomes = [\"engaged_share\"]\n[lhs]\nn = 4\n\"constitution.sanctions\" = [0.0, 1.0]\n").unwrap();
    let e = err(&run(&["sweep", "sa.toml"], p, &[]), 2);
    assert!(
        e.contains("sa.toml:2") && e.contains("sensitivity analysis"),
        "{e}"
    );
    // A plain sweep is not a sensitivity analysis.
    std::fs::write(
        &file,
        "base = \"base.toml\"\n[lhs]\nn = 4\n\"constitution.sanctions\" = [0.0, 1.0]\n",
    )
    .unwrap();
    let e = err(&run(&["sensitivity", "sa.toml", "--out", "x"], p, &[]), 2);
    assert!(e.contains("[morris] or [sobol_indices]"), "{e}");
    assert!(!p.join("x").exists());
    // Missing settings are named.
    std::fs::write(
        &file,
        "base = \"base.toml\"\n[sobol_indices]\n\"constitution.sanctions\" = [0.0, 1.0]\n",
    )
    .unwrap();
    let e = err(&run(&["sensitivity", "sa.toml"], p, &[]), 2);
    assert!(e.contains("[sobol_indices] needs `n`"), "{e}");
}

#[test]
fn plot_sweep_draws_scatter_panels_and_prcc_for_a_sampled_sweep() {
    let (d, file) = setup("");
    let p = d.path();
    std::fs::write(
        &file,
        "base = \"base.toml\"\nreplicates = 2\n[lhs]\nn = 30\n\"behaviour.eng_credibility\" = [1.25, 5.0]\n\"constitution.sanctions\" = [0.0, 1.0]\n\"behaviour.own_voice\" = [0.7, 2.9]\n",
    )
    .unwrap();
    ok(&run(&["sweep", "sa.toml", "--out", "lhs"], p, &[]));
    let o = Command::new(env!("CARGO_BIN_EXE_ccgsim"))
        .args(["plot", "sweep", "lhs"])
        .current_dir(p)
        .output()
        .unwrap();
    ok(&o);
    let prcc = std::fs::read_to_string(p.join("lhs/plots/prcc.csv")).unwrap();
    assert!(prcc.starts_with("outcome,parameter,prcc\n"), "{prcc}");
    assert!(
        prcc.contains("engaged_share_mean,behaviour_eng_credibility,"),
        "{prcc}"
    );
    assert!(p.join("lhs/plots/scatter_engaged_share_mean.png").is_file());
}

#[test]
fn shipped_sensitivity_files_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sensitivity");
    let mut designs = Vec::new();
    for e in std::fs::read_dir(&root).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let sw = ccgsim::sweep::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(sw.indices.is_some(), "{}", path.display());
        // Small enough to run here for the docs (a few minutes).
        assert!(
            sw.total_runs() <= 120_000,
            "{}: {}",
            path.display(),
            sw.total_runs()
        );
        designs.push(sw.design.name());
    }
    assert!(
        designs.contains(&"morris") && designs.contains(&"sobol_indices"),
        "{designs:?}"
    );
}
