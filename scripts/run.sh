#!/usr/bin/env bash
# Sets everything up and runs the main job: the default simulation scenario (4,000 readers
# following one writer in rotating mode, ten virtual minutes; about 30 s on two cores).
# Extra arguments go to `dynfeed sim` (e.g. a scenario name, --seed N, --out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
# glibc's transparent huge pages: a large simulation touches its nodes' state all over memory,
# and TLB misses cost as much as cache misses there (ignored where glibc does not know it).
GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}" exec build/release/apps/dynfeed sim "$@"
