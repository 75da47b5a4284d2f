//! Issue 15: what a hostile or careless user can do to ccgsim from the command
//! line, each attack reproduced and its refusal checked (docs/RELIABILITY.md).

use crate::common::{ccgsim, ccgsim_within, entries, stderr, write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SMALL: &str = "[scenario]\nmonths = 3\nreplicates = 2\n[ccg]\npractices = 5\n";

fn ok(dir: &Path, args: &[&str]) {
    let o = ccgsim(dir, args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
}

fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

// ---- 1. --force deletes only ccgsim results of the same kind ---------------

#[test]
fn force_never_deletes_a_folder_ccgsim_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // The user's project: the scenario itself lives in the folder given as --out.
    std::fs::create_dir(d.join("project")).unwrap();
    write(&d.join("project"), "s.toml", SMALL);
    write(&d.join("project"), "thesis.tex", "years of work");
    let before = entries(&d.join("project"));
    // `--out "$PWD"`: before, the project (scenario included) was deleted.
    let project = d.join("project");
    let o = ccgsim(
        &project,
        &[
            "run",
            "s.toml",
            "--out",
            project.to_str().unwrap(),
            "--force",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--force replaces only a ccgsim result"),
        "{}",
        stderr(&o)
    );
    assert_eq!(entries(&d.join("project")), before, "nothing was deleted");

    // A ccgsim result with a file the user added beside it is not replaced either.
    write(d, "s.toml", SMALL);
    ok(d, &["run", "s.toml", "--out", "r", "-q"]);
    write(&d.join("r"), "notes.txt", "mine");
    let o = ccgsim(d, &["run", "s.toml", "--out", "r", "--force", "-q"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("notes.txt"), "{}", stderr(&o));
    assert!(d.join("r/notes.txt").exists());
    std::fs::remove_file(d.join("r/notes.txt")).unwrap();
    // A plain ccgsim result of the same kind is replaced.
    ok(d, &["run", "s.toml", "--out", "r", "--force", "-q"]);

    // A figure folder is not a run result: `run --force` refuses to replace it.
    ok(d, &["plot", "compare", "r", "r", "--out", "figs"]);
    assert!(d.join("figs/manifest.json").exists());
    let o = ccgsim(d, &["run", "s.toml", "--out", "figs", "--force", "-q"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("holds a `plot` result, not a `run` result"),
        "{}",
        stderr(&o)
    );
    // …but `plot … --force` replaces its own figures.
    ok(
        d,
        &["plot", "compare", "r", "r", "--out", "figs", "--force"],
    );
}

// ---- 2. compare and plot compare do not share a default folder -----------

#[test]
fn plot_compare_does_not_replace_the_comparison() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "a.toml", SMALL);
    write(d, "b.toml", SMALL);
    ok(d, &["run", "a.toml", "-q"]);
    ok(d, &["run", "b.toml", "-q"]);
    ok(d, &["compare", "a.toml", "b.toml", "-q"]);
    let csv = d.join("output/compare-a-b/compare.csv");
    assert!(csv.exists());
    ok(d, &["plot", "compare", "output/a", "output/b", "--force"]);
    assert!(csv.exists(), "plot compare left compare.csv alone");
    assert!(d.join("output/plot-compare-a-b/manifest.json").exists());
}

// ---- 3. a killed --force swap is recovered by the next run ----------------

/// A process id that is not running.
fn dead_pid() -> u32 {
    (4_000_000..)
        .find(|p| !Path::new(&format!("/proc/{p}")).exists())
        .unwrap()
}

#[test]
fn a_killed_swap_is_restored_and_leftovers_cleaned() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "s.toml", SMALL);
    ok(d, &["run", "s.toml", "--out", "r", "-q"]);
    let manifest = std::fs::read(d.join("r/manifest.json")).unwrap();
    // Killed between moving the old result aside and moving the new one in.
    let pid = dead_pid();
    std::fs::rename(d.join("r"), d.join(format!(".r.old-{pid}"))).unwrap();
    std::fs::create_dir(d.join(format!(".r.partial-{pid}"))).unwrap();
    write(&d.join(format!(".r.partial-{pid}")), "summary.csv", "half");
    // The rerun puts the old result back (so it is not overwritten without --force)…
    let o = ccgsim(d, &["run", "s.toml", "--out", "r", "-q"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("put back"), "{}", stderr(&o));
    assert_eq!(std::fs::read(d.join("r/manifest.json")).unwrap(), manifest);
    let names = entries(d);
    assert!(
        !names.iter().any(|n| n.starts_with(".r.")),
        "leftovers cleaned: {names:?}"
    );
    // Killed after the swap, before removing the old result: the next run removes it.
    ok(d, &["run", "s.toml", "--out", "r2", "-q"]);
    std::fs::rename(d.join("r2"), d.join(format!(".r.old-{pid}"))).unwrap();
    ok(d, &["run", "s.toml", "--out", "r", "--force", "-q"]);
    assert!(!d.join(format!(".r.old-{pid}")).exists());
    // A folder that merely looks like a leftover but holds no ccgsim manifest stays.
    std::fs::create_dir(d.join(format!(".r.old-{pid}"))).unwrap();
    write(&d.join(format!(".r.old-{pid}")), "mine.txt", "x");
    ok(d, &["run", "s.toml", "--out", "r", "--force", "-q"]);
    assert!(d.join(format!(".r.old-{pid}/mine.txt")).exists());
}

// ---- 8. problems are located in linear time -------------------------------

#[test]
fn forty_thousand_unknown_keys_are_checked_in_seconds() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut text = String::from("[ccg]\n");
    for i in 0..40_000 {
        text.push_str(&format!("unknown_key_number_{i} = 1\n"));
    }
    write(d, "many.toml", &text);
    // Before: 33 s (every problem counted lines from the file's start). The
    // bound is generous for a loaded CI machine; the fix takes well under it.
    let o = ccgsim_within(d, &["check", "many.toml"], Duration::from_secs(20));
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("many.toml:2:1"), "the first problem is located");
    assert!(
        e.contains("and 39980 more"),
        "{}",
        &e[e.len().saturating_sub(300)..]
    );
    assert!(e.len() < 50_000, "{} bytes of messages", e.len());
}

