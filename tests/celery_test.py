"""Celery (Debian's python3-celery 5.2, kombu 5.2, redis-py 4.3) with the server under test as
both its broker (database 0) and its result backend (database 1): a real worker process
(`python3 -m celery -A celery_app worker`, prefork pool of 2 processes; tests/celery_app.py holds
the tasks) runs the scenario, first against a stock redis-server (proving the test right), then
against stashd; every result is checked on both.

The scenario (Scenario.run): 500 `add` tasks sent one by one, their results collected together
(the backend's Pub/Sub result consumer: a SUBSCRIBE per task, then GET/MGET of the stored
results) and one by one (state, name, args of result_extended); a group of 20 (saved with
GroupResult.save and restored); a chord of 10 whose callback gets the header's results in
order; unicode and nested JSON through broker and backend; a task that raises (FAILURE, the
exception and traceback come back, .get() re-raises it); a task that retries 3 times with a
countdown (ETA messages the worker holds in the broker's unacked hash) and succeeds, and one that
exhausts max_retries and fails. Then the remote-control commands (broadcast through Pub/Sub,
replies through a reply queue): ping, and stats whose per-task totals must count every execution.
Finally the broker's queues and unacked messages must be empty, every result must have its
expiry, and the keys left in both databases (names with their UUIDs blanked, and types) must be
the same on both servers. The worker's log must show no lost connection, and the worker must stop
cleanly on SIGTERM.

The worker finds its server through CELERY_REDIS_URL (set by the test)."""
import gc
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

import redis

from framework_util import TimedScenario, on_redis_then_stashd
from stashd import ROOT

TESTS = os.path.join(ROOT, "tests")
TASKS = 500
READY_TIMEOUT = 60      # seconds for the worker to connect and say "ready"
RESULT_TIMEOUT = 90     # seconds for all the results of one step
UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Text in the worker's log that means the broker or backend misbehaved.
BAD_LOG = ("Connection to broker lost", "Unrecoverable error", "Cannot connect to",
           "consumer: Connection", "ResponseError")
# The only errors the worker may log: those of the tasks that fail on purpose.
ERROR_LINE = re.compile(r"^\[[^]]*: (?:ERROR|CRITICAL)/.*$", re.M)
EXPECTED_ERROR = re.compile(r"Task celery_app\.(?:fail|hopeless)\[[-0-9a-f]+\] raised unexpected")


class Worker:
    """`python3 -m celery -A celery_app worker` on the server at url, in its own process group
    (the prefork pool's children go with it), logging to a file."""

    def __init__(self, url):
        self.tmp = tempfile.mkdtemp(prefix="celery-worker-")
        self.log_path = os.path.join(self.tmp, "worker.log")
        self.log = open(self.log_path, "w")
        env = dict(os.environ, CELERY_REDIS_URL=url, PYTHONUNBUFFERED="1")
        cmd = [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "--pool=prefork",
               "--concurrency=2", "--loglevel=INFO", "--hostname=stashtest@%h"]
        self.proc = subprocess.Popen(cmd, cwd=TESTS, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_ready(self):
        deadline = time.time() + READY_TIMEOUT
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("the worker exited (%d) before it was ready:\n%s" % (
                    self.proc.returncode, self.output()[-5000:]))
            if re.search(r"celery@\S+ ready\.|stashtest@\S+ ready\.", self.output()):
                return
            time.sleep(0.1)
        raise AssertionError("the worker was not ready within %d s:\n%s" % (
            READY_TIMEOUT, self.output()[-5000:]))

    def stop(self, timeout=30):
        """SIGTERM (a warm shutdown), then SIGKILL to the whole group; returns the exit code
        (None if it had to be killed)."""
        if self.log.closed:  # stopped already
            return self.proc.returncode
        code = None
        try:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGTERM)
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        finally:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # pool children left behind, if any
            except ProcessLookupError:
                pass
            if self.proc.poll() is None:
                self.proc.wait(10)
            self.log.close()
        return code

    def cleanup(self):
        import shutil
        shutil.rmtree(self.tmp, ignore_errors=True)


