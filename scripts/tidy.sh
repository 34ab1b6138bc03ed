#!/usr/bin/env bash
# scripts/tidy.sh [FILE...]: clang-tidy (the checks in .clang-tidy) over the given src/ files, or
# over every non-test .cc file under src/ (headers are checked through them); the exit status is
# non-zero on any warning. Slow (minutes: one file at a time); not part of scripts/test.sh.
# Compile commands come from build/tidy/, configured (not built) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

source scripts/clang-tool.sh
clang_tidy=$(find_clang_tool clang-tidy CLANG_TIDY)

dir=build/tidy
if [ ! -f "$dir/compile_commands.json" ] || [ CMakeLists.txt -nt "$dir/compile_commands.json" ]; then
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug >/dev/null
fi

if [ $# -gt 0 ]; then
  files=("$@")
else
  # Every source file CMake compiles, less the tests (their GoogleTest macros are not our names).
  mapfile -t files < <(/usr/bin/python3 -c '
import json, os, sys
root = sys.argv[1]
for c in json.load(open(sys.argv[2])):
    f = os.path.relpath(os.path.join(c["directory"], c["file"]), root)
    if f.startswith("src/") and not f.endswith(("_test.cc", "_testutil.cc")):
        print(f)' "$root" "$dir/compile_commands.json" | LC_ALL=C sort -u)
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "tidy: no files" >&2
  exit 2
fi

# One clang-tidy per file: in a single run, a file clang cannot compile makes every later file
# report "Error while processing" too.
log=$(mktemp)
trap 'rm -f "$log" "$log.one"' EXIT
start=$SECONDS
bad_files=0
for f in "${files[@]}"; do
  if ! "$clang_tidy" -p "$dir" --quiet --warnings-as-errors='*' "$f" >"$log.one" 2>&1; then
    bad_files=$((bad_files + 1))
  fi
  grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?(generated|treated as errors)\.?$' \
    "$log.one" | tee -a "$log" || true
done
rm -f "$log.one"
# A header's diagnostic repeats once per file that includes it: count distinct ones.
warnings=$({ grep -E '(warning|error): .*\[[a-z0-9.,-]+\]$' "$log" || true; } | LC_ALL=C sort -u | wc -l)
echo "tidy: ${#files[@]} files in $((SECONDS - start))s: $warnings distinct warnings," \
  "$bad_files files failed" >&2
if [ "$bad_files" -ne 0 ] || [ "$warnings" -ne 0 ]; then
  exit 1
fi
