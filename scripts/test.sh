#!/usr/bin/env bash
# scripts/test.sh: setup + checks + builds + every test. The last line is
# "N passed, N failed, N skipped"; the exit status is non-zero when anything failed. A skip is
# neither a pass nor a failure: it is counted apart, and its summary line says why.
#   format          scripts/format.sh --check: every src/ file as clang-format 14 writes it
#   builds          asan, release and tsan with STASH_WERROR=1: a compiler warning fails the build
#   unit tests      GoogleTest binaries (ASan+UBSan build), through ctest; the engine, WAL, util and
#                   server tests (lock-free skip list, group commit, writer, WATCH, background
#                   threads) also under ThreadSanitizer
#   black-box tests tests/*_test.py: the real stashd (ASan build) driven by redis-cli,
#                   redis-benchmark, python3-redis and raw sockets; full_disk_test.py needs to mount
#                   a tmpfs (root or CAP_SYS_ADMIN): without that it is skipped, with the reason
#   black-box tsan  a subset of them (writer and I/O threads, WATCH, MULTI/EXEC, expiry, clients)
#                   against the TSan stashd; a ThreadSanitizer report fails it
#   fuzzing         the RESP parser under libFuzzer for a bounded time (scripts/fuzz-resp.sh);
#                   skipped, with the reason, without clang++ or libFuzzer
# Results: build/test-results/ (summary: one line per check; timings: seconds per stage).
# STASH_TEST_QUICK=1 skips the release build (for local iteration).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
results="$root/build/test-results"
mkdir -p "$results"
: >"$results/summary"
: >"$results/timings"

# Every build here is a CI build: scripts/build.sh turns warnings into errors.
export STASH_WERROR=1
# The TSan build: the server and the unit tests that run under it (each folder's GoogleTest
# binary is stash_<folder>_test: CMakeLists.txt, stash_component).
tsan_unit_tests=(stash_util_test stash_wal_test stash_lsm_test stash_store_test stash_cmd_test
  stash_net_test stash_script_test)
tsan_targets=(stashd "${tsan_unit_tests[@]}")
# Black-box tests run against the TSan stashd (under a minute here): writer thread, I/O threads,
# WATCH, MULTI/EXEC, expiry (active cycle and lazy), clients (list/kill, AUTH), SCAN while other
# clients write and the engine flushes, INFO/CONFIG/SHUTDOWN, Pub/Sub delivery across I/O
# threads, blocking XREAD/XREADGROUP. Not limits_test: its idle-timeout cases depend on the
# server's speed.
tsan_blackbox=(tx_concurrency_test tx_replies_test data_expire_test connection_test client_test
  data_scan_test server_test pubsub_test.PubSubDifferentialTest pubsub_test.IoThreadsTest
  pubsub_test.SlowSubscriberTest pubsub_test.TransactionTest tracking_test function_test.BusyTest
  data_stream_test.BlockingTest)
tsan_options="halt_on_error=1:second_deadlock_stack=1"

passed=0
failed=0
skipped=0
record() {  # record NAME PASSED FAILED SKIPPED [WHY]: one line of the summary
  passed=$((passed + $2))
  failed=$((failed + $3))
  skipped=$((skipped + $4))
  local line
  line=$(printf '%-28s %5d passed, %d failed, %d skipped' "$1" "$2" "$3" "$4")
  [ -n "${5:-}" ] && line+="  ($5)"
  echo "$line" | tee -a "$results/summary"
}
finish() {
  stage_end
  echo "== summary"
  cat "$results/summary"
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ] && exit 0
  exit 1
}
stage_name=""
stage_start=$SECONDS
stage() {  # stage NAME: prints the heading; the previous stage's seconds go to timings
  stage_end
  stage_name=$1
  stage_start=$SECONDS
  echo "== $1"
}
stage_end() {
  [ -n "$stage_name" ] && printf '%-40s %5ds\n' "$stage_name" $((SECONDS - stage_start)) \
    >>"$results/timings"
  stage_name=""
}
build() {  # build TYPE [TARGET...]: scripts/build.sh, recorded as a check
  if scripts/build.sh "$@"; then
    record "build $1 (-Werror)" 1 0 0
  else
    record "build $1 (-Werror)" 0 1 0 "build/$1/build.log"
    return 1
  fi
}

# gtest_counts LOG STATUS: "PASSED FAILED SKIPPED" of one GoogleTest binary's output and exit
# status. A binary that died (a sanitizer halts it) is one failure more than its own summary says.
gtest_counts() {
  local log=$1 status=$2 p f s d
  p=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) tests?\.$/\1/p' "$log" | tail -1)
  f=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) tests?, listed below:$/\1/p' "$log" | tail -1)
  s=$(sed -nE 's/^\[  SKIPPED \] ([0-9]+) tests?, listed below:$/\1/p' "$log" | tail -1)
  d=$(sed -nE 's/^ *YOU HAVE ([0-9]+) DISABLED TESTS?$/\1/p' "$log" | tail -1)
  p=${p:-0} f=${f:-0} s=$((${s:-0} + ${d:-0}))
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  if grep -q 'ThreadSanitizer\|AddressSanitizer\|runtime error:' "$log" && [ "$f" -eq 0 ]; then
    f=1
  fi
  echo "$p $f $s"
}

