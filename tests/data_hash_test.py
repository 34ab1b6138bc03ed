"""Hashes (Redis 7.0 t_hash.c): HSET HSETNX HMSET HGET HMGET HDEL HEXISTS HLEN HSTRLEN HINCRBY
HINCRBYFLOAT HKEYS HVALS HGETALL HRANDFIELD HSCAN; exact replies and error texts, which error
wins when a command has both a bad argument and a key of the wrong type, RESP2 and RESP3 reply
shapes, binary safety, empty hashes vanishing, and the keyspace commands on hashes (TYPE, DEL,
RENAME, COPY, MOVE, EXPIRE, SCAN TYPE, SWAPDB, WATCH, OBJECT ENCODING, CONFIG).
Unordered replies (HKEYS, HVALS, HGETALL, HRANDFIELD) are compared as sets, never by order.
Every expectation is checked against Redis 7.0 with DATA_TARGET=redis."""
import time
import unittest

from collection_util import BIG_COLLECTION, CollectionTestCase, scan_all, scan_keys
from data_strings_test import ERR_FLOAT, ERR_INT, ERR_SYNTAX, arity
from differential import AGAINST_REDIS, Conn, stashd_only, typed

WRONGTYPE = ("error", "WRONGTYPE Operation against a key holding the wrong kind of value")
ERR_HASH_INT = ("error", "ERR hash value is not an integer")
ERR_HASH_FLOAT = ("error", "ERR hash value is not a float")
OVERFLOW = ("error", "ERR increment or decrement would overflow")
INVALID_CURSOR = ("error", "ERR invalid cursor")
LONG_RANGE = ("error", "ERR value is out of range, value must between -9223372036854775807 and "
              "9223372036854775807")
OUT_OF_RANGE = ("error", "ERR value is out of range")


def as_dict(flat):
    """A RESP2 flat [field, value, ...] reply as a dict (each field once)."""
    assert isinstance(flat, list) and len(flat) % 2 == 0, flat
    d = dict(zip(flat[::2], flat[1::2]))
    assert len(d) * 2 == len(flat), "a field appears twice: %r" % (flat,)
    return d


def bulks(*values):
    """Typed (differential.typed) bulk strings, for RESP3 comparisons."""
    return [("$", v) for v in values]


class HashTestCase(CollectionTestCase):
    def hset(self, key, mapping):
        args = []
        for f, v in mapping.items():
            args += [f, v]
        return self.call("HSET", key, *args)

    def fill_hash(self, key, n, prefix="f"):
        p = self.r.pipeline(transaction=False)
        for i in range(0, n, 1000):
            p.hset(key, mapping={"%s%d" % (prefix, j): "v%d" % j
                                 for j in range(i, min(n, i + 1000))})
        p.execute()


