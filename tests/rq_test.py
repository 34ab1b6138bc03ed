"""RQ (Debian's python3-rq 1.13, on redis-py 4.3) with the server under test as its Redis: the
real `rq worker --burst --with-scheduler` (a subprocess; tests/rq_jobs.py holds the job
functions, importable through PYTHONPATH) runs 500 jobs, first against a stock redis-server
(proving the test right), then against stashd; everything is checked on both, and what does not
depend on timing must be the same on both.

RQ >= 1.12 keeps every job's results in a Redis stream, rq:results:<job id>: the worker XADDs
one entry per result (`XADD key MAXLEN ~ 10 * type 1 return_value <base64 pickle>`, or
`exc_string <base64 zlib traceback>` for a failure) and EXPIREs the stream with the result's TTL;
job.return_value(), job.result, job.exc_info and job.latest_result() read the newest entry
(XREVRANGE key + - COUNT 1), job.results() all of them (XREVRANGE key + -). It does so only when
INFO server says redis_version >= 5.0.0: below that it falls back to the job hash, so the test
fails at once if the server reports an older version.

The scenario (Scenario.run), queue "stash-rq", job ids chosen by the test:
  * 500 jobs: `add` one by one and 150 through enqueue_many (a pipeline), unicode / nested /
    bytes / 100 kB values through `echo`, jobs returning None, a failing job, a job depending on
    a plain one (deferred, then enqueued by the worker when it finished: WATCH/MULTI) and one
    depending on the failing job (deferred for good), a job that fails its first run, two jobs
    retried twice with Retry(max=2), one job id enqueued 12 times (12 results in one stream,
    trimmed by MAXLEN ~ 10), and a job delayed by DELAY s with enqueue_in (ScheduledJobRegistry);
  * worker 1: `rq worker --burst --with-scheduler`. In burst mode RQ 1.13's worker has its
    scheduler enqueue the jobs that are due once, when it starts (it does not fork a scheduler
    process), then works until the queue is empty: the delayed job is not due yet, so it stays
    scheduled (unless worker 1 started late: that is timing, not compared);
  * the job that failed its first run is requeued from the FailedJobRegistry; once the delayed job
    is due, worker 2 (the same command) enqueues it through its scheduler and runs both;
  * checked: every return value (job.return_value(), job.result, latest_result(), results()
    newest first), the failures' exc_info and results, the registries (finished, failed,
    deferred, scheduled, started), the delayed job started no earlier than its scheduled time,
    the result streams as stored (type, entries, fields, IDs as milliseconds of the run, TTLs),
    the workers' counters, the keys left (names and types), and the workers' logs (no Redis
    error; the only tracebacks are those of the jobs that fail on purpose)."""
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import warnings
from datetime import timedelta, timezone

import redis

from framework_util import TimedScenario, assert_same_parts, on_redis_then_stashd
from stashd import ROOT

TESTS = os.path.join(ROOT, "tests")
QUEUE = "stash-rq"
TOTAL = 500             # distinct jobs
BULK = 150              # of the `add` jobs, through enqueue_many
REPEATS = 12            # runs of the one job id enqueued again and again
RESULTS_MAXLEN = 10     # RQ's XADD MAXLEN ~ 10
RETRY_FAILURES = 2      # the retried jobs fail twice, then succeed (Retry(max=2))
DELAY = 4               # seconds: the delayed job
RESULT_TTL = 500        # RQ's default result_ttl
FAILURE_TTL = 31536000  # RQ's default failure_ttl (a year), for the FailedJobRegistry
WORKER_TIMEOUT = 90     # seconds for one `rq worker --burst`
ECHO_VALUES = [
    "h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c \U0001f389",
    {"n": [1, 2.5, None, True, {"k": ("v", 2)}], "empty": "", "set": frozenset({1, 2})},
    b"\x00\xff\r\n binary \x80",
    "x" * 100000,
    "",
]
NONE_JOBS = 5
# Text in a worker's log that means the server misbehaved.
BAD_LOG = ("unhandled exception", "ResponseError", "ConnectionError", "TimeoutError",
           "Redis connection timeout", "WatchError", "not supported")
# The exceptions of the jobs that fail on purpose, as the log shows them (a traceback's last line).
EXPECTED_EXCEPTIONS = {
    "ValueError: boom 0 \u00e9", "RuntimeError: flaky 0 first run",
    "KeyError: 'retried 0 run 1'", "KeyError: 'retried 0 run 2'",
    "KeyError: 'retried 1 run 1'", "KeyError: 'retried 1 run 2'",
}
EXCEPTION_LINE = re.compile(r"^(\w+(?:Error|Exception)(?::.*)?)$", re.M)
WORKER_NAME = re.compile(r"^rq:worker:stash-rq-\d$")


