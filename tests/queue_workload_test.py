"""A reliable queue built on lists, run through redis-py on stashd and on a stock redis-server
with the same workload; on both, every job must be processed exactly once.

The workload (QueueWorkload): 3 producer threads RPUSH the unique jobs "job:<n>" onto "queue";
4 consumer threads loop on BLMOVE queue processing RIGHT LEFT 0.2, process the job (count it in
a shared dict) and acknowledge it with LREM processing 1 job. Every 17th job (by number) is
"crashed" on its first delivery: the consumer takes it and neither processes nor acknowledges
it. A reaper thread looks at "processing" every 0.1 s, remembers when it first saw each job
there, and re-queues the ones older than STALE in one transaction (WATCH processing; LRANGE;
MULTI; LREM processing 1 job; RPUSH queue job ...; EXEC). The WATCH makes the re-queue
conditional: a job acknowledged between the LRANGE and the EXEC aborts it instead of being
pushed back (a plain MULTI would run the RPUSH even when its LREM found nothing, and the job
would be processed twice); every LREM in an EXEC that ran must therefore remove its job.

Checked on each server, once every job was processed: each was processed exactly once (none
missing, none twice, none unknown), no acknowledgement found its job gone (the reaper took
nothing from a live consumer), "queue" and "processing" are empty and gone (LLEN 0, EXISTS 0),
and the reaper re-queued exactly the crashed deliveries. This exercises blocked BLMOVEs served
by pushes from other connections, LREM in the middle of a list, and WATCH/MULTI/EXEC on lists
under concurrent moves. With DATA_TARGET=redis the "stashd" side is a second redis-server."""
import threading
import time
import traceback
import unittest

import redis

from differential import AGAINST_REDIS, RedisServer, start_server
from stashd import stop_server

JOBS = 3000
PRODUCERS = 3
CONSUMERS = 4
CRASH_EVERY = 17      # job numbers divisible by it are crashed on their first delivery
BLOCK_TIMEOUT = 0.2   # seconds a consumer's BLMOVE waits on an empty queue
STALE = 0.5           # seconds a job may sit in "processing" before the reaper re-queues it
REAP_INTERVAL = 0.1
REAP_RETRIES = 20     # immediate retries of a reap whose WATCH fired, before the next interval
DEADLINE = 60         # seconds for the whole workload on one server


def job_number(job):
    return int(job.split(b":")[1])


