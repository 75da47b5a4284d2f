#!/usr/bin/env bash
# Regenerates the README figures in docs/img/ from the shipped scenarios and
# sweeps (deterministic: same code, same pictures). Run from anywhere:
#   bash docs/img/make.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet
bin=target/release/ccgsim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" run scenarios/running-cost-cut.toml --out "$work/rcc" --quiet >/dev/null
cp "$work/rcc/plots/engaged_share.png" docs/img/running-cost-cut-engaged-share.png

"$bin" sweep sweeps/narrative-by-allowance.toml --out "$work/sweep" --quiet >/dev/null
"$bin" plot sweep "$work/sweep" >/dev/null
cp "$work/sweep/plots/failure_probability.png" docs/img/tipping-point-map.png

"$bin" plot hysteresis --out "$work/hysteresis" >/dev/null
cp "$work/hysteresis/hysteresis.png" docs/img/hysteresis.png

"$bin" sensitivity sensitivity/tipping-sobol.toml --out "$work/sobol" --quiet >/dev/null
cp "$work/sobol/plots/sobol_failure_probability.png" docs/img/sensitivity-sobol-failure.png
cp "$work/sobol/plots/scatter_failure_probability.png" docs/img/sensitivity-scatter-failure.png
"$bin" sensitivity sensitivity/behaviour-morris.toml --out "$work/morris" --quiet >/dev/null
cp "$work/morris/plots/morris_engaged_share.png" docs/img/sensitivity-morris-engagement.png

echo "wrote docs/img/{running-cost-cut-engaged-share,tipping-point-map,hysteresis,sensitivity-*}.png"
