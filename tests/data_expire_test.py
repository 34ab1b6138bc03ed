"""Expiry (Redis 7.0 expire.c): EXPIRE PEXPIRE EXPIREAT PEXPIREAT [NX|XX|GT|LT], TTL PTTL
EXPIRETIME PEXPIRETIME, PERSIST; expired keys are invisible to every command from the
millisecond they expire, and the active cycle reclaims the ones nobody reads."""
import time
import unittest

from data_strings_test import DataTestCase, ERR_INT, arity
from differential import AGAINST_REDIS, Conn, stashd_only


def now_ms():
    return int(time.time() * 1000)


def expire_error(cmd):
    return ("error", "ERR invalid expire time in '%s' command" % cmd)


class ExpireCommandsTest(DataTestCase):
    def test_expire_and_ttl_forms(self):
        c = self.call
        self.assertEqual(c("EXPIRE", "nope", "100"), 0)
        self.assertEqual(c("TTL", "nope"), -2)
        self.assertEqual(c("PTTL", "nope"), -2)
        self.assertEqual(c("EXPIRETIME", "nope"), -2)
        self.assertEqual(c("PEXPIRETIME", "nope"), -2)
        c("SET", "k", "v")
        self.assertEqual(c("TTL", "k"), -1)
        self.assertEqual(c("PTTL", "k"), -1)
        self.assertEqual(c("EXPIRETIME", "k"), -1)
        self.assertEqual(c("PEXPIRETIME", "k"), -1)
        self.assertEqual(c("EXPIRE", "k", "100"), 1)
        self.assertEqual(c("TTL", "k"), 100)
        self.assertTrue(99000 < c("PTTL", "k") <= 100000)
        self.assertEqual(c("PEXPIRE", "k", "5400"), 1)
        self.assertEqual(c("TTL", "k"), 5)  # rounded to the nearest second
        self.assertEqual(c("PEXPIRE", "k", "5600"), 1)
        self.assertEqual(c("TTL", "k"), 6)
        t = now_ms() + 1000000
        self.assertEqual(c("PEXPIREAT", "k", str(t)), 1)
        self.assertEqual(c("PEXPIRETIME", "k"), t)
        self.assertEqual(c("EXPIREAT", "k", str(t // 1000)), 1)
        self.assertEqual(c("EXPIRETIME", "k"), t // 1000)
        self.assertEqual(c("PEXPIRETIME", "k"), t // 1000 * 1000)

    def test_expiretime_rounds_like_redis(self):
        base = (now_ms() // 1000 + 1000) * 1000
        self.call("SET", "k", "v")
        self.assertEqual(self.call("PEXPIREAT", "k", str(base + 700)), 1)
        self.assertEqual(self.call("EXPIRETIME", "k"), base // 1000 + 1)
        self.assertEqual(self.call("PEXPIREAT", "k", str(base + 499)), 1)
        self.assertEqual(self.call("EXPIRETIME", "k"), base // 1000)
        self.assertEqual(self.call("PEXPIREAT", "k", str(base + 500)), 1)
        self.assertEqual(self.call("EXPIRETIME", "k"), base // 1000 + 1)

    def test_past_or_negative_times_delete(self):
        c = self.call
        for args in (["EXPIRE", "k", "0"], ["EXPIRE", "k", "-10"], ["PEXPIRE", "k", "-1"],
                     ["EXPIREAT", "k", "1"], ["PEXPIREAT", "k", str(now_ms() - 1)],
                     ["PEXPIRE", "k", "-9223372036854775808"]):
            c("SET", "k", "v")
            c("SET", "other", "v")
            self.assertEqual(c(*args), 1, args)
            self.assertEqual(c("EXISTS", "k"), 0, args)
            self.assertEqual(c("DBSIZE"), 1)
        self.assertEqual(c("EXPIRE", "k", "-1"), 0)  # already gone

    def test_errors(self):
        c = self.call
        c("SET", "k", "v")
        self.assertEqual(c("EXPIRE", "k", "abc"), ERR_INT)
        self.assertEqual(c("EXPIRE", "k", "1.5"), ERR_INT)
        self.assertEqual(c("EXPIRE", "k", "9223372036854775807"), expire_error("expire"))
        self.assertEqual(c("EXPIRE", "k", "-9223372036854775808"), expire_error("expire"))
        self.assertEqual(c("EXPIREAT", "k", "9223372036854775807"), expire_error("expireat"))
        self.assertEqual(c("PEXPIRE", "k", "9223372036854775807"), expire_error("pexpire"))
        self.assertEqual(c("EXPIRE", "k", "10", "bogus"), ("error", "ERR Unsupported option bogus"))
        self.assertEqual(c("EXPIRE", "k", "abc", "bogus"),
                         ("error", "ERR Unsupported option bogus"))  # options first
        nx_err = ("error", "ERR NX and XX, GT or LT options at the same time are not compatible")
        self.assertEqual(c("EXPIRE", "k", "10", "NX", "XX"), nx_err)
        self.assertEqual(c("EXPIRE", "k", "10", "GT", "NX"), nx_err)
        self.assertEqual(c("PEXPIRE", "k", "10", "nx", "lt"), nx_err)
        self.assertEqual(c("EXPIRE", "k", "10", "GT", "LT"),
                         ("error", "ERR GT and LT options at the same time are not compatible"))
        self.assertEqual(c("EXPIRE", "k"), arity("expire"))
        self.assertEqual(c("PEXPIREAT", "k"), arity("pexpireat"))
        self.assertEqual(c("TTL"), arity("ttl"))
        self.assertEqual(c("PERSIST"), arity("persist"))
        self.assertEqual(c("TTL", "k"), -1)  # nothing changed
        # The unit conversion is checked for overflow, the relative base too.
        self.assertEqual(c("PEXPIREAT", "k", "9223372036854775807"), 1)
        self.assertEqual(c("PEXPIRETIME", "k"), 9223372036854775807)
        # Regression: EXPIRETIME's rounding overflowed (UBSan) at the largest time.
        self.assertEqual(c("EXPIRETIME", "k"), 9223372036854776)
        self.assertTrue(c("TTL", "k") > 9223370000000000)

    def test_nx_xx_gt_lt(self):
        c = self.call
        c("SET", "k", "v")
        self.assertEqual(c("EXPIRE", "k", "100", "XX"), 0)
        self.assertEqual(c("EXPIRE", "k", "100", "GT"), 0)  # no TTL = infinite
        self.assertEqual(c("TTL", "k"), -1)
        self.assertEqual(c("EXPIRE", "k", "100", "LT"), 1)
        self.assertEqual(c("TTL", "k"), 100)
        self.assertEqual(c("EXPIRE", "k", "200", "NX"), 0)
        self.assertEqual(c("EXPIRE", "k", "200", "XX"), 1)
        self.assertEqual(c("TTL", "k"), 200)
        self.assertEqual(c("EXPIRE", "k", "100", "GT"), 0)
        self.assertEqual(c("EXPIRE", "k", "300", "GT"), 1)
        self.assertEqual(c("EXPIRE", "k", "400", "LT"), 0)
        self.assertEqual(c("EXPIRE", "k", "50", "lt", "xx"), 1)
        self.assertEqual(c("TTL", "k"), 50)
        self.assertEqual(c("PERSIST", "k"), 1)
        self.assertEqual(c("PERSIST", "k"), 0)
        self.assertEqual(c("PERSIST", "nope"), 0)
        self.assertEqual(c("EXPIRE", "k", "100", "NX"), 1)
        self.assertEqual(c("TTL", "k"), 100)
        # GT/LT compare absolute times: the same TTL later is greater.
        t = now_ms() + 500000
        self.assertEqual(c("PEXPIREAT", "k", str(t)), 1)
        self.assertEqual(c("PEXPIREAT", "k", str(t), "GT"), 0)
        self.assertEqual(c("PEXPIREAT", "k", str(t), "LT"), 0)
        self.assertEqual(c("PEXPIREAT", "k", str(t + 1), "GT"), 1)
        self.assertEqual(c("PEXPIREAT", "k", str(t), "LT"), 1)
        self.assertEqual(c("PEXPIRETIME", "k"), t)
        # A past time with LT deletes.
        self.assertEqual(c("EXPIRE", "k", "-1", "LT"), 1)
        self.assertEqual(c("EXISTS", "k"), 0)

    def test_ttl_counts_in_info_keyspace(self):
        c = self.call
        c("SET", "a", "v", "EX", "100")
        c("SET", "b", "v")
        c("EXPIRE", "b", "100")
        c("PERSIST", "a")
        self.assertEqual(self.r.info("keyspace")["db0"]["expires"], 1)
        c("SET", "b", "w")  # plain SET clears the TTL
        self.assertEqual(self.r.info("keyspace")["db0"]["expires"], 0)


class ClientsTest(DataTestCase):
    def test_python_client(self):
        r = self.r
        r.set("k", "v")
        self.assertFalse(r.expire("k", 100, xx=True))
        self.assertTrue(r.expire("k", 100, nx=True))
        self.assertFalse(r.expire("k", 50, gt=True))
        self.assertTrue(r.pexpire("k", 50000, lt=True))
        self.assertTrue(49000 < r.pttl("k") <= 50000)
        self.assertEqual(r.ttl("k"), 50)
        t = now_ms() + 700000
        self.assertTrue(r.pexpireat("k", t))
        self.assertEqual(r.pexpiretime("k"), t)
        self.assertTrue(r.persist("k"))
        self.assertEqual(r.ttl("k"), -1)
        self.assertEqual(r.ttl("nope"), -2)

    def test_redis_cli(self):
        self.assertEqual(self.server.cli("SET", "k", "v", "EX", "100")[0], "OK\n")
        self.assertEqual(self.server.cli("TTL", "k")[0], "100\n")
        self.assertEqual(self.server.cli("EXPIRE", "k", "10", "GT")[0], "0\n")
        self.assertEqual(self.server.cli("PERSIST", "k")[0], "1\n")
        self.assertEqual(self.server.cli("TTL", "k")[0], "-1\n")
        self.assertEqual(self.server.cli("EXPIRE", "k", "x")[0].strip(),
                         "ERR value is not an integer or out of range")
        self.assertEqual(self.server.cli("PEXPIRE", "k", "-1")[0], "1\n")
        self.assertEqual(self.server.cli("EXISTS", "k")[0], "0\n")


class ExpiredKeyInvisibleTest(DataTestCase):
    @stashd_only  # Redis reads a clock cached per event-loop turn
    def test_expiry_boundary_is_the_millisecond(self):
        """GET answers with the value strictly before the expiry time and nil from it on."""
        s = Conn(self.server.port)
        try:
            for _ in range(3):
                t = now_ms() + 300
                self.assertEqual(s.call("SET", "k", "v", "PXAT", str(t)), "OK")
                saw_value = saw_nil = False
                while True:
                    sent = time.time() * 1000
                    reply = s.call("GET", "k")
                    received = time.time() * 1000
                    if reply == b"v":
                        self.assertLess(sent, t)
                        saw_value = True
                    else:
                        self.assertIsNone(reply)
                        self.assertGreaterEqual(received, t)
                        saw_nil = True
                        break
                    if t - received > 20:
                        time.sleep(0.01)
                self.assertTrue(saw_value and saw_nil)
        finally:
            s.close()

    @stashd_only
    def test_dbsize_drops_at_the_millisecond(self):
        s = Conn(self.server.port)
        try:
            for i in range(10):
                s.call("SET", "keep%d" % i, "v")
            t = now_ms() + 600
            for i in range(500):
                s.call("SET", "tmp%d" % i, "v", "PXAT", str(t))
            while True:
                sent = time.time() * 1000
                n = s.call("DBSIZE")
                received = time.time() * 1000
                if n == 510:
                    self.assertLess(sent, t)
                else:
                    self.assertEqual(n, 10)
                    self.assertGreaterEqual(received, t)
                    break
                if t - received > 20:
                    time.sleep(0.01)
        finally:
            s.close()

    def test_every_command_ignores_an_expired_key(self):
        c = self.call
        c("SET", "keep", "k")
        names = ["get", "mget", "exists", "ttl", "pttl", "expiretime", "type", "strlen",
                 "getrange", "incr", "incrbyfloat", "append", "setrange", "setnx", "setnx2",
                 "msetnx", "getset", "getdel", "getex", "rename", "renamenx", "copy", "move",
                 "expire", "persist", "touch", "del", "setxx", "setget", "copydst", "renamedst",
                 "movedst", "keepttl"]
        t = now_ms() + 400
        for n in names:
            self.assertEqual(c("SET", n, "41", "PXAT", str(t)), "OK")
        c("SELECT", "1")
        self.assertEqual(c("SET", "movedst", "9", "PXAT", str(t)), "OK")
        c("SELECT", "2")
        for i in range(5):
            self.assertEqual(c("SET", "only%d" % i, "9", "PXAT", str(t)), "OK")
        c("SELECT", "0")
        self.assertEqual(c("DBSIZE"), len(names) + 1)
        time.sleep(max(0, t - now_ms()) / 1000 + 0.002)
        self.assertIsNone(c("GET", "get"))
        self.assertEqual(c("MGET", "mget", "keep"), [None, b"k"])
        self.assertEqual(c("EXISTS", "exists", "exists", "keep"), 1)
        self.assertEqual(c("TTL", "ttl"), -2)
        self.assertEqual(c("PTTL", "pttl"), -2)
        self.assertEqual(c("EXPIRETIME", "expiretime"), -2)
        self.assertEqual(c("TYPE", "type"), "none")
        self.assertEqual(c("STRLEN", "strlen"), 0)
        self.assertEqual(c("GETRANGE", "getrange", "0", "-1"), b"")
        self.assertEqual(c("INCR", "incr"), 1)
        self.assertEqual(c("INCRBYFLOAT", "incrbyfloat", "1.5"), b"1.5")
        self.assertEqual(c("APPEND", "append", "x"), 1)
        self.assertEqual(c("GET", "append"), b"x")
        self.assertEqual(c("SETRANGE", "setrange", "1", "x"), 2)
        self.assertEqual(c("GET", "setrange"), b"\x00x")
        self.assertEqual(c("SET", "setnx", "new", "NX"), "OK")
        self.assertEqual(c("SETNX", "setnx2", "new"), 1)
        self.assertEqual(c("MSETNX", "msetnx", "new"), 1)
        self.assertIsNone(c("GETSET", "getset", "new"))
        self.assertIsNone(c("GETDEL", "getdel"))
        self.assertIsNone(c("GETEX", "getex", "PERSIST"))
        self.assertEqual(c("RENAME", "rename", "x"), ("error", "ERR no such key"))
        self.assertEqual(c("RENAMENX", "renamenx", "x"), ("error", "ERR no such key"))
        self.assertEqual(c("COPY", "copy", "x"), 0)
        self.assertEqual(c("MOVE", "move", "1"), 0)
        self.assertEqual(c("EXPIRE", "expire", "100"), 0)
        self.assertEqual(c("PERSIST", "persist"), 0)
        self.assertEqual(c("TOUCH", "touch"), 0)
        self.assertEqual(c("DEL", "del"), 0)
        self.assertIsNone(c("SET", "setxx", "new", "XX"))
        self.assertIsNone(c("SET", "setget", "new", "GET"))
        self.assertEqual(c("SET", "keepttl", "new", "KEEPTTL"), "OK")
        self.assertEqual(c("TTL", "keepttl"), -1)
        # Expired targets count as absent.
        self.assertEqual(c("COPY", "keep", "copydst"), 1)
        self.assertEqual(c("RENAMENX", "getset", "renamedst"), 1)
        self.assertEqual(c("SET", "movedst", "m"), "OK")  # expired in db 0, then set again
        self.assertEqual(c("MOVE", "movedst", "1"), 1)    # over the expired one of db 1
        live = {b"keep", b"incr", b"incrbyfloat", b"append", b"setrange", b"setnx", b"setnx2",
                b"msetnx", b"renamedst", b"setget", b"keepttl", b"copydst"}
        self.assertEqual(set(c("KEYS", "*")), live)
        cursor, keys = b"0", []
        while True:
            cursor, batch = c("SCAN", cursor, "COUNT", "5")
            keys += batch
            if cursor == b"0":
                break
        self.assertEqual(set(keys), live)
        self.assertEqual(c("DBSIZE"), len(live))
        self.assertEqual(c("SELECT", "1"), "OK")
        self.assertEqual(c("GET", "movedst"), b"m")
        self.assertEqual(c("TTL", "movedst"), -1)
        self.assertEqual(c("KEYS", "*"), [b"movedst"])
        self.assertEqual(c("DBSIZE"), 1)
        self.assertEqual(c("DEL", "movedst"), 1)
        self.assertIsNone(c("RANDOMKEY"))
        self.assertEqual(c("SELECT", "2"), "OK")
        self.assertIsNone(c("RANDOMKEY"))  # only expired keys
        self.assertEqual(c("SCAN", "0"), [b"0", []])


class ActiveExpiryTest(DataTestCase):
    def test_unread_expired_keys_are_reclaimed(self):
        c = self.call
        base = self.r.info("stats")["expired_keys"]
        p = self.r.pipeline(transaction=False)
        for i in range(300):
            p.set("tmp%d" % i, "v", px=150)
        for i in range(20):
            p.set("keep%d" % i, "v")
        for i in range(5):
            p.set("later%d" % i, "v", ex=1000)
        p.execute()
        info = self.r.info("keyspace")["db0"]
        self.assertEqual((info["keys"], info["expires"]), (325, 305))
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.r.info("stats")["expired_keys"] - base >= 300:
                break
            time.sleep(0.05)
        time.sleep(0.3)  # and nothing more than those is reclaimed
        self.assertEqual(self.r.info("stats")["expired_keys"] - base, 300)
        info = self.r.info("keyspace")["db0"]
        self.assertEqual((info["keys"], info["expires"]), (25, 5))
        self.assertEqual(c("DBSIZE"), 25)
        self.assertEqual(len(c("KEYS", "*")), 25)

    def test_reclaims_in_every_database(self):
        base = self.r.info("stats")["expired_keys"]
        for db in (0, 5, 15):
            self.call("SELECT", str(db))
            for i in range(10):
                self.call("SET", "t%d" % i, "v", "PX", "100")
        deadline = time.time() + 10
        while time.time() < deadline and self.r.info("stats")["expired_keys"] - base < 30:
            time.sleep(0.05)
        self.assertEqual(self.r.info("stats")["expired_keys"] - base, 30)
        self.assertEqual(self.r.info("keyspace"), {})


if __name__ == "__main__":
    unittest.main()
