"""Configuration: the redis.conf-style file, flags over the file, size units, refusing to start
on bad input, --help/--version, and CONFIG REWRITE."""
import os
import shutil
import subprocess
import tempfile
import unittest

from connection_test import Raw
from stashd import ROOT, Stashd, free_port, stashd_binary


def config_get(server, *names):
    c = Raw(server)
    try:
        reply = c.call("CONFIG", "GET", *names)
    finally:
        c.close()
    return {k.decode(): v.decode() for k, v in zip(reply[0::2], reply[1::2])}


class RunningServer:
    """with RunningServer(args, config_text) as s: ... stops it (exit code 0) and cleans up."""

    def __init__(self, args=(), config_text=None):
        self.server = Stashd(list(args), config_text=config_text)

    def __enter__(self):
        return self.server

    def __exit__(self, *exc):
        try:
            code = self.server.stop()
            if exc[0] is None:
                assert code == 0, "exit code %s:\n%s" % (code, self.server.output())
        finally:
            self.server.cleanup()


class StartupTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="stashd-config-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_stashd(self, *args, config_text=None):
        """Runs stashd expecting it to exit by itself; returns (exit code, output)."""
        cmd = [stashd_binary()]
        if config_text is not None:
            path = os.path.join(self.tmp, "bad.conf")
            with open(path, "w") as f:
                f.write(config_text)
            cmd.append(path)
        cmd += ["--port", str(free_port()), "--dir", os.path.join(self.tmp, "data")] + list(args)
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=20)
        except subprocess.TimeoutExpired:
            self.fail("stashd kept running with %r" % (config_text or args,))
        return r.returncode, (r.stdout + r.stderr).decode(errors="replace")

    def test_file_with_comments_is_honoured(self):
        text = ("# a comment\n"
                "\n"
                "   # an indented comment\n"
                "maxclients 123\n"
                "  timeout   45  \n"
                "loglevel WARNING\n"
                'requirepass ""\n'
                "client-output-buffer-limit normal 1mb 512kb 10\n")
        with RunningServer(config_text=text) as s:
            self.assertEqual(config_get(s, "maxclients", "timeout", "loglevel", "requirepass"),
                             {"maxclients": "123", "timeout": "45", "loglevel": "warning",
                              "requirepass": ""})
            self.assertEqual(config_get(s, "client-output-buffer-limit")
                             ["client-output-buffer-limit"].split()[:4],
                             ["normal", "1048576", "524288", "10"])

    def test_crlf_line_endings_are_accepted(self):
        with RunningServer(config_text="maxclients 77\r\ntimeout 3\r\n") as s:
            self.assertEqual(config_get(s, "maxclients", "timeout"),
                             {"maxclients": "77", "timeout": "3"})

    def test_later_line_wins(self):
        with RunningServer(config_text="maxclients 10\nmaxclients 20\n") as s:
            self.assertEqual(config_get(s, "maxclients"), {"maxclients": "20"})

    def test_flag_overrides_the_file(self):
        with RunningServer(["--maxclients", "200"], config_text="maxclients 100\ntimeout 9\n") as s:
            self.assertEqual(config_get(s, "maxclients", "timeout"),
                             {"maxclients": "200", "timeout": "9"})

    def test_sizes_in_units(self):
        text = ("proto-max-bulk-len 2mb\n"
                "client-query-buffer-limit 1gb\n"
                "lsm-block-size 1k\n"
                "lsm-block-cache-size 1kb\n"
                "lsm-target-file-size 3M\n"
                "lsm-l1-size 1g\n")
        with RunningServer(config_text=text) as s:
            self.assertEqual(config_get(s, "proto-max-bulk-len", "client-query-buffer-limit",
                                        "lsm-block-size", "lsm-block-cache-size",
                                        "lsm-target-file-size", "lsm-l1-size"),
                             {"proto-max-bulk-len": "2097152",
                              "client-query-buffer-limit": "1073741824",
                              "lsm-block-size": "1000", "lsm-block-cache-size": "1024",
                              "lsm-target-file-size": "3000000", "lsm-l1-size": "1000000000"})

    def test_size_units_on_flags(self):
        with RunningServer(["--proto-max-bulk-len", "3mb"]) as s:
            self.assertEqual(config_get(s, "proto-max-bulk-len"),
                             {"proto-max-bulk-len": "3145728"})

    def test_unknown_option_refuses_to_start(self):
        code, out = self.run_stashd(config_text="# ok\nmaxclients 5\nno-such-option yes\n")
        self.assertNotEqual(code, 0)
        self.assertIn("at line 3", out)
        self.assertIn("unknown option 'no-such-option'", out)

    def test_bad_value_refuses_to_start(self):
        code, out = self.run_stashd(config_text="\n\nmaxclients lots\n")
        self.assertNotEqual(code, 0)
        self.assertIn("at line 3", out)
        self.assertIn("bad value for 'maxclients': argument couldn't be parsed into an integer",
                      out)

    def test_out_of_range_value_refuses_to_start(self):
        code, out = self.run_stashd(config_text="timeout -5\n")
        self.assertNotEqual(code, 0)
        self.assertIn("at line 1", out)
        self.assertIn("argument must be between 0 and 2147483647 inclusive", out)

    def test_bad_size_unit_refuses_to_start(self):
        code, out = self.run_stashd(config_text="port 0\nproto-max-bulk-len 5xb\n")
        self.assertNotEqual(code, 0)
        self.assertIn("at line 2", out)
        self.assertIn("argument must be a memory value", out)

    def test_unbalanced_quotes_refuse_to_start(self):
        code, out = self.run_stashd(config_text='requirepass "abc\n')
        self.assertNotEqual(code, 0)
        self.assertIn("at line 1", out)
        self.assertIn("unbalanced quotes", out)

    def test_option_without_value_refuses_to_start(self):
        code, out = self.run_stashd(config_text="maxclients\n")
        self.assertNotEqual(code, 0)
        self.assertIn("at line 1", out)
        self.assertIn("needs a value", out)

    def test_missing_config_file_refuses_to_start(self):
        code, out = self.run_stashd(os.path.join(self.tmp, "does-not-exist.conf"))
        self.assertNotEqual(code, 0)
        self.assertIn("does-not-exist.conf", out)

    def test_bad_flag_value_refuses_to_start(self):
        code, out = self.run_stashd("--maxclients", "lots")
        self.assertNotEqual(code, 0)
        self.assertIn("--maxclients", out)
        self.assertIn("argument couldn't be parsed into an integer", out)

    def test_unknown_flag_refuses_to_start(self):
        code, out = self.run_stashd("--no-such-flag", "1")
        self.assertNotEqual(code, 0)
        self.assertIn("--no-such-flag", out)

    def test_help_and_version(self):
        r = subprocess.run([stashd_binary(), "--help"], capture_output=True, timeout=20)
        self.assertEqual(r.returncode, 0)
        out = r.stdout.decode()
        self.assertIn("--maxclients", out)
        self.assertIn("--client-output-buffer-limit", out)
        r = subprocess.run([stashd_binary(), "--version"], capture_output=True, timeout=20)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout.decode(), r"^stashd \d+\.\d+\.\d+")


