#!/usr/bin/env bash
# scripts/build.sh [release|debug|asan|tsan] [TARGET...]: builds into build/<type>/ (server:
# build/<type>/stashd); with targets, only those (e.g. scripts/build.sh tsan stash_lsm_test).
set -euo pipefail
cd "$(dirname "$0")/.."
type="${1:-release}"
shift || true
targets=()
for t in "$@"; do targets+=(--target "$t"); done
case "$type" in
  release) cmake_type=Release ;;
  debug) cmake_type=Debug ;;
  asan) cmake_type=Asan ;;
  tsan) cmake_type=Tsan ;;
  *) echo "usage: scripts/build.sh [release|debug|asan|tsan]" >&2; exit 2 ;;
esac
jobs="${STASH_BUILD_JOBS:-2}"
if [ ! -f "build/$type/CMakeCache.txt" ]; then
  cmake -S . -B "build/$type" -DCMAKE_BUILD_TYPE="$cmake_type" >/dev/null
fi
log="build/$type/build.log"
if ! cmake --build "build/$type" "${targets[@]}" -j"$jobs" >"$log" 2>&1; then
  grep -E 'error|Error' -A5 "$log" | head -80 >&2
  echo "build ($type) failed; full log: $log" >&2
  exit 1
fi
grep -E 'warning:' "$log" | head -20 >&2 || true
