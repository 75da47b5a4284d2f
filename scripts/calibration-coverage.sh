#!/bin/sh
# Simulation-based check of `ccgsim calibrate` (docs/CALIBRATION.md): synthetic
# data sets from known coefficients, calibrated back; prints the coverage of
# the 90% credible intervals. SBC_DATASETS (default 40) sets how many.
set -eu
cd "$(dirname "$0")/.."
cargo test --release --test it calibrate::simulation_based_coverage -- --ignored --nocapture 2>&1 \
  | grep -E "coverage|data set|test result"
