"""Helpers of pubsub_test and tracking_test: the exact frames their scripts expect; a scripted
raw-socket session whose transcript (every connection's frames after every step) is compared
between two servers; and an event loop (pump) that drives many non-blocking connections at once,
checking each one's incoming byte stream as it arrives.

Script: each step sends one command on one named connection, then a PING with a unique argument
(the sentinel) on every open connection, and reads each connection's frames up to the sentinel's
reply. PUBLISH has queued its messages before it replies, and a connection answers its PING after
what was queued before it, so a step's messages are in that step's frames, without sleeps. The
sentinel's reply is part of the transcript: it is '$N sentinel-k' outside subscribed mode and in
RESP3, and '*2 pong sentinel-k' in RESP2 subscribed mode. Session holds a script's connections;
ScriptRun runs the steps of step() below, tracking_test has steps of its own."""
import selectors
import socket
import time

from differential import read_raw, typed
from stashd import encode_command, read_reply


# --- exact frames ----------------------------------------------------------------------------

def b(x):
    return x if isinstance(x, bytes) else str(x).encode()


def bulk(x, proto=2):
    if x is None:
        return b"_\r\n" if proto == 3 else b"$-1\r\n"
    x = b(x)
    return b"$%d\r\n%s\r\n" % (len(x), x)


def arr(*items, proto=2):
    """An array of bulk strings (None: a null) and integers."""
    return b"*%d\r\n" % len(items) + b"".join(
        b":%d\r\n" % i if isinstance(i, int) else bulk(i, proto) for i in items)


def err(text):
    return b"-%s\r\n" % text.encode()


def arity(cmd):
    return err("ERR wrong number of arguments for '%s' command" % cmd)


def resp2_and_resp3(script):
    """Marks a method script(self, P) of a class decorated with protocol_tests to run as two
    tests: P = 2 and P = 3."""
    script.protocols = (2, 3)
    return script


def protocol_tests(cls):
    """Adds test_<name>_resp<P> to cls for each method <name> marked with resp2_and_resp3: the
    method run with P."""
    for name, script in list(vars(cls).items()):
        for proto in getattr(script, "protocols", ()):
            def test(self, script=script, proto=proto):
                script(self, proto)
            test.__name__ = "test_%s_resp%d" % (name, proto)
            test.__doc__ = script.__doc__
            setattr(cls, test.__name__, test)
    return cls


# --- scripts ---------------------------------------------------------------------------------

def step(conn, *args, **opts):
    """One script step: args sent on connection conn. opts:
    expect: the exact bytes of the command's reply frames on conn (sentinel excluded), checked on
        both servers;
    unordered: the step's frames are compared as a multiset; subscribe-type confirmations
        ('unsubscribe' name count) as the multiset of names plus the sequence of counts (an
        UNSUBSCRIBE of every channel walks a hash table);
    sort: the elements of array replies on conn are compared sorted (PUBSUB CHANNELS);
    eof: the command closes the connection (QUIT): everything up to EOF is its reply;
    expect_on: {other connection: the exact bytes of its frames in this step, sentinel excluded};
    compare: False leaves conn's frames out of the comparison (HELLO shows server and version)."""
    return (conn, args, opts)


def sentinel_replies(token):
    return (b"$%d\r\n%s\r\n" % (len(token), token),
            b"*2\r\n$4\r\npong\r\n$%d\r\n%s\r\n" % (len(token), token))


