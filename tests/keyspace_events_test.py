"""Keyspace notifications (Redis 7.0 notify.c, notify-keyspace-events): which events the data
commands publish, on which channels (__keyspace@<db>__:<key> with the event as the payload,
__keyevent@<db>__:<event> with the key), in which order, and under which flags.

The main tests are differential: the server under test and a stock redis-server run the same
seeded command mix (strings, keys, expiry, hashes, sets, SELECT/SWAPDB/FLUSHDB, MULTI blocks,
pipelines, wrong-type errors; between those steps, streams with their consumer groups on keys of
their own) over a small key space in db 0 and 1; on each server a subscriber
PSUBSCRIBEs __key*@*__:* and SUBSCRIBEs a sentinel channel, and after every step a third
connection PUBLISHes the next sentinel: everything the subscriber reads before it is the step's
events, compared exactly and in order (no sleeps). Replies are compared too (unordered ones as
sets, XPENDING without idle times). Expiry times are either far in the future or already past,
so no key expires during a differential run; SPOP is only used where its result does not depend
on the random pick; stream IDs are explicit and XCLAIM/XAUTOCLAIM have a min-idle-time of 0, so
no reply depends on the time.

The rest: a table of single commands with the events Redis 7.0 publishes for them (the reference
for the implementation), active and lazy expiry ('expired' events, compared as sets of keys),
CONFIG SET/GET of the flags (normalisation, errors), the setting from the command line and a
config file, and a RESP3 subscriber.

KEYSPACE_SEED fixes the seed (printed on failure); KEYSPACE_COMMANDS the commands per run.
Every expectation is checked against Redis 7.0 with DATA_TARGET=redis."""
import io
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from differential import AGAINST_REDIS, Conn, RedisAsStashd, ServerAndRedisTestCase, \
    ServerTestCase, read_raw
from stashd import Stashd, config_file_args, encode_command, free_port, read_reply, \
    stashd_binary, stop_server

PATTERN = b"__key*@*__:*"
SENTINEL = b"sentinel"
FLAGS_ERROR = ("error", "ERR CONFIG SET failed (possibly related to argument "
               "'notify-keyspace-events') - Invalid event class character. "
               "Use 'Ag$lshzxeKEtmdn'.")
BASE_SEED = int(os.environ.get("KEYSPACE_SEED", random.randrange(1 << 31)))
COMMANDS = int(os.environ.get("KEYSPACE_COMMANDS", "500"))
# How long a subscriber waits for the sentinel: events that never come are a failure, not a hang.
SUB_TIMEOUT = 10


def parse(raw):
    return read_reply(io.BytesIO(raw))


def start(args=(), config_text=None):
    """The server under test with extra arguments and config file text (a stock Redis with both
    when DATA_TARGET=redis)."""
    if AGAINST_REDIS:
        return RedisAsStashd(args, config_text)
    return Stashd(list(args), config_text=config_text)


def ev(spec):
    """Expected events from a compact text: "new k, set k, @1 move_to k" -> for each item the
    keyspace message (__keyspace@db__:key, event) followed by the keyevent message
    (__keyevent@db__:event, key); db 0 unless @N is given."""
    out = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        parts = item.split()
        db = 0
        if parts[0].startswith("@"):
            db = int(parts[0][1:])
            parts = parts[1:]
        event = parts[0].encode()
        key = b"" if len(parts) < 2 or parts[1] == "''" else parts[1].encode()
        out.append((b"__keyspace@%d__:%s" % (db, key), event))
        out.append((b"__keyevent@%d__:%s" % (db, event), key))
    return out


class Watcher:
    """One server seen through three connections: `conn` runs the commands, `sub` (RESP2 or
    RESP3) has PSUBSCRIBEd PATTERN and SUBSCRIBEd SENTINEL, `pub` publishes the sentinel."""

    def __init__(self, port, proto=2, pattern=PATTERN):
        self.proto = proto
        self.pattern = pattern
        self.conn = Conn(port)
        self.pub = Conn(port)
        self.sub = Conn(port, proto)
        self.sub.sock.settimeout(SUB_TIMEOUT)
        self.n = 0
        self.broken = False  # a sentinel did not come: skip the unsubscribe handshake
        self.sub.sock.sendall(encode_command(b"PSUBSCRIBE", pattern))
        got = self.read_push()
        assert got == [b"psubscribe", pattern, 1], got
        self.sub.sock.sendall(encode_command(b"SUBSCRIBE", SENTINEL))
        got = self.read_push()
        assert got == [b"subscribe", SENTINEL, 2], got

    def read_push(self):
        """One message for the subscriber: a RESP2 array, a RESP3 push ('>')."""
        raw = read_raw(self.sub.file)
        kind = b">" if self.proto == 3 else b"*"
        assert raw[:1] == kind, "a subscriber message of the wrong type: %r" % raw
        return parse(raw)

    def events(self):
        """Publishes the next sentinel and returns what the subscriber read before it: the
        events, as [(channel, payload)]."""
        self.n += 1
        token = b"%d" % self.n
        receivers = self.pub.call(b"PUBLISH", SENTINEL, token)
        assert receivers == 1, "PUBLISH %s reached %r subscribers" % (SENTINEL, receivers)
        out = []
        while True:
            try:
                msg = self.read_push()
            except (socket.timeout, TimeoutError):
                self.broken = True
                raise AssertionError("the sentinel did not arrive within %ds; events before it: %r"
                                     % (SUB_TIMEOUT, out))
            if msg[0] == b"message":
                assert msg[1:] == [SENTINEL, token], "unexpected message %r" % (msg,)
                return out
            assert len(msg) == 4 and msg[0] == b"pmessage" and msg[1] == self.pattern, msg
            out.append((msg[2], msg[3]))

    def run(self, *args):
        """(reply, events) of one command."""
        reply = self.conn.call(*args)
        return reply, self.events()

    def close(self):
        """Unsubscribes (so that the next PUBLISH counts one subscriber only), then closes."""
        try:
            if self.broken:
                return
            self.sub.sock.sendall(encode_command(b"PUNSUBSCRIBE") + encode_command(b"UNSUBSCRIBE"))
            while True:
                msg = self.read_push()
                if msg[0] == b"unsubscribe":
                    break
        finally:
            for c in (self.conn, self.pub, self.sub):
                c.close()


# --- the command mix

# Each type mostly on its own keys (85%), else on any: values change type now and then and
# WRONGTYPE errors are common, but most commands do something.
STRING_KEYS = [b"k0", b"k1", b"k\x00z", b""]
HASH_KEYS = [b"h0", b"h1"]
SET_KEYS = [b"s0", b"s1", b"s2"]
KEYS = STRING_KEYS + HASH_KEYS + SET_KEYS
VALUES = [b"v", b"", b"0", b"1", b"-3", b"10", b"1.5", b"abc", b"9223372036854775807", b"x y"]
INTS = [b"1", b"-2", b"5", b"0", b"x", b"1.5", b"9223372036854775807"]
FLOATS = [b"1.5", b"-2", b"0.25", b"x", b"inf", b"1e3"]
FIELDS = [b"f0", b"f1", b"f2", b"n"]
MEMBERS = [b"a", b"b", b"c", b"1", b"2", b"3"]
DBS = [b"0", b"1"]
# Flag sets for the runs that change the flags on the way.
FLAG_POOL = [b"KEA", b"AKEn", b"KEn", b"Kg$", b"Elshx", b"Eh", b"Ks", b"KEd", b"KEt", b"A", b"",
             b"E$n", b"Kgn", b"KEA", b"AKEn"]

# Streams: keys of their own, touched by no command of the other types (only by SELECT, SWAPDB,
# FLUSHDB, FLUSHALL), and drawn from a random stream of their own (Generator.srng): a seed runs
# the same commands of the other types as before streams were added, with stream steps between
# them. IDs are explicit (never '*': no time in a reply) and increase over all the stream keys.
STREAM_KEYS = [b"x0", b"x1", b"x\x00s"]
GROUPS = [b"g0", b"g1"]
CONSUMERS = [b"c0", b"c1", b"c2"]
# The chance of a stream step after each step of the other types.
STREAM_STEPS = 0.3


