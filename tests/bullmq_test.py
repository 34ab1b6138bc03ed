"""BullMQ 5 (npm `bullmq`, on ioredis 5) with the server under test as its Redis: a Queue, a
Worker, a FlowProducer and two QueueEvents (tests/node/bullmq_queue.js, one Node process) run
1,000 jobs, first against a stock redis-server (proving the test right), then against stashd; the
document the script prints is checked against a model of the scenario on both, and what does not
depend on timing must be the same on both.

BullMQ needs streams: every state change of a job is an entry its Lua scripts XADD to the queue's
events stream (bull:<queue>:events, trimmed with XTRIM/XADD MAXLEN ~), and QueueEvents reads them
with XREAD BLOCK (one from the stream's beginning, 0-0, blocked before the stream exists; one from
'$', blocked before the first job is added). Its Worker waits for jobs in BZPOPMIN on the queue's
marker sorted set (a delayed job's marker has its due time as score). It refuses a server whose
INFO says redis_version < 5.0.0.

The jobs: 890 plain (500 through addBulk, 100 with priorities, 10 that report progress and write a
log line), 50 delayed (200..1100 ms), 40 that fail twice and succeed on their third attempt
(exponential backoff 100, 200 ms), 10 that fail both their attempts (fixed backoff 100 ms), and
two flows (10 jobs: a parent with 4 children; a parent with 2 children, one of which is the parent
of 2 more): a parent waits in waiting-children until its children are done, then runs and returns
what job.getChildrenValues() gave it. Checked: the job counts; the worker's completed events (return
values) and failed events (one per failed attempt); every event both QueueEvents received, which
must be the events stream entry for entry (XRANGE), and each job's sequence of events (added,
delayed, waiting, active, progress, completed, failed, retries-exhausted, waiting-children with
their prev states); job.waitUntilFinished through QueueEvents; every job read back (return value,
attempts, failure reason, stack traces, progress, parent; a delayed job ran no earlier than its
delay, a retry no earlier than its backoff, a parent after its children); logs, children values and
dependency counts; the queue's keys (job ids blanked, with their types); getWorkers and
getQueueEvents (CLIENT SETNAME names found through CLIENT LIST); a job added while the queue is
paused waits until resume, which wakes the worker blocked in BZPOPMIN at once (not after its
5 s drainDelay); trimEvents (XTRIM MAXLEN ~ 10: Redis trims whole stream nodes, so keeps more than
10: only "at least 10, and the newest 10 kept" is checked); clean and obliterate.

The npm packages are installed by scripts/setup-node.sh into build/node/node_modules; its failure
(e.g. no npm registry) fails this test, it is not skipped."""
import json
import os
import unittest

from framework_util import (NodeScenarioTest, assert_same_parts, check_specs,
                            check_worker_events, on_redis_then_stashd, without_times)
from stashd import ROOT

SCRIPT = os.path.join(ROOT, "tests", "node", "bullmq_queue.js")
QUEUE = "bull:stash-bullmq:"
TOTAL, PLAIN, DELAYED, RETRY, FAIL, PARENT, CHILD = 1000, 890, 50, 40, 10, 3, 7
RETRY_FAILURES, FAIL_ATTEMPTS = 2, 2
PROGRESS_JOBS = 10
TRIM_TO = 10
RESUME_MS = 2500   # resume -> completed; a worker left blocked would wait for drainDelay (5 s)
# The flows of bullmq_queue.js: job id -> its children's ids.
FLOWS = {"flow-a": ["flow-a-c0", "flow-a-c1", "flow-a-c2", "flow-a-c3"],
         "flow-b": ["flow-b-c0", "flow-b-c1"], "flow-b-c1": ["flow-b-c1-g0", "flow-b-c1-g1"]}
# Keys whose presence depends on timing: the stalled-jobs check's marker (PX stalledInterval),
# and the queue's marker (there while a wake-up for the worker is pending).
TIMING_KEYS = (QUEUE + "stalled-check string", QUEUE + "marker zset")
WANT_COUNTS = {"active": 0, "completed": TOTAL - FAIL, "delayed": 0, "failed": FAIL, "paused": 0,
               "prioritized": 0, "waiting": 0, "waiting-children": 0}
# Each kind of job's events in the events stream: (event, prev) in order.
A, W, ACT, DONE = ("added", None), ("waiting", None), ("active", "waiting"), ("completed", "active")
RETRY_ROUND = [("delayed", None), ("waiting", "delayed"), ACT]
EVENTS = {
    "plain": [A, W, ACT, DONE],
    "child": [A, W, ACT, DONE],
    "delayed": [A, ("delayed", None), ("waiting", "delayed"), ACT, DONE],
    "retry": [A, W, ACT] + RETRY_ROUND * RETRY_FAILURES + [DONE],
    "fail": [A, W, ACT] + RETRY_ROUND * (FAIL_ATTEMPTS - 1) + [
        ("failed", "active"), ("retries-exhausted", None)],
    "parent": [A, ("waiting-children", None), ("waiting", "waiting-children"), ACT, DONE],
}


