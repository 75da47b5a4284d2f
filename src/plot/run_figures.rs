//! The figures of a `ccgsim run`, collected in memory while the runs stream by
//! (never by re-reading timeseries.csv): each finished run is reduced on its
//! worker thread to a few series, and a bounded sample per CCG size class keeps
//! what the quantiles need (see [`super::sample`]).

use super::chart::{self, Look};
use super::render;
use super::sample::{Bands, Sample, priority};
use super::style;
use super::timefig::{BandSeries, Marker, Panel, TimeFigure};
use crate::engine::{Plan, RunRecord};
use crate::error::Result;
use crate::model::Observation;
use crate::scenario::{Event, Params, schema};
use rayon::prelude::*;
use std::collections::BinaryHeap;
use std::path::Path;

/// The series kept per run, in storage order: Observation column names, and
/// `posts_filled`, the share of leadership posts with a leader in post
/// (`leaders / leader_posts`; a count of leaders hardly moves and hides
/// vacancies, a share shows them on the same 0–1 scale in every CCG size).
pub const SERIES: [&str; 8] = [
    "engaged_share",
    "ownership_members",
    "ownership_leaders",
    "performance",
    "credibility",
    "workload",
    "posts_filled",
    "leaders_lacking_support",
];

/// Observation columns the series are computed from.
pub fn source_columns() -> Vec<&'static str> {
    let mut cols: Vec<&'static str> = SERIES
        .iter()
        .copied()
        .filter(|s| *s != "posts_filled")
        .collect();
    cols.extend(["leaders", "leader_posts"]);
    cols
}

/// The series of one month from its observation columns (`get(column)`).
pub fn derive(get: impl Fn(&str) -> f64) -> [f64; SERIES.len()] {
    SERIES.map(|s| match s {
        "posts_filled" => {
            let posts = get("leader_posts");
            if posts > 0.0 {
                get("leaders") / posts
            } else {
                f64::NAN
            }
        }
        c => get(c),
    })
}

/// One figure: which series, how they are named, what the y axis means.
pub struct FigureSpec {
    pub stem: &'static str,
    pub title: &'static str,
    pub y_label: &'static str,
    /// (series column, legend label)
    pub series: &'static [(&'static str, &'static str)],
    pub y_range: Option<(f64, f64)>,
    pub from_zero: bool,
}

pub const FIGURES: [FigureSpec; 6] = [
    FigureSpec {
        stem: "engaged_share",
        title: "Practices engaged with their CCG",
        y_label: "share at least somewhat engaged (0–1)",
        series: &[("engaged_share", "engaged share")],
        y_range: Some((0.0, 1.0)),
        from_zero: true,
    },
    FigureSpec {
        stem: "ownership",
        title: "Sense of ownership: members vs GP leaders",
        y_label: "mean ownership (0–1)",
        series: &[
            ("ownership_members", "members without a role"),
            ("ownership_leaders", "GP leaders"),
        ],
        y_range: Some((0.0, 1.0)),
        from_zero: true,
    },
    FigureSpec {
        stem: "performance",
        title: "CCG performance",
        y_label: "share of improvement target met (0–1)",
        series: &[("performance", "performance")],
        y_range: Some((0.0, 1.0)),
        from_zero: true,
    },
    FigureSpec {
        stem: "credibility",
        title: "Credibility: members' belief the CCG will succeed",
        y_label: "credibility (0–1)",
        series: &[("credibility", "credibility")],
        y_range: Some((0.0, 1.0)),
        from_zero: true,
    },
    FigureSpec {
        stem: "workload",
        title: "Practice workload",
        y_label: "mean workload (1 = at capacity)",
        series: &[("workload", "workload")],
        y_range: None,
        from_zero: false,
    },
    FigureSpec {
        stem: "leaders",
        title: "GP leaders: posts filled, and leaders under strain",
        y_label: "share (0–1)",
        series: &[
            ("posts_filled", "leadership posts filled"),
            ("leaders_lacking_support", "leaders lacking time or support"),
        ],
        y_range: Some((0.0, 1.0)),
        from_zero: true,
    },
];

