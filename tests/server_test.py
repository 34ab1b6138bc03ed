"""Server and admin commands: INFO, CONFIG GET/SET/RESETSTAT, COMMAND, TIME, CLIENT, SHUTDOWN
and signals."""
import signal
import time
import unittest

from connection_test import Raw, RawConnections
from stashd import Stashd, StashdTestCase, encode_command


def parse_info(text):
    """INFO text -> (list of section titles, {field: value})."""
    if isinstance(text, bytes):
        text = text.decode()
    titles, fields = [], {}
    for line in text.split("\r\n"):
        if line.startswith("# "):
            titles.append(line[2:])
        elif line:
            k, _, v = line.partition(":")
            fields[k] = v
    return titles, fields


class InfoTest(StashdTestCase):
    def setUp(self):
        self.c = Raw(self.server)

    def tearDown(self):
        self.c.close()

    def info(self, *sections):
        return parse_info(self.c.call("INFO", *sections))

    def test_default_sections(self):
        titles, fields = self.info()
        self.assertEqual(titles, ["Server", "Clients", "Memory", "Persistence", "Stats",
                                  "Replication", "CPU", "Modules", "Errorstats", "Cluster",
                                  "Keyspace"])
        self.assertEqual(fields["redis_version"], "7.0.0")
        self.assertEqual(fields["redis_mode"], "standalone")
        self.assertEqual(fields["tcp_port"], str(self.server.port))
        self.assertEqual(fields["loading"], "0")
        self.assertEqual(fields["role"], "master")
        self.assertIn("used_memory", fields)
        self.assertIn("used_cpu_sys", fields)
        self.assertGreaterEqual(int(fields["connected_clients"]), 1)
        self.assertEqual(fields["maxclients"], "10000")

    def test_text_format_is_crlf_lines_of_key_value(self):
        text = self.c.call("INFO").decode()
        self.assertTrue(text.startswith("# Server\r\n"))
        self.assertTrue(text.endswith("\r\n"))
        for line in text.split("\r\n"):
            if line and not line.startswith("# "):
                # Field names are lowercase, but for Errorstats' error codes, as in Redis
                # (errorstat_ERR:count=1).
                self.assertRegex(line, r"^([a-z0-9_]+|errorstat_[A-Z]+):.*$")
        self.assertNotIn("\n\n", text.replace("\r\n", "\n").replace("\n\n#", "\n#"))

    def test_stats_fields(self):
        titles, fields = self.info("stats")
        self.assertEqual(titles, ["Stats"])
        for name in ("total_connections_received", "total_commands_processed",
                     "instantaneous_ops_per_sec", "total_net_input_bytes",
                     "total_net_output_bytes", "rejected_connections", "expired_keys",
                     "evicted_keys", "keyspace_hits", "keyspace_misses", "total_error_replies",
                     "client_output_buffer_limit_disconnections"):
            self.assertRegex(fields.get(name, "missing"), r"^\d+$", name)

    def test_commandstats_shows_ping_after_a_ping(self):
        self.c.call("PING")
        titles, fields = self.info("commandstats")
        self.assertEqual(titles, ["Commandstats"])
        self.assertRegex(fields["cmdstat_ping"],
                         r"^calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=\d+,"
                         r"failed_calls=\d+$")

    def test_commandstats_counts_subcommands_and_rejections(self):
        self.c.call("CLIENT", "SETNAME", "stats-client")
        self.c.call("ECHO")  # wrong arity: rejected
        _, fields = self.info("commandstats")
        self.assertIn("cmdstat_client|setname", fields)
        self.assertRegex(fields["cmdstat_echo"], r"rejected_calls=[1-9]")

    def test_info_everything_and_all(self):
        titles, _ = self.info("everything")
        self.assertIn("Commandstats", titles)
        self.assertIn("Keyspace", titles)
        self.assertIn("Modules", titles)
        titles, _ = self.info("all")
        self.assertIn("Commandstats", titles)
        self.assertNotIn("Modules", titles)

    def test_info_of_two_sections(self):
        titles, fields = self.info("server", "CLIENTS")
        self.assertEqual(titles, ["Server", "Clients"])
        self.assertIn("connected_clients", fields)

    def test_info_of_unknown_section_is_empty(self):
        self.assertEqual(self.c.call("INFO", "nosuchsection"), b"")

    def test_total_commands_processed_grows(self):
        before = int(self.info("stats")[1]["total_commands_processed"])
        for _ in range(5):
            self.c.call("PING")
        after = int(self.info("stats")[1]["total_commands_processed"])
        self.assertEqual(after, before + 6)  # 5 PINGs and the first INFO

    def test_total_connections_received_grows(self):
        before = int(self.info("stats")[1]["total_connections_received"])
        Raw(self.server).close()
        other = Raw(self.server)
        other.call("PING")
        other.close()
        after = int(self.info("stats")[1]["total_connections_received"])
        self.assertEqual(after, before + 2)


