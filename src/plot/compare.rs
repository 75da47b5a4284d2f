//! `ccgsim plot compare`: several result folders overlaid, one colour per
//! scenario. Each timeseries.csv is streamed once (it can be hundreds of MB) into
//! the same bounded sample as during a run, pooling all CCGs of a result.

use super::chart;
use super::run_figures::{self, SERIES};
use super::sample::{Bands, Sample};
use super::style;
use super::timefig::{BandSeries, Panel, TimeFigure};
use crate::error::{Diagnostic, Error, Result};
use crate::output::Manifest;
use std::path::Path;

/// One result folder, reduced to a sample of its runs.
pub struct ResultSample {
    pub name: String,
    pub months: u32,
    pub sample: Sample,
}

/// An observable drawn by `plot compare`.
pub struct Observable {
    pub column: &'static str,
    pub title: &'static str,
    pub y_label: &'static str,
    /// Fixed y range, or `None` to fit the data.
    pub y_range: Option<(f64, f64)>,
}

pub const OBSERVABLES: [Observable; 8] = [
    Observable {
        column: "engaged_share",
        title: "Practices engaged with their CCG",
        y_label: "share at least somewhat engaged (0–1)",
        y_range: Some((0.0, 1.0)),
    },
    Observable {
        column: "ownership_members",
        title: "Ownership among members without a role",
        y_label: "mean ownership of members (0–1)",
        y_range: Some((0.0, 1.0)),
    },
    Observable {
        column: "ownership_leaders",
        title: "Ownership among GP leaders",
        y_label: "mean ownership of leaders (0–1)",
        y_range: Some((0.0, 1.0)),
    },
    Observable {
        column: "performance",
        title: "CCG performance",
        y_label: "share of improvement target met (0–1)",
        y_range: Some((0.0, 1.0)),
    },
    Observable {
        column: "credibility",
        title: "Credibility: members' belief the CCG will succeed",
        y_label: "credibility (0–1)",
        y_range: Some((0.0, 1.0)),
    },
    Observable {
        column: "workload",
        title: "Practice workload",
        y_label: "mean workload (1 = at capacity)",
        y_range: None,
    },
    Observable {
        column: "posts_filled",
        title: "Leadership posts filled",
        y_label: "share of posts with a GP leader in post (0–1)",
        y_range: Some((0.0, 1.0)),
    },
    Observable {
        column: "leaders_lacking_support",
        title: "GP leaders lacking time or support",
        y_label: "share of leaders with burnout above 0.5 (0–1)",
        y_range: Some((0.0, 1.0)),
    },
];

