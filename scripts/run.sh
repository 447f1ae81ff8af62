#!/usr/bin/env bash
# Sets everything up and runs the main job: the default simulation scenario (4,000 readers
# following one writer in rotating mode, ten virtual minutes; about a minute on two cores).
# Extra arguments go to `dynfeed sim` (e.g. a scenario name, --seed N, --out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
exec build/release/apps/dynfeed sim "$@"
