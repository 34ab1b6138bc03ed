"""Bull 4 (npm `bull`, on ioredis 5) with the server under test as its Redis: a producer and a
separate worker process (tests/node/bull_queue.js) run 1,000 jobs, first against a stock
redis-server (proving the test right), then against stashd; the document the producer prints is
checked against a model of the scenario on both, and what does not depend on timing must be the
same on both.

The jobs: 900 plain (500 through addBulk, 100 with priorities), 50 delayed (200..1100 ms), 40
that fail twice and succeed on the third attempt (exponential backoff 100, 200 ms), 10 that fail
both their attempts. Checked: the job counts; one worker 'completed' event per successful job with
its return value, one 'failed' event per failed attempt (attempt numbers, messages); the global
completed/failed events (Pub/Sub) the producer receives; every job read back (return value,
attempts, failure reason, stack traces; a delayed job ran no earlier than its delay, a retry no
earlier than its backoff); the queue's keys (job ids blanked, with their types); a job
added while the queue is paused waits in "paused" until resume, which hands it to the worker
blocked in BRPOPLPUSH at once (not after Bull's 5 s drainDelay); clean and obliterate.

Bull's Lua scripts use cmsgpack (addJob, moveToFinished) and cjson: a server without cmsgpack
fails at the first job. The npm packages are installed by scripts/setup-node.sh into
build/node/node_modules; its failure (e.g. no npm registry) fails this test, it is not skipped."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

from framework_util import on_redis_then_stashd, setup_node
from stashd import ROOT

SCRIPT = os.path.join(ROOT, "tests", "node", "bull_queue.js")
NODE_MODULES = os.path.join(ROOT, "build", "node", "node_modules")
RUN_TIMEOUT = 100  # the script stops itself after 80 s
TOTAL, PLAIN, PRIORITY, DELAYED, RETRY, FAIL = 1000, 900, 100, 50, 40, 10
RETRY_FAILURES, FAIL_ATTEMPTS = 2, 2
RESUME_MS = 2500   # resume -> completed; a worker left blocked would wait for drainDelay (5 s)
# Keys whose presence depends on timing: the stalled-jobs check's marker (PX stalledInterval).
TIMING_KEYS = ("bull:stash-bull:stalled-check string",)


def run_bull(port):
    """Runs the producer (which forks the worker) against port in a process group of its own,
    killed whatever happens; returns (returncode, stdout, stderr)."""
    env = dict(os.environ, NODE_PATH=NODE_MODULES)
    proc = subprocess.Popen([shutil.which("node") or "node", SCRIPT, str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += b"\n(killed after %d s)" % RUN_TIMEOUT
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the worker, if the producer left it behind
        except ProcessLookupError:
            pass
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def result_of(spec):
    return {"n": spec["n"], "double": 2 * spec["n"], "kind": spec["kind"],
            "text": "h\u00e9llo %d \u2713" % spec["n"]}


def comparable(doc):
    """The parts of a document that do not depend on timing, in a canonical order."""
    def job(j):
        return {k: v for k, v in j.items() if k not in ("timestamp", "processedOn", "finishedOn")}
    ev = doc["events"]
    return {
        "specs": doc["specs"],
        "counts": doc["counts"], "countsSingle": doc["countsSingle"],
        "completedEvents": sorted(ev["completed"], key=lambda e: int(e[0])),
        "failedEvents": sorted(ev["failed"], key=lambda e: (int(e[0]), e[2])),
        "attempts": {k: [a for _, a in v] for k, v in ev["starts"].items()},
        "stalled": ev["stalled"],
        "global": {k: sorted(v, key=lambda e: int(e[0])) for k, v in doc["global"].items()},
        "completed": sorted(map(job, doc["completed"]), key=lambda j: int(j["id"])),
        "failed": sorted(map(job, doc["failed"]), key=lambda j: int(j["id"])),
        "stateOfFirst": doc["stateOfFirst"],
        "keys": {k: v for k, v in doc["keys"].items() if k not in TIMING_KEYS},
        "pause": {k: v for k, v in doc["pause"].items() if k != "resumeToCompletedMs"},
        "workerClosed": doc["workerClosed"], "cleaned": doc["cleaned"],
        "countsAfterClean": doc["countsAfterClean"],
        "keysAfterObliterate": doc["keysAfterObliterate"],
    }


class BullTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        setup_node()

    def run_on(self, name, port):
        start = time.time()
        rc, out, err = run_bull(port)
        self.assertEqual(rc, 0, "bull against %s exited %s:\n%s\n%s" % (
            name, rc, err[-4000:], out[-1000:]))
        doc = json.loads(out)
        print("\n%s: %.1f s (add %d ms, all done %d ms after the first add, resume %d ms)" % (
            name, time.time() - start, doc["addMs"], doc["processMs"],
            doc["pause"]["resumeToCompletedMs"]), file=sys.stderr)
        with self.subTest(server=name):
            self.check_model(doc)
        return doc

    def check_model(self, doc):
        self.assertTrue(doc["finishedInTime"], "not every job was done within the deadline")
        specs = doc["specs"]
        self.assertEqual(len(specs), TOTAL)
        kinds = [s["kind"] for s in specs.values()]
        self.assertEqual([kinds.count(k) for k in ("plain", "delayed", "retry", "fail")],
                         [PLAIN, DELAYED, RETRY, FAIL])
        self.assertEqual(sorted(s["n"] for s in specs.values()), list(range(TOTAL)))
        ok = {i for i, s in specs.items() if s["kind"] != "fail"}
        bad = {i for i, s in specs.items() if s["kind"] == "fail"}

        want_counts = {"waiting": 0, "active": 0, "completed": TOTAL - FAIL, "failed": FAIL,
                       "delayed": 0, "paused": 0}
        self.assertEqual(doc["counts"], want_counts)
        self.assertEqual(doc["countsSingle"], want_counts)

        # The worker's events: one completed per successful job, one failed per failed attempt.
        ev = doc["events"]
        completed = {}
        for job_id, result in ev["completed"]:
            self.assertNotIn(job_id, completed, "completed twice")
            completed[job_id] = result
        self.assertEqual(set(completed), ok)
        for job_id, result in completed.items():
            self.assertEqual(result, result_of(specs[job_id]), job_id)
        want_failed = []
        for job_id, s in specs.items():
            if s["kind"] == "retry":
                want_failed += [[job_id, "retry %d attempt %d" % (s["n"], a), a + 1,
                                 RETRY_FAILURES + 1] for a in range(RETRY_FAILURES)]
            elif s["kind"] == "fail":
                want_failed += [[job_id, "fail %d" % s["n"], a + 1, FAIL_ATTEMPTS]
                                for a in range(FAIL_ATTEMPTS)]
        self.assertEqual(sorted(ev["failed"]), sorted(want_failed))
        self.assertEqual(ev["stalled"], [])

        # Each attempt started once, in order, and retries waited for their backoff.
        runs = {"plain": 1, "delayed": 1, "retry": RETRY_FAILURES + 1, "fail": FAIL_ATTEMPTS}
        for job_id, s in specs.items():
            starts = ev["starts"].get(job_id, [])
            self.assertEqual([a for _, a in starts], list(range(runs[s["kind"]])), job_id)
            backoff = s["opts"].get("backoff")
            for k in range(1, len(starts)):
                wait = backoff["delay"] * (2 ** (k - 1) if backoff["type"] == "exponential"
                                           else 1)
                self.assertGreaterEqual(starts[k][0] - starts[k - 1][0], wait, (job_id, starts))

        # Global events (Pub/Sub): every completion, and the final failures only.
        glob = doc["global"]
        self.assertEqual(sorted(glob["completed"]), sorted(map(list, completed.items())))
        self.assertEqual(sorted(glob["failed"]),
                         sorted([i, "fail %d" % specs[i]["n"]] for i in bad))

        # The jobs as Bull stored them.
        done = {j["id"]: j for j in doc["completed"]}
        self.assertEqual(len(done), len(doc["completed"]))
        self.assertEqual(set(done), ok)
        for job_id, j in done.items():
            s = specs[job_id]
            self.assertEqual(j["data"], {"kind": s["kind"], "n": s["n"]})
            self.assertEqual(j["returnvalue"], result_of(s))
            # (processedOn may precede timestamp by a few ms: a worker that finishes a job takes
            # the next one in the same script, stamped with the time it finished the first.)
            self.assertLessEqual(j["processedOn"], j["finishedOn"], j)
            self.assertEqual(j["priority"], s["opts"].get("priority"))
            if s["kind"] == "retry":
                self.assertEqual(j["attemptsMade"], RETRY_FAILURES)
                self.assertEqual(j["stacktrace"], ["Error: retry %d attempt %d" % (s["n"], a)
                                                   for a in range(RETRY_FAILURES)])
            else:
                self.assertEqual((j["attemptsMade"], j["stacktrace"], j["failedReason"]),
                                 (0, [], None), j)
            if s["kind"] == "delayed":  # the handler started no earlier than the delay
                started = ev["starts"][job_id][0][0]
                self.assertGreaterEqual(started - j["timestamp"], s["opts"]["delay"], j)
        failed = {j["id"]: j for j in doc["failed"]}
        self.assertEqual(set(failed), bad)
        for job_id, j in failed.items():
            reason = "fail %d" % specs[job_id]["n"]
            self.assertEqual((j["failedReason"], j["attemptsMade"], j["returnvalue"]),
                             (reason, FAIL_ATTEMPTS, None))
            self.assertEqual(j["stacktrace"], ["Error: " + reason] * FAIL_ATTEMPTS)
        self.assertEqual(doc["stateOfFirst"], "completed")

        keys = {k: v for k, v in doc["keys"].items() if k not in TIMING_KEYS}
        self.assertEqual(keys, {"bull:stash-bull:<id> hash": TOTAL, "bull:stash-bull:id string": 1,
                                "bull:stash-bull:completed zset": 1,
                                "bull:stash-bull:failed zset": 1})

        pause = doc["pause"]
        self.assertTrue(pause["isPaused"])
        self.assertEqual(pause["completedWhilePaused"], 0)
        self.assertEqual(pause["countsWhilePaused"], dict(want_counts, paused=1))
        self.assertEqual(len(pause["completed"]), 1)
        self.assertEqual(pause["completed"][0][1], result_of({"kind": "plain", "n": TOTAL}))
        self.assertLess(pause["resumeToCompletedMs"], RESUME_MS,
                        "the worker blocked in BRPOPLPUSH on the wait list was not woken when "
                        "resume RENAMEd the paused list onto it")

        self.assertTrue(doc["workerClosed"])
        self.assertEqual(doc["cleaned"], sorted(bad))
        self.assertEqual(doc["countsAfterClean"], dict(want_counts, completed=TOTAL - FAIL + 1,
                                                       failed=0))
        self.assertEqual(doc["keysAfterObliterate"], {})

    def test_jobs_on_redis_then_stashd(self):
        got, expected = on_redis_then_stashd(self.run_on)
        a, b = comparable(got), comparable(expected)
        for key in b:
            self.assertEqual(a[key], b[key], "stashd and redis-server differ in %s" % key)


if __name__ == "__main__":
    unittest.main()