def plain_result(n, kind):
    return {"n": n, "double": 2 * n, "kind": kind, "text": "h\u00e9llo %d \u2713" % n}


def children_values(specs, job_id):
    return {QUEUE + c: result_of(specs, c) for c in sorted(FLOWS[job_id])}


def result_of(specs, job_id):
    s = specs[job_id]
    r = plain_result(s["n"], s["kind"])
    if s["kind"] == "parent":
        r["children"] = children_values(specs, job_id)
    return r


def job_events(doc_events):
    """{job id: [(event, {fields but jobId and the delayed event's timestamp})]} in stream order,
    and the events of no job (but 'drained', which depends on timing)."""
    per_job, others = {}, []
    for _, event, args in doc_events:
        if "jobId" in args:
            fields = {k: v for k, v in args.items() if k not in ("jobId", "delay")}
            per_job.setdefault(args["jobId"], []).append([event, fields])
        elif event != "drained":
            others.append([event, args])
    return per_job, others


def first_difference(got, want):
    """None, or where two lists of events first differ (they are long: a short message)."""
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return "at %d of %d/%d: %r != %r" % (i, len(got), len(want), g, w)
    if len(got) != len(want):
        return "lengths %d != %d, then %r" % (len(got), len(want),
                                              (got[len(want):] or want[len(got):])[:3])
    return None


def comparable(doc):
    """The parts of a document that do not depend on timing, in a canonical order."""
    ev = doc["events"]
    per_job, others = job_events(doc["fromStart"])
    return {
        "specs": doc["specs"], "flowIds": doc["flowIds"], "flowStates": doc["flowStates"],
        "counts": doc["counts"], "countsSingle": doc["countsSingle"],
        "completedEvents": sorted(ev["completed"], key=lambda e: e[0]),
        "failedEvents": sorted(ev["failed"], key=lambda e: (e[0], e[2])),
        "attempts": {k: [a for _, a in v] for k, v in ev["starts"].items()},
        "stalled": ev["stalled"],
        "queueEvents": per_job, "otherQueueEvents": others,
        "waited": doc["waited"],
        "completed": sorted(map(without_times, doc["completed"]), key=lambda j: j["id"]),
        "failed": sorted(map(without_times, doc["failed"]), key=lambda j: j["id"]),
        "logs": doc["logs"], "dependencies": doc["dependencies"],
        "stateOfFirst": doc["stateOfFirst"], "workers": doc["workers"],
        "queueEventsClients": doc["queueEventsClients"], "streamType": doc["stream"]["type"],
        "keys": {k: v for k, v in doc["keys"].items() if k not in TIMING_KEYS},
        "pause": {k: v for k, v in doc["pause"].items() if k != "resumeToCompletedMs"},
        "trimKeptNewest": doc["trim"]["lastKept"],
        "workersAfterClose": doc["workersAfterClose"], "cleaned": doc["cleaned"],
        "countsAfterClean": doc["countsAfterClean"],
        "keysAfterObliterate": doc["keysAfterObliterate"],
    }


