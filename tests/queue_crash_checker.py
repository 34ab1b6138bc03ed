#!/usr/bin/python3
"""kill -9 crash loop for a reliable queue on lists, with an oracle of acknowledged pushes,
moves and acknowledgements (also for sorted-set counters, for Lua scripts that move value
between keys, and for a stream read by a consumer group: see below). Run it through
scripts/queue-crash-test.sh, which documents the options.

One cycle: P producer connections RPUSH unique jobs "job:<n>" onto "queue" (mostly one job per
round trip, sometimes 2-8 pipelined RPUSHes or one RPUSH of several jobs, in bursts of 0.05-0.2 s
between pauses of 0.1-0.4 s, so that the queue runs dry); C consumer connections alternate LMOVE and
BLMOVE (random ends, BLMOVE timeouts 0, 0.1 or 1 s) from "queue" to "processing", and acknowledge
each job they got with LREM processing 1 job. After a random 0.2-2 s stashd gets SIGKILL, is
restarted on the same data directory (appendfsync always by default) and both lists are read
back and judged. Then the jobs left in "processing" are moved back to "queue" (LMOVE, as a
reaper would) and the next cycle starts on that state. After the last cycle stashd is also
stopped cleanly (SIGTERM), restarted and verified once more.

The log, per cycle: a job is recorded as sent before its RPUSH's bytes are written and as
acknowledged when the RPUSH reply arrived; as moved when an LMOVE/BLMOVE reply naming it arrived;
as LREM-sent before the LREM is written and as done when the reply :1 arrived. Each consumer also
records whether a move of its own was unanswered at the kill.

The oracle, after each restart. Counting each job's occurrences across queue + processing:
  - a job present twice, or present after its LREM was acknowledged (or after an earlier cycle
    found it removed) is duplicated;
  - a job that must exist -- present at the start of the cycle (verified then), or its RPUSH
    acknowledged, or a move reply named it -- and whose LREM was not sent must be present exactly
    once, else it is lost;
  - a job whose LREM was sent but not acknowledged is uncertain: present once or gone; so is a
    job whose RPUSH was sent and not acknowledged (and no move named it);
  - a present element that no producer ever sent, or whose unacknowledged RPUSH an earlier cycle
    found not applied, is invented;
  - a job a move reply named is not in "queue" (its LREM may have removed it from processing or
    not, but nothing moves it back during a cycle): found there, it is "unmoved";
  - "processing" holds at most as many jobs no move reply named as there were moves unanswered
    at the kill (else "phantom-move": a job in processing that nobody moved);
  - LLEN equals the length of LRANGE 0 -1 for both lists, EXISTS is 1 exactly when a list is not
    empty, and DBSIZE counts only these two keys ("length");
  - order ("out-of-order"): moves only take elements off the ends, so "queue" is what it held at
    the start of the cycle, in that order, followed by this cycle's pushes, each producer's in
    the order it pushed them (interleaved).
The observed state then becomes the next cycle's baseline: what is present must stay present.

The sorted-set counters workload (--workload zsets, or mixed: beside the queue workers): W writer
connections (--zset-writers, default 3) each own one sorted set "board:<w>" and send, one command
at a time, a random mix of ZINCRBY board <integer increment> member, ZADD board <score> member
(sometimes 2-4 pairs at once; scores mostly small integers so that ties are frequent, some halves,
-0, inf and -inf), ZREM board member (sometimes 2-3), ZPOPMIN board [2-3], and rarely
ZPOPMIN board 100, which empties the set (it is created again, under a new version). The members
come from a pool of 51, among them "", "x", "x\\0", "x\\xff", "x\\xff\\xff", "\\xff" (ties and the
escaped descending index) and one of 80 bytes (Redis's skiplist class). As the writer is the only
client of its key and waits for each reply, the oracle knows the exact state after every
acknowledged command (and checks each reply against it: ZINCRBY's new score, ZADD's and ZREM's
counts, the members and scores ZPOPMIN returns: else "zset-reply"), and for the one command in
flight at the kill the state it leaves when applied. After each restart every board is read back
with ZRANGE 0 -1 WITHSCORES, ZREVRANGE 0 -1 WITHSCORES, ZRANGEBYSCORE -inf +inf WITHSCORES,
ZREVRANGEBYSCORE +inf -inf WITHSCORES, a full ZSCAN (random COUNT 1-10, so several cursors), ZCARD,
ZMSCORE of the whole pool, EXISTS and TYPE, and judged:
  - "zset-state": ZRANGE's members and scores must be the state after the last acknowledged
    command, or after the unanswered one (applied or not, wholly: a multi-member ZADD or ZREM
    or a ZPOPMIN of several is all-or-nothing); else members are lost, resurrected or have a
    wrong score (the details name them);
  - "zset-order": ZRANGE ascending by score, ties by member bytes, no member twice;
  - "zset-reads": ZREVRANGE and ZREVRANGEBYSCORE are exactly ZRANGE reversed, ZRANGEBYSCORE is
    ZRANGE, ZSCAN returns each of ZRANGE's members once with its score, ZMSCORE gives each pool
    member ZRANGE's score (nil when absent), and every reply is well formed;
  - "zset-count": ZCARD equals the number of members each read returned, EXISTS is 1 and TYPE
    zset exactly when the set is not empty; DBSIZE counts the non-empty boards too.
The observed state then becomes the writer's state for the next cycle; after the clean stop each
board must hold exactly its last verified state.

The scripts workload (--workload scripts, alone): before the first cycle one EVAL sets the 8
accounts "acct:0".."acct:7" to 1000 each. Each cycle W writer connections (--script-writers,
default 3) send, one at a time, transfers through TRANSFER_SCRIPT (below) with KEYS = from, to
(two random distinct accounts), "ledger", "seq" and ARGV = amount (mostly 1-300, sometimes
300-1500, so that refusals are frequent), a transfer id "tx:<n>" unique over the run. The script
refuses with redis.error_reply("INSUFFICIENT <from> holds <balance>, transfer <id> needs
<amount>") when from holds less than amount; else it runs DECRBY from, INCRBY to, RPUSH ledger
id, INCR seq and returns the new seq. A writer sends it with EVALSHA; on NOSCRIPT it sends the
same transfer with EVAL (the script cache is not persistent: after a restart EVALSHA answers
NOSCRIPT until someone loads the script again). In the first cycle each writer SCRIPT LOADs first
(the reply must be the script's SHA-1), in the second none does (so that the EVAL fallback surely
runs), later each with probability 1/4. The log: a transfer is recorded before its bytes are
written, and its outcome when its reply arrived; each writer has at most one transfer
unanswered at the kill. Every reply is checked ("script-reply"): a new seq above the writer's
last one (and above the verified seq at the start of the cycle), or the refusal naming this
transfer's account, id and amount and a balance below the amount; NOSCRIPT after this
connection loaded the script (SCRIPT LOAD or EVAL) on this server counts too. After each
restart the accounts (MGET), LRANGE ledger 0 -1, LLEN ledger, GET seq, TYPE of each key and
DBSIZE are read back and judged:
  - "sum": the balances sum to 8 * 1000; "negative": none is below 0; "keys": each account
    holds an integer string, TYPEs are string / list (none while the ledger is empty) / string
    (none before the first transfer), DBSIZE counts only these keys;
  - "seq": LLEN ledger equals the length of LRANGE and GET seq (absent = 0);
  - "duplicated": an id twice in the ledger; "invented": an id in the ledger that no writer
    sent, whose script replied the refusal, or that was unanswered at an earlier kill and found
    absent then; "lost": an id of the ledger as last verified, or of a transfer whose script
    replied a seq, missing from it; a writer's transfer unanswered at the kill may be there
    (counted "found applied") or not;
  - "ledger-order": the ledger as last verified is its prefix, each acknowledged id is at
    index seq - 1, a writer's unanswered transfer comes after its acknowledged ones;
  - "balances": replaying the ledger's transfers, in its order, from 1000 each never takes an
    account below the amount it moves and gives exactly the balances read;
  - "refusal" (on a ledger with nothing lost, duplicated, invented or misplaced): a refused
    transfer followed by an acknowledged one of the same writer saw a balance (the one its
    error names) that the ledger's replay gives its account at some seq between the writer's
    previous acknowledged seq (or the cycle's start) and that next seq - 1.
The observed ledger then becomes the next cycle's baseline; after the clean stop the ledger and
the balances must be exactly those last verified.

The streams workload (--workload streams, alone): before the first cycle XGROUP CREATE jobs
workers $ MKSTREAM. Each cycle P producer connections (--producers) send XADD jobs [NOMKSTREAM] *
job <job:n> (n unique over the run; one per round trip or 2-8 pipelined, in bursts and pauses as
the queue's producers); an XADD is recorded as sent before its bytes are written and as
acknowledged, with its ID, when the reply arrived (each ID must be above the producer's last and
the verified last-generated-id). C consumer connections (--consumers), the consumers
"consumer:<i>" of the group "workers", alternate XREADGROUP GROUP workers consumer:<i> COUNT n
[BLOCK 0|100|1000] STREAMS jobs > (nil when nothing is new; else at most n entries, in order,
each holding exactly the field job) and send one XACK jobs workers <id> per entry it delivered
(the ack is acknowledged when it replied :1; :0 is allowed only when another connection also
sent an XACK of that ID, e.g. the reaper took the entry over meanwhile) -- except that with
probability 3% a consumer "crashes" on an entry and never acknowledges it. At the start of a
cycle each consumer, with probability 1/2, first re-reads its own pending entries (XREADGROUP ...
STREAMS jobs 0, then after the last ID re-read, until none is left) and acknowledges them, as a
restarted consumer does. One reaper connection (consumer "reaper") every 20-100 ms takes over
the entries pending for at least 100 ms (those of the consumers killed with the server, or left
by a "crash"): XAUTOCLAIM jobs workers reaper 100 <cursor> COUNT 1-10 (the reply: a cursor, the
entries claimed, no deleted IDs), or XPENDING jobs workers IDLE 100 - + 10 and XCLAIM jobs
workers reaper 100 <some of those IDs> [JUSTID] (only IDs it asked for), and acknowledges them.
Logged: each ">" reply's entries (delivered to that consumer), each re-read, each claim reply,
each XACK sent and its reply, and whether an XREADGROUP > (with its COUNT) or a claim was
unanswered at the kill. After each restart the stream is read back: XRANGE jobs - +, XREVRANGE
jobs + -, XLEN, XINFO STREAM, XINFO STREAM jobs FULL COUNT 0, XINFO GROUPS, XINFO CONSUMERS,
XPENDING jobs workers (the summary), XPENDING jobs workers - + 1000000 (all pending entries) and
the same per consumer, TYPE, EXISTS, DBSIZE; and judged:
  - "lost": an entry of the last verification, an acknowledged XADD's entry (at the ID it
    replied), or an entry a reply delivered, re-read or claimed, is not in XRANGE;
    "duplicated": a job in two entries, or an entry below the harness's last XTRIM MINID back;
    "invented": an entry whose job no producer sent (or whose unacknowledged XADD an earlier
    cycle found not applied), or not holding exactly the field job; an unacknowledged XADD may
    be there or not (counted "found applied");
  - "stream-order": XRANGE's IDs increase, a new entry's ID is above the last-generated-id at the
    start of the cycle and is the one its XADD replied, each producer's entries are in the order
    it sent them and its unanswered XADDs found applied are the first of them;
  - "ack-undone": an ID whose XACK replied :1 (this cycle or before), or was sent and found
    applied at an earlier verification, is pending again;
  - "pending-lost": an entry pending at the last verification, or delivered, re-read or claimed
    this cycle, that no XACK was sent for, is no longer pending;
  - "owner": a pending entry is owned by the consumer the last reply named it to: the reaper if
    a claim reply named it, else the consumer a ">" reply delivered it to, else its owner at the
    last verification; the reaper also when its claim was unanswered at the kill; an entry no
    reply named (delivered by an XREADGROUP unanswered at the kill) by such a consumer, and no
    more of them than those XREADGROUPs' COUNTs; a re-read entry was pending for that consumer;
  - "pending-counts": XPENDING's summary count = the number of entries of its extended form =
    the sum of its per-consumer counts = the sum of XINFO CONSUMERS' pending = XINFO GROUPS'
    pending = XINFO STREAM FULL's pel-count; the smallest and greatest IDs, each consumer's count
    and XPENDING - + <consumer> agree with the extended form, XINFO STREAM FULL's group PEL lists
    the same entries, owners and delivery counts, and each entry is in exactly one consumer's
    PEL there, its owner's;
  - "pending-range": the pending entries are in increasing order, each once, in the stream, at
    or below the group's last-delivered-id, with a delivery count not below its last verified
    one (1 for an entry delivered since) plus the claim replies (not JUSTID) naming it since;
  - "group-state": last-delivered-id is at or above every ID ">" delivered and its last verified
    value; every entry at or below it is pending or acknowledged (XACK replied or sent), lag is
    the number of entries above it, entries-read = entries-added - lag (nil only before the
    first delivery); the only consumers are consumer:<i> and reaper;
  - "redelivered": ">" delivered an entry twice, or one at or below the verified
    last-delivered-id;
  - "stream-length": XLEN = XRANGE's count = XINFO STREAM's length, entries-added = its
    verified value + the new entries (and at least the XADDs acknowledged so far),
    last-generated-id = the greatest ID (or its verified value), max-deleted-entry-id unchanged,
    recorded-first-entry-id, first-entry and last-entry = XRANGE's first and last, one group,
    TYPE stream, EXISTS 1, DBSIZE 1;
  - "stream-reads" (a malformed read), "stream-reply": a wrong reply (above), a claim of an entry
    that was not pending, a reply naming an entry with another job than the stream holds.
The observed stream and group then become the baseline, and the harness trims the entries every
consumer is done with: XTRIM jobs MINID <the first entry pending or above last-delivered-id>
(the reply must count the entries below it), as an application would, so that the stream stays
small over long runs. After the clean stop the stream, the pending entries and their owners,
last-delivered-id and XINFO STREAM must be exactly those last verified.

Exit status: 0 when every cycle verified, 1 on any violation (a wrong reply, e.g. an LREM of a
job this consumer just moved replying :0, counts too; the data directory and server log are then
kept and their path printed), 2 on a usage or harness error. The hidden --inject-loss removes one
job that must exist (LREM from its list, on a separate connection) after the first restart that
has one, before verifying, without telling the oracle (its producers do not pause, so the queue
is never empty at a kill): the run must then report 1 lost and exit 1. With --workload zsets it
removes (ZREM) instead one member that both possible states of a board hold (mixed: both): the run
must then report 1 zset violation ("zset-state", the member lost) and exit 1. With --workload
scripts it removes (LREM) one acknowledged transfer's id from the ledger (one whose script
replied this cycle, else one of the ledger as last verified): the run must then report 1 lost
(and, as the ledger no longer matches seq nor the balances, invariant violations) and exit 1.
With --workload streams it deletes (XDEL) one entry whose XADD was acknowledged (this cycle if
one is not pending, else one of the last verification): 1 lost (and a stream-length violation:
entries-added and max-deleted-entry-id no longer match). --inject unack (streams only) makes an
entry whose XACK replied :1 this cycle pending again (XCLAIM jobs workers reaper 0 <id> FORCE):
1 acks undone; --inject ack acknowledges (XACK) one entry that must still be pending: 1
pending-lost violation. Each exits 1 (--inject-loss is --inject loss).
"""
import argparse
import bisect
import collections
import hashlib
import os
import random
import re
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crash_checker import Conn, HarnessError, ReplyError, ServerFailed, \
    prepare, read_reply, run_guarded  # noqa: E402
