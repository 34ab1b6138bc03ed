"""Sets (Redis 7.0 t_set.c): SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE
SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN; exact replies and error
texts, which error wins when a command has both a bad argument and a key of the wrong type, RESP2
and RESP3 reply shapes (a set is '~' in RESP3), binary safety, empty sets vanishing, the *STORE
destination rules, and the keyspace commands on sets. Unordered replies are compared as sets.
Every expectation is checked against Redis 7.0 with DATA_TARGET=redis."""
import time
import unittest

from collection_util import BIG_COLLECTION, CollectionTestCase, scan_all, scan_keys
from data_hash_test import INVALID_CURSOR, LONG_RANGE, WRONGTYPE, bulks
from data_strings_test import ERR_INT, ERR_SYNTAX, arity
from differential import AGAINST_REDIS, Conn, stashd_only, typed

NOT_POSITIVE = ("error", "ERR value is out of range, must be positive")
NUMKEYS = ("error", "ERR numkeys should be greater than 0")
TOO_MANY_KEYS = ("error", "ERR Number of keys can't be greater than number of args")
NEGATIVE_LIMIT = ("error", "ERR LIMIT can't be negative")


class SetTestCase(CollectionTestCase):
    def members(self, key):
        """SMEMBERS as a Python set (each member once)."""
        got = self.call("SMEMBERS", key)
        self.assertIsInstance(got, list)
        self.assertEqual(len(got), len(set(got)), got)
        return set(got)

    def fill_set(self, key, members):
        members = list(members)
        p = self.r.pipeline(transaction=False)
        for i in range(0, len(members), 1000):
            p.sadd(key, *members[i:i + 1000])
        p.execute()


