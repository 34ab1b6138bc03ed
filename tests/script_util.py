"""What tests/scripting_test.py and tests/function_test.py share: a test case holding stashd
(self.server) and a stock redis-server (self.ref) that runs a list of commands on both, once per
protocol, and lists every command whose reply bytes differ."""
import socket

from differential import Conn, ServerAndRedisTestCase

REPLY_TIMEOUT = 5  # seconds a reply may take before stashd counts as not replying


class ScriptCompareTestCase(ServerAndRedisTestCase):
    """stashd (self.server) and a stock redis-server (self.ref)."""

    # Sent to both servers before each protocol's run of compare().
    RESET = (("FLUSHALL",), ("SCRIPT", "FLUSH"))

    def ports(self):
        return [self.server.port, self.ref.port]

    def reset(self):
        """The RESET commands on both servers."""
        for port in self.ports():
            c = Conn(port)
            try:
                for cmd in self.RESET:
                    assert c.call(*cmd) == "OK", cmd
            finally:
                c.close()

    def same_reply(self, cmd, got, want):
        """Whether stashd's reply got to cmd matches Redis's want (exact bytes here)."""
        return got == want

    def compare(self, commands, protos=(2, 3)):
        """Runs commands in order on both servers (after reset(), once per protocol) and fails
        listing every command whose replies differ (same_reply). A reply stashd never sends
        counts as different; the connection is opened again then."""
        diffs = []
        for proto in protos:
            self.reset()
            dut, ref = Conn(self.server.port, proto), Conn(self.ref.port, proto)
            dut.sock.settimeout(REPLY_TIMEOUT)
            try:
                for cmd in commands:
                    want = ref.call_raw(*cmd)
                    try:
                        got = dut.call_raw(*cmd)
                    except (socket.timeout, TimeoutError):
                        got = "no reply within %ds" % REPLY_TIMEOUT
                        dut.close()
                        dut = Conn(self.server.port, proto)
                        dut.sock.settimeout(REPLY_TIMEOUT)
                    if not self.same_reply(cmd, got, want):
                        diffs.append("RESP%d %r\n    stashd: %r\n    redis:  %r" % (
                            proto, [a if len(a) < 300 else a[:300] + "..." for a in cmd],
                            got[:600], want[:600]))
            finally:
                dut.close()
                ref.close()
        if diffs:
            self.fail("%d replies differ from Redis:\n%s" % (len(diffs), "\n".join(diffs)))

    def both(self, scenario):
        """scenario(port)'s transcript on stashd, after checking it equals Redis's."""
        got = scenario(self.server.port)
        want = scenario(self.ref.port)
        self.assertEqual(got, want, scenario.__name__)
        return got
