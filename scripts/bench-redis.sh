#!/usr/bin/env bash
# scripts/bench-redis.sh [-n N] [-P DEPTHS] [-c CLIENTS] [-r KEYSPACE] [-d BYTES] [-t TESTS]
#                        [--rounds R] [--appendfsync MODE] [--out DIR] [--group-commit]
#                        [--collections] [--lists] [--zsets] [--publish SUBSCRIBERS] [--eval]
#                        [--streams]
# redis-benchmark against StashDB and against a stock redis-server (Debian package), both started
# by this script on free loopback ports, each keeping a log: StashDB --appendfsync MODE, Redis
# --appendonly yes --appendfsync MODE --save ''. MODE is everysec by default; always makes every
# write wait for an fsync (StashDB group-commits those of concurrent clients).
# Default: -t set,get,incr,mset -n 100000 -c 50 -r 1000000 -d 100, run at each pipeline depth of
# -P (a comma list, default 16,1), R rounds (default 3) alternating which server goes first.
# -r 0 drops -r: every request of a test then uses one key. For every (test, depth) it prints the
# median requests/s of each server, the ratio StashDB / Redis, the median p99 latency (ms) of each
# and the difference StashDB p99 - Redis p99, and writes
#   DIR/bench-redis.csv  test,pipeline,stash_rps,redis_rps,ratio,stash_p99_ms,redis_p99_ms
#   DIR/bench-redis.png  the ratios as bars, with a line at 1.0 (= Redis)
# (DIR: --out, default build/bench).
# --collections: the collection tests of redis-benchmark, -t hset,sadd,spop -r 100000 -P 16 (the
#   random part of each field or member drawn from 100,000; -t -r -P are ignored).
# --lists: the list tests of redis-benchmark, -t lpush,rpush,lpop,rpop,lrange_100 -r 1000 -P 16
#   (1,000 lists, so that LRANGE reads lists of about 100 elements; -t -r -P are ignored).
# --zsets: the sorted set tests, -t zadd,zpopmin -r 100000 -P 16 (one sorted set whose members
#   are drawn from 100,000; -t -r -P are ignored).
# --publish S: Pub/Sub, redis-benchmark PUBLISH bench <-d bytes> while S subscribers on each
#   server (scripts/pubsub-drain.py, one process per server) read every message; -P 16,1 by
#   default, -t -r ignored. Test name in the CSV: "PUBLISH (S subscribers)".
# --eval: scripting, EVALSHA of a script doing one GET and one SET of KEYS[1] (SCRIPT LOADed on
#   both servers first), -r 100000 -P 16 by default.
# --streams: streams, redis-benchmark with custom commands: XADD bench:stream * f <-d bytes> (one
#   stream that grows) and XRANGE bench:range - + COUNT 100 (a stream of 1,000 entries of -d bytes
#   added first on both servers); -P 16,1 by default, -t -r ignored. Tests "XADD", "XRANGE 100".
# --group-commit: StashDB alone, appendfsync always, SET -P 1 at -c 50 and at -c 1 (-t -P -c and
#   --appendfsync are ignored), R rounds alternating which goes first; prints the median rps and
#   p99 of each and the ratio (-c 50 rps) / (-c 1 rps) (the goal is >= 20x). Its CSV has the one
#   row "SET always c50/c1": stash_rps and stash_p99_ms of -c 50, ratio c50/c1, redis_* empty; the
#   PNG shows that ratio against a line at 1.0 (= -c 1). Both overwrite the files of a plain run.
# A benchmark, not a test: no thresholds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh bench
[ -n "${NO_BUILD:-}" ] || scripts/build.sh release

n=100000; pipelines=16,1; clients=50; keyspace=1000000; size=100; rounds=3; fsync=everysec
tests=set,get,incr,mset; out=build/bench; group_commit=; collections=; lists=; zsets=; publish=; evalsha=; streams=
while [ $# -gt 0 ]; do
  case "$1" in
    -n) n=$2; shift ;;
    -P) pipelines=$2; shift ;;
    -c) clients=$2; shift ;;
    -t) tests=$2; shift ;;
    -r) keyspace=$2; shift ;;
    -d) size=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --appendfsync) fsync=$2; shift ;;
    --out) out=$2; shift ;;
    --group-commit) group_commit=1 ;;
    --collections) collections=1 ;;
    --lists) lists=1 ;;
    --zsets) zsets=1 ;;
    --eval) evalsha=1 ;;
    --streams) streams=1 ;;
    --publish) publish=$2; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