class BullMQTest(NodeScenarioTest, unittest.TestCase):
    SCRIPT, WHAT = SCRIPT, "bullmq"

    def summary(self, doc):
        return ("add %d ms, all done %d ms after the first add, resume %d ms, %d events, "
                "XTRIM MAXLEN ~ %d left %d" % (
                    doc["addMs"], doc["processMs"], doc["pause"]["resumeToCompletedMs"],
                    doc["stream"]["xlen"], TRIM_TO, doc["trim"]["after"]))

    def check_model(self, doc):
        specs, ok, bad = check_specs(self, doc, TOTAL, (
            ("plain", PLAIN), ("delayed", DELAYED), ("retry", RETRY), ("fail", FAIL),
            ("parent", PARENT), ("child", CHILD)))
        self.assertEqual(sorted(i for i, s in specs.items() if s["kind"] == "parent"),
                         sorted(FLOWS))
        self.assertEqual(doc["flowIds"], ["flow-a", "flow-b"])
        self.assertEqual(doc["flowStates"], {"flow-a": "waiting-children",
                                             "flow-b": "waiting-children"})

        self.assertEqual(doc["counts"], WANT_COUNTS)
        self.assertEqual(doc["countsSingle"], {
            "completed": TOTAL - FAIL, "failed": FAIL, "delayed": 0, "waiting": 0, "active": 0,
            "prioritized": 0, "waitingChildren": 0})

        # The worker's events: one completed per successful job, one failed per failed attempt;
        # each attempt started once, in order, and retries waited for their backoff.
        ev = doc["events"]
        check_worker_events(self, specs, ev, ok, lambda i: result_of(specs, i),
                            RETRY_FAILURES, FAIL_ATTEMPTS)

        # QueueEvents: both saw every entry of the events stream, in order.
        stream = doc["stream"]
        self.assertEqual(stream["type"], "stream")
        entries = stream["entries"]
        self.assertEqual(stream["xlen"], len(entries))
        self.assertEqual(stream["last"], entries[-1:])
        ids = [tuple(map(int, e[0].split("-"))) for e in entries]
        self.assertEqual(ids, sorted(set(ids)), "stream IDs not strictly increasing")
        from_stream = []
        for entry_id, fields in entries:
            args = dict(zip(fields[::2], fields[1::2]))
            event = args.pop("event")
            for k, parse in (("returnvalue", json.loads), ("data", json.loads), ("delay", int)):
                if k in args and (k != "data" or event == "progress"):
                    args[k] = parse(args[k])
            from_stream.append([entry_id, event, args])
        for name in ("fromStart", "fromNow"):
            diff = first_difference(doc[name], from_stream)
            if diff:
                self.fail("QueueEvents (%s) and XRANGE of the events stream differ %s" % (
                    name, diff))
        per_job, others = job_events(doc["fromStart"])
        self.assertEqual(others, [], "events of no job")
        data = {j["id"]: j["data"] for j in doc["completed"] + doc["failed"]}
        self.assertEqual(set(per_job), set(specs))
        for job_id, s in specs.items():
            got = per_job[job_id]
            want = list(EVENTS[s["kind"]])
            if s["kind"] == "plain" and data[job_id].get("progress"):
                want.insert(3, ("progress", None))
            self.assertEqual([(e, f.get("prev")) for e, f in got], want, (job_id, got))
            for event, fields in got:
                if event == "completed":
                    self.assertEqual(fields["returnvalue"], result_of(specs, job_id))
                elif event == "failed":
                    self.assertEqual(fields["failedReason"], "fail %d" % s["n"])
                elif event == "retries-exhausted":
                    self.assertEqual(fields["attemptsMade"], str(FAIL_ATTEMPTS))
                elif event == "progress":
                    self.assertEqual(fields["data"], {"n": s["n"], "done": 50})
                elif event == "added":
                    self.assertEqual(fields["name"], s["kind"])
        # A delayed job's 'delayed' event carries its due time; every job's 'added' entry ID is
        # the server's clock (milliseconds) when it was added.
        jobs = {j["id"]: j for j in doc["completed"] + doc["failed"]}
        added_ms = {}
        for entry_id, event, args in doc["fromStart"]:
            if event == "added":
                added_ms[args["jobId"]] = int(entry_id.split("-")[0])
            if event == "delayed" and specs[args["jobId"]]["kind"] == "delayed":
                j = jobs[args["jobId"]]
                self.assertEqual(args["delay"], j["timestamp"] + specs[j["id"]]["opts"]["delay"])
        for job_id, j in jobs.items():
            self.assertLess(abs(added_ms[job_id] - j["timestamp"]), 2000, (job_id, j))

        # waitUntilFinished through QueueEvents.
        plain_n = DELAYED + RETRY + FAIL + 100 + 1  # the second job added one by one
        self.assertEqual(doc["waited"], {
            "plain": plain_result(plain_n, "plain"),
            "retry": plain_result(DELAYED, "retry"),
            "fail": {"rejected": "fail %d" % (DELAYED + RETRY)}})

        # The jobs as BullMQ stored them.
        done = {j["id"]: j for j in doc["completed"]}
        self.assertEqual(len(done), len(doc["completed"]))
        self.assertEqual(set(done), ok)
        for job_id, j in done.items():
            s = specs[job_id]
            self.assertEqual(j["name"], s["kind"])
            self.assertEqual({k: v for k, v in j["data"].items() if k != "progress"},
                             {"kind": s["kind"], "n": s["n"]})
            self.assertEqual(j["returnvalue"], result_of(specs, job_id))
            self.assertLessEqual(j["processedOn"], j["finishedOn"], j)
            self.assertEqual(j["priority"], s["opts"].get("priority", 0))
            self.assertEqual(j["progress"], {"n": s["n"], "done": 50} if j["data"].get("progress")
                             else 0)
            self.assertEqual(j["delay"], 0, j)
            if s["kind"] == "retry":
                self.assertEqual((j["attemptsMade"], j["attemptsStarted"]),
                                 (RETRY_FAILURES + 1, RETRY_FAILURES + 1))
                self.assertEqual(j["stacktrace"], ["Error: retry %d attempt %d" % (s["n"], a)
                                                   for a in range(RETRY_FAILURES)])
                self.assertEqual(j["failedReason"],
                                 "retry %d attempt %d" % (s["n"], RETRY_FAILURES - 1))
            else:
                self.assertEqual((j["attemptsMade"], j["attemptsStarted"], j["stacktrace"],
                                  j["failedReason"]), (1, 1, [], None), j)
            if s["kind"] == "delayed":  # the handler started no earlier than the delay
                started = ev["starts"][job_id][0][0]
                self.assertGreaterEqual(started - j["timestamp"], s["opts"]["delay"], j)
            parent = [p for p, children in FLOWS.items() if job_id in children]
            self.assertEqual(j["parentKey"], QUEUE + parent[0] if parent else None)
            if s["kind"] == "parent":  # it ran after all its children were done
                for child in FLOWS[job_id]:
                    self.assertGreaterEqual(ev["starts"][job_id][0][0], done[child]["finishedOn"])
        failed = {j["id"]: j for j in doc["failed"]}
        self.assertEqual(set(failed), bad)
        for job_id, j in failed.items():
            reason = "fail %d" % specs[job_id]["n"]
            self.assertEqual((j["failedReason"], j["attemptsMade"], j["attemptsStarted"],
                              j["returnvalue"]), (reason, FAIL_ATTEMPTS, FAIL_ATTEMPTS, None))
            self.assertEqual(j["stacktrace"], ["Error: " + reason] * FAIL_ATTEMPTS)
        self.assertEqual(doc["stateOfFirst"], "completed")

        progress = sorted(i for i, j in done.items() if j["data"].get("progress"))
        self.assertEqual(len(progress), PROGRESS_JOBS)
        self.assertEqual(doc["logs"], {i: {"logs": ["log %d \u2713" % specs[i]["n"]], "count": 1}
                                       for i in progress})
        self.assertEqual(doc["dependencies"], {p: {
            "childrenValues": children_values(specs, p),
            "counts": {"processed": len(FLOWS[p]), "unprocessed": 0, "ignored": 0, "failed": 0},
            "state": "completed"} for p in FLOWS})
        self.assertEqual((doc["workers"], doc["queueEventsClients"]), (1, 2))

        keys = {k: v for k, v in doc["keys"].items() if k not in TIMING_KEYS}
        self.assertEqual(keys, {QUEUE + "<id> hash": TOTAL, QUEUE + "<id>:processed hash": PARENT,
                                QUEUE + "<id>:logs list": PROGRESS_JOBS, QUEUE + "id string": 1,
                                QUEUE + "completed zset": 1, QUEUE + "failed zset": 1,
                                QUEUE + "events stream": 1, QUEUE + "meta hash": 1})

        pause = doc["pause"]
        self.assertTrue(pause["isPaused"])
        self.assertEqual(pause["completedWhilePaused"], 0)
        self.assertEqual(pause["stateWhilePaused"], "waiting")
        self.assertEqual(pause["countsWhilePaused"], dict(WANT_COUNTS, paused=1))
        self.assertEqual(pause["completed"], [[str(TOTAL + 1), plain_result(TOTAL, "plain")]])
        want = ["paused", "added", "waiting", "resumed", "active", "completed"]
        self.assertEqual(pause["events"], {"fromStart": want, "fromNow": want})
        self.assertLess(pause["resumeToCompletedMs"], RESUME_MS,
                        "the worker blocked in BZPOPMIN on the marker was not woken by resume")

        trim = doc["trim"]
        self.assertTrue(TRIM_TO <= trim["after"] <= trim["before"], trim)
        self.assertEqual(trim["removed"], trim["before"] - trim["after"])
        self.assertTrue(trim["lastKept"], "XTRIM MAXLEN ~ removed some of the newest entries")

        self.assertEqual(doc["workersAfterClose"], 0)
        self.assertEqual(doc["cleaned"], sorted(bad))
        self.assertEqual(doc["countsAfterClean"], dict(WANT_COUNTS, completed=TOTAL - FAIL + 1,
                                                       failed=0))
        self.assertEqual(doc["keysAfterObliterate"], {})

    def test_jobs_flows_and_events_on_redis_then_stashd(self):
        got, expected = on_redis_then_stashd(self.run_on)
        assert_same_parts(self, comparable(got), comparable(expected))


if __name__ == "__main__":
    unittest.main()