// ---- 9. devices and FIFOs are not read without limit ----------------------

#[test]
fn devices_and_fifos_are_refused_not_read() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = ccgsim_within(d, &["check", "/dev/zero"], Duration::from_secs(10));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    mkfifo(&d.join("pipe.toml"));
    let o = ccgsim_within(d, &["check", "pipe.toml"], Duration::from_secs(10));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // Sweep files, and sweeps' base files, too.
    let o = ccgsim_within(d, &["sweep", "/dev/zero"], Duration::from_secs(10));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    write(
        d,
        "sw.toml",
        "base = \"pipe.toml\"\n[grid]\n\"constitution.sanctions\" = [0.0, 1.0]\n",
    );
    let o = ccgsim_within(
        d,
        &["sweep", "sw.toml", "--out", "w"],
        Duration::from_secs(10),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    // A regular file over the cap is refused before it is read.
    let big = std::fs::File::create(d.join("big.toml")).unwrap();
    big.set_len(17 << 20).unwrap();
    let o = ccgsim_within(d, &["check", "big.toml"], Duration::from_secs(10));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("may be at most"), "{}", stderr(&o));
}

// ---- 10. check-result and resume stay inside the folder and bounded -------

#[test]
fn check_result_refuses_links_and_fifos() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "s.toml", SMALL);
    ok(d, &["run", "s.toml", "--out", "r", "-q"]);
    // A listed file replaced by a link leaving the folder, then by a FIFO.
    std::fs::remove_file(d.join("r/summary.csv")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.join("r/summary.csv")).unwrap();
    let o = ccgsim_within(d, &["check-result", "r"], Duration::from_secs(10));
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("summary.csv is a symbolic link leaving"),
        "{out}"
    );
    std::fs::remove_file(d.join("r/summary.csv")).unwrap();
    mkfifo(&d.join("r/summary.csv"));
    let o = ccgsim_within(d, &["check-result", "r"], Duration::from_secs(10));
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("not a regular file"));
    // The manifest itself linked to /dev/zero: refused, not read to 4 GB.
    std::fs::remove_file(d.join("r/manifest.json")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.join("r/manifest.json")).unwrap();
    let o = ccgsim_within(d, &["check-result", "r"], Duration::from_secs(10));
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("manifest.json is a symbolic link"));
    // A link inside the folder is followed as before.
    ok(d, &["run", "s.toml", "--out", "r2", "-q"]);
    std::fs::rename(d.join("r2/summary.csv"), d.join("r2/summary.real")).unwrap();
    std::os::unix::fs::symlink("summary.real", d.join("r2/summary.csv")).unwrap();
    ok(d, &["check-result", "r2"]);
}

