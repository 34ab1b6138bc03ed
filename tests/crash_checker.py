#!/usr/bin/python3
"""kill -9 crash loop for stashd with an oracle of acknowledged writes. Run it through
scripts/crash-test.sh, which builds the release binary first and documents the options.

One cycle: W writer connections (half of them pipelined, half one command at a time) write for a
random 0.2-3 s; stashd gets SIGKILL; it is restarted on the same data directory; every key the
writers ever touched is read back and judged against the log of attempted and acknowledged
operations. Nothing is flushed between cycles: the data accumulates over the whole run. After the
last cycle the server is also stopped cleanly (SIGTERM), restarted and verified once more.

Key space: every key belongs to one writer, so the operations on a key come from one connection
and are totally ordered. Writer w owns
  crash:w<w>:s<i>     slots: SET of checksummed unique values (create or overwrite), DEL
  crash:w<w>:r<i>     registers: SET of a checksummed value carrying an increasing number
  crash:w<w>:c<i>     counters: INCR
  crash:w<w>:g<i>:<j> MSET groups: all keys of a group set in one MSET (one tag), or one DEL
  crash:w<w>:t<i>:a/b transfer pairs: MULTI; DECRBY a x; INCRBY b x; EXEC (a + b == 0)
A checksummed value is  key|tag|pad|crc32hex  (tag names cycle, writer and operation, or the
register number / group generation; pad is random binary of varying length, sometimes 16-64 KB).

The log: an operation is appended to its writer's log before its bytes are sent (attempted) and
the writer's acknowledged count moves past it when its last reply has been read and matched the
expected reply (acknowledged). When it is generated, the operation records the value each of its
keys has after it, assuming everything before it applied (the writer owns its keys, so this is
exact), and the replies it must get (a wrong reply is a violation too).

The oracle, per key, after a crash: recovery keeps a prefix of each connection's operations that
contains every acknowledged one, so the key must hold its value after its last acknowledged
operation, or after one of the later attempted (unacknowledged) operations on it; when no
operation on it was acknowledged this cycle, its value from the previous verification is also
allowed. This one rule gives the checks of the issue:
  - an acknowledged SET is there with its exact value unless a later attempted op explains it;
  - a key whose last acknowledged op was a DEL is absent unless a later attempted SET re-created
    it (present otherwise = resurrected);
  - a register lies between its last acknowledged and last attempted number (exactly one of
    those values), a counter between acknowledged and attempted increments;
  - every checksummed value parses, names its own key and has an intact CRC.
A key outside its candidate set is classified: absent or holding an older value = lost; present
after an acknowledged DEL = resurrected; bad checksum or wrong key = corrupt; otherwise phantom.
Atomicity, judged before the per-key rule (a torn group or pair is reported once, as torn):
  - an MSET group is all absent or all one tag (one MSET), never a mix;
  - a transfer pair is both absent or two integers summing to 0.
Order: each writer's keys must together equal the state after one prefix of its log that covers
every acknowledged operation (reported as out-of-order when nothing else is wrong).
DBSIZE must equal the number of keys present (no stray keys).
After a cycle verifies, the observed state becomes the baseline of the next one.

--workload collections (or mixed) runs writers of hashes and sets instead of (or besides) these:
see "collections workload" below for their keys, operations and checks.

Exit status: 0 when every cycle verified, 1 on any violation (including a wrong reply or a server
that does not come back on its directory; the data directory, the server log and the operation
log are then kept and their path printed), 2 on a usage or harness error.
The hidden --inject-loss (or --inject loss|resurrect|torn|corrupt) damages one key through the
server after the first restart, before verifying: the run must then fail (negative check).
"""
import argparse
import bisect
import ctypes
import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stashd import encode_command, free_port  # noqa: E402

SLOTS = 2048
REGISTERS = 2
COUNTERS = 2
GROUP_SIZES = (2, 3, 4, 5)
PAIRS = 2
MAX_OPS_PER_CYCLE = 300000  # per writer: bounds memory whatever the speed
MGET_CHUNK = 500


# ----------------------------------------------------------------------------- values

def make_value(key, tag, pad=b""):
    body = b"%s|%s|%s" % (key, tag, pad)
    return b"%s|%08x" % (body, zlib.crc32(body))


def parse_value(key, value):
    """The tag of a checksummed value, or None when it is torn, damaged or names another key."""
    body, sep, crc = value.rpartition(b"|")
    if not sep or len(crc) != 8:
        return None
    try:
        if int(crc, 16) != zlib.crc32(body):
            return None
    except ValueError:
        return None
    parts = body.split(b"|", 2)
    if len(parts) != 3 or parts[0] != key:
        return None
    return parts[1]


def is_int(value):
    try:
        int(value)
        return True
    except (TypeError, ValueError):
        return False


def key_kind(key):
    """'s', 'r', 'c', 'g' or 't' (see the module docstring)."""
    return key.split(b":")[2][:1].decode()


def show(value, limit=48):
    """A short printable form; a checksummed value shows as key|tag|<pad>|crc (crc ok/BAD)."""
    if value is None:
        return "(absent)"
    parts = value.split(b"|", 2)
    if len(parts) == 3 and value[-9:-8] == b"|" and len(parts[2]) >= 9:
        key = parts[0]
        ok = parse_value(key, value) is not None
        return "%s|%s|<%d-byte pad>|%s (crc %s)" % (
            key.decode(errors="replace"), parts[1].decode(errors="replace"),
            len(parts[2]) - 9, value[-8:].decode(errors="replace"), "ok" if ok else "BAD")
    if len(value) <= limit:
        return repr(value)[1:]
    return "%s...(%d bytes)" % (repr(value[:limit])[1:], len(value))


# ----------------------------------------------------------------------------- RESP

class ReplyError(str):
    """An error reply (-ERR ...): never equal to an expected reply."""

    def __eq__(self, other):
        return False

    def __ne__(self, other):
        return True

    __hash__ = str.__hash__


def read_reply(f):
    """One RESP2 reply from a buffered socket file; a short read raises ConnectionError (a reply
    cut by the kill is never taken for an acknowledgement)."""
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("connection closed")
    t, rest = line[:1], line[1:-2]
    if t == b"+":
        return rest.decode()
    if t == b"-":
        return ReplyError(rest.decode())
    if t == b":":
        return int(rest)
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        if len(data) != n + 2:
            raise ConnectionError("connection closed")
        return data[:-2]
    if t == b"*":
        n = int(rest)
        if n < 0:
            return None
        return [read_reply(f) for _ in range(n)]
    raise ValueError("unexpected RESP type %r" % line)


