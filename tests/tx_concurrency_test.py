"""WATCH semantics (Redis 7.0 multi.c touchWatchedKey / touchAllWatchedKeysInDb), atomicity of
MULTI/EXEC for concurrent readers, and python3-redis transactions from concurrent clients.
The WATCH cases also run against a stock redis-server when one is installed."""
import threading
import time
import unittest

import redis

from stashd import StashdTestCase
from tx_util import Servers


class WatchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = Servers()

    @classmethod
    def tearDownClass(cls):
        code = cls.servers.stop()
        assert code == 0, "stashd exit code %s" % code

    def each_target(self):
        for target in self.servers.targets:
            with self.subTest(server=target.name):
                c = target.conn()
                self.assertEqual(c.call("FLUSHALL"), "OK")
                c.close()
                yield target

    def run_exec(self, conn):
        """MULTI; PING; EXEC on conn: True when EXEC ran (replied [PONG]), False when aborted."""
        self.assertEqual(conn.call("MULTI"), "OK")
        self.assertEqual(conn.call("PING"), "QUEUED")
        reply = conn.call("EXEC")
        self.assertIn(reply, (None, ["PONG"]))
        return reply is not None

    def case(self, setup, action, aborts, watch=("k",), sleep=0.0):
        """setup by another client; WATCH watch; action by the other client; then EXEC."""
        for target in self.each_target():
            a, b = target.conn(), target.conn()
            for cmd in setup:
                self.assertNotIsInstance(b.call(*cmd), tuple, cmd)
            self.assertEqual(a.call("WATCH", *watch), "OK")
            for cmd in action:
                self.assertNotIsInstance(b.call(*cmd), tuple, cmd)
            time.sleep(sleep)
            self.assertEqual(not self.run_exec(a), aborts,
                             "setup %r, action %r" % (setup, action))
            a.close()
            b.close()

    def conns(self, target, n):
        out = [target.conn() for _ in range(n)]
        for c in out:
            self.addCleanup(c.close)
        return out

    # --- changes by another client abort ---

    def test_set_by_another_client_aborts(self):
        self.case([("SET", "k", "1")], [("SET", "k", "2")], True)

    def test_set_to_the_same_value_aborts(self):
        self.case([("SET", "k", "1")], [("SET", "k", "1")], True)

    def test_del_aborts(self):
        self.case([("SET", "k", "1")], [("DEL", "k")], True)

    def test_incr_aborts(self):
        self.case([("SET", "k", "1")], [("INCR", "k")], True)
        self.case([("SET", "k", "1")], [("INCRBY", "k", "0")], True)

    def test_expire_and_persist_abort(self):
        self.case([("SET", "k", "1")], [("EXPIRE", "k", "100")], True)
        self.case([("SET", "k", "1", "EX", "100")], [("PERSIST", "k")], True)
        self.case([("SET", "k", "1")], [("PEXPIRE", "k", "0")], True)

    def test_other_string_writes_abort(self):
        for action in (("APPEND", "k", "x"), ("SETRANGE", "k", "0", "x"), ("GETSET", "k", "2"),
                       ("GETDEL", "k"), ("GETEX", "k", "EX", "100"), ("MSET", "j", "1", "k", "2"),
                       ("INCRBYFLOAT", "k", "1.5"), ("DECR", "k"), ("SET", "k", "2", "XX")):
            self.case([("SET", "k", "1")], [action], True)

    def test_rename_away_and_onto_abort(self):
        self.case([("SET", "k", "1")], [("RENAME", "k", "z")], True)
        self.case([("SET", "z", "1")], [("RENAME", "z", "k")], True)
        self.case([("SET", "z", "1")], [("RENAMENX", "z", "k")], True)

    def test_move_and_copy_abort(self):
        self.case([("SET", "k", "1")], [("MOVE", "k", "1")], True)
        self.case([("SET", "z", "1")], [("COPY", "z", "k")], True)

    def test_creating_a_watched_missing_key_aborts(self):
        self.case([], [("SET", "k", "1")], True)
        self.case([], [("SETNX", "k", "1")], True)
        self.case([], [("INCR", "k")], True)

    def test_key_expiring_aborts(self):
        self.case([("SET", "k", "1")], [("PEXPIRE", "k", "50")], True, sleep=0.3)
        self.case([("SET", "k", "1", "PX", "80")], [], True, sleep=0.3)

    def test_flushdb_and_flushall_abort_when_the_key_exists(self):
        self.case([("SET", "k", "1")], [("FLUSHDB",)], True)
        self.case([("SET", "k", "1")], [("FLUSHALL",)], True)

    def test_swapdb_aborts_when_the_key_exists_in_either_db(self):
        self.case([("SET", "k", "1")], [("SWAPDB", "0", "1")], True)
        self.case([("SET", "k", "1")], [("SWAPDB", "1", "0")], True)
        self.case([("SELECT", "1"), ("SET", "k", "1")], [("SWAPDB", "0", "1")], True)
        self.case([("SET", "k", "0"), ("SELECT", "1"), ("SET", "k", "1")],
                  [("SWAPDB", "0", "1")], True)

    def test_one_changed_key_of_several_aborts(self):
        self.case([("SET", "a", "1"), ("SET", "b", "1")], [("SET", "c", "1")], True,
                  watch=("a", "b", "c"))

    # --- what does not abort ---

    def test_reads_do_not_abort(self):
        self.case([("SET", "k", "1", "EX", "100")],
                  [("GET", "k"), ("MGET", "k", "x"), ("EXISTS", "k"), ("TTL", "k"),
                   ("TYPE", "k"), ("TOUCH", "k"), ("KEYS", "*"), ("SCAN", "0"), ("DBSIZE",),
                   ("STRLEN", "k"), ("GETRANGE", "k", "0", "1"), ("RANDOMKEY",)], False)

    def test_writes_that_change_nothing_do_not_abort(self):
        self.case([], [("DEL", "k"), ("EXPIRE", "k", "100"), ("PERSIST", "k"),
                       ("GETDEL", "k"), ("SET", "k", "1", "XX")], False)
        self.case([("SET", "k", "1")], [("SETNX", "k", "2"), ("PERSIST", "k"),
                                        ("SET", "k", "2", "NX"), ("MSETNX", "j", "1", "k", "2"),
                                        ("EXPIRE", "k", "100", "XX"), ("GETEX", "k")], False)

    def test_other_keys_do_not_abort(self):
        self.case([("SET", "k", "1")], [("SET", "j", "1"), ("DEL", "kk"), ("RENAME", "j", "z"),
                                        ("INCR", "k2")], False)

    def test_same_key_in_another_db_does_not_abort(self):
        self.case([("SET", "k", "0")], [("SELECT", "1"), ("SET", "k", "1"), ("DEL", "k"),
                                        ("SET", "k", "2"), ("EXPIRE", "k", "10")], False)

    def test_flush_and_swap_without_the_key_do_not_abort(self):
        self.case([], [("FLUSHDB",)], False)
        self.case([], [("FLUSHALL",)], False)
        self.case([("SELECT", "1"), ("SET", "k", "1")], [("FLUSHALL",)], False)
        self.case([], [("SWAPDB", "0", "1")], False)
        self.case([("SET", "k", "1"), ("SELECT", "2"), ("SET", "k", "1")],
                  [("SWAPDB", "2", "3"), ("SELECT", "1"), ("FLUSHDB",)], False)

    # --- who is watching, and when watching ends ---

    def test_watch_in_a_selected_db(self):
        for target in self.each_target():
            a, b = self.conns(target, 2)
            self.assertEqual(a.call("SELECT", "1"), "OK")
            self.assertEqual(a.call("WATCH", "k"), "OK")
            self.assertEqual(a.call("SELECT", "0"), "OK")  # still watches db 1's k
            self.assertEqual(b.call("SET", "k", "db0"), "OK")
            self.assertTrue(self.run_exec(a))
            self.assertEqual(a.call("SELECT", "1"), "OK")
            self.assertEqual(a.call("WATCH", "k"), "OK")
            self.assertEqual(a.call("SELECT", "0"), "OK")
            self.assertEqual(b.call("SELECT", "1"), "OK")
            self.assertEqual(b.call("SET", "k", "db1"), "OK")
            self.assertFalse(self.run_exec(a))

    def test_own_write_before_multi_aborts(self):
        for target in self.each_target():
            (a,) = self.conns(target, 1)
            self.assertEqual(a.call("WATCH", "k"), "OK")
            self.assertEqual(a.call("SET", "k", "1"), "OK")
            self.assertFalse(self.run_exec(a))
            # pipelined in one write, so that WATCH and SET reach stashd's writer together
            a.send(("WATCH", "k"), ("INCR", "k"), ("MULTI",), ("INCR", "k"), ("EXEC",),
                   ("GET", "k"))
            self.assertEqual([a.read() for _ in range(6)], ["OK", 2, "OK", "QUEUED", None, b"2"])

    def test_writes_inside_the_transaction_do_not_abort_it(self):
        for target in self.each_target():
            (a,) = self.conns(target, 1)
            self.assertEqual(a.call("WATCH", "k"), "OK")
            a.send(("MULTI",), ("SET", "k", "1"), ("INCR", "k"), ("EXEC",))
            self.assertEqual([a.read() for _ in range(4)], ["OK", "QUEUED", "QUEUED", ["OK", 2]])

    def test_unwatch_exec_discard_and_reset_end_watching(self):
        ends = {
            "unwatch": [("UNWATCH",)],
            "exec": [("MULTI",), ("EXEC",)],
            "aborted exec": [("SET", "k", "own"), ("MULTI",), ("EXEC",)],
            "discard": [("MULTI",), ("DISCARD",)],
            "execabort": [("MULTI",), ("NOSUCH",), ("EXEC",)],
            "rejected exec": [("MULTI",), ("EXEC", "x")],
            "reset": [("RESET",)],
        }
        for target in self.each_target():
            for name, commands in ends.items():
                with self.subTest(ends=name):
                    a, b = target.conn(), target.conn()
                    self.assertEqual(a.call("WATCH", "k"), "OK")
                    for cmd in commands:
                        a.call(*cmd)
                    self.assertEqual(b.call("SET", "k", "x"), "OK")
                    self.assertTrue(self.run_exec(a), name)  # the next one is not affected
                    a.close()
                    b.close()

    def test_watch_again_after_unwatch(self):
        for target in self.each_target():
            a, b = self.conns(target, 2)
            self.assertEqual(a.call("WATCH", "k", "k"), "OK")
            self.assertEqual(a.call("UNWATCH"), "OK")
            self.assertEqual(a.call("WATCH", "j"), "OK")
            self.assertEqual(b.call("SET", "k", "x"), "OK")
            self.assertTrue(self.run_exec(a))
            self.assertEqual(a.call("WATCH", "k"), "OK")
            self.assertEqual(a.call("WATCH", "j"), "OK")  # adds to the watched keys
            self.assertEqual(b.call("SET", "k", "y"), "OK")
            self.assertFalse(self.run_exec(a))

    def test_every_watching_client_aborts(self):
        for target in self.each_target():
            b = target.conn()
            watchers = [target.conn() for _ in range(20)]
            for i, w in enumerate(watchers):
                self.assertEqual(w.call("WATCH", "k" if i % 2 == 0 else "j"), "OK")
            self.assertEqual(b.call("SET", "k", "1"), "OK")
            for i, w in enumerate(watchers):
                self.assertEqual(self.run_exec(w), i % 2 == 1, i)
                w.close()
            b.close()

    def test_closed_watchers_are_forgotten(self):
        """Many short-lived connections watching keys; later WATCHes and FLUSHALLs still work."""
        for target in self.each_target():
            (b,) = self.conns(target, 1)
            for round in range(3):
                conns = [target.conn() for _ in range(50)]
                for i, c in enumerate(conns):
                    c.send(*[("WATCH", "key:%d:%d" % (i, j)) for j in range(100)])
                for c in conns:
                    self.assertEqual([c.read() for _ in range(100)], ["OK"] * 100)
                    c.close()
            self.assertEqual(b.call("SET", "key:1:1", "v"), "OK")
            (a,) = self.conns(target, 1)
            self.assertEqual(a.call("WATCH", "key:1:1"), "OK")
            self.assertEqual(b.call("FLUSHALL"), "OK")
            self.assertFalse(self.run_exec(a))


