#!/usr/bin/env bash
# Fuzzes the RESP request parser with libFuzzer (+ASan+UBSan) for SECONDS (default 20).
# Usage: scripts/fuzz-resp.sh [SECONDS]
# Builds build/fuzz/request_parser_fuzz, seeds build/fuzz/corpus with a few valid commands and
# runs. Exits non-zero if the fuzzer finds a crash (the reproducer is left in build/fuzz/).
# Without clang++ or libFuzzer's runtime it prints "fuzz-resp: SKIPPED: <why>" and exits 0
# (scripts/test.sh counts that as skipped, with the reason).
set -euo pipefail

seconds="${1:-20}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: $0 [SECONDS]  (SECONDS a positive integer, default 20)" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build/fuzz"

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz-resp: SKIPPED: clang++ not found (libFuzzer needs clang)"
  exit 0
fi

mkdir -p "$out/corpus"
cd "$root"
# libFuzzer's runtime is a package of its own (Debian: libclang-rt-14-dev): a clang++ without it
# cannot link any fuzzer, which is a missing tool, not a bug in the parser.
printf 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }\n' \
  >"$out/probe.cc"
if ! clang++ -fsanitize=fuzzer,address,undefined "$out/probe.cc" -o "$out/probe" \
    2>"$out/probe.log"; then
  echo "fuzz-resp: SKIPPED: clang++ cannot link a libFuzzer binary (libclang-rt-14-dev missing?):" \
    "$(grep -m1 -E 'error' "$out/probe.log" || head -1 "$out/probe.log")"
  exit 0
fi
if ! clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I src \
    src/resp/request_parser.cc src/resp/request_parser_fuzz.cc \
    -o "$out/request_parser_fuzz" 2>"$out/build.log"; then
  cat "$out/build.log" >&2
  echo "fuzz-resp: FAILED: the fuzzer does not compile (see above)"
  exit 1
fi

# Seeds: byte 0 is where the rest is cut in two.
seed() { printf "$2" >"$out/corpus/$1"; }
seed ping-inline '\x40PING\r\n'
seed set-multibulk '\x80*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n'
seed pipeline '\x20*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*0\r\n'
seed quotes '\x10SET "a b" '"'"'c d'"'"' "\\x41\\n"\n'
seed binary '\xf0*2\r\n$4\r\n\x00\r\n\x00\r\n$2\r\n\r\n\r\n'
seed empty-lines '\x05\r\n  \n*-1\r\nECHO x\n'

log="$out/fuzz.log"
set +e
(cd "$out" && ./request_parser_fuzz -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$out/" corpus) >"$log" 2>&1
status=$?
set -e

runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)"
if [ "$status" -ne 0 ]; then
  tail -n 40 "$log" >&2
  echo "fuzz-resp: FAILED: crash after ${runs:-?} runs in ${seconds}s (exit $status); reproducer in $out/crash-*; log $log"
  exit 1
fi
echo "fuzz-resp: OK: ${runs:-?} runs in ${seconds}s, coverage ${cov:-?} edges, corpus $(ls "$out/corpus" | wc -l) inputs, no crash"