class Conn:
    def __init__(self, port, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.sock.makefile("rb")

    def call(self, *args):
        self.sock.sendall(encode_command(*args))
        return read_reply(self.file)

    def pipeline(self, commands):
        self.sock.sendall(b"".join(encode_command(*c) for c in commands))
        return [read_reply(self.file) for _ in commands]

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass


# ----------------------------------------------------------------------------- server

_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: no stashd outlives this checker


class Server:
    def __init__(self, binary, data_dir, log_path, extra_args):
        self.binary = binary
        self.data_dir = data_dir
        self.log_path = log_path
        self.extra_args = extra_args
        self.proc = None
        self.port = None
        self.starts = 0

    def _spawn(self, log):
        try:
            return subprocess.Popen(
                [self.binary, "--bind", "127.0.0.1", "--port", str(self.port),
                 "--dir", self.data_dir] + self.extra_args,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent)
        except OSError as e:
            raise HarnessError("cannot start %s: %s" % (self.binary, e))

    def start(self, timeout=60):
        """Starts stashd on a fresh free port; returns seconds until it answered PING."""
        self.port = free_port()
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(b"\n===== crash_checker: start %d, port %d\n" % (self.starts, self.port))
            log.flush()
            t0 = time.monotonic()
            self.proc = self._spawn(log)
        deadline = t0 + timeout
        while True:
            if self.proc.poll() is not None:
                raise ServerFailed("stashd exited with code %s at start %d; log tail:\n%s"
                                   % (self.proc.returncode, self.starts, self.log_tail()))
            try:
                c = Conn(self.port, timeout=5)
                try:
                    if c.call("PING") == "PONG":
                        return time.monotonic() - t0
                finally:
                    c.close()
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServerFailed("stashd did not answer PING within %d s; log tail:\n%s"
                                   % (timeout, self.log_tail()))
            time.sleep(0.01)

    def start_and_kill(self, delay):
        """Starts stashd and SIGKILLs it after delay seconds, ready or not (maybe mid-recovery).
        Returns whether it was already accepting connections."""
        self.port = free_port()
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(b"\n===== crash_checker: start %d, port %d, SIGKILL after %d ms\n"
                      % (self.starts, self.port, delay * 1000))
            log.flush()
            self.proc = self._spawn(log)
        time.sleep(delay)
        ready = False
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.05):
                ready = True
        except OSError:
            pass
        self.kill()
        if self.proc.returncode != -signal.SIGKILL:
            raise ServerFailed("stashd exited with code %s before the kill; log tail:\n%s"
                               % (self.proc.returncode, self.log_tail()))
        return ready

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait()

    def stop(self, timeout=30):
        """SIGTERM; returns the exit code (None if it had to be killed)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def info(self, section):
        c = Conn(self.port)
        try:
            text = c.call("INFO", section)
        finally:
            c.close()
        out = {}
        for line in text.decode().splitlines():
            k, sep, v = line.partition(":")
            if sep:
                out[k] = v
        return out

    def log_tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""


class HarnessError(Exception):
    pass


class ServerFailed(HarnessError):
    """stashd did not come back on its data directory: a violation, not a harness problem."""


# ----------------------------------------------------------------------------- writers

class Op:
    """One logged operation: its commands, the replies they must get and the value of each key
    after it (None = absent)."""
    __slots__ = ("kind", "cmds", "replies", "effects")

    def __init__(self, kind, cmds, replies, effects):
        self.kind = kind
        self.cmds = cmds
        self.replies = replies
        self.effects = effects

    def describe(self, limit=5):
        parts = []
        for cmd in self.cmds:
            args = [a if isinstance(a, bytes) else str(a).encode() for a in cmd]
            shown = [show(a, 40) for a in args[:limit]]
            if len(args) > limit:
                shown.append("... (%d args)" % len(args))
            parts.append(" ".join(shown))
        return "; ".join(parts)


class BadReply(Exception):
    pass


class Writer:
    def __init__(self, w, pipelined):
        p = self.identify(w, pipelined)
        self.slot_keys = [p + b"s%d" % i for i in range(SLOTS)]
        self.reg_keys = [p + b"r%d" % i for i in range(REGISTERS)]
        self.counter_keys = [p + b"c%d" % i for i in range(COUNTERS)]
        self.groups = [[p + b"g%d:%d" % (g, j) for j in range(n)]
                       for g, n in enumerate(GROUP_SIZES)]
        self.pairs = [(p + b"t%d:a" % i, p + b"t%d:b" % i) for i in range(PAIRS)]
        self.keys = (self.slot_keys + self.reg_keys + self.counter_keys
                     + [k for g in self.groups for k in g] + [k for pr in self.pairs for k in pr])
        self.base = {}  # key -> value at the start of the cycle (verified); absent keys missing
        self.clear_log()

    def identify(self, w, pipelined):
        """Sets the writer's number and whether it pipelines; returns the prefix of its keys."""
        self.w = w
        self.pipelined = pipelined
        return b"crash:w%d:" % w

    def clear_log(self):
        """No op logged, sent or acknowledged yet, no error."""
        self.ops = []
        self.acked = 0
        self.error = None  # why the writer stopped
        self.bad_reply = None

    # --- cycle set-up

    def begin_cycle(self, cycle, seed):
        self.cycle = cycle
        self.rng = random.Random("%s:%d:%d" % (seed, cycle, self.w))
        self.model = dict(self.base)
        self.live_slots = [i for i, k in enumerate(self.slot_keys) if k in self.model]
        self.live_pos = {s: i for i, s in enumerate(self.live_slots)}
        self.reg_n = []
        for k in self.reg_keys:
            tag = parse_value(k, self.model[k]) if k in self.model else None
            self.reg_n.append(int(tag[1:]) if tag else 0)
        self.clear_log()
        self.recovered_prefix = None

    # --- operation generation (the intended model assumes every earlier op applied)

    def _slot_live(self, s, live):
        if live and s not in self.live_pos:
            self.live_pos[s] = len(self.live_slots)
            self.live_slots.append(s)
        elif not live and s in self.live_pos:
            i = self.live_pos.pop(s)
            last = self.live_slots.pop()
            if last != s:
                self.live_slots[i] = last
                self.live_pos[last] = i

    def _tag(self):
        return b"c%dw%dn%d" % (self.cycle, self.w, len(self.ops))

    def _pad(self):
        r = self.rng
        n = r.randint(16 * 1024, 64 * 1024) if r.random() < 0.01 else r.randint(0, 200)
        return r.randbytes(n)

    def generate(self):
        r = self.rng
        m = self.model
        x = r.random()
        if x < 0.10 and self.live_slots:
            s = self.live_slots[r.randrange(len(self.live_slots))]
            k = self.slot_keys[s]
            op = Op("del", [(b"DEL", k)], [1], ((k, None),))
            m.pop(k)
            self._slot_live(s, False)
        elif x < 0.43:
            s = r.randrange(SLOTS)
            k = self.slot_keys[s]
            v = make_value(k, self._tag(), self._pad())
            op = Op("set", [(b"SET", k, v)], ["OK"], ((k, v),))
            m[k] = v
            self._slot_live(s, True)
        elif x < 0.53:
            i = r.randrange(REGISTERS)
            k = self.reg_keys[i]
            self.reg_n[i] += r.randint(1, 3)
            v = make_value(k, b"n%d" % self.reg_n[i], b"register")
            op = Op("register", [(b"SET", k, v)], ["OK"], ((k, v),))
            m[k] = v
        elif x < 0.68:
            k = self.counter_keys[r.randrange(COUNTERS)]
            n = int(m.get(k, b"0")) + 1
            op = Op("incr", [(b"INCR", k)], [n], ((k, b"%d" % n),))
            m[k] = b"%d" % n
        elif x < 0.84:
            g = self.groups[r.randrange(len(self.groups))]
            if r.random() < 0.2 and g[0] in m:
                op = Op("group-del", [(b"DEL",) + tuple(g)], [len(g)],
                        tuple((k, None) for k in g))
                for k in g:
                    m.pop(k)
            else:
                tag = self._tag()
                vals = [make_value(k, tag, self._pad()) for k in g]
                args = [b"MSET"]
                for k, v in zip(g, vals):
                    args += [k, v]
                op = Op("mset", [tuple(args)], ["OK"], tuple(zip(g, vals)))
                m.update(zip(g, vals))
        else:
            a, b = self.pairs[r.randrange(PAIRS)]
            amount = r.randint(1, 1000)
            na = int(m.get(a, b"0")) - amount
            nb = int(m.get(b, b"0")) + amount
            op = Op("transfer",
                    [(b"MULTI",), (b"DECRBY", a, b"%d" % amount), (b"INCRBY", b, b"%d" % amount),
                     (b"EXEC",)],
                    ["OK", "QUEUED", "QUEUED", [na, nb]],
                    ((a, b"%d" % na), (b, b"%d" % nb)))
            m[a] = b"%d" % na
            m[b] = b"%d" % nb
        self.ops.append(op)  # logged as attempted before any of its bytes is sent
        return op

    # --- the connection

    def run(self, port, stop):
        conn = None
        try:
            conn = Conn(port, timeout=20)
            sock, f = conn.sock, conn.file
            while not stop.is_set() and len(self.ops) < MAX_OPS_PER_CYCLE:
                if self.pipelined:
                    batch = [self.generate() for _ in range(self.rng.randint(2, 32))]
                    sock.sendall(b"".join(encode_command(*c) for op in batch for c in op.cmds))
                    for op in batch:
                        for i, expected in enumerate(op.replies):
                            got = read_reply(f)
                            if got != expected:
                                self._bad(op, i, expected, got)
                        self.acked += 1
                else:
                    op = self.generate()
                    for i, (cmd, expected) in enumerate(zip(op.cmds, op.replies)):
                        sock.sendall(encode_command(*cmd))
                        got = read_reply(f)
                        if got != expected:
                            self._bad(op, i, expected, got)
                    self.acked += 1
            self.error = "stopped"
        except BadReply as e:
            self.bad_reply = str(e)
            self.error = "bad reply"
        except (OSError, ConnectionError, ValueError) as e:
            self.error = "%s: %s" % (type(e).__name__, e)
        except Exception:  # a bug of this checker: fail the run as a harness error
            self.error = "internal: " + traceback.format_exc()
        finally:
            if conn:
                conn.close()

    def _bad(self, op, i, expected, got):
        idx = len(self.ops) - 1
        while idx >= 0 and self.ops[idx] is not op:
            idx -= 1
        raise BadReply("writer %d op #%d [%s], command %d: got %r, expected %r"
                       % (self.w, idx, op.describe(), i + 1, got, expected))


