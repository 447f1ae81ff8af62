#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/*_fuzz.cpp; the `fuzz` preset: clang with ASan and
# UBSan) and runs each for SECONDS on a copy of its seed corpus (tests/fuzz/corpus/<target>/),
# one after the other. Prints one line per target with its execution count. Exits non-zero if
# any target found a crash, a leak, a timeout or a sanitizer report; the input that caused it
# is kept under build/fuzz/runs/<target>/ and the command that replays it is printed.
#   scripts/fuzz.sh [SECONDS]        each target for SECONDS (default 60)
#   scripts/fuzz.sh --write-corpus   regenerates every seed corpus from the targets' own seeds
# FUZZ_TARGETS="codec_fuzz noise_fuzz" limits a run to those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"

./scripts/install_packages.sh clang libclang-rt-14-dev
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

bin=build/fuzz/tests/fuzz
if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  targets=()
  for source in tests/fuzz/*_fuzz.cpp; do
    name=$(basename "$source" .cpp)
    targets+=("$name")
  done
fi

if [ "${1:-}" = "--write-corpus" ]; then
  for t in "${targets[@]}"; do
    corpus=tests/fuzz/corpus/$t
    rm -rf "$corpus"
    mkdir -p "$corpus"
    DYNFEED_FUZZ_SEEDS="$corpus" "$bin/$t" -runs=0 "$corpus" >/dev/null 2>&1
    echo "$t: $(ls "$corpus" | wc -l) seeds in $corpus"
  done
  exit 0
fi

seconds=${1:-60}
# UBSan reports stop the run (by default it would print and go on); leaks are findings.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS="detect_leaks=1"
failed=0
for t in "${targets[@]}"; do
  run=build/fuzz/runs/$t
  rm -rf "$run"
  mkdir -p "$run/corpus"
  cp tests/fuzz/corpus/"$t"/* "$run/corpus/"
  status=0
  "$bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$run/" "$run/corpus" >"$run/log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log" | tail -n 1)
  found=$(ls "$run" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | head -n 1 || true)
  if [ "$status" -ne 0 ] || [ -n "$found" ]; then
    failed=1
    printf '%-15s %12s executions  FAILED (exit %s): %s\n' "$t" "${execs:-?}" "$status" \
      "${found:+$run/$found}"
    echo "  log: $run/log"
    [ -n "$found" ] && echo "  replay: $bin/$t $run/$found"
  else
    printf '%-15s %12s executions in %s s\n' "$t" "$execs" "$seconds"
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: a target found a problem (see above)" >&2
  exit 1
fi
echo "fuzz: no findings"
