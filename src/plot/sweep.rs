//! `ccgsim plot sweep`: figures from a sweep's stats.csv (one row per point:
//! `point`, the swept parameters, `runs`, then per outcome X `X_mean, X_sd,
//! X_ci_low, X_ci_high`, then `failure_probability, failure_ci_low,
//! failure_ci_high`). Two swept parameters give tipping-point heatmaps with a
//! colour bar; one gives outcome-against-parameter curves with CI bands.

use super::chart::{self, Key};
use super::render::{DrawResult, Figure, Rect};
use super::style;
use crate::error::{Diagnostic, Error, Result};
use crate::scenario::schema;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::BTreeMap;
use std::path::Path;

/// The table of a sweep, as numbers.
#[derive(Debug, Clone)]
pub struct Stats {
    pub file: String,
    /// Swept parameter columns, between `point` and `runs`.
    pub params: Vec<String>,
    /// Parameter values of each point (row), in `params` order.
    pub points: Vec<Vec<f64>>,
    pub runs: Vec<f64>,
    /// Every other column by name (missing cells are NaN).
    pub columns: BTreeMap<String, Vec<f64>>,
}

pub fn read_stats(path: &Path) -> Result<Stats> {
    if !path.exists() {
        return Err(Error::Usage(format!(
            "{} not found: give the folder a sweep wrote (it holds stats.csv and points.csv)",
            path.display()
        )));
    }
    let file = path.display().to_string();
    let text = if crate::output::format::is_parquet(path) {
        // A stats table has a row per design point (at most 10 million, ~5 GB as text).
        crate::output::format::parquet_as_csv(path, 8 << 30)?
    } else {
        std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?
    };
    parse_stats(&text, &file)
}

fn invalid(file: &str, line: usize, key: &str, message: String) -> Error {
    Error::Invalid(vec![Diagnostic {
        file: file.to_string(),
        line,
        col: 0,
        key: key.to_string(),
        message,
        source_line: None,
    }])
}

pub fn parse_stats(text: &str, file: &str) -> Result<Stats> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| invalid(file, 1, "", format!("not valid CSV: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let find = |name: &str| headers.iter().position(|h| h == name);
    let (Some(p0), Some(r)) = (find("point"), find("runs")) else {
        return Err(invalid(
            file,
            1,
            "point",
            "a sweep's stats.csv starts with `point`, then the swept parameters, then `runs`"
                .into(),
        ));
    };
    if r <= p0 {
        return Err(invalid(
            file,
            1,
            "runs",
            "`runs` must come after `point`".into(),
        ));
    }
    let params: Vec<String> = headers[p0 + 1..r].to_vec();
    let mut stats = Stats {
        file: file.to_string(),
        params,
        points: Vec::new(),
        runs: Vec::new(),
        columns: BTreeMap::new(),
    };
    let others: Vec<(usize, String)> = headers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i > r)
        .map(|(i, h)| (i, h.clone()))
        .collect();
    for (_, h) in &others {
        stats.columns.insert(h.clone(), Vec::new());
    }
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            invalid(file, line, "", format!("not valid CSV: {e}"))
        })?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let num = |i: usize| -> Result<f64> {
            let cell = rec.get(i).unwrap_or("").trim();
            match cell {
                "" => Ok(f64::NAN),
                "true" => Ok(1.0),
                "false" => Ok(0.0),
                _ => cell.parse().map_err(|_| {
                    invalid(file, line, &headers[i], format!("{cell:?} is not a number"))
                }),
            }
        };
        stats
            .points
            .push((p0 + 1..r).map(num).collect::<Result<Vec<f64>>>()?);
        stats.runs.push(num(r)?);
        for (i, h) in &others {
            let v = num(*i)?;
            stats.columns.get_mut(h).expect("inserted above").push(v);
        }
    }
    if stats.points.is_empty() {
        return Err(invalid(file, 2, "", "stats.csv has no points".into()));
    }
    Ok(stats)
}

impl Stats {
    pub(crate) fn column(&self, name: &str) -> Result<&[f64]> {
        self.columns.get(name).map(Vec::as_slice).ok_or_else(|| {
            invalid(
                &self.file,
                1,
                name,
                format!("stats.csv has no `{name}` column; was it written by `ccgsim sweep`?"),
            )
        })
    }