from stashd import encode_command  # noqa: E402

QUEUE = b"queue"
PROCESSING = b"processing"
SIDES = (b"LEFT", b"RIGHT")
BLOCK_TIMEOUTS = (b"0", b"0.1", b"1")
MAX_JOBS_PER_CYCLE = 200000  # per producer: bounds memory whatever the speed
# The sorted-set workload: each writer's key and the members it draws from (see the top).
ZSET_POOL = [b"m%d" % i for i in range(44)] + [b"", b"x", b"x\x00", b"x\xff", b"x\xff\xff",
                                                b"\xff", b"y" * 80]
ZPOP_ALL = 100  # > len(ZSET_POOL): empties the set


class BadReply(Exception):
    pass


class JobIds:
    """Unique job (or transfer) names for the whole run, from any thread."""

    def __init__(self, prefix=b"job"):
        self.lock = threading.Lock()
        self.next = 0
        self.prefix = prefix

    def take(self, n):
        with self.lock:
            first = self.next
            self.next += n
        return [b"%s:%d" % (self.prefix, i) for i in range(first, first + n)]


class Worker:
    """A connection's thread body and its log for one cycle."""

    def __init__(self, name, rng):
        self.name = name
        self.rng = rng
        self.error = None       # why it stopped
        self.bad_reply = None

    def run(self, port):
        conn = None
        try:
            conn = Conn(port, timeout=20)
            self.work(conn)
            self.error = "stopped"
        except BadReply as e:
            self.bad_reply = "%s: %s" % (self.name, e)
            self.error = "bad reply"
        except (OSError, ConnectionError, ValueError) as e:
            self.error = "%s: %s" % (type(e).__name__, e)
        except Exception:  # a bug of this checker: a harness error
            self.error = "internal: " + traceback.format_exc()
        finally:
            if conn:
                conn.close()


class BurstProducer(Worker):
    """A producer of unique jobs (from ids) in bursts of 0.05-0.2 s separated by pauses of
    0.1-0.4 s (unless pauses is false); sent: the jobs whose command was (being) written."""

    def __init__(self, name, rng, ids, pauses):
        super().__init__(name, rng)
        self.ids = ids
        self.pauses = pauses
        self.sent = []

    def rounds(self):
        """Yields the jobs of each round trip (1, or 2-8), pausing between bursts, until
        MAX_JOBS_PER_CYCLE jobs were sent; the caller adds them to sent."""
        r = self.rng
        busy_until = time.monotonic() + r.uniform(0.05, 0.2)
        while len(self.sent) < MAX_JOBS_PER_CYCLE:
            if self.pauses and time.monotonic() > busy_until:
                # A pause: the consumers empty the queue (stream) and block until the next job.
                time.sleep(r.uniform(0.1, 0.4))
                busy_until = time.monotonic() + r.uniform(0.05, 0.2)
            yield self.ids.take(1 if r.random() < 0.7 else r.randint(2, 8))


class Producer(BurstProducer):
    """Pushes in bursts (BurstProducer), so that the queue runs dry now and then and the
    consumers' BLMOVEs block; sent: the jobs whose RPUSH was (being) written."""

    def __init__(self, name, rng, ids, pauses):
        super().__init__(name, rng, ids, pauses)
        self.acked = []         # jobs whose RPUSH reply arrived

    def work(self, conn):
        r = self.rng
        for jobs in self.rounds():
            if len(jobs) > 1 and r.random() < 0.2:
                cmds = [(b"RPUSH", QUEUE) + tuple(jobs)]
                groups = [jobs]
            else:
                cmds = [(b"RPUSH", QUEUE, j) for j in jobs]
                groups = [[j] for j in jobs]
            self.sent.extend(jobs)
            conn.sock.sendall(b"".join(encode_command(*c) for c in cmds))
            for cmd, group in zip(cmds, groups):
                got = read_reply(conn.file)
                if isinstance(got, ReplyError) or not isinstance(got, int) or got < len(group):
                    raise BadReply("%s replied %r" % (b" ".join(cmd).decode(), got))
                self.acked.extend(group)


class Consumer(Worker):
    def __init__(self, name, rng, blocking_first):
        super().__init__(name, rng)
        self.blocking = blocking_first
        self.moves = 0
        self.empty = 0          # moves that found the queue empty (BLMOVE: timed out)
        self.move_in_flight = False
        self.moved = []         # jobs a move reply named
        self.lrem_sent = []
        self.done = []          # jobs whose LREM replied :1

    def work(self, conn):
        r = self.rng
        while True:
            src, dst = r.choice(SIDES), r.choice(SIDES)
            if self.blocking:
                cmd = (b"BLMOVE", QUEUE, PROCESSING, src, dst, r.choice(BLOCK_TIMEOUTS))
            else:
                cmd = (b"LMOVE", QUEUE, PROCESSING, src, dst)
            self.blocking = not self.blocking
            self.move_in_flight = True
            job = conn.call(*cmd)
            self.move_in_flight = False
            self.moves += 1
            if job is None:
                self.empty += 1
                continue
            if isinstance(job, ReplyError) or not isinstance(job, bytes):
                raise BadReply("%s replied %r" % (b" ".join(cmd).decode(), job))
            self.moved.append(job)
            self.lrem_sent.append(job)
            got = conn.call(b"LREM", PROCESSING, b"1", job)
            if got != 1:
                raise BadReply("LREM processing 1 %s replied %r right after %s returned it"
                               % (job.decode(), got, b" ".join(cmd).decode()))
            self.done.append(job)


def zset_key(w):
    return b"board:%d" % w


def zset_order(state):
    """A sorted set's {member: score} as [(member, score)] in ZRANGE's order."""
    return sorted(state.items(), key=lambda ms: (ms[1], ms[0]))


def show_member(member):
    return repr(member)[1:] if len(member) <= 24 else "%r...(%d bytes)" % (member[:12],
                                                                          len(member))


def show_zset(state, limit=8):
    items = zset_order(state)
    text = " ".join("%s=%s" % (show_member(m), repr(sc)) for m, sc in items[:limit])
    return "{%s%s}" % (text, " ... %d more" % (len(items) - limit) if len(items) > limit else "")


def show_cmd(cmd):
    return " ".join(show_member(a) for a in cmd)


class ZsetWriter(Worker):
    """Sends the sorted-set commands described at the top to its own key, one at a time, and
    keeps the exact state they leave."""

    def __init__(self, name, rng, key, state):
        super().__init__(name, rng)
        self.key = key
        self.state = dict(state)  # member -> score after the last acknowledged command
        self.acked = 0
        self.in_flight = None     # (command, state it leaves) while unanswered

    def score(self):
        """A ZADD score: (argument, value)."""
        r = self.rng.random()
        if r < 0.86:
            n = self.rng.randint(-20, 20)
            return b"%d" % n, float(n)
        if r < 0.96:
            v = self.rng.randint(-20, 20) + 0.5
            return repr(v).encode(), v
        if r < 0.98:
            return b"-0", -0.0
        return (b"inf", float("inf")) if r < 0.99 else (b"-inf", float("-inf"))

    def next_command(self):
        """(command, state after it, check(reply) -> complaint or None)."""
        r, key, state = self.rng.random(), self.key, self.state
        after = dict(state)
        if r < 0.45:
            member, incr = self.rng.choice(ZSET_POOL), self.rng.randint(-5, 5)
            after[member] = state.get(member, 0.0) + incr

            def check(got):
                return None if isinstance(got, bytes) and parse_score(got) == after[member] \
                    else "expected the new score %r" % after[member]
            return (b"ZINCRBY", key, b"%d" % incr, member), after, check
        if r < 0.72:
            members = self.rng.sample(ZSET_POOL, 1 if self.rng.random() < 0.85
                                      else self.rng.randint(2, 4))
            cmd = [b"ZADD", key]
            for m in members:
                arg, after[m] = self.score()
                cmd += [arg, m]
            added = sum(1 for m in members if m not in state)
            return tuple(cmd), after, lambda got: (
                None if got == added else "expected :%d (members added)" % added)
        if r < 0.90:
            members = self.rng.sample(ZSET_POOL, 1 if self.rng.random() < 0.85
                                      else self.rng.randint(2, 3))
            for m in members:
                after.pop(m, None)
            removed = sum(1 for m in members if m in state)
            return (b"ZREM", key) + tuple(members), after, lambda got: (
                None if got == removed else "expected :%d (members removed)" % removed)
        if r < 0.997:
            count = None if self.rng.random() < 0.7 else self.rng.randint(2, 3)
        else:
            count = ZPOP_ALL
        popped = zset_order(state)[:count or 1]
        for m, _ in popped:
            del after[m]
        cmd = (b"ZPOPMIN", key) + ((b"%d" % count,) if count else ())

        def check_pop(got):
            pairs = parse_pairs(got)
            return None if pairs == popped else "expected %s" % show_zset(dict(popped))
        return cmd, after, check_pop

    def work(self, conn):
        while True:
            cmd, after, check = self.next_command()
            self.in_flight = (cmd, after)
            got = conn.call(*cmd)
            if isinstance(got, ReplyError) or check(got):
                raise BadReply("%s replied %r, %s (state before: %s)" % (
                    show_cmd(cmd), got, check(got) or "an error", show_zset(self.state)))
            self.state = after
            self.in_flight = None
            self.acked += 1


def parse_score(b):
    """A score reply as a float (None if it is not one)."""
    try:
        return float(b) if isinstance(b, bytes) and b.strip() == b else None
    except ValueError:
        return None


def parse_pairs(reply):
    """A WITHSCORES reply [member, score, ...] as [(member, score)]; None if malformed."""
    if not isinstance(reply, list) or len(reply) % 2:
        return None
    pairs = []
    for member, score in zip(reply[::2], reply[1::2]):
        value = parse_score(score)
        if not isinstance(member, bytes) or value is None:
            return None
        pairs.append((member, value))
    return pairs


# ----------------------------------------------------------------------------- verification

class Verdict:
    ZSET_CATEGORIES = ("zset-state", "zset-order", "zset-reads", "zset-count", "zset-reply")
    # The scripts workload's invariant violations (its lost, duplicated and invented transfers
    # count as lost, duplicated and invented).
    SCRIPT_CATEGORIES = ("sum", "negative", "seq", "ledger-order", "balances", "refusal", "keys",
                         "script-reply")
    # The streams workload's (its lost, duplicated and invented entries count as lost,
    # duplicated and invented; "ack-undone" is reported apart, the others as stream violations).
    STREAM_CATEGORIES = ("ack-undone", "pending-lost", "owner", "pending-counts", "pending-range",
                         "group-state", "redelivered", "stream-order", "stream-length",
                         "stream-reads", "stream-reply")
    CATEGORIES = ("lost", "duplicated", "invented", "unmoved", "phantom-move", "length",
                  "out-of-order", "bad-reply", "restart", "clean-stop", "hang") + \
        ZSET_CATEGORIES + SCRIPT_CATEGORIES + STREAM_CATEGORIES

    def __init__(self):
        self.counts = {c: 0 for c in self.CATEGORIES}
        self.details = []

    def add(self, category, text):
        self.counts[category] += 1
        self.details.append((category, text))

    def __bool__(self):
        return any(self.counts.values())

    def summary(self):
        return "ok" if not self else "VIOLATIONS " + ", ".join(
            "%d %s" % (n, c) for c, n in self.counts.items() if n)


class CycleLog:
    """The union of one cycle's producer and consumer logs (empty for the final clean restart)."""

    def __init__(self, producers=(), consumers=()):
        self.sent = {j for p in producers for j in p.sent}
        self.push_order = {j: (i, n) for i, p in enumerate(producers)
                           for n, j in enumerate(p.sent)}  # job -> (producer, its n-th push)
        self.acked = {j for p in producers for j in p.acked}
        self.moved = {j for c in consumers for j in c.moved}
        self.lrem_sent = {j for c in consumers for j in c.lrem_sent}
        self.done = {j for c in consumers for j in c.done}
        self.moves_in_flight = sum(1 for c in consumers if c.move_in_flight)
        self.moves = sum(c.moves for c in consumers)
        self.empty = sum(c.empty for c in consumers)