class HashBasicsTest(HashTestCase):
    def test_hset_hget_hmget_hlen(self):
        c = self.call
        self.assertEqual(c("HSET", "h", "a", "1"), 1)
        self.assertEqual(c("HSET", "h", "b", "2", "c", "3"), 2)
        self.assertEqual(c("HSET", "h", "a", "x", "d", "4"), 1)  # only new fields count
        self.assertEqual(c("HSET", "h", "a", "y", "a", "z"), 0)  # the last value of a field wins
        self.assertEqual(c("HGET", "h", "a"), b"z")
        self.assertIsNone(c("HGET", "h", "nope"))
        self.assertIsNone(c("HGET", "nokey", "a"))
        self.assertEqual(c("HMGET", "h", "a", "nope", "b", "a"), [b"z", None, b"2", b"z"])
        self.assertEqual(c("HMGET", "nokey", "a", "b"), [None, None])
        self.assertEqual(c("HLEN", "h"), 4)
        self.assertEqual(c("HLEN", "nokey"), 0)
        self.assertEqual(c("HMSET", "h", "e", "5", "a", "1"), "OK")
        self.assertEqual(c("HMSET", "new", "f", "v"), "OK")
        self.assertEqual(c("HLEN", "h"), 5)
        self.assertEqual(as_dict(c("HGETALL", "h")),
                         {b"a": b"1", b"b": b"2", b"c": b"3", b"d": b"4", b"e": b"5"})
        self.assertEqual(c("TYPE", "h"), "hash")
        self.assertEqual(c("DBSIZE"), 2)

    def test_hsetnx(self):
        self.assertEqual(self.call("HSETNX", "h", "f", "1"), 1)
        self.assertEqual(self.call("HSETNX", "h", "f", "2"), 0)
        self.assertEqual(self.call("HSETNX", "h", "g", "3"), 1)
        self.assertEqual(self.call("HMGET", "h", "f", "g"), [b"1", b"3"])
        self.assertEqual(self.call("HLEN", "h"), 2)

    def test_hdel_and_the_empty_hash_vanishes(self):
        c = self.call
        self.assertEqual(c("HSET", "h", "a", "1", "b", "2", "c", "3"), 3)
        self.assertEqual(c("SET", "other", "v"), "OK")
        self.assertEqual(c("HDEL", "h", "a", "a", "nope"), 1)  # each field counted once
        self.assertEqual(c("HDEL", "h", "nope"), 0)
        self.assertEqual(c("HDEL", "nokey", "a"), 0)
        self.assertEqual(c("DBSIZE"), 2)
        self.assertEqual(c("HDEL", "h", "b", "c"), 2)
        self.assertEqual(c("EXISTS", "h"), 0)
        self.assertEqual(c("TYPE", "h"), "none")
        self.assertEqual(c("HLEN", "h"), 0)
        self.assertEqual(c("HGETALL", "h"), [])
        self.assertEqual(c("DBSIZE"), 1)
        self.assertEqual(c("KEYS", "*"), [b"other"])
        self.assertEqual(c("TTL", "h"), -2)
        # The key is gone, not an empty hash: another type can take the name.
        self.assertEqual(c("SET", "h", "string now"), "OK")
        self.assertEqual(c("GET", "h"), b"string now")
        # An emptied hash with a TTL does not leave the TTL behind.
        self.assertEqual(c("DEL", "h"), 1)
        self.assertEqual(c("HSET", "h", "a", "1"), 1)
        self.assertEqual(c("EXPIRE", "h", "100"), 1)
        self.assertEqual(c("HDEL", "h", "a"), 1)
        self.assertEqual(c("HSET", "h", "a", "1"), 1)
        self.assertEqual(c("TTL", "h"), -1)

    def test_hexists_hstrlen(self):
        c = self.call
        self.assertEqual(c("HSET", "h", "f", "hello", "e", "", "n", "12345"), 3)
        self.assertEqual(c("HEXISTS", "h", "f"), 1)
        self.assertEqual(c("HEXISTS", "h", "e"), 1)
        self.assertEqual(c("HEXISTS", "h", "nope"), 0)
        self.assertEqual(c("HEXISTS", "nokey", "f"), 0)
        self.assertEqual(c("HSTRLEN", "h", "f"), 5)
        self.assertEqual(c("HSTRLEN", "h", "e"), 0)
        self.assertEqual(c("HSTRLEN", "h", "n"), 5)
        self.assertEqual(c("HSTRLEN", "h", "nope"), 0)
        self.assertEqual(c("HSTRLEN", "nokey", "f"), 0)

    def test_hkeys_hvals_hgetall(self):
        c = self.call
        self.assertEqual(c("HKEYS", "nokey"), [])
        self.assertEqual(c("HVALS", "nokey"), [])
        self.assertEqual(c("HGETALL", "nokey"), [])
        self.assertEqual(c("HSET", "h", "a", "1", "b", "2", "c", "2"), 3)
        self.assertEqual(sorted(c("HKEYS", "h")), [b"a", b"b", b"c"])
        self.assertEqual(sorted(c("HVALS", "h")), [b"1", b"2", b"2"])
        flat = c("HGETALL", "h")
        self.assertEqual(as_dict(flat), {b"a": b"1", b"b": b"2", b"c": b"2"})
        # The three commands walk the hash in one order.
        keys = c("HKEYS", "h")
        self.assertEqual(flat[::2], keys)
        self.assertEqual(flat[1::2], c("HVALS", "h"))

    def test_binary_safe_fields_and_values(self):
        c = self.call
        odd = [b"", b"\x00", b"a\x00b", b"\r\n", b"*1\r\n$1\r\nx\r\n", bytes(range(256)), b"\xff"]
        for i, f in enumerate(odd):
            self.assertEqual(c("HSET", b"h\x00\r\n", f, odd[-1 - i]), 1, f)
        self.assertEqual(c("HLEN", b"h\x00\r\n"), len(odd))
        for i, f in enumerate(odd):
            self.assertEqual(c("HGET", b"h\x00\r\n", f), odd[-1 - i], f)
            self.assertEqual(c("HEXISTS", b"h\x00\r\n", f), 1)
            self.assertEqual(c("HSTRLEN", b"h\x00\r\n", f), len(odd[-1 - i]))
        self.assertEqual(as_dict(c("HGETALL", b"h\x00\r\n")),
                         {f: odd[-1 - i] for i, f in enumerate(odd)})
        self.assertEqual(c("HEXISTS", b"h\x00\r\n", b"a"), 0)  # not a prefix match of a\x00b
        self.assertEqual(c("HDEL", b"h\x00\r\n", b""), 1)
        self.assertEqual(c("HEXISTS", b"h\x00\r\n", b""), 0)
        self.assertEqual(c("HGET", b"h\x00\r\n", b"\x00"), odd[-2])
        # An empty value is a value, and the empty key name holds a hash too.
        self.assertEqual(c("HSET", "", "", ""), 1)
        self.assertEqual(c("HGET", "", ""), b"")
        self.assertEqual(c("HLEN", ""), 1)
        self.assertEqual(c("TYPE", ""), "hash")
        # Big values.
        big = bytes(range(256)) * 4096
        self.assertEqual(c("HSET", "big", "v", big), 1)
        self.assertEqual(c("HGET", "big", "v"), big)
        self.assertEqual(c("HSTRLEN", "big", "v"), len(big))

    def test_arity_errors(self):
        for args in (["HSET"], ["HSET", "h"], ["HSET", "h", "f"], ["HSET", "h", "f", "v", "g"],
                     ["HMSET", "h"], ["HMSET", "h", "f"], ["HMSET", "h", "f", "v", "g"],
                     ["HSETNX", "h", "f"], ["HSETNX", "h", "f", "v", "x"], ["HGET", "h"],
                     ["HGET", "h", "f", "g"], ["HMGET", "h"], ["HDEL", "h"], ["HEXISTS", "h"],
                     ["HEXISTS", "h", "f", "g"], ["HLEN"], ["HLEN", "h", "x"], ["HSTRLEN", "h"],
                     ["HINCRBY", "h", "f"], ["HINCRBY", "h", "f", "1", "2"],
                     ["HINCRBYFLOAT", "h", "f"], ["HINCRBYFLOAT", "h", "f", "1", "2"],
                     ["HKEYS"], ["HKEYS", "h", "x"], ["HVALS"], ["HGETALL"],
                     ["HGETALL", "h", "x"], ["HRANDFIELD"], ["HSCAN", "h"], ["HSCAN"]):
            self.assertEqual(self.call(*args), arity(args[0].lower()), args)
        # Arity is checked before anything else, whatever the key holds.
        self.assertEqual(self.call("SET", "s", "v"), "OK")
        self.assertEqual(self.call("HSET", "s", "f"), arity("hset"))
        self.assertEqual(self.call("HSET", "s", "f", "v", "g"), arity("hset"))
        self.assertEqual(self.call("HMSET", "s", "f", "v", "g"), arity("hmset"))
        self.assertEqual(self.call("DBSIZE"), 1)

    def test_wrongtype_on_a_string_and_a_set(self):
        self.assertEqual(self.call("SET", "s", "v"), "OK")
        self.assertEqual(self.call("SADD", "set", "m"), 1)
        for key in ("s", "set"):
            for args in (["HSET", key, "f", "v"], ["HMSET", key, "f", "v"],
                         ["HSETNX", key, "f", "v"], ["HGET", key, "f"], ["HMGET", key, "f"],
                         ["HDEL", key, "f"], ["HEXISTS", key, "f"], ["HLEN", key],
                         ["HSTRLEN", key, "f"], ["HINCRBY", key, "f", "1"],
                         ["HINCRBYFLOAT", key, "f", "1"], ["HKEYS", key], ["HVALS", key],
                         ["HGETALL", key], ["HRANDFIELD", key], ["HRANDFIELD", key, "1"],
                         ["HRANDFIELD", key, "-3", "WITHVALUES"], ["HRANDFIELD", key, "0"],
                         ["HSCAN", key, "0"], ["HSCAN", key, "0", "COUNT", "0"],
                         ["HSCAN", key, "0", "bogus"]):
                self.assertEqual(self.call(*args), WRONGTYPE, args)
        self.assertEqual(self.call("GET", "s"), b"v")
        self.assertEqual(self.call("SMEMBERS", "set"), [b"m"])

    def test_string_commands_on_a_hash(self):
        self.assertEqual(self.call("HSET", "h", "f", "v"), 1)
        for args in (["GET", "h"], ["APPEND", "h", "x"], ["STRLEN", "h"], ["INCR", "h"],
                     ["DECR", "h"], ["INCRBY", "h", "1"], ["DECRBY", "h", "1"],
                     ["INCRBYFLOAT", "h", "1"], ["GETRANGE", "h", "0", "1"],
                     ["SUBSTR", "h", "0", "1"], ["SETRANGE", "h", "0", "x"],
                     ["SETRANGE", "h", "0", ""], ["GETDEL", "h"], ["GETEX", "h"],
                     ["GETEX", "h", "EX", "100"], ["GETSET", "h", "v"], ["SET", "h", "v", "GET"],
                     ["SADD", "h", "m"], ["SMEMBERS", "h"], ["SCARD", "h"]):
            self.assertEqual(self.call(*args), WRONGTYPE, args)
        # Commands that do not look at the type.
        self.assertEqual(self.call("MGET", "h", "nokey"), [None, None])
        self.assertEqual(self.call("SETNX", "h", "v"), 0)
        self.assertIsNone(self.call("SET", "h", "v", "NX"))
        self.assertEqual(self.call("MSETNX", "h", "v", "new", "v"), 0)
        self.assertEqual(self.call("EXISTS", "new"), 0)
        self.assertEqual(self.call("TYPE", "h"), "hash")
        self.assertEqual(self.call("HGET", "h", "f"), b"v")
        self.assertEqual(self.call("TTL", "h"), -1)

    def test_argument_errors_and_type_errors_which_comes_first(self):
        """Redis parses some arguments before it looks the key up, others after."""
        self.assertEqual(self.call("SET", "s", "v"), "OK")
        self.assertEqual(self.call("HSET", "h", "f", "v"), 1)
        cases = [
            # The increment is parsed first.
            (["HINCRBY", "s", "f", "x"], ERR_INT),
            (["HINCRBY", "s", "f", "1.5"], ERR_INT),
            (["HINCRBYFLOAT", "s", "f", "x"], ERR_FLOAT),
            (["HINCRBY", "nokey", "f", "x"], ERR_INT),
            # HRANDFIELD: count and WITHVALUES first.
            (["HRANDFIELD", "s", "x"], ERR_INT),
            (["HRANDFIELD", "s", "1", "bogus"], ERR_SYNTAX),
            (["HRANDFIELD", "s", "1", "WITHVALUES", "x"], ERR_SYNTAX),
            (["HRANDFIELD", "s", "-9223372036854775808"], LONG_RANGE),
            (["HRANDFIELD", "s", "4611686018427387904", "WITHVALUES"], OUT_OF_RANGE),
            # HSCAN: the cursor first; the options only after the type check (and not at all
            # when the key does not exist).
            (["HSCAN", "s", "x"], INVALID_CURSOR),
            (["HSCAN", "nokey", "x"], INVALID_CURSOR),
            (["HSCAN", "s", "0", "COUNT", "x"], WRONGTYPE),
            (["HSCAN", "s", "0", "MATCH"], WRONGTYPE),
            (["HSCAN", "nokey", "0", "bogus"], [b"0", []]),
            (["HSCAN", "nokey", "0", "COUNT", "0"], [b"0", []]),
            (["HSCAN", "nokey", "0", "COUNT", "x"], [b"0", []]),
            (["HSCAN", "h", "0", "COUNT", "0"], ERR_SYNTAX),
            (["HSCAN", "h", "0", "COUNT", "x"], ERR_INT),
            # String commands on a hash: most check the type first...
            (["INCRBYFLOAT", "h", "x"], WRONGTYPE),
            (["GETEX", "h", "EX", "x"], WRONGTYPE),
            (["GETEX", "h", "EX", "0"], WRONGTYPE),
            # ... some parse their arguments first.
            (["INCRBY", "h", "x"], ERR_INT),
            (["DECRBY", "h", "1.5"], ERR_INT),
            (["GETRANGE", "h", "x", "1"], ERR_INT),
            (["SETRANGE", "h", "-1", "x"], ("error", "ERR offset is out of range")),
            (["SETRANGE", "h", "x", "x"], ERR_INT),
            (["GETEX", "h", "bogus"], ERR_SYNTAX),
            (["SET", "h", "v", "GET", "EX", "0"],
             ("error", "ERR invalid expire time in 'set' command")),
            (["SET", "h", "v", "GET", "EX", "x"], ERR_INT),
            (["SET", "h", "v", "GET", "bogus"], ERR_SYNTAX),
        ]
        for args, want in cases:
            self.assertEqual(self.call(*args), want, args)
        self.assertEqual(self.call("GET", "s"), b"v")
        self.assertEqual(as_dict(self.call("HGETALL", "h")), {b"f": b"v"})
        self.assertEqual(self.call("DBSIZE"), 2)


