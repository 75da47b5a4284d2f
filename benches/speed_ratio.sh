#!/usr/bin/env bash
# End to end against the engine (issue 17, docs/PERFORMANCE.md "End to end
# against the engine"): CPU time (user + sys) per practice-month of a whole
# `ccgsim run --threads 1` process, timeseries.csv and summary.csv written,
# hashed and synced, against the engine-only criterion bench
# `run/40x120/no_output` (England: `england/211x120/no_output`; thread CPU
# time), measured in the same session, interleaved: bench, run, run, ...
# repeated `repeats` times.
#
#   benches/speed_ratio.sh [repeats] [replicates]     (defaults 5 and 4000)
#
# Workloads: one 40-practice CCG x 120 months x `replicates` (the bench's
# CCG), with figures (the default command) and with --no-plots; England 2013
# (211 CCGs, 7,903 practices) x 120 months x 100 replicates on 1 thread
# (CPU) and on 2 threads (wall). Prints every sample, then medians and the
# ratios to the engine's median. Needs /usr/bin/time.
#
# PARQUET=1 adds the same 1-thread workloads with `--format parquet` (the
# 40-practice one and England, each with and without figures).
#
# CCGSIM_BEFORE=path/to/old/ccgsim also runs the 1-thread workloads with that
# binary in every round (labels ending _before), the two binaries' order
# alternating from round to round, for before/after pairs measured alike.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/common.sh
source benches/common.sh
repeats=${1:-5}
replicates=${2:-4000}
# Built as a user builds --release: not incrementally (an incremental build lays
# the hot loop out differently and moves its time by a few per cent).
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
cargo build --profile fast --quiet
cargo bench --bench engine --no-run --quiet 2>/dev/null
bin=${CCGSIM_BIN:-target/fast/ccgsim}
before=${CCGSIM_BEFORE:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
b40_scenario "$work/b40.toml" "$replicates"
pm_b40=$((40 * 120 * replicates))
pm_england=$((7903 * 120 * 100))

# cpu LABEL PRACTICE_MONTHS ARGS... : one run; appends "cpu_s wall_s ns_per_pm" to $work/LABEL
# (with the binary $use, default $bin)
cpu() {
    local label=$1 pm=$2
    shift 2
    # A new result folder each time (removing the last one is not timed).
    rm -rf "$work/out"
    /usr/bin/time -f "%U %S %e" -o "$work/t" "${use:-$bin}" run "$@" --out "$work/out" --quiet >/dev/null
    read -r u s e <"$work/t"
    awk -v u="$u" -v s="$s" -v e="$e" -v pm="$pm" \
        'BEGIN { printf "%.2f %.2f %.2f\n", u + s, e, (u + s) * 1e9 / pm }' >>"$work/$label"
}

engine() {
    cargo bench --bench engine --quiet -- 'run/40x120/no_output|england/211x120/no_output' \
        --warm-up-time 1 --measurement-time 3 --noplot >/dev/null 2>&1
    # criterion's median of this session's samples, per practice-month.
    python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["median"]["point_estimate"] / int(sys.argv[2])))' \
        target/criterion/run/40x120_no_output/new/estimates.json 4800 >>"$work/engine"
    python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["median"]["point_estimate"] / int(sys.argv[2])))' \
        target/criterion/england/211x120_no_output/new/estimates.json $((pm_england / 100)) >>"$work/engine_england"
}

echo "# $(nproc) cores, $repeats repeats, b40 replicates $replicates; $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
# one_thread SUFFIX: the 1-thread workloads with the binary $use.
one_thread() {
    cpu "b40_plots$1" "$pm_b40" "$work/b40.toml" --threads 1
    cpu "b40_noplots$1" "$pm_b40" "$work/b40.toml" --threads 1 --no-plots
    cpu "england_1$1" "$pm_england" scenarios/england-2013.toml --months 120 --replicates 100 --threads 1
    cpu "england_1_noplots$1" "$pm_england" scenarios/england-2013.toml --months 120 --replicates 100 --threads 1 --no-plots
    if [[ -n ${PARQUET:-} ]]; then
        cpu "b40_parquet$1" "$pm_b40" "$work/b40.toml" --threads 1 --format parquet
        cpu "b40_parquet_noplots$1" "$pm_b40" "$work/b40.toml" --threads 1 --format parquet --no-plots
        cpu "england_1_parquet$1" "$pm_england" scenarios/england-2013.toml --months 120 --replicates 100 --threads 1 --format parquet
        cpu "england_1_parquet_noplots$1" "$pm_england" scenarios/england-2013.toml --months 120 --replicates 100 --threads 1 --format parquet --no-plots
    fi
}
labels="b40_plots b40_noplots england_1 england_1_noplots england_2"
[[ -n ${PARQUET:-} ]] && labels="$labels b40_parquet b40_parquet_noplots england_1_parquet england_1_parquet_noplots"
[[ -n $before ]] && labels="$labels b40_plots_before b40_noplots_before england_1_before england_1_noplots_before"
[[ -n $before && -n ${PARQUET:-} ]] && labels="$labels b40_parquet_before b40_parquet_noplots_before england_1_parquet_before england_1_parquet_noplots_before"
for ((r = 1; r <= repeats; r++)); do
    engine
    if [[ -n $before && $((r % 2)) == 0 ]]; then use=$before one_thread _before; fi
    use=$bin one_thread ""
    if [[ -n $before && $((r % 2)) == 1 ]]; then use=$before one_thread _before; fi
    cpu england_2 "$pm_england" scenarios/england-2013.toml --months 120 --replicates 100 --threads 2
    echo "round $r done; load $(cut -d' ' -f1-3 /proc/loadavg)"
done

eng=$(median <"$work/engine")
echo "engine run/40x120/no_output: ns per practice-month: $(tr '\n' ' ' <"$work/engine")-> median $eng"
echo "engine england/211x120/no_output: ns per practice-month: $(tr '\n' ' ' <"$work/engine_england")-> median $(median <"$work/engine_england")"
for label in $labels; do
    # The 40-practice runs against the 40-practice bench, England against England's.
    ref=engine
    [[ $label == england* ]] && ref=engine_england
    e=$(median <"$work/$ref")
    ns=$(cut -d' ' -f3 "$work/$label" | median)
    cpu_s=$(cut -d' ' -f1 "$work/$label" | median)
    wall=$(cut -d' ' -f2 "$work/$label" | median)
    # Each round's run against the same round's engine figure, then the median.
    per_round=$(paste -d' ' <(cut -d' ' -f3 "$work/$label") "$work/$ref" | awk '{printf "%.3f\n", $1 / $2}' | median)
    awk -v l="$label" -v ns="$ns" -v c="$cpu_s" -v w="$wall" -v e="$e" -v pr="$per_round" \
        -v all="$(cut -d' ' -f3 "$work/$label" | tr '\n' ' ')" \
        'BEGIN { printf "%-18s CPU %6.2f s  wall %6.2f s  ns/pm %6.2f  (%s) ratio to engine: of medians %.2f, median per round %.2f\n", l, c, w, ns, all, ns / e, pr }'
done