class Session:
    """The connections of one script on one server (conns: name -> protocol 2 or 3), with each
    one's protocol (proto) and client id (ids). A subclass runs the steps: run_step(step) ->
    {connection: frames}."""

    def __init__(self, port, conns):
        self.port = port
        self.conns = {}
        self.proto = {}
        self.ids = {}
        self.count = 0
        try:
            for name, proto in conns.items():
                self.open(name, proto)
        except Exception:
            self.close()
            raise

    def open(self, name, proto):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        f = sock.makefile("rb")
        self.conns[name] = (sock, f)
        self.proto[name] = proto
        if proto == 3:
            sock.sendall(encode_command("HELLO", "3"))
            hello = read_reply(f)
            assert isinstance(hello, dict) and hello.get(b"proto") == 3, hello
        sock.sendall(encode_command("CLIENT", "ID"))
        self.ids[name] = read_reply(f)
        assert isinstance(self.ids[name], int), self.ids[name]

    def close(self):
        for sock, f in self.conns.values():
            f.close()
            sock.close()
        self.conns = {}

    def token(self):
        self.count += 1
        return b"sentinel-%d" % self.count

    def read_frame(self, name, so_far):
        """The next frame on connection name (so_far: the step's frames before it, for the
        failure message)."""
        try:
            return read_raw(self.conns[name][1])
        except (ConnectionError, OSError) as e:
            raise AssertionError("connection %s: %s after %r" % (name, e, so_far))

    def read_to_sentinel(self, name, token):
        """The frames on connection name up to the reply of the sentinel PING token, which is
        the last."""
        ends = sentinel_replies(token)
        frames = []
        while True:
            frames.append(self.read_frame(name, frames))
            if frames[-1] in ends:
                return frames

    def ping(self, name, token=None):
        """Sends a sentinel PING on connection name and returns its frames up to the reply."""
        token = token or self.token()
        self.conns[name][0].sendall(encode_command("PING", token))
        return self.read_to_sentinel(name, token)

    def ping_others(self, conn, out):
        """Adds to out the frames of every open connection but conn, up to a sentinel."""
        for other in self.conns:
            if other != conn:
                out[other] = self.ping(other)

    def read_to_eof(self, name):
        """What is left on connection name up to EOF, and '<EOF>'; the connection is gone."""
        sock, f = self.conns.pop(name)
        data = b""
        while True:
            chunk = f.read1(65536)
            if not chunk:
                break
            data += chunk
        f.close()
        sock.close()
        return data + b"<EOF>"


class ScriptRun(Session):
    """Runs the steps of step(): the command and the sentinel PING in one write."""

    def run_step(self, s):
        """{connection: frames} of one step."""
        conn, args, opts = s
        out = {}
        sock = self.conns[conn][0]
        if opts.get("eof"):
            sock.sendall(encode_command(*args))
            out[conn] = [self.read_to_eof(conn)]
        else:
            token = self.token()
            sock.sendall(encode_command(*args) + encode_command("PING", token))
            out[conn] = self.read_to_sentinel(conn, token)
        self.ping_others(conn, out)
        return out


def run_script(port, conns, steps, session=ScriptRun):
    """The transcript of steps on a server and the connections' client ids: ({connection:
    frames} per step, {connection: id}). session: the Session class that runs the steps."""
    run = session(port, conns)
    try:
        return [run.run_step(s) for s in steps], dict(run.ids)
    finally:
        run.close()


def _confirmation(frame):
    """('unsubscribe', name, count) for a subscribe-type confirmation, else None."""
    try:
        t, items = typed(frame)
    except ValueError:
        return None
    if t in "*>" and isinstance(items, list) and len(items) == 3 and items[2][0] == ":" \
            and items[0][0] == "$" and items[0][1] and items[0][1].endswith(b"subscribe"):
        return items[0][1], items[1], items[2][1]
    return None


def normalise(frames, opts, stepping):
    if opts.get("unordered"):
        names, counts, rest = [], [], []
        for frame in frames:
            c = _confirmation(frame)
            if c:
                names.append(repr(c[:2]))
                counts.append(c[2])
            else:
                rest.append(frame)
        return ("unordered", sorted(names), counts, sorted(rest))
    if opts.get("sort") and stepping:
        out = []
        for frame in frames:
            t, items = typed(frame)
            if t == "*" and isinstance(items, list):
                out.append(("sorted", sorted(repr(i) for i in items)))
            else:
                out.append(frame)
        return out
    return frames


def compare_transcripts(test, steps, ref, dut, ref_name="redis", dut_name="server under test"):
    """Fails test at the first step whose frames differ, or whose expect does not hold (ref and
    dut: run_script's results)."""
    (ref, _), (dut, _) = ref, dut
    for i, (s, r, d) in enumerate(zip(steps, ref, dut)):
        conn, args, opts = s
        where = "step %d (%s: %s)" % (i, conn, b" ".join(b(a) for a in args))
        if "expect" in opts:
            for name, transcript in ((ref_name, r), (dut_name, d)):
                got = b"".join(transcript[conn][:-1] if not opts.get("eof") else transcript[conn])
                test.assertEqual(got, opts["expect"], "%s on %s" % (where, name))
        for other, expected in opts.get("expect_on", {}).items():
            for name, transcript in ((ref_name, r), (dut_name, d)):
                got = b"".join(transcript[other][:-1])
                test.assertEqual(got, expected, "%s on %s, frames on connection %s" % (
                    where, name, other))
        test.assertEqual(sorted(r), sorted(d), where + ": different connections")
        for name in r:
            if name == conn and opts.get("compare") is False:
                continue
            a = normalise(r[name], opts, name == conn)
            z = normalise(d[name], opts, name == conn)
            test.assertEqual(a, z, "%s, frames on connection %s:\n%s: %r\n%s: %r" % (
                where, name, ref_name, r[name], dut_name, d[name]))


