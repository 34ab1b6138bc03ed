"""Blocking list pops (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP), compared with a stock redis-server:
each scenario runs on stashd and on Redis (same steps, raw replies), and the two transcripts must
be equal, besides the expectations written here. Covered: clients served first-blocked-first,
several keys (served from the key that got elements), pushes from pipelines and transactions,
BLMOVE feeding another waiting client, timeouts to the millisecond, CLIENT UNBLOCK, a client
closing while blocked, a key turned into another type while clients wait, commands pipelined
behind a blocking one, WATCH, RESP3, INFO blocked_clients and CLIENT LIST's b flag; and (stashd
only) 10,000 idle blocked clients costing no CPU."""
import os
import select
import socket
import time
import unittest

from differential import AGAINST_REDIS, RedisServer, ServerTestCase, read_raw, stashd_only
from stashd import encode_command

# How late a timed-out client may be answered (a shared, noisy machine; sanitizer builds).
LATE = 0.25


OPEN = []  # the scenario's clients, closed after it (BlockingTest.run_on)


class Client:
    def __init__(self, port, proto=2):
        self.sock = socket.create_connection(("127.0.0.1", port))
        OPEN.append(self)
        self.file = self.sock.makefile("rb")
        if proto == 3:
            self.call("HELLO", "3")

    def send(self, *args):
        self.sock.sendall(encode_command(*[a if isinstance(a, bytes) else str(a).encode()
                                           for a in args]))

    def read(self, timeout=10):
        self.sock.settimeout(timeout)
        try:
            return read_raw(self.file)
        finally:
            self.sock.settimeout(None)

    def call(self, *args):
        self.send(*args)
        return self.read()

    def quiet(self, seconds=0.15):
        """True when no reply arrives within seconds (replies come one request at a time here,
        so none sits unread in the file's buffer)."""
        r, _, _ = select.select([self.sock], [], [], seconds)
        return not r

    def close(self):
        self.file.close()
        self.sock.close()
        if self in OPEN:
            OPEN.remove(self)


def blocked_clients(admin):
    info = admin.call("INFO", "clients").decode()
    return int(info.split("blocked_clients:")[1].split("\r\n")[0])


def wait_blocked(admin, n):
    deadline = time.time() + 10
    while blocked_clients(admin) != n:
        assert time.time() < deadline, "blocked_clients never reached %d" % n
        time.sleep(0.005)


def client_id(c):
    return int(c.call("CLIENT", "ID")[1:-2])


# --- scenarios: each takes a port and returns its transcript (raw replies and facts) ---

def fifo(port):
    admin = Client(port)
    admin.call("FLUSHALL")
    waiters = [Client(port) for _ in range(5)]
    for i, w in enumerate(waiters):
        w.send("BLPOP", "q", "0")
        wait_blocked(admin, i + 1)
    out = [admin.call("RPUSH", "q", "a", "b", "c")]
    out += [w.read() for w in waiters[:3]]
    out.append(all(w.quiet() for w in waiters[3:]))
    out += [admin.call("MULTI"), admin.call("RPUSH", "q", "d"), admin.call("RPUSH", "q", "e"),
            admin.call("EXEC")]
    out += [w.read() for w in waiters[3:]]
    out += [admin.call("EXISTS", "q"), blocked_clients(admin)]
    return out


def several_keys(port):
    admin, c = Client(port), Client(port)
    admin.call("FLUSHALL")
    c.send("BLPOP", "k1", "k2", "0")
    wait_blocked(admin, 1)
    out = [admin.call("MULTI"), admin.call("RPUSH", "k2", "x"), admin.call("RPUSH", "k1", "y"),
           admin.call("EXEC"), c.read(), admin.call("LRANGE", "k1", "0", "-1")]
    # BRPOP on several keys, one of them already holding elements: no wait at all.
    out.append(c.call("BRPOP", "none", "k1", "0"))
    return out


def pipeline_push(port):
    admin, c = Client(port), Client(port)
    admin.call("FLUSHALL")
    c.send("BLPOP", "q", "0")
    wait_blocked(admin, 1)
    admin.send("RPUSH", "q", "x")
    admin.send("LPOP", "q")
    return [admin.read(), admin.read(), c.read()]


def timeouts(port):
    c = Client(port)
    out = []
    for cmd in (["BLPOP", "q", "0.05"], ["BRPOP", "q", "r", "0.1"],
                ["BLMOVE", "q", "d", "LEFT", "LEFT", "0.05"], ["BRPOPLPUSH", "q", "d", "0.05"],
                ["BLMPOP", "0.05", "1", "q", "LEFT"]):
        t0 = time.monotonic()
        reply = c.call(*cmd)
        elapsed = time.monotonic() - t0
        wanted = float(cmd[-1] if cmd[0] != "BLMPOP" else cmd[1])
        out.append((reply, wanted <= elapsed + 0.001, elapsed < wanted + LATE))
    out.append(c.call("BLPOP", "q", "-1"))
    out.append(c.call("BLPOP", "q", "x"))
    out.append(c.call("BLPOP", "q", "inf"))
    out.append(c.call("BLMPOP", "0", "0", "q", "LEFT"))
    out.append(c.call("BLMOVE", "q", "d", "up", "LEFT", "0"))
    c3 = Client(port, proto=3)
    out.append(c3.call("BLPOP", "q", "0.01"))
    out.append(c3.call("BLMOVE", "q", "d", "LEFT", "LEFT", "0.01"))
    return out


