//! Sensitivity figures, drawn from files (never by stepping the model):
//! - from indices.csv: Sobol S1 and ST bars with bootstrap intervals, and the
//!   Morris μ*–σ plane with labelled points, one figure per outcome;
//! - from stats.csv of a sampled design (LHS, Sobol, Morris, Saltelli): each
//!   outcome against each parameter in a grid of scatter panels, titled with
//!   the partial rank correlation coefficient (PRCC), also written to prcc.csv.

use super::chart::{self, Key};
use super::render::{DrawResult, Figure, Rect};
use super::style;
use super::sweep::{Stats, param_label};
use super::table::Table;
use crate::error::{Diagnostic, Error, Result};
use crate::output::tables::format_number;
use crate::sweep::indices::prcc;
use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

pub const PRCC_CSV: &str = "prcc.csv";
/// Largest indices.csv read (a bound against a foreign file of that name).
pub const MAX_INDICES_BYTES: u64 = 64 << 20;

/// One row of indices.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub outcome: String,
    pub parameter: String,
    pub index: String,
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

pub fn read_indices(path: &Path) -> Result<Vec<Row>> {
    let file = path.display().to_string();
    // indices.csv holds outcomes × parameters × 3 rows: a few kB, never 64 MB.
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io("read", path, e))?
        .len();
    if size > MAX_INDICES_BYTES {
        return Err(Error::Refused(format!(
            "{file} is {size} bytes, more than an indices.csv can be ({MAX_INDICES_BYTES})"
        )));
    }
    let text = if crate::output::format::is_parquet(path) {
        crate::output::format::parquet_as_csv(path, MAX_INDICES_BYTES)?
    } else {
        std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?
    };
    let bad = |line: usize, m: String| {
        Error::Invalid(vec![Diagnostic {
            file: file.clone(),
            line,
            col: 0,
            key: String::new(),
            message: m,
            source_line: None,
        }])
    };
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, "outcome,parameter,index,estimate,ci_low,ci_high")) => {}
        _ => {
            return Err(bad(
                1,
                "expected the header outcome,parameter,index,estimate,ci_low,ci_high".into(),
            ));
        }
    }
    let num = |s: &str| {
        if s.is_empty() {
            Some(f64::NAN)
        } else {
            s.parse().ok()
        }
    };
    let mut rows = Vec::new();
    for (i, line) in lines {
        let c: Vec<&str> = line.split(',').collect();
        let parsed = (c.len() == 6)
            .then(|| Some((num(c[3])?, num(c[4])?, num(c[5])?)))
            .flatten();
        let Some((estimate, ci_low, ci_high)) = parsed else {
            return Err(bad(i + 1, format!("not a row of six fields: {line:?}")));
        };
        rows.push(Row {
            outcome: c[0].into(),
            parameter: c[1].into(),
            index: c[2].into(),
            estimate,
            ci_low,
            ci_high,
        });
    }
    Ok(rows)
}

/// Outcomes in first-seen order.
fn outcomes(rows: &[Row]) -> Vec<String> {
    let mut o: Vec<String> = Vec::new();
    for r in rows {
        if !o.contains(&r.outcome) {
            o.push(r.outcome.clone());
        }
    }
    o
}

fn outcome_label(o: &str) -> String {
    match o {
        "failure_probability" => "probability a CCG fails".into(),
        "time_to_failure" => "months to failure (horizon if none)".into(),
        _ => format!("{} at the end", o.replace('_', " ")),
    }
}

/// The value of `index` of `parameter` in `rows` of one outcome.
fn get<'a>(rows: &'a [&Row], parameter: &str, index: &str) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.parameter == parameter && r.index == index)
        .copied()
}

