#!/usr/bin/env bash
# scripts/bench-load.sh [--keys N] [--size BYTES] [--gets N] [--servers stash,redis] [--big]
#                       [--out DIR] [-- STASHD-FLAGS...]
# A bulk load, then random reads, against StashDB and a stock redis-server (Debian package), one
# after the other, each started by this script on a free loopback port with its log on
# (StashDB --appendfsync everysec; Redis appendonly yes + appendfsync everysec):
#   load: redis-benchmark SET -n KEYS -r KEYS -P 16 -c 50 -d SIZE   (random keys: about 63% of
#         KEYS distinct), default 10,000,000 SETs of 100 bytes
#   read: redis-benchmark GET -n GETS -r KEYS -P 16 -c 50, default 2,000,000
# While it runs, a sampler records every second the server's RSS (/proc), INFO used_memory and
# commands per second, and a probe sends a PING every 10 ms on its own connection and records the
# slowest answer. Then it kills the server with SIGKILL and restarts it on the same data, timing
# how long until it answers PING (StashDB replays its write-ahead log, Redis its AOF). It prints
# per server and phase: requests/s, redis-benchmark's max latency, the probe's max latency, RSS
# and used_memory at the end, and the restart's seconds; and writes DIR/bench-load.csv (the
# samples), DIR/bench-load-summary.csv and DIR/bench-load.png (RSS and throughput over time).
#   --big   50,000,000 keys of 200 bytes (StashDB only unless --servers says otherwise)
#   -- ...  extra stashd flags (e.g. -- --lsm-block-cache-size 64mb)
# A benchmark, not a test: no thresholds. Default DIR: build/bench.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh bench
[ -n "${NO_BUILD:-}" ] || scripts/build.sh release

keys=10000000; size=100; gets=2000000; servers=stash,redis; out=build/bench; extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) keys=$2; shift ;;
    --size) size=$2; shift ;;
    --gets) gets=$2; shift ;;
    --servers) servers=$2; shift ;;
    --big) keys=50000000; size=200; servers=stash ;;
    --out) out=$2; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"
