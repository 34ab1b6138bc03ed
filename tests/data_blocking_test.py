"""Blocking list pops (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP) and sorted-set pops (BZPOPMIN BZPOPMAX
BZMPOP), compared with a stock redis-server: each scenario runs on stashd and on Redis (same steps,
raw replies), and the two transcripts must be equal, besides the expectations written here. Covered:
clients served first-blocked-first, several keys (served from the key that got elements), pushes
from pipelines and transactions, BLMOVE feeding another waiting client, timeouts to the millisecond,
CLIENT UNBLOCK, a client closing while blocked, a key turned into another type while clients wait,
commands pipelined behind a blocking one, WATCH, RESP3, INFO blocked_clients and CLIENT LIST's b
flag; for sorted sets the same first-blocked-first serving (reply: key, member, score), BZMPOP's
COUNT, timeouts, pops inside MULTI, a ZADD in MULTI serving after EXEC, keys made sorted sets by
ZINCRBY, the *STORE commands, COPY, RENAME and MOVE, and a BLPOP and a BZPOPMIN client on one key
(each served only by its own type, as in Redis 7.0); and (stashd only) 10,000 idle blocked clients
costing no CPU."""
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


# --- sorted sets: BZPOPMIN BZPOPMAX BZMPOP ---

def zset_fifo(port):
    admin = Client(port)
    admin.call("FLUSHALL")
    waiters = [Client(port) for _ in range(4)]
    for i, (w, cmd) in enumerate(zip(waiters, ("BZPOPMIN", "BZPOPMAX", "BZPOPMIN", "BZPOPMAX"))):
        w.send(cmd, "z", "0")
        wait_blocked(admin, i + 1)
    out = [admin.call("ZADD", "z", "1", "a", "2", "b", "3", "c")]
    out += [w.read() for w in waiters[:3]]
    out.append(waiters[3].quiet())
    out += [admin.call("EXISTS", "z"), blocked_clients(admin)]
    # A ZADD inside MULTI serves after EXEC, from the set as EXEC left it.
    out += [admin.call("MULTI"), admin.call("ZADD", "z", "5", "x", "9", "y"),
            admin.call("ZINCRBY", "z", "10", "x"), admin.call("EXEC"), waiters[3].read(),
            admin.call("ZRANGE", "z", "0", "-1", "WITHSCORES"), blocked_clients(admin)]
    return out


def zset_several_keys(port):
    admin, c = Client(port), Client(port)
    admin.call("FLUSHALL")
    c.send("BZPOPMAX", "z1", "z2", "0")
    wait_blocked(admin, 1)
    out = [admin.call("MULTI"), admin.call("ZADD", "z2", "1", "x", "2", "y"),
           admin.call("ZADD", "z1", "7", "q"), admin.call("EXEC"), c.read(),
           admin.call("ZRANGE", "z1", "0", "-1"), admin.call("ZRANGE", "z2", "0", "-1")]
    # A key already holding members: no wait at all.
    out.append(c.call("BZPOPMIN", "none", "z2", "0"))
    # An added-then-removed member leaves nothing to serve: the client keeps waiting.
    c.send("BZPOPMIN", "z3", "0")
    wait_blocked(admin, 1)
    out += [admin.call("MULTI"), admin.call("ZADD", "z3", "1", "a"), admin.call("ZREM", "z3", "a"),
            admin.call("EXEC"), c.quiet(), blocked_clients(admin),
            admin.call("ZADD", "z3", "-inf", "m"), c.read()]
    return out


def bzmpop_count(port):
    admin, c, d = Client(port), Client(port), Client(port)
    admin.call("FLUSHALL")
    c.send("BZMPOP", "0", "2", "a", "b", "MIN", "COUNT", "2")
    wait_blocked(admin, 1)
    d.send("BZMPOP", "0", "1", "b", "MAX", "COUNT", "10")
    wait_blocked(admin, 2)
    out = [admin.call("ZADD", "b", "1", "x", "2", "y", "3", "z", "4", "w"), c.read(), d.read(),
           admin.call("EXISTS", "b")]
    c3 = Client(port, proto=3)
    c3.send("BZMPOP", "0", "1", "a", "MAX")
    wait_blocked(admin, 1)
    out += [admin.call("ZADD", "a", "0.5", "m", "1.5", "n"), c3.read()]
    c3.send("BZPOPMIN", "a", "0")  # RESP3: a flat array with a double
    out.append(c3.read())
    return out