/// Index figures: S1/ST bars (Sobol) or μ*–σ planes (Morris), one per
/// outcome; none when the file holds neither.
pub fn index_figures(rows: &[Row], note: &str) -> Vec<SensitivityFigure> {
    let mut figs = Vec::new();
    for o in outcomes(rows) {
        let of: Vec<&Row> = rows.iter().filter(|r| r.outcome == o).collect();
        let mut params: Vec<String> = Vec::new();
        for r in &of {
            if !params.contains(&r.parameter) {
                params.push(r.parameter.clone());
            }
        }
        if of.iter().any(|r| r.index == "ST") {
            // Most influential (largest ST) at the top.
            let st = |p: &str| get(&of, p, "ST").map_or(f64::NAN, |r| r.estimate);
            params.sort_by(|a, b| st(b).total_cmp(&st(a)));
            let pick = |i: &str| params.iter().map(|p| get(&of, p, i).cloned()).collect();
            figs.push(SensitivityFigure::Bars(Bars {
                stem: format!("sobol_{o}"),
                title: format!("Sobol indices: {}", outcome_label(&o)),
                note: format!(
                    "S1: share of variance from the parameter alone; ST: including its interactions; whiskers: 95 % bootstrap interval; {note}"
                ),
                params: params.clone(),
                s1: pick("S1"),
                st: pick("ST"),
            }));
        } else if of.iter().any(|r| r.index == "mu_star") {
            // Most influential first: they get their labels placed first.
            let ms = |p: &str| get(&of, p, "mu_star").map_or(f64::NAN, |r| r.estimate);
            params.sort_by(|a, b| ms(b).total_cmp(&ms(a)));
            let pts = params
                .iter()
                .filter_map(|p| Some((p.clone(), get(&of, p, "mu_star")?, get(&of, p, "sigma")?)))
                .map(|(p, m, s)| (p, m.clone(), s.clone()))
                .collect();
            figs.push(SensitivityFigure::Morris(MorrisPlane {
                stem: format!("morris_{o}"),
                title: format!("Morris screening: {}", outcome_label(&o)),
                note: format!(
                    "μ*: mean absolute elementary effect over the parameter's full range; σ: their spread (non-linearity, interactions); whiskers: 95 % bootstrap interval of μ*; labels that would overlap are left off (every value is in indices.csv); {note}"
                ),
                points: pts,
            }));
        }
    }
    figs
}

/// Outcome columns of stats.csv that get scatter panels and PRCCs.
fn stats_outcomes(stats: &Stats) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = crate::sweep::KEY_OUTCOMES
        .iter()
        .map(|k| {
            (
                format!("{k}_mean"),
                format!("{} (mean)", k.replace('_', " ")),
            )
        })
        .filter(|(c, _)| stats.columns.contains_key(c))
        .collect();
    if stats.columns.contains_key("failure_probability") {
        v.insert(
            0,
            ("failure_probability".into(), "failure probability".into()),
        );
    }
    v
}

/// prcc.csv: `outcome,parameter,prcc` for every outcome column of stats.csv.
pub fn prcc_csv(stats: &Stats) -> Vec<u8> {
    let x: Vec<Vec<f64>> = (0..stats.params.len()).map(|k| stats.param(k)).collect();
    let mut out = b"outcome,parameter,prcc\n".to_vec();
    let mut num = String::new();
    for (col, _) in stats_outcomes(stats) {
        let p = prcc(&x, &stats.columns[&col]);
        for (name, v) in stats.params.iter().zip(p) {
            format_number(v, &mut num);
            out.extend(format!("{col},{name},{num}\n").as_bytes());
        }
    }
    out
}

/// Most dots drawn per panel: larger designs show every m-th point (the PRCC
/// still uses all), which bounds the figure's size and drawing time.
pub const MAX_DOTS: usize = 3000;

