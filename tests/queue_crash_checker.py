#!/usr/bin/python3
"""kill -9 crash loop for a reliable queue on lists, with an oracle of acknowledged pushes,
moves and acknowledgements. Run it through scripts/queue-crash-test.sh, which documents the
options.

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

Exit status: 0 when every cycle verified, 1 on any violation (a wrong reply, e.g. an LREM of a
job this consumer just moved replying :0, counts too; the data directory and server log are then
kept and their path printed), 2 on a usage or harness error. The hidden --inject-loss removes one
job that must exist (LREM from its list, on a separate connection) after the first restart that
has one, before verifying, without telling the oracle (its producers do not pause, so the queue
is never empty at a kill): the run must then report 1 lost and exit 1.
"""
import argparse
import collections
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crash_checker import Conn, HarnessError, ReplyError, Server, ServerFailed, \
    read_reply, snapshot_binary  # noqa: E402
from stashd import encode_command  # noqa: E402

QUEUE = b"queue"
PROCESSING = b"processing"
SIDES = (b"LEFT", b"RIGHT")
BLOCK_TIMEOUTS = (b"0", b"0.1", b"1")
MAX_JOBS_PER_CYCLE = 200000  # per producer: bounds memory whatever the speed


class BadReply(Exception):
    pass


class JobIds:
    """Unique job names for the whole run, from any thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.next = 0

    def take(self, n):
        with self.lock:
            first = self.next
            self.next += n
        return [b"job:%d" % i for i in range(first, first + n)]


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


class Producer(Worker):
    """Pushes in bursts of 0.05-0.2 s separated by pauses of 0.1-0.4 s (unless pauses is false),
    so that the queue runs dry now and then and the consumers' BLMOVEs block."""

    def __init__(self, name, rng, ids, pauses):
        super().__init__(name, rng)
        self.ids = ids
        self.pauses = pauses
        self.sent = []          # jobs whose RPUSH was (being) written
        self.acked = []         # jobs whose RPUSH reply arrived

    def work(self, conn):
        r = self.rng
        busy_until = time.monotonic() + r.uniform(0.05, 0.2)
        while len(self.sent) < MAX_JOBS_PER_CYCLE:
            if self.pauses and time.monotonic() > busy_until:
                # A pause: the consumers empty the queue and block until the next push.
                time.sleep(r.uniform(0.1, 0.4))
                busy_until = time.monotonic() + r.uniform(0.05, 0.2)
            jobs = self.ids.take(1 if r.random() < 0.7 else r.randint(2, 8))
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


# ----------------------------------------------------------------------------- verification