def zset_timeouts(port):
    c = Client(port)
    out = []
    for cmd in (["BZPOPMIN", "z", "0.05"], ["BZPOPMAX", "z", "y", "0.1"],
                ["BZMPOP", "0.05", "1", "z", "MIN"], ["BZMPOP", "0.05", "2", "z", "y", "MAX",
                                                      "COUNT", "3"]):
        t0 = time.monotonic()
        reply = c.call(*cmd)
        elapsed = time.monotonic() - t0
        wanted = float(cmd[-1] if cmd[0] != "BZMPOP" else cmd[1])
        out.append((reply, wanted <= elapsed + 0.001, elapsed < wanted + LATE))
    out.append(c.call("BZPOPMIN", "z", "-1"))
    out.append(c.call("BZPOPMAX", "z", "x"))
    out.append(c.call("BZMPOP", "0", "0", "z", "MIN"))
    out.append(c.call("BZMPOP", "0", "1", "z", "MIN", "COUNT", "0"))
    out.append(c.call("BZMPOP", "0", "1", "z", "UP"))
    out.append(c.call("BZMPOP", "-1", "1", "z", "MIN"))
    c3 = Client(port, proto=3)
    out.append(c3.call("BZPOPMIN", "z", "0.01"))
    out.append(c3.call("BZPOPMAX", "z", "0.01"))
    out.append(c3.call("BZMPOP", "0.01", "1", "z", "MIN"))
    return out


def zset_in_multi(port):
    c = Client(port)
    c.call("FLUSHALL")
    out = [c.call("MULTI"), c.call("BZPOPMIN", "z", "0"), c.call("BZPOPMAX", "z", "y", "0"),
           c.call("BZMPOP", "0", "1", "z", "MIN"), c.call("ZADD", "z", "1", "a", "2", "b"),
           c.call("BZPOPMAX", "z", "0"), c.call("BZMPOP", "0", "1", "z", "MIN", "COUNT", "5"),
           c.call("EXEC"), c.call("EXISTS", "z")]
    # Against a key of another type: WRONGTYPE at once, in MULTI or not.
    out += [c.call("RPUSH", "l", "x"), c.call("BZPOPMIN", "l", "0"),
            c.call("BZMPOP", "0", "1", "l", "MIN")]
    return out


def list_and_zset_waiters(port):
    admin, bl, bz = Client(port), Client(port), Client(port)
    admin.call("FLUSHALL")
    bl.send("BLPOP", "k", "0")
    wait_blocked(admin, 1)
    bz.send("BZPOPMIN", "k", "0")
    wait_blocked(admin, 2)
    # The key becomes a sorted set: the BZPOPMIN client is served, the BLPOP one keeps waiting.
    out = [admin.call("ZADD", "k", "1", "m"), bz.read(), bl.quiet(), blocked_clients(admin),
           admin.call("EXISTS", "k")]
    # And the other way round: a list does not serve a BZPOPMIN client.
    bz.send("BZPOPMAX", "k", "0")
    wait_blocked(admin, 2)
    out += [admin.call("RPUSH", "k", "x"), bl.read(), bz.quiet(), blocked_clients(admin),
            admin.call("RPUSH", "k", "y"), bz.quiet(), admin.call("DEL", "k"),
            admin.call("ZADD", "k", "2", "n"), bz.read(), blocked_clients(admin)]
    return out


def zset_made_by_other_commands(port):
    """Keys that become sorted sets through ZINCRBY, ZADD INCR, the *STORE commands, RENAME, COPY
    and MOVE serve their waiters too."""
    admin = Client(port)
    admin.call("FLUSHALL")
    admin.call("ZADD", "src", "1", "a", "2", "b")
    admin.call("SELECT", "1")
    admin.call("ZADD", "m", "5", "moved")
    admin.call("SELECT", "0")
    keys = ["k1", "k2", "k3", "k4", "k5", "k6", "k7", "m"]
    waiters = [Client(port) for _ in keys]
    for i, (w, k) in enumerate(zip(waiters, keys)):
        w.send("BZPOPMAX" if i % 2 else "BZPOPMIN", k, "0")
        wait_blocked(admin, i + 1)
    out = []
    for cmd in (["ZINCRBY", "k1", "1.5", "x"], ["ZADD", "k2", "INCR", "2", "y"],
                ["ZUNIONSTORE", "k3", "1", "src"], ["ZRANGESTORE", "k4", "src", "0", "0"],
                ["ZINTERSTORE", "k5", "2", "src", "src", "WEIGHTS", "1", "2"],
                ["COPY", "src", "k6"], ["RENAME", "src", "k7"]):
        out.append(admin.call(*cmd))
        out.append(waiters[keys.index(cmd[1] if cmd[0] not in ("COPY", "RENAME") else cmd[2])]
                   .read())
    out += [admin.call("SELECT", "1"), admin.call("MOVE", "m", "0"), waiters[-1].read(),
            blocked_clients(admin)]
    return out


