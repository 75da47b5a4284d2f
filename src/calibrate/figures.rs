//! Calibration figures: each parameter's posterior (weighted histogram of the
//! final generation) against its prior, and a pair plot of the two most
//! correlated parameters. They draw the saved particles; nothing is simulated.

use super::abc::{Generation, weighted_mean_var};
use super::{Calibration, Prior};
use crate::error::Result;
use crate::plot::chart::{self, Key};
use crate::plot::render::{self, DrawResult, Figure, Rect, Saved};
use crate::plot::style;
use crate::plot::table::Table;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

const BINS: usize = 24;
const PANEL: (u32, u32) = (520, 380);

pub struct Marginals {
    priors: Vec<Prior>,
    particles: Vec<Vec<f64>>,
    weights: Vec<f64>,
    generation: u32,
}

pub struct Pair {
    priors: [Prior; 2],
    dims: [usize; 2],
    particles: Vec<Vec<f64>>,
    weights: Vec<f64>,
    correlation: f64,
}

/// Weighted correlation of dimensions `a` and `b`.
pub fn correlation(particles: &[Vec<f64>], weights: &[f64], a: usize, b: usize) -> f64 {
    let (ma, va) = weighted_mean_var(particles, weights, a);
    let (mb, vb) = weighted_mean_var(particles, weights, b);
    let sw: f64 = weights.iter().sum();
    let cov = particles
        .iter()
        .zip(weights)
        .map(|(p, w)| w * (p[a] - ma) * (p[b] - mb))
        .sum::<f64>()
        / sw;
    if va > 0.0 && vb > 0.0 {
        cov / (va * vb).sqrt()
    } else {
        0.0
    }
}

/// Write plots/posterior_marginals and (with two or more parameters) plots/posterior_pairs.
pub fn write(cal: &Calibration, gens: &[Generation], dir: &Path) -> Result<Vec<Saved>> {
    let Some(last) = gens.last() else {
        return Ok(Vec::new());
    };
    let mut out = render::save(
        &Marginals {
            priors: cal.priors.clone(),
            particles: last.particles.clone(),
            weights: last.weights.clone(),
            generation: last.index,
        },
        dir,
    )?;
    let d = cal.priors.len();
    let mut best: Option<(f64, usize, usize)> = None;
    for a in 0..d {
        for b in a + 1..d {
            let r = correlation(&last.particles, &last.weights, a, b);
            if best.is_none_or(|(x, _, _)| r.abs() > x.abs()) {
                best = Some((r, a, b));
            }
        }
    }
    if let Some((r, a, b)) = best {
        out.extend(render::save(
            &Pair {
                priors: [cal.priors[a].clone(), cal.priors[b].clone()],
                dims: [a, b],
                particles: last.particles.clone(),
                weights: last.weights.clone(),
                correlation: r,
            },
            dir,
        )?);
    }
    Ok(out)
}

fn grid(d: usize) -> (usize, usize) {
    let cols = d.clamp(1, 3);
    (cols, d.div_ceil(cols).max(1))
}

