//! `ccgsim check-result` tells a complete result (exit 0) from a partial or a
//! tampered one (exit 1), whatever was changed.

use std::path::Path;
use std::process::{Command, Output};

fn ccgsim(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ccgsim"))
        .args(args)
        .current_dir(dir)
        .env("CI", "1")
        .output()
        .unwrap()
}

/// A fresh complete result in `dir/name`.
fn result(dir: &Path, name: &str) {
    std::fs::write(
        dir.join("s.toml"),
        "[scenario]\nmonths = 12\nreplicates = 3\n[population]\npractices = [5, 30]\n",
    )
    .unwrap();
    let out = ccgsim(&["run", "s.toml", "--out", name, "-q"], dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn check(dir: &Path, name: &str) -> (Option<i32>, String) {
    let out = ccgsim(&["check-result", name], dir);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

fn edit_manifest(path: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let p = path.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    f(&mut m);
    std::fs::write(&p, serde_json::to_string_pretty(&m).unwrap()).unwrap();
}

#[test]
fn a_fresh_result_is_complete() {
    let tmp = tempfile::tempdir().unwrap();
    result(tmp.path(), "r");
    let (code, text) = check(tmp.path(), "r");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("ok        timeseries.csv") && text.contains("r: complete"),
        "{text}"
    );
}

/// A run killed after sealing its staging folder but before moving it into
/// place leaves `.NAME.partial-PID` with every file listed and hashed: it is
/// still partial (the kill -9 test hit this window once), and only the folder
/// moved into place is complete.
#[test]
fn a_sealed_staging_folder_is_partial() {
    let tmp = tempfile::tempdir().unwrap();
    result(tmp.path(), "r");
    std::fs::rename(tmp.path().join("r"), tmp.path().join(".r.partial-4049")).unwrap();
    let (code, text) = check(tmp.path(), ".r.partial-4049");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("partial") && text.contains("a staging folder: a run into r stopped"),
        "{text}"
    );
    // Names that only look alike are checked as results.
    let mut at = tmp.path().join(".r.partial-4049");
    for name in [
        ".r.partial-",
        ".r.partial-12x",
        "r.partial-4049",
        "..partial-7",
    ] {
        let next = tmp.path().join(name);
        std::fs::rename(&at, &next).unwrap();
        at = next;
        let (code, text) = check(tmp.path(), name);
        assert_eq!(code, Some(0), "{name}: {text}");
    }
}

/// Every way of spoiling a result, and the verdict each must get.
#[test]
fn partial_and_tampered_results_are_caught() {
    type Spoil = fn(&Path);
    let cases: Vec<(&str, Spoil, &str)> = vec![
        (
            "byte changed",
            |d| {
                let p = d.join("summary.csv");
                let mut b = std::fs::read(&p).unwrap();
                let i = b.len() / 2;
                b[i] = if b[i] == b'1' { b'2' } else { b'1' };
                std::fs::write(&p, b).unwrap();
            },
            "tampered",
        ),
        (
            "file truncated",
            |d| {
                let p = d.join("timeseries.csv");
                let b = std::fs::read(&p).unwrap();
                std::fs::write(&p, &b[..b.len() / 2]).unwrap();
            },
            "tampered",
        ),
        (
            "row appended",
            |d| {
                let p = d.join("summary.csv");
                let mut b = std::fs::read(&p).unwrap();
                b.extend_from_slice(b"9,9,9\n");
                std::fs::write(&p, b).unwrap();
            },
            "tampered",
        ),
        (
            "file deleted",
            |d| std::fs::remove_file(d.join("summary.csv")).unwrap(),
            "tampered",
        ),
        (
            "manifest deleted",
            |d| std::fs::remove_file(d.join("manifest.json")).unwrap(),
            "partial",
        ),
        (
            "manifest truncated",
            |d| {
                let p = d.join("manifest.json");
                let b = std::fs::read(&p).unwrap();
                std::fs::write(&p, &b[..b.len() / 3]).unwrap();
            },
            "tampered",
        ),
        (
            "marked incomplete",
            |d| edit_manifest(d, |m| m["complete"] = false.into()),
            "partial",
        ),
        (
            "scenario edited",
            |d| edit_manifest(d, |m| m["scenario"]["seed"] = 99.into()),
            "tampered",
        ),
        (
            "replicates edited",
            |d| edit_manifest(d, |m| m["replicates"] = 2.into()),
            "tampered",
        ),
        (
            "hash edited",
            |d| {
                edit_manifest(d, |m| {
                    m["files"]["timeseries.csv"]["blake3"] = "00".repeat(32).into()
                })
            },
            "tampered",
        ),
        (
            "path escape",
            |d| {
                edit_manifest(d, |m| {
                    let info = m["files"]["summary.csv"].clone();
                    m["files"]["../s.toml"] = info;
                })
            },
            "tampered",
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    for (i, (what, spoil, verdict)) in cases.iter().enumerate() {
        let name = format!("r{i}");
        result(tmp.path(), &name);
        spoil(&tmp.path().join(&name));
        let (code, text) = check(tmp.path(), &name);
        assert_eq!(code, Some(1), "{what}: {text}");
        assert!(
            text.contains(&format!("is {verdict}")),
            "{what}: expected {verdict}:\n{text}"
        );
    }
}

#[test]
fn added_files_are_noted_but_do_not_spoil_a_result() {
    let tmp = tempfile::tempdir().unwrap();
    result(tmp.path(), "r");
    std::fs::write(tmp.path().join("r/notes.txt"), "mine").unwrap();
    let (code, text) = check(tmp.path(), "r");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("notes.txt is not listed"), "{text}");
}

#[test]
fn not_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, text) = check(tmp.path(), "missing");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("missing is not a folder"), "{text}");
}

