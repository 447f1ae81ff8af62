#!/usr/bin/env bash
# Checks dynfeed's public headers, as the compiler sees them (its own list of included files,
# from -M), in an include directory: the source tree or an installed package.
#   check_public_headers.sh INCLUDE_DIR [HEADER_LIST]
# - every dynfeed header under INCLUDE_DIR/dynfeed compiles on its own;
# - <dynfeed/dynfeed.hpp> pulls in no Cap'n Proto, RocksDB or libsodium header and none of the
#   DHT, tracker or codec internals;
# - with HEADER_LIST (dynfeed/public_headers.txt): the public headers (INCLUDE_DIR/dynfeed/*.hpp)
#   and what they include are exactly the headers it lists, the ones that get installed.
# CXX and CXXFLAGS (e.g. -I for CAF) are taken from the environment.
set -euo pipefail
include_dir=$(cd "$1" && pwd)
list=${2:-}
cxx=${CXX:-c++}
read -r -a flags <<< "${CXXFLAGS:-}"
flags+=(-std=c++17 -I "$include_dir")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check_public_headers: $*" >&2; exit 1; }

# The compiler's list of every file a translation unit includes, one per line.
included_files() {
  "$cxx" "${flags[@]}" -M -x c++ "$1" | tr ' \\' '\n\n' | grep -v -e '^$' -e ':$' | sort -u
}

# In the source tree only the public headers and their closure are checked: the library's
# other headers need Cap'n Proto, RocksDB and more.
if [ -n "$list" ]; then
  headers=$(grep -v '^#' "$list")
else
  headers=$(cd "$include_dir" && find dynfeed -name '*.hpp' | sort)
fi
for h in $headers; do
  echo "#include <$h>" > "$tmp/one.cpp"
  "$cxx" "${flags[@]}" -fsyntax-only "$tmp/one.cpp" || fail "$h does not compile on its own"
done

echo '#include <dynfeed/dynfeed.hpp>' > "$tmp/all.cpp"
included_files "$tmp/all.cpp" > "$tmp/closure"
forbidden='(capnp/|/kj/|\.capnp\.h|rocksdb/|sodium)|dynfeed/discovery/(dht|routing_table|dht_store|tracker)\.hpp|dynfeed/messages/(codec|dht_codec|tracker_codec|dht_messages|messages)\.hpp'
if grep -E "$forbidden" "$tmp/closure" > "$tmp/bad"; then
  fail "<dynfeed/dynfeed.hpp> includes what an embedder must not need:
$(cat "$tmp/bad")"
fi
grep -q 'dynfeed/node.hpp$' "$tmp/closure" || fail "no dynfeed/node.hpp among the included files"

if [ -n "$list" ]; then
  (cd "$include_dir" && ls dynfeed/*.hpp) | sed 's/.*/#include <&>/' > "$tmp/public.cpp"
  included_files "$tmp/public.cpp" | sed -n "s#^$include_dir/##p" | sort -u > "$tmp/needed"
  grep -v '^#' "$list" | sort -u > "$tmp/listed"
  if ! diff "$tmp/listed" "$tmp/needed" > "$tmp/diff"; then
    fail "$list is not the public headers' closure ('>' missing from the list, '<' not needed):
$(cat "$tmp/diff")"
  fi
fi
echo "check_public_headers: $(echo "$headers" | wc -w) headers compile alone; <dynfeed/dynfeed.hpp> includes $(grep -c 'dynfeed/' "$tmp/closure") dynfeed headers, none of the forbidden ones"
