//! Each class of bad scenario is refused before anything runs: exit code 2, a
//! message naming file, line, column, key and what is allowed, and no output.

use crate::common::*;

struct Case {
    what: &'static str,
    toml: &'static str,
    /// Fragments the message must contain.
    expect: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        what: "syntax error",
        toml: "[ccg\npractices = 4\n",
        expect: &["bad.toml:1:", "TOML syntax error"],
    },
    Case {
        what: "unknown key",
        toml: "[ccg]\npractises = 40\n",
        expect: &[
            "bad.toml:2:1",
            "`ccg.practises`",
            "did you mean `practices`",
        ],
    },
    Case {
        what: "unknown section",
        toml: "[constitutoin]\nsanctions = 0.5\n",
        expect: &["bad.toml:1:", "did you mean `constitution`"],
    },
    Case {
        what: "wrong type",
        toml: "[ccg]\npractices = \"forty\"\n",
        expect: &[
            "bad.toml:2:13",
            "`ccg.practices`",
            "expected an integer",
            "from 1 to 1000",
        ],
    },
    Case {
        what: "NaN",
        toml: "[constitution]\nsanctions = nan\n",
        expect: &[
            "bad.toml:2:13",
            "`constitution.sanctions`",
            "not a finite number",
            "from 0 to 1",
        ],
    },
    Case {
        what: "infinite",
        toml: "[ccg]\nallowance_per_head = inf\n",
        expect: &["bad.toml:2:22", "not a finite number", "from 0 to 100"],
    },
    Case {
        what: "months zero",
        toml: "[scenario]\nmonths = 0\n",
        expect: &["bad.toml:2:10", "`scenario.months`", "from 1 to 1200"],
    },
    Case {
        what: "months absurd",
        toml: "[scenario]\nmonths = 99999999\n",
        expect: &["`scenario.months`", "out of range", "from 1 to 1200"],
    },
    Case {
        what: "replicates zero",
        toml: "[scenario]\nreplicates = 0\n",
        expect: &["`scenario.replicates`", "from 1 to 10000000"],
    },
    Case {
        what: "practices zero",
        toml: "[ccg]\npractices = 0\n",
        expect: &["`ccg.practices`", "from 1 to 1000"],
    },
    Case {
        what: "practices negative",
        toml: "[ccg]\npractices = -5\n",
        expect: &["`ccg.practices`", "-5 is out of range"],
    },
    Case {
        what: "share above 1",
        toml: "[constitution]\npeer_review = 1.2\n",
        expect: &[
            "bad.toml:2:15",
            "`constitution.peer_review`",
            "1.2 is out of range",
            "from 0 to 1",
        ],
    },
    Case {
        what: "share below 0",
        toml: "[co_commissioning]\nlay_scrutiny = -0.1\n",
        expect: &["`co_commissioning.lay_scrutiny`", "from 0 to 1"],
    },
    Case {
        what: "event past horizon",
        toml: "[scenario]\nmonths = 12\n[[events]]\nmonth = 24\nset = { \"ccg.allowance_per_head\" = 22.0 }\n",
        expect: &["bad.toml:4:9", "past the horizon", "months 0 to 12"],
    },
    Case {
        what: "event unknown path",
        toml: "[[events]]\nmonth = 2\nset = { \"ccg.alowance_per_head\" = 22.0 }\n",
        expect: &["bad.toml:3:", "did you mean `ccg.allowance_per_head`"],
    },
    Case {
        what: "event value out of range",
        toml: "[[events]]\nmonth = 2\nset = { \"constitution.sanctions\" = 3 }\n",
        expect: &["`constitution.sanctions`", "3 is out of range"],
    },
    Case {
        what: "event on structural parameter",
        toml: "[[events]]\nmonth = 2\nset = { \"ccg.practices\" = 3 }\n",
        expect: &["`ccg.practices`", "cannot be changed by an event"],
    },
    Case {
        what: "more localities than practices",
        toml: "[ccg]\npractices = 3\nlocalities = 5\n",
        expect: &["`ccg.localities`", "at most one locality per practice"],
    },
];

