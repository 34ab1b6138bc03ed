"""Client-side caching (Redis 7.0 tracking.c): CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...]
[BCAST] [OPTIN] [OPTOUT] [NOLOOP], CLIENT CACHING YES|NO, CLIENT GETREDIR, CLIENT TRACKINGINFO,
and the invalidation messages: RESP3 pushes ('>2 invalidate *1 key', one per key; in BCAST mode
one per prefix and event-loop round with the keys sorted), or, with REDIRECT to a RESP2
connection subscribed to __redis__:invalidate, Pub/Sub messages on that channel; a flush sends a
null instead of the keys; a redirect to a connection that has gone is reported to a RESP3 client
as '>2 tracking-redir-broken id'.

Differential scripts: the same steps on raw RESP2/RESP3 connections of the server under test and
of a stock redis-server (started by the test), every connection's bytes compared after every
step (pubsub_util.Session): a step sends its commands one by one on one connection, reading each
command's reply (with the pushes before it), then a PING with a unique argument (the sentinel) on
every open connection, reading each one's frames up to the sentinel's reply. Other clients'
invalidations are queued before the writing command's reply, the writer's own just after it
(BCAST ones before the server reads again), so a step's messages are in that step's frames,
without sleeps. Client ids differ between the servers: a command argument ID("r") is connection
r's id on each server (CLIENT ID, asked when r opens), and steps with ids=True compare integers
equal to a connection's id as '<id:r>'. Key cases are spelled out as exact bytes (expect,
expect_on), checked on both servers. test_redis_quirks and test_flush_null_follows_tracking_
client_protocol pin Redis details an implementation could reasonably do otherwise.

Every expectation is checked against Redis 7.0 with DATA_TARGET=redis (then both servers of the
differential tests are Redis). redis-py 4.3 (python3-redis) has the CLIENT TRACKING commands but
no client-side cache and no RESP3: it is used once, with REDIRECT to a PubSub connection.
dump(port, conns, steps) prints a script's transcript (to look at what Redis sends)."""
import re
import time

from differential import Conn, ServerAndRedisTestCase, typed
from pubsub_util import Session, arity, arr, b, bulk, err, protocol_tests, resp2_and_resp3, \
    run_script
from stashd import encode_command


# --- exact frames ----------------------------------------------------------------------------

def inv(*keys):
    """The RESP3 invalidation push of keys (one key outside BCAST)."""
    return b">2\r\n$10\r\ninvalidate\r\n" + arr(*keys)


# A flush: the keys are a null (RESP3 '_').
INV_ALL = b">2\r\n$10\r\ninvalidate\r\n_\r\n"


def inv_msg(*keys):
    """The RESP2 Pub/Sub message on __redis__:invalidate of a redirected invalidation."""
    return b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n" + arr(*keys)


def inv_msg_all(null=b"$-1\r\n"):
    return b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n" + null


def broken(name):
    """'>2 tracking-redir-broken <id of name>' (an ids=True step shows ids as '<id:name>')."""
    return b">2\r\n$21\r\ntracking-redir-broken\r\n:<id:%s>\r\n" % b(name)


OK = b"+OK\r\n"
QUEUED = b"+QUEUED\r\n"
SYNTAX = err("ERR syntax error")
NO_REDIRECT_TARGET = err("ERR The client ID you want redirect to does not exist")
PREFIX_NEEDS_BCAST = err("ERR PREFIX option requires BCAST mode to be enabled")
OPTIN_OPTOUT = err("ERR You can't specify both OPTIN mode and OPTOUT mode")
BCAST_OPT = err("ERR OPTIN and OPTOUT are not compatible with BCAST")
BCAST_SWITCH = err("ERR You can't switch BCAST mode on/off before disabling tracking for this "
                   "client, and then re-enabling it with a different mode.")
OPT_SWITCH = err("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this "
                 "client, and then re-enabling it with a different mode.")
CACHING_NOT_TRACKING = err("ERR CLIENT CACHING can be called only when the client is in tracking "
                           "mode with OPTIN or OPTOUT mode enabled")
