"""Differential testing against a stock redis-server: a seeded generator of string, keyspace,
expiry and SCAN commands over a small key space, sent to stashd and to Redis over raw RESP, with
the replies compared exactly (errors by their text). What Redis leaves open is normalised:
KEYS is compared as a set, TTLs within a tolerance, SCAN as the set of keys of a whole
iteration, RANDOMKEY by whether it found a key, and DBSIZE against the number of keys Redis
shows (Redis counts keys whose EXAT/PXAT lies in the past until it reclaims them; StashDB's
DBSIZE is exact by design).

Command groups (Differential(groups=...)): "strings" (the above), "hash", "set", "list" and
"zset" (every command of the type with valid and invalid arguments over small key/field/member
pools, plus the keyspace commands and commands of the other types on the same keys; the lex
commands only on keys whose members all have score 0, where Redis defines them), "mixed"
(strings, hashes, sets, lists and sorted sets on one small key space: keys change type,
WRONGTYPE is frequent), "stream" (every stream command but blocking reads: XADD with its
NOMKSTREAM/MAXLEN/MINID/=/~/LIMIT options and explicit, '<ms>-*' and '*' IDs, XLEN, XRANGE,
XREVRANGE, XDEL, XTRIM, XREAD, XSETID, XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM,
XINFO, with invalid arguments, bursts of entries past Redis's 100 entries a node for the
approximate trims, plus the keyspace commands and other types' commands on the same keys). More
is normalised for them:
unordered replies (HKEYS HVALS HGETALL SMEMBERS SINTER SUNION SDIFF) are compared as multisets,
HSCAN/SSCAN as the elements of a whole iteration, and the random ones (HRANDFIELD SRANDMEMBER
SPOP) by their shape, length and membership in the collection as Redis holds it (see
Differential.check_random; SPOP's different choices are mirrored on Redis afterwards). Stream
IDs are explicit and small but for '*' ones (the current time), which are normalised; so are the
time-dependent fields (XPENDING's idle times, XINFO's idle, seen and delivery times: only whether
they are recent or a day back counts) and XINFO STREAM's radix-tree-keys/-nodes (Redis's
internals); XCLAIM/XAUTOCLAIM/XPENDING use min-idle times of 0 or an hour, and IDLE/TIME options
of now or a day back, so that which entries they take never depends on timing. OBJECT ENCODING
is compared there only as whether it says "stream".

proto=3 sends HELLO 3 on both connections and compares the replies' exact bytes (read_raw), so
that a set '~' and an array '*', a map '%' and a flat array, '_' and '$-1', a double ',' and a
bulk string all differ; the normalised replies are compared as typed values (typed()), which
keep those distinctions too.

Expiry times are drawn so that no two of them are within seconds of each other, and are either
far in the future or already past: the outcome never depends on which millisecond a command
ran at on either server.
"""
import io
import os
import random
import re
import shutil
import socket
import subprocess
import tempfile
import time

from stashd import Stashd, StashdTestCase, config_file_args, encode_command, free_port, \
    read_reply


class RedisServer:
    """A stock redis-server on a free port, without persistence. args are extra command-line
    arguments, config_text the text of a config file to start it with."""

    def __init__(self, args=(), config_text=None):
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="redis-ref-")
        cmd = ["redis-server"] + config_file_args(self.tmp, config_text, "redis.conf")
        cmd += ["--port", str(self.port), "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", self.tmp, "--bind", "127.0.0.1"] + list(args)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def read_raw(f):
    """The exact bytes of one complete RESP2/RESP3 reply read from a socket's makefile('rb'),
    nested aggregates included (a RESP3 attribute comes back together with its reply)."""
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("connection closed")
    t, rest = line[:1], line[1:-2]
    if t in (b"+", b"-", b":", b"_", b"#", b",", b"("):
        return line
    if t in (b"$", b"!", b"="):
        n = int(rest)
        if n < 0:
            return line
        body = f.read(n + 2)
        if len(body) != n + 2:
            raise ConnectionError("connection closed")
        return line + body
    if t in (b"*", b"~", b">"):
        return line + b"".join(read_raw(f) for _ in range(max(int(rest), 0)))
    if t == b"%":
        return line + b"".join(read_raw(f) for _ in range(2 * int(rest)))
    if t == b"|":
        return line + b"".join(read_raw(f) for _ in range(2 * int(rest))) + read_raw(f)
    raise ValueError("unknown RESP type %r" % line)


def typed(raw):
    """One reply's bytes (read_raw) parsed keeping its RESP type: a pair (type character, value).
    Aggregates hold a list of typed elements ('*', '~', '>'), a map a list of (key, value) pairs
    ('%'); a bulk string its bytes ('$', None for $-1), a null ('_', None), an integer (':', int),
    a double (',', its text as bytes), a simple string or error ('+'/'-', str), a boolean ('#',
    bool). So an array and a set, a map and a flat array, '_' and '$-1' all differ."""
    value, end = _typed(raw, 0)
    if end != len(raw):
        raise ValueError("trailing bytes after a reply: %r" % raw[end:])
    return value


def _typed(raw, pos):
    eol = raw.index(b"\r\n", pos)
    t, rest, pos = raw[pos:pos + 1].decode(), raw[pos + 1:eol], eol + 2
    if t in "+-":
        return (t, rest.decode()), pos
    if t in ":(":
        return (t, int(rest)), pos
    if t == "_":
        return (t, None), pos
    if t == "#":
        return (t, rest == b"t"), pos
    if t == ",":
        return (t, rest), pos
    if t in "$!=":
        n = int(rest)
        if n < 0:
            return (t, None), pos
        return (t, raw[pos:pos + n]), pos + n + 2
    if t in "*~>":
        n = int(rest)
        if n < 0:
            return (t, None), pos
        items = []
        for _ in range(n):
            item, pos = _typed(raw, pos)
            items.append(item)
        return (t, items), pos
    if t in "%|":
        pairs = []
        for _ in range(int(rest)):
            k, pos = _typed(raw, pos)
            v, pos = _typed(raw, pos)
            pairs.append((k, v))
        if t == "|":  # an attribute: the reply it annotates follows
            return _typed(raw, pos)
        return (t, pairs), pos
    raise ValueError("unknown RESP type %r" % t)


class Conn:
    """One raw RESP connection: call() sends a command and returns the parsed reply, call_raw()
    its exact bytes. proto=3 sends HELLO 3 first."""

    def __init__(self, port, proto=2):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.file = self.sock.makefile("rb")
        if proto == 3:
            hello = self.call("HELLO", "3")
            assert isinstance(hello, dict) and hello.get(b"proto") == 3, hello

    def call(self, *args):
        self.sock.sendall(encode_command(*args))
        return read_reply(self.file)

    def call_raw(self, *args):
        self.sock.sendall(encode_command(*args))
        return read_raw(self.file)

    def pipeline(self, commands):
        """Sends every command in one write, then reads their replies."""
        self.sock.sendall(b"".join(encode_command(*args) for args in commands))
        return [read_reply(self.file) for _ in commands]

    def pipeline_raw(self, commands):
        self.sock.sendall(b"".join(encode_command(*args) for args in commands))
        return [read_raw(self.file) for _ in commands]

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
SCAN_TYPES = [b"string", b"STRING", b"hash", b"list", b"bogus"]

# The hash, set and mixed groups. Small pools so that commands hit existing fields and members.
HASH_KEYS = [b"h0", b"h1", b"h2", b"h3", b"", b"h\x00z", b"str"]
SET_KEYS = [b"s0", b"s1", b"s2", b"s3", b"", b"s\x00z", b"str", b"h0"]
MIXED_KEYS = [b"k0", b"k1", b"k2", b"k3", b"k4", b""]
FIELDS = [b"f0", b"f1", b"f2", b"f3", b"f4", b"", b"n", b"x", b"a\x00b", b"\r\n", b"big1"]
HVALUES = [b"", b"v", b"0", b"1", b"-1", b"10", b"007", b"+5", b"1.5", b"-0.25", b"3.0e3",
           b"abc", b"inf", b"nan", b" 1", b"0x10", b"9223372036854775807",
           b"-9223372036854775808", b"a\x00b\r\nc", b"x" * 70]
MEMBERS = [b"a", b"b", b"c", b"d", b"e", b"", b"1", b"2", b"3", b"-5", b"10", b"007", b"+1",
           b"9223372036854775807", b"-9223372036854775808", b"1.5", b"x\x00y", b"\r\n"]
FIELD_PATTERNS = [b"*", b"f*", b"f?", b"f[0-2]", b"[^f]*", b"big*", b"big1?", b"", b"a*",
                  b"*\x00*", b"\\*", b"n", b"?"]
COLLECTION_COUNTS = [b"0", b"1", b"2", b"3", b"5", b"10", b"100", b"-1", b"-2", b"-5", b"-20",
                     b"x", b"1.5", b"", b"9223372036854775807", b"-9223372036854775808"]
SCAN_CURSORS = [b"0", b"0", b"0", b"abc", b"1x", b"9x"]
HASH_ARITY = [
    [b"HSET"], [b"HSET", b"h0"], [b"HSET", b"h0", b"f"], [b"HSET", b"str", b"f", b"v", b"g"],
    [b"HMSET", b"h0", b"f"], [b"HMSET", b"str", b"f", b"v", b"g"], [b"HSETNX", b"h0", b"f"],
    [b"HSETNX", b"h0", b"f", b"v", b"w"], [b"HGET", b"h0"], [b"HGET", b"h0", b"f0", b"f1"],
    [b"HMGET", b"h0"], [b"HDEL", b"str"], [b"HEXISTS", b"h0"], [b"HLEN"], [b"HLEN", b"h0", b"x"],
    [b"HSTRLEN", b"h0"], [b"HINCRBY", b"h0", b"n"], [b"HINCRBY", b"h0", b"n", b"1", b"2"],
    [b"HINCRBYFLOAT", b"h0", b"n"], [b"HKEYS"], [b"HVALS", b"h0", b"x"], [b"HGETALL"],
    [b"HRANDFIELD"], [b"HSCAN", b"h0"], [b"HSCAN"]]
SET_ARITY = [
    [b"SADD", b"s0"], [b"SADD"], [b"SREM", b"str"], [b"SMEMBERS"], [b"SMEMBERS", b"s0", b"x"],
    [b"SISMEMBER", b"s0"], [b"SISMEMBER", b"s0", b"a", b"b"], [b"SMISMEMBER", b"s0"],
    [b"SCARD"], [b"SPOP"], [b"SPOP", b"s0", b"1", b"2"], [b"SRANDMEMBER"],
    [b"SRANDMEMBER", b"str", b"1", b"2"], [b"SMOVE", b"s0", b"s1"], [b"SINTER"], [b"SUNION"],
    [b"SDIFF"], [b"SINTERSTORE", b"s0"], [b"SUNIONSTORE", b"s0"], [b"SDIFFSTORE"],
    [b"SINTERCARD"], [b"SINTERCARD", b"1"], [b"SSCAN", b"s0"], [b"SSCAN"]]
LIST_KEYS = [b"l0", b"l1", b"l2", b"l3", b"", b"l\x00z", b"str", b"h0"]
LIST_INDEXES = [b"0", b"1", b"2", b"-1", b"-2", b"-3", b"5", b"-10", b"100", b"x", b"1.5",
                b"9223372036854775807", b"-9223372036854775808"]
LIST_COUNTS = [b"0", b"1", b"2", b"3", b"10", b"-1", b"-2", b"x", b"", b"9223372036854775807",
               b"-9223372036854775808"]