SCENARIOS = [fifo, several_keys, pipeline_push, timeouts, unblock, closed_while_blocked,
             type_change, chain, wrong_destination, held_pipeline, blmpop_count, watch_and_info,
             zset_fifo, zset_several_keys, bzmpop_count, zset_timeouts, zset_in_multi,
             list_and_zset_waiters, zset_made_by_other_commands]


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

    def test_zset_pops_first_blocked_first(self):
        self.compare(zset_fifo, [
            b":3\r\n", b"*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n",
            b"*3\r\n$1\r\nz\r\n$1\r\nc\r\n$1\r\n3\r\n", b"*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n",
            True, b":0\r\n", 1, b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n",
            b"*2\r\n:2\r\n$2\r\n15\r\n",
            b"*3\r\n$1\r\nz\r\n$1\r\nx\r\n$2\r\n15\r\n", b"*2\r\n$1\r\ny\r\n$1\r\n9\r\n", 0])

    def test_zset_several_keys_serve_from_the_ready_one(self):
        self.compare(zset_several_keys, [
            b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n", b"*2\r\n:2\r\n:1\r\n",
            b"*3\r\n$2\r\nz2\r\n$1\r\ny\r\n$1\r\n2\r\n", b"*1\r\n$1\r\nq\r\n", b"*1\r\n$1\r\nx\r\n",
            b"*3\r\n$2\r\nz2\r\n$1\r\nx\r\n$1\r\n1\r\n", b"+OK\r\n", b"+QUEUED\r\n",
            b"+QUEUED\r\n", b"*2\r\n:1\r\n:1\r\n", True, 1, b":1\r\n",
            b"*3\r\n$2\r\nz3\r\n$1\r\nm\r\n$4\r\n-inf\r\n"])

    def test_bzmpop_count(self):
        self.compare(bzmpop_count, [
            b":4\r\n",
            b"*2\r\n$1\r\nb\r\n*2\r\n*2\r\n$1\r\nx\r\n$1\r\n1\r\n*2\r\n$1\r\ny\r\n$1\r\n2\r\n",
            b"*2\r\n$1\r\nb\r\n*2\r\n*2\r\n$1\r\nw\r\n$1\r\n4\r\n*2\r\n$1\r\nz\r\n$1\r\n3\r\n",
            b":0\r\n", b":2\r\n", b"*2\r\n$1\r\na\r\n*1\r\n*2\r\n$1\r\nn\r\n,1.5\r\n",
            b"*3\r\n$1\r\na\r\n$1\r\nm\r\n,0.5\r\n"])

    def test_zset_timeouts(self):
        on_time = (b"*-1\r\n", True, True)
        self.compare(zset_timeouts, [on_time] * 4 + [
            b"-ERR timeout is negative\r\n", b"-ERR timeout is not a float or out of range\r\n",
            b"-ERR numkeys should be greater than 0\r\n",
            b"-ERR count should be greater than 0\r\n", b"-ERR syntax error\r\n",
            b"-ERR timeout is negative\r\n", b"_\r\n", b"_\r\n", b"_\r\n"])

    def test_zset_pops_inside_multi_answer_at_once(self):
        self.compare(zset_in_multi, [
            b"+OK\r\n"] + [b"+QUEUED\r\n"] * 6 + [
            b"*6\r\n*-1\r\n*-1\r\n*-1\r\n:2\r\n*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n"
            b"*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n", b":0\r\n", b":1\r\n",
            b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"])

    def test_list_and_zset_waiters_on_one_key(self):
        """Redis 7.0: a key that becomes a sorted set serves only the clients blocked on a
        sorted-set pop; a BLPOP client on the same key keeps waiting (and the other way round)."""
        self.compare(list_and_zset_waiters, [
            b":1\r\n", b"*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n1\r\n", True, 1, b":0\r\n",
            b":1\r\n", b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n", True, 1, b":1\r\n", True, b":1\r\n",
            b":1\r\n", b"*3\r\n$1\r\nk\r\n$1\r\nn\r\n$1\r\n2\r\n", 0])

    def test_keys_made_sorted_sets_by_other_commands_serve_waiters(self):
        def served(key, member, score):
            return b"*3\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
                len(key), key, len(member), member, len(score), score)

        self.compare(zset_made_by_other_commands, [
            b"$3\r\n1.5\r\n", served(b"k1", b"x", b"1.5"), b"$1\r\n2\r\n",
            served(b"k2", b"y", b"2"),
            b":2\r\n", served(b"k3", b"a", b"1"), b":1\r\n", served(b"k4", b"a", b"1"), b":2\r\n",
            served(b"k5", b"a", b"3"), b":1\r\n", served(b"k6", b"b", b"2"), b"+OK\r\n",
            served(b"k7", b"a", b"1"), b"+OK\r\n", b":1\r\n", served(b"m", b"moved", b"5"), 0])

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
