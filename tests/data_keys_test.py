"""Keyspace commands (Redis 7.0 db.c): DEL UNLINK EXISTS TYPE RENAME RENAMENX COPY MOVE TOUCH
KEYS RANDOMKEY DBSIZE SELECT FLUSHDB FLUSHALL SWAPDB; INFO keyspace and keyspace hit/miss
statistics."""
import unittest

from data_strings_test import DataTestCase, ERR_INT, ERR_SYNTAX, arity
from differential import AGAINST_REDIS, Conn, stashd_only

SAME = ("error", "ERR source and destination objects are the same")
DB_RANGE = ("error", "ERR DB index is out of range")
INT_RANGE = ("error", "ERR value is out of range, value must between -2147483648 and 2147483647")


class DelExistsTypeTest(DataTestCase):
    def test_del_unlink_exists(self):
        self.assertEqual(self.call("MSET", "a", "1", "b", "2", "c", "3"), "OK")
        self.assertEqual(self.call("EXISTS", "a", "a", "b", "nope", "a"), 4)
        self.assertEqual(self.call("DEL", "a", "nope", "a"), 1)
        self.assertEqual(self.call("UNLINK", "b", "c", "b"), 2)
        self.assertEqual(self.call("EXISTS", "a", "b", "c"), 0)
        self.assertEqual(self.call("DEL", "a"), 0)
        self.assertEqual(self.call("DBSIZE"), 0)
        self.assertEqual(self.call("DEL"), arity("del"))
        self.assertEqual(self.call("UNLINK"), arity("unlink"))
        self.assertEqual(self.call("EXISTS"), arity("exists"))

    def test_type_and_touch(self):
        self.assertEqual(self.call("SET", "s", "v"), "OK")
        self.assertEqual(self.call("TYPE", "s"), "string")
        self.assertEqual(self.call("TYPE", "nope"), "none")
        self.assertEqual(self.call("TOUCH", "s", "nope", "s"), 2)
        self.assertEqual(self.call("TYPE"), arity("type"))
        self.assertEqual(self.call("TOUCH"), arity("touch"))