class ConfigCommandTest(StashdTestCase):
    def setUp(self):
        self.c = Raw(self.server)

    def tearDown(self):
        self.c.close()

    def test_get_with_glob(self):
        reply = self.c.call("CONFIG", "GET", "*max*")
        names = reply[0::2]
        self.assertIn(b"maxclients", names)
        self.assertIn(b"proto-max-bulk-len", names)
        for n in names:
            self.assertIn(b"max", n)
        self.assertEqual(len(names), len(set(names)))

    def test_get_several_patterns(self):
        reply = self.c.call("CONFIG", "GET", "port", "timeout", "maxclients", "port")
        self.assertEqual(dict(zip(reply[0::2], reply[1::2])),
                         {b"port": str(self.server.port).encode(), b"timeout": b"0",
                          b"maxclients": b"10000"})
        self.assertEqual(len(reply), 6)

    def test_get_resp2_flat_array_resp3_map(self):
        self.c.send(encode_command("CONFIG", "GET", "timeout"))
        expected = b"*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n"
        self.assertEqual(self.c.read(len(expected)), expected)
        self.c.call("HELLO", "3")
        self.c.send(encode_command("CONFIG", "GET", "timeout"))
        expected = b"%1\r\n$7\r\ntimeout\r\n$1\r\n0\r\n"
        self.assertEqual(self.c.read(len(expected)), expected)

    def test_get_of_nothing_matching_is_empty(self):
        self.assertEqual(self.c.call("CONFIG", "GET", "no-such-option"), [])

    def test_get_values_redis_benchmark_asks_for(self):
        self.assertEqual(self.c.call("CONFIG", "GET", "save"), [b"save", b""])
        self.assertEqual(self.c.call("CONFIG", "GET", "appendonly"), [b"appendonly", b"yes"])

    def test_set_runtime_options_and_read_back(self):
        try:
            self.assertEqual(self.c.call("CONFIG", "SET", "maxclients", "500"), "OK")
            self.assertEqual(self.c.call("CONFIG", "SET", "timeout", "300", "loglevel", "WARNING"),
                             "OK")
            reply = self.c.call("CONFIG", "GET", "maxclients", "timeout", "loglevel")
            self.assertEqual(dict(zip(reply[0::2], reply[1::2])),
                             {b"maxclients": b"500", b"timeout": b"300", b"loglevel": b"warning"})
            self.assertEqual(parse_info(self.c.call("INFO", "clients"))[1]["maxclients"], "500")
        finally:
            self.c.call("CONFIG", "SET", "maxclients", "10000", "timeout", "0",
                        "loglevel", "notice")

    def test_set_loglevel_takes_effect(self):
        try:
            self.assertEqual(self.c.call("CONFIG", "SET", "loglevel", "verbose"), "OK")
            other = Raw(self.server)
            port = other.sock.getsockname()[1]
            other.call("PING")
            other.close()
            deadline = time.time() + 5
            while "Accepted 127.0.0.1:%d\n" % port not in self.server.output():
                self.assertLess(time.time(), deadline, "no verbose log line")
                time.sleep(0.05)
        finally:
            self.c.call("CONFIG", "SET", "loglevel", "notice")

    def test_set_memory_units(self):
        try:
            self.assertEqual(self.c.call("CONFIG", "SET", "proto-max-bulk-len", "2mb"), "OK")
            self.assertEqual(self.c.call("CONFIG", "GET", "proto-max-bulk-len"),
                             [b"proto-max-bulk-len", b"2097152"])
            self.assertEqual(self.c.call("CONFIG", "SET", "proto-max-bulk-len", "1g"), "OK")
            self.assertEqual(self.c.call("CONFIG", "GET", "proto-max-bulk-len"),
                             [b"proto-max-bulk-len", b"1000000000"])
        finally:
            self.c.call("CONFIG", "SET", "proto-max-bulk-len", "512mb")

    def test_set_immutable_option_is_refused(self):
        self.assertEqual(self.c.call("CONFIG", "SET", "port", "1234"),
                         ("error", "ERR CONFIG SET failed (possibly related to argument 'port') - "
                                   "can't set immutable config"))
        self.assertEqual(self.c.call("CONFIG", "SET", "databases", "4"),
                         ("error", "ERR CONFIG SET failed (possibly related to argument "
                                   "'databases') - can't set immutable config"))
        self.assertEqual(self.c.call("CONFIG", "GET", "port")[1], str(self.server.port).encode())

    def test_set_unknown_option(self):
        self.assertEqual(self.c.call("CONFIG", "SET", "foo", "1"),
                         ("error", "ERR Unknown option or number of arguments for CONFIG SET - "
                                   "'foo'"))

    def test_set_bad_values(self):
        self.assertEqual(self.c.call("CONFIG", "SET", "maxclients", "abc"),
                         ("error", "ERR CONFIG SET failed (possibly related to argument "
                                   "'maxclients') - argument couldn't be parsed into an integer"))
        self.assertEqual(self.c.call("CONFIG", "SET", "timeout", "-1"),
                         ("error", "ERR CONFIG SET failed (possibly related to argument "
                                   "'timeout') - argument must be between 0 and 2147483647 "
                                   "inclusive"))
        self.assertEqual(self.c.call("CONFIG", "SET", "loglevel", "loud"),
                         ("error", "ERR CONFIG SET failed (possibly related to argument "
                                   "'loglevel') - argument(s) must be one of the following: "
                                   "debug, verbose, notice, warning"))
        self.assertEqual(self.c.call("CONFIG", "SET", "proto-max-bulk-len", "1x"),
                         ("error", "ERR CONFIG SET failed (possibly related to argument "
                                   "'proto-max-bulk-len') - argument must be a memory value"))

    def test_set_is_all_or_nothing(self):
        reply = self.c.call("CONFIG", "SET", "timeout", "77", "maxclients", "bad")
        self.assertEqual(reply[0], "error")
        self.assertEqual(self.c.call("CONFIG", "GET", "timeout"), [b"timeout", b"0"])

    def test_set_with_odd_arguments_is_a_syntax_error(self):
        self.assertEqual(self.c.call("CONFIG", "SET", "timeout", "1", "maxclients"),
                         ("error", "ERR syntax error"))
        self.assertEqual(self.c.call("CONFIG", "SET", "timeout"),
                         ("error", "ERR wrong number of arguments for 'config|set' command"))

    def test_resetstat(self):
        for _ in range(3):
            self.c.call("PING")
        self.assertEqual(self.c.call("CONFIG", "RESETSTAT"), "OK")
        _, fields = parse_info(self.c.call("INFO", "stats"))
        self.assertEqual(fields["total_commands_processed"], "1")  # CONFIG RESETSTAT itself
        self.assertEqual(fields["total_error_replies"], "0")
        _, fields = parse_info(self.c.call("INFO", "commandstats"))
        self.assertNotIn("cmdstat_ping", fields)

    def test_rewrite_without_a_config_file(self):
        self.assertEqual(self.c.call("CONFIG", "REWRITE"),
                         ("error", "ERR The server is running without a config file"))

    def test_unknown_subcommand(self):
        self.assertEqual(self.c.call("CONFIG", "foo"),
                         ("error", "ERR unknown subcommand 'foo'. Try CONFIG HELP."))

    def test_help(self):
        reply = self.c.call("CONFIG", "HELP")
        self.assertTrue(reply[0].startswith("CONFIG <subcommand>"))


