"""SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]: the cursor is an opaque number sent as a bulk
string, 0 starts and ends; COUNT bounds the work per call; MATCH's literal prefix is sought
directly; TYPE filters; an unknown cursor is an error. Every key present for the whole iteration
is returned while other clients write and the engine flushes and compacts."""
import threading
import time
import unittest

from data_strings_test import DataTestCase, ERR_INT, ERR_SYNTAX, arity
from differential import AGAINST_REDIS, Conn, start_server, stashd_only

INVALID_CURSOR = ("error", "ERR invalid cursor")
TINY_ENGINE = ["--lsm-memtable-size", "16kb", "--lsm-target-file-size", "32kb",
               "--lsm-l1-size", "128kb", "--lsm-block-size", "1kb"]


def scan_all(conn, *opts, limit=100000):
    """(keys in order, number of calls) of a whole iteration."""
    cursor, keys, calls = b"0", [], 0
    while True:
        reply = conn.call("SCAN", cursor, *opts)
        assert isinstance(reply, list) and len(reply) == 2, reply
        cursor, batch = reply
        assert isinstance(cursor, bytes), "cursor must be a bulk string: %r" % (reply,)
        keys += batch
        calls += 1
        if cursor == b"0":
            return keys, calls
        assert calls < limit, "SCAN does not end"