    fn has(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.columns.contains_key(*n))
    }

    pub(crate) fn param(&self, k: usize) -> Vec<f64> {
        self.points.iter().map(|p| p[k]).collect()
    }

    pub fn runs_note(&self) -> String {
        let mut r: Vec<f64> = self
            .runs
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .collect();
        r.sort_by(f64::total_cmp);
        match (r.first(), r.last()) {
            (Some(a), Some(b)) if a == b => format!("{a} CCG-runs per point"),
            (Some(a), Some(b)) => format!("{a}–{b} CCG-runs per point"),
            _ => String::new(),
        }
    }
}

/// Axis label of a swept parameter column: its name and unit from the
/// parameter table. Sweeps write `ccg.practices` as `ccg_practices`, and an
/// event's value as `events_<event>_<key>`.
pub fn param_label(column: &str) -> String {
    let flat = |p: &str| -> String {
        p.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect()
    };
    if let Some(s) = schema::SPECS
        .iter()
        .find(|s| s.path == column || flat(s.path) == column)
    {
        return format!(
            "{} ({})",
            s.key().replace('_', " "),
            s.unit.replace('-', "–")
        );
    }
    if let Some(rest) = column
        .strip_prefix("events_")
        .or_else(|| column.strip_prefix("events."))
    {
        if let Some(event) = rest
            .strip_suffix("_failure_narrative")
            .or_else(|| rest.strip_suffix(".failure_narrative"))
            .or_else(|| rest.strip_suffix("_narrative"))
            .or_else(|| rest.strip_suffix(".narrative"))
        {
            return format!("failure-narrative strength of event {event} (0–1)");
        }
        if let Some(s) = schema::SPECS.iter().find(|s| rest.ends_with(&flat(s.path))) {
            let event = rest[..rest.len() - flat(s.path).len()].trim_end_matches(['_', '.']);
            return format!(
                "{} set by event {event} ({})",
                s.key().replace('_', " "),
                s.unit.replace('-', "–")
            );
        }
    }
    column.replace('_', " ")
}

/// The figures for this sweep: heatmaps for two parameters, curves for one.
pub fn figures(stats: &Stats) -> Result<Vec<SweepFigure>> {
    let runs = stats.runs_note();
    match stats.params.len() {
        1 => {
            let x = stats.param(0);
            let x_label = param_label(&stats.params[0]);
            let curve = |stem: &str,
                         title: &str,
                         y_label: &str,
                         series: &[(&str, &str, &str, &str)]|
             -> Result<SweepFigure> {
                let mut out = Vec::new();
                for (i, &(label, mean, lo, hi)) in series.iter().enumerate() {
                    out.push(CurveSeries {
                        label: label.to_string(),
                        colour: style::colour(i),
                        mean: stats.column(mean)?.to_vec(),
                        ci_low: stats.column(lo)?.to_vec(),
                        ci_high: stats.column(hi)?.to_vec(),
                    });
                }
                Ok(SweepFigure::Curve(Curve {
                    stem: stem.into(),
                    title: title.into(),
                    note: format!("points: sweep points ({runs}); band: 95 % confidence interval"),
                    x_label: x_label.clone(),
                    y_label: y_label.into(),
                    x: x.clone(),
                    series: out,
                }))
            };
            let mut figs = vec![
                curve(
                    "failure_probability",
                    "Probability a CCG fails",
                    "failure probability (0–1)",
                    &[(
                        "failure probability",
                        "failure_probability",
                        "failure_ci_low",
                        "failure_ci_high",
                    )],
                )?,
                curve(
                    "engagement",
                    "Engagement at the end of the run",
                    "share of practices (0–1)",
                    &[
                        (
                            "at least somewhat engaged",
                            "engaged_share_mean",
                            "engaged_share_ci_low",
                            "engaged_share_ci_high",
                        ),
                        (
                            "highly engaged",
                            "highly_engaged_share_mean",
                            "highly_engaged_share_ci_low",
                            "highly_engaged_share_ci_high",
                        ),
                    ],
                )?,
            ];
            if stats.has(&["ownership_members_mean", "ownership_leaders_mean"]) {
                figs.push(curve(
                    "ownership",
                    "Ownership at the end of the run: members vs GP leaders",
                    "mean ownership (0–1)",
                    &[
                        (
                            "members without a role",
                            "ownership_members_mean",
                            "ownership_members_ci_low",
                            "ownership_members_ci_high",
                        ),
                        (
                            "GP leaders",
                            "ownership_leaders_mean",
                            "ownership_leaders_ci_low",
                            "ownership_leaders_ci_high",
                        ),
                    ],
                )?);
            }
            Ok(figs)
        }
        2 => {
            let map = |stem: &str, title: &str, value: &str, column: &str| -> Result<SweepFigure> {
                Ok(SweepFigure::Heatmap(Heatmap {
                    stem: stem.into(),
                    title: title.into(),
                    note: format!("each cell: one sweep point, {runs}"),
                    x_label: param_label(&stats.params[0]),
                    y_label: param_label(&stats.params[1]),
                    value_label: value.into(),
                    x: stats.param(0),
                    y: stats.param(1),
                    v: stats.column(column)?.to_vec(),
                    range: (0.0, 1.0),
                }))
            };
            Ok(vec![
                map(
                    "failure_probability",
                    "Tipping-point map: probability a CCG fails",
                    "failure probability (0–1)",
                    "failure_probability",
                )?,
                map(
                    "engaged_share",
                    "Mean engaged share at the end of the run",
                    "share at least somewhat engaged (0–1)",
                    "engaged_share_mean",
                )?,
            ])
        }
        n => Err(Error::Usage(format!(
            "{}: heatmaps and curves need one or two grid parameters; this one varies {n}{} (sampled designs get scatter panels: `ccgsim plot sweep` on the folder)",
            stats.file,
            if n == 0 {
                String::new()
            } else {
                format!(" ({})", stats.params.join(", "))
            }
        ))),
    }
}

