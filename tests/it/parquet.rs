//! `--format parquet`: timeseries.parquet and summary.parquet hold the CSV's
//! rows and values with exact column types, are byte-identical on any thread
//! count, are listed and hashed in the manifest, and every command that reads
//! run results (check-result, compare, plot compare) reads them.
#![cfg(feature = "parquet")]

use crate::common::{ccgsim, entries, stderr, write};
use parquet::basic::{LogicalType, Repetition, Type as Physical};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use std::path::Path;

/// A CCG of one practice (its only practice leads: member shares are NaN,
/// empty cells in CSV) beside a CCG of 30.
const SCENARIO: &str = "[scenario]\nname = \"pq, \\\"test\\\"\"\nmonths = 24\nreplicates = 3\nseed = 7\n\
                        [population]\npractices = [1, 30]\n";

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "{}", stderr(o));
}

fn run(dir: &Path, out: &str, extra: &[&str]) {
    let mut args = vec!["run", "s.toml", "--out", out, "-q", "--no-plots"];
    args.extend(extra);
    ok(&ccgsim(dir, &args));
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let head = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (head, rows)
}

/// Each CSV cell against the Parquet value read back with the `parquet` crate:
/// the same column names in the same order, INT64 keys, a string scenario,
/// doubles equal (bit for bit) to the CSV text parsed, null exactly where the
/// cell is empty. Returns the number of nulls seen.
fn assert_same_table(csv_path: &Path, pq_path: &Path, ints: &[&str]) -> usize {
    assert_same_typed(csv_path, pq_path, ints, &["scenario"])
}

fn assert_same_typed(csv_path: &Path, pq_path: &Path, ints: &[&str], texts: &[&str]) -> usize {
    let (head, rows) = csv_rows(csv_path);
    let reader = SerializedFileReader::new(std::fs::File::open(pq_path).unwrap()).unwrap();
    let meta = reader.metadata().file_metadata();
    assert_eq!(meta.num_rows() as usize, rows.len());
    assert_eq!(
        meta.created_by(),
        Some(concat!("ccgsim ", env!("CARGO_PKG_VERSION")))
    );
    assert!(meta.key_value_metadata().is_none(), "no extra metadata");
    let cols = meta.schema_descr().columns().to_vec();
    let names: Vec<String> = cols.iter().map(|c| c.name().to_string()).collect();
    assert_eq!(names, head);
    for c in &cols {
        let t = c.self_type();
        let want = if texts.contains(&c.name()) {
            assert_eq!(
                t.get_basic_info().logical_type_ref(),
                Some(&LogicalType::String)
            );
            Physical::BYTE_ARRAY
        } else if ints.contains(&c.name()) {
            Physical::INT64
        } else {
            Physical::DOUBLE
        };
        assert_eq!(t.get_physical_type(), want, "{}", c.name());
        let keys = [
            "scenario",
            "replicate",
            "ccg",
            "practices",
            "month",
            "failed",
        ];
        if keys.contains(&c.name()) {
            assert_eq!(t.get_basic_info().repetition(), Repetition::REQUIRED);
        }
    }
    // Snappy, except chunks whose pages Snappy would not shrink (stored
    // uncompressed); keys (repeated in every row of a run) are never stored
    // as raw values: Snappy shrinks them, or they are dictionary indices.
    use parquet::basic::{Compression, Encoding};
    for g in reader.metadata().row_groups() {
        for c in g.columns() {
            let name = c.column_descr().name();
            let coded = c.encodings().any(|e| e == Encoding::RLE_DICTIONARY);
            assert_eq!(coded, c.dictionary_page_offset().is_some(), "{name}");
            if c.compression() == Compression::UNCOMPRESSED {
                let keys = ["scenario", "replicate", "ccg", "practices", "month"];
                assert!(coded || !keys.contains(&name), "{name}");
                assert!(c.compressed_size() >= c.uncompressed_size(), "{name}");
            } else {
                assert_eq!(c.compression(), Compression::SNAPPY, "{name}");
            }
        }
    }
    let mut nulls = 0;
    let mut n = 0;
    for (row, want) in reader.get_row_iter(None).unwrap().zip(&rows) {
        let row = row.unwrap();
        for ((name, field), cell) in row.get_column_iter().zip(want) {
            match field {
                Field::Null => {
                    assert_eq!(cell, "", "{name}");
                    nulls += 1;
                }
                Field::Str(s) => assert_eq!(s, cell),
                Field::Long(v) => assert_eq!(v.to_string(), *cell, "{name}"),
                Field::Double(v) => {
                    let parsed: f64 = cell.parse().unwrap();
                    assert_eq!(v.to_bits(), parsed.to_bits(), "{name}: {v} vs {cell}");
                }
                other => panic!("{name}: unexpected {other:?}"),
            }
        }
        n += 1;
    }
    assert_eq!(n, rows.len());
    nulls
}