# unittest_counts LOG: "PASSED FAILED SKIPPED REASONS" of a `python3 -m unittest -v` run, from
# its last "Ran N tests" and "OK (...)" / "FAILED (failures=.., errors=.., skipped=..)" lines;
# REASONS are the distinct skip reasons. Exit status 1 when the log has no result (the run died)
# or no test ran.
unittest_counts() {
  /usr/bin/python3 - "$1" <<'EOF'
import re
import sys

text = open(sys.argv[1], errors="replace").read()
ran = re.findall(r"^Ran (\d+) tests? in ", text, re.M)
result = re.findall(r"^(OK|FAILED)(?: \((.*)\))?$", text, re.M)
if not ran or not result or int(ran[-1]) == 0:
    sys.exit(1)
ran = int(ran[-1])
status, detail = result[-1]
n = {"failures": 0, "errors": 0, "skipped": 0, "expected failures": 0,
     "unexpected successes": 0}
for item in filter(None, detail.split(", ")):
    key, value = item.split("=")
    n[key] = int(value)
# A setUpClass that fails or skips is one error or skip for a whole class whose tests are not
# among the ones that ran; a subTest failure is one failure among several of the same test. So
# passed = ran - failed tests - skips, where a skip of a whole class (shown as a bare "skipped"
# line by Python 3.11, the same as a test's skip after output of its own) may make it one short.
fixture = r"(?:setUpClass|tearDownClass|setUpModule|tearDownModule) \("
headers = re.findall(r"^(?:FAIL|ERROR): (\S+ \(\S+\))", text, re.M)
failed_tests = {h for h in headers if not re.match(fixture, h)}
fixture_skips = len(re.findall(r"^" + fixture + r"[^)]*\) \.\.\. skipped", text, re.M))
failed = n["failures"] + n["errors"] + n["unexpected successes"]
if status == "FAILED" and failed == 0:
    failed = 1
skipped = n["skipped"]
passed = ran - len(failed_tests) - (skipped - fixture_skips) - n["unexpected successes"]
reasons = sorted(set(re.findall(r"(?:^|\.\.\. )skipped '(.*)'$", text, re.M)))
print(max(passed, 0), failed, skipped, "; ".join(reasons))
EOF
}

# Runs tests/MODULE... with /usr/bin/python3 -m unittest -v into LOG and records them as NAME
# (extra environment before the arguments, as for env). A ThreadSanitizer, AddressSanitizer or
# UBSan report in the log is a failure even if no test failed.
blackbox() {  # blackbox NAME LOG [VAR=VALUE...] -- MODULE...
  local name=$1 log=$2 envs=() p f s why
  shift 2
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  (cd tests && env "${envs[@]}" /usr/bin/python3 -m unittest -v "$@") >"$log" 2>&1
  if ! read -r p f s why < <(unittest_counts "$log"); then
    tail -40 "$log"
    record "$name" 0 1 0 "no unittest result: $log"
    return
  fi
  if [ "$f" -eq 0 ] && grep -qE 'WARNING: ThreadSanitizer|ERROR: AddressSanitizer|runtime error:' \
      "$log"; then
    f=1
    why="sanitizer report in $log${why:+; $why}"
  fi
  [ "$f" -gt 0 ] && grep -E '^(FAIL|ERROR):|Error|assert' "$log" | head -60
  record "$name" "$p" "$f" "$s" "${why:+skipped: $why}"
}

stage "setup"
if ! scripts/setup.sh; then
  record "setup" 0 1 0 "scripts/setup.sh failed"
  finish
fi

stage "format (clang-format)"
scripts/format.sh --check >"$results/format.log" 2>&1
case $? in
  0) record "format" 1 0 0 ;;
  1) cat "$results/format.log"
     record "format" 0 1 0 "$(grep -c '^src/' "$results/format.log") files: scripts/format.sh" ;;
  *) cat "$results/format.log"; record "format" 0 1 0 "the check did not run" ;;
esac

stage "build (asan)"
build asan || finish
if [ "${STASH_TEST_QUICK:-0}" != 1 ]; then
  stage "build (release)"
  build release || finish
fi

