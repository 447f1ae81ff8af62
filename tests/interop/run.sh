#!/usr/bin/env bash
# dynfeed against two independent Mainline DHT implementations on 127.0.0.0/8: the npm package
# bittorrent-dht (run with node) and libtorrent (Debian's python3-libtorrent). Installs what is
# missing (Debian packages with apt-get, the npm packages into a temporary directory, never into
# the checkout), runs tests/interop/interop.py, prints one line per check and exits 1 if any
# failed. docs/tests.md describes the checks.
#   tests/interop/run.sh [--only references|bittorrent-dht|libtorrent]
# DYNFEED names the dynfeed binary (default: build/release/apps/dynfeed).
set -euo pipefail
cd "$(dirname "$0")/../.."
dynfeed="${DYNFEED:-$PWD/build/release/apps/dynfeed}"
if [ ! -x "$dynfeed" ]; then
  echo "interop: no dynfeed binary at $dynfeed (build first, or set DYNFEED)" >&2
  exit 1
fi

# What is missing: node and npm (any install: Debian's nodejs and npm packages, or another
# that brings both), libtorrent's and cryptography's Python modules for /usr/bin/python3.
missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null || missing+=(python3-libtorrent)
/usr/bin/python3 -c 'import cryptography' 2>/dev/null || missing+=(python3-cryptography)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "interop: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

work="$(mktemp -d -t dynfeed-interop.XXXXXX)"
keep_logs() { echo "interop: logs kept in $work" >&2; }
trap 'status=$?; if [ $status -eq 0 ]; then rm -rf "$work"; else keep_logs; fi' EXIT

# Pinned versions: the reference must not change under the test. ed25519-supercop ships
# prebuilt binaries, so no install script has to run.
(cd "$work" && npm install --silent --no-audit --no-fund --no-save --prefix "$work/npm" \
  bittorrent-dht@11.0.12 ed25519-supercop@2.0.1 >/dev/null)

/usr/bin/python3 tests/interop/interop.py --dynfeed "$dynfeed" --node "$(command -v node)" \
  --modules "$work/npm/node_modules" --work "$work" "$@"
