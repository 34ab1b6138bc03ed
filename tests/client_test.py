"""Real clients against stashd: redis-cli (one-shot and piped) and Debian's python3-redis,
including the AUTH flow with requirepass."""
import unittest

import redis

from connection_test import Raw
from stashd import Stashd, StashdTestCase


class RedisCliTest(StashdTestCase):
    def test_ping(self):
        self.assertEqual(self.server.cli("PING"), ("PONG\n", 0))

    def test_resp3_hello_prints_a_map(self):
        out, code = self.server.cli("--no-raw", "-3", "HELLO", "3")
        self.assertEqual(code, 0)
        lines = out.splitlines()
        self.assertEqual(lines[:4], ["1# \"server\" => \"redis\"", "2# \"version\" => \"7.0.0\"",
                                     "3# \"proto\" => (integer) 3", lines[3]])
        self.assertRegex(lines[3], r'^4# "id" => \(integer\) \d+$')
        self.assertEqual(lines[4:], ['5# "mode" => "standalone"', '6# "role" => "master"',
                                     '7# "modules" => (empty array)'])

    def test_info_has_redis_version(self):
        out, code = self.server.cli("INFO")
        self.assertEqual(code, 0)
        self.assertIn("redis_version:7.0.0", out.splitlines())

    def test_config_get_port(self):
        self.assertEqual(self.server.cli("CONFIG", "GET", "port"),
                         ("port\n%d\n" % self.server.port, 0))

    # redis-cli, not on a terminal, prints an error reply followed by an empty line.
    def test_unknown_command_text(self):
        out, _ = self.server.cli("foo", "a", "b")
        self.assertEqual(out, "ERR unknown command 'foo', with args beginning with: 'a' 'b' \n\n")

    def test_wrong_arity_text(self):
        out, _ = self.server.cli("echo")
        self.assertEqual(out, "ERR wrong number of arguments for 'echo' command\n\n")
        out, _ = self.server.cli("echo", "a", "b")
        self.assertEqual(out, "ERR wrong number of arguments for 'echo' command\n\n")

    def test_subcommand_arity_text_names_the_subcommand(self):
        out, _ = self.server.cli("client", "setname")
        self.assertEqual(out, "ERR wrong number of arguments for 'client|setname' command\n\n")

    def test_command_names_are_case_insensitive(self):
        for name in ("ping", "PING", "PiNg"):
            self.assertEqual(self.server.cli(name), ("PONG\n", 0))
        self.assertEqual(self.server.cli("Config", "gEt", "port")[0],
                         "port\n%d\n" % self.server.port)

    def test_piped_mode_works(self):
        # Piped/interactive redis-cli first sends COMMAND DOCS; it must not break.
        out, code = self.server.cli(input=b"PING\nECHO hello\n")
        self.assertEqual((out, code), ("PONG\nhello\n", 0))

    def test_echo_through_a_pipe(self):
        out, code = self.server.cli(input=b"PING\n")
        self.assertEqual((out, code), ("PONG\n", 0))