class CommandCommandTest(StashdTestCase):
    def setUp(self):
        self.c = Raw(self.server)

    def tearDown(self):
        self.c.close()

    def test_count_matches_list(self):
        count = self.c.call("COMMAND", "COUNT")
        names = self.c.call("COMMAND", "LIST")
        self.assertEqual(count, len(names))
        for n in (b"ping", b"echo", b"hello", b"client", b"config", b"info", b"command"):
            self.assertIn(n, names)

    def test_info_of_known_and_unknown(self):
        ping, unknown = self.c.call("COMMAND", "INFO", "ping", "get-unknown")
        self.assertIsNone(unknown)
        self.assertEqual(ping[0], b"ping")
        self.assertEqual(ping[1], -1)
        self.assertIn("fast", ping[2])
        self.assertEqual(ping[3:6], [0, 0, 0])
        self.assertEqual(len(ping), 10)

    def test_info_is_case_insensitive_and_lists_subcommands(self):
        (client,) = self.c.call("COMMAND", "INFO", "CLIENT")
        self.assertEqual(client[0], b"client")
        subs = [s[0] for s in client[9]]
        self.assertIn(b"client|kill", subs)
        self.assertIn(b"client|setname", subs)

    def test_list_filterby_pattern(self):
        self.assertEqual(sorted(self.c.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "pin*")),
                         [b"ping"])
        self.assertEqual(sorted(self.c.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "CL*")),
                         [b"client"])

    def test_docs_is_a_map(self):
        self.c.send(encode_command("COMMAND", "DOCS"))
        self.assertEqual(self.c.read(1), b"*")  # RESP2: a flat array
        self.c.f.readline()
        self.c.call("HELLO", "3")
        self.c.send(encode_command("COMMAND", "DOCS", "ping"))
        self.assertEqual(self.c.read(1), b"%")
        self.c.f.readline()
        self.assertEqual(self.c.call("PING"), "PONG")

    def test_bare_command_lists_every_command(self):
        everything = self.c.call("COMMAND")
        self.assertEqual(len(everything), self.c.call("COMMAND", "COUNT"))

    def test_redis_cli_interactive_mode_still_works(self):
        out, code = self.server.cli(input=b"PING\nCOMMAND COUNT\n")
        self.assertEqual(code, 0)
        self.assertEqual(out.splitlines()[0], "PONG")


