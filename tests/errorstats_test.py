"""INFO errorstats, total_error_replies and INFO commandstats (calls, rejected_calls,
failed_calls) after errors, as Redis 7.0 counts them.

Every case runs the same commands against a fresh stashd and a fresh stock redis-server (RESP2
and RESP3, sent one at a time and pipelined in one write) on a connection of its own, after a
CONFIG RESETSTAT; then, on a second connection, INFO errorstats, INFO stats and INFO
commandstats. Compared byte for byte: the whole errorstats section, the total_error_replies line,
and every cmdstat_ line with its usec and usec_per_call fields removed (lines sorted: Redis lists
commands in hash order). Each case also states what Redis 7.0.15 gives (the expect arguments),
checked against every server, so that the file says the rules and still tests without a
redis-server.

The rules, in short (Redis 7.0 server.c processCommand/rejectCommand/call, networking.c
afterErrorReply, multi.c execCommand):
- Every error reply counts once in total_error_replies and once under its prefix: the word after
  '-' when a space ends it within the first 32 bytes, else ERR. Protocol errors count (ERR);
  the "max number of clients" refusal does not (no client exists yet).
- An error before the command runs (wrong arity, NOAUTH, no-multi command inside MULTI, OOM,
  MISCONF, LOADING) is a rejected call of that command, with no call; an unknown command or
  unknown subcommand counts for no command at all. Inside MULTI it also flags the transaction.
- An error the command replies while running is a failed call (and a call).
- EXEC: calls+1 whenever it runs; failed only for its own error (EXEC without MULTI, EXECABORT
  for queue-time errors); never for the errors of the commands it runs, which fail
  themselves; a rejected EXEC (e.g. wrong arity, NOAUTH) replies EXECABORT and is rejected.
- CONFIG RESETSTAT empties all three (and is then counted as its own first call).
- Redis 7.0 keeps every prefix (no cap of 128: that came in 7.2).

ERRORSTATS_TARGET=redis runs against Redis alone (to check the expectations), =stashd against
stashd alone; the default is both, when redis-server is installed.
StashDB has only strings, so WRONGTYPE cannot happen; OOM, LOADING and MISCONF are not set off
here."""
import os
import re
import shutil
import socket
import time
import unittest

from differential import RedisServer
from stashd import Stashd, encode_command, read_reply
from tx_util import raw_reply

TARGET = os.environ.get("ERRORSTATS_TARGET", "both")
PASSWORD = "pw"
USEC = re.compile(rb"usec=\d+,usec_per_call=\d+\.\d\d,")


def info_text(reply):
    """The text of an INFO reply: a bulk string in RESP2, a verbatim string (txt) in RESP3."""
    if isinstance(reply, tuple) and reply[0] == "verbatim":
        assert reply[1] == "txt", reply
        return reply[2]
    assert isinstance(reply, bytes), reply
    return reply