class Oracle:
    """What the run has established so far, across cycles."""

    def __init__(self):
        self.pending = set()    # present once at the last verification: must stay
        self.ever_sent = set()  # every job some RPUSH carried
        self.finished = set()   # removed by an LREM (acknowledged, or sent and then found gone)
        self.queue_order = {}   # job -> its position in "queue" at the start of the cycle

    def must_exist(self, log):
        """Jobs that must be present once after this cycle (before any LREM of theirs)."""
        return (self.pending | log.acked | log.moved) - log.lrem_sent

    def verify(self, log, state, verdict, other_keys=0):
        """other_keys: how many other keys (the non-empty boards) DBSIZE counts."""
        queue, processing = state["queue"], state["processing"]
        counts = collections.Counter(queue + processing)
        in_queue = set(queue)
        known = self.pending | log.sent
        for job, n in sorted(counts.items()):
            if job not in known:
                if job in self.finished:
                    verdict.add("duplicated", "%s is present (%d time(s)), but an earlier cycle "
                                "saw its LREM done" % (job.decode(), n))
                else:
                    verdict.add("invented", "%s is present (%d time(s)), but %s" % (
                        job.decode(), n, "an earlier cycle found its unacknowledged RPUSH not "
                        "applied" if job in self.ever_sent else "no producer ever sent it"))
                continue
            if n > 1:
                verdict.add("duplicated", "%s is present %d times (queue %d, processing %d)" % (
                    job.decode(), n, queue.count(job), processing.count(job)))
            elif job in log.done:
                verdict.add("duplicated", "%s is still in %s after its LREM replied :1" % (
                    job.decode(), "queue" if job in in_queue else "processing"))
            if job in log.moved and job in in_queue:
                verdict.add("unmoved", "%s is in queue, but a move reply named it" % job.decode())
        for job in sorted(self.must_exist(log) - set(counts)):
            why = ("present at the last verification" if job in self.pending else
                   "its RPUSH was acknowledged" if job in log.acked else "a move reply named it")
            verdict.add("lost", "%s is gone and its LREM was never sent (%s)" % (job.decode(),
                                                                                 why))
        unexplained = [j for j in processing if j not in log.moved]
        if len(unexplained) > log.moves_in_flight:
            verdict.add("phantom-move", "processing holds %d job(s) no move reply named (%s), "
                        "but only %d move(s) were unanswered at the kill" % (
                            len(unexplained), ", ".join(j.decode() for j in unexplained[:5]),
                            log.moves_in_flight))
        for name in ("queue", "processing"):
            items, llen, exists = state[name], state[name + "_llen"], state[name + "_exists"]
            if llen != len(items) or exists != (1 if items else 0):
                verdict.add("length", "%s: LLEN %r, LRANGE 0 -1 has %d elements, EXISTS %r" % (
                    name, llen, len(items), exists))
        self.check_order(log, queue, verdict)
        lists = (1 if queue else 0) + (1 if processing else 0)
        if state["dbsize"] != lists + other_keys:
            verdict.add("length", "DBSIZE %r, but %d list(s)%s exist and nothing else was written"
                        % (state["dbsize"], lists, " and %d sorted set(s)" % other_keys
                           if other_keys else ""))

    def check_order(self, log, queue, verdict):
        """Reports the first element of queue out of the order described at the top."""
        last_old, first_new, last_pushed = (-1, None), None, {}
        for i, job in enumerate(queue):
            if job in self.queue_order:
                pos = self.queue_order[job]
                if first_new is not None or pos < last_old[0]:
                    why = ("after %s, pushed this cycle" % first_new.decode()
                           if first_new is not None else "after %s, which was behind it at the "
                           "start of the cycle" % last_old[1].decode())
                    break
                last_old = (pos, job)
            elif job in log.push_order:
                producer, n = log.push_order[job]
                if n < last_pushed.get(producer, (-1, None))[0]:
                    why = "after %s, which producer %d pushed later" % (
                        last_pushed[producer][1].decode(), producer)
                    break
                last_pushed[producer] = (n, job)
                first_new = first_new or job
        else:
            return
        verdict.add("out-of-order", "queue[%d] = %s is %s (queue: %s)" % (
            i, job.decode(), why, " ".join(j.decode() for j in queue[max(0, i - 3):i + 3])))

    def advance(self, log, state):
        """After a verified cycle, what was observed is the baseline."""
        present = set(state["queue"]) | set(state["processing"])
        self.ever_sent |= log.sent
        self.finished |= log.done | (log.lrem_sent - present)
        self.pending = present


def read_state(conn):
    replies = conn.pipeline([(b"LRANGE", QUEUE, b"0", b"-1"), (b"LRANGE", PROCESSING, b"0", b"-1"),
                             (b"LLEN", QUEUE), (b"LLEN", PROCESSING), (b"EXISTS", QUEUE),
                             (b"EXISTS", PROCESSING), (b"DBSIZE",)])
    for r in replies:
        if isinstance(r, ReplyError):
            raise HarnessError("reading the lists: %s" % r)
    keys = ("queue", "processing", "queue_llen", "processing_llen", "queue_exists",
            "processing_exists", "dbsize")
    return dict(zip(keys, replies))


def inject_loss(conn, oracle, log):
    """Removes one job that must exist, behind the oracle's back; returns a description."""
    state = read_state(conn)
    for name, key in (("queue", QUEUE), ("processing", PROCESSING)):
        must = oracle.must_exist(log)
        for job in state[name]:
            if job in must:
                if conn.call(b"LREM", key, b"1", job) != 1:
                    raise HarnessError("inject-loss: LREM %s 1 %s did not remove it"
                                       % (name, job.decode()))
                return "removed acknowledged job %s from %s" % (job.decode(), name)
    return None


def requeue(conn, oracle):
    """Moves the jobs left in processing back to queue, as a reaper would, and notes the queue's
    order for the next cycle; returns how many jobs were moved."""
    n = 0
    while True:
        job = conn.call(b"LMOVE", PROCESSING, QUEUE, b"RIGHT", b"LEFT")
        if job is None:
            break
        if isinstance(job, ReplyError) or job not in oracle.pending:
            raise HarnessError("requeue: LMOVE processing queue RIGHT LEFT replied %r" % (job,))
        n += 1
    left = conn.pipeline([(b"LLEN", PROCESSING), (b"EXISTS", PROCESSING)])
    if left != [0, 0]:
        raise HarnessError("requeue: processing still has LLEN/EXISTS %r" % (left,))
    queue = conn.call(b"LRANGE", QUEUE, b"0", b"-1")
    if isinstance(queue, ReplyError) or set(queue) != oracle.pending:
        raise HarnessError("requeue: queue does not hold the pending jobs: %r" % (queue[:10],))
    oracle.queue_order = {job: i for i, job in enumerate(queue)}
    return n


class ZsetLog:
    """One writer's cycle: its key's state at the start, after the last acknowledged command,
    and the command unanswered at the kill with the state it leaves (None if there was none)."""

    def __init__(self, key, start, writer=None):
        self.key = key
        self.start = start
        self.acked_state = writer.state if writer else start
        self.in_flight = writer.in_flight if writer else None
        self.acked = writer.acked if writer else 0

    def candidates(self):
        """(what, state) pairs the key may hold now."""
        out = [("after the last acknowledged command", self.acked_state)]
        if self.in_flight:
            out.append(("after the unanswered %s" % show_cmd(self.in_flight[0]),
                        self.in_flight[1]))
        return out


class ZsetOracle:
    """Each board's verified state, across cycles."""

    def __init__(self, writers):
        self.keys = [zset_key(w) for w in range(writers)]
        self.states = {k: {} for k in self.keys}
        self.applied = 0        # unanswered commands found applied, over the run
        self.unanswered = 0

    def verify(self, logs, observed, verdict):
        """Judges each board (observed: read_zsets); returns how many of the unanswered commands
        were found applied."""
        applied = 0
        for log in logs:
            obs = observed[log.key]
            key = log.key.decode()
            ranged = obs["range"]
            if ranged is None:
                verdict.add("zset-reads", "%s: ZRANGE 0 -1 WITHSCORES replied %r" % (
                    key, obs["raw_range"]))
                continue
            self.check_reads(key, obs, ranged, verdict)
            state = dict(ranged)
            matches = [what for what, cand in log.candidates() if cand == state]
            if not matches:
                verdict.add("zset-state", "%s: %s" % (key, self.explain(log, state)))
            elif log.in_flight and matches[0] != log.candidates()[0][0]:
                applied += 1
        return applied

    @staticmethod
    def explain(log, state):
        """How state differs from the nearest state the board may hold."""
        diffs = []
        for what, expected in log.candidates():
            lost = sorted(m for m in expected if m not in state)
            extra = sorted(m for m in state if m not in expected)
            wrong = sorted(m for m in state if m in expected and state[m] != expected[m])
            diffs.append((len(lost) + len(extra) + len(wrong), what, expected, lost, extra,
                          wrong))
        _, what, expected, lost, extra, wrong = min(diffs, key=lambda d: d[0])
        parts = []
        if lost:
            parts.append("lost %s" % " ".join(
                "%s=%r" % (show_member(m), expected[m]) for m in lost))
        if extra:
            parts.append("resurrected or invented %s" % " ".join(
                "%s=%r%s" % (show_member(m), state[m], " (present at the start of the cycle)"
                             if m in log.start else "") for m in extra))
        if wrong:
            parts.append("wrong score %s" % " ".join(
                "%s=%r (expected %r)" % (show_member(m), state[m], expected[m]) for m in wrong))
        text = "%s (%d command(s) acknowledged this cycle), compared with the nearest state " \
            "the board may hold, %s %s; found %s" % (
                "; ".join(parts), log.acked, what, show_zset(expected), show_zset(state))
        if len(diffs) > 1:
            text += " (the other: %s)" % "; ".join(
                "%s %s" % (d[1], show_zset(d[2])) for d in diffs if d[1] != what)
        return text

    @staticmethod
    def check_reads(key, obs, ranged, verdict):
        members = [m for m, _ in ranged]
        dup = sorted(m for m, n in collections.Counter(members).items() if n > 1)
        if dup:
            verdict.add("zset-order", "%s: ZRANGE returns %s more than once" % (
                key, " ".join(show_member(m) for m in dup)))
        for i in range(1, len(ranged)):
            a, b = ranged[i - 1], ranged[i]
            if not (a[1], a[0]) < (b[1], b[0]):
                verdict.add("zset-order", "%s: ZRANGE has %s=%r before %s=%r" % (
                    key, show_member(a[0]), a[1], show_member(b[0]), b[1]))
                break
        rev = list(reversed(ranged))
        for name, want in (("ZREVRANGE 0 -1 WITHSCORES", rev),
                           ("ZRANGEBYSCORE -inf +inf WITHSCORES", ranged),
                           ("ZREVRANGEBYSCORE +inf -inf WITHSCORES", rev)):
            got = obs[name]
            if got != want:
                verdict.add("zset-reads", "%s: %s is %s, ZRANGE 0 -1 WITHSCORES%s is %s" % (
                    key, name, show_zset(dict(got)) if got is not None else "malformed",
                    " reversed" if want is rev else "", show_zset(dict(want))))
        scan = obs["scan"]
        if scan is None:
            verdict.add("zset-reads", "%s: a ZSCAN reply is malformed: %r" % (key,
                                                                              obs["raw_scan"]))
        elif sorted(scan) != sorted(ranged):
            verdict.add("zset-reads", "%s: ZSCAN returns %d member(s)%s, ZRANGE %s" % (
                key, len(scan), " (%s more than once)" % " ".join(
                    show_member(m) for m, n in collections.Counter(m for m, _ in scan).items()
                    if n > 1) if len(set(m for m, _ in scan)) < len(scan) else "",
                "%s: %s" % (show_zset(dict(scan)), show_zset(dict(ranged)))))
        mscore = obs["ZMSCORE"]
        want = dict(ranged)
        if not isinstance(mscore, list) or len(mscore) != len(ZSET_POOL):
            verdict.add("zset-reads", "%s: ZMSCORE of the pool replied %r" % (key, mscore))
        else:
            bad = [(m, got) for m, got in zip(ZSET_POOL, mscore)
                   if (None if got is None else parse_score(got)) != want.get(m)]
            if bad:
                verdict.add("zset-reads", "%s: ZMSCORE disagrees with ZRANGE: %s" % (
                    key, " ".join("%s: %r (ZRANGE %r)" % (show_member(m), got, want.get(m))
                                  for m, got in bad[:6])))
        n = len(ranged)
        counts = [("ZCARD", obs["ZCARD"], n), ("EXISTS", obs["EXISTS"], 1 if n else 0),
                  ("TYPE", obs["TYPE"], "zset" if n else "none")]
        counts += [("members of " + name, len(obs[name]), n) for name in
                   ("ZREVRANGE 0 -1 WITHSCORES", "ZRANGEBYSCORE -inf +inf WITHSCORES",
                    "ZREVRANGEBYSCORE +inf -inf WITHSCORES") if obs[name] is not None]
        if scan is not None:
            counts.append(("members of ZSCAN", len(scan), n))
        wrong = ["%s %r" % (what, got) for what, got, want in counts if got != want]
        if wrong:
            verdict.add("zset-count", "%s: ZRANGE 0 -1 returns %d member(s), but %s" % (
                key, n, ", ".join(wrong)))

    def advance(self, logs, observed):
        for log in logs:
            self.states[log.key] = dict(observed[log.key]["range"])


ZSET_READS = (("ZRANGE 0 -1 WITHSCORES", (b"ZRANGE", b"0", b"-1", b"WITHSCORES")),
              ("ZREVRANGE 0 -1 WITHSCORES", (b"ZREVRANGE", b"0", b"-1", b"WITHSCORES")),
              ("ZRANGEBYSCORE -inf +inf WITHSCORES",
               (b"ZRANGEBYSCORE", b"-inf", b"+inf", b"WITHSCORES")),
              ("ZREVRANGEBYSCORE +inf -inf WITHSCORES",
               (b"ZREVRANGEBYSCORE", b"+inf", b"-inf", b"WITHSCORES")))


def read_zsets(conn, keys, rng):
    """Each board read in the ways described at the top: key -> {read: parsed reply}."""
    out = {}
    for key in keys:
        cmds = [(c[0], key) + c[1:] for _, c in ZSET_READS]
        cmds += [(b"ZCARD", key), (b"EXISTS", key), (b"TYPE", key),
                 (b"ZMSCORE", key) + tuple(ZSET_POOL)]
        replies = conn.pipeline(cmds)
        obs = {name: parse_pairs(r) for (name, _), r in zip(ZSET_READS, replies)}
        obs["range"] = obs["ZRANGE 0 -1 WITHSCORES"]
        obs["raw_range"] = replies[0]
        obs["ZCARD"], obs["EXISTS"], obs["TYPE"], obs["ZMSCORE"] = replies[len(ZSET_READS):]
        scan, cursor, raw = [], b"0", None
        for _ in range(10000):
            raw = conn.call(b"ZSCAN", key, cursor, b"COUNT", b"%d" % rng.randint(1, 10))
            page = parse_pairs(raw[1]) if isinstance(raw, list) and len(raw) == 2 else None
            if page is None or not isinstance(raw[0], bytes):
                scan = None
                break
            scan += page
            cursor = raw[0]
            if cursor == b"0":
                break
        else:
            scan = None  # a cursor that never ends
        obs["scan"], obs["raw_scan"] = scan, raw
        out[key] = obs
    return out


def non_empty(observed):
    return sum(1 for obs in observed.values() if obs["range"])


def inject_zset_loss(conn, logs):
    """Removes one member that every state a board may hold has, behind the oracle's back;
    returns a description."""
    for log in logs:
        present = conn.call(b"ZRANGE", log.key, b"0", b"-1")
        if not isinstance(present, list):
            continue
        for member in present:
            if all(member in cand for _, cand in log.candidates()):
                if conn.call(b"ZREM", log.key, member) != 1:
                    raise HarnessError("inject-loss: ZREM %s %s did not remove it" % (
                        log.key.decode(), show_member(member)))
                return "removed acknowledged member %s from %s" % (show_member(member),
                                                                   log.key.decode())
    return None


# ----------------------------------------------------------------------------- scripts workload

ACCOUNTS = 8
INITIAL_BALANCE = 1000
LEDGER = b"ledger"
SEQ = b"seq"
# KEYS = {from, to, ledger, seq}, ARGV = {amount, transfer id}: refuses (an error reply naming
# the balance it saw) when from holds less than amount, else moves it, appends the id to the
# ledger and returns the new seq. tonumber(false or '0'): an absent account holds 0.
TRANSFER_SCRIPT = b"""\
local amount = tonumber(ARGV[1])
local balance = tonumber(redis.call('GET', KEYS[1]) or '0')
if balance < amount then
  return redis.error_reply('INSUFFICIENT ' .. KEYS[1] .. ' holds ' .. balance ..
                           ', transfer ' .. ARGV[2] .. ' needs ' .. amount)
end
redis.call('DECRBY', KEYS[1], amount)
redis.call('INCRBY', KEYS[2], amount)
redis.call('RPUSH', KEYS[3], ARGV[2])
return redis.call('INCR', KEYS[4])
"""
TRANSFER_SHA = hashlib.sha1(TRANSFER_SCRIPT).hexdigest().encode()
INIT_SCRIPT = b"for _, k in ipairs(KEYS) do redis.call('SET', k, ARGV[1]) end return #KEYS"
REFUSAL = re.compile(r"^INSUFFICIENT (\S+) holds (-?\d+), transfer (\S+) needs (\d+)$")