def unblock(port):
    admin, c = Client(port), Client(port)
    admin.call("FLUSHALL")
    cid = client_id(c)
    c.send("BLPOP", "q", "0")
    wait_blocked(admin, 1)
    out = [admin.call("CLIENT", "UNBLOCK", cid), c.read()]
    c.send("BLMOVE", "q", "d", "LEFT", "LEFT", "0")
    wait_blocked(admin, 1)
    out += [admin.call("CLIENT", "UNBLOCK", cid, "ERROR"), c.read(),
            admin.call("CLIENT", "UNBLOCK", cid), admin.call("CLIENT", "UNBLOCK", cid, "bogus"),
            admin.call("CLIENT", "UNBLOCK", "x"), blocked_clients(admin),
            admin.call("RPUSH", "q", "v"), admin.call("LLEN", "q")]
    return out


def closed_while_blocked(port):
    admin, c = Client(port), Client(port)
    admin.call("FLUSHALL")
    c.send("BLPOP", "q", "0")
    wait_blocked(admin, 1)
    c.close()
    wait_blocked(admin, 0)
    return [admin.call("RPUSH", "q", "x"), admin.call("LRANGE", "q", "0", "-1")]


def type_change(port):
    admin, c = Client(port), Client(port)
    admin.call("FLUSHALL")
    c.send("BLPOP", "q", "5")
    wait_blocked(admin, 1)
    out = [admin.call("SET", "q", "v"), c.quiet(), blocked_clients(admin), admin.call("DEL", "q"),
           admin.call("RPUSH", "src", "x"), admin.call("RENAME", "src", "q"), c.read(),
           admin.call("EXISTS", "q")]
    return out


def chain(port):
    admin, a, b = Client(port), Client(port), Client(port)
    admin.call("FLUSHALL")
    a.send("BLMOVE", "q1", "q2", "RIGHT", "LEFT", "0")
    wait_blocked(admin, 1)
    b.send("BLPOP", "q2", "0")
    wait_blocked(admin, 2)
    return [admin.call("RPUSH", "q1", "x"), a.read(), b.read(), admin.call("EXISTS", "q1", "q2")]


def wrong_destination(port):
    admin, a = Client(port), Client(port)
    admin.call("FLUSHALL")
    admin.call("SET", "d", "v")
    a.send("BLMOVE", "q", "d", "LEFT", "LEFT", "0")
    wait_blocked(admin, 1)
    return [admin.call("RPUSH", "q", "x"), a.read(), admin.call("LRANGE", "q", "0", "-1")]


def held_pipeline(port):
    admin, c = Client(port), Client(port)
    admin.call("FLUSHALL")
    c.send("SET", "before", "1")
    c.send("BLPOP", "q", "0")
    c.send("PING")
    c.send("GET", "before")
    first = c.read()
    wait_blocked(admin, 1)
    out = [first, c.quiet(), admin.call("RPUSH", "q", "x"), c.read(), c.read(), c.read()]
    return out


def blmpop_count(port):
    admin, c = Client(port), Client(port)
    admin.call("FLUSHALL")
    c.send("BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2")
    wait_blocked(admin, 1)
    return [admin.call("RPUSH", "b", "1", "2", "3"), c.read(), admin.call("LRANGE", "b", "0", "-1")]


def watch_and_info(port):
    admin, c, w = Client(port), Client(port), Client(port)
    admin.call("FLUSHALL")
    cid = client_id(c)
    out = [w.call("WATCH", "q")]
    c.send("BLPOP", "q", "0")
    wait_blocked(admin, 1)
    line = [l for l in admin.call("CLIENT", "LIST").split(b"\n") if b"id=%d " % cid in l][0]
    out.append([f for f in line.split(b" ") if f.startswith((b"flags=", b"cmd="))])
    out += [admin.call("RPUSH", "q", "x"), c.read(), w.call("MULTI"), w.call("GET", "k"),
            w.call("EXEC")]
    # Inside MULTI a blocking command answers at once.
    out += [c.call("MULTI"), c.call("BLPOP", "q", "0"), c.call("BRPOPLPUSH", "q", "d", "0"),
            c.call("EXEC")]
    return out


SCENARIOS = [fifo, several_keys, pipeline_push, timeouts, unblock, closed_while_blocked,
             type_change, chain, wrong_destination, held_pipeline, blmpop_count, watch_and_info]


