#!/usr/bin/env bash
# scripts/build.sh [release|debug|asan|tsan] [TARGET...]: builds into build/<type>/ (server:
# build/<type>/stashd); with targets, only those (e.g. scripts/build.sh tsan stash_lsm_test).
# Environment: STASH_BUILD_JOBS (parallel jobs, default 2), STASH_WERROR=1 (warnings are errors).
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
# STASH_WERROR=1 (scripts/test.sh sets it, so CI does) makes every warning an error. The build
# directory is reconfigured whenever its setting differs from the environment's; switching
# recompiles everything, so export STASH_WERROR=1 to keep one build directory for both.
werror=OFF
[ "${STASH_WERROR:-0}" = 1 ] && werror=ON
cache="build/$type/CMakeCache.txt"
if [ ! -f "$cache" ] || ! grep -qx "STASH_WERROR:BOOL=$werror" "$cache"; then
  cmake -S . -B "build/$type" -DCMAKE_BUILD_TYPE="$cmake_type" -DSTASH_WERROR="$werror" >/dev/null
fi
log="build/$type/build.log"
if ! cmake --build "build/$type" "${targets[@]}" -j"$jobs" >"$log" 2>&1; then
  grep -E 'error|Error' -A5 "$log" | head -80 >&2
  echo "build ($type) failed; full log: $log" >&2
  exit 1
fi
grep -E 'warning:' "$log" | head -20 >&2 || true
