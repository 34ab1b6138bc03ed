"""Lists (Redis 7.0 t_list.c): LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LINDEX LRANGE LPOS LSET
LINSERT LREM LTRIM LMOVE RPOPLPUSH LMPOP; exact replies and error texts, RESP2 and RESP3 reply
shapes, binary safety, emptied lists vanishing, the keyspace commands on lists, WATCH, a restart,
and a list of BIG_COLLECTION elements whose ends and middle are reached without reading it all.
Every expectation is checked against Redis 7.0 with DATA_TARGET=redis (the random differential
group is in data_differential_test)."""
import time
import unittest

from collection_util import BIG_COLLECTION, CollectionTestCase
from data_hash_test import WRONGTYPE
from data_strings_test import ERR_INT, ERR_SYNTAX, arity
from differential import Conn, stashd_only
from stashd import Stashd

NOT_POSITIVE = ("error", "ERR value is out of range, must be positive")
NO_SUCH_KEY = ("error", "ERR no such key")
OUT_OF_RANGE = ("error", "ERR index out of range")


class ListTestCase(CollectionTestCase):
    def lrange(self, key):
        return self.call("LRANGE", key, "0", "-1")


class ListBasicsTest(ListTestCase):
    def test_push_pop_len(self):
        c = self.call
        self.assertEqual(c("RPUSH", "l", "a", "b"), 2)
        self.assertEqual(c("LPUSH", "l", "x", "y"), 4)  # each in turn: y first
        self.assertEqual(self.lrange("l"), [b"y", b"x", b"a", b"b"])
        self.assertEqual(c("LLEN", "l"), 4)
        self.assertEqual(c("LLEN", "nokey"), 0)
        self.assertEqual(c("LPUSHX", "nokey", "a"), 0)
        self.assertEqual(c("RPUSHX", "nokey", "a"), 0)
        self.assertEqual(c("EXISTS", "nokey"), 0)
        self.assertEqual(c("RPUSHX", "l", "z"), 5)
        self.assertEqual(c("LPOP", "l"), b"y")
        self.assertEqual(c("RPOP", "l"), b"z")
        self.assertEqual(c("LPOP", "l", "2"), [b"x", b"a"])
        self.assertEqual(c("RPOP", "l", "0"), [])
        self.assertEqual(c("RPOP", "l", "10"), [b"b"])
        self.assertEqual(c("EXISTS", "l"), 0)  # an emptied list is gone
        self.assertIsNone(c("LPOP", "l"))
        self.assertEqual(self.c.call_raw("LPOP", "l", "1"), b"*-1\r\n")  # a null array
        self.assertEqual(self.c.call_raw("LPOP", "l", "0"), b"*-1\r\n")
        self.assertEqual(self.c.call_raw("LPOP", "l"), b"$-1\r\n")
        self.assertEqual(c("RPUSH", "l", "a", "b", "c"), 3)
        self.assertEqual(c("RPOP", "l", "2"), [b"c", b"b"])  # in the order they were popped
        self.assertEqual(c("TYPE", "l"), "list")
        self.assertEqual(c("OBJECT", "ENCODING", "l"), b"quicklist")

    def test_binary_elements(self):
        values = [b"", b"a\x00b", b"\r\n", b"x" * 10000, bytes(range(256))]
        self.assertEqual(self.call("RPUSH", b"k\x00", *values), len(values))
        self.assertEqual(self.lrange(b"k\x00"), values)
        self.assertEqual(self.call("LPOS", b"k\x00", b"a\x00b"), 1)
        self.assertEqual(self.call("LREM", b"k\x00", "0", b""), 1)
        self.assertEqual(self.call("LINDEX", b"k\x00", "0"), b"a\x00b")

    def test_lindex_lrange_lset(self):
        c = self.call
        self.assertEqual(c("RPUSH", "l", "a", "b", "c", "d"), 4)
        self.assertEqual([c("LINDEX", "l", str(i)) for i in (0, 3, -1, -4)],
                         [b"a", b"d", b"d", b"a"])
        self.assertIsNone(c("LINDEX", "l", "4"))
        self.assertIsNone(c("LINDEX", "l", "-5"))
        self.assertIsNone(c("LINDEX", "nokey", "x"))  # the key is looked up first
        self.assertEqual(c("LINDEX", "l", "x"), ERR_INT)
        self.assertEqual(c("LRANGE", "l", "1", "2"), [b"b", b"c"])
        self.assertEqual(c("LRANGE", "l", "-2", "100"), [b"c", b"d"])
        self.assertEqual(c("LRANGE", "l", "-100", "0"), [b"a"])
        self.assertEqual(c("LRANGE", "l", "2", "1"), [])
        self.assertEqual(c("LRANGE", "l", "4", "10"), [])
        self.assertEqual(c("LRANGE", "nokey", "0", "-1"), [])
        self.assertEqual(c("LRANGE", "nokey", "0", "x"), ERR_INT)  # arguments first
        self.assertEqual(c("LRANGE", "l", "-9223372036854775808", "9223372036854775807"),
                         [b"a", b"b", b"c", b"d"])
        self.assertEqual(c("LSET", "l", "-1", "D"), "OK")
        self.assertEqual(c("LSET", "l", "0", "A"), "OK")
        self.assertEqual(self.lrange("l"), [b"A", b"b", b"c", b"D"])
        self.assertEqual(c("LSET", "l", "4", "x"), OUT_OF_RANGE)
        self.assertEqual(c("LSET", "l", "x", "x"), ERR_INT)
        self.assertEqual(c("LSET", "nokey", "x", "v"), NO_SUCH_KEY)

    def test_linsert(self):
        c = self.call
        self.assertEqual(c("RPUSH", "l", "a", "b", "c", "b"), 4)
        self.assertEqual(c("LINSERT", "l", "BEFORE", "b", "x"), 5)  # the first match
        self.assertEqual(c("LINSERT", "l", "after", "b", "y"), 6)
        self.assertEqual(c("LINSERT", "l", "AFTER", "b", "z"), 7)
        self.assertEqual(self.lrange("l"), [b"a", b"x", b"b", b"z", b"y", b"c", b"b"])
        self.assertEqual(c("LINSERT", "l", "BEFORE", "a", "0"), 8)
        self.assertEqual(c("LINSERT", "l", "AFTER", "c", "9"), 9)
        self.assertEqual(self.lrange("l"), [b"0", b"a", b"x", b"b", b"z", b"y", b"c", b"9", b"b"])
        self.assertEqual(c("LINSERT", "l", "BEFORE", "nope", "q"), -1)
        self.assertEqual(c("LINSERT", "nokey", "BEFORE", "a", "q"), 0)
        self.assertEqual(c("LINSERT", "l", "middle", "a", "q"), ERR_SYNTAX)
        self.assertEqual(c("LINSERT", "nokey", "middle", "a", "q"), ERR_SYNTAX)
        self.assertEqual(c("SET", "s", "v"), "OK")
        self.assertEqual(c("LINSERT", "s", "middle", "a", "q"), ERR_SYNTAX)
        self.assertEqual(c("LINSERT", "s", "BEFORE", "a", "q"), WRONGTYPE)

    def test_linsert_in_a_long_list_keeps_order_on_both_sides(self):
        n = 1000
        self.r.rpush("l", *range(n))
        expected = [b"%d" % i for i in range(n)]
        for pivot, where in ((10, "BEFORE"), (990, "AFTER"), (500, "BEFORE"), (0, "BEFORE"),
                             (n - 1, "AFTER")):
            self.assertEqual(self.call("LINSERT", "l", where, str(pivot), "new%d" % pivot),
                             len(expected) + 1)
            i = expected.index(b"%d" % pivot) + (0 if where == "BEFORE" else 1)
            expected.insert(i, b"new%d" % pivot)
        self.assertEqual(self.lrange("l"), expected)

    def test_lrem(self):
        c = self.call
        items = ["a", "b", "a", "c", "a", "b"]
        self.assertEqual(c("RPUSH", "l", *items), 6)
        self.assertEqual(c("LREM", "l", "1", "a"), 1)
        self.assertEqual(self.lrange("l"), [b"b", b"a", b"c", b"a", b"b"])
        self.assertEqual(c("LREM", "l", "-1", "b"), 1)
        self.assertEqual(self.lrange("l"), [b"b", b"a", b"c", b"a"])
        self.assertEqual(c("LREM", "l", "0", "a"), 2)
        self.assertEqual(self.lrange("l"), [b"b", b"c"])
        self.assertEqual(c("LREM", "l", "5", "z"), 0)
        self.assertEqual(c("LREM", "nokey", "0", "a"), 0)
        self.assertEqual(c("LREM", "nokey", "x", "a"), ERR_INT)
        self.assertEqual(c("RPUSH", "m", "x", "y", "x", "y", "x"), 5)
        self.assertEqual(c("LREM", "m", "-2", "x"), 2)
        self.assertEqual(self.lrange("m"), [b"x", b"y", b"y"])
        self.assertEqual(c("LREM", "m", "-9223372036854775808", "y"), 2)  # like 0: every one
        self.assertEqual(c("LREM", "m", "1", "x"), 1)
        self.assertEqual(c("EXISTS", "m"), 0)

    def test_ltrim(self):
        c = self.call
        self.assertEqual(c("RPUSH", "l", "a", "b", "c", "d", "e"), 5)
        self.assertEqual(c("LTRIM", "l", "1", "-2"), "OK")
        self.assertEqual(self.lrange("l"), [b"b", b"c", b"d"])
        self.assertEqual(c("LTRIM", "l", "-100", "100"), "OK")
        self.assertEqual(self.lrange("l"), [b"b", b"c", b"d"])
        self.assertEqual(c("LTRIM", "l", "2", "1"), "OK")
        self.assertEqual(c("EXISTS", "l"), 0)
        self.assertEqual(c("LTRIM", "nokey", "0", "1"), "OK")
        self.assertEqual(c("LTRIM", "nokey", "x", "1"), ERR_INT)
        self.assertEqual(c("SET", "s", "v"), "OK")
        self.assertEqual(c("LTRIM", "s", "0", "1"), WRONGTYPE)

    def test_lpos(self):
        c = self.call
        self.assertEqual(c("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"), 8)
        self.assertEqual(c("LPOS", "l", "c"), 2)
        self.assertEqual(c("LPOS", "l", "c", "RANK", "2"), 6)
        self.assertEqual(c("LPOS", "l", "c", "RANK", "-1"), 7)
        self.assertEqual(c("LPOS", "l", "c", "RANK", "-9223372036854775808"), 7)
        self.assertIsNone(c("LPOS", "l", "c", "RANK", "4"))
        self.assertEqual(c("LPOS", "l", "c", "COUNT", "0"), [2, 6, 7])
        self.assertEqual(c("LPOS", "l", "c", "COUNT", "2"), [2, 6])
        self.assertEqual(c("LPOS", "l", "c", "COUNT", "2", "RANK", "-1"), [7, 6])
        self.assertEqual(c("LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3"), [2])
        self.assertEqual(c("LPOS", "l", "c", "RANK", "-1", "MAXLEN", "2"), 7)
        self.assertIsNone(c("LPOS", "l", "c", "MAXLEN", "2"))
        self.assertEqual(c("LPOS", "l", "z", "COUNT", "0"), [])
        self.assertIsNone(c("LPOS", "nokey", "z"))
        self.assertEqual(c("LPOS", "nokey", "z", "COUNT", "1"), [])
        self.assertEqual(c("LPOS", "l", "c", "RANK", "0"), (
            "error", "ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
            "second ... or use negative to start from the end of the list"))
        self.assertEqual(c("LPOS", "l", "c", "RANK", "x"), ERR_INT)
        self.assertEqual(c("LPOS", "l", "c", "COUNT", "-1"),
                         ("error", "ERR COUNT can't be negative"))
        self.assertEqual(c("LPOS", "l", "c", "MAXLEN", "x"),
                         ("error", "ERR MAXLEN can't be negative"))
        self.assertEqual(c("LPOS", "l", "c", "COUNT"), ERR_SYNTAX)
        self.assertEqual(c("LPOS", "l", "c", "bogus", "1"), ERR_SYNTAX)

    def test_lmove_and_rpoplpush(self):
        c = self.call
        self.assertEqual(c("RPUSH", "a", "1", "2", "3"), 3)
        self.assertEqual(c("LMOVE", "a", "b", "LEFT", "RIGHT"), b"1")
        self.assertEqual(c("LMOVE", "a", "b", "right", "left"), b"3")
        self.assertEqual(self.lrange("b"), [b"3", b"1"])
        self.assertEqual(c("RPOPLPUSH", "b", "a"), b"1")
        self.assertEqual(self.lrange("a"), [b"1", b"2"])
        self.assertEqual(c("LMOVE", "a", "a", "LEFT", "RIGHT"), b"1")  # a rotation
        self.assertEqual(self.lrange("a"), [b"2", b"1"])
        self.assertEqual(c("RPOPLPUSH", "b", "b"), b"3")  # one element onto itself
        self.assertEqual(self.lrange("b"), [b"3"])
        self.assertEqual(c("LMOVE", "b", "c", "LEFT", "LEFT"), b"3")
        self.assertEqual(c("EXISTS", "b"), 0)
        self.assertIsNone(c("LMOVE", "nokey", "c", "LEFT", "LEFT"))
        self.assertIsNone(c("RPOPLPUSH", "nokey", "c"))
        self.assertEqual(c("SET", "s", "v"), "OK")
        self.assertEqual(c("LMOVE", "a", "s", "LEFT", "LEFT"), WRONGTYPE)
        self.assertEqual(self.lrange("a"), [b"2", b"1"])  # nothing moved
        self.assertEqual(c("LMOVE", "s", "a", "LEFT", "LEFT"), WRONGTYPE)
        self.assertEqual(c("LMOVE", "a", "b", "up", "LEFT"), ERR_SYNTAX)
        self.assertEqual(c("LMOVE", "a", "b", "LEFT", "down"), ERR_SYNTAX)

    def test_lmpop(self):
        c = self.call
        self.assertEqual(c("RPUSH", "b", "1", "2", "3"), 3)
        self.assertEqual(c("LMPOP", "2", "a", "b", "LEFT"), [b"b", [b"1"]])
        self.assertEqual(c("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "5"), [b"b", [b"3", b"2"]])
        self.assertEqual(self.c.call_raw("LMPOP", "2", "a", "b", "LEFT"), b"*-1\r\n")
        self.assertEqual(c("SET", "s", "v"), "OK")
        self.assertEqual(c("LMPOP", "2", "a", "s", "LEFT"), WRONGTYPE)
        self.assertEqual(c("LMPOP", "0", "a", "LEFT"),
                         ("error", "ERR numkeys should be greater than 0"))
        self.assertEqual(c("LMPOP", "x", "a", "LEFT"),
                         ("error", "ERR numkeys should be greater than 0"))
        self.assertEqual(c("LMPOP", "3", "a", "LEFT"), ERR_SYNTAX)
        self.assertEqual(c("LMPOP", "1", "a", "up"), ERR_SYNTAX)
        self.assertEqual(c("LMPOP", "1", "a", "LEFT", "COUNT", "0"),
                         ("error", "ERR count should be greater than 0"))
        self.assertEqual(c("LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"), ERR_SYNTAX)
        self.assertEqual(c("LMPOP", "1", "a", "LEFT", "bogus"), ERR_SYNTAX)

    def test_errors_and_wrong_type(self):
        c = self.call
        self.assertEqual(c("SET", "s", "v"), "OK")
        for cmd in (["LPUSH", "s", "a"], ["RPUSHX", "s", "a"], ["LPOP", "s"], ["RPOP", "s", "1"],
                    ["LLEN", "s"], ["LINDEX", "s", "0"], ["LRANGE", "s", "0", "1"],
                    ["LPOS", "s", "a"], ["LSET", "s", "0", "a"], ["LREM", "s", "0", "a"],
                    ["RPOPLPUSH", "s", "t"], ["LMPOP", "1", "s", "LEFT"]):
            self.assertEqual(c(*cmd), WRONGTYPE, cmd)
        self.assertEqual(c("RPUSH", "l", "a"), 1)
        for cmd in (["SADD", "l", "a"], ["HSET", "l", "f", "v"], ["GET", "l"], ["INCR", "l"]):
            self.assertEqual(c(*cmd), WRONGTYPE, cmd)
        self.assertEqual(c("LPOP", "l", "-1"), NOT_POSITIVE)
        self.assertEqual(c("LPOP", "l", "x"), NOT_POSITIVE)
        self.assertEqual(c("LPOP", "s", "x"), NOT_POSITIVE)  # the count before the type
        self.assertEqual(c("LPOP", "l", "1", "2"), arity("lpop"))
        for cmd in (["LPUSH", "l"], ["LLEN"], ["LINDEX", "l"], ["LRANGE", "l", "0"],
                    ["LSET", "l", "0"], ["LINSERT", "l", "BEFORE", "a"], ["LREM", "l", "0"],
                    ["LTRIM", "l", "0"], ["LPOS", "l"], ["LMOVE", "l", "m", "LEFT"],
                    ["RPOPLPUSH", "l"], ["LMPOP", "1", "l"]):
            self.assertEqual(c(*cmd), arity(cmd[0].lower()), cmd)

    def test_resp3_shapes(self):
        c3 = Conn(self.server.port, proto=3)
        self.addCleanup(c3.close)
        self.assertEqual(c3.call_raw("RPUSH", "l", "a", "b"), b":2\r\n")
        self.assertEqual(c3.call_raw("LPOP", "nokey"), b"_\r\n")
        self.assertEqual(c3.call_raw("LPOP", "nokey", "1"), b"_\r\n")
        self.assertEqual(c3.call_raw("LPOP", "l", "0"), b"*0\r\n")
        self.assertEqual(c3.call_raw("LINDEX", "l", "5"), b"_\r\n")
        self.assertEqual(c3.call_raw("LPOS", "l", "z"), b"_\r\n")
        self.assertEqual(c3.call_raw("LMPOP", "1", "nokey", "LEFT"), b"_\r\n")
        self.assertEqual(c3.call_raw("LMOVE", "nokey", "x", "LEFT", "LEFT"), b"_\r\n")
        self.assertEqual(c3.call_raw("LMPOP", "1", "l", "LEFT"),
                         b"*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n")
        self.assertEqual(c3.call_raw("LRANGE", "l", "0", "-1"), b"*1\r\n$1\r\nb\r\n")


class ListKeyspaceTest(ListTestCase):
    def test_rename_copy_move_expire(self):
        c = self.call
        self.assertEqual(c("RPUSH", "l", "a", "b", "c"), 3)
        self.assertEqual(c("RENAME", "l", "m"), "OK")
        self.assertEqual(self.lrange("m"), [b"a", b"b", b"c"])
        self.assertEqual(c("COPY", "m", "n"), 1)
        self.assertEqual(c("RPUSH", "n", "d"), 4)
        self.assertEqual(self.lrange("m"), [b"a", b"b", b"c"])  # a copy is its own list
        self.assertEqual(c("LPOP", "m"), b"a")
        self.assertEqual(self.lrange("n"), [b"a", b"b", b"c", b"d"])
        self.assertEqual(c("MOVE", "n", "1"), 1)
        self.assertEqual(c("SELECT", "1"), "OK")
        self.assertEqual(self.lrange("n"), [b"a", b"b", b"c", b"d"])
        self.assertEqual(c("SELECT", "0"), "OK")
        self.assertEqual(c("PEXPIRE", "m", "50"), 1)
        time.sleep(0.15)
        self.assertEqual(c("LLEN", "m"), 0)
        self.assertEqual(c("RPUSH", "m", "z"), 1)  # a new list, none of the old elements
        self.assertEqual(self.lrange("m"), [b"z"])
        self.assertEqual(c("SCAN", "0", "TYPE", "list", "COUNT", "100"), [b"0", [b"m"]])

    def test_watch(self):
        exec_after = self.watch_probe("l", ["LLEN", "l"])
        self.assertIsNone(exec_after([["RPUSH", "l", "a"]], [["RPUSH", "l", "b"]]))
        self.assertIsNone(exec_after([["RPUSH", "l", "a"]], [["LPOP", "l"]]))
        self.assertIsNone(exec_after([["RPUSH", "l", "a", "b"]], [["LTRIM", "l", "0", "-1"]]))
        self.assertEqual(exec_after([["RPUSH", "l", "a"]], [["LREM", "l", "0", "z"]]), [1])
        self.assertEqual(exec_after([["RPUSH", "l", "a"]], [["LINSERT", "l", "BEFORE", "z", "y"]]),
                         [1])

    def test_transaction_and_pipeline_see_earlier_writes(self):
        c = self.call
        self.assertEqual(c("MULTI"), "OK")
        for cmd in (["RPUSH", "l", "a", "b"], ["LPUSH", "l", "z"], ["LMOVE", "l", "m", "LEFT",
                                                                        "LEFT"],
                    ["LINSERT", "l", "AFTER", "a", "x"], ["LRANGE", "l", "0", "-1"],
                    ["RPOP", "l", "5"], ["LLEN", "l"]):
            self.assertEqual(c(*cmd), "QUEUED")
        self.assertEqual(c("EXEC"), [2, 3, b"z", 3, [b"a", b"x", b"b"], [b"b", b"x", b"a"], 0])
        p = self.r.pipeline(transaction=False)
        for i in range(50):
            p.rpush("q", i)
            p.lpop("q")
        p.rpush("q", "last")
        p.lrange("q", 0, -1)
        self.assertEqual(p.execute()[-2:], [1, [b"last"]])

    @stashd_only
    def test_restart_keeps_lists(self):
        s = Stashd()
        self.addCleanup(s.cleanup)
        c = Conn(s.port)
        self.assertEqual(c.call("RPUSH", "l", *[str(i) for i in range(100)]), 100)
        self.assertEqual(c.call("LPUSH", "l", "first"), 101)
        self.assertEqual(c.call("LTRIM", "l", "0", "49"), "OK")
        c.close()
        self.assertEqual(s.stop(), 0, s.output())
        s2 = Stashd(dir=s.dir)
        self.addCleanup(s2.cleanup)
        c = Conn(s2.port)
        self.addCleanup(c.close)
        self.assertEqual(c.call("LRANGE", "l", "0", "-1"),
                         [b"first"] + [b"%d" % i for i in range(49)])
        self.assertEqual(c.call("RPUSH", "l", "more"), 51)


class ListConfigTest(ListTestCase):
    def test_encoding_parameters_are_kept_and_reported(self):
        names = {"list-max-listpack-size": b"-2", "list-max-ziplist-size": b"-2",
                 "list-compress-depth": b"0", "zset-max-listpack-entries": b"128",
                 "zset-max-ziplist-entries": b"128", "zset-max-listpack-value": b"64",
                 "zset-max-ziplist-value": b"64"}
        for name, default in names.items():
            self.assertEqual(self.call("CONFIG", "GET", name), [name.encode(), default], name)
        try:
            self.assertEqual(self.call("CONFIG", "SET", "list-max-ziplist-size", "-5"), "OK")
            self.assertEqual(self.call("CONFIG", "GET", "list-max-listpack-size"),
                             [b"list-max-listpack-size", b"-5"])
            self.assertEqual(self.call("CONFIG", "SET", "list-max-listpack-size", "128"), "OK")
            self.assertEqual(self.call("CONFIG", "SET", "zset-max-listpack-entries", "7",
                                       "zset-max-ziplist-value", "9"), "OK")
            self.assertEqual(self.call("CONFIG", "GET", "zset-max-ziplist-entries"),
                             [b"zset-max-ziplist-entries", b"7"])
            self.assertEqual(self.call("CONFIG", "GET", "zset-max-listpack-value"),
                             [b"zset-max-listpack-value", b"9"])
            self.assertEqual(self.call("CONFIG", "SET", "list-compress-depth", "-1"), (
                "error", "ERR CONFIG SET failed (possibly related to argument "
                "'list-compress-depth') - argument must be between 0 and 2147483647 inclusive"))
            self.assertEqual(self.call("CONFIG", "SET", "list-max-listpack-size", "2147483648"), (
                "error", "ERR CONFIG SET failed (possibly related to argument "
                "'list-max-listpack-size') - argument must be between -2147483648 and "
                "2147483647 inclusive"))
            # The layout does not change: a long list is still one list, in order.
            self.assertEqual(self.call("RPUSH", "l", *[str(i) for i in range(300)]), 300)
            self.assertEqual(self.call("LINDEX", "l", "299"), b"299")
            self.assertEqual(self.call("OBJECT", "ENCODING", "l"), b"quicklist")
        finally:
            self.assertEqual(self.call("CONFIG", "SET", "list-max-listpack-size", "-2",
                                       "list-compress-depth", "0",
                                       "zset-max-listpack-entries", "128",
                                       "zset-max-listpack-value", "64"), "OK")


class BigListTest(ListTestCase):
    """BIG_COLLECTION elements (default 1,000,000) in one list: its ends, its middle and a
    range in the middle answered without reading the rest; popped from both ends, trimmed and
    deleted."""

    def test_million_element_list(self):
        n = BIG_COLLECTION
        built = self.fill_big(n, lambda p, js: p.rpush("big", *[b"e%d" % j for j in js]))
        self.assertEqual(self.call("LLEN", "big"), n)
        t0 = time.monotonic()
        self.assertEqual(self.call("LINDEX", "big", str(n // 2)), b"e%d" % (n // 2))
        self.assertEqual(self.call("LINDEX", "big", "-1"), b"e%d" % (n - 1))
        self.assertEqual(self.call("LRANGE", "big", str(n // 2), str(n // 2 + 99)),
                         [b"e%d" % j for j in range(n // 2, n // 2 + 100)])
        self.assertEqual(self.call("LSET", "big", str(n // 3), "set"), "OK")
        self.assertEqual(self.call("LINDEX", "big", str(n // 3)), b"set")
        reads = time.monotonic() - t0
        t1 = time.monotonic()
        self.assertEqual(self.call("LPOP", "big", "10"), [b"e%d" % j for j in range(10)])
        self.assertEqual(self.call("RPOP", "big", "10"),
                         [b"e%d" % j for j in range(n - 1, n - 11, -1)])
        self.assertEqual(self.call("LPUSH", "big", "head"), n - 19)
        self.assertEqual(self.call("LINDEX", "big", "0"), b"head")
        pops = time.monotonic() - t1
        self.assertEqual(self.call("LTRIM", "big", "0", str(n - 100)), "OK")
        self.assertEqual(self.call("LLEN", "big"), n - 99)
        self.assertEqual(self.call("LINDEX", "big", "-1"), b"e%d" % (n - 100 + 9))
        self.delete_big("big", "LLEN", "\n%d-element list: built in %.1f s; LINDEX x3, LRANGE 100, "
                        "LSET in %.1f ms; LPOP/RPOP 10, LPUSH in %.1f ms"
                        % (n, built, reads * 1000, pops * 1000))


if __name__ == "__main__":
    unittest.main()
