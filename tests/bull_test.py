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
import os
import unittest

from framework_util import (NodeScenarioTest, assert_same_parts, check_specs,
                            check_worker_events, on_redis_then_stashd, without_times)
from stashd import ROOT

SCRIPT = os.path.join(ROOT, "tests", "node", "bull_queue.js")
TOTAL, PLAIN, PRIORITY, DELAYED, RETRY, FAIL = 1000, 900, 100, 50, 40, 10
RETRY_FAILURES, FAIL_ATTEMPTS = 2, 2
RESUME_MS = 2500   # resume -> completed; a worker left blocked would wait for drainDelay (5 s)
# Keys whose presence depends on timing: the stalled-jobs check's marker (PX stalledInterval).
TIMING_KEYS = ("bull:stash-bull:stalled-check string",)


def result_of(spec):
    return {"n": spec["n"], "double": 2 * spec["n"], "kind": spec["kind"],
            "text": "h\u00e9llo %d \u2713" % spec["n"]}


def comparable(doc):
    """The parts of a document that do not depend on timing, in a canonical order."""
    ev = doc["events"]
    return {
        "specs": doc["specs"],
        "counts": doc["counts"], "countsSingle": doc["countsSingle"],
        "completedEvents": sorted(ev["completed"], key=lambda e: int(e[0])),
        "failedEvents": sorted(ev["failed"], key=lambda e: (int(e[0]), e[2])),
        "attempts": {k: [a for _, a in v] for k, v in ev["starts"].items()},
        "stalled": ev["stalled"],
        "global": {k: sorted(v, key=lambda e: int(e[0])) for k, v in doc["global"].items()},
        "completed": sorted(map(without_times, doc["completed"]), key=lambda j: int(j["id"])),
        "failed": sorted(map(without_times, doc["failed"]), key=lambda j: int(j["id"])),
        "stateOfFirst": doc["stateOfFirst"],
        "keys": {k: v for k, v in doc["keys"].items() if k not in TIMING_KEYS},
        "pause": {k: v for k, v in doc["pause"].items() if k != "resumeToCompletedMs"},
        "workerClosed": doc["workerClosed"], "cleaned": doc["cleaned"],
        "countsAfterClean": doc["countsAfterClean"],
        "keysAfterObliterate": doc["keysAfterObliterate"],
    }


class BullTest(NodeScenarioTest, unittest.TestCase):
    SCRIPT, WHAT = SCRIPT, "bull"

    def summary(self, doc):
        return "add %d ms, all done %d ms after the first add, resume %d ms" % (
            doc["addMs"], doc["processMs"], doc["pause"]["resumeToCompletedMs"])

    def check_model(self, doc):
        specs, ok, bad = check_specs(self, doc, TOTAL, (
            ("plain", PLAIN), ("delayed", DELAYED), ("retry", RETRY), ("fail", FAIL)))

        want_counts = {"waiting": 0, "active": 0, "completed": TOTAL - FAIL, "failed": FAIL,
                       "delayed": 0, "paused": 0}
        self.assertEqual(doc["counts"], want_counts)
        self.assertEqual(doc["countsSingle"], want_counts)

        # The worker's events: one completed per successful job, one failed per failed attempt;
        # each attempt started once, in order, and retries waited for their backoff.
        ev = doc["events"]
        completed = check_worker_events(self, specs, ev, ok, lambda i: result_of(specs[i]),
                                        RETRY_FAILURES, FAIL_ATTEMPTS)

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
        assert_same_parts(self, comparable(got), comparable(expected))


if __name__ == "__main__":
    unittest.main()