class HashCounterTest(HashTestCase):
    def test_hincrby(self):
        c = self.call
        self.assertEqual(c("HINCRBY", "h", "n", "5"), 5)  # creates the key and the field
        self.assertEqual(c("HINCRBY", "h", "n", "-10"), -5)
        self.assertEqual(c("HINCRBY", "h", "n", "0"), -5)
        self.assertEqual(c("HGET", "h", "n"), b"-5")
        self.assertEqual(c("HINCRBY", "h", "m", "-9223372036854775808"), -9223372036854775808)
        self.assertEqual(c("HSET", "h", "big", "9223372036854775807"), 1)
        self.assertEqual(c("HINCRBY", "h", "big", "1"), OVERFLOW)
        self.assertEqual(c("HINCRBY", "h", "big", "-1"), 9223372036854775806)
        self.assertEqual(c("HINCRBY", "h", "m", "-1"), OVERFLOW)
        self.assertEqual(c("HINCRBY", "h", "m", "9223372036854775807"), -1)
        self.assertEqual(c("HGET", "h", "big"), b"9223372036854775806")
        for by in ("x", "1.5", "", " 1", "9223372036854775808", "1e3"):
            self.assertEqual(c("HINCRBY", "h", "n", by), ERR_INT, by)
        self.assertEqual(c("HGET", "h", "n"), b"-5")

    def test_hincrby_on_values_that_are_not_integers(self):
        values = {"s": "abc", "f": "1.5", "sp": " 1", "sp2": "1 ", "e": "", "lz": "01",
                  "plus": "+1", "neg0": "-0", "huge": "9223372036854775808", "nul": "1\x00"}
        self.assertEqual(self.hset("h", values), len(values))
        for field, value in values.items():
            self.assertEqual(self.call("HINCRBY", "h", field, "1"), ERR_HASH_INT, value)
            self.assertEqual(self.call("HGET", "h", field), value.encode())
        # The increment is parsed before the field's value.
        self.assertEqual(self.call("HINCRBY", "h", "s", "x"), ERR_INT)

    def test_hincrbyfloat(self):
        c = self.call
        cases = [("0.1", b"0.1"), ("0.2", b"0.3"), ("-0.3", b"0"), ("1e3", b"1000"),
                 ("5.0e-1", b"1000.5"), ("-1000.5", b"0"), ("3", b"3"), ("0x10", b"19"),
                 ("-0.0", b"19"), ("1.0e1", b"29")]
        for by, want in cases:
            self.assertEqual(c("HINCRBYFLOAT", "h", "f", by), want, by)
        self.assertEqual(c("HGET", "h", "f"), b"29")
        self.assertEqual(c("HSET", "h", "g", "10.50"), 1)
        self.assertEqual(c("HINCRBYFLOAT", "h", "g", "0.1"), b"10.6")
        self.assertEqual(c("HSET", "h", "g", "1.50"), 0)
        self.assertEqual(c("HINCRBYFLOAT", "h", "g", "0"), b"1.5")  # rewritten in its short form
        self.assertEqual(c("HGET", "h", "g"), b"1.5")
        self.assertEqual(c("HSET", "h", "i", "100"), 1)
        self.assertEqual(c("HINCRBYFLOAT", "h", "i", "0"), b"100")
        self.assertEqual(c("HINCRBY", "h", "i", "1"), 101)  # still an integer afterwards
        self.assertEqual(c("HINCRBYFLOAT", "h", "big", "1e20"), b"100000000000000000000")
        # Values HINCRBYFLOAT reads but HINCRBY does not.
        for field, value, want in (("v1", "01", b"2"), ("v2", "+1", b"2"), ("v3", "0x10", b"17"),
                                   ("v4", "1e2", b"101"), ("v5", "-0", b"1")):
            self.assertEqual(c("HSET", "h", field, value), 1)
            self.assertEqual(c("HINCRBYFLOAT", "h", field, "1"), want, value)
        self.assertEqual(c("HINCRBYFLOAT", "h", "f"), arity("hincrbyfloat"))

    def test_hincrbyfloat_errors(self):
        c = self.call
        self.assertEqual(c("HSET", "h", "f", "1.5"), 1)
        for by in ("abc", "", " 1", "1 ", "nan", "1e-5000", "1e5000", "1.5x"):
            self.assertEqual(c("HINCRBYFLOAT", "h", "f", by), ERR_FLOAT, by)
        # An infinite increment has its own message (INCRBYFLOAT's differs: see
        # data_strings_test), and so has a result that overflows to infinity.
        nan_inf = ("error", "ERR value is NaN or Infinity")
        self.assertEqual(c("HINCRBYFLOAT", "h", "f", "inf"), nan_inf)
        self.assertEqual(c("HINCRBYFLOAT", "h", "f", "-inf"), nan_inf)
        self.assertEqual(c("HSET", "h", "i", "inf"), 1)
        self.assertEqual(c("HINCRBYFLOAT", "h", "i", "1"),
                         ("error", "ERR increment would produce NaN or Infinity"))
        for value in ("abc", "", " 1", "1 ", "nan", "1.5.5"):
            c("HSET", "h", "bad", value)
            self.assertEqual(c("HINCRBYFLOAT", "h", "bad", "1"), ERR_HASH_FLOAT, value)
            self.assertEqual(c("HGET", "h", "bad"), value.encode())
        self.assertEqual(c("HGET", "h", "f"), b"1.5")
        # Long double range and formatting, as INCRBYFLOAT.
        self.assertEqual(c("HINCRBYFLOAT", "h", "tiny", "1e-4940"), b"0")
        big = c("HINCRBYFLOAT", "h", "huge", "1e400")
        self.assertEqual(len(big), 401)
        self.assertEqual(big[:5], b"10000")
        self.assertEqual(c("HGET", "h", "huge"), big)
        self.assertEqual(c("HINCRBYFLOAT", "h", "d", "1.5e308"),
                         c("HINCRBYFLOAT", "h", "d2", "1.5e308"))
        self.assertEqual(c("HINCRBYFLOAT", "h", "d", "1.5e308")[:22], b"2999999999999999999998")
        self.assertEqual(c("HINCRBYFLOAT", "nokey", "f", "x"), ERR_FLOAT)
        self.assertEqual(c("EXISTS", "nokey"), 0)

    def test_counters_keep_the_ttl_and_other_fields(self):
        self.assertEqual(self.call("HSET", "h", "a", "1", "n", "1"), 2)
        self.assertEqual(self.call("EXPIRE", "h", "100"), 1)
        self.assertEqual(self.call("HINCRBY", "h", "n", "2"), 3)
        self.assertEqual(self.call("HINCRBYFLOAT", "h", "n", "0.5"), b"3.5")
        self.assertEqual(self.call("HINCRBY", "h", "n", "1"), ERR_HASH_INT)
        self.assertEqual(self.call("TTL", "h"), 100)
        self.assertEqual(as_dict(self.call("HGETALL", "h")), {b"a": b"1", b"n": b"3.5"})


