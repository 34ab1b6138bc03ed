"""Protocol errors: Redis's `-ERR Protocol error: ...` texts, then the connection is closed; size
limits (proto-max-bulk-len, client-query-buffer-limit); random garbage never hurts the server."""
import random
import socket
import unittest

from connection_test import Raw
from stashd import Stashd, StashdTestCase, encode_command


class ProtocolErrorTest(StashdTestCase):
    def setUp(self):
        self.conns = []

    def tearDown(self):
        for c in self.conns:
            c.close()

    def assert_error_then_close(self, data, error):
        c = Raw(self.server)
        self.conns.append(c)
        c.send(data)
        expected = b"-" + error.encode() + b"\r\n"
        self.assertEqual(c.read(len(expected)), expected)
        self.assertTrue(c.is_closed(), "connection not closed after %r" % error)
        # The server is fine and other clients are unaffected.
        other = Raw(self.server)
        self.conns.append(other)
        self.assertEqual(other.call("PING"), "PONG")

    def test_invalid_multibulk_length(self):
        self.assert_error_then_close(b"*abc\r\n", "ERR Protocol error: invalid multibulk length")

    def test_multibulk_length_over_limit(self):
        self.assert_error_then_close(b"*2147483648\r\n",
                                     "ERR Protocol error: invalid multibulk length")

    def test_invalid_bulk_length_negative(self):
        self.assert_error_then_close(b"*1\r\n$-5\r\n", "ERR Protocol error: invalid bulk length")

    def test_invalid_bulk_length_not_a_number(self):
        self.assert_error_then_close(b"*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length")

    def test_expected_dollar(self):
        self.assert_error_then_close(b"*1\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'")

    def test_unbalanced_quotes_inline(self):
        self.assert_error_then_close(b'ECHO "a b\r\n',
                                     "ERR Protocol error: unbalanced quotes in request")

    def test_unbalanced_single_quote_inline(self):
        self.assert_error_then_close(b"ECHO 'a\r\n",
                                     "ERR Protocol error: unbalanced quotes in request")

    def test_closing_quote_followed_by_a_letter(self):
        self.assert_error_then_close(b'ECHO "a"b\r\n',
                                     "ERR Protocol error: unbalanced quotes in request")

    def test_too_big_inline_request(self):
        self.assert_error_then_close(b"A" * (70 * 1024),
                                     "ERR Protocol error: too big inline request")

    def test_replies_before_the_error_are_sent(self):
        c = Raw(self.server)
        self.conns.append(c)
        c.send(b"PING\r\n" + encode_command("ECHO", "x") + b"*1\r\n$-5\r\nPING\r\n")
        expected = b"+PONG\r\n$1\r\nx\r\n-ERR Protocol error: invalid bulk length\r\n"
        self.assertEqual(c.read(len(expected)), expected)
        self.assertTrue(c.is_closed())

    def test_protocol_errors_count_as_error_replies(self):
        probe = Raw(self.server)
        self.conns.append(probe)
        before = info_field(probe, "total_error_replies")
        bad = Raw(self.server)
        self.conns.append(bad)
        bad.send(b"*abc\r\n")
        self.assertEqual(bad.reply(), ("error", "ERR Protocol error: invalid multibulk length"))
        self.assertTrue(bad.is_closed())
        self.assertEqual(info_field(probe, "total_error_replies"), before + 1)


def info_field(conn, name, section="stats"):
    text = conn.call("INFO", section).decode()
    for line in text.split("\r\n"):
        if line.startswith(name + ":"):
            return int(line.split(":", 1)[1])
    raise AssertionError("no %s in INFO %s" % (name, section))