def account(i):
    return b"acct:%d" % i


class ScriptWriter(Worker):
    """Sends one transfer at a time through EVALSHA (EVAL after a NOSCRIPT) and checks each
    reply; keeps every transfer it sent with its outcome."""

    def __init__(self, name, rng, ids, start_seq, load_first):
        super().__init__(name, rng)
        self.ids = ids
        self.load_first = load_first  # SCRIPT LOAD before the first EVALSHA
        self.loaded = False           # this connection knows the script is cached
        self.last_seq = start_seq     # the seqs it is replied must increase from here
        self.ops = []                 # [id, from, to, amount, outcome]; outcome None while
        # unanswered, else ("ok", seq) or ("refused", balance the script saw)
        self.acked = 0
        self.refused = 0
        self.fallbacks = 0            # NOSCRIPT replies followed by EVAL

    def amount(self):
        r = self.rng.random()
        return self.rng.randint(1, 300) if r < 0.8 else self.rng.randint(300, 1500)

    def work(self, conn):
        if self.load_first:
            got = conn.call(b"SCRIPT", b"LOAD", TRANSFER_SCRIPT)
            if got != TRANSFER_SHA:
                raise BadReply("SCRIPT LOAD replied %r, not the script's SHA-1 %s" % (
                    got, TRANSFER_SHA.decode()))
            self.loaded = True
        while len(self.ops) < MAX_JOBS_PER_CYCLE:
            frm, to = self.rng.sample(range(ACCOUNTS), 2)
            amount = self.amount()
            tid = self.ids.take(1)[0]
            op = [tid, frm, to, amount, None]
            self.ops.append(op)
            args = (b"4", account(frm), account(to), LEDGER, SEQ, b"%d" % amount, tid)
            got = conn.call(b"EVALSHA", TRANSFER_SHA, *args)
            if isinstance(got, ReplyError) and got.startswith("NOSCRIPT"):
                if self.loaded:
                    raise BadReply("EVALSHA of transfer %s replied %r, but this connection had "
                                   "loaded the script on this server" % (tid.decode(), got))
                self.fallbacks += 1
                got = conn.call(b"EVAL", TRANSFER_SCRIPT, *args)
            op[4] = self.judge(op, got)
            self.loaded = True

    def judge(self, op, got):
        tid, frm, to, amount, _ = op
        what = "transfer %s (%d from acct:%d to acct:%d)" % (tid.decode(), amount, frm, to)
        if isinstance(got, int) and not isinstance(got, bool):
            if got <= self.last_seq:
                raise BadReply("%s replied seq %d, not above %d (this writer's last seq, or the "
                               "verified seq at the start of the cycle)" % (what, got,
                                                                           self.last_seq))
            self.last_seq = got
            self.acked += 1
            return ("ok", got)
        m = REFUSAL.match(got) if isinstance(got, ReplyError) else None
        if m and m.group(1) == account(frm).decode() and m.group(3) == tid.decode() and \
                int(m.group(4)) == amount and int(m.group(2)) < amount:
            self.refused += 1
            return ("refused", int(m.group(2)))
        raise BadReply("%s replied %r" % (what, got))

    def in_flight(self):
        return self.ops[-1] if self.ops and self.ops[-1][4] is None else None


class ScriptLog:
    """One cycle's transfers (empty for the final clean restart)."""

    def __init__(self, writers=()):
        self.ops = [list(w.ops) for w in writers]          # per writer, in the order sent
        self.transfers = {op[0]: tuple(op[1:4]) for ops in self.ops for op in ops}
        self.acked = {op[0]: op[4][1] for ops in self.ops for op in ops
                      if op[4] and op[4][0] == "ok"}       # id -> seq replied
        self.refused = {op[0]: op[4][1] for ops in self.ops for op in ops
                        if op[4] and op[4][0] == "refused"}
        self.in_flight = {w.in_flight()[0]: n for n, w in enumerate(writers) if w.in_flight()}
        self.fallbacks = sum(w.fallbacks for w in writers)
        self.loads = sum(1 for w in writers if w.load_first)


def held(history, lo, hi):
    """The balances an account held after lo..hi ledger entries (history: (positions,
    balances) at each change, position 0 first)."""
    positions, balances = history
    i = bisect.bisect_right(positions, lo) - 1
    out = {balances[i]}
    for j in range(i + 1, len(positions)):
        if positions[j] > hi:
            break
        out.add(balances[j])
    return out


class ScriptOracle:
    """The verified ledger and what is known of every transfer, across cycles."""

    def __init__(self):
        self.ledger = []          # at the last verification
        self.transfers = {}       # id -> (from, to, amount), every transfer ever sent
        self.refused = set()      # acknowledged refusals
        self.not_applied = set()  # unanswered at a kill and found absent
        self.balances = [INITIAL_BALANCE] * ACCOUNTS

    def seq(self):
        return len(self.ledger)

    def replay(self, ledger):
        """Applies ledger to the initial balances: (balances, history per account, first entry
        whose source held less than its amount or None); (None, None, None) when an entry is
        unknown."""
        bal = [INITIAL_BALANCE] * ACCOUNTS
        history = [([0], [INITIAL_BALANCE]) for _ in range(ACCOUNTS)]
        overdrawn = None
        for p, tid in enumerate(ledger):
            t = self.transfers.get(tid)
            if t is None:
                return None, None, None
            frm, to, amount = t
            if bal[frm] < amount and overdrawn is None:
                overdrawn = (p, tid, frm, amount, bal[frm])
            bal[frm] -= amount
            bal[to] += amount
            for a in (frm, to):
                history[a][0].append(p + 1)
                history[a][1].append(bal[a])
        return bal, history, overdrawn

    def verify(self, log, obs, verdict):
        """Judges the keys read back (read_scripts); returns how many transfers unanswered at
        the kill were found applied."""
        self.transfers.update(log.transfers)
        prev = self.ledger
        start = len(prev)
        ledger, balances = obs["ledger"], obs["balances"]
        bad_before = sum(verdict.counts[c] for c in ("lost", "duplicated", "invented",
                                                     "ledger-order"))
        # The balances: present integers summing to the initial total, none negative.
        total = 0
        for i, b in enumerate(balances):
            if b is None:
                verdict.add("keys", "acct:%d is not an integer: GET replied %r" % (
                    i, obs["raw_balances"][i]))
                continue
            total += b
            if b < 0:
                verdict.add("negative", "acct:%d holds %d" % (i, b))
        if total != INITIAL_BALANCE * ACCOUNTS:
            verdict.add("sum", "the balances %s sum to %d, not %d" % (
                show_balances(balances), total, INITIAL_BALANCE * ACCOUNTS))
        if ledger is None:
            verdict.add("keys", "LRANGE ledger 0 -1 replied %r" % (obs["raw_ledger"],))
            return 0
        # LLEN ledger == GET seq.
        if obs["seq"] is None or obs["llen"] != len(ledger) or obs["seq"] != len(ledger):
            verdict.add("seq", "LLEN ledger %r, LRANGE ledger 0 -1 has %d ids, GET seq %r" % (
                obs["llen"], len(ledger), obs["raw_seq"]))
        # Each id once, sent by a writer, and not refused or found unapplied before.
        counts = collections.Counter(ledger)
        in_prev = set(prev)
        for tid, n in counts.items():
            if n > 1:
                verdict.add("duplicated", "%s is in the ledger %d times (at %s)" % (
                    tid.decode(), n, ", ".join(
                        "%d" % i for i, t in enumerate(ledger) if t == tid)))
            if tid in in_prev or tid in log.acked or tid in log.in_flight:
                continue
            if tid not in self.transfers:
                why = "no writer ever sent it"
            elif tid in self.refused or tid in log.refused:
                why = "its script replied the refusal"
            elif tid in self.not_applied:
                why = "it was unanswered at a kill and an earlier cycle found it absent"
            else:
                why = "it was sent in an earlier cycle and not found then"
            verdict.add("invented", "%s is in the ledger, but %s" % (tid.decode(), why))
        # Every acknowledged transfer is there: the verified ledger, this cycle's replies.
        lost_prev = [t for t in prev if t not in counts]
        for tid in lost_prev:
            verdict.add("lost", "%s is gone from the ledger (present at the last "
                        "verification)" % tid.decode())
        for tid, seq in sorted(log.acked.items(), key=lambda ts: ts[1]):
            if tid not in counts:
                verdict.add("lost", "%s is not in the ledger, but its script replied seq %d"
                            % (tid.decode(), seq))
        # Order: the verified ledger is a prefix, each acknowledged id is at its seq - 1, a
        # writer's unanswered transfer comes after its acknowledged ones.
        if not lost_prev and ledger[:start] != prev:
            i = next(i for i, (a, b) in enumerate(zip(ledger, prev)) if a != b)
            verdict.add("ledger-order", "ledger[%d] is %s, but was %s at the last "
                        "verification" % (i, ledger[i].decode(), prev[i].decode()))
        misplaced = [(seq, tid) for tid, seq in log.acked.items()
                     if tid in counts and (seq > len(ledger) or ledger[seq - 1] != tid)]
        if misplaced:
            seq, tid = min(misplaced)
            verdict.add("ledger-order", "%d acknowledged transfer(s) not at their seq - 1, the "
                        "first: %s replied seq %d, ledger[%d] is %s" % (
                            len(misplaced), tid.decode(), seq, seq - 1, ledger[seq - 1].decode()
                            if seq <= len(ledger) else "beyond the end"))
        position = {t: i for i, t in enumerate(ledger)}
        applied = 0
        for tid, w in log.in_flight.items():
            if tid not in position:
                continue
            applied += 1
            mine = [log.acked[op[0]] for op in log.ops[w] if op[0] in log.acked]
            if mine and position[tid] < max(mine):
                verdict.add("ledger-order", "%s (unanswered at the kill) is at ledger[%d], "
                            "before the writer's acknowledged seq %d" % (
                                tid.decode(), position[tid], max(mine)))
        # The balances are the replay of the ledger, which never overdraws an account.
        replayed, history, overdrawn = self.replay(ledger)
        if replayed is not None:
            if overdrawn:
                p, tid, frm, amount, had = overdrawn
                verdict.add("balances", "ledger[%d] = %s moves %d from acct:%d, which held "
                            "only %d then" % (p, tid.decode(), amount, frm, had))
            if replayed != balances:
                verdict.add("balances", "the balances %s are not the replay of the ledger's "
                            "%d transfers %s" % (show_balances(balances), len(ledger),
                                                 show_balances(replayed)))
        # A refusal saw a balance the source held between the writer's previous transfer and
        # its next acknowledged one (when there is one: later ones may have seen transfers the
        # kill dropped); checked on a ledger without lost, duplicated, invented or moved ids.
        clean = sum(verdict.counts[c] for c in ("lost", "duplicated", "invented",
                                                "ledger-order")) == bad_before
        if clean and history is not None:
            for ops in log.ops:
                lo = start
                for n, (tid, frm, to, amount, outcome) in enumerate(ops):
                    if outcome is None:
                        break
                    if outcome[0] == "ok":
                        lo = outcome[1]
                        continue
                    nxt = next((o[4][1] for o in ops[n + 1:] if o[4] and o[4][0] == "ok"),
                               None)
                    if nxt is None:
                        break
                    saw = outcome[1]
                    if saw not in held(history[frm], lo, nxt - 1):
                        verdict.add("refusal", "%s (%d from acct:%d) was refused with acct:%d "
                                    "holding %d, but the ledger gives acct:%d the balances "
                                    "%s between seq %d and %d" % (
                                        tid.decode(), amount, frm, frm, saw, frm,
                                        sorted(held(history[frm], lo, nxt - 1)), lo, nxt - 1))
        # The keys: 8 strings, the ledger a list and seq a string once a transfer is in.
        want_types = [b"string"] * ACCOUNTS + [b"list" if ledger else b"none",
                      b"string" if obs["raw_seq"] is not None else b"none"]
        got_types = obs["types"]
        if got_types != [t.decode() for t in want_types]:
            verdict.add("keys", "TYPE of acct:0..%d, ledger, seq: %s, expected %s" % (
                ACCOUNTS - 1, "/".join(map(str, got_types)),
                "/".join(t.decode() for t in want_types)))
        want_keys = sum(1 for t in want_types if t != b"none")
        if obs["dbsize"] != want_keys:
            verdict.add("keys", "DBSIZE %r, but %d key(s) exist and nothing else was written"
                        % (obs["dbsize"], want_keys))
        return applied

    def advance(self, log, obs):
        present = set(obs["ledger"])
        self.refused |= set(log.refused)
        self.not_applied |= {t for t in log.in_flight if t not in present}
        self.ledger = obs["ledger"]
        self.balances = obs["balances"]


def show_balances(balances):
    return "/".join("?" if b is None else "%d" % b for b in balances)


def parse_int(b):
    try:
        return int(b) if isinstance(b, bytes) else None
    except ValueError:
        return None


def read_scripts(conn):
    """The accounts, the ledger and seq, their types and DBSIZE."""
    keys = [account(i) for i in range(ACCOUNTS)] + [LEDGER, SEQ]
    replies = conn.pipeline([(b"MGET",) + tuple(keys[:ACCOUNTS]),
                             (b"LRANGE", LEDGER, b"0", b"-1"), (b"LLEN", LEDGER), (b"GET", SEQ)]
                            + [(b"TYPE", k) for k in keys] + [(b"DBSIZE",)])
    mget, ledger, llen, seq = replies[:4]
    raw_balances = mget if isinstance(mget, list) and len(mget) == ACCOUNTS else [mget] * ACCOUNTS
    ok = isinstance(ledger, list) and all(isinstance(t, bytes) for t in ledger)
    return {"balances": [parse_int(b) for b in raw_balances], "raw_balances": raw_balances,
            "ledger": ledger if ok else None, "raw_ledger": ledger, "llen": llen,
            "seq": 0 if seq is None else parse_int(seq), "raw_seq": seq,
            "types": replies[4:4 + len(keys)], "dbsize": replies[-1]}


def init_accounts(conn, verdict):
    """Sets every account to INITIAL_BALANCE with one script, before the first cycle."""
    keys = tuple(account(i) for i in range(ACCOUNTS))
    got = conn.call(b"EVAL", INIT_SCRIPT, b"%d" % ACCOUNTS, *(keys + (b"%d" % INITIAL_BALANCE,)))
    if got != ACCOUNTS:
        verdict.add("script-reply", "the initialising EVAL replied %r, not %d" % (got, ACCOUNTS))