/// Read a result folder: its manifest (scenario name, horizon) and timeseries.csv.
pub fn read_result(dir: &Path) -> Result<ResultSample> {
    let manifest_path = dir.join("manifest.json");
    if !manifest_path.exists() {
        return Err(Error::Usage(format!(
            "{} is not a ccgsim result folder (it has no manifest.json); give folders written by `ccgsim run`",
            dir.display()
        )));
    }
    crate::compare::expect_run_folder(dir, "plot compare")?;
    let manifest = Manifest::read(&manifest_path)?;
    let name = manifest
        .scenario
        .get("name")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| {
            dir.file_name()
                .map_or("result".into(), |n| n.to_string_lossy().to_string())
        });
    let months = manifest.months;
    let format = crate::output::Format::of_listing("timeseries", manifest.files.keys());
    let path = dir.join(format.file("timeseries"));
    let file = path.display().to_string();
    let mut rdr = crate::output::format::Records::open(&path)?;
    let headers = rdr.headers().clone();
    let table = format.file("timeseries");
    let col = |name: &str| -> Result<usize> {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            Error::Invalid(vec![Diagnostic {
                file: file.clone(),
                line: 1,
                col: 1,
                key: name.to_string(),
                message: format!("{table} has no `{name}` column; is it from `ccgsim run`?"),
                source_line: None,
            }])
        })
    };
    let (c_rep, c_ccg, c_month) = (col("replicate")?, col("ccg")?, col("month")?);
    let sources = run_figures::source_columns();
    let c_sources: Vec<usize> = sources.iter().map(|s| col(s)).collect::<Result<_>>()?;
    let mut values = vec![f64::NAN; sources.len()];

    let width_t = months as usize + 1;
    let mut sample = Sample::new(SERIES.len() * width_t).in_parts(SERIES.len());
    let mut run: Option<(u64, u64)> = None;
    let mut buf = vec![f32::NAN; SERIES.len() * width_t];
    let mut runs = 0u64;
    let mut rec = csv::StringRecord::new();
    let mut line = 1u64;
    let bad = |line: u64, key: &str, msg: String| {
        Error::Invalid(vec![Diagnostic {
            file: file.clone(),
            line: line as usize,
            col: 0,
            key: key.to_string(),
            message: msg,
            source_line: None,
        }])
    };
    while rdr.read(&mut rec)? {
        // Rows count as CSV lines do (the header is line 1).
        line += 1;
        let int = |c: usize, key: &str| -> Result<u64> {
            rec[c]
                .parse()
                .ok()
                .ok_or_else(|| bad(line, key, "expected a whole number".into()))
        };
        let key = (int(c_rep, "replicate")?, int(c_ccg, "ccg")?);
        let month = int(c_month, "month")? as usize;
        if month >= width_t {
            return Err(bad(
                line,
                "month",
                format!("month {month} is past the horizon in manifest.json ({months})"),
            ));
        }
        if run != Some(key) {
            if run.is_some() {
                sample.offer(runs, &buf);
                runs += 1;
            }
            run = Some(key);
            buf.fill(f32::NAN);
        }
        for (k, &c) in c_sources.iter().enumerate() {
            let v = &rec[c];
            values[k] = if v.is_empty() {
                f64::NAN
            } else {
                v.parse()
                    .ok()
                    .ok_or_else(|| bad(line, sources[k], "expected a number".into()))?
            };
        }
        let derived = run_figures::derive(|name| {
            sources
                .iter()
                .position(|s| *s == name)
                .map_or(f64::NAN, |k| values[k])
        });
        for (s, v) in derived.into_iter().enumerate() {
            buf[s * width_t + month] = v as f32;
        }
    }
    if run.is_some() {
        sample.offer(runs, &buf);
    }
    if sample.is_empty() {
        return Err(Error::Usage(format!(
            "{} has no rows; nothing to compare",
            path.display()
        )));
    }
    Ok(ResultSample {
        name,
        months,
        sample,
    })
}

/// Make scenario names unique for the legend (two runs of one scenario).
fn legend_names(results: &[ResultSample], dirs: &[&Path]) -> Vec<String> {
    results
        .iter()
        .zip(dirs)
        .map(|(r, d)| {
            if results.iter().filter(|o| o.name == r.name).count() > 1 {
                format!("{} ({})", r.name, d.display())
            } else {
                r.name.clone()
            }
        })
        .collect()
}

/// One figure per observable, each result a colour.
pub fn figures(results: &[ResultSample], dirs: &[&Path]) -> Vec<TimeFigure> {
    let names = legend_names(results, dirs);
    let months = results.iter().map(|r| r.months).max().unwrap_or(1);
    let runs: Vec<String> = results
        .iter()
        .map(|r| r.sample.offered().to_string())
        .collect();
    OBSERVABLES
        .iter()
        .map(|o| {
            let (column, title, y_label, y_range) = (o.column, o.title, o.y_label, o.y_range);
            let j = SERIES.iter().position(|s| *s == column).expect("in SERIES");
            TimeFigure {
                stem: column.to_string(),
                title: format!("{title}: scenarios compared"),
                note: format!(
                    "lines: median over all CCG-runs of each scenario ({} runs), told apart by colour, dashes and markers; bands: middle 50 %, edged in the line's dashes",
                    runs.join(" / ")
                ),
                y_label: y_label.to_string(),
                y_range,
                y_from_zero: y_range.is_none(),
                panels: vec![Panel {
                    heading: None,
                    series: results
                        .iter()
                        .zip(&names)
                        .enumerate()
                        .map(|(i, (r, name))| BandSeries {
                            label: name.clone(),
                            colour: style::colour(i),
                            bands: Bands::from_sample(&r.sample, j, r.months as usize + 1),
                            with_90: false,
                            line_width: 3,
                            look: chart::look(i, run_figures::marker_every(months)),
                            edged: true,
                        })
                        .collect(),
                }],
                markers: Vec::new(),
                months,
            }
        })
        .collect()
}