pub enum SweepFigure {
    Heatmap(Heatmap),
    Curve(Curve),
}

impl Figure for SweepFigure {
    fn stem(&self) -> String {
        match self {
            SweepFigure::Heatmap(h) => h.stem.clone(),
            SweepFigure::Curve(c) => c.stem.clone(),
        }
    }
    fn title(&self) -> String {
        match self {
            SweepFigure::Heatmap(h) => h.title.clone(),
            SweepFigure::Curve(c) => c.title.clone(),
        }
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<Vec<Rect>, DB> {
        match self {
            SweepFigure::Heatmap(h) => h.draw(root),
            SweepFigure::Curve(c) => c.draw(root),
        }
    }
    fn data(&self) -> super::Table {
        match self {
            SweepFigure::Heatmap(h) => h.data(),
            SweepFigure::Curve(c) => c.data(),
        }
    }
}

/// Sorted distinct values and the cell edges around them (midpoints; the
/// outer cells as wide as their neighbours).
fn cells(v: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut u: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    u.sort_by(f64::total_cmp);
    u.dedup();
    let edges = match u.len() {
        0 => vec![0.0, 1.0],
        1 => vec![u[0] - 0.5, u[0] + 0.5],
        n => {
            let mut e = vec![u[0] - (u[1] - u[0]) / 2.0];
            e.extend(u.windows(2).map(|w| (w[0] + w[1]) / 2.0));
            e.push(u[n - 1] + (u[n - 1] - u[n - 2]) / 2.0);
            e
        }
    };
    (u, edges)
}

pub struct Heatmap {
    pub stem: String,
    pub title: String,
    pub note: String,
    pub x_label: String,
    pub y_label: String,
    pub value_label: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub v: Vec<f64>,
    pub range: (f64, f64),
}

const BAR_WIDTH: u32 = 190;
const X_LABEL_AREA: u32 = 70;

impl Heatmap {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<Vec<Rect>, DB> {
        let header = chart::Header::new(root, &self.title, &self.note, &[], &[]);
        let (head, body) = root.split_vertically(header.height());
        header.draw(&head)?;
        let w = body.dim_in_pixel().0;
        let (main, bar) = body.split_horizontally(w - BAR_WIDTH);
        let (xu, xe) = cells(&self.x);
        let (yu, ye) = cells(&self.y);
        let idx = |u: &[f64], v: f64| u.iter().position(|&a| a == v);
        let full_grid = xu.len() * yu.len() == self.v.len() && {
            let mut seen = vec![false; xu.len() * yu.len()];
            self.x
                .iter()
                .zip(&self.y)
                .all(|(&x, &y)| match (idx(&xu, x), idx(&yu, y)) {
                    (Some(i), Some(j)) if !seen[j * xu.len() + i] => {
                        seen[j * xu.len() + i] = true;
                        true
                    }
                    _ => false,
                })
        };
        let mut ch = ChartBuilder::on(&main)
            .margin(10)
            .margin_right(20)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(90)
            .build_cartesian_2d(xe[0]..xe[xe.len() - 1], ye[0]..ye[ye.len() - 1])?;
        ch.configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&|v| chart::tick_label(*v))
            .y_label_formatter(&|v| chart::tick_label(*v))
            .label_style(style::tick().color(&style::INK))
            .axis_desc_style(style::label().color(&style::INK))
            .disable_mesh()
            // A full grid gets its ticks at the cell centres (drawn below).
            .x_labels(if full_grid { 0 } else { 10 })
            .y_labels(if full_grid { 0 } else { 10 })
            .axis_style(style::GREY_TEXT)
            .draw()?;
        if full_grid {
            let font = style::tick().color(&style::INK);
            // Label at most ~10 cells per axis so long axes stay readable; every
            // cell keeps its tick mark.
            let (x_every, y_every) = (xu.len().div_ceil(10).max(1), yu.len().div_ceil(12).max(1));
            for (i, &v) in xu.iter().enumerate() {
                let (px, py) = ch.backend_coord(&(v, ye[0]));
                root.draw(&PathElement::new(
                    vec![(px, py), (px, py + 6)],
                    style::GREY_TEXT,
                ))?;
                if i % x_every != 0 {
                    continue;
                }
                root.draw_text(
                    &chart::tick_label(v),
                    &font.pos(Pos::new(HPos::Center, VPos::Top)),
                    (px, py + 10),
                )?;
            }
            for (i, &v) in yu.iter().enumerate() {
                let (px, py) = ch.backend_coord(&(xe[0], v));
                root.draw(&PathElement::new(
                    vec![(px - 6, py), (px, py)],
                    style::GREY_TEXT,
                ))?;
                if i % y_every != 0 {
                    continue;
                }
                root.draw_text(
                    &chart::tick_label(v),
                    &font.pos(Pos::new(HPos::Right, VPos::Center)),
                    (px - 10, py),
                )?;
            }
        }
        let t = |v: f64| (v - self.range.0) / (self.range.1 - self.range.0);
        let font = style::text(style::NOTE_PX);
        for k in 0..self.v.len() {
            let (x, y, v) = (self.x[k], self.y[k], self.v[k]);
            let colour = if v.is_finite() {
                style::viridis(t(v))
            } else {
                RGBColor(200, 200, 200)
            };
            if full_grid {
                let (i, j) = (idx(&xu, x).unwrap_or(0), idx(&yu, y).unwrap_or(0));
                let (a, b) = ((xe[i], ye[j]), (xe[i + 1], ye[j + 1]));
                ch.draw_series(std::iter::once(Rectangle::new([a, b], colour.filled())))?;
                // The value in the cell when the cell is big enough to read it.
                let (pa, pb) = (ch.backend_coord(&a), ch.backend_coord(&b));
                if v.is_finite() && (pb.0 - pa.0).abs() >= 52 && (pb.1 - pa.1).abs() >= 26 {
                    let ink = if t(v) < 0.6 { WHITE } else { style::INK };
                    root.draw_text(
                        &format!("{v:.2}"),
                        &font.color(&ink).pos(Pos::new(HPos::Center, VPos::Center)),
                        ((pa.0 + pb.0) / 2, (pa.1 + pb.1) / 2),
                    )?;
                }
            } else {
                ch.draw_series(std::iter::once(Circle::new((x, y), 9, colour.filled())))?;
                ch.draw_series(std::iter::once(Circle::new(
                    (x, y),
                    9,
                    style::INK.stroke_width(1),
                )))?;
            }
        }
        let rect = chart::plot_rect(ch.plotting_area());
        self.draw_bar(&bar, rect)?;
        Ok(vec![rect])
    }

