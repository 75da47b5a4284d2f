//! The mutation suite (issue #14): `ccgsim validate` is a test a broken model
//! fails. Each entry of `validate::MUTATIONS` removes one mechanism through the
//! same `--set` overrides a user would type; `validate` must exit 1 with the
//! named check failing, and the unmutated model must exit 0. Run at
//! `MUTATION_REPLICATES` (60: 30 left pattern 9 without the power to see its
//! mutation), so the whole suite takes a few minutes on two cores.

use crate::common::{ccgsim, stderr};
use ccgsim::validate::{self, MUTATIONS, Mutation};

/// Replicates per experiment in the suite.
const REPLICATES: u32 = validate::MUTATION_REPLICATES;

fn validate_with(sets: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let reps = REPLICATES.to_string();
    let mut args = vec!["validate", "--replicates", reps.as_str()];
    for s in sets {
        args.extend(["--set", s]);
    }
    ccgsim(dir.path(), &args)
}

/// Table ids ("4", "N5", "F", …) of the counted lines that failed.
fn failed_ids(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let id = w.next()?;
            (w.next()? == "FAIL").then(|| id.to_string())
        })
        .collect()
}

fn run(m: &Mutation) -> Result<(), String> {
    let out = validate_with(m.sets);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let failed = failed_ids(&stdout);
    let summary = stdout.lines().last().unwrap_or("").to_string();
    if out.status.code() != Some(1) {
        let known = if m.caught {
            ""
        } else {
            " [listed as not caught: not identified by the data, docs/ODD.md §9]"
        };
        return Err(format!(
            "{}{known}: exit {:?}, expected 1 ({}); {summary}; stderr: {}",
            m.name,
            out.status.code(),
            m.command(),
            stderr(&out)
        ));
    }
    if !failed.iter().any(|id| id == m.caught_by) {
        return Err(format!(
            "{}: caught, but by {failed:?}, not by {} as docs/VALIDATION.md says ({})",
            m.name,
            m.caught_by,
            m.command()
        ));
    }
    Ok(())
}

#[test]
fn unmutated_model_passes_validation() {
    let out = validate_with(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "failed: {:?}\n{stdout}\n{}",
        failed_ids(&stdout),
        stderr(&out)
    );
}

#[test]
fn every_mutation_listed_as_caught_fails_validation() {
    let caught: Vec<&Mutation> = MUTATIONS.iter().filter(|m| m.caught).collect();
    let errors: Vec<String> = caught.iter().filter_map(|m| run(m).err()).collect();
    assert!(
        errors.is_empty(),
        "{} of {} mutations listed as caught were not caught as listed:\n{}",
        errors.len(),
        caught.len(),
        errors.join("\n")
    );
}

/// The mutations docs/VALIDATION.md lists as "not identified by the data" (no
/// check the evidence supports can see them yet; issue #14 stays open for them)
/// really do pass validation, so the listing is true. When a model or
/// validation change catches one, this fails: move it to the caught list.
#[test]
fn mutations_listed_as_not_identified_still_pass_validation() {
    let stale: Vec<String> = MUTATIONS
        .iter()
        .filter(|m| !m.caught)
        .filter_map(|m| {
            let out = validate_with(m.sets);
            (out.status.code() != Some(0)).then(|| {
                format!(
                    "{}: exit {:?} ({}); it is now caught: list it as caught, by the check that fails",
                    m.name,
                    out.status.code(),
                    m.command()
                )
            })
        })
        .collect();
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

#[test]
fn mutation_names_are_unique_and_overrides_valid() {
    let mut names: Vec<&str> = MUTATIONS.iter().map(|m| m.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), MUTATIONS.len());
    for m in MUTATIONS {
        let sets: Vec<String> = m.sets.iter().map(|s| s.to_string()).collect();
        validate::parse_overrides(&sets)
            .unwrap_or_else(|e| panic!("{}: overrides rejected: {e}", m.name));
    }
}

#[test]
fn exit_codes_and_out_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    // Invalid arguments: exit 2, nothing run.
    for bad in [
        vec!["validate", "--replicates", "5"],
        vec!["validate", "--set", "behaviour.nope=1"],
        vec!["validate", "--set", "behaviour.cut_1=99"],
        vec!["validate", "--bogus"],
    ] {
        let out = ccgsim(dir.path(), &bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
    }
    // An existing --out is refused without --force (before anything runs) and kept.
    let path = dir.path().join("VALIDATION.md");
    std::fs::write(&path, "mine").unwrap();
    let reps = REPLICATES.to_string();
    let out = ccgsim(
        dir.path(),
        &["validate", "--replicates", &reps, "--out", "VALIDATION.md"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
    // A failing model still writes the whole table, and exits 1.
    let out = ccgsim(
        dir.path(),
        &[
            "validate",
            "--replicates",
            &reps,
            "--out",
            "VALIDATION.md",
            "--force",
            "--set",
            "behaviour.voice_size_exponent=0",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let md = std::fs::read_to_string(&path).unwrap();
    assert!(md.contains("## Calibration figures") && md.contains("**FAIL**"));
    assert!(md.contains("voice_size_exponent = 0"));
}