const TS_INTS: &[&str] = &["replicate", "ccg", "practices", "month"];
const SM_INTS: &[&str] = &["replicate", "ccg", "practices", "failed", "failed_month"];

#[test]
fn parquet_tables_hold_the_csv_values_with_exact_types() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "s.toml", SCENARIO);
    run(p, "c", &[]);
    run(p, "q", &["--format", "parquet"]);
    let files = entries(&p.join("q"));
    assert!(files.iter().all(|f| !f.ends_with(".csv")), "{files:?}");
    let nulls = assert_same_table(
        &p.join("c/timeseries.csv"),
        &p.join("q/timeseries.parquet"),
        TS_INTS,
    );
    assert!(nulls > 0, "the one-practice CCG gives empty cells / nulls");
    assert_same_table(
        &p.join("c/summary.csv"),
        &p.join("q/summary.parquet"),
        SM_INTS,
    );
}

#[test]
fn parquet_is_byte_identical_on_any_thread_count_and_hashed_in_the_manifest() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "s.toml", SCENARIO);
    run(p, "t1", &["--format", "parquet", "--threads", "1"]);
    run(p, "t2", &["--format", "parquet", "--threads", "2"]);
    let manifest = |dir: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(p.join(dir).join("manifest.json")).unwrap()).unwrap()
    };
    let (m1, m2) = (manifest("t1"), manifest("t2"));
    for name in ["timeseries.parquet", "summary.parquet"] {
        let a = std::fs::read(p.join("t1").join(name)).unwrap();
        let b = std::fs::read(p.join("t2").join(name)).unwrap();
        assert!(a == b, "{name} differs between 1 and 2 threads");
        let info = &m1["files"][name];
        assert_eq!(info, &m2["files"][name]);
        assert_eq!(info["bytes"].as_u64(), Some(a.len() as u64));
        assert_eq!(
            info["blake3"].as_str(),
            Some(blake3::hash(&a).to_hex().as_str())
        );
    }
    // 3 replicates × 2 CCGs, 25 months each.
    assert_eq!(m1["files"]["summary.parquet"]["rows"], 6);
    assert_eq!(m1["files"]["timeseries.parquet"]["rows"], 6 * 25);
    assert!(m1["files"].get("timeseries.csv").is_none());
    let o = ccgsim(p, &["check-result", "t1"]);
    ok(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("ok        timeseries.parquet"), "{text}");
}

#[test]
fn check_result_finds_a_changed_or_cut_parquet_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "s.toml", SCENARIO);
    run(p, "q", &["--format", "parquet"]);
    let copy = |to: &str| {
        std::fs::create_dir(p.join(to)).unwrap();
        for f in ["manifest.json", "timeseries.parquet", "summary.parquet"] {
            std::fs::copy(p.join("q").join(f), p.join(to).join(f)).unwrap();
        }
    };
    // One byte changed in the middle (same size).
    copy("flip");
    let path = p.join("flip/timeseries.parquet");
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();
    let o = ccgsim(p, &["check-result", "flip"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout).to_string() + &stderr(&o);
    assert!(
        text.contains("timeseries.parquet does not match its BLAKE3 hash")
            && text.contains("tampered"),
        "{text}"
    );
    // Cut short: no footer, so no rows either.
    copy("cut");
    let path = p.join("cut/summary.parquet");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 100]).unwrap();
    let o = ccgsim(p, &["check-result", "cut"]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout).to_string() + &stderr(&o);
    assert!(text.contains("summary.parquet has 0 data rows"), "{text}");
    // compare refuses the damaged table too.
    let o = ccgsim(p, &["compare", "q", "cut", "--out", "cmp"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("does not match its hash"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn compare_and_plot_compare_read_parquet_results_as_csv_ones() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "s.toml", SCENARIO);
    write(
        p,
        "b.toml",
        &SCENARIO.replace("name = \"pq", "name = \"b").replace(
            "[population]",
            "[constitution]\nsanctions = 0.9\n[population]",
        ),
    );
    run(p, "a_csv", &[]);
    run(p, "a_pq", &["--format", "parquet"]);
    ok(&ccgsim(
        p,
        &[
            "run",
            "b.toml",
            "--out",
            "b_pq",
            "-q",
            "--no-plots",
            "--format",
            "parquet",
        ],
    ));
    ok(&ccgsim(
        p,
        &["run", "b.toml", "--out", "b_csv", "-q", "--no-plots"],
    ));
    for (a, b, out) in [
        ("a_csv", "b_csv", "c1"),
        ("a_pq", "b_pq", "c2"),
        ("a_csv", "b_pq", "c3"),
    ] {
        ok(&ccgsim(
            p,
            &["compare", a, b, "--out", out, "-q", "--months", "6..24"],
        ));
    }
    let c1 = std::fs::read(p.join("c1/compare.csv")).unwrap();
    assert_eq!(c1, std::fs::read(p.join("c2/compare.csv")).unwrap());
    assert_eq!(c1, std::fs::read(p.join("c3/compare.csv")).unwrap());
    for (a, b, out) in [("a_csv", "b_csv", "f1"), ("a_pq", "b_pq", "f2")] {
        ok(&ccgsim(p, &["plot", "compare", a, b, "--out", out]));
    }
    let svg = |dir: &str| std::fs::read(p.join(dir).join("engaged_share.svg")).unwrap();
    // Folder names appear in the legend only for equal scenario names; these differ.
    assert_eq!(svg("f1"), svg("f2"));
}

#[test]
fn an_unknown_format_is_a_usage_error_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "s.toml", SCENARIO);
    let before = entries(p);
    let o = ccgsim(p, &["run", "s.toml", "--out", "x", "--format", "bogus"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--format bogus: expected csv or parquet"),
        "{}",
        stderr(&o)
    );
    assert_eq!(entries(p), before);
}