LIST_ARITY = [
    [b"LPUSH", b"l0"], [b"RPUSH"], [b"LPUSHX", b"l0"], [b"LPOP"], [b"LPOP", b"l0", b"1", b"2"],
    [b"RPOP", b"str", b"1", b"2"], [b"LLEN"], [b"LLEN", b"l0", b"x"], [b"LINDEX", b"l0"],
    [b"LRANGE", b"l0", b"0"], [b"LSET", b"l0", b"0"], [b"LINSERT", b"l0", b"BEFORE", b"a"],
    [b"LREM", b"l0", b"0"], [b"LTRIM", b"l0", b"0"], [b"LPOS", b"l0"], [b"LMOVE", b"l0", b"l1"],
    [b"RPOPLPUSH", b"l0"], [b"LMPOP", b"1"], [b"LMPOP", b"1", b"l0"]]
ZSET_KEYS = [b"z0", b"z1", b"z2", b"", b"z\x00z", b"str", b"s0", b"zl0", b"zl1"]
# Keys whose members all get score 0: the lex commands are defined only on those.
LEX_KEYS = {b"zl0", b"zl1"}
SCORES = [b"0", b"1", b"2", b"-1", b"1.5", b"-2.5", b"10", b"100", b"inf", b"-inf", b"+inf",
          b"1e3", b"0.1", b"-0", b"3.0", b"0.30000000000000004", b"1e-320", b"0x10"]
BAD_SCORES = [b"x", b"", b"nan", b" 1", b"1e400", b"1 ", b"1e-400"]
SCORE_BOUNDS = [b"-inf", b"+inf", b"inf", b"(1", b"1", b"(0", b"0", b"2.5", b"(2.5", b"-1",
                b"(-inf", b"10", b"(100", b"", b"x", b"(x", b"((1", b"nan"]
LEX_BOUNDS = [b"-", b"+", b"[a", b"(a", b"[c", b"(c", b"[", b"(", b"[1", b"(e", b"[\x00",
              b"a", b"+a", b"-a"]
ZSET_ARITY = [
    [b"ZADD", b"z0"], [b"ZADD", b"z0", b"1"], [b"ZINCRBY", b"z0", b"1"], [b"ZREM", b"z0"],
    [b"ZCARD"], [b"ZSCORE", b"z0"], [b"ZMSCORE", b"z0"], [b"ZRANK", b"z0"],
    [b"ZCOUNT", b"z0", b"0"], [b"ZRANGE", b"z0", b"0"], [b"ZRANGEBYSCORE", b"z0", b"0"],
    [b"ZREVRANGE", b"z0", b"0"], [b"ZRANGESTORE", b"d", b"z0", b"0"], [b"ZPOPMIN"],
    [b"ZPOPMIN", b"z0", b"1", b"2"], [b"ZMPOP", b"1", b"z0"], [b"ZUNION", b"1"],
    [b"ZUNIONSTORE", b"d", b"1"], [b"ZINTERCARD", b"1"], [b"ZREMRANGEBYRANK", b"z0", b"0"],
    [b"ZLEXCOUNT", b"zl0", b"-"]]
SORT_BY = [b"w_*", b"w_*", b"h_*->f", b"nosort", b"w_*->f", b"h_*->", b"*", b"w_\x00*"]
SORT_GET = [b"#", b"w_*", b"h_*->f", b"h_*->g", b"nokey", b"*"]
# The stream group. IDs are explicit and small (milliseconds from STREAM_BASE_MS up), so that
# an ID made by '*' (the current time, 13 digits) is larger than every other one and can be
# normalised (TIME_ID) without changing any comparison. Field names never equal an XINFO field
# whose value is normalised.
STREAM_KEYS = [b"x0", b"x1", b"x2", b"x3", b"", b"x\x00z", b"str", b"l0"]
# Most stream commands go to the first keys, groups and consumers: groups must exist there.
STREAM_HOT_KEYS = [b"x0", b"x0", b"x0", b"x1", b"x1", b"x2"]
STREAM_COLD_KEYS = [b"x3", b"", b"x\x00z", b"str", b"l0"]
STREAM_GROUP_NAMES = [b"g1"] * 7 + [b"g2", b"g2", b"g3", b""]
STREAM_CONSUMERS = [b"c1", b"c1", b"c1", b"c2", b"c2", b"c3", b""]
STREAM_FIELDS = [b"f", b"f", b"f", b"g", b"a", b"", b"n\x00"]
STREAM_VALUES = [b"", b"v", b"0", b"1", b"-1", b"abc", b"1.5", b"a\x00b", b"\r\n", b"999"]
STREAM_BASE_MS = 1000
MAX_ID = b"18446744073709551615-18446744073709551615"
BAD_IDS = [b"x", b"1-x", b"-1", b"", b"(5", b"$", b">", b"+", b"-", b"1-", b"-1-0", b"-0",
           b"18446744073709551616", b"1-18446744073709551616", b"1 ", b"0x10", b"1e3",
           b"1--1", b"((1", b"1-2-3"]
STREAM_COUNTS = [b"0", b"1", b"2", b"3", b"5", b"10", b"100", b"-1", b"x", b"", b"1.5",
                 b"9223372036854775807", b"-9223372036854775808"]
STREAM_ARITY = [
    [b"XADD"], [b"XADD", b"x0"], [b"XADD", b"x0", b"*"], [b"XADD", b"x0", b"*", b"f"],
    [b"XADD", b"x0", b"MAXLEN", b"1", b"*", b"f"], [b"XADD", b"x0", b"MAXLEN", b"1"],
    [b"XADD", b"x0", b"*", b"f", b"v", b"g"], [b"XADD", b"x0", b"LIMIT", b"5", b"*", b"f", b"v"],
    [b"XADD", b"x0", b"bogus", b"*", b"f", b"v"], [b"XLEN"], [b"XLEN", b"x0", b"x1"],
    [b"XRANGE", b"x0", b"-"], [b"XREVRANGE", b"x0", b"+"],
    [b"XRANGE", b"x0", b"-", b"+", b"COUNT"], [b"XRANGE", b"x0", b"-", b"+", b"LIMIT", b"1"],
    [b"XDEL", b"x0"], [b"XTRIM", b"x0"], [b"XTRIM", b"x0", b"MAXLEN"],
    [b"XTRIM", b"x0", b"bogus", b"1"], [b"XTRIM", b"x0", b"MAXLEN", b"1", b"MINID", b"1"],
    [b"XTRIM", b"x0", b"MAXLEN", b"=", b"=", b"1"], [b"XREAD"], [b"XREAD", b"STREAMS"],
    [b"XREAD", b"STREAMS", b"x0"], [b"XREAD", b"COUNT", b"1"],
    [b"XREAD", b"STREAMS", b"x0", b"x1", b"0"], [b"XREAD", b"x0", b"0"],
    [b"XREAD", b"NOACK", b"STREAMS", b"x0", b"0"],
    [b"XREAD", b"GROUP", b"g1", b"c1", b"STREAMS", b"x0", b"0"],
    [b"XREAD", b"BLOCK", b"-1", b"STREAMS", b"x0", b"$"],
    [b"XREAD", b"BLOCK", b"x", b"STREAMS", b"x0", b"$"], [b"XREAD", b"BLOCK", b"10", b"STREAMS"],
    [b"XREAD", b"COUNT", b"1", b"BLOCK"],
    [b"XREADGROUP", b"GROUP", b"g1", b"c1", b"STREAMS", b"x0"], [b"XREADGROUP", b"GROUP", b"g1"],
    [b"XREADGROUP", b"STREAMS", b"x0", b">"], [b"XREADGROUP", b"GROUP", b"g1", b"c1", b"x0", b">"],
    [b"XREADGROUP", b"GROUP", b"g1", b"c1", b"BLOCK", b"-1", b"STREAMS", b"x0", b">"],
    [b"XSETID", b"x0"], [b"XSETID", b"x0", b"5", b"ENTRIESADDED"], [b"XGROUP"],
    [b"XGROUP", b"CREATE", b"x0", b"g1"], [b"XGROUP", b"CREATE", b"x0", b"g1", b"0", b"bogus"],
    [b"XGROUP", b"CREATE", b"x0", b"g1", b"0", b"ENTRIESREAD"], [b"XGROUP", b"DESTROY", b"x0"],
    [b"XGROUP", b"DESTROY", b"x0", b"g1", b"x"], [b"XGROUP", b"SETID", b"x0", b"g1"],
    [b"XGROUP", b"SETID", b"x0", b"g1", b"0", b"MKSTREAM"],
    [b"XGROUP", b"CREATECONSUMER", b"x0", b"g1"],
    [b"XGROUP", b"DELCONSUMER", b"x0", b"g1", b"c1", b"c2"], [b"XGROUP", b"bogus", b"x0", b"g1"],
    [b"XGROUP", b"HELP"], [b"XGROUP", b"help", b"x"], [b"XACK", b"x0", b"g1"],
    [b"XPENDING", b"x0"], [b"XPENDING", b"x0", b"g1", b"-", b"+"],
    [b"XPENDING", b"x0", b"g1", b"IDLE", b"5"],
    [b"XPENDING", b"x0", b"g1", b"IDLE", b"5", b"-", b"+"], [b"XCLAIM", b"x0", b"g1", b"c1", b"0"],
    [b"XCLAIM", b"x0", b"g1", b"c1", b"0", b"1", b"IDLE"],
    [b"XAUTOCLAIM", b"x0", b"g1", b"c1", b"0"],
    [b"XAUTOCLAIM", b"x0", b"g1", b"c1", b"0", b"0", b"COUNT"], [b"XINFO"], [b"XINFO", b"bogus"],
    [b"XINFO", b"HELP"], [b"XINFO", b"STREAM"], [b"XINFO", b"GROUPS"],
    [b"XINFO", b"GROUPS", b"x0", b"x"], [b"XINFO", b"CONSUMERS", b"x0"],
    [b"XINFO", b"STREAM", b"x0", b"FULL", b"COUNT"], [b"XINFO", b"STREAM", b"x0", b"COUNT", b"1"],
    [b"XINFO", b"STREAM", b"x0", b"bogus"]]
GROUPS = ("strings", "hash", "set", "list", "zset", "mixed", "stream")

PATTERNS = [b"*", b"k*", b"k?", b"k[0-3]", b"k[^0-3]", b"k[3-0]", b"user:*", b"user:1*", b"*1*",
            b"a\\*b", b"a*b", b"[a-k]*", b"nomatch*", b"?", b"k\\", b"k[", b"*\x00*", b"h?llo",
            b"h*llo", b"u[!s]*", b"[\\]]*", b"user:?", b""]


