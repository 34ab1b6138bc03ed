#!/usr/bin/env bash
# scripts/format.sh [--check] [FILE...]: clang-format (the style in .clang-format: Google, 100
# columns) over src/**/*.cc and *.h, or over the FILEs given.
#   scripts/format.sh           reformats the files in place
#   scripts/format.sh --check   changes nothing; lists the files that are not formatted and exits 1
#                               if there is one (scripts/test.sh runs this first)
# Exit status 2: clang-format is missing (scripts/setup.sh installs it) or a file cannot be read.
# The tree is formatted with clang-format 14 (Debian 12's); CLANG_FORMAT names another binary.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
if [ "${1:-}" = --check ]; then
  check=1
  shift
fi
case "${1:-}" in -*) echo "usage: scripts/format.sh [--check] [FILE...]" >&2; exit 2 ;; esac

source scripts/clang-tool.sh
clang_format=$(find_clang_tool clang-format CLANG_FORMAT)
if [ ! -f .clang-format ]; then
  echo "format: no .clang-format at the repository root" >&2
  exit 2
fi
version=$("$clang_format" --version | sed -nE 's/.*version ([0-9]+).*/\1/p')
if [ "$version" != 14 ]; then
  echo "format: warning: $clang_format is version ${version:-?}; the tree is formatted with 14," \
    "other versions may disagree" >&2
fi

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find src -type f \( -name '*.cc' -o -name '*.h' \) | LC_ALL=C sort)
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "format: no files" >&2
  exit 2
fi

for f in "${files[@]}"; do
  [ -r "$f" ] || { echo "format: cannot read $f" >&2; exit 2; }
done

if [ "$check" = 0 ]; then
  "$clang_format" -i --style=file "${files[@]}"
  exit 0
fi

# One clang-format for all files: --dry-run -Werror prints "FILE:LINE:COL: error: code should be
# clang-formatted" for every change it would make and exits non-zero.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
"$clang_format" --dry-run -Werror --style=file "${files[@]}" >"$out" 2>&1 || status=$?
mapfile -t unformatted < <(sed -nE 's/^(.+):[0-9]+:[0-9]+: error: code should be clang-formatted.*/\1/p' \
  "$out" | LC_ALL=C sort -u)
bad=${#unformatted[@]}
if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then
  cat "$out" >&2
  echo "format: $clang_format failed (exit $status)" >&2
  exit 2
fi
if [ "$status" -eq 0 ] && [ "$bad" -gt 0 ]; then
  echo "format: $clang_format exited 0 but reported changes" >&2
  exit 2
fi
[ "$bad" -gt 0 ] && printf '%s\n' "${unformatted[@]}"
if [ "$bad" -gt 0 ]; then
  echo "format: $bad of ${#files[@]} files are not formatted (run scripts/format.sh)" >&2
  exit 1
fi
echo "format: ${#files[@]} files formatted" >&2