class TimeTest(StashdTestCase):
    def test_time_is_seconds_and_microseconds(self):
        c = Raw(self.server)
        try:
            secs, usecs = c.call("TIME")
            self.assertLess(abs(int(secs) - time.time()), 5)
            self.assertTrue(0 <= int(usecs) < 1000000)
            self.assertRegex(secs.decode(), r"^\d+$")
        finally:
            c.close()


class ClientCommandTest(RawConnections, StashdTestCase):
    def test_setinfo_shows_in_client_info(self):
        c = self.raw()
        self.assertEqual(c.call("CLIENT", "SETINFO", "LIB-NAME", "mylib"), "OK")
        self.assertEqual(c.call("CLIENT", "SETINFO", "lib-ver", "1.2.3"), "OK")
        info = c.call("CLIENT", "INFO").decode()
        self.assertIn(" lib-name=mylib lib-ver=1.2.3", info)
        self.assertTrue(info.endswith("\n"))
        self.assertEqual(c.call("CLIENT", "SETINFO", "lib-foo", "x"),
                         ("error", "ERR Unrecognized option 'lib-foo'"))

    def test_client_info_fields(self):
        c = self.raw()
        cid = c.call("CLIENT", "ID")
        c.call("CLIENT", "SETNAME", "infoname")
        info = c.call("CLIENT", "INFO").decode()
        self.assertRegex(info, r"^id=%d addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:%d fd=\d+ "
                               r"name=infoname " % (cid, self.server.port))
        self.assertIn(" cmd=client|info ", info)
        self.assertIn(" resp=2 ", info)

    def test_kill_by_id_closes_the_victim(self):
        victim = self.raw()
        vid = victim.call("CLIENT", "ID")
        killer = self.raw()
        self.assertEqual(killer.call("CLIENT", "KILL", "ID", str(vid)), 1)
        self.assertTrue(victim.is_closed())
        self.assertEqual(killer.call("CLIENT", "KILL", "ID", str(vid)), 0)

    def test_kill_by_addr(self):
        victim = self.raw()
        addr = victim.sock.getsockname()
        killer = self.raw()
        self.assertEqual(killer.call("CLIENT", "KILL", "ADDR", "%s:%d" % addr), 1)
        self.assertTrue(victim.is_closed())

    def test_kill_old_form(self):
        victim = self.raw()
        victim.call("PING")
        addr = "%s:%d" % victim.sock.getsockname()
        killer = self.raw()
        self.assertEqual(killer.call("CLIENT", "KILL", addr), "OK")
        self.assertTrue(victim.is_closed())
        self.assertEqual(killer.call("CLIENT", "KILL", addr), ("error", "ERR No such client"))
        self.assertEqual(killer.call("CLIENT", "KILL", "1.2.3.4:5"),
                         ("error", "ERR No such client"))

    def test_kill_skips_the_caller_by_default(self):
        c = self.raw()
        cid = c.call("CLIENT", "ID")
        self.assertEqual(c.call("CLIENT", "KILL", "ID", str(cid)), 0)
        self.assertEqual(c.call("CLIENT", "KILL", "ID", str(cid), "SKIPME", "no"), 1)
        self.assertTrue(c.is_closed())

    def test_kill_bad_id(self):
        c = self.raw()
        self.assertEqual(c.call("CLIENT", "KILL", "ID", "abc"),
                         ("error", "ERR client-id should be greater than 0"))

    def test_unknown_subcommand(self):
        c = self.raw()
        self.assertEqual(c.call("CLIENT", "foo"),
                         ("error", "ERR unknown subcommand 'foo'. Try CLIENT HELP."))

    def test_list_in_resp3_is_verbatim(self):
        c = self.raw()
        c.call("HELLO", "3")
        reply = c.call("CLIENT", "LIST")
        self.assertEqual(reply[:2], ("verbatim", "txt"))
        self.assertIn(b" resp=3 ", reply[2])

    def test_list_by_id(self):
        a, b = self.raw(), self.raw()
        aid = a.call("CLIENT", "ID")
        b.call("PING")
        lines = b.call("CLIENT", "LIST", "ID", str(aid)).decode().splitlines()
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].startswith("id=%d " % aid))


