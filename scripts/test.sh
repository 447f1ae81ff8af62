#!/usr/bin/env bash
# Sets everything up and runs every test suite twice: in the Release build with warnings as
# errors, then in the AddressSanitizer + UndefinedBehaviorSanitizer build. After the first, every
# fuzz target runs for DYNFEED_FUZZ_SECONDS (default 5) each. Between the two it
# installs the Release build into build/install and builds and runs examples/ against it.
#   scripts/test.sh            both configurations
#   scripts/test.sh release    only the Release build (quicker)
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache: paths relative to the checkout, and no build folder in the hash, so that another
# clone of the project on this machine (CI's, a worktree) reuses what this one compiled.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"

./scripts/setup.sh -DDYNFEED_WERROR=ON
ctest --preset release
# A seeded fault campaign (docs/reliability.md): 26 small seeds, about 10 s on two cores.
build/release/apps/dynfeed sim campaign --seeds 2-27 --jobs 2
# dynfeed against two other Mainline DHT implementations, bittorrent-dht and libtorrent, on
# 127.0.0.0/8 (docs/tests.md). It installs npm packages into a temporary directory;
# DYNFEED_INTEROP=0 skips it (offline).
if [ "${DYNFEED_INTEROP:-1}" != 0 ]; then
  tests/interop/run.sh
fi
# A one-node Slurm cluster (munge, slurmctld, slurmd, started and stopped by the script, as
# root) runs a small sweep as a job array; its results equal a local sweep's (docs/sweeps.md).
# DYNFEED_SLURM=0 skips it.
if [ "${DYNFEED_SLURM:-1}" != 0 ]; then
  tests/slurm/run.sh
fi

# The fragmentation study in miniature (docs/fragmentation.md): the quick suite's 48 runs through
# sweep and report, about 10 s of CPU. Runs whose invariant breaks are findings, not test failures
# (the sweep exits 1 for them), so the check is that every run finished and the report was made.
# DYNFEED_STUDY=0 skips it.
if [ "${DYNFEED_STUDY:-1}" != 0 ]; then
  study_dir=$(mktemp -d)
  build/release/apps/dynfeed sim sweep sim/suites/fragmentation-quick.json --out "$study_dir" \
    --jobs 2 --quiet || true
  build/release/apps/dynfeed sim report "$study_dir"
  if ! grep -Eq '^([0-9]+) finished runs of the \1 in the suite' "$study_dir/report.md" ||
      ! ls "$study_dir"/plots/*.png >/dev/null; then
    echo "test: the quick fragmentation suite did not finish every run or draw its plots" \
      "($study_dir)" >&2
    exit 1
  fi
  rm -rf "$study_dir"
fi

# Every libFuzzer target, built with clang and run for a few seconds from its seed corpus
# (scripts/fuzz.sh 60, or longer, for a real fuzzing run; docs/reliability.md).
./scripts/fuzz.sh "${DYNFEED_FUZZ_SECONDS:-5}"

# The installed package, used as an embedder would: a fresh install and a fresh example build.
rm -rf build/install build/example
cmake --install build/release --prefix build/install >/dev/null
if grep -q -e dynfeed_options -e fsanitize -e Werror build/install/lib/cmake/dynfeed/*.cmake; then
  echo "test: build-only flags leaked into the installed package" >&2
  exit 1
fi
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S examples -B build/example -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$PWD/build/install" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" \
  "${launcher[@]}" >/dev/null
cmake --build build/example
# Every installed header compiles on its own; <dynfeed/dynfeed.hpp> pulls in no Cap'n Proto,
# RocksDB or sodium header nor the DHT and tracker internals.
./scripts/check_public_headers.sh build/install/include
build/example/embed
build/example/embed --tcp
build/example/dht_discovery
build/example/value_feed
build/example/value_feed --validator

if [ "${1:-all}" != "release" ]; then
  cmake --preset asan >/dev/null
  cmake --build --preset asan
  ctest --preset asan
fi
echo "test: all suites passed"