const SWEEP: &str = "base = \"base.toml\"\n[grid]\n\"constitution.sanctions\" = [0.0, 0.5, 1.0]\n";
const BASE: &str = "[scenario]\nmonths = 4\nreplicates = 2\n[ccg]\npractices = 5\n";

/// An interrupted sweep (2 runs per chunk, killed after the first chunk).
fn interrupted_sweep(d: &Path, out: &str) {
    let o = Command::new(env!("CARGO_BIN_EXE_ccgsim"))
        .args(["sweep", "sw.toml", "--out", out, "-q"])
        .current_dir(d)
        .env("CI", "1")
        .env("CCGSIM_SWEEP_CHUNK_RUNS", "2")
        .env("CCGSIM_SWEEP_ABORT_AFTER_CHUNKS", "1")
        .output()
        .unwrap();
    assert!(!o.status.success());
}

#[test]
fn resume_refuses_planted_fifos_and_links() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "base.toml", BASE);
    write(d, "sw.toml", SWEEP);
    ok(d, &["sweep", "sw.toml", "--out", "whole", "-q"]);
    interrupted_sweep(d, "p");
    // The finished chunk replaced by a FIFO: recomputed, not waited on.
    let chunk = std::fs::read_dir(d.join("p/partial"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::remove_file(&chunk).unwrap();
    mkfifo(&chunk);
    let o = ccgsim_within(
        d,
        &["sweep", "sw.toml", "--out", "p", "-q"],
        Duration::from_secs(30),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(d.join("p/runs.csv")).unwrap(),
        std::fs::read(d.join("whole/runs.csv")).unwrap()
    );
    // partial.json linked to /dev/zero: refused, quickly.
    interrupted_sweep(d, "q");
    std::fs::remove_file(d.join("q/partial.json")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.join("q/partial.json")).unwrap();
    let o = ccgsim_within(
        d,
        &["sweep", "sw.toml", "--out", "q", "-q"],
        Duration::from_secs(10),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
}

// ---- 12. honest verdicts for sweeps ----------------------------------------

fn check_result(d: &Path, name: &str) -> (Option<i32>, String) {
    let o = ccgsim(d, &["check-result", name]);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).to_string() + &stderr(&o),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn edit(dir: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let p = dir.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    f(&mut m);
    std::fs::write(&p, serde_json::to_string_pretty(&m).unwrap()).unwrap();
}

#[test]
fn incomplete_or_edited_sweeps_are_not_called_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "base.toml", BASE);
    write(d, "sw.toml", SWEEP);
    ok(
        d,
        &[
            "sweep",
            "sw.toml",
            "--out",
            "w",
            "--timeseries-quantiles",
            "0.5",
            "-q",
        ],
    );
    assert_eq!(check_result(d, "w").0, Some(0));
    type Spoil = Box<dyn Fn(&Path)>;
    let drop_file = |name: &'static str| -> Spoil {
        Box::new(move |w: &Path| {
            std::fs::remove_file(w.join(name)).unwrap();
            edit(w, |m| {
                m["files"].as_object_mut().unwrap().remove(name);
            });
        })
    };
    let set = |key: &'static str, v: serde_json::Value| -> Spoil {
        Box::new(move |w: &Path| edit(w, |m| m[key] = v.clone()))
    };
    let cases: Vec<(&str, Spoil)> = vec![
        ("stats.csv removed with its entry", drop_file("stats.csv")),
        ("points.csv removed with its entry", drop_file("points.csv")),
        (
            "timeseries_quantiles.csv removed with its entry",
            drop_file("timeseries_quantiles.csv"),
        ),
        (
            "sweep_hash edited",
            set("sweep_hash", "ab".repeat(32).into()),
        ),
        ("replicates edited", set("replicates", 1.into())),
        ("kind edited", set("kind", "run".into())),
        ("ccg_sizes edited", set("ccg_sizes", serde_json::json!([7]))),
        (
            "duplicate complete keys",
            Box::new(|w: &Path| {
                let p = w.join("manifest.json");
                let t = std::fs::read_to_string(&p).unwrap();
                let t = t.replacen("{", "{\n  \"complete\": false,", 1);
                std::fs::write(&p, t).unwrap();
            }),
        ),
    ];
    for (i, (what, spoil)) in cases.iter().enumerate() {
        let w = d.join(format!("w{i}"));
        copy_dir(&d.join("w"), &w);
        spoil(&w);
        let (code, text) = check_result(d, &format!("w{i}"));
        assert_eq!(code, Some(1), "{what}: {text}");
        assert!(text.contains("tampered"), "{what}: {text}");
    }

    // A shard with time series must hold its raw time series.
    ok(
        d,
        &[
            "sweep",
            "sw.toml",
            "--out",
            "s0",
            "--shard",
            "0/2",
            "--timeseries-quantiles",
            "0.5",
            "-q",
        ],
    );
    assert_eq!(check_result(d, "s0").0, Some(0));
    std::fs::remove_file(d.join("s0/timeseries_runs.csv")).unwrap();
    edit(&d.join("s0"), |m| {
        m["files"]
            .as_object_mut()
            .unwrap()
            .remove("timeseries_runs.csv");
    });
    let (code, text) = check_result(d, "s0");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("must hold timeseries_runs.csv"), "{text}");
}