fn series_index(column: &str) -> usize {
    SERIES
        .iter()
        .position(|c| *c == column)
        .expect("figure series are in SERIES")
}

/// Reduce a finished run to the values the figures need: `SERIES.len()` series
/// of `months + 1` values each, series-major (missing = NaN). The same values
/// as [`derive`] gives month by month (a unit test holds the two together, so
/// the fields read here follow `SERIES`).
pub fn reduce(rec: &RunRecord) -> Vec<f32> {
    let months = &rec.months;
    let mut out = Vec::with_capacity(SERIES.len() * months.len());
    // A series at a time: each is a run of `months + 1` values, written
    // without bounds checks or a zeroed buffer first.
    series(&mut out, months, |o| o.engaged_share);
    series(&mut out, months, |o| o.ownership_members);
    series(&mut out, months, |o| o.ownership_leaders);
    series(&mut out, months, |o| o.performance);
    series(&mut out, months, |o| o.credibility);
    series(&mut out, months, |o| o.workload);
    series(&mut out, months, |o| {
        if o.leader_posts > 0.0 {
            o.leaders / o.leader_posts
        } else {
            f64::NAN
        }
    });
    series(&mut out, months, |o| o.leaders_lacking_support);
    out
}

fn series(out: &mut Vec<f32>, months: &[Observation], f: impl Fn(&Observation) -> f64) {
    out.extend(months.iter().map(|o| f(o) as f32));
}

/// CCGs grouped by size: terciles of CCGs ranked by practices (fewer groups
/// when there are fewer than three CCGs or all have the same size).
#[derive(Debug, Clone, PartialEq)]
pub struct SizeClasses {
    pub class_of: Vec<usize>,
    pub labels: Vec<String>,
}

