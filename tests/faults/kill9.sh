#!/usr/bin/env bash
# kill -9 at random moments, then resume: nothing is lost and nothing is wrong.
#
# 1. A sweep is killed at least $KILLS times (default 20) at random moments — up to
#    three kills in a row on the same folder before it is let finish — and each
#    resumed result must be byte-identical to an uninterrupted run's and pass
#    `ccgsim check-result`.
# 2. A `ccgsim run` is killed $RUN_KILLS times (default 10): it must never leave a
#    result folder that looks complete, and the rerun must equal the uninterrupted run.
#
# Usage: bash tests/faults/kill9.sh   (after `cargo build --release`; CCGSIM=path overrides)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${CCGSIM:-$PWD/target/release/ccgsim}
KILLS=${KILLS:-20}
RUN_KILLS=${RUN_KILLS:-10}
[ -x "$BIN" ] || { echo "kill9: build first (cargo build --release): $BIN missing" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > base.toml <<'TOML'
[scenario]
months = 60
replicates = 20
TOML
cat > sweep.toml <<'TOML'
base = "base.toml"
replicates = 60
[grid]
"ccg.practices" = [12, 40, 120]
"constitution.sanctions" = [0.0, 0.25, 0.5, 0.75, 1.0]
TOML
export CI=1 CCGSIM_SWEEP_CHUNK_RUNS=40
# `exec`, so that `$!` of `sweep … &` is ccgsim itself and kill -9 hits it, not a subshell.
sweep() { exec "$BIN" sweep sweep.toml --out "$1" --threads 2 -q --timeseries-quantiles; }
files="points.csv runs.csv stats.csv timeseries_quantiles.csv"

start=$(date +%s%N)
(sweep ref > /dev/null)
dur_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "kill9: uninterrupted sweep took ${dur_ms} ms"

# Sleep a random time in [0, 1.1 × the sweep's duration].
random_sleep() {
  local ms=$(( (RANDOM * 32768 + RANDOM) % (dur_ms * 11 / 10 + 1) ))
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
}

fail() { echo "kill9: FAIL: $*" >&2; exit 1; }

kills=0 trials=0 early=0 mid=0 late=0
while [ "$kills" -lt "$KILLS" ]; do
  trials=$((trials + 1))
  out="t$trials"
  for attempt in 1 2 3; do
    (sweep "$out" > "$out.log" 2>&1) &
    pid=$!
    random_sleep
    if kill -9 "$pid" 2> /dev/null; then
      wait "$pid" 2> /dev/null || true
      kills=$((kills + 1))
      # Where the kill landed: before any chunk, among the chunks, or at the end.
      if [ -f "$out/manifest.json" ]; then late=$((late + 1))
      elif compgen -G "$out/partial/*.chunk" > /dev/null; then mid=$((mid + 1))
      else early=$((early + 1)); fi
      # A killed sweep never leaves a manifest that says complete unless it truly is.
      if [ -f "$out/manifest.json" ]; then
        "$BIN" check-result "$out" > /dev/null || fail "trial $trials: killed sweep left a manifest that does not check"
      fi
    else
      wait "$pid" || fail "trial $trials: sweep failed: $(cat "$out.log")"
      break
    fi
  done
  # Resume (or find it already done) and compare with the uninterrupted run.
  (sweep "$out" > "$out.log" 2>&1) || fail "trial $trials: resume failed: $(cat "$out.log")"
  "$BIN" check-result "$out" > /dev/null || fail "trial $trials: resumed result does not check"
  for f in $files; do
    cmp -s "ref/$f" "$out/$f" || fail "trial $trials: $f differs from the uninterrupted sweep"
  done
  rm -rf "$out" "$out.log"
done
echo "kill9: sweep killed $kills times over $trials trials ($early before the first chunk, $mid among chunks, $late after the manifest); every resumed result byte-identical"

# The same for `ccgsim run` (no resume: a killed run leaves nothing that looks done).
cat > run.toml <<'TOML'
[scenario]
months = 120
replicates = 400
TOML
start=$(date +%s%N)
"$BIN" run run.toml --out rref --threads 2 -q > /dev/null
dur_ms=$(( ($(date +%s%N) - start) / 1000000 ))
run_kills=0 i=0 staged=0
while [ "$run_kills" -lt "$RUN_KILLS" ]; do
  i=$((i + 1))
  out="r$i"
  "$BIN" run run.toml --out "$out" --threads 2 -q > /dev/null 2>&1 &
  pid=$!
  random_sleep
  if kill -9 "$pid" 2> /dev/null; then
    wait "$pid" 2> /dev/null || true
    run_kills=$((run_kills + 1))
    if [ -e "$out" ]; then
      "$BIN" check-result "$out" > /dev/null || fail "run $i: killed run left $out that does not check"
      rm -rf "$out"
    fi
    for staging in .$out.partial-*; do
      [ -e "$staging" ] || continue
      staged=$((staged + 1))
      if "$BIN" check-result "$staging" > /dev/null 2>&1; then
        fail "run $i: staging folder $staging looks complete"
      fi
      rm -rf "$staging"
    done
  else
    wait "$pid" || fail "run $i: run failed"
    rm -rf "$out"
  fi
  "$BIN" run run.toml --out "$out" --threads 2 -q > /dev/null || fail "run $i: rerun failed"
  for f in timeseries.csv summary.csv; do
    cmp -s "rref/$f" "$out/$f" || fail "run $i: $f differs from the uninterrupted run"
  done
  rm -rf "$out"
done
echo "kill9: run killed $run_kills times ($staged mid-write); never a complete-looking partial result, every rerun byte-identical"
