#!/usr/bin/env bash
# scripts/bench-redis.sh [-n N] [-P PIPELINE] [-c CLIENTS] [-r KEYSPACE] [-t TESTS] [--rounds R]
#                        [--appendfsync MODE]
# redis-benchmark against StashDB and against a stock redis-server (Debian package), both
# started by this script on free loopback ports, alternating A/B for R rounds; prints the median
# requests/sec per test and the ratio StashDB / Redis. StashDB persists every write to its log
# (appendfsync everysec by default); Redis runs with appendonly yes + appendfsync everysec so both
# keep a log. Without -r every request of a test uses one key (redis-benchmark's default); -r N
# spreads them over N random keys. A benchmark, not a test: no thresholds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release

n=100000; pipeline=16; clients=50; rounds=3; fsync=everysec; keyspace=()
tests=ping_inline,ping_mbulk,set,get,incr,mset
while [ $# -gt 0 ]; do
  case "$1" in
    -n) n=$2; shift ;;
    -P) pipeline=$2; shift ;;
    -c) clients=$2; shift ;;
    -t) tests=$2; shift ;;
    -r) keyspace=(-r "$2"); shift ;;
    --rounds) rounds=$2; shift ;;
    --appendfsync) fsync=$2; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

work=$(mktemp -d /tmp/bench-redis.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sp=$(free_port); rp=$(free_port)
build/release/stashd --port "$sp" --dir "$work/stash" --appendfsync "$fsync" >"$work/stashd.log" 2>&1 &
spid=$!
redis-server --port "$rp" --dir "$work" --save '' --appendonly yes --appendfsync "$fsync" \
  --daemonize no >"$work/redis.log" 2>&1 &
rpid=$!
trap 'kill $spid $rpid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for p in "$sp" "$rp"; do
  for _ in $(seq 1 100); do redis-cli -p "$p" PING 2>/dev/null | grep -q PONG && break; sleep 0.1; done
done

run() {  # run NAME PORT
  redis-benchmark -p "$2" -n "$n" -P "$pipeline" -c "$clients" -t "$tests" "${keyspace[@]}" -q --csv 2>/dev/null |
    tr -d '"' | awk -F, -v who="$1" 'NR > 1 && $2 + 0 > 0 { print who, $1, $2 }' >>"$work/results"
}
echo "redis-benchmark -n $n -P $pipeline -c $clients -t $tests ${keyspace[*]}; appendfsync $fsync; $rounds rounds"
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then run stash "$sp"; run redis "$rp"; else run redis "$rp"; run stash "$sp"; fi
done
python3 - "$work/results" <<'PY'
import statistics, sys
rows = []
for l in open(sys.argv[1]):
    if l.strip():
        who, rest = l.split(" ", 1)
        name, value = rest.rsplit(" ", 1)
        rows.append((who, name, value))
tests = []
for r in rows:
    if r[1] not in tests: tests.append(r[1])
print("%-24s %14s %14s %8s" % ("test", "StashDB rps", "Redis rps", "ratio"))
for t in tests:
    s = [float(r[2]) for r in rows if r[0] == "stash" and r[1] == t]
    k = [float(r[2]) for r in rows if r[0] == "redis" and r[1] == t]
    if s and k:
        print("%-24s %14.0f %14.0f %7.2fx" % (t, statistics.median(s), statistics.median(k),
                                            statistics.median(s) / statistics.median(k)))
PY
