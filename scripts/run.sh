#!/usr/bin/env bash
# Sets everything up and runs the main job: the default simulation scenario, the design as
# published (1,000 readers following one writer in rotating mode, IDs and peers through the DHT,
# the measured network model, fifteen virtual minutes; about 30 s of CPU on two cores).
# Extra arguments go to `dynfeed sim` (e.g. a scenario name, --seed N, --out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
# glibc's transparent huge pages: a large simulation touches its nodes' state all over memory,
# and TLB misses cost as much as cache misses there (ignored where glibc does not know it).
GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}" exec build/release/apps/dynfeed sim "$@"