/// Scatter panels of the engagement and failure outcomes against every
/// parameter, each titled with its PRCC.
pub fn scatter_figures(stats: &Stats) -> Vec<SensitivityFigure> {
    let x: Vec<Vec<f64>> = (0..stats.params.len()).map(|k| stats.param(k)).collect();
    let n = stats.points.len();
    let stride = n.div_ceil(MAX_DOTS).max(1);
    let thin = |v: &[f64]| -> Vec<f64> { v.iter().step_by(stride).copied().collect() };
    let shown = if stride == 1 {
        "one dot per design point".to_string()
    } else {
        format!("one in {stride} of {n} design points shown, PRCC from all")
    };
    stats_outcomes(stats)
        .into_iter()
        .filter(|(c, _)| {
            [
                "failure_probability",
                "engaged_share_mean",
                "credibility_mean",
            ]
            .contains(&c.as_str())
        })
        .map(|(col, label)| {
            let y = &stats.columns[&col];
            SensitivityFigure::Scatter(Scatter {
                stem: format!("scatter_{col}"),
                title: format!("{} against each parameter", capitalise(&label)),
                note: format!(
                    "{shown} ({}); PRCC: partial rank correlation, Marino et al. 2008",
                    stats.runs_note()
                ),
                prcc: prcc(&x, y),
                x: x.iter().map(|c| thin(c)).collect(),
                labels: stats.params.iter().map(|p| param_label(p)).collect(),
                y: thin(y),
                y_label: label,
            })
        })
        .collect()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| {
        f.to_uppercase().collect::<String>() + c.as_str()
    })
}

pub enum SensitivityFigure {
    Bars(Bars),
    Morris(MorrisPlane),
    Scatter(Scatter),
}