    /// A vertical colour bar aligned with the map, its scale on the left.
    fn draw_bar<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        main: Rect,
    ) -> DrawResult<(), DB> {
        let (lo, hi) = self.range;
        let top = main.1 - area.get_base_pixel().1;
        let mut cb = ChartBuilder::on(area)
            .margin_top(top.max(0) as u32)
            .margin_bottom(10)
            .margin_right(70)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(90)
            .build_cartesian_2d(0.0..1.0, lo..hi)?;
        let steps = 200;
        cb.draw_series((0..steps).map(|i| {
            let a = lo + (hi - lo) * i as f64 / steps as f64;
            let b = lo + (hi - lo) * (i + 1) as f64 / steps as f64;
            Rectangle::new(
                [(0.0, a), (1.0, b)],
                style::viridis((i as f64 + 0.5) / steps as f64).filled(),
            )
        }))?;
        cb.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_desc(&self.value_label)
            .y_label_formatter(&|v| chart::tick_label(*v))
            .label_style(style::tick().color(&style::INK))
            .axis_desc_style(style::label().color(&style::INK))
            .axis_style(style::GREY_TEXT)
            .set_tick_mark_size(LabelAreaPosition::Left, 6)
            .draw()?;
        Ok(())
    }
}

pub struct CurveSeries {
    pub label: String,
    pub colour: RGBColor,
    pub mean: Vec<f64>,
    pub ci_low: Vec<f64>,
    pub ci_high: Vec<f64>,
}