class Conn:
    """One raw connection. exchange() sends commands (in one write) and returns the bytes of their
    replies. proto=3 says HELLO 3 first (with AUTH when password is given), else AUTH alone."""

    def __init__(self, port, proto=2, password=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.file = self.sock.makefile("rb")
        if proto == 3:
            hello = ("HELLO", "3") + (("AUTH", "default", password) if password else ())
            reply = self.exchange(hello)
            assert reply.startswith(b"%"), reply
        elif password:
            assert self.exchange(("AUTH", password)) == b"+OK\r\n"

    def exchange(self, *commands):
        self.sock.sendall(b"".join(encode_command(*c) for c in commands))
        return b"".join(raw_reply(self.file) for _ in commands)

    def call(self, *args):
        self.sock.sendall(encode_command(*args))
        return read_reply(self.file)

    def close(self):
        self.file.close()
        self.sock.close()


def snapshot(admin):
    """What is compared: the errorstats section, total_error_replies, the cmdstat_ lines."""
    errorstats = info_text(admin.call("INFO", "errorstats"))
    stats = info_text(admin.call("INFO", "stats"))
    commandstats = info_text(admin.call("INFO", "commandstats"))
    total = [l for l in stats.split(b"\r\n") if l.startswith(b"total_error_replies:")]
    cmds = sorted(USEC.sub(b"", l) for l in commandstats.split(b"\r\n")
                  if l.startswith(b"cmdstat_"))
    return {"errorstats": errorstats.decode(), "total_error_replies": [t.decode() for t in total],
            "commandstats": [c.decode() for c in cmds]}


class Target:
    def __init__(self, name, port):
        self.name = name
        self.port = port


class StatsTestCase(unittest.TestCase):
    """A stashd and a redis-server per class, started with server_args."""

    server_args = ()
    password = None
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.stashd = cls.redis = None
        cls.targets = []
        redis_ok = shutil.which("redis-server") is not None
        if TARGET == "redis" and not redis_ok:
            raise unittest.SkipTest("no redis-server")
        try:
            if TARGET in ("both", "redis") and redis_ok:
                cls.redis = RedisServer(cls.server_args)
                cls.targets.append(Target("redis", cls.redis.port))
            if TARGET in ("both", "stashd"):
                cls.stashd = Stashd(cls.server_args)
                cls.targets.append(Target("stashd", cls.stashd.port))
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.redis:
                cls.redis.stop()
            if cls.stashd:
                code = cls.stashd.stop()
                assert code == 0, "stashd exit code %s:\n%s" % (code, cls.stashd.output())
        finally:
            if cls.stashd:
                cls.stashd.cleanup()

    # -- running a case

    def admin(self, target, proto=2):
        return Conn(target.port, proto, self.password)

    def reset(self, admin, setup=()):
        """Empties every database, runs setup, then CONFIG RESETSTAT (so setup is not counted)."""
        self.assertEqual(admin.call("FLUSHALL"), "OK")
        for cmd in setup:
            reply = admin.call(*cmd)
            self.assertFalse(isinstance(reply, tuple) and reply[0] == "error", (cmd, reply))
        self.assertEqual(admin.call("CONFIG", "RESETSTAT"), "OK")

    def run_case(self, target, commands, proto, pipelined, setup, authenticated):
        admin = self.admin(target, proto)
        c = Conn(target.port, proto, self.password if authenticated else None)
        try:
            self.reset(admin, setup)
            if pipelined:
                replies = c.exchange(*commands)
            else:
                replies = b"".join(c.exchange(cmd) for cmd in commands)
            return snapshot(admin), replies
        finally:
            c.close()
            admin.close()

    def check(self, commands, errors="", cmds=None, setup=(), protos=(2, 3),
              authenticated=True, pipelined=(False, True)):
        """Runs commands on every target; checks the expectation on each and compares stashd's
        snapshot with Redis's. errors: the errorstats lines in Redis's (byte) order, as
        "ERR=3 EXECABORT=1"; cmds: {name: (calls, rejected_calls, failed_calls)} for every command
        in commandstats but INFO and CONFIG RESETSTAT (2 and 1 calls, always)."""
        for proto in protos:
            for piped in pipelined:
                got = {}
                for target in self.targets:
                    with self.subTest(server=target.name, proto=proto, pipelined=piped):
                        snap, replies = self.run_case(target, commands, proto, piped, setup,
                                                      authenticated)
                        got[target.name] = (snap, replies)
                        self.check_expectation(snap, errors, cmds or {}, replies)
                if len(got) == 2:
                    with self.subTest(compare="stashd vs redis", proto=proto, pipelined=piped):
                        self.assertEqual(got["stashd"][0], got["redis"][0],
                                         "replies: stashd %r, redis %r" %
                                         (got["stashd"][1], got["redis"][1]))

    def check_expectation(self, snap, errors, cmds, replies=b""):
        pairs = [e.split("=") for e in errors.split()]
        want = "# Errorstats\r\n" + "".join("errorstat_%s:count=%s\r\n" % (k, n)
                                              for k, n in pairs)
        total = sum(int(n) for _, n in pairs)
        all_cmds = {"info": (2, 0, 0), "config|resetstat": (1, 0, 0)}
        all_cmds.update(cmds)
        want_cmds = sorted("cmdstat_%s:calls=%d,rejected_calls=%d,failed_calls=%d" % ((name,) + v)
                           for name, v in all_cmds.items())
        self.assertEqual(snap, {"errorstats": want,
                                "total_error_replies": ["total_error_replies:%d" % total],
                                "commandstats": want_cmds}, "replies: %r" % replies)


class UnknownAndArityTest(StatsTestCase):
    def test_unknown_command_counts_an_error_and_no_command(self):
        self.check([("NOSUCH", "a", "b"), ("nosuch",), ("GET", "k")], "ERR=2",
                   {"get": (1, 0, 0)})

    def test_unknown_subcommand_counts_for_no_command_not_even_the_container(self):
        self.check([("CONFIG", "BOGUS"), ("CLIENT", "NOSUCH", "x"), ("COMMAND", "BOGUS"),
                    ("config", "bogus")], "ERR=4")

    def test_wrong_arity_is_a_rejected_call(self):
        self.check([("GET",), ("GET", "a", "b"), ("SET", "k"), ("CONFIG", "GET"), ("CONFIG",),
                    ("CLIENT",), ("CLIENT", "ID", "x"), ("COMMAND", "COUNT", "x"), ("ECHO",),
                    ("MGET",), ("EXPIRE", "k"), ("TTL",), ("DBSIZE", "x"), ("GETRANGE", "k", "0"),
                    ("WATCH",), ("UNWATCH", "x"), ("DISCARD", "x"), ("MULTI", "x")],
                   "ERR=18",
                   {"get": (0, 2, 0), "set": (0, 1, 0), "config|get": (0, 1, 0),
                    "config": (0, 1, 0), "client": (0, 1, 0), "client|id": (0, 1, 0),
                    "command|count": (0, 1, 0), "echo": (0, 1, 0), "mget": (0, 1, 0),
                    "expire": (0, 1, 0), "ttl": (0, 1, 0), "dbsize": (0, 1, 0),
                    "getrange": (0, 1, 0), "watch": (0, 1, 0), "unwatch": (0, 1, 0),
                    "discard": (0, 1, 0), "multi": (0, 1, 0)})

    def test_argument_count_errors_found_by_the_command_itself_are_failed_calls(self):
        # PING takes 0 or 1 argument and MSET pairs, but their arity only says "at least": the
        # command replies the same "wrong number of arguments" text, counted as failed.
        self.check([("PING", "a", "b"), ("MSET", "a", "1", "b"), ("MSETNX", "a", "1", "b")],
                   "ERR=3", {"ping": (1, 0, 1), "mset": (1, 0, 1), "msetnx": (1, 0, 1)})

    def test_exec_with_wrong_arity_is_rejected_with_execabort(self):
        self.check([("EXEC", "x"), ("PING",)], "EXECABORT=1",
                   {"exec": (0, 1, 0), "ping": (1, 0, 0)})


class RunTimeErrorTest(StatsTestCase):
    setup = [("SET", "s", "abc"), ("SET", "n", "5")]

    def test_value_errors(self):
        self.check([("INCR", "s"), ("INCRBY", "n", "x"), ("DECR", "s"), ("DECRBY", "n", "1.5"),
                    ("INCRBYFLOAT", "s", "1"), ("INCRBYFLOAT", "n", "abc"), ("INCR", "n")],
                   "ERR=6",
                   {"incr": (2, 0, 1), "incrby": (1, 0, 1), "decr": (1, 0, 1),
                    "decrby": (1, 0, 1), "incrbyfloat": (2, 0, 2)}, setup=self.setup)

    def test_set_options(self):
        self.check([("SET", "k", "v", "EX", "0"), ("SET", "k", "v", "PX", "-1"),
                    ("SET", "k", "v", "BOGUS"), ("SET", "k", "v", "EX"),
                    ("SET", "k", "v", "EX", "abc"), ("SET", "k", "v", "NX", "XX"),
                    ("SET", "k", "v"), ("SETEX", "k", "0", "v"), ("PSETEX", "k", "-5", "v"),
                    ("GETEX", "s", "EX", "0"), ("GETEX", "s", "BOGUS")],
                   "ERR=10",
                   {"set": (7, 0, 6), "setex": (1, 0, 1), "psetex": (1, 0, 1),
                    "getex": (2, 0, 2)}, setup=self.setup)

    def test_keyspace_errors(self):
        self.check([("RENAME", "nokey", "x"), ("RENAMENX", "nokey", "x"), ("RENAME", "s", "t"),
                    ("MOVE", "n", "0"), ("MOVE", "n", "99"), ("COPY", "s", "d", "DB", "99"),
                    ("SWAPDB", "a", "1"), ("SWAPDB", "0", "99"), ("SELECT", "99"),
                    ("SELECT", "x"), ("EXPIRE", "n", "abc"), ("EXPIRE", "n", "10", "NX", "XX"),
                    ("SETRANGE", "s", "-1", "x"), ("GETRANGE", "s", "a", "b"),
                    ("SCAN", "abc"), ("SCAN", "0", "COUNT", "0"), ("FLUSHDB", "BOGUS")],
                   "ERR=16",
                   {"rename": (2, 0, 1), "renamenx": (1, 0, 1), "move": (2, 0, 2),
                    "copy": (1, 0, 1), "swapdb": (2, 0, 2), "select": (2, 0, 2),
                    "expire": (2, 0, 2), "setrange": (1, 0, 1), "getrange": (1, 0, 1),
                    "scan": (2, 0, 2), "flushdb": (1, 0, 1)}, setup=self.setup)

    def test_connection_and_server_command_errors(self):
        # AUTH without requirepass is an ERR; HELLO 4 is the one NOPROTO.
        self.check([("CONFIG", "SET", "bogus", "1"), ("CLIENT", "KILL", "1.2.3.4:5"),
                    ("CLIENT", "KILL", "ID", "abc"), ("CLIENT", "SETNAME", "a b"),
                    ("CLIENT", "LIST", "TYPE", "bogus"), ("AUTH", "x"), ("HELLO", "4"),
                    ("HELLO", "abc")],
                   "ERR=7 NOPROTO=1",
                   {"config|set": (1, 0, 1), "client|kill": (2, 0, 2),
                    "client|setname": (1, 0, 1), "client|list": (1, 0, 1), "auth": (1, 0, 1),
                    "hello": (2, 0, 2)})

    def test_config_resetstat_forgets_every_count(self):
        self.check([("NOSUCH",), ("GET",), ("INCR", "s"), ("HELLO", "4"), ("CONFIG", "RESETSTAT"),
                    ("GET", "s"), ("SELECT", "99")],
                   "ERR=1", {"get": (1, 0, 0), "select": (1, 0, 1)}, setup=self.setup)


class TransactionTest(StatsTestCase):
    def test_queue_time_errors_then_execabort(self):
        # The queued SET is never called; the rejected GET is; the unknown command and
        # subcommand count for no command; EXEC's EXECABORT is a failed EXEC.
        self.check([("MULTI",), ("SET", "a", "1"), ("NOSUCH",), ("GET",), ("CONFIG", "BOGUS"),
                    ("EXEC",)],
                   "ERR=3 EXECABORT=1",
                   {"multi": (1, 0, 0), "get": (0, 1, 0), "exec": (1, 0, 1)})

    def test_wrong_arity_of_transaction_commands_inside_multi(self):
        self.check([("MULTI",), ("MULTI", "x"), ("WATCH",), ("CONFIG",), ("CLIENT", "BOGUS"),
                    ("EXEC",)],
                   "ERR=4 EXECABORT=1",
                   {"multi": (1, 1, 0), "watch": (0, 1, 0), "config": (0, 1, 0),
                    "exec": (1, 0, 1)})

    def test_no_multi_command_inside_multi_is_rejected(self):
        self.check([("MULTI",), ("SHUTDOWN",), ("EXEC",)], "ERR=1 EXECABORT=1",
                   {"multi": (1, 0, 0), "shutdown": (0, 1, 0), "exec": (1, 0, 1)})

    def test_discard_after_a_queue_time_error(self):
        self.check([("MULTI",), ("NOSUCH",), ("DISCARD",)], "ERR=1",
                   {"multi": (1, 0, 0), "discard": (1, 0, 0)})

    def test_rejected_exec_inside_multi(self):
        self.check([("MULTI",), ("SET", "a", "1"), ("EXEC", "x"), ("EXEC",)],
                   "ERR=1 EXECABORT=1", {"multi": (1, 0, 0), "exec": (1, 1, 1)})

    def test_run_time_errors_inside_exec_fail_their_commands_not_exec(self):
        # The last command failing does not make EXEC failed either.
        self.check([("MULTI",), ("INCR", "s"), ("SET", "a", "1"), ("SELECT", "99"),
                    ("CLIENT", "SETNAME", "a b"), ("CONFIG", "SET", "bogus", "x"),
                    ("SET", "k", "v", "EX", "0"), ("EXEC",)],
                   "ERR=5",
                   {"multi": (1, 0, 0), "incr": (1, 0, 1), "set": (2, 0, 1),
                    "select": (1, 0, 1), "client|setname": (1, 0, 1), "config|set": (1, 0, 1),
                    "exec": (1, 0, 0)}, setup=[("SET", "s", "abc")])

    def test_successful_exec_after_a_failing_first_command(self):
        self.check([("MULTI",), ("INCR", "s"), ("GET", "s"), ("EXEC",), ("GET", "s")], "ERR=1",
                   {"multi": (1, 0, 0), "incr": (1, 0, 1), "get": (2, 0, 0), "exec": (1, 0, 0)},
                   setup=[("SET", "s", "abc")])

    def test_exec_and_discard_without_multi_nested_multi_watch_inside_multi(self):
        # Errors of the commands themselves: failed calls; they do not abort the transaction.
        self.check([("EXEC",), ("DISCARD",), ("MULTI",), ("MULTI",), ("WATCH", "a"),
                    ("SET", "a", "1"), ("EXEC",)],
                   "ERR=4",
                   {"exec": (2, 0, 1), "discard": (1, 0, 1), "multi": (2, 0, 1),
                    "watch": (1, 0, 1), "set": (1, 0, 0)})

    def test_empty_and_unwatch(self):
        self.check([("MULTI",), ("EXEC",), ("UNWATCH",)], "",
                   {"multi": (1, 0, 0), "exec": (1, 0, 0), "unwatch": (1, 0, 0)})

    def test_exec_aborted_by_a_touched_watched_key_counts_no_error(self):
        for proto in (2, 3):
            got = {}
            for target in self.targets:
                with self.subTest(server=target.name, proto=proto):
                    admin = self.admin(target, proto)
                    c = Conn(target.port, proto)
                    try:
                        self.reset(admin)
                        self.assertEqual(c.exchange(("WATCH", "k")), b"+OK\r\n")
                        self.assertEqual(admin.call("SET", "k", "other"), "OK")
                        replies = c.exchange(("MULTI",), ("SET", "k", "mine"), ("INCR", "n"),
                                             ("EXEC",))
                        null = b"*-1\r\n" if proto == 2 else b"_\r\n"
                        self.assertEqual(replies, b"+OK\r\n+QUEUED\r\n+QUEUED\r\n" + null)
                        snap = snapshot(admin)
                    finally:
                        c.close()
                        admin.close()
                    got[target.name] = snap
                    self.check_expectation(snap, "", {"watch": (1, 0, 0), "set": (1, 0, 0),
                                                      "multi": (1, 0, 0), "exec": (1, 0, 0)})
            if len(got) == 2:
                with self.subTest(compare="stashd vs redis", proto=proto):
                    self.assertEqual(got["stashd"], got["redis"])


class QuitTest(StatsTestCase):
    def test_quit_is_a_call(self):
        self.check([("GET",), ("QUIT",)], "ERR=1", {"get": (0, 1, 0), "quit": (1, 0, 0)})


class ProtocolErrorTest(StatsTestCase):
    """A protocol error is one ERR error reply (and no command); so is an unknown inline
    command. Each bad request goes on a connection of its own, which the server closes."""

    BAD = [b"*abc\r\n", b"*2147483648\r\n", b"*1\r\n$-5\r\n", b"*1\r\n$x\r\n", b"*1\r\n:1\r\n",
           b'ECHO "a b\r\n', b"A" * (70 * 1024),
           b"PING\r\n" + encode_command("ECHO", "x") + b"*1\r\n$-5\r\nPING\r\n"]

    def send_raw(self, target, data):
        s = socket.create_connection(("127.0.0.1", target.port), timeout=15)
        try:
            s.sendall(data)
            f = s.makefile("rb")
            out = f.read()  # until the server closes
            f.close()
            return out
        finally:
            s.close()

    def test_protocol_errors_count_as_err_replies(self):
        got = {}
        for target in self.targets:
            with self.subTest(server=target.name):
                admin = self.admin(target)
                try:
                    self.reset(admin)
                    replies = [self.send_raw(target, data) for data in self.BAD]
                    for r in replies:
                        self.assertIn(b"-ERR Protocol error: ", r)
                    snap = snapshot(admin)
                finally:
                    admin.close()
                got[target.name] = snap
                self.check_expectation(snap, "ERR=8", {"ping": (1, 0, 0), "echo": (1, 0, 0)},
                                       replies)
        if len(got) == 2:
            with self.subTest(compare="stashd vs redis"):
                self.assertEqual(got["stashd"], got["redis"])

    def test_unknown_inline_command(self):
        got = {}
        for target in self.targets:
            with self.subTest(server=target.name):
                admin = self.admin(target)
                s = socket.create_connection(("127.0.0.1", target.port), timeout=15)
                try:
                    self.reset(admin)
                    s.sendall(b"FOO bar\r\nPING\r\nGET\r\n")
                    f = s.makefile("rb")
                    lines = [f.readline() for _ in range(3)]
                    f.close()
                    self.assertEqual(lines[1], b"+PONG\r\n")
                    snap = snapshot(admin)
                finally:
                    s.close()
                    admin.close()
                got[target.name] = snap
                self.check_expectation(snap, "ERR=2", {"ping": (1, 0, 0), "get": (0, 1, 0)})
        if len(got) == 2:
            with self.subTest(compare="stashd vs redis"):
                self.assertEqual(got["stashd"], got["redis"])


class InfoSectionTest(StatsTestCase):
    """Errorstats is one of INFO's default sections: the same text in INFO, INFO all and INFO
    errorstats."""

    def test_errorstats_section_in_default_and_all(self):
        for target in self.targets:
            with self.subTest(server=target.name):
                admin = self.admin(target)
                try:
                    self.reset(admin)
                    admin.exchange(("NOSUCH",), ("GET",), ("HELLO", "4"), ("MULTI",), ("EXEC", "x"))
                    alone = info_text(admin.call("INFO", "errorstats")).decode()
                    self.assertEqual(alone, "# Errorstats\r\nerrorstat_ERR:count=2\r\n"
                                            "errorstat_EXECABORT:count=1\r\n"
                                            "errorstat_NOPROTO:count=1\r\n")
                    for args in (("INFO",), ("INFO", "all"), ("INFO", "default")):
                        text = info_text(admin.call(*args)).decode()
                        start = text.index("# Errorstats\r\n")
                        end = text.find("\r\n\r\n", start)
                        section = text[start:] if end < 0 else text[start:end + 2]
                        self.assertEqual(section, alone, args)
                finally:
                    admin.close()


class AuthTest(StatsTestCase):
    server_args = ("--requirepass", PASSWORD)
    password = PASSWORD

    def test_before_auth(self):
        # Unknown command, unknown subcommand and wrong arity come before the auth check: ERR,
        # with the arity error a rejected call. NOAUTH rejects; EXEC gets it as EXECABORT. AUTH,
        # HELLO (no-auth commands) run, and fail.
        self.check([("GET", "a"), ("NOSUCH",), ("GET",), ("CONFIG", "BOGUS"),
                    ("CONFIG", "GET", "x"), ("EXEC",), ("MULTI",), ("PING",), ("AUTH", "wrong"),
                    ("AUTH", "a", "b", "c"), ("HELLO", "3"),
                    ("HELLO", "3", "AUTH", "default", "bad"), ("HELLO", "4"), ("AUTH", PASSWORD),
                    ("GET", "a")],
                   "ERR=4 EXECABORT=1 NOAUTH=5 NOPROTO=1 WRONGPASS=2",
                   {"get": (1, 2, 0), "config|get": (0, 1, 0), "exec": (0, 1, 0),
                    "multi": (0, 1, 0), "ping": (0, 1, 0), "auth": (3, 0, 2),
                    "hello": (3, 0, 3)},
                   protos=(2,), authenticated=False)

    def test_hello_auth_switching_to_resp3(self):
        self.check([("GET",), ("HELLO", "3", "AUTH", "default", "bad"), ("GET", "a"),
                    ("HELLO", "3", "AUTH", "default", PASSWORD), ("GET", "a"), ("AUTH", "bad")],
                   "ERR=1 NOAUTH=1 WRONGPASS=2",
                   {"get": (1, 2, 0), "hello": (2, 0, 1), "auth": (1, 0, 1)},
                   protos=(2,), authenticated=False)

    def test_auth_inside_exec(self):
        self.check([("MULTI",), ("AUTH", "bad"), ("AUTH", PASSWORD), ("GET", "a"), ("EXEC",)],
                   "WRONGPASS=1",
                   {"multi": (1, 0, 0), "auth": (2, 0, 1), "get": (1, 0, 0), "exec": (1, 0, 0)})


class MaxClientsTest(StatsTestCase):
    """A connection refused for maxclients gets "-ERR max number of clients reached", which is
    written before any client exists: no error reply counted."""

    server_args = ("--maxclients", "1")

    def test_refused_connection_counts_no_error(self):
        got = {}
        for target in self.targets:
            with self.subTest(server=target.name):
                deadline = time.time() + 10
                while True:  # until the readiness probe of the harness has left
                    admin = Conn(target.port)
                    try:
                        if admin.call("PING") == "PONG":
                            break
                    except (ConnectionError, OSError):
                        pass
                    admin.close()
                    self.assertLess(time.time(), deadline)
                    time.sleep(0.05)
                try:
                    self.reset(admin)
                    s = socket.create_connection(("127.0.0.1", target.port), timeout=15)
                    f = s.makefile("rb")
                    self.assertEqual(f.readline(), b"-ERR max number of clients reached\r\n")
                    f.close()
                    s.close()
                    snap = snapshot(admin)
                finally:
                    admin.close()
                got[target.name] = snap
                self.check_expectation(snap, "", {})
        if len(got) == 2:
            with self.subTest(compare="stashd vs redis"):
                self.assertEqual(got["stashd"], got["redis"])


if __name__ == "__main__":
    unittest.main()