impl Figure for SensitivityFigure {
    fn stem(&self) -> String {
        match self {
            SensitivityFigure::Bars(f) => f.stem.clone(),
            SensitivityFigure::Morris(f) => f.stem.clone(),
            SensitivityFigure::Scatter(f) => f.stem.clone(),
        }
    }
    fn title(&self) -> String {
        match self {
            SensitivityFigure::Bars(f) => f.title.clone(),
            SensitivityFigure::Morris(f) => f.title.clone(),
            SensitivityFigure::Scatter(f) => f.title.clone(),
        }
    }
    fn size(&self) -> (u32, u32) {
        match self {
            SensitivityFigure::Bars(f) => (1100, (260 + 56 * f.params.len() as u32).max(500)),
            SensitivityFigure::Morris(_) => (1100, 750),
            SensitivityFigure::Scatter(f) => {
                let rows = f.x.len().div_ceil(4).max(1) as u32;
                (1400, 170 + 300 * rows)
            }
        }
    }
    fn data(&self) -> Table {
        match self {
            SensitivityFigure::Bars(f) => {
                let mut t = Table::new(&["parameter", "index", "estimate", "ci_low", "ci_high"]);
                for rows in [&f.s1, &f.st] {
                    for r in rows.iter().flatten() {
                        t.push(vec![
                            r.parameter.as_str().into(),
                            r.index.as_str().into(),
                            r.estimate.into(),
                            r.ci_low.into(),
                            r.ci_high.into(),
                        ]);
                    }
                }
                t
            }
            SensitivityFigure::Morris(f) => {
                let mut t = Table::new(&[
                    "parameter",
                    "mu_star",
                    "mu_star_ci_low",
                    "mu_star_ci_high",
                    "sigma",
                    "sigma_ci_low",
                    "sigma_ci_high",
                ]);
                for (p, m, sd) in &f.points {
                    t.push(vec![
                        p.as_str().into(),
                        m.estimate.into(),
                        m.ci_low.into(),
                        m.ci_high.into(),
                        sd.estimate.into(),
                        sd.ci_low.into(),
                        sd.ci_high.into(),
                    ]);
                }
                t
            }
            SensitivityFigure::Scatter(f) => {
                // Every point of every panel (a panel draws at most 3,000 of them).
                let mut t = Table::new(&["parameter", "x", "outcome", "y", "prcc"]);
                for (k, xs) in f.x.iter().enumerate() {
                    for (&x, &y) in xs.iter().zip(&f.y) {
                        t.push(vec![
                            f.labels[k].as_str().into(),
                            x.into(),
                            f.y_label.as_str().into(),
                            y.into(),
                            f.prcc.get(k).copied().unwrap_or(f64::NAN).into(),
                        ]);
                    }
                }
                t
            }
        }
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<Vec<Rect>, DB> {
        match self {
            SensitivityFigure::Bars(f) => f.draw(root),
            SensitivityFigure::Morris(f) => f.draw(root),
            SensitivityFigure::Scatter(f) => f.draw(root),
        }
    }
}

/// A short parameter name for labels inside a chart: its key, spaces for `_`.
fn short(p: &str) -> String {
    let label = param_label(p);
    label.split(" (").next().unwrap_or(&label).to_string()
}

pub struct Bars {
    pub stem: String,
    pub title: String,
    pub note: String,
    pub params: Vec<String>,
    pub s1: Vec<Option<Row>>,
    pub st: Vec<Option<Row>>,
}

impl Bars {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<Vec<Rect>, DB> {
        let colours = [style::colour(0), style::colour(1)];
        let keys = [
            Key {
                label: "S1 (first order)".into(),
                colour: colours[0],
                filled: true,
            },
            Key {
                label: "ST (total)".into(),
                colour: colours[1],
                filled: true,
            },
        ];
        let header = chart::Header::new(root, &self.title, &self.note, &keys, &[]);
        let (head, body) = root.split_vertically(header.height());
        header.draw(&head)?;
        let k = self.params.len();
        // From 0 (or the lowest interval) to 1 (or the highest), within ±0.5 of them.
        let ends = |pick: fn(&Row) -> f64, start: f64, f: fn(f64, f64) -> f64| {
            self.s1
                .iter()
                .chain(&self.st)
                .flatten()
                .flat_map(|r| [r.estimate, pick(r)])
                .filter(|v| v.is_finite())
                .fold(start, f)
        };
        let hi = ends(|r| r.ci_high, 1.0, f64::max).min(1.5);
        let lo = ends(|r| r.ci_low, 0.0, f64::min).max(-0.5);
        let mut ch = ChartBuilder::on(&body)
            .margin(10)
            .margin_right(40)
            .x_label_area_size(70)
            .y_label_area_size(300)
            .build_cartesian_2d(lo..hi, 0.0..k as f64)?;
        let names: Vec<String> = self.params.iter().map(|p| short(p)).collect();
        house_style(&mut ch.configure_mesh(), style::tick(), style::label())
            .x_desc("index (share of the outcome's variance)")
            .y_labels(0)
            .draw()?;
        // Parameter i occupies the band [k−1−i, k−i) (first at the top).
        for (i, name) in names.iter().enumerate() {
            let top = (k - 1 - i) as f64;
            let (px, py) = ch.backend_coord(&(lo, top + 0.5));
            root.draw_text(
                name,
                &style::tick()
                    .color(&style::INK)
                    .pos(Pos::new(HPos::Right, VPos::Center)),
                (px - 10, py),
            )?;
            for (j, row) in [&self.s1[i], &self.st[i]].into_iter().enumerate() {
                let Some(r) = row else { continue };
                let y0 = top + 0.12 + 0.38 * (1 - j) as f64;
                let y1 = y0 + 0.34;
                if r.estimate.is_finite() {
                    ch.draw_series(std::iter::once(Rectangle::new(
                        [(0.0, y0), (r.estimate.clamp(lo, hi), y1)],
                        colours[j].filled(),
                    )))?;
                }
                if r.ci_low.is_finite() && r.ci_high.is_finite() {
                    let ym = (y0 + y1) / 2.0;
                    let (a, b) = (r.ci_low.clamp(lo, hi), r.ci_high.clamp(lo, hi));
                    ch.draw_series(std::iter::once(PathElement::new(
                        vec![(a, ym), (b, ym)],
                        style::INK.stroke_width(2),
                    )))?;
                    for e in [a, b] {
                        ch.draw_series(std::iter::once(PathElement::new(
                            vec![(e, ym - 0.1), (e, ym + 0.1)],
                            style::INK.stroke_width(2),
                        )))?;
                    }
                }
            }
        }
        Ok(vec![chart::plot_rect(ch.plotting_area())])
    }
}

pub struct MorrisPlane {
    pub stem: String,
    pub title: String,
    pub note: String,
    /// (parameter, μ*, σ)
    pub points: Vec<(String, Row, Row)>,
}

impl MorrisPlane {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<Vec<Rect>, DB> {
        let header = chart::Header::new(root, &self.title, &self.note, &[], &[]);
        let (head, body) = root.split_vertically(header.height());
        header.draw(&head)?;
        let fin = |v: f64| if v.is_finite() { v } else { 0.0 };
        let xmax = self
            .points
            .iter()
            .map(|(_, m, _)| fin(m.ci_high).max(fin(m.estimate)))
            .fold(0.0f64, f64::max);
        let ymax = self
            .points
            .iter()
            .map(|(_, _, s)| fin(s.estimate))
            .fold(0.0f64, f64::max);
        let xmax = if xmax > 0.0 { xmax * 1.15 } else { 1.0 };
        let ymax = if ymax > 0.0 { ymax * 1.15 } else { 1.0 };
        let mut ch = ChartBuilder::on(&body)
            .margin(10)
            .margin_right(60)
            .x_label_area_size(70)
            .y_label_area_size(100)
            .build_cartesian_2d(0.0..xmax, 0.0..ymax)?;
        house_style(&mut ch.configure_mesh(), style::tick(), style::label())
            .x_desc("μ* (mean |elementary effect|, outcome units per full range)")
            .y_desc("σ (sd of elementary effects)")
            .draw()?;
        // σ = μ*: above it, effects are mostly non-linear or interacting.
        let d = xmax.min(ymax);
        ch.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (d, d)],
            style::GREY_TEXT.stroke_width(1),
        )))?;
        let font = style::tick().color(&style::INK);
        // Labels that would overlap one already drawn move down or up; the
        // rest are left off (their points still show, in their colour).
        let mut placed: Vec<Rect> = Vec::new();
        for (i, (p, m, s)) in self.points.iter().enumerate() {
            if !(m.estimate.is_finite() && s.estimate.is_finite()) {
                continue;
            }
            let c = style::colour(i);
            if m.ci_low.is_finite() && m.ci_high.is_finite() {
                ch.draw_series(std::iter::once(PathElement::new(
                    vec![(m.ci_low, s.estimate), (m.ci_high, s.estimate)],
                    c.stroke_width(2),
                )))?;
            }
            ch.draw_series(std::iter::once(Circle::new(
                (m.estimate, s.estimate),
                7,
                c.filled(),
            )))?;
            let (px, py) = ch.backend_coord(&(m.estimate, s.estimate));
            let text = short(p);
            let (w, h) = root.estimate_text_size(&text, &font).unwrap_or((0, 0));
            let (w, h) = (w as i32, h as i32);
            let area = chart::plot_rect(ch.plotting_area());
            let spot = [-4, -24, 18, -44, 38, -64]
                .into_iter()
                .map(|dy| (px + 12, py + dy))
                .find(|&(x, y)| {
                    let r = (x, y - h, x + w, y);
                    r.1 >= area.1
                        && r.3 <= area.3
                        && placed
                            .iter()
                            .all(|q| r.2 < q.0 || q.2 < r.0 || r.3 < q.1 || q.3 < r.1)
                });
            if let Some((x, y)) = spot {
                placed.push((x, y - h, x + w, y));
                if y != py - 4 {
                    // A displaced label points at its dot.
                    root.draw(&PathElement::new(
                        vec![(px + 3, py), (x - 2, y - h / 2)],
                        c.stroke_width(1),
                    ))?;
                }
                root.draw_text(&text, &font.pos(Pos::new(HPos::Left, VPos::Bottom)), (x, y))?;
            }
        }
        Ok(vec![chart::plot_rect(ch.plotting_area())])
    }
}