def inject_script_loss(conn, soracle, log):
    """Removes one acknowledged transfer from the ledger (LREM), behind the oracle's back;
    returns a description."""
    ledger = conn.call(b"LRANGE", LEDGER, b"0", b"-1")
    if not isinstance(ledger, list):
        return None
    must = set(log.acked) or set(soracle.ledger)
    for tid in ledger:
        if tid in must:
            if conn.call(b"LREM", LEDGER, b"1", tid) != 1:
                raise HarnessError("inject-loss: LREM ledger 1 %s did not remove it"
                                   % tid.decode())
            return "removed acknowledged transfer %s from the ledger" % tid.decode()
    return None


# ----------------------------------------------------------------------------- streams workload

STREAM = b"jobs"
GROUP = b"workers"
REAPER = b"reaper"
READ_BLOCKS = (b"0", b"100", b"1000")  # XREADGROUP BLOCK, milliseconds (0: until an entry)
READ_COUNTS = (1, 1, 2, 5, 10)
MIN_IDLE = b"100"   # ms: the reaper takes over entries pending at least this long
DROP = 0.03         # the chance that a consumer "crashes" on an entry: it never acknowledges it


def consumer_name(i):
    return b"consumer:%d" % i


def parse_sid(b):
    """A stream ID "<ms>-<seq>" as (ms, seq); None when it is not one."""
    if not isinstance(b, bytes):
        return None
    ms, sep, seq = b.partition(b"-")
    return (int(ms), int(seq)) if sep and ms.isdigit() and seq.isdigit() else None


def sid_arg(sid):
    return b"%d-%d" % sid


def show_sid(sid):
    return "%d-%d" % sid if sid is not None else "(none)"


def show_sids(sids, limit=6):
    sids = sorted(sids)
    return " ".join(show_sid(s) for s in sids[:limit]) + (
        " ... %d more" % (len(sids) - limit) if len(sids) > limit else "")


def next_sid(sid):
    return (sid[0], sid[1] + 1)


def parse_entries(reply):
    """[[id, [field, value, ...]], ...] (XRANGE, XCLAIM, XAUTOCLAIM) as [(sid, job)]; job is None
    when the fields are not exactly "job" <id>. None when the reply is malformed."""
    if not isinstance(reply, list):
        return None
    out = []
    for e in reply:
        if not isinstance(e, list) or len(e) != 2 or parse_sid(e[0]) is None:
            return None
        f = e[1]
        job = f[1] if isinstance(f, list) and len(f) == 2 and f[0] == b"job" and \
            isinstance(f[1], bytes) else None
        out.append((parse_sid(e[0]), job))
    return out


def parse_map(reply):
    """A RESP2 map [key, value, ...] as {key str: value}; None when malformed."""
    if not isinstance(reply, list) or len(reply) % 2 or \
            not all(isinstance(k, bytes) for k in reply[::2]):
        return None
    return {k.decode(): v for k, v in zip(reply[::2], reply[1::2])}


class StreamWorker(Worker):
    """A connection of the streams workload: what it took (delivered, re-read, claimed) and
    the XACKs it sent."""

    def __init__(self, name, rng, consumer):
        super().__init__(name, rng)
        self.consumer = consumer
        self.ack_sent = set()   # IDs whose XACK was (being) written
        self.acked = set()      # XACK replied :1
        self.ack_zero = set()   # XACK replied :0 (someone else's XACK came first)
        self.dropped = 0

    def group_read(self, conn, cmd, limit):
        """Sends XREADGROUP cmd; its entries as [(sid, job)] (None: the reply was nil)."""
        got = conn.call(*cmd)
        if got is None:
            return None
        entries = None
        if isinstance(got, list) and len(got) == 1 and isinstance(got[0], list) and \
                len(got[0]) == 2 and got[0][0] == STREAM:
            entries = parse_entries(got[0][1])
        if entries is None or len(entries) > limit or any(j is None for _, j in entries) or \
                any(a[0] >= b[0] for a, b in zip(entries, entries[1:])):
            raise BadReply("%s replied %r" % (show_cmd(cmd), got))
        return entries

    def process(self, conn, entries, drop=0.0):
        """Processes and acknowledges each entry, one XACK each (or "crashes" on it: never
        acknowledges it, with probability drop); the XACKs of several entries are sometimes
        pipelined."""
        sids = []
        for sid, _ in entries:
            if drop and self.rng.random() < drop:
                self.dropped += 1
            else:
                sids.append(sid)
        batch = max(1, len(sids)) if self.rng.random() < 0.3 else 1
        for i in range(0, len(sids), batch):
            chunk = sids[i:i + batch]
            self.ack_sent.update(chunk)
            conn.sock.sendall(b"".join(encode_command(b"XACK", STREAM, GROUP, sid_arg(sid))
                                       for sid in chunk))
            for sid in chunk:
                got = read_reply(conn.file)
                if got == 1:
                    self.acked.add(sid)
                elif got == 0:
                    self.ack_zero.add(sid)
                else:
                    raise BadReply("XACK %s %s %s replied %r" % (
                        STREAM.decode(), GROUP.decode(), show_sid(sid), got))


class StreamProducer(BurstProducer):
    """XADDs unique jobs, in bursts like the queue's producers (BurstProducer); sent: the jobs
    whose XADD was (being) written, in order."""

    def __init__(self, name, rng, ids, pauses, start_last):
        super().__init__(name, rng, ids, pauses)
        self.last = start_last  # each XADD must reply an ID above this
        self.added = {}         # job -> the ID its XADD replied

    def work(self, conn):
        r = self.rng
        for jobs in self.rounds():
            cmds = [(b"XADD", STREAM) + ((b"NOMKSTREAM",) if r.random() < 0.3 else ()) +
                    (b"*", b"job", j) for j in jobs]
            self.sent.extend(jobs)
            conn.sock.sendall(b"".join(encode_command(*c) for c in cmds))
            for cmd, job in zip(cmds, jobs):
                got = read_reply(conn.file)
                sid = parse_sid(got)
                if sid is None or sid <= self.last:
                    raise BadReply("%s replied %r%s" % (
                        show_cmd(cmd), got, "" if sid is None else ", not above %s (this "
                        "producer's last ID, or the last-generated-id at the start of the "
                        "cycle)" % show_sid(self.last)))
                self.last = sid
                self.added[job] = sid


class StreamConsumer(StreamWorker):
    """XREADGROUP ... STREAMS jobs > (alternately with BLOCK), then one XACK per entry; with
    history_first it first re-reads its own pending entries (ID 0) and acknowledges them, as a
    restarted consumer does."""

    def __init__(self, name, rng, consumer, blocking_first, history_first):
        super().__init__(name, rng, consumer)
        self.blocking = blocking_first
        self.history_first = history_first
        self.reads = 0
        self.empty = 0          # reads that replied nil (BLOCK: timed out)
        self.read_in_flight = 0  # COUNT of the XREADGROUP > unanswered at the kill, else 0
        self.delivered = {}     # sid -> job, named by a ">" reply
        self.history = {}       # sid -> job, re-read with ID 0

    def work(self, conn):
        r = self.rng
        after = b"0"
        while self.history_first:
            count = r.randint(1, 20)
            cmd = (b"XREADGROUP", b"GROUP", GROUP, self.consumer, b"COUNT", b"%d" % count,
                   b"STREAMS", STREAM, after)
            entries = self.group_read(conn, cmd, count)
            if entries is None:
                raise BadReply("%s replied nil, not its pending entries" % show_cmd(cmd))
            if not entries:
                break
            self.history.update(entries)
            self.process(conn, entries)
            after = sid_arg(entries[-1][0])
        while True:
            count = r.choice(READ_COUNTS)
            cmd = (b"XREADGROUP", b"GROUP", GROUP, self.consumer, b"COUNT", b"%d" % count) + \
                ((b"BLOCK", r.choice(READ_BLOCKS)) if self.blocking else ()) + \
                (b"STREAMS", STREAM, b">")
            self.blocking = not self.blocking
            self.read_in_flight = count
            entries = self.group_read(conn, cmd, count)
            self.read_in_flight = 0
            self.reads += 1
            if not entries:
                if entries is not None:
                    raise BadReply("%s replied no entries, not nil" % show_cmd(cmd))
                self.empty += 1
                continue
            self.delivered.update(entries)
            self.process(conn, entries, DROP)


class StreamReaper(StreamWorker):
    """Now and then takes over the entries pending for at least MIN_IDLE ms (those of the
    consumers killed with the server, or of one that "crashed" on an entry) with XAUTOCLAIM, or
    with XPENDING IDLE and XCLAIM (sometimes JUSTID), then acknowledges them."""

    def __init__(self, name, rng):
        super().__init__(name, rng, REAPER)
        self.claimed = {}       # sid -> job (None: JUSTID), named by a claim reply
        self.counted = collections.Counter()  # sid -> claim replies (not JUSTID) naming it
        self.claim_in_flight = None  # unanswered at the kill: "any" (XAUTOCLAIM) or XCLAIM's IDs
        self.autoclaims = 0
        self.xclaims = 0

    def work(self, conn):
        r = self.rng
        cursor = b"0-0"
        while True:
            time.sleep(r.uniform(0.02, 0.1))
            if r.random() < 0.6:
                count = r.randint(1, 10)
                cmd = (b"XAUTOCLAIM", STREAM, GROUP, REAPER, MIN_IDLE, cursor, b"COUNT",
                       b"%d" % count)
                self.claim_in_flight = "any"
                got = conn.call(*cmd)
                entries = parse_entries(got[1]) if isinstance(got, list) and len(got) == 3 \
                    else None
                if entries is None or parse_sid(got[0]) is None or got[2] != [] or \
                        len(entries) > count or any(j is None for _, j in entries):
                    raise BadReply("%s replied %r" % (show_cmd(cmd), got))
                cursor = got[0]
                self.autoclaims += 1
            else:
                pending = conn.call(b"XPENDING", STREAM, GROUP, b"IDLE", MIN_IDLE, b"-", b"+",
                                    b"10")
                if not isinstance(pending, list) or not all(
                        isinstance(p, list) and len(p) == 4 and parse_sid(p[0]) for p in pending):
                    raise BadReply("XPENDING jobs workers IDLE %s - + 10 replied %r" % (
                        MIN_IDLE.decode(), pending))
                if not pending:
                    continue
                sids = [parse_sid(p[0]) for p in r.sample(pending, r.randint(1, len(pending)))]
                justid = r.random() < 0.3
                cmd = (b"XCLAIM", STREAM, GROUP, REAPER, MIN_IDLE) + \
                    tuple(sid_arg(s) for s in sids) + ((b"JUSTID",) if justid else ())
                self.claim_in_flight = set(sids)
                got = conn.call(*cmd)
                if justid and isinstance(got, list) and all(parse_sid(s) for s in got):
                    entries = [(parse_sid(s), None) for s in got]
                else:
                    entries = None if justid else parse_entries(got)
                if entries is None or any(s not in self.claim_in_flight for s, _ in entries) \
                        or (not justid and any(j is None for _, j in entries)):
                    raise BadReply("%s replied %r" % (show_cmd(cmd), got))
                self.xclaims += 1
            self.claim_in_flight = None
            self.claimed.update(entries)
            self.counted.update(sid for sid, job in entries if job is not None)
            self.process(conn, entries)


class StreamLog:
    """One cycle of the streams workload (empty for the final clean restart)."""

    def __init__(self, producers=(), consumers=(), reaper=None):
        takers = list(consumers) + ([reaper] if reaper else [])
        self.sent = [list(p.sent) for p in producers]     # per producer, in order
        self.sent_jobs = {j for p in producers for j in p.sent}
        self.added = {j: s for p in producers for j, s in p.added.items()}  # job -> XADD reply
        self.delivered = {}     # sid -> (consumer, job)
        self.redelivered = []   # (sid, consumer, consumer): named by two ">" replies
        for c in consumers:
            for sid, job in c.delivered.items():
                if sid in self.delivered:
                    self.redelivered.append((sid, self.delivered[sid][0], c.consumer))
                else:
                    self.delivered[sid] = (c.consumer, job)
        self.history = {sid: (c.consumer, job) for c in consumers
                        for sid, job in c.history.items()}
        self.claimed = dict(reaper.claimed) if reaper else {}
        # claim replies naming each ID: each raised its delivery count (JUSTID ones excepted)
        self.claim_counts = collections.Counter(reaper.counted) if reaper else \
            collections.Counter()
        self.claim_in_flight = reaper.claim_in_flight if reaper else None
        self.reads_in_flight = {c.consumer: c.read_in_flight for c in consumers
                                if c.read_in_flight}
        self.ack_senders = collections.defaultdict(set)  # sid -> consumers whose XACK was sent
        for w in takers:
            for sid in w.ack_sent:
                self.ack_senders[sid].add(w.consumer)
        self.xacked = {sid for w in takers for sid in w.acked}
        self.ack_zero = [(sid, w.consumer) for w in takers for sid in sorted(w.ack_zero)]
        self.reads = sum(c.reads for c in consumers)
        self.empty = sum(c.empty for c in consumers)
        self.dropped = sum(c.dropped for c in consumers)
        self.autoclaims = reaper.autoclaims if reaper else 0
        self.xclaims = reaper.xclaims if reaper else 0