class HrandfieldTest(HashTestCase):
    def setUp(self):
        super().setUp()
        self.fields = {b"a": b"1", b"b": b"2", b"c": b"3", b"d": b"4", b"e": b"5"}
        self.assertEqual(self.hset("h", self.fields), 5)

    def test_without_count(self):
        seen = {self.call("HRANDFIELD", "h") for _ in range(100)}
        self.assertEqual(seen, set(self.fields))
        self.assertIsNone(self.call("HRANDFIELD", "nokey"))

    def test_positive_count_returns_distinct_fields(self):
        for n in (1, 2, 4):
            for _ in range(10):
                got = self.call("HRANDFIELD", "h", str(n))
                self.assertEqual(len(got), n)
                self.assertEqual(len(set(got)), n)
                self.assertTrue(set(got) <= set(self.fields))
        # A count at or above the size: the whole hash, once each.
        for n in ("5", "6", "100", "9223372036854775807", "4611686018427387903"):
            self.assertEqual(sorted(self.call("HRANDFIELD", "h", n)), sorted(self.fields), n)
        self.assertEqual(self.call("HRANDFIELD", "h", "0"), [])
        self.assertEqual(self.call("HRANDFIELD", "h", "0", "WITHVALUES"), [])

    def test_negative_count_may_repeat(self):
        seen = set()
        for n in (1, 3, 5, 20):
            got = self.call("HRANDFIELD", "h", str(-n))
            self.assertEqual(len(got), n)
            self.assertTrue(set(got) <= set(self.fields))
            seen.update(got)
        got = self.call("HRANDFIELD", "h", "-200")
        self.assertEqual(len(got), 200)
        self.assertLess(len(set(got)), 200)  # repeats
        self.assertEqual(set(got), set(self.fields))  # every field turns up in 200 draws

    def test_withvalues(self):
        got = self.call("HRANDFIELD", "h", "3", "WITHVALUES")
        self.assertEqual(len(got), 6)
        d = as_dict(got)
        self.assertEqual(len(d), 3)
        self.assertTrue(all(self.fields[f] == v for f, v in d.items()))
        got = self.call("HRANDFIELD", "h", "-8", "withvalues")
        self.assertEqual(len(got), 16)
        for f, v in zip(got[::2], got[1::2]):
            self.assertEqual(self.fields[f], v)
        self.assertEqual(as_dict(self.call("HRANDFIELD", "h", "10", "WITHVALUES")), self.fields)

    def test_missing_key_and_errors(self):
        self.assertEqual(self.call("HRANDFIELD", "nokey", "3"), [])
        self.assertEqual(self.call("HRANDFIELD", "nokey", "-3", "WITHVALUES"), [])
        self.assertEqual(self.call("HRANDFIELD", "nokey", "0"), [])
        for args, want in ((["x"], ERR_INT), (["1.5"], ERR_INT), ([""], ERR_INT),
                           (["1", "bogus"], ERR_SYNTAX), (["1", "WITHVALUES", "x"], ERR_SYNTAX),
                           (["1", "2"], ERR_SYNTAX),
                           (["-9223372036854775808"], LONG_RANGE),
                           (["-9223372036854775808", "WITHVALUES"], LONG_RANGE),
                           (["9223372036854775808"], ERR_INT),
                           (["4611686018427387904", "WITHVALUES"], OUT_OF_RANGE),
                           (["-4611686018427387904", "WITHVALUES"], OUT_OF_RANGE),
                           (["9223372036854775807", "WITHVALUES"], OUT_OF_RANGE)):
            self.assertEqual(self.call("HRANDFIELD", "h", *args), want, args)
            self.assertEqual(self.call("HRANDFIELD", "nokey", *args), want, args)

    def test_resp3_shapes(self):
        c = Conn(self.server.port, proto=3)
        try:
            t, pairs = typed(c.call_raw("HRANDFIELD", "h", "3", "WITHVALUES"))
            self.assertEqual(t, "*")
            self.assertEqual(len(pairs), 3)
            for pair in pairs:  # each a two-element array
                self.assertEqual(pair[0], "*")
                (tf, f), (tv, v) = pair[1]
                self.assertEqual((tf, tv), ("$", "$"))
                self.assertEqual(self.fields[f], v)
            t, pairs = typed(c.call_raw("HRANDFIELD", "h", "-7", "WITHVALUES"))
            self.assertEqual((t, len(pairs)), ("*", 7))
            self.assertTrue(all(p[0] == "*" and len(p[1]) == 2 for p in pairs))
            t, items = typed(c.call_raw("HRANDFIELD", "h", "2"))
            self.assertEqual((t, len(items)), ("*", 2))
            self.assertTrue(all(i[0] == "$" for i in items))
            self.assertEqual(c.call_raw("HRANDFIELD", "h", "0", "WITHVALUES"), b"*0\r\n")
            self.assertEqual(c.call_raw("HRANDFIELD", "nokey", "2", "WITHVALUES"), b"*0\r\n")
            self.assertEqual(c.call_raw("HRANDFIELD", "nokey"), b"_\r\n")
            self.assertEqual(typed(c.call_raw("HRANDFIELD", "h"))[0], "$")
        finally:
            c.close()
        # And RESP2: a null bulk string, a flat array.
        self.assertEqual(self.c.call_raw("HRANDFIELD", "nokey"), b"$-1\r\n")
        t, items = typed(self.c.call_raw("HRANDFIELD", "h", "2", "WITHVALUES"))
        self.assertEqual((t, len(items)), ("*", 4))
        self.assertTrue(all(i[0] == "$" for i in items))