for v in "$n" "$clients" "$keyspace" "$size" "$rounds"; do
  [[ $v =~ ^[0-9]+$ ]] || { echo "not a number: $v" >&2; exit 2; }
done
[[ $pipelines =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "-P wants depths like 16,1" >&2; exit 2; }
[ "$rounds" -ge 1 ] || { echo "--rounds must be >= 1" >&2; exit 2; }
if [ -n "$group_commit" ]; then fsync=always; tests="set"; pipelines=1; fi
if [ -n "$collections" ]; then tests=hset,sadd,spop; keyspace=100000; pipelines=16; fi
if [ -n "$lists" ]; then tests=lpush,rpush,lpop,rpop,lrange_100; keyspace=1000; pipelines=16; fi
if [ -n "$zsets" ]; then tests=zadd,zpopmin; keyspace=100000; pipelines=16; fi
if [ -n "$evalsha" ]; then tests=evalsha; keyspace=100000; fi
if [ -n "$streams" ]; then tests=xadd,xrange; keyspace=0; fi
if [ -n "$publish" ]; then
  [[ $publish =~ ^[0-9]+$ ]] || { echo "--publish wants a number of subscribers" >&2; exit 2; }
  tests=publish; keyspace=0
fi
keyopt=()
[ "$keyspace" = 0 ] || keyopt=(-r "$keyspace")

mkdir -p "$out"
csv=$out/bench-redis.csv; png=$out/bench-redis.png
work=$(mktemp -d /tmp/bench-redis.XXXXXX)
spid=; rpid=; drains=
trap 'kill $drains $spid $rpid 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT
source scripts/bench-common.sh
sp=$(free_port)
build/release/stashd --bind 127.0.0.1 --port "$sp" --dir "$work/stash" --appendfsync "$fsync" \
  >"$work/stashd.log" 2>&1 &
spid=$!
wait_up "$sp" "$spid" "$work/stashd.log"
if [ -z "$group_commit" ]; then
  rp=$(free_port); mkdir "$work/redis"
  redis-server --bind 127.0.0.1 --port "$rp" --dir "$work/redis" --save '' --appendonly yes \
    --appendfsync "$fsync" --daemonize no >"$work/redis.log" 2>&1 &
  rpid=$!
  wait_up "$rp" "$rpid" "$work/redis.log"
fi

if [ -n "$publish" ]; then
  # The subscribers: each server gets its own reader process, which must stay up throughout.
  payload=$(head -c "$size" /dev/zero | tr '\0' x)
  for port in "$sp" "$rp"; do
    python3 scripts/pubsub-drain.py "$port" "$publish" bench >"$work/drain-$port.log" 2>&1 &
    drains="$drains $!"
  done
  for port in "$sp" "$rp"; do
    for _ in $(seq 100); do
      [ "$(redis-cli -p "$port" PUBSUB NUMSUB bench | tail -1)" = "$publish" ] && break
      sleep 0.1
    done
  done
fi

# bench WHO PORT PID PIPELINE CLIENTS TESTS: one redis-benchmark run; appends to $work/results
# "who,pipeline,clients,test,rps,p99_ms" per test, taking the columns of its --csv by header name.
bench() {
  local who=$1 port=$2 pid=$3 p=$4 c=$5 t=$6 what=(-t "$6")
  [ "$t" = publish ] && what=(PUBLISH bench "$payload")
  [ "$t" = evalsha ] && what=(EVALSHA "$sha" 1 "key:__rand_int__" "$payload")
  [ "$t" = xadd ] && what=(XADD bench:stream '*' f "$payload")
  [ "$t" = xrange ] && what=(XRANGE bench:range - + COUNT 100)
  if ! redis-benchmark -h 127.0.0.1 -p "$port" -n "$n" -P "$p" -c "$c" -d "$size" \
      "${keyopt[@]}" -q --csv "${what[@]}" >"$work/rb.csv" 2>"$work/rb.err" \
      || ! kill -0 "$pid" 2>/dev/null; then
    echo "redis-benchmark against $who (-P $p -c $c -t $t) failed:" >&2
    cat "$work/rb.err" >&2; tail -20 "$work/$who"*.log >&2; exit 1
  fi
  python3 - "$who" "$p" "$c" "$work/rb.csv" >>"$work/results" <<'PY'
import csv, sys
who, p, c, path = sys.argv[1:5]
rows = list(csv.DictReader(open(path)))
for col in ("test", "rps", "p99_latency_ms"):
    if not rows or col not in rows[0]:
        sys.exit(f"redis-benchmark --csv: no column {col!r} in {open(path).read()!r}")
subs = __import__("os").environ.get("PUBLISH_SUBSCRIBERS")
for r in rows:
    if subs and r["test"].upper().startswith("PUBLISH"):
        r["test"] = f"PUBLISH ({subs} subscribers)"
    if r["test"].upper().startswith("EVALSHA"):
        r["test"] = "EVALSHA GET+SET"
    for name, label in (("XADD", "XADD"), ("XRANGE", "XRANGE 100")):
        if r["test"].upper().startswith(name):
            r["test"] = label
    if float(r["rps"]) > 0:
        print(f'{who},{p},{c},{r["test"].replace(",", ";")},{r["rps"]},{r["p99_latency_ms"]}')
    else:
        print(f"warning: {who} {r['test']} -P {p} -c {c}: rps {r['rps']}", file=sys.stderr)
PY
}

if [ -n "$evalsha" ]; then
  payload=$(head -c "$size" /dev/zero | tr '\0' x)
  script="redis.call('get', KEYS[1]) return redis.call('set', KEYS[1], ARGV[1])"
  sha=$(redis-cli -p "$sp" SCRIPT LOAD "$script")
  [ "$(redis-cli -p "$rp" SCRIPT LOAD "$script")" = "$sha" ] || { echo "SCRIPT LOAD differs" >&2; exit 1; }
fi
if [ -n "$streams" ]; then
  payload=$(head -c "$size" /dev/zero | tr '\0' x)
  for port in "$sp" "$rp"; do
    for i in $(seq 1000); do echo "XADD bench:range * f $payload"; done | redis-cli -p "$port" >/dev/null
    [ "$(redis-cli -p "$port" XLEN bench:range)" = 1000 ] || { echo "XRANGE setup failed" >&2; exit 1; }
  done
fi
export PUBLISH_SUBSCRIBERS=$publish
keydesc=${keyopt[*]:-"(no -r: one key)"}
echo "StashDB $(build/release/stashd --version | head -1); $(redis-server --version | cut -d' ' -f1-3)"
: >"$work/results"
if [ -n "$group_commit" ]; then
  echo "group commit: StashDB alone, appendfsync always, redis-benchmark -t set -n $n -P 1 -d $size" \
    "$keydesc at -c 50 and -c 1; $rounds rounds"
  for r in $(seq 1 "$rounds"); do
    if [ $((r % 2)) = 1 ]; then order="50 1"; else order="1 50"; fi
    for c in $order; do bench stash "$sp" "$spid" 1 "$c" set; done
  done
else
  echo "redis-benchmark -t $tests -n $n -P $pipelines -c $clients -d $size $keydesc;" \
    "appendfsync $fsync; $rounds rounds"
  for r in $(seq 1 "$rounds"); do
    for p in ${pipelines//,/ }; do
      # Custom commands (streams) run one test per redis-benchmark call.
      for t in $([ -n "$streams" ] && echo "${tests//,/ }" || echo "$tests"); do
        if [ $((r % 2)) = 1 ]; then
          bench stash "$sp" "$spid" "$p" "$clients" "$t"; bench redis "$rp" "$rpid" "$p" "$clients" "$t"
        else
          bench redis "$rp" "$rpid" "$p" "$clients" "$t"; bench stash "$sp" "$spid" "$p" "$clients" "$t"
        fi
      done
    done
  done
fi

# Report: the table on stdout, the CSV, and the bar data and axis ranges for gnuplot.
python3 - "$work/results" "$csv" "$work/chart.dat" "${group_commit:-0}" <<'PY'
import csv, statistics, sys
results, out_csv, chart, group_commit = sys.argv[1:5]
rows = [l.rstrip("\n").split(",") for l in open(results) if l.strip()]
med = lambda xs: statistics.median(xs) if xs else None
def pick(who, p, c, test, field):
    i = {"rps": 4, "p99": 5}[field]
    return med([float(r[i]) for r in rows if r[0] == who and r[1] == p and r[2] == c and r[3] == test])
out = []  # (test, pipeline, stash_rps, redis_rps, ratio, stash_p99, redis_p99)
if group_commit == "1":
    s50, s1 = pick("stash", "1", "50", "SET", "rps"), pick("stash", "1", "1", "SET", "rps")
    p50, p1 = pick("stash", "1", "50", "SET", "p99"), pick("stash", "1", "1", "SET", "p99")
    if s50 is None or s1 is None:
        sys.exit("no SET results")
    print("%-10s %14s %12s" % ("SET -P 1", "StashDB rps", "p99 ms"))
    print("%-10s %14.0f %12.3f" % ("-c 50", s50, p50))
    print("%-10s %14.0f %12.3f" % ("-c 1", s1, p1))
    print("group commit: (-c 50 rps) / (-c 1 rps) = %.2fx (goal >= 20x)" % (s50 / s1))
    out.append(("SET always c50/c1", "1", s50, None, s50 / s1, p50, None))
else:
    keys = []
    for r in rows:
        if (r[3], r[1]) not in keys:
            keys.append((r[3], r[1]))
    print("%-16s %4s %13s %13s %7s %12s %12s %10s" % ("test", "-P", "StashDB rps", "Redis rps",
          "ratio", "StashDB p99", "Redis p99", "p99 diff"))
    for test, p in keys:
        c = rows[0][2]
        s, k = pick("stash", p, c, test, "rps"), pick("redis", p, c, test, "rps")
        sp, kp = pick("stash", p, c, test, "p99"), pick("redis", p, c, test, "p99")
        if s is None or k is None:
            print("%-16s %4s  missing a result (StashDB %s, Redis %s)" % (test, p, s, k))
            continue
        print("%-16s %4s %13.0f %13.0f %6.2fx %12.3f %12.3f %+10.3f"
              % (test, p, s, k, s / k, sp, kp, sp - kp))
        out.append((test, p, s, k, s / k, sp, kp))
    print("(p99 in ms; p99 diff = StashDB p99 - Redis p99; ratio = StashDB rps / Redis rps)")
fmt = lambda v, f: "" if v is None else f % v
with open(out_csv, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["test", "pipeline", "stash_rps", "redis_rps", "ratio", "stash_p99_ms", "redis_p99_ms"])
    for t, p, s, k, ratio, sp, kp in out:
        w.writerow([t, p, fmt(s, "%.0f"), fmt(k, "%.0f"), fmt(ratio, "%.3f"), fmt(sp, "%.3f"),
                    fmt(kp, "%.3f")])
with open(chart, "w") as f:
    for t, p, s, k, ratio, sp, kp in out:
        label = t if group_commit == "1" else "%s -P %s" % (t.split(" ")[0], p)
        f.write('"%s" %.3f\n' % (label, ratio))
pad = 0.6 if len(out) >= 3 else 1.5  # keep a lone bar narrow
with open(chart + ".range", "w") as f:
    f.write("set xrange [%.1f:%.1f]; set yrange [0:%.3f]\n"
            % (-pad, len(out) - 1 + pad, max([1.25] + [1.15 * r[4] for r in out])))
PY

if [ -s "$work/chart.dat" ]; then
  if gnuplot -e 'set terminal pngcairo' 2>/dev/null; then term=pngcairo; else term=png; fi
  if [ -n "$group_commit" ]; then
    ref="StashDB -c 1"
    title="StashDB SET, appendfsync always, -P 1: rps at -c 50 / rps at -c 1 (median of $rounds)"
  else
    ref="Redis"
    title="StashDB / Redis requests/s, appendfsync $fsync, -c $clients -d $size $keydesc (median of $rounds)"
  fi
  gnuplot <<GP
set terminal $term size 1000,600
set output "$png"
set title "$title"
set ylabel "ratio"
$(cat "$work/chart.dat.range")
set style fill solid 0.6 border -1
set boxwidth 0.6
set xtics rotate by -30 nomirror
set grid ytics
unset key
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb "red" front
set rmargin 14
set label "$ref" at graph 1, first 1 left offset 1,0 tc rgb "red" front
plot "$work/chart.dat" using 0:2:xtic(1) with boxes lc rgb "#4477aa", \
     "" using 0:2:(sprintf("%.2fx", \$2)) with labels offset 0,0.7
GP
  echo "wrote $csv and $png"
else
  echo "no results to chart; wrote $csv"
fi
