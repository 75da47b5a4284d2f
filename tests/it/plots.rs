//! Figures hold what they claim: right size, data drawn inside the plot area,
//! titles and axis labels in the SVG, same bytes on any thread count.

use ccgsim::engine::Plan;
use ccgsim::plot::render::Rect;
use ccgsim::plot::run_figures::RunFigures;
use ccgsim::plot::{self, compare, hysteresis, style, sweep, timefig};
use ccgsim::run::{RunOptions, run};
use ccgsim::scenario::{Scenario, parse};
use std::path::{Path, PathBuf};
use std::process::Command;

fn scenario(text: &str) -> Scenario {
    parse(text, Path::new("test.toml")).expect("valid test scenario")
}

const CUT: &str = r#"
[scenario]
name = "cut-test"
months = 36
replicates = 12
seed = 5

[[events]]
month = 24
set = { "ccg.allowance_per_head" = 22 }
"#;

const POPULATION: &str = r#"
[scenario]
name = "population-test"
months = 24
replicates = 3
seed = 9

[population]
ccgs = 9
"#;

fn options(out: PathBuf, threads: usize, plots: bool) -> RunOptions {
    RunOptions {
        threads,
        plots,
        ..RunOptions::new(out)
    }
}

/// Width, height and RGB pixels of a PNG.
fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = dec.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Pixels inside `rect` that are clearly coloured (not white, grey or black):
/// only data (lines, bands, cells) is drawn in colour; axes, grid and text are grey.
fn coloured_pixels(w: u32, rgb: &[u8], rect: Rect) -> usize {
    let mut n = 0;
    for y in rect.1.max(0)..rect.3 {
        for x in rect.0.max(0)..rect.2 {
            let i = 3 * (y as usize * w as usize + x as usize);
            let (r, g, b) = (rgb[i] as i32, rgb[i + 1] as i32, rgb[i + 2] as i32);
            if r.max(g).max(b) - r.min(g).min(b) > 20 {
                n += 1;
            }
        }
    }
    n
}

fn area(r: Rect) -> usize {
    ((r.2 - r.0) * (r.3 - r.1)) as usize
}

/// Every rendered panel has data in at least `min_share` of its plot area, and
/// at least as many coloured pixels as a 2-pixel line across the whole panel.
fn assert_data_drawn(r: &plot::Rendered, min_share: f64, what: &str) {
    let (w, h, rgb) = decode(&r.png);
    assert_eq!((w, h), r.size, "{what}");
    assert!(!r.plot_areas.is_empty(), "{what}");
    for &rect in &r.plot_areas {
        assert!(
            rect.0 >= 0 && rect.2 <= w as i32 && rect.3 <= h as i32,
            "{what}: {rect:?}"
        );
        assert!(
            area(rect) > (w * h / 8) as usize,
            "{what}: plot area too small {rect:?}"
        );
        let n = coloured_pixels(w, &rgb, rect);
        assert!(
            n as f64 >= min_share * area(rect) as f64 && n >= 2 * (rect.2 - rect.0) as usize,
            "{what}: only {n} coloured pixels in plot area {rect:?}"
        );
    }
}

/// Each of `colours` is drawn exactly on more than `min` pixels of the first
/// plot area.
fn assert_colours_drawn(r: &plot::Rendered, colours: &[plotters::style::RGBColor], min: usize) {
    let (w, _, rgb) = decode(&r.png);
    let rect = r.plot_areas[0];
    for c in colours {
        let mut found = 0;
        for y in rect.1..rect.3 {
            for x in rect.0..rect.2 {
                let i = 3 * (y as usize * w as usize + x as usize);
                found += (rgb[i] == c.0 && rgb[i + 1] == c.1 && rgb[i + 2] == c.2) as usize;
            }
        }
        assert!(found > min, "colour {c:?} drawn on {found} pixels");
    }
}

