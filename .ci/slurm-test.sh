#!/usr/bin/env bash
# A sweep on a real SLURM: installs Debian's slurm-wlm and munge, starts a
# single-node cluster on this machine, submits examples/slurm/sweep.sbatch as
# a 4-task array plus the dependent merge, waits, and checks the merged files
# are byte-identical to the same sweep run locally. Daemons this script
# started are stopped on any exit. Takes about two minutes (mostly apt).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export DEBIAN_FRONTEND=noninteractive

cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/ccgsim
WORK=$(mktemp -d /tmp/ccgsim-slurm.XXXXXX)
STARTED=()   # process ids of the daemons started here

cleanup() {
    local pid
    for pid in "${STARTED[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM   # so a signal also runs cleanup

echo "slurm-test: installing slurm-wlm and munge"
apt-get update -qq
apt-get install -y -qq slurm-wlm munge >/dev/null

H=$(hostname)
mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /etc/munge /etc/slurm
[ -f /etc/munge/munge.key ] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
chmod 400 /etc/munge/munge.key
CPUS=$(nproc)
MEM=$(( $(free -m | awk '/Mem:/{print $2}') - 1024 ))
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=$H
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
NodeName=$H CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES MaxTime=INFINITE State=UP
CONF

# Start each daemon unless one is already running (then it is not ours to stop).
if ! pgrep -x munged >/dev/null; then
    runuser -u munge -- /usr/sbin/munged --force
    for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
    STARTED+=("$(cat /run/munge/munged.pid)")
fi
if ! pgrep -x slurmctld >/dev/null; then
    /usr/sbin/slurmctld -D -c -i >"$WORK/slurmctld.daemon" 2>&1 &   # foreground mode, backgrounded: $! is the daemon
    STARTED+=("$!")
fi
if ! pgrep -x slurmd >/dev/null; then
    /usr/sbin/slurmd -D >"$WORK/slurmd.daemon" 2>&1 &
    STARTED+=("$!")
fi
for _ in $(seq 60); do
    sinfo -h -o %t 2>/dev/null | grep -q idle && break
    sleep 1
done
sinfo

# A small sweep: 6 points × 4 replicates of a 20-practice CCG.
cat > "$WORK/base.toml" <<TOML
[scenario]
months = 24
[ccg]
practices = 20
TOML
cat > "$WORK/ci.toml" <<TOML
base = "base.toml"
replicates = 4
seed = 7
[grid]
"ccg.practices" = [10, 30]
"constitution.sanctions" = [0.0, 0.5, 1.0]
TOML

cd "$WORK"
JOB=$(sbatch --parsable --array=0-3 --cpus-per-task=1 --time=10 \
    --output="$WORK/shard-%a.log" --export="ALL,CCGSIM=$BIN" \
    "$ROOT/examples/slurm/sweep.sbatch" ci.toml result)
echo "slurm-test: array job $JOB submitted; merge waits for it"
timeout 300 sbatch --wait --dependency="afterok:$JOB" --cpus-per-task=1 --time=10 \
    --output="$WORK/merge.log" --export="ALL,CCGSIM=$BIN" \
    "$ROOT/examples/slurm/sweep.sbatch" ci.toml result || {
    echo "slurm-test: the merge job failed or timed out" >&2
    tail -n 30 "$WORK"/*.log "$WORK"/*.daemon >&2 || true
    exit 1
}

"$BIN" sweep ci.toml --out local --quiet >/dev/null
for f in points.csv runs.csv stats.csv; do
    cmp "local/$f" "result/$f"
done
ls result.parts
grep -q '"complete": true' result/manifest.json
echo "slurm-test: 4 SLURM shards merged are byte-identical to the local run"