class Generator:
    """Seeded commands. Expiry times are unique and at least 10 s apart, far in the future or
    already past (a past time deletes at once: EXPIRE family, GETEX EXAT/PXAT); SET never gets
    a past absolute time (Redis keeps such a key until its expiry cycle finds it)."""

    def __init__(self, seed, start_ms):
        self.rng = random.Random(seed)
        self.start_ms = start_ms
        self.offsets = list(range(1, 50000))
        self.rng.shuffle(self.offsets)
        self.srng = random.Random("streams %d" % seed)
        self.ms = 1000  # the ms part of the last new stream ID
        self.ids = [b"1000-0"]  # stream IDs given so far (the latest last)
        self.xttl = 0  # stream keys' expiry times: 1000 s apart, far from the others'
        self.fixed = None  # (key, group) that every stream command uses (stream_scenario)

    def key(self, pool=KEYS):
        return self.rng.choice(pool if self.rng.random() < 0.85 else KEYS)

    def skey(self):
        return self.key(STRING_KEYS)

    def hkey(self):
        return self.key(HASH_KEYS)

    def setkey(self):
        return self.key(SET_KEYS)

    def value(self):
        if self.rng.random() < 0.7:
            return self.rng.choice(VALUES)
        return b"v%d" % self.rng.randrange(20)

    def future_s(self):
        return self.offsets.pop() * 10 + 100

    def expire_arg(self, op, past=True):
        """An argument of an expiry option or command: op is EX PX EXAT PXAT."""
        g = self.rng
        r = g.random()
        ms = op in (b"PX", b"PXAT")
        absolute = op in (b"EXAT", b"PXAT")
        if r < 0.75:
            s = self.future_s()
            if absolute:
                s += self.start_ms // 1000
            return b"%d" % (s * 1000 + g.randrange(1000) if ms else s)
        if r < 0.88 and past:
            if absolute:
                return g.choice([b"1", b"0", b"-5", b"%d" % (self.start_ms // (1 if ms else 1000)
                                                            - 100000)])
            return g.choice([b"0", b"-1", b"-100"])
        return g.choice([b"abc", b"1.5", b"", b"9223372036854775807"] +
                        ([] if absolute else [b"0", b"-1"]))

    def write(self):
        """A command that may change the data set (or fail with an error)."""
        g = self.rng
        k, v = self.skey, self.value
        c = g.randrange(100)
        if c < 10:
            args = [b"SET", k(), v()]
            for _ in range(g.choice([0, 0, 1, 1, 2])):
                o = g.random()
                if o < 0.2:
                    args.append(b"NX")
                elif o < 0.4:
                    args.append(b"XX")
                elif o < 0.6:
                    args.append(b"GET")
                elif o < 0.7:
                    args.append(b"KEEPTTL")
                else:
                    op = g.choice([b"EX", b"PX", b"EXAT", b"PXAT"])
                    args += [op, self.expire_arg(op, past=False)]
            return args
        if c < 12:
            return [b"SETNX", k(), v()]
        if c < 14:
            op = g.choice([b"SETEX", b"PSETEX"])
            return [op, k(), self.expire_arg(b"EX" if op == b"SETEX" else b"PX", past=False), v()]
        if c < 16:
            return [b"GETSET", k(), v()]
        if c < 18:
            return [b"GETDEL", k()]
        if c < 21:
            args = [b"GETEX", k()]
            o = g.random()
            if o < 0.2:
                args.append(b"PERSIST")
            elif o < 0.9:
                op = g.choice([b"EX", b"PX", b"EXAT", b"PXAT"])
                args += [op, self.expire_arg(op)]
            return args
        if c < 23:
            args = [b"MSET"]
            for _ in range(g.randrange(1, 4)):
                args += [k(), v()]
            return args
        if c < 24:
            args = [b"MSETNX"]
            for _ in range(g.randrange(1, 3)):
                args += [k(), v()]
            return args
        if c < 26:
            return [b"APPEND", k(), g.choice([b"", b"x", b"12"])]
        if c < 28:
            return [b"SETRANGE", k(), g.choice([b"0", b"1", b"3", b"-1"]),
                    g.choice([b"", b"ab", b"Z"])]
        if c < 33:
            op = g.choice([b"INCR", b"DECR", b"INCRBY", b"DECRBY", b"INCRBYFLOAT"])
            if op in (b"INCR", b"DECR"):
                return [op, k()]
            return [op, k(), g.choice(FLOATS if op == b"INCRBYFLOAT" else INTS)]
        if c < 36:
            return [g.choice([b"DEL", b"UNLINK"])] + \
                [self.key() for _ in range(g.randrange(1, 4))]
        if c < 42:
            op = g.choice([b"EXPIRE", b"PEXPIRE", b"EXPIREAT", b"PEXPIREAT"])
            unit = {b"EXPIRE": b"EX", b"PEXPIRE": b"PX", b"EXPIREAT": b"EXAT",
                    b"PEXPIREAT": b"PXAT"}[op]
            args = [op, self.key(), self.expire_arg(unit)]
            for _ in range(g.choice([0, 0, 1, 1, 2])):
                args.append(g.choice([b"NX", b"XX", b"GT", b"LT"]))
            return args
        if c < 44:
            return [b"PERSIST", self.key()]
        if c < 47:
            return [g.choice([b"RENAME", b"RENAMENX"]), self.key(), self.key()]
        if c < 50:
            args = [b"COPY", self.key(), self.key()]
            if g.random() < 0.4:
                args += [b"DB", g.choice(DBS)]
            if g.random() < 0.4:
                args.append(b"REPLACE")
            return args
        if c < 52:
            return [b"MOVE", self.key(), g.choice(DBS)]
        if c < 58:
            args = [g.choice([b"HSET", b"HSET", b"HMSET"]), self.hkey()]
            for _ in range(g.randrange(1, 3)):
                args += [g.choice(FIELDS), v()]
            return args
        if c < 60:
            return [b"HSETNX", self.hkey(), g.choice(FIELDS), v()]
        if c < 64:
            return [b"HDEL", self.hkey()] + \
                [g.choice(FIELDS) for _ in range(g.randrange(1, 3))]
        if c < 67:
            return [b"HINCRBY", self.hkey(), g.choice(FIELDS), g.choice(INTS)]
        if c < 69:
            return [b"HINCRBYFLOAT", self.hkey(), g.choice(FIELDS), g.choice(FLOATS)]
        if c < 78:
            return [b"SADD", self.setkey()] + \
                [g.choice(MEMBERS) for _ in range(g.randrange(1, 4))]
        if c < 81:
            return [b"SREM", self.setkey()] + \
                [g.choice(MEMBERS) for _ in range(g.randrange(1, 3))]
        if c < 83:
            # SPOP with a count at least the set's size (sets never hold more than 6 members),
            # or a count that is 0 or an error: the same members leave on both servers.
            return [b"SPOP", self.setkey(), g.choice([b"0", b"6", b"100", b"-1", b"x"])]
        if c < 88:
            return [b"SMOVE", self.setkey(), self.setkey(), g.choice(MEMBERS)]
        if c < 94:
            return [g.choice([b"SINTERSTORE", b"SUNIONSTORE", b"SDIFFSTORE"]), self.setkey()] + \
                [self.setkey() for _ in range(g.choice([1, 2, 2, 3]))]
        if c < 97:
            return [b"SELECT", g.choice(DBS)]
        if c < 98:
            return [b"SWAPDB", g.choice(DBS), g.choice(DBS)]
        if c < 99:
            return [b"FLUSHDB"] + g.choice([[], [b"ASYNC"], [b"SYNC"]])
        return g.choice([[b"SET", self.key()], [b"HSET", self.key(), b"f"], [b"SADD", self.key()],
                         [b"EXPIRE", self.key()], [b"SET", self.key(), b"v", b"bogus"],
                         [b"FLUSHALL"] if g.random() < 0.3 else [b"GETEX", self.key(), b"bogus"]])

    def read(self):
        """A command that only reads (its events are key misses, with 'm')."""
        g = self.rng
        k, sk, hk, tk = self.key, self.skey, self.hkey, self.setkey
        return g.choice([
            [b"GET", sk()], [b"MGET", sk(), k()], [b"EXISTS", k(), k()], [b"TYPE", k()],
            [b"TTL", k()], [b"PTTL", k()], [b"STRLEN", sk()], [b"GETRANGE", sk(), b"0", b"-1"],
            [b"HGET", hk(), g.choice(FIELDS)], [b"HGETALL", hk()], [b"HLEN", hk()],
            [b"HEXISTS", hk(), g.choice(FIELDS)], [b"SMEMBERS", tk()],
            [b"SISMEMBER", tk(), g.choice(MEMBERS)], [b"SCARD", tk()],
            [g.choice([b"SINTER", b"SUNION", b"SDIFF"]), tk(), tk()], [b"SRANDMEMBER", tk()],
            [b"TOUCH", k(), k()],
        ])

    # --- streams (self.srng only)

    def xkey(self, others=0.0):
        """A stream key, or with the chance others a key of the other types (only for commands
        that never create a key)."""
        g = self.srng
        if self.fixed:
            return self.fixed[0]
        return g.choice(KEYS if g.random() < others else STREAM_KEYS)

    def xgroup(self):
        if self.fixed:
            return self.fixed[1]
        return self.srng.choice(GROUPS)

    def xconsumer(self):
        return self.srng.choice(CONSUMERS)

    def new_id(self):
        """An ID for XADD: mostly above every ID given so far (ms-seq, ms, ms-*), else the last ms
        again with '-*' (the next sequence number on the stream that holds it), an old ID
        (mostly 'equal or smaller than the target stream top item'), or an invalid one."""
        g = self.srng
        r = g.random()
        if r < 0.1:
            return g.choice(self.ids[-12:])
        if r < 0.2:
            return b"%d-*" % self.ms
        if r < 0.22:
            return g.choice([b"0-0", b"0", b"x", b"-1", b"1-x", b"18446744073709551615-x"])
        self.ms += g.randrange(1, 4)
        f = g.random()
        seq = g.randrange(3) if f < 0.5 else 0
        self.ids = self.ids[-40:] + [b"%d-%d" % (self.ms, seq)]
        if f < 0.5:
            return b"%d-%d" % (self.ms, seq)
        return b"%d" % self.ms if f < 0.8 else b"%d-*" % self.ms

    def old_id(self):
        """An ID given before (most likely still in a stream or a PEL), or one never given."""
        g = self.srng
        if g.random() < 0.85:
            return g.choice(self.ids[-12:])
        return g.choice([b"1-0", b"999999999-0", b"0", b"%d" % self.ms])

    def fields(self):
        g = self.srng
        out = []
        for _ in range(g.choice([1, 1, 2])):
            out += [g.choice(FIELDS), g.choice(VALUES)]
        return out

    def trim_args(self):
        """MAXLEN or MINID, exact ('=' or nothing): small limits, so that trimming happens."""
        g = self.srng
        args = [g.choice([b"MAXLEN", b"MAXLEN", b"MINID"])]
        if g.random() < 0.5:
            args.append(b"=")
        if args[0] == b"MAXLEN":
            args.append(g.choice([b"0", b"1", b"2", b"3", b"5", b"-1", b"x"]
                                 if g.random() < 0.1 else [b"0", b"1", b"2", b"3", b"5"]))
        else:
            args.append(self.old_id())
        return args

    def xexpire_arg(self, op):
        """Like expire_arg, from srng: far in the future (unique, 1000 s apart) or past."""
        g = self.srng
        absolute = op in (b"EXPIREAT", b"PEXPIREAT")
        if g.random() < 0.8:
            self.xttl += 1000
            s = 10000000 + self.xttl
            if absolute:
                s += self.start_ms // 1000
            return b"%d" % (s * 1000 if op in (b"PEXPIRE", b"PEXPIREAT") else s)
        return g.choice([b"0", b"-1", b"1"] if absolute else [b"0", b"-1"])

    def stream_write(self, c=None):
        """A stream command that may change the data set, a generic command on stream keys, a
        command of another type on a stream key, or a stream command on another type's key
        (c: which one, else random)."""
        g = self.srng
        k = self.xkey
        if c is None:
            c = g.randrange(100)
        if c < 26:
            args = [b"XADD", k()]
            if g.random() < 0.12:
                args.append(b"NOMKSTREAM")
            r = g.random()
            if r < 0.3:
                args += self.trim_args()
            elif r < 0.32:
                args += [b"MAXLEN", b"2", b"LIMIT", b"5"]  # LIMIT needs '~': an error
            return args + [self.new_id()] + self.fields()
        if c < 32:
            return [b"XDEL", k(0.05)] + [self.old_id() for _ in range(g.randrange(1, 4))]
        if c < 37:
            return [b"XTRIM", k(0.05)] + self.trim_args()
        if c < 40:
            r = g.random()
            if r < 0.6:  # at or above the top: accepted
                self.ms += g.randrange(0, 3)
                args = [b"XSETID", k(0.05), b"%d-%d" % (self.ms, g.randrange(5))]
                self.ms += 1
            else:  # maybe below the top: 'smaller than the target stream top item'
                args = [b"XSETID", k(0.05), self.old_id()]
            if g.random() < 0.15:
                args += [b"ENTRIESADDED", g.choice([b"0", b"3", b"100"]),
                         b"MAXDELETEDID", g.choice([b"0-1", b"1000-0", self.old_id()])]
            return args
        if c < 46:
            args = [b"XGROUP", b"CREATE", k(0.05), self.xgroup(),
                    g.choice([b"$", b"0", b"0", self.old_id()])]
            if args[2] in STREAM_KEYS and g.random() < 0.7:
                args.append(b"MKSTREAM")
            if g.random() < 0.1:
                args += [b"ENTRIESREAD", g.choice([b"0", b"2", b"-1"])]
            return args
        if c < 49:
            return [b"XGROUP", b"SETID", k(0.05), self.xgroup(),
                    g.choice([b"$", b"0", self.old_id()])]
        if c < 51:
            return [b"XGROUP", b"DESTROY", k(0.05), self.xgroup()]
        if c < 55:
            return [b"XGROUP", b"CREATECONSUMER", k(0.05), self.xgroup(), self.xconsumer()]
        if c < 58:
            return [b"XGROUP", b"DELCONSUMER", k(0.05), self.xgroup(), self.xconsumer()]
        if c < 70:
            args = [b"XREADGROUP", b"GROUP", self.xgroup(), self.xconsumer()]
            if g.random() < 0.5:
                args += [b"COUNT", g.choice([b"1", b"2", b"10"])]
            if g.random() < 0.15:
                args.append(b"NOACK")
            keys = [k(0.05) for _ in range(g.choice([1, 1, 1, 2]))]
            return args + [b"STREAMS"] + keys + \
                [g.choice([b">", b">", b"0", self.old_id()]) for _ in keys]
        if c < 75:
            return [b"XACK", k(0.05), self.xgroup()] + \
                [self.old_id() for _ in range(g.randrange(1, 3))]
        if c < 80:
            args = [b"XCLAIM", k(0.05), self.xgroup(), self.xconsumer(), b"0"] + \
                [self.old_id() for _ in range(g.randrange(1, 3))]
            for _ in range(g.choice([0, 0, 1, 2])):
                args += g.choice([[b"JUSTID"], [b"FORCE"], [b"RETRYCOUNT", b"5"],
                                  [b"LASTID", self.old_id()], [b"IDLE", b"100000"]])
            return args
        if c < 84:
            args = [b"XAUTOCLAIM", k(0.05), self.xgroup(), self.xconsumer(), b"0",
                    g.choice([b"0", b"0-0", b"-", self.old_id()])]
            if g.random() < 0.4:
                args += [b"COUNT", g.choice([b"1", b"2", b"100"])]
            if g.random() < 0.3:
                args.append(b"JUSTID")
            return args
        if c < 87:
            return [g.choice([b"DEL", b"UNLINK"])] + [k() for _ in range(g.randrange(1, 3))]
        if c < 89:
            return [g.choice([b"RENAME", b"RENAME", b"RENAMENX"]), k(), k()]
        if c < 91:
            args = [b"COPY", k(), k()]
            if g.random() < 0.3:
                args += [b"DB", g.choice(DBS)]
            if g.random() < 0.5:
                args.append(b"REPLACE")
            return args
        if c < 92:
            return [b"MOVE", k(), g.choice(DBS)]
        if c < 95:
            op = g.choice([b"EXPIRE", b"PEXPIRE", b"EXPIREAT", b"PEXPIREAT", b"PERSIST"])
            if op == b"PERSIST":
                return [op, k()]
            args = [op, k(), self.xexpire_arg(op)]
            if g.random() < 0.3:
                args.append(g.choice([b"NX", b"XX", b"GT", b"LT"]))
            return args
        if c < 98:
            # Another type's command on a stream key: mostly WRONGTYPE, no event. Lists and
            # sorted sets only in forms that never create a key: their classes stay silent
            # (test_flag_subsets).
            x = k()
            return g.choice([
                [b"HSET", x, b"f", b"v"], [b"SADD", x, b"m"], [b"INCR", x], [b"APPEND", x, b"a"],
                [b"SETRANGE", x, b"0", b"a"], [b"LPUSHX", x, b"a"], [b"ZADD", x, b"XX", b"1", b"a"],
                [b"GETSET", x, b"v"], [b"GETDEL", x], [b"SET", x, b"v", b"GET"],
                [b"SET", x, b"v", b"XX"], [b"HDEL", x, b"f"], [b"SREM", x, b"m"],
                [b"SMOVE", x, k(), b"m"], [b"SUNIONSTORE", k(), x], [b"GETEX", x, b"PERSIST"],
                [b"HINCRBY", x, b"f", b"1"], [b"INCRBYFLOAT", x, b"1"], [b"LPOP", x],
                [b"ZADD", x, b"XX", b"INCR", b"1", b"a"], [b"ZREM", x, b"a"],
                [b"SPOP", x, b"100"]])
        x = k(0.3)  # bad arguments
        return g.choice([
            [b"XADD", x], [b"XADD", x, b"1-1", b"f"], [b"XGROUP", b"BOGUS", x],
            [b"XGROUP", b"CREATE", x, b"g0"], [b"XTRIM", x, b"MAXLEN"],
            [b"XTRIM", x, b"BOGUS", b"1"], [b"XSETID", x], [b"XDEL", x],
            [b"XREADGROUP", b"GROUP", b"g0", b"c0", b"STREAMS", x],
            [b"XCLAIM", x, b"g0", b"c0", b"x", b"1-0"],
            [b"XAUTOCLAIM", x, b"g0", b"c0", b"0", b"0", b"COUNT", b"0"]])

    def stream_read(self):
        """A stream command that only reads (events: key misses, with 'm')."""
        g = self.srng
        k = self.xkey
        return g.choice([
            [b"XLEN", k(0.1)], [b"XRANGE", k(0.1), b"-", b"+"],
            [b"XRANGE", k(), g.choice([b"-", self.old_id()]), b"+", b"COUNT", b"2"],
            [b"XREVRANGE", k(0.1), b"+", b"-"],
            [b"XREAD", b"COUNT", b"3", b"STREAMS", k(0.1), b"0"],
            [b"XREAD", b"STREAMS", k(), k(0.1), b"0", self.old_id()],
            [b"XPENDING", k(0.1), self.xgroup()],
            [b"XPENDING", k(), self.xgroup(), b"-", b"+", b"10"],
            [b"XPENDING", k(), self.xgroup(), b"-", b"+", b"10", self.xconsumer()],
            [b"TYPE", k()], [b"EXISTS", k(), k()], [b"TTL", k()], [b"GET", k()],
            [b"SMEMBERS", k()],
        ])

    # stream_write's c of the commands of a group: XADD, XDEL, XTRIM, XSETID, XGROUP SETID DESTROY
    # CREATECONSUMER DELCONSUMER, XREADGROUP, XACK, XCLAIM, XAUTOCLAIM (some more often)
    GROUP_COMMANDS = [0, 0, 26, 32, 37, 46, 49, 51, 55, 58, 58, 58, 70, 70, 75, 75, 80, 80]

    def stream_scenario(self):
        """Commands on one stream key and one group that is made sure to exist first (and
        mostly an entry to read): consumers read, claim and acknowledge entries."""
        g = self.srng
        key, group = g.choice(STREAM_KEYS), g.choice(GROUPS)
        self.fixed = (key, group)
        body = []
        if g.random() < 0.7:
            body.append([b"XADD", key, self.new_id()] + self.fields())
        body.append([b"XGROUP", b"CREATE", key, group, g.choice([b"0", b"0", b"$"]),
                     b"MKSTREAM"])
        for _ in range(g.randrange(2, 7)):
            if g.random() < 0.15:
                body.append(self.stream_read())
            else:
                body.append(self.stream_write(g.choice(self.GROUP_COMMANDS)))
        self.fixed = None
        if g.random() < 0.2:
            return [[b"MULTI"]] + body + [[b"EXEC"]]
        return body

    def stream_block(self):
        """A stream step: a list of commands sent in one write."""
        g = self.srng
        r = g.random()
        if r < 0.25:
            return self.stream_scenario()
        r = g.random()
        if r < 0.05:
            body = [self.stream_write() for _ in range(g.randrange(1, 4))]
            if g.random() < 0.15:
                body.append(g.choice([[b"XADD", self.xkey()], [b"XGROUP"]]))  # EXECABORT
            return [[b"MULTI"]] + body + [[b"EXEC"]]
        if r < 0.15:
            return [self.stream_write() if g.random() < 0.75 else self.stream_read()
                    for _ in range(g.randrange(2, 7))]
        if r < 0.35:
            return [self.stream_read()]
        return [self.stream_write()]

    def block(self):
        """One step: a list of commands sent in one write (the subscriber's sentinel follows
        the last reply), or ("SPOP1", key, count) (see EventDifferential.spop_one)."""
        g = self.rng
        r = g.random()
        if r < 0.03:
            body = [self.write() for _ in range(g.randrange(1, 4))]
            body = [c for c in body if c[0] not in (b"SELECT", b"SWAPDB", b"FLUSHDB", b"FLUSHALL")]
            if g.random() < 0.15:
                body.append(g.choice([[b"SET", self.key()], [b"INCR"]]))  # EXECABORT
            return [[b"MULTI"]] + body + [[b"EXEC"]]
        if r < 0.06:
            return ("SPOP1", self.setkey(), g.choice([[], [b"1"]]))
        if r < 0.14:
            return [self.write() if g.random() < 0.8 else self.read()
                    for _ in range(g.randrange(2, 9))]
        if r < 0.3:
            return [self.read()]
        return [self.write()]