class SetBasicsTest(SetTestCase):
    def test_sadd_srem_scard_sismember(self):
        c = self.call
        self.assertEqual(c("SADD", "s", "a", "b", "a", "c"), 3)  # duplicates count once
        self.assertEqual(c("SADD", "s", "a", "d"), 1)
        self.assertEqual(c("SCARD", "s"), 4)
        self.assertEqual(c("SCARD", "nokey"), 0)
        self.assertEqual(c("SISMEMBER", "s", "a"), 1)
        self.assertEqual(c("SISMEMBER", "s", "z"), 0)
        self.assertEqual(c("SISMEMBER", "nokey", "a"), 0)
        self.assertEqual(c("SMISMEMBER", "s", "a", "z", "b", "a"), [1, 0, 1, 1])
        self.assertEqual(c("SMISMEMBER", "nokey", "a", "b"), [0, 0])
        self.assertEqual(c("SREM", "s", "a", "a", "z"), 1)
        self.assertEqual(c("SREM", "s", "z"), 0)
        self.assertEqual(c("SREM", "nokey", "a"), 0)
        self.assertEqual(self.members("s"), {b"b", b"c", b"d"})
        self.assertEqual(c("SMEMBERS", "nokey"), [])
        self.assertEqual(c("TYPE", "s"), "set")

    def test_integers_and_strings_mix(self):
        c = self.call
        self.assertEqual(c("SADD", "s", "1", "2", "-3", "9223372036854775807",
                           "-9223372036854775808"), 5)
        self.assertEqual(c("SADD", "s", "01", "+1", "-0", "1.0", " 1"), 5)  # all other members
        self.assertEqual(c("SISMEMBER", "s", "1"), 1)
        self.assertEqual(c("SISMEMBER", "s", "01"), 1)
        self.assertEqual(c("SISMEMBER", "s", "0"), 0)
        self.assertEqual(c("SCARD", "s"), 10)
        self.assertEqual(c("SREM", "s", "1"), 1)
        self.assertEqual(c("SISMEMBER", "s", "01"), 1)
        self.assertEqual(c("SADD", "s", "abc"), 1)
        self.assertEqual(self.members("s"), {b"2", b"-3", b"9223372036854775807",
                                             b"-9223372036854775808", b"01", b"+1", b"-0",
                                             b"1.0", b" 1", b"abc"})

    def test_empty_set_vanishes(self):
        c = self.call
        self.assertEqual(c("SADD", "s", "a", "b"), 2)
        self.assertEqual(c("SET", "other", "v"), "OK")
        self.assertEqual(c("EXPIRE", "s", "100"), 1)
        self.assertEqual(c("SREM", "s", "a", "b"), 2)
        self.assertEqual(c("EXISTS", "s"), 0)
        self.assertEqual(c("TYPE", "s"), "none")
        self.assertEqual(c("DBSIZE"), 1)
        self.assertEqual(c("KEYS", "*"), [b"other"])
        self.assertEqual(c("SADD", "s", "x"), 1)
        self.assertEqual(c("TTL", "s"), -1)  # the old TTL went with the set
        self.assertEqual(self.members("s"), {b"x"})
        # SPOP and SMOVE of the last member delete the key too.
        self.assertEqual(c("SPOP", "s"), b"x")
        self.assertEqual(c("EXISTS", "s"), 0)
        self.assertEqual(c("SADD", "s", "x", "y"), 2)
        self.assertEqual(sorted(c("SPOP", "s", "5")), [b"x", b"y"])
        self.assertEqual(c("EXISTS", "s"), 0)
        self.assertEqual(c("SADD", "s", "x"), 1)
        self.assertEqual(c("SMOVE", "s", "t", "x"), 1)
        self.assertEqual(c("EXISTS", "s"), 0)
        self.assertEqual(self.members("t"), {b"x"})
        self.assertEqual(c("DBSIZE"), 2)
        self.assertEqual(c("SET", "s", "a string now"), "OK")

    def test_binary_safe_members(self):
        odd = [b"", b"\x00", b"a\x00b", b"\r\n", b"*1\r\n$1\r\nx\r\n", bytes(range(256)), b"\xff",
               b"x" * 100000]
        self.assertEqual(self.call("SADD", b"s\x00\r\n", *odd), len(odd))
        self.assertEqual(self.members(b"s\x00\r\n"), set(odd))
        for m in odd:
            self.assertEqual(self.call("SISMEMBER", b"s\x00\r\n", m), 1)
        self.assertEqual(self.call("SISMEMBER", b"s\x00\r\n", b"a"), 0)
        self.assertEqual(self.call("SREM", b"s\x00\r\n", b""), 1)
        self.assertEqual(self.call("SISMEMBER", b"s\x00\r\n", b""), 0)
        self.assertEqual(self.call("SCARD", b"s\x00\r\n"), len(odd) - 1)
        self.assertEqual(self.call("SADD", "", ""), 1)
        self.assertEqual(self.call("SMEMBERS", ""), [b""])
        self.assertEqual(self.call("TYPE", ""), "set")

    def test_arity_errors(self):
        for args in (["SADD"], ["SADD", "s"], ["SREM", "s"], ["SMEMBERS"], ["SMEMBERS", "s", "x"],
                     ["SISMEMBER", "s"], ["SISMEMBER", "s", "a", "b"], ["SMISMEMBER", "s"],
                     ["SCARD"], ["SCARD", "s", "x"], ["SPOP"], ["SRANDMEMBER"],
                     ["SMOVE", "s", "d"], ["SMOVE", "s", "d", "m", "x"], ["SINTER"], ["SUNION"],
                     ["SDIFF"], ["SINTERSTORE", "d"], ["SUNIONSTORE", "d"], ["SDIFFSTORE", "d"],
                     ["SINTERCARD"], ["SINTERCARD", "1"], ["SSCAN", "s"], ["SSCAN"]):
            self.assertEqual(self.call(*args), arity(args[0].lower()), args)
        for args in (["SPOP", "s", "1", "2"], ["SPOP", "s", "x", "y"], ["SPOP", "s", "-1", "2"],
                     ["SRANDMEMBER", "s", "1", "2"], ["SRANDMEMBER", "s", "x", "2"]):
            self.assertEqual(self.call(*args), ERR_SYNTAX, args)

    def test_wrongtype_on_a_string_and_a_hash(self):
        self.assertEqual(self.call("SET", "str", "v"), "OK")
        self.assertEqual(self.call("HSET", "h", "f", "v"), 1)
        self.assertEqual(self.call("SADD", "s", "m"), 1)
        for key in ("str", "h"):
            for args in (["SADD", key, "m"], ["SREM", key, "m"], ["SMEMBERS", key],
                         ["SISMEMBER", key, "m"], ["SMISMEMBER", key, "m"], ["SCARD", key],
                         ["SPOP", key], ["SPOP", key, "1"], ["SPOP", key, "0"],
                         ["SRANDMEMBER", key], ["SRANDMEMBER", key, "2"],
                         ["SRANDMEMBER", key, "-2"], ["SRANDMEMBER", key, "0"],
                         ["SMOVE", key, "s", "m"], ["SMOVE", "s", key, "m"],
                         ["SMOVE", "s", key, "not-a-member"], ["SMOVE", key, key, "m"],
                         ["SINTER", key], ["SINTER", "s", key], ["SINTER", "nokey", key],
                         ["SINTER", key, "nokey"], ["SUNION", "s", key], ["SUNION", "nokey", key],
                         ["SDIFF", key, "s"], ["SDIFF", "s", key], ["SDIFF", "nokey", key],
                         ["SINTERSTORE", "d", "s", key], ["SINTERSTORE", "d", "nokey", key],
                         ["SUNIONSTORE", "d", key], ["SDIFFSTORE", "d", "nokey", key],
                         ["SDIFFSTORE", "d", "s", key], ["SINTERCARD", "1", key],
                         ["SINTERCARD", "2", "nokey", key], ["SINTERCARD", "2", key, "nokey"],
                         ["SSCAN", key, "0"], ["SSCAN", key, "0", "COUNT", "0"]):
                self.assertEqual(self.call(*args), WRONGTYPE, args)
        self.assertEqual(self.call("EXISTS", "d"), 0)
        self.assertEqual(self.members("s"), {b"m"})
        self.assertEqual(self.call("GET", "str"), b"v")
        # String commands on a set.
        for args in (["GET", "s"], ["APPEND", "s", "x"], ["INCR", "s"], ["STRLEN", "s"],
                     ["GETRANGE", "s", "0", "1"], ["SETRANGE", "s", "0", "x"], ["GETDEL", "s"],
                     ["GETEX", "s"], ["GETSET", "s", "x"], ["SET", "s", "x", "GET"],
                     ["INCRBYFLOAT", "s", "1"], ["HGET", "s", "f"], ["HSET", "s", "f", "v"]):
            self.assertEqual(self.call(*args), WRONGTYPE, args)
        self.assertEqual(self.call("MGET", "s"), [None])
        self.assertEqual(self.call("SETNX", "s", "x"), 0)
        self.assertEqual(self.members("s"), {b"m"})

    def test_argument_errors_and_type_errors_which_comes_first(self):
        self.assertEqual(self.call("SET", "str", "v"), "OK")
        self.assertEqual(self.call("SADD", "s", "a", "b"), 2)
        cases = [
            # SPOP's count: parsed first, negative or not a number alike.
            (["SPOP", "str", "-1"], NOT_POSITIVE),
            (["SPOP", "str", "x"], NOT_POSITIVE),
            (["SPOP", "nokey", "-1"], NOT_POSITIVE),
            (["SPOP", "s", "1.5"], NOT_POSITIVE),
            (["SPOP", "str", "1", "2"], ERR_SYNTAX),
            # SRANDMEMBER's count: an ordinary integer error.
            (["SRANDMEMBER", "str", "x"], ERR_INT),
            (["SRANDMEMBER", "nokey", "x"], ERR_INT),
            (["SRANDMEMBER", "str", "1", "2"], ERR_SYNTAX),
            (["SRANDMEMBER", "s", "-9223372036854775808"], LONG_RANGE),
            (["SRANDMEMBER", "str", "-9223372036854775808"], LONG_RANGE),
            # SINTERCARD: numkeys, then LIMIT, then the keys' types.
            (["SINTERCARD", "0", "str"], NUMKEYS),
            (["SINTERCARD", "x", "str"], NUMKEYS),
            (["SINTERCARD", "3", "str"], TOO_MANY_KEYS),
            (["SINTERCARD", "1", "str", "LIMIT", "x"], NEGATIVE_LIMIT),
            (["SINTERCARD", "1", "str", "LIMIT", "-1"], NEGATIVE_LIMIT),
            (["SINTERCARD", "1", "str", "BOGUS"], ERR_SYNTAX),
            (["SINTERCARD", "1", "str", "LIMIT"], ERR_SYNTAX),
            # SSCAN: the cursor first; options after the type check, never for a missing key.
            (["SSCAN", "str", "x"], INVALID_CURSOR),
            (["SSCAN", "nokey", "x"], INVALID_CURSOR),
            (["SSCAN", "str", "0", "bogus"], WRONGTYPE),
            (["SSCAN", "nokey", "0", "bogus"], [b"0", []]),
            (["SSCAN", "nokey", "0", "COUNT", "0"], [b"0", []]),
            (["SSCAN", "nokey", "0", "TYPE", "string"], [b"0", []]),
            (["SSCAN", "s", "0", "COUNT", "0"], ERR_SYNTAX),
            (["SSCAN", "s", "0", "COUNT", "-1"], ERR_SYNTAX),
            (["SSCAN", "s", "0", "COUNT", "x"], ERR_INT),
            (["SSCAN", "s", "0", "MATCH"], ERR_SYNTAX),
            (["SSCAN", "s", "0", "TYPE", "set"], ERR_SYNTAX),
            (["SSCAN", "s", "0", "NOVALUES"], ERR_SYNTAX),
            # SMOVE: a missing source answers 0 before the destination's type is looked at.
            (["SMOVE", "nokey", "str", "a"], 0),
            (["SMOVE", "nokey", "nokey", "a"], 0),
            (["SMOVE", "s", "str", "zz"], WRONGTYPE),
        ]
        for args, want in cases:
            self.assertEqual(self.call(*args), want, args)
        self.assertEqual(self.members("s"), {b"a", b"b"})
        self.assertEqual(self.call("GET", "str"), b"v")