class RenameCopyMoveTest(DataTestCase):
    def test_rename(self):
        self.assertEqual(self.call("RENAME", "nope", "x"), ("error", "ERR no such key"))
        self.assertEqual(self.call("RENAME", "nope", "nope"), ("error", "ERR no such key"))
        self.assertEqual(self.call("SET", "a", "1", "EX", "100"), "OK")
        self.assertEqual(self.call("SET", "b", "2"), "OK")
        self.assertEqual(self.call("RENAME", "a", "a"), "OK")
        self.assertEqual(self.call("RENAME", "a", "b"), "OK")
        self.assertEqual(self.call("GET", "b"), b"1")
        self.assertEqual(self.call("TTL", "b"), 100)  # the TTL moves with the key
        self.assertEqual(self.call("EXISTS", "a"), 0)
        self.assertEqual(self.call("DBSIZE"), 1)
        self.assertEqual(self.call("RENAME", "b", "c"), "OK")
        self.assertEqual(self.call("KEYS", "*"), [b"c"])
        self.assertEqual(self.call("RENAME", "c"), arity("rename"))

    def test_renamenx(self):
        self.assertEqual(self.call("RENAMENX", "nope", "x"), ("error", "ERR no such key"))
        self.assertEqual(self.call("MSET", "a", "1", "b", "2"), "OK")
        self.assertEqual(self.call("RENAMENX", "a", "b"), 0)
        self.assertEqual(self.call("RENAMENX", "a", "a"), 0)
        self.assertEqual(self.call("RENAMENX", "a", "c"), 1)
        self.assertEqual(self.call("MGET", "a", "b", "c"), [None, b"2", b"1"])
        self.assertEqual(self.call("DBSIZE"), 2)
        # RENAME over a key with a TTL: the target's TTL goes, the source's comes.
        self.assertEqual(self.call("EXPIRE", "b", "100"), 1)
        self.assertEqual(self.call("RENAME", "c", "b"), "OK")
        self.assertEqual(self.call("TTL", "b"), -1)

    def test_copy(self):
        self.assertEqual(self.call("SET", "src", "v", "EX", "100"), "OK")
        self.assertEqual(self.call("COPY", "src", "dst"), 1)
        self.assertEqual(self.call("GET", "dst"), b"v")
        self.assertEqual(self.call("TTL", "dst"), 100)
        self.assertEqual(self.call("COPY", "src", "dst"), 0)
        self.assertEqual(self.call("SET", "src", "w"), "OK")
        self.assertEqual(self.call("COPY", "src", "dst", "REPLACE"), 1)
        self.assertEqual(self.call("GET", "dst"), b"w")
        self.assertEqual(self.call("TTL", "dst"), -1)
        self.assertEqual(self.call("COPY", "nope", "dst"), 0)
        self.assertEqual(self.call("COPY", "src", "src"), SAME)
        self.assertEqual(self.call("COPY", "src", "src", "DB", "0"), SAME)
        self.assertEqual(self.call("COPY", "src", "src", "DB", "1"), 1)
        self.assertEqual(self.call("COPY", "src", "other", "db", "1", "replace"), 1)
        self.assertEqual(self.call("COPY", "src", "x", "DB", "16"), DB_RANGE)
        self.assertEqual(self.call("COPY", "src", "x", "DB", "-1"), DB_RANGE)
        self.assertEqual(self.call("COPY", "src", "x", "DB", "abc"), ERR_INT)
        self.assertEqual(self.call("COPY", "src", "x", "DB", "4294967296"), INT_RANGE)
        self.assertEqual(self.call("COPY", "src", "x", "DB"), ERR_SYNTAX)
        self.assertEqual(self.call("COPY", "src", "x", "bogus"), ERR_SYNTAX)
        self.assertEqual(self.call("COPY", "src"), arity("copy"))
        self.assertEqual(self.call("DBSIZE"), 2)
        self.assertEqual(self.call("SELECT", "1"), "OK")
        self.assertEqual(self.call("MGET", "src", "other"), [b"w", b"w"])
        self.assertEqual(self.call("DBSIZE"), 2)

    def test_move(self):
        self.assertEqual(self.call("SET", "k", "v", "EX", "100"), "OK")
        self.assertEqual(self.call("MOVE", "k", "0"), SAME)
        self.assertEqual(self.call("MOVE", "k", "16"), DB_RANGE)
        self.assertEqual(self.call("MOVE", "k", "-1"), DB_RANGE)
        self.assertEqual(self.call("MOVE", "k", "x"), ERR_INT)
        self.assertEqual(self.call("MOVE", "k", "-2147483649"), INT_RANGE)
        self.assertEqual(self.call("MOVE", "nope", "1"), 0)
        self.assertEqual(self.call("MOVE", "k", "1"), 1)
        self.assertEqual(self.call("EXISTS", "k"), 0)
        self.assertEqual(self.call("DBSIZE"), 0)
        self.assertEqual(self.call("SET", "k", "again"), "OK")
        self.assertEqual(self.call("MOVE", "k", "1"), 0)  # target exists
        self.assertEqual(self.call("GET", "k"), b"again")
        self.assertEqual(self.call("SELECT", "1"), "OK")
        self.assertEqual(self.call("GET", "k"), b"v")
        self.assertEqual(self.call("TTL", "k"), 100)
        self.assertEqual(self.call("DBSIZE"), 1)
        self.assertEqual(self.call("MOVE", "k"), arity("move"))