# ----------------------------------------------------------------------------- verification

class Verdict:
    CATEGORIES = ("lost", "resurrected", "torn", "corrupt", "phantom", "out-of-order",
                  "bad-reply", "dbsize", "restart", "clean-stop", "hang")

    def __init__(self):
        self.counts = {c: 0 for c in self.CATEGORIES}
        self.details = []  # (category, text, writer or None, keys)

    def add(self, category, text, writer=None, keys=()):
        self.counts[category] += 1
        self.details.append((category, text, writer, keys))

    def __bool__(self):
        return any(self.counts.values())


def read_all(conn, keys):
    out = {}
    for i in range(0, len(keys), MGET_CHUNK * 8):
        chunks = [keys[j:j + MGET_CHUNK] for j in range(i, min(len(keys), i + MGET_CHUNK * 8),
                                                        MGET_CHUNK)]
        replies = conn.pipeline([(b"MGET",) + tuple(c) for c in chunks])
        for chunk, reply in zip(chunks, replies):
            if not isinstance(reply, list) or len(reply) != len(chunk):
                raise HarnessError("MGET replied %r" % (reply,))
            out.update(zip(chunk, reply))
    return out


def entries_by_key(writer):
    touched = {}
    for j, op in enumerate(writer.ops):
        for k, v in op.effects:
            touched.setdefault(k, []).append((j, v))
    return touched


def candidates(writer, touched, key):
    """(allowed values, value after the last acknowledged op, older values) of key."""
    base = writer.base.get(key)
    entries = touched.get(key)
    if not entries:
        return [base], base, []
    i = bisect.bisect_left([j for j, _ in entries], writer.acked)  # entries acknowledged
    if i == 0:
        return [base] + [v for _, v in entries], base, []
    return ([v for _, v in entries[i - 1:]], entries[i - 1][1],
            [base] + [v for _, v in entries[:i - 1]])


def older_than(key, value, acked_val):
    """Whether value (valid, not a candidate) is one the key held before acked_val: a counter
    or the b side of a pair below it, the a side above it, a checksummed value whose tag is
    older (tags are c<cycle>w<writer>n<op>, or n<number> for registers)."""
    kind = key_kind(key)
    if kind in "ct":
        if key.endswith(b":a"):
            return int(value) > int(acked_val)
        return int(value) < int(acked_val)

    def order(tag):
        return tuple(int(x) for x in tag.replace(b"c", b" ").replace(b"w", b" ")
                     .replace(b"n", b" ").split())
    return order(parse_value(key, value)) < order(parse_value(key, acked_val))


def verify(writers, observed, dbsize, verdict):
    for wr in writers:
        before = sum(verdict.counts.values())
        touched = entries_by_key(wr)
        skip = set()
        for g in wr.groups:
            vals = [observed[k] for k in g]
            if all(v is None for v in vals):
                continue
            tags = [parse_value(k, v) if v is not None else None for k, v in zip(g, vals)]
            if any(v is not None and t is None for v, t in zip(vals, tags)):
                continue  # a damaged value: the per-key check reports it as corrupt
            if any(v is None for v in vals) or len(set(tags)) != 1:
                verdict.add("torn", "MSET group %s partially applied: %s"
                            % (g[0].rsplit(b":", 1)[0].decode(),
                               ", ".join("%s=%s" % (k.decode(), t.decode() if t else "(absent)")
                                         for k, t in zip(g, tags))), wr, g)
                skip.update(g)
        for a, b in wr.pairs:
            va, vb = observed[a], observed[b]
            if va is None and vb is None:
                continue
            if va is None or vb is None or not (is_int(va) and is_int(vb)) \
                    or int(va) + int(vb) != 0:
                verdict.add("torn", "transfer pair %s/%s: %s + %s != 0"
                            % (a.decode(), b.decode(), show(va), show(vb)), wr, (a, b))
                skip.update((a, b))
        for k in wr.keys:
            if k in skip:
                continue
            o = observed[k]
            allowed, acked_val, older = candidates(wr, touched, k)
            if o in allowed:
                continue
            kind = key_kind(k)
            numeric = kind in "ct"
            what = "%s = %s; after its last acknowledged op: %s; allowed: %s" % (
                k.decode(), show(o), show(acked_val),
                ", ".join(show(v) for v in allowed[:4]) + (" ..." if len(allowed) > 4 else ""))
            if o is None:
                verdict.add("lost", "acknowledged write lost: " + what, wr, (k,))
            elif acked_val is None:
                verdict.add("resurrected", "deleted key came back: " + what, wr, (k,))
            elif o in older:
                verdict.add("lost", "acknowledged write lost (older value): " + what, wr, (k,))
            elif (numeric and not is_int(o)) or (not numeric and parse_value(k, o) is None):
                verdict.add("corrupt", "torn or damaged value: " + what, wr, (k,))
            elif older_than(k, o, acked_val):
                verdict.add("lost", "acknowledged write lost (value from an earlier cycle): "
                            + what, wr, (k,))
            else:
                verdict.add("phantom", "value never written there: " + what, wr, (k,))
        if sum(verdict.counts.values()) == before:
            prefix_check(wr, touched, observed, verdict)
    if dbsize is not None:
        check_dbsize(observed, dbsize, verdict)


