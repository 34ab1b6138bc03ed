"""The job functions of tests/rq_test.py. The `rq worker` processes import them by name
("rq_jobs.add"): the test runs them with tests/ on PYTHONPATH.

Jobs that must behave differently from one run to the next (flaky, retried, repeat) count their
runs in the server itself (INCR on a key of their own), through the connection of the job
being performed."""
from rq import get_current_job

ATTEMPTS = "rq-test:attempts:%s"


def _run_number():
    """1 on the job's first run, 2 on its second, ... (a counter in the server)."""
    job = get_current_job()
    return job.connection.incr(ATTEMPTS % job.id)


def add(x, y):
    return x + y


def echo(value):
    """Returns its argument: unicode, nested values and bytes through RQ's pickle serializer and
    the result stream."""
    return value


def nothing(n):
    """Returns None: RQ stores a successful result with no return_value field."""
    return None


def fail(n):
    raise ValueError("boom %d \u00e9" % n)


def flaky(n):
    """Fails its first run (the test requeues it from the FailedJobRegistry), succeeds after:
    the job then has two results, the failure and the success."""
    run = _run_number()
    if run == 1:
        raise RuntimeError("flaky %d first run" % n)
    return {"n": n, "run": run}


def retried(n, failures):
    """Fails its first `failures` runs (enqueued with Retry(max=failures): RQ requeues it at
    once each time and keeps no result for a retried attempt), then succeeds."""
    run = _run_number()
    if run <= failures:
        raise KeyError("retried %d run %d" % (n, run))
    return {"n": n, "run": run}


def repeat():
    """Enqueued several times under one job id: each run returns its run number."""
    return _run_number()


def delayed(n):
    """Enqueued with enqueue_in: runs once the scheduler has moved it to the queue."""
    return {"n": n, "delayed": True}