// ---- 13. the disk estimate includes the figures ---------------------------

#[test]
fn the_disk_estimate_covers_the_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "s.toml", SMALL);
    ok(d, &["run", "s.toml", "--out", "r", "-q"]);
    let scn = ccgsim::scenario::Scenario::load(&d.join("s.toml")).unwrap();
    let (ts, sm) = ccgsim::output::space::run_output_bytes(&scn);
    let figs = ccgsim::output::space::run_figure_bytes(&scn);
    fn size(p: &Path) -> u64 {
        std::fs::read_dir(p)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    size(&e.path())
                } else {
                    e.metadata().unwrap().len()
                }
            })
            .sum()
    }
    let actual = size(&d.join("r"));
    // Before, the estimate (tables only) was below what the run wrote.
    assert!(ts + sm < actual, "tables alone {} < {actual}", ts + sm);
    assert!(
        ts + sm + figs >= actual,
        "estimate {} ≥ {actual}",
        ts + sm + figs
    );
}

// ---- 14. a closed stderr is not a crash -----------------------------------

#[test]
fn a_closed_stderr_does_not_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "s.toml", SMALL);
    for args in [
        &["check", "missing.toml"][..],
        &["run", "s.toml", "--out", "r"][..],
    ] {
        let mut fds = [0; 2];
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        unsafe { libc::close(fds[0]) }; // nobody will read stderr (`2>&1 | true`)
        let err = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fds[1]) };
        let o = Command::new(env!("CARGO_BIN_EXE_ccgsim"))
            .args(args)
            .current_dir(d)
            .env("CI", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::from(err))
            .output()
            .unwrap();
        assert_ne!(o.status.code(), Some(101), "{args:?} panicked");
        assert!(o.status.code().is_some(), "{args:?} was killed");
    }
}

// ---- 15. invalid UTF-8 is located --------------------------------------------

#[test]
fn invalid_utf8_is_an_input_error_with_its_place() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("s.toml"), b"[scenario]\nname = \"ab\xff\"\n").unwrap();
    let o = ccgsim(d, &["check", "s.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("s.toml:2:11: invalid UTF-8"),
        "{}",
        stderr(&o)
    );
}

// ---- 16, 19. base files: no echo, clear messages ---------------------------

#[test]
fn a_sweep_base_that_is_not_a_scenario_is_not_echoed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "secret.txt", "s3cr3t-token:$6$hash\n");
    for (base, want) in [
        ("secret.txt", "is not a scenario file"),
        ("/etc", "is a folder, not a scenario file"),
        ("nothing.toml", "does not exist"),
    ] {
        write(
            d,
            "sw.toml",
            &format!("base = \"{base}\"\n[grid]\n\"constitution.sanctions\" = [0.0, 1.0]\n"),
        );
        let o = ccgsim(d, &["sweep", "sw.toml", "--out", "w"]);
        assert_eq!(o.status.code(), Some(2), "{base}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{base}: {}", stderr(&o));
        assert!(!stderr(&o).contains("s3cr3t"), "{}", stderr(&o));
    }
}