def check_dbsize(observed, dbsize, verdict):
    present = sum(1 for v in observed.values() if v is not None)
    if dbsize != present:
        verdict.add("dbsize", "DBSIZE %d, but %d of the writers' keys are present (no other key "
                    "was ever written)" % (dbsize, present))


def prefix_check(wr, touched, observed, verdict):
    """The writer's keys must equal the state after one prefix of its log covering every
    acknowledged op. Returns that prefix length."""
    model = {k: wr.base.get(k) for k in touched}
    for op in wr.ops[:wr.acked]:
        model.update(op.effects)
    mismatch = {k for k, v in model.items() if v != observed[k]}
    n = wr.acked
    while mismatch and n < len(wr.ops):
        for k, v in wr.ops[n].effects:
            if v == observed[k]:
                mismatch.discard(k)
            else:
                mismatch.add(k)
        n += 1
    if mismatch:
        verdict.add("out-of-order", "writer %d: no prefix of its log (%d acknowledged, %d "
                    "attempted) gives the recovered state; e.g. %s" % (
                        wr.w, wr.acked, len(wr.ops),
                        ", ".join(k.decode() for k in sorted(mismatch)[:5])), wr,
                    tuple(sorted(mismatch)[:3]))
        return None
    wr.recovered_prefix = n
    return n


# ----------------------------------------------------------------------------- collections workload

# --workload collections (or mixed: half of the writers each): writers of hashes and sets.
# Writer w owns
#   crash:w<w>:H<i>     hashes: HSET of 1-4 (sometimes 32) checksummed field values, HDEL, HINCRBY
#                       of the counter field "ctr", DEL of the whole hash
#   crash:w<w>:S<i>     sets: SADD of 1-4 (sometimes 48) members, SREM, DEL of the whole set
#   crash:w<w>:P<i>:a/b set pairs: SADD to a of members not in b, SMOVE a<->b, SREM (a and b never
#                       share a member)
#   crash:w<w>:X<i>:h/s cross-type transfers: MULTI; HINCRBY h bal n; SADD s "<op>:<n>"; EXEC
#                       and refunds MULTI; HINCRBY h bal -n; SREM s "<op>:<n>"; EXEC (h's bal is
#                       always the sum of the amounts that s names)
# A hash field's value is checksummed as  <key>/<field>|tag|pad|crc32  (ctr and bal are integers).
# The oracle is the string workload's, on whole collections: a key's state after an op is kept
# as a digest (the XOR of a hash of each field/value pair or member, None when the key does not
# exist), so the same rule applies: after a crash each key holds its state after its last
# acknowledged op or after a later attempted one (the previous verified state when none was
# acknowledged), and each writer's keys together hold the state after one prefix of its log.
# So every acknowledged field and member is present with its value, and nothing an acknowledged
# HDEL/SREM/SMOVE/DEL removed comes back. Also checked: HLEN equals the number of fields HGETALL
# returns and SCARD the number of members SMEMBERS returns (else corrupt), field values parse
# with an intact checksum (else corrupt), a pair's sets are disjoint and a transfer's balance is
# the sum of its set's amounts (else torn), DBSIZE counts exactly the keys present. A key outside
# its candidates is classified by replaying the log: gone or missing an acknowledged element or
# in an older state = lost; holding an element only an older state had = resurrected; a mix of
# allowed states (a command half applied) = torn; anything else = phantom.

HASHES = 16
SETS = 16
SET_PAIRS = 2
TRANSFERS = 2
HASH_FIELDS = [b"f%d" % i for i in range(32)]
SET_MEMBERS = [b"m%d" % i for i in range(48)]
PAIR_MEMBERS = [b"p%d" % i for i in range(16)]


def _element_hash(element):
    if isinstance(element, tuple):  # a hash's (field, value)
        data = b"%d:%s%s" % (len(element[0]), element[0], element[1])
    else:
        data = b"m" + element
    return int.from_bytes(hashlib.blake2b(data, digest_size=16).digest(), "little")


def state_digest(state):
    """The digest of a hash (dict) or set (set/frozenset) state; None for an absent key."""
    if not state:
        return None
    d = 0
    items = state.items() if isinstance(state, dict) else state
    for e in items:
        d ^= _element_hash(e)
    return d


def show_state(state, limit=6):
    if state is None:
        return "(absent)"
    if isinstance(state, dict):
        items = ["%s=%s" % (show(f, 12), show(v, 24)) for f, v in sorted(state.items())]
        what = "hash of %d" % len(state)
    else:
        items = [show(m, 16) for m in sorted(state)]
        what = "set of %d" % len(state)
    return "%s {%s%s}" % (what, ", ".join(items[:limit]), ", ..." if len(items) > limit else "")


class CollOp(Op):
    """An Op whose effects are state digests; deltas hold what it does to each key, to replay."""
    __slots__ = ("deltas",)

    def __init__(self, kind, cmds, replies, effects, deltas):
        super().__init__(kind, cmds, replies, effects)
        self.deltas = deltas


def apply_delta(state, delta):
    """A new state (dict for a hash, frozenset for a set, None when absent) after one delta:
    ("hset", ((f, v), ...)), ("hdel", (f, ...)), ("sadd", (m, ...)), ("srem", (m, ...)) or
    ("clear",)."""
    what = delta[0]
    if what == "clear":
        return None
    if what in ("hset", "hdel"):
        s = dict(state or {})
        if what == "hset":
            s.update(delta[1])
        else:
            for f in delta[1]:
                s.pop(f, None)
    else:
        s = set(state or ())
        if what == "sadd":
            s.update(delta[1])
        else:
            s.difference_update(delta[1])
        s = frozenset(s)
    return s or None


