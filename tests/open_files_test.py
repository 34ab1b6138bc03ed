"""Open files: stashd raises RLIMIT_NOFILE for maxclients + lsm-max-open-files, or lowers
maxclients (and the table cache) when it cannot, with Redis's log lines."""
import ctypes
import glob
import os
import re
import resource
import shutil
import tempfile
import time
import unittest

from connection_test import Raw
from stashd import Stashd

# Tiny memtables, blocks and files: a few thousand keys make hundreds of SSTables.
MANY_TABLES = ("--lsm-memtable-size", "4096", "--lsm-target-file-size", "1024",
               "--lsm-l1-size", "4096", "--lsm-block-size", "256", "--lsm-compression", "none")
KEYS = 6000
CLIENTS = 200

PR_CAPBSET_DROP = 24
CAP_SYS_RESOURCE = 24


def nofile_limit(soft, hard=None):
    """A preexec_fn: soft (and hard) RLIMIT_NOFILE for stashd. With a hard limit it also drops
    CAP_SYS_RESOURCE from the bounding set, so that even root cannot raise it."""
    def apply():
        if hard is not None:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0)  # fails harmlessly unprivileged
        now_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, now_hard if hard is None else hard))
    return apply


def soft_nofile(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    raise AssertionError("no open-files line in /proc/%d/limits" % pid)


def config_get(conn, name):
    reply = conn.call("CONFIG", "GET", name)
    return int(reply[1])


class RaisedLimitTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="open-files-test-")
        self.dir = os.path.join(self.tmp, "data")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, args=(), **kw):
        s = Stashd(args, dir=self.dir, **kw)
        self.servers.append(s)
        return s

    def value(self, i):
        return b"value-%06d-" % i + b"x" * 80

    def test_every_key_reads_back_under_ulimit_256_with_hundreds_of_tables_and_clients(self):
        writer = self.start(MANY_TABLES)
        r = writer.client()
        pipe = r.pipeline(transaction=False)
        for i in range(KEYS):
            pipe.set("key:%06d" % i, self.value(i))
            if i % 500 == 499:
                pipe.execute()
        pipe.execute()
        # Until compaction has settled into hundreds of tiny tables.
        deadline, last, stable_since = time.time() + 120, -1, time.time()
        while time.time() < deadline:
            tables = len(glob.glob(os.path.join(self.dir, "*.sst")))
            if tables != last:
                last, stable_since = tables, time.time()
            elif tables > 300 and time.time() - stable_since > 1:
                break
            time.sleep(0.1)
        self.assertEqual(writer.stop(), 0, writer.output())
        tables = len(glob.glob(os.path.join(self.dir, "*.sst")))
        self.assertGreater(tables, 300, "the data set should need more files than ulimit -n 256")

        server = self.start(MANY_TABLES, preexec_fn=nofile_limit(256))
        conns = []
        try:
            for _ in range(CLIENTS):
                conns.append(Raw(server))
            for c in conns:
                self.assertEqual(c.call("PING"), "PONG")
            for i in range(KEYS):
                got = conns[i % CLIENTS].call("GET", "key:%06d" % i)
                self.assertEqual(got, self.value(i), "key %d" % i)
            self.assertEqual(config_get(conns[0], "maxclients"), 10000)
            self.assertGreaterEqual(soft_nofile(server.proc.pid), 10000 + 1000)
            self.assertIn("Increased maximum number of open files to", server.output())
        finally:
            for c in conns:
                c.close()
        self.assertEqual(server.stop(), 0, server.output())

    def test_config_set_maxclients_raises_the_limit(self):
        server = self.start(("--maxclients", "100"), preexec_fn=nofile_limit(256))
        c = Raw(server)
        try:
            self.assertLess(soft_nofile(server.proc.pid), 1500)
            self.assertEqual(c.call("CONFIG", "SET", "maxclients", "1500"), "OK")
            self.assertGreaterEqual(soft_nofile(server.proc.pid), 1500 + 1000)
        finally:
            c.close()
        self.assertEqual(server.stop(), 0, server.output())


class LowLimitTest(unittest.TestCase):
    def test_hard_limit_64_reduces_maxclients_and_logs_like_redis(self):
        server = Stashd(("--maxclients", "10000"), preexec_fn=nofile_limit(64, 64))
        try:
            out = server.output()
            self.assertRegex(out, r"You requested maxclients of 10000 requiring at least \d+ max "
                                  r"file descriptors\.")
            self.assertRegex(out, r"Server can't set maximum open files to \d+ because of OS "
                                  r"error: .+\.")
            m = re.search(r"Current maximum open files is 64\. maxclients has been reduced to "
                          r"(\d+) to compensate for low ulimit\. If you need higher maxclients "
                          r"increase 'ulimit -n'\.", out)
            self.assertIsNotNone(m, out)
            reduced = int(m.group(1))
            self.assertTrue(0 < reduced < 64, reduced)
            m = re.search(r"lsm-max-open-files has been reduced to (\d+)", out)
            self.assertIsNotNone(m, out)
            c = Raw(server)
            try:
                self.assertEqual(config_get(c, "maxclients"), reduced)
                self.assertEqual(config_get(c, "lsm-max-open-files"), int(m.group(1)))
                self.assertEqual(c.call("SET", "k", "v"), "OK")
                self.assertEqual(c.call("GET", "k"), b"v")
            finally:
                c.close()
            self.assertEqual(server.stop(), 0, server.output())
        finally:
            server.cleanup()

    def test_a_limit_too_low_to_start_exits_with_redis_message(self):
        server = Stashd((), preexec_fn=nofile_limit(40, 40), wait=False)
        try:
            server.proc.wait(timeout=20)
            self.assertEqual(server.proc.returncode, 1, server.output())
            self.assertIn("is not enough for the server to start", server.output())
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
