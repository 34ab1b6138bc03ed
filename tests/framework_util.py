"""What the tests that run real client frameworks share (tests/celery_test.py, bull_test.py,
node_pubsub_test.py): installing the Node modules, and running one scenario on a stock
redis-server, the reference, and then on stashd."""
import os
import shutil
import subprocess

from differential import AGAINST_REDIS, RedisServer, start_server
from stashd import ROOT, stop_server


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