stage "unit tests (ctest, asan)"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir build/asan -j2 --timeout 300 --output-on-failure >"$results/ctest.log" 2>&1
ctest_status=$?
# One line per test: "  3/150 Test  #3: Suite.Name ....   Passed    0.01 sec", or ***Failed,
# ***Skipped (GTEST_SKIP), ***Not Run (Disabled), ***Not Run (no executable: a failure), ...
read -r p f s n < <(awk '
  /^ *[0-9]+\/[0-9]+ +Test +#[0-9]+: / {
    n++
    if ($0 ~ /\*\*\*Skipped/ || $0 ~ /\*\*\*Not Run \(Disabled\)/) s++
    else if ($0 ~ / Passed +[0-9.]+ sec/) p++
    else f++
  }
  END { print p + 0, f + 0, s + 0, n + 0 }' "$results/ctest.log")
ctest_fail=$(sed -nE 's/.*tests passed, ([0-9]+) tests? failed out of [0-9]+.*/\1/p' \
  "$results/ctest.log" | tail -1)
if [ "$n" -eq 0 ] || [ -z "$ctest_fail" ] || [ "$ctest_fail" -ne "$f" ] \
    || { [ "$ctest_status" -ne 0 ] && [ "$f" -eq 0 ]; }; then
  tail -40 "$results/ctest.log"
  record "unit tests" "$p" $((f > 0 ? f : 1)) "$s" "ctest output not understood: ctest.log"
else
  [ "$f" -gt 0 ] && grep -E 'Failed|\*\*\*' "$results/ctest.log" | head -40
  why=$(sed -n '/^The following tests did not run:/,/^$/ { s/^[[:space:]]*[0-9]* - //p }' \
    "$results/ctest.log" | head -5 | paste -sd, - | sed 's/,/, /g')
  record "unit tests" "$p" "$f" "$s" "${why:+skipped: $why}"
fi

stage "build (tsan)"
if build tsan "${tsan_targets[@]}"; then
  stage "unit tests under ThreadSanitizer"
  tp=0 tf=0 ts=0
  for t in "${tsan_unit_tests[@]}"; do
    bin=$(find build/tsan -name "$t" -type f -executable | head -1)
    if [ -z "$bin" ]; then
      echo "$t: no binary under build/tsan"
      tf=$((tf + 1))
      continue
    fi
    TSAN_OPTIONS="$tsan_options" "$bin" >"$results/$t.tsan.log" 2>&1
    status=$?
    read -r p f s < <(gtest_counts "$results/$t.tsan.log" "$status")
    [ "$f" -gt 0 ] && tail -30 "$results/$t.tsan.log"
    tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
  done
  record "unit tests (tsan)" "$tp" "$tf" "$ts"

  stage "black-box tests (stashd tsan)"
  blackbox "black-box tests (tsan)" "$results/blackbox-tsan.log" \
    STASHD="$root/build/tsan/stashd" TSAN_OPTIONS="$tsan_options" -- "${tsan_blackbox[@]}"
fi

stage "black-box tests (stashd asan)"
# Crash loops kill -9 the server hundreds of times: they use the release build when there is one.
release_bin="$root/build/release/stashd"
[ -x "$release_bin" ] || release_bin="$root/build/asan/stashd"
# full_disk_test.py mounts a small tmpfs; where that is not allowed it fails by design, so it is
# left out here and counted as skipped, with the reason.
probe=$(mktemp -d)
full_disk=1
if mount_error=$(mount -t tmpfs -o size=1m tmpfs "$probe" 2>&1); then
  umount "$probe"
else
  full_disk=0
  n=$(cd tests && /usr/bin/python3 -c 'import unittest
print(unittest.defaultTestLoader.loadTestsFromName("full_disk_test").countTestCases())' \
    2>/dev/null) || n=1
  record "black-box full disk" 0 0 "$n" \
    "skipped: cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): ${mount_error%%$'\n'*}"
fi
rmdir "$probe"
modules=()
for f in tests/*_test.py; do
  m=$(basename "$f" .py)
  [ "$m" = full_disk_test ] && [ "$full_disk" = 0 ] && continue
  modules+=("$m")
done
blackbox "black-box tests" "$results/blackbox.log" \
  STASHD="$root/build/asan/stashd" STASHD_RELEASE="$release_bin" -- "${modules[@]}"

stage "fuzzing (RESP parser)"
scripts/fuzz-resp.sh "${STASH_FUZZ_SECONDS:-30}" >"$results/fuzz.log" 2>&1
fuzz_status=$?
last=$(grep -E '^fuzz-resp: (OK|FAILED|SKIPPED):' "$results/fuzz.log" | tail -1)
if [ "$fuzz_status" -eq 0 ] && [[ "$last" == "fuzz-resp: SKIPPED: "* ]]; then
  record "fuzz resp parser" 0 0 1 "skipped: ${last#fuzz-resp: SKIPPED: }"
elif [ "$fuzz_status" -eq 0 ] && [[ "$last" == "fuzz-resp: OK: "* ]]; then
  record "fuzz resp parser" 1 0 0
else
  tail -30 "$results/fuzz.log"
  record "fuzz resp parser" 0 1 0 "$results/fuzz.log"
fi
echo "$last"

finish