class BlockingTest(ServerTestCase):
    server_args = ["--maxclients", "20000"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.redis = None if AGAINST_REDIS else RedisServer(["--maxclients", "20000"])

    @classmethod
    def tearDownClass(cls):
        if cls.redis:
            cls.redis.stop()
        super().tearDownClass()

    @staticmethod
    def run_on(scenario, port):
        try:
            return scenario(port)
        finally:
            while OPEN:
                OPEN.pop().close()

    def compare(self, scenario, expected):
        got = self.run_on(scenario, self.server.port)
        if self.redis:
            self.assertEqual(got, self.run_on(scenario, self.redis.port), scenario.__name__)
        self.assertEqual(got, expected, scenario.__name__)

    def test_fifo(self):
        self.compare(fifo, [b":3\r\n", b"*2\r\n$1\r\nq\r\n$1\r\na\r\n",
                            b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n", b"*2\r\n$1\r\nq\r\n$1\r\nc\r\n", True,
                            b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n", b"*2\r\n:1\r\n:2\r\n",
                            b"*2\r\n$1\r\nq\r\n$1\r\nd\r\n", b"*2\r\n$1\r\nq\r\n$1\r\ne\r\n",
                            b":0\r\n", 0])

    def test_several_keys_serve_from_the_ready_one(self):
        self.compare(several_keys, [b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n",
                                    b"*2\r\n:1\r\n:1\r\n", b"*2\r\n$2\r\nk2\r\n$1\r\nx\r\n",
                                    b"*1\r\n$1\r\ny\r\n", b"*2\r\n$2\r\nk1\r\n$1\r\ny\r\n"])

    def test_push_in_a_pipeline_serves_before_the_next_command(self):
        self.compare(pipeline_push, [b":1\r\n", b"$-1\r\n", b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n"])

    def test_timeouts(self):
        on_time = (b"*-1\r\n", True, True)
        self.compare(timeouts, [on_time] * 5 + [
            b"-ERR timeout is negative\r\n", b"-ERR timeout is not a float or out of range\r\n",
            b"-ERR timeout is negative\r\n", b"-ERR numkeys should be greater than 0\r\n",
            b"-ERR syntax error\r\n", b"_\r\n", b"_\r\n"])

    def test_client_unblock(self):
        self.compare(unblock, [b":1\r\n", b"*-1\r\n", b":1\r\n",
                               b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n", b":0\r\n",
                               b"-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n",
                               b"-ERR value is not an integer or out of range\r\n", 0, b":1\r\n",
                               b":1\r\n"])

    def test_a_client_closed_while_blocked_takes_nothing(self):
        self.compare(closed_while_blocked, [b":1\r\n", b"*1\r\n$1\r\nx\r\n"])

    def test_key_of_another_type_keeps_clients_waiting(self):
        self.compare(type_change, [b"+OK\r\n", True, 1, b":1\r\n", b":1\r\n", b"+OK\r\n",
                                   b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n", b":0\r\n"])

    def test_blmove_feeds_the_next_waiting_client(self):
        self.compare(chain, [b":1\r\n", b"$1\r\nx\r\n", b"*2\r\n$2\r\nq2\r\n$1\r\nx\r\n",
                             b":0\r\n"])

    def test_blmove_to_a_key_of_another_type_unblocks_with_the_error(self):
        self.compare(wrong_destination, [
            b":1\r\n", b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            b"*1\r\n$1\r\nx\r\n"])

    def test_commands_behind_a_blocking_one_wait_for_it(self):
        self.compare(held_pipeline, [b"+OK\r\n", True, b":1\r\n",
                                     b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n", b"+PONG\r\n", b"$1\r\n1\r\n"])

    def test_blmpop_count(self):
        self.compare(blmpop_count, [b":3\r\n", b"*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n",
                                    b"*1\r\n$1\r\n1\r\n"])

    def test_watch_info_and_multi(self):
        self.compare(watch_and_info, [
            b"+OK\r\n", [b"flags=b", b"cmd=blpop"], b":1\r\n", b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n",
            b"+OK\r\n", b"+QUEUED\r\n", b"*-1\r\n", b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n",
            b"*2\r\n*-1\r\n$-1\r\n"])

    @stashd_only
    def test_ten_thousand_idle_blocked_clients_cost_no_cpu(self):
        n = int(os.environ.get("IDLE_BLOCKED", "10000"))
        admin = Client(self.server.port)
        clients = []
        try:
            for i in range(n):
                c = Client(self.server.port)
                # Half wait forever, half for an hour: neither kind may wake the server.
                c.send("BLPOP", "idle%d" % (i % 100), "0" if i % 2 else "3600")
                clients.append(c)
            wait_blocked(admin, n)
            ticks = os.sysconf("SC_CLK_TCK")

            def cpu():
                with open("/proc/%d/stat" % self.server.proc.pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

            before = cpu()
            time.sleep(2)
            used = cpu() - before
            print("\n%d blocked clients: %.3f s of CPU in 2 s idle" % (n, used))
            # Idle: the writer sleeps until a deadline an hour away (expiry's 10 Hz cycle and
            # the cron are the only wake-ups left).
            self.assertLess(used, 0.2)
            self.assertEqual(admin.call("RPUSH", "idle7", "x"), b":1\r\n")
            self.assertEqual(clients[7].read(), b"*2\r\n$5\r\nidle7\r\n$1\r\nx\r\n")
        finally:
            for c in clients:
                c.close()
            wait_blocked(admin, 0)
            admin.close()


if __name__ == "__main__":
    unittest.main()