class SpopSrandmemberTest(SetTestCase):
    def setUp(self):
        super().setUp()
        self.all = {b"a", b"b", b"c", b"d", b"e"}
        self.assertEqual(self.call("SADD", "s", *self.all), 5)

    def test_spop(self):
        popped = set()
        for left in (4, 3):
            m = self.call("SPOP", "s")
            self.assertIn(m, self.all)
            popped.add(m)
            self.assertEqual(self.call("SCARD", "s"), left)
            self.assertEqual(self.call("SISMEMBER", "s", m), 0)
        got = self.call("SPOP", "s", "2")
        self.assertEqual(len(set(got)), 2)
        popped.update(got)
        self.assertEqual(self.call("SPOP", "s", "0"), [])
        self.assertEqual(self.members("s") | popped, self.all)
        self.assertEqual(self.members("s") & popped, set())
        self.assertEqual(len(self.call("SPOP", "s", "10")), 1)
        self.assertEqual(self.call("EXISTS", "s"), 0)
        self.assertIsNone(self.call("SPOP", "s"))
        self.assertEqual(self.call("SPOP", "s", "3"), [])
        self.assertEqual(self.call("SPOP", "nokey", "0"), [])

    def test_spop_many_from_a_bigger_set(self):
        members = {b"m%d" % i for i in range(300)}
        self.fill_set("big", members)
        got = self.call("SPOP", "big", "100")  # fewer than the size
        self.assertEqual(len(set(got)), 100)
        self.assertTrue(set(got) <= members)
        got2 = self.call("SPOP", "big", "150")  # more than half of what is left
        self.assertEqual(len(set(got2)), 150)
        self.assertEqual(set(got) & set(got2), set())
        self.assertEqual(self.members("big"), members - set(got) - set(got2))
        self.assertEqual(self.call("SCARD", "big"), 50)
        self.assertEqual(self.call("SPOP", "big", "9223372036854775807").__len__(), 50)
        self.assertEqual(self.call("EXISTS", "big"), 0)

    def test_srandmember(self):
        self.assertEqual({self.call("SRANDMEMBER", "s") for _ in range(100)}, self.all)
        for n in (1, 3, 4):
            got = self.call("SRANDMEMBER", "s", str(n))
            self.assertEqual(len(set(got)), n)
            self.assertTrue(set(got) <= self.all)
        for n in ("5", "6", "1000", "9223372036854775807"):
            self.assertEqual(sorted(self.call("SRANDMEMBER", "s", n)), sorted(self.all))
        got = self.call("SRANDMEMBER", "s", "-200")
        self.assertEqual(len(got), 200)
        self.assertEqual(set(got), self.all)  # repeats, and every member turns up
        self.assertEqual(len(self.call("SRANDMEMBER", "s", "-1")), 1)
        self.assertEqual(self.call("SRANDMEMBER", "s", "0"), [])
        self.assertEqual(self.call("SCARD", "s"), 5)  # nothing removed
        self.assertIsNone(self.call("SRANDMEMBER", "nokey"))
        self.assertEqual(self.call("SRANDMEMBER", "nokey", "3"), [])
        self.assertEqual(self.call("SRANDMEMBER", "nokey", "-3"), [])
        self.assertEqual(self.call("SRANDMEMBER", "nokey", "0"), [])
        # Integer members.
        self.assertEqual(self.call("SADD", "ints", "1", "2", "3"), 3)
        self.assertEqual(sorted(self.call("SRANDMEMBER", "ints", "-30"))[0], b"1")
        self.assertEqual(sorted(self.call("SRANDMEMBER", "ints", "3")), [b"1", b"2", b"3"])

    def test_resp3_shapes(self):
        c = Conn(self.server.port, proto=3)
        try:
            t, items = typed(c.call_raw("SPOP", "s", "2"))  # SPOP with a count: a set
            self.assertEqual((t, len(items)), ("~", 2))
            self.assertEqual(c.call_raw("SPOP", "s", "0"), b"~0\r\n")
            self.assertEqual(c.call_raw("SPOP", "nokey", "2"), b"~0\r\n")
            self.assertEqual(typed(c.call_raw("SPOP", "s"))[0], "$")
            self.assertEqual(c.call_raw("SPOP", "nokey"), b"_\r\n")
            t, items = typed(c.call_raw("SRANDMEMBER", "s", "2"))  # SRANDMEMBER: an array
            self.assertEqual((t, len(items)), ("*", 2))
            t, items = typed(c.call_raw("SRANDMEMBER", "s", "-5"))
            self.assertEqual((t, len(items)), ("*", 5))
            self.assertEqual(c.call_raw("SRANDMEMBER", "s", "0"), b"*0\r\n")
            self.assertEqual(c.call_raw("SRANDMEMBER", "nokey", "2"), b"*0\r\n")
            self.assertEqual(c.call_raw("SRANDMEMBER", "nokey"), b"_\r\n")
            t, items = typed(c.call_raw("SPOP", "s", "100"))  # the rest: still a set
            self.assertEqual((t, len(items)), ("~", 2))
        finally:
            c.close()
        self.assertEqual(self.c.call_raw("SPOP", "s", "0"), b"*0\r\n")
        self.assertEqual(self.c.call_raw("SPOP", "nokey"), b"$-1\r\n")
        self.assertEqual(self.c.call_raw("SRANDMEMBER", "nokey"), b"$-1\r\n")


