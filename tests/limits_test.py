"""Client limits: maxclients, idle timeout, client-output-buffer-limit; redis-benchmark load."""
import socket
import subprocess
import threading
import time
import unittest

from connection_test import Raw
from server_test import parse_info
from stashd import Stashd, StashdTestCase


class ServerCase(unittest.TestCase):
    """A stashd of its own with the class's args, stopped with an exit-code check."""

    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = Stashd(cls.server_args)

    @classmethod
    def tearDownClass(cls):
        try:
            assert cls.server.stop() == 0, cls.server.output()
        finally:
            cls.server.cleanup()


class MaxClientsTest(ServerCase):
    server_args = ("--maxclients", "2")

    def test_third_connection_is_refused_with_redis_error(self):
        a = Raw(self.server)
        b = None
        try:
            # The harness's readiness probe may still be counted for a moment.
            deadline = time.time() + 5
            while parse_info(a.call("INFO", "clients"))[1]["connected_clients"] != "1":
                self.assertLess(time.time(), deadline)
                time.sleep(0.02)
            b = Raw(self.server)
            self.assertEqual(b.call("PING"), "PONG")
            before = int(parse_info(a.call("INFO", "stats"))[1]["rejected_connections"])
            c = Raw(self.server)
            try:
                expected = b"-ERR max number of clients reached\r\n"
                self.assertEqual(c.read(len(expected)), expected)
                self.assertTrue(c.is_closed())
            finally:
                c.close()
            after = int(parse_info(a.call("INFO", "stats"))[1]["rejected_connections"])
            self.assertEqual(after, before + 1)
            # A slot freed by a leaving client can be taken again.
            b.close()
            deadline = time.time() + 5
            while time.time() < deadline:
                d = Raw(self.server)
                try:
                    if d.call("PING") == "PONG":
                        break
                except ConnectionError:
                    pass
                finally:
                    d.close()
                time.sleep(0.05)
            else:
                self.fail("a freed client slot was never reused")
        finally:
            a.close()
            if b is not None:
                b.close()


class IdleTimeoutTest(ServerCase):
    server_args = ("--timeout", "1")

    def test_idle_connection_is_closed_and_active_one_is_not(self):
        idle, active = Raw(self.server), Raw(self.server)
        try:
            self.assertEqual(idle.call("PING"), "PONG")
            result = {}

            def wait_idle():
                started = time.time()
                result["closed"] = idle.is_closed(timeout=5)
                result["after"] = time.time() - started

            waiter = threading.Thread(target=wait_idle)
            waiter.start()
            for _ in range(10):  # 3 s of activity, a command every 0.3 s
                self.assertEqual(active.call("PING"), "PONG")
                time.sleep(0.3)
            waiter.join()
            self.assertTrue(result["closed"])
            self.assertLess(result["after"], 3.0)
            self.assertEqual(active.call("PING"), "PONG")
        finally:
            idle.close()
            active.close()

    def test_slow_reader_taking_replies_is_not_idle(self):
        # Regression: a client that sent one big pipeline and then slowly read megabytes of
        # replies was closed as idle after `timeout`, mid-transfer (Redis counts writes as
        # activity).
        s = socket.socket()
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            s.connect(("127.0.0.1", self.server.port))
            s.settimeout(5)
            s.sendall(b"COMMAND\r\n" * 2000)  # about 12 MB of replies
            received = 0
            started = time.time()
            while time.time() - started < 2.5:  # at most ~1.6 MB/s: still busy after 2.5 s
                try:
                    chunk = s.recv(16384)
                except ConnectionResetError:
                    chunk = b""
                self.assertTrue(chunk, "closed after %d bytes, %.1f s" %
                                (received, time.time() - started))
                received += len(chunk)
                time.sleep(0.01)
            self.assertGreater(received, 100000)
        finally:
            s.close()

    def test_timeout_can_be_turned_off_at_runtime(self):
        admin = Raw(self.server)
        try:
            self.assertEqual(admin.call("CONFIG", "SET", "timeout", "0"), "OK")
            quiet = Raw(self.server)
            try:
                quiet.call("PING")
                self.assertFalse(quiet.is_closed(timeout=2.2))
            finally:
                quiet.close()
        finally:
            admin.call("CONFIG", "SET", "timeout", "1")
            admin.close()