#[test]
fn every_bad_input_class_is_refused_clearly_and_writes_nothing() {
    for case in CASES {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "bad.toml", case.toml);
        let before = entries(dir.path());
        for cmd in ["run", "check"] {
            let o = ccgsim(
                dir.path(),
                &[cmd, "bad.toml", "--quiet"][..if cmd == "run" { 3 } else { 2 }],
            );
            let err = stderr(&o);
            assert_eq!(
                o.status.code(),
                Some(2),
                "{} ({cmd}): exit code; stderr:\n{err}",
                case.what
            );
            for frag in case.expect {
                assert!(
                    err.contains(frag),
                    "{} ({cmd}): message lacks {frag:?}:\n{err}",
                    case.what
                );
            }
            assert!(!err.contains("panicked"), "{}: panic\n{err}", case.what);
            assert_eq!(
                entries(dir.path()),
                before,
                "{} ({cmd}): something was written",
                case.what
            );
        }
    }
}

#[test]
fn several_problems_are_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad.toml",
        "[ccg]\npractices = 0\n[constitution]\nsanctions = 2\n",
    );
    let o = ccgsim(dir.path(), &["check", "bad.toml"]);
    let err = stderr(&o);
    assert!(
        err.contains("bad.toml:2:") && err.contains("bad.toml:4:"),
        "{err}"
    );
    assert!(err.contains("2 problems found"), "{err}");
}

#[test]
fn bad_command_line_overrides_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ok.toml",
        "[[events]]\nmonth = 30\nset = { \"ccg.allowance_per_head\" = 22.0 }\n",
    );
    let o = ccgsim(dir.path(), &["run", "ok.toml", "--months", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--months"));
    assert!(!dir.path().join("output").exists());
    // Shorter than the events: a quick trial that drops them, with a note.
    let o = ccgsim(
        dir.path(),
        &["run", "ok.toml", "--months", "12", "--replicates", "2"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("event at month 30 (ok.toml:1); that event was dropped"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn missing_file_exits_1_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["run", "check"] {
        let o = ccgsim(dir.path(), &[cmd, "nope.toml"]);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("nope.toml"), "{}", stderr(&o));
    }
}

#[test]
fn unwritable_output_exits_1_and_existing_result_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ok.toml",
        "[scenario]\nmonths = 3\nreplicates = 2\n",
    );
    // An output path under a regular file cannot be created.
    write(dir.path(), "afile", "x");
    let o = ccgsim(dir.path(), &["run", "ok.toml", "--out", "afile/sub"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("afile"), "{}", stderr(&o));
    // The output path itself is a file.
    let o = ccgsim(dir.path(), &["run", "ok.toml", "--out", "afile"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is a file"), "{}", stderr(&o));
    // A result is never overwritten without --force.
    let o = ccgsim(dir.path(), &["run", "ok.toml", "--out", "r"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let first = std::fs::read(dir.path().join("r/manifest.json")).unwrap();
    let o = ccgsim(dir.path(), &["run", "ok.toml", "--out", "r", "--seed", "9"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("already exists") && stderr(&o).contains("--force"));
    assert_eq!(
        std::fs::read(dir.path().join("r/manifest.json")).unwrap(),
        first
    );
    let o = ccgsim(
        dir.path(),
        &["run", "ok.toml", "--out", "r", "--seed", "9", "--force"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(
        std::fs::read(dir.path().join("r/manifest.json")).unwrap(),
        first
    );
    // No staging folders are left behind.
    assert!(
        entries(dir.path())
            .iter()
            .all(|e| !e.contains(".partial") && !e.contains(".old"))
    );
}

#[test]
fn check_agrees_with_run() {
    let texts = [
        "",
        "[ccg]\npractices = 12\n",
        "[population]\npractices = [5, 9]\n[scenario]\nmonths = 4\nreplicates = 2\n",
        "[ccg]\npractices = 0\n",
        "[scenario]\nmonths = 5\n[[events]]\nmonth = 6\nfailure_narrative = 0.5\nduration = 2\n",
        "[[events]]\nmonth = 6\nfailure_narrative = 0.5\n",
    ];
    for (i, t) in texts.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "s.toml", t);
        let check = ccgsim(dir.path(), &["check", "s.toml"]);
        let run = ccgsim(
            dir.path(),
            &["run", "s.toml", "--replicates", "2", "--quiet"],
        );
        assert_eq!(
            check.status.code(),
            run.status.code(),
            "case {i}: check {:?} vs run {:?}\n{}",
            check.status,
            run.status,
            stderr(&run)
        );
    }
}