class QueueWorkload:
    """One run of the workload against the server on port; run() returns its duration."""

    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.processed = {}     # job -> times processed
        self.deliveries = {}    # job -> times a consumer took it
        self.crashed = 0        # deliveries taken and never acknowledged
        self.reaped = 0         # jobs the reaper moved back from "processing" (LREM said 1)
        self.late_acks = []     # jobs whose LREM found nothing: re-queued under a live consumer
        self.errors = []        # a thread's traceback, or a reply that breaks the protocol
        self.done = threading.Event()   # every job processed
        self.over = threading.Event()   # done, or a thread failed
        self.stop = threading.Event()   # the threads must return

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10)

    def guarded(self, fn, *args):
        """fn(*args) as a thread body: an exception is recorded and ends the run."""
        def body():
            try:
                fn(*args)
            except Exception:
                with self.lock:
                    self.errors.append(traceback.format_exc())
                self.over.set()
        return threading.Thread(target=body, daemon=True)

    def producer(self, p):
        r = self.client()
        for n in range(p, JOBS, PRODUCERS):
            if self.stop.is_set():
                return
            length = r.rpush("queue", "job:%d" % n)
            if not isinstance(length, int) or length < 1:
                raise AssertionError("RPUSH queue job:%d replied %r" % (n, length))

    def consumer(self):
        r = self.client()
        while not self.done.is_set() and not self.stop.is_set():
            job = r.blmove("queue", "processing", BLOCK_TIMEOUT, "RIGHT", "LEFT")
            if job is None:
                continue
            with self.lock:
                self.deliveries[job] = self.deliveries.get(job, 0) + 1
                crash = job_number(job) % CRASH_EVERY == 0 and self.deliveries[job] == 1
                if crash:
                    self.crashed += 1
                else:
                    self.processed[job] = self.processed.get(job, 0) + 1
                    if len(self.processed) == JOBS:
                        self.done.set()
                        self.over.set()
            if crash:
                continue  # the consumer "died" holding the job: it stays in "processing"
            removed = r.lrem("processing", 1, job)
            if removed != 1:
                with self.lock:
                    self.late_acks.append((job, removed))

    def reaper(self):
        r = self.client()
        seen = {}  # job -> when it was first seen in "processing"
        while not self.stop.is_set():
            for _ in range(REAP_RETRIES):
                if not self.reap_once(r, seen):
                    break
            self.stop.wait(REAP_INTERVAL)

    def reap_once(self, r, seen):
        """One look at "processing", re-queueing its stale jobs; returns whether to retry at
        once (the list changed between the look and the EXEC)."""
        with r.pipeline(transaction=True) as p:
            try:
                p.watch("processing")
                now = time.monotonic()
                jobs = p.lrange("processing", 0, -1)
                for job in set(seen) - set(jobs):
                    del seen[job]
                for job in jobs:
                    seen.setdefault(job, now)
                stale = [job for job in jobs if now - seen[job] >= STALE]
                if not stale:
                    return False
                p.multi()
                for job in stale:
                    p.lrem("processing", 1, job)
                    p.rpush("queue", job)
                replies = p.execute()
            except redis.WatchError:
                return True
        for job, removed in zip(stale, replies[0::2]):
            if removed == 1:
                del seen[job]
                with self.lock:
                    self.reaped += 1
            else:
                with self.lock:
                    self.errors.append("reaper: LREM processing 1 %s replied %r inside an EXEC "
                                       "guarded by WATCH processing, after LRANGE listed it"
                                       % (job.decode(), removed))
        return False

    def run(self):
        """Runs the workload until every job is processed, a thread fails or DEADLINE passes."""
        threads = [self.guarded(self.producer, p) for p in range(PRODUCERS)]
        threads += [self.guarded(self.consumer) for _ in range(CONSUMERS)]
        threads.append(self.guarded(self.reaper))
        t0 = time.monotonic()
        for t in threads:
            t.start()
        self.over.wait(DEADLINE)
        elapsed = time.monotonic() - t0
        self.stop.set()
        for t in threads:
            t.join(timeout=30)
            if t.is_alive():
                self.errors.append("a workload thread still runs 30 s after the stop")
        return elapsed

    def progress(self):
        with self.lock:
            return "%d of %d jobs processed, %d deliveries, %d crashed, %d reaped" % (
                len(self.processed), JOBS, sum(self.deliveries.values()), self.crashed,
                self.reaped)


class QueueWorkloadTest(unittest.TestCase):
    def check_workload(self, name, port):
        w = QueueWorkload(port)
        elapsed = w.run()
        print("\n%s: %d jobs, %d crashed, %d reaped, %.1f s" % (name, len(w.processed),
                                                                 w.crashed, w.reaped, elapsed))
        self.assertEqual(w.errors, [], "\n".join(w.errors))
        self.assertTrue(w.done.is_set(), "%s: not done within %d s: %s" % (name, DEADLINE,
                                                                           w.progress()))
        expected = {b"job:%d" % n for n in range(JOBS)}
        self.assertEqual(sorted(expected - set(w.processed)), [], "jobs never processed")
        self.assertEqual(sorted(set(w.processed) - expected), [], "jobs nobody pushed")
        self.assertEqual({j: c for j, c in w.processed.items() if c != 1}, {},
                         "jobs processed more than once")
        self.assertEqual(w.late_acks, [], "acknowledgements that found their job gone from "
                         "processing (a consumer stalled longer than STALE?)")
        r = w.client()
        self.assertEqual((r.llen("queue"), r.llen("processing")), (0, 0))
        self.assertEqual(r.exists("queue", "processing"), 0)
        crashes = len(range(0, JOBS, CRASH_EVERY))
        self.assertEqual(w.crashed, crashes)
        self.assertEqual(w.reaped, w.crashed, "re-queued jobs != crashed deliveries")
        self.assertEqual(sum(w.deliveries.values()), JOBS + crashes)

    def test_every_job_is_processed_exactly_once_on_stashd_and_redis(self):
        server = start_server()
        try:
            with self.subTest(server="stashd"):
                self.check_workload("redis-server (DATA_TARGET=redis)" if AGAINST_REDIS
                                    else "stashd", server.port)
        finally:
            stop_server(server)
        ref = RedisServer()
        try:
            with self.subTest(server="redis-server"):
                self.check_workload("redis-server", ref.port)
        finally:
            ref.stop()


if __name__ == "__main__":
    unittest.main()
