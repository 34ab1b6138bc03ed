# scripts/clang-tool.sh: sourced by scripts/format.sh and scripts/tidy.sh.
# find_clang_tool NAME VAR: prints the binary to run for clang tool NAME (clang-format,
# clang-tidy): $VAR if set, else NAME-14 (Debian 12's, which the tree is checked with), else NAME.
# Exits 2 with a message when none is installed (scripts/setup.sh installs Debian's).
find_clang_tool() {
  local name=$1 tool="${!2:-}" c
  if [ -z "$tool" ]; then
    for c in "$name-14" "$name"; do
      if command -v "$c" >/dev/null 2>&1; then tool="$c"; break; fi
    done
  fi
  if [ -z "$tool" ] || ! command -v "$tool" >/dev/null 2>&1; then
    echo "${name#clang-}: $name not found (scripts/setup.sh installs Debian's $name)" >&2
    exit 2
  fi
  echo "$tool"
}
