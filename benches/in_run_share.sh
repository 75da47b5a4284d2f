#!/usr/bin/env bash
# The engine's share of a whole run, counted inside the run (issue 17, docs/
# PERFORMANCE.md "End to end against the engine"). benches/speed_ratio.sh
# divides a whole process's CPU by a separate criterion bench, and the shared
# host's state moves the two apart (whole processes slow down more than the
# bench). This script asks the same question of one process at a time: it
# samples a whole `ccgsim run --threads 1` with `perf record -e cpu-clock`
# and counts the samples in the engine (the model's code: building CCGs, the
# monthly step, its equations and random draws, libm's pow/exp/log) against
# all samples (the observation, the output tables, hashing, writing, figures,
# the kernel, start-up). The in-run ratio, all ÷ engine, is the end-to-end
# cost per practice-month over the engine's own, both timed by the same clock
# in the same seconds.
#
#   benches/in_run_share.sh [repeats] [replicates]     (defaults 5 and 4000)
#
# Workloads as speed_ratio.sh's one-thread ones, CSV and Parquet, each with
# and without figures: one 40-practice CCG x 120 months x `replicates`, and
# England 2013 x 120 months x 100 replicates. Needs perf (Debian:
# linux-perf); symbols come from the `fast` profile's binary.
#
# What counts as engine is read off symbol names, so it errs on one side: the
# allocations of building a CCG (malloc, the kernel's page faults) count as
# the rest, and so does `ccgsim::engine`'s run loop; the ratio is, if
# anything, a little high. With figures, libm's pow/exp/log called by the
# plotting code count as engine (the figures' share is about 2%).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/common.sh
source benches/common.sh
repeats=${1:-5}
replicates=${2:-4000}
if ! command -v perf >/dev/null; then
    echo "in_run_share.sh: needs perf (Debian: apt-get install linux-perf)" >&2
    exit 2
fi
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
cargo build --profile fast --quiet
bin=${CCGSIM_BIN:-target/fast/ccgsim}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
b40_scenario "$work/b40.toml" "$replicates"

# share LABEL ARGS...: one sampled run; appends "engine_share in_run_ratio" to $work/LABEL.
share() {
    local label=$1
    shift
    rm -rf "$work/out"
    perf record -q -e cpu-clock -F 4000 -o "$work/perf.data" \
        "$bin" run "$@" --threads 1 --out "$work/out" --quiet >/dev/null 2>"$work/perf.err" ||
        { cat "$work/perf.err" >&2; exit 1; }
    perf report -i "$work/perf.data" --no-children --sort dso,sym --stdio 2>/dev/null |
        awk '
            /^ +[0-9.]+%/ {
                p = $1; sub("%", "", p); all += p
                dso = $2; sym = $0; sub(/^.*\[[.k]\] /, "", sym)
                model = sym ~ /ccgsim::model::/ && sym !~ /ccgsim::model::observe/
                draws = sym ~ /^<?rand(_distr|_xoshiro|_core)?::/ || sym ~ /Xoshiro256PlusPlus/
                libm = dso ~ /^libm/ && sym ~ /pow|exp|log/
                if (model || draws || libm) engine += p
            }
            END { printf "%.4f %.4f\n", engine / all, all / engine }' >>"$work/$label"
}

echo "# $(nproc) cores, $repeats repeats, b40 replicates $replicates; $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
labels="b40_csv b40_csv_noplots b40_parquet b40_parquet_noplots england_csv england_csv_noplots england_parquet england_parquet_noplots"
england=(scenarios/england-2013.toml --months 120 --replicates 100)
for ((r = 1; r <= repeats; r++)); do
    share b40_csv "$work/b40.toml"
    share b40_csv_noplots "$work/b40.toml" --no-plots
    share b40_parquet "$work/b40.toml" --format parquet
    share b40_parquet_noplots "$work/b40.toml" --format parquet --no-plots
    share england_csv "${england[@]}"
    share england_csv_noplots "${england[@]}" --no-plots
    share england_parquet "${england[@]}" --format parquet
    share england_parquet_noplots "${england[@]}" --format parquet --no-plots
    echo "round $r done; load $(cut -d' ' -f1-3 /proc/loadavg)"
done
for label in $labels; do
    printf '%-24s engine share %s  in-run ratio: median %s (%s)\n' "$label" \
        "$(cut -d' ' -f1 "$work/$label" | median)" \
        "$(cut -d' ' -f2 "$work/$label" | median)" \
        "$(cut -d' ' -f2 "$work/$label" | tr '\n' ' ' | sed 's/ $//')"
done