#[test]
fn too_large_integers_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "s.toml", "[scenario]\nseed = 9223372036854775808\n");
    let o = ccgsim(d, &["check", "s.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(!e.contains("found integer;"), "{e}");
    assert!(e.contains("too large"), "{e}");
}

#[test]
fn merging_a_whole_sweep_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "base.toml", BASE);
    write(d, "sw.toml", SWEEP);
    ok(
        d,
        &[
            "sweep",
            "sw.toml",
            "--out",
            "w",
            "--timeseries-quantiles",
            "0.5",
            "-q",
        ],
    );
    let o = ccgsim(d, &["merge", "w", "--out", "m"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("is a whole sweep, not a shard"),
        "{}",
        stderr(&o)
    );
}

// ---- 17. control characters ----------------------------------------------------

#[test]
fn control_characters_are_refused_and_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "s.toml", "[scenario]\nname = \"x\\u001b[2J\"\n");
    let o = ccgsim(d, &["check", "s.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(!e.contains('\u{1b}'), "raw escape printed: {e:?}");
    assert!(e.contains("control character"), "{e}");
    write(
        d,
        "e.toml",
        "[[events]]\nmonth = 2\nlabel = \"a\\rb\"\nnarrative = 0.5\nduration = 2\n",
    );
    let o = ccgsim(d, &["check", "e.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // A key with an escape in it is shown escaped.
    write(d, "k.toml", "[ccg]\n\"bad\u{1b}[31m\" = 1\n");
    let o = ccgsim(d, &["check", "k.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!stderr(&o).contains('\u{1b}'), "{:?}", stderr(&o));
}

// ---- 18. one writer per sweep folder --------------------------------------

#[test]
fn a_second_writer_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "base.toml", BASE);
    write(d, "sw.toml", SWEEP);
    std::fs::create_dir(d.join("w")).unwrap();
    // This test process plays the first sweep, holding the folder's lock.
    let lock = ccgsim::output::result_dir::lock_folder(&d.join("w"), false).unwrap();
    let o = ccgsim(d, &["sweep", "sw.toml", "--out", "w", "-q"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("being written by another ccgsim process"),
        "{}",
        stderr(&o)
    );
    assert!(
        entries(&d.join("w")).is_empty(),
        "{:?}",
        entries(&d.join("w"))
    );
    drop(lock);
    ok(d, &["sweep", "sw.toml", "--out", "w", "-q"]);
    assert_eq!(check_result(d, "w").0, Some(0));
}

// ---- 11. memory refused up front --------------------------------------------

/// ccgsim with 1 GB of memory to plan for, killed if it runs past 30 s.
fn limited(d: &Path, args: &[&str]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ccgsim"))
        .args(args)
        .current_dir(d)
        .env("CI", "1")
        .env("CCGSIM_MEMORY_LIMIT", "1000000000")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("ccgsim {args:?} was not refused up front");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn designs_and_comparisons_too_big_for_memory_are_refused_up_front() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "base.toml", BASE);
    // 10 million points (within the point cap) × 10 axes: about 3 GB of design,
    // over the 1 GB this test allows (CCGSIM_MEMORY_LIMIT, a testing hook).
    let mut many = String::new();
    for spec in ccgsim::scenario::SPECS
        .iter()
        .filter(|s| s.kind == ccgsim::scenario::Kind::Float && s.max > s.min)
        .take(10)
    {
        many.push_str(&format!(
            "\"{}\" = [{:?}, {:?}]\n",
            spec.path, spec.min, spec.max
        ));
    }
    write(
        d,
        "big.toml",
        &format!("base = \"base.toml\"\n[lhs]\nn = 10000000\n{many}"),
    );
    let start = Instant::now();
    let o = limited(d, &["sweep", "big.toml", "--out", "w"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("of memory"), "{e}");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "refused up front"
    );
    // compare: England-sized sides with millions of replicates.
    write(
        d,
        "huge.toml",
        "[scenario]\nmonths = 1\nreplicates = 10000000\n[ccg]\npractices = 5\n",
    );
    let o = limited(d, &["compare", "huge.toml", "huge.toml", "-q"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("of memory"), "{}", stderr(&o));
}