impl SizeClasses {
    pub fn new(sizes: &[u32]) -> SizeClasses {
        let n = sizes.len();
        let distinct = {
            let mut s = sizes.to_vec();
            s.sort_unstable();
            s.dedup();
            s.len()
        };
        let k = n.min(3).min(distinct).max(1);
        if k == 1 {
            let label = match n {
                0 | 1 => "one CCG".to_string(),
                _ => format!("all {n} CCGs"),
            };
            return SizeClasses {
                class_of: vec![0; n],
                labels: vec![label],
            };
        }
        // Thirds by rank, but CCGs of the same size always in the same class
        // (the one holding the middle of their ranks), so the classes' size
        // ranges never overlap; a class left empty is dropped.
        let mut sorted = sizes.to_vec();
        sorted.sort_unstable();
        let class_of_size = |v: u32| {
            let first = sorted.partition_point(|&x| x < v);
            let last = sorted.partition_point(|&x| x <= v) - 1;
            (first + last) / 2 * k / n
        };
        let raw: Vec<usize> = sizes.iter().map(|&v| class_of_size(v)).collect();
        let mut used: Vec<usize> = raw.clone();
        used.sort_unstable();
        used.dedup();
        let class_of: Vec<usize> = raw
            .iter()
            .map(|c| used.iter().position(|u| u == c).unwrap_or(0))
            .collect();
        let k = used.len();
        let names: &[&str] = if k == 2 {
            &["smaller", "larger"]
        } else {
            &["small", "medium", "large"]
        };
        let labels = (0..k)
            .map(|c| {
                let members: Vec<u32> = (0..n)
                    .filter(|&i| class_of[i] == c)
                    .map(|i| sizes[i])
                    .collect();
                let (lo, hi) = (
                    members.iter().min().copied().unwrap_or(0),
                    members.iter().max().copied().unwrap_or(0),
                );
                let range = if lo == hi {
                    format!("{lo}")
                } else {
                    format!("{lo}–{hi}")
                };
                format!("{} CCGs ({range} practices)", names[c])
            })
            .collect();
        SizeClasses { class_of, labels }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Which runs of a plan end up in the figures' samples: per size class, the
/// runs with the smallest [`priority`] (as many as the sample keeps). That is
/// known from the plan alone, so a worker can skip reducing a run no figure
/// will read, and the collector only counts it ([`RunFigures::skip`]); the kept
/// runs, hence the figures, are the same as if every run had been offered.
#[derive(Debug, Clone)]
pub struct Kept {
    class_of: Vec<usize>,
    /// Per class, the largest priority kept (`u64::MAX`: every run).
    limit: Vec<u64>,
    /// Per class, how many runs are kept.
    runs: Vec<usize>,
}

impl Kept {
    fn new(plan: &Plan, class_of: &[usize], caps: &[usize]) -> Kept {
        let ccgs = class_of.len() as u64;
        // Per class, the `cap` smallest priorities seen so far (largest on top).
        let mut heaps: Vec<BinaryHeap<u64>> = caps
            .iter()
            .map(|&cap| BinaryHeap::with_capacity(cap))
            .collect();
        for index in 0..plan.runs() {
            let c = class_of[(index % ccgs) as usize];
            let (heap, cap) = (&mut heaps[c], caps[c]);
            let p = priority(index);
            if heap.len() < cap {
                heap.push(p);
            } else if heap.peek().is_some_and(|&top| p < top) {
                heap.pop();
                heap.push(p);
            }
        }
        Kept {
            class_of: class_of.to_vec(),
            limit: heaps
                .iter()
                .zip(caps)
                .map(|(h, &cap)| match h.peek() {
                    Some(&top) if h.len() >= cap => top,
                    _ => u64::MAX,
                })
                .collect(),
            runs: heaps.iter().map(|h| h.len()).collect(),
        }
    }

    /// Whether run `index` (of CCG `ccg`) is one the figures keep.
    pub fn contains(&self, index: u64, ccg: u32) -> bool {
        let c = self.class_of.get(ccg as usize).copied().unwrap_or(0);
        self.limit.get(c).is_none_or(|&l| priority(index) <= l)
    }
}

/// Collects the runs of one scenario and draws its figures.
pub struct RunFigures {
    scenario: String,
    months: u32,
    classes: SizeClasses,
    samples: Vec<Sample>,
    markers: Vec<Marker>,
    kept: Kept,
}

impl RunFigures {
    pub fn new(plan: &Plan) -> RunFigures {
        let width = SERIES.len() * (plan.scenario.months as usize + 1);
        RunFigures::with_samples(plan, || Sample::new(width).in_parts(SERIES.len()))
    }

    /// With the sample of each class made by `sample` (tests: a small cap).
    fn with_samples(plan: &Plan, sample: impl Fn() -> Sample) -> RunFigures {
        let classes = SizeClasses::new(&plan.sizes);
        let mut samples: Vec<Sample> = (0..classes.len()).map(|_| sample()).collect();
        let caps: Vec<usize> = samples.iter().map(|s| s.cap()).collect();
        let kept = Kept::new(plan, &classes.class_of, &caps);
        for (s, &runs) in samples.iter_mut().zip(&kept.runs) {
            s.reserve_runs(runs);
        }
        RunFigures {
            scenario: plan.scenario.name.clone(),
            months: plan.scenario.months,
            kept,
            samples,
            classes,
            markers: markers(plan),
        }
    }

    /// The runs the figures read; the others need only be [`skip`](Self::skip)ped.
    pub fn kept(&self) -> &Kept {
        &self.kept
    }

    /// Count run `index` of CCG `ccg`, one that [`kept`](Self::kept) leaves
    /// out, without its values.
    pub fn skip(&mut self, index: u64, ccg: u32) {
        debug_assert!(!self.kept.contains(index, ccg), "run {index} is kept");
        let c = self.class(ccg);
        self.samples[c].count_unkept();
    }

    fn class(&self, ccg: u32) -> usize {
        self.classes
            .class_of
            .get(ccg as usize)
            .copied()
            .unwrap_or(0)
    }

    /// The size classes runs are grouped by.
    pub fn classes(&self) -> &SizeClasses {
        &self.classes
    }

    /// Add run `index` of CCG `ccg`, reduced by [`reduce`].
    pub fn add(&mut self, index: u64, ccg: u32, values: &[f32]) {
        let c = self.class(ccg);
        self.samples[c].offer(index, values);
    }

    fn bands(&self, class: usize, column: &str) -> Bands {
        Bands::from_sample(
            &self.samples[class],
            series_index(column),
            self.months as usize + 1,
        )
    }

    fn note(&self) -> String {
        let offered: u64 = self.samples.iter().map(|s| s.offered()).sum();
        let kept: usize = self.samples.iter().map(|s| s.len()).sum();
        let runs = if kept as u64 == offered {
            format!("{offered} CCG-runs")
        } else {
            format!("a random sample of {kept} of {offered} CCG-runs")
        };
        if self.classes.len() == 1 {
            format!("line: median of {runs}; dark band: middle 50 %; light band: middle 90 %")
        } else {
            format!(
                "lines: median CCG-run per size class (thirds of CCGs by practices); bands: middle 50 %; {runs}"
            )
        }
    }

    pub fn figures(&self) -> Vec<TimeFigure> {
        let single = self.classes.len() == 1;
        FIGURES
            .par_iter()
            .map(|f| {
                let panels = if single {
                    vec![Panel {
                        heading: None,
                        series: f
                            .series
                            .iter()
                            .enumerate()
                            .map(|(i, (col, label))| BandSeries {
                                label: label.to_string(),
                                colour: style::colour(i),
                                bands: self.bands(0, col),
                                with_90: true,
                                line_width: 3,
                                look: if f.series.len() > 1 {
                                    chart::look(i, marker_every(self.months))
                                } else {
                                    Look::default()
                                },
                                edged: false,
                            })
                            .collect(),
                    }]
                } else {
                    // One panel per series, one line per size class.
                    f.series
                        .iter()
                        .map(|(col, label)| Panel {
                            heading: (f.series.len() > 1).then(|| label.to_string()),
                            series: (0..self.classes.len())
                                .map(|c| BandSeries {
                                    label: self.classes.labels[c].clone(),
                                    colour: style::colour(c),
                                    bands: self.bands(c, col),
                                    with_90: false,
                                    line_width: 3,
                                    look: chart::look(c, marker_every(self.months)),
                                    edged: false,
                                })
                                .collect(),
                        })
                        .collect()
                };
                TimeFigure {
                    stem: f.stem.to_string(),
                    title: format!("{} — {}", f.title, self.scenario),
                    note: self.note(),
                    y_label: f.y_label.to_string(),
                    y_range: f.y_range,
                    y_from_zero: f.from_zero,
                    panels,
                    markers: self.markers.clone(),
                    months: self.months,
                }
            })
            .collect()
    }

    /// Write every figure as PNG and SVG into `dir` (in parallel on the
    /// current rayon pool; the paths come back in figure order). Once the
    /// figures' quantiles are taken, the samples' memory (its pages already
    /// mapped) holds the figures' pixels instead of fresh memory.
    pub fn write(self, dir: &Path) -> Result<Vec<render::Saved>> {
        std::fs::create_dir_all(dir).map_err(|e| crate::Error::io("create plot folder", dir, e))?;
        let figures = self.figures();
        for s in self.samples {
            render::spare_pixels(s.into_bytes());
        }
        let written = figures
            .par_iter()
            .map(|f| render::save(f, dir))
            .collect::<Result<Vec<_>>>()?;
        Ok(written.into_iter().flatten().collect())
    }
}

/// Months between glyphs on a line: about eight glyphs across the axis.
pub fn marker_every(months: u32) -> usize {
    (months as usize / 8).max(1)
}

/// Event markers of a scenario: the event's own label, or one made from what it
/// changes (e.g. "allowance £25→£22").
pub fn markers(plan: &Plan) -> Vec<Marker> {
    let scn = &plan.scenario;
    scn.events
        .iter()
        .map(|ev| {
            let before = if ev.month == 0 {
                &scn.params
            } else {
                plan.schedule.params(ev.month - 1)
            };
            Marker {
                month: ev.month,
                until: ev.narrative.map(|n| ev.month + n.duration),
                label: if ev.label.trim().is_empty() {
                    auto_label(ev, before)
                } else {
                    ev.label.trim().to_string()
                },
            }
        })
        .collect()
}

pub fn auto_label(ev: &Event, before: &Params) -> String {
    let mut parts = Vec::new();
    for &(path, to) in &ev.set {
        let from = before.get(path).unwrap_or(to);
        parts.push(format!("{} {}", short_name(path), change(path, from, to)));
    }
    for &(path, to) in &ev.ramp {
        let from = before.get(path).unwrap_or(to);
        parts.push(format!(
            "{} {} over {} mo",
            short_name(path),
            change(path, from, to),
            ev.ramp_months
        ));
    }
    if let Some(n) = ev.narrative {
        parts.push(format!(
            "failure narrative {} for {} mo",
            number(n.strength),
            n.duration
        ));
    }
    parts.join("; ")
}

fn short_name(path: &str) -> String {
    match path {
        "ccg.allowance_per_head" => "allowance".into(),
        "co_commissioning.level" => "co-commissioning".into(),
        _ => {
            let key = schema::spec(path).map_or(path, |s| s.key());
            key.replace('_', " ")
        }
    }
}

fn change(path: &str, from: f64, to: f64) -> String {
    let money = path == "ccg.allowance_per_head";
    let f = |v: f64| {
        if money {
            format!("£{}", number(v))
        } else {
            number(v)
        }
    };
    format!("{}→{}", f(from), f(to))
}

/// At most two decimals, no trailing zeros.
fn number(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduce_gives_what_derive_gives_month_by_month() {
        let scn = crate::scenario::parse(
            "[scenario]\nmonths = 40\nreplicates = 2\n[population]\npractices = [2, 5, 40]\n",
            Path::new("s.toml"),
        )
        .unwrap();
        let plan = Plan::new(scn);
        for i in 0..plan.runs() {
            let rec = plan.record(i);
            let got = reduce(&rec);
            let n = rec.months.len();
            for (t, o) in rec.months.iter().enumerate() {
                let v = o.values();
                let want = derive(|c| {
                    v[crate::model::Observation::COLUMNS
                        .iter()
                        .position(|k| *k == c)
                        .unwrap()]
                });
                for (s, w) in want.iter().enumerate() {
                    assert_eq!(got[s * n + t].to_bits(), (*w as f32).to_bits(), "{s} {t}");
                }
            }
        }
    }

    /// Skipping the runs [`Kept`] leaves out gives the same figures as
    /// offering every run, in any order: same kept runs, same counts, same
    /// bands bit for bit. Small samples, so most runs are skipped.
    #[test]
    fn skipped_runs_change_nothing() {
        let scn = crate::scenario::parse(
            "[scenario]\nmonths = 6\nreplicates = 40\n[population]\npractices = [3, 5, 8, 8, 12]\n",
            Path::new("s.toml"),
        )
        .unwrap();
        let plan = Plan::new(scn);
        let width = SERIES.len() * 7;
        let small = || Sample::with_cap(width, 9).in_parts(SERIES.len());
        let mut all = RunFigures::with_samples(&plan, small);
        let mut some = RunFigures::with_samples(&plan, small);
        let recs: Vec<_> = (0..plan.runs()).map(|i| plan.record(i)).collect();
        for (i, rec) in recs.iter().enumerate() {
            all.add(i as u64, rec.id.ccg, &reduce(rec));
        }
        let mut kept = vec![0; all.classes.len()];
        for (i, rec) in recs.iter().enumerate().rev() {
            let (i, ccg) = (i as u64, rec.id.ccg);
            if some.kept().contains(i, ccg) {
                kept[some.class(ccg)] += 1;
                some.add(i, ccg, &reduce(rec));
            } else {
                some.skip(i, ccg);
            }
        }
        // Each class keeps exactly its cap, far fewer than its runs.
        assert_eq!(kept, vec![9; all.classes.len()]);
        // The room made up front is what each sample keeps.
        let held: Vec<usize> = some.samples.iter().map(|s| s.len()).collect();
        assert_eq!(held, some.kept.runs);
        assert_eq!(all.classes.len(), 3);
        assert_eq!(all.note(), some.note());
        assert!(
            all.note().contains("a random sample of 27 of 200"),
            "{}",
            all.note()
        );
        let bits = |f: &RunFigures| -> Vec<u64> {
            f.figures()
                .iter()
                .flat_map(|f| f.panels.iter().flat_map(|p| p.series.iter()))
                .flat_map(|s| {
                    let b = &s.bands;
                    [&b.q05, &b.q25, &b.q50, &b.q75, &b.q95]
                        .into_iter()
                        .flatten()
                        .map(|x| x.to_bits())
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        assert_eq!(bits(&all), bits(&some));
        // With room for every run, every run is kept.
        let roomy = RunFigures::new(&plan);
        assert!((0..plan.runs()).all(|i| roomy.kept().contains(i, plan.run_id(i).ccg)));
    }

    #[test]
    fn size_classes_are_terciles_by_practices() {
        let c = SizeClasses::new(&[30, 10, 20, 60, 50, 40]);
        assert_eq!(c.class_of, vec![1, 0, 0, 2, 2, 1]);
        assert_eq!(c.labels[0], "small CCGs (10–20 practices)");
        assert_eq!(c.labels[2], "large CCGs (50–60 practices)");
        assert_eq!(SizeClasses::new(&[40]).len(), 1);
        assert_eq!(SizeClasses::new(&[40, 40, 40, 40]).len(), 1);
        assert_eq!(SizeClasses::new(&[10, 40]).len(), 2);
    }

    #[test]
    fn ccgs_of_one_size_share_a_class_so_ranges_do_not_overlap() {
        // Ranks alone would split the 28s between small and medium.
        let sizes = [10, 20, 28, 28, 28, 30, 41, 41, 60];
        let c = SizeClasses::new(&sizes);
        let range = |k: usize| {
            let v: Vec<u32> = (0..sizes.len())
                .filter(|&i| c.class_of[i] == k)
                .map(|i| sizes[i])
                .collect();
            (*v.iter().min().unwrap(), *v.iter().max().unwrap())
        };
        for k in 1..c.len() {
            assert!(range(k - 1).1 < range(k).0, "{:?}", c.labels);
        }
        assert_eq!(c.len(), 3);
        // Skewed sizes leave a class empty: it is dropped, names follow.
        let c = SizeClasses::new(&[1, 2, 2, 2, 2, 2, 3]);
        assert!(c.len() >= 2 && c.class_of.iter().all(|&k| k < c.len()));
    }

    #[test]
    fn automatic_event_labels_say_what_changes() {
        let p = Params::default();
        let ev = Event {
            month: 24,
            label: String::new(),
            set: vec![("ccg.allowance_per_head", 22.0)],
            ramp: vec![("environment.qipp", 0.3)],
            ramp_months: 12,
            narrative: Some(crate::scenario::NarrativeShock {
                strength: 0.5,
                duration: 6,
            }),
            line: 0,
        };
        assert_eq!(
            auto_label(&ev, &p),
            "allowance £25→£22; qipp 0.1→0.3 over 12 mo; failure narrative 0.5 for 6 mo"
        );
    }
}