class KeysTest(DataTestCase):
    def test_keys_globs(self):
        names = [b"hello", b"hallo", b"hxllo", b"hllo", b"heeeello", b"user:1", b"user:2",
                 b"user:10", b"a*b", b"a?b", b"ab", b"x\x00y", b"[x]", b"h\\llo"]
        for n in names:
            self.assertEqual(self.call("SET", n, "1"), "OK")
        cases = {
            b"*": names,
            b"h?llo": [b"hello", b"hallo", b"hxllo", b"h\\llo"],
            b"h*llo": [b"hello", b"hallo", b"hxllo", b"hllo", b"heeeello", b"h\\llo"],
            b"h[ae]llo": [b"hello", b"hallo"],
            b"h[^e]llo": [b"hallo", b"hxllo", b"h\\llo"],
            b"h[a-b]llo": [b"hallo"],
            b"h[b-a]llo": [b"hallo"],
            b"user:*": [b"user:1", b"user:2", b"user:10"],
            b"user:?": [b"user:1", b"user:2"],
            b"a\\*b": [b"a*b"],
            b"a\\?b": [b"a?b"],
            b"a*b": [b"a*b", b"a?b", b"ab"],
            b"\\[x\\]": [b"[x]"],
            b"x\x00*": [b"x\x00y"],
            b"h\\\\llo": [b"h\\llo"],
            b"nothing*": [],
            b"": [],
            b"*1*": [b"user:1", b"user:10"],
        }
        for pattern, want in cases.items():
            self.assertEqual(sorted(self.call("KEYS", pattern)), sorted(want), pattern)
        self.assertEqual(self.call("KEYS"), arity("keys"))

    def test_randomkey(self):
        self.assertIsNone(self.call("RANDOMKEY"))
        self.assertEqual(self.call("MSET", "a", "1", "b", "2", "c", "3"), "OK")
        seen = set()
        for _ in range(60):
            seen.add(self.call("RANDOMKEY"))
        self.assertEqual(seen, {b"a", b"b", b"c"})
        self.assertEqual(self.call("DEL", "a", "b"), 2)
        self.assertEqual(self.call("RANDOMKEY"), b"c")
        # Keys with a common prefix: not always the same one.
        self.fill_users = [self.call("SET", "user:%d" % i, "v") for i in range(100)]
        seen = {self.call("RANDOMKEY") for _ in range(50)}
        self.assertGreater(len(seen), 10)
        self.assertTrue(all(k.startswith(b"user:") or k == b"c" for k in seen))


