//! ccgsim: an agent-based simulator of NHS clinical commissioning groups (CCGs)
//! and their member GP practices.
//!
//! Data flows through the modules in this order:
//! [`scenario`] (TOML → validated parameters) → [`model`] (practices and their
//! equations) → [`engine`] (months, events, runs in parallel) → [`output`]
//! (tidy CSV, manifest) ; [`run`] ties them together for the `run` command.

pub mod calibrate;
pub mod compare;
pub mod engine;
pub mod error;
pub mod hysteresis;
pub mod model;
pub mod output;
pub mod plot;
pub mod progress;
pub mod run;
pub mod scenario;
pub mod serve;
pub mod stats;
pub mod sweep;
pub mod validate;

pub use error::{Error, Result};
pub use scenario::Scenario;
