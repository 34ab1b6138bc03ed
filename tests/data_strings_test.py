"""String commands (Redis 7.0 t_string.c): replies, exact error texts, binary safety, big values,
through raw RESP, python3-redis and redis-cli."""
import time
import unittest

from differential import Conn, ServerTestCase, stashd_only

ERR_INT = ("error", "ERR value is not an integer or out of range")
ERR_FLOAT = ("error", "ERR value is not a valid float")
ERR_SYNTAX = ("error", "ERR syntax error")


def arity(cmd):
    return ("error", "ERR wrong number of arguments for '%s' command" % cmd)


def expire_error(cmd):
    return ("error", "ERR invalid expire time in '%s' command" % cmd)


class DataTestCase(ServerTestCase):
    """A raw connection (self.c) on a flushed server for every test. With DATA_TARGET=redis the
    same tests run against a stock redis-server, to check the expectations themselves."""

    def setUp(self):
        self.c = Conn(self.server.port)
        self.assertEqual(self.c.call("FLUSHALL"), "OK")
        self.r = self.server.client()

    def tearDown(self):
        self.c.close()
        self.r.close()

    def call(self, *args):
        return self.c.call(*args)

    def stats(self, section):
        return self.r.info(section)


class SetGetTest(DataTestCase):
    def test_set_get_binary_safe(self):
        for value in [b"", b"a\x00b", b"\r\n", b"x\r\n$3\r\nfoo\r\n", bytes(range(256))]:
            self.assertEqual(self.call("SET", b"k\x00\r\n", value), "OK")
            self.assertEqual(self.call("GET", b"k\x00\r\n"), value)
            self.assertEqual(self.call("STRLEN", b"k\x00\r\n"), len(value))
        self.assertEqual(self.call("SET", "", "empty key"), "OK")
        self.assertEqual(self.call("GET", ""), b"empty key")
        self.assertIsNone(self.call("GET", "missing"))

    def test_64mb_value_round_trips_through_python(self):
        big = bytes(range(256)) * (64 * 1024 * 1024 // 256)
        big = big[:-3] + b"\r\n\x00"
        self.assertTrue(self.r.set("big", big))
        self.assertEqual(self.r.strlen("big"), 64 * 1024 * 1024)
        got = self.r.get("big")
        self.assertEqual(len(got), len(big))
        self.assertTrue(got == big)
        self.assertEqual(self.r.getrange("big", -3, -1), b"\r\n\x00")
        self.assertEqual(self.r.append("big", b"!"), 64 * 1024 * 1024 + 1)
        self.assertEqual(self.r.getrange("big", 64 * 1024 * 1024 - 1, -1), b"\x00!")
        self.assertEqual(self.r.delete("big"), 1)

    def test_set_options_nx_xx_get(self):
        self.assertIsNone(self.call("SET", "k", "1", "XX"))
        self.assertIsNone(self.call("GET", "k"))
        self.assertEqual(self.call("SET", "k", "1", "NX"), "OK")
        self.assertIsNone(self.call("SET", "k", "2", "NX"))
        self.assertEqual(self.call("GET", "k"), b"1")
        self.assertEqual(self.call("SET", "k", "3", "xx"), "OK")
        self.assertEqual(self.call("SET", "k", "4", "GET"), b"3")
        self.assertIsNone(self.call("SET", "new", "v", "GET"))
        self.assertEqual(self.call("GET", "new"), b"v")
        # NX GET (Redis 7.0): returns the old value and does not set.
        self.assertEqual(self.call("SET", "k", "5", "NX", "GET"), b"4")
        self.assertEqual(self.call("GET", "k"), b"4")
        self.assertIsNone(self.call("SET", "nx-get", "5", "NX", "GET"))
        self.assertEqual(self.call("GET", "nx-get"), b"5")
        self.assertIsNone(self.call("SET", "xx-get", "5", "XX", "GET"))
        self.assertIsNone(self.call("GET", "xx-get"))
        # The same flag twice is accepted, as in Redis.
        self.assertEqual(self.call("SET", "k", "6", "XX", "XX"), "OK")

    def test_set_option_errors(self):
        self.assertEqual(self.call("SET", "k", "v", "NX", "XX"), ERR_SYNTAX)
        self.assertEqual(self.call("SET", "k", "v", "XX", "NX"), ERR_SYNTAX)
        self.assertEqual(self.call("SET", "k", "v", "EX"), ERR_SYNTAX)
        self.assertEqual(self.call("SET", "k", "v", "EX", "10", "PX", "100"), ERR_SYNTAX)
        self.assertEqual(self.call("SET", "k", "v", "EX", "10", "KEEPTTL"), ERR_SYNTAX)
        self.assertEqual(self.call("SET", "k", "v", "KEEPTTL", "PXAT", "10"), ERR_SYNTAX)
        self.assertEqual(self.call("SET", "k", "v", "PERSIST"), ERR_SYNTAX)
        self.assertEqual(self.call("SET", "k", "v", "bogus"), ERR_SYNTAX)
        self.assertEqual(self.call("SET", "k", "v", "EX", "abc"), ERR_INT)
        self.assertEqual(self.call("SET", "k", "v", "EX", "0"), expire_error("set"))
        self.assertEqual(self.call("SET", "k", "v", "PX", "-5"), expire_error("set"))
        self.assertEqual(self.call("SET", "k", "v", "EXAT", "0"), expire_error("set"))
        self.assertEqual(self.call("SET", "k", "v", "EX", "9223372036854775807"),
                         expire_error("set"))
        self.assertEqual(self.call("SET", "k", "v", "PX", "9223372036854775807"),
                         expire_error("set"))
        # Options are checked before the number: a syntax error wins.
        self.assertEqual(self.call("SET", "k", "v", "EX", "abc", "NX", "XX"), ERR_SYNTAX)
        self.assertEqual(self.call("SET", "k"), arity("set"))
        self.assertEqual(self.call("DBSIZE"), 0)

    def test_set_expiry_options(self):
        now = int(time.time() * 1000)
        self.assertEqual(self.call("SET", "ex", "v", "EX", "100"), "OK")
        self.assertEqual(self.call("TTL", "ex"), 100)
        self.assertEqual(self.call("SET", "px", "v", "PX", "100000"), "OK")
        self.assertTrue(99000 < self.call("PTTL", "px") <= 100000)
        self.assertEqual(self.call("SET", "exat", "v", "EXAT", str(now // 1000 + 500)), "OK")
        self.assertEqual(self.call("EXPIRETIME", "exat"), now // 1000 + 500)
        self.assertEqual(self.call("SET", "pxat", "v", "PXAT", str(now + 123456)), "OK")
        self.assertEqual(self.call("PEXPIRETIME", "pxat"), now + 123456)
        # KEEPTTL keeps it; a plain SET drops it.
        self.assertEqual(self.call("SET", "pxat", "w", "KEEPTTL"), "OK")
        self.assertEqual(self.call("PEXPIRETIME", "pxat"), now + 123456)
        self.assertEqual(self.call("GET", "pxat"), b"w")
        self.assertEqual(self.call("SET", "pxat", "x"), "OK")
        self.assertEqual(self.call("TTL", "pxat"), -1)
        # KEEPTTL on a new key: no TTL.
        self.assertEqual(self.call("SET", "fresh", "v", "KEEPTTL"), "OK")
        self.assertEqual(self.call("TTL", "fresh"), -1)
        # An absolute time in the past: the key is gone at once.
        self.assertEqual(self.call("SET", "ex", "v", "PXAT", str(now - 1000)), "OK")
        self.assertIsNone(self.call("GET", "ex"))
        self.assertEqual(self.call("EXISTS", "ex"), 0)
        self.assertEqual(self.call("DBSIZE"), 4)
        self.assertEqual(self.call("SET", "past", "v", "EXAT", "1", "GET"), None)
        self.assertEqual(self.call("EXISTS", "past"), 0)

    def test_setnx_setex_psetex(self):
        self.assertEqual(self.call("SETNX", "k", "1"), 1)
        self.assertEqual(self.call("SETNX", "k", "2"), 0)
        self.assertEqual(self.call("GET", "k"), b"1")
        self.assertEqual(self.call("SETEX", "k", "100", "v"), "OK")
        self.assertEqual(self.call("TTL", "k"), 100)
        self.assertEqual(self.call("GET", "k"), b"v")
        self.assertEqual(self.call("PSETEX", "p", "100000", "v"), "OK")
        self.assertTrue(99000 < self.call("PTTL", "p") <= 100000)
        self.assertEqual(self.call("SETEX", "k", "0", "v"), expire_error("setex"))
        self.assertEqual(self.call("SETEX", "k", "-1", "v"), expire_error("setex"))
        self.assertEqual(self.call("PSETEX", "k", "0", "v"), expire_error("psetex"))
        self.assertEqual(self.call("SETEX", "k", "x", "v"), ERR_INT)
        self.assertEqual(self.call("SETEX", "k", "10"), arity("setex"))
        self.assertEqual(self.call("SETNX", "k"), arity("setnx"))
        self.assertEqual(self.call("TTL", "k"), 100)  # failed commands changed nothing

    def test_getset_getdel(self):
        self.assertIsNone(self.call("GETSET", "k", "1"))
        self.assertEqual(self.call("SETEX", "k", "100", "2"), "OK")
        self.assertEqual(self.call("GETSET", "k", "3"), b"2")
        self.assertEqual(self.call("TTL", "k"), -1)  # GETSET drops the TTL
        self.assertEqual(self.call("GETDEL", "k"), b"3")
        self.assertIsNone(self.call("GETDEL", "k"))
        self.assertEqual(self.call("EXISTS", "k"), 0)
        self.assertEqual(self.call("GETDEL", "k", "x"), arity("getdel"))

    def test_getex(self):
        now = int(time.time() * 1000)
        self.assertIsNone(self.call("GETEX", "missing"))
        self.assertIsNone(self.call("GETEX", "missing", "EX", "10"))
        self.assertEqual(self.call("SET", "k", "v"), "OK")
        self.assertEqual(self.call("GETEX", "k"), b"v")
        self.assertEqual(self.call("TTL", "k"), -1)
        self.assertEqual(self.call("GETEX", "k", "EX", "100"), b"v")
        self.assertEqual(self.call("TTL", "k"), 100)
        self.assertEqual(self.call("GETEX", "k", "PXAT", str(now + 200000)), b"v")
        self.assertEqual(self.call("PEXPIRETIME", "k"), now + 200000)
        self.assertEqual(self.call("GETEX", "k", "EXAT", str(now // 1000 + 300)), b"v")
        self.assertEqual(self.call("EXPIRETIME", "k"), now // 1000 + 300)
        self.assertEqual(self.call("GETEX", "k", "PX", "50000"), b"v")
        self.assertTrue(49000 < self.call("PTTL", "k") <= 50000)
        self.assertEqual(self.call("GETEX", "k", "PERSIST"), b"v")
        self.assertEqual(self.call("TTL", "k"), -1)
        self.assertEqual(self.call("GETEX", "k", "EX", "0"), expire_error("getex"))
        self.assertEqual(self.call("GETEX", "k", "EX", "x"), ERR_INT)
        self.assertEqual(self.call("GETEX", "k", "PX", "-1"), expire_error("getex"))
        self.assertEqual(self.call("GETEX", "k", "EX", "10", "PERSIST"), ERR_SYNTAX)
        self.assertEqual(self.call("GETEX", "k", "PERSIST", "EX", "10"), ERR_SYNTAX)
        self.assertEqual(self.call("GETEX", "k", "EX", "10", "PX", "10"), ERR_SYNTAX)
        self.assertEqual(self.call("GETEX", "k", "NX"), ERR_SYNTAX)
        self.assertEqual(self.call("GETEX", "k", "KEEPTTL"), ERR_SYNTAX)
        self.assertEqual(self.call("GETEX", "k", "GET"), ERR_SYNTAX)
        self.assertEqual(self.call("GETEX", "k", "EX"), ERR_SYNTAX)
        self.assertEqual(self.call("TTL", "k"), -1)
        # A past absolute time deletes the key (and still returns the value).
        self.assertEqual(self.call("GETEX", "k", "PXAT", str(now - 1)), b"v")
        self.assertEqual(self.call("EXISTS", "k"), 0)
        self.assertEqual(self.call("DBSIZE"), 0)


class MultiKeyTest(DataTestCase):
    def test_mget_mset_msetnx(self):
        self.assertEqual(self.call("MSET", "a", "1", "b", "2", "a", "3"), "OK")
        self.assertEqual(self.call("MGET", "a", "b", "c", "a"), [b"3", b"2", None, b"3"])
        self.assertEqual(self.call("MSETNX", "c", "1", "a", "x"), 0)
        self.assertIsNone(self.call("GET", "c"))
        self.assertEqual(self.call("MSETNX", "c", "1", "d", "2"), 1)
        self.assertEqual(self.call("MGET", "c", "d"), [b"1", b"2"])
        self.assertEqual(self.call("MSET", "a"), arity("mset"))
        self.assertEqual(self.call("MSET", "a", "1", "b"), arity("mset"))
        self.assertEqual(self.call("MSETNX", "a", "1", "b"), arity("msetnx"))
        self.assertEqual(self.call("MGET"), arity("mget"))
        self.assertEqual(self.call("DBSIZE"), 4)
        # MSET drops TTLs of the keys it overwrites.
        self.assertEqual(self.call("EXPIRE", "a", "100"), 1)
        self.assertEqual(self.call("MSET", "a", "9"), "OK")
        self.assertEqual(self.call("TTL", "a"), -1)

    def test_mset_is_atomic_for_readers(self):
        # A reader never sees part of an MSET.
        import threading
        stop = threading.Event()
        bad = []

        def reader():
            r = self.server.client()
            while not stop.is_set():
                a, b = r.mget("x", "y")
                if a != b:
                    bad.append((a, b))
                n = r.exists("x", "y", "x")
                if n not in (0, 3):
                    bad.append(n)

        t = threading.Thread(target=reader)
        t.start()
        try:
            for i in range(300):
                self.r.mset({"x": i, "y": i})
                if i % 3 == 0:
                    self.r.delete("x", "y")
        finally:
            stop.set()
            t.join()
        self.assertEqual(bad, [])


class AppendRangeTest(DataTestCase):
    def test_append_strlen(self):
        self.assertEqual(self.call("APPEND", "k", "ab"), 2)
        self.assertEqual(self.call("APPEND", "k", b"\x00\r\n"), 5)
        self.assertEqual(self.call("GET", "k"), b"ab\x00\r\n")
        self.assertEqual(self.call("APPEND", "k", ""), 5)
        self.assertEqual(self.call("STRLEN", "k"), 5)
        self.assertEqual(self.call("STRLEN", "nokey"), 0)
        # APPEND keeps the TTL.
        self.assertEqual(self.call("EXPIRE", "k", "100"), 1)
        self.assertEqual(self.call("APPEND", "k", "z"), 6)
        self.assertEqual(self.call("TTL", "k"), 100)
        self.assertEqual(self.call("APPEND", "k"), arity("append"))

    def test_getrange_substr(self):
        self.assertEqual(self.call("SET", "k", "Hello World"), "OK")
        cases = [(0, 3, b"Hell"), (-3, -1, b"rld"), (0, -1, b"Hello World"), (10, 100, b"d"),
                 (5, 3, b""), (-1, -5, b""), (-100, 2, b"Hel"), (11, 12, b""), (0, 0, b"H"),
                 (-1, -1, b"d"), (3, -100, b""),
                 ("-9223372036854775808", "9223372036854775807", b"Hello World")]
        for start, end, want in cases:
            self.assertEqual(self.call("GETRANGE", "k", str(start), str(end)), want,
                             (start, end))
            self.assertEqual(self.call("SUBSTR", "k", str(start), str(end)), want)
        self.assertEqual(self.call("GETRANGE", "nokey", "0", "-1"), b"")
        self.assertEqual(self.call("SET", "e", ""), "OK")
        self.assertEqual(self.call("GETRANGE", "e", "0", "-1"), b"")
        self.assertEqual(self.call("GETRANGE", "k", "x", "1"), ERR_INT)
        self.assertEqual(self.call("GETRANGE", "k", "0", "1.5"), ERR_INT)
        self.assertEqual(self.call("GETRANGE", "k", "0"), arity("getrange"))
        self.assertEqual(self.call("SUBSTR", "k", "0"), arity("substr"))

    def test_setrange(self):
        self.assertEqual(self.call("SETRANGE", "k", "5", "ab"), 7)
        self.assertEqual(self.call("GET", "k"), b"\x00" * 5 + b"ab")
        self.assertEqual(self.call("SETRANGE", "k", "0", "XYZ"), 7)
        self.assertEqual(self.call("GET", "k"), b"XYZ\x00\x00ab")
        self.assertEqual(self.call("SETRANGE", "k", "6", "123"), 9)
        self.assertEqual(self.call("GET", "k"), b"XYZ\x00\x00a123")
        self.assertEqual(self.call("SETRANGE", "k", "100", ""), 9)
        self.assertEqual(self.call("SETRANGE", "empty", "100", ""), 0)
        self.assertEqual(self.call("EXISTS", "empty"), 0)
        self.assertEqual(self.call("SETRANGE", "k", "-1", "a"), ("error", "ERR offset is out of range"))
        self.assertEqual(self.call("SETRANGE", "k", "x", "a"), ERR_INT)
        too_big = ("error", "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
        self.assertEqual(self.call("SETRANGE", "k", "536870912", "a"), too_big)
        self.assertEqual(self.call("SETRANGE", "k", "536870911", "ab"), too_big)
        self.assertEqual(self.call("SETRANGE", "k", "9223372036854775807", "a"), too_big)
        self.assertEqual(self.call("SETRANGE", "new", "9223372036854775807", "a"), too_big)
        self.assertEqual(self.call("EXISTS", "new"), 0)
        # SETRANGE keeps the TTL.
        self.assertEqual(self.call("EXPIRE", "k", "100"), 1)
        self.assertEqual(self.call("SETRANGE", "k", "0", "q"), 9)
        self.assertEqual(self.call("TTL", "k"), 100)


class CounterTest(DataTestCase):
    def test_incr_decr(self):
        self.assertEqual(self.call("INCR", "n"), 1)
        self.assertEqual(self.call("INCRBY", "n", "10"), 11)
        self.assertEqual(self.call("DECR", "n"), 10)
        self.assertEqual(self.call("DECRBY", "n", "-5"), 15)
        self.assertEqual(self.call("DECRBY", "n", "20"), -5)
        self.assertEqual(self.call("GET", "n"), b"-5")
        self.assertEqual(self.call("DECR", "fresh"), -1)
        self.assertEqual(self.call("INCRBY", "fresh2", "-9223372036854775808"),
                         -9223372036854775808)

    def test_incr_errors(self):
        for value in ["abc", "", " 1", "1 ", "01", "+1", "1.0", "-0", "9223372036854775808",
                      "a\x00"]:
            self.assertEqual(self.call("SET", "s", value), "OK")
            self.assertEqual(self.call("INCR", "s"), ERR_INT, value)
            self.assertEqual(self.call("GET", "s"), value.encode())
        self.assertEqual(self.call("INCRBY", "n", "abc"), ERR_INT)
        self.assertEqual(self.call("INCRBY", "n", "1.5"), ERR_INT)
        self.assertEqual(self.call("DECRBY", "n", ""), ERR_INT)
        self.assertEqual(self.call("EXISTS", "n"), 0)
        self.assertEqual(self.call("SET", "max", "9223372036854775807"), "OK")
        overflow = ("error", "ERR increment or decrement would overflow")
        self.assertEqual(self.call("INCR", "max"), overflow)
        self.assertEqual(self.call("INCRBY", "max", "1"), overflow)
        self.assertEqual(self.call("DECRBY", "max", "-1"), overflow)
        self.assertEqual(self.call("INCRBY", "max", "-1"), 9223372036854775806)
        self.assertEqual(self.call("SET", "min", "-9223372036854775808"), "OK")
        self.assertEqual(self.call("DECR", "min"), overflow)
        self.assertEqual(self.call("DECRBY", "min", "9223372036854775807"), overflow)
        self.assertEqual(self.call("DECRBY", "min", "-9223372036854775808"),
                         ("error", "ERR decrement would overflow"))
        self.assertEqual(self.call("INCRBY", "min", "9223372036854775807"), -1)
        self.assertEqual(self.call("INCR"), arity("incr"))
        self.assertEqual(self.call("INCRBY", "n"), arity("incrby"))

    def test_incr_keeps_ttl(self):
        self.assertEqual(self.call("SET", "n", "5", "EX", "100"), "OK")
        self.assertEqual(self.call("INCR", "n"), 6)
        self.assertEqual(self.call("TTL", "n"), 100)
        self.assertEqual(self.call("INCRBYFLOAT", "n", "0.5"), b"6.5")
        self.assertEqual(self.call("TTL", "n"), 100)

    def test_incrbyfloat(self):
        cases = [("0.1", b"0.1"), ("0.2", b"0.3"), ("-0.3", b"0"), ("1e3", b"1000"),
                 ("5.0e-1", b"1000.5"), ("-1000.5", b"0"), ("3", b"3"), ("0x10", b"19")]
        for by, want in cases:
            self.assertEqual(self.call("INCRBYFLOAT", "f", by), want, by)
        self.assertEqual(self.call("GET", "f"), b"19")
        self.assertEqual(self.call("SET", "f", "10.50"), "OK")
        self.assertEqual(self.call("INCRBYFLOAT", "f", "0.1"), b"10.6")
        self.assertEqual(self.call("SET", "f", "5"), "OK")
        self.assertEqual(self.call("INCRBYFLOAT", "f", "-5"), b"0")
        self.assertEqual(self.call("INCRBYFLOAT", "big", "1e20"), b"100000000000000000000")
        nan_inf = ("error", "ERR increment would produce NaN or Infinity")
        self.assertEqual(self.call("INCRBYFLOAT", "f", "inf"), nan_inf)
        self.assertEqual(self.call("INCRBYFLOAT", "f", "nan"), ERR_FLOAT)
        self.assertEqual(self.call("INCRBYFLOAT", "f", "abc"), ERR_FLOAT)
        self.assertEqual(self.call("INCRBYFLOAT", "f", ""), ERR_FLOAT)
        self.assertEqual(self.call("INCRBYFLOAT", "f", " 1"), ERR_FLOAT)
        self.assertEqual(self.call("INCRBYFLOAT", "f", "1 "), ERR_FLOAT)
        self.assertEqual(self.call("SET", "s", "abc"), "OK")
        self.assertEqual(self.call("INCRBYFLOAT", "s", "1"), ERR_FLOAT)
        # strtold's range: overflow and underflow to zero are errors, a denormal is not.
        self.assertEqual(self.call("INCRBYFLOAT", "tiny", "1e-4940"), b"0")
        self.assertEqual(self.call("INCRBYFLOAT", "tiny", "1e-5000"), ERR_FLOAT)
        self.assertEqual(self.call("INCRBYFLOAT", "tiny", "1e5000"), ERR_FLOAT)
        # Up to 5119 characters of number are read.
        self.assertEqual(self.call("SET", "long", "0" * 5118 + "1"), "OK")
        self.assertEqual(self.call("INCRBYFLOAT", "long", "1"), b"2")
        self.assertEqual(self.call("SET", "long", "0" * 5119 + "1"), "OK")
        self.assertEqual(self.call("INCRBYFLOAT", "long", "1"), ERR_FLOAT)
        self.assertEqual(self.call("INCRBYFLOAT", "huge", "1e4000")[:20], b"9" * 20)
        self.assertEqual(self.call("INCRBYFLOAT", "f"), arity("incrbyfloat"))
        self.assertEqual(self.call("GET", "f"), b"0")

    def test_concurrent_incr_is_atomic(self):
        import threading

        def worker():
            r = self.server.client()
            p = r.pipeline(transaction=False)
            for _ in range(500):
                p.incr("ctr")
            p.execute()

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(self.r.get("ctr"), b"2000")


class ClientsTest(DataTestCase):
    def test_redis_cli(self):
        out, code = self.server.cli("SET", "cli", "hello world")
        self.assertEqual((out, code), ("OK\n", 0))
        out, _ = self.server.cli("GET", "cli")
        self.assertEqual(out, "hello world\n")
        out, _ = self.server.cli("INCRBY", "cnt", "7")
        self.assertEqual(out, "7\n")
        out, _ = self.server.cli("INCRBYFLOAT", "cnt", "0.5")
        self.assertEqual(out, "7.5\n")
        out, _ = self.server.cli("MGET", "cli", "nope")
        self.assertEqual(out, "hello world\n\n")
        out, _ = self.server.cli("GETRANGE", "cli", "0", "4")
        self.assertEqual(out, "hello\n")
        out, _ = self.server.cli("INCR", "cli")
        self.assertEqual(out.strip(), "ERR value is not an integer or out of range")
        # Binary values through redis-cli's -x (stdin as the last argument).
        out, _ = self.server.cli("-x", "SET", "bin", input=b"a\x00b\r\n")
        self.assertEqual(out, "OK\n")
        self.assertEqual(self.r.get("bin"), b"a\x00b\r\n")

    def test_python_client(self):
        self.assertTrue(self.r.set("p", "1", ex=100, nx=True))
        self.assertIsNone(self.r.set("p", "2", nx=True))
        self.assertEqual(self.r.set("p", "3", get=True), b"1")
        self.assertEqual(self.r.ttl("p"), -1)
        self.assertEqual(self.r.getex("p", ex=50), b"3")
        self.assertEqual(self.r.ttl("p"), 50)
        self.assertEqual(self.r.incrbyfloat("f", 2.5), 2.5)
        self.assertEqual(self.r.mget(["p", "f", "x"]), [b"3", b"2.5", None])
        self.assertTrue(self.r.msetnx({"m1": "a", "m2": "b"}))
        self.assertEqual(self.r.setrange("m1", 3, "zz"), 5)
        self.assertEqual(self.r.get("m1"), b"a\x00\x00zz")
        self.assertEqual(self.r.getdel("m2"), b"b")
        self.assertEqual(self.r.dbsize(), 3)

    def test_keyspace_hits_and_misses(self):
        before = self.stats("stats")
        self.call("SET", "h", "v")
        self.call("GET", "h")            # hit
        self.call("GET", "nope")         # miss
        self.call("MGET", "h", "nope", "h")  # 2 hits, 1 miss
        self.call("STRLEN", "h")         # hit
        self.call("GETRANGE", "nope", "0", "1")  # miss
        after = self.stats("stats")
        self.assertEqual(after["keyspace_hits"] - before["keyspace_hits"], 4)
        self.assertEqual(after["keyspace_misses"] - before["keyspace_misses"], 3)


if __name__ == "__main__":
    unittest.main()
