#!/usr/bin/env bash
# End-to-end timings of `ccgsim run` (docs/PERFORMANCE.md): wall time and peak
# RSS as medians of repeated runs, for the England-sized scenario on 1 and 2
# threads, and for how cost grows with practices, months and replicates.
#
#   benches/end_to_end.sh [repeats]        (default 5; needs /usr/bin/time)
#
# The machine may be shared: every figure is the median of `repeats` runs, and
# the load average is printed beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/common.sh
source benches/common.sh
repeats=${1:-5}
cargo build --release --quiet
bin=target/release/ccgsim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

england=scenarios/england-2013.toml
if [[ ! -f $england ]]; then
    # The England population of 2013 (MODEL.md §6) under default parameters.
    england=$work/england.toml
    cat >"$england" <<'TOML'
[scenario]
name = "england-2013-local"
months = 120
replicates = 100
seed = 2013
[population]
ccgs = 211
median_population = 221000
min_population = 63100
max_population = 869400
patients_per_practice = 6800
TOML
fi

# measure LABEL SCENARIO ARGS... : median wall seconds and median peak RSS (MB).
measure() {
    local label=$1 scn=$2
    shift 2
    : >"$work/t"
    for ((r = 0; r < repeats; r++)); do
        /usr/bin/time -f "%e %M" -a -o "$work/t" \
            "$bin" run "$scn" --out "$work/out" --force --quiet "$@" >/dev/null
    done
    local wall rss
    wall=$(cut -d' ' -f1 "$work/t" | median)
    rss=$(cut -d' ' -f2 "$work/t" | median)
    awk -v l="$label" -v w="$wall" -v m="$rss" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
        'BEGIN { printf "%-44s %8.2f s %8.1f MB   load %s\n", l, w, m / 1024, load }'
}

echo "# $(nproc) cores, $repeats repeats, medians; $(date -u +%FT%TZ)"
# SECTION=practices runs only the last section.
if [[ ${SECTION:-all} == all ]]; then
echo "## England 2013 (211 CCGs), 120 months x 100 replicates, timeseries.csv written"
for t in 1 2; do measure "england threads=$t" "$england" --months 120 --replicates 100 --threads "$t"; done
echo "## peak memory against replicates (England, 2 threads)"
for r in 10 100; do measure "england replicates=$r" "$england" --months 120 --threads 2 --replicates "$r"; done

echo "## growth (one CCG, 1 thread): practices x months x replicates"
for n in 12 40 150; do
    printf '[scenario]\nmonths = 120\nreplicates = 1000\nseed = 1\n[ccg]\npractices = %d\n' "$n" >"$work/n.toml"
    measure "practices=$n months=120 replicates=1000" "$work/n.toml" --threads 1
done
printf '[scenario]\nmonths = 120\nreplicates = 1000\nseed = 1\n[ccg]\npractices = 40\n' >"$work/m.toml"
for m in 30 60 240; do measure "practices=40 months=$m replicates=1000" "$work/m.toml" --threads 1 --months "$m"; done
for r in 100 10000; do measure "practices=40 months=120 replicates=$r" "$work/m.toml" --threads 1 --replicates "$r"; done
fi

echo "## practices.csv (England, 120 months, 2 threads, no figures): cost and peak memory"
measure "england replicates=10 timeseries only" "$england" --months 120 --replicates 10 --threads 2 --no-plots
measure "england replicates=10 --practices" "$england" --months 120 --replicates 10 --threads 2 --no-plots --practices
measure "england replicates=10 --practices-every 12" "$england" --months 120 --replicates 10 --threads 2 --no-plots --practices --practices-every 12
measure "england replicates=100 --practices-every 12" "$england" --months 120 --replicates 100 --threads 2 --no-plots --practices --practices-every 12