SORTED = {b"SMEMBERS", b"SINTER", b"SUNION", b"SDIFF", b"SPOP", b"HKEYS", b"HVALS"}


def normalised(args, reply, queued=()):
    """A reply as compared: unordered ones sorted, TTLs by their sign, random ones dropped,
    XPENDING's idle times dropped; EXEC's replies each as its command's (queued: the commands
    between MULTI and EXEC)."""
    name = args[0].upper()
    if isinstance(reply, tuple):
        return reply
    if name == b"EXEC" and isinstance(reply, list) and len(reply) == len(queued):
        return [normalised(a, r) for a, r in zip(queued, reply)]
    if name == b"XPENDING" and len(args) > 3 and isinstance(reply, list):
        # [id, consumer, idle, deliveries]
        return [e[:2] + ["idle"] + e[3:] if isinstance(e, list) and len(e) == 4 else e
                for e in reply]
    if name in SORTED and isinstance(reply, list):
        return sorted(reply)
    if name == b"HGETALL" and isinstance(reply, list):
        return sorted(zip(reply[::2], reply[1::2]))
    if name in (b"TTL", b"PTTL") and isinstance(reply, int):
        return reply if reply < 0 else "positive"
    if name == b"SRANDMEMBER":
        return "random"
    return reply


class Mismatch(AssertionError):
    pass


class EventDifferential:
    """One seeded run against the server under test (dut) and Redis (ref)."""

    def __init__(self, dut_port, ref_port, seed, count, flags, proto=2, flag_changes=False):
        self.seed, self.count, self.flags, self.proto = seed, count, flags, proto
        self.flag_changes = flag_changes
        self.ports = (ref_port, dut_port)
        for port in self.ports:
            c = Conn(port)
            assert c.call(b"FLUSHALL") == "OK"
            assert c.call(b"CONFIG", b"SET", b"notify-keyspace-events", flags) == "OK"
            c.close()
        self.ref = Watcher(ref_port, proto)
        self.dut = Watcher(dut_port, proto)
        self.history = []
        self.n_events = 0

    def close(self):
        self.ref.close()
        self.dut.close()

    def step(self, commands):
        """Sends commands to both servers in one write each; compares replies and events."""
        ref_replies = self.ref.conn.pipeline(commands)
        dut_replies = self.dut.conn.pipeline(commands)
        ref_events = self.ref.events()
        dut_events = self.dut.events()
        self.history.append((commands, ref_replies, ref_events))
        self.n_events += len(ref_events)
        queued = None
        for args, e, g in zip(commands, ref_replies, dut_replies):
            name = args[0].upper()
            if name == b"EXEC":
                body, queued = queued or [], None
            else:
                body = ()
                if queued is not None:
                    queued.append(args)
                elif name == b"MULTI":
                    queued = []
            if normalised(args, e, body) != normalised(args, g, body):
                self.fail("replies differ for %r" % (args,), commands, ref_replies, dut_replies,
                          ref_events, dut_events)
        if ref_events != dut_events:
            i = next((i for i, (a, b) in enumerate(zip(ref_events, dut_events)) if a != b),
                     min(len(ref_events), len(dut_events)))
            self.fail("events differ from event #%d" % i, commands, ref_replies, dut_replies,
                      ref_events, dut_events)
        return ref_replies

    def spop_one(self, key, count):
        """SPOP without a count (or with count 1) where its pick is not random: SCARD first (a
        step of its own); SPOP key [1] when the set has at most one member, else SPOP key 100."""
        card = self.step([[b"SCARD", key]])[0]
        if isinstance(card, int) and card > 1:
            self.step([[b"SPOP", key, b"100"]])
        else:
            self.step([[b"SPOP", key] + count])

    def run(self):
        gen = Generator(self.seed, int(time.time() * 1000))
        for _ in range(self.count):
            if self.flag_changes and gen.rng.random() < 0.06:
                self.flags = gen.rng.choice(FLAG_POOL)
                self.step([[b"CONFIG", b"SET", b"notify-keyspace-events", self.flags]])
            block = gen.block()
            if isinstance(block, tuple):
                self.spop_one(block[1], block[2])
            else:
                self.step(block)
            if gen.srng.random() < STREAM_STEPS:
                self.step(gen.stream_block())
        return self.n_events

    def fail(self, why, commands, ref_replies, dut_replies, ref_events, dut_events):
        lines = ["seed %d (KEYSPACE_SEED=%d), flags %r, RESP%d subscriber, step #%d: %s"
                 % (self.seed, BASE_SEED, self.flags, self.proto, len(self.history), why),
                 "  commands:      %r" % (commands,),
                 "  redis replies: %r" % (ref_replies,),
                 "  dut replies:   %r" % (dut_replies,),
                 "  redis events:  %r" % (ref_events,),
                 "  dut events:    %r" % (dut_events,),
                 "history (commands, redis replies, redis events):"]
        for entry in self.history[-40:]:
            lines.append("  %r" % (entry,))
        path = os.path.join(tempfile.gettempdir(), "stashd-keyspace-events-%d.txt" % self.seed)
        with open(path, "w") as f:
            for entry in self.history:
                f.write("%r\n" % (entry,))
        lines.append("full history: %s" % path)
        raise Mismatch("\n".join(lines))