class StreamOracle:
    """What the run has established of the stream and its group, across cycles."""

    def __init__(self):
        self.entries = {}       # sid -> job at the last verification (after the trim)
        self.ever_sent = set()  # jobs some XADD carried
        self.not_applied = set()  # jobs unanswered at a kill and found absent then
        self.trimmed_below = None  # the harness's last XTRIM MINID: no entry below it
        self.pel = {}           # sid -> owner at the last verification
        self.deliveries = {}    # sid -> its delivery count at the last verification
        self.finished = set()   # IDs acknowledged: XACK replied :1, or sent and found applied
        self.ldi = (0, 0)       # the group's last-delivered-id at the last verification
        self.info = {}          # XINFO STREAM at the last verification (after the trim)
        self.added = 0          # acknowledged XADDs over the run
        self.xacked = 0         # acknowledged XACKs over the run

    def verify(self, log, obs, verdict):
        """Judges the stream and its group (read_stream); returns (XADDs unanswered at the kill
        found applied, the stream {sid: job}, the pending {sid: owner}), or None when a read is
        malformed."""
        entries = parse_entries(obs["XRANGE"])
        if entries is None:
            verdict.add("stream-reads", "XRANGE jobs - + replied %r" % (obs["XRANGE"],))
            return None
        for (a, _), (b, _) in zip(entries, entries[1:]):
            if a >= b:
                verdict.add("stream-order", "XRANGE jobs - + has %s before %s" % (
                    show_sid(a), show_sid(b)))
                break
        if parse_entries(obs["XREVRANGE"]) != entries[::-1]:
            verdict.add("stream-reads", "XREVRANGE jobs + - is not XRANGE jobs - + reversed "
                        "(%d and %d entries)" % (len(obs["XREVRANGE"]) if isinstance(
                            obs["XREVRANGE"], list) else -1, len(entries)))
        stream, by_job = {}, collections.defaultdict(list)
        for sid, job in entries:
            if job is None:
                verdict.add("invented", "entry %s does not hold exactly the field job" %
                            show_sid(sid))
                continue
            stream[sid] = job
            by_job[job].append(sid)
        applied = self.check_entries(log, stream, by_job, verdict)
        self.check_stream(log, obs, entries, stream, verdict)
        pending = self.check_group(log, obs, stream, verdict)
        return applied, stream, pending

    def check_entries(self, log, stream, by_job, verdict):
        """(1): nothing acknowledged lost, nothing duplicated or invented, new entries in
        order."""
        start_last = parse_sid(self.info["last-generated-id"])
        applied = 0
        for job, sids in sorted(by_job.items()):
            if len(sids) > 1:
                verdict.add("duplicated", "%s is in %d entries: %s" % (
                    job.decode(), len(sids), show_sids(sids)))
        for sid, job in sorted(stream.items()):
            if sid in self.entries:
                if self.entries[sid] != job:
                    verdict.add("invented", "%s holds %s, but held %s at the last verification"
                                % (show_sid(sid), job.decode(), self.entries[sid].decode()))
                continue
            if self.trimmed_below and sid < self.trimmed_below:
                verdict.add("duplicated", "%s (%s) is back, but XTRIM MINID %s removed every "
                            "entry below it" % (show_sid(sid), job.decode(),
                                                show_sid(self.trimmed_below)))
                continue
            if job in log.added:
                if log.added[job] != sid:
                    verdict.add("stream-order", "%s is at %s, but its XADD replied %s" % (
                        job.decode(), show_sid(sid), show_sid(log.added[job])))
            elif job in log.sent_jobs:
                applied += 1
            else:
                verdict.add("invented", "%s (%s) is in the stream, but %s" % (
                    show_sid(sid), job.decode(),
                    "an earlier cycle found its unacknowledged XADD not applied"
                    if job in self.not_applied else "it was absent at an earlier verification"
                    if job in self.ever_sent else "no producer ever sent it"))
                continue
            if sid <= start_last:
                verdict.add("stream-order", "%s (%s), added this cycle, is not above the "
                            "last-generated-id %s at the start of the cycle" % (
                                show_sid(sid), job.decode(), show_sid(start_last)))
        reported = set()
        for sid, job in sorted(self.entries.items()):
            if sid not in stream:
                reported.add(sid)
                verdict.add("lost", "%s (%s) is gone (present at the last verification)" % (
                    show_sid(sid), job.decode()))
        for job, sid in sorted(log.added.items(), key=lambda js: js[1]):
            if stream.get(sid) != job and sid not in reported:
                reported.add(sid)
                verdict.add("lost", "%s is not at %s, but its XADD replied that ID%s" % (
                    job.decode(), show_sid(sid), " (%s is)" % stream[sid].decode()
                    if sid in stream else ""))
        for what, named in (("a XREADGROUP > reply delivered it to", log.delivered),
                            ("a XREADGROUP 0 reply re-read it for", log.history),
                            ("a claim reply gave it to", {s: (REAPER, j) for s, j in
                                                          log.claimed.items()})):
            for sid, (who, job) in sorted(named.items()):
                if sid not in stream:
                    if sid not in reported:
                        reported.add(sid)
                        verdict.add("lost", "%s%s is gone, but %s %s" % (
                            show_sid(sid), " (%s)" % job.decode() if job else "", what,
                            who.decode()))
                elif job is not None and stream[sid] != job:
                    verdict.add("stream-reply", "%s: %s %s as %s, but the stream holds %s" % (
                        show_sid(sid), what, who.decode(), job.decode(), stream[sid].decode()))
        # Each producer's XADDs apply in the order it sent them: its unanswered ones found
        # applied are the first of them, and the IDs increase in that order.
        for p, sent in enumerate(log.sent):
            unanswered = [j for j in sent if j not in log.added]
            found = [j in by_job for j in unanswered]
            if any(b and not a for a, b in zip(found, found[1:])):
                i = next(i for i in range(1, len(found)) if found[i] and not found[i - 1])
                verdict.add("stream-order", "producer %d: its unanswered %s is in the stream, "
                            "but its earlier unanswered %s is not" % (
                                p, unanswered[i].decode(), unanswered[i - 1].decode()))
            ids = [(by_job[j][0], j) for j in sent if j in by_job]
            bad = next(((a, b) for a, b in zip(ids, ids[1:]) if a[0] >= b[0]), None)
            if bad:
                verdict.add("stream-order", "producer %d sent %s before %s, but they are at %s "
                            "and %s" % (p, bad[0][1].decode(), bad[1][1].decode(),
                                        show_sid(bad[0][0]), show_sid(bad[1][0])))
        return applied

    def check_stream(self, log, obs, entries, stream, verdict):
        """(4): XLEN, XINFO STREAM's length, entries-added, IDs and entries, TYPE, DBSIZE."""
        n = len(entries)
        new = sum(1 for sid in stream if sid not in self.entries and not (
            self.trimmed_below and sid < self.trimmed_below))
        info = parse_map(obs["XINFO STREAM"])
        wrong = []
        if obs["XLEN"] != n:
            wrong.append("XLEN %r" % (obs["XLEN"],))
        if info is None:
            verdict.add("stream-length", "XINFO STREAM jobs replied %r" % (obs["XINFO STREAM"],))
        else:
            want_last = max([parse_sid(self.info["last-generated-id"])] + list(stream))
            want_added = self.info["entries-added"] + new
            checks = [("length", info.get("length"), n),
                      ("entries-added", info.get("entries-added"), want_added),
                      ("last-generated-id", parse_sid(info.get("last-generated-id")), want_last),
                      ("max-deleted-entry-id", parse_sid(info.get("max-deleted-entry-id")),
                       parse_sid(self.info["max-deleted-entry-id"])),
                      ("groups", info.get("groups"), 1),
                      ("first-entry", info.get("first-entry"),
                       obs["XRANGE"][0] if n else None),
                      ("last-entry", info.get("last-entry"), obs["XRANGE"][-1] if n else None)]
            if n:
                checks.append(("recorded-first-entry-id",
                               parse_sid(info.get("recorded-first-entry-id")), entries[0][0]))
            wrong += ["%s %s (expected %s)" % (
                what, show_sid(got) if isinstance(got, tuple) else repr(got),
                show_sid(want) if isinstance(want, tuple) else repr(want))
                for what, got, want in checks if got != want]
            added = info.get("entries-added")
            if isinstance(added, int) and added < self.added + len(log.added):
                wrong.append("entries-added %d is below the %d XADDs acknowledged so far" % (
                    added, self.added + len(log.added)))
        for what, got, want in (("TYPE", obs["TYPE"], "stream"), ("EXISTS", obs["EXISTS"], 1),
                                ("DBSIZE", obs["DBSIZE"], 1)):
            if got != want:
                wrong.append("%s %r" % (what, got))
        if wrong:
            verdict.add("stream-length", "XRANGE jobs - + returns %d entries (%d new), but %s" % (
                n, new, "; ".join(wrong)))

    def check_group(self, log, obs, stream, verdict):
        """(2) and (3): the pending entries, the group and its consumers; returns the pending
        {sid: owner} (None when unreadable)."""
        groups = obs["XINFO GROUPS"]
        group = parse_map(groups[0]) if isinstance(groups, list) and len(groups) == 1 else None
        ext = obs["XPENDING - +"]
        if group is None or group.get("name") != GROUP or not isinstance(ext, list) or not all(
                isinstance(p, list) and len(p) == 4 and parse_sid(p[0]) and
                isinstance(p[1], bytes) and isinstance(p[3], int) for p in ext):
            verdict.add("stream-reads", "XINFO GROUPS jobs replied %r, XPENDING jobs workers - + "
                        "replied %r" % (groups, ext if not isinstance(ext, list) else ext[:4]))
            return None
        ldi = parse_sid(group.get("last-delivered-id"))
        pend = [(parse_sid(p[0]), p[1], p[3]) for p in ext]
        pending = {sid: owner for sid, owner, _ in pend}
        obs["deliveries"] = {sid: n for sid, _, n in pend}
        owners = collections.Counter(owner for _, owner, _ in pend)
        self.check_counts(obs, group, pend, owners, verdict)
        # Each pending entry once, in order, in the stream, delivered (<= last-delivered-id).
        bad = ["%s twice or out of order" % show_sid(b[0]) for a, b in zip(pend, pend[1:])
               if a[0] >= b[0]]
        bad += ["%s is not in the stream" % show_sid(s) for s, _, _ in pend if s not in stream]
        bad += ["%s is above the last-delivered-id %s" % (show_sid(s), show_sid(ldi))
                for s, _, _ in pend if ldi is None or s > ldi]
        # Delivery counts only grow: from the last verification's (1 for an entry delivered
        # since), by one for each claim reply (not JUSTID) that named it. (An acknowledged entry
        # pending again is "ack-undone" below.)
        for s, _, n in pend:
            if s in self.finished or s in log.xacked:
                continue
            least = self.deliveries.get(s, 1) + log.claim_counts[s]
            if n < least:
                bad.append("%s was delivered %r times, but at least %d (%s, %d claim replies "
                           "since)" % (show_sid(s), n, least, "%d times at the last "
                                       "verification" % self.deliveries[s] if s in
                                       self.deliveries else "delivered since",
                                       log.claim_counts[s]))
        if bad:
            verdict.add("pending-range", "%d wrong pending entries: %s" % (len(bad), "; ".join(
                bad[:6])))
        # (2) An acknowledged XACK stays: its ID is never pending again.
        undone = set()
        for sid, owner in sorted(pending.items()):
            if sid in self.finished or sid in log.xacked:
                undone.add(sid)
                verdict.add("ack-undone", "%s is pending again (for %s), but its XACK %s" % (
                    show_sid(sid), owner.decode(), "replied :1 this cycle" if sid in log.xacked
                    else "was acknowledged in an earlier cycle"))
        # Whatever was delivered, re-read or claimed and not XACKed is still pending.
        named = set(self.pel) | set(log.delivered) | set(log.history) | set(log.claimed)
        gone = set()
        for sid in sorted(named - set(log.ack_senders) - set(pending)):
            gone.add(sid)
            verdict.add("pending-lost", "%s is no longer pending, but no XACK of it was sent (%s)"
                        % (show_sid(sid), "pending for %s at the last verification" %
                           self.pel[sid].decode() if sid in self.pel else
                           "delivered to %s" % log.delivered[sid][0].decode()
                           if sid in log.delivered else "claimed by the reaper"
                           if sid in log.claimed else "re-read"))
        # Every pending entry is owned by the consumer the last reply named it to.
        unexplained = []
        for sid, owner in sorted(pending.items()):
            if sid in undone:
                continue
            if sid in log.claimed:
                allowed, why = {REAPER}, "a claim reply gave it to reaper"
            elif sid in log.delivered:
                allowed, why = {log.delivered[sid][0]}, "delivered to %s" % \
                    log.delivered[sid][0].decode()
            elif sid in self.pel:
                allowed, why = {self.pel[sid]}, "pending for %s at the last verification" % \
                    self.pel[sid].decode()
            else:
                unexplained.append(sid)
                allowed = set(log.reads_in_flight)
                why = "named by no reply: only an XREADGROUP unanswered at the kill (%s) may " \
                    "have delivered it" % (", ".join(sorted(c.decode() for c in allowed))
                                           or "none was")
            cif = log.claim_in_flight
            if cif == "any" or (cif and sid in cif):
                allowed = allowed | {REAPER}
                why += ", or the reaper's claim unanswered at the kill"
            if owner not in allowed:
                verdict.add("owner", "%s is pending for %s, but %s" % (show_sid(sid),
                                                                        owner.decode(), why))
        if len(unexplained) > sum(log.reads_in_flight.values()):
            verdict.add("owner", "%d pending entries no reply named (%s), but the XREADGROUPs "
                        "unanswered at the kill asked for %d" % (
                            len(unexplained), show_sids(unexplained),
                            sum(log.reads_in_flight.values())))
        for sid, (consumer, _) in sorted(log.history.items()):
            if self.pel.get(sid) != consumer:
                verdict.add("owner", "XREADGROUP ... %s ... STREAMS jobs 0 re-read %s, but it was "
                            "%s at the last verification" % (
                                consumer.decode(), show_sid(sid), "pending for %s" %
                                self.pel[sid].decode() if sid in self.pel else "not pending"))
        # Replies: a claim takes pending entries only; an XACK replies :0 only when another
        # connection's XACK of that ID came first; ">" delivers each new entry once.
        for sid in sorted(log.claimed):
            if sid not in self.pel and sid not in log.delivered and sid not in log.history \
                    and not (log.reads_in_flight and sid > self.ldi):
                verdict.add("stream-reply", "the reaper claimed %s, which was not pending (not "
                            "at the last verification and delivered by no reply)" %
                            show_sid(sid))
        for sid, who in log.ack_zero:
            if not log.ack_senders[sid] - {who}:
                verdict.add("stream-reply", "XACK jobs workers %s by %s replied :0, but no other "
                            "XACK of it was sent" % (show_sid(sid), who.decode()))
        for sid, first, second in log.redelivered:
            verdict.add("redelivered", "%s was delivered by XREADGROUP > to %s and to %s" % (
                show_sid(sid), first.decode(), second.decode()))
        early = sorted(s for s in log.delivered if s <= self.ldi)
        if early:
            verdict.add("redelivered", "XREADGROUP > delivered %s, at or below the "
                        "last-delivered-id %s of the last verification" % (
                            show_sids(early), show_sid(self.ldi)))
        # The group: last-delivered-id covers every delivery and never goes back; the entries
        # up to it are each pending or acknowledged, those after it neither, and lag counts them.
        top = max(log.delivered, default=self.ldi)
        wrong = []
        if ldi is None or ldi < max(top, self.ldi):
            wrong.append("last-delivered-id %s is below %s (%s)" % (
                show_sid(ldi), show_sid(max(top, self.ldi)), "delivered this cycle"
                if top > self.ldi else "at the last verification"))
        if ldi is not None:
            limbo = [s for s in stream if s <= ldi and s not in pending and s not in gone and
                     s not in self.finished and s not in log.ack_senders]
            if limbo:
                wrong.append("%d entries at or below last-delivered-id %s neither pending nor "
                             "acknowledged: %s" % (len(limbo), show_sid(ldi), show_sids(limbo)))
            lag = sum(1 for s in stream if s > ldi)
            info = parse_map(obs["XINFO STREAM"]) or {}
            added = info.get("entries-added")
            if group.get("lag") != lag:
                wrong.append("lag %r, but %d entries are above last-delivered-id" % (
                    group.get("lag"), lag))
            if group.get("entries-read") is not None and isinstance(added, int) and \
                    group.get("entries-read") != added - lag:
                wrong.append("entries-read %r, not entries-added %d - lag %d" % (
                    group.get("entries-read"), added, lag))
            if group.get("entries-read") is None and ldi != (0, 0):
                wrong.append("entries-read is nil")
        names = obs["consumers"]
        strangers = [c for c in names if c != REAPER and not re.match(rb"^consumer:\d+$", c)]
        if strangers:
            wrong.append("unknown consumers %s" % b" ".join(strangers).decode())
        if wrong:
            verdict.add("group-state", "; ".join(wrong))
        return pending

    @staticmethod
    def check_counts(obs, group, pend, owners, verdict):
        """(3): XPENDING's summary, its extended form (all of it and per consumer), XINFO
        GROUPS, XINFO CONSUMERS and XINFO STREAM FULL agree on every pending entry's owner."""
        n = len(pend)
        wrong = []
        summary = obs["XPENDING"]
        if not isinstance(summary, list) or len(summary) != 4:
            wrong.append("XPENDING jobs workers replied %r" % (summary,))
        else:
            count, lo, hi, per = summary
            if count != n:
                wrong.append("XPENDING's count %r" % (count,))
            if (parse_sid(lo), parse_sid(hi)) != ((pend[0][0], pend[-1][0]) if n else
                                                  (None, None)):
                wrong.append("XPENDING's smallest/greatest ID %r/%r" % (lo, hi))
            try:
                per = {c: int(k) for c, k in per or []}
            except (TypeError, ValueError):
                per = None
            if per != dict(owners):
                wrong.append("XPENDING's consumers %r (sum %s)" % (
                    per, sum(per.values()) if per else "?"))
        consumers = obs["XINFO CONSUMERS"]
        cmap = {}
        if isinstance(consumers, list):
            for c in consumers:
                m = parse_map(c)
                if m is None or not isinstance(m.get("name"), bytes):
                    cmap = None
                    break
                cmap[m["name"]] = m.get("pending")
        if cmap is None or not isinstance(consumers, list):
            wrong.append("XINFO CONSUMERS jobs workers replied %r" % (consumers,))
        else:
            bad = {c.decode(): p for c, p in cmap.items() if p != owners.get(c, 0)}
            bad.update({c.decode(): None for c in owners if c not in cmap})
            if bad:
                wrong.append("XINFO CONSUMERS pending %s (sum %s)" % (bad, sum(
                    p for p in cmap.values() if isinstance(p, int))))
            if group.get("consumers") != len(cmap):
                wrong.append("XINFO GROUPS consumers %r, XINFO CONSUMERS lists %d" % (
                    group.get("consumers"), len(cmap)))
        if group.get("pending") != n:
            wrong.append("XINFO GROUPS pending %r" % (group.get("pending"),))
        for consumer, reply in obs["XPENDING per consumer"].items():
            mine = [(s, o) for s, o, _ in pend if o == consumer]
            got = [(parse_sid(p[0]), p[1]) if isinstance(p, list) and len(p) == 4 else p
                   for p in reply] if isinstance(reply, list) else reply
            if got != mine:
                wrong.append("XPENDING jobs workers - + %s lists %s, not %s" % (
                    consumer.decode(), got if not isinstance(got, list) else show_sids(
                        s for s, _ in got if isinstance(s, tuple)), show_sids(s for s, _ in mine)))
        wrong += check_full(obs["XINFO STREAM FULL"], pend)
        if wrong:
            verdict.add("pending-counts", "XPENDING jobs workers - + lists %d pending entries "
                        "(%s), but %s" % (n, ", ".join("%s %d" % (c.decode(), k) for c, k in
                                                      sorted(owners.items())), "; ".join(wrong)))

    def advance(self, log, obs, stream, pending, conn):
        """After a verified cycle, the observed stream and group are the baseline; then the
        entries every consumer is done with are trimmed (as the application would: XTRIM MINID
        the first entry pending or not yet delivered)."""
        present = set(stream.values())
        self.ever_sent |= log.sent_jobs
        self.not_applied |= {j for j in log.sent_jobs - set(log.added) if j not in present}
        self.finished |= log.xacked | {s for s in log.ack_senders if s not in pending}
        self.added += len(log.added)
        self.xacked += len(log.xacked)
        self.entries = dict(stream)
        self.pel = dict(pending)
        self.deliveries = dict(obs["deliveries"])
        self.ldi = parse_sid(parse_map(obs["XINFO GROUPS"][0])["last-delivered-id"])
        keep = [s for s in stream if s > self.ldi] + list(pending)
        trimmed = 0
        if stream:
            below = min(keep) if keep else next_sid(max(stream))
            trimmed = sum(1 for s in stream if s < below)
            if trimmed:
                got = conn.call(b"XTRIM", STREAM, b"MINID", sid_arg(below))
                if got != trimmed:
                    raise HarnessError("XTRIM jobs MINID %s replied %r, but %d entries are below "
                                       "it" % (show_sid(below), got, trimmed))
                self.entries = {s: j for s, j in stream.items() if s >= below}
                self.trimmed_below = below
                self.finished = {s for s in self.finished if s >= below}
        self.info = read_stream_info(conn)
        if self.info["length"] != len(self.entries):
            raise HarnessError("after XTRIM, XINFO STREAM jobs gives length %r, not %d" % (
                self.info["length"], len(self.entries)))
        return trimmed


