"""The Celery application of tests/celery_test.py: its tasks, and the broker and result backend
(both the server under test) from CELERY_REDIS_URL, e.g. redis://127.0.0.1:6379 (database 0
is the broker, database 1 the result backend).

The worker runs `python3 -m celery -A celery_app worker` in tests/ (Debian's python3-celery has
no `celery` script); the test builds its own app per server with make_app (the same
configuration) and sends the tasks by name."""
import os

from celery import Celery

URL = os.environ.get("CELERY_REDIS_URL", "redis://127.0.0.1:6379")

CONFIG = dict(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # Task name, args and worker stored with each result (a bigger result document).
    result_extended=True,
    result_expires=3600,
    # One message at a time per worker process, so that the 500 tasks spread over both.
    worker_prefetch_multiplier=1,
    # Connection errors are failures here, not something to wait out for long.
    broker_connection_max_retries=3,
    redis_socket_timeout=30,
    redis_socket_connect_timeout=10,
    worker_hijack_root_logger=False,
)


def make_app(url):
    """A Celery app on the server at url (redis://host:port), configured as the worker's; the
    test sends tasks by name through one of these per server."""
    celery = Celery("celery_app", broker=url + "/0", backend=url + "/1")
    celery.conf.update(CONFIG)
    return celery


app = make_app(URL)


@app.task
def add(x, y):
    return x + y


@app.task
def tsum(numbers):
    """A chord's callback: the header's results, in the header's order."""
    return {"sum": sum(numbers), "results": numbers}


@app.task
def echo(value):
    """Returns its argument: unicode and nested JSON through the broker and the backend."""
    return value


@app.task
def fail(n):
    raise ValueError("boom %d \u00e9" % n)


@app.task(bind=True, max_retries=5)
def flaky(self, failures):
    """Fails its first `failures` runs and retries itself each time (after 0.2 s: an ETA message
    the worker holds until then); returns the number of retries it took."""
    if self.request.retries < failures:
        raise self.retry(exc=RuntimeError("attempt %d" % self.request.retries), countdown=0.2)
    return {"retries": self.request.retries, "id": self.request.id}


@app.task(bind=True, max_retries=2)
def hopeless(self):
    """Retries until max_retries is exhausted: the last retry fails with the exception given."""
    raise self.retry(exc=KeyError("attempt %d" % self.request.retries), countdown=0.1)