class SizeLimitTest(StashdTestCase):
    server_args = ("--proto-max-bulk-len", "1mb", "--client-query-buffer-limit", "1mb")

    def setUp(self):
        self.c = Raw(self.server)

    def tearDown(self):
        self.c.close()

    def test_bulk_over_proto_max_bulk_len_is_invalid_bulk_length(self):
        self.c.send(b"*2\r\n$4\r\nECHO\r\n$2000000\r\n")
        expected = b"-ERR Protocol error: invalid bulk length\r\n"
        self.assertEqual(self.c.read(len(expected)), expected)
        self.assertTrue(self.c.is_closed())

    def test_bulk_at_proto_max_bulk_len_is_accepted(self):
        # One 1 MiB argument is at the bulk limit; its command's wire bytes exceed the 1 MiB query
        # buffer limit only by the headers, so raise that limit on this connection's server first.
        self.assertEqual(self.c.call("CONFIG", "SET", "client-query-buffer-limit", "2mb"), "OK")
        try:
            payload = b"z" * (1024 * 1024)
            self.assertEqual(self.c.call("ECHO", payload), payload)
        finally:
            self.assertEqual(self.c.call("CONFIG", "SET", "client-query-buffer-limit", "1mb"), "OK")

    def test_unfinished_command_over_query_buffer_limit_is_closed(self):
        self.c.send(encode_command("ECHO", b"y" * 900000))
        closed_early = False
        try:
            # A command of ten 1,000,000-byte arguments (each under proto-max-bulk-len), streamed
            # in 100 KB pieces up to 3 MB and never finished.
            self.c.send(b"*11\r\n$3\r\nSET\r\n")
            arg = b"$1000000\r\n" + b"v" * 1000000 + b"\r\n"
            stream = arg * 3
            for i in range(0, len(stream), 100000):
                self.c.send(stream[i:i + 100000])
        except (BrokenPipeError, ConnectionResetError):
            closed_early = True
        data = b""
        try:
            while True:
                chunk = self.c.f.read1(65536)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        # The finished ECHO was answered; then the limit error, then the close.
        self.assertTrue(data.startswith(b"$900000\r\n"), data[:40])
        self.assertTrue(data.endswith(b"-ERR Protocol error: query buffer limit exceeded\r\n"),
                        (closed_early, data[-80:]))
        self.assertTrue(self.c.is_closed())

    def test_server_still_serves_after_limit_errors(self):
        other = Raw(self.server)
        try:
            self.assertEqual(other.call("PING"), "PONG")
            self.assertEqual(other.call("CONFIG", "GET", "proto-max-bulk-len"),
                             [b"proto-max-bulk-len", b"1048576"])
        finally:
            other.close()


class GarbageTest(unittest.TestCase):
    """Seeded random bytes and RESP-shaped junk over many connections never crash the server."""

    TOKENS = [b"*", b"$", b"\r\n", b"\n", b"\r", b"-1", b"0", b"1", b"2", b"3", b"10", b"99999",
              b"-", b"+", b":", b"PING", b"ECHO", b"HELLO", b"3", b"CLIENT", b"KILL", b"QUIT",
              b"CONFIG", b"GET", b"*", b'"', b"'", b"\\x4", b"\\", b"\x00", b" ", b"INFO",
              b"SHUTDOWN ABORT", b"SELECT", b"AUTH", b"RESET", b"9223372036854775808", b"%", b"_"]

    def junk(self, rng, size):
        out = bytearray()
        while len(out) < size:
            if rng.random() < 0.3:
                out += bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 32)))
            else:
                out += rng.choice(self.TOKENS)
        return bytes(out)

    def test_random_garbage_never_crashes_the_server(self):
        server = Stashd(["--proto-max-bulk-len", "1mb", "--client-query-buffer-limit", "1mb"])
        try:
            rng = random.Random(20261121)
            total = 0
            for i in range(150):
                s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
                try:
                    data = self.junk(rng, rng.randint(200, 4000))
                    total += len(data)
                    s.sendall(data)
                    if i % 3 == 0:
                        s.settimeout(0.05)
                        try:
                            while s.recv(65536):
                                pass
                        except (socket.timeout, ConnectionResetError):
                            pass
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    s.close()
            self.assertGreater(total, 250000)
            c = Raw(server)
            try:
                self.assertEqual(c.call("PING"), "PONG")
            finally:
                c.close()
            self.assertEqual(server.stop(), 0, server.output())
            self.assertNotIn("LeakSanitizer", server.output())
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