class DatabasesTest(DataTestCase):
    def test_select_errors(self):
        self.assertEqual(self.call("SELECT", "16"), DB_RANGE)
        self.assertEqual(self.call("SELECT", "-1"), DB_RANGE)
        self.assertEqual(self.call("SELECT", "x"), ERR_INT)
        self.assertEqual(self.call("SELECT", "15"), "OK")
        self.assertEqual(self.call("SET", "in15", "v"), "OK")
        self.assertEqual(self.call("SELECT", "0"), "OK")
        self.assertEqual(self.call("EXISTS", "in15"), 0)

    def test_dbsize_exact_across_operations(self):
        c = self.call
        self.assertEqual(c("DBSIZE"), 0)
        for i in range(50):
            c("SET", "k%d" % i, "v")
        self.assertEqual(c("DBSIZE"), 50)
        for i in range(50):
            c("SET", "k%d" % i, "w")  # overwrites
        self.assertEqual(c("DBSIZE"), 50)
        self.assertEqual(c("DEL", *["k%d" % i for i in range(10)]), 10)
        self.assertEqual(c("DBSIZE"), 40)
        self.assertEqual(c("MOVE", "k10", "1"), 1)
        self.assertEqual(c("DBSIZE"), 39)
        self.assertEqual(c("COPY", "k11", "k11", "DB", "1"), 1)
        self.assertEqual(c("COPY", "k11", "copy"), 1)
        self.assertEqual(c("DBSIZE"), 40)
        self.assertEqual(c("RENAME", "k12", "k13"), "OK")
        self.assertEqual(c("DBSIZE"), 39)
        self.assertEqual(c("SELECT", "1"), "OK")
        self.assertEqual(c("DBSIZE"), 2)
        self.assertEqual(c("SWAPDB", "0", "1"), "OK")
        self.assertEqual(c("DBSIZE"), 39)  # the connection now sees the other data
        self.assertEqual(c("SELECT", "0"), "OK")
        self.assertEqual(c("DBSIZE"), 2)
        self.assertEqual(c("FLUSHDB"), "OK")
        self.assertEqual(c("DBSIZE"), 0)
        self.assertEqual(c("SELECT", "1"), "OK")
        self.assertEqual(c("DBSIZE"), 39)
        self.assertEqual(c("FLUSHALL"), "OK")
        self.assertEqual(c("DBSIZE"), 0)
        self.assertEqual(c("DBSIZE", "x"), arity("dbsize"))

    def test_swapdb_is_seen_by_other_connections(self):
        other = Conn(self.server.port)
        try:
            self.assertEqual(self.call("SET", "k", "db0"), "OK")
            self.assertEqual(other.call("SELECT", "3"), "OK")
            self.assertEqual(other.call("SET", "k", "db3"), "OK")
            self.assertEqual(self.call("SWAPDB", "0", "3"), "OK")
            self.assertEqual(self.call("GET", "k"), b"db3")
            self.assertEqual(other.call("GET", "k"), b"db0")
            self.assertEqual(self.call("SWAPDB", "3", "3"), "OK")
            self.assertEqual(other.call("GET", "k"), b"db0")
        finally:
            other.close()
        self.assertEqual(self.call("SWAPDB", "0", "16"), DB_RANGE)
        self.assertEqual(self.call("SWAPDB", "-1", "0"), DB_RANGE)
        self.assertEqual(self.call("SWAPDB", "x", "0"), ("error", "ERR invalid first DB index"))
        self.assertEqual(self.call("SWAPDB", "0", "y"), ("error", "ERR invalid second DB index"))
        self.assertEqual(self.call("SWAPDB", "4294967296", "0"),
                         ("error", "ERR invalid first DB index"))
        self.assertEqual(self.call("SWAPDB", "0", "-2147483649"),
                         ("error", "ERR invalid second DB index"))
        self.assertEqual(self.call("SWAPDB", "0"), arity("swapdb"))

    def test_flush_options(self):
        self.assertEqual(self.call("SET", "a", "1"), "OK")
        self.assertEqual(self.call("FLUSHDB", "bogus"), ERR_SYNTAX)
        self.assertEqual(self.call("FLUSHDB", "SYNC", "ASYNC"), ERR_SYNTAX)
        self.assertEqual(self.call("FLUSHALL", "bogus"), ERR_SYNTAX)
        self.assertEqual(self.call("DBSIZE"), 1)
        self.assertEqual(self.call("FLUSHDB", "ASYNC"), "OK")
        self.assertEqual(self.call("DBSIZE"), 0)
        self.assertEqual(self.call("SET", "a", "1"), "OK")
        self.assertEqual(self.call("FLUSHDB", "sync"), "OK")
        self.assertEqual(self.call("FLUSHALL", "ASYNC"), "OK")
        self.assertIsNone(self.call("GET", "a"))


class ClientsTest(DataTestCase):
    def test_python_client(self):
        r = self.r
        r.mset({"a": 1, "b": 2, "c": 3})
        self.assertEqual(r.exists("a", "b", "zz"), 2)
        self.assertEqual(r.type("a"), b"string")
        self.assertTrue(r.rename("a", "a2"))
        self.assertFalse(r.renamenx("b", "c"))
        self.assertTrue(r.copy("b", "b2", destination_db=2, replace=True))
        self.assertTrue(r.move("c", 3))
        self.assertEqual(sorted(r.keys("*")), [b"a2", b"b"])
        self.assertEqual(r.touch("a2", "b", "zz"), 2)
        self.assertEqual(r.unlink("a2"), 1)
        self.assertEqual(r.dbsize(), 1)
        self.assertTrue(r.swapdb(0, 2))
        self.assertEqual(r.keys("*"), [b"b2"])
        self.assertTrue(r.flushdb())
        self.assertEqual(r.dbsize(), 0)
        r3 = self.server.client(db=3)
        self.assertEqual(r3.get("c"), b"3")
        r3.close()
        self.assertTrue(r.flushall())
        self.assertEqual(r.info("keyspace"), {})

    def test_redis_cli(self):
        self.assertEqual(self.server.cli("MSET", "user:1", "a", "user:2", "b", "x", "c"),
                         ("OK\n", 0))
        out, _ = self.server.cli("KEYS", "user:*")
        self.assertEqual(sorted(out.split()), ["user:1", "user:2"])
        self.assertEqual(self.server.cli("EXISTS", "user:1", "x", "nope")[0], "2\n")
        self.assertEqual(self.server.cli("TYPE", "x")[0], "string\n")
        self.assertEqual(self.server.cli("DBSIZE")[0], "3\n")
        self.assertEqual(self.server.cli("DEL", "user:1", "x")[0], "2\n")
        self.assertEqual(self.server.cli("RENAME", "nope", "y")[0].strip(), "ERR no such key")
        self.assertEqual(self.server.cli("-n", "1", "DBSIZE")[0], "0\n")
        self.assertEqual(self.server.cli("MOVE", "user:2", "1")[0], "1\n")
        self.assertEqual(self.server.cli("-n", "1", "GET", "user:2")[0], "b\n")