class RewriteTest(unittest.TestCase):
    TEXT = ("# StashDB test config\n"
            "# keep this comment\n"
            "\n"
            "timeout 0\n"
            "   # indented comment\n"
            "loglevel notice\n"
            'requirepass ""\n'
            "maxclients 100\n"
            "# trailing comment\n")

    def test_rewrite_keeps_comments_changes_values_appends_new_options(self):
        with RunningServer(config_text=self.TEXT) as s:
            c = Raw(s)
            try:
                self.assertEqual(c.call("CONFIG", "SET", "timeout", "30", "maxclients", "250",
                                        "tcp-keepalive", "60"), "OK")
                self.assertEqual(c.call("CONFIG", "REWRITE"), "OK")
            finally:
                c.close()
            with open(s.config_path) as f:
                lines = f.read().split("\n")
            self.assertIn("CONFIG REWRITE executed with success.", s.output())
        self.assertEqual(lines[:9], ["# StashDB test config", "# keep this comment", "",
                                     "timeout 30", "   # indented comment", "loglevel notice",
                                     'requirepass ""', "maxclients 250", "# trailing comment"])
        appended = lines[9:]
        self.assertIn("tcp-keepalive 60", appended)
        self.assertIn("port %d" % s.port, appended)
        # Options already in the file are not appended again; those that differ from their
        # defaults are (the harness passes --port and --dir).
        for line in appended:
            self.assertFalse(line.startswith(("timeout", "maxclients", "loglevel", "requirepass")),
                             line)

    def test_server_started_from_rewritten_file_has_new_values(self):
        with RunningServer(config_text=self.TEXT) as s:
            c = Raw(s)
            try:
                self.assertEqual(c.call("CONFIG", "SET", "timeout", "12", "proto-max-bulk-len",
                                        "2mb", "client-output-buffer-limit",
                                        "normal 4mb 2mb 30", "requirepass", 'p w"d'), "OK")
                self.assertEqual(c.call("AUTH", 'p w"d'), "OK")
                self.assertEqual(c.call("CONFIG", "REWRITE"), "OK")
            finally:
                c.close()
            with open(s.config_path) as f:
                text = f.read()
        with RunningServer(config_text=text) as s2:
            c = Raw(s2)
            try:
                self.assertEqual(c.call("AUTH", 'p w"d'), "OK")
                reply = c.call("CONFIG", "GET", "timeout", "proto-max-bulk-len",
                               "client-output-buffer-limit", "maxclients")
            finally:
                c.close()
        values = {k.decode(): v.decode() for k, v in zip(reply[0::2], reply[1::2])}
        self.assertEqual(values["timeout"], "12")
        self.assertEqual(values["proto-max-bulk-len"], "2097152")
        self.assertEqual(values["maxclients"], "100")
        self.assertEqual(values["client-output-buffer-limit"].split()[:4],
                         ["normal", "4194304", "2097152", "30"])

    def test_rewrite_of_the_shipped_config_file(self):
        with open(os.path.join(ROOT, "conf", "stashd.conf")) as f:
            shipped = f.read()
        with RunningServer(config_text=shipped) as s:
            c = Raw(s)
            try:
                self.assertEqual(c.call("CONFIG", "SET", "maxclients", "321"), "OK")
                self.assertEqual(c.call("CONFIG", "REWRITE"), "OK")
            finally:
                c.close()
            with open(s.config_path) as f:
                text = f.read()
        comments = [l for l in shipped.split("\n") if l.lstrip().startswith("#")]
        self.assertEqual([l for l in text.split("\n") if l.lstrip().startswith("#")
                          and l != "# Generated by CONFIG REWRITE"], comments)
        self.assertIn("\nmaxclients 321\n", text)
        with RunningServer(config_text=text) as s2:
            self.assertEqual(config_get(s2, "maxclients"), {"maxclients": "321"})

    def test_rewrite_without_config_file(self):
        with RunningServer() as s:
            c = Raw(s)
            try:
                self.assertEqual(c.call("CONFIG", "REWRITE"),
                                 ("error", "ERR The server is running without a config file"))
            finally:
                c.close()


if __name__ == "__main__":
    unittest.main()