impl Figure for Marginals {
    fn stem(&self) -> String {
        "posterior_marginals".into()
    }
    fn title(&self) -> String {
        "Posterior of each calibrated parameter against its prior".into()
    }
    fn data(&self) -> Table {
        // The weighted particles the histograms are drawn from.
        let mut t = Table::new(&["parameter", "particle", "value", "weight", "generation"]);
        for (k, prior) in self.priors.iter().enumerate() {
            for (i, (p, &w)) in self.particles.iter().zip(&self.weights).enumerate() {
                t.push(vec![
                    prior.path.as_str().into(),
                    i.into(),
                    p[k].into(),
                    w.into(),
                    self.generation.into(),
                ]);
            }
        }
        t
    }
    fn size(&self) -> (u32, u32) {
        let (c, r) = grid(self.priors.len());
        (PANEL.0 * c as u32, PANEL.1 * r as u32 + 150)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<Vec<Rect>, DB> {
        let keys = [
            Key {
                label: "posterior (weighted histogram of the final particles)".into(),
                colour: style::colour(0),
                filled: true,
            },
            Key {
                label: "prior density".into(),
                colour: style::colour(1),
                filled: false,
            },
        ];
        let title = self.title();
        let note = format!(
            "ABC-SMC generation {}, {} particles; x axis = the prior's range; y = probability density",
            self.generation,
            self.particles.len()
        );
        let header = chart::Header::new(root, &title, &note, &keys, &[]);
        let (head, body) = root.split_vertically(header.height());
        header.draw(&head)?;
        let (cols, rows) = grid(self.priors.len());
        let panels = body.split_evenly((rows, cols));
        let mut rects = Vec::new();
        for (d, (p, area)) in self.priors.iter().zip(panels.iter()).enumerate() {
            let (lo, hi) = (p.quantile(0.0), p.quantile(1.0));
            let (lo, hi) = if hi > lo {
                (lo, hi)
            } else {
                (lo - 1.0, hi + 1.0)
            };
            let width = (hi - lo) / BINS as f64;
            let mut hist = [0.0; BINS];
            let sw: f64 = self.weights.iter().sum();
            for (x, w) in self.particles.iter().zip(&self.weights) {
                let b = (((x[d] - lo) / width) as usize).min(BINS - 1);
                hist[b] += w / sw / width;
            }
            // Prior density on a grid, normalised numerically over [lo, hi].
            let xs: Vec<f64> = (0..=200)
                .map(|i| lo + (hi - lo) * i as f64 / 200.0)
                .collect();
            let raw: Vec<f64> = xs.iter().map(|&x| p.density(x)).collect();
            let area_raw: f64 = raw.iter().sum::<f64>() * (hi - lo) / 200.0;
            let dens: Vec<f64> = raw
                .iter()
                .map(|v| if area_raw > 0.0 { v / area_raw } else { 0.0 })
                .collect();
            let top = hist
                .iter()
                .chain(&dens)
                .fold(0.0f64, |m, &v| m.max(v))
                .max(1e-9)
                * 1.08;
            let mut ch = ChartBuilder::on(area)
                .margin(12)
                .caption(&p.path, style::label().color(&style::INK))
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(lo..hi, 0.0..top)?;
            ch.configure_mesh()
                .x_labels(5)
                .y_labels(4)
                .x_label_formatter(&|v| chart::tick_label(*v))
                .y_label_formatter(&|v| chart::tick_label(*v))
                .label_style(style::tick().color(&style::INK))
                .bold_line_style(style::GRID)
                .light_line_style(TRANSPARENT)
                .axis_style(style::GREY_TEXT)
                .draw()?;
            ch.draw_series(hist.iter().enumerate().map(|(b, &h)| {
                let x0 = lo + b as f64 * width;
                Rectangle::new(
                    [(x0, 0.0), (x0 + width, h)],
                    style::colour(0).mix(0.55).filled(),
                )
            }))?;
            ch.draw_series(LineSeries::new(
                xs.iter().copied().zip(dens.iter().copied()),
                style::colour(1).stroke_width(3),
            ))?;
            rects.push(chart::plot_rect(ch.plotting_area()));
        }
        Ok(rects)
    }
}

impl Figure for Pair {
    fn stem(&self) -> String {
        "posterior_pairs".into()
    }
    fn title(&self) -> String {
        "The two most correlated parameters in the posterior".into()
    }
    fn size(&self) -> (u32, u32) {
        (900, 820)
    }
    fn data(&self) -> Table {
        let mut t = Table::new(&[
            "particle",
            "x_parameter",
            "x",
            "y_parameter",
            "y",
            "weight",
            "correlation",
        ]);
        for (i, (p, &w)) in self.particles.iter().zip(&self.weights).enumerate() {
            t.push(vec![
                i.into(),
                self.priors[0].path.as_str().into(),
                p[self.dims[0]].into(),
                self.priors[1].path.as_str().into(),
                p[self.dims[1]].into(),
                w.into(),
                self.correlation.into(),
            ]);
        }
        t
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<Vec<Rect>, DB> {
        let title = self.title();
        let note = format!(
            "each dot a final particle, larger for more weight; weighted correlation {:.2}; axes = the priors' ranges",
            self.correlation
        );
        let header = chart::Header::new(root, &title, &note, &[], &[]);
        let (head, body) = root.split_vertically(header.height());
        header.draw(&head)?;
        let [pa, pb] = &self.priors;
        let (xl, xh) = (pa.quantile(0.0), pa.quantile(1.0));
        let (yl, yh) = (pb.quantile(0.0), pb.quantile(1.0));
        let mut ch = ChartBuilder::on(&body)
            .margin(14)
            .margin_right(40)
            .x_label_area_size(70)
            .y_label_area_size(90)
            .build_cartesian_2d(xl..xh.max(xl + 1e-9), yl..yh.max(yl + 1e-9))?;
        ch.configure_mesh()
            .x_desc(pa.path.as_str())
            .y_desc(pb.path.as_str())
            .x_label_formatter(&|v| chart::tick_label(*v))
            .y_label_formatter(&|v| chart::tick_label(*v))
            .label_style(style::tick().color(&style::INK))
            .axis_desc_style(style::label().color(&style::INK))
            .bold_line_style(style::GRID)
            .light_line_style(TRANSPARENT)
            .axis_style(style::GREY_TEXT)
            .draw()?;
        let wmax = self
            .weights
            .iter()
            .fold(0.0f64, |m, &w| m.max(w))
            .max(1e-300);
        let [a, b] = self.dims;
        ch.draw_series(self.particles.iter().zip(&self.weights).map(|(p, &w)| {
            let r = 2.0 + 5.0 * (w / wmax).sqrt();
            Circle::new((p[a], p[b]), r as i32, style::colour(0).mix(0.45).filled())
        }))?;
        Ok(vec![chart::plot_rect(ch.plotting_area())])
    }
}