def check_full(reply, pend):
    """XINFO STREAM jobs FULL COUNT 0 against the pending entries [(sid, owner, deliveries)]:
    the group's PEL lists them with their owners, and each consumer's PEL exactly its own."""
    info = parse_map(reply)
    groups = info.get("groups") if info else None
    group = parse_map(groups[0]) if isinstance(groups, list) and len(groups) == 1 else None
    if group is None or not isinstance(group.get("pending"), list) or \
            not isinstance(group.get("consumers"), list):
        return ["XINFO STREAM jobs FULL COUNT 0 replied %r" % (reply,)]
    wrong = []
    gpel = [(parse_sid(p[0]), p[1], p[3]) if isinstance(p, list) and len(p) == 4 else p
            for p in group["pending"]]
    if gpel != pend:
        wrong.append("XINFO STREAM FULL's group PEL lists %s" % show_sids(
            p[0] for p in gpel if isinstance(p, tuple) and isinstance(p[0], tuple)))
    if group.get("pel-count") != len(pend):
        wrong.append("XINFO STREAM FULL's group pel-count %r" % (group.get("pel-count"),))
    holders = collections.defaultdict(list)
    for c in group["consumers"]:
        m = parse_map(c)
        if m is None or not isinstance(m.get("pending"), list):
            return wrong + ["XINFO STREAM FULL lists the consumer %r" % (c,)]
        mine = [parse_sid(p[0]) if isinstance(p, list) and len(p) == 3 else p
                for p in m["pending"]]
        want = [s for s, o, _ in pend if o == m.get("name")]
        if mine != want or m.get("pel-count") != len(want):
            wrong.append("XINFO STREAM FULL: consumer %r has pel-count %r and PEL %s, not %s" % (
                m.get("name"), m.get("pel-count"), show_sids(
                    s for s in mine if isinstance(s, tuple)), show_sids(want)))
        for s in mine:
            holders[s].append(m.get("name"))
    shared = {s: h for s, h in holders.items() if len(h) > 1}
    if shared:
        wrong.append("in several consumers' PELs: %s" % "; ".join(
            "%s: %s" % (show_sid(s), b" ".join(h).decode()) for s, h in sorted(shared.items())[:4]))
    orphans = [s for s, _, _ in pend if s not in holders]
    if orphans:
        wrong.append("in no consumer's PEL: %s" % show_sids(orphans))
    return wrong


def read_stream_info(conn):
    info = parse_map(conn.call(b"XINFO", b"STREAM", STREAM))
    if info is None or not isinstance(info.get("entries-added"), int) or \
            parse_sid(info.get("last-generated-id")) is None:
        raise HarnessError("XINFO STREAM jobs replied %r" % (info,))
    return info


def read_stream(conn):
    """The stream, its group, consumers and pending entries, read in every way (section (1)-(4)
    of the oracle)."""
    names = ("XRANGE", "XREVRANGE", "XLEN", "XINFO STREAM", "XINFO STREAM FULL", "XINFO GROUPS",
             "XINFO CONSUMERS", "XPENDING", "XPENDING - +", "TYPE", "EXISTS", "DBSIZE")
    replies = conn.pipeline([
        (b"XRANGE", STREAM, b"-", b"+"), (b"XREVRANGE", STREAM, b"+", b"-"), (b"XLEN", STREAM),
        (b"XINFO", b"STREAM", STREAM), (b"XINFO", b"STREAM", STREAM, b"FULL", b"COUNT", b"0"),
        (b"XINFO", b"GROUPS", STREAM), (b"XINFO", b"CONSUMERS", STREAM, GROUP),
        (b"XPENDING", STREAM, GROUP), (b"XPENDING", STREAM, GROUP, b"-", b"+", b"1000000"),
        (b"TYPE", STREAM), (b"EXISTS", STREAM), (b"DBSIZE",)])
    obs = dict(zip(names, replies))
    consumers = [parse_map(c) for c in obs["XINFO CONSUMERS"]] \
        if isinstance(obs["XINFO CONSUMERS"], list) else []
    obs["consumers"] = [c["name"] for c in consumers if c and isinstance(c.get("name"), bytes)]
    obs["XPENDING per consumer"] = dict(zip(obs["consumers"], conn.pipeline([
        (b"XPENDING", STREAM, GROUP, b"-", b"+", b"1000000", c) for c in obs["consumers"]])))
    return obs


def init_stream(conn, verdict):
    """Creates the stream and its group (XGROUP CREATE ... $ MKSTREAM) before the first
    cycle; returns the oracle's baseline XINFO STREAM."""
    got = conn.call(b"XGROUP", b"CREATE", STREAM, GROUP, b"$", b"MKSTREAM")
    if got != "OK":
        verdict.add("stream-reply", "XGROUP CREATE jobs workers $ MKSTREAM replied %r" % (got,))
    return read_stream_info(conn)


