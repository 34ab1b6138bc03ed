#!/usr/bin/env bash
# scripts/queue-crash-test.sh [--cycles N] [--appendfsync always|everysec|no] [--seed S]
# [--binary PATH] [--workload queue|zsets|mixed|scripts|streams]: the kill -9 crash loop for a
# reliable queue on lists (or for sorted-set counters, or both; or for Lua scripts moving value
# between keys; or for a stream read by a consumer group). Runs tests/queue_crash_checker.py
# against a release stashd: --binary PATH, else $STASHD_RELEASE (scripts/test.sh sets it), else
# build/release/stashd after scripts/build.sh release.
#   - stashd on a free 127.0.0.1 port, fresh data directory under /tmp, appendfsync always by
#     default, small memtables and SSTables so that flushes, log switches and compactions happen;
#   - each cycle, 2 producer connections RPUSH unique jobs onto "queue" (in bursts, so that the
#     queue runs dry now and then) and 4 consumer connections alternate LMOVE and BLMOVE from
#     "queue" to "processing" and acknowledge each job with LREM processing 1 job; every RPUSH,
#     move and LREM reply is logged; SIGKILL at a random moment 0.2-2 s into the cycle; restart
#     on the same directory; both lists are read back and judged (the oracle is described at the
#     top of tests/queue_crash_checker.py: no acknowledged job lost, none present twice or after
#     its acknowledged LREM, none invented, no moved job back in "queue", LLEN = LRANGE length);
#     the jobs left in "processing" are then moved back to "queue" and the next cycle starts;
#   - after the last cycle, a clean stop (SIGTERM), restart and one more verification.
# Sorted sets: --workload zsets runs, instead of the queue's workers, 3 (--zset-writers N) writer
# connections that each own a sorted set "board:<w>" and send it one command at a time: ZINCRBY
# by an integer, ZADD (absolute scores, sometimes several pairs), ZREM, ZPOPMIN (rarely of every
# member); the oracle knows each board's exact state after every acknowledged reply and the state
# the command unanswered at the kill would leave. After each restart each board must hold one of
# those two states, read back with ZRANGE/ZREVRANGE 0 -1 WITHSCORES, ZRANGEBYSCORE -inf +inf,
# ZREVRANGEBYSCORE, ZSCAN, ZMSCORE, which must agree (scores ordered, ties by member bytes, no
# member twice), and ZCARD/EXISTS/TYPE must match (details at the top of
# tests/queue_crash_checker.py); the writers continue from the verified state. --workload mixed
# runs the queue's workers and the zset writers together.
# Scripts: --workload scripts runs, alone, 3 (--script-writers N) writer connections that move
# value between 8 accounts "acct:0".."acct:7" (set to 1000 each by one EVAL before the first
# cycle) with a Lua transfer script, one transfer at a time: SCRIPT LOAD (in the first cycle,
# never in the second, now and then later), then EVALSHA, and EVAL when the restarted server's
# empty script cache answers NOSCRIPT. KEYS = from, to, "ledger", "seq"; ARGV = amount, a unique
# transfer id "tx:<n>": the script refuses with an error reply (naming the balance it saw) when
# from holds less than amount, else DECRBY from, INCRBY to, RPUSH ledger id, INCR seq, and
# returns the new seq. After each restart and the final clean restart: the balances sum to 8000,
# none is negative, LLEN ledger = GET seq, no id is twice in the ledger, every acknowledged
# transfer is in it (at index seq - 1), every id in it was sent and not refused, only each
# writer's one transfer unanswered at the kill may be there or not, and the balances are the
# replay of the ledger (details at the top of tests/queue_crash_checker.py).
# Streams: --workload streams runs, alone, on the stream "jobs" and its consumer group "workers"
# (XGROUP CREATE jobs workers $ MKSTREAM before the first cycle): 2 (--producers N) producer
# connections XADD jobs * job <unique id> (in bursts, as the queue's producers push; an entry is
# acknowledged once XADD replied its ID); 4 (--consumers N) consumers "consumer:<i>" alternate
# XREADGROUP GROUP workers consumer:<i> COUNT n STREAMS jobs > with and without BLOCK and send
# XACK jobs workers <id> for each entry (acknowledged once it replied :1), but now and then
# "crash" on an entry and never acknowledge it; at the start of a cycle half of them first
# re-read their own pending entries (XREADGROUP ... STREAMS jobs 0) and acknowledge them; a
# reaper connection takes over every entry pending for 100 ms (those of the consumers killed
# with the server, or left by a "crash") with XAUTOCLAIM, or XPENDING IDLE and XCLAIM, and
# acknowledges them. After each restart and the final clean restart: every acknowledged XADD's
# entry is in XRANGE - + at its ID (and every entry of the last verification), no job is in two
# entries or was never sent; no ID whose XACK replied :1 is pending again; whatever a reply
# delivered, re-read or claimed and no XACK was sent for is still pending, owned by the
# consumer the last reply named it to; XPENDING's summary count, its extended form (in all and
# per consumer), the per-consumer counts, XINFO CONSUMERS, XINFO GROUPS and XINFO STREAM FULL
# agree, each pending entry in exactly one consumer's list, in the stream and <=
# last-delivered-id; XLEN = the XRANGE count = XINFO STREAM length, entries-added = its last
# verified value + the new entries, lag = the entries after last-delivered-id (details at the
# top of tests/queue_crash_checker.py). Between cycles the entries every consumer is done with
# are trimmed (XTRIM jobs MINID <first entry pending or not yet delivered>), as an application
# would, so that the stream stays small.
# Prints one line per cycle, then
#   N cycles, A acknowledged pushes, 0 lost, 0 duplicated, 0 invented
# (with zsets: ..., 0 invented, Z acknowledged zset ops, 0 zset violations; with scripts:
#   N cycles, T acknowledged transfers, 0 lost, 0 duplicated, 0 invented, 0 invariant violations
# with streams:
#   N cycles, A acknowledged XADDs, K acknowledged XACKs, 0 lost, 0 duplicated, 0 invented,
#   0 acks undone, 0 stream violations)
# and exits 0; any violation (also a wrong reply or a server that does not restart) prints the
# seed and what was wrong, keeps the work directory (data, server log) and exits 1.
#
# Short form (CI; tests/queue_crash_test.py): scripts/queue-crash-test.sh --cycles 10, and
# scripts/queue-crash-test.sh --cycles 10 --workload zsets (or --workload scripts, or
# --workload streams)
# Long form (about 1.5 s per cycle): scripts/queue-crash-test.sh --cycles 200, and
#   scripts/queue-crash-test.sh --cycles 200 --workload streams
#
# Negative check (the oracle must be able to fail): the hidden --inject-loss removes one job
# that must exist (LREM on a separate connection) after the first restart, before verifying;
# the run must report "1 lost" and exit 1. With --workload zsets it removes (ZREM) one member
# that both possible states of a board hold instead (mixed: both), and the run must report
# "1 zset violations" and exit 1; with --workload scripts it removes (LREM) one acknowledged
# transfer's id from the ledger, and the run must report "1 lost" and exit 1; with --workload
# streams it deletes (XDEL) one entry whose XADD was acknowledged, and the run must report
# "1 lost" and exit 1; --inject unack (streams only) makes an entry whose XACK replied :1
# pending again (XCLAIM ... FORCE), the run must report "1 acks undone"; --inject ack
# acknowledges (XACK) an entry that must still be pending, the run must report the
# pending-lost violation:
#   scripts/queue-crash-test.sh --cycles 2 --inject-loss; echo "exit $?"      # expect: exit 1
#   scripts/queue-crash-test.sh --cycles 2 --workload zsets --inject-loss     # expect: exit 1
#   scripts/queue-crash-test.sh --cycles 2 --workload scripts --inject-loss   # expect: exit 1
#   scripts/queue-crash-test.sh --cycles 2 --workload streams --inject-loss   # expect: exit 1
#   scripts/queue-crash-test.sh --cycles 2 --workload streams --inject unack  # expect: exit 1
#   scripts/queue-crash-test.sh --cycles 2 --workload streams --inject ack    # expect: exit 1
#
# Other options are passed to the checker: --producers N (default 2), --consumers N (default 4),
# --workload queue|zsets|mixed|scripts|streams (default queue), --zset-writers N (default 3),
# --script-writers N (default 3),
# --kill-min S / --kill-max S (default 0.2 / 2), --memtable-size SIZE (default 256kb), --keep
# (keep the work directory even on success).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: scripts/queue-crash-test.sh [--cycles N] [--appendfsync always|everysec|no]" \
    "[--seed S] [--binary PATH] [--workload queue|zsets|mixed|scripts|streams]" >&2
  exit 2
}

