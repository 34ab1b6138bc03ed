"""Differential testing against a stock redis-server: a seeded generator of string, keyspace,
expiry and SCAN commands over a small key space, sent to stashd and to Redis over raw RESP, with
the replies compared exactly (errors by their text). What Redis leaves open is normalised:
KEYS is compared as a set, TTLs within a tolerance, SCAN as the set of keys of a whole
iteration, RANDOMKEY by whether it found a key, and DBSIZE against the number of keys Redis
shows (Redis counts keys whose EXAT/PXAT lies in the past until it reclaims them; StashDB's
DBSIZE is exact by design).

Expiry times are drawn so that no two of them are within seconds of each other, and are either
far in the future or already past: the outcome never depends on which millisecond a command
ran at on either server.
"""
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time

from stashd import encode_command, free_port, read_reply


class RedisServer:
    """A stock redis-server on a free port, without persistence."""

    def __init__(self, args=()):
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="redis-ref-")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", self.tmp, "--bind", "127.0.0.1"] + list(args),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.tmp, ignore_errors=True)


class Conn:
    """One raw RESP connection: call() sends a command and returns the parsed reply."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.file = self.sock.makefile("rb")

    def call(self, *args):
        self.sock.sendall(encode_command(*args))
        return read_reply(self.file)

    def pipeline(self, commands):
        """Sends every command in one write, then reads their replies."""
        self.sock.sendall(b"".join(encode_command(*args) for args in commands))
        return [read_reply(self.file) for _ in commands]

    def close(self):
        self.file.close()
        self.sock.close()


DBS = 4
PIPELINE_CHANCE = float(os.environ.get("DIFF_PIPELINE", "0.05"))
KEYS = [b"k0", b"k1", b"k2", b"k3", b"k4", b"k5", b"user:1", b"user:2", b"user:10", b"a*b",
        b"", b"k\x00z", b"h\xc3\xa9llo"]
VALUES = [b"", b"v", b"hello", b"0", b"1", b"-1", b"10", b"-42", b"007", b"+5", b" 3", b"3 ",
          b"1.5", b"-0.25", b"3.0e3", b"1e400", b"0x10", b"inf", b"-inf", b"nan", b"abc",
          b"9223372036854775807", b"-9223372036854775808", b"9223372036854775806",
          b"-9223372036854775807", b"99999999999999999999", b"a\x00b\r\nc",
          b"12345678901234567890123"]
INTS = [b"0", b"1", b"-1", b"5", b"-5", b"100", b"9223372036854775807",
        b"-9223372036854775808", b"abc", b"1.5", b"", b"01", b"-0", b"+1", b" 1"]
FLOATS = [b"0", b"1", b"-1", b"0.1", b"1.5", b"-2.5", b"1e3", b"1e308", b"-1e308", b"1e5000",
          b"inf", b"-inf", b"nan", b"abc", b"", b" 1", b"1 ", b"0x1p3", b"5.0e-1", b"3",
          b"1e-4940", b"1e-5000", b"-0.0", b"1.0000000000000000001"]
RANGES = [b"0", b"1", b"2", b"-1", b"-2", b"-100", b"100", b"5", b"3",
          b"9223372036854775807", b"-9223372036854775808", b"x"]
PATTERNS = [b"*", b"k*", b"k?", b"k[0-3]", b"k[^0-3]", b"k[3-0]", b"user:*", b"user:1*", b"*1*",
            b"a\\*b", b"a*b", b"[a-k]*", b"nomatch*", b"?", b"k\\", b"k[", b"*\x00*", b"h?llo",
            b"h*llo", b"u[!s]*", b"[\\]]*", b"user:?", b""]


class Generator:
    """Seeded random commands. Expiry times come from a pool of offsets at least 10 s apart."""

    def __init__(self, seed, start_ms):
        self.rng = random.Random(seed)
        self.start_ms = start_ms
        self.offsets = list(range(1, 50000))  # units of 10 s after start
        self.rng.shuffle(self.offsets)

    def key(self):
        return self.rng.choice(KEYS)

    def value(self):
        r = self.rng.random()
        if r < 0.6:
            return self.rng.choice(VALUES)
        return ("v%d" % self.rng.randrange(100)).encode()

    def future_seconds(self):
        """A relative TTL in seconds, unique and far from every other one."""
        return self.offsets.pop() * 10 + 100

    def future_ms(self):
        return self.future_seconds() * 1000 + self.rng.randrange(1000)

    def ttl_arg(self, unit_ms, relative):
        """(argument, kind) for an expiry argument: mostly valid, sometimes past or invalid."""
        r = self.rng.random()
        now_s = self.start_ms // 1000
        if r < 0.75:
            if relative:
                v = self.future_seconds() if unit_ms == 1000 else self.future_ms()
            else:
                v = now_s + self.future_seconds() if unit_ms == 1000 else \
                    self.start_ms + self.future_ms()
            return str(v).encode()
        if r < 0.85:  # already past
            if relative:
                return self.rng.choice([b"0", b"-1", b"-100"])
            return self.rng.choice([b"1", b"0", b"-5", str(now_s - 1000).encode()
                                    if unit_ms == 1000 else str(self.start_ms - 5000).encode()])
        return self.rng.choice([b"abc", b"1.5", b"9223372036854775807", b"-9223372036854775808",
                                b"9223372036854775", b"", b"01"])

    def set_expire_opt(self):
        opt = self.rng.choice([b"EX", b"PX", b"EXAT", b"PXAT", b"ex", b"pxat"])
        unit = 1000 if opt.upper() in (b"EX", b"EXAT") else 1
        relative = opt.upper() in (b"EX", b"PX")
        r = self.rng.random()
        if r < 0.1:
            return [opt]  # missing argument
        if r < 0.2:
            return [opt, self.rng.choice([b"0", b"-1"])]
        return [opt, self.ttl_arg(unit, relative)]

    def cmd(self):
        g = self.rng
        k = self.key
        v = self.value
        c = g.randrange(100)
        if c < 12:
            args = [b"SET", k(), v()]
            for _ in range(g.choice([0, 0, 1, 1, 2, 3])):
                o = g.random()
                if o < 0.2:
                    args.append(g.choice([b"NX", b"nx"]))
                elif o < 0.4:
                    args.append(g.choice([b"XX", b"xx"]))
                elif o < 0.55:
                    args.append(b"GET")
                elif o < 0.65:
                    args.append(b"KEEPTTL")
                elif o < 0.95:
                    args += self.set_expire_opt()
                else:
                    args.append(g.choice([b"PERSIST", b"bogus"]))
            return args
        if c < 14:
            return [b"SETNX", k(), v()]
        if c < 16:
            return [g.choice([b"SETEX", b"PSETEX"]), k(),
                    g.choice([str(self.future_seconds()).encode(), b"0", b"-1", b"abc"]), v()]
        if c < 18:
            return [b"GETSET", k(), v()]
        if c < 20:
            return [b"GETDEL", k()]
        if c < 24:
            args = [b"GETEX", k()]
            o = g.random()
            if o < 0.2:
                pass
            elif o < 0.35:
                args.append(b"PERSIST")
            elif o < 0.85:
                args += self.set_expire_opt()
            else:
                args += g.choice([[b"PERSIST", b"EX", b"10"], [b"EX", b"100", b"PX", b"100"],
                                  [b"NX"], [b"KEEPTTL"], [b"GET"], [b"EX", b"100", b"PERSIST"]])
            return args
        if c < 30:
            return [b"GET", k()]
        if c < 32:
            return [b"MGET"] + [k() for _ in range(g.randrange(1, 5))]
        if c < 34:
            n = g.randrange(1, 4)
            args = [b"MSET"]
            for _ in range(n):
                args += [k(), v()]
            if g.random() < 0.1:
                args.append(k())
            return args
        if c < 35:
            args = [b"MSETNX"]
            for _ in range(g.randrange(1, 3)):
                args += [k(), v()]
            if g.random() < 0.1:
                args.pop()
            return args
        if c < 37:
            return [b"APPEND", k(), v()]
        if c < 38:
            return [b"STRLEN", k()]
        if c < 40:
            return [g.choice([b"GETRANGE", b"SUBSTR"]), k(), g.choice(RANGES), g.choice(RANGES)]
        if c < 42:
            off = g.choice([b"0", b"1", b"3", b"10", b"-1", b"x", b"536870912",
                            b"9223372036854775807", b"4294967296"])
            return [b"SETRANGE", k(), off, g.choice([b"", b"ab", b"Z", b"\x00"])]
        if c < 50:
            op = g.choice([b"INCR", b"DECR", b"INCRBY", b"DECRBY", b"INCRBYFLOAT"])
            if op in (b"INCR", b"DECR"):
                return [op, k()]
            if op == b"INCRBYFLOAT":
                return [op, k(), g.choice(FLOATS)]
            return [op, k(), g.choice(INTS)]
        if c < 53:
            return [g.choice([b"DEL", b"UNLINK"])] + [k() for _ in range(g.randrange(1, 4))]
        if c < 55:
            return [b"EXISTS"] + [k() for _ in range(g.randrange(1, 5))]
        if c < 56:
            return [b"TYPE", k()]
        if c < 58:
            return [g.choice([b"RENAME", b"RENAMENX"]), k(), k()]
        if c < 60:
            args = [b"COPY", k(), k()]
            for _ in range(g.choice([0, 1, 1, 2])):
                o = g.random()
                if o < 0.4:
                    args.append(b"REPLACE")
                elif o < 0.9:
                    args += [b"DB", g.choice([b"0", b"1", b"2", b"3", b"16", b"-1", b"x",
                                              b"4294967296", b"-2147483649"])]
                else:
                    args.append(g.choice([b"DB", b"bogus"]))
            return args
        if c < 61:
            return [b"MOVE", k(), g.choice([b"0", b"1", b"2", b"3", b"16", b"-1", b"x",
                                            b"2147483648"])]
        if c < 62:
            return [b"TOUCH"] + [k() for _ in range(g.randrange(1, 4))]
        if c < 64:
            return [b"KEYS", g.choice(PATTERNS)]
        if c < 65:
            return [b"DBSIZE"]
        if c < 67:
            return [b"SELECT", g.choice([b"0", b"1", b"2", b"3", b"0", b"16", b"-1", b"x"])]
        if c < 68:
            if g.random() < 0.3:
                return [b"FLUSHDB"] + g.choice([[], [b"ASYNC"], [b"SYNC"], [b"bogus"]])
            return [b"DBSIZE"]
        if c < 69:
            return [b"SWAPDB", g.choice([b"0", b"1", b"2", b"3", b"16", b"x", b"4294967296"]),
                    g.choice([b"0", b"1", b"2", b"3", b"-1", b"y", b"-2147483649"])]
        if c < 78:
            op = g.choice([b"EXPIRE", b"PEXPIRE", b"EXPIREAT", b"PEXPIREAT"])
            unit = 1000 if op in (b"EXPIRE", b"EXPIREAT") else 1
            relative = op in (b"EXPIRE", b"PEXPIRE")
            args = [op, k(), self.ttl_arg(unit, relative)]
            for _ in range(g.choice([0, 0, 1, 1, 2])):
                args.append(g.choice([b"NX", b"XX", b"GT", b"LT", b"gt", b"bogus"]))
            return args
        if c < 84:
            return [g.choice([b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME"]), k()]
        if c < 86:
            return [b"PERSIST", k()]
        if c < 89:
            return [b"SCAN-LOOP"] + self.scan_options()
        if c < 91:
            return [b"SCAN", g.choice([b"0", b"abc", b"1x", b"0", b"9x"])] + \
                g.choice([[b"COUNT", b"0"], [b"COUNT", b"x"], [b"COUNT"], [b"MATCH"],
                          [b"bogus", b"1"], [b"COUNT", b"-1"], [b"TYPE"], []])
        if c < 92:
            return [b"RANDOMKEY"]
        return self.wrong_arity()

    def scan_options(self):
        g = self.rng
        opts = []
        if g.random() < 0.6:
            opts += [b"MATCH", g.choice(PATTERNS)]
        if g.random() < 0.5:
            opts += [b"COUNT", g.choice([b"1", b"2", b"3", b"10", b"100"])]
        if g.random() < 0.3:
            opts += [b"TYPE", g.choice([b"string", b"STRING", b"hash", b"list", b"bogus"])]
        return opts

    def wrong_arity(self):
        return self.rng.choice([
            [b"GET"], [b"GET", b"a", b"b"], [b"SET", b"k"], [b"SETNX", b"k"], [b"SETEX", b"k", b"1"],
            [b"PSETEX", b"k"], [b"GETSET", b"k"], [b"GETDEL"], [b"GETEX"], [b"MGET"], [b"MSET"],
            [b"MSET", b"a"], [b"MSET", b"a", b"1", b"b"], [b"MSETNX", b"a"],
            [b"MSETNX", b"a", b"1", b"b"], [b"APPEND", b"k"], [b"STRLEN"], [b"GETRANGE", b"k", b"0"],
            [b"SUBSTR", b"k"], [b"SETRANGE", b"k", b"0"], [b"INCR"], [b"DECR", b"a", b"b"],
            [b"INCRBY", b"k"], [b"DECRBY", b"k"], [b"INCRBYFLOAT", b"k"], [b"DEL"], [b"UNLINK"],
            [b"EXISTS"], [b"TYPE"], [b"RENAME", b"k"], [b"RENAMENX", b"k"], [b"COPY", b"k"],
            [b"MOVE", b"k"], [b"TOUCH"], [b"KEYS"], [b"KEYS", b"a", b"b"], [b"DBSIZE", b"x"],
            [b"SELECT"], [b"SWAPDB", b"0"], [b"EXPIRE", b"k"], [b"PEXPIRE"], [b"EXPIREAT", b"k"],
            [b"PEXPIREAT", b"k"], [b"TTL"], [b"PTTL", b"a", b"b"], [b"EXPIRETIME"],
            [b"PEXPIRETIME"], [b"PERSIST"], [b"SCAN"], [b"RANDOMKEY", b"x"],
        ])


class Mismatch(AssertionError):
    pass


def _is_error(r):
    return isinstance(r, tuple) and r and r[0] == "error"


def compare(args, expected, got):
    """None when the stashd reply `got` is acceptable for Redis's `expected`; else a reason."""
    name = args[0].upper()
    if name == b"KEYS" and isinstance(expected, list) and isinstance(got, list):
        if sorted(expected) == sorted(got) and len(got) == len(set(got)):
            return None
        return "KEYS differ as sets"
    if name in (b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME") and isinstance(expected, int) \
            and isinstance(got, int):
        if expected < 0 or got < 0:
            return None if expected == got else "TTL sentinel differs"
        tolerance = {b"TTL": 1, b"PTTL": 1000, b"EXPIRETIME": 1, b"PEXPIRETIME": 1000}[name]
        return None if abs(expected - got) <= tolerance else "TTL beyond tolerance"
    if name == b"SCAN" and not _is_error(expected):
        # One call of an iteration: which keys come first is open; full loops are compared.
        if isinstance(got, list) and len(got) == 2 and isinstance(got[0], bytes):
            return None
        return "SCAN reply is not [cursor, keys]"
    if name == b"RANDOMKEY" and not _is_error(expected):
        if (expected is None) == (got is None) and not _is_error(got):
            return None
        return "RANDOMKEY differs"
    if expected == got:
        return None
    return "replies differ"


class Differential:
    """Runs one seeded sequence against both servers; raises Mismatch with the history."""

    def __init__(self, stashd_port, redis_port, seed, count):
        self.seed = seed
        self.count = count
        self.ref = Conn(redis_port)
        self.dut = Conn(stashd_port)
        self.redis_port = redis_port
        self.history = []

    def close(self):
        self.ref.close()
        self.dut.close()

    def fail(self, why, args, expected, got):
        lines = ["seed %d, command #%d: %s" % (self.seed, len(self.history), why),
                 "  command: %r" % (args,),
                 "  redis:   %r" % (expected,),
                 "  stashd:  %r" % (got,),
                 "history (db, command, redis reply):"]
        for entry in self.history[-60:]:
            lines.append("  %r" % (entry,))
        path = os.path.join(tempfile.gettempdir(), "stashd-differential-%d.txt" % self.seed)
        with open(path, "w") as f:
            for entry in self.history:
                f.write("%r\n" % (entry,))
        lines.append("full history: %s" % path)
        raise Mismatch("\n".join(lines))

    def run(self):
        start_ms = int(time.time() * 1000)
        gen = Generator(self.seed, start_ms)
        for conn in (self.ref, self.dut):
            assert conn.call("FLUSHALL") == "OK"
            assert conn.call("SELECT", "0") == "OK"
        db = 0
        pending, target = [], 0
        for _ in range(self.count):
            args = gen.cmd()
            name = args[0].upper()
            # Now and then a pipeline: consecutive commands reach stashd's writer as one group
            # (later ones read the earlier ones' writes through its overlay). Commands that the
            # harness checks in several steps run on their own.
            alone = name in (b"SCAN-LOOP", b"DBSIZE", b"EXPIRETIME")
            if not target and not alone and gen.rng.random() < PIPELINE_CHANCE:
                target = gen.rng.randrange(2, 30)
            if target and not alone:
                pending.append(args)
                if len(pending) < target:
                    continue
            if pending:
                db = self.run_pipeline(pending, db)
                pending, target = [], 0
                if not alone:
                    continue
            if name == b"SCAN-LOOP":
                self.scan_loop(args[1:], db)
                continue
            if name == b"DBSIZE" and len(args) == 1:
                self.check_dbsize(db)
                continue
            expected = self.ref.call(*args)
            got = self.dut.call(*args)
            self.history.append((db, args, expected))
            why = compare(args, expected, got)
            if not why and name == b"EXPIRETIME" and len(args) == 2 and isinstance(got, int) \
                    and expected >= 0:
                # Seconds are rounded from milliseconds: unless Redis's time sits near a half
                # second (where a few ms between the two servers matter), they must be equal.
                ms = self.ref.call(b"PEXPIRETIME", args[1])
                if abs(ms % 1000 - 500) > 100 and got != expected:
                    why = "EXPIRETIME rounds differently (PEXPIRETIME %d)" % ms
            if why:
                self.fail(why, args, expected, got)
            if name == b"SELECT" and expected == "OK":
                db = int(args[1])
        if pending:
            db = self.run_pipeline(pending, db)
        for d in range(DBS):
            self.check_db(d)

    def run_pipeline(self, commands, db):
        expected = self.ref.pipeline(commands)
        got = self.dut.pipeline(commands)
        for args, e, g in zip(commands, expected, got):
            self.history.append((db, [b"(pipelined)"] + args, e))
            why = compare(args, e, g)
            if why:
                self.fail(why + " (in a pipeline of %d)" % len(commands), args, e, g)
            if args[0].upper() == b"SELECT" and e == "OK":
                db = int(args[1])
        return db

    def scan_all(self, conn, opts):
        keys = []
        cursor = b"0"
        for _ in range(10000):
            reply = conn.call(b"SCAN", cursor, *opts)
            if _is_error(reply):
                return reply
            cursor, batch = reply
            assert isinstance(cursor, bytes), "SCAN cursor is not a bulk string: %r" % (reply,)
            keys += batch
            if cursor == b"0":
                return set(keys)
        raise Mismatch("SCAN did not finish after 10000 calls (seed %d)" % self.seed)

    def scan_loop(self, opts, db):
        expected = self.scan_all(self.ref, opts)
        got = self.scan_all(self.dut, opts)
        args = [b"SCAN-LOOP"] + opts
        self.history.append((db, args, expected))
        if expected != got:
            self.fail("SCAN iteration returned other keys", args, expected, got)

    def check_dbsize(self, db):
        live = self.ref.call(b"KEYS", b"*")
        got = self.dut.call(b"DBSIZE")
        self.history.append((db, [b"DBSIZE"], len(live)))
        if got != len(live):
            self.fail("DBSIZE is not the number of live keys", [b"DBSIZE"], len(live), got)

    def check_db(self, d):
        """Every key, value and TTL of database d agree."""
        for conn in (self.ref, self.dut):
            assert conn.call("SELECT", str(d)) == "OK"
        ref_keys = sorted(self.ref.call(b"KEYS", b"*"))
        dut_keys = sorted(self.dut.call(b"KEYS", b"*"))
        if ref_keys != dut_keys:
            self.fail("final key sets of db%d differ" % d, [b"KEYS", b"*"], ref_keys, dut_keys)
        self.check_dbsize(d)
        for key in ref_keys:
            for cmd in ([b"GET", key], [b"PTTL", key], [b"TYPE", key]):
                expected = self.ref.call(*cmd)
                got = self.dut.call(*cmd)
                why = compare(cmd, expected, got)
                if why:
                    self.fail("final state of db%d: %s" % (d, why), cmd, expected, got)


class RedisAsStashd(RedisServer):
    """A stock redis-server behind Stashd's interface, so that the black-box data tests can be
    run against Redis itself (DATA_TARGET=redis) to check their expectations."""

    def client(self, **kw):
        import redis
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10, **kw)

    def cli(self, *args, input=None):
        r = subprocess.run(["redis-cli", "-p", str(self.port)] + list(args), input=input,
                           capture_output=True, timeout=60)
        return r.stdout.decode(errors="replace"), r.returncode

    def output(self):
        return ""

    def stop(self, *args, **kw):
        super().stop()
        return 0

    def cleanup(self):
        self.stop()


AGAINST_REDIS = os.environ.get("DATA_TARGET") == "redis"


def stashd_only(fn):
    """For tests of deliberate differences (exact DBSIZE, opaque SCAN cursors, engine, restarts):
    skipped when the tests run against Redis."""
    import unittest
    return unittest.skipIf(AGAINST_REDIS, "StashDB-specific behaviour")(fn)


def start_server(args=()):
    """stashd with args, or a stock Redis when DATA_TARGET=redis."""
    if AGAINST_REDIS:
        return RedisAsStashd()
    from stashd import Stashd
    return Stashd(args)
