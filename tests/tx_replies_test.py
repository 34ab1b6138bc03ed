"""MULTI/EXEC/DISCARD replies, byte for byte (Redis 7.0 multi.c and server.c processCommand),
in RESP2 and RESP3, sent one command at a time and pipelined in one write. Every expectation is
also checked against a stock redis-server when one is installed (TX_NO_REDIS=1 skips it)."""
import unittest

from tx_util import Servers

OK = b"+OK\r\n"
QUEUED = b"+QUEUED\r\n"
EXECABORT = b"-EXECABORT Transaction discarded because of previous errors.\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"


def bulk(s):
    if isinstance(s, str):
        s = s.encode()
    return b"$%d\r\n%s\r\n" % (len(s), s)


def arr(*items):
    return b"*%d\r\n" % len(items) + b"".join(items)


def num(n):
    return b":%d\r\n" % n


def arity(name):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % name.encode()


NIL2 = b"$-1\r\n"
NIL3 = b"_\r\n"


class TxTestCase(unittest.TestCase):
    """One stashd (and one Redis) per class; every database emptied before each test."""

    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.servers = Servers(cls.server_args)

    @classmethod
    def tearDownClass(cls):
        code = cls.servers.stop()
        assert code == 0, "stashd exit code %s" % code

    def flush(self, target):
        c = target.conn()
        self.assertEqual(c.call("FLUSHALL"), "OK")
        c.close()

    def check(self, commands, resp2, resp3=None, setup=()):
        """Runs commands on a fresh connection of every server, in RESP2 (and RESP3 when resp3 is
        given; resp3=True means the same bytes as RESP2), once sending one command at a time and
        once pipelined in a single write; the concatenated reply bytes must equal the expected."""
        if resp3 is True:
            resp3 = resp2
        for target in self.servers.targets:
            for proto, expected in ((2, resp2), (3, resp3)):
                if expected is None:
                    continue
                for pipelined in (False, True):
                    with self.subTest(server=target.name, proto=proto, pipelined=pipelined):
                        self.flush(target)
                        c = target.conn(proto)
                        try:
                            for cmd in setup:
                                c.call(*cmd)
                            if pipelined:
                                got = c.exchange(*commands)
                            else:
                                got = b"".join(c.exchange(cmd) for cmd in commands)
                        finally:
                            c.close()
                        self.assertEqual(got, expected)


