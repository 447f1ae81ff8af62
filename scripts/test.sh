#!/usr/bin/env bash
# Sets everything up and runs every test suite twice: in the Release build with warnings as
# errors, then in the AddressSanitizer + UndefinedBehaviorSanitizer build.
#   scripts/test.sh            both configurations
#   scripts/test.sh release    only the Release build (quicker)
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh -DDYNFEED_WERROR=ON
ctest --preset release

if [ "${1:-all}" != "release" ]; then
  cmake --preset asan >/dev/null
  cmake --build --preset asan
  ctest --preset asan
fi
echo "test: all suites passed"