const SWEEP_BASE: &str =
    "[scenario]\nmonths = 24\nreplicates = 3\n[population]\npractices = [1, 20]\n";
const SWEEP: &str = "base = \"base.toml\"\nreplicates = 3\nseed = 11\n[grid]\n\
                     \"constitution.sanctions\" = [0.0, 0.5, 1.0]\n\"ccg.governing_body_gps\" = [1, 3]\n";

#[test]
fn a_parquet_sweep_holds_the_csv_sweep_and_merges_and_plots_the_same() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "base.toml", SWEEP_BASE);
    write(p, "sw.toml", SWEEP);
    let sweep = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "sweep",
            "sw.toml",
            "--out",
            out,
            "-q",
            "--timeseries-quantiles",
        ];
        args.extend(extra);
        ok(&ccgsim(p, &args));
    };
    sweep("c", &[]);
    sweep("q", &["--format", "parquet", "--threads", "1"]);
    let tables = [
        "points",
        "runs",
        "stats",
        "stats_long",
        "timeseries_quantiles",
        "timeseries_quantiles_long",
    ];
    let mut listed: Vec<String> = entries(&p.join("q"));
    listed.sort();
    let mut want: Vec<String> = tables.iter().map(|t| format!("{t}.parquet")).collect();
    want.push("manifest.json".into());
    want.sort();
    assert_eq!(listed, want);
    let ints = [
        "point",
        "replicate",
        "ccg",
        "practices",
        "month",
        "runs",
        "failed",
        "failed_month",
    ];
    let mut nulls = 0;
    for t in tables {
        nulls += assert_same_typed(
            &p.join("c").join(format!("{t}.csv")),
            &p.join("q").join(format!("{t}.parquet")),
            &ints,
            &["scenario", "outcome", "statistic"],
        );
    }
    assert!(
        nulls > 0,
        "undefined member shares and failure months are nulls"
    );
    let o = ccgsim(p, &["check-result", "q"]);
    ok(&o);
    // Shards keep CSV working tables and record the format; their merge is
    // byte-identical to the whole sweep (on another thread count).
    sweep(
        "s0",
        &["--format", "parquet", "--shard", "0/2", "--threads", "2"],
    );
    sweep(
        "s1",
        &["--format", "parquet", "--shard", "1/2", "--threads", "2"],
    );
    assert!(p.join("s0/runs.csv").is_file());
    ok(&ccgsim(p, &["merge", "s0", "s1", "--out", "m", "-q"]));
    ok(&ccgsim(
        p,
        &["merge", "s0", "s1", "--out", "mc", "-q", "--format", "csv"],
    ));
    for t in tables {
        let name = format!("{t}.parquet");
        assert!(
            std::fs::read(p.join("q").join(&name)).unwrap()
                == std::fs::read(p.join("m").join(&name)).unwrap(),
            "{name}: merged shards differ from the whole sweep"
        );
        let name = format!("{t}.csv");
        assert!(
            std::fs::read(p.join("c").join(&name)).unwrap()
                == std::fs::read(p.join("mc").join(&name)).unwrap(),
            "{name}: merged shards as CSV differ from the CSV sweep"
        );
    }
    ok(&ccgsim(p, &["plot", "sweep", "c", "--out", "fc"]));
    ok(&ccgsim(p, &["plot", "sweep", "q", "--out", "fq"]));
    let mut figs: Vec<String> = entries(&p.join("fc"))
        .into_iter()
        .filter(|f| f.ends_with(".svg"))
        .collect();
    figs.sort();
    assert!(!figs.is_empty());
    for f in figs {
        assert!(
            std::fs::read(p.join("fc").join(&f)).unwrap()
                == std::fs::read(p.join("fq").join(&f)).unwrap(),
            "{f} differs"
        );
    }
    // Resuming a finished parquet sweep finds it complete.
    let o = ccgsim(
        p,
        &[
            "sweep",
            "sw.toml",
            "--out",
            "q",
            "--format",
            "parquet",
            "--timeseries-quantiles",
        ],
    );
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("already holds the complete result"));
}

