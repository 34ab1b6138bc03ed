#!/usr/bin/env bash
# scripts/check-layers.sh CXX INCLUDE_ROOT: proves that the build enforces the layers
# (CMakeLists.txt, stash_component). For every component under INCLUDE_ROOT (build/<type>/include/
# <component>/, links to the folders it may use), a header from each folder it may use must
# compile against that view, and a header from every other folder under src/ must fail with
# "No such file". Run by ctest as the test `layering`.
set -uo pipefail
cxx="$1"
root="$2"
src="$(cd "$(dirname "$0")/.." && pwd)/src"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
checked=0
for view in "$root"/*/; do
  component=$(basename "$view")
  for folder_path in "$src"/*/; do
    folder=$(basename "$folder_path")
    header=$(cd "$folder_path" && ls *.h 2>/dev/null | grep -v -e _test -e _testutil | head -1)
    [ -n "$header" ] || continue
    printf '#include "%s/%s"\n' "$folder" "$header" >"$tmp/probe.cc"
    if "$cxx" -std=c++20 -fsyntax-only -I"$view" "$tmp/probe.cc" >"$tmp/out" 2>&1; then
      compiled=1
    else
      compiled=0
    fi
    checked=$((checked + 1))
    if [ -e "$view/$folder" ]; then
      if [ "$compiled" != 1 ]; then
        echo "FAIL: $component may use $folder, but $folder/$header does not compile in its view:"
        head -5 "$tmp/out"
        failures=$((failures + 1))
      fi
    elif [ "$compiled" = 1 ] || ! grep -q "No such file" "$tmp/out"; then
      echo "FAIL: $component must not see $folder, but #include \"$folder/$header\" did not fail as missing"
      head -5 "$tmp/out"
      failures=$((failures + 1))
    fi
  done
done
echo "check-layers: $checked includes checked, $failures wrong"
[ "$checked" -gt 0 ] && [ "$failures" -eq 0 ]
