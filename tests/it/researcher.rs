//! Issue 16 (a researcher's day): narrative sign convention, compare windows and
//! outcomes, unequal replicate counts, early output-folder checks, `--months`
//! shorter than the events, tidy outputs, `params`, and messages.

use crate::common::*;

fn out(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
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

    write(
        d,
        "old.toml",
        "[scenario]\nmonths = 6\n[[events]]\nmonth = 2\nnarrative = 0.6\nduration = 2\n",
    );
    let o = ccgsim(d, &["check", "old.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("old.toml:5:1"), "{e}");
    assert!(e.contains("now `failure_narrative`"), "{e}");
    assert!(e.contains("signed"), "{e}");
    // One message, not a second "duration only applies to…".
    assert!(!e.contains("only applies"), "{e}");

    write(
        d,
        "neg.toml",
        "[[events]]\nmonth = 2\nfailure_narrative = -0.3\nduration = 2\n",
    );
    let o = ccgsim(d, &["check", "neg.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("out of range"), "{}", stderr(&o));
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