class AtomicityTest(StashdTestCase):
    """Other clients never see a transaction half applied."""

    def test_readers_never_see_half_a_transfer(self):
        r = self.server.client()
        r.flushall()
        r.mset({"a": 1000, "b": 1000})
        stop = threading.Event()
        errors, reads, transfers = [], [0], [0]

        def mover(src, dst):
            c = self.server.client()
            try:
                while not stop.is_set():
                    p = c.pipeline(transaction=True)
                    p.decrby(src, 1)
                    p.incrby(dst, 1)
                    p.execute()
                    transfers[0] += 1
            except Exception as e:  # reported by the test
                errors.append(repr(e))
            finally:
                c.close()

        def reader():
            c = self.server.client()
            try:
                while not stop.is_set():
                    values = [int(v) for v in c.mget("a", "b")]
                    if sum(values) != 2000:
                        errors.append("MGET saw %r" % values)
                    p = c.pipeline(transaction=True)  # reads inside EXEC: the writer's view
                    p.get("a")
                    p.get("b")
                    values = [int(v) for v in p.execute()]
                    if sum(values) != 2000:
                        errors.append("EXEC saw %r" % values)
                    reads[0] += 1
            except Exception as e:
                errors.append(repr(e))
            finally:
                c.close()

        # one client moving a -> b (as in the issue), one b -> a so that groups mix both
        threads = [threading.Thread(target=mover, args=("a", "b")),
                   threading.Thread(target=mover, args=("b", "a"))]
        threads += [threading.Thread(target=reader) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(4)
        stop.set()
        for t in threads:
            t.join(30)
        self.assertEqual(errors[:5], [])
        self.assertGreater(transfers[0], 200)
        self.assertGreater(reads[0], 100)
        self.assertEqual(sum(int(v) for v in r.mget("a", "b")), 2000)
        r.close()


class RedisPyTest(StashdTestCase):
    def setUp(self):
        self.r = self.server.client()
        self.r.flushall()

    def tearDown(self):
        self.r.close()

    def test_pipeline_transaction(self):
        p = self.r.pipeline(transaction=True)
        p.set("a", "1").incr("a").get("a").mget("a", "b").exists("a", "b")
        self.assertEqual(p.execute(), [True, 2, b"2", [b"2", None], 1])

    def test_pipeline_transaction_with_a_run_time_error(self):
        self.r.set("s", "abc")
        p = self.r.pipeline(transaction=True)
        p.incr("s").set("a", "1")
        with self.assertRaises(redis.ResponseError) as cm:
            p.execute()
        self.assertIn("value is not an integer or out of range", str(cm.exception))
        self.assertEqual(self.r.get("a"), b"1")
        p = self.r.pipeline(transaction=True)
        p.incr("s").incr("a")
        out = p.execute(raise_on_error=False)
        self.assertIsInstance(out[0], redis.ResponseError)
        self.assertEqual(out[1], 2)

    def test_pipeline_transaction_with_a_queue_error(self):
        p = self.r.pipeline(transaction=True)
        p.set("a", "1").execute_command("NOSUCH", "x")
        with self.assertRaises(redis.ResponseError) as cm:
            p.execute()
        # redis-py reports the queued command's error rather than EXECABORT
        self.assertIn("unknown command 'NOSUCH'", str(cm.exception))
        self.assertIsNone(self.r.get("a"))

    def test_watch_error(self):
        other = self.server.client()
        with self.r.pipeline() as p:
            p.watch("k")
            other.set("k", "x")
            p.multi()
            p.set("k", "mine")
            with self.assertRaises(redis.WatchError):
                p.execute()
        self.assertEqual(self.r.get("k"), b"x")
        other.close()

    def test_concurrent_optimistic_increments_end_exact(self):
        clients, per_client = 8, 1000
        errors = []
        retries = [0]

        def worker():
            c = self.server.client()
            try:
                for _ in range(per_client):
                    def incr(pipe):
                        value = int(pipe.get("counter") or 0)
                        pipe.multi()
                        pipe.set("counter", value + 1)
                    c.transaction(incr, "counter")
            except Exception as e:
                errors.append(repr(e))
            finally:
                c.close()

        def explicit_worker():
            c = self.server.client()
            try:
                with c.pipeline() as pipe:
                    for _ in range(per_client):
                        while True:
                            try:
                                pipe.watch("counter")
                                value = int(pipe.get("counter") or 0)
                                pipe.multi()
                                pipe.set("counter", value + 1)
                                pipe.execute()
                                break
                            except redis.WatchError:
                                retries[0] += 1
            except Exception as e:
                errors.append(repr(e))
            finally:
                c.close()

        threads = [threading.Thread(target=worker if i % 2 else explicit_worker)
                   for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        self.assertEqual(int(self.r.get("counter")), clients * per_client)
        self.assertGreater(retries[0], 0)  # the clients did contend


if __name__ == "__main__":
    unittest.main()
