"""Kill -9 crash loop for MULTI/EXEC: pairs of keys that transactions move amounts between must
still sum exactly after every crash (a transaction is one WAL batch: all of it or none), and
every acknowledged transfer must have survived (appendfsync always; README.md, Durability).

Uses a release build: STASHD_RELEASE, else build/release/stashd (then asan, debug).
TX_CRASH_CYCLES sets the number of kill/restart cycles (default 8), TX_CRASH_SEED the seed."""
import itertools
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from stashd import encode_command, free_port, read_reply, release_binary
from tx_util import raw_reply

PAIRS = 12
START = 1000
CLIENTS = 4


class Server:
    def __init__(self, binary, data_dir, log_path):
        self.port = free_port()
        self.log = open(log_path, "a")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--dir", data_dir, "--appendfsync", "always"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("stashd exited with %s; see %s" % (self.proc.returncode,
                                                                       log_path))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):  # not -LOADING
                        return
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("stashd did not start; see %s" % log_path)
            time.sleep(0.05)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(30)
        self.log.close()
        return code


def keys_of(pair):
    return ("p%d:x" % pair).encode(), ("p%d:y" % pair).encode()


class Client(threading.Thread):
    """Transfers random amounts between the two keys of random pairs, each as one MULTI/EXEC
    sent in a single write, until the connection dies. Records every transfer acknowledged
    (EXEC replied) and the one in flight when the server was killed (applied or not)."""

    def __init__(self, port, seed):
        super().__init__(daemon=True)
        self.port = port
        self.rng = random.Random(seed)
        self.acked = []       # (src, dst, amount)
        self.in_flight = None
        self.errors = []

    def run(self):
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        except OSError:
            return
        f = sock.makefile("rb")
        try:
            while True:
                x, y = keys_of(self.rng.randrange(PAIRS))
                src, dst = (x, y) if self.rng.random() < 0.5 else (y, x)
                amount = self.rng.randrange(1, 20)
                self.in_flight = (src, dst, amount)
                sock.sendall(encode_command("MULTI") + encode_command("DECRBY", src, str(amount)) +
                             encode_command("INCRBY", dst, str(amount)) + encode_command("EXEC"))
                replies = [raw_reply(f) for _ in range(4)]
                if replies[:3] != [b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n"] or \
                        not replies[3].startswith(b"*2\r\n:"):
                    self.errors.append(replies)
                    return
                self.acked.append(self.in_flight)
                self.in_flight = None
        except (OSError, ConnectionError, ValueError):
            pass  # the server was killed
        finally:
            f.close()
            sock.close()


def read_all(port):
    """{key: int value or None} of every pair key, and DBSIZE."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = sock.makefile("rb")
    keys = [k for p in range(PAIRS) for k in keys_of(p)]
    sock.sendall(encode_command("MGET", *keys) + encode_command("DBSIZE"))
    values = read_reply(f)
    size = read_reply(f)
    f.close()
    sock.close()
    return {k: None if v is None else int(v) for k, v in zip(keys, values)}, size


def subset_sums(deltas):
    sums = set()
    for n in range(len(deltas) + 1):
        for combo in itertools.combinations(deltas, n):
            sums.add(sum(combo))
    return sums


class TransactionCrashTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="stashd-txcrash-")
        self.dir = os.path.join(self.tmp, "data")
        self.log_path = os.path.join(self.tmp, "stashd.log")
        self.server = None

    def tearDown(self):
        if self.server and self.server.proc.poll() is None:
            self.server.kill()
        if not os.environ.get("TX_CRASH_KEEP"):  # set it to keep the data and log for a look
            shutil.rmtree(self.tmp, ignore_errors=True)

    def log_tail(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()[-3000:]

    def test_transfers_survive_kill_9_whole(self):
        binary = release_binary()
        cycles = int(os.environ.get("TX_CRASH_CYCLES", "8"))
        rng = random.Random(os.environ.get("TX_CRASH_SEED", str(time.time())))
        self.server = Server(binary, self.dir, self.log_path)
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        args = []
        for p in range(PAIRS):
            for k in keys_of(p):
                args += [k, str(START)]
        sock.sendall(encode_command("MSET", *args))
        self.assertEqual(sock.recv(100), b"+OK\r\n")
        sock.close()
        expected = {k: START for p in range(PAIRS) for k in keys_of(p)}
        total_acked = 0
        for cycle in range(cycles):
            clients = [Client(self.server.port, rng.random()) for _ in range(CLIENTS)]
            for c in clients:
                c.start()
            time.sleep(rng.uniform(0.3, 2.0))
            self.server.kill()
            for c in clients:
                c.join(30)
                self.assertFalse(c.is_alive())
                self.assertEqual(c.errors, [])
            self.server = Server(binary, self.dir, self.log_path)
            got, size = read_all(self.server.port)
            self.assertEqual(size, 2 * PAIRS, self.log_tail())
            # acknowledged transfers must all be there; each one in flight at the kill may be
            acked = {k: 0 for k in expected}
            unknown = {k: [] for k in expected}
            acked_now = 0
            for c in clients:
                for src, dst, amount in c.acked:
                    acked[src] -= amount
                    acked[dst] += amount
                acked_now += len(c.acked)
                if c.in_flight:
                    src, dst, amount = c.in_flight
                    unknown[src].append(-amount)
                    unknown[dst].append(amount)
            total_acked += acked_now
            for p in range(PAIRS):
                x, y = keys_of(p)
                self.assertEqual(got[x] + got[y], 2 * START,
                                 "cycle %d: pair %d is %r, %r" % (cycle, p, got[x], got[y]))
                for k in (x, y):
                    low = expected[k] + acked[k] + sum(d for d in unknown[k] if d < 0)
                    high = expected[k] + acked[k] + sum(d for d in unknown[k] if d > 0)
                    self.assertTrue(low <= got[k] <= high,
                                    "cycle %d: %s is %d, not within [%d, %d] (acked %d, in "
                                    "flight %r)" % (cycle, k, got[k], low, high, acked[k],
                                                    unknown[k]))
                    self.assertIn(got[k] - expected[k] - acked[k], subset_sums(unknown[k]),
                                  "cycle %d: %s" % (cycle, k))
            self.assertGreater(acked_now, 0, "cycle %d: nothing was acknowledged" % cycle)
            if os.environ.get("TX_CRASH_VERBOSE"):
                print("cycle %d: %d transfers acknowledged, %d in flight at the kill" %
                      (cycle, acked_now, sum(1 for c in clients if c.in_flight)))
            expected = got  # the transfers in flight are settled now, one way or the other
        self.assertGreater(total_acked, 100)
        self.assertEqual(self.server.stop(), 0)
        # and a clean restart shows the same
        self.server = Server(binary, self.dir, self.log_path)
        got, size = read_all(self.server.port)
        self.assertEqual(got, expected)
        self.assertEqual(self.server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