class Verdict:
    CATEGORIES = ("lost", "duplicated", "invented", "unmoved", "phantom-move", "length",
                  "out-of-order", "bad-reply", "restart", "clean-stop", "hang")

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

    def verify(self, log, state, verdict):
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
        if state["dbsize"] != lists:
            verdict.add("length", "DBSIZE %r, but %d list(s) exist and nothing else was written"
                        % (state["dbsize"], lists))

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
    ap.add_argument("--kill-min", type=float, default=0.2)
    ap.add_argument("--kill-max", type=float, default=2.0)
    ap.add_argument("--memtable-size", default="256kb",
                    help="small, so that flushes, log switches and compactions happen")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--inject-loss", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cycles < 1 or args.producers < 1 or args.consumers < 1:
        ap.error("need --cycles, --producers and --consumers >= 1")
    if not 0 < args.kill_min <= args.kill_max:
        ap.error("need 0 < --kill-min <= --kill-max")
    seed = args.seed if args.seed is not None else str(random.SystemRandom().randrange(10**9))

    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)

    work = tempfile.mkdtemp(prefix="stash-queue-crash-", dir="/tmp")
    try:
        binary = snapshot_binary(args.binary, work)
    except HarnessError as e:
        print("queue-crash-test: harness error: %s" % e, flush=True)
        shutil.rmtree(work, ignore_errors=True)
        return 2
    server = Server(binary, os.path.join(work, "data"), os.path.join(work, "stashd.log"),
                    ["--appendfsync", args.appendfsync,
                     "--lsm-memtable-size", args.memtable_size,
                     "--lsm-target-file-size", args.memtable_size,
                     "--lsm-l1-size", "2mb", "--lsm-block-size", "4kb"])
    keep = args.keep
    status = 2
    try:
        status, keep = run(args, seed, server, keep)
    except ServerFailed as e:
        print("queue-crash-test: VIOLATION: %s" % e, flush=True)
        keep = True
        status = 1
    except HarnessError as e:
        print("queue-crash-test: harness error: %s" % e, flush=True)
        keep = True
        status = 2
    finally:
        server.kill()
        if keep:
            print("queue-crash-test: work directory kept: %s" % work, flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return status


def run_cycle(args, cycle, seed, server, ids, kill_at):
    """Producers and consumers until the kill; returns (CycleLog, seconds killed at, verdict
    with any wrong reply or hang)."""
    rng = random.Random("%s:%d" % (seed, cycle))
    # With --inject-loss the producers do not pause: the queue then grows, so that the first
    # restart surely has an acknowledged job to remove.
    producers = [Producer("producer %d" % i, random.Random(rng.random()), ids,
                          pauses=not args.inject_loss) for i in range(args.producers)]
    consumers = [Consumer("consumer %d" % i, random.Random(rng.random()), i % 2 == 1)
                 for i in range(args.consumers)]
    workers = producers + consumers
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
            verdict.add("bad-reply", w.bad_reply)
        elif w.error and w.error.startswith("internal"):
            raise HarnessError("%s: %s" % (w.name, w.error))
    return CycleLog(producers, consumers), killed_at, verdict


def run(args, seed, server, keep):
    print("queue-crash-test: %d cycles, appendfsync %s, seed %s, %d producers, %d consumers, "
          "binary %s" % (args.cycles, args.appendfsync, seed, args.producers, args.consumers,
                         args.binary), flush=True)
    ids = JobIds()
    oracle = Oracle()
    kill_rng = random.Random("%s:kill" % seed)
    totals = {c: 0 for c in Verdict.CATEGORIES}
    acked_pushes = 0
    injected = False
    server.start()
    t_start = time.monotonic()
    for cycle in range(1, args.cycles + 1):
        log, killed_at, verdict = run_cycle(args, cycle, seed, server, ids,
                                            kill_rng.uniform(args.kill_min, args.kill_max))
        acked_pushes += len(log.acked)
        try:
            recovery = server.start()
        except ServerFailed as e:
            verdict.add("restart", "cycle %d: %s" % (cycle, e))
            print("cycle %d/%d: killed at %.2f s: RESTART FAILED" % (cycle, args.cycles,
                                                                     killed_at))
            return finish(verdict, totals, cycle, acked_pushes, seed)
        conn = Conn(server.port)
        try:
            note = ""
            if args.inject_loss and not injected:
                what = inject_loss(conn, oracle, log)
                if what:
                    injected = True
                    note = " [inject-loss: %s]" % what
            state = read_state(conn)
            if not verdict.counts["hang"]:
                oracle.verify(log, state, verdict)
            requeued = 0
            if not verdict:
                oracle.advance(log, state)
                requeued = requeue(conn, oracle)
        finally:
            conn.close()
        print("cycle %d/%d: %d pushes acknowledged (%d sent), %d moves (%d found the queue "
              "empty, %d unanswered), %d done (%d LREMs sent), killed at %.2f s, restart %.2f s, "
              "queue %d, processing %d (requeued %d): %s%s"
              % (cycle, args.cycles, len(log.acked), len(log.sent), log.moves, log.empty,
                 log.moves_in_flight, len(log.done), len(log.lrem_sent), killed_at, recovery,
                 len(state["queue"]), len(state["processing"]), requeued, verdict.summary(),
                 note), flush=True)
        if verdict:
            return finish(verdict, totals, cycle, acked_pushes, seed, keep=keep or
                          not args.inject_loss)
    # A clean stop must keep every pending job too.
    verdict = Verdict()
    code = server.stop()
    if code != 0:
        verdict.add("clean-stop", "SIGTERM: stashd exit code %s" % code)
    try:
        recovery = server.start()
    except ServerFailed as e:
        verdict.add("restart", "after the clean stop: %s" % e)
        return finish(verdict, totals, args.cycles, acked_pushes, seed)
    conn = Conn(server.port)
    try:
        state = read_state(conn)
    finally:
        conn.close()
    oracle.verify(CycleLog(), state, verdict)
    code = server.stop()
    if code != 0:
        verdict.add("clean-stop", "final SIGTERM: stashd exit code %s" % code)
    print("clean stop and restart %.2f s: %d jobs pending: %s" % (recovery, len(state["queue"]),
                                                                   verdict.summary()))
    print("elapsed %.1f s" % (time.monotonic() - t_start), flush=True)
    return finish(verdict, totals, args.cycles, acked_pushes, seed, keep=keep or bool(verdict))


def finish(verdict, totals, cycles, acked_pushes, seed, keep=True):
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
    print("%d cycles, %d acknowledged pushes, %d lost, %d duplicated, %d invented"
          % (cycles, acked_pushes, totals["lost"], totals["duplicated"], totals["invented"]),
          flush=True)
    return (1 if verdict else 0), keep


if __name__ == "__main__":
    sys.exit(main())