class OutputBufferLimitTest(StashdTestCase):
    def test_reply_over_hard_limit_closes_the_connection(self):
        c = Raw(self.server)
        probe = Raw(self.server)
        try:
            self.assertEqual(c.call("CONFIG", "SET", "client-output-buffer-limit",
                                    "normal 1kb 0 0"), "OK")
            self.assertEqual(c.call("CONFIG", "GET", "client-output-buffer-limit")[1].split()[:4],
                             [b"normal", b"1024", b"0", b"0"])
            before = int(parse_info(probe.call("INFO", "stats"))[1][
                "client_output_buffer_limit_disconnections"])
            c.send(b"INFO everything\r\n")
            self.assertTrue(c.is_closed())
            self.assertEqual(probe.call("CONFIG", "SET", "client-output-buffer-limit",
                                        "normal 0 0 0"), "OK")
            after = int(parse_info(probe.call("INFO", "stats"))[1][
                "client_output_buffer_limit_disconnections"])
            self.assertEqual(after, before + 1)
            self.assertIn("closed for overcoming of output buffer limits", self.server.output())
        finally:
            c.close()
            probe.close()

    def test_client_stuck_over_soft_limit_is_closed_after_soft_seconds(self):
        # Regression: a client that stopped reading while over the soft limit was never closed,
        # since no read or write of its own completed to notice the soft seconds pass.
        probe = Raw(self.server)
        stuck = socket.socket()
        try:
            self.assertEqual(probe.call("CONFIG", "SET", "client-output-buffer-limit",
                                        "normal 0 100kb 1"), "OK")
            before = int(parse_info(probe.call("INFO", "stats"))[1][
                "client_output_buffer_limit_disconnections"])
            stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            stuck.connect(("127.0.0.1", self.server.port))
            stuck.sendall(b"COMMAND\r\n" * 2000)  # megabytes of replies, never read
            deadline = time.time() + 4
            after = before
            while after == before and time.time() < deadline:
                time.sleep(0.1)
                after = int(parse_info(probe.call("INFO", "stats"))[1][
                    "client_output_buffer_limit_disconnections"])
            self.assertEqual(after, before + 1)
            self.assertNotIn(b"cmd=command ", probe.call("CLIENT", "LIST"))
        finally:
            probe.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")
            probe.close()
            stuck.close()

    def test_small_replies_under_the_limit_are_fine(self):
        c = Raw(self.server)
        try:
            self.assertEqual(c.call("CONFIG", "SET", "client-output-buffer-limit",
                                    "normal 1kb 0 0"), "OK")
            for _ in range(100):
                self.assertEqual(c.call("PING"), "PONG")
        finally:
            c.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")
            c.close()

    def test_bad_limit_value(self):
        c = Raw(self.server)
        try:
            self.assertEqual(c.call("CONFIG", "SET", "client-output-buffer-limit", "normal 1x 0 0"),
                             ("error", "ERR CONFIG SET failed (possibly related to argument "
                                       "'client-output-buffer-limit') - Wrong client output "
                                       "buffer limit value"))
            self.assertEqual(c.call("CONFIG", "SET", "client-output-buffer-limit", "normal 1 0"),
                             ("error", "ERR CONFIG SET failed (possibly related to argument "
                                       "'client-output-buffer-limit') - Wrong number of "
                                       "arguments in buffer limit configuration."))
        finally:
            c.close()


class BenchmarkTest(StashdTestCase):
    def benchmark(self, *args):
        r = subprocess.run(["redis-benchmark", "-p", str(self.server.port), "-q"] + list(args),
                           capture_output=True, timeout=60)
        out = r.stdout.decode(errors="replace")
        self.assertEqual(r.returncode, 0, out + r.stderr.decode(errors="replace"))
        self.assertNotIn("WARNING", out + r.stderr.decode(errors="replace"))
        # -q prints "\r<progress>\r<TEST>: <n> requests per second..." per test; keep the final.
        return {m.split(":")[0].strip(): m for m in out.replace("\r", "\n").splitlines()
                if "requests per second" in m}

    def test_ping_pipelined(self):
        results = self.benchmark("-t", "ping", "-n", "100000", "-P", "16")
        self.assertEqual(sorted(results), ["PING_INLINE", "PING_MBULK"])

    def test_ping_inline_and_mbulk_with_many_clients(self):
        results = self.benchmark("-t", "ping_inline,ping_mbulk", "-n", "20000", "-c", "50")
        self.assertEqual(sorted(results), ["PING_INLINE", "PING_MBULK"])
        c = Raw(self.server)
        try:
            fields = parse_info(c.call("INFO", "stats"))[1]
            self.assertGreaterEqual(int(fields["total_commands_processed"]), 40000)
        finally:
            c.close()


class IoThreadsTest(ServerCase):
    server_args = ("--io-threads", "4")

    def test_load_with_client_list_and_kill_from_other_threads(self):
        bench = subprocess.Popen(["redis-benchmark", "-p", str(self.server.port), "-q",
                                  "-t", "ping", "-n", "100000", "-c", "20", "-P", "4"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        admin = Raw(self.server)
        try:
            time.sleep(0.2)
            for _ in range(20):
                self.assertIn(b"cmd=", admin.call("CLIENT", "LIST"))
                killed = admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
                self.assertIsInstance(killed, int)
                time.sleep(0.02)
        finally:
            try:
                bench.wait(timeout=60)
            finally:
                if bench.poll() is None:
                    bench.kill()
        self.assertEqual(admin.call("PING"), "PONG")
        admin.close()


if __name__ == "__main__":
    unittest.main()