class ShutdownTest(unittest.TestCase):
    def check_clean_exit(self, server, code):
        self.assertEqual(code, 0, server.output())
        out = server.output()
        self.assertIn("ready to exit", out)
        self.assertNotIn("Sanitizer", out)

    def test_shutdown_command_stops_with_exit_code_0(self):
        server = Stashd()
        try:
            idle = Raw(server)  # an idle client must not hold the shutdown up
            c = Raw(server)
            started = time.time()
            c.send(encode_command("SHUTDOWN"))
            self.assertTrue(c.is_closed())
            server.proc.wait(timeout=10)
            self.assertLess(time.time() - started, 3)
            self.check_clean_exit(server, server.stop())
            idle.close()
            c.close()
        finally:
            server.cleanup()

    def test_shutdown_abort_without_shutdown_in_progress(self):
        server = Stashd()
        try:
            c = Raw(server)
            self.assertEqual(c.call("SHUTDOWN", "ABORT"),
                             ("error", "ERR No shutdown in progress."))
            self.assertEqual(c.call("SHUTDOWN", "BOGUS"), ("error", "ERR syntax error"))
            self.assertEqual(c.call("PING"), "PONG")
            c.close()
            self.check_clean_exit(server, server.stop())
        finally:
            server.cleanup()

    def test_redis_cli_shutdown(self):
        server = Stashd()
        try:
            out, code = server.cli("SHUTDOWN", "NOSAVE")
            self.assertEqual((out, code), ("", 0))
            server.proc.wait(timeout=10)
            self.check_clean_exit(server, server.stop())
        finally:
            server.cleanup()

    def stop_with(self, sig):
        server = Stashd()
        try:
            idle = Raw(server)
            self.assertEqual(idle.call("PING"), "PONG")
            started = time.time()
            code = server.stop(sig)
            self.assertLess(time.time() - started, 5)
            self.check_clean_exit(server, code)
            self.assertTrue(idle.is_closed())
            idle.close()
            return server.output()
        finally:
            server.cleanup()

    def test_sigterm_stops_cleanly(self):
        self.assertIn("Received SIGTERM", self.stop_with(signal.SIGTERM))

    def test_sigint_stops_cleanly(self):
        self.assertIn("Received SIGINT", self.stop_with(signal.SIGINT))


if __name__ == "__main__":
    unittest.main()