class QueueAndExecTest(TxTestCase):
    def test_multi_queues_and_exec_replies_one_array(self):
        self.check([("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("GET", "a"), ("EXEC",),
                    ("GET", "a")],
                   OK + QUEUED * 3 + arr(OK, num(2), bulk("2")) + bulk("2"), True)

    def test_empty_transaction_replies_empty_array(self):
        self.check([("MULTI",), ("EXEC",), ("PING",)], OK + b"*0\r\n" + b"+PONG\r\n", True)

    def test_connection_commands_are_queued_and_reply_inside_exec(self):
        self.check([("MULTI",), ("PING",), ("ECHO", "hi"), ("PING", "x"), ("EXEC",)],
                   OK + QUEUED * 3 + arr(b"+PONG\r\n", bulk("hi"), bulk("x")), True)

    def test_exec_and_discard_without_multi(self):
        self.check([("EXEC",), ("DISCARD",), ("GET", "a")],
                   b"-ERR EXEC without MULTI\r\n-ERR DISCARD without MULTI\r\n" + NIL2,
                   b"-ERR EXEC without MULTI\r\n-ERR DISCARD without MULTI\r\n" + NIL3)

    def test_discard_drops_the_queue(self):
        self.check([("MULTI",), ("SET", "a", "1"), ("DISCARD",), ("GET", "a"), ("DISCARD",),
                    ("EXEC",)],
                   OK + QUEUED + OK + NIL2 + b"-ERR DISCARD without MULTI\r\n"
                   b"-ERR EXEC without MULTI\r\n",
                   OK + QUEUED + OK + NIL3 + b"-ERR DISCARD without MULTI\r\n"
                   b"-ERR EXEC without MULTI\r\n")

    def test_nested_multi_is_an_error_that_does_not_abort(self):
        self.check([("MULTI",), ("SET", "a", "1"), ("MULTI",), ("INCR", "a"), ("EXEC",)],
                   OK + QUEUED + b"-ERR MULTI calls can not be nested\r\n" + QUEUED +
                   arr(OK, num(2)), True)

    def test_watch_inside_multi_is_an_error_that_does_not_abort(self):
        self.check([("MULTI",), ("WATCH", "a"), ("SET", "a", "1"), ("EXEC",), ("GET", "a")],
                   OK + b"-ERR WATCH inside MULTI is not allowed\r\n" + QUEUED + arr(OK) +
                   bulk("1"), True)

    def test_big_pipelined_transaction(self):
        n = 3000  # more ops than one writer group takes from plain pipelines
        replies = b"".join(num(i) for i in range(1, n + 1))
        self.check([("MULTI",)] + [("INCR", "c")] * n + [("EXEC",), ("GET", "c")],
                   OK + QUEUED * n + b"*%d\r\n" % n + replies + bulk(str(n)), True)

    def test_writes_before_and_after_in_one_pipeline(self):
        self.check([("SET", "x", "1"), ("MULTI",), ("INCR", "x"), ("INCR", "x"), ("EXEC",),
                    ("GET", "x"), ("MULTI",), ("GET", "x"), ("DISCARD",), ("INCR", "x"),
                    ("MULTI",), ("DECR", "x"), ("EXEC",)],
                   OK + OK + QUEUED * 2 + arr(num(2), num(3)) + bulk("3") + OK + QUEUED + OK +
                   num(4) + OK + QUEUED + arr(num(3)), True)


class QueueTimeErrorTest(TxTestCase):
    def test_unknown_command_aborts_exec(self):
        self.check([("MULTI",), ("SET", "a", "1"), ("NOSUCH", "x", "y"), ("SET", "b", "2"),
                    ("EXEC",), ("GET", "a"), ("EXEC",)],
                   OK + QUEUED +
                   b"-ERR unknown command 'NOSUCH', with args beginning with: 'x' 'y' \r\n" +
                   QUEUED + EXECABORT + NIL2 + b"-ERR EXEC without MULTI\r\n",
                   OK + QUEUED +
                   b"-ERR unknown command 'NOSUCH', with args beginning with: 'x' 'y' \r\n" +
                   QUEUED + EXECABORT + NIL3 + b"-ERR EXEC without MULTI\r\n")

    def test_wrong_arity_aborts_exec(self):
        self.check([("MULTI",), ("SET", "a"), ("GET", "a", "b"), ("SET", "a", "1"), ("EXEC",),
                    ("EXISTS", "a")],
                   OK + arity("set") + arity("get") + QUEUED + EXECABORT + num(0), True)

    def test_wrong_arity_of_transaction_commands_inside_multi_aborts(self):
        self.check([("MULTI",), ("WATCH",), ("SET", "a", "1"), ("EXEC",), ("EXISTS", "a")],
                   OK + arity("watch") + QUEUED + EXECABORT + num(0), True)
        self.check([("MULTI",), ("MULTI", "x"), ("EXEC",), ("PING",)],
                   OK + arity("multi") + EXECABORT + b"+PONG\r\n", True)

    def test_rejected_exec_aborts_the_transaction(self):
        # Redis's rejectCommand: an EXEC that cannot run discards the transaction (and unwatches).
        abort = (b"-EXECABORT Transaction discarded because of: wrong number of arguments for "
                 b"'exec' command\r\n")
        self.check([("MULTI",), ("SET", "a", "1"), ("EXEC", "x"), ("EXEC",), ("EXISTS", "a")],
                   OK + QUEUED + abort + b"-ERR EXEC without MULTI\r\n" + num(0), True)
        self.check([("EXEC", "x"), ("PING",)], abort + b"+PONG\r\n", True)

    def test_unknown_subcommand_aborts_exec(self):
        self.check([("MULTI",), ("CONFIG", "BOGUS"), ("EXEC",)],
                   OK + b"-ERR unknown subcommand 'BOGUS'. Try CONFIG HELP.\r\n" + EXECABORT,
                   True)

    def test_discard_after_a_queue_error_is_ok(self):
        self.check([("MULTI",), ("NOSUCH",), ("DISCARD",), ("MULTI",), ("SET", "a", "1"),
                    ("EXEC",)],
                   OK + b"-ERR unknown command 'NOSUCH', with args beginning with: \r\n" + OK +
                   OK + QUEUED + arr(OK), True)


class AuthTest(TxTestCase):
    server_args = ("--requirepass", "pw")

    def flush(self, target):
        pass

    def test_commands_before_auth(self):
        self.check([("EXEC",), ("MULTI",), ("AUTH", "pw"), ("MULTI",), ("GET", "a"), ("EXEC",)],
                   b"-EXECABORT Transaction discarded because of: NOAUTH Authentication "
                   b"required.\r\n-NOAUTH Authentication required.\r\n" + OK + OK + QUEUED +
                   arr(NIL2))


    def test_auth_inside_multi_runs_in_exec(self):
        # 100 commands follow in the same write, read while the EXEC is at stashd's writer
        self.check([("AUTH", "pw"), ("MULTI",), ("AUTH", "pw"), ("AUTH", "wrong"), ("PING",),
                    ("EXEC",)] + [("PING",)] * 100,
                   OK * 2 + QUEUED * 3 + arr(OK, b"-WRONGPASS invalid username-password pair or "
                                                 b"user is disabled.\r\n", b"+PONG\r\n") +
                   b"+PONG\r\n" * 100)


class NoMultiCommandTest(TxTestCase):
    """Commands flagged no-multi in Redis 7.0 (SHUTDOWN; also SAVE, SYNC, PSYNC) are refused."""

    def test_shutdown_is_refused_inside_multi(self):
        self.check([("MULTI",), ("SHUTDOWN",), ("EXEC",), ("PING",)],
                   OK + b"-ERR Command not allowed inside a transaction\r\n" + EXECABORT +
                   b"+PONG\r\n", True)


class RunTimeErrorTest(TxTestCase):
    def test_error_is_the_commands_reply_and_the_others_apply(self):
        self.check([("MULTI",), ("SET", "a", "1"), ("INCR", "s"), ("INCRBY", "a", "5"),
                    ("INCRBY", "a", "x"), ("GET", "a"), ("EXEC",), ("MGET", "a", "s")],
                   OK + QUEUED * 5 + arr(OK, NOT_INT, num(6), NOT_INT, bulk("6")) +
                   arr(bulk("6"), bulk("abc")), True,
                   setup=[("SET", "s", "abc")])

    def test_syntax_error_found_when_running(self):
        self.check([("MULTI",), ("SET", "a", "1", "BOGUS"), ("SET", "b", "2"), ("EXEC",),
                    ("EXISTS", "a", "b")],
                   OK + QUEUED * 2 + arr(b"-ERR syntax error\r\n", OK) + num(1), True)

    def test_select_out_of_range_fails_alone(self):
        self.check([("MULTI",), ("SELECT", "99"), ("SET", "b", "y"), ("EXEC",), ("GET", "b")],
                   OK + QUEUED * 2 + arr(b"-ERR DB index is out of range\r\n", OK) + bulk("y"),
                   True)


class ReadsInsideExecTest(TxTestCase):
    def test_reads_see_the_transactions_earlier_writes(self):
        setup = [("SET", "base", "b"), ("SET", "gone", "g")]
        commands = [("MULTI",), ("SET", "a", "1"), ("GET", "a"), ("INCR", "n"), ("INCR", "n"),
                    ("MGET", "a", "n", "base", "gone", "missing"), ("DEL", "gone"),
                    ("EXISTS", "a", "n", "base", "gone", "missing"), ("DBSIZE",),
                    ("KEYS", "a"), ("KEYS", "gone"), ("GET", "gone"), ("STRLEN", "base"),
                    ("TYPE", "n"), ("TYPE", "gone"), ("EXEC",)]

        def expected(nil):
            return OK + QUEUED * 14 + arr(
                OK, bulk("1"), num(1), num(2),
                arr(bulk("1"), bulk("2"), bulk("b"), bulk("g"), nil), num(1), num(3), num(3),
                arr(bulk("a")), b"*0\r\n", nil, num(1), b"+string\r\n", b"+none\r\n")

        self.check(commands, expected(NIL2), expected(NIL3), setup=setup)

    def test_keys_scan_and_dbsize_see_overlay_and_engine_merged(self):
        for target in self.servers.targets:
            with self.subTest(server=target.name):
                self.flush(target)
                c = target.conn()
                for i in range(20):
                    self.assertEqual(c.call("SET", "old:%02d" % i, "v"), "OK")
                c.send(("MULTI",), ("SET", "new:1", "x"), ("SET", "old:05", "changed"),
                       ("DEL", "old:07", "old:00", "old:19"), ("SET", "zz", "z"),
                       ("KEYS", "*"), ("KEYS", "old:0*"), ("SCAN", "0", "COUNT", "1000"),
                       ("SCAN", "0", "MATCH", "old:1*", "COUNT", "1000"), ("DBSIZE",),
                       ("GET", "old:05"), ("EXEC",))
                self.assertEqual([c.read() for _ in range(11)], ["OK"] + ["QUEUED"] * 10)
                (_, _, deleted, _, keys, keys0, scan, scan1, size, value) = c.read()
                want = {b"old:%02d" % i for i in range(20)} - {b"old:07", b"old:00", b"old:19"}
                want |= {b"new:1", b"zz"}
                self.assertEqual(deleted, 3)
                self.assertEqual(sorted(keys), sorted(want))
                self.assertEqual(sorted(keys0), sorted(k for k in want if k.startswith(b"old:0")))
                self.assertEqual(scan[0], b"0")
                self.assertEqual(sorted(scan[1]), sorted(want))
                self.assertEqual(scan1[0], b"0")
                self.assertEqual(sorted(scan1[1]), sorted(k for k in want if k.startswith(b"old:1")))
                self.assertEqual(size, len(want))
                self.assertEqual(value, b"changed")
                c.close()

    def test_flushdb_inside_transaction_hides_every_key_to_later_reads(self):
        self.check([("MULTI",), ("FLUSHDB",), ("SET", "new", "1"), ("KEYS", "*"), ("DBSIZE",),
                    ("EXISTS", "a", "b", "new"), ("EXEC",)],
                   OK + QUEUED * 5 + arr(OK, OK, arr(bulk("new")), num(1), num(1)), True,
                   setup=[("SET", "a", "1"), ("SET", "b", "2")])

    def test_swapdb_inside_transaction_is_seen_by_later_reads(self):
        self.check([("MULTI",), ("SWAPDB", "0", "1"), ("GET", "a"), ("SELECT", "1"),
                    ("GET", "a"), ("DBSIZE",), ("EXEC",), ("GET", "a")],
                   OK + QUEUED * 5 + arr(OK, NIL2, OK, bulk("0"), num(1)) + bulk("0"),
                   OK + QUEUED * 5 + arr(OK, NIL3, OK, bulk("0"), num(1)) + bulk("0"),
                   setup=[("SET", "a", "0")])

    def test_expiry_set_inside_transaction_is_seen_by_ttl(self):
        self.check([("MULTI",), ("SET", "a", "1"), ("EXPIRE", "a", "1000"), ("TTL", "a"),
                    ("PERSIST", "a"), ("TTL", "a"), ("PEXPIRE", "a", "0"), ("EXISTS", "a"),
                    ("EXEC",)],
                   OK + QUEUED * 7 + arr(OK, num(1), num(1000), num(1), num(-1), num(1), num(0)),
                   True)


class DatabaseAndConnectionTest(TxTestCase):
    def test_select_inside_multi_applies_to_later_commands_and_stays(self):
        self.check([("MULTI",), ("SET", "a", "0"), ("SELECT", "1"), ("SET", "a", "1"),
                    ("GET", "a"), ("EXEC",), ("GET", "a"), ("SELECT", "0"), ("GET", "a")],
                   OK + QUEUED * 4 + arr(OK, OK, OK, bulk("1")) + bulk("1") + OK + bulk("0"),
                   True)

    def test_select_queued_after_select_before_multi(self):
        self.check([("SELECT", "2"), ("MULTI",), ("SET", "a", "2"), ("SELECT", "3"),
                    ("SET", "a", "3"), ("EXEC",), ("GET", "a"), ("SELECT", "2"), ("GET", "a")],
                   OK * 2 + QUEUED * 3 + arr(OK, OK, OK) + bulk("3") + OK + bulk("2"), True)

    def test_reset_inside_multi_discards(self):
        self.check([("SELECT", "1"), ("MULTI",), ("SET", "a", "1"), ("RESET",), ("GET", "a"),
                    ("EXEC",)],
                   OK * 2 + QUEUED + b"+RESET\r\n" + NIL2 + b"-ERR EXEC without MULTI\r\n",
                   # RESET returns the connection to RESP2 and db 0
                   OK * 2 + QUEUED + b"+RESET\r\n" + NIL2 + b"-ERR EXEC without MULTI\r\n")

    def test_quit_inside_multi_closes_and_discards(self):
        for target in self.servers.targets:
            for proto in (2, 3):
                with self.subTest(server=target.name, proto=proto):
                    self.flush(target)
                    c = target.conn(proto)
                    got = c.exchange(("MULTI",), ("SET", "a", "1"), ("QUIT",))
                    self.assertEqual(got, OK + QUEUED + OK)
                    self.assertTrue(c.closed_by_server())
                    c.close()
                    d = target.conn()
                    self.assertEqual(d.exchange(("EXISTS", "a")), num(0))
                    d.close()

    def test_multi_state_is_per_connection(self):
        for target in self.servers.targets:
            with self.subTest(server=target.name):
                self.flush(target)
                a, b = target.conn(), target.conn()
                self.assertEqual(a.exchange(("MULTI",), ("SET", "k", "a")), OK + QUEUED)
                self.assertEqual(b.exchange(("SET", "k", "b"), ("EXEC",)),
                                 OK + b"-ERR EXEC without MULTI\r\n")
                self.assertEqual(b.exchange(("GET", "k")), bulk("b"))
                self.assertEqual(a.exchange(("EXEC",), ("GET", "k")), arr(OK) + bulk("a"))
                a.close()
                b.close()

    def test_client_list_shows_multi(self):
        def fields(conn):
            for line in conn.call("CLIENT", "LIST").decode().splitlines():
                if " name=watched " in line:
                    return dict(f.split("=", 1) for f in line.split(" ") if "=" in f)
            self.fail("no client named 'watched'")

        for target in self.servers.targets:
            with self.subTest(server=target.name):
                a, b = target.conn(), target.conn()
                self.assertEqual(a.exchange(("CLIENT", "SETNAME", "watched"), ("MULTI",),
                                            ("SET", "x", "1"), ("GET", "x")),
                                 OK * 2 + QUEUED * 2)
                f = fields(b)
                self.assertEqual((f["flags"], f["multi"]), ("x", "2"))
                self.assertEqual(a.exchange(("EXEC",)), arr(OK, bulk("1")))
                f = fields(b)
                self.assertEqual((f["flags"], f["multi"]), ("N", "-1"))
                a.close()
                b.close()

    def test_hello_inside_multi_switches_the_protocol_of_what_follows(self):
        for target in self.servers.targets:
            with self.subTest(server=target.name):
                self.flush(target)
                c = target.conn()
                self.assertEqual(c.exchange(("SET", "a", "1")), OK)
                got = c.exchange(("MULTI",), ("HELLO", "3"), ("MGET", "a", "b"), ("EXEC",),
                                 ("GET", "b"))
                c.close()
                # HELLO's own reply (naming the server, version, id) is a RESP3 map already
                self.assertTrue(got.startswith(OK + QUEUED * 2 + b"*2\r\n%7\r\n"), got)
                self.assertTrue(got.endswith(b"*2\r\n$1\r\n1\r\n_\r\n" + NIL3), got)

    def test_exec_abort_reply_is_null_array_in_resp2_and_null_in_resp3(self):
        for target in self.servers.targets:
            for proto, null in ((2, b"*-1\r\n"), (3, b"_\r\n")):
                for pipelined in (False, True):
                    with self.subTest(server=target.name, proto=proto, pipelined=pipelined):
                        self.flush(target)
                        a, b = target.conn(proto), target.conn()
                        self.assertEqual(a.exchange(("WATCH", "k")), OK)
                        self.assertEqual(b.exchange(("SET", "k", "other")), OK)
                        cmds = [("MULTI",), ("SET", "k", "mine"), ("INCR", "n"), ("EXEC",)]
                        if pipelined:
                            got = a.exchange(*cmds)
                        else:
                            got = b"".join(a.exchange(cmd) for cmd in cmds)
                        self.assertEqual(got, OK + QUEUED * 2 + null)
                        self.assertEqual(a.exchange(("MGET", "k", "n")),
                                         arr(bulk("other"), NIL2 if proto == 2 else NIL3))
                        a.close()
                        b.close()


if __name__ == "__main__":
    unittest.main()