def inject_stream(kind, conn, soracle, log):
    """Damages the stream or its group behind the oracle's back; returns a description.
    loss: XDEL one entry that must exist (an acknowledged XADD, of this cycle if one is not
    pending); unack: XCLAIM ... FORCE makes an entry whose XACK replied :1 this cycle pending
    again; ack: XACK one entry that must still be pending."""
    pending = conn.call(b"XPENDING", STREAM, GROUP, b"-", b"+", b"1000000")
    pending = {parse_sid(p[0]) for p in pending} if isinstance(pending, list) else set()
    present = {s for s, _ in parse_entries(conn.call(b"XRANGE", STREAM, b"-", b"+")) or []}
    if kind == "loss":
        must = [s for s in sorted(log.added.values()) if s in present and s not in pending] or \
            [s for s in sorted(soracle.entries) if s in present and s not in pending]
        if not must:
            return None
        if conn.call(b"XDEL", STREAM, sid_arg(must[0])) != 1:
            raise HarnessError("inject-loss: XDEL jobs %s did not remove it" % show_sid(must[0]))
        return "removed acknowledged entry %s (XDEL)" % show_sid(must[0])
    if kind == "unack":
        acked = [s for s in sorted(log.xacked) if s in present and s not in pending]
        if not acked:
            return None
        got = parse_entries(conn.call(b"XCLAIM", STREAM, GROUP, REAPER, b"0",
                                      sid_arg(acked[0]), b"FORCE"))
        if not got or [s for s, _ in got] != acked[:1]:
            raise HarnessError("inject-unack: XCLAIM jobs workers reaper 0 %s FORCE replied %r"
                               % (show_sid(acked[0]), got))
        return "made acknowledged entry %s pending again (XCLAIM ... FORCE)" % show_sid(acked[0])
    must = sorted(((set(soracle.pel) | set(log.delivered) | set(log.claimed)) -
                   set(log.ack_senders)) & pending)
    if not must:
        return None
    if conn.call(b"XACK", STREAM, GROUP, sid_arg(must[0])) != 1:
        raise HarnessError("inject-ack: XACK jobs workers %s did not acknowledge it" %
                           show_sid(must[0]))
    return "acknowledged pending entry %s behind the oracle's back (XACK)" % show_sid(must[0])


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description="kill -9 crash loop for queues "
                                 "(use scripts/queue-crash-test.sh)")
    ap.add_argument("--binary", required=True)
    ap.add_argument("--cycles", type=int, default=10)
    ap.add_argument("--appendfsync", choices=("always", "everysec", "no"), default="always")
    ap.add_argument("--seed", default=None)
    ap.add_argument("--producers", type=int, default=2)
    ap.add_argument("--consumers", type=int, default=4)
    ap.add_argument("--workload", choices=("queue", "zsets", "mixed", "scripts", "streams"),
                    default="queue", help="the queue's producers and consumers, sorted-set "
                    "counter writers, both, Lua transfer scripts between accounts, or a stream "
                    "with a consumer group")
    ap.add_argument("--zset-writers", type=int, default=3)
    ap.add_argument("--script-writers", type=int, default=3)
    ap.add_argument("--kill-min", type=float, default=0.2)
    ap.add_argument("--kill-max", type=float, default=2.0)
    ap.add_argument("--memtable-size", default="256kb",
                    help="small, so that flushes, log switches and compactions happen")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--inject-loss", dest="inject", action="store_const", const="loss",
                    help=argparse.SUPPRESS)
    ap.add_argument("--inject", choices=("loss", "unack", "ack"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cycles < 1 or args.producers < 1 or args.consumers < 1 or args.zset_writers < 1 \
            or args.script_writers < 1:
        ap.error("need --cycles, --producers, --consumers, --zset-writers and --script-writers "
                 ">= 1")
    args.queue = args.workload in ("queue", "mixed")
    args.zsets = args.workload in ("zsets", "mixed")
    args.scripts = args.workload == "scripts"
    args.streams = args.workload == "streams"
    args.inject_loss = args.inject is not None
    if args.inject not in (None, "loss") and not args.streams:
        ap.error("--inject %s needs --workload streams" % args.inject)
    if not 0 < args.kill_min <= args.kill_max:
        ap.error("need 0 < --kill-min <= --kill-max")
    seed = args.seed if args.seed is not None else str(random.SystemRandom().randrange(10**9))

    prepared = prepare("queue-crash-test", "stash-queue-crash-", args.binary, args.appendfsync,
                       args.memtable_size)
    if prepared is None:
        return 2
    work, server = prepared
    return run_guarded("queue-crash-test", server, work, args.keep,
                       lambda keep: run(args, seed, server, keep))


def run_cycle(args, cycle, seed, server, ids, kill_at, zoracle, soracle, toracle):
    """Producers and consumers and/or sorted-set writers, or script writers, or the streams
    workload's producers, consumers and reaper, until the kill; returns (CycleLog, [ZsetLog],
    ScriptLog, StreamLog, seconds killed at, verdict with any wrong reply or hang)."""
    rng = random.Random("%s:%d" % (seed, cycle))
    # With --inject-loss the producers do not pause: the queue then grows, so that the first
    # restart surely has an acknowledged job to remove.
    producers = [Producer("producer %d" % i, random.Random(rng.random()), ids,
                          pauses=not args.inject_loss) for i in range(args.producers)]
    consumers = [Consumer("consumer %d" % i, random.Random(rng.random()), i % 2 == 1)
                 for i in range(args.consumers)]
    zwriters = [ZsetWriter("zset writer %d" % w, random.Random(rng.random()), key,
                           zoracle.states[key]) for w, key in enumerate(zoracle.keys)]
    # Script writers: SCRIPT LOAD first in the first cycle, never in the second (so that the
    # restarted server's empty cache surely answers NOSCRIPT and EVAL runs), then now and then.
    swriters = [ScriptWriter("script writer %d" % w, random.Random(rng.random()), ids,
                             soracle.seq(), cycle == 1 or (cycle > 2 and rng.random() < 0.25))
                for w in range(args.script_writers)] if args.scripts else []
    # Streams: producers XADD (pausing as the queue's do), consumers "consumer:<i>" read with
    # XREADGROUP > and XACK, half of them (at random) re-reading their own pending entries
    # first, and the reaper.
    xproducers, xconsumers, reaper = [], [], None
    if args.streams:
        start_last = parse_sid(toracle.info["last-generated-id"])
        xproducers = [StreamProducer("stream producer %d" % i, random.Random(rng.random()), ids,
                                     not args.inject_loss, start_last)
                      for i in range(args.producers)]
        xconsumers = [StreamConsumer("stream consumer %d" % i, random.Random(rng.random()),
                                     consumer_name(i), i % 2 == 1, rng.random() < 0.5)
                      for i in range(args.consumers)]
        reaper = StreamReaper("stream reaper", random.Random(rng.random()))
    if not args.queue:
        producers, consumers = [], []
    workers = producers + consumers + (zwriters if args.zsets else []) + swriters + \
        xproducers + xconsumers + ([reaper] if reaper else [])
    threads = [threading.Thread(target=w.run, args=(server.port,), daemon=True) for w in workers]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(max(0.0, kill_at - (time.monotonic() - t0)))
    server.kill()
    killed_at = time.monotonic() - t0
    verdict = Verdict()
    for w, t in zip(workers, threads):
        t.join(timeout=30)
        if t.is_alive():
            verdict.add("hang", "%s still running 30 s after the kill" % w.name)
        elif w.bad_reply:
            verdict.add("zset-reply" if isinstance(w, ZsetWriter) else "script-reply"
                        if isinstance(w, ScriptWriter) else "stream-reply"
                        if isinstance(w, (StreamWorker, StreamProducer)) else "bad-reply",
                        w.bad_reply)
        elif w.error and w.error.startswith("internal"):
            raise HarnessError("%s: %s" % (w.name, w.error))
    zlogs = [ZsetLog(w.key, zoracle.states[w.key], w) for w in zwriters] if args.zsets else []
    return CycleLog(producers, consumers), zlogs, ScriptLog(swriters), \
        StreamLog(xproducers, xconsumers, reaper), killed_at, verdict


def run(args, seed, server, keep):
    workers = []
    if args.queue:
        workers.append("%d producers, %d consumers" % (args.producers, args.consumers))
    if args.zsets:
        workers.append("%d zset writers" % args.zset_writers)
    if args.scripts:
        workers.append("%d script writers, %d accounts" % (args.script_writers, ACCOUNTS))
    if args.streams:
        workers.append("%d producers, %d consumers and a reaper on one consumer group" % (
            args.producers, args.consumers))
    print("queue-crash-test: %d cycles, appendfsync %s, seed %s, %s%s, binary %s" % (
        args.cycles, args.appendfsync, seed, "workload %s, " % args.workload
        if args.workload != "queue" else "", ", ".join(workers), args.binary), flush=True)
    ids = JobIds(b"tx" if args.scripts else b"job")
    oracle = Oracle()
    zoracle = ZsetOracle(args.zset_writers)
    soracle = ScriptOracle()
    toracle = StreamOracle()
    lists = not (args.scripts or args.streams)  # read the queue's lists (queue, zsets, mixed)
    read_rng = random.Random("%s:read" % seed)
    kill_rng = random.Random("%s:kill" % seed)
    totals = {c: 0 for c in Verdict.CATEGORIES}
    acked = {"pushes": 0, "zset ops": 0 if args.zsets else None,
             "transfers": 0 if args.scripts else None,
             "XADDs": 0 if args.streams else None, "XACKs": 0}
    injected = {"queue": not args.queue, "zsets": not args.zsets, "scripts": not args.scripts,
                "streams": not args.streams}
    server.start()
    if args.scripts or args.streams:
        conn = Conn(server.port)
        try:
            verdict = Verdict()
            if args.scripts:
                init_accounts(conn, verdict)
            else:
                toracle.info = init_stream(conn, verdict)
        finally:
            conn.close()
        if verdict:
            return finish(verdict, totals, 0, acked, seed)
    t_start = time.monotonic()
    for cycle in range(1, args.cycles + 1):
        log, zlogs, slog, tlog, killed_at, verdict = run_cycle(
            args, cycle, seed, server, ids, kill_rng.uniform(args.kill_min, args.kill_max),
            zoracle, soracle, toracle)
        acked["pushes"] += len(log.acked)
        if args.zsets:
            acked["zset ops"] += sum(z.acked for z in zlogs)
        if args.scripts:
            acked["transfers"] += len(slog.acked)
        if args.streams:
            acked["XADDs"] += len(tlog.added)
            acked["XACKs"] += len(tlog.xacked)
            # Claimed entries that were pending at the start of the cycle: those of the
            # consumers killed with the server (or left by an earlier "crash").
            taken_over = sum(1 for sid in tlog.claimed if sid in toracle.pel)
        try:
            recovery = server.start()
        except ServerFailed as e:
            verdict.add("restart", "cycle %d: %s" % (cycle, e))
            print("cycle %d/%d: killed at %.2f s: RESTART FAILED" % (cycle, args.cycles,
                                                                     killed_at))
            return finish(verdict, totals, cycle, acked, seed)
        conn = Conn(server.port)
        try:
            notes = []
            if args.inject_loss and not injected["queue"]:
                what = inject_loss(conn, oracle, log)
                if what:
                    injected["queue"] = True
                    notes.append(what)
            if args.inject_loss and not injected["zsets"]:
                what = inject_zset_loss(conn, zlogs)
                if what:
                    injected["zsets"] = True
                    notes.append(what)
            if args.inject_loss and not injected["scripts"]:
                what = inject_script_loss(conn, soracle, slog)
                if what:
                    injected["scripts"] = True
                    notes.append(what)
            if args.inject and not injected["streams"]:
                what = inject_stream(args.inject, conn, toracle, tlog)
                if what:
                    injected["streams"] = True
                    notes.append(what)
            note = "".join(" [inject-%s: %s]" % (args.inject, n) for n in notes)
            state = read_state(conn) if lists else None
            zobserved = read_zsets(conn, zoracle.keys, read_rng) if args.zsets else {}
            sobserved = read_scripts(conn) if args.scripts else None
            tobserved = read_stream(conn) if args.streams else None
            applied = sapplied = trimmed = 0
            tverdict = None
            if not verdict.counts["hang"]:
                if args.streams:
                    tverdict = toracle.verify(tlog, tobserved, verdict)
                elif args.scripts:
                    sapplied = soracle.verify(slog, sobserved, verdict)
                else:
                    oracle.verify(log, state, verdict, non_empty(zobserved))
                    applied = zoracle.verify(zlogs, zobserved, verdict)
            requeued = 0
            if not verdict:
                if args.streams:
                    trimmed = toracle.advance(tlog, tobserved, tverdict[1], tverdict[2], conn)
                elif args.scripts:
                    soracle.advance(slog, sobserved)
                else:
                    oracle.advance(log, state)
                    requeued = requeue(conn, oracle)
                    zoracle.advance(zlogs, zobserved)
        finally:
            conn.close()
        parts = []
        if args.queue:
            parts.append("%d pushes acknowledged (%d sent), %d moves (%d found the queue empty, "
                         "%d unanswered), %d done (%d LREMs sent)" % (
                             len(log.acked), len(log.sent), log.moves, log.empty,
                             log.moves_in_flight, len(log.done), len(log.lrem_sent)))
        if args.zsets:
            parts.append("%d zset ops acknowledged (%d unanswered, %d found applied)" % (
                sum(z.acked for z in zlogs), sum(1 for z in zlogs if z.in_flight), applied))
        if args.scripts:
            parts.append("%d transfers acknowledged (%d refused, %d unanswered, %d found "
                         "applied; %d SCRIPT LOADs, %d NOSCRIPT fallbacks to EVAL)" % (
                             len(slog.acked), len(slog.refused), len(slog.in_flight), sapplied,
                             slog.loads, slog.fallbacks))
        if args.streams:
            parts.append("%d XADDs acknowledged (%d sent, %d found applied), %d reads (%d nil, %d "
                         "unanswered), %d delivered, %d re-read, %d claimed (%d pending at the "
                         "start; %d XAUTOCLAIMs, %d XCLAIMs), %d XACKs acknowledged (%d replied 0, "
                         "%d sent), %d dropped" % (
                             len(tlog.added), len(tlog.sent_jobs), tverdict[0] if tverdict else 0,
                             tlog.reads, tlog.empty, len(tlog.reads_in_flight),
                             len(tlog.delivered), len(tlog.history), len(tlog.claimed),
                             taken_over, tlog.autoclaims, tlog.xclaims, len(tlog.xacked),
                             len(tlog.ack_zero), len(tlog.ack_senders), tlog.dropped))
        parts.append("killed at %.2f s, restart %.2f s" % (killed_at, recovery))
        if args.queue:
            parts.append("queue %d, processing %d (requeued %d)" % (
                len(state["queue"]), len(state["processing"]), requeued))
        if args.zsets:
            parts.append("boards %s members" % "/".join(
                "%d" % len(o["range"]) if o["range"] is not None else "?"
                for o in zobserved.values()))
        if args.scripts:
            parts.append("ledger %s, balances %s" % (
                len(sobserved["ledger"]) if sobserved["ledger"] is not None else "?",
                show_balances(sobserved["balances"])))
        if args.streams:
            parts.append("stream %s entries (then trimmed %d), %s pending" % (
                len(tverdict[1]) if tverdict else "?", trimmed,
                len(tverdict[2]) if tverdict and tverdict[2] is not None else "?"))
        print("cycle %d/%d: %s: %s%s" % (cycle, args.cycles, ", ".join(parts), verdict.summary(),
                                         note), flush=True)
        if verdict:
            return finish(verdict, totals, cycle, acked, seed, keep=keep or
                          not args.inject_loss)
    # A clean stop must keep every pending job, every board as last verified, and the ledger
    # and the balances as last verified, too.
    verdict = Verdict()
    code = server.stop()
    if code != 0:
        verdict.add("clean-stop", "SIGTERM: stashd exit code %s" % code)
    try:
        recovery = server.start()
    except ServerFailed as e:
        verdict.add("restart", "after the clean stop: %s" % e)
        return finish(verdict, totals, args.cycles, acked, seed)
    conn = Conn(server.port)
    try:
        state = read_state(conn) if lists else None
        zobserved = read_zsets(conn, zoracle.keys, read_rng) if args.zsets else {}
        sobserved = read_scripts(conn) if args.scripts else None
        tobserved = read_stream(conn) if args.streams else None
    finally:
        conn.close()
    if args.streams:
        tverdict = toracle.verify(StreamLog(), tobserved, verdict)  # exactly the last verified
    elif args.scripts:
        soracle.verify(ScriptLog(), sobserved, verdict)  # exactly the last verified ledger
    else:
        oracle.verify(CycleLog(), state, verdict, non_empty(zobserved))
    if args.zsets:
        zoracle.verify([ZsetLog(k, zoracle.states[k]) for k in zoracle.keys], zobserved,
                       verdict)
    code = server.stop()
    if code != 0:
        verdict.add("clean-stop", "final SIGTERM: stashd exit code %s" % code)
    parts = []
    if args.queue:
        parts.append("%d jobs pending" % len(state["queue"]))
    if args.zsets:
        parts.append("boards %s members" % "/".join(
            "%d" % len(zoracle.states[k]) for k in zoracle.keys))
    if args.scripts:
        parts.append("ledger %s, balances %s" % (
            len(sobserved["ledger"]) if sobserved["ledger"] is not None else "?",
            show_balances(sobserved["balances"])))
    if args.streams:
        parts.append("stream %s entries, %s pending" % (
            len(tverdict[1]) if tverdict else "?",
            len(tverdict[2]) if tverdict and tverdict[2] is not None else "?"))
    print("clean stop and restart %.2f s: %s: %s" % (recovery, ", ".join(parts),
                                                     verdict.summary()))
    print("elapsed %.1f s" % (time.monotonic() - t_start), flush=True)
    return finish(verdict, totals, args.cycles, acked, seed, keep=keep or bool(verdict))


def finish(verdict, totals, cycles, acked, seed, keep=True):
    """Reports verdict's violations and prints the final line; returns (status, keep)."""
    for c, n in verdict.counts.items():
        totals[c] += n
    if verdict:
        print("violations (seed %s):" % seed)
        for n, (category, text) in enumerate(verdict.details):
            if n == 20:
                print("  ... %d more" % (len(verdict.details) - n))
                break
            print("  [%s] %s" % (category, text))
    other = {c: n for c, n in totals.items() if n and c not in ("lost", "duplicated", "invented")}
    if other:
        print("other violations: " + ", ".join("%d %s" % (n, c) for c, n in other.items()))
    if acked["XADDs"] is not None:
        print("%d cycles, %d acknowledged XADDs, %d acknowledged XACKs, %d lost, %d duplicated, "
              "%d invented, %d acks undone, %d stream violations" % (
                  cycles, acked["XADDs"], acked["XACKs"], totals["lost"], totals["duplicated"],
                  totals["invented"], totals["ack-undone"], sum(
                      totals[c] for c in Verdict.STREAM_CATEGORIES if c != "ack-undone")),
              flush=True)
        return (1 if verdict else 0), keep
    if acked["transfers"] is not None:
        print("%d cycles, %d acknowledged transfers, %d lost, %d duplicated, %d invented, %d "
              "invariant violations" % (
                  cycles, acked["transfers"], totals["lost"], totals["duplicated"],
                  totals["invented"], sum(totals[c] for c in Verdict.SCRIPT_CATEGORIES)),
              flush=True)
        return (1 if verdict else 0), keep
    zsets = ""
    if acked["zset ops"] is not None:
        zsets = ", %d acknowledged zset ops, %d zset violations" % (
            acked["zset ops"], sum(totals[c] for c in Verdict.ZSET_CATEGORIES))
    print("%d cycles, %d acknowledged pushes, %d lost, %d duplicated, %d invented%s"
          % (cycles, acked["pushes"], totals["lost"], totals["duplicated"], totals["invented"],
             zsets), flush=True)
    return (1 if verdict else 0), keep


if __name__ == "__main__":
    sys.exit(main())
