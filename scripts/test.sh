#!/usr/bin/env bash
# scripts/test.sh: setup + build + every test. The last line is "N passed, N failed"; the exit
# status is non-zero when anything failed.
#   unit tests      GoogleTest binaries (ASan+UBSan build), through ctest; the engine, WAL and
#                   util tests (lock-free skip list, group commit, background threads) also
#                   under ThreadSanitizer
#   black-box tests tests/*_test.py: the real stashd (ASan build) driven by redis-cli,
#                   redis-benchmark, python3-redis and raw sockets
#   fuzzing         the RESP parser under libFuzzer for a bounded time (scripts/fuzz-resp.sh)
# STASH_TEST_QUICK=1 skips the release build (for local iteration).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
results="$root/build/test-results"
mkdir -p "$results"
: >"$results/summary"

passed=0
failed=0
record() {  # record NAME PASSED FAILED
  passed=$((passed + $2))
  failed=$((failed + $3))
  printf '%-28s %5d passed, %d failed\n' "$1" "$2" "$3" | tee -a "$results/summary"
}

scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

echo "== build (asan)"
if ! scripts/build.sh asan; then echo "0 passed, 1 failed"; exit 1; fi
if [ "${STASH_TEST_QUICK:-0}" != 1 ]; then
  echo "== build (release)"
  if ! scripts/build.sh release; then echo "0 passed, 1 failed"; exit 1; fi
fi

echo "== unit tests (ctest, asan)"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir build/asan -j2 --timeout 300 --output-on-failure >"$results/ctest.log" 2>&1
line=$(grep -E 'tests passed, [0-9]+ tests failed out of' "$results/ctest.log" | tail -1)
total=$(sed -nE 's/.* out of ([0-9]+).*/\1/p' <<<"$line")
nfail=$(sed -nE 's/.* ([0-9]+) tests failed out of.*/\1/p' <<<"$line")
if [ -z "$total" ]; then
  tail -40 "$results/ctest.log"
  record "unit tests" 0 1
else
  [ "$nfail" -gt 0 ] && grep -E 'Failed|\*\*\*' "$results/ctest.log" | head -40
  record "unit tests" $((total - nfail)) "$nfail"
fi

echo "== unit tests under ThreadSanitizer (engine, WAL, util)"
tsan_targets=(stash_lsm_test stash_wal_test stash_util_test)
if scripts/build.sh tsan "${tsan_targets[@]}"; then
  tsan_pass=0
  tsan_fail=0
  for t in "${tsan_targets[@]}"; do
    bin=$(find build/tsan -name "$t" -type f -executable | head -1)
    if TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" "$bin" >"$results/$t.tsan.log" 2>&1; then
      tsan_pass=$((tsan_pass + $(grep -cE '^\[       OK \]' "$results/$t.tsan.log")))
    else
      tail -30 "$results/$t.tsan.log"
      tsan_fail=$((tsan_fail + 1))
    fi
  done
  record "unit tests (tsan)" "$tsan_pass" "$tsan_fail"
else
  record "unit tests (tsan)" 0 1
fi

echo "== black-box tests (stashd asan)"
# Crash loops kill -9 the server hundreds of times: they use the release build when there is one.
release_bin="$root/build/release/stashd"
[ -x "$release_bin" ] || release_bin="$root/build/asan/stashd"
STASHD="$root/build/asan/stashd" STASHD_RELEASE="$release_bin" \
  /usr/bin/python3 -m unittest discover -s tests -p '*_test.py' \
  >"$results/blackbox.log" 2>&1
ran=$(sed -nE 's/^Ran ([0-9]+) tests? .*/\1/p' "$results/blackbox.log" | tail -1)
bad=$(awk '/^FAILED \(/ { while (match($0, /(failures|errors)=[0-9]+/)) {
  split(substr($0, RSTART, RLENGTH), kv, "="); n += kv[2]; $0 = substr($0, RSTART + RLENGTH) } }
  END { print n + 0 }' "$results/blackbox.log")
if [ -z "$ran" ]; then
  tail -40 "$results/blackbox.log"
  record "black-box tests" 0 1
else
  [ "$bad" -gt 0 ] && grep -E '^(FAIL|ERROR):|Error|assert' "$results/blackbox.log" | head -60
  record "black-box tests" $((ran - bad)) "$bad"
fi

echo "== fuzzing (RESP parser)"
if scripts/fuzz-resp.sh "${STASH_FUZZ_SECONDS:-30}" >"$results/fuzz.log" 2>&1; then
  record "fuzz resp parser" 1 0
else
  tail -30 "$results/fuzz.log"
  record "fuzz resp parser" 0 1
fi
tail -1 "$results/fuzz.log"

echo "== summary"
cat "$results/summary"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
