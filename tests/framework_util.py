"""What the tests that run real client frameworks share (tests/celery_test.py, rq_test.py,
bull_test.py, bullmq_test.py, node_pubsub_test.py): installing the Node modules; running one
scenario on a stock redis-server, the reference, and then on stashd, and comparing the parts of
the two results that do not depend on timing; a scenario timed step by step; and for the Bull
and BullMQ tests, running their Node script (tests/node/*_queue.js) against a port, the JSON
document it prints, and the checks of that document the two share."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from differential import AGAINST_REDIS, RedisServer, start_server
from stashd import ROOT, stop_server

NODE_MODULES = os.path.join(ROOT, "build", "node", "node_modules")


def setup_node():
    """scripts/setup-node.sh (npm modules into build/node); fails, never skips, without them."""
    r = subprocess.run([os.path.join(ROOT, "scripts", "setup-node.sh")], capture_output=True,
                       timeout=600)
    if r.returncode != 0:
        raise AssertionError("scripts/setup-node.sh failed (%d):\n%s%s" % (
            r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")))
    if not shutil.which("node"):
        raise AssertionError("no node after scripts/setup-node.sh")


def on_redis_then_stashd(run_on):
    """run_on(name, port) against a fresh redis-server, then against a fresh stashd (or another
    redis-server with DATA_TARGET=redis): (stashd's result, redis-server's result)."""
    ref = RedisServer()
    try:
        expected = run_on("redis-server", ref.port)
    finally:
        ref.stop()
    server = start_server()
    try:
        got = run_on("redis-server (DATA_TARGET=redis)" if AGAINST_REDIS else "stashd",
                     server.port)
    finally:
        stop_server(server)
    return got, expected


def assert_same_parts(test, got, expected, keys=None):
    """got[key] == expected[key] for each of keys (by default every key of expected), failing
    with the key's name: the parts of stashd's and redis-server's results that do not depend on
    timing must be equal."""
    for key in (expected if keys is None else keys):
        test.assertEqual(got[key], expected[key], "stashd and redis-server differ in %s" % key)


class TimedScenario:
    """One run of a scenario against the server on port, for test (a TestCase) under the
    server's name; step(label, fn) runs fn, returns what it returned and keeps its duration in
    timings (shown by timings_text())."""

    def __init__(self, test, name, port):
        self.test, self.name, self.port = test, name, port
        self.url = "redis://127.0.0.1:%d" % port
        self.timings = {}

    def step(self, label, fn):
        start = time.time()
        out = fn()
        self.timings[label] = time.time() - start
        return out

    def timings_text(self):
        return ", ".join("%s %.1f" % kv for kv in self.timings.items())


# --- the Bull and BullMQ tests ----------------------------------------------------------------

def run_node(script, port, timeout):
    """Runs `node script port` (NODE_PATH: build/node/node_modules) in a process group of its
    own, killed whatever happens (with any process it forked and left behind), after timeout
    seconds at the latest; returns (returncode, stdout, stderr)."""
    env = dict(os.environ, NODE_PATH=NODE_MODULES)
    proc = subprocess.Popen([shutil.which("node") or "node", script, str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += b"\n(killed after %d s)" % timeout
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def node_document(what, script, name, port, timeout):
    """The JSON document `node script port` prints (run_node) against the server called name;
    an AssertionError with the end of its output if it exits non-zero or prints no document."""
    rc, out, err = run_node(script, port, timeout)
    if rc != 0:
        raise AssertionError("%s against %s exited %s:\n%s\n%s" % (
            what, name, rc, err[-4000:], out[-1000:]))
    try:
        return json.loads(out)
    except ValueError as e:
        raise AssertionError("%s against %s printed no JSON document (%s):\n%s\n%s" % (
            what, name, e, err[-4000:], out[-1000:])) from None


class NodeScenarioTest:
    """A mixin for a TestCase whose scenario is a Node script: SCRIPT, run against a port, prints
    one JSON document (WHAT names it in failures; RUN_TIMEOUT bounds it). setUpClass installs the
    Node modules; run_on(name, port), for on_redis_then_stashd, runs the script, prints how long
    it took with summary(doc), checks check_model(doc) in a subtest of the server's name and
    returns the document."""
    SCRIPT = WHAT = None
    RUN_TIMEOUT = 100  # the scripts stop themselves after 80 s

    @classmethod
    def setUpClass(cls):
        setup_node()

    def run_on(self, name, port):
        start = time.time()
        doc = node_document(self.WHAT, self.SCRIPT, name, port, self.RUN_TIMEOUT)
        print("\n%s: %.1f s (%s)" % (name, time.time() - start, self.summary(doc)),
              file=sys.stderr)
        with self.subTest(server=name):
            self.check_model(doc)
        return doc


def check_specs(test, doc, total, kinds):
    """The start of a Bull or BullMQ document's check: every job was done within the deadline,
    and doc["specs"] (job id -> {kind, n, opts}) holds total jobs, as many of each kind as kinds
    ((kind, count) pairs) says, numbered 0..total-1. Returns (specs, the ids of the jobs that
    succeed in the end, the ids of those of kind "fail")."""
    test.assertTrue(doc["finishedInTime"], "not every job was done within the deadline")
    specs = doc["specs"]
    test.assertEqual(len(specs), total)
    got = [s["kind"] for s in specs.values()]
    test.assertEqual([got.count(k) for k, _ in kinds], [n for _, n in kinds])
    test.assertEqual(sorted(s["n"] for s in specs.values()), list(range(total)))
    ok = {i for i, s in specs.items() if s["kind"] != "fail"}
    bad = {i for i, s in specs.items() if s["kind"] == "fail"}
    return specs, ok, bad


def check_worker_events(test, specs, ev, ok, result_of, retry_failures, fail_attempts):
    """A Bull or BullMQ worker's events (doc["events"]): one completed event per successful job
    (ok), with result_of(job id) as its value; one failed event per failed attempt ("retry" jobs
    fail retry_failures times, then succeed; "fail" jobs fail all their fail_attempts); no stalled
    job; each attempt started once, in order, and a retry no earlier than its backoff (the job's
    opts). Returns {job id: result} of the completed events."""
    completed = {}
    for job_id, result in ev["completed"]:
        test.assertNotIn(job_id, completed, "completed twice")
        completed[job_id] = result
    test.assertEqual(set(completed), ok)
    for job_id, result in completed.items():
        test.assertEqual(result, result_of(job_id), job_id)
    want_failed = []
    for job_id, s in specs.items():
        if s["kind"] == "retry":
            want_failed += [[job_id, "retry %d attempt %d" % (s["n"], a), a + 1,
                             retry_failures + 1] for a in range(retry_failures)]
        elif s["kind"] == "fail":
            want_failed += [[job_id, "fail %d" % s["n"], a + 1, fail_attempts]
                            for a in range(fail_attempts)]
    test.assertEqual(sorted(ev["failed"]), sorted(want_failed))
    test.assertEqual(ev["stalled"], [])

    runs = {"retry": retry_failures + 1, "fail": fail_attempts}  # every other kind: 1
    for job_id, s in specs.items():
        starts = ev["starts"].get(job_id, [])
        test.assertEqual([a for _, a in starts], list(range(runs.get(s["kind"], 1))), job_id)
        backoff = s["opts"].get("backoff")
        for k in range(1, len(starts)):
            wait = backoff["delay"] * (2 ** (k - 1) if backoff["type"] == "exponential" else 1)
            test.assertGreaterEqual(starts[k][0] - starts[k - 1][0], wait, (job_id, starts))
    return completed


def without_times(job):
    """A job as read back, without its timestamps (which depend on timing)."""
    return {k: v for k, v in job.items() if k not in ("timestamp", "processedOn", "finishedOn")}
