//! Every integration test in one binary (one link instead of twenty: see docs/PERFORMANCE.md,
//! build time). tests/memory.rs stays apart: it installs a counting global allocator.

mod bad_input;
mod calibrate;
mod check_result;
mod common;
mod determinism;
mod docs;
mod extremes;
mod faults;
mod hostile;
mod mechanisms;
mod model_invariants;
mod mutations;
mod odd_doc;
mod output_bytes;
mod parquet;
mod patterns;
mod plots;
mod practices;
mod proptest_model;
mod proptest_parse;
mod researcher;
mod sensitivity;
mod serve_api;
mod serve_cli;
mod serve_http;
mod serve_limits;
mod sweep;
mod sweep_compare;