/// `t` as plotters writes it into SVG text.
fn xml(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

fn svg_has(svg: &str, texts: &[&str], what: &str) {
    for t in texts {
        assert!(svg.contains(&xml(t)), "{what}: SVG lacks {t:?}");
    }
    assert!(svg.contains("font-family=\"sans-serif\""), "{what}");
}

#[test]
fn a_run_writes_every_figure_with_data_titles_and_axis_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cut");
    run(scenario(CUT), &options(out.clone(), 2, true)).unwrap();
    let plots = out.join("plots");
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    // Rendered again in memory from the same runs, the figures are byte-identical
    // to the files, and each has its data region drawn in.
    let plan = Plan::new(scenario(CUT));
    let mut figs = RunFigures::new(&plan);
    for i in 0..plan.runs() {
        let rec = plan.record(i);
        figs.add(i, rec.id.ccg, &plot::run_figures::reduce(&rec));
    }
    let figures = figs.figures();
    assert_eq!(figures.len(), 6);
    for f in &figures {
        let r = plot::render(f).unwrap();
        assert_data_drawn(&r, 0.0, &f.stem);
        let png = std::fs::read(plots.join(format!("{}.png", f.stem))).unwrap();
        let svg = std::fs::read_to_string(plots.join(format!("{}.svg", f.stem))).unwrap();
        assert!(png == r.png, "{}: file differs from rendering", f.stem);
        assert_eq!(decode(&png).0, style::SIZE.0);
        svg_has(
            &svg,
            &[&f.title, &f.y_label, timefig::X_LABEL, "allowance £25→£22"],
            &f.stem,
        );
        assert!(manifest.contains(&format!("\"plots/{}.png\"", f.stem)));
    }
    let ownership = std::fs::read_to_string(plots.join("ownership.svg")).unwrap();
    svg_has(
        &ownership,
        &["members without a role", "GP leaders"],
        "legend",
    );
}

#[test]
fn an_empty_figure_has_no_data_pixels() {
    // The pixel check above can fail: the same figure with no data draws nothing
    // coloured inside the plot area.
    let plan = Plan::new(scenario(CUT));
    let figs = RunFigures::new(&plan);
    let f = figs.figures().remove(0);
    let r = plot::render(&f).unwrap();
    let (w, _, rgb) = decode(&r.png);
    // Only the event line's label box may be inside; it is grey and white.
    assert_eq!(coloured_pixels(w, &rgb, r.plot_areas[0]), 0);
}

#[test]
fn no_plots_skips_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("np");
    run(scenario(CUT), &options(out.clone(), 1, false)).unwrap();
    assert!(out.join("timeseries.csv").exists());
    assert!(!out.join("plots").exists());
}

#[test]
fn figures_do_not_depend_on_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run(scenario(POPULATION), &options(a.clone(), 1, true)).unwrap();
    run(scenario(POPULATION), &options(b.clone(), 2, true)).unwrap();
    for stem in ["engaged_share", "ownership", "leaders"] {
        for ext in ["png", "svg"] {
            let name = format!("plots/{stem}.{ext}");
            assert!(
                std::fs::read(a.join(&name)).unwrap() == std::fs::read(b.join(&name)).unwrap(),
                "{name}"
            );
        }
    }
    // A population is drawn by CCG size class, with a legend.
    let svg = std::fs::read_to_string(a.join("plots/engaged_share.svg")).unwrap();
    svg_has(
        &svg,
        &["small CCGs (", "medium CCGs (", "large CCGs ("],
        "size classes",
    );
}

fn ccgsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ccgsim"))
        .args(args)
        .env("CI", "1")
        .output()
        .unwrap()
}