class SmoveTest(SetTestCase):
    def test_smove(self):
        c = self.call
        self.assertEqual(c("SADD", "src", "a", "b"), 2)
        self.assertEqual(c("SADD", "dst", "b", "c"), 2)
        self.assertEqual(c("SMOVE", "src", "dst", "a"), 1)
        self.assertEqual(self.members("src"), {b"b"})
        self.assertEqual(self.members("dst"), {b"a", b"b", b"c"})
        self.assertEqual(c("SMOVE", "src", "dst", "b"), 1)  # already in dst: just removed
        self.assertEqual(c("EXISTS", "src"), 0)
        self.assertEqual(self.members("dst"), {b"a", b"b", b"c"})
        self.assertEqual(c("SMOVE", "src", "dst", "b"), 0)
        self.assertEqual(c("SMOVE", "dst", "dst", "a"), 1)  # same key, a member: 1, no change
        self.assertEqual(c("SMOVE", "dst", "dst", "z"), 0)
        self.assertEqual(self.members("dst"), {b"a", b"b", b"c"})
        self.assertEqual(c("SMOVE", "dst", "new", "z"), 0)
        self.assertEqual(c("EXISTS", "new"), 0)
        self.assertEqual(c("SMOVE", "dst", "new", "c"), 1)
        self.assertEqual(c("TYPE", "new"), "set")
        self.assertEqual(c("EXPIRE", "dst", "100"), 1)
        self.assertEqual(c("EXPIRE", "new", "200"), 1)
        self.assertEqual(c("SMOVE", "dst", "new", "a"), 1)
        self.assertEqual((c("TTL", "dst"), c("TTL", "new")), (100, 200))  # both TTLs stay
        self.assertEqual(c("SMOVE", "dst", "fresh", "b"), 1)  # the last member
        self.assertEqual(c("EXISTS", "dst"), 0)
        self.assertEqual(c("TTL", "fresh"), -1)
        self.assertEqual(c("DBSIZE"), 2)


