//! Figures (PNG and SVG) drawn with plotters and an embedded font:
//! - [`run_figures`]: the time-series figures written into every run's `plots/`;
//! - [`compare`]: several results overlaid, one colour per scenario;
//! - [`sweep`]: tipping-point heatmaps and outcome-vs-parameter curves;
//! - [`hysteresis`]: engagement as a failure narrative is raised then lowered;
//! - [`sensitivity`]: Sobol and Morris indices, scatter panels with PRCC.
//!
//! Every figure is saved by [`save`] as PNG, SVG and a CSV of the plotted values
//! (its [`Figure::data`], tidy long format), all listed in a manifest.
//!
//! Shared pieces: [`style`] (font, sizes, colours), [`render`] (one figure →
//! PNG + SVG), [`chart`] and [`timefig`] (drawing), [`sample`] (bounded-memory
//! quantiles over many runs).

pub mod chart;
pub mod compare;
pub mod hysteresis;
mod pixels;
pub mod render;
pub mod run_figures;
pub mod sample;
pub mod sensitivity;
pub mod style;
pub mod sweep;
mod sweep_data;
pub mod table;
pub mod timefig;

pub use render::{Figure, PlotManifest, Rendered, render, save};
pub use table::{Cell, Table};