class Generator:
    """Seeded random commands. Expiry times come from a pool of offsets at least 10 s apart."""

    def __init__(self, seed, start_ms, groups="strings"):
        assert groups in GROUPS, groups
        self.rng = random.Random(seed)
        self.start_ms = start_ms
        self.offsets = list(range(1, 50000))  # units of 10 s after start
        self.rng.shuffle(self.offsets)
        self.groups = groups
        self.keys = {"strings": KEYS, "hash": HASH_KEYS, "set": SET_KEYS, "list": LIST_KEYS,
                     "zset": ZSET_KEYS, "mixed": MIXED_KEYS, "stream": STREAM_KEYS}[groups]
        self.scan_types = SCAN_TYPES if groups == "strings" else SCAN_TYPES + [b"set", b"SET"]
        if groups == "stream":
            self.scan_types = SCAN_TYPES + [b"stream", b"STREAM", b"set"]
        self.stream_ms = STREAM_BASE_MS  # the milliseconds of the newest explicit stream ID
        self.stream_ids = {}  # key: the last explicit IDs XADD gave it (most of them exist)
        self.all_stream_ids = []  # the last explicit IDs XADD gave any key
        self.queue = []  # commands that must follow the last one

    def next(self):
        """The next command of the group."""
        if self.queue:
            return self.queue.pop(0)
        if self.groups == "strings":
            return self.cmd()
        if self.groups == "hash":
            return self.hash_cmd()
        if self.groups == "set":
            return self.set_cmd()
        if self.groups == "list":
            return self.list_cmd()
        if self.groups == "zset":
            return self.zset_cmd()
        if self.groups == "stream":
            return self.stream_cmd()
        c = self.rng.randrange(100)
        if c < 16:
            return self.cmd()
        if c < 34:
            return self.hash_cmd()
        if c < 52:
            return self.set_cmd()
        if c < 70:
            return self.list_cmd()
        if c < 90:
            return self.zset_cmd()
        return self.type_change()

    def key(self):
        return self.rng.choice(self.keys)

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

    def cmd(self, c=None):
        """A string, keyspace, expiry or SCAN command (c picks the kind: 50-91 are the keyspace
        and expiry commands)."""
        g = self.rng
        k = self.key
        v = self.value
        if c is None:
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
            opts += [b"TYPE", g.choice(self.scan_types)]
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

    # --- hashes, sets and type changes (groups "hash", "set", "mixed")

    def field(self):
        if self.rng.random() < 0.85:
            return self.rng.choice(FIELDS)
        return b"f%d" % self.rng.randrange(5, 30)

    def hvalue(self):
        r = self.rng.random()
        if r < 0.7:
            return self.rng.choice(HVALUES)
        if r < 0.85:
            return b"%d" % self.rng.randrange(-100, 100)
        return b"v%d" % self.rng.randrange(50)

    def member(self):
        r = self.rng.random()
        if r < 0.75:
            return self.rng.choice(MEMBERS)
        if r < 0.9:
            return b"%d" % self.rng.randrange(-20, 40)
        return b"m%d" % self.rng.randrange(30)

    def members(self, lo=1, hi=4):
        return [self.member() for _ in range(self.rng.randrange(lo, hi + 1))]

    def scan_key_options(self, hash_fields, valid=True):
        """MATCH/COUNT options of HSCAN/SSCAN; with valid=False sometimes bad ones."""
        g = self.rng
        opts = []
        if g.random() < 0.5:
            pool = FIELD_PATTERNS if hash_fields else FIELD_PATTERNS + [b"[a-c]", b"1*", b"-*"]
            opts += [g.choice([b"MATCH", b"match"]), g.choice(pool)]
        if g.random() < 0.4:
            opts += [b"COUNT", g.choice([b"1", b"2", b"5", b"10", b"100"])]
        if not valid and g.random() < 0.5:
            opts += g.choice([[b"COUNT", b"0"], [b"COUNT", b"-1"], [b"COUNT", b"x"], [b"COUNT"],
                              [b"MATCH"], [b"bogus", b"1"], [b"TYPE", b"hash"], [b"NOVALUES"]])
        return opts

    def count_arg(self):
        return self.rng.choice(COLLECTION_COUNTS)

    def big_collection(self, cmd):
        """HSET or SADD of many elements: past Redis's listpack/intset bounds."""
        g = self.rng
        n = g.randrange(100, 700)
        if cmd == b"HSET":
            args = [b"HSET", self.key()]
            for i in range(n):
                args += [b"big%d" % i, b"%d" % g.randrange(1000)]
            return args
        if g.random() < 0.5:
            return [b"SADD", self.key()] + [b"%d" % i for i in range(n)]
        return [b"SADD", self.key()] + [b"mem%d" % i for i in range(n)]

    def hash_cmd(self):
        g = self.rng
        k, f, v = self.key, self.field, self.hvalue
        c = g.randrange(100)
        if c < 10:
            args = [b"HSET", k()]
            for _ in range(g.choice([1, 1, 1, 2, 3, 4])):
                args += [f(), v()]
            if g.random() < 0.05:
                args.pop()
            return args
        if c < 13:
            return [b"HSETNX", k(), f(), v()]
        if c < 15:
            args = [g.choice([b"HMSET", b"hmset"]), k()]
            for _ in range(g.choice([1, 2, 3])):
                args += [f(), v()]
            return args
        if c < 22:
            return [b"HGET", k(), f()]
        if c < 25:
            return [b"HMGET", k()] + [f() for _ in range(g.randrange(1, 5))]
        if c < 31:
            return [b"HDEL", k()] + [f() for _ in range(g.choice([1, 1, 2, 3]))]
        if c < 33:
            return [b"HEXISTS", k(), f()]
        if c < 35:
            return [b"HLEN", k()]
        if c < 37:
            return [b"HSTRLEN", k(), f()]
        if c < 42:
            return [b"HINCRBY", k(), g.choice([b"n", b"f0", f()]), g.choice(INTS)]
        if c < 46:
            return [b"HINCRBYFLOAT", k(), g.choice([b"n", b"f1", f()]), g.choice(FLOATS)]
        if c < 51:
            return [g.choice([b"HKEYS", b"HVALS", b"HGETALL"]), k()]
        if c < 56:
            return self.hrandfield()
        if c < 59:
            return [b"HSCAN-LOOP", k()] + self.scan_key_options(True)
        if c < 61:
            return [b"HSCAN", k(), g.choice(SCAN_CURSORS)] + self.scan_key_options(True, False)
        if c < 63:
            return g.choice(HASH_ARITY)
        if c < 64:
            return self.big_collection(b"HSET") if g.random() < 0.5 else \
                [b"HDEL", k()] + [b"big%d" % i for i in range(g.randrange(1, 700))]
        if c < 72:
            return self.cross_type()
        return self.cmd(c=g.randrange(50, 92))

    def hrandfield(self):
        g = self.rng
        args = [b"HRANDFIELD", self.key()]
        r = g.random()
        if r < 0.2:
            return args
        if r < 0.23:
            # Never a huge negative count that is in range: Redis would build that many replies.
            return args + g.choice([[b"-4611686018427387904", b"WITHVALUES"],
                                    [b"4611686018427387904", b"WITHVALUES"],
                                    [b"9223372036854775807", b"WITHVALUES"],
                                    [b"4611686018427387903", b"WITHVALUES"]])
        args.append(self.count_arg())
        o = g.random()
        if o < 0.45:
            args.append(g.choice([b"WITHVALUES", b"withvalues"]))
        elif o < 0.5:
            args += g.choice([[b"bogus"], [b"WITHVALUES", b"x"], [b"1"]])
        return args

    def set_cmd(self):
        g = self.rng
        k, m = self.key, self.member
        c = g.randrange(100)
        if c < 12:
            return [b"SADD", k()] + self.members()
        if c < 19:
            return [b"SREM", k()] + self.members(1, 3)
        if c < 24:
            return [b"SMEMBERS", k()]
        if c < 28:
            return [b"SISMEMBER", k(), m()]
        if c < 31:
            return [b"SMISMEMBER", k()] + self.members()
        if c < 34:
            return [b"SCARD", k()]
        if c < 38:
            args = [b"SPOP", k()]
            r = g.random()
            if r < 0.6:
                args.append(g.choice([b"0", b"1", b"2", b"3", b"5", b"100", b"-1", b"x",
                                      b"9223372036854775807", b"1.5"]))
            elif r < 0.65:
                args += [b"1", b"2"]
            return args
        if c < 42:
            args = [b"SRANDMEMBER", k()]
            r = g.random()
            if r < 0.75:
                args.append(self.count_arg())
            elif r < 0.8:
                args += [b"1", b"2"]
            return args
        if c < 47:
            return [b"SMOVE", k(), k(), m()]
        if c < 55:
            return [g.choice([b"SINTER", b"SUNION", b"SDIFF"])] + \
                [k() for _ in range(g.choice([1, 2, 2, 3]))]
        if c < 59:
            return self.sintercard()
        if c < 66:
            return [g.choice([b"SINTERSTORE", b"SUNIONSTORE", b"SDIFFSTORE"]), k()] + \
                [k() for _ in range(g.choice([1, 2, 2, 3]))]
        if c < 69:
            return [b"SSCAN-LOOP", k()] + self.scan_key_options(False)
        if c < 71:
            return [b"SSCAN", k(), g.choice(SCAN_CURSORS)] + self.scan_key_options(False, False)
        if c < 73:
            return g.choice(SET_ARITY)
        if c < 74:
            return self.big_collection(b"SADD") if g.random() < 0.3 else self.sort_cmd()
        if c < 82:
            return self.cross_type()
        return self.cmd(c=g.randrange(50, 92))

    def list_cmd(self):
        g = self.rng
        k, e = self.key, self.member
        c = g.randrange(100)
        if c < 12:
            return [g.choice([b"LPUSH", b"RPUSH", b"lpush"]), k()] + self.members()
        if c < 15:
            return [g.choice([b"LPUSHX", b"RPUSHX"]), k()] + self.members()
        if c < 22:
            args = [g.choice([b"LPOP", b"RPOP"]), k()]
            if g.random() < 0.5:
                args.append(g.choice(LIST_COUNTS))
            return args
        if c < 28:
            return [b"LRANGE", k(), g.choice(RANGES), g.choice(RANGES)]
        if c < 31:
            return [b"LINDEX", k(), g.choice(LIST_INDEXES)]
        if c < 33:
            return [b"LLEN", k()]
        if c < 36:
            return [b"LSET", k(), g.choice(LIST_INDEXES), e()]
        if c < 41:
            return [b"LINSERT", k(), g.choice([b"BEFORE", b"after", b"AFTER", b"middle"]), e(),
                    e()]
        if c < 46:
            return [b"LREM", k(), g.choice(LIST_COUNTS), e()]
        if c < 50:
            return [b"LTRIM", k(), g.choice(RANGES), g.choice(RANGES)]
        if c < 56:
            return self.lpos()
        if c < 61:
            ends = [b"LEFT", b"RIGHT", b"left", b"right"]
            return [b"LMOVE", k(), k(), g.choice(ends + [b"up"] if g.random() < 0.1 else ends),
                    g.choice(ends)]
        if c < 63:
            return [b"RPOPLPUSH", k(), k()]
        if c < 68:
            return self.lmpop()
        if c < 70:
            return g.choice(LIST_ARITY) if g.random() < 0.5 else self.sort_cmd()
        if c < 71:
            n = g.randrange(100, 700)
            return [b"RPUSH", k()] + [b"%d" % g.randrange(50) for _ in range(n)]
        if c < 80:
            return self.cross_type()
        return self.cmd(c=g.randrange(50, 92))

    def score(self):
        g = self.rng
        r = g.random()
        if r < 0.8:
            return g.choice(SCORES)
        if r < 0.95:
            return b"%d" % g.randrange(-5, 20)
        return g.choice(BAD_SCORES)

    def zadd(self, k):
        g = self.rng
        args = [b"ZADD", k]
        if g.random() < 0.35:
            opts = [b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR", b"nx", b"ch"]
            args += [g.choice(opts) for _ in range(g.choice([1, 1, 2]))]
        lex = k in LEX_KEYS
        for _ in range(g.choice([1, 1, 1, 2, 3, 4])):
            args += [b"0" if lex else self.score(), self.member()]
        if g.random() < 0.03:
            args.pop()
        return args

    def range_limit(self):
        g = self.rng
        return [b"LIMIT", g.choice([b"0", b"1", b"2", b"-1", b"5", b"x"]),
                g.choice([b"1", b"2", b"-1", b"0", b"10", b"x"])]

    def zrange(self):
        g = self.rng
        k = self.key()
        lex = k in LEX_KEYS
        form = g.randrange(8)
        ws = [b"WITHSCORES"] if g.random() < 0.5 else []
        if form == 0:
            args = [b"ZRANGE", k, g.choice(RANGES), g.choice(RANGES)]
            opts = [[b"REV"], [b"BYSCORE"], [b"WITHSCORES"], self.range_limit()]
            if lex:
                opts.append([b"BYLEX"])
            g.shuffle(opts)
            by = g.random()
            if by < 0.4:
                args = [b"ZRANGE", k, g.choice(SCORE_BOUNDS), g.choice(SCORE_BOUNDS), b"BYSCORE"]
            elif by < 0.55 and lex:
                args = [b"ZRANGE", k, g.choice(LEX_BOUNDS), g.choice(LEX_BOUNDS), b"BYLEX"]
            for o in opts[:g.randrange(0, 3)]:
                args += o
            return args
        if form == 1:
            return [b"ZREVRANGE", k, g.choice(RANGES), g.choice(RANGES)] + ws
        if form in (2, 3):
            args = [g.choice([b"ZRANGEBYSCORE", b"ZREVRANGEBYSCORE"]), k,
                    g.choice(SCORE_BOUNDS), g.choice(SCORE_BOUNDS)] + ws
            if g.random() < 0.4:
                args += self.range_limit()
            return args
        if form == 4 and lex:
            args = [g.choice([b"ZRANGEBYLEX", b"ZREVRANGEBYLEX"]), k,
                    g.choice(LEX_BOUNDS), g.choice(LEX_BOUNDS)]
            if g.random() < 0.4:
                args += self.range_limit()
            return args
        if form == 5:
            return [b"ZRANGESTORE", self.store_key(), k, g.choice(RANGES), g.choice(RANGES)] + \
                g.choice([[], [b"REV"], [b"WITHSCORES"]])
        return [b"ZRANGE", k, g.choice(RANGES), g.choice(RANGES)] + ws

    def store_key(self):
        """A destination of ZRANGESTORE/Z*STORE: never a key kept for the lex commands."""
        k = self.key()
        return b"z0" if k in LEX_KEYS else k

    def zset_setop(self):
        g = self.rng
        n = g.choice([1, 2, 2, 3])
        keys = [self.key() for _ in range(n)]
        numkeys = b"%d" % n if g.random() < 0.9 else g.choice([b"0", b"-1", b"x", b"%d" % (n + 1)])
        cmd = g.choice([b"ZUNION", b"ZINTER", b"ZDIFF", b"ZUNIONSTORE", b"ZINTERSTORE",
                        b"ZDIFFSTORE", b"ZINTERCARD"])
        args = [cmd] + ([self.store_key()] if cmd.endswith(b"STORE") else []) + [numkeys] + keys
        if cmd == b"ZINTERCARD":
            if g.random() < 0.4:
                args += [b"LIMIT", g.choice([b"0", b"1", b"2", b"-1", b"x"])]
            return args
        if g.random() < 0.4:
            args += [b"WEIGHTS"] + [g.choice([b"1", b"2", b"-1", b"0.5", b"0", b"inf", b"x"])
                                    for _ in range(n)]
        if g.random() < 0.4:
            args += [b"AGGREGATE", g.choice([b"SUM", b"MIN", b"MAX", b"max", b"avg"])]
        if not cmd.endswith(b"STORE") and g.random() < 0.5:
            args.append(b"WITHSCORES")
        return args

    def zset_cmd(self):
        g = self.rng
        k, m = self.key, self.member
        c = g.randrange(100)
        if c < 16:
            return self.zadd(k())
        if c < 19:
            key = k()
            return [b"ZINCRBY", key, b"0" if key in LEX_KEYS else self.score(), m()]
        if c < 24:
            return [b"ZREM", k()] + self.members(1, 3)
        if c < 26:
            return [b"ZCARD", k()]
        if c < 29:
            return [b"ZSCORE", k(), m()]
        if c < 31:
            return [b"ZMSCORE", k()] + self.members(1, 3)
        if c < 34:
            return [g.choice([b"ZRANK", b"ZREVRANK"]), k(), m()]
        if c < 37:
            return [b"ZCOUNT", k(), g.choice(SCORE_BOUNDS), g.choice(SCORE_BOUNDS)]
        if c < 39:
            return [b"ZLEXCOUNT", g.choice(sorted(LEX_KEYS)), g.choice(LEX_BOUNDS),
                    g.choice(LEX_BOUNDS)]
        if c < 52:
            return self.zrange()
        if c < 56:
            which = g.randrange(3)
            if which == 0:
                return [b"ZREMRANGEBYRANK", k(), g.choice(RANGES), g.choice(RANGES)]
            if which == 1:
                return [b"ZREMRANGEBYSCORE", k(), g.choice(SCORE_BOUNDS), g.choice(SCORE_BOUNDS)]
            return [b"ZREMRANGEBYLEX", g.choice(sorted(LEX_KEYS)), g.choice(LEX_BOUNDS),
                    g.choice(LEX_BOUNDS)]
        if c < 62:
            args = [g.choice([b"ZPOPMIN", b"ZPOPMAX"]), k()]
            if g.random() < 0.5:
                args.append(g.choice([b"0", b"1", b"2", b"5", b"-1", b"x"]))
            return args
        if c < 65:
            n = g.choice([1, 2])
            args = [b"ZMPOP", b"%d" % n] + [k() for _ in range(n)] + \
                [g.choice([b"MIN", b"MAX", b"max", b"bad"])]
            if g.random() < 0.4:
                args += [b"COUNT", g.choice([b"1", b"2", b"10", b"0", b"x"])]
            return args
        if c < 73:
            return self.zset_setop()
        if c < 75:
            return [b"ZSCAN-LOOP", k()] + self.scan_key_options(False)
        if c < 77:
            return g.choice(ZSET_ARITY) if g.random() < 0.5 else self.sort_cmd()
        if c < 78:
            n = g.randrange(100, 400)
            key = k()
            args = [b"ZADD", key]
            for i in range(n):
                args += [b"0" if key in LEX_KEYS else b"%d" % g.randrange(50), b"m%d" % i]
            return args
        if c < 82:
            return [b"SADD", k()] + self.members()
        if c < 88:
            return self.cross_type()
        return self.cmd(c=g.randrange(50, 92))

    def sort_cmd(self):
        """SORT / SORT_RO over the group's keys, and the w_<element> strings and h_<element>
        hashes their BY and GET patterns read. ALPHA is never combined with a BY pattern: Redis
        leaves the order of equal (or missing) BY values to an unstable qsort."""
        g = self.rng
        c = g.randrange(10)
        if c < 3:
            return [b"SET", b"w_" + self.member(),
                    g.choice([b"%d" % g.randrange(-5, 20), b"1.5", b"x", b"", b"inf", b"-0.5"])]
        if c < 4:
            return [b"HSET", b"h_" + self.member(), b"f", b"%d" % g.randrange(-5, 20)]
        args = [g.choice([b"SORT", b"SORT_RO", b"sort"]), self.key()]
        opts = []
        by = g.choice(SORT_BY) if g.random() < 0.5 else None
        if by is not None:
            opts.append([b"BY", by])
        if g.random() < 0.3:
            opts.append([b"LIMIT", g.choice([b"0", b"1", b"2", b"-1", b"5", b"x"]),
                         g.choice([b"1", b"2", b"-1", b"0", b"10"])])
        for _ in range(g.choice([0, 0, 1, 2])):
            opts.append([b"GET", g.choice(SORT_GET)])
        if g.random() < 0.4:
            opts.append([g.choice([b"ASC", b"DESC", b"desc"])])
        if g.random() < 0.5 and (by is None or b"*" not in by.split(b"\x00")[0]):
            opts.append([b"ALPHA"])
        if args[0] != b"SORT_RO" and g.random() < 0.25:
            opts.append([b"STORE", self.key()])
        if g.random() < 0.03:
            opts.append([g.choice([b"bogus", b"LIMIT", b"BY", b"STORE"])])
        g.shuffle(opts)
        for o in opts:
            args += o
        return args

    def lpos(self):
        g = self.rng
        args = [b"LPOS", self.key(), self.member()]
        options = [[b"RANK", g.choice([b"1", b"2", b"-1", b"-2", b"3", b"0", b"x",
                                       b"-9223372036854775808", b"9223372036854775807"])],
                   [b"COUNT", g.choice([b"0", b"1", b"2", b"5", b"-1", b"x"])],
                   [b"MAXLEN", g.choice([b"0", b"1", b"3", b"10", b"-1", b"x"])]]
        g.shuffle(options)
        for opt in options[:g.randrange(0, 4)]:
            args += opt
        if g.random() < 0.05:
            args += g.choice([[b"RANK"], [b"bogus", b"1"], [b"COUNT"]])
        return args

    def lmpop(self):
        g = self.rng
        n = g.choice([1, 1, 2, 3])
        r = g.random()
        numkeys = b"%d" % n if r < 0.85 else g.choice([b"0", b"-1", b"x", b"%d" % (n + 1)])
        args = [b"LMPOP", numkeys] + [self.key() for _ in range(n)]
        args.append(g.choice([b"LEFT", b"RIGHT", b"right"]) if g.random() < 0.95 else b"up")
        r = g.random()
        if r < 0.4:
            args += [b"COUNT", g.choice([b"1", b"2", b"3", b"10", b"0", b"-1", b"x"])]
        elif r < 0.45:
            args += g.choice([[b"COUNT"], [b"bogus"], [b"COUNT", b"1", b"COUNT", b"2"]])
        return args

    def sintercard(self):
        g = self.rng
        n = g.choice([1, 2, 2, 3])
        keys = [self.key() for _ in range(n)]
        r = g.random()
        if r < 0.85:
            numkeys = b"%d" % n
        else:
            numkeys = g.choice([b"0", b"-1", b"x", b"%d" % (n + 1), b"%d" % (n - 1),
                                b"2147483648"])
        args = [b"SINTERCARD", numkeys] + keys
        r = g.random()
        if r < 0.4:
            args += [g.choice([b"LIMIT", b"limit"]),
                     g.choice([b"0", b"1", b"2", b"3", b"100", b"-1", b"x"])]
        elif r < 0.45:
            args += g.choice([[b"LIMIT"], [b"bogus"], [b"LIMIT", b"1", b"LIMIT", b"0"]])
        return args

    def cross_type(self):
        """A command of any type on a key of the group: WRONGTYPE, or a type change."""
        g = self.rng
        k = self.key()
        return g.choice([
            [b"SET", k, self.value()], [b"SET", k, self.value(), b"GET"], [b"GET", k],
            [b"APPEND", k, b"x"], [b"INCR", k], [b"STRLEN", k], [b"INCRBYFLOAT", k, b"x"],
            [b"INCRBY", k, b"x"], [b"GETRANGE", k, b"0", b"-1"], [b"SETRANGE", k, b"0", b"x"],
            [b"SETRANGE", k, b"-1", b"x"], [b"GETEX", k, b"EX", b"x"], [b"GETEX", k, b"bogus"],
            [b"GETSET", k, b"v"], [b"GETDEL", k], [b"SETNX", k, b"v"], [b"MSETNX", k, b"v"],
            [b"SET", k, b"v", b"NX"], [b"MGET", k, self.key()],
            [b"HSET", k, self.field(), self.hvalue()], [b"HGETALL", k], [b"HLEN", k],
            [b"HINCRBY", k, b"n", b"x"], [b"HINCRBY", k, b"n", b"1"], [b"HGET", k, b"f0"],
            [b"HRANDFIELD", k, b"x"], [b"HSCAN", k, b"x"],
            [b"SADD", k, self.member()], [b"SMEMBERS", k], [b"SCARD", k],
            [b"SISMEMBER", k, b"a"], [b"SPOP", k, b"-1"], [b"SRANDMEMBER", k, b"x"],
            [b"SINTERCARD", b"1", k, b"LIMIT", b"x"], [b"TYPE", k], [b"DEL", k],
            [b"LPUSH", k, self.member()], [b"LRANGE", k, b"0", b"-1"], [b"LLEN", k],
            [b"RPOP", k], [b"LINDEX", k, b"x"], [b"LPOS", k, b"a", b"RANK", b"0"],
            [b"LMOVE", k, self.key(), b"LEFT", b"RIGHT"],
            [b"ZADD", k, b"0", self.member()], [b"ZRANGE", k, b"0", b"-1"], [b"ZCARD", k],
            [b"ZSCORE", k, b"a"], [b"ZPOPMIN", k], [b"ZRANGEBYSCORE", k, b"x", b"1"],
        ])

    def type_change(self):
        """Sequences that give a key another type (mixed group)."""
        g = self.rng
        a, b = self.key(), self.key()
        seq = g.choice([
            [[b"DEL", a], [b"SADD", a] + self.members()],
            [[b"DEL", a], [b"HSET", a, self.field(), self.hvalue()]],
            [[b"SET", a, self.value()]],
            [[b"RENAME", a, b]], [[b"RENAMENX", a, b]],
            [[b"COPY", a, b, b"REPLACE"]], [[b"COPY", a, b]],
            [[g.choice([b"SUNIONSTORE", b"SINTERSTORE", b"SDIFFSTORE"]), a, b, self.key()]],
            [[b"SMOVE", a, b, self.member()]],
            [[b"HSET", a, self.field(), self.hvalue()], [b"EXPIRE", a, self.ttl_arg(1000, True)]],
            [[b"SADD", a] + self.members(), [b"TYPE", a]],
            [[b"DEL", a], [b"RPUSH", a] + self.members()],
            [[b"RPOPLPUSH", a, b]],
            [[b"DEL", a], [b"ZADD", a, b"1", self.member(), b"2", self.member()]],
            [[b"ZUNIONSTORE", a, b"2", b, self.key()]],
        ])
        self.queue.extend(seq[1:])
        return seq[0]

    # --- streams (group "stream")

    def skey(self):
        """The key of a stream command: mostly one of the hot keys."""
        if self.rng.random() < 0.75:
            return self.rng.choice(STREAM_HOT_KEYS)
        return self.key()

    def sgroup(self):
        return self.rng.choice(STREAM_GROUP_NAMES)

    def sconsumer(self):
        return self.rng.choice(STREAM_CONSUMERS)

    def sid(self, key=None, bad=0.05):
        """An ID that key (or any key) was given lately, or one near the newest explicit ones,
        complete or just ms; sometimes an odd spelling Redis accepts, or (chance bad) an invalid
        one."""
        g = self.rng
        r = g.random()
        if r < bad:
            return g.choice(BAD_IDS)
        if self.stream_ids.get(key) and g.random() < 0.7:
            return g.choice(self.stream_ids[key])
        if self.all_stream_ids and g.random() < 0.4:
            return g.choice(self.all_stream_ids)
        ms = max(STREAM_BASE_MS, self.stream_ms - g.randrange(0, 25))
        seq = g.choice([0, 0, 0, 0, 1, 2])
        r = g.random()
        if r < 0.65:
            return b"%d-%d" % (ms, seq)
        if r < 0.93:
            return b"%d" % ms
        return g.choice([b" %d" % ms, b"+%d-%d" % (ms, seq), b"0%d-0%d" % (ms, seq),
                         b"%d- %d" % (ms, seq), b"%d-+%d" % (ms, seq)])

    def xadd_id(self, key):
        g = self.rng
        r = g.random()
        if r < 0.62:
            self.stream_ms += g.choice([0, 1, 1, 1, 2, 3])
            return self.remember(key, b"%d-%d" % (self.stream_ms,
                                                  g.choice([0, 0, 0, 0, 1, 2, 5])))
        if r < 0.72:
            self.stream_ms += g.choice([1, 1, 2])
            self.remember(key, b"%d-0" % self.stream_ms)
            return b"%d" % self.stream_ms
        if r < 0.82:
            self.stream_ms += g.choice([0, 0, 1])
            self.remember(key, b"%d-0" % self.stream_ms)
            return b"%d-*" % self.stream_ms
        if r < 0.89:
            return self.sid(key, bad=0)  # mostly not above the top item: an error
        if r < 0.915:
            return b"*"
        if r < 0.955:
            return g.choice([b"0-0", b"0", b"0-1", b"0-*", b"1-*", b"%d-*" % STREAM_BASE_MS])
        if r < 0.96:
            # Exhausts the key's IDs until it is deleted.
            return g.choice([MAX_ID, b"18446744073709551615-*", b"%d-18446744073709551615"
                             % self.stream_ms])
        return g.choice(BAD_IDS)

    def remember(self, key, ident):
        ids = self.stream_ids.setdefault(key, [])
        ids.append(ident)
        del ids[:-30]
        self.all_stream_ids.append(ident)
        del self.all_stream_ids[:-40]
        return ident

    def stream_fields(self):
        g = self.rng
        args = []
        for _ in range(g.choice([1, 1, 1, 1, 2, 2, 3])):
            args += [g.choice(STREAM_FIELDS), g.choice(STREAM_VALUES)]
        if g.random() < 0.02:
            args.pop()
        return args

    def trim_args(self, key):
        """MAXLEN|MINID [=|~] threshold [LIMIT n], sometimes invalid."""
        g = self.rng
        strategy = g.choice([b"MAXLEN", b"MAXLEN", b"MINID", b"maxlen"])
        args = [strategy]
        exact = g.choice([None, None, b"=", b"~", b"~"])
        if exact:
            args.append(exact)
        if strategy.upper() == b"MAXLEN":
            args.append(g.choice([b"0", b"1", b"2", b"3", b"5", b"10", b"20", b"50", b"100", b"150",
                                  b"-1", b"x", b"1.5"]))
        else:
            args.append(self.sid(key) if g.random() < 0.9 else b"0")
        if g.random() < 0.25:
            args += [b"LIMIT", g.choice([b"0", b"1", b"5", b"100", b"200", b"-1", b"x"])]
        if g.random() < 0.02:
            args += g.choice([[b"MINID", b"5"], [b"MAXLEN", b"1"], [b"LIMIT"], [b"bogus"]])
        return args

    def bound(self, key):
        g = self.rng
        r = g.random()
        if r < 0.3:
            return g.choice([b"-", b"+"])
        if r < 0.75:
            return self.sid(key, bad=0)
        if r < 0.9:
            return b"(" + self.sid(key, bad=0)
        return g.choice([b"0", b"0-0", b"(0-0", b"(0", MAX_ID, b"(" + MAX_ID, b"(-", b"(+",
                         b"x", b"(", b"18446744073709551615", b"(18446744073709551615"])

    def read_id(self):
        g = self.rng
        r = g.random()
        if r < 0.3:
            return b"$"
        if r < 0.5:
            return g.choice([b"0", b"0-0"])
        if r < 0.93:
            return self.sid(bad=0)
        return g.choice([b">", b"+", b"-", b"x", b"(1", MAX_ID])

    def stream_keys_and_ids(self, ident):
        g = self.rng
        n = g.choice([1, 1, 1, 1, 1, 2, 2, 3])
        keys = [self.skey() for _ in range(n)]
        ids = [ident() for _ in range(n)]
        if g.random() < 0.02:
            ids.pop()
        return [b"STREAMS"] + keys + ids

    def stream_cmd(self):
        g = self.rng
        k = self.skey
        c = g.randrange(100)
        if c < 20:
            key = k()
            ident = self.xadd_id(key)
            if (ident == b"*" or ident.startswith(b"18446744073709551615") or
                    ident.endswith(b"-18446744073709551615")) and g.random() < 0.85:
                # After an ID of the current time or the largest ms or seq, the key takes no
                # explicit ID any more: mostly a cold key then.
                key = g.choice(STREAM_COLD_KEYS)
            args = [b"XADD", key]
            opts = []
            if g.random() < 0.1:
                opts.append([g.choice([b"NOMKSTREAM", b"nomkstream"])])
            if g.random() < 0.25:
                opts.append(self.trim_args(key))
            g.shuffle(opts)
            for o in opts:
                args += o
            return args + [ident] + self.stream_fields()
        if c < 22:
            return [b"XLEN", k()]
        if c < 30:
            key = k()
            args = [g.choice([b"XRANGE", b"XREVRANGE", b"xrange"]), key, self.bound(key),
                    self.bound(key)]
            if g.random() < 0.4:
                args += [b"COUNT", g.choice(STREAM_COUNTS)]
            elif g.random() < 0.03:
                args += g.choice([[b"COUNT"], [b"bogus"], [b"COUNT", b"1", b"COUNT", b"2"]])
            return args
        if c < 33:
            key = k()
            return [b"XDEL", key] + [self.sid(key) for _ in range(g.choice([1, 1, 2, 3]))]
        if c < 36:
            key = k()
            return [b"XTRIM", key] + self.trim_args(key)
        if c < 41:
            args = [b"XREAD"]
            if g.random() < 0.4:
                args += [b"COUNT", g.choice(STREAM_COUNTS)]
            return args + self.stream_keys_and_ids(self.read_id)
        if c < 43:
            key = k()
            args = [b"XSETID", key]
            r = g.random()
            if r < 0.85:
                args.append(b"%d-%d" % (self.stream_ms - g.randrange(-2, 20),
                                        g.choice([0, 0, 1, 5])))
            else:
                args.append(g.choice([b"0-0", b"0", MAX_ID, b"$", b"x", b"*"]))
            if g.random() < 0.35:
                args += [b"ENTRIESADDED", g.choice([b"0", b"1", b"3", b"5", b"20", b"100", b"-1",
                                                    b"x"])]
            if g.random() < 0.3:
                args += [b"MAXDELETEDID", self.sid(key)]
            if g.random() < 0.03:
                args.append(g.choice([b"bogus", b"ENTRIESADDED", b"MAXDELETEDID"]))
            return args
        if c < 52:
            return self.xgroup()
        if c < 63:
            return self.xreadgroup()
        if c < 67:
            key, group = k(), self.sgroup()
            return self.with_group(key, group, 0.25, lambda ids: [b"XACK", key, group] + (
                ids or [self.sid(key) for _ in range(g.choice([1, 1, 2, 4]))]))
        if c < 71:
            return self.xpending()
        if c < 76:
            return self.xclaim()
        if c < 80:
            key, group = k(), self.sgroup()
            args = [b"XAUTOCLAIM", key, group, self.sconsumer(), self.min_idle(),
                    g.choice([b"0", b"0-0", b"-", b"+", self.sid(key), b"(" + self.sid(key, bad=0),
                              self.sid(key)])]
            if g.random() < 0.5:
                args += [b"COUNT", g.choice([b"1", b"2", b"3", b"10", b"100", b"0", b"-1", b"x"])]
            if g.random() < 0.3:
                args.append(b"JUSTID")
            if g.random() < 0.03:
                args.append(g.choice([b"bogus", b"COUNT"]))
            return self.with_group(key, group, 0.2, lambda ids: args)
        if c < 85:
            return self.xinfo()
        if c < 87:
            return g.choice(STREAM_ARITY)
        if c < 88:
            if g.random() < 0.12:
                return self.stream_burst()
            if g.random() < 0.5:
                return [g.choice([b"DEL", b"UNLINK"]), g.choice(STREAM_HOT_KEYS)]
            return [b"XGROUP", b"CREATE", self.skey(), self.sgroup(), b"0", b"MKSTREAM"]
        if c < 92:
            return self.stream_cross_type()
        return self.cmd(c=g.randrange(50, 92))

    def stream_burst(self):
        """100-219 XADDs to one key (one small field), maybe after a DEL: past Redis's 100
        entries a node; then maybe an XDEL of some of them, trims that remove whole nodes (or stop
        at one) and an XINFO STREAM."""
        g = self.rng
        key = self.skey()
        cmds = [[b"DEL", key]] if g.random() < 0.5 else []
        for _ in range(g.randrange(100, 220)):
            self.stream_ms += 1
            ident = self.remember(key, b"%d-0" % self.stream_ms)
            cmds.append([b"XADD", key, ident, b"f", b"%d" % g.randrange(100)])
        ids = [c[2] for c in cmds if c[0] == b"XADD"]
        if g.random() < 0.5:
            cmds.append([b"XDEL", key] + g.sample(ids, g.randrange(1, 40)))
        for _ in range(g.choice([0, 1, 1, 2])):
            # Trims that remove whole nodes (or stop at one), maybe within a LIMIT.
            if g.random() < 0.5:
                trim = [b"MAXLEN", g.choice([b"~", b"~", b"="]), b"%d" % g.randrange(0, 300)]
            else:
                trim = [b"MINID", g.choice([b"~", b"~", b"="]), g.choice(ids)]
            if trim[1] == b"~" and g.random() < 0.4:
                trim += [b"LIMIT", g.choice([b"0", b"50", b"99", b"100", b"101", b"150"])]
            cmds.append([b"XTRIM", key] + trim)
        cmds.append([b"XINFO", b"STREAM", key])
        self.queue.extend(cmds[1:])
        return cmds[0]

    def with_group(self, key, group, chance, build):
        """build(ids): a command on key's group. With the chance, the group is created first
        (MKSTREAM), moved to one of the key's recent IDs and the next entries delivered to a
        consumer (ids: IDs given to the key after that one, likely among them), so that the PEL
        commands find a group and pending entries more often; else ids is None."""
        g = self.rng
        if g.random() >= chance:
            return build(None)
        known = self.stream_ids.get(key) or [self.sid(key, bad=0)]
        i = g.randrange(len(known))
        self.queue += [[b"XGROUP", b"SETID", key, group, known[i]],
                       [b"XREADGROUP", b"GROUP", group, self.sconsumer(), b"COUNT",
                        g.choice([b"2", b"5", b"20"]), b"STREAMS", key, b">"],
                       build(known[i + 1:i + 4] or None)]
        return [b"XGROUP", b"CREATE", key, group, b"0", b"MKSTREAM"]

    def min_idle(self):
        """A min-idle time that never depends on timing: 0 (every entry), an hour (only entries
        whose delivery time an IDLE or TIME option put far back), or an odd one."""
        return self.rng.choice([b"0", b"0", b"0", b"3600000", b"3600000", b"-1", b"x"])

    def xgroup(self):
        g = self.rng
        k = self.skey
        r = g.random()
        if r < 0.5:
            key = k()
            args = [b"XGROUP", g.choice([b"CREATE", b"create"]), key, self.sgroup(),
                    g.choice([b"$", b"$", b"0", b"0", b"0-0", self.sid(key), self.sid(key),
                              MAX_ID])]
            opts = []
            if g.random() < 0.5:
                opts.append([b"MKSTREAM"])
            if g.random() < 0.25:
                opts.append([b"ENTRIESREAD", g.choice([b"0", b"1", b"2", b"5", b"100", b"-1", b"-2",
                                                       b"x", b"9223372036854775807"])])
            g.shuffle(opts)
            for o in opts:
                args += o
            return args
        if r < 0.6:
            key = k()
            args = [b"XGROUP", b"SETID", key, self.sgroup(),
                    g.choice([b"$", b"0", self.sid(key), self.sid(key)])]
            if g.random() < 0.3:
                args += [b"ENTRIESREAD", g.choice([b"0", b"1", b"3", b"-1", b"-2", b"x"])]
            return args
        if r < 0.7:
            return [b"XGROUP", b"DESTROY", k(), self.sgroup()]
        if r < 0.85:
            return [b"XGROUP", b"CREATECONSUMER", k(), self.sgroup(), self.sconsumer()]
        return [b"XGROUP", b"DELCONSUMER", k(), self.sgroup(), self.sconsumer()]

    def xreadgroup(self):
        g = self.rng
        args = [b"XREADGROUP", b"GROUP", self.sgroup(), self.sconsumer()]
        if g.random() < 0.4:
            args += [b"COUNT", g.choice([b"1", b"2", b"3", b"10", b"0", b"-1", b"x"])]
        if g.random() < 0.2:
            args.append(b"NOACK")

        def ident():
            r = g.random()
            if r < 0.7:
                return b">"
            if r < 0.85:
                return b"0"
            if r < 0.95:
                return self.sid(bad=0)
            return g.choice([b"$", b"x", b"+"])
        rest = self.stream_keys_and_ids(ident)
        n = (len(rest) - 1) // 2
        if b">" not in rest[1 + n:] and g.random() < 0.3:
            # Only history IDs: BLOCK never blocks then (each stream answers, if only with []).
            args += [b"BLOCK", g.choice([b"0", b"100", b"-1", b"x"])]
        if g.random() < 0.25:
            # The group first (BUSYGROUP when it is there already): reads find groups more often.
            self.queue.append(args + rest)
            return [b"XGROUP", b"CREATE", rest[1], args[2], g.choice([b"0", b"$"]), b"MKSTREAM"]
        return args + rest

    def xpending(self):
        g = self.rng
        key = self.skey()
        args = [b"XPENDING", key, self.sgroup()]
        if g.random() < 0.35:
            return args
        if g.random() < 0.3:
            args += [b"IDLE", g.choice([b"0", b"3600000", b"3600000", b"-1", b"x"])]
        args += [self.bound(key), self.bound(key), g.choice([b"10", b"10", b"1", b"2", b"100", b"0",
                                                             b"-1", b"x"])]
        if g.random() < 0.4:
            args.append(self.sconsumer())
        return self.with_group(key, args[2], 0.15, lambda ids: args)

    def xclaim(self):
        key, group = self.skey(), self.sgroup()
        return self.with_group(key, group, 0.3, lambda ids: self.xclaim_args(key, group, ids))

    def xclaim_args(self, key, group, ids):
        g = self.rng
        args = [b"XCLAIM", key, group, self.sconsumer(), self.min_idle()]
        args += ids or [self.sid(key) for _ in range(g.choice([1, 1, 2, 3]))]
        opts = []
        if g.random() < 0.25:
            # Far back (a day or more), or now: either way far from any min-idle threshold.
            opts.append([b"IDLE", g.choice([b"0", b"100000000", b"100000000", b"-1", b"x"])])
        if g.random() < 0.15:
            opts.append([b"TIME", g.choice([b"%d" % (self.start_ms - 100000000), b"0", b"1",
                                            b"%d" % (self.start_ms + 100000000), b"-1", b"x"])])
        if g.random() < 0.2:
            opts.append([b"RETRYCOUNT", g.choice([b"0", b"1", b"5", b"-1", b"x"])])
        if g.random() < 0.2:
            opts.append([b"FORCE"])
        if g.random() < 0.3:
            opts.append([b"JUSTID"])
        if g.random() < 0.15:
            opts.append([b"LASTID", self.sid(key)])
        if g.random() < 0.03:
            opts.append([g.choice([b"bogus", b"IDLE", b"LASTID"])])
        g.shuffle(opts)
        for o in opts:
            args += o
        return args

    def xinfo(self):
        g = self.rng
        r = g.random()
        if r < 0.4:
            args = [b"XINFO", b"STREAM", self.skey()]
            if g.random() < 0.4:
                args.append(b"FULL")
                if g.random() < 0.5:
                    args += [b"COUNT", g.choice([b"0", b"1", b"2", b"5", b"-1", b"x"])]
            return args
        if r < 0.7:
            return [b"XINFO", b"GROUPS", self.skey()]
        if r < 0.98:
            return [b"XINFO", b"CONSUMERS", self.skey(), self.sgroup()]
        return [b"XINFO", b"HELP"]

    def stream_cross_type(self):
        """Commands of other types on stream keys (WRONGTYPE), and keys that change type: the
        commands that create a key of another type only touch the cold keys, so that the hot
        ones stay streams most of the time."""
        g = self.rng
        k = self.key()
        cold = g.choice(STREAM_COLD_KEYS)
        seq = g.choice([
            lambda: [[b"GET", k]], lambda: [[b"STRLEN", k]],
            lambda: [[b"GETRANGE", k, b"0", b"-1"]], lambda: [[b"LRANGE", k, b"0", b"-1"]],
            lambda: [[b"RPOP", k]], lambda: [[b"SCARD", k]], lambda: [[b"HLEN", k]],
            lambda: [[b"ZCARD", k]], lambda: [[b"SORT", k]], lambda: [[b"TYPE", k]],
            lambda: [[b"GETDEL", cold]], lambda: [[b"OBJECT", b"ENCODING", k]],
            lambda: [[b"OBJECT", b"ENCODING", g.choice(STREAM_HOT_KEYS)]],
            lambda: [[b"SET", cold, self.value()]], lambda: [[b"APPEND", cold, b"x"]],
            lambda: [[b"INCR", cold]], lambda: [[b"LPUSH", cold, b"x"]],
            lambda: [[b"SADD", cold, b"m"]], lambda: [[b"HSET", cold, b"f", b"v"]],
            lambda: [[b"ZADD", cold, b"1", b"m"]],
            lambda: [[b"DEL", cold], [b"RPUSH", cold, b"a", b"b"]],
            lambda: [[b"DEL", cold], [b"SET", cold, b"v"]], lambda: [[b"SET", b"str", b"v"]],
            lambda: [[b"DEL", k], [b"XADD", k, self.xadd_id(k), b"f", b"v"]],
            lambda: [[b"XGROUP", b"CREATE", k, self.sgroup(), b"$", b"MKSTREAM"]],
            lambda: [[b"COPY", k, cold]], lambda: [[b"COPY", k, cold, b"REPLACE"]],
            lambda: [[b"RENAME", k, cold]],
            lambda: [[b"RENAME", cold, g.choice(STREAM_HOT_KEYS)]],
        ])()
        self.queue.extend(seq[1:])
        return seq[0]


class Mismatch(AssertionError):
    pass


def _is_error(r):
    return isinstance(r, tuple) and r and r[0] == "error"


def parse(raw):
    """The Python value of one reply's bytes, as read_reply returns it."""
    return read_reply(io.BytesIO(raw))


NOT_DOUBLE = ("error", "ERR One or more scores can't be converted into double")
# Replies whose order Redis leaves open: compared as multisets of their elements.
UNORDERED = {b"HKEYS", b"HVALS", b"HGETALL", b"SMEMBERS", b"SINTER", b"SUNION", b"SDIFF"}
# Replies that are random: checked against the collection (Differential.check_random).
RANDOM = {b"HRANDFIELD", b"SRANDMEMBER", b"SPOP"}
# In RESP3, replies compared by their type character and then as in RESP2 (compare()).
LOOSE = {b"KEYS", b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME", b"SCAN", b"RANDOMKEY",
         b"HSCAN", b"SSCAN"}
# Commands run on their own, never in a pipeline (the harness checks them in several steps).
ALONE = {b"SCAN-LOOP", b"HSCAN-LOOP", b"SSCAN-LOOP", b"ZSCAN-LOOP", b"DBSIZE", b"EXPIRETIME"}


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
    if name in (b"HSCAN", b"SSCAN") and not _is_error(expected):
        # Likewise: a small collection comes in one reply from Redis, maybe not from stashd.
        if isinstance(got, list) and len(got) == 2 and isinstance(got[0], bytes) and \
                isinstance(got[1], list) and all(isinstance(x, bytes) for x in got[1]) and \
                (name == b"SSCAN" or len(got[1]) % 2 == 0):
            if got[1] and expected == [b"0", []]:
                return "%s found elements where Redis has none" % name.decode()
            return None
        return "%s reply is not [cursor, elements]" % name.decode()
    if name == b"RANDOMKEY" and not _is_error(expected):
        if (expected is None) == (got is None) and not _is_error(got):
            return None
        return "RANDOMKEY differs"
    if expected == got:
        return None
    return "replies differ"


def _normalised(name, t):
    """A typed reply (typed()) of an unordered command with its elements in a canonical order
    (HGETALL's as (field, value) pairs, in RESP2's flat array too)."""
    kind, items = t
    if kind not in "*~%" or items is None:
        return t
    if name == b"HGETALL" and kind == "*":
        if len(items) % 2:
            return (kind, len(items), items)
        items = list(zip(items[::2], items[1::2]))
    return (kind, len(items), sorted(items, key=repr))


def _elements(t):
    """The bulk strings of a typed reply: one, or an aggregate's."""
    kind, value = t
    if value is None:
        return []
    if kind == "$":
        return [value]
    return [v for _, v in value]


# Stream replies (every X command): an ID made by '*' (13 digits of milliseconds; the explicit
# IDs of the generator are far smaller) and the time-dependent XINFO/XPENDING fields are
# normalised (stream_normalised); everything else, RESP types included, is compared exactly.
TIME_ID = re.compile(rb"[1-9][0-9]{12}-[0-9]+")
IDLE_FIELDS = {b"idle", b"inactive"}          # durations
TIME_FIELDS = {b"seen-time", b"active-time"}  # points in time (ms since the epoch)
RAX_FIELDS = {b"radix-tree-keys", b"radix-tree-nodes"}  # Redis's internals: not imitated
RECENT_MS = 600000


def _age(ms):
    """A duration as what a test of seconds can rely on: under ten minutes, or more (an IDLE or
    TIME option of XCLAIM put a delivery a day or more back)."""
    return "recent" if -RECENT_MS < ms < RECENT_MS else "old"


def _pel_entry(t, now_ms):
    """XINFO STREAM FULL's PEL entries: a group's [id, consumer, delivery time, count], a
    consumer's [id, delivery time, count]."""
    kind, items = t
    if kind != "*" or not items or len(items) not in (3, 4):
        return t
    i = len(items) - 2
    if items[i][0] != ":":
        return t
    items = list(items)
    items[i] = (":", _age(now_ms - items[i][1]))
    return (kind, items)


def _normalised_field(key, value, now_ms):
    if key[0] != "$":
        return value
    name = key[1]
    if value[0] == ":":
        if name in RAX_FIELDS:
            return (":", "rax")
        if name in IDLE_FIELDS:
            return (":", _age(value[1]))
        if name in TIME_FIELDS:
            return (":", _age(now_ms - value[1]))
    if name == b"pending" and value[0] == "*" and value[1]:
        return ("*", [_pel_entry(e, now_ms) for e in value[1]])
    return value


def _normalised_stream(t, now_ms):
    kind, v = t
    if kind == "$" and v is not None and TIME_ID.fullmatch(v):
        return ("$", b"<time-id>")
    if kind in "*~>" and v:
        items = [_normalised_stream(x, now_ms) for x in v]
        # XINFO's RESP2 replies: flat arrays of field names and values.
        for i in range(0, len(items) - 1, 2):
            items[i + 1] = _normalised_field(items[i], items[i + 1], now_ms)
        return (kind, items)
    if kind == "%":
        pairs = []
        for k, x in v:
            k = _normalised_stream(k, now_ms)
            pairs.append((k, _normalised_field(k, _normalised_stream(x, now_ms), now_ms)))
        return (kind, pairs)
    return t


def stream_normalised(args, t, now_ms):
    """A typed reply (typed()) of a stream command with its '*' IDs, idle times, delivery and
    seen times (as recent or old) and radix-tree sizes normalised. now_ms: the time the reply
    came, to turn points in time into ages."""
    t = _normalised_stream(t, now_ms)
    name = args[0].encode() if isinstance(args[0], str) else args[0]
    if name.upper() == b"XPENDING" and len(args) > 3 and t[0] == "*" and t[1]:
        entries = []
        for e in t[1]:  # [id, consumer, idle, delivery count]
            if e[0] == "*" and e[1] and len(e[1]) == 4 and e[1][2][0] == ":":
                e = ("*", e[1][:2] + [(":", _age(e[1][2][1]))] + e[1][3:])
            entries.append(e)
        t = (t[0], entries)
    return t


class Differential:
    """Runs one seeded sequence against both servers; raises Mismatch with the history.
    groups: one of GROUPS (see Generator); proto: 2 or 3; pipeline_chance:
    the chance that a pipeline of 2-29 commands starts at a command (default DIFF_PIPELINE)."""

    def __init__(self, stashd_port, redis_port, seed, count, groups="strings", proto=2,
                 pipeline_chance=None):
        assert groups in GROUPS and proto in (2, 3)
        self.seed = seed
        self.count = count
        self.groups = groups
        self.proto = proto
        self.pipeline_chance = PIPELINE_CHANCE if pipeline_chance is None else pipeline_chance
        self.ref = Conn(redis_port, proto)
        self.dut = Conn(stashd_port, proto)
        self.redis_port = redis_port
        self.history = []

    def close(self):
        self.ref.close()
        self.dut.close()

    def fail(self, why, args, expected, got):
        lines = ["seed %d (groups %s, RESP%d), command #%d: %s"
                 % (self.seed, self.groups, self.proto, len(self.history), why),
                 "  command: %r" % (args,),
                 "  redis:   %r" % (expected,),
                 "  stashd:  %r" % (got,),
                 "history (db, command, redis reply):"]
        for entry in self.history[-60:]:
            lines.append("  %r" % (entry,))
        path = os.path.join(tempfile.gettempdir(), "stashd-differential-%s-%d-%d.txt"
                            % (self.groups, self.proto, self.seed))
        with open(path, "w") as f:
            for entry in self.history:
                f.write("%r\n" % (entry,))
        lines.append("full history: %s" % path)
        raise Mismatch("\n".join(lines))

    def shown(self, raw):
        """A reply as the history and failure messages show it."""
        return parse(raw) if self.proto == 2 else raw

    def run(self):
        start_ms = int(time.time() * 1000)
        gen = Generator(self.seed, start_ms, self.groups)
        for conn in (self.ref, self.dut):
            assert conn.call("FLUSHALL") == "OK"
            assert conn.call("SELECT", "0") == "OK"
        db = 0
        pending, target = [], 0
        for _ in range(self.count):
            args = gen.next()
            name = args[0].upper()
            # Now and then a pipeline: consecutive commands reach stashd's writer as one group
            # (later ones read the earlier ones' writes through its overlay). Commands that the
            # harness checks in several steps run on their own; a SPOP ends its pipeline (its
            # effect is mirrored on Redis before any later command runs).
            alone = name in ALONE
            if not target and not alone and gen.rng.random() < self.pipeline_chance:
                target = gen.rng.randrange(2, 30)
            if target and not alone:
                pending.append(args)
                if len(pending) < target and name != b"SPOP":
                    continue
            if pending:
                db = self.exchange(pending, db, pipelined=True)
                pending, target = [], 0
                if not alone:
                    continue
            if name in (b"SCAN-LOOP", b"HSCAN-LOOP", b"SSCAN-LOOP", b"ZSCAN-LOOP"):
                self.scan_loop(args, db)
                continue
            if name == b"DBSIZE" and len(args) == 1:
                self.check_dbsize(db)
                continue
            db = self.exchange([args], db, pipelined=False)
        if pending:
            db = self.exchange(pending, db, pipelined=True)
        for d in range(DBS):
            self.check_db(d)

    @staticmethod
    def probe(args):
        """For a random command: the read, sent to Redis only right after it, that shows the
        collection to check its reply against."""
        name = args[0].upper()
        if name in RANDOM and len(args) >= 2:
            return [b"HGETALL" if name == b"HRANDFIELD" else b"SMEMBERS", args[1]]
        if name in (b"SORT", b"SORT_RO") and len(args) >= 2:
            return [b"TYPE", args[1]]
        return None

    def exchange(self, commands, db, pipelined):
        """Sends commands to both servers (in one write each) and checks every reply."""
        ref_commands = []
        for args in commands:
            ref_commands.append(args)
            if self.probe(args):
                ref_commands.append(self.probe(args))
        ref_replies = iter(self.ref.pipeline_raw(ref_commands))
        got_replies = self.dut.pipeline_raw(commands)
        for args, got in zip(commands, got_replies):
            expected = next(ref_replies)
            probe = next(ref_replies) if self.probe(args) else None
            name = args[0].upper()
            shown = self.shown(expected)
            self.history.append((db, ([b"(pipelined)"] if pipelined else []) + args, shown))
            why = self.check(args, expected, got, probe)
            if why and name in (b"SORT", b"SORT_RO") and parse(expected) == NOT_DOUBLE:
                # Redis's SORT tests errno without clearing it: a stale ERANGE from an earlier
                # strtod (a score like 1e-320) fails every numeric SORT after it. Clear it (a
                # ZADD XX of a missing key parses a score and changes nothing) and ask again.
                self.ref.call_raw(b"ZADD", b"__errno_reset__", b"XX", b"0", b"m")
                expected = self.ref.call_raw(*args)
                why = self.check(args, expected, got, probe)
            if not why and not pipelined and name == b"EXPIRETIME" and len(args) == 2:
                e, g = parse(expected), parse(got)
                if isinstance(g, int) and isinstance(e, int) and e >= 0:
                    # Seconds are rounded from milliseconds: unless Redis's time sits near a
                    # half second (where a few ms between the two servers matter), they must be
                    # equal.
                    ms = self.ref.call(b"PEXPIRETIME", args[1])
                    if abs(ms % 1000 - 500) > 100 and g != e:
                        why = "EXPIRETIME rounds differently (PEXPIRETIME %d)" % ms
            if why:
                if pipelined:
                    why += " (in a pipeline of %d)" % len(commands)
                self.fail(why, args, shown, self.shown(got))
            if name == b"SELECT" and parse(expected) == "OK":
                db = int(args[1])
            if name == b"SPOP":
                self.mirror_spop(args, expected, got, db)
        return db

    def check(self, args, expected, got, probe):
        """None when stashd's reply bytes are acceptable for Redis's; else a reason."""
        name = args[0].upper()
        if name in RANDOM and probe is not None:
            return self.check_random(args, expected, got, probe)
        if name in (b"SORT", b"SORT_RO") and probe is not None and \
                parse(probe) == "set" and self.sorts_unordered(args):
            # A set read in its own order (BY without '*'): Redis's is its hash table's.
            te, tg = typed(expected), typed(got)
            if te[0] in "-!" or tg[0] in "-!" or te[0] == ":":
                return None if te == tg else "replies differ"
            if self.limited(args):
                return None if len(parse(expected)) == len(parse(got)) else \
                    "replies differ in length"
            return None if sorted(map(repr, parse(expected))) == \
                sorted(map(repr, parse(got))) else "replies differ as multisets"
        if name in UNORDERED:
            te, tg = typed(expected), typed(got)
            if te[0] in "-!" or tg[0] in "-!":
                return None if te == tg else "replies differ"
            if _normalised(name, te) == _normalised(name, tg):
                return None
            return "replies differ as multisets" if te[0] == tg[0] else "reply types differ"
        if name == b"OBJECT" and self.groups == "stream":
            # Only whether a key is a stream: the other types' encodings are their groups' matter.
            te, tg = typed(expected), typed(got)
            return None if (te == ("$", b"stream")) == (tg == ("$", b"stream")) else \
                "replies differ"
        if name.startswith(b"X"):
            now_ms = time.time() * 1000
            if stream_normalised(args, typed(expected), now_ms) == \
                    stream_normalised(args, typed(got), now_ms):
                return None
            return "replies differ"
        if self.proto == 2:
            return compare(args, parse(expected), parse(got))
        if name in LOOSE:
            if expected[:1] != got[:1]:
                return "reply types differ"
            return compare(args, parse(expected), parse(got))
        return None if expected == got else "replies differ"

    @staticmethod
    def sorts_unordered(args):
        """Whether a SORT leaves a set in its own order: BY without '*', and no STORE (which
        sorts a set by ALPHA)."""
        up = [a.upper() for a in args]
        if b"STORE" in up[2:]:
            return False
        for i in range(2, len(args) - 1):
            if up[i] == b"BY" and b"*" not in args[i + 1].split(b"\x00")[0]:
                return True
        return False

    @staticmethod
    def limited(args):
        return b"LIMIT" in [a.upper() for a in args[2:]]

    def check_random(self, args, expected, got, probe):
        """HRANDFIELD, SRANDMEMBER, SPOP: errors must be equal; otherwise the same reply type and
        length, and every element (and HRANDFIELD's value) one of the collection as Redis holds
        it (the probe: HGETALL or SMEMBERS right after the command; for SPOP plus what Redis
        popped). A positive count returns distinct elements, all of them when it reaches the
        size."""
        te, tg = typed(expected), typed(got)
        if te[0] in "-!" or tg[0] in "-!":
            return None if te == tg else "replies differ"
        if te[0] != tg[0]:
            return "reply types differ"
        name = args[0].upper()
        coll = parse(probe)
        if name == b"HRANDFIELD":
            coll = coll if isinstance(coll, dict) else dict(zip(coll[::2], coll[1::2]))
        else:
            coll = set(coll)
            if name == b"SPOP":
                coll |= set(_elements(te))  # the set before the pop
        if te[1] is None or tg[1] is None:
            return None if te == tg else "a null reply where the other is not"
        if te[0] == "$":
            return None if tg[1] in coll else "%r is not in the collection" % (tg[1],)
        ie, ig = te[1], tg[1]
        if len(ie) != len(ig):
            return "lengths differ"
        if name == b"HRANDFIELD" and len(args) > 3:  # WITHVALUES
            if self.proto == 3:
                if any(i[0] != "*" or len(i[1]) != 2 or i[1][0][0] != "$" or i[1][1][0] != "$"
                       for i in ig):
                    return "not an array of [field, value] arrays"
                pairs = [(i[1][0][1], i[1][1][1]) for i in ig]
            else:
                if len(ig) % 2 or any(i[0] != "$" for i in ig):
                    return "not a flat array of fields and values"
                pairs = list(zip([i[1] for i in ig[::2]], [i[1] for i in ig[1::2]]))
            bad = [p for p in pairs if coll.get(p[0]) != p[1]]
            if bad:
                return "(field, value) pairs not in the hash: %r" % (bad[:3],)
            elems = [f for f, _ in pairs]
        else:
            if any(i[0] != "$" for i in ig):
                return "elements are not bulk strings"
            elems = [i[1] for i in ig]
            bad = [e for e in elems if e not in coll]
            if bad:
                return "elements not in the collection: %r" % (bad[:3],)
        count = int(args[2])
        if count > 0 and len(set(elems)) != len(elems):
            return "an element twice for a positive count"
        if count > 0 and count >= len(coll) and set(elems) != set(coll):
            return "not the whole collection for a count at least its size"
        return None

    def mirror_spop(self, args, expected, got, db):
        """The two servers popped different members: Redis gets back what only it popped and
        loses what only stashd popped, so that both hold the same set again. This never empties
        or creates the key on Redis alone: both popped the same number of members of the same
        set (check_random), so either both emptied it or the set keeps members throughout."""
        te, tg = typed(expected), typed(got)
        if te[0] in "-!":
            return
        ref_popped, dut_popped = set(_elements(te)), set(_elements(tg))
        back = sorted(ref_popped - dut_popped)
        gone = sorted(dut_popped - ref_popped)
        if back:
            assert self.ref.call(b"SADD", args[1], *back) == len(back)
            self.history.append((db, [b"(mirror on redis)", b"SADD", args[1]] + back, None))
        if gone:
            assert self.ref.call(b"SREM", args[1], *gone) == len(gone)
            self.history.append((db, [b"(mirror on redis)", b"SREM", args[1]] + gone, None))

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

    def scan_key_all(self, conn, cmd, key, opts):
        """(fields as a dict, or members as a set; whether one came twice) of a whole HSCAN or
        SSCAN iteration; an error reply instead when the first call fails."""
        items = []
        cursor = b"0"
        for _ in range(10000):
            reply = conn.call(cmd, key, cursor, *opts)
            if _is_error(reply):
                return reply, False
            cursor, batch = reply
            assert isinstance(cursor, bytes), "%s cursor is not a bulk string: %r" % (cmd, reply)
            items += batch
            if cursor == b"0":
                if cmd in (b"HSCAN", b"ZSCAN"):
                    pairs = list(zip(items[::2], items[1::2]))
                    return dict(pairs), len(dict(pairs)) != len(pairs) or len(items) % 2 != 0
                return set(items), len(set(items)) != len(items)
        raise Mismatch("%s did not finish after 10000 calls (seed %d)" % (cmd, self.seed))

    def scan_loop(self, args, db):
        name = args[0].upper()
        if name == b"SCAN-LOOP":
            expected = self.scan_all(self.ref, args[1:])
            got = self.scan_all(self.dut, args[1:])
            twice = False
        else:
            cmd = name[:-len(b"-LOOP")]
            expected, _ = self.scan_key_all(self.ref, cmd, args[1], args[2:])
            got, twice = self.scan_key_all(self.dut, cmd, args[1], args[2:])
        self.history.append((db, args, expected))
        if expected != got:
            self.fail("%s iteration returned other elements" % name[:-5].decode(), args,
                      expected, got)
        if twice:  # Redis may repeat one while it rehashes; a quiet stashd must not
            self.fail("%s iteration returned an element twice" % name[:-5].decode(), args,
                      expected, got)

    def check_dbsize(self, db):
        live = self.ref.call(b"KEYS", b"*")
        got = self.dut.call(b"DBSIZE")
        self.history.append((db, [b"DBSIZE"], len(live)))
        if got != len(live):
            self.fail("DBSIZE is not the number of live keys", [b"DBSIZE"], len(live), got)

    def check_db(self, d):
        """Every key, value (a hash's fields, a set's members) and TTL of database d agree."""
        for conn in (self.ref, self.dut):
            assert conn.call("SELECT", str(d)) == "OK"
        ref_keys = sorted(self.ref.call(b"KEYS", b"*"))
        dut_keys = sorted(self.dut.call(b"KEYS", b"*"))
        if ref_keys != dut_keys:
            self.fail("final key sets of db%d differ" % d, [b"KEYS", b"*"], ref_keys, dut_keys)
        self.check_dbsize(d)
        for key in ref_keys:
            kind = self.ref.call(b"TYPE", key)
            cmds = [[b"PTTL", key], [b"TYPE", key]]
            if kind == "stream":
                for cmd in ([b"XRANGE", key, b"-", b"+"],
                            [b"XINFO", b"STREAM", key, b"FULL", b"COUNT", b"0"]):
                    expected, got = self.ref.call_raw(*cmd), self.dut.call_raw(*cmd)
                    why = self.check(cmd, expected, got, None)
                    if why:
                        self.fail("final state of db%d: %s" % (d, why), cmd, self.shown(expected),
                                  self.shown(got))
            else:
                cmds.append({"hash": [b"HLEN", key], "set": [b"SCARD", key],
                             "list": [b"LRANGE", key, b"0", b"-1"],
                             "zset": [b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"]}.get(
                                 kind, [b"GET", key]))
            for cmd in cmds:
                expected = self.ref.call(*cmd)
                got = self.dut.call(*cmd)
                why = compare(cmd, expected, got)
                if why:
                    self.fail("final state of db%d: %s" % (d, why), cmd, expected, got)
            if kind in ("hash", "set"):
                cmd = [b"HGETALL" if kind == "hash" else b"SMEMBERS", key]
                expected = self.collection(kind, self.ref.call(*cmd))
                got = self.collection(kind, self.dut.call(*cmd))
                if expected != got:
                    self.fail("final state of db%d: the %s differs" % (d, kind), cmd, expected,
                              got)

    @staticmethod
    def collection(kind, reply):
        """HGETALL as a dict, SMEMBERS as a set; an element twice is reported, never equal."""
        if not isinstance(reply, (list, dict)):
            return reply
        if kind == "hash":
            if isinstance(reply, dict):
                return reply
            d = dict(zip(reply[::2], reply[1::2]))
            return d if len(d) * 2 == len(reply) else ("a field twice", reply)
        s = set(reply)
        return s if len(s) == len(reply) else ("a member twice", reply)


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


def start_server(args=(), binary=None):
    """stashd with args (binary: another build than stashd_binary()), or a stock Redis without
    them when DATA_TARGET=redis."""
    if AGAINST_REDIS:
        return RedisAsStashd()
    return Stashd(args, binary=binary)


class ServerTestCase(StashdTestCase):
    """One server under test per test class (self.server): stashd with server_args, or a stock
    Redis when DATA_TARGET=redis; it must exit with code 0."""

    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls.server_args)


class ServerAndRedisTestCase(ServerTestCase):
    """ServerTestCase with a stock redis-server beside it (self.ref) to compare with."""

    @classmethod
    def setUpClass(cls):
        cls.ref = RedisServer()
        try:
            super().setUpClass()
        except Exception:
            cls.ref.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.ref.stop()
