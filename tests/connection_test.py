"""Connection-level behaviour over raw sockets, byte for byte: RESP2/RESP3 switching with HELLO,
RESET, QUIT, pipelining and inline commands."""
import socket
import unittest

from stashd import StashdTestCase, encode_command, read_reply


class Raw:
    """A raw client socket: send bytes, read exact bytes or parsed replies, detect close."""

    def __init__(self, server, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
        self.f = self.sock.makefile("rb")

    def send(self, data):
        self.sock.sendall(data)

    def call(self, *args):
        self.send(encode_command(*args))
        return read_reply(self.f)

    def reply(self):
        return read_reply(self.f)

    def read(self, n):
        """Reads exactly n bytes (fewer only if the server closes)."""
        return self.f.read(n)

    def is_closed(self, timeout=5):
        """True if the server closes the connection (EOF or reset) within timeout seconds with
        nothing more to read; raises if bytes arrive instead."""
        self.sock.settimeout(timeout)
        try:
            data = self.f.read(1)
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
        if data:
            raise AssertionError("unexpected bytes instead of a close: %r" % (data + self.f.peek()))
        return True

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass


def hello_map_bytes(version, proto, client_id):
    """HELLO's reply as Redis writes it: RESP3 map (%7) or RESP2 flat array (*14)."""
    def bulk(s):
        return b"$%d\r\n%s\r\n" % (len(s), s)
    head = b"%7\r\n" if proto == 3 else b"*14\r\n"
    return (head + bulk(b"server") + bulk(b"redis") + bulk(b"version") + bulk(version) +
            bulk(b"proto") + b":%d\r\n" % proto + bulk(b"id") + b":%d\r\n" % client_id +
            bulk(b"mode") + bulk(b"standalone") + bulk(b"role") + bulk(b"master") +
            bulk(b"modules") + b"*0\r\n")


class RawConnections:
    """Mixin: self.raw() opens a Raw connection that is closed after the test."""

    def setUp(self):
        self.conns = []

    def tearDown(self):
        for c in self.conns:
            c.close()

    def raw(self):
        c = Raw(self.server)
        self.conns.append(c)
        return c


class ConnectionTest(RawConnections, StashdTestCase):
    def test_hello_3_replies_with_a_resp3_map(self):
        c = self.raw()
        cid = c.call("CLIENT", "ID")
        c.send(encode_command("HELLO", "3"))
        expected = hello_map_bytes(b"7.0.0", 3, cid)  # StashDB reports 7.0.0 on purpose
        self.assertEqual(c.read(len(expected)), expected)

    def test_after_hello_3_replies_are_resp3(self):
        c = self.raw()
        c.call("HELLO", "3")
        c.send(encode_command("CLIENT", "GETNAME"))
        self.assertEqual(c.read(3), b"_\r\n")
        c.send(encode_command("CONFIG", "GET", "port"))
        port = str(self.server.port).encode()
        expected = b"%%1\r\n$4\r\nport\r\n$%d\r\n%s\r\n" % (len(port), port)
        self.assertEqual(c.read(len(expected)), expected)
        reply = c.call("INFO", "server")
        self.assertEqual(reply[:2], ("verbatim", "txt"))
        c.send(encode_command("CLIENT", "LIST"))
        self.assertEqual(c.f.readline()[:1], b"=")

    def test_info_in_resp3_is_a_verbatim_txt_string(self):
        c = self.raw()
        c.call("HELLO", "3")
        c.send(encode_command("INFO", "server"))
        header = c.f.readline()
        self.assertTrue(header.startswith(b"="), header)
        body = c.read(int(header[1:-2]) + 2)
        self.assertTrue(body.startswith(b"txt:# Server\r\n"), body[:40])
        self.assertIn(b"redis_version:7.0.0\r\n", body)
        self.assertTrue(body.endswith(b"\r\n"))
        self.assertEqual(c.call("PING"), "PONG")  # the stream is still in step

    def test_hello_2_goes_back_to_resp2(self):
        c = self.raw()
        cid = c.call("CLIENT", "ID")
        c.call("HELLO", "3")
        c.send(encode_command("HELLO", "2"))
        expected = hello_map_bytes(b"7.0.0", 2, cid)
        self.assertEqual(c.read(len(expected)), expected)
        c.send(encode_command("CLIENT", "GETNAME"))
        self.assertEqual(c.read(5), b"$-1\r\n")
        c.send(encode_command("CONFIG", "GET", "maxclients"))
        self.assertEqual(c.read(4), b"*2\r\n")

    def test_hello_without_version_keeps_the_protocol(self):
        c = self.raw()
        c.call("HELLO", "3")
        self.assertEqual(c.call("HELLO")[b"proto"], 3)
        c.send(encode_command("CLIENT", "GETNAME"))
        self.assertEqual(c.read(3), b"_\r\n")

    def test_hello_4_is_noproto(self):
        c = self.raw()
        c.send(encode_command("HELLO", "4"))
        self.assertEqual(c.read(39), b"-NOPROTO unsupported protocol version\r\n")
        c.send(encode_command("HELLO", "1"))
        self.assertEqual(c.read(39), b"-NOPROTO unsupported protocol version\r\n")
        self.assertEqual(c.call("PING"), "PONG")

    def test_hello_with_a_non_integer_version_is_an_error(self):
        c = self.raw()
        self.assertEqual(c.call("HELLO", "abc"),
                         ("error", "ERR Protocol version is not an integer or out of range"))
        # The protocol did not change.
        c.send(encode_command("CLIENT", "GETNAME"))
        self.assertEqual(c.read(5), b"$-1\r\n")

    def test_hello_with_a_bad_option_is_a_syntax_error(self):
        c = self.raw()
        self.assertEqual(c.call("HELLO", "3", "bogus"),
                         ("error", "ERR Syntax error in HELLO option 'bogus'"))
        c.send(encode_command("CLIENT", "GETNAME"))
        self.assertEqual(c.read(5), b"$-1\r\n")

    def test_hello_setname_names_the_connection(self):
        c = self.raw()
        reply = c.call("HELLO", "2", "SETNAME", "helloname")
        self.assertEqual(reply[reply.index(b"proto") + 1], 2)
        self.assertEqual(c.call("CLIENT", "GETNAME"), b"helloname")

    def test_reset_replies_reset_and_returns_to_resp2(self):
        c = self.raw()
        c.call("HELLO", "3", "SETNAME", "before")
        c.call("SELECT", "5")
        c.send(encode_command("RESET"))
        self.assertEqual(c.read(8), b"+RESET\r\n")
        c.send(encode_command("CLIENT", "GETNAME"))
        self.assertEqual(c.read(5), b"$-1\r\n")
        info = c.call("CLIENT", "INFO").decode()
        self.assertIn(" db=0 ", info)
        self.assertIn(" resp=2 ", info)

    def test_quit_replies_ok_then_closes(self):
        c = self.raw()
        c.send(b"QUIT\r\nPING\r\n")
        self.assertEqual(c.read(5), b"+OK\r\n")
        self.assertTrue(c.is_closed())

    def test_quit_in_resp2_multibulk_form(self):
        c = self.raw()
        c.send(encode_command("QUIT"))
        self.assertEqual(c.read(5), b"+OK\r\n")
        self.assertTrue(c.is_closed())

    def test_ten_thousand_pipelined_pings_get_ten_thousand_pongs(self):
        c = self.raw()
        n = 10000
        c.send(encode_command("PING") * n)
        expected = b"+PONG\r\n" * n
        self.assertEqual(c.read(len(expected)), expected)
        self.assertFalse(c.is_closed(timeout=0.2))

    def test_pipelined_replies_keep_the_command_order(self):
        c = self.raw()
        c.send(b"".join(encode_command("ECHO", str(i)) for i in range(500)))
        for i in range(500):
            self.assertEqual(c.reply(), str(i).encode())

    def test_inline_ping_with_crlf_and_with_lf(self):
        c = self.raw()
        c.send(b"PING\r\n")
        self.assertEqual(c.read(7), b"+PONG\r\n")
        c.send(b"PING\n")
        self.assertEqual(c.read(7), b"+PONG\r\n")

    def test_inline_quotes_make_one_argument(self):
        c = self.raw()
        c.send(b'ECHO "a b"\r\n')
        self.assertEqual(c.read(9), b"$3\r\na b\r\n")
        c.send(b"ECHO 'c d'\r\n")
        self.assertEqual(c.read(9), b"$3\r\nc d\r\n")
        c.send(b'ECHO "\\x41\\n"\r\n')
        self.assertEqual(c.read(8), b"$2\r\nA\n\r\n")

    def test_inline_empty_lines_are_ignored(self):
        c = self.raw()
        c.send(b"\r\n\n   \r\nPING\r\n\r\n\nPING\n")
        self.assertEqual(c.read(14), b"+PONG\r\n+PONG\r\n")
        self.assertFalse(c.is_closed(timeout=0.2))

    def test_inline_and_multibulk_mix_in_one_pipeline(self):
        c = self.raw()
        c.send(b"PING\r\n" + encode_command("ECHO", "x") + b"ECHO y\n")
        self.assertEqual(c.read(7 + 7 + 7), b"+PONG\r\n$1\r\nx\r\n$1\r\ny\r\n")

    def test_command_split_across_many_sends(self):
        c = self.raw()
        data = encode_command("ECHO", "hello world")
        for b in data:
            c.send(bytes([b]))
        self.assertEqual(c.reply(), b"hello world")

    def test_echo_is_binary_safe_over_raw_socket(self):
        c = self.raw()
        payload = bytes(range(256)) + b"\r\n\x00end"
        self.assertEqual(c.call("ECHO", payload), payload)

    def test_unknown_command_error_keeps_connection_open(self):
        c = self.raw()
        c.send(encode_command("foo", "a", "b"))
        expected = b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"
        self.assertEqual(c.read(len(expected)), expected)
        self.assertEqual(c.call("PING"), "PONG")

    def test_empty_multibulk_is_ignored(self):
        c = self.raw()
        c.send(b"*0\r\n*-1\r\nPING\r\n")
        self.assertEqual(c.read(7), b"+PONG\r\n")

    def test_ping_with_message_is_a_bulk(self):
        c = self.raw()
        c.send(encode_command("PING", "hi"))
        self.assertEqual(c.read(8), b"$2\r\nhi\r\n")
        self.assertEqual(c.call("PING", "a", "b"),
                         ("error", "ERR wrong number of arguments for 'ping' command"))


if __name__ == "__main__":
    unittest.main()
