"""Restarts on the same --dir: data, TTLs, databases and DBSIZE survive a clean stop (SIGTERM or
SHUTDOWN) and a kill -9 with appendfsync always (every acknowledged write is there); expired
keys never come back."""
import signal
import threading
import time
import unittest

from differential import Conn
from stashd import Stashd

TINY_ENGINE = ["--lsm-memtable-size", "16kb", "--lsm-target-file-size", "32kb",
               "--lsm-l1-size", "128kb", "--lsm-block-size", "1kb"]


class RestartTest(unittest.TestCase):
    def setUp(self):
        self.servers = []

    def tearDown(self):
        for s in reversed(self.servers):
            s.cleanup()

    def start(self, args=(), dir=None):
        s = Stashd(list(args), dir=dir)
        self.servers.append(s)
        return s

    def stop(self, s, sig=signal.SIGTERM):
        code = s.stop(sig)
        if sig == signal.SIGTERM:
            self.assertEqual(code, 0, s.output())

    def shutdown(self, s):
        c = Conn(s.port)
        try:
            c.sock.sendall(b"*1\r\n$8\r\nSHUTDOWN\r\n")
            try:
                c.file.readline()  # the connection closes (or an error says why not)
            except OSError:
                pass
        finally:
            c.close()
        s.proc.wait(timeout=20)
        self.assertEqual(s.stop(), 0, s.output())

    def populate(self, c):
        """A known state over several databases; returns the PEXPIRETIME of the TTL keys."""
        t = int(time.time() * 1000) + 3600 * 1000
        for i in range(100):
            assert c.call("SET", "k%d" % i, "v%d" % i) == "OK"
        for i in range(20):
            assert c.call("SET", "ttl%d" % i, "t", "PXAT", str(t + i)) == "OK"
        assert c.call("DEL", "k0", "k1") == 2
        assert c.call("SET", b"bin\x00\r\n", b"\x00\r\n\xff") == "OK"
        assert c.call("INCRBY", "counter", "41") == 41
        assert c.call("APPEND", "k2", "+") == 3
        assert c.call("SELECT", "3") == "OK"
        assert c.call("SET", "in3", "x", "EX", "5000") == "OK"
        assert c.call("SELECT", "4") == "OK"
        assert c.call("SET", "in4", "y") == "OK"
        assert c.call("FLUSHDB") == "OK"
        assert c.call("SET", "after-flush", "z") == "OK"
        assert c.call("SWAPDB", "4", "5") == "OK"
        assert c.call("MOVE", "after-flush", "6") == 0  # db 4 is empty now
        assert c.call("SELECT", "0") == "OK"
        return t

    def check(self, c, t):
        self.assertEqual(c.call("SELECT", "0"), "OK")
        self.assertEqual(c.call("DBSIZE"), 98 + 20 + 2)
        self.assertEqual(c.call("MGET", "k0", "k1", "k2", "k99"), [None, None, b"v2+", b"v99"])
        self.assertEqual(c.call("GET", b"bin\x00\r\n"), b"\x00\r\n\xff")
        self.assertEqual(c.call("INCR", "counter"), 42)
        for i in range(20):
            self.assertEqual(c.call("PEXPIRETIME", "ttl%d" % i), t + i)
        self.assertEqual(c.call("TTL", "k5"), -1)
        self.assertEqual(c.call("SELECT", "3"), "OK")
        ttl = c.call("TTL", "in3")
        self.assertTrue(4900 <= ttl <= 5000, ttl)
        self.assertEqual(c.call("SELECT", "4"), "OK")
        self.assertEqual(c.call("DBSIZE"), 0)
        self.assertEqual(c.call("SELECT", "5"), "OK")
        self.assertEqual(c.call("KEYS", "*"), [b"after-flush"])
        self.assertEqual(c.call("DBSIZE"), 1)
        info = c.call("INFO", "keyspace").decode()
        self.assertIn("db0:keys=120,expires=20,", info)
        self.assertIn("db3:keys=1,expires=1,", info)
        self.assertIn("db5:keys=1,expires=0,avg_ttl=0", info)
        self.assertNotIn("db4:", info)
        self.assertEqual(c.call("SELECT", "0"), "OK")

    def test_clean_restart_with_sigterm(self):
        s1 = self.start()
        c = Conn(s1.port)
        t = self.populate(c)
        c.close()
        self.stop(s1)
        s2 = self.start(dir=s1.dir)
        c = Conn(s2.port)
        try:
            self.check(c, t)
            self.assertEqual(c.call("DECR", "counter"), 41)  # undo check()'s INCR
        finally:
            c.close()
        self.stop(s2)
        # And again, after a restart that wrote nothing new but the counter.
        s3 = self.start(dir=s1.dir)
        c = Conn(s3.port)
        try:
            self.check(c, t)
        finally:
            c.close()
        self.stop(s3)

    def test_clean_restart_with_shutdown_command(self):
        s1 = self.start(TINY_ENGINE)
        c = Conn(s1.port)
        t = self.populate(c)
        # Enough data to reach SSTables with the tiny engine, and overwrite some of it.
        for i in range(3000):
            c.sock.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\nbig%d\r\n$100\r\n%s\r\n"
                           % (len(str(i)) + 3, i, (b"%03d" % (i % 1000)) * 33 + b"x"))
        for i in range(3000):
            self.assertEqual(c.file.readline(), b"+OK\r\n")
        for i in range(0, 3000, 3):
            self.assertEqual(c.call("DEL", "big%d" % i), 1)
        engine = c.call("INFO", "engine").decode()
        self.assertIn("\r\nflushes:", engine)
        self.assertNotIn("\r\nflushes:0\r\n", engine)  # SSTables hold part of the data
        c.close()
        self.shutdown(s1)
        s2 = self.start(TINY_ENGINE, dir=s1.dir)
        c = Conn(s2.port)
        try:
            self.assertEqual(c.call("DBSIZE"), 120 + 2000)
            self.assertEqual(c.call("DEL", *["big%d" % i for i in range(3000)]), 2000)
            self.check(c, t)
        finally:
            c.close()
        self.stop(s2)

    def test_kill9_with_appendfsync_always_keeps_every_acknowledged_write(self):
        s1 = self.start(["--appendfsync", "always"] + TINY_ENGINE)
        acked = {}
        incr_acked = [0, 0, 0]
        stop = threading.Event()

        def writer(n):
            c = Conn(s1.port)
            i = 0
            try:
                while not stop.is_set():
                    key = "w%d:%d" % (n, i)
                    value = "%d-%s" % (i, "p" * (i % 200))
                    if c.call("SET", key, value, "EX", "100000") != "OK":
                        return
                    acked[key] = value
                    if c.call("INCR", "ctr%d" % n) != i + 1:
                        return
                    incr_acked[n] += 1
                    if i % 7 == 3:
                        # Forgotten before it is sent: a DEL cut short may or may not apply.
                        acked.pop("w%d:%d" % (n, i - 1))
                        if c.call("DEL", "w%d:%d" % (n, i - 1)) != 1:
                            return
                    i += 1
            except (OSError, ConnectionError):
                pass
            finally:
                c.close()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        time.sleep(2.0)
        self.stop(s1, signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join()
        self.assertGreater(len(acked), 50)
        s2 = self.start(["--appendfsync", "always"] + TINY_ENGINE, dir=s1.dir)
        c = Conn(s2.port)
        try:
            keys = list(acked)
            for i in range(0, len(keys), 200):
                chunk = keys[i:i + 200]
                self.assertEqual(c.call("MGET", *chunk), [acked[k].encode() for k in chunk])
            ttl = c.call("TTL", keys[0])
            self.assertTrue(99000 < ttl <= 100000, ttl)
            # Writes in flight at the kill may or may not be there; the state is consistent.
            present = c.call("KEYS", "w*")
            self.assertTrue(set(acked) <= {k.decode() for k in present})
            ctrs = sum(int(c.call("GET", "ctr%d" % n) or 0) for n in range(3))
            self.assertGreaterEqual(ctrs, sum(incr_acked))
            self.assertLessEqual(ctrs, sum(incr_acked) + 3)
            self.assertEqual(c.call("DBSIZE"), len(present) + 3)
            info = c.call("INFO", "keyspace").decode()
            self.assertIn("db0:keys=%d,expires=%d," % (len(present) + 3, len(present)), info)
            # What the recovery did is in INFO persistence and in the log.
            persistence = dict(line.split(":", 1) for line in
                               c.call("INFO", "persistence").decode().split("\r\n")
                               if ":" in line)
            self.assertGreaterEqual(int(persistence["stashd_recovered_logs"]), 1)
            self.assertGreater(int(persistence["stashd_recovered_batches"]), 0)
            self.assertGreater(int(persistence["stashd_recovered_bytes"]), 0)
            self.assertGreaterEqual(int(persistence["stashd_last_recovery_time_ms"]), 0)
            self.assertEqual(persistence["loading"], "0")
            self.assertEqual(persistence["aof_last_write_status"], "ok")
            self.assertIn("replayed", s2.output())
            self.assertIn("DB loaded from disk", s2.output())
        finally:
            c.close()
        self.stop(s2)

    def test_expired_keys_never_come_back(self):
        s1 = self.start()
        c = Conn(s1.port)
        for i in range(10):
            c.call("SET", "keep%d" % i, "v")
        for i in range(200):
            c.call("SET", "gone%d" % i, "v", "PX", "100")
        deadline = time.time() + 10
        while time.time() < deadline:
            stats = c.call("INFO", "stats").decode()
            if "expired_keys:200\r\n" in stats:
                break
            time.sleep(0.05)
        self.assertIn("expired_keys:200\r\n", c.call("INFO", "stats").decode())
        # These expire but the server dies before it can reclaim them all.
        for i in range(200):
            c.call("SET", "late%d" % i, "v", "PX", "150")
        time.sleep(0.16)
        c.close()
        self.stop(s1, signal.SIGKILL)
        s2 = self.start(dir=s1.dir)
        c = Conn(s2.port)
        try:
            self.assertEqual(c.call("DBSIZE"), 10)
            self.assertEqual(len(c.call("KEYS", "*")), 10)
            self.assertEqual(c.call("EXISTS", "gone0", "late0", "late199"), 0)
            self.assertIsNone(c.call("GET", "gone5"))
            cursor, keys = c.call("SCAN", "0", "COUNT", "1000")
            self.assertEqual((cursor, len(keys)), (b"0", 10))
            self.assertIn("db0:keys=10,expires=0,", c.call("INFO", "keyspace").decode())
            time.sleep(0.5)  # what was not reclaimed before the kill is reclaimed now
        finally:
            c.close()
        self.stop(s2)
        s3 = self.start(dir=s1.dir)
        c = Conn(s3.port)
        try:
            self.assertEqual(c.call("DBSIZE"), 10)
            self.assertIn("db0:keys=10,expires=0,", c.call("INFO", "keyspace").decode())
        finally:
            c.close()
        self.stop(s3)


if __name__ == "__main__":
    unittest.main()