class DifferentialTest(ServerAndRedisTestCase):
    """The seeded mix on the server under test and on Redis, events compared exactly."""

    def run_diff(self, flags, salt, count=COMMANDS, **kw):
        seed = BASE_SEED + salt
        d = EventDifferential(self.server.port, self.ref.port, seed, count, flags, **kw)
        try:
            return d.run()
        finally:
            d.close()

    def test_all_classes(self):
        self.assertGreater(self.run_diff(b"KEA", 1), 0)

    def test_all_classes_and_new(self):
        self.assertGreater(self.run_diff(b"AKEn", 2), 0)

    def test_new_only(self):
        self.assertGreater(self.run_diff(b"KEn", 3, COMMANDS // 2), 0)

    def test_flag_subsets(self):
        """One class or channel kind at a time; with no K or E, or only classes the mix never
        fires (d, l, z, e, x here), nothing is published."""
        for i, flags in enumerate([b"Kg$", b"Elshx", b"Eh", b"Ks", b"E$", b"Kg", b"KEd",
                                   b"KElzex", b"A", b"g$lshzxetdn", b"", b"Et", b"Kgt"]):
            with self.subTest(flags=flags):
                n = self.run_diff(flags, 10 + i, COMMANDS // 3)
                if flags in (b"KEd", b"KElzex", b"A", b"g$lshzxetdn", b""):
                    self.assertEqual(n, 0)
                if flags == b"Et":
                    self.assertGreater(n, 0)

    def test_flags_change_during_the_run(self):
        self.run_diff(b"KEA", 30, flag_changes=True)

    def test_keymiss(self):
        """'m' (not in 'A'): reads of missing keys, and the reads inside some writes."""
        self.assertGreater(self.run_diff(b"AKEnm", 40), 0)

    def test_resp3_subscriber(self):
        """The events as RESP3 pushes ('>') to a HELLO 3 subscriber."""
        self.assertGreater(self.run_diff(b"AKEn", 50, COMMANDS // 2, proto=3), 0)


# --- single commands and their events, as Redis 7.0 publishes them (flags AKEn)

TABLE = [
    # (setup commands, command, expected events)
    ([], "SET k v", "new k, set k"),
    (["SET k v"], "SET k w", "set k"),
    (["SET k v"], "SET k w GET", "set k"),
    ([], "SET k w GET", "new k, set k"),
    (["SET k v"], "SET k w NX", ""),
    (["SET k v"], "SET k w NX GET", ""),
    ([], "SET k w XX", ""),
    ([], "SET k v EX 100", "new k, set k, expire k"),
    (["SET k v EX 100"], "SET k w KEEPTTL", "set k"),
    (["SET k v"], "SET k w PX 100000 GET", "set k, expire k"),
    (["SET k v"], "SET k w EX 0", ""),
    (["HSET k f v"], "SET k w", "set k"),
    (["HSET k f v"], "SET k w GET", ""),
    ([], "SETNX k v", "new k, set k"),
    (["SET k v"], "SETNX k v", ""),
    ([], "SETEX k 100 v", "new k, set k, expire k"),
    (["SET k v"], "SETEX k 100 w", "set k, expire k"),
    ([], "PSETEX k 100000 v", "new k, set k, expire k"),
    ([], "SETEX k 0 v", ""),
    (["SET k v"], "GETSET k w", "set k"),
    ([], "GETSET k w", "new k, set k"),
    (["SET k v"], "GETDEL k", "del k"),
    ([], "GETDEL k", ""),
    (["SET k v"], "GETEX k EX 100", "expire k"),
    (["SET k v"], "GETEX k PXAT 99999999999999", "expire k"),
    (["SET k v EX 100"], "GETEX k PERSIST", "persist k"),
    (["SET k v"], "GETEX k PERSIST", ""),
    (["SET k v EX 100"], "GETEX k", ""),
    (["SET k v"], "GETEX k EXAT 1", "del k"),
    (["SET k v"], "GETEX k PXAT 1", "del k"),
    (["SET k v"], "GETEX k EX 0", ""),
    (["SET a v"], "MSET a 1 b 2 a 3", "set a, new b, set b, set a"),
    ([], "MSETNX a 1 b 2", "new a, set a, new b, set b"),
    (["SET b v"], "MSETNX a 1 b 2", ""),
    ([], "APPEND k x", "new k, append k"),
    (["SET k v"], "APPEND k x", "append k"),
    (["SET k v"], "APPEND k ''", "append k"),
    ([], "APPEND k ''", "new k, append k"),
    (["SET k v"], "SETRANGE k 0 Z", "setrange k"),
    (["SET k v"], "SETRANGE k 0 ''", ""),
    ([], "SETRANGE k 2 ab", "new k, setrange k"),
    ([], "SETRANGE k 2 ''", ""),
    ([], "INCR k", "new k, incrby k"),
    (["SET k 1"], "INCR k", "incrby k"),
    (["SET k 1"], "DECR k", "incrby k"),
    (["SET k 1"], "INCRBY k 5", "incrby k"),
    (["SET k 1"], "DECRBY k 5", "incrby k"),
    (["SET k x"], "INCR k", ""),
    (["SET k 1"], "INCRBYFLOAT k 1.5", "incrbyfloat k"),
    ([], "INCRBYFLOAT k 1.5", "new k, incrbyfloat k"),
    (["SET k 1"], "INCRBYFLOAT k x", ""),
    (["SET a 1", "SET b 2"], "DEL a nokey b", "del a, del b"),
    (["SET a 1", "SET b 2"], "UNLINK b a", "del b, del a"),
    (["SET a 1", "SET b 2"], "DEL a a", "del a"),
    (["SET k v"], "EXPIRE k 100", "expire k"),
    (["SET k v"], "PEXPIRE k 100000", "expire k"),
    (["SET k v"], "EXPIREAT k 99999999999", "expire k"),
    (["SET k v"], "PEXPIREAT k 99999999999000", "expire k"),
    (["SET k v EX 100"], "EXPIRE k 100 NX", ""),
    (["SET k v EX 100"], "EXPIRE k 200 GT", "expire k"),
    (["SET k v EX 100"], "EXPIRE k 200 LT", ""),
    (["SET k v"], "EXPIRE k 200 GT", ""),
    (["SET k v"], "EXPIRE k 200 LT", "expire k"),
    (["SET k v"], "EXPIRE k 0", "del k"),
    (["SET k v"], "EXPIRE k -5", "del k"),
    (["SET k v"], "PEXPIREAT k 1", "del k"),
    (["SET k v"], "EXPIREAT k 1 NX", "del k"),
    (["SET k v"], "EXPIRE k 0 XX", ""),
    ([], "EXPIRE k 100", ""),
    (["SET k v EX 100"], "PERSIST k", "persist k"),
    (["SET k v"], "PERSIST k", ""),
    (["SET a v"], "RENAME a b", "new b, rename_from a, rename_to b"),
    (["SET a v", "SET b w"], "RENAME a b", "new b, rename_from a, rename_to b"),
    (["SET a v EX 100"], "RENAME a b", "new b, rename_from a, rename_to b"),
    (["SET a v"], "RENAME a a", ""),
    ([], "RENAME a b", ""),
    (["SET a v"], "RENAMENX a b", "new b, rename_from a, rename_to b"),
    (["SET a v", "SET b w"], "RENAMENX a b", ""),
    (["SET a v"], "COPY a b", "new b, copy_to b"),
    (["SET a v EX 100"], "COPY a b", "new b, copy_to b"),
    (["SET a v", "SET b w"], "COPY a b", ""),
    (["SET a v", "SET b w"], "COPY a b REPLACE", "new b, copy_to b"),
    (["SADD a m"], "COPY a b DB 1", "@1 new b, @1 copy_to b"),
    ([], "COPY a b", ""),
    (["SET a v EX 100"], "MOVE a 1", "@1 new a, move_from a, @1 move_to a"),
    (["SET a v", "SELECT 1", "SET a w", "SELECT 0"], "MOVE a 1", ""),
    ([], "MOVE a 1", ""),
    ([], "HSET h f v g w", "new h, hset h"),
    (["HSET h f v"], "HSET h f v", "hset h"),
    (["HSET h f v"], "HMSET h f w", "hset h"),
    ([], "HSETNX h f v", "new h, hset h"),
    (["HSET h f v"], "HSETNX h g v", "hset h"),
    (["HSET h f v"], "HSETNX h f w", ""),
    (["HSET h f v g w"], "HDEL h f x", "hdel h"),
    (["HSET h f v g w"], "HDEL h f g", "hdel h, del h"),
    (["HSET h f v"], "HDEL h x", ""),
    ([], "HINCRBY h n 1", "new h, hincrby h"),
    (["HSET h n 1"], "HINCRBY h n 1", "hincrby h"),
    (["HSET h n x"], "HINCRBY h n 1", ""),
    ([], "HINCRBYFLOAT h n 1.5", "new h, hincrbyfloat h"),
    (["HSET h n 1"], "HINCRBYFLOAT h n 1.5", "hincrbyfloat h"),
    (["SET h v"], "HSET h f v", ""),
    ([], "SADD s a b", "new s, sadd s"),
    (["SADD s a"], "SADD s a b", "sadd s"),
    (["SADD s a"], "SADD s a", ""),
    (["SADD s a b"], "SREM s a x", "srem s"),
    (["SADD s a b"], "SREM s a b", "srem s, del s"),
    (["SADD s a"], "SREM s x", ""),
    (["SADD s a"], "SPOP s", "spop s, del s"),
    (["SADD s a b"], "SPOP s 5", "spop s, del s"),
    (["SADD s a b"], "SPOP s 0", ""),
    ([], "SPOP s", ""),
    ([], "SPOP s 3", ""),
    (["SADD a m n"], "SMOVE a b m", "srem a, new b, sadd b"),
    (["SADD a m", "SADD b n"], "SMOVE a b m", "srem a, del a, sadd b"),
    (["SADD a m"], "SMOVE a b m", "srem a, del a, new b, sadd b"),
    (["SADD a m n", "SADD b m"], "SMOVE a b m", "srem a"),
    (["SADD a m", "SADD b m"], "SMOVE a b m", "srem a, del a"),
    (["SADD a m"], "SMOVE a a m", ""),
    (["SADD a m"], "SMOVE a b x", ""),
    (["SADD a 1 2", "SADD b 2 3"], "SINTERSTORE d a b", "new d, sinterstore d"),
    (["SADD a 1 2", "SADD b 2 3", "SET d v"], "SINTERSTORE d a b", "sinterstore d"),
    (["SADD a 1 2", "SADD b 3", "SET d v"], "SINTERSTORE d a b", "del d"),
    (["SADD a 1 2", "SADD b 3"], "SINTERSTORE d a b", ""),
    (["SADD a 1 2", "SET d v"], "SINTERSTORE d a nokey", "del d"),
    (["SADD a 1 2", "SADD b 3"], "SUNIONSTORE d a b", "new d, sunionstore d"),
    (["SADD a 1 2", "SADD b 3"], "SUNIONSTORE a a b", "sunionstore a"),
    (["SADD d x"], "SUNIONSTORE d nokey", "del d"),
    (["SADD a 1 2", "SADD b 2"], "SDIFFSTORE d a b", "new d, sdiffstore d"),
    (["SADD a 1 2", "SADD d x"], "SDIFFSTORE d a a", "del d"),
    (["SADD a 1", "SET s v"], "SINTERSTORE d a s", ""),
    ([], "LPUSH l a b", "new l, lpush l"),
    (["RPUSH l a"], "RPUSH l b", "rpush l"),
    ([], "LPUSHX l a", ""),
    (["RPUSH l a"], "RPUSHX l b c", "rpush l"),
    (["RPUSH l a b"], "LPOP l", "lpop l"),
    (["RPUSH l a"], "RPOP l", "rpop l, del l"),
    (["RPUSH l a b"], "LPOP l 5", "lpop l, del l"),
    (["RPUSH l a b"], "LPOP l 0", ""),
    ([], "LPOP l", ""),
    (["RPUSH l a b"], "LSET l 0 x", "lset l"),
    (["RPUSH l a b"], "LSET l 5 x", ""),
    (["RPUSH l a b"], "LINSERT l BEFORE b x", "linsert l"),
    (["RPUSH l a b"], "LINSERT l AFTER z x", ""),
    (["RPUSH l a b a"], "LREM l 0 a", "lrem l"),
    (["RPUSH l a a"], "LREM l -1 a", "lrem l"),
    (["RPUSH l a a"], "LREM l 0 a", "lrem l, del l"),
    (["RPUSH l a b"], "LREM l 0 z", ""),
    (["RPUSH l a b c"], "LTRIM l 0 1", "ltrim l"),
    (["RPUSH l a b c"], "LTRIM l 0 -1", "ltrim l"),
    (["RPUSH l a b c"], "LTRIM l 5 10", "ltrim l, del l"),
    ([], "LTRIM l 0 1", ""),
    (["RPUSH a x y"], "LMOVE a b LEFT RIGHT", "new b, rpush b, lpop a"),
    (["RPUSH a x"], "LMOVE a b RIGHT LEFT", "new b, lpush b, rpop a, del a"),
    (["RPUSH a x y"], "LMOVE a a LEFT RIGHT", "rpush a, lpop a"),
    (["RPUSH a x"], "RPOPLPUSH a a", "lpush a, rpop a"),
    (["RPUSH a x", "SET b v"], "LMOVE a b LEFT LEFT", ""),
    (["RPUSH b x y"], "LMPOP 2 a b RIGHT COUNT 5", "rpop b, del b"),
    (["RPUSH a x y"], "LMPOP 1 a LEFT", "lpop a"),
    ([], "LMPOP 2 a b LEFT", ""),
    ([], "ZADD z 1 a 2 b", "new z, zadd z"),
    (["ZADD z 1 a"], "ZADD z 1 a", ""),
    (["ZADD z 1 a"], "ZADD z 2 a", "zadd z"),
    (["ZADD z 1 a"], "ZADD z 1 a 2 b", "zadd z"),
    (["ZADD z 1 a"], "ZADD z CH 1 a", ""),
    (["ZADD z 1 a"], "ZADD z NX 5 a", ""),
    (["ZADD z 1 a"], "ZADD z XX 5 a", "zadd z"),
    (["ZADD z 1 a"], "ZADD z XX 5 b", ""),
    ([], "ZADD z XX 5 b", ""),
    (["ZADD z 1 a"], "ZADD z GT 0 a", ""),
    (["SET z v"], "ZADD z 1 a", ""),
    (["ZADD z 1 a"], "ZADD z INCR 2 a", "zincr z"),
    ([], "ZADD z INCR 2 a", "new z, zincr z"),
    (["ZADD z 1 a"], "ZADD z NX INCR 2 a", ""),
    (["ZADD z 1 a"], "ZINCRBY z 2 a", "zincr z"),
    ([], "ZINCRBY z 2 a", "new z, zincr z"),
    (["ZADD z 1 a"], "ZINCRBY z 0 a", ""),
    (["ZADD z inf a"], "ZINCRBY z -inf a", ""),
    (["ZADD z 1 a 2 b"], "ZREM z a x", "zrem z"),
    (["ZADD z 1 a 2 b"], "ZREM z a b", "zrem z, del z"),
    (["ZADD z 1 a"], "ZREM z x", ""),
    ([], "ZREM z x", ""),
    (["ZADD z 1 a 2 b 3 c"], "ZREMRANGEBYSCORE z 1 2", "zremrangebyscore z"),
    (["ZADD z 1 a 2 b 3 c"], "ZREMRANGEBYSCORE z 1 3", "zremrangebyscore z, del z"),
    (["ZADD z 1 a 2 b 3 c"], "ZREMRANGEBYSCORE z 5 6", ""),
    (["ZADD z 1 a 2 b 3 c"], "ZREMRANGEBYRANK z 0 0", "zremrangebyrank z"),
    (["ZADD z 1 a 2 b 3 c"], "ZREMRANGEBYRANK z 0 -1", "zremrangebyrank z, del z"),
    (["ZADD z 1 a 2 b 3 c"], "ZREMRANGEBYRANK z 5 6", ""),
    (["ZADD z 0 a 0 b 0 c"], "ZREMRANGEBYLEX z [a [b", "zremrangebylex z"),
    (["ZADD z 0 a 0 b 0 c"], "ZREMRANGEBYLEX z - +", "zremrangebylex z, del z"),
    (["ZADD z 0 a 0 b 0 c"], "ZREMRANGEBYLEX z (x +", ""),
    (["ZADD z 1 a 2 b"], "ZPOPMIN z", "zpopmin z"),
    (["ZADD z 1 a 2 b"], "ZPOPMAX z", "zpopmax z"),
    (["ZADD z 1 a 2 b"], "ZPOPMIN z 5", "zpopmin z, del z"),
    (["ZADD z 1 a 2 b"], "ZPOPMAX z 0", ""),
    ([], "ZPOPMIN z", ""),
    (["ZADD z 1 a 2 b"], "ZMPOP 1 z MIN", "zpopmin z"),
    (["ZADD z 1 a 2 b"], "ZMPOP 2 y z MAX COUNT 5", "zpopmax z, del z"),
    (["ZADD z 1 a 2 b"], "BZPOPMIN z 0", "zpopmin z"),
    (["ZADD z 1 a 2 b"], "BZPOPMAX z 0", "zpopmax z"),
    (["ZADD z 1 a 2 b"], "BZMPOP 0 1 z MAX COUNT 2", "zpopmax z, del z"),
    (["ZADD z 1 a 2 b 3 c"], "ZRANGESTORE d z 0 1", "new d, zrangestore d"),
    (["ZADD z 1 a 2 b 3 c", "SET d v"], "ZRANGESTORE d z 0 1", "zrangestore d"),
    (["ZADD z 1 a 2 b 3 c"], "ZRANGESTORE z z 0 0", "zrangestore z"),
    (["ZADD z 1 a 2 b 3 c", "ZADD d 1 x"], "ZRANGESTORE d z 5 6", "del d"),
    (["ZADD z 1 a 2 b 3 c"], "ZRANGESTORE d z 5 6", ""),
    (["ZADD a 1 x", "ZADD b 2 y"], "ZUNIONSTORE d 2 a b", "new d, zunionstore d"),
    (["ZADD a 1 x", "ZADD b 2 y", "SET d v"], "ZUNIONSTORE d 2 a b", "zunionstore d"),
    (["SADD a x"], "ZUNIONSTORE d 1 a", "new d, zunionstore d"),
    (["ZADD d 1 x"], "ZUNIONSTORE d 1 nokey", "del d"),
    ([], "ZUNIONSTORE d 1 nokey", ""),
    (["ZADD a 1 x", "SET s v"], "ZUNIONSTORE d 2 a s", ""),
    (["ZADD a 1 x", "ZADD b 2 x"], "ZINTERSTORE d 2 a b", "new d, zinterstore d"),
    (["ZADD a 1 x", "ZADD b 2 y", "ZADD d 1 q"], "ZINTERSTORE d 2 a b", "del d"),
    (["ZADD a 1 x 2 y", "ZADD b 2 y"], "ZDIFFSTORE d 2 a b", "new d, zdiffstore d"),
    (["ZADD a 1 x", "ZADD d 1 q"], "ZDIFFSTORE d 2 a a", "del d"),
    (["ZADD a 1 x"], "RENAME a b", "new b, rename_from a, rename_to b"),
    (["ZADD a 1 x"], "COPY a b", "new b, copy_to b"),
    (["ZADD a 1 x"], "MOVE a 1", "@1 new a, move_from a, @1 move_to a"),
    (["ZADD a 1 x"], "EXPIRE a 100", "expire a"),
    (["ZADD z 1 a"], "MULTI|ZADD z 2 b|ZINCRBY z 1 a|ZREM z a b|EXEC",
     "zadd z, zincr z, zrem z, del z"),
    (["ZADD z 1 a 2 b"], "ZRANGE z 0 -1|ZSCORE z a|ZCARD z|ZRANK z a|ZCOUNT z 0 5|ZSCAN z 0|"
     "ZRANDMEMBER z|ZUNION 1 z|ZINTERCARD 1 z", ""),
    ([], "XADD x 1-1 f v", "new x, xadd x"),
    (["XADD x 1-1 f v"], "XADD x 2-0 f v g w", "xadd x"),
    (["XADD x 1-1 f v"], "XADD x 1-* f v", "xadd x"),
    ([], "XADD x 5 f v", "new x, xadd x"),
    (["XADD x 5-0 f v"], "XADD x 3-0 f v", ""),
    (["XADD x 5-0 f v"], "XADD x 5-0 f v", ""),
    ([], "XADD x 0-0 f v", ""),
    ([], "XADD x NOMKSTREAM 1-1 f v", ""),
    (["XADD x 1-1 f v"], "XADD x NOMKSTREAM 2-1 f v", "xadd x"),
    (["XADD x 1-1 f v", "XADD x 2-1 f v"], "XADD x MAXLEN 1 3-1 f v", "xadd x, xtrim x"),
    (["XADD x 1-1 f v", "XADD x 2-1 f v"], "XADD x MAXLEN = 2 3-1 f v", "xadd x, xtrim x"),
    (["XADD x 1-1 f v"], "XADD x MAXLEN = 5 2-1 f v", "xadd x"),
    (["XADD x 1-1 f v"], "XADD x MAXLEN ~ 1 2-1 f v", "xadd x"),  # whole nodes only
    ([], "XADD x MAXLEN 0 1-1 f v", "new x, xadd x, xtrim x"),  # an empty stream stays
    (["XADD x 1-1 f v", "XADD x 2-1 f v"], "XADD x MINID = 3 3-1 f v", "xadd x, xtrim x"),
    (["XADD x 1-1 f v", "XADD x 2-1 f v"], "XADD x MINID 1 3-1 f v", "xadd x"),
    ([], "XADD x NOMKSTREAM MAXLEN 0 1-1 f v", ""),
    ([], "XADD x MAXLEN 1 LIMIT 5 1-1 f v", ""),
    (["SET x v"], "XADD x 1-1 f v", ""),
    (["XADD x 1-1 f v", "XADD x 2-1 f v"], "XDEL x 1-1 9-9", "xdel x"),
    (["XADD x 1-1 f v"], "XDEL x 1-1 1-1", "xdel x"),  # the key stays: an empty stream
    (["XADD x 1-1 f v"], "XDEL x 9-9", ""),
    ([], "XDEL x 1-1", ""),
    (["XADD x 1-1 f v", "XADD x 2-1 f v"], "XTRIM x MAXLEN 1", "xtrim x"),
    (["XADD x 1-1 f v", "XADD x 2-1 f v"], "XTRIM x MAXLEN = 0", "xtrim x"),
    (["XADD x 1-1 f v", "XADD x 2-1 f v"], "XTRIM x MINID 2-1", "xtrim x"),
    (["XADD x 1-1 f v", "XADD x 2-1 f v"], "XTRIM x MAXLEN 5", ""),
    (["XADD x 1-1 f v", "XADD x 2-1 f v"], "XTRIM x MAXLEN ~ 0", "xtrim x"),
    (["XADD x 1-1 f v", "XADD x 2-1 f v"], "XTRIM x MAXLEN ~ 1", ""),
    (["XADD x 1-1 f v", "XADD x 2-1 f v"], "XTRIM x MINID 1", ""),
    ([], "XTRIM x MAXLEN 0", ""),
    (["XADD x 1-1 f v"], "XSETID x 5-0", "xsetid x"),
    (["XADD x 1-1 f v"], "XSETID x 1-1", "xsetid x"),
    (["XADD x 1-1 f v"], "XSETID x 5-0 ENTRIESADDED 3 MAXDELETEDID 2-0", "xsetid x"),
    (["XADD x 5-1 f v"], "XSETID x 1-0", ""),
    (["XADD x 1-1 f v", "XDEL x 1-1"], "XSETID x 0-1", "xsetid x"),  # no entry to be above
    ([], "XSETID x 1-0", ""),
    (["XADD x 1-1 f v"], "XGROUP CREATE x g $", "xgroup-create x"),
    (["XADD x 1-1 f v"], "XGROUP CREATE x g 0 MKSTREAM", "xgroup-create x"),
    ([], "XGROUP CREATE x g $ MKSTREAM", "new x, xgroup-create x"),
    ([], "XGROUP CREATE x g $", ""),
    (["XGROUP CREATE x g 0 MKSTREAM"], "XGROUP CREATE x g 0", ""),
    (["SET x v"], "XGROUP CREATE x g $ MKSTREAM", ""),
    (["XGROUP CREATE x g $ MKSTREAM"], "XGROUP SETID x g 0", "xgroup-setid x"),
    (["XGROUP CREATE x g $ MKSTREAM"], "XGROUP SETID x g $ ENTRIESREAD 0", "xgroup-setid x"),
    (["XGROUP CREATE x g $ MKSTREAM"], "XGROUP SETID x h 0", ""),
    (["XGROUP CREATE x g $ MKSTREAM"], "XGROUP DESTROY x g", "xgroup-destroy x"),
    (["XADD x 1-1 f v"], "XGROUP DESTROY x g", ""),
    (["XGROUP CREATE x g $ MKSTREAM"], "XGROUP CREATECONSUMER x g c", "xgroup-createconsumer x"),
    (["XGROUP CREATE x g $ MKSTREAM", "XGROUP CREATECONSUMER x g c"],
     "XGROUP CREATECONSUMER x g c", ""),
    (["XGROUP CREATE x g $ MKSTREAM"], "XGROUP CREATECONSUMER x h c", ""),
    (["XGROUP CREATE x g $ MKSTREAM", "XGROUP CREATECONSUMER x g c"],
     "XGROUP DELCONSUMER x g c", "xgroup-delconsumer x"),
    (["XADD x 1-1 f v", "XGROUP CREATE x g 0", "XREADGROUP GROUP g c STREAMS x >"],
     "XGROUP DELCONSUMER x g c", "xgroup-delconsumer x"),
    (["XGROUP CREATE x g $ MKSTREAM"], "XGROUP DELCONSUMER x g c", ""),
    (["XADD x 1-1 f v", "XGROUP CREATE x g 0"], "XREADGROUP GROUP g c STREAMS x >",
     "xgroup-createconsumer x"),
    # nothing to serve: no consumer
    (["XGROUP CREATE x g $ MKSTREAM"], "XREADGROUP GROUP g c STREAMS x >", ""),
    (["XADD x 1-1 f v", "XGROUP CREATE x g $"], "XREADGROUP GROUP g c STREAMS x >", ""),
    (["XGROUP CREATE x g $ MKSTREAM"], "XREADGROUP GROUP g c STREAMS x 0",
     "xgroup-createconsumer x"),
    (["XADD x 1-1 f v", "XGROUP CREATE x g 0", "XGROUP CREATECONSUMER x g c"],
     "XREADGROUP GROUP g c NOACK STREAMS x >", ""),
    (["XADD x 1-1 f v", "XGROUP CREATE x g 0", "XADD y 1-1 f v", "XGROUP CREATE y g 0"],
     "XREADGROUP GROUP g c STREAMS x y > >",
     "xgroup-createconsumer x, xgroup-createconsumer y"),
    (["XGROUP CREATE x g $ MKSTREAM"], "XREADGROUP GROUP g c STREAMS x y > >", ""),
    (["XADD x 1-1 f v", "XGROUP CREATE x g 0", "XREADGROUP GROUP g c STREAMS x >"],
     "XACK x g 1-1 2-2", ""),
    (["XADD x 1-1 f v", "XGROUP CREATE x g 0", "XREADGROUP GROUP g c STREAMS x >"],
     "XCLAIM x g d 0 1-1", "xgroup-createconsumer x"),
    (["XADD x 1-1 f v", "XGROUP CREATE x g 0", "XREADGROUP GROUP g c STREAMS x >"],
     "XCLAIM x g c 0 1-1 JUSTID", ""),
    (["XADD x 1-1 f v", "XGROUP CREATE x g 0"], "XCLAIM x g d 0 1-1", ""),  # nothing pending
    (["XADD x 1-1 f v", "XGROUP CREATE x g 0"], "XCLAIM x g d 0 1-1 FORCE",
     "xgroup-createconsumer x"),
    (["XADD x 1-1 f v", "XGROUP CREATE x g 0", "XREADGROUP GROUP g c STREAMS x >"],
     "XAUTOCLAIM x g d 0 0", "xgroup-createconsumer x"),
    (["XGROUP CREATE x g $ MKSTREAM"], "XAUTOCLAIM x g d 0 0", ""),  # nothing pending
    (["XADD x 1-1 f v", "XGROUP CREATE x g 0", "XREADGROUP GROUP g c STREAMS x >"],
     "XAUTOCLAIM x g c 0 0 COUNT 1 JUSTID", ""),
    (["XADD x 1-1 f v"], "DEL x", "del x"),
    (["XADD x 1-1 f v", "XGROUP CREATE x g 0"], "RENAME x y", "new y, rename_from x, rename_to y"),
    (["XADD x 1-1 f v"], "COPY x y", "new y, copy_to y"),
    (["XADD x 1-1 f v"], "MOVE x 1", "@1 new x, move_from x, @1 move_to x"),
    (["XADD x 1-1 f v"], "EXPIRE x 100", "expire x"),
    (["XADD x 1-1 f v"], "EXPIRE x 0", "del x"),
    (["XADD x 1-1 f v"], "SET x v", "set x"),
    (["XADD x 1-1 f v"], "HSET x f v|SADD x m|INCR x|LPUSH x a|ZADD x 1 a|APPEND x a|GETDEL x|"
     "SET x v GET|SUNIONSTORE x x", ""),
    ([], "MULTI|XADD x 1-1 f v|XGROUP CREATE x g 0|XREADGROUP GROUP g c STREAMS x >|XDEL x 1-1|"
     "XTRIM x MAXLEN 0|XGROUP DELCONSUMER x g c|XGROUP DESTROY x g|EXEC",
     "new x, xadd x, xgroup-create x, xgroup-createconsumer x, xdel x, xgroup-delconsumer x, "
     "xgroup-destroy x"),
    (["XADD x 1-1 f v", "XGROUP CREATE x g 0"], "XLEN x|XRANGE x - +|XREVRANGE x + -|"
     "XREAD STREAMS x 0|XPENDING x g|XINFO STREAM x|XINFO GROUPS x|XINFO CONSUMERS x g", ""),
    (["SET k v"], "SELECT 1", ""),
    (["SET k v"], "FLUSHDB", ""),
    (["SET k v"], "FLUSHALL", ""),
    (["SET k v"], "SWAPDB 0 1", ""),
    (["SELECT 1", "SET k v", "SELECT 0"], "SWAPDB 0 1", ""),
    (["SELECT 1"], "SET k v", "@1 new k, @1 set k"),
    ([], "SET '' v", "new '', set ''"),
    (["SET k 1"], "MULTI|SET k 2|INCR k|DEL k|EXEC", "set k, incrby k, del k"),
    (["SET k v"], "GET k|MGET k x|EXISTS k x|TYPE k|TTL x|STRLEN k|SMEMBERS x|HGETALL x", ""),
]

KEYMISS_TABLE = [
    # flags AKEnm: 'keymiss' on a read of a missing key (also inside some writes)
    ([], "GET k", "keymiss k"),
    (["SET b v"], "MGET a b c", "keymiss a, keymiss c"),
    (["SET b v"], "EXISTS a b c", "keymiss a, keymiss c"),
    ([], "TYPE k", "keymiss k"),
    ([], "TTL k", "keymiss k"),
    ([], "STRLEN k", "keymiss k"),
    ([], "HGET h f", "keymiss h"),
    (["HSET h g v"], "HGET h f", ""),
    ([], "SMEMBERS s", "keymiss s"),
    ([], "SISMEMBER s m", "keymiss s"),
    (["SET b v"], "TOUCH a b", "keymiss a"),
    ([], "SET k v GET", "keymiss k, new k, set k"),
    ([], "SET k v XX GET", "keymiss k"),
    ([], "GETSET k v", "keymiss k, new k, set k"),
    ([], "GETDEL k", "keymiss k"),
    ([], "GETEX k EX 100", "keymiss k"),
    ([], "COPY a b", "keymiss a"),
    (["SADD a 1", "SET d v"], "SINTERSTORE d a nokey", "keymiss nokey, del d"),
    ([], "SUNIONSTORE d x y", "keymiss x, keymiss y"),
    (["SET s v"], "SINTERSTORE d x s", "keymiss x"),
    ([], "LRANGE l 0 -1", "keymiss l"),
    ([], "LLEN l", "keymiss l"),
    ([], "LINDEX l 0", "keymiss l"),
    ([], "LPOS l a", "keymiss l"),
    ([], "LPOP l", ""), ([], "LMOVE a b LEFT LEFT", ""), ([], "LMPOP 1 a LEFT", ""),
    ([], "LSET l 0 x", ""), ([], "LINSERT l BEFORE a b", ""), ([], "LREM l 0 a", ""),
    ([], "SINTER x y", "keymiss x, keymiss y"),
    ([], "ZRANGE z 0 -1", "keymiss z"),
    ([], "ZSCORE z a", "keymiss z"),
    (["ZADD z 1 b"], "ZSCORE z a", ""),
    ([], "ZCARD z", "keymiss z"),
    ([], "ZMSCORE z a b", "keymiss z"),
    ([], "ZRANK z a", "keymiss z"),
    ([], "ZREVRANK z a", "keymiss z"),
    ([], "ZCOUNT z 0 1", "keymiss z"),
    ([], "ZLEXCOUNT z - +", "keymiss z"),
    ([], "ZRANGEBYSCORE z 0 1", "keymiss z"),
    ([], "ZREVRANGEBYLEX z + -", "keymiss z"),
    ([], "ZREVRANGE z 0 1", "keymiss z"),
    ([], "ZRANDMEMBER z 2", "keymiss z"),
    ([], "ZSCAN z 0", "keymiss z"),
    ([], "ZUNION 2 a b", "keymiss a, keymiss b"),
    (["ZADD a 1 x"], "ZINTER 2 a b", "keymiss b"),
    ([], "ZDIFF 2 a b", "keymiss a, keymiss b"),
    ([], "ZINTERCARD 2 a b", "keymiss a, keymiss b"),
    ([], "ZRANGESTORE d z 0 -1", "keymiss z"),
    (["ZADD d 1 x"], "ZRANGESTORE d z 0 -1", "keymiss z, del d"),
    ([], "ZUNIONSTORE d 2 a b", "keymiss a, keymiss b"),
    (["ZADD a 1 x"], "ZINTERSTORE d 2 a b", "keymiss b"),
    ([], "ZDIFFSTORE d 1 a", "keymiss a"),
    ([], "ZREM z a", ""), ([], "ZPOPMIN z", ""), ([], "ZPOPMAX z 2", ""),
    ([], "ZMPOP 1 z MIN", ""), ([], "BZPOPMIN z 0.01", ""), ([], "BZMPOP 0.01 1 z MIN", ""),
    ([], "ZREMRANGEBYRANK z 0 1", ""), ([], "ZREMRANGEBYSCORE z 0 1", ""),
    ([], "ZREMRANGEBYLEX z - +", ""), ([], "ZADD z XX 1 a", ""),
    ([], "XLEN x", "keymiss x"),
    ([], "XRANGE x - +", "keymiss x"),
    ([], "XREVRANGE x + -", "keymiss x"),
    (["XADD y 1-1 f v"], "XREAD STREAMS x y 0 0", "keymiss x, keymiss x"),  # looked up twice
    ([], "XPENDING x g", "keymiss x"),
    ([], "XINFO STREAM x", "keymiss x"),
    ([], "XREADGROUP GROUP g c STREAMS x >", "keymiss x"),
    ([], "XCLAIM x g c 0 1-1", "keymiss x"),
    ([], "XAUTOCLAIM x g c 0 0", "keymiss x"),
    ([], "XACK x g 1-1", "keymiss x"),
    ([], "XDEL x 1-1", ""), ([], "XTRIM x MAXLEN 0", ""),
    ([], "XSETID x 1-1", ""), ([], "XGROUP CREATE x g $", ""),
    ([], "XGROUP CREATECONSUMER x g c", ""), ([], "XADD x NOMKSTREAM 1-1 f v", ""),
    ([], "XADD x 1-1 f v", "new x, xadd x"),
    # writes look their keys up without a miss event
    ([], "SET k v", "new k, set k"),
    ([], "APPEND k x", "new k, append k"),
    ([], "INCR k", "new k, incrby k"),
    ([], "DEL k", ""), ([], "EXPIRE k 100", ""), ([], "PERSIST k", ""),
    ([], "RENAME a b", ""), ([], "MOVE a 1", ""), ([], "SPOP s", ""), ([], "SMOVE a b m", ""),
    ([], "SREM s m", ""), ([], "HDEL h f", ""), ([], "HINCRBY h f 1", "new h, hincrby h"),
    ([], "ZADD z 1 a", "new z, zadd z"), ([], "ZINCRBY z 1 a", "new z, zincr z"),
]


def split(command):
    """'SET k v' -> [b"SET", b"k", b"v"]; '' stands for an empty argument."""
    return [b"" if w == "''" else w.encode() for w in command.split()]


class TableTest(ServerTestCase):
    """Each command of TABLE on a flushed server: exactly the listed events, in order."""

    def check_table(self, flags, table):
        c = Conn(self.server.port)
        self.assertEqual(c.call("CONFIG", "SET", "notify-keyspace-events", flags), "OK")
        c.close()
        w = Watcher(self.server.port)
        self.addCleanup(w.close)
        for setup, command, expected in table:
            with self.subTest(setup=setup, command=command):
                for args in ([b"SELECT", b"0"], [b"FLUSHALL"]):
                    self.assertEqual(w.conn.call(*args), "OK")
                for cmd in setup:
                    self.assertNotIsInstance(w.conn.call(*split(cmd)), tuple, cmd)
                w.events()
                for part in command.split("|"):
                    w.conn.call(*split(part))
                self.assertEqual(w.events(), ev(expected))

    def test_table(self):
        self.check_table("AKEn", TABLE)

    def test_keymiss_table(self):
        self.check_table("AKEnm", KEYMISS_TABLE)

    def test_blocked_xreadgroup(self):
        """An XREADGROUP blocked on a group publishes 'xgroup-createconsumer' when it is served
        (after the events of the command that served it), not when it blocks or times out."""
        w = Watcher(self.server.port)
        self.addCleanup(w.close)
        self.assertEqual(w.run("CONFIG", "SET", "notify-keyspace-events", "AKEn"), ("OK", []))
        for commands, served, expected in [
                (["XADD x 1-1 f v"], [[b"x", [[b"1-1", [b"f", b"v"]]]]],
                 "xadd x, xgroup-createconsumer x"),
                (["MULTI", "XADD x 1-1 f v", "XADD x MAXLEN 0 2-1 f v", "EXEC"], [[b"x", []]],
                 "xadd x, xadd x, xtrim x, xgroup-createconsumer x"),
                (["XGROUP DESTROY x g"], ("error", "NOGROUP the consumer group this client was "
                                          "blocked on no longer exists"), "xgroup-destroy x"),
                ([], None, "")]:
            with self.subTest(commands=commands):
                for args in ("SELECT 0", "FLUSHALL", "XGROUP CREATE x g $ MKSTREAM"):
                    self.assertEqual(w.conn.call(*split(args)), "OK")
                w.events()
                b = Conn(self.server.port)
                try:
                    b.sock.settimeout(SUB_TIMEOUT)
                    b.sock.sendall(encode_command(*split(
                        "XREADGROUP GROUP g c BLOCK %d STREAMS x >" % (0 if commands else 100))))
                    deadline = time.time() + SUB_TIMEOUT
                    while commands and \
                            b"blocked_clients:1\r\n" not in w.conn.call("INFO", "clients"):
                        self.assertLess(time.time(), deadline, "XREADGROUP did not block")
                        time.sleep(0.005)
                    for args in commands:
                        self.assertNotIsInstance(w.conn.call(*split(args)), tuple, args)
                    self.assertEqual(read_reply(b.file), served)
                finally:
                    b.close()
                self.assertEqual(w.events(), ev(expected))

    def test_channels_and_payloads(self):
        """The exact messages of a SET of a binary key in db 1 under KEA (no 'new'), to a
        pattern and to plain channel subscribers."""
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        self.assertEqual(c.call("CONFIG", "SET", "notify-keyspace-events", "KEA"), "OK")
        sub = Conn(self.server.port)
        self.addCleanup(sub.close)
        sub.sock.settimeout(SUB_TIMEOUT)
        key = b"a\x00b\r\n"
        sub.sock.sendall(encode_command(b"SUBSCRIBE", b"__keyevent@1__:set",
                                        b"__keyspace@1__:" + key, b"end"))
        self.assertEqual([read_reply(sub.file) for _ in range(3)],
                         [[b"subscribe", b"__keyevent@1__:set", 1],
                          [b"subscribe", b"__keyspace@1__:" + key, 2], [b"subscribe", b"end", 3]])
        self.assertEqual(c.call("SELECT", "1"), "OK")
        self.assertEqual(c.call("SET", key, "v", "EX", "100"), "OK")
        self.assertEqual(c.call("SELECT", "0"), "OK")
        self.assertEqual(c.call("SET", key, "v"), "OK")  # db 0: no subscriber
        self.assertEqual(c.call("PUBLISH", "end", "x"), 1)
        got = []
        while True:
            m = read_reply(sub.file)
            if m[1] == b"end":
                break
            got.append(m)
        self.assertEqual(got, [[b"message", b"__keyspace@1__:" + key, b"set"],
                               [b"message", b"__keyevent@1__:set", key],
                               [b"message", b"__keyspace@1__:" + key, b"expire"]])


# --- expiry

class ExpiryTest(ServerTestCase):
    """'expired' events of keys that expire actively (no access) and lazily (GET, EXISTS, TTL
    and others after the time passed): compared as the set of keys, since when the expiry cycle
    finds a key is up to the server. A lazy access publishes the event at the latest before its
    reply; a write to an expired key publishes 'expired' before 'new'."""

    def watcher(self, flags):
        c = Conn(self.server.port)
        self.assertEqual(c.call("FLUSHALL"), "OK")
        self.assertEqual(c.call("CONFIG", "SET", "notify-keyspace-events", flags), "OK")
        c.close()
        w = Watcher(self.server.port)
        self.addCleanup(w.close)
        return w

    @staticmethod
    def expired(events):
        """{(db, key)} of the 'expired' events; each must come as its keyspace message then its
        keyevent message, once."""
        out = []
        for i, (channel, payload) in enumerate(events):
            if channel.startswith(b"__keyevent@") and channel.endswith(b"__:expired"):
                db = int(channel[len(b"__keyevent@"):channel.index(b"__:")])
                assert i > 0 and events[i - 1] == (b"__keyspace@%d__:%s" % (db, payload),
                                                   b"expired"), events
                out.append((db, payload))
            elif payload == b"expired":
                assert channel.startswith(b"__keyspace@"), events
                assert i + 1 < len(events) and events[i + 1][1] == \
                    channel[channel.index(b"__:") + 3:], events
        assert len(out) == len(set(out)), "a key expired twice: %r" % out
        return set(out)

    def test_active_and_lazy_expiry(self):
        w = self.watcher("AKEn")
        rng = random.Random(BASE_SEED)
        c = w.conn

        def px():
            return b"%d" % rng.randrange(50, 200)

        # Sent in one write. Keys changed after their SET get 1000 ms (more than the setup may
        # take), the others 50-200 ms.
        setup = []
        active = set()  # (db, key) that nobody touches after their TTL: the expiry cycle's
        for i in range(6):
            setup.append([b"SET", b"a%d" % i, b"v", b"PX", px()])
            active.add((0, b"a%d" % i))
        setup += [
            [b"PSETEX", b"a-psetex", px(), b"v"],
            [b"HSET", b"a-hash", b"f", b"v"], [b"PEXPIRE", b"a-hash", px()],
            [b"SADD", b"a-set", b"m"],
            [b"PEXPIREAT", b"a-set", b"%d" % (int(time.time() * 1000) + 150)],
            [b"SET", b"a-getex", b"v"], [b"GETEX", b"a-getex", b"PX", px()],
            [b"SET", b"a-keepttl", b"v", b"PX", b"1000"], [b"SET", b"a-keepttl", b"w", b"KEEPTTL"],
            [b"SET", b"a-renamed-from", b"v", b"PX", b"1000"],
            [b"RENAME", b"a-renamed-from", b"a-renamed-to"],
            [b"SET", b"a-copied", b"v", b"PX", b"1000"], [b"COPY", b"a-copied", b"a-copy"],
            [b"SET", b"a-moved", b"v", b"PX", b"1000"], [b"MOVE", b"a-moved", b"1"],
            [b"SELECT", b"1"], [b"SET", b"a-db1", b"v", b"PX", px()], [b"SELECT", b"0"],
        ]
        active |= {(0, k) for k in (b"a-psetex", b"a-hash", b"a-set", b"a-getex", b"a-keepttl",
                                    b"a-renamed-to", b"a-copied", b"a-copy")}
        active |= {(1, b"a-moved"), (1, b"a-db1")}
        # Keys read after their TTL: the event comes at the latest before the read's reply.
        lazy = [[b"GET", b"l0"], [b"EXISTS", b"l1"], [b"TTL", b"l2"], [b"PTTL", b"l3"],
                [b"TYPE", b"l4"], [b"STRLEN", b"l5"], [b"GETRANGE", b"l6", b"0", b"-1"],
                [b"MGET", b"l7"]]
        for cmd in lazy:
            setup.append([b"SET", cmd[1], b"v", b"PX", px()])
        setup += [[b"HSET", b"l-hash", b"f", b"v", b"g", b"w"], [b"PEXPIRE", b"l-hash", px()],
                  [b"SADD", b"l-set", b"m"], [b"PEXPIRE", b"l-set", px()]]
        lazy += [[b"HGET", b"l-hash", b"f"], [b"SISMEMBER", b"l-set", b"m"]]
        # Keys written after their TTL: a new key, its 'expired' before its 'new' (the last
        # ones do not create a key: no event but 'expired').
        written = [[b"SET", b"w0", b"x"], [b"SETNX", b"w1", b"x"], [b"SET", b"w2", b"x", b"NX"],
                   [b"INCR", b"w3"], [b"APPEND", b"w4", b"x"], [b"SADD", b"w5", b"x"],
                   [b"HSET", b"w6", b"f", b"v"], [b"DEL", b"w7"], [b"EXPIRE", b"w8", b"100"],
                   [b"PERSIST", b"w9"]]
        creating = 7
        for cmd in written:
            setup.append([b"SET", cmd[1], b"1", b"PX", px()])
        # Keys that must not expire.
        setup += [
            [b"SET", b"keep-long", b"v", b"EX", b"1000"],
            [b"SET", b"keep-persisted", b"v", b"PX", b"1000"], [b"PERSIST", b"keep-persisted"],
            [b"SET", b"keep-overwritten", b"v", b"PX", b"1000"],
            [b"SET", b"keep-overwritten", b"w"],
            [b"SET", b"keep-getex", b"v", b"PX", b"1000"], [b"GETEX", b"keep-getex", b"PERSIST"],
            [b"SET", b"keep-renamed", b"v", b"PX", b"1000"],
            [b"RENAME", b"keep-renamed", b"renamed-dst"],  # the TTL goes along: it expires
            [b"SET", b"keep-renamed", b"fresh"],
        ]
        keep = [b"keep-long", b"keep-persisted", b"keep-overwritten", b"keep-getex",
                b"keep-renamed"]
        active.add((0, b"renamed-dst"))
        t0 = time.time()
        for args, reply in zip(setup, c.pipeline(setup)):
            self.assertNotIsInstance(reply, tuple, args)
        setup_time = time.time() - t0
        self.assertLess(setup_time, 0.9, "the setup took too long for its TTLs")
        expected = active | {(0, cmd[1]) for cmd in lazy} | {(0, cmd[1]) for cmd in written}
        seen = w.events()
        self.expired(seen)
        time.sleep(0.25)

        later = []
        for cmd in lazy:
            reply = c.call(*cmd)
            self.assertIn(reply, (None, 0, -2, "none", b"", [None]), cmd)
        later += w.events()
        got = self.expired(seen + later)
        lazy_keys = {(0, cmd[1]) for cmd in lazy}
        self.assertEqual(lazy_keys - got, set(),
                         "no 'expired' event by the time the read replied")
        names = {b"SET": "set", b"SETNX": "set", b"INCR": "incrby", b"APPEND": "append",
                 b"SADD": "sadd", b"HSET": "hset"}
        for i, cmd in enumerate(written):
            reply = c.call(*cmd)
            self.assertNotIsInstance(reply, tuple, cmd)
            events = w.events()
            k = cmd[1].decode()
            rest = [e for e in events if not (e[1] == b"expired" or e[0].endswith(b"__:expired"))]
            if i < creating:
                self.assertEqual(rest, ev("new %s, %s %s" % (k, names[cmd[0]], k)), cmd)
            else:
                self.assertEqual((reply, rest), (0, []), cmd)
            if (0, cmd[1]) not in self.expired(seen + later):
                self.assertIn((0, cmd[1]), self.expired(events), "%r: no 'expired' event" % cmd)
                if i < creating:
                    self.assertLess(events.index(ev("expired " + k)[0]),
                                    events.index(ev("new " + k)[0]),
                                    "%r: 'expired' after 'new'" % cmd)
            later += events

        # The rest expires without being touched.
        deadline = time.time() + 10
        while not expected <= self.expired(seen + later) and time.time() < deadline:
            time.sleep(0.05)
            later += w.events()
        got = self.expired(seen + later)
        self.assertEqual(got - expected, set(), "unexpected 'expired' events")
        self.assertEqual(expected - got, set(), "keys that never got an 'expired' event")
        written_keys = {cmd[1] for cmd in written}
        others = [e for e in later if not (e[1] == b"expired" or e[0].endswith(b"__:expired"))
                  and e[1] not in written_keys
                  and e[0][e[0].index(b"__:") + 3:] not in written_keys]
        self.assertEqual(others, [], "events other than 'expired' while only reads ran")
        time.sleep(0.3)
        self.assertEqual(w.events(), [])
        for k in keep:
            self.assertIn(c.call(b"TTL", k), (-1, 999, 1000), k)
        self.assertEqual(c.call(b"DBSIZE"), len(keep) + creating)

    def test_expired_needs_x(self):
        """'expired' is class 'x': not in 'g'. Under Eg$ a key that expires (actively or on a
        read) publishes nothing; under Ex only the keyevent message of 'expired'."""
        w = self.watcher("Eg$")
        c = w.conn
        self.assertEqual(c.call("SET", "a", "v", "PX", "50"), "OK")
        self.assertEqual(c.call("SET", "b", "v", "PX", "50"), "OK")
        self.assertEqual(w.events(), [(b"__keyevent@0__:set", b"a"),
                                      (b"__keyevent@0__:expire", b"a"),
                                      (b"__keyevent@0__:set", b"b"),
                                      (b"__keyevent@0__:expire", b"b")])
        time.sleep(0.1)
        self.assertIsNone(c.call("GET", "a"))
        time.sleep(0.4)
        self.assertEqual(w.events(), [])

        self.assertEqual(c.call("CONFIG", "SET", "notify-keyspace-events", "Ex"), "OK")
        self.assertEqual(c.call("SET", "a", "v", "PX", "100"), "OK")
        self.assertEqual(c.call("SET", "b", "v", "PX", "100"), "OK")
        self.assertEqual(w.events(), [])
        time.sleep(0.15)
        self.assertIsNone(c.call("GET", "a"))
        seen = w.events()
        self.assertIn((b"__keyevent@0__:expired", b"a"), seen)
        deadline = time.time() + 10
        while len(seen) < 2 and time.time() < deadline:
            time.sleep(0.05)
            seen += w.events()
        self.assertEqual(sorted(seen), [(b"__keyevent@0__:expired", b"a"),
                                        (b"__keyevent@0__:expired", b"b")])


# --- the setting

class ConfigTest(ServerTestCase):
    def setUp(self):
        self.c = Conn(self.server.port)
        self.addCleanup(self.c.close)

    def get(self):
        reply = self.c.call("CONFIG", "GET", "notify-keyspace-events")
        self.assertEqual(len(reply), 2, reply)
        self.assertEqual(reply[0], b"notify-keyspace-events")
        return reply[1]

    def set(self, value):
        return self.c.call("CONFIG", "SET", "notify-keyspace-events", value)

    # What CONFIG GET shows after CONFIG SET: classes in the order g$lshzxetd (all of them: 'A'),
    # then n (only without 'A': Redis 7.0 drops it from the text, the events stay on), K, E, m.
    NORMALISED = [
        ("KEA", "AKE"), ("AKE", "AKE"), ("A", "A"), ("", ""), ("gE", "gE"), ("K", "K"),
        ("E", "E"), ("KE", "KE"), ("g$lshzxetd", "A"), ("g$lshzxet", "g$lshzxet"),
        ("KEg$lshzxetd", "AKE"), ("dtexzhsl$g", "A"), ("n", "n"), ("m", "m"), ("Kn", "nK"),
        ("KEnm", "nKEm"), ("mEKn", "nKEm"), ("KEAn", "AKE"), ("AKEmn", "AKEm"), ("xE", "xE"),
        ("Ex", "xE"), ("Kx$", "$xK"), ("AA", "A"), ("KKEE", "KE"), ("gggE", "gE"),
        ("zlshg$E", "g$lshzE"), ("Elshx", "lshxE"), ("Kg$", "g$K"), ("KEd", "dKE"),
        ("AKEt", "AKE"), ("mn", "nm"), ("Ag", "A"), ("tE", "tE"), ("edKx", "xedK"),
    ]

    def test_normalisation(self):
        for value, shown in self.NORMALISED:
            with self.subTest(value=value):
                self.assertEqual(self.set(value), "OK")
                self.assertEqual(self.get(), shown.encode())
        self.assertEqual(self.set(""), "OK")

    def test_glob(self):
        self.assertEqual(self.set("KEA"), "OK")
        self.assertEqual(self.c.call("CONFIG", "GET", "notify-keyspace-*"),
                         [b"notify-keyspace-events", b"AKE"])
        self.assertEqual(self.set(""), "OK")

    def test_bad_letters(self):
        self.assertEqual(self.set("gE"), "OK")
        for value in ["Q", "kea", "a", "KEAQ", " ", "K E", "A n", "k\xc3\xa9", "G", "*", "1",
                      "KE,", "-"]:
            with self.subTest(value=value):
                self.assertEqual(self.set(value), FLAGS_ERROR)
                self.assertEqual(self.get(), b"gE")  # unchanged
        self.assertEqual(self.c.call("CONFIG", "SET", "notify-keyspace-events"),
                         ("error", "ERR wrong number of arguments for 'config|set' command"))
        self.assertEqual(self.set(""), "OK")

    def test_set_with_other_parameters_is_atomic(self):
        self.assertEqual(self.c.call("CONFIG", "SET", "timeout", "7", "notify-keyspace-events",
                                     "Q"), FLAGS_ERROR)
        self.assertEqual(self.c.call("CONFIG", "GET", "timeout"), [b"timeout", b"0"])
        self.assertEqual(self.get(), b"")
        self.assertEqual(self.c.call("CONFIG", "SET", "notify-keyspace-events", "Kx", "timeout",
                                     "x"),
                         ("error", "ERR CONFIG SET failed (possibly related to argument 'timeout')"
                                   " - argument couldn't be parsed into an integer"))
        self.assertEqual(self.get(), b"")  # rolled back
        self.assertEqual(self.c.call("CONFIG", "SET", "notify-keyspace-events", "KEA",
                                     "notify-keyspace-events", "g"),
                         ("error", "ERR CONFIG SET failed (possibly related to argument "
                                   "'notify-keyspace-events') - duplicate parameter"))
        self.assertEqual(self.get(), b"")
        self.assertEqual(self.c.call("CONFIG", "SET", "timeout", "8", "notify-keyspace-events",
                                     "Eg"), "OK")
        self.assertEqual(self.get(), b"gE")
        self.assertEqual(self.c.call("CONFIG", "SET", "timeout", "0", "notify-keyspace-events",
                                     ""), "OK")

    def test_takes_effect_at_once(self):
        """A subscriber sees events from the command after CONFIG SET on, and none after it is
        set back to ''. K or E alone, or classes alone, publish nothing."""
        w = Watcher(self.server.port)
        self.addCleanup(w.close)
        for flags, expected in [("", ""), ("KE", ""), ("A", ""), ("Kn", ""), ("E$", "set k"),
                                ("KEA", "set k"), ("", "")]:
            with self.subTest(flags=flags):
                self.assertEqual(w.run("CONFIG", "SET", "notify-keyspace-events", flags),
                                 ("OK", []))
                self.assertEqual(w.conn.call("SET", "k", "v"), "OK")
                got = w.events()
                want = ev(expected)
                if flags == "E$":
                    want = want[1:]
                self.assertEqual(got, want)
        self.assertEqual(w.conn.call("DEL", "k"), 1)


class StartupTest(unittest.TestCase):
    """The setting from the command line and from a config file."""

    def check_events(self, server, shown, new):
        c = Conn(server.port)
        self.addCleanup(c.close)
        self.assertEqual(c.call("CONFIG", "GET", "notify-keyspace-events"),
                         [b"notify-keyspace-events", shown])
        w = Watcher(server.port)
        self.addCleanup(w.close)
        self.assertEqual(w.run("SET", "k", "v"), ("OK", ev("new k, set k" if new else "set k")))

    def test_default_is_empty(self):
        s = start()
        self.addCleanup(stop_server, s)
        c = Conn(s.port)
        self.addCleanup(c.close)
        self.assertEqual(c.call("CONFIG", "GET", "notify-keyspace-events"),
                         [b"notify-keyspace-events", b""])
        w = Watcher(s.port)
        self.addCleanup(w.close)
        self.assertEqual(w.run("SET", "k", "v"), ("OK", []))

    def test_command_line_flag(self):
        s = start(["--notify-keyspace-events", "KEA"])
        self.addCleanup(stop_server, s)
        self.check_events(s, b"AKE", new=False)

    def test_config_file(self):
        s = start(config_text="# events\nnotify-keyspace-events KEA\n"
                              "notify-keyspace-events \"AKEn\"\n")
        self.addCleanup(stop_server, s)
        self.check_events(s, b"AKE", new=True)  # the last line wins; 'n' is on but not shown

    def test_flag_over_file(self):
        s = start(["--notify-keyspace-events", ""], config_text="notify-keyspace-events KEA\n")
        self.addCleanup(stop_server, s)
        c = Conn(s.port)
        self.addCleanup(c.close)
        self.assertEqual(c.call("CONFIG", "GET", "notify-keyspace-events"),
                         [b"notify-keyspace-events", b""])

    def run_to_exit(self, args=(), config_text=None):
        tmp = tempfile.mkdtemp(prefix="ks-startup-")
        self.addCleanup(shutil.rmtree, tmp, True)
        if AGAINST_REDIS:
            cmd = ["redis-server"]
        else:
            cmd = [stashd_binary()]
        cmd += config_file_args(tmp, config_text, "bad.conf")
        cmd += ["--port", str(free_port()), "--dir", tmp] + list(args)
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=20)
        except subprocess.TimeoutExpired:
            self.fail("the server kept running with %r" % (config_text or args,))
        return r.returncode, (r.stdout + r.stderr).decode(errors="replace")

    def test_bad_letters_refuse_to_start(self):
        for args, text in [(["--notify-keyspace-events", "KEQ"], None),
                           ([], "notify-keyspace-events Q\n")]:
            with self.subTest(args=args, text=text):
                code, out = self.run_to_exit(args, text)
                self.assertNotEqual(code, 0)
                self.assertIn("Invalid event class character", out)


if __name__ == "__main__":
    unittest.main()