class RedisPyTest(StashdTestCase):
    def setUp(self):
        self.r = self.server.client()

    def tearDown(self):
        self.r.close()

    def test_connect_and_ping(self):
        self.assertIs(self.r.ping(), True)

    def test_client_setname_getname(self):
        self.assertIsNone(self.r.client_getname())
        self.assertIs(self.r.client_setname("py-client"), True)
        self.assertEqual(self.r.client_getname(), "py-client")

    def test_client_setname_rejects_spaces(self):
        with self.assertRaises(redis.ResponseError) as cm:
            self.r.client_setname("has space")
        self.assertEqual(str(cm.exception),
                         "Client names cannot contain spaces, newlines or special characters.")

    def test_client_id_is_a_positive_integer_and_stable(self):
        r = redis.Redis(host="127.0.0.1", port=self.server.port, single_connection_client=True)
        try:
            cid = r.client_id()
            self.assertIsInstance(cid, int)
            self.assertGreater(cid, 0)
            self.assertEqual(r.client_id(), cid)
        finally:
            r.close()

    def test_client_list_shows_this_client(self):
        r = redis.Redis(host="127.0.0.1", port=self.server.port, single_connection_client=True)
        try:
            r.client_setname("lister")
            cid = r.client_id()
            mine = [c for c in r.client_list() if c["id"] == str(cid)]
            self.assertEqual(len(mine), 1)
            self.assertEqual(mine[0]["name"], "lister")
            self.assertEqual(mine[0]["db"], "0")
            self.assertEqual(mine[0]["cmd"], "client|list")
        finally:
            r.close()

    def test_echo_binary_bytes(self):
        payload = bytes(range(256)) * 4
        self.assertEqual(self.r.echo(payload), payload)

    def test_select_every_database(self):
        r = redis.Redis(host="127.0.0.1", port=self.server.port, single_connection_client=True)
        try:
            for db in range(16):
                self.assertIs(r.select(db), True)
            self.assertIn(" db=15 ", r.execute_command("CLIENT", "INFO").decode())
        finally:
            r.close()

    def test_select_out_of_range(self):
        for db in (16, -1, 100):
            with self.assertRaises(redis.ResponseError) as cm:
                self.r.select(db)
            self.assertEqual(str(cm.exception), "DB index is out of range")
        with self.assertRaises(redis.ResponseError) as cm:
            self.r.select("x")
        self.assertEqual(str(cm.exception), "value is not an integer or out of range")

    def test_client_option_db_is_honoured(self):
        r = redis.Redis(host="127.0.0.1", port=self.server.port, db=3,
                        single_connection_client=True)
        try:
            self.assertIn(" db=3 ", r.execute_command("CLIENT", "INFO").decode())
        finally:
            r.close()

    def test_auth_without_requirepass_is_an_error(self):
        with self.assertRaises(redis.ResponseError) as cm:
            self.r.execute_command("AUTH", "pw")
        self.assertEqual(str(cm.exception),
                         "AUTH <password> called without any password configured for the default "
                         "user. Are you sure your configuration is correct?")

    def test_info_parses(self):
        info = self.r.info()
        self.assertEqual(info["redis_version"], "7.0.0")
        self.assertEqual(info["loading"], 0)
        self.assertEqual(info["role"], "master")