def specials():
    """(job id, function, args, enqueue options) of the jobs that are not plain `add`s, in the
    order they are enqueued (the delayed one is enqueued separately, last)."""
    from rq import Retry
    jobs = [("echo-%d" % i, "rq_jobs.echo", (v,), {}) for i, v in enumerate(ECHO_VALUES)]
    jobs += [("none-%d" % i, "rq_jobs.nothing", (i,), {}) for i in range(NONE_JOBS)]
    jobs += [("fail-0", "rq_jobs.fail", (0,), {}),
             ("after-fail", "rq_jobs.add", (1, 1), {"depends_on": "fail-0"}),
             ("after-add", "rq_jobs.add", (2, 2), {"depends_on": "add-0"}),
             ("flaky-0", "rq_jobs.flaky", (0,), {})]
    jobs += [("retried-%d" % i, "rq_jobs.retried", (i, RETRY_FAILURES),
              {"retry": Retry(max=RETRY_FAILURES)}) for i in range(2)]
    return jobs


class Worker:
    """One `rq worker --burst --with-scheduler` on the server at url, to its end."""

    def __init__(self, url, name, worker_class):
        self.tmp = tempfile.mkdtemp(prefix="rq-worker-")
        self.log_path = os.path.join(self.tmp, "worker.log")
        env = dict(os.environ, PYTHONPATH=TESTS + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   PYTHONUNBUFFERED="1", PYTHONWARNINGS="ignore::DeprecationWarning")
        cmd = [sys.executable, "-m", "rq.cli", "worker", "--burst", "--with-scheduler",
               "--url", url, "--name", name, "--worker-class", worker_class,
               "--logging_level", "INFO", QUEUE]
        start = time.time()
        with open(self.log_path, "w") as log:
            proc = subprocess.Popen(cmd, cwd=self.tmp, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            try:
                self.code = proc.wait(WORKER_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait(10)
                self.code = "killed after %d s" % WORKER_TIMEOUT
        self.seconds = time.time() - start
        with open(self.log_path, errors="replace") as f:
            self.log = f.read()
        import shutil
        shutil.rmtree(self.tmp, ignore_errors=True)


class WorkerFailed(AssertionError):
    """A worker's log shows a Redis error (the message has the log around it)."""


class Scenario(TimedScenario):
    """One run against the server on port; run() returns the document compared across servers,
    after asserting everything else through test."""

    def __init__(self, test, name, port):
        super().__init__(test, name, port)
        self.logs = []

    def run(self):
        if TESTS not in sys.path:
            sys.path.insert(0, TESTS)
        conn = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=30)
        try:
            with warnings.catch_warnings():
                # job.result and job.exc_info are deprecated in RQ 1.12 (the test reads them on
                # purpose); redis-py 4.3 and RQ use deprecated datetime calls.
                warnings.simplefilter("ignore", DeprecationWarning)
                return self.scenario(conn)
        except WorkerFailed:
            raise
        except BaseException as e:
            raise AssertionError("%s: %s: %s\n--- worker logs (end):\n%s" % (
                self.name, type(e).__name__, e,
                "\n".join(log[-4000:] for log in self.logs))) from e
        finally:
            conn.close()

    def worker(self, label, name, worker_class):
        w = self.step(label, lambda: Worker(self.url, name, worker_class))
        self.logs.append(w.log)
        self.test.assertEqual(w.code, 0, "%s: %s exit status\n%s" % (self.name, label,
                                                                     w.log[-5000:]))
        for bad in BAD_LOG:
            at = w.log.find(bad)
            if at >= 0:
                raise WorkerFailed("%s: %s logged %r:\n%s" % (
                    self.name, label, bad, w.log[max(0, at - 3000):at + 2000]))
        return w

    def scenario(self, conn):
        from rq import Queue
        from rq.job import Job, JobStatus
        from rq.registry import (DeferredJobRegistry, FailedJobRegistry, FinishedJobRegistry,
                                 ScheduledJobRegistry, StartedJobRegistry)
        from rq.results import Result
        t = self.test
        run_start_ms = int(time.time() * 1000)
        queue = Queue(QUEUE, connection=conn)
        version = conn.info("server")["redis_version"]
        t.assertTrue(queue.get_redis_server_version() >= (5, 0, 0),
                     "INFO server says redis_version %s: RQ keeps results in Redis streams only "
                     "from 5.0.0 on" % version)

        # --- 500 jobs, the delayed one last, just before worker 1 starts.
        special = specials()
        one_by_one = TOTAL - BULK - len(special) - 2  # - repeat, delayed
        expected = {}  # job id -> the return value of its last run

        def enqueue():
            for i in range(one_by_one):
                queue.enqueue("rq_jobs.add", i, 2 * i, job_id="add-%d" % i)
                expected["add-%d" % i] = 3 * i
                if i == 0:
                    for job_id, func, args, opts in special:
                        queue.enqueue(func, *args, job_id=job_id, **opts)
            for b in range(0, BULK, 50):
                queue.enqueue_many([Queue.prepare_data("rq_jobs.add", (i, 1000),
                                                       job_id="bulk-%d" % i)
                                    for i in range(b, b + 50)])
            for _ in range(REPEATS):
                queue.enqueue("rq_jobs.repeat", job_id="repeat")
        self.step("enqueue", enqueue)
        expected.update({"bulk-%d" % i: i + 1000 for i in range(BULK)})
        expected.update({"echo-%d" % i: v for i, v in enumerate(ECHO_VALUES)})
        expected.update({"none-%d" % i: None for i in range(NONE_JOBS)})
        expected.update({"after-add": 4, "flaky-0": {"n": 0, "run": 2}, "repeat": REPEATS})
        expected.update({"retried-%d" % i: {"n": i, "run": RETRY_FAILURES + 1} for i in range(2)})
        expected["delayed"] = {"n": 0, "delayed": True}
        t.assertEqual(len(expected) + 2, TOTAL)  # + fail-0, after-fail

        before = time.time()
        delayed = queue.enqueue_in(timedelta(seconds=DELAY), "rq_jobs.delayed", 0,
                                   job_id="delayed")
        scheduled = ScheduledJobRegistry(queue=queue)
        due = scheduled.get_scheduled_time("delayed").timestamp()
        t.assertGreaterEqual(due, int(before + DELAY) - 1)
        t.assertEqual(delayed.get_status(), JobStatus.SCHEDULED)
        t.assertEqual(scheduled.get_job_ids(), ["delayed"])
        deferred = DeferredJobRegistry(queue=queue)
        t.assertEqual(sorted(deferred.get_job_ids()), ["after-add", "after-fail"])
        t.assertEqual(len(queue), TOTAL - 3 + REPEATS - 1)  # less deferred and delayed ones
        t.assertEqual(queue.get_job_position("add-1"), 1 + len(special) - 2)

        # --- worker 1, then requeue the job that failed its first run.
        w1 = self.worker("worker 1", "stash-rq-1", "rq.worker.SimpleWorker")
        delayed_in_worker_1 = delayed.get_status(refresh=True) == JobStatus.FINISHED
        failed_reg = FailedJobRegistry(queue=queue)
        t.assertEqual(sorted(failed_reg.get_job_ids()), ["fail-0", "flaky-0"])
        t.assertEqual(Job.fetch("flaky-0", connection=conn).get_status(), JobStatus.FAILED)
        failed_reg.requeue("flaky-0")
        t.assertEqual(failed_reg.get_job_ids(), ["fail-0"])
        wait = due - time.time() + 0.2
        if wait > 0:
            time.sleep(wait)
        w2 = self.worker("worker 2", "stash-rq-2", "rq.worker.Worker")
        run_end_ms = int(time.time() * 1000)

        # --- every job's results.
        doc = {"jobs": {}}
        ids = list(expected) + ["fail-0", "after-fail"]
        jobs = dict(zip(ids, Job.fetch_many(ids, connection=conn)))
        for job_id, want in expected.items():
            job = jobs[job_id]
            t.assertIsNotNone(job, job_id)
            t.assertEqual(job.get_status(), JobStatus.FINISHED, job_id)
            t.assertEqual(job.return_value(), want, job_id)
            t.assertEqual(job.result, want, job_id)
            t.assertFalse(job.exc_info, job_id)  # None, or "" once requeued
            latest = job.latest_result()
            t.assertEqual((latest.type, latest.return_value, latest.exc_string),
                          (Result.Type.SUCCESSFUL, want, None), job_id)
            t.assertEqual(Job.fetch(job_id, connection=conn).return_value(), want, job_id)
        for job_id in ("fail-0", "after-fail"):
            t.assertIsNotNone(jobs[job_id], job_id)

        # The results as RQ reads them: results() newest first, count().
        def summary(job):
            results = job.results()
            t.assertEqual(Result.count(job), len(results))
            ids = [r.id for r in results]
            t.assertEqual(ids, sorted(ids, key=lambda i: tuple(map(int, i.split("-"))),
                                      reverse=True), job.id)
            for r in results:
                t.assertLessEqual(run_start_ms - 2000, int(r.id.split("-")[0]), (job.id, r.id))
                t.assertLessEqual(int(r.id.split("-")[0]), run_end_ms + 2000, (job.id, r.id))
                t.assertEqual(round(r.created_at.timestamp() * 1000), int(r.id.split("-")[0]))
            return [(r.type.name, r.return_value,
                     r.exc_string.strip().splitlines()[-1] if r.exc_string else None)
                    for r in results]
        for job_id, job in jobs.items():
            doc["jobs"][job_id] = {"status": job.get_status(), "results": summary(job)}
        for job_id, want in expected.items():
            if job_id not in ("flaky-0", "repeat"):
                t.assertEqual(doc["jobs"][job_id]["results"], [("SUCCESSFUL", want, None)],
                              job_id)

        # The failing job: FAILED, in the FailedJobRegistry, its traceback in exc_info.
        fail = jobs["fail-0"]
        t.assertEqual(fail.get_status(), JobStatus.FAILED)
        t.assertTrue(fail.is_failed)
        t.assertIsNone(fail.return_value())
        t.assertIsNone(fail.result)
        t.assertIn("Traceback (most recent call last)", fail.exc_info)
        t.assertIn('raise ValueError("boom %d \\u00e9" % n)', fail.exc_info)
        t.assertTrue(fail.exc_info.rstrip().endswith("ValueError: boom 0 \u00e9"), fail.exc_info)
        latest = fail.latest_result()
        t.assertEqual((latest.type, latest.return_value, latest.exc_string),
                      (Result.Type.FAILED, None, fail.exc_info))
        t.assertEqual(doc["jobs"]["fail-0"]["results"],
                      [("FAILED", None, "ValueError: boom 0 \u00e9")])
        t.assertEqual(failed_reg.get_job_ids(), ["fail-0"])
        expires = failed_reg.get_expiration_time(fail).replace(tzinfo=timezone.utc).timestamp()
        t.assertLess(abs(expires - (time.time() + FAILURE_TTL)), 300)
        # ... and the job depending on it never ran.
        after_fail = jobs["after-fail"]
        t.assertEqual(after_fail.get_status(), JobStatus.DEFERRED)
        t.assertEqual(doc["jobs"]["after-fail"]["results"], [])
        t.assertIsNone(after_fail.latest_result())
        t.assertEqual(deferred.get_job_ids(), ["after-fail"])

        # The job that failed, was requeued and succeeded: both results, newest first.
        t.assertEqual(doc["jobs"]["flaky-0"]["results"], [
            ("SUCCESSFUL", {"n": 0, "run": 2}, None),
            ("FAILED", None, "RuntimeError: flaky 0 first run")])
        # The retried jobs: RQ keeps no result of a retried attempt.
        for i in range(2):
            t.assertEqual(jobs["retried-%d" % i].retries_left, 0)
        # The job id run REPEATS times: the newest results, at least RESULTS_MAXLEN of them
        # (MAXLEN ~ trims whole stream nodes: Redis keeps all 12; an exact trim keeps 10).
        repeat = doc["jobs"]["repeat"]["results"]
        t.assertGreaterEqual(len(repeat), RESULTS_MAXLEN)
        t.assertLessEqual(len(repeat), REPEATS)
        t.assertEqual(repeat, [("SUCCESSFUL", REPEATS - k, None) for k in range(len(repeat))])
        doc["jobs"]["repeat"]["results"] = repeat[:RESULTS_MAXLEN]  # what both must keep
        doc["repeatResultsKept"] = len(repeat)  # informative (not compared)

        # The dependent job ran after the job it depends on.
        t.assertGreaterEqual(jobs["after-add"].started_at, jobs["add-0"].ended_at)
        # The delayed job: moved to the queue by a worker's scheduler, no earlier than due.
        d = jobs["delayed"]
        for when in (d.enqueued_at, d.started_at, d.ended_at):
            t.assertGreaterEqual(when.replace(tzinfo=timezone.utc).timestamp(), due - 0.001)
        t.assertEqual(scheduled.get_job_ids(), [])
        doc["delayedInWorker1"] = delayed_in_worker_1  # timing (not compared)

        # --- the registries and the queue.
        finished = FinishedJobRegistry(queue=queue)
        t.assertEqual(sorted(finished.get_job_ids()), sorted(expected))
        t.assertEqual(StartedJobRegistry(queue=queue).get_job_ids(), [])
        t.assertEqual(len(queue), 0)
        doc["registries"] = {
            "finished": sorted(finished.get_job_ids()), "failed": failed_reg.get_job_ids(),
            "deferred": deferred.get_job_ids(), "scheduled": scheduled.get_job_ids(),
            "queues": sorted(q.name for q in Queue.all(connection=conn)),
        }

        # --- the result streams as stored.
        for job_id in jobs:
            key = "rq:results:" + job_id
            entries = conn.xrange(key, "-", "+")
            if job_id == "after-fail":
                t.assertEqual(conn.exists(key), 0)
                continue
            t.assertEqual(conn.type(key), b"stream", key)
            t.assertEqual(conn.xlen(key), len(entries), key)
            t.assertEqual([e[0].decode() for e in reversed(entries)],
                          [r.id for r in jobs[job_id].results()], key)
            for entry_id, fields in entries:
                t.assertIn(set(fields), ({b"type", b"return_value"}, {b"type"},
                                         {b"type", b"exc_string"}), (key, fields))
            ttl = conn.ttl(key)
            if job_id == "fail-0":  # no failure_ttl given: RQ sets no expiry on the stream
                t.assertEqual(ttl, -1, key)
            else:
                t.assertTrue(RESULT_TTL - 300 < ttl <= RESULT_TTL, (key, ttl))
            # The job hash does not hold the result (it does below Redis 5).
            t.assertFalse(conn.hexists("rq:job:" + job_id, "result"), job_id)
        none = conn.xrange("rq:results:none-0")
        t.assertEqual([fields for _, fields in none], [{b"type": b"1"}])
        flaky = conn.xrevrange("rq:results:flaky-0", "+", "-")
        t.assertEqual([sorted(fields.items())[-1] for _, fields in flaky],
                      [(b"type", b"1"), (b"type", b"2")])
        t.assertEqual([sorted(fields)[0] for _, fields in flaky], [b"return_value", b"exc_string"])

        # --- the workers' counters (every run, retries too) and logs.
        executions = len(expected) - 1 + REPEATS + RETRY_FAILURES * 2 + 2  # + fail-0, flaky 1st
        failures = len(EXPECTED_EXCEPTIONS)
        counts = {"successful_job_count": 0, "failed_job_count": 0}
        workers = {}
        for name in ("stash-rq-1", "stash-rq-2"):
            h = {k.decode(): v.decode() for k, v in conn.hgetall("rq:worker:" + name).items()}
            t.assertIn("death", h, name)
            t.assertTrue(0 < conn.ttl("rq:worker:" + name) <= 60)
            for k in counts:
                counts[k] += int(h.get(k, 0))
            workers[name] = sorted(h)
        t.assertEqual(counts, {"successful_job_count": executions - failures,
                               "failed_job_count": failures})
        t.assertEqual(conn.smembers("rq:workers"), set())
        doc["workerCounts"] = counts
        exceptions = EXCEPTION_LINE.findall(w1.log + w2.log)
        t.assertEqual(sorted(exceptions), sorted(EXPECTED_EXCEPTIONS),
                      "%s: the exceptions in the workers' logs" % self.name)
        t.assertIn("done, quitting", w2.log)

        # --- the keys left (names and types).
        shapes = {}
        for key in conn.scan_iter(count=1000):
            shape = "%s %s" % (re.sub(r"(add|bulk)-\d+", r"\1-<n>", key.decode()),
                               conn.type(key).decode())
            shapes[shape] = shapes.get(shape, 0) + 1
        doc["keys"] = shapes
        return doc


class RQTest(unittest.TestCase):

    def run_on(self, name, port):
        s = Scenario(self, name, port)
        start = time.time()
        doc = s.run()
        print("\n%s: %.1f s (%s; delayed job in worker %d; repeat results kept %d)" % (
            name, time.time() - start, s.timings_text(),
            1 if doc["delayedInWorker1"] else 2, doc["repeatResultsKept"]), file=sys.stderr)
        return doc

    def test_worker_and_result_streams_on_redis_then_stashd(self):
        got, expected = on_redis_then_stashd(self.run_on)
        assert_same_parts(self, got, expected, ("jobs", "registries", "workerCounts", "keys"))


if __name__ == "__main__":
    unittest.main()