/// Regression: serde_json's default float parser can be one ULP off, which made
/// complete results with long-decimal parameters look tampered.
#[test]
fn awkward_floats_round_trip_through_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("s.toml"),
        "[scenario]\nmonths = 2\nreplicates = 1\n[behaviour]\nburnout_rate = 0.6895839370886616\nburnout_support = 10.144892432869824\ncontractual_threat = 0.36699406371234394\n[environment]\ndeadline_pressure = 0.603419925567081\nfunding_squeeze = 0.814357770688746\nnarrative = -0.1433810896466195\n",
    )
    .unwrap();
    assert!(
        ccgsim(&["run", "s.toml", "--out", "r", "-q"], tmp.path())
            .status
            .success()
    );
    let (code, text) = check(tmp.path(), "r");
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn sweep_results_complete_partial_and_tampered() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("base.toml"),
        "[scenario]\nmonths = 6\nreplicates = 4\n",
    )
    .unwrap();
    std::fs::write(
        d.join("s.toml"),
        "base = \"base.toml\"\n[grid]\n\"constitution.sanctions\" = [0.0, 0.5, 1.0]\n",
    )
    .unwrap();
    let o = ccgsim(&["sweep", "s.toml", "--out", "w", "-q"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(check(d, "w").0, Some(0));
    edit_manifest(&d.join("w"), |m| m["end_run"] = 11.into());
    let (code, text) = check(d, "w");
    assert_eq!(code, Some(1));
    assert!(
        text.contains("runs.csv: the manifest records 12 rows but runs 0 to 11 make 11"),
        "{text}"
    );

    // Interrupted after its first chunk: partial, and the message says how to resume.
    let o = Command::new(env!("CARGO_BIN_EXE_ccgsim"))
        .args(["sweep", "s.toml", "--out", "p", "-q"])
        .current_dir(d)
        .env("CI", "1")
        .env("CCGSIM_SWEEP_CHUNK_RUNS", "2")
        .env("CCGSIM_SWEEP_ABORT_AFTER_CHUNKS", "1")
        .output()
        .unwrap();
    assert!(!o.status.success());
    let (code, text) = check(d, "p");
    assert_eq!(code, Some(1));
    assert!(
        text.contains("is partial") && text.contains("to resume"),
        "{text}"
    );
}

#[test]
fn figures_are_checked_by_hash_not_as_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("s.toml"), "[scenario]\nmonths = 6\nreplicates = 3\n").unwrap();
    let bin = env!("CARGO_BIN_EXE_ccgsim");
    let o = Command::new(bin)
        .args(["run", "s.toml", "--out", "r", "-q"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(d.join("r/plots/engaged_share.png").exists());
    let o = Command::new(bin)
        .args(["check-result", "r"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    // Change one figure: the hash catches it.
    let svg = d.join("r/plots/engaged_share.svg");
    let mut bytes = std::fs::read(&svg).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 1;
    std::fs::write(&svg, bytes).unwrap();
    let o = Command::new(bin)
        .args(["check-result", "r"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("plots/engaged_share.svg"));
}