class CollectionWriter(Writer):
    """A writer of the collections workload (see above); run() and the reply checks are
    Writer's."""

    def __init__(self, w, pipelined):
        p = self.identify(w, pipelined)
        self.hash_keys = [p + b"H%d" % i for i in range(HASHES)]
        self.set_keys = [p + b"S%d" % i for i in range(SETS)]
        self.pairs = [(p + b"P%d:a" % i, p + b"P%d:b" % i) for i in range(SET_PAIRS)]
        self.transfers = [(p + b"X%d:h" % i, p + b"X%d:s" % i) for i in range(TRANSFERS)]
        self.keys = (self.hash_keys + self.set_keys + [k for pr in self.pairs for k in pr]
                     + [k for tr in self.transfers for k in tr])
        self.is_hash = set(self.hash_keys) | {h for h, _ in self.transfers}
        self.groups = []
        self.base = {}        # key -> digest of its verified state (absent keys missing)
        self.base_state = {}  # key -> the verified state itself
        self.clear_log()

    def begin_cycle(self, cycle, seed):
        self.cycle = cycle
        self.rng = random.Random("%s:%d:%d:collections" % (seed, cycle, self.w))
        self.state = {k: self.base_state.get(k) for k in self.keys}
        self.clear_log()
        self.recovered_prefix = None

    def set_baseline(self, states):
        self.base_state = {k: states[k] for k in self.keys if states[k] is not None}
        self.base = {k: state_digest(s) for k, s in self.base_state.items()}

    def _op(self, kind, cmds, replies, deltas):
        effects = []
        for k, delta in deltas:
            self.state[k] = apply_delta(self.state[k], delta)
        for k in dict(deltas):  # each key once, with its state after the whole op
            effects.append((k, state_digest(self.state[k])))
        op = CollOp(kind, cmds, replies, tuple(effects), tuple(deltas))
        self.ops.append(op)  # logged as attempted before any of its bytes is sent
        return op

    def _value(self, key, field):
        r = self.rng
        n = r.randint(2048, 8192) if r.random() < 0.01 else r.randint(0, 40)
        return make_value(key + b"/" + field, self._tag(), r.randbytes(n))

    def generate(self):
        r = self.rng
        x = r.random()
        if x < 0.30:
            k = r.choice(self.hash_keys)
            fields = r.sample(HASH_FIELDS, 32 if r.random() < 0.01 else r.randint(1, 4))
            pairs = tuple((f, self._value(k, f)) for f in fields)
            new = sum(1 for f in fields if f not in (self.state[k] or {}))
            args = [b"HSET", k]
            for f, v in pairs:
                args += [f, v]
            return self._op("hset", [tuple(args)], [new], [(k, ("hset", pairs))])
        if x < 0.40:
            k = r.choice(self.hash_keys)
            have = list(self.state[k] or {})
            fields = r.sample(have, min(len(have), r.randint(1, 3))) if have else []
            if r.random() < 0.2 or not fields:
                fields.append(r.choice(HASH_FIELDS))
            fields = list(dict.fromkeys(fields))
            gone = sum(1 for f in fields if f in (self.state[k] or {}))
            return self._op("hdel", [(b"HDEL", k) + tuple(fields)], [gone],
                            [(k, ("hdel", tuple(fields)))])
        if x < 0.48:
            k = r.choice(self.hash_keys)
            by = r.randint(-5, 20)
            n = int((self.state[k] or {}).get(b"ctr", b"0")) + by
            return self._op("hincrby", [(b"HINCRBY", k, b"ctr", b"%d" % by)], [n],
                            [(k, ("hset", ((b"ctr", b"%d" % n),)))])
        if x < 0.70:
            k = r.choice(self.set_keys)
            members = r.sample(SET_MEMBERS, 48 if r.random() < 0.01 else r.randint(1, 4))
            new = sum(1 for m in members if m not in (self.state[k] or ()))
            return self._op("sadd", [(b"SADD", k) + tuple(members)], [new],
                            [(k, ("sadd", tuple(members)))])
        if x < 0.80:
            k = r.choice(self.set_keys)
            have = sorted(self.state[k] or ())
            members = r.sample(have, min(len(have), r.randint(1, 3))) if have else []
            if r.random() < 0.2 or not members:
                members.append(r.choice(SET_MEMBERS))
            members = list(dict.fromkeys(members))
            gone = sum(1 for m in members if m in (self.state[k] or ()))
            return self._op("srem", [(b"SREM", k) + tuple(members)], [gone],
                            [(k, ("srem", tuple(members)))])
        if x < 0.90:
            a, b = r.choice(self.pairs)
            sa, sb = self.state[a] or frozenset(), self.state[b] or frozenset()
            y = r.random()
            if y < 0.3:
                free = [m for m in PAIR_MEMBERS if m not in sb]
                members = r.sample(free, min(len(free), r.randint(1, 3)))
                if members:
                    new = sum(1 for m in members if m not in sa)
                    return self._op("pair-sadd", [(b"SADD", a) + tuple(members)], [new],
                                    [(a, ("sadd", tuple(members)))])
            src, dst = (a, b) if r.random() < 0.5 else (b, a)
            have = sorted(self.state[src] or ())
            m = r.choice(have) if have and r.random() < 0.9 else r.choice(PAIR_MEMBERS)
            if y > 0.9 and have:
                return self._op("pair-srem", [(b"SREM", src, m)], [1 if m in have else 0],
                                [(src, ("srem", (m,)))])
            if m in have:
                return self._op("smove", [(b"SMOVE", src, dst, m)], [1],
                                [(src, ("srem", (m,))), (dst, ("sadd", (m,)))])
            return self._op("smove", [(b"SMOVE", src, dst, m)], [0], [])
        if x < 0.92:
            k = r.choice(self.hash_keys + self.set_keys)
            return self._op("del", [(b"DEL", k)], [1 if self.state[k] else 0],
                            [(k, ("clear",))])
        h, s = r.choice(self.transfers)
        members = sorted(self.state[s] or ())
        bal = int((self.state[h] or {}).get(b"bal", b"0"))
        if members and r.random() < 0.3:
            m = r.choice(members)
            amount = int(m.split(b":")[1])
            n = bal - amount
            return self._op("refund",
                            [(b"MULTI",), (b"HINCRBY", h, b"bal", b"%d" % -amount),
                             (b"SREM", s, m), (b"EXEC",)],
                            ["OK", "QUEUED", "QUEUED", [n, 1]],
                            [(h, ("hset", ((b"bal", b"%d" % n),))), (s, ("srem", (m,)))])
        amount = r.randint(1, 1000)
        m = b"c%dn%d:%d" % (self.cycle, len(self.ops), amount)
        n = bal + amount
        return self._op("transfer",
                        [(b"MULTI",), (b"HINCRBY", h, b"bal", b"%d" % amount), (b"SADD", s, m),
                         (b"EXEC",)],
                        ["OK", "QUEUED", "QUEUED", [n, 1]],
                        [(h, ("hset", ((b"bal", b"%d" % n),))), (s, ("sadd", (m,)))])

    # --- verification helpers

    def replay(self, key):
        """(state at the start of the cycle, [(op index, state after it)] for the ops on key)."""
        base = self.base_state.get(key)
        state, out = base, []
        for j, op in enumerate(self.ops):
            touched = False
            for k, delta in op.deltas:
                if k == key:
                    state = apply_delta(state, delta)
                    touched = True
            if touched:
                out.append((j, state))
        return base, out

    def excerpt_key(self, key, observed, limit=12):
        base, states = self.replay(key)
        lines = ["    %s: baseline %s, observed %s" % (
            key.decode(), show_state(base), show_state(observed.get(key)))]
        if len(states) > limit:
            lines.append("    ... %d earlier ops on it" % (len(states) - limit))
            states = states[-limit:]
        for j, state in states:
            lines.append("    w%d #%d %s %s -> %s" % (
                self.w, j, "ACKED  " if j < self.acked else "attempt",
                self.ops[j].describe(), show_state(state)))
        return "\n".join(lines)


def elements(state):
    if state is None:
        return set()
    return set(state.items()) if isinstance(state, dict) else set(state)


