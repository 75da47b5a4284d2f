#!/usr/bin/env bash
# ccgsim against an independent Mesa 3 implementation of the same model
# (benches/mesa/ccg_mesa.py, written from docs/ODD.md). One command:
#
#   benches/mesa/bench.sh [repeats] [replicates]     (defaults 5 and 200)
#
# 1. Installs pinned Mesa in benches/mesa/.venv (python3 -m venv; git-ignored).
# 2. Builds ccgsim with `--profile fast`.
# 3. Times both, interleaved (ccgsim, Mesa, ccgsim, Mesa, ...), `repeats` times, on
#    scenarios/baseline.toml (40 practices) and scenarios/ccg-size-large.toml
#    (120 practices), 60 months x `replicates`, as ns of CPU per practice-month:
#    - whole process: user + sys CPU of `ccgsim run --threads 1` / `python
#      ccg_mesa.py`, start-up, imports and writing timeseries.csv included;
#    - in memory: Mesa's building and stepping of the models with its
#      DataCollector (process CPU inside Python, no file writing) against
#      ccgsim's criterion bench `run/40x120/record` (build + 120 months +
#      recording the observables, thread CPU; 40 practices only).
#    Prints min and median of each and the ratio (Mesa time / ccgsim time: how
#    many times faster ccgsim is).
# 4. Checks that the two implementations agree: means over `replicates` runs of
#    key observables at months 6, 18, 36, 60 (benches/mesa/compare.py), on the
#    two timed scenarios and on scenarios/failure-narrative.toml (an event, a
#    failure and NHS England's intervention; run for the check only, not timed). A cell
#    whose difference is outside its 95% interval is reported; a family-wise
#    (Bonferroni) failure is reported loudly and makes the script exit 1.
#
# CPU time (not wall time) is used because the machine is shared. This is a
# bench, not part of CI. Results go to docs/PERFORMANCE.md ("Against Mesa").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
repeats=${1:-5}
replicates=${2:-200}
venv=$here/.venv
py=$venv/bin/python

if [[ ! -x $py ]]; then
    python3 -m venv "$venv"