cycles=10
appendfsync=always
seed=""
binary="${STASHD_RELEASE:-}"
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cycles) [ $# -ge 2 ] || usage; cycles="$2"; shift 2 ;;
    --cycles=*) cycles="${1#*=}"; shift ;;
    --appendfsync) [ $# -ge 2 ] || usage; appendfsync="$2"; shift 2 ;;
    --appendfsync=*) appendfsync="${1#*=}"; shift ;;
    --seed) [ $# -ge 2 ] || usage; seed="$2"; shift 2 ;;
    --seed=*) seed="${1#*=}"; shift ;;
    --binary) [ $# -ge 2 ] || usage; binary="$2"; shift 2 ;;
    --binary=*) binary="${1#*=}"; shift ;;
    --inject-loss|--keep) extra+=("$1"); shift ;;
    --producers|--consumers|--kill-min|--kill-max|--memtable-size|--workload|--zset-writers|\
    --script-writers|--inject)
      [ $# -ge 2 ] || usage; extra+=("$1" "$2"); shift 2 ;;
    --producers=*|--consumers=*|--kill-min=*|--kill-max=*|--memtable-size=*|--workload=*)
      extra+=("$1"); shift ;;
    --zset-writers=*|--script-writers=*|--inject=*) extra+=("$1"); shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
[[ "$cycles" =~ ^[1-9][0-9]*$ ]] || { echo "--cycles needs a positive integer" >&2; usage; }
case "$appendfsync" in always|everysec|no) ;; *) usage ;; esac
[ -n "$seed" ] || seed=$((RANDOM << 15 | RANDOM))

if [ -z "$binary" ]; then
  scripts/build.sh release
  binary=build/release/stashd
fi

# A hard bound whatever happens (a cycle takes a few seconds; restarts wait at most 60 s). On
# SIGTERM the checker kills its stashd and removes its temporary directory.
limit=$((300 + cycles * 90))
exec timeout --foreground -k 20 "$limit" /usr/bin/python3 tests/queue_crash_checker.py \
  --binary "$binary" --cycles "$cycles" --appendfsync "$appendfsync" --seed "$seed" \
  ${extra[@]+"${extra[@]}"}
