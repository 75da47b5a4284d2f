//! File-system faults during `run` and `sweep`: a read-only output folder, an
//! output path that is a file, a folder holding another scenario's result, and a
//! full disk. Each gives a clear error naming the path, exit code 1, leaves nothing
//! that looks complete, overwrites nothing, and the next run with room finishes.
//!
//! Read-only and full file systems are real: small tmpfs mounts, which need root
//! (CI runs as root). Without root these tests say so and skip, except under CI,
//! where they fail rather than pass vacuously.

use crate::common::{ccgsim, entries, stderr, write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted on a temporary folder, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var_os("CI").is_none(),
                "cannot mount a tmpfs (needs root); CI must run these fault tests"
            );
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, opts: &str) {
        let s = Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(s.success(), "remount {opts}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

/// ~2 MB of timeseries: more than the small file systems below hold.
const SCENARIO: &str =
    "[scenario]\nname = \"a\"\nmonths = 120\nreplicates = 40\n[ccg]\npractices = 30\n";
const OTHER: &str = "[scenario]\nname = \"b\"\nmonths = 12\nreplicates = 2\n";

fn bytes_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    entries(dir)
        .into_iter()
        .filter(|e| dir.join(e).is_file())
        .map(|e| {
            let b = std::fs::read(dir.join(&e)).unwrap();
            (e, b)
        })
        .collect()
}

fn work() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "a.toml", SCENARIO);
    write(tmp.path(), "b.toml", OTHER);
    let p = tmp.path().to_path_buf();
    (tmp, p)
}

/// The reference: the same scenario run where there is room.
fn reference_run(dir: &Path) -> PathBuf {
    let o = ccgsim(dir, &["run", "a.toml", "--out", "ref", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    dir.join("ref")
}

fn same_csvs(a: &Path, b: &Path, names: &[&str]) {
    for n in names {
        let (x, y) = (
            std::fs::read(a.join(n)).unwrap(),
            std::fs::read(b.join(n)).unwrap(),
        );
        assert!(
            x == y,
            "{n} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn read_only_output_folder() {
    let Some(fs) = Tmpfs::mount("4m") else { return };
    fs.remount("ro");
    let (_t, dir) = work();
    let out = fs.path().join("r");
    let o = ccgsim(
        &dir,
        &["run", "a.toml", "--out", out.to_str().unwrap(), "-q"],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&fs.path().display().to_string()),
        "names the path: {err}"
    );
    assert!(err.to_lowercase().contains("read-only"), "{err}");
    assert!(entries(fs.path()).is_empty());
}

#[test]
fn output_path_that_is_a_file() {
    let (_t, dir) = work();
    write(&dir, "r", "precious");
    for force in [false, true] {
        let mut args = vec!["run", "a.toml", "--out", "r", "-q"];
        if force {
            args.push("--force");
        }
        let o = ccgsim(&dir, &args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("output path r is a file"), "{err}");
        assert_eq!(std::fs::read_to_string(dir.join("r")).unwrap(), "precious");
    }
}

#[test]
fn a_folder_holding_another_scenarios_result() {
    let (_t, dir) = work();
    let o = ccgsim(&dir, &["run", "b.toml", "--out", "r", "-q"]);
    assert!(o.status.success());
    let before = bytes_of(&dir.join("r"));
    let o = ccgsim(&dir, &["run", "a.toml", "--out", "r", "-q"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("output folder r already exists") && err.contains("--force"),
        "{err}"
    );
    assert!(bytes_of(&dir.join("r")) == before, "nothing overwritten");
    // --force replaces it whole.
    let o = ccgsim(&dir, &["run", "a.toml", "--out", "r", "-q", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("r/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m["scenario"]["name"], "a");
    assert!(ccgsim(&dir, &["check-result", "r"]).status.success());
    same_csvs(
        &dir.join("r"),
        &reference_run(&dir),
        &["timeseries.csv", "summary.csv"],
    );
    // No leftovers beside it (staging or moved-aside folders).
    let names: Vec<String> = entries(&dir)
        .into_iter()
        .filter(|e| !e.contains('/'))
        .collect();
    assert_eq!(names, ["a.toml", "b.toml", "r", "ref"]);
}

#[test]
fn a_full_disk_during_run() {
    let Some(fs) = Tmpfs::mount("256k") else {
        return;
    };
    let (_t, dir) = work();
    let out = fs.path().join("r");
    let out_s = out.to_str().unwrap();

    // Refused up front, with the estimate, before anything is written.
    let o = ccgsim(&dir, &["run", "a.toml", "--out", out_s, "-q"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("would need up to") && err.contains("free in"),
        "{err}"
    );
    assert!(entries(fs.path()).is_empty());

    // Past the check, the disk fills mid-run: a clear error naming the file.
    let o = ccgsim(
        &dir,
        &["run", "a.toml", "--out", out_s, "-q", "--no-space-check"],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(
        err.contains(&fs.path().display().to_string()),
        "names the path: {err}"
    );
    assert!(
        entries(fs.path()).is_empty(),
        "left behind: {:?}",
        entries(fs.path())
    );

    // With room, the same command finishes the job, identical to a run elsewhere.
    fs.remount("size=16m");
    let o = ccgsim(&dir, &["run", "a.toml", "--out", out_s, "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(ccgsim(&dir, &["check-result", out_s]).status.success());
    same_csvs(
        &out,
        &reference_run(&dir),
        &["timeseries.csv", "summary.csv"],
    );
}

const SWEEP: &str = "base = \"a.toml\"\nreplicates = 10\n[grid]\n\"ccg.practices\" = [12, 40]\n\"constitution.sanctions\" = [0.0, 0.5, 1.0]\n";

#[test]
fn a_full_disk_during_a_sweep() {
    let Some(fs) = Tmpfs::mount("96k") else {
        return;
    };
    let (_t, dir) = work();
    write(&dir, "s.toml", SWEEP);
    let args = |out: &str| -> Vec<String> {
        [
            "sweep",
            "s.toml",
            "--out",
            out,
            "-q",
            "--timeseries-quantiles",
        ]
        .map(String::from)
        .to_vec()
    };
    let run = |out: &str, chunk: &str| {
        let a = args(out);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        Command::new(env!("CARGO_BIN_EXE_ccgsim"))
            .args(&a)
            .current_dir(&dir)
            .env("CI", "1")
            .env("CCGSIM_SWEEP_CHUNK_RUNS", chunk)
            .output()
            .unwrap()
    };
    let o = run("ref", "7");
    assert!(o.status.success(), "{}", stderr(&o));

    let out = fs.path().join("r");
    let out_s = out.to_str().unwrap();
    let o = run(out_s, "7");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&fs.path().display().to_string()),
        "names the path: {err}"
    );
    assert!(
        !out.join("manifest.json").exists(),
        "nothing looks complete"
    );
    assert!(!ccgsim(&dir, &["check-result", out_s]).status.success());

    fs.remount("size=16m");
    let o = run(out_s, "7");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(ccgsim(&dir, &["check-result", out_s]).status.success());
    same_csvs(
        &out,
        &dir.join("ref"),
        &[
            "points.csv",
            "runs.csv",
            "stats.csv",
            "timeseries_quantiles.csv",
        ],
    );
}