fi
"$py" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
cargo build --profile fast --quiet
bin=$root/target/fast/ccgsim
bench_exe=$(cargo bench --bench engine --no-run --message-format=json 2>/dev/null |
    "$py" -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "engine" and m.get("executable"):
        print(m["executable"])')

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scenarios=(scenarios/baseline.toml scenarios/ccg-size-large.toml)
months=60

echo "# ccgsim vs Mesa $("$py" -c 'import mesa; print(mesa.__version__)') (Python $("$py" -c 'import platform; print(platform.python_version())')), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $repeats interleaved repeats, $replicates replicates x $months months; $(date -u +%FT%TZ)"

# cpu COMMAND...: "user sys wall" seconds of the command (rusage of the child,
# microsecond resolution; /usr/bin/time prints only hundredths).
cpu() {
    "$py" -c 'import os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
if status != 0:
    sys.exit(f"failed: {sys.argv[1:]}")
print(f"{ru.ru_utime:.6f} {ru.ru_stime:.6f} {time.perf_counter() - t:.6f}")' "$@"
}

for ((r = 0; r < repeats; r++)); do
    for scn in "${scenarios[@]}"; do
        name=$(basename "$scn" .toml)
        echo "$name ccgsim $(cpu "$bin" run "$scn" --out "$work/c-$name" --force \
            --quiet --no-plots --threads 1 --replicates "$replicates" --months "$months")" >>"$work/process"
        echo "$name mesa $(cpu "$py" "$here/ccg_mesa.py" "$scn" --out "$work/m-$name" \
            --replicates "$replicates" --months "$months" --timing "$work/mesa-$name.jsonl")" >>"$work/process"
    done
    echo "repeat $((r + 1))/$repeats done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done

# ccgsim in memory: criterion, thread CPU time, 40 practices x 120 months.
if [[ -n $bench_exe ]]; then
    "$bench_exe" --bench 'run/40x120/record$' --warm-up-time 1 --measurement-time 5 \
        --noplot >"$work/criterion" 2>&1 || true
fi

echo "# raw CPU seconds (scenario, implementation, user, sys, wall):"
sed 's/^/#   /' "$work/process"
"$py" - "$work" "$replicates" "$months" "${scenarios[@]}" <<'EOF'
import json, re, statistics, sys
work, reps, months, scns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
rows = [l.split() for l in open(f"{work}/process")]
def practices(name):
    with open(f"{work}/c-{name}/timeseries.csv") as fh:
        head = fh.readline().strip().split(",")
        return int(fh.readline().split(",")[head.index("practices")])
print("\n## whole process, CPU ns per practice-month (user+sys)")
print(f"| scenario | practices | ccgsim min / median | Mesa min / median | ratio min / median |")
print("|---|---|---|---|---|")
out = {}
for scn in scns:
    name = scn.rsplit("/", 1)[-1][:-5]
    n = practices(name)
    denom = n * reps * months / 1e9
    c = [(float(u) + float(s)) / denom for nm, who, u, s, e in rows if nm == name and who == "ccgsim"]
    m = [(float(u) + float(s)) / denom for nm, who, u, s, e in rows if nm == name and who == "mesa"]
    out[name] = (c, m)
    print(f"| {name} | {n} | {min(c):.0f} / {statistics.median(c):.0f} | {min(m):.0f} / {statistics.median(m):.0f} "
          f"| {min(m) / min(c):.0f}x / {statistics.median(m) / statistics.median(c):.0f}x |")
print("\n## in memory, CPU ns per practice-month")
crit = open(f"{work}/criterion").read() if __import__("os").path.exists(f"{work}/criterion") else ""
mt = re.search(r"time:\s+\[([\d.]+) (\w+) ([\d.]+) (\w+) ([\d.]+) (\w+)\]", crit)
unit = {"ns": 1, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}
c_med = None
if mt:
    c_lo = float(mt.group(1)) * unit[mt.group(2)] / (40 * 120)
    c_med = float(mt.group(3)) * unit[mt.group(4)] / (40 * 120)
    print(f"ccgsim run/40x120/record (criterion, thread CPU): low {c_lo:.1f}, median {c_med:.1f} ns")
else:
    print("ccgsim criterion bench not available:\n" + crit[-2000:])
for scn in scns:
    name = scn.rsplit("/", 1)[-1][:-5]
    t = [json.loads(l) for l in open(f"{work}/mesa-{name}.jsonl")]
    ns = [x["in_memory_cpu_s"] * 1e9 / x["practice_months"] for x in t]
    line = f"Mesa {name}: min {min(ns):.0f}, median {statistics.median(ns):.0f} ns"
    if c_med:
        line += f"; ratio vs ccgsim run/40x120/record: min {min(ns) / c_lo:.0f}x, median {statistics.median(ns) / c_med:.0f}x"
    print(line)
EOF

# Agreement only (not timed): a scenario with an event, a failure and NHS England.
agree_only=(scenarios/failure-narrative.toml)
for scn in "${agree_only[@]}"; do
    name=$(basename "$scn" .toml)
    "$bin" run "$scn" --out "$work/c-$name" --force --quiet --no-plots --threads 1 \
        --replicates "$replicates" --months "$months" >/dev/null
    "$py" "$here/ccg_mesa.py" "$scn" --out "$work/m-$name" --replicates "$replicates" \
        --months "$months" >/dev/null
done

status=0
for scn in "${scenarios[@]}" "${agree_only[@]}"; do
    name=$(basename "$scn" .toml)
    echo
    "$py" "$here/compare.py" "$work/c-$name/timeseries.csv" "$work/m-$name/timeseries.csv" "$name" ||
        status=1
done
if [[ $status -ne 0 ]]; then
    echo "!!! ccgsim and the Mesa implementation DISAGREE (see above): the ODD or one implementation is wrong" >&2
fi
exit $status
