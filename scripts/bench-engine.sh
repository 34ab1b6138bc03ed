#!/usr/bin/env bash
# scripts/bench-engine.sh [--num=N] [--rounds=R] [other db_bench flags]
# Runs StashDB's stash_bench and RocksDB's db_bench (Debian rocksdb-tools) with the same flags,
# alternating A/B for R rounds on this (shared, noisy) machine, and prints the median ops/sec of
# each benchmark for both and the ratio StashDB / RocksDB. A benchmark, not a test: no thresholds.
# Defaults: 1M keys of 16 bytes, 100-byte values, zstd, 10 bloom bits, 3 rounds.
# BENCH_VERBOSE=1 also prints every run's result lines (to stderr).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh bench
scripts/build.sh release

num=1000000
rounds=3
extra=()
for a in "$@"; do
  case "$a" in
    --num=*) num="${a#--num=}" ;;
    --rounds=*) rounds="${a#--rounds=}" ;;
    *) extra+=("$a") ;;
  esac
done
benchmarks=fillseq,fillrandom,overwrite,readrandom,readseq
work=$(mktemp -d /tmp/bench-engine.XXXXXX)
trap 'rm -rf "$work"' EXIT
common=(--num="$num" --benchmarks="$benchmarks" --key_size=16 --value_size=100
        --compression_type=zstd --bloom_bits=10 --cache_size=$((256 << 20))
        --write_buffer_size=$((64 << 20)) "${extra[@]}")

run() {  # run ENGINE ROUND
  local out="$work/$1.$2.txt"
  if [ "$1" = stash ]; then
    build/release/stash_bench --db="$work/db-stash" "${common[@]}" >"$out" 2>&1
  else
    db_bench --db="$work/db-rocks" "${common[@]}" >"$out" 2>&1
  fi
  grep -E 'micros/op' "$out" | sed -E 's/^([a-z]+) *: *[0-9.]+ micros\/op ([0-9]+) ops\/sec.*/\1 \2/' \
    | sed "s/^/$1 /" >>"$work/results"
  rm -rf "$work/db-$1"
  [ -n "${BENCH_VERBOSE:-}" ] && grep -E "micros/op" "$out" | sed "s/^/$1 round $2: /" >&2 || true
}

echo "engine benchmark: num=$num rounds=$rounds (alternating StashDB / RocksDB $(db_bench --version 2>/dev/null | head -1))"
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then run stash "$r"; run rocks "$r"; else run rocks "$r"; run stash "$r"; fi
  echo "round $r done"
done

python3 - "$work/results" "$benchmarks" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
print("%-12s %14s %14s %8s" % ("benchmark", "StashDB ops/s", "RocksDB ops/s", "ratio"))
for b in sys.argv[2].split(","):
    s = [int(r[2]) for r in rows if r[0] == "stash" and r[1] == b]
    k = [int(r[2]) for r in rows if r[0] == "rocks" and r[1] == b]
    if not s or not k:
        print("%-12s missing results" % b); continue
    ms, mk = statistics.median(s), statistics.median(k)
    print("%-12s %14d %14d %7.2fx" % (b, ms, mk, ms / mk))
PY