work=$(mktemp -d /tmp/bench-load.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
source scripts/bench-common.sh

samples="$out/bench-load.csv"
summary="$out/bench-load-summary.csv"
echo "server,phase,seconds,rss_mb,used_memory_mb,ops_per_sec" >"$samples"
echo "server,phase,requests,rps,max_latency_ms,ping_max_ms,pings_over_100ms,rss_mb,used_memory_mb,restart_s" >"$summary"

# sampler SERVER PID PORT PHASE-FILE: one line per second into $samples until killed ($!).
sampler() {
  python3 - "$@" "$samples" >/dev/null 2>&1 <<'PY' &
import socket, sys, time
server, pid, port, phase_file, out = sys.argv[1:6]
def info():
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    s.sendall(b"INFO\r\n")
    data = b""
    while True:
        data += s.recv(1 << 16)
        head, _, rest = data.partition(b"\r\n")
        if head.startswith(b"$") and len(rest) >= int(head[1:]):
            break
    s.close()
    return dict(l.split(":", 1) for l in rest.decode().splitlines() if ":" in l)
start = time.time()
last = None
while True:
    try:
        rss = int(open(f"/proc/{pid}/statm").read().split()[1]) * 4096
        i = info()
        cmds = int(i["total_commands_processed"]); now = time.time()
        rate = 0 if last is None else (cmds - last[0]) / (now - last[1])
        last = (cmds, now)
        phase = open(phase_file).read().strip()
        with open(out, "a") as f:
            f.write(f"{server},{phase},{now - start:.1f},{rss / 2**20:.1f},"
                    f"{int(i['used_memory']) / 2**20:.1f},{rate:.0f}\n")
    except (OSError, KeyError, ValueError):
        pass
    time.sleep(1)
PY
}

# probe PORT RESULT-FILE: PING every 10 ms; on SIGTERM writes "max_ms over_100ms" ($!).
probe() {
  python3 - "$@" >/dev/null 2>&1 <<'PY' &
import signal, socket, sys, time
port, result = sys.argv[1:3]
s = socket.create_connection(("127.0.0.1", int(port)))
worst = 0.0; slow = 0
def stop(*_):
    open(result, "w").write(f"{worst * 1000:.1f} {slow}\n"); sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    t = time.perf_counter()
    s.sendall(b"PING\r\n")
    buf = b""
    while not buf.endswith(b"\r\n"):
        buf += s.recv(64)
    d = time.perf_counter() - t
    worst = max(worst, d); slow += d > 0.1
    time.sleep(0.01)
PY
}

info_field() { redis-cli -p "$1" INFO memory | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }'; }

start_server() {  # start_server stash|redis PORT: sets pid; returns once PING answers PONG
  if [ "$1" = stash ]; then
    build/release/stashd --port "$2" --dir "$work/stash" --appendfsync everysec "${extra[@]}" \
      >>"$work/stash.log" 2>&1 &
  else
    redis-server --port "$2" --dir "$work" --save '' --appendonly yes --appendfsync everysec \
      --daemonize no >>"$work/redis.log" 2>&1 &
  fi
  pid=$!; pids+=("$pid")
  wait_up "$2" "$pid" "$work/$1.log" 600
}

run_server() {  # run_server stash|redis
  local who=$1 port pid
  port=$(free_port)
  start_server "$who" "$port"
  echo load >"$work/phase"
  local sp pp
  sampler "$who" "$pid" "$port" "$work/phase"; sp=$!; pids+=("$sp")
  for phase in load read; do
    echo "$phase" >"$work/phase"
    probe "$port" "$work/probe"; pp=$!; pids+=("$pp")
    local t=set n=$keys
    [ "$phase" = read ] && t=get n=$gets
    redis-benchmark -p "$port" -t "$t" -n "$n" -r "$keys" -P 16 -c 50 -d "$size" -q --csv 2>/dev/null \
      >"$work/bench.csv"
    kill "$pp"; wait "$pp" 2>/dev/null || true
    python3 - "$who" "$phase" "$n" "$work/bench.csv" "$work/probe" \
      "$(awk '{print $2 * 4096}' /proc/"$pid"/statm)" "$(info_field "$port" used_memory)" \
      >>"$summary" <<'PY'
import csv, sys
who, phase, n, bench, probe, rss, used = sys.argv[1:8]
row = next(csv.DictReader(open(bench)))
ping_max, slow = open(probe).read().split()
print(f"{who},{phase},{n},{float(row['rps']):.0f},{row['max_latency_ms']},{ping_max},{slow},"
      f"{int(rss) / 2**20:.1f},{int(used) / 2**20:.1f},")
PY
    tail -1 "$summary"
  done
  kill "$sp"
  # Restart after kill -9 with the data just written (StashDB replays its write-ahead log, Redis
  # its AOF): seconds until PING answers PONG.
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  local t0 t1
  t0=$(date +%s.%N)
  start_server "$who" "$port"
  t1=$(date +%s.%N)
  echo "$who,restart,,,,,,$(awk '{print $2 * 4096 / 1048576}' /proc/"$pid"/statm),$(info_field "$port" used_memory | awk '{print $1 / 1048576}'),$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" >>"$summary"
  tail -1 "$summary"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "load: $keys SETs of $size bytes (-r $keys -P 16 -c 50), then $gets GETs; servers: $servers"
echo "server,phase,requests,rps,max_latency_ms,ping_max_ms,pings_over_100ms,rss_mb,used_memory_mb,restart_s"
for who in ${servers//,/ }; do run_server "$who"; done

python3 - "$summary" <<'PY'
import csv, sys
rows = {(r["server"], r["phase"]): r for r in csv.DictReader(open(sys.argv[1]))}
for phase in ("load", "read"):
    s, r = rows.get(("stash", phase)), rows.get(("redis", phase))
    if s and r:
        print(f"{phase}: StashDB/Redis throughput {float(s['rps']) / float(r['rps']):.2f}x, "
              f"RSS {float(s['rss_mb']) / float(r['rss_mb']):.2f}x")
PY

gnuplot <<GP
set terminal pngcairo size 1000,700 noenhanced
set output "$out/bench-load.png"
set datafile separator ","
set multiplot layout 2,1 title "bench-load: $keys SETs of $size bytes, then $gets GETs"
set ylabel "RSS (MB)"; set key top left
plot for [s in "stash redis"] "< grep '^".s.",' $samples" using 3:4 with lines title s." RSS", \
     for [s in "stash redis"] "< grep '^".s.",' $samples" using 3:5 with lines dashtype 2 title s." used_memory"
set ylabel "commands/s"; set xlabel "seconds"
plot for [s in "stash redis"] "< grep '^".s.",' $samples" using 3:6 with lines title s
unset multiplot
GP
echo "wrote $samples, $summary, $out/bench-load.png"
