#!/usr/bin/env bash
# One seeder serving CLONES concurrent clones over 127.0.0.1 (real processes): every clone must
# complete and verify (`dynfeed verify`, and the origin's tree hash). Prints one JSON object:
# the wall time, the throughput (bytes all clones received / time), and the seeder's peak
# resident memory (VmHWM). Exits 1 if a clone failed or the seeder's peak passed its bound.
#   bench/clone_load.sh [CLONES] [BLOCKS] [BLOCK_SIZE]     defaults: 100 1000 8192
# DYNFEED (default build/release/apps/dynfeed) names the program. The bound on the seeder's
# peak (docs/reliability.md): 256 MiB, plus for each clone what its requests in flight can ask
# at once (16 requests of up to 64 blocks: 1,024 blocks, or the whole feed if smaller), whose
# answers the seeder may hold queued; SEEDER_PEAK_MB_MAX overrides it.
set -euo pipefail
cd "$(dirname "$0")/.."
clones=${1:-100}
blocks=${2:-1000}
block_size=${3:-8192}
dynfeed=${DYNFEED:-build/release/apps/dynfeed}
in_flight_blocks=$((blocks < 1024 ? blocks : 1024))
peak_mb_max=${SEEDER_PEAK_MB_MAX:-$((256 + clones * in_flight_blocks * block_size / 1048576))}

work=$(mktemp -d)
chmod 700 "$work"
seeder_pid=""
cleanup() {
  [ -n "$seeder_pid" ] && kill "$seeder_pid" 2>/dev/null && wait "$seeder_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$dynfeed" create "$work/origin" >/dev/null
python3 -c "
import sys
line = 'x' * ($block_size - 1) + '\n'
sys.stdout.write(line * $blocks)" | "$dynfeed" append "$work/origin" >/dev/null
"$dynfeed" seed "$work/origin" --listen 127.0.0.1:0 --quiet >"$work/seed.out" 2>"$work/seed.err" &
seeder_pid=$!
for _ in $(seq 1 100); do
  [ "$(wc -l <"$work/seed.out")" -ge 2 ] && break
  sleep 0.1
done
key=$(sed -n 1p "$work/seed.out")
address=$(sed -n 2p "$work/seed.out" | sed 's/^listening on //')
tree_hash=$("$dynfeed" info "$work/origin" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["treeHash"])')

start=$(date +%s.%N)
pids=()
for i in $(seq 1 "$clones"); do
  "$dynfeed" clone "$key" "$work/copy$i" --peer "$address" --quiet --timeout 120 \
    2>"$work/clone$i.err" &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do
  wait "$pid" || failed=$((failed + 1))
done
end=$(date +%s.%N)
peak_kb=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$seeder_pid/status")

verified=0
for i in $(seq 1 "$clones"); do
  if "$dynfeed" verify "$work/copy$i" >/dev/null 2>&1 \
    && [ "$("$dynfeed" info "$work/copy$i" --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["treeHash"] if j["blocksHeld"] == j["length"] else "")')" = "$tree_hash" ]; then
    verified=$((verified + 1))
  fi
done

python3 - "$clones" "$blocks" "$block_size" "$start" "$end" "$failed" "$verified" "$peak_kb" \
  "$peak_mb_max" <<'PY'
import json, sys
clones, blocks, block_size = map(int, sys.argv[1:4])
start, end = float(sys.argv[4]), float(sys.argv[5])
failed, verified, peak_kb, peak_mb_max = map(int, sys.argv[6:10])
seconds = end - start
total = clones * blocks * block_size
print(json.dumps({
    "clones": clones, "blocks": blocks, "block_size": block_size,
    "seconds": round(seconds, 2), "mb_per_s": round(total / seconds / 1e6, 1),
    "failed": failed, "verified": verified,
    "seeder_peak_mib": round(peak_kb / 1024, 1), "seeder_peak_mib_max": peak_mb_max,
}))
PY
if [ "$failed" -ne 0 ] || [ "$verified" -ne "$clones" ]; then
  echo "clone_load: $failed clones failed, $verified of $clones verified" >&2
  exit 1
fi
if [ "$peak_kb" -gt $((peak_mb_max * 1024)) ]; then
  echo "clone_load: the seeder's peak memory passed ${peak_mb_max} MiB" >&2
  exit 1
fi