class AuthTest(StashdTestCase):
    PASSWORD = "s3cret"
    server_args = ("--requirepass", PASSWORD)

    def setUp(self):
        self.c = Raw(self.server)

    def tearDown(self):
        self.c.close()

    def test_commands_before_auth_get_noauth(self):
        self.assertEqual(self.c.call("PING"), ("error", "NOAUTH Authentication required."))
        self.assertEqual(self.c.call("CONFIG", "GET", "port"),
                         ("error", "NOAUTH Authentication required."))

    def test_noauth_with_redis_py(self):
        r = self.server.client()
        try:
            with self.assertRaises(redis.AuthenticationError) as cm:
                r.ping()
            self.assertEqual(str(cm.exception), "Authentication required.")
        finally:
            r.close()

    def test_wrong_password(self):
        self.assertEqual(self.c.call("AUTH", "nope"),
                         ("error",
                          "WRONGPASS invalid username-password pair or user is disabled."))
        self.assertEqual(self.c.call("AUTH", "someone", self.PASSWORD),
                         ("error",
                          "WRONGPASS invalid username-password pair or user is disabled."))
        self.assertEqual(self.c.call("PING"), ("error", "NOAUTH Authentication required."))

    def test_wrong_password_with_redis_py(self):
        r = self.server.client(password="nope")
        try:
            # redis-py 4.3.4 raises the AUTH reply of its handshake as a plain ResponseError.
            with self.assertRaises(redis.ResponseError) as cm:
                r.ping()
            self.assertEqual(str(cm.exception),
                             "WRONGPASS invalid username-password pair or user is disabled.")
        finally:
            r.close()

    def test_auth_then_commands_work(self):
        self.assertEqual(self.c.call("AUTH", self.PASSWORD), "OK")
        self.assertEqual(self.c.call("PING"), "PONG")
        self.assertEqual(self.c.call("AUTH", "default", self.PASSWORD), "OK")

    def test_redis_py_with_password(self):
        r = self.server.client(password=self.PASSWORD)
        try:
            self.assertIs(r.ping(), True)
            self.assertEqual(r.echo("x"), b"x")
        finally:
            r.close()

    def test_redis_py_with_username_and_password(self):
        r = self.server.client(username="default", password=self.PASSWORD)
        try:
            self.assertIs(r.ping(), True)
        finally:
            r.close()

    def test_hello_3_with_auth(self):
        reply = self.c.call("HELLO", "3", "AUTH", "default", self.PASSWORD)
        self.assertEqual(reply[b"proto"], 3)
        self.assertEqual(reply[b"server"], b"redis")
        self.c.send(b"CLIENT GETNAME\r\n")
        self.assertEqual(self.c.read(3), b"_\r\n")

    def test_hello_auth_with_redis_py(self):
        # redis-py 4.3.4 reads RESP2 only: HELLO 2 AUTH, then commands on the same connection.
        r = redis.Redis(host="127.0.0.1", port=self.server.port, single_connection_client=True)
        try:
            reply = r.execute_command("HELLO", "2", "AUTH", "default", self.PASSWORD)
            self.assertEqual(reply[reply.index(b"proto") + 1], 2)
            self.assertIs(r.ping(), True)
        finally:
            r.close()

    def test_hello_with_wrong_auth(self):
        self.assertEqual(self.c.call("HELLO", "3", "AUTH", "default", "bad"),
                         ("error",
                          "WRONGPASS invalid username-password pair or user is disabled."))
        # Still RESP2 and still not authenticated.
        self.c.send(b"PING\r\nCLIENT GETNAME\r\n")
        expected = b"-NOAUTH Authentication required.\r\n" * 2
        self.assertEqual(self.c.read(len(expected)), expected)

    def test_hello_without_auth_is_noauth(self):
        reply = self.c.call("HELLO", "3")
        self.assertEqual(reply[0], "error")
        self.assertTrue(reply[1].startswith("NOAUTH HELLO must be called with the client already "
                                            "authenticated"), reply)

    def test_quit_and_unknown_commands_before_auth(self):
        self.assertEqual(self.c.call("nosuch"),
                         ("error", "ERR unknown command 'nosuch', with args beginning with: "))
        self.assertEqual(self.c.call("QUIT"), "OK")
        self.assertTrue(self.c.is_closed())

    def test_reset_forgets_authentication(self):
        self.assertEqual(self.c.call("AUTH", self.PASSWORD), "OK")
        self.assertEqual(self.c.call("RESET"), "RESET")
        self.assertEqual(self.c.call("PING"), ("error", "NOAUTH Authentication required."))

    def test_unauthenticated_multibulk_length_is_limited(self):
        self.c.send(b"*11\r\n")
        self.assertEqual(self.c.reply(),
                         ("error", "ERR Protocol error: unauthenticated multibulk length"))
        self.assertTrue(self.c.is_closed())

    def test_unauthenticated_bulk_length_is_limited(self):
        self.c.send(b"*1\r\n$16385\r\n")
        self.assertEqual(self.c.reply(),
                         ("error", "ERR Protocol error: unauthenticated bulk length"))
        self.assertTrue(self.c.is_closed())

    def test_authenticated_client_may_send_big_requests(self):
        self.assertEqual(self.c.call("AUTH", self.PASSWORD), "OK")
        self.assertEqual(self.c.call("ECHO", "x" * 20000), b"x" * 20000)
        cid = str(self.c.call("CLIENT", "ID"))
        self.assertTrue(self.c.call("CLIENT", "LIST", "ID", *[cid] * 10).startswith(b"id="))

    def test_reset_restores_the_unauthenticated_limits(self):
        # Regression: RESET forgot the authentication but kept the parser's post-AUTH limits.
        self.assertEqual(self.c.call("AUTH", self.PASSWORD), "OK")
        self.assertEqual(self.c.call("RESET"), "RESET")
        self.c.send(b"*11\r\n")
        self.assertEqual(self.c.reply(),
                         ("error", "ERR Protocol error: unauthenticated multibulk length"))
        self.assertTrue(self.c.is_closed())

    def test_redis_cli_with_password(self):
        out, code = self.server.cli("--no-auth-warning", "-a", self.PASSWORD, "PING")
        self.assertEqual((out, code), ("PONG\n", 0))
        out, code = self.server.cli("PING")
        self.assertEqual(out, "NOAUTH Authentication required.\n\n")


if __name__ == "__main__":
    unittest.main()
