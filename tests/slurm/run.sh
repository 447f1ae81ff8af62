#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, and a small sweep through it: Debian's slurm-wlm
# and munge (installed if missing, as root), configured under a temporary directory, started,
# and stopped at the end whatever happens. The sweep (2 modes x 2 seeds of the small scenario
# at 20 readers) runs as a job array (dynfeed sim sweep --emit slurm, then sbatch --wait); its
# results.csv must equal a local sweep's, digest for digest. docs/sweeps.md describes it.
#   tests/slurm/run.sh          (as root; DYNFEED_SLURM=0 makes scripts/test.sh skip it)
# DYNFEED names the dynfeed binary (default: build/release/apps/dynfeed).
set -euo pipefail
cd "$(dirname "$0")/../.."
dynfeed="${DYNFEED:-$PWD/build/release/apps/dynfeed}"
if [ ! -x "$dynfeed" ]; then
  echo "slurm: no dynfeed binary at $dynfeed (build first, or set DYNFEED)" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "slurm: the test starts munged, slurmctld and slurmd: run it as root" >&2
  exit 1
fi
./scripts/install_packages.sh slurm-wlm munge

work="$(mktemp -d -t dynfeed-slurm.XXXXXX)"
chmod 700 "$work"
stop() {
  status=$?
  # Only what this script started: the job (if still there), then each daemon by its pid.
  if [ -n "${SLURM_CONF:-}" ] && [ -f "$work/slurmctld.pid" ]; then
    scancel --quiet --name=dynfeed-slurm-test 2>/dev/null || true
  fi
  local pids=()
  for f in slurmd slurmctld munged; do
    if [ -f "$work/$f.pid" ]; then
      pids+=("$(cat "$work/$f.pid")")
      kill "${pids[-1]}" 2>/dev/null || true
    fi
  done
  # Gone before their directory is (bounded: 10 s each).
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  done
  if [ $status -eq 0 ]; then rm -rf "$work"; else echo "slurm: logs kept in $work" >&2; fi
}
trap stop EXIT

host="$(hostname -s)"
cpus="$(nproc)"
port=$((20000 + RANDOM % 20000))
mkdir -p "$work/state" "$work/spool" "$work/munge"
chmod 700 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
/usr/sbin/munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/socket" \
  --pid-file="$work/munged.pid" --log-file="$work/munged.log" --seed-file="$work/munge/seed"

cat >"$work/slurm.conf" <<CONF
ClusterName=dynfeed-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool/%n
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MaxArraySize=1001
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF"

# Up when sinfo shows the node idle (bounded: 30 s).
for _ in $(seq 1 60); do
  state="$(sinfo -h -N -o %t 2>/dev/null || true)"
  [ "$state" = idle ] && break
  sleep 0.5
done
if [ "$state" != idle ]; then
  echo "slurm: the node is '$state', not idle, after 30 s" >&2
  exit 1
fi

cat >"$work/suite.json" <<'SUITE'
{"name": "slurm-test", "description": "2 modes x 2 seeds of the small scenario at 20 readers",
 "base": "small", "axes": {"readers": [20], "mode": ["stable", "rotating"]}, "seeds": 2}
SUITE
"$dynfeed" sim sweep "$work/suite.json" --out "$work/cluster" --emit slurm
sbatch --wait --quiet --job-name=dynfeed-slurm-test "$work/cluster/sweep.sbatch"
"$dynfeed" sim sweep "$work/suite.json" --out "$work/cluster" --collect
"$dynfeed" sim sweep "$work/suite.json" --out "$work/local" --quiet --jobs 2

if ! cmp -s "$work/cluster/results.csv" "$work/local/results.csv"; then
  echo "slurm: results.csv differs between the cluster and the local sweep" >&2
  diff "$work/cluster/results.csv" "$work/local/results.csv" >&2 || true
  exit 1
fi
runs=$(($(wc -l <"$work/cluster/results.csv") - 1))
if [ "$runs" -ne 4 ]; then
  echo "slurm: $runs runs in results.csv, 4 expected" >&2
  exit 1
fi
echo "slurm: 4 runs through sbatch, results.csv equal to a local sweep's:"
awk -F, 'NR > 1 { print "  " $NF }' "$work/cluster/results.csv"