pub struct Curve {
    pub stem: String,
    pub title: String,
    pub note: String,
    pub x_label: String,
    pub y_label: String,
    pub x: Vec<f64>,
    pub series: Vec<CurveSeries>,
}

impl Curve {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<Vec<Rect>, DB> {
        let keys: Vec<Key> = if self.series.len() > 1 {
            self.series
                .iter()
                .map(|s| Key {
                    label: s.label.clone(),
                    colour: s.colour,
                    filled: false,
                })
                .collect()
        } else {
            Vec::new()
        };
        let header = chart::Header::new(root, &self.title, &self.note, &keys, &[]);
        let (head, body) = root.split_vertically(header.height());
        header.draw(&head)?;
        let mut order: Vec<usize> = (0..self.x.len())
            .filter(|&i| self.x[i].is_finite())
            .collect();
        order.sort_by(|&a, &b| self.x[a].total_cmp(&self.x[b]));
        let xs: Vec<f64> = order.iter().map(|&i| self.x[i]).collect();
        let (x0, x1) = match (xs.first(), xs.last()) {
            (Some(&a), Some(&b)) if b > a => chart::padded(a, b, false),
            (Some(&a), _) => (a - 0.5, a + 0.5),
            _ => (0.0, 1.0),
        };
        let mut ch = ChartBuilder::on(&body)
            .margin(10)
            .margin_right(45)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(90)
            .build_cartesian_2d(x0..x1, -0.015..1.015)?;
        ch.configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&|v| chart::tick_label(*v))
            .y_label_formatter(&|v| chart::tick_label(*v))
            .label_style(style::tick().color(&style::INK))
            .axis_desc_style(style::label().color(&style::INK))
            .bold_line_style(style::GRID)
            .light_line_style(TRANSPARENT)
            .axis_style(style::GREY_TEXT)
            .draw()?;
        let pick = |v: &[f64]| -> Vec<f64> { order.iter().map(|&i| v[i]).collect() };
        for s in &self.series {
            chart::band(
                &mut ch,
                &xs,
                &pick(&s.ci_low),
                &pick(&s.ci_high),
                s.colour.mix(0.25),
            )?;
        }
        for (i, s) in self.series.iter().enumerate() {
            let m = pick(&s.mean);
            // Earlier series wider, so they show around later ones where they coincide.
            let width = 3 + 2 * (self.series.len() - 1 - i).min(3) as u32;
            chart::line(&mut ch, &xs, &m, s.colour.stroke_width(width))?;
            ch.draw_series(
                xs.iter()
                    .zip(&m)
                    .filter(|(_, y)| y.is_finite())
                    .map(|(&x, &y)| Circle::new((x, y), 5, s.colour.filled())),
            )?;
        }
        Ok(vec![chart::plot_rect(ch.plotting_area())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_columns_get_names_and_units() {
        assert_eq!(param_label("ccg_practices"), "practices (practices)");
        assert_eq!(param_label("constitution.sanctions"), "sanctions (0–1)");
        assert_eq!(
            param_label("events_shock_failure_narrative"),
            "failure-narrative strength of event shock (0–1)"
        );
        assert_eq!(param_label("mystery_knob"), "mystery knob");
    }

    #[test]
    fn cell_edges_are_midpoints() {
        let (u, e) = cells(&[0.2, 0.0, 0.4, 0.2]);
        assert_eq!(u, vec![0.0, 0.2, 0.4]);
        let want = [-0.1, 0.1, 0.3, 0.5];
        assert!(
            e.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12),
            "{e:?}"
        );
    }

    #[test]
    fn parameters_sit_between_point_and_runs() {
        let s = parse_stats(
            "point,ccg.allowance_per_head,constitution.sanctions,runs,failure_probability\n0,22,0.5,100,0.25\n",
            "stats.csv",
        )
        .unwrap();
        assert_eq!(
            s.params,
            vec!["ccg.allowance_per_head", "constitution.sanctions"]
        );
        assert_eq!(s.points, vec![vec![22.0, 0.5]]);
        assert_eq!(s.columns["failure_probability"], vec![0.25]);
    }

    #[test]
    fn a_bad_cell_is_located() {
        let e = parse_stats("point,a,runs,x\n0,1,10,zz\n", "s.csv").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("s.csv:2") && msg.contains("`x`") && msg.contains("zz"),
            "{msg}"
        );
    }
}