class SetAlgebraTest(SetTestCase):
    def setUp(self):
        super().setUp()
        self.assertEqual(self.call("SADD", "a", "1", "2", "3", "4", "x"), 5)
        self.assertEqual(self.call("SADD", "b", "3", "4", "5", "x"), 4)
        self.assertEqual(self.call("SADD", "c", "4", "x", "y"), 3)

    def sorted_reply(self, *args):
        got = self.call(*args)
        self.assertIsInstance(got, list, args)
        return sorted(got)

    def test_sinter_sunion_sdiff(self):
        s = self.sorted_reply
        self.assertEqual(s("SINTER", "a", "b"), [b"3", b"4", b"x"])
        self.assertEqual(s("SINTER", "a", "b", "c"), [b"4", b"x"])
        self.assertEqual(s("SINTER", "a"), [b"1", b"2", b"3", b"4", b"x"])
        self.assertEqual(s("SINTER", "a", "a"), [b"1", b"2", b"3", b"4", b"x"])
        self.assertEqual(s("SINTER", "a", "nokey"), [])
        self.assertEqual(s("SINTER", "nokey"), [])
        self.assertEqual(s("SUNION", "a", "b", "c"),
                         [b"1", b"2", b"3", b"4", b"5", b"x", b"y"])
        self.assertEqual(s("SUNION", "nokey", "c"), [b"4", b"x", b"y"])
        self.assertEqual(s("SUNION", "nokey"), [])
        self.assertEqual(s("SDIFF", "a", "b"), [b"1", b"2"])
        self.assertEqual(s("SDIFF", "a", "b", "c"), [b"1", b"2"])
        self.assertEqual(s("SDIFF", "b", "a"), [b"5"])
        self.assertEqual(s("SDIFF", "a", "nokey"), [b"1", b"2", b"3", b"4", b"x"])
        self.assertEqual(s("SDIFF", "nokey", "a"), [])
        self.assertEqual(s("SDIFF", "a", "a"), [])
        self.assertEqual(s("SDIFF", "c"), [b"4", b"x", b"y"])

    def test_sintercard(self):
        c = self.call
        self.assertEqual(c("SINTERCARD", "2", "a", "b"), 3)
        self.assertEqual(c("SINTERCARD", "3", "a", "b", "c"), 2)
        self.assertEqual(c("SINTERCARD", "1", "a"), 5)
        self.assertEqual(c("SINTERCARD", "2", "a", "nokey"), 0)
        self.assertEqual(c("SINTERCARD", "1", "nokey"), 0)
        self.assertEqual(c("SINTERCARD", "2", "a", "b", "LIMIT", "1"), 1)
        self.assertEqual(c("SINTERCARD", "2", "a", "b", "LIMIT", "2"), 2)
        self.assertEqual(c("SINTERCARD", "2", "a", "b", "LIMIT", "3"), 3)
        self.assertEqual(c("SINTERCARD", "2", "a", "b", "limit", "100"), 3)
        self.assertEqual(c("SINTERCARD", "2", "a", "b", "LIMIT", "0"), 3)  # 0: no limit
        self.assertEqual(c("SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "0"), 3)  # last
        self.assertEqual(c("SINTERCARD", "1", "a", "LIMIT", "9223372036854775807"), 5)
        for args, want in ((["0", "a"], NUMKEYS), (["-1", "a"], NUMKEYS), (["x", "a"], NUMKEYS),
                           (["1.5", "a"], NUMKEYS), (["", "a"], NUMKEYS),
                           (["3", "a", "b"], TOO_MANY_KEYS), (["2147483648", "a"], TOO_MANY_KEYS),
                           (["9223372036854775807", "a"], TOO_MANY_KEYS),
                           (["1", "a", "b"], ERR_SYNTAX),
                           (["2", "a", "b", "LIMIT"], ERR_SYNTAX),
                           (["2", "a", "b", "BOGUS", "1"], ERR_SYNTAX),
                           (["2", "a", "b", "LIMIT", "-1"], NEGATIVE_LIMIT),
                           (["2", "a", "b", "LIMIT", "x"], NEGATIVE_LIMIT),
                           (["1", "a", "LIMIT", "9223372036854775808"], NEGATIVE_LIMIT)):
            self.assertEqual(c("SINTERCARD", *args), want, args)

    def test_store_commands(self):
        c = self.call
        self.assertEqual(c("SINTERSTORE", "d", "a", "b"), 3)
        self.assertEqual(self.members("d"), {b"3", b"4", b"x"})
        self.assertEqual(c("SUNIONSTORE", "d", "b", "c"), 5)  # replaces d, not merged
        self.assertEqual(self.members("d"), {b"3", b"4", b"5", b"x", b"y"})
        self.assertEqual(c("SDIFFSTORE", "d", "a", "b"), 2)
        self.assertEqual(self.members("d"), {b"1", b"2"})
        self.assertEqual(c("TYPE", "d"), "set")
        # The destination may be one of the sources.
        self.assertEqual(c("SDIFFSTORE", "a", "a", "c"), 3)
        self.assertEqual(self.members("a"), {b"1", b"2", b"3"})
        self.assertEqual(c("SUNIONSTORE", "a", "a", "c"), 6)
        self.assertEqual(self.members("a"), {b"1", b"2", b"3", b"4", b"x", b"y"})
        self.assertEqual(c("SINTERSTORE", "c", "c", "b"), 2)
        self.assertEqual(self.members("c"), {b"4", b"x"})
        self.assertEqual(c("SUNIONSTORE", "c", "c"), 2)
        self.assertEqual(self.members("c"), {b"4", b"x"})

    def test_store_of_an_empty_result_deletes_the_destination(self):
        c = self.call
        for args in (["SINTERSTORE", "d", "a", "nokey"], ["SUNIONSTORE", "d", "nokey"],
                     ["SDIFFSTORE", "d", "a", "a"], ["SDIFFSTORE", "d", "nokey", "a"],
                     ["SINTERSTORE", "d", "a", "b", "c", "nokey"]):
            self.assertEqual(c("SADD", "d", "old"), 1)
            self.assertEqual(c(*args), 0, args)
            self.assertEqual(c("EXISTS", "d"), 0, args)
        self.assertEqual(c("SET", "d", "string"), "OK")
        self.assertEqual(c("SINTERSTORE", "d", "nokey"), 0)
        self.assertEqual(c("EXISTS", "d"), 0)
        self.assertEqual(c("SDIFFSTORE", "a", "a", "a"), 0)  # a source as the destination
        self.assertEqual(c("EXISTS", "a"), 0)
        self.assertEqual(c("SINTERSTORE", "nothing", "nokey"), 0)
        self.assertEqual(c("EXISTS", "nothing"), 0)
        self.assertEqual(c("DBSIZE"), 2)

    def test_store_overwrites_a_destination_of_another_type_and_drops_its_ttl(self):
        c = self.call
        self.assertEqual(c("SET", "str", "v", "EX", "100"), "OK")
        self.assertEqual(c("SUNIONSTORE", "str", "a", "b"), 6)
        self.assertEqual(c("TYPE", "str"), "set")
        self.assertEqual(c("TTL", "str"), -1)
        self.assertEqual(c("HSET", "h", "f", "v"), 1)
        self.assertEqual(c("SDIFFSTORE", "h", "a", "b"), 2)
        self.assertEqual(self.members("h"), {b"1", b"2"})
        self.assertEqual(c("HSET", "h2", "f", "v"), 1)
        self.assertEqual(c("SINTERSTORE", "h2", "a", "c"), 2)
        self.assertEqual(self.members("h2"), {b"4", b"x"})
        # Even when a destination set is one of the sources, the result has no TTL.
        self.assertEqual(c("EXPIRE", "b", "100"), 1)
        self.assertEqual(c("SUNIONSTORE", "b", "b"), 4)
        self.assertEqual(c("TTL", "b"), -1)
        # But a wrong-type source fails the command, and the destination stays.
        self.assertEqual(c("SET", "s", "v"), "OK")
        for cmd in ("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"):
            self.assertEqual(c(cmd, "d", "a", "s"), WRONGTYPE)
            self.assertEqual(c(cmd, "b", "s"), WRONGTYPE)
        self.assertEqual(c("EXISTS", "d"), 0)
        self.assertEqual(self.members("b"), {b"3", b"4", b"5", b"x"})

    def test_resp3_shapes(self):
        c = Conn(self.server.port, proto=3)
        try:
            for args, want in ((["SMEMBERS", "c"], [b"4", b"x", b"y"]),
                               (["SINTER", "a", "b"], [b"3", b"4", b"x"]),
                               (["SUNION", "c", "nokey"], [b"4", b"x", b"y"]),
                               (["SDIFF", "b", "a"], [b"5"]),
                               (["SMEMBERS", "nokey"], []), (["SINTER", "a", "nokey"], []),
                               (["SDIFF", "nokey", "a"], []), (["SUNION", "nokey"], [])):
                t, items = typed(c.call_raw(*args))
                self.assertEqual((t, sorted(items)), ("~", bulks(*want)), args)
            self.assertEqual(c.call_raw("SMISMEMBER", "a", "1", "9"), b"*2\r\n:1\r\n:0\r\n")
            self.assertEqual(c.call_raw("SISMEMBER", "a", "1"), b":1\r\n")
            self.assertEqual(c.call_raw("SINTERCARD", "2", "a", "b"), b":3\r\n")
            self.assertEqual(c.call_raw("SINTERSTORE", "d", "a", "b"), b":3\r\n")
            self.assertEqual(c.call_raw("SSCAN", "c", "0", "MATCH", "y"),
                             b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\ny\r\n")
        finally:
            c.close()
        t, items = typed(self.c.call_raw("SMEMBERS", "c"))  # RESP2: an array
        self.assertEqual((t, sorted(items)), ("*", bulks(b"4", b"x", b"y")))


class SscanTest(SetTestCase):
    def test_small_and_big_sets(self):
        self.assertEqual(self.call("SADD", "s", "a", "b", "c"), 3)
        members, _ = scan_all(self.c, "SSCAN", "s")
        self.assertEqual(sorted(members), [b"a", b"b", b"c"])
        members, _ = scan_all(self.c, "SSCAN", "s", "MATCH", "[ab]", "COUNT", "1")
        self.assertEqual(sorted(members), [b"a", b"b"])
        self.assertEqual(self.call("SSCAN", "nokey", "0"), [b"0", []])
        n = 1000
        self.fill_set("big", [b"m%d" % i for i in range(n)])
        members, calls = scan_all(self.c, "SSCAN", "big")
        self.assertEqual(set(members), {b"m%d" % i for i in range(n)})
        self.assertGreater(calls, 1)
        if not AGAINST_REDIS:
            self.assertEqual(len(members), n)
        members, _ = scan_all(self.c, "SSCAN", "big", "MATCH", "m99*", "COUNT", "100")
        self.assertEqual(set(members), {b"m99"} | {b"m99%d" % i for i in range(10)})
        # Integer members (an intset in Redis).
        self.fill_set("ints", [str(i) for i in range(300)])
        members, _ = scan_all(self.c, "SSCAN", "ints", "MATCH", "2?")
        self.assertEqual(sorted(members), [b"2%d" % i for i in range(10)])

    def test_errors(self):
        self.assertEqual(self.call("SADD", "s", "a"), 1)
        self.assertEqual(self.call("SSCAN", "s", "x"), INVALID_CURSOR)
        self.assertEqual(self.call("SSCAN", "s", "18446744073709551616"), INVALID_CURSOR)
        self.assertEqual(self.call("SSCAN", "s", "0", "COUNT", "0"), ERR_SYNTAX)
        self.assertEqual(self.call("SSCAN", "s", "0", "COUNT", "x"), ERR_INT)
        self.assertEqual(self.call("SSCAN", "s", "0", "MATCH"), ERR_SYNTAX)
        self.assertEqual(self.call("SSCAN", "s", "0", "bogus", "1"), ERR_SYNTAX)

    @stashd_only
    def test_unknown_cursor_is_an_error(self):
        self.fill_set("s", [b"m%d" % i for i in range(100)])
        for cursor in ("", "-1", "18446744073709551615", "12345"):
            self.assertEqual(self.call("SSCAN", "s", cursor), INVALID_CURSOR, cursor)


class SetKeyspaceTest(SetTestCase):
    def test_type_del_exists_rename_copy_move(self):
        c = self.call
        self.assertEqual(c("SADD", "s", "a", "b"), 2)
        self.assertEqual(c("EXPIRE", "s", "100"), 1)
        self.assertEqual(c("TYPE", "s"), "set")
        self.assertEqual(c("EXISTS", "s", "s"), 2)
        self.assertEqual(c("COPY", "s", "s2"), 1)
        self.assertEqual(c("TTL", "s2"), 100)
        self.assertEqual(c("SADD", "s2", "c"), 1)
        self.assertEqual(self.members("s"), {b"a", b"b"})  # the copy is independent
        self.assertEqual(c("SET", "str", "v"), "OK")
        self.assertEqual(c("RENAMENX", "s", "str"), 0)
        self.assertEqual(c("RENAME", "s", "str"), "OK")  # a set over a string
        self.assertEqual(c("TYPE", "str"), "set")
        self.assertEqual(c("TTL", "str"), 100)
        self.assertEqual(c("HSET", "h", "f", "v"), 1)
        self.assertEqual(c("RENAME", "h", "s2"), "OK")  # a hash over a set
        self.assertEqual(c("TYPE", "s2"), "hash")
        self.assertEqual(c("TTL", "s2"), -1)
        self.assertEqual(c("COPY", "str", "s2", "REPLACE"), 1)  # a set over a hash
        self.assertEqual(self.members("s2"), {b"a", b"b"})
        self.assertEqual(c("COPY", "s2", "s2", "DB", "3"), 1)
        self.assertEqual(c("MOVE", "str", "1"), 1)
        self.assertEqual(c("EXISTS", "str"), 0)
        self.assertEqual(c("UNLINK", "s2"), 1)
        self.assertEqual(c("DBSIZE"), 0)
        self.assertEqual(c("SELECT", "1"), "OK")
        self.assertEqual(self.members("str"), {b"a", b"b"})
        self.assertEqual(c("TTL", "str"), 100)
        self.assertEqual(c("SELECT", "3"), "OK")
        self.assertEqual(self.members("s2"), {b"a", b"b"})
        self.assertEqual(c("DEL", "s2"), 1)
        self.assertEqual(c("SADD", "s2", "z"), 1)
        self.assertEqual(self.members("s2"), {b"z"})  # nothing of the deleted set

    def test_set_over_a_set_expire_persist(self):
        c = self.call
        self.assertEqual(c("SADD", "s", "a"), 1)
        self.assertEqual(c("EXPIRE", "s", "100"), 1)
        self.assertEqual(c("SADD", "s", "b"), 1)
        self.assertEqual(c("SREM", "s", "a"), 1)
        self.assertEqual(c("SPOP", "s", "0"), [])
        self.assertEqual(c("TTL", "s"), 100)  # member writes keep the TTL
        self.assertEqual(c("PERSIST", "s"), 1)
        self.assertEqual(c("TTL", "s"), -1)
        self.assertEqual(c("PEXPIRE", "s", "100"), 1)
        time.sleep(0.3)
        self.assertEqual(c("SCARD", "s"), 0)
        self.assertEqual(c("SADD", "s", "new"), 1)
        self.assertEqual(self.members("s"), {b"new"})
        self.assertEqual(c("SET", "s", "v"), "OK")  # SET replaces a set
        self.assertEqual(c("GET", "s"), b"v")
        self.assertEqual(c("DEL", "s"), 1)
        self.assertEqual(c("SADD", "s", "x"), 1)
        self.assertEqual(self.members("s"), {b"x"})

    def test_scan_keys_randomkey_swapdb_flushdb(self):
        c = self.call
        self.assertEqual(c("SADD", "s1", "a"), 1)
        self.assertEqual(c("SADD", "s2", "1"), 1)
        self.assertEqual(c("HSET", "h", "f", "v"), 1)
        self.assertEqual(c("SET", "str", "v"), "OK")
        for t, want in (("set", [b"s1", b"s2"]), ("SET", [b"s1", b"s2"]), ("hash", [b"h"])):
            self.assertEqual(sorted(set(scan_keys(c, "TYPE", t))), want)
        self.assertEqual(sorted(c("KEYS", "s*")), [b"s1", b"s2", b"str"])
        self.assertEqual({c("RANDOMKEY") for _ in range(80)}, {b"s1", b"s2", b"h", b"str"})
        self.assertEqual(c("SWAPDB", "0", "5"), "OK")
        self.assertEqual(c("DBSIZE"), 0)
        self.assertEqual(c("SELECT", "5"), "OK")
        self.assertEqual(self.members("s1"), {b"a"})
        self.assertEqual(c("FLUSHDB"), "OK")
        self.assertEqual(c("SCARD", "s1"), 0)
        self.assertEqual(c("SADD", "s1", "b"), 1)
        self.assertEqual(self.members("s1"), {b"b"})

    def test_watch(self):
        exec_after = self.watch_probe("s", ("SCARD", "s"))
        created = [("SADD", "s", "a", "b")]
        for action in (("SADD", "s", "c"), ("SREM", "s", "a"), ("SPOP", "s"),
                       ("SPOP", "s", "1"), ("SMOVE", "s", "t", "a"), ("SMOVE", "t", "s", "x"),
                       ("SINTERSTORE", "s", "nokey"), ("SUNIONSTORE", "s", "s"),
                       ("SDIFFSTORE", "s", "s", "nokey"), ("DEL", "s"), ("EXPIRE", "s", "100"),
                       ("RENAME", "s", "t")):
            setup = created + ([("SADD", "t", "x")] if action[1] == "t" else [])
            self.assertIsNone(exec_after(setup, [action]), action)
        self.assertIsNone(exec_after([], [("SADD", "s", "a")]))
        self.assertIsNone(exec_after([("SADD", "x", "1")], [("SUNIONSTORE", "s", "x")]))
        for action in (("SADD", "s", "a"), ("SREM", "s", "z"), ("SMOVE", "s", "t", "z"),
                       ("SPOP", "s", "0"), ("SMEMBERS", "s"), ("SRANDMEMBER", "s", "-5"),
                       ("SINTER", "s", "s"), ("SINTERSTORE", "t", "s"), ("SSCAN", "s", "0"),
                       ("SADD", "t", "a")):
            self.assertEqual(exec_after(created, [action]), [2], action)
        # A *STORE of an empty result onto a missing key writes nothing.
        self.assertEqual(exec_after([], [("SINTERSTORE", "s", "nokey")]), [0])


class SetEncodingTest(SetTestCase):
    def test_object_encoding(self):
        self.fill_set("ints", [str(i) for i in range(512)])
        self.assertEqual(self.call("OBJECT", "ENCODING", "ints"), b"intset")
        self.fill_set("ints600", [str(i) for i in range(600)])
        self.assertEqual(self.call("OBJECT", "ENCODING", "ints600"), b"hashtable")
        self.assertEqual(self.call("SADD", "neg", "-5", "9223372036854775807",
                                   "-9223372036854775808"), 3)
        self.assertEqual(self.call("OBJECT", "ENCODING", "neg"), b"intset")
        # Redis 7.0 has no listpack sets: small sets of strings are hashtables.
        self.assertEqual(self.call("SADD", "strs", "a", "b"), 2)
        self.assertEqual(self.call("OBJECT", "ENCODING", "strs"), b"hashtable")
        self.fill_set("strs600", [b"m%d" % i for i in range(600)])
        self.assertEqual(self.call("OBJECT", "ENCODING", "strs600"), b"hashtable")
        # Numbers an intset does not take as integers.
        for member in ("007", "-0", "+1", "1.0", " 1", "9223372036854775808", ""):
            self.assertEqual(self.call("SADD", "odd", member), 1)
            self.assertEqual(self.call("OBJECT", "ENCODING", "odd"), b"hashtable", member)
            self.assertEqual(self.call("DEL", "odd"), 1)
        self.assertEqual(self.call("SADD", "mixed", "1", "2"), 2)
        self.assertEqual(self.call("OBJECT", "ENCODING", "mixed"), b"intset")
        self.assertEqual(self.call("SADD", "mixed", "x"), 1)
        self.assertEqual(self.call("OBJECT", "ENCODING", "mixed"), b"hashtable")
        # *STORE results too.
        self.assertEqual(self.call("SINTERSTORE", "st", "ints", "ints600"), 512)
        self.assertEqual(self.call("OBJECT", "ENCODING", "st"), b"intset")
        old = self.r.config_get("set-max-intset-entries")["set-max-intset-entries"]
        try:
            self.assertEqual(self.call("CONFIG", "SET", "set-max-intset-entries", "3"), "OK")
            self.assertEqual(self.call("SADD", "four", "1", "2", "3", "4"), 4)
            self.assertEqual(self.call("OBJECT", "ENCODING", "four"), b"hashtable")
            self.assertEqual(self.call("SADD", "three", "1", "2", "3"), 3)
            self.assertEqual(self.call("OBJECT", "ENCODING", "three"), b"intset")
        finally:
            self.assertEqual(self.call("CONFIG", "SET", "set-max-intset-entries", old), "OK")


class ClientsTest(SetTestCase):
    def test_python_client(self):
        r = self.r
        self.assertEqual(r.sadd("s", "a", "b", "c"), 3)
        self.assertEqual(r.smembers("s"), {b"a", b"b", b"c"})
        self.assertTrue(r.sismember("s", "a"))
        self.assertEqual(r.smismember("s", ["a", "z"]), [1, 0])
        self.assertEqual(r.scard("s"), 3)
        self.assertEqual(r.srem("s", "c"), 1)
        self.assertEqual(r.sadd("t", "b", "x"), 2)
        self.assertEqual(r.sinter("s", "t"), {b"b"})
        self.assertEqual(r.sunion("s", "t"), {b"a", b"b", b"x"})
        self.assertEqual(r.sdiff("s", "t"), {b"a"})
        self.assertEqual(r.sintercard(2, ["s", "t"]), 1)
        self.assertEqual(r.sunionstore("u", ["s", "t"]), 3)
        self.assertTrue(r.smove("u", "v", "x"))
        self.assertEqual(set(r.sscan_iter("u")), {b"a", b"b"})
        self.assertIn(r.srandmember("u"), (b"a", b"b"))
        self.assertIn(r.spop("v"), (b"x",))
        self.assertEqual(r.exists("v"), 0)

    def test_redis_cli(self):
        self.assertEqual(self.server.cli("SADD", "s", "a", "b")[0], "2\n")
        out, _ = self.server.cli("SMEMBERS", "s")
        self.assertEqual(sorted(out.split()), ["a", "b"])
        self.assertEqual(self.server.cli("TYPE", "s")[0], "set\n")
        out, _ = self.server.cli("--no-raw", "-3", "SMEMBERS", "s")
        self.assertIn('"a"', out)
        self.assertIn('"b"', out)
        self.assertEqual(self.server.cli("SCARD", "s")[0], "2\n")


class BigSetTest(SetTestCase):
    """BIG_COLLECTION members (default 1,000,000) in one set: built through a pipeline, counted,
    scanned once in full and deleted in well under a millisecond on the server."""

    @stashd_only
    def test_million_member_set(self):
        n = BIG_COLLECTION
        built = self.fill_big(n, lambda p, js: p.sadd("big", *[b"member:%d" % j for j in js]))
        self.assertEqual(self.call("SCARD", "big"), n)
        self.assertEqual(self.call("SISMEMBER", "big", "member:%d" % (n - 1)), 1)
        self.assertEqual(self.call("SISMEMBER", "big", "member:%d" % n), 0)
        seen, total = set(), 0

        def check(batch):
            nonlocal total
            seen.update(batch)
            total += len(batch)

        scanned, calls = self.scan_big("SSCAN", "big", check)
        self.assertEqual(len(seen), n)
        self.assertEqual(total, n)  # each member exactly once
        self.assertTrue(all(m.startswith(b"member:") for m in seen))
        self.delete_big("big", "SCARD", "\n%d-member set: built in %.1f s, SSCAN %.1f s (%d calls)"
                        % (n, built, scanned, calls))
        self.assertEqual(self.call("SADD", "big", "x"), 1)
        self.assertEqual(self.members("big"), {b"x"})


if __name__ == "__main__":
    unittest.main()
