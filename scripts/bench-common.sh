# scripts/bench-common.sh: sourced by scripts/bench-redis.sh and scripts/bench-load.sh.

# free_port: prints a free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_up PORT PID LOG [SECONDS]: returns once the server on PORT answers PING with PONG; exits
# with its log's tail if process PID dies first or SECONDS (default 10) pass (a restart that
# replays a large log or AOF needs more).
wait_up() {
  local tries=$(( ${4:-10} * 20 ))
  for _ in $(seq 1 "$tries"); do
    redis-cli -h 127.0.0.1 -p "$1" PING 2>/dev/null | grep -q PONG && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.05
  done
  echo "server on port $1 did not come up; its log:" >&2; tail -20 "$3" >&2; exit 1
}