class HscanTest(HashTestCase):
    def test_small_hash(self):
        self.assertEqual(self.call("HSET", "h", "a", "1", "b", "2", "c", "3"), 3)
        items, _ = scan_all(self.c, "HSCAN", "h")
        self.assertEqual(as_dict(items), {b"a": b"1", b"b": b"2", b"c": b"3"})
        items, _ = scan_all(self.c, "HSCAN", "h", "MATCH", "[ab]", "COUNT", "1")
        self.assertEqual(as_dict(items), {b"a": b"1", b"b": b"2"})
        items, _ = scan_all(self.c, "HSCAN", "h", "match", "nothing*")
        self.assertEqual(items, [])
        self.assertEqual(self.call("HSCAN", "nokey", "0"), [b"0", []])
        self.assertEqual(self.call("HSCAN", "nokey", "0", "MATCH", "*", "COUNT", "5"), [b"0", []])

    def test_full_iteration_returns_every_field_once(self):
        n = 1000
        self.fill_hash("h", n)
        items, calls = scan_all(self.c, "HSCAN", "h")
        fields = items[::2]
        self.assertEqual(set(fields), {b"f%d" % i for i in range(n)})
        for f, v in zip(items[::2], items[1::2]):
            self.assertEqual(b"v" + f[1:], v)
        self.assertGreater(calls, 1)  # COUNT 10 by default: not all in one reply
        if not AGAINST_REDIS:
            self.assertEqual(len(fields), n)  # a quiet hash: each field once
        items, calls = scan_all(self.c, "HSCAN", "h", "COUNT", "100000")
        self.assertEqual(len(set(items[::2])), n)
        items, _ = scan_all(self.c, "HSCAN", "h", "MATCH", "f1?", "COUNT", "50")
        self.assertEqual(sorted(set(items[::2])), sorted(b"f1%d" % i for i in range(10)))
        items, _ = scan_all(self.c, "HSCAN", "h", "MATCH", "*99*")
        self.assertEqual(set(items[::2]),
                         {b"f%d" % i for i in range(n) if b"99" in b"%d" % i})

    def test_errors(self):
        self.assertEqual(self.call("HSET", "h", "a", "1"), 1)
        self.assertEqual(self.call("HSCAN", "h", "x"), INVALID_CURSOR)
        self.assertEqual(self.call("HSCAN", "h", "1x"), INVALID_CURSOR)
        self.assertEqual(self.call("HSCAN", "h", "18446744073709551616"), INVALID_CURSOR)
        self.assertEqual(self.call("HSCAN", "h", "0", "COUNT", "0"), ERR_SYNTAX)
        self.assertEqual(self.call("HSCAN", "h", "0", "COUNT", "-1"), ERR_SYNTAX)
        self.assertEqual(self.call("HSCAN", "h", "0", "COUNT", "x"), ERR_INT)
        self.assertEqual(self.call("HSCAN", "h", "0", "COUNT"), ERR_SYNTAX)
        self.assertEqual(self.call("HSCAN", "h", "0", "MATCH"), ERR_SYNTAX)
        self.assertEqual(self.call("HSCAN", "h", "0", "bogus", "1"), ERR_SYNTAX)
        self.assertEqual(self.call("HSCAN", "h", "0", "TYPE", "hash"), ERR_SYNTAX)
        self.assertEqual(self.call("HSCAN", "h", "0", "NOVALUES"), ERR_SYNTAX)

    @stashd_only
    def test_unknown_cursor_is_an_error(self):
        # As SCAN (data_scan_test): Redis reads "" as 0, wraps "-1" and accepts any number on a
        # small hash; StashDB's cursors are opaque.
        self.fill_hash("h", 100)
        for cursor in ("", "-1", "18446744073709551615", "12345"):
            self.assertEqual(self.call("HSCAN", "h", cursor), INVALID_CURSOR, cursor)

    def test_resp3_reply_is_an_array_of_a_bulk_cursor_and_a_flat_array(self):
        self.assertEqual(self.call("HSET", "h", "a", "1"), 1)
        c = Conn(self.server.port, proto=3)
        try:
            self.assertEqual(c.call_raw("HSCAN", "h", "0"),
                             b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n")
            self.assertEqual(c.call_raw("HSCAN", "nokey", "0"), b"*2\r\n$1\r\n0\r\n*0\r\n")
        finally:
            c.close()


class HashResp3Test(HashTestCase):
    def setUp(self):
        super().setUp()
        self.c3 = Conn(self.server.port, proto=3)

    def tearDown(self):
        self.c3.close()
        super().tearDown()

    def raw(self, *args):
        return self.c3.call_raw(*args)

    def test_reply_shapes(self):
        self.assertEqual(self.raw("HSET", "h", "a", "1", "b", "2"), b":2\r\n")
        self.assertEqual(self.raw("HMSET", "h", "c", "3"), b"+OK\r\n")
        self.assertEqual(self.raw("HSETNX", "h", "c", "3"), b":0\r\n")
        self.assertEqual(self.raw("HGET", "h", "a"), b"$1\r\n1\r\n")
        self.assertEqual(self.raw("HGET", "h", "nope"), b"_\r\n")
        self.assertEqual(self.raw("HGET", "nokey", "a"), b"_\r\n")
        self.assertEqual(self.raw("HMGET", "h", "a", "nope"), b"*2\r\n$1\r\n1\r\n_\r\n")
        self.assertEqual(self.raw("HMGET", "nokey", "a"), b"*1\r\n_\r\n")
        self.assertEqual(self.raw("HEXISTS", "h", "a"), b":1\r\n")
        self.assertEqual(self.raw("HLEN", "h"), b":3\r\n")
        self.assertEqual(self.raw("HSTRLEN", "h", "a"), b":1\r\n")
        self.assertEqual(self.raw("HINCRBY", "h", "n", "5"), b":5\r\n")
        # HINCRBYFLOAT answers a bulk string in RESP3 too, not a double.
        self.assertEqual(self.raw("HINCRBYFLOAT", "h", "n", "0.5"), b"$3\r\n5.5\r\n")
        t, items = typed(self.raw("HKEYS", "h"))
        self.assertEqual((t, sorted(items)), ("*", bulks(b"a", b"b", b"c", b"n")))
        t, items = typed(self.raw("HVALS", "h"))
        self.assertEqual((t, sorted(items)), ("*", bulks(b"1", b"2", b"3", b"5.5")))
        self.assertEqual(self.raw("HKEYS", "nokey"), b"*0\r\n")
        self.assertEqual(self.raw("HVALS", "nokey"), b"*0\r\n")
        self.assertEqual(self.raw("HDEL", "h", "n"), b":1\r\n")

    def test_hgetall_is_a_map(self):
        self.assertEqual(self.raw("HSET", "h", "a", "1"), b":1\r\n")
        self.assertEqual(self.raw("HGETALL", "h"), b"%1\r\n$1\r\na\r\n$1\r\n1\r\n")
        self.assertEqual(self.raw("HSET", "h", "b", "2", "c", ""), b":2\r\n")
        t, pairs = typed(self.raw("HGETALL", "h"))
        self.assertEqual(t, "%")
        self.assertEqual(sorted(pairs), [(("$", b"a"), ("$", b"1")), (("$", b"b"), ("$", b"2")),
                                         (("$", b"c"), ("$", b""))])
        self.assertEqual(self.raw("HGETALL", "nokey"), b"%0\r\n")
        # The same connection back in RESP2: a flat array.
        self.assertEqual(self.c3.call("HELLO", "2")[5], 2)  # RESP2: a flat array
        t, items = typed(self.raw("HGETALL", "h"))
        self.assertEqual((t, len(items)), ("*", 6))
        self.assertEqual(self.raw("HGETALL", "nokey"), b"*0\r\n")
        self.assertEqual(self.raw("HGET", "nokey", "a"), b"$-1\r\n")
        self.assertEqual(self.raw("HMGET", "nokey", "a"), b"*1\r\n$-1\r\n")

    def test_errors_are_the_same_in_resp3(self):
        self.assertEqual(self.raw("SET", "s", "v"), b"+OK\r\n")
        self.assertEqual(self.raw("HGETALL", "s"),
                         b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
        self.assertEqual(self.raw("HSET", "h", "f"),
                         b"-ERR wrong number of arguments for 'hset' command\r\n")


class HashKeyspaceTest(HashTestCase):
    def test_type_del_unlink_exists(self):
        c = self.call
        self.assertEqual(c("HSET", "h1", "f", "v"), 1)
        self.assertEqual(c("HSET", "h2", "f", "v"), 1)
        self.assertEqual(c("SET", "s", "v"), "OK")
        self.assertEqual(c("TYPE", "h1"), "hash")
        self.assertEqual(c("EXISTS", "h1", "h2", "s", "nope", "h1"), 4)
        self.assertEqual(c("DBSIZE"), 3)
        self.assertEqual(c("DEL", "h1", "nope"), 1)
        self.assertEqual(c("UNLINK", "h2", "s"), 2)
        self.assertEqual(c("EXISTS", "h1", "h2"), 0)
        self.assertEqual(c("HGET", "h1", "f"), None)
        self.assertEqual(c("HLEN", "h2"), 0)
        self.assertEqual(c("DBSIZE"), 0)
        # A deleted hash does not come back with its old fields.
        self.assertEqual(c("HSET", "h1", "g", "w"), 1)
        self.assertEqual(as_dict(c("HGETALL", "h1")), {b"g": b"w"})

    def test_set_over_a_hash_replaces_it(self):
        self.assertEqual(self.call("HSET", "h", "f", "v", "g", "w"), 2)
        self.assertEqual(self.call("EXPIRE", "h", "100"), 1)
        self.assertEqual(self.call("SET", "h", "str"), "OK")
        self.assertEqual(self.call("TYPE", "h"), "string")
        self.assertEqual(self.call("TTL", "h"), -1)
        self.assertEqual(self.call("HGET", "h", "f"), WRONGTYPE)
        self.assertEqual(self.call("DEL", "h"), 1)
        self.assertEqual(self.call("HSET", "h", "x", "1"), 1)
        self.assertEqual(as_dict(self.call("HGETALL", "h")), {b"x": b"1"})  # no old field
        self.assertEqual(self.call("MSET", "h", "m"), "OK")
        self.assertEqual(self.call("GET", "h"), b"m")
        self.assertEqual(self.call("HSET", "g", "f", "v"), 1)
        self.assertEqual(self.call("GETSET", "g", "x"), WRONGTYPE)
        self.assertEqual(self.call("SET", "g", "x", "XX"), "OK")
        self.assertEqual(self.call("GET", "g"), b"x")

    def test_rename_and_renamenx_across_types(self):
        c = self.call
        self.assertEqual(c("HSET", "h", "f", "v"), 1)
        self.assertEqual(c("EXPIRE", "h", "100"), 1)
        self.assertEqual(c("SET", "s", "str"), "OK")
        self.assertEqual(c("RENAMENX", "h", "s"), 0)
        self.assertEqual(c("RENAME", "h", "s"), "OK")  # a hash over a string
        self.assertEqual(c("TYPE", "s"), "hash")
        self.assertEqual(c("TTL", "s"), 100)
        self.assertEqual(c("HGET", "s", "f"), b"v")
        self.assertEqual(c("EXISTS", "h"), 0)
        self.assertEqual(c("SET", "str", "x"), "OK")
        self.assertEqual(c("RENAME", "str", "s"), "OK")  # a string over a hash
        self.assertEqual(c("GET", "s"), b"x")
        self.assertEqual(c("TTL", "s"), -1)
        self.assertEqual(c("HSET", "h", "a", "1"), 1)
        self.assertEqual(c("RENAMENX", "h", "h2"), 1)
        self.assertEqual(as_dict(c("HGETALL", "h2")), {b"a": b"1"})
        self.assertEqual(c("RENAME", "h2", "h2"), "OK")
        self.assertEqual(c("HSET", "h3", "b", "2"), 1)
        self.assertEqual(c("RENAME", "h2", "h3"), "OK")  # a hash over a hash: not merged
        self.assertEqual(as_dict(c("HGETALL", "h3")), {b"a": b"1"})
        self.assertEqual(c("DBSIZE"), 2)

    def test_copy(self):
        c = self.call
        self.assertEqual(c("HSET", "h", "a", "1", "b", "2"), 2)
        self.assertEqual(c("EXPIRE", "h", "100"), 1)
        self.assertEqual(c("COPY", "h", "h2"), 1)
        self.assertEqual(c("TTL", "h2"), 100)
        self.assertEqual(as_dict(c("HGETALL", "h2")), {b"a": b"1", b"b": b"2"})
        # The copy is independent of the source.
        self.assertEqual(c("HSET", "h2", "c", "3"), 1)
        self.assertEqual(c("HDEL", "h", "a"), 1)
        self.assertEqual(as_dict(c("HGETALL", "h")), {b"b": b"2"})
        self.assertEqual(as_dict(c("HGETALL", "h2")), {b"a": b"1", b"b": b"2", b"c": b"3"})
        self.assertEqual(c("COPY", "h", "h2"), 0)
        self.assertEqual(c("SET", "s", "v"), "OK")
        self.assertEqual(c("COPY", "h", "s"), 0)
        self.assertEqual(c("COPY", "h", "s", "REPLACE"), 1)  # a hash over a string
        self.assertEqual(c("TYPE", "s"), "hash")
        self.assertEqual(c("SET", "str", "x"), "OK")
        self.assertEqual(c("COPY", "str", "h2", "REPLACE"), 1)  # a string over a hash
        self.assertEqual(c("GET", "h2"), b"x")
        self.assertEqual(c("TTL", "h2"), -1)
        self.assertEqual(c("COPY", "h", "h", "DB", "2"), 1)
        self.assertEqual(c("COPY", "h", "h", "DB", "2"), 0)
        self.assertEqual(c("HSET", "h", "z", "26"), 1)
        self.assertEqual(c("COPY", "h", "h", "DB", "2", "REPLACE"), 1)
        self.assertEqual(c("SELECT", "2"), "OK")
        self.assertEqual(as_dict(c("HGETALL", "h")), {b"b": b"2", b"z": b"26"})
        self.assertTrue(0 < c("TTL", "h") <= 100)
        self.assertEqual(c("DBSIZE"), 1)

    def test_move(self):
        c = self.call
        self.assertEqual(c("HSET", "h", "a", "1"), 1)
        self.assertEqual(c("EXPIRE", "h", "100"), 1)
        self.assertEqual(c("MOVE", "h", "1"), 1)
        self.assertEqual(c("EXISTS", "h"), 0)
        self.assertEqual(c("HSET", "h", "b", "2"), 1)
        self.assertEqual(c("MOVE", "h", "1"), 0)  # the target exists
        self.assertEqual(as_dict(c("HGETALL", "h")), {b"b": b"2"})
        self.assertEqual(c("SELECT", "1"), "OK")
        self.assertEqual(as_dict(c("HGETALL", "h")), {b"a": b"1"})
        self.assertEqual(c("TTL", "h"), 100)
        self.assertEqual(c("HSET", "h", "c", "3"), 1)  # and it is a working hash there
        self.assertEqual(c("HLEN", "h"), 2)

    def test_expire_ttl_persist(self):
        c = self.call
        self.assertEqual(c("EXPIRE", "h", "100"), 0)
        self.assertEqual(c("HSET", "h", "a", "1"), 1)
        self.assertEqual(c("TTL", "h"), -1)
        self.assertEqual(c("EXPIRE", "h", "100"), 1)
        self.assertEqual(c("TTL", "h"), 100)
        # Field writes keep the key's TTL.
        self.assertEqual(c("HSET", "h", "b", "2"), 1)
        self.assertEqual(c("HDEL", "h", "a"), 1)
        self.assertEqual(c("HSETNX", "h", "c", "3"), 1)
        self.assertEqual(c("HINCRBY", "h", "n", "1"), 1)
        self.assertEqual(c("TTL", "h"), 100)
        self.assertEqual(c("PERSIST", "h"), 1)
        self.assertEqual(c("TTL", "h"), -1)
        self.assertEqual(c("PERSIST", "h"), 0)
        self.assertEqual(c("PEXPIRE", "h", "100"), 1)
        time.sleep(0.3)
        self.assertEqual(c("EXISTS", "h"), 0)
        self.assertEqual(c("HLEN", "h"), 0)
        self.assertEqual(c("HGETALL", "h"), [])
        self.assertEqual(c("HSET", "h", "x", "1"), 1)  # a new hash: no old fields, no TTL
        self.assertEqual(as_dict(c("HGETALL", "h")), {b"x": b"1"})
        self.assertEqual(c("TTL", "h"), -1)
        self.assertEqual(c("EXPIRE", "h", "0"), 1)
        self.assertEqual(c("TYPE", "h"), "none")
        self.assertEqual(c("DBSIZE"), 0)

    def test_scan_keys_randomkey_dbsize(self):
        c = self.call
        self.assertEqual(c("HSET", "h1", "f", "v"), 1)
        self.assertEqual(c("HSET", "h2", "f", "v"), 1)
        self.assertEqual(c("SET", "s", "v"), "OK")
        self.assertEqual(c("SADD", "set", "m"), 1)
        self.assertEqual(c("DBSIZE"), 4)
        self.assertEqual(sorted(c("KEYS", "h*")), [b"h1", b"h2"])
        self.assertEqual(sorted(c("KEYS", "*")), [b"h1", b"h2", b"s", b"set"])
        for t, want in (("hash", [b"h1", b"h2"]), ("HASH", [b"h1", b"h2"]),
                        ("string", [b"s"]), ("set", [b"set"]), ("list", [])):
            self.assertEqual(sorted(set(scan_keys(c, "TYPE", t))), want, t)
        self.assertEqual({c("RANDOMKEY") for _ in range(80)}, {b"h1", b"h2", b"s", b"set"})
        self.assertEqual(c("DEL", "s", "set", "h1"), 3)
        self.assertEqual(c("RANDOMKEY"), b"h2")
        info = self.r.info("keyspace")
        self.assertEqual(info["db0"]["keys"], 1)

    def test_flushdb_and_swapdb(self):
        c = self.call
        self.assertEqual(c("HSET", "h", "a", "1"), 1)
        self.assertEqual(c("SELECT", "1"), "OK")
        self.assertEqual(c("HSET", "h", "b", "2"), 1)
        self.assertEqual(c("SWAPDB", "0", "1"), "OK")
        self.assertEqual(as_dict(c("HGETALL", "h")), {b"a": b"1"})
        self.assertEqual(c("HSET", "h", "c", "3"), 1)
        self.assertEqual(c("SELECT", "0"), "OK")
        self.assertEqual(as_dict(c("HGETALL", "h")), {b"b": b"2"})
        self.assertEqual(c("FLUSHDB"), "OK")
        self.assertEqual(c("EXISTS", "h"), 0)
        self.assertEqual(c("HSET", "h", "d", "4"), 1)
        self.assertEqual(as_dict(c("HGETALL", "h")), {b"d": b"4"})  # nothing of the old one
        self.assertEqual(c("SELECT", "1"), "OK")
        self.assertEqual(as_dict(c("HGETALL", "h")), {b"a": b"1", b"c": b"3"})
        self.assertEqual(c("FLUSHALL"), "OK")
        self.assertEqual(c("HLEN", "h"), 0)

    def test_watch(self):
        exec_after = self.watch_probe("h", ("HGET", "h", "f"))
        created = [("HSET", "h", "f", "v")]
        # Changes abort EXEC...
        for action in (("HSET", "h", "f", "v2"), ("HSET", "h", "f", "v"), ("HSET", "h", "g", "1"),
                       ("HDEL", "h", "f"), ("HINCRBY", "h", "n", "0"),
                       ("HINCRBYFLOAT", "h", "n", "1"), ("HMSET", "h", "g", "1"),
                       ("HSETNX", "h", "g", "1"), ("DEL", "h"), ("EXPIRE", "h", "100")):
            self.assertIsNone(exec_after(created, [action]), action)
        self.assertIsNone(exec_after([], [("HSET", "h", "f", "v")]))
        self.assertIsNone(exec_after([], [("HINCRBY", "h", "f", "1")]))
        # ... reads and writes that change nothing do not.
        for action in (("HDEL", "h", "nope"), ("HSETNX", "h", "f", "x"), ("HGET", "h", "f"),
                       ("HGETALL", "h"), ("HLEN", "h"), ("HSCAN", "h", "0"),
                       ("HRANDFIELD", "h", "2"), ("HINCRBY", "h", "f", "1"),
                       ("HSET", "other", "f", "v")):
            self.assertEqual(exec_after(created, [action]), [b"v"], action)
        self.assertEqual(exec_after([], [("HDEL", "h", "f")]), [None])

    def test_multi_exec_with_hash_commands(self):
        self.assertEqual(self.call("SET", "s", "v"), "OK")
        self.assertEqual(self.call("MULTI"), "OK")
        for args in (["HSET", "h", "a", "1"], ["HGET", "s", "a"], ["HINCRBY", "h", "a", "x"],
                     ["HINCRBY", "h", "a", "2"], ["HGETALL", "h"]):
            self.assertEqual(self.call(*args), "QUEUED")
        self.assertEqual(self.call("EXEC"), [1, WRONGTYPE, ERR_INT, 3, [b"a", b"3"]])
        # An arity error while queueing discards the whole transaction.
        self.assertEqual(self.call("MULTI"), "OK")
        self.assertEqual(self.call("HSET", "h", "b", "2"), "QUEUED")
        self.assertEqual(self.call("HSET", "h", "a"), arity("hset"))
        self.assertEqual(self.call("EXEC"),
                         ("error", "EXECABORT Transaction discarded because of previous errors."))
        self.assertEqual(as_dict(self.call("HGETALL", "h")), {b"a": b"3"})


class EncodingConfigTest(HashTestCase):
    def test_object_encoding(self):
        self.assertEqual(self.call("HSET", "small", "a", "1"), 1)
        self.assertEqual(self.call("OBJECT", "ENCODING", "small"), b"listpack")
        self.fill_hash("h512", 512)
        self.assertEqual(self.call("OBJECT", "ENCODING", "h512"), b"listpack")
        self.fill_hash("h513", 513)
        self.assertEqual(self.call("OBJECT", "ENCODING", "h513"), b"hashtable")
        self.fill_hash("h2000", 2000)
        self.assertEqual(self.call("OBJECT", "ENCODING", "h2000"), b"hashtable")
        self.assertIsNone(self.call("OBJECT", "ENCODING", "nokey"))
        # The bound follows CONFIG SET.
        old = self.r.config_get("hash-max-listpack-entries")["hash-max-listpack-entries"]
        try:
            self.assertEqual(self.call("CONFIG", "SET", "hash-max-listpack-entries", "4"), "OK")
            self.assertEqual(self.call("HSET", "five", "a", "1", "b", "2", "c", "3", "d", "4",
                                       "e", "5"), 5)
            self.assertEqual(self.call("OBJECT", "ENCODING", "five"), b"hashtable")
            self.assertEqual(self.call("HSET", "four", "a", "1", "b", "2", "c", "3", "d", "4"), 4)
            self.assertEqual(self.call("OBJECT", "ENCODING", "four"), b"listpack")
        finally:
            self.assertEqual(self.call("CONFIG", "SET", "hash-max-listpack-entries", old), "OK")

    def test_config_get_set(self):
        names = {"hash-max-listpack-entries": "512", "hash-max-listpack-value": "64",
                 "hash-max-ziplist-entries": "512", "hash-max-ziplist-value": "64",
                 "set-max-intset-entries": "512"}
        originals = {}
        for name, default in names.items():
            reply = self.call("CONFIG", "GET", name)
            self.assertEqual(reply, [name.encode(), default.encode()], name)
            originals[name] = reply[1]
        try:
            for name in names:
                self.assertEqual(self.call("CONFIG", "SET", name, "77"), "OK")
                self.assertEqual(self.call("CONFIG", "GET", name), [name.encode(), b"77"])
            # The ziplist names are aliases of the listpack ones.
            self.assertEqual(self.call("CONFIG", "SET", "hash-max-ziplist-entries", "33"), "OK")
            self.assertEqual(self.call("CONFIG", "GET", "hash-max-listpack-entries"),
                             [b"hash-max-listpack-entries", b"33"])
            self.assertEqual(self.call("CONFIG", "SET", "hash-max-listpack-value", "44"), "OK")
            self.assertEqual(self.call("CONFIG", "GET", "hash-max-ziplist-value"),
                             [b"hash-max-ziplist-value", b"44"])
            self.assertEqual(
                self.call("CONFIG", "SET", "hash-max-listpack-entries", "x"),
                ("error", "ERR CONFIG SET failed (possibly related to argument "
                          "'hash-max-listpack-entries') - argument couldn't be parsed into an "
                          "integer"))
            self.assertEqual(
                self.call("CONFIG", "SET", "set-max-intset-entries", "-1"),
                ("error", "ERR CONFIG SET failed (possibly related to argument "
                          "'set-max-intset-entries') - argument must be between 0 and "
                          "9223372036854775807 inclusive"))
            got = as_dict(self.call("CONFIG", "GET", "hash-max-*"))
            self.assertEqual(got, {b"hash-max-listpack-entries": b"33",
                                   b"hash-max-ziplist-entries": b"33",
                                   b"hash-max-listpack-value": b"44",
                                   b"hash-max-ziplist-value": b"44"})
        finally:
            for name in ("hash-max-listpack-entries", "hash-max-listpack-value",
                         "set-max-intset-entries"):
                self.assertEqual(self.call("CONFIG", "SET", name, originals[name]), "OK")
        for name, default in names.items():
            self.assertEqual(self.call("CONFIG", "GET", name), [name.encode(), default.encode()])

    def test_config_set_max_listpack(self):
        """set-max-listpack-entries/value came with Redis 7.2: Redis 7.0 does not know them."""
        names = ("set-max-listpack-entries", "set-max-listpack-value")
        if AGAINST_REDIS:
            for name in names:
                self.assertEqual(self.call("CONFIG", "GET", name), [])
                self.assertEqual(
                    self.call("CONFIG", "SET", name, "10"),
                    ("error", "ERR Unknown option or number of arguments for CONFIG SET - '%s'"
                     % name))
            return
        for name in names:
            old = self.call("CONFIG", "GET", name)
            self.assertEqual(len(old), 2, name)
            try:
                self.assertEqual(self.call("CONFIG", "SET", name, "99"), "OK")
                self.assertEqual(self.call("CONFIG", "GET", name), [name.encode(), b"99"])
            finally:
                self.assertEqual(self.call("CONFIG", "SET", name, old[1]), "OK")
            self.assertEqual(self.call("CONFIG", "GET", name), old)

    def test_config_save(self):
        old = self.call("CONFIG", "GET", "save")
        self.assertEqual(old[0], b"save")
        try:
            self.assertEqual(self.call("CONFIG", "SET", "save", "3600 1 300 100"), "OK")
            self.assertEqual(self.call("CONFIG", "GET", "save"), [b"save", b"3600 1 300 100"])
            self.assertEqual(self.call("CONFIG", "SET", "save", ""), "OK")
            self.assertEqual(self.call("CONFIG", "GET", "save"), [b"save", b""])
            self.assertEqual(
                self.call("CONFIG", "SET", "save", "bogus"),
                ("error", "ERR CONFIG SET failed (possibly related to argument 'save') - "
                          "Invalid save parameters"))
        finally:
            self.assertEqual(self.call("CONFIG", "SET", "save", old[1]), "OK")
        self.assertEqual(self.call("CONFIG", "GET", "save"), old)


class ClientsTest(HashTestCase):
    def test_python_client(self):
        r = self.r
        self.assertEqual(r.hset("h", mapping={"a": "1", "b": "2"}), 2)
        self.assertEqual(r.hset("h", "c", "3"), 1)
        self.assertEqual(r.hgetall("h"), {b"a": b"1", b"b": b"2", b"c": b"3"})
        self.assertEqual(r.hmget("h", ["a", "z"]), [b"1", None])
        self.assertTrue(r.hexists("h", "a"))
        self.assertEqual(r.hincrby("h", "a", 5), 6)
        self.assertEqual(r.hincrbyfloat("h", "f", 2.5), 2.5)
        self.assertEqual(sorted(r.hkeys("h")), [b"a", b"b", b"c", b"f"])
        self.assertEqual(r.hlen("h"), 4)
        self.assertEqual(r.hdel("h", "b", "c"), 2)
        self.assertEqual(dict(r.hscan_iter("h")), {b"a": b"6", b"f": b"2.5"})
        self.assertIn(r.hrandfield("h"), (b"a", b"f"))
        self.assertEqual(r.type("h"), b"hash")
        p = r.pipeline(transaction=True)
        p.hset("h", "x", "1").hget("h", "x").hlen("h")
        self.assertEqual(p.execute(), [1, b"1", 3])
        with self.assertRaises(Exception) as ctx:
            r.hincrby("h", "f", 1)
        self.assertIn("hash value is not an integer", str(ctx.exception))

    def test_redis_cli(self):
        self.assertEqual(self.server.cli("HSET", "h", "a", "hello world", "b", "2"), ("2\n", 0))
        self.assertEqual(self.server.cli("HGET", "h", "a")[0], "hello world\n")
        out, _ = self.server.cli("HGETALL", "h")
        lines = out.split("\n")[:-1]
        self.assertEqual(dict(zip(lines[::2], lines[1::2])), {"a": "hello world", "b": "2"})
        self.assertEqual(self.server.cli("HLEN", "h")[0], "2\n")
        self.assertEqual(self.server.cli("TYPE", "h")[0], "hash\n")
        out, _ = self.server.cli("--no-raw", "-3", "HGETALL", "h")
        self.assertRegex(out, r'\d# "a" => "hello world"')  # a map
        self.assertEqual(self.server.cli("HINCRBY", "h", "a", "1")[0].strip(),
                         "ERR hash value is not an integer")


class BigHashTest(HashTestCase):
    """BIG_COLLECTION fields (default 1,000,000) in one hash: built through a pipeline, counted,
    scanned once in full and deleted in well under a millisecond on the server (StashDB deletes
    a collection by its key, whatever its size: Redis frees it element by element)."""

    @stashd_only
    def test_million_field_hash(self):
        n = BIG_COLLECTION
        built = self.fill_big(n, lambda p, js: p.hset(
            "big", mapping={b"field:%d" % j: b"%d" % j for j in js}))
        self.assertEqual(self.call("HLEN", "big"), n)
        self.assertEqual(self.call("HGET", "big", "field:%d" % (n - 1)), b"%d" % (n - 1))
        self.assertEqual(self.call("TYPE", "big"), "hash")
        seen, total = set(), 0

        def check(batch):
            nonlocal total
            for f, v in zip(batch[::2], batch[1::2]):
                self.assertEqual(f, b"field:" + v)
            seen.update(batch[::2])
            total += len(batch) // 2

        scanned, calls = self.scan_big("HSCAN", "big", check)
        self.assertEqual(len(seen), n)
        self.assertEqual(total, n)  # each field exactly once
        self.delete_big("big", "HLEN", "\n%d-field hash: built in %.1f s, HSCAN %.1f s (%d calls)"
                        % (n, built, scanned, calls))
        self.assertEqual(self.call("HSET", "big", "x", "1"), 1)  # no old field comes back
        self.assertEqual(self.call("HLEN", "big"), 1)


if __name__ == "__main__":
    unittest.main()