#[test]
fn compare_overlays_scenarios_in_distinct_colours() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("cut"), tmp.path().join("pop"));
    run(scenario(CUT), &options(a.clone(), 2, false)).unwrap();
    run(scenario(POPULATION), &options(b.clone(), 2, false)).unwrap();
    let out = tmp.path().join("cmp");
    let o = ccgsim(&[
        "plot",
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = std::fs::read_to_string(out.join("engaged_share.svg")).unwrap();
    svg_has(
        &svg,
        &[
            "Practices engaged with their CCG: scenarios compared",
            "share at least somewhat engaged (0–1)",
            "cut-test",
            "population-test",
        ],
        "compare",
    );
    // Both scenario colours are drawn inside the plot area.
    let results = [
        compare::read_result(&a).unwrap(),
        compare::read_result(&b).unwrap(),
    ];
    let figs = compare::figures(&results, &[a.as_path(), b.as_path()]);
    let r = plot::render(&figs[0]).unwrap();
    assert_data_drawn(&r, 0.005, "compare");
    assert_colours_drawn(&r, &[style::colour(0), style::colour(1)], 200);
    // The file from the command equals the in-memory rendering.
    assert!(std::fs::read(out.join("engaged_share.png")).unwrap() == r.png);
}

#[test]
fn compare_refuses_a_folder_that_is_not_a_result() {
    let tmp = tempfile::tempdir().unwrap();
    let o = ccgsim(&[
        "plot",
        "compare",
        tmp.path().to_str().unwrap(),
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no manifest.json"));
}

/// A stats.csv in the sweep engine's layout, with made-up but smooth numbers.
fn stats_csv(params: &[&str], points: &[Vec<f64>]) -> String {
    let outcomes = [
        "engaged_share",
        "highly_engaged_share",
        "ownership_members",
        "ownership_leaders",
        "performance",
        "credibility",
        "workload",
        "leaders_lacking_support",
    ];
    let mut cols: Vec<String> = vec!["point".into()];
    cols.extend(params.iter().map(|p| p.to_string()));
    cols.push("runs".into());
    for o in outcomes {
        for s in ["mean", "sd", "ci_low", "ci_high"] {
            cols.push(format!("{o}_{s}"));
        }
    }
    cols.extend(["failure_probability", "failure_ci_low", "failure_ci_high"].map(String::from));
    let mut text = cols.join(",") + "\n";
    for (k, p) in points.iter().enumerate() {
        let z: f64 = p
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64 + 1.0) * v)
            .sum();
        let fail = 1.0 / (1.0 + (-(z - 1.0) * 4.0).exp());
        let mut row: Vec<String> = vec![k.to_string()];
        row.extend(p.iter().map(|v| v.to_string()));
        row.push("100".into());
        for j in 0..outcomes.len() {
            let m = (1.0 - 0.7 * fail) * (1.0 - 0.08 * j as f64);
            row.extend([m, 0.1, m - 0.04, m + 0.04].map(|v| format!("{v:.4}")));
        }
        row.extend(
            [fail, (fail - 0.05).max(0.0), (fail + 0.05).min(1.0)].map(|v| format!("{v:.4}")),
        );
        text += &(row.join(",") + "\n");
    }
    text
}

#[test]
fn a_two_parameter_sweep_gives_heatmaps_with_a_colour_bar() {
    let tmp = tempfile::tempdir().unwrap();
    let mut points = Vec::new();
    for a in [0.0, 0.25, 0.5, 0.75, 1.0] {
        for s in [0.0, 0.2, 0.4, 0.6] {
            points.push(vec![a, s]);
        }
    }
    let params = ["environment.qipp", "constitution.sanctions"];
    std::fs::write(tmp.path().join("stats.csv"), stats_csv(&params, &points)).unwrap();
    let o = ccgsim(&["plot", "sweep", tmp.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = std::fs::read_to_string(tmp.path().join("plots/failure_probability.svg")).unwrap();
    svg_has(
        &svg,
        &[
            "Tipping-point map: probability a CCG fails",
            "qipp (share of capacity)",
            "sanctions (0–1)",
            "failure probability (0–1)",
        ],
        "heatmap",
    );
    assert!(tmp.path().join("plots/engaged_share.png").exists());
    // Cells fill the map: nearly every pixel of the data region is coloured.
    let stats = sweep::read_stats(&tmp.path().join("stats.csv")).unwrap();
    let figs = sweep::figures(&stats).unwrap();
    assert_eq!(figs.len(), 2);
    let r = plot::render(&figs[0]).unwrap();
    assert_data_drawn(&r, 0.95, "heatmap");
    // The colour bar spans both ends of viridis, right of the map.
    let (w, _, rgb) = decode(&r.png);
    let at = |c: plotters::style::RGBColor| {
        (0..rgb.len() / 3).any(|i| {
            let x = (i % w as usize) as i32;
            x > r.plot_areas[0].2
                && (rgb[3 * i] as i32 - c.0 as i32).abs() < 6
                && (rgb[3 * i + 1] as i32 - c.1 as i32).abs() < 6
                && (rgb[3 * i + 2] as i32 - c.2 as i32).abs() < 6
        })
    };
    assert!(at(style::viridis(0.0)) && at(style::viridis(1.0)));
}

#[test]
fn a_one_parameter_sweep_gives_curves_with_ci_bands() {
    let tmp = tempfile::tempdir().unwrap();
    let points: Vec<Vec<f64>> = (0..8).map(|i| vec![0.2 * i as f64]).collect();
    std::fs::write(
        tmp.path().join("stats.csv"),
        stats_csv(&["ccg.allowance_per_head"], &points),
    )
    .unwrap();
    let out = tmp.path().join("figs");
    let o = ccgsim(&[
        "plot",
        "sweep",
        tmp.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = std::fs::read_to_string(out.join("engagement.svg")).unwrap();
    svg_has(
        &svg,
        &[
            "Engagement at the end of the run",
            "allowance per head (GBP per head per year)",
            "share of practices (0–1)",
            "at least somewhat engaged",
            "highly engaged",
        ],
        "curve",
    );
    let stats = sweep::read_stats(&tmp.path().join("stats.csv")).unwrap();
    for f in sweep::figures(&stats).unwrap() {
        assert_data_drawn(&plot::render(&f).unwrap(), 0.05, "curve");
    }
}

#[test]
fn a_three_parameter_sweep_gets_scatter_panels_and_prcc() {
    // Issue #13: more than two parameters are no longer refused.
    let tmp = tempfile::tempdir().unwrap();
    let text = stats_csv(
        &[
            "environment.qipp",
            "constitution.sanctions",
            "ccg.localities",
        ],
        &[
            vec![0.1, 0.2, 3.0],
            vec![0.3, 0.9, 5.0],
            vec![0.2, 0.5, 4.0],
        ],
    );
    std::fs::write(tmp.path().join("stats.csv"), text).unwrap();
    let o = ccgsim(&["plot", "sweep", tmp.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let plots = tmp.path().join("plots");
    assert!(plots.join("scatter_failure_probability.png").is_file());
    let prcc = std::fs::read_to_string(plots.join("prcc.csv")).unwrap();
    assert!(
        prcc.starts_with("outcome,parameter,prcc\nfailure_probability,environment_qipp,")
            || prcc.starts_with("outcome,parameter,prcc\nfailure_probability,environment.qipp,"),
        "{prcc}"
    );
}

/// Every file a manifest lists exists with that hash, and every figure in
/// `dir` (by its PNG) has a CSV beside it that the manifest lists too.
fn assert_listed(manifest: &Path, dir: &Path, prefix: &str) -> serde_json::Value {
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(manifest).unwrap()).unwrap();
    let files = m["files"].as_object().expect("a files map");
    for (name, info) in files {
        let bytes = std::fs::read(manifest.parent().unwrap().join(name)).unwrap();
        assert_eq!(
            info["blake3"].as_str().unwrap(),
            blake3::hash(&bytes).to_hex().to_string(),
            "{name}"
        );
        assert_eq!(
            info["bytes"].as_u64().unwrap(),
            bytes.len() as u64,
            "{name}"
        );
    }
    let mut figures = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "png") {
            figures += 1;
            let stem = p.file_stem().unwrap().to_string_lossy().to_string();
            let csv = std::fs::read_to_string(dir.join(format!("{stem}.csv"))).unwrap();
            let rows = csv.lines().count() as u64 - 1;
            assert!(rows > 0, "{stem}.csv is empty");
            let entry = &files[&format!("{prefix}{stem}.csv")];
            assert_eq!(entry["rows"].as_u64().unwrap(), rows, "{stem}");
            assert!(files.contains_key(&format!("{prefix}{stem}.png")), "{stem}");
            assert!(files.contains_key(&format!("{prefix}{stem}.svg")), "{stem}");
        }
    }
    assert!(figures > 0);
    m
}

/// Rows of a CSV as maps from column to text.
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    for c in &h {
        assert!(
            c.chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'),
            "{c} is not snake_case"
        );
    }
    r.records()
        .map(|rec| {
            h.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn num(s: &str) -> f64 {
    if s.is_empty() {
        f64::NAN
    } else {
        s.parse().unwrap()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 5e-7
}

#[test]
fn run_figures_have_their_plotted_values_beside_them_in_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pop");
    run(scenario(POPULATION), &options(out.clone(), 2, true)).unwrap();
    assert_listed(&out.join("manifest.json"), &out.join("plots"), "plots/");
    // The CSV holds exactly the medians and quartiles drawn.
    let plan = Plan::new(scenario(POPULATION));
    let mut figs = RunFigures::new(&plan);
    for i in 0..plan.runs() {
        let rec = plan.record(i);
        figs.add(i, rec.id.ccg, &plot::run_figures::reduce(&rec));
    }
    for f in figs.figures() {
        let rows = csv_rows(&out.join(format!("plots/{}.csv", f.stem)));
        let mut k = 0;
        for p in &f.panels {
            for s in &p.series {
                for m in 0..s.bands.len() {
                    let r = &rows[k];
                    assert_eq!(r["series"], s.label);
                    assert_eq!(num(&r["month"]) as usize, m);
                    assert!(close(num(&r["median"]), s.bands.q50[m]), "{} {m}", f.stem);
                    assert!(close(num(&r["q25"]), s.bands.q25[m]));
                    assert!(close(num(&r["q75"]), s.bands.q75[m]));
                    k += 1;
                }
            }
        }
        assert_eq!(k, rows.len(), "{}", f.stem);
    }
    // Leaders are drawn as a share of posts filled: within 0..1.
    let leaders = csv_rows(&out.join("plots/leaders.csv"));
    assert!(
        leaders
            .iter()
            .any(|r| r["panel"] == "leadership posts filled")
    );
    assert!(
        leaders
            .iter()
            .all(|r| (0.0..=1.0).contains(&num(&r["median"])))
    );
}

#[test]
fn compare_and_sweep_folders_list_figures_and_their_csvs() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("cut"), tmp.path().join("pop"));
    run(scenario(CUT), &options(a.clone(), 2, false)).unwrap();
    run(scenario(POPULATION), &options(b.clone(), 2, false)).unwrap();
    let out = tmp.path().join("cmp");
    let o = ccgsim(&[
        "plot",
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = assert_listed(&out.join("manifest.json"), &out, "");
    assert_eq!(m["kind"], "plot");
    assert_eq!(m["figure"], "plot compare");
    assert!(m["complete"].as_bool().unwrap());
    let rows = csv_rows(&out.join("engaged_share.csv"));
    let names: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r["series"].as_str()).collect();
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        vec!["cut-test", "population-test"]
    );
    // The CSV equals the figure's own table (the values drawn).
    let results = [
        compare::read_result(&a).unwrap(),
        compare::read_result(&b).unwrap(),
    ];
    let figs = compare::figures(&results, &[a.as_path(), b.as_path()]);
    assert!(
        std::fs::read(out.join("engaged_share.csv")).unwrap() == plot::Figure::data(&figs[0]).csv()
    );

    let sw = tmp.path().join("sweep");
    std::fs::create_dir(&sw).unwrap();
    let points: Vec<Vec<f64>> = (0..5).map(|i| vec![0.2 * i as f64]).collect();
    std::fs::write(
        sw.join("stats.csv"),
        stats_csv(&["environment.qipp"], &points),
    )
    .unwrap();
    let o = ccgsim(&["plot", "sweep", sw.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_listed(&sw.join("plots/manifest.json"), &sw.join("plots"), "");
    let fp = csv_rows(&sw.join("plots/failure_probability.csv"));
    assert_eq!(fp.len(), 5);
    assert!(fp.iter().all(|r| num(&r["ci_low"]) <= num(&r["mean"])));
    let stats = sweep::read_stats(&sw.join("stats.csv")).unwrap();
    for f in sweep::figures(&stats).unwrap() {
        let file = std::fs::read(sw.join(format!("plots/{}.csv", plot::Figure::stem(&f)))).unwrap();
        assert!(file == plot::Figure::data(&f).csv());
    }
    // ...and those are the sweep's own numbers.
    let text = std::fs::read_to_string(sw.join("stats.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let j = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "failure_probability")
        .unwrap();
    for (r, rec) in fp.iter().zip(rdr.records()) {
        assert!(close(num(&r["mean"]), num(&rec.unwrap()[j])));
    }
}

#[test]
fn hysteresis_is_an_experiment_whose_range_covers_the_tipping_point() {
    let tmp = tempfile::tempdir().unwrap();
    let run_h = |threads: &str, name: &str| {
        let out = tmp.path().join(name);
        let o = ccgsim(&[
            "plot",
            "hysteresis",
            "--steps",
            "11",
            "--months-per-step",
            "24",
            "--replicates",
            "8",
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        out
    };
    let (one, two) = (run_h("1", "h1"), run_h("2", "h2"));
    // Same bytes on any thread count.
    for f in [
        "hysteresis.png",
        "hysteresis.svg",
        "hysteresis.csv",
        "hysteresis_runs.csv",
    ] {
        assert!(
            std::fs::read(one.join(f)).unwrap() == std::fs::read(two.join(f)).unwrap(),
            "{f}"
        );
    }
    let m = assert_listed(&one.join("manifest.json"), &one, "");
    assert_eq!(m["files"]["hysteresis_runs.csv"]["rows"], 21 * 8);
    let svg = std::fs::read_to_string(one.join("hysteresis.svg")).unwrap();
    svg_has(
        &svg,
        &[
            "Hysteresis: engagement as a failure narrative rises, then eases",
            hysteresis::X_LABEL,
            "share of practices engaged (0–1)",
            "strengthening the narrative",
            "easing it again",
        ],
        "hysteresis",
    );
    // The derived range: the way up tips inside it, neither at its first step
    // nor squeezed into its last quarter, and the plot is not mostly flat.
    let rows = csv_rows(&one.join("hysteresis.csv"));
    let up: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r["branch"] == "strengthening")
        .map(|r| (num(&r["strength"]), num(&r["median"])))
        .collect();
    assert_eq!(up.len(), 11);
    let max = up.last().unwrap().0;
    let tip = up
        .iter()
        .find(|p| p.1 < 0.5 * up[0].1)
        .expect("engagement tips")
        .0;
    assert!(
        tip > up[1].0 - 1e-12 && tip <= 0.75 * max,
        "tip {tip}, range 0–{max}"
    );
    // The easing branch is drawn from the same table, and is collapsed at 0:
    // engagement does not come back (hysteresis).
    let down0 = rows
        .iter()
        .find(|r| r["branch"] == "easing" && num(&r["strength"]) == 0.0)
        .unwrap();
    assert!(num(&down0["median"]) < 0.5 * up[0].1);
    // The runs table reduces to the plotted medians.
    let runs = csv_rows(&one.join("hysteresis_runs.csv"));
    let mut first: Vec<f64> = runs
        .iter()
        .filter(|r| r["step"] == "0")
        .map(|r| num(&r["engaged_share"]))
        .collect();
    first.sort_by(f64::total_cmp);
    assert!(close(ccgsim::stats::quantile_sorted(&first, 0.5), up[0].1));
}

#[test]
fn both_hysteresis_branches_show_where_they_coincide() {
    use ccgsim::hysteresis::{Branch, Design, Summary, SummaryRow, levels};
    let design = Design {
        levels: levels(5, 1.0).unwrap(),
        ..Design::defaults()
    };
    let row = |branch, strength, v: f64| SummaryRow {
        branch,
        strength,
        runs: 3,
        q25: v - 0.02,
        median: v,
        q75: v + 0.02,
    };
    // Identical branches: the dashed way back drawn over the solid way up
    // leaves both colours visible.
    let mut rows = Vec::new();
    for b in [Branch::Up, Branch::Down] {
        for (i, v) in [0.6, 0.5, 0.4, 0.3, 0.2].into_iter().enumerate() {
            rows.push(row(b, 0.25 * i as f64, v));
        }
    }
    let r = plot::render(&hysteresis::figure(&design, &Summary { rows })).unwrap();
    assert_data_drawn(&r, 0.005, "hysteresis");
    assert_colours_drawn(&r, &[style::colour(0), style::colour(1)], 300);
}