/// Damaged Parquet files (bytes changed anywhere, or cut short) are errors
/// naming the file, never a crash: the `parquet` crate's reader panics on some
/// corrupt pages, and ccgsim turns that into exit 1.
#[test]
fn damaged_parquet_files_are_errors_not_crashes() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "s.toml", SCENARIO);
    run(p, "good", &["--format", "parquet"]);
    let data = std::fs::read(p.join("good/timeseries.parquet")).unwrap();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (mut failed, mut caught) = (0, 0);
    for case in 0..120 {
        let mut bytes = data.clone();
        match case % 3 {
            0 => {
                for _ in 0..1 + next() % 20 {
                    let i = (next() % bytes.len() as u64) as usize;
                    bytes[i] = next() as u8;
                }
            }
            1 => {
                for _ in 0..1 + next() % 5 {
                    let back = 9 + (next() % 3000) as usize;
                    let i = bytes.len().saturating_sub(back);
                    bytes[i] = next() as u8;
                }
            }
            _ => bytes.truncate((next() % bytes.len() as u64) as usize),
        }
        let bad = p.join("bad");
        let _ = std::fs::remove_dir_all(&bad);
        std::fs::create_dir(&bad).unwrap();
        for f in ["manifest.json", "summary.parquet"] {
            std::fs::copy(p.join("good").join(f), bad.join(f)).unwrap();
        }
        std::fs::write(bad.join("timeseries.parquet"), &bytes).unwrap();
        let out = format!("o{case}");
        for args in [
            vec!["plot", "compare", "good", "bad", "--out", &out],
            vec![
                "compare", "good", "bad", "--out", &out, "--months", "1..24", "-q",
            ],
            vec!["check-result", "bad"],
        ] {
            let o = ccgsim(p, &args);
            let code = o.status.code();
            assert!(
                matches!(code, Some(0..=2)) && !stderr(&o).contains("panicked"),
                "case {case}: {args:?} exited {code:?}: {}",
                stderr(&o)
            );
            if args[0] == "check-result" {
                assert_eq!(code, Some(1), "case {case}: damage not found");
            }
            failed += usize::from(code == Some(1));
            caught += usize::from(stderr(&o).contains("the Parquet reader failed"));
        }
    }
    assert!(failed > 120, "most damaged files are refused ({failed})");
    // Some of these cases do make the reader panic (the guard is exercised).
    assert!(caught > 0, "no case reached the reader's panic");
}

/// `--practices --format parquet`: practices.parquet holds practices.csv's
/// rows and values with the exact types of `output::practices::COLUMNS`
/// (integers INT64, floats DOUBLE, `burnout` null outside a post), no staged
/// CSV is left behind, it is byte-identical on any thread count, and
/// check-result verifies its row count against the recorded selection.
#[test]
fn practices_parquet_holds_the_csv_rows_with_exact_types() {
    use ccgsim::output::practices::{COLUMNS, Kind};
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "s.toml", SCENARIO);
    let sel = [
        "--practices",
        "--practices-every",
        "3",
        "--practices-replicates",
        "0,2",
    ];
    run(p, "c", &sel);
    let mut pq = sel.to_vec();
    pq.extend(["--format", "parquet"]);
    run(p, "q", &pq);
    let ints: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| c.kind == Kind::Int)
        .map(|c| c.name)
        .collect();
    let nulls = assert_same_typed(
        &p.join("c/practices.csv"),
        &p.join("q/practices.parquet"),
        &ints,
        &["scenario"],
    );
    assert!(nulls > 0, "burnout is empty outside a post");
    let files = entries(&p.join("q"));
    assert!(files.iter().all(|f| !f.ends_with(".csv")), "{files:?}");
    let mut threads1 = pq.clone();
    threads1.extend(["--threads", "1"]);
    run(p, "q1", &threads1);
    assert_eq!(
        std::fs::read(p.join("q/practices.parquet")).unwrap(),
        std::fs::read(p.join("q1/practices.parquet")).unwrap()
    );
    let o = ccgsim(p, &["check-result", "q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