pub struct Scatter {
    pub stem: String,
    pub title: String,
    pub note: String,
    pub x: Vec<Vec<f64>>,
    pub labels: Vec<String>,
    pub y: Vec<f64>,
    pub y_label: String,
    pub prcc: Vec<f64>,
}

impl Scatter {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<Vec<Rect>, DB> {
        let header = chart::Header::new(root, &self.title, &self.note, &[], &[]);
        let (head, body) = root.split_vertically(header.height());
        header.draw(&head)?;
        let cols = 4usize;
        let rows = self.x.len().div_ceil(cols).max(1);
        let panels = body.split_evenly((rows, cols));
        let (y0, y1) = span(&self.y);
        let mut rects = Vec::new();
        for (k, panel) in panels.iter().enumerate().take(self.x.len()) {
            let xs = &self.x[k];
            let (x0, x1) = span(xs);
            let p = self.prcc[k];
            let caption = if p.is_finite() {
                format!("PRCC {p:+.2}")
            } else {
                "PRCC undefined".into()
            };
            let mut ch = ChartBuilder::on(panel)
                .margin(8)
                .margin_right(16)
                .caption(caption, style::tick().color(&style::INK))
                .x_label_area_size(62)
                .y_label_area_size(if k % cols == 0 { 70 } else { 50 })
                .build_cartesian_2d(x0..x1, y0..y1)?;
            house_style(
                &mut ch.configure_mesh(),
                style::text(14.0),
                style::text(15.0),
            )
            .x_desc(short_label(&self.labels[k]))
            .y_desc(if k % cols == 0 {
                self.y_label.as_str()
            } else {
                ""
            })
            .x_labels(4)
            .y_labels(5)
            .draw()?;
            ch.draw_series(
                xs.iter()
                    .zip(&self.y)
                    .filter(|(a, b)| a.is_finite() && b.is_finite())
                    .map(|(&a, &b)| Circle::new((a, b), 2, style::colour(0).mix(0.5).filled())),
            )?;
            rects.push(chart::plot_rect(ch.plotting_area()));
        }
        Ok(rects)
    }
}