CACHING_YES = err("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
CACHING_NO = err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
ONE_REDIRECT = err("ERR A client can only redirect to a single other client")
NOT_INTEGER = err("ERR value is not an integer or out of range")


def overlap_existing(new, old):
    return err("ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single "
               "client must not overlap." % (new, old))


def overlap_given(first, second):
    return err("ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a "
               "single client must not overlap." % (first, second))


def trackinginfo(flags, redirect, prefixes=(), proto=2):
    """CLIENT TRACKINGINFO: a map (RESP3) or flat array of flags (a set in RESP3), redirect (an
    int, or '<id:name>' for a connection's id in an ids=True step) and prefixes (sorted)."""
    if isinstance(redirect, int):
        red = b":%d\r\n" % redirect
    else:
        red = b":<id:%s>\r\n" % b(redirect)
    flags_frame = (b"~%d\r\n" if proto == 3 else b"*%d\r\n") % len(flags) + b"".join(
        bulk(f) for f in flags)
    return ((b"%3\r\n" if proto == 3 else b"*6\r\n") + bulk("flags") + flags_frame +
            bulk("redirect") + red + bulk("prefixes") + arr(*prefixes))


# --- scripts ---------------------------------------------------------------------------------

class ID:
    """A command argument: the client id of connection name on the server the script runs on."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "ID(%s)" % self.name


def step(conn, *args, **opts):
    """One script step on connection conn: args is one command, or, when its first element is a
    list or tuple, several commands, each sent once the previous one has replied (for what must
    not be separated by the sentinel: CLIENT CACHING and the read it applies to, MULTI ... EXEC).
    opts:
    expect: the exact bytes of conn's frames (sentinel excluded), checked on both servers;
    expect_on: {other connection: the exact bytes of its frames in this step};
    ids: integers equal to a connection's client id are compared as ':<id:name>' (in expect too);
    client_list: conn's CLIENT LIST reply is compared as the flags= and redir= fields of each
        connection of the script;
    unordered: every connection's frames (sentinel excluded) are compared sorted;
    eof: the command closes the connection (QUIT): everything up to EOF is its reply;
    closes: the command closes that other connection (CLIENT KILL): its frames in this step are
        everything up to EOF;
    compare: False leaves conn's frames out of the comparison."""
    if args and isinstance(args[0], (list, tuple)):
        cmds = [list(c) for c in args]
    else:
        cmds = [list(args)]
    return ("cmd", conn, cmds, opts)


def wait_frames(conn, n, timeout=3, **opts):
    """A step without a command: PINGs conn (each PING read to its reply) until n frames other
    than PING replies have come, or timeout; its frames are those n (for active expiry; with
    unordered=True compared sorted: the expiry cycle meets keys in no set order)."""
    return ("wait", conn, n, dict(opts, timeout=timeout))


def pause(seconds):
    """A step that only sleeps (a key's TTL runs out); no frames."""
    return ("pause", None, seconds, {})


def is_push(frame):
    return frame.startswith(b">")


class TrackingRun(Session):
    """Runs the steps of step(), wait_frames() and pause(); an ID argument is sent as that
    connection's client id."""

    def arg(self, a):
        return b"%d" % self.ids[a.name] if isinstance(a, ID) else a

    def run_step(self, s):
        """{connection: frames} of one step."""
        kind, conn, what, opts = s
        out = {}
        if kind == "pause":
            time.sleep(what)
            return out
        sock = self.conns[conn][0]
        if kind == "wait":
            frames = []
            polls = 0
            deadline = time.monotonic() + opts["timeout"]
            while len(frames) < what and time.monotonic() < deadline:
                # its own tokens: how many polls it takes may differ between the servers
                polls += 1
                got = self.ping(conn, b"poll-%d" % polls)[:-1]
                frames += got
                if not got:
                    time.sleep(0.01)
            out[conn] = frames + [b"<sentinel>"]
        elif opts.get("eof"):
            assert len(what) == 1
            sock.sendall(encode_command(*[self.arg(a) for a in what[0]]))
            out[conn] = [self.read_to_eof(conn)]
        else:
            frames = []
            for cmd in what:
                sock.sendall(encode_command(*[self.arg(a) for a in cmd]))
                # The reply is the first frame that is no push (a RESP2 connection has no push
                # frames outside subscribed mode, where its messages come between commands).
                while True:
                    frames.append(self.read_frame(conn, frames))
                    if not is_push(frames[-1]) or self.proto[conn] == 2:
                        break
            out[conn] = frames + self.ping(conn)
        if opts.get("closes"):
            out[opts["closes"]] = [self.read_to_eof(opts["closes"])]
        self.ping_others(conn, out)
        return out


_INT = re.compile(rb"(?:(?<=\r\n)|^):(\d+)\r\n")


def with_ids(frame, ids):
    """frame with every integer element equal to a connection's id written ':<id:name>'."""
    names = {i: n for n, i in ids.items()}

    def repl(m):
        name = names.get(int(m.group(1)))
        return b":<id:%s>\r\n" % name.encode() if name else m.group(0)
    return _INT.sub(repl, frame)


def client_list_flags(frame, ids):
    """A CLIENT LIST reply as ((name, flags, redir), ...) of the script's connections (redir as
    '<id:name>' when it is a connection's id)."""
    t, text = typed(frame)
    if t not in "$=":
        return frame
    if t == "=":
        text = text[4:]  # 'txt:'
    names = {i: n for n, i in ids.items()}
    out = []
    for line in text.decode().splitlines():
        fields = dict(kv.split("=", 1) for kv in line.split(" ") if "=" in kv)
        if int(fields.get("id", -1)) in names:
            redir = fields.get("redir")
            if redir and redir.lstrip("-").isdigit() and int(redir) in names:
                redir = "<id:%s>" % names[int(redir)]
            out.append((names[int(fields["id"])], fields.get("flags"), redir))
    return ("client list", tuple(sorted(out)))


def normalise(frames, opts, name, conn, ids):
    if opts.get("unordered"):
        frames = sorted(frames[:-1]) + frames[-1:]
    out = []
    for frame in frames:
        if opts.get("ids"):
            frame = with_ids(frame, ids)
        if opts.get("client_list") and name == conn and frame.startswith((b"$", b"=")):
            frame = client_list_flags(frame, ids)
        out.append(frame)
    return out


def step_name(s):
    kind, conn, what, opts = s
    if kind == "wait":
        return "%s: wait for %d frames" % (conn, what)
    if kind == "pause":
        return "pause %ss" % what
    return "%s: %s" % (conn, " | ".join(" ".join(
        repr(a) if isinstance(a, ID) else b(a).decode(errors="replace") for a in cmd)
        for cmd in what))


def compare_transcripts(test, steps, ref, dut, ref_name="redis", dut_name="server under test"):
    """Fails test at the first step whose frames differ, or whose expect does not hold."""
    (ref, ref_ids), (dut, dut_ids) = ref, dut
    for i, (s, r, d) in enumerate(zip(steps, ref, dut)):
        kind, conn, what, opts = s
        where = "step %d (%s)" % (i, step_name(s))
        for name, transcript, ids in ((ref_name, r, ref_ids), (dut_name, d, dut_ids)):
            checks = dict(opts.get("expect_on", {}))
            if "expect" in opts:
                checks[conn] = opts["expect"]
            for c, expected in checks.items():
                frames = normalise(transcript[c], opts, c, conn, ids)
                whole = (opts.get("eof") and c == conn) or c == opts.get("closes")
                got = b"".join(frames if whole else frames[:-1])
                test.assertEqual(got, expected, "%s on %s, frames on connection %s" % (
                    where, name, c))
        test.assertEqual(sorted(r), sorted(d), where + ": different connections")
        for name in r:
            if name == conn and opts.get("compare") is False:
                continue
            a = normalise(r[name], opts, name, conn, ref_ids)
            z = normalise(d[name], opts, name, conn, dut_ids)
            test.assertEqual(a, z, "%s, frames on connection %s:\n%s: %r\n%s: %r" % (
                where, name, ref_name, r[name], dut_name, d[name]))


def dump(port, conns, steps):
    """Prints a script's transcript on the server at port (to look at Redis' frames)."""
    transcript, ids = run_script(port, conns, steps, TrackingRun)
    print("ids", ids)
    for s, out in zip(steps, transcript):
        print(step_name(s))
        for name, frames in out.items():
            print("   %s: %r" % (name, frames[:-1]))


# --- differential scripts --------------------------------------------------------------------

def reads(*keys):
    """GET of each key (one command each)."""
    return [["GET", k] for k in keys]


@protocol_tests
class TrackingDifferentialTest(ServerAndRedisTestCase):
    """Scripts run on the server under test and on a stock Redis, byte streams compared."""

    def diff(self, conns, steps, setup=()):
        """Runs steps on both servers after FLUSHALL and the setup commands (on a connection
        without tracking), and compares the transcripts."""
        for server in (self.ref, self.server):
            c = Conn(server.port)
            try:
                for cmd in [["FLUSHALL"]] + [list(x) for x in setup]:
                    reply = c.call(*cmd)
                    self.assertFalse(isinstance(reply, tuple) and reply[0] == "error",
                                     "setup %r: %r" % (cmd, reply))
            finally:
                c.close()
        ref = run_script(self.ref.port, conns, steps, TrackingRun)
        dut = run_script(self.server.port, conns, steps, TrackingRun)
        compare_transcripts(self, steps, ref, dut)

    # default mode: the keys a client read

    def test_default_mode_resp3(self):
        """RESP3 client a reads strings, a hash, a set, several keys with MGET; b writes them:
        a gets one '>2 invalidate [key]' per key (one-shot), before b's reply; writes that
        change nothing send nothing; c (RESP3, tracking, read only k1) gets its own."""
        key = b"bin\x00\r\nkey"
        setup = [["MSET", "k1", "v1", "k2", "v2", "k3", "v3", "n", "1", key, "x"],
                 ["HSET", "h", "f", "1"], ["SADD", "s", "a"], ["SET", "t", "v", "EX", "100"]]
        self.diff({"a": 3, "b": 2, "c": 3, "p": 3}, [
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("c", "CLIENT", "TRACKING", "ON", expect=OK),
            step("a", ["GET", "k1"], ["HGET", "h", "f"], ["SISMEMBER", "s", "a"],
                 ["MGET", "k2", "k3", "missing"], ["GET", key], ["GET", "t"], ["GET", "n"],
                 ["GET", "k1"]),  # a second read: still one invalidation
            step("c", "GET", "k1", expect=bulk("v1")),
            step("p", "GET", "k1", expect=bulk("v1")),  # p does not track
            step("b", "SET", "k1", "x", expect=OK,
                 expect_on={"a": inv("k1"), "c": inv("k1"), "p": b""}),
            step("b", "SET", "k1", "y", expect=OK, expect_on={"a": b"", "c": b""}),  # one-shot
            step("b", "HSET", "h", "f", "1", expect=b":0\r\n", expect_on={"a": inv("h")}),
            step("b", "SADD", "s", "a", expect=b":0\r\n", expect_on={"a": b""}),  # no change
            step("b", "SADD", "s", "b", expect=b":1\r\n", expect_on={"a": inv("s")}),
            step("b", "MSET", "k3", "1", "k2", "2", "missing", "3", expect=OK,
                 expect_on={"a": inv("k3") + inv("k2") + inv("missing")}),
            step("b", "APPEND", key, "y", expect=b":2\r\n", expect_on={"a": inv(key)}),
            step("b", "PERSIST", "t", expect=b":1\r\n", expect_on={"a": inv("t")}),
            step("b", "INCR", "n", expect=b":2\r\n", expect_on={"a": inv("n")}),
            # read again, write with other commands
            step("a", "GET", "k1"), step("a", "HGET", "h", "f"), step("a", "SISMEMBER", "s", "a"),
            step("a", "MGET", "k2", "k3", "n", "t"),
            step("b", "EXPIRE", "k1", "100", expect=b":1\r\n", expect_on={"a": inv("k1")}),
            step("b", "HDEL", "h", "nope", expect=b":0\r\n", expect_on={"a": b""}),
            step("b", "HDEL", "h", "f", expect=b":1\r\n", expect_on={"a": inv("h")}),
            step("b", "SREM", "s", "nope", expect=b":0\r\n", expect_on={"a": b""}),
            step("b", "SREM", "s", "a", expect=b":1\r\n", expect_on={"a": inv("s")}),
            step("b", "DEL", "k2", "nope", "k3", expect=b":2\r\n",
                 expect_on={"a": inv("k2") + inv("k3")}),
            step("b", "SET", "n", "5", "NX", expect=b"$-1\r\n", expect_on={"a": b""}),
            step("b", "PERSIST", "t", expect=b":0\r\n", expect_on={"a": b""}),
            step("b", "SET", "n", "5", "XX", expect=OK, expect_on={"a": inv("n")}),
            step("b", "EXPIRE", "t", "-1", expect=b":1\r\n", expect_on={"a": inv("t")}),
            # RENAME: the source, then the destination
            step("b", "SET", "src", "1"), step("b", "SET", "dst", "2"),
            step("a", "GET", "src"), step("a", "GET", "dst"),
            step("b", "RENAME", "src", "dst", expect=OK,
                 expect_on={"a": inv("src") + inv("dst")}),
            step("a", "GET", "dst"),
            step("b", "GETDEL", "dst", expect=bulk("1"), expect_on={"a": inv("dst")}),
            # reads of missing keys are tracked too
            step("a", "GET", "dst", expect=b"_\r\n"),
            step("b", "SET", "dst", "3", expect=OK, expect_on={"a": inv("dst")}),
            # other reads: EXISTS, STRLEN, HGETALL, SMEMBERS, TTL, TYPE
            step("a", ["EXISTS", "k1", "dst"], ["STRLEN", "k1"], ["HGETALL", "h"],
                 ["SMEMBERS", "s"], ["TTL", "n"], ["TYPE", "src"]),
            step("b", "MSET", "k1", "a", "dst", "b", "n", "c", "src", "d", expect=OK,
                 expect_on={"a": inv("k1") + inv("dst") + inv("n") + inv("src")}),
            step("b", "HSET", "h", "g", "1", expect=b":1\r\n", expect_on={"a": inv("h")}),
            step("b", "SADD", "s", "z", expect=b":1\r\n", expect_on={"a": inv("s")}),
        ], setup=setup)

    def test_resp2_without_redirect(self):
        """A RESP2 client may turn tracking on without REDIRECT: it gets no messages (RESP2 has
        no pushes); after HELLO 3 on the same connection the keys it read before are pushed."""
        self.diff({"a": 2, "b": 2}, [
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("a", "GET", "k1", expect=bulk("v1")),
            step("a", "GET", "k2", expect=bulk("v2")),
            step("b", "SET", "k1", "x", expect=OK, expect_on={"a": b""}),
            step("a", "FLUSHDB", expect=OK),
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("a", "GET", "k2", expect=b"$-1\r\n"),
            step("a", "HELLO", "3", compare=False),
            step("b", "SET", "k2", "x", expect=OK, expect_on={"a": inv("k2")}),
        ], setup=[["MSET", "k1", "v1", "k2", "v2"]])

    def test_self_invalidation_after_reply(self):
        """A tracking client's own write of a key it read: the invalidation comes after the
        write's reply (Redis 7.0 defers it to the end of the command); with NOLOOP not at all."""
        self.diff({"a": 3, "b": 2}, [
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("a", *reads("k1", "k2", "k3")),
            step("a", "SET", "k1", "x", expect=OK + inv("k1")),
            step("a", "SET", "k1", "y", expect=OK),  # one-shot
            step("a", "MSET", "k2", "1", "k3", "2", "k4", "3", expect=OK + inv("k2") + inv("k3")),
            step("a", *reads("k1", "k2")),
            step("a", "DEL", "k2", "k1", expect=b":2\r\n" + inv("k2") + inv("k1")),
            step("a", "GET", "k3"),
            step("a", "SET", "k3", "v", "GET", expect=bulk("2") + inv("k3")),  # no read: a write
            step("a", "INCR", "k3", expect=err("ERR value is not an integer or out of range")),
            step("a", "GET", "k3"),
            step("a", "INCR", "k3", expect=err("ERR value is not an integer or out of range")),
            step("b", "SET", "k3", "1", expect=OK, expect_on={"a": inv("k3")}),
            step("a", "GET", "k3"),
            step("a", "INCRBY", "k3", "5", expect=b":6\r\n" + inv("k3")),
            # NOLOOP: no message about the client's own writes, still about the others'
            step("a", "CLIENT", "TRACKING", "ON", "NOLOOP", expect=OK),
            step("a", *reads("k1", "k2")),
            step("a", "SET", "k1", "z", expect=OK),
            step("b", "SET", "k2", "z", expect=OK, expect_on={"a": inv("k2")}),
            step("a", "MSET", "k1", "1", "k2", "2", expect=OK),
            step("a", "CLIENT", "TRACKINGINFO",
                 expect=trackinginfo(["on", "noloop"], 0, proto=3)),
        ], setup=[["MSET", "k1", "v1", "k2", "v2", "k3", "v3"]])

    def test_multi_exec(self):
        """Reads inside EXEC are tracked; writes inside EXEC invalidate: another client's
        before EXEC's reply, the client's own after it (all of them, in order)."""
        self.diff({"a": 3, "b": 2, "c": 3}, [
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("c", "CLIENT", "TRACKING", "ON", expect=OK),
            step("a", ["MULTI"], ["GET", "k1"], ["HGET", "h", "f"], ["MGET", "k2", "k3"], ["EXEC"],
                 expect=OK + QUEUED * 3 + b"*3\r\n" + bulk("v1") + bulk("1", 3) +
                 b"*2\r\n" + bulk("v2") + bulk("v3")),
            step("c", "GET", "k2"),
            step("b", ["MULTI"], ["SET", "k1", "x"], ["HSET", "h", "f", "2"], ["DEL", "k2"],
                 ["EXEC"], expect=OK + QUEUED * 3 + b"*3\r\n" + OK + b":0\r\n" + b":1\r\n",
                 expect_on={"a": inv("k1") + inv("h") + inv("k2"), "c": inv("k2")}),
            # queued commands are not run: nothing is tracked before EXEC
            step("a", ["MULTI"], ["GET", "k3"], ["DISCARD"]),
            step("b", "SET", "k3", "x", expect=OK, expect_on={"a": inv("k3")}),  # MGET above
            step("a", ["MULTI"], ["GET", "k3"], ["DISCARD"]),
            step("b", "SET", "k3", "y", expect=OK, expect_on={"a": b""}),
            # the client's own writes in EXEC: after EXEC's reply; a key read again inside the
            # transaction and written again is invalidated twice
            step("a", "GET", "k1"),
            step("a", ["MULTI"], ["SET", "k1", "1"], ["GET", "k1"], ["INCR", "k1"], ["EXEC"],
                 expect=OK + QUEUED * 3 + b"*3\r\n" + OK + bulk("1") + b":2\r\n" + inv("k1") +
                 inv("k1")),
            step("a", *reads("k1", "k2")),
            step("c", "GET", "k1"),
            step("a", ["MULTI"], ["SET", "k2", "n"], ["SET", "k1", "0"], ["EXEC"],
                 expect=OK + QUEUED * 2 + b"*2\r\n" + OK + OK + inv("k2") + inv("k1"),
                 expect_on={"c": inv("k1")}),
            # an EXEC that fails (EXECABORT) invalidates nothing
            step("a", "GET", "k1"),
            step("a", ["MULTI"], ["SET", "k1"], ["SET", "k1", "2"], ["EXEC"]),
            step("b", "GET", "k1", expect=bulk("0")),
            step("b", "SET", "k1", "3", expect=OK, expect_on={"a": inv("k1")}),
        ], setup=[["MSET", "k1", "v1", "k2", "v2", "k3", "v3"], ["HSET", "h", "f", "1"]])

    # expiry

    def test_expiry_active(self):
        """A key read with a TTL expires without anyone touching it: one invalidation (the
        server's active expiry; compared by content, not by when it comes)."""
        self.diff({"a": 3, "b": 2}, [
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("b", "SET", "e", "1", "PX", "100", expect=OK),
            step("b", "HSET", "eh", "f", "1"), step("b", "PEXPIRE", "eh", "100"),
            step("a", "GET", "e", expect=bulk("1")),
            step("a", "HGET", "eh", "f", expect=bulk("1")),
            wait_frames("a", 2, unordered=True),
            step("b", "EXISTS", "e", "eh", expect=b":0\r\n", expect_on={"a": b""}),
            step("b", "SET", "e", "2", expect=OK, expect_on={"a": b""}),
        ])

    def test_expiry_lazy(self):
        """After the TTL, a read by another client (or the active expiry before it) deletes the
        key: the invalidation is in a's frames by the end of that read's step."""
        self.diff({"a": 3, "b": 2}, [
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("b", "SET", "e", "1", "PX", "100", expect=OK),
            step("a", "GET", "e", expect=bulk("1")),
            pause(0.3),
            step("b", "GET", "e", expect=b"$-1\r\n", expect_on={"a": inv("e")}),
            step("b", "SET", "e", "2", "PX", "100", expect=OK, expect_on={"a": b""}),
            step("a", "GET", "e", expect=bulk("2")),
            pause(0.3),
            # the client's own read of its expired key: the invalidation and the reply, in an
            # order that depends on whether the active expiry came first (if not, Redis sends the
            # invalidation after the reply, as for the client's own writes)
            step("a", "GET", "e", expect=inv("e") + b"_\r\n", unordered=True),
        ])

    # flushes

    def test_flush_resp3(self):
        """FLUSHDB and FLUSHALL (SYNC, ASYNC, of another db, of an empty db) send every tracking
        client, with or without keys read, '>2 invalidate _' once; the flusher's own comes after
        its reply; the keys read before are no longer tracked."""
        self.diff({"a": 3, "c": 3, "x": 3, "q": 2, "b": 2}, [
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("c", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "zz", expect=OK),
            step("x", "CLIENT", "TRACKING", "ON", "OPTIN", expect=OK),
            step("q", "CLIENT", "TRACKING", "ON", expect=OK),  # RESP2 without redirect
            step("a", *reads("k1", "k2")),
            step("b", "FLUSHDB", expect=OK,
                 expect_on={"a": INV_ALL, "c": INV_ALL, "x": INV_ALL, "q": b""}),
            step("b", "MSET", "k1", "1", "k2", "2", expect=OK, expect_on={"a": b""}),
            step("a", *reads("k1", "k2")),
            step("b", "FLUSHALL", expect=OK, expect_on={"a": INV_ALL, "c": INV_ALL}),
            step("b", "FLUSHALL", expect=OK, expect_on={"a": INV_ALL, "c": INV_ALL}),  # empty
            step("b", "FLUSHALL", "ASYNC", expect=OK, expect_on={"a": INV_ALL}),
            step("b", "FLUSHDB", "SYNC", expect=OK, expect_on={"a": INV_ALL}),
            step("b", "SELECT", "1", expect=OK),
            step("b", "SET", "k1", "1", expect=OK),
            step("b", "FLUSHDB", expect=OK, expect_on={"a": INV_ALL, "c": INV_ALL}),
            step("a", "FLUSHDB", expect=OK + INV_ALL, expect_on={"c": INV_ALL}),
            step("a", "FLUSHALL", expect=OK + INV_ALL, expect_on={"c": INV_ALL, "x": INV_ALL}),
            step("a", "GET", "k1"),
            step("a", ["MULTI"], ["FLUSHDB"], ["SET", "k1", "1"], ["EXEC"],
                 expect=OK + QUEUED * 2 + b"*2\r\n" + OK + OK + INV_ALL,
                 expect_on={"c": INV_ALL}),
            step("a", "CLIENT", "TRACKING", "OFF", expect=OK),
            step("b", "FLUSHALL", expect=OK, expect_on={"a": b"", "c": INV_ALL}),
        ])

    # REDIRECT

    def test_redirect_resp2(self):
        """RESP2 client a redirects to r, subscribed to __redis__:invalidate: r gets
        '*3 message __redis__:invalidate *1 key', a flush '$-1' as the message; once r is gone a
        RESP2 a gets nothing, and CLIENT TRACKINGINFO / CLIENT LIST show the broken redirect."""
        R = ID("r")
        self.diff({"r": 2, "a": 2, "b": 2}, [
            step("r", "SUBSCRIBE", "__redis__:invalidate",
                 expect=b"*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n"),
            step("a", "CLIENT", "TRACKING", "ON", "REDIRECT", "999999999",
                 expect=NO_REDIRECT_TARGET),
            step("a", "CLIENT", "GETREDIR", expect=b":-1\r\n"),
            step("a", "CLIENT", "TRACKING", "ON", "REDIRECT", R, expect=OK),
            step("a", "CLIENT", "GETREDIR", expect=b":<id:r>\r\n", ids=True),
            step("a", "CLIENT", "TRACKINGINFO", expect=trackinginfo(["on"], "r"), ids=True),
            step("b", "CLIENT", "LIST", client_list=True, ids=True),
            step("a", *reads("k1", "k2", "k3")),
            step("b", "SET", "k1", "x", expect=OK, expect_on={"r": inv_msg("k1"), "a": b""}),
            step("b", "SET", "k1", "y", expect=OK, expect_on={"r": b""}),
            step("b", "MSET", "k2", "1", "k3", "2", expect=OK,
                 expect_on={"r": inv_msg("k2") + inv_msg("k3")}),
            step("a", "GET", "k1"),
            step("a", "SET", "k1", "z", expect=OK, expect_on={"r": inv_msg("k1")}),
            step("a", "GET", "k1"),
            step("b", "FLUSHDB", expect=OK, expect_on={"r": inv_msg_all(), "a": b""}),
            step("b", "SET", "k1", "1", expect=OK, expect_on={"r": b""}),
            step("a", "FLUSHALL", expect=OK, expect_on={"r": inv_msg_all()}),
            step("a", "GET", "k1"),
            # r unsubscribes: messages are no longer delivered (but the key is consumed)
            step("r", "UNSUBSCRIBE",
                 expect=b"*3\r\n$11\r\nunsubscribe\r\n$20\r\n__redis__:invalidate\r\n:0\r\n"),
            step("b", "SET", "k1", "2", expect=OK, expect_on={"r": b"", "a": b""}),
            step("r", "SUBSCRIBE", "__redis__:invalidate"),
            step("b", "SET", "k1", "3", expect=OK, expect_on={"r": b""}),
            # r goes away
            step("a", "GET", "k1"),
            step("r", "QUIT", eof=True, expect=b"+OK\r\n<EOF>"),
            step("b", "SET", "k1", "4", expect=OK, expect_on={"a": b""}),
            step("a", "CLIENT", "GETREDIR", expect=b":<id:r>\r\n", ids=True),
            step("a", "CLIENT", "TRACKINGINFO",
                 expect=trackinginfo(["on", "broken_redirect"], "r"), ids=True),
            step("b", "CLIENT", "LIST", client_list=True, ids=True),
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("a", "CLIENT", "TRACKINGINFO", expect=trackinginfo(["on"], 0)),
            step("a", "CLIENT", "TRACKING", "OFF", expect=OK),
            step("a", "CLIENT", "GETREDIR", expect=b":-1\r\n"),
            step("b", "CLIENT", "LIST", client_list=True, ids=True),
        ], setup=[["MSET", "k1", "v1", "k2", "v2", "k3", "v3"]])

    def test_redirect_broken_resp3(self):
        """RESP3 client a redirects to r; once r is killed, every invalidation a would have had
        sent becomes '>2 tracking-redir-broken <r's id>' to a itself (per key, per flush; after
        the reply for a's own writes); TRACKING ON without REDIRECT mends it."""
        self.diff({"r": 2, "a": 3, "k": 2, "b": 2}, [
            step("r", "SUBSCRIBE", "__redis__:invalidate"),
            step("a", "CLIENT", "TRACKING", "ON", "REDIRECT", ID("r"), expect=OK),
            step("a", *reads("k1", "k2")),
            step("b", "SET", "k1", "x", expect=OK, expect_on={"r": inv_msg("k1"), "a": b""}),
            step("a", "GET", "k1"),
            step("k", "CLIENT", "KILL", "ID", ID("r"), expect=b":1\r\n", closes="r"),
            step("b", "MSET", "k1", "1", "k2", "2", expect=OK,
                 expect_on={"a": broken("r") * 2}, ids=True),
            step("b", "SET", "k1", "1", expect=OK, expect_on={"a": b""}),
            step("a", "GET", "k1"),
            step("a", "SET", "k1", "2", expect=OK + broken("r"), ids=True),
            step("b", "FLUSHDB", expect=OK, expect_on={"a": broken("r")}, ids=True),
            step("a", "FLUSHDB", expect=OK + broken("r"), ids=True),
            step("a", "CLIENT", "GETREDIR", expect=b":<id:r>\r\n", ids=True),
            step("a", "CLIENT", "TRACKINGINFO",
                 expect=trackinginfo(["on", "broken_redirect"], "r", proto=3), ids=True),
            step("b", "CLIENT", "LIST", client_list=True, ids=True),
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("a", "CLIENT", "TRACKINGINFO", expect=trackinginfo(["on"], 0, proto=3)),
            step("a", "GET", "k1"),
            step("b", "SET", "k1", "3", expect=OK, expect_on={"a": inv("k1")}),
        ], setup=[["MSET", "k1", "v1", "k2", "v2"]])

    def test_redirect_targets(self):
        """A redirect to a RESP3 connection gets pushes (it need not subscribe); to a RESP2
        connection that is not subscribed nothing; several clients may redirect to one; a RESP3
        client may redirect to itself."""
        self.diff({"r": 2, "r3": 3, "n": 2, "a": 2, "a3": 3, "s": 3, "b": 2}, [
            step("r", "SUBSCRIBE", "__redis__:invalidate"),
            step("a", "CLIENT", "TRACKING", "ON", "REDIRECT", ID("r"), expect=OK),
            step("a3", "CLIENT", "TRACKING", "ON", "REDIRECT", ID("r"), expect=OK),
            step("a", "GET", "k1"), step("a3", "GET", "k2"),
            step("b", "MSET", "k1", "1", "k2", "2", expect=OK,
                 expect_on={"r": inv_msg("k1") + inv_msg("k2"), "a": b"", "a3": b""}),
            step("a", "CLIENT", "TRACKING", "ON", "REDIRECT", ID("r3"), expect=OK),
            step("a3", "CLIENT", "TRACKING", "ON", "REDIRECT", ID("n"), expect=OK),
            step("a", "GET", "k1"), step("a3", "GET", "k2"),
            step("b", "MSET", "k1", "3", "k2", "4", expect=OK,
                 expect_on={"r3": inv("k1"), "n": b"", "a3": b"", "r": b""}),
            step("a", "GET", "k1"),
            step("a", "SET", "k1", "5", expect=OK, expect_on={"r3": inv("k1")}),
            step("s", "CLIENT", "TRACKING", "ON", "REDIRECT", ID("s"), expect=OK),
            step("s", "GET", "k1"),
            step("b", "SET", "k1", "6", expect=OK, expect_on={"s": inv("k1")}),
            step("s", "GET", "k1"),
            step("s", "SET", "k1", "7", expect=OK + inv("k1")),
            step("s", "CLIENT", "GETREDIR", expect=b":<id:s>\r\n", ids=True),
        ])

    def test_flush_null_follows_tracking_client_protocol(self):
        """Redis writes a flush's null in the protocol of the tracking client, not of the one it
        redirects to: a RESP3 client redirecting to a RESP2 subscriber sends it '_' inside the
        message; a RESP2 client redirecting to a RESP3 connection sends '>2 invalidate $-1'."""
        self.diff({"r": 2, "r3": 3, "a": 2, "a3": 3, "b": 2}, [
            step("r", "SUBSCRIBE", "__redis__:invalidate"),
            step("a", "CLIENT", "TRACKING", "ON", "REDIRECT", ID("r"), expect=OK),
            step("a3", "CLIENT", "TRACKING", "ON", "REDIRECT", ID("r"), expect=OK),
            step("b", "FLUSHDB", expect=OK,
                 expect_on={"r": inv_msg_all(b"$-1\r\n") + inv_msg_all(b"_\r\n")}),
            step("a", "CLIENT", "TRACKING", "ON", "REDIRECT", ID("r3"), expect=OK),
            step("a3", "CLIENT", "TRACKING", "ON", "REDIRECT", ID("r3"), expect=OK),
            step("b", "FLUSHALL", expect=OK, expect_on={
                "r3": b">2\r\n$10\r\ninvalidate\r\n$-1\r\n" + INV_ALL, "r": b""}),
        ])

    # BCAST

    def test_bcast(self):
        """BCAST: no reads needed; one push per prefix per event-loop round, the keys sorted
        (several keys of one command or transaction together); without PREFIX every key; NOLOOP
        leaves out the client's own writes; reads track nothing."""
        self.diff({"a": 3, "c": 3, "n": 3, "b": 2}, [
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "obj:",
                 expect=OK),
            step("c", "CLIENT", "TRACKING", "ON", "BCAST", expect=OK),
            step("n", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "NOLOOP",
                 expect=OK),
            step("b", "SET", "user:1", "x", expect=OK,
                 expect_on={"a": inv("user:1"), "c": inv("user:1"), "n": inv("user:1")}),
            step("b", "SET", "user:1", "y", expect=OK,  # not one-shot
                 expect_on={"a": inv("user:1"), "c": inv("user:1"), "n": inv("user:1")}),
            step("b", "MSET", "user:2", "x", "obj:1", "y", "other", "z", "user:0", "w", expect=OK,
                 expect_on={"a": inv("obj:1") + inv("user:0", "user:2"),
                            "c": inv("obj:1", "other", "user:0", "user:2"),
                            "n": inv("user:0", "user:2")}),
            step("b", "SET", "other", "1", expect=OK,
                 expect_on={"a": b"", "c": inv("other"), "n": b""}),
            step("b", "SET", "use", "1", expect=OK, expect_on={"a": b"", "c": inv("use")}),
            step("b", ["MULTI"], ["SET", "user:9", "1"], ["SET", "user:3", "1"],
                 ["DEL", "user:9"], ["SET", "user:3", "2"], ["EXEC"],
                 expect_on={"a": inv("user:3", "user:9"), "c": inv("user:3", "user:9")}),
            step("b", "DEL", "nokey", "user:nokey", expect=b":0\r\n",
                 expect_on={"a": b"", "c": b"", "n": b""}),
            # the writer's own keys: after its reply; not to itself with NOLOOP
            step("n", "MSET", "user:5", "x", "user:4", "y", expect=OK,
                 expect_on={"a": inv("user:4", "user:5"), "c": inv("user:4", "user:5")}),
            step("a", "SET", "user:6", "x", expect=OK + inv("user:6"),
                 expect_on={"c": inv("user:6"), "n": inv("user:6")}),
            step("c", "SET", "user:6", "x", expect=OK + inv("user:6")),
            # reads are not tracked in BCAST mode
            step("a", "GET", "zz", expect=b"_\r\n"),
            step("b", "SET", "zz", "1", expect=OK, expect_on={"a": b"", "c": inv("zz")}),
            step("b", "FLUSHDB", expect=OK,
                 expect_on={"a": INV_ALL, "c": INV_ALL, "n": INV_ALL}),
            # more prefixes, added one at a time; OFF drops them all
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "zz", expect=OK),
            step("b", "SET", "zz1", "1", expect=OK, expect_on={"a": inv("zz1")}),
            step("a", "CLIENT", "TRACKINGINFO",
                 expect=trackinginfo(["on", "bcast"], 0, ["obj:", "user:", "zz"], proto=3)),
            step("c", "CLIENT", "TRACKINGINFO",
                 expect=trackinginfo(["on", "bcast"], 0, [""], proto=3)),
            step("n", "CLIENT", "TRACKINGINFO",
                 expect=trackinginfo(["on", "bcast", "noloop"], 0, ["user:"], proto=3)),
            step("b", "CLIENT", "LIST", client_list=True),
            step("a", "CLIENT", "TRACKING", "OFF", expect=OK),
            step("b", "SET", "user:1", "z", expect=OK,
                 expect_on={"a": b"", "c": inv("user:1"), "n": inv("user:1")}),
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "obj:", expect=OK),
            step("b", "MSET", "user:1", "z", "obj:2", "1", expect=OK,
                 expect_on={"a": inv("obj:2")}),
            step("a", "CLIENT", "TRACKINGINFO",
                 expect=trackinginfo(["on", "bcast"], 0, ["obj:"], proto=3)),
        ])

    def test_bcast_redirect(self):
        """BCAST with REDIRECT to a RESP2 subscriber: the keys of a round in one message."""
        self.diff({"r": 2, "a": 2, "b": 2}, [
            step("r", "SUBSCRIBE", "__redis__:invalidate"),
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "REDIRECT", ID("r"), "PREFIX", "k",
                 expect=OK),
            step("b", "MSET", "k2", "1", "k1", "2", "x", "3", expect=OK,
                 expect_on={"r": inv_msg("k1", "k2"), "a": b""}),
            step("a", "SET", "k3", "1", expect=OK, expect_on={"r": inv_msg("k3")}),
            step("a", "CLIENT", "TRACKINGINFO", expect=trackinginfo(["on", "bcast"], "r", ["k"]),
                 ids=True),
            step("b", "FLUSHALL", expect=OK, expect_on={"r": inv_msg_all()}),
        ])

    # options and errors

    def test_tracking_errors(self):
        """Option errors, checked before anything changes."""
        self.diff({"a": 2, "c": 3}, [
            step("a", "CLIENT", "TRACKING", expect=arity("client|tracking")),
            step("a", "CLIENT", "TRACKING", "maybe", expect=SYNTAX),
            step("a", "CLIENT", "TRACKING", "ON", "foo", expect=SYNTAX),
            step("a", "CLIENT", "TRACKING", "ON", "REDIRECT", expect=SYNTAX),
            step("a", "CLIENT", "TRACKING", "ON", "PREFIX", expect=SYNTAX),
            step("a", "CLIENT", "TRACKING", "ON", "REDIRECT", "abc", expect=NOT_INTEGER),
            step("a", "CLIENT", "TRACKING", "ON", "REDIRECT", "0", expect=NO_REDIRECT_TARGET),
            step("a", "CLIENT", "TRACKING", "ON", "REDIRECT", "-1", expect=NO_REDIRECT_TARGET),
            step("a", "CLIENT", "TRACKING", "ON", "REDIRECT", "999999999",
                 expect=NO_REDIRECT_TARGET),
            step("a", "CLIENT", "TRACKING", "ON", "REDIRECT", ID("c"), "REDIRECT", ID("c"),
                 expect=ONE_REDIRECT),
            step("a", "CLIENT", "TRACKING", "ON", "PREFIX", "x", expect=PREFIX_NEEDS_BCAST),
            step("a", "CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT", expect=OPTIN_OPTOUT),
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "OPTIN", expect=BCAST_OPT),
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "OPTOUT", expect=BCAST_OPT),
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "ab",
                 expect=overlap_given("a", "ab")),
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "a",
                 expect=overlap_given("ab", "a")),
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "x", "PREFIX", "x",
                 expect=overlap_given("x", "x")),
            step("a", "CLIENT", "TRACKINGINFO", expect=trackinginfo(["off"], -1)),
            # OFF parses the options (REDIRECT's target must exist) but ignores them
            step("a", "CLIENT", "TRACKING", "OFF", "foo", expect=SYNTAX),
            step("a", "CLIENT", "TRACKING", "OFF", "REDIRECT", "999999999",
                 expect=NO_REDIRECT_TARGET),
            step("a", "CLIENT", "TRACKING", "off", "bcast", "prefix", "x", "optin", "optout",
                 expect=OK),
            step("a", "CLIENT", "TRACKINGINFO", expect=trackinginfo(["off"], -1)),
            # options are case-insensitive
            step("a", "client", "tracking", "on", "bcast", "prefix", "user:", "noloop",
                 expect=OK),
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:1",
                 expect=overlap_existing("user:1", "user:")),
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "use",
                 expect=overlap_existing("use", "user:")),
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:",
                 expect=overlap_existing("user:", "user:")),
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "",
                 expect=overlap_existing("", "user:")),
            step("a", "CLIENT", "TRACKING", "ON", expect=BCAST_SWITCH),
            step("a", "CLIENT", "TRACKING", "ON", "OPTIN", expect=BCAST_SWITCH),
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "OPTIN", expect=BCAST_OPT),
            step("a", "CLIENT", "TRACKINGINFO",
                 expect=trackinginfo(["on", "bcast", "noloop"], 0, ["user:"])),
            # re-enabling resets the options that are not given
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "obj:", expect=OK),
            step("a", "CLIENT", "TRACKINGINFO",
                 expect=trackinginfo(["on", "bcast"], 0, ["obj:", "user:"])),
            step("a", "CLIENT", "TRACKING", "OFF", expect=OK),
            step("c", "CLIENT", "TRACKING", "ON", "BCAST", expect=OK),
            step("c", "CLIENT", "TRACKING", "ON", expect=BCAST_SWITCH),
            step("c", "CLIENT", "TRACKING", "OFF", expect=OK),
            step("c", "CLIENT", "TRACKING", "ON", "OPTIN", expect=OK),
            step("c", "CLIENT", "TRACKING", "ON", "OPTOUT", expect=OPT_SWITCH),
            step("c", "CLIENT", "TRACKING", "ON", "BCAST", expect=BCAST_SWITCH),
            step("c", "CLIENT", "TRACKING", "ON", expect=OK),  # neither: allowed, OPTIN off
            step("c", "CLIENT", "TRACKINGINFO", expect=trackinginfo(["on"], 0, proto=3)),
            step("c", "CLIENT", "TRACKING", "ON", "OPTOUT", expect=OK),
            step("c", "CLIENT", "TRACKING", "ON", "OPTIN", expect=OPT_SWITCH),
            step("c", "CLIENT", "TRACKINGINFO", expect=trackinginfo(["on", "optout"], 0,
                                                                    proto=3)),
            # GETREDIR and TRACKINGINFO take no arguments
            step("c", "CLIENT", "GETREDIR", "x", expect=arity("client|getredir")),
            step("c", "CLIENT", "TRACKINGINFO", "x", expect=arity("client|trackinginfo")),
        ])

    def test_caching_errors(self):
        """CLIENT CACHING needs tracking with OPTIN (YES) or OPTOUT (NO)."""
        self.diff({"a": 2, "c": 3}, [
            step("a", "CLIENT", "CACHING", expect=arity("client|caching")),
            step("a", "CLIENT", "CACHING", "YES", expect=CACHING_NOT_TRACKING),
            step("a", "CLIENT", "CACHING", "NO", expect=CACHING_NOT_TRACKING),
            step("a", "CLIENT", "CACHING", "maybe", expect=CACHING_NOT_TRACKING),
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("a", "CLIENT", "CACHING", "YES", expect=CACHING_YES),
            step("a", "CLIENT", "CACHING", "NO", expect=CACHING_NO),
            step("a", "CLIENT", "CACHING", "maybe", expect=SYNTAX),
            step("a", "CLIENT", "CACHING", "YES", "x", expect=arity("client|caching")),
            step("c", "CLIENT", "TRACKING", "ON", "OPTIN", expect=OK),
            step("c", "CLIENT", "CACHING", "NO", expect=CACHING_NO),
            step("c", "CLIENT", "CACHING", "yes", expect=OK),
            step("c", "CLIENT", "TRACKING", "OFF", expect=OK),
            step("c", "CLIENT", "TRACKING", "ON", "OPTOUT", expect=OK),
            step("c", "CLIENT", "CACHING", "YES", expect=CACHING_YES),
            step("c", "CLIENT", "CACHING", "no", expect=OK),
            step("c", "CLIENT", "TRACKING", "ON", "BCAST", expect=BCAST_SWITCH),
            step("c", "CLIENT", "TRACKING", "OFF", expect=OK),
            step("c", "CLIENT", "TRACKING", "ON", "BCAST", expect=OK),
            step("c", "CLIENT", "CACHING", "YES", expect=CACHING_YES),
            step("c", "CLIENT", "CACHING", "NO", expect=CACHING_NO),
            step("c", "CLIENT", "TRACKING", "OFF", expect=OK),
            step("c", "CLIENT", "CACHING", "YES", expect=CACHING_NOT_TRACKING),
        ])

    def test_optin(self):
        """OPTIN: only the reads of the command right after CLIENT CACHING YES are tracked (of
        every command of a MULTI that follows it, or that it is queued in)."""
        self.diff({"a": 3, "b": 2}, [
            step("a", "CLIENT", "TRACKING", "ON", "OPTIN", expect=OK),
            step("a", "GET", "k1"),
            step("a", ["CLIENT", "CACHING", "YES"], ["GET", "k2"], ["GET", "k3"],
                 expect=OK + bulk("v2") + bulk("v3")),
            step("a", ["CLIENT", "CACHING", "YES"], ["PING"], ["GET", "k4"]),
            step("a", ["CLIENT", "CACHING", "YES"], ["MGET", "k5", "k6"]),
            step("a", ["CLIENT", "CACHING", "YES"], ["MULTI"], ["GET", "k7"], ["GET", "k8"],
                 ["EXEC"], ["GET", "k9"]),
            step("a", ["MULTI"], ["CLIENT", "CACHING", "YES"], ["GET", "k10"], ["EXEC"],
                 ["GET", "k11"]),
            step("b", "MSET", *[x for i in range(1, 12) for x in ("k%d" % i, "x")],
                 expect=OK, expect_on={"a": inv("k2") + inv("k5") + inv("k6") + inv("k7") +
                                       inv("k8") + inv("k10")}),
            # the client's own writes of its opted-in keys
            step("a", ["CLIENT", "CACHING", "YES"], ["GET", "k1"]),
            step("a", "SET", "k1", "y", expect=OK + inv("k1")),
        ], setup=[["MSET"] + [x for i in range(1, 12) for x in ("k%d" % i, "v%d" % i)]])

    def test_optout(self):
        """OPTOUT: every read is tracked except those of the command right after CLIENT CACHING
        NO; NOLOOP with it."""
        self.diff({"a": 3, "b": 2}, [
            step("a", "CLIENT", "TRACKING", "ON", "OPTOUT", expect=OK),
            step("a", "GET", "k1"),
            step("a", ["CLIENT", "CACHING", "NO"], ["GET", "k2"], ["GET", "k3"]),
            step("a", ["CLIENT", "CACHING", "NO"], ["PING"], ["GET", "k4"]),
            step("a", ["CLIENT", "CACHING", "NO"], ["MULTI"], ["GET", "k5"], ["EXEC"]),
            step("b", "MSET", *[x for i in range(1, 6) for x in ("k%d" % i, "x")],
                 expect=OK, expect_on={"a": inv("k1") + inv("k3") + inv("k4")}),
            step("a", "CLIENT", "TRACKING", "ON", "OPTOUT", "NOLOOP", expect=OK),
            step("a", "CLIENT", "TRACKINGINFO",
                 expect=trackinginfo(["on", "optout", "noloop"], 0, proto=3)),
            step("a", *reads("k1", "k2")),
            step("a", "SET", "k1", "y", expect=OK),
            step("b", "SET", "k2", "y", expect=OK, expect_on={"a": inv("k2")}),
        ], setup=[["MSET"] + [x for i in range(1, 6) for x in ("k%d" % i, "v%d" % i)]])

    def test_caching_flag_survives_client_commands(self):
        """Redis clears the CLIENT CACHING flag after the next command that is not a CLIENT
        command: CLIENT TRACKINGINFO right after CLIENT CACHING shows caching-yes/caching-no,
        and a read after CLIENT ID or CLIENT TRACKINGINFO still counts as opted in/out."""
        self.diff({"a": 3, "o": 3, "b": 2}, [
            step("a", "CLIENT", "TRACKING", "ON", "OPTIN", expect=OK),
            step("o", "CLIENT", "TRACKING", "ON", "OPTOUT", expect=OK),
            step("a", ["CLIENT", "CACHING", "YES"], ["CLIENT", "TRACKINGINFO"], ["GET", "k1"],
                 ["GET", "k2"], expect=OK + trackinginfo(["on", "optin", "caching-yes"], 0,
                                                         proto=3) + bulk("v1") + bulk("v2")),
            step("a", ["CLIENT", "CACHING", "YES"], ["CLIENT", "ID"], ["GET", "k3"], ids=True),
            step("a", "CLIENT", "TRACKINGINFO",
                 expect=trackinginfo(["on", "optin"], 0, proto=3)),
            step("o", ["CLIENT", "CACHING", "NO"], ["CLIENT", "TRACKINGINFO"], ["GET", "k1"],
                 ["GET", "k2"], expect=OK + trackinginfo(["on", "optout", "caching-no"], 0,
                                                         proto=3) + bulk("v1") + bulk("v2")),
            step("b", "MSET", "k1", "1", "k2", "2", "k3", "3", expect=OK,
                 expect_on={"a": inv("k1") + inv("k3"), "o": inv("k2")}),
        ], setup=[["MSET", "k1", "v1", "k2", "v2", "k3", "v3"]])

    # introspection, OFF, RESET

    @resp2_and_resp3
    def trackinginfo_getredir(self, P):
        self.diff({"a": P, "r": 2, "b": 2}, [
            step("a", "CLIENT", "GETREDIR", expect=b":-1\r\n"),
            step("a", "CLIENT", "TRACKINGINFO", expect=trackinginfo(["off"], -1, proto=P)),
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("a", "CLIENT", "GETREDIR", expect=b":0\r\n"),
            step("a", "CLIENT", "TRACKINGINFO", expect=trackinginfo(["on"], 0, proto=P)),
            step("a", "CLIENT", "TRACKING", "ON", "OPTIN", "NOLOOP", expect=OK),
            step("a", "CLIENT", "TRACKINGINFO",
                 expect=trackinginfo(["on", "optin", "noloop"], 0, proto=P)),
            step("b", "CLIENT", "LIST", client_list=True),
            step("a", "CLIENT", "TRACKING", "OFF", expect=OK),
            step("a", "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "b", "PREFIX", "a:",
                 "PREFIX", "c\x00d", "REDIRECT", ID("r"), expect=OK),
            step("a", "CLIENT", "GETREDIR", expect=b":<id:r>\r\n", ids=True),
            step("a", "CLIENT", "TRACKINGINFO",
                 expect=trackinginfo(["on", "bcast"], "r", ["a:", "b", "c\x00d"], proto=P),
                 ids=True),
            step("b", "CLIENT", "LIST", client_list=True, ids=True),
            step("a", "CLIENT", "TRACKING", "OFF", expect=OK),
            step("a", "CLIENT", "GETREDIR", expect=b":-1\r\n"),
            step("a", "CLIENT", "TRACKINGINFO", expect=trackinginfo(["off"], -1, proto=P)),
            step("b", "CLIENT", "LIST", client_list=True, ids=True),
        ])

    def test_off_and_reset(self):
        """After CLIENT TRACKING OFF (or RESET) writes send nothing, flushes neither."""
        self.diff({"a": 3, "c": 3, "b": 2}, [
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("c", "CLIENT", "TRACKING", "ON", "BCAST", expect=OK),
            step("a", *reads("k1", "k2")),
            step("a", "CLIENT", "TRACKING", "OFF", expect=OK),
            step("c", "CLIENT", "TRACKING", "OFF", expect=OK),
            step("b", "MSET", "k1", "1", "k2", "2", expect=OK, expect_on={"a": b"", "c": b""}),
            step("b", "FLUSHALL", expect=OK, expect_on={"a": b"", "c": b""}),
            step("a", "CLIENT", "TRACKING", "OFF", expect=OK),  # already off
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("c", "CLIENT", "TRACKING", "ON", "BCAST", expect=OK),
            step("a", "GET", "k1"),
            step("a", "RESET", expect=b"+RESET\r\n"),
            step("c", "RESET", expect=b"+RESET\r\n"),
            step("b", "SET", "k1", "3", expect=OK, expect_on={"a": b"", "c": b""}),
            step("b", "FLUSHALL", expect=OK, expect_on={"a": b"", "c": b""}),
            step("a", "CLIENT", "TRACKINGINFO", expect=trackinginfo(["off"], -1)),  # RESP2 now
            step("b", "CLIENT", "LIST", client_list=True),
        ], setup=[["MSET", "k1", "v1", "k2", "v2"]])

    def test_redis_quirks(self):
        """Redis details an implementation may do otherwise (compared all the same): the table
        of tracked keys is one for all databases; a read that fails with WRONGTYPE is tracked;
        OFF leaves the keys read in the table, so OFF then ON still invalidates them; a NOLOOP
        client's own write removes the key from the table, so a later write by another client
        sends nothing."""
        self.diff({"a": 3, "b": 2}, [
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("a", "GET", "k1"),
            step("b", "SELECT", "1", expect=OK),
            step("b", "SET", "k1", "x", expect=OK, expect_on={"a": inv("k1")}),
            step("b", "SELECT", "0", expect=OK),
            step("a", "GET", "h", expect=err(
                "WRONGTYPE Operation against a key holding the wrong kind of value")),
            step("b", "HSET", "h", "g", "2", expect=b":1\r\n", expect_on={"a": inv("h")}),
            step("a", "GET", "k2"),
            step("a", "CLIENT", "TRACKING", "OFF", expect=OK),
            step("a", "CLIENT", "TRACKING", "ON", expect=OK),
            step("b", "SET", "k2", "x", expect=OK, expect_on={"a": inv("k2")}),
            step("a", "CLIENT", "TRACKING", "ON", "NOLOOP", expect=OK),
            step("a", "GET", "k1"),
            step("a", "SET", "k1", "y", expect=OK),
            step("b", "SET", "k1", "z", expect=OK, expect_on={"a": b""}),
        ], setup=[["MSET", "k1", "v1", "k2", "v2"], ["HSET", "h", "f", "1"]])