def read_collections(conn, writers):
    """{key: state} of every collection key of the writers, and the keys whose HLEN/SCARD
    disagree with HGETALL/SMEMBERS (or whose reply is not a hash/set at all)."""
    cmds, keys = [], []
    for wr in writers:
        for k in wr.keys:
            if k in wr.is_hash:
                cmds += [(b"HGETALL", k), (b"HLEN", k)]
            else:
                cmds += [(b"SMEMBERS", k), (b"SCARD", k)]
            keys.append(k)
    states, bad_counts = {}, {}
    for i in range(0, len(cmds), 1000):
        replies = conn.pipeline(cmds[i:i + 1000])
        for j in range(0, len(replies), 2):
            k = keys[(i + j) // 2]
            items, count = replies[j], replies[j + 1]
            if not isinstance(items, list) or not isinstance(count, int):
                bad_counts[k] = "replied %r / %r" % (items, count)
                states[k] = None
                continue
            if cmds[i + j][0] == b"HGETALL":
                state = dict(zip(items[::2], items[1::2]))
                n = len(items) // 2
                if len(items) % 2 or len(state) != n:
                    bad_counts[k] = "HGETALL returned a field twice or an odd number of items"
            else:
                state = frozenset(items)
                n = len(items)
                if len(state) != n:
                    bad_counts[k] = "SMEMBERS returned a member twice"
            if count != n:
                bad_counts[k] = "%s says %d but %d came back" % (
                    "HLEN" if cmds[i + j][0] == b"HGETALL" else "SCARD", count, n)
            states[k] = state or None
    return states, bad_counts


def verify_collections(writers, states, bad_counts, verdict):
    for wr in writers:
        before = sum(verdict.counts.values())
        touched = entries_by_key(wr)
        observed = {k: state_digest(states[k]) for k in wr.keys}
        skip = set()
        for k in wr.keys:
            if k in bad_counts:
                verdict.add("corrupt", "%s: %s" % (k.decode(), bad_counts[k]), wr, (k,))
                skip.add(k)
                continue
            if k in wr.is_hash and states[k]:
                bad = [f for f, v in states[k].items()
                       if (f in (b"ctr", b"bal") and not is_int(v)) or
                       (f not in (b"ctr", b"bal") and parse_value(k + b"/" + f, v) is None)]
                if bad:
                    verdict.add("corrupt", "%s: damaged value of field %s: %s" % (
                        k.decode(), show(bad[0]), show(states[k][bad[0]])), wr, (k,))
                    skip.add(k)
        for a, b in wr.pairs:
            common = elements(states[a]) & elements(states[b])
            if common and not {a, b} & skip:
                verdict.add("torn", "set pair %s/%s shares %s (SMOVE half applied?)" % (
                    a.decode(), b.decode(), ", ".join(show(m) for m in sorted(common)[:3])),
                    wr, (a, b))
                skip.update((a, b))
        for h, s in wr.transfers:
            if {h, s} & skip:
                continue
            bal = (states[h] or {}).get(b"bal", b"0")
            records = [m.split(b":") for m in states[s] or ()]
            if any(len(r) != 2 or not is_int(r[1]) for r in records):
                verdict.add("corrupt", "%s: a member that is no transfer record" % s.decode(),
                            wr, (s,))
                skip.update((h, s))
                continue
            amounts = [int(r[1]) for r in records]
            if not is_int(bal) or int(bal) != sum(amounts):
                verdict.add("torn", "transfer %s/%s: bal %s but the set's amounts sum to %d" % (
                    h.decode(), s.decode(), show(bal), sum(amounts)), wr, (h, s))
                skip.update((h, s))
        for k in wr.keys:
            if k in skip:
                continue
            allowed, acked_val, older = candidates(wr, touched, k)
            if observed[k] in allowed:
                continue
            o = states[k]
            base, replayed = wr.replay(k)
            i = bisect.bisect_left([j for j, _ in replayed], wr.acked)
            acked_state = replayed[i - 1][1] if i else base
            allowed_states = ([base] if i == 0 else []) + [s for _, s in replayed[max(i - 1, 0):]]
            older_states = ([base] if i else []) + [s for _, s in replayed[:max(i - 1, 0)]]
            what = "%s = %s; after its last acknowledged op: %s" % (
                k.decode(), show_state(o), show_state(acked_state))
            if o is None:
                verdict.add("lost", "acknowledged collection lost: " + what, wr, (k,))
                continue
            if any(o == s for s in older_states):
                verdict.add("lost", "acknowledged write lost (older state): " + what, wr, (k,))
                continue
            have = elements(o)
            must = set.intersection(*[elements(s) for s in allowed_states])
            may = set.union(*[elements(s) for s in allowed_states])
            missing = must - have
            extra = have - may
            if missing:
                verdict.add("lost", "acknowledged element(s) missing, e.g. %s: %s" % (
                    show(repr(sorted(missing)[0]).encode(), 60), what), wr, (k,))
            elif extra and any(extra & elements(s) for s in older_states):
                verdict.add("resurrected", "removed element(s) came back, e.g. %s: %s" % (
                    show(repr(sorted(extra)[0]).encode(), 60), what), wr, (k,))
            elif not extra:
                verdict.add("torn", "a mix of allowed states (a command half applied): "
                            + what, wr, (k,))
            else:
                verdict.add("phantom", "element(s) never written there, e.g. %s: %s" % (
                    show(repr(sorted(extra)[0]).encode(), 60), what), wr, (k,))
        if sum(verdict.counts.values()) == before:
            prefix_check(wr, touched, observed, verdict)


def damage_order(writers):
    """The writers in the fixed (seeded) order the negative checks try them in, each with its
    log's entries by key (entries_by_key)."""
    order = list(writers)
    random.Random(7).shuffle(order)
    for wr in order:
        yield wr, entries_by_key(wr)


def inject_collections(kind, writers, states, conn):
    """Damages one collection through the server, as a bug would; returns a description."""
    for wr, touched in damage_order(writers):
        for k in wr.hash_keys + wr.set_keys:
            allowed, acked_val, older = candidates(wr, touched, k)
            observed = state_digest(states[k])
            if kind == "loss" and allowed == [acked_val] and acked_val is not None \
                    and observed == acked_val:
                e = sorted(elements(states[k]))[0]
                if k in wr.is_hash:
                    conn.call("HDEL", k, e[0])
                else:
                    conn.call("SREM", k, e)
                return "removed acknowledged element %r of %s" % (e, k.decode())
            if kind == "resurrect" and allowed == [acked_val] and observed == acked_val:
                base, replayed = wr.replay(k)
                gone = set()
                for _, s in [(None, base)] + replayed[:-1]:
                    gone |= elements(s)
                gone -= elements(states[k])
                if k in wr.is_hash:  # a field that is not there now: not an overwrite
                    gone = {e for e in gone if e[0] not in (states[k] or {})}
                if gone:
                    e = sorted(gone)[0]
                    if k in wr.is_hash:
                        conn.call("HSET", k, e[0], e[1])
                    else:
                        conn.call("SADD", k, e)
                    return "re-added removed element %r of %s" % (e, k.decode())
            if kind == "corrupt" and k in wr.is_hash and states[k]:
                f = sorted(f for f in states[k] if f not in (b"ctr", b"bal"))[:1]
                if f:
                    v = states[k][f[0]]
                    conn.call("HSET", k, f[0], v[:-1] + bytes([v[-1] ^ 1]))
                    return "flipped one bit of %s field %s" % (k.decode(), f[0].decode())
        if kind == "torn":
            for h, s in wr.transfers:
                if states[h]:
                    conn.call("HINCRBY", h, "bal", "1")
                    return "changed the balance of transfer %s" % h.decode()
    return None

# ----------------------------------------------------------------------------- workloads

def make_writers(workload, n):
    """strings: every writer a Writer; collections: every writer a CollectionWriter; mixed: both
    kinds, each with pipelined and one-at-a-time connections."""
    out = []
    for w in range(n):
        collections = workload == "collections" or (workload == "mixed" and (w // 2) % 2 == 1)
        out.append((CollectionWriter if collections else Writer)(w, pipelined=(w % 2 == 0)))
    return out


def split(writers):
    return ([wr for wr in writers if not isinstance(wr, CollectionWriter)],
            [wr for wr in writers if isinstance(wr, CollectionWriter)])


def read_state(conn, writers):
    """({key: value, or a collection's state}, {collection key: why its counts disagree})."""
    strings, collections = split(writers)
    observed = read_all(conn, [k for wr in strings for k in wr.keys]) if strings else {}
    bad_counts = {}
    if collections:
        states, bad_counts = read_collections(conn, collections)
        observed.update(states)
    return observed, bad_counts


def verify_all(writers, observed, bad_counts, dbsize, verdict):
    strings, collections = split(writers)
    if strings:
        verify(strings, observed, None, verdict)
    if collections:
        verify_collections(collections, observed, bad_counts, verdict)
    check_dbsize(observed, dbsize, verdict)


def set_baselines(writers, observed):
    """After a cycle verifies, the observed state is the baseline of the next one."""
    for wr in writers:
        if isinstance(wr, CollectionWriter):
            wr.set_baseline(observed)
        else:
            wr.base = {k: observed[k] for k in wr.keys if observed[k] is not None}


def inject_any(kind, writers, observed, conn):
    strings, collections = split(writers)
    what = inject(kind, strings, observed, conn) if strings else None
    if what is None and collections:
        what = inject_collections(kind, collections, observed, conn)
    return what


# ----------------------------------------------------------------------------- negative checks

def inject(kind, writers, observed, conn):
    """Damages one key through the server, as a bug would; returns a description or None."""
    for wr, touched in damage_order(writers):
        if kind == "loss":
            for k in wr.slot_keys:
                allowed, acked_val, _ = candidates(wr, touched, k)
                if allowed == [acked_val] and acked_val is not None and observed[k] == acked_val:
                    conn.call("DEL", k)
                    return "deleted acknowledged key %s" % k.decode()
        elif kind == "resurrect":
            for k in wr.slot_keys:
                allowed, acked_val, older = candidates(wr, touched, k)
                if allowed == [None] and observed[k] is None and any(older):
                    old = [v for v in older if v is not None][-1]
                    conn.call("SET", k, old)
                    return "re-created deleted key %s with its old value" % k.decode()
        elif kind == "torn":
            for a, b in wr.pairs:
                if observed[a] is not None:
                    conn.call("INCRBY", a, "1")
                    return "changed one side of transfer pair %s" % a.decode()
        elif kind == "corrupt":
            for k in wr.slot_keys:
                allowed, acked_val, _ = candidates(wr, touched, k)
                v = observed[k]
                if allowed == [acked_val] and v is not None and v == acked_val:
                    conn.call("SET", k, v[:10] + bytes([v[10] ^ 1]) + v[11:])
                    return "flipped one bit of %s" % k.decode()
    return None


# ----------------------------------------------------------------------------- reporting

def dump_oplog(path, writers, cycle):
    with open(path, "w") as out:
        for wr in writers:
            out.write("# writer %d (%s), cycle %d: %d attempted, %d acknowledged, ended: %s\n"
                      % (wr.w, "pipelined" if wr.pipelined else "one at a time", cycle,
                         len(wr.ops), wr.acked, wr.error))
            for j, op in enumerate(wr.ops):
                out.write("w%d #%d %s %s\n" % (wr.w, j, "ACKED  " if j < wr.acked else "attempt",
                                                op.describe(limit=12)))


def excerpt(wr, key, observed, limit=12):
    if isinstance(wr, CollectionWriter):
        return wr.excerpt_key(key, observed, limit)
    lines = ["    %s: baseline %s, observed %s" % (key.decode(), show(wr.base.get(key)),
                                                   show(observed.get(key)))]
    touching = [j for j, op in enumerate(wr.ops) if any(k == key for k, _ in op.effects)]
    if len(touching) > limit:
        lines.append("    ... %d earlier ops on it" % (len(touching) - limit))
        touching = touching[-limit:]
    for j in touching:
        op = wr.ops[j]
        after = dict(op.effects)[key]
        lines.append("    w%d #%d %s %s -> %s" % (wr.w, j, "ACKED  " if j < wr.acked else "attempt",
                                                 op.describe(), show(after)))
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main

def snapshot_binary(path, work):
    """A private copy of the binary, so that a rebuild during a long run changes nothing."""
    copy = os.path.join(work, "stashd")
    for attempt in range(5):
        try:
            shutil.copy2(path, copy)
            subprocess.run([copy, "--version"], check=True, capture_output=True, timeout=10)
            return copy
        except (OSError, subprocess.SubprocessError) as e:
            error = e
            time.sleep(2)  # maybe being relinked right now
    raise HarnessError("cannot run %s: %s" % (path, error))


def main():
    ap = argparse.ArgumentParser(description="kill -9 crash loop (use scripts/crash-test.sh)")
    ap.add_argument("--binary", required=True)
    ap.add_argument("--cycles", type=int, default=10)
    ap.add_argument("--appendfsync", choices=("always", "everysec", "no"), default="everysec")
    ap.add_argument("--seed", default=None)
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--kill-min", type=float, default=0.2)
    ap.add_argument("--kill-max", type=float, default=3.0)
    ap.add_argument("--memtable-size", default="256kb",
                    help="small, so that flushes, log switches and compactions happen")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--workload", choices=("strings", "collections", "mixed"),
                    default="strings", help="strings: SET/INCR/MSET/transfers; collections: "
                    "hashes and sets (HSET HDEL HINCRBY SADD SREM SMOVE DEL, MULTI/EXEC across "
                    "types); mixed: half of the writers each")
    ap.add_argument("--kill-during-recovery", type=float, default=0.0, metavar="P",
                    help="probability per cycle of one more SIGKILL during the restart, within "
                    "1.5x the last recovery time, before the restart that is verified")
    ap.add_argument("--stashd-arg", action="append", default=[], metavar="ARG",
                    help="extra stashd argument (repeat: --stashd-arg=--io-threads "
                    "--stashd-arg=2)")
    ap.add_argument("--inject", choices=("loss", "resurrect", "torn", "corrupt"),
                    help=argparse.SUPPRESS)
    ap.add_argument("--inject-loss", dest="inject", action="store_const", const="loss",
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cycles < 1 or args.writers < 2:
        ap.error("need --cycles >= 1 and --writers >= 2")
    seed = args.seed if args.seed is not None else str(random.SystemRandom().randrange(10**9))

    prepared = prepare("crash-test", "stash-crash-", args.binary, args.appendfsync,
                       args.memtable_size, args.stashd_arg)
    if prepared is None:
        return 2
    work, server = prepared
    return run_guarded("crash-test", server, work, args.keep,
                       lambda keep: run(args, seed, server, work, keep))


def prepare(label, prefix, binary, appendfsync, memtable_size, stashd_args=()):
    """A crash loop's setup: SIGTERM ends the run (cleanly, through run_guarded), a work
    directory /tmp/<prefix>*, and a Server on a snapshot of binary with appendfsync, small
    memtables and SSTables (so that flushes, log switches and compactions happen) and
    stashd_args. None, after reporting a harness error, when the binary cannot be copied."""
    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)

    work = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    try:
        binary = snapshot_binary(binary, work)
    except HarnessError as e:
        print("%s: harness error: %s" % (label, e), flush=True)
        shutil.rmtree(work, ignore_errors=True)
        return None
    stashd_args = ["--appendfsync", appendfsync, "--lsm-memtable-size", memtable_size,
                   "--lsm-target-file-size", memtable_size, "--lsm-l1-size", "2mb",
                   "--lsm-block-size", "4kb"] + list(stashd_args)
    return work, Server(binary, os.path.join(work, "data"), os.path.join(work, "stashd.log"),
                        stashd_args)


def run_guarded(label, server, work, keep, body):
    """body(keep) -> (status, keep) for a crash loop: a ServerFailed is a violation (status 1),
    a HarnessError status 2, and either keeps the work directory; the server is killed and the
    work directory removed (unless kept) in any case. Returns the status."""
    status = 2
    try:
        status, keep = body(keep)
    except ServerFailed as e:
        print("%s: VIOLATION: %s" % (label, e), flush=True)
        keep = True
        status = 1
    except HarnessError as e:
        print("%s: harness error: %s" % (label, e), flush=True)
        keep = True
        status = 2
    finally:
        server.kill()
        if keep:
            print("%s: work directory kept: %s" % (label, work), flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return status


def run(args, seed, server, work, keep):
    print("crash-test: %d cycles, appendfsync %s, seed %s, %d writers (%d pipelined), binary %s%s"
          % (args.cycles, args.appendfsync, seed, args.writers, args.writers // 2, args.binary,
             "" if args.workload == "strings" else ", workload " + args.workload), flush=True)
    writers = make_writers(args.workload, args.writers)
    rng = random.Random("%s:kill" % seed)
    rec_rng = random.Random("%s:recovery" % seed)
    last_recovery = 0.05
    total_acked = 0
    totals = {c: 0 for c in Verdict.CATEGORIES}
    injected = False
    server.start()
    t_start = time.monotonic()
    for cycle in range(1, args.cycles + 1):
        t_cycle = time.monotonic()
        stop = threading.Event()
        for wr in writers:
            wr.begin_cycle(cycle, seed)
        threads = [threading.Thread(target=wr.run, args=(server.port, stop), daemon=True)
                   for wr in writers]
        kill_at = rng.uniform(args.kill_min, args.kill_max)
        t0 = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(max(0.0, kill_at - (time.monotonic() - t0)))
        server.kill()
        killed_at = time.monotonic() - t0
        stop.set()
        verdict = Verdict()
        for wr, t in zip(writers, threads):
            t.join(timeout=30)
            if t.is_alive():
                verdict.add("hang", "writer %d still running 30 s after the kill" % wr.w, wr)
            elif wr.bad_reply:
                verdict.add("bad-reply", wr.bad_reply, wr)
            elif wr.error and wr.error.startswith("internal"):
                raise HarnessError("writer %d: %s" % (wr.w, wr.error))
        acked = sum(wr.acked for wr in writers)
        attempted = sum(len(wr.ops) for wr in writers)
        extra_kill = ""
        if rec_rng.random() < args.kill_during_recovery:
            delay = rec_rng.uniform(0.0, 1.5 * last_recovery)
            ready = server.start_and_kill(delay)
            extra_kill = ", killed again %d ms into the restart (%s)" % (
                delay * 1000, "after it was ready" if ready else "before it was ready")
        try:
            recovery = server.start()
        except ServerFailed as e:
            verdict.add("restart", "cycle %d: %s" % (cycle, e))
            print("cycle %d/%d: %d ops acknowledged (%d attempted), killed at %.2f s%s: "
                  "RESTART FAILED" % (cycle, args.cycles, acked, attempted, killed_at, extra_kill))
            report(verdict, writers, {}, cycle, seed, work)
            totals["restart"] += 1
            final_line(cycle, total_acked + acked, totals)
            return 1, True
        last_recovery = recovery
        info = server.info("persistence")
        conn = Conn(server.port)
        try:
            note = ""
            if args.inject and not injected:
                before, _ = read_state(conn, writers)
                what = inject_any(args.inject, writers, before, conn)
                if what:
                    injected = True
                    note = " [inject-%s: %s]" % (args.inject, what)
            observed, bad_counts = read_state(conn, writers)
            dbsize = conn.call("DBSIZE")
        finally:
            conn.close()
        if not verdict.counts["hang"]:
            verify_all(writers, observed, bad_counts, dbsize, verdict)
        survived = sum(wr.recovered_prefix - wr.acked for wr in writers
                       if wr.recovered_prefix is not None)
        total_acked += acked
        for c, n in verdict.counts.items():
            totals[c] += n
        print("cycle %d/%d: %d ops acknowledged (%d attempted, %d unacknowledged survived), "
              "killed at %.2f s%s, restart %.2f s (recovered %s batches, torn tail %s B), "
              "cycle %.1f s: %s%s"
              % (cycle, args.cycles, acked, attempted, survived, killed_at, extra_kill, recovery,
                 info.get("stashd_recovered_batches", "?"),
                 info.get("stashd_torn_tail_dropped_bytes", "?"), time.monotonic() - t_cycle,
                 "ok" if not verdict else "VIOLATIONS " + ", ".join(
                     "%d %s" % (n, c) for c, n in verdict.counts.items() if n), note),
              flush=True)
        if verdict:
            report(verdict, writers, observed, cycle, seed, work)
            final_line(cycle, total_acked, totals)
            return 1, (keep or args.inject is None)
        set_baselines(writers, observed)
    # A clean stop must keep everything too.
    code = server.stop()
    try:
        recovery = server.start()
    except ServerFailed as e:
        print("clean stop (exit %s) and restart: RESTART FAILED: %s" % (code, e))
        totals["restart"] += 1
        final_line(args.cycles, total_acked, totals)
        return 1, True
    conn = Conn(server.port)
    try:
        observed, bad_counts = read_state(conn, writers)
        dbsize = conn.call("DBSIZE")
    finally:
        conn.close()
    verdict = Verdict()
    for wr in writers:
        wr.ops, wr.acked = [], 0
    verify_all(writers, observed, bad_counts, dbsize, verdict)
    if code != 0:
        verdict.add("clean-stop", "SIGTERM: stashd exit code %s" % code)
    print("clean stop (exit %s) and restart %.2f s: %s" % (
        code, recovery, "ok" if not verdict else "VIOLATIONS " + ", ".join(
            "%d %s" % (n, c) for c, n in verdict.counts.items() if n)), flush=True)
    for c, n in verdict.counts.items():
        totals[c] += n
    code = server.stop()
    if code != 0:
        verdict.add("clean-stop", "final SIGTERM: stashd exit code %s" % code)
    if verdict:
        report(verdict, writers, observed, args.cycles, seed, work)
    print("elapsed %.1f s" % (time.monotonic() - t_start), flush=True)
    final_line(args.cycles, total_acked, totals)
    return (1, True) if verdict else (0, keep)


def final_line(cycles, acked, totals):
    other = {c: n for c, n in totals.items() if n and c not in ("lost", "resurrected", "torn")}
    if other:
        print("other violations: " + ", ".join("%d %s" % (n, c) for c, n in other.items()))
    print("%d cycles, %d acknowledged ops, %d lost, %d resurrected, %d torn transactions"
          % (cycles, acked, totals["lost"], totals["resurrected"], totals["torn"]), flush=True)


def report(verdict, writers, observed, cycle, seed, work):
    path = os.path.join(work, "oplog-cycle-%d.txt" % cycle)
    dump_oplog(path, writers, cycle)
    print("violations in cycle %d (seed %s); full operation log: %s" % (cycle, seed, path))
    for n, (category, text, wr, keys) in enumerate(verdict.details):
        if n == 20:
            print("... %d more" % (len(verdict.details) - n))
            break
        print("  [%s] %s" % (category, text))
        if wr is not None:
            print("    writer %d (%s): %d attempted, %d acknowledged, ended: %s" % (
                wr.w, "pipelined" if wr.pipelined else "one at a time", len(wr.ops), wr.acked,
                wr.error))
            for k in keys[:3]:
                print(excerpt(wr, k, observed))
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