def key_shapes(r):
    """{(key with its UUIDs blanked, type): how many} of one database."""
    shapes = {}
    for key in r.scan_iter(count=1000):
        shape = (UUID.sub(b"<uuid>", key), r.type(key))
        shapes[shape] = shapes.get(shape, 0) + 1
    return shapes


class Scenario(TimedScenario):
    """One run of the scenario against the server on port; run() returns a summary of what is
    compared across servers (the key shapes), after asserting everything else through test."""

    def run(self):
        with warnings.catch_warnings():
            # kombu 5.2 and celery 5.2 use importlib.metadata's deprecated dict interface.
            warnings.simplefilter("ignore", DeprecationWarning)
            return self._run()

    def _run(self):
        if TESTS not in sys.path:
            sys.path.insert(0, TESTS)
        import celery_app
        from celery.result import GroupResult, ResultSet
        worker = Worker(self.url)
        try:
            self.step("worker start", worker.wait_ready)
            app = celery_app.make_app(self.url)
            try:
                shapes = self.scenario(app, GroupResult, ResultSet)
            except BaseException as e:
                raise AssertionError("%s: %s: %s\n--- worker log (end):\n%s" % (
                    self.name, type(e).__name__, e, worker.output()[-6000:])) from e
            finally:
                # AsyncResults unsubscribe from their channels when collected: while the server
                # is still there.
                gc.collect()
                app.close()
            code = self.step("worker stop", worker.stop)
            log = worker.output()
            self.test.assertEqual(code, 0, "%s: worker exit status\n%s" % (self.name, log[-5000:]))
            for bad in BAD_LOG:
                self.test.assertNotIn(bad, log, "%s: worker log\n%s" % (self.name, log[-8000:]))
            errors = [e for e in ERROR_LINE.findall(log) if not EXPECTED_ERROR.search(e)]
            self.test.assertEqual(errors, [], "%s: worker log\n%s" % (self.name, log[-8000:]))
            return shapes
        finally:
            worker.stop()
            worker.cleanup()

    def scenario(self, app, GroupResult, ResultSet):
        t = self.test
        sig = app.signature

        # 500 tasks sent one by one, results collected together and then one by one.
        def send_many():
            return [sig("celery_app.add", args=(i, 2 * i)).apply_async() for i in range(TASKS)]
        results = self.step("send %d" % TASKS, send_many)
        values = self.step("collect %d" % TASKS, lambda: ResultSet(results).get(
            timeout=RESULT_TIMEOUT, interval=0.05))
        t.assertEqual(values, [3 * i for i in range(TASKS)])
        t.assertEqual(len({r.id for r in results}), TASKS)

        def one_by_one():
            for i, r in enumerate(results):
                t.assertEqual(r.get(timeout=10), 3 * i)
                t.assertEqual(r.state, "SUCCESS")
        self.step("check %d" % TASKS, one_by_one)
        for i in (0, 1, TASKS - 1):
            t.assertEqual(results[i].name, "celery_app.add")
            t.assertEqual(results[i].args, [i, 2 * i])
            t.assertIsNotNone(results[i].date_done)

        # A group, saved and restored.
        def group():
            from celery import group as make_group
            res = make_group(sig("celery_app.add", args=(i, i)) for i in range(20)).apply_async()
            res.save()
            got = res.get(timeout=RESULT_TIMEOUT)
            restored = GroupResult.restore(res.id, app=app)
            return res, got, restored
        res, got, restored = self.step("group", group)
        t.assertEqual(got, [2 * i for i in range(20)])
        t.assertIsNotNone(restored, "GroupResult.restore found nothing")
        t.assertEqual([r.id for r in restored.results], [r.id for r in res.results])
        t.assertEqual(restored.get(timeout=10), got)
        t.assertTrue(restored.successful())

        # A chord: the callback gets the header's results in order.
        def chord():
            from celery import chord as make_chord
            header = [sig("celery_app.add", args=(i, 100)) for i in range(10)]
            return make_chord(header)(sig("celery_app.tsum")).get(timeout=RESULT_TIMEOUT)
        got = self.step("chord", chord)
        want = [i + 100 for i in range(10)]
        t.assertEqual(got, {"sum": sum(want), "results": want})

        # Unicode and nested JSON there and back.
        value = {"s": "h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c \U0001f389", "n": [1, 2.5, None,
                 True, {"k": "v" * 5000}], "empty": ""}
        t.assertEqual(sig("celery_app.echo", args=(value,)).apply_async().get(timeout=30), value)

        # A failing task.
        r = sig("celery_app.fail", args=(7,)).apply_async()
        exc = r.get(timeout=30, propagate=False)
        t.assertEqual(r.state, "FAILURE")
        t.assertIsInstance(exc, ValueError)
        t.assertEqual(str(exc), "boom 7 \u00e9")
        t.assertIn("ValueError", r.traceback or "")
        t.assertTrue(r.failed())
        with t.assertRaises(ValueError):
            r.get(timeout=10)

        # Retries: three then success; and retries exhausted.
        def retries():
            ok = sig("celery_app.flaky", args=(3,)).apply_async()
            bad = sig("celery_app.hopeless").apply_async()
            return ok, ok.get(timeout=60), bad, bad.get(timeout=60, propagate=False)
        ok, got, bad, exc = self.step("retries", retries)
        t.assertEqual(got, {"retries": 3, "id": ok.id})
        t.assertEqual(ok.state, "SUCCESS")
        t.assertEqual(bad.state, "FAILURE")
        t.assertIsInstance(exc, KeyError)
        t.assertEqual(exc.args, ("attempt 2",))

        # Remote control: ping and the worker's per-task totals (every execution, retries too).
        pongs = self.step("ping", lambda: app.control.ping(timeout=10, limit=1))
        t.assertEqual(len(pongs), 1, pongs)
        t.assertEqual(list(pongs[0].values()), [{"ok": "pong"}])
        stats = self.step("stats", lambda: app.control.inspect(timeout=10, limit=1).stats())
        t.assertIsNotNone(stats, "no reply to inspect stats")
        t.assertEqual(len(stats), 1, stats)
        totals = list(stats.values())[0]["total"]
        t.assertEqual(totals, {"celery_app.add": TASKS + 20 + 10, "celery_app.tsum": 1,
                               "celery_app.echo": 1, "celery_app.fail": 1,
                               "celery_app.flaky": 4, "celery_app.hopeless": 3})

        # The broker has nothing left to deliver or to acknowledge; every result expires.
        broker = redis.Redis(host="127.0.0.1", port=self.port, db=0, socket_timeout=10)
        backend = redis.Redis(host="127.0.0.1", port=self.port, db=1, socket_timeout=10)
        try:
            t.assertEqual(broker.llen("celery"), 0)
            t.assertEqual(broker.hlen("unacked"), 0)
            t.assertEqual(broker.zcard("unacked_index"), 0)
            pipe = backend.pipeline(transaction=False)
            for r in results:
                pipe.ttl("celery-task-meta-" + r.id)
            ttls = pipe.execute()
            t.assertTrue(all(3000 < ttl <= 3600 for ttl in ttls), sorted(set(ttls))[:10])
            return {"broker": key_shapes(broker), "backend": key_shapes(backend)}
        finally:
            broker.close()
            backend.close()


class CeleryTest(unittest.TestCase):

    def run_on(self, name, port):
        s = Scenario(self, name, port)
        start = time.time()
        shapes = s.run()
        print("\n%s: %.1f s (%s)" % (name, time.time() - start, s.timings_text()),
              file=sys.stderr)
        return shapes

    def test_worker_broker_and_backend_on_redis_then_stashd(self):
        got, expected = on_redis_then_stashd(self.run_on)
        for db in ("broker", "backend"):
            self.assertEqual(got[db], expected[db], "keys left in the %s database "
                             "(UUIDs blanked): stashd vs redis-server" % db)


if __name__ == "__main__":
    unittest.main()