# --- pump: many non-blocking connections at once ---------------------------------------------

class Peer:
    """One connection in pump(). out: bytes to send (as flow control allows); expect: the exact
    bytes it must receive (checked chunk by chunk, without keeping them), or expect_len: how
    many bytes to collect into self.buf."""

    def __init__(self, sock, name, out=b"", expect=None, expect_len=None):
        sock.setblocking(False)
        self.sock, self.name = sock, name
        self.out = memoryview(out)
        self.sent = 0
        self.expect = expect
        self.expect_len = len(expect) if expect is not None else expect_len
        self.buf = None if expect is not None else bytearray()
        self.got = 0
        self.eof = False

    def feed(self, chunk):
        if self.expect is not None:
            if not self.expect.startswith(chunk, self.got):
                n = len(chunk)
                ref = self.expect[self.got:self.got + n]
                pos = next((k for k in range(min(n, len(ref))) if ref[k] != chunk[k]),
                           min(n, len(ref)))
                at = self.got + pos
                raise AssertionError(
                    "%s: byte %d of %d differs: expected %r, got %r" % (
                        self.name, at, len(self.expect), self.expect[max(0, at - 60):at + 60],
                        bytes(chunk[max(0, pos - 60):pos + 60])))
        else:
            self.buf += chunk
        self.got += len(chunk)
        if self.got > self.expect_len:
            raise AssertionError("%s: %d bytes received, more than the %d expected" % (
                self.name, self.got, self.expect_len))

    def done(self):
        return self.got == self.expect_len and self.sent == len(self.out)


def pump(peers, timeout, send_limit=None):
    """Runs every peer until each has sent its out and received its expect_len bytes.
    send_limit(peer) -> the number of out bytes it may have sent by now (flow control);
    re-evaluated whenever a writer is held back, at most every 10 ms."""
    sel = selectors.DefaultSelector()
    writers = [p for p in peers if len(p.out)]
    for p in peers:
        sel.register(p.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if len(p.out) else 0),
                     p)
    want_write = {id(p): bool(len(p.out)) for p in peers}
    pending = set(id(p) for p in peers if not p.done())
    limits = {id(p): len(p.out) for p in writers}
    deadline = time.monotonic() + timeout
    last_limit = 0.0
    try:
        while pending:
            now = time.monotonic()
            if now > deadline:
                stuck = "; ".join(
                    "%s got %d/%d sent %d/%d" % (p.name, p.got, p.expect_len, p.sent, len(p.out))
                    for p in peers if id(p) in pending)
                raise AssertionError("pump: timed out after %ss; not done: %s" % (
                    timeout, stuck[:3000]))
            if send_limit and now - last_limit > 0.01:
                last_limit = now
                for p in writers:
                    limits[id(p)] = min(len(p.out), send_limit(p))
                    w = p.sent < limits[id(p)]
                    if w != want_write[id(p)]:
                        want_write[id(p)] = w
                        sel.modify(p.sock, selectors.EVENT_READ |
                                   (selectors.EVENT_WRITE if w else 0), p)
            for key, events in sel.select(0.01 if send_limit else 0.5):
                p = key.data
                if events & selectors.EVENT_READ and not p.eof:
                    try:
                        chunk = p.sock.recv(1 << 18)
                    except (BlockingIOError, InterruptedError):
                        chunk = None
                    except ConnectionResetError:
                        chunk = b""
                    if chunk == b"":
                        p.eof = True
                        if not p.done():
                            raise AssertionError("%s: connection closed after %d of %d bytes" % (
                                p.name, p.got, p.expect_len))
                    elif chunk:
                        p.feed(chunk)
                if events & selectors.EVENT_WRITE:
                    end = limits[id(p)]
                    if p.sent < end:
                        try:
                            p.sent += p.sock.send(p.out[p.sent:min(end, p.sent + (1 << 20))])
                        except (BlockingIOError, InterruptedError):
                            pass
                    if p.sent >= end:
                        want_write[id(p)] = False
                        sel.modify(p.sock, selectors.EVENT_READ, p)
                if p.done():
                    pending.discard(id(p))
                    if p.eof:
                        sel.unregister(p.sock)
    finally:
        sel.close()
        for p in peers:
            if p.sock.fileno() >= 0:
                p.sock.setblocking(True)