class ScanTest(DataTestCase):
    def fill(self, keys):
        p = self.r.pipeline(transaction=False)
        for k in keys:
            p.set(k, "v")
        p.execute()

    def test_empty_database(self):
        self.assertEqual(self.call("SCAN", "0"), [b"0", []])
        self.assertEqual(self.call("SCAN", "0", "MATCH", "x*", "COUNT", "5", "TYPE", "string"),
                         [b"0", []])

    def test_full_iteration_returns_every_key(self):
        names = [b"key:%d" % i for i in range(257)] + [b"", b"a\x00b", b"\xff"]
        self.fill(names)
        keys, calls = scan_all(self.c)
        self.assertEqual(set(keys), set(names))
        self.assertGreater(calls, 1)
        if not AGAINST_REDIS:
            self.assertEqual(len(keys), len(set(keys)))  # a quiet database: each key once
            self.assertEqual(keys, sorted(keys))         # in key order
            self.assertEqual(calls, 26)                  # 260 keys, 10 per call
        keys, _ = scan_all(self.c, "COUNT", "1000")
        self.assertEqual(len(set(keys)), 260)

    @stashd_only
    def test_count_bounds_the_work_of_a_sparse_match(self):
        self.fill(["k%04d" % i for i in range(200)])
        reply = self.call("SCAN", "0", "MATCH", "*9999", "COUNT", "10")
        self.assertNotEqual(reply[0], b"0")
        self.assertEqual(reply[1], [])
        keys, calls = scan_all(self.c, "MATCH", "*0", "COUNT", "10")
        self.assertEqual(calls, 20)
        self.assertEqual(sorted(keys), [b"k%04d" % i for i in range(0, 200, 10)])
        keys, calls = scan_all(self.c, "MATCH", "*0", "COUNT", "200")
        self.assertEqual((len(keys), calls), (20, 1))
        keys, calls = scan_all(self.c, "COUNT", "7")
        self.assertEqual((len(keys), calls), (200, 29))

    @stashd_only
    def test_match_seeks_to_the_literal_prefix(self):
        self.fill(["a:%d" % i for i in range(1000)] + ["user:%d" % i for i in range(5)] +
                  ["z:%d" % i for i in range(1000)] + ["user"])
        cursor, keys = self.call("SCAN", "0", "MATCH", "user:*", "COUNT", "10")
        self.assertEqual(cursor, b"0")
        self.assertEqual(sorted(keys), [b"user:%d" % i for i in range(5)])
        cursor, keys = self.call("SCAN", "0", "MATCH", "user:[0-2]", "COUNT", "5")
        self.assertEqual((cursor, sorted(keys)), (b"0", [b"user:0", b"user:1", b"user:2"]))
        self.assertEqual(self.call("SCAN", "0", "MATCH", "user", "COUNT", "10"), [b"0", [b"user"]])
        self.assertEqual(self.call("SCAN", "0", "MATCH", "nothing:*", "COUNT", "1"), [b"0", []])
        # A prefix with many matches still pages by COUNT.
        keys, calls = scan_all(self.c, "MATCH", "a:*", "COUNT", "100")
        self.assertEqual((len(keys), calls), (1000, 10))

    def test_match_patterns(self):
        self.fill(["user:1", "user:2", "user:10", "a*b", "axb", "h[x]", "other"])
        cases = {"user:*": {b"user:1", b"user:2", b"user:10"}, "user:?": {b"user:1", b"user:2"},
                 "a\\*b": {b"a*b"}, "a*b": {b"a*b", b"axb"}, "*1*": {b"user:1", b"user:10"},
                 "h\\[x\\]": {b"h[x]"}, "*": {b"user:1", b"user:2", b"user:10", b"a*b", b"axb",
                                              b"h[x]", b"other"}}
        for pattern, want in cases.items():
            for count in ("1", "3", "100"):
                keys, _ = scan_all(self.c, "MATCH", pattern, "COUNT", count)
                self.assertEqual(set(keys), want, (pattern, count))

    def test_type_filter(self):
        self.fill(["s%d" % i for i in range(30)])
        for t in ("string", "STRING", "String"):
            keys, _ = scan_all(self.c, "TYPE", t, "COUNT", "7")
            self.assertEqual(len(set(keys)), 30)
        for t in ("hash", "list", "set", "zset", "bogus"):
            keys, _ = scan_all(self.c, "TYPE", t)
            self.assertEqual(keys, [])
        keys, _ = scan_all(self.c, "MATCH", "s1*", "TYPE", "string")
        self.assertEqual(len(set(keys)), 11)

    def test_errors(self):
        self.assertEqual(self.call("SCAN", "abc"), INVALID_CURSOR)
        self.assertEqual(self.call("SCAN", "1x"), INVALID_CURSOR)
        self.assertEqual(self.call("SCAN", "0", "COUNT", "0"), ERR_SYNTAX)
        self.assertEqual(self.call("SCAN", "0", "COUNT", "-1"), ERR_SYNTAX)
        self.assertEqual(self.call("SCAN", "0", "COUNT", "x"), ERR_INT)
        self.assertEqual(self.call("SCAN", "0", "COUNT"), ERR_SYNTAX)
        self.assertEqual(self.call("SCAN", "0", "MATCH"), ERR_SYNTAX)
        self.assertEqual(self.call("SCAN", "0", "TYPE"), ERR_SYNTAX)
        self.assertEqual(self.call("SCAN", "0", "bogus", "1"), ERR_SYNTAX)
        self.assertEqual(self.call("SCAN", "abc", "bogus"), INVALID_CURSOR)  # cursor first
        self.assertEqual(self.call("SCAN"), arity("scan"))

    @stashd_only
    def test_unknown_cursor_is_an_error_not_a_restart(self):
        self.fill(["k%d" % i for i in range(50)])
        self.assertEqual(self.call("SCAN", "12345"), INVALID_CURSOR)
        self.assertEqual(self.call("SCAN", "-1"), INVALID_CURSOR)  # Redis: strtoull wraps
        self.assertEqual(self.call("SCAN", ""), INVALID_CURSOR)    # Redis: reads as 0
        self.assertEqual(self.call("SCAN", "9007199254740993"), INVALID_CURSOR)
        self.assertEqual(self.call("SCAN", "18446744073709551615"), INVALID_CURSOR)
        self.assertEqual(self.call("SCAN", "18446744073709551616"), INVALID_CURSOR)
        cursor, first = self.call("SCAN", "0", "COUNT", "5")
        self.assertLess(int(cursor), 2 ** 53)
        # A retried call gets the same keys; the cursor keeps working.
        again1, keys1 = self.call("SCAN", cursor, "COUNT", "5")
        again2, keys2 = self.call("SCAN", cursor, "COUNT", "5")
        self.assertEqual(keys1, keys2)
        self.assertEqual(self.call("SCAN", again1, "COUNT", "5")[1],
                         self.call("SCAN", again2, "COUNT", "5")[1])
        # Another database's cursor is not valid here.
        self.assertEqual(self.call("SELECT", "1"), "OK")
        self.assertEqual(self.call("SCAN", cursor), INVALID_CURSOR)
        self.assertEqual(self.call("SELECT", "0"), "OK")
        # Another connection may continue it.
        other = Conn(self.server.port)
        try:
            nxt, batch = other.call("SCAN", cursor, "COUNT", "5")
            self.assertEqual(len(batch), 5)
            self.assertFalse(set(batch) & set(first))
        finally:
            other.close()

    def test_redis_cli_scan(self):
        self.fill(["user:%d" % i for i in range(30)] + ["other:%d" % i for i in range(20)])
        out, code = self.server.cli("--scan")
        self.assertEqual(code, 0)
        self.assertEqual(len(set(out.split())), 50)
        out, _ = self.server.cli("--scan", "--pattern", "user:*")
        self.assertEqual(set(out.split()), {"user:%d" % i for i in range(30)})
        out, _ = self.server.cli("--scan", "--pattern", "other:1*")
        self.assertEqual(set(out.split()), {"other:1"} | {"other:1%d" % i for i in range(10)})
        out, _ = self.server.cli("SCAN", "0", "MATCH", "nothing*", "COUNT", "1000")
        self.assertEqual(out, "0\n\n")