/// The axes of every chart here: numeric ticks, ink labels, a light grid.
fn house_style<'m, 'a, 'b, DB: DrawingBackend>(
    m: &'m mut MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB>,
    ticks: TextStyle<'b>,
    descs: TextStyle<'b>,
) -> &'m mut MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB> {
    m.x_label_formatter(&|v| chart::tick_label(*v))
        .y_label_formatter(&|v| chart::tick_label(*v))
        .label_style(ticks.color(&style::INK))
        .axis_desc_style(descs.color(&style::INK))
        .bold_line_style(style::GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(style::GREY_TEXT)
}

/// A padded axis range around the finite values of `v`.
fn span(v: &[f64]) -> (f64, f64) {
    let finite = v.iter().copied().filter(|x| x.is_finite());
    match (finite.clone().reduce(f64::min), finite.reduce(f64::max)) {
        (Some(a), Some(b)) if b > a => chart::padded(a, b, false),
        (Some(a), _) => (a - 0.5, a + 0.5),
        _ => (0.0, 1.0),
    }
}

/// Axis labels in a small panel: the name, and the unit only if short.
fn short_label(label: &str) -> String {
    if label.chars().count() <= 34 {
        return label.to_string();
    }
    label.split(" (").next().unwrap_or(label).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_csv_reads_back_and_empty_cells_are_nan() {
        let dir = std::env::temp_dir().join(format!("ccgsim-ix-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("indices.csv");
        std::fs::write(
            &p,
            "outcome,parameter,index,estimate,ci_low,ci_high\nfailure_probability,a_b,ST,0.5,,\nfailure_probability,a_b,S1,0.25,0.2,0.3\n",
        )
        .unwrap();
        let rows = read_indices(&p).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].ci_low.is_nan() && rows[1].ci_high == 0.3);
        let figs = index_figures(&rows, "test");
        assert_eq!(figs.len(), 1);
        assert_eq!(figs[0].stem(), "sobol_failure_probability");
        std::fs::write(&p, "outcome,parameter\n").unwrap();
        assert!(read_indices(&p).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