# --- redis-py --------------------------------------------------------------------------------

class RedisPyTrackingTest(ServerAndRedisTestCase):
    """redis-py 4.3 (python3-redis) has client_tracking_on/off, client_getredir and
    client_trackinginfo but no client-side cache and no RESP3: tracking through REDIRECT to a
    PubSub connection, results compared between the server under test and Redis."""

    def session(self, port):
        import redis
        out = []
        r = redis.Redis(port=port, socket_timeout=10, single_connection_client=True)
        w = redis.Redis(port=port, socket_timeout=10)
        sub = redis.Redis(port=port, socket_timeout=10, client_name="invalidations")
        p = sub.pubsub()
        try:
            w.flushall()
            w.mset({"k1": "v1", "k2": "v2"})
            p.subscribe("__redis__:invalidate")
            out.append(p.get_message(timeout=5))
            target = [c["id"] for c in w.client_list() if c["name"] == "invalidations"]
            self.assertEqual(len(target), 1, w.client_list())
            target = int(target[0])

            def ids(x):
                return "<target>" if x == target else x
            out.append(r.client_getredir())
            out.append(r.client_tracking_on(clientid=target))
            out.append(ids(r.client_getredir()))
            out.append([ids(x) for x in r.client_trackinginfo()])
            out.append((r.get("k1"), r.get("k2")))
            out.append(w.set("k1", "x"))
            out.append(p.get_message(timeout=5))
            out.append(w.flushdb())
            out.append(p.get_message(timeout=5))
            out.append(r.client_tracking_off())
            out.append(r.client_tracking_on(clientid=target, bcast=True, prefix=["user:"]))
            out.append([ids(x) for x in r.client_trackinginfo()])
            out.append(w.mset({"user:2": "a", "user:1": "b", "other": "c"}))
            out.append(p.get_message(timeout=5))
            out.append(r.client_tracking_off())
            out.append(r.client_getredir())
            out.append(w.set("user:1", "z"))
            out.append(p.get_message(timeout=0.2))
            return out
        finally:
            p.close()
            for c in (r, w, sub):
                c.close()

    def test_redis_py_redirect(self):
        expected = self.session(self.ref.port)
        self.assertEqual(expected[2:4], [b"OK", "<target>"])
        self.assertEqual(expected[7]["data"], [b"k1"])
        self.assertEqual(expected[9]["data"], None)
        self.assertEqual(expected[14]["data"], [b"user:1", b"user:2"])
        self.assertEqual(self.session(self.server.port), expected)