@stashd_only
class ScanUnderWritesTest(DataTestCase):
    """Tiny engine sizes so that flushes and compactions run while the iteration is under way."""

    server_args = TINY_ENGINE

    def engine(self):
        info = self.r.info("engine")
        return info["flushes"], info["compactions"]

    def test_every_stable_key_is_returned_while_others_write(self):
        stable = ["s:%05d" % i for i in range(2000)]
        p = self.r.pipeline(transaction=False)
        for k in stable:
            p.set(k, "x" * 100)
        p.execute()
        flushes0, compactions0 = self.engine()

        # A background writer adds and deletes keys among the stable ones (same prefix, so the
        # churn sits right around the cursor) and elsewhere.
        stop = threading.Event()
        errors = []
        rounds = [0]

        def churn():
            try:
                w = self.server.client()
                n = 0
                while not stop.is_set():
                    time.sleep(0.01)  # paced: the point is concurrency, not load
                    p = w.pipeline(transaction=False)
                    for j in range(50):
                        p.set("s:%05d:c%d" % ((n * 37 + j) % 2000, n), "y" * 300)
                        p.set("t:%d" % (n * 50 + j), "z" * 200)
                    if n >= 2:
                        for j in range(50):
                            p.delete("s:%05d:c%d" % (((n - 2) * 37 + j) % 2000, n - 2))
                    p.execute()
                    n += 1
                    rounds[0] = n
            except Exception as e:  # reported by the main thread
                errors.append(e)

        t = threading.Thread(target=churn)
        t.start()
        seen = set()
        try:
            for opts in (["COUNT", "20"], ["MATCH", "s:*", "COUNT", "50"],
                         ["MATCH", "s:0*", "COUNT", "7", "TYPE", "string"]):
                cursor, calls = b"0", 0
                while True:
                    cursor, batch = self.call("SCAN", cursor, *opts)
                    seen.update(batch)
                    calls += 1
                    # Synchronous writes between calls too: delete the key the cursor sits on.
                    if batch:
                        self.call("DEL", batch[-1] + b":c0")
                        self.call("SET", batch[-1] + b":new", "n")
                        self.call("DEL", batch[-1] + b":new")
                    if cursor == b"0":
                        break
                    if calls % 10 == 0:
                        time.sleep(0.02)  # let the writer get ahead: flushes mid-iteration
                want = {k.encode() for k in stable if k.startswith("s:0")} \
                    if "s:0*" in opts else {k.encode() for k in stable}
                self.assertEqual(want - seen, set(), opts)
                if opts[0] == "MATCH":
                    self.assertEqual([k for k in seen if not k.startswith(b"s:")], [])
                seen.clear()
        finally:
            stop.set()
            t.join()
        self.assertEqual(errors, [])
        self.assertGreater(rounds[0], 20)
        flushes1, compactions1 = self.engine()
        self.assertGreater(flushes1, flushes0)
        self.assertGreater(compactions1, compactions0)
        self.assertEqual(self.call("EXISTS", *stable[:100]), 100)


if __name__ == "__main__":
    unittest.main()