class InfoTest(DataTestCase):
    def test_info_keyspace(self):
        self.assertEqual(self.r.info("keyspace"), {})
        for i in range(10):
            self.call("SET", "k%d" % i, "v")
        self.call("EXPIRE", "k0", "1000")
        self.call("EXPIRE", "k1", "3000")
        self.call("SELECT", "2")
        self.call("SET", "x", "v")
        info = self.r.info("keyspace")
        self.assertEqual(info["db0"]["keys"], 10)
        self.assertEqual(info["db0"]["expires"], 2)
        self.assertEqual(info["db2"], {"keys": 1, "expires": 0, "avg_ttl": 0})
        self.assertNotIn("db1", info)
        if not AGAINST_REDIS:  # Redis estimates avg_ttl from its expiry cycle's samples
            self.assertTrue(1990000 <= info["db0"]["avg_ttl"] <= 2000000, info)
        raw = self.call("INFO", "keyspace").decode()
        self.assertIn("\r\ndb0:keys=10,expires=2,avg_ttl=", raw)
        self.assertIn("\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n", raw)
        self.call("FLUSHALL")
        self.assertEqual(self.r.info("keyspace"), {})

    def test_keyspace_hits_and_misses_match_redis_rules(self):
        c = self.call
        c("MSET", "a", "1", "b", "2")
        before = self.r.info("stats")
        c("GET", "a")               # hit
        c("GET", "zz")              # miss
        c("EXISTS", "a", "zz", "b")  # 2 hits, 1 miss
        c("TYPE", "a")              # hit
        c("TTL", "zz")              # miss
        c("PTTL", "a")              # hit
        c("STRLEN", "zz")           # miss
        c("MGET", "a", "zz")        # hit, miss
        c("TOUCH", "b")             # hit
        c("KEYS", "*")              # no lookups
        c("DBSIZE")
        c("INCR", "n")              # writes do not count
        c("DEL", "n")
        c("EXPIRE", "a", "100")
        for args in (["RENAME", "b", "c"], ["MOVE", "c", "1"], ["PERSIST", "a"],
                     ["APPEND", "a", "x"], ["SETNX", "a", "1"], ["SET", "a", "1", "NX"],
                     ["MSETNX", "q", "1"], ["SETRANGE", "a", "0", "1"], ["INCRBYFLOAT", "f", "1"],
                     ["SCAN", "0"], ["RANDOMKEY"], ["GETRANGE", "a", "x", "1"]):
            c(*args)
        # ... except those that read the old value the way GET does.
        c("GETEX", "a")             # hit
        c("GETDEL", "zz")           # miss
        c("GETSET", "a", "2")       # hit
        c("SET", "a", "3", "GET")   # hit
        c("SET", "new", "3", "GET")  # miss
        c("COPY", "a", "b")         # hit
        c("COPY", "zz", "b")        # miss
        after = self.r.info("stats")
        self.assertEqual(after["keyspace_hits"] - before["keyspace_hits"], 11)
        self.assertEqual(after["keyspace_misses"] - before["keyspace_misses"], 8)


if __name__ == "__main__":
    unittest.main()
