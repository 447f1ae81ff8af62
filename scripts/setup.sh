#!/usr/bin/env bash
# Installs the Debian packages dynfeed needs (only those missing, so a second run is quick)
# and builds the Release configuration into build/release.
#   scripts/setup.sh [extra cmake arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache: paths relative to the checkout, and no build folder in the hash, so that another
# clone of the project on this machine (CI's, a worktree) reuses what this one compiled.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"

packages=(
  g++ cmake ninja-build pkg-config ccache
  libcaf-dev libsodium-dev libcapnp-dev capnproto librocksdb-dev libboost-test-dev
  libcli11-dev nlohmann-json3-dev gnuplot-nox libssl-dev
  libjemalloc-dev  # the dynfeed program's malloc (DYNFEED_ALLOCATOR, docs/speed.md)
  clang libclang-rt-14-dev  # the libFuzzer targets (scripts/fuzz.sh)
  # tests/interop/run.sh: the reference DHT nodes (npm itself, if node came without it, is
  # installed by that script)
  nodejs python3-libtorrent python3-cryptography
  slurm-wlm munge  # tests/slurm/run.sh: a one-node Slurm cluster for a sweep's job array
)

./scripts/install_packages.sh "${packages[@]}"

cmake --preset release "$@" >/dev/null
cmake --build --preset release
