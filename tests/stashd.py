"""Black-box test harness: starts the real stashd binary on a free loopback port.

STASHD names the binary (scripts/test.sh sets it to the ASan build); the default is
build/asan/stashd, then build/debug/stashd, then build/release/stashd.
Use from /usr/bin/python3 (Debian's python3-redis).
"""
import os
import signal
import socket
import subprocess
import tempfile
import time
import shutil
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _binary(env, kinds, hint):
    """$env, else the first build among kinds that exists; a missing binary is a failure."""
    if os.environ.get(env):
        return os.environ[env]
    for kind in kinds:
        path = os.path.join(ROOT, "build", kind, "stashd")
        if os.path.exists(path):
            return path
    raise RuntimeError("no stashd binary: run " + hint)


def stashd_binary():
    """STASHD (scripts/test.sh passes the ASan build), else the ASan, debug or release build."""
    return _binary("STASHD", ("asan", "debug", "release"), "scripts/build.sh first")


def release_binary():
    """The binary for long crash and load runs: STASHD_RELEASE (scripts/test.sh passes the release
    build), else the release, ASan or debug build; a missing binary is a failure, not a skip."""
    return _binary("STASHD_RELEASE", ("release", "asan", "debug"), "scripts/build.sh release")


# What stashd logs once its data directory is open and commands run.
READY_LINE = "Ready to accept connections"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_file_args(dir, config_text, name):
    """The arguments that start a server with a config file holding config_text: [its path]
    (written as name in dir), or [] when config_text is None."""
    if config_text is None:
        return []
    path = os.path.join(dir, name)
    with open(path, "w") as f:
        f.write(config_text)
    return [path]


class Stashd:
    """A running stashd. args are extra command-line arguments (e.g. ["--requirepass", "x"]).
    binary overrides stashd_binary(); with wait=False the constructor returns at once (call
    _wait_ready() to wait until the data directory is loaded). preexec_fn runs in the child
    before stashd starts (e.g. to set resource limits)."""

    def __init__(self, args=(), config_text=None, dir=None, binary=None, wait=True,
                 preexec_fn=None):
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="stashd-test-")
        self.dir = dir or os.path.join(self.tmp, "data")
        config = config_file_args(self.tmp, config_text, "stashd.conf")
        self.config_path = config[0] if config else None
        cmd = [binary or stashd_binary()] + config
        cmd += ["--port", str(self.port), "--dir", self.dir] + list(args)
        self.log_path = os.path.join(self.tmp, "stashd.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=preexec_fn)
        if wait:
            self._wait_ready()

    def _wait_ready(self, timeout=20):
        """Until stashd has loaded its data directory: it listens (and answers -LOADING) first."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("stashd exited early:\n" + self.output())
            if READY_LINE in self.output() or self._answers_ping():
                return
            time.sleep(0.02)
        raise RuntimeError("stashd did not start:\n" + self.output())

    def _answers_ping(self):
        """Whether a PING gets an answer other than -LOADING (with loglevel warning there is no
        ready line). -NOAUTH proves nothing: as in Redis, the auth check comes before the loading
        check, so a server with requirepass answers it while still loading; wait for the ready
        line then (a race that failed AuthTest once the memtable's first arena block grew)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.settimeout(2)
                sock.sendall(b"PING\r\n")
                reply = sock.recv(64)
                return bool(reply) and not reply.startswith((b"-LOADING", b"-NOAUTH"))
        except OSError:
            return False

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def client(self, **kw):
        import redis
        kw.setdefault("socket_timeout", 10)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def socket(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return s

    def cli(self, *args, input=None):
        """Runs redis-cli against this server; returns (stdout, returncode)."""
        r = subprocess.run(["redis-cli", "-p", str(self.port)] + list(args), input=input,
                           capture_output=True, timeout=60)
        return r.stdout.decode(errors="replace"), r.returncode

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Stops the server; returns its exit code. Fails the caller on sanitizer reports."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("stashd did not stop within %ss:\n%s" % (timeout, self.output()))
        self.log.close()
        out = self.output()
        if "ERROR: AddressSanitizer" in out or "runtime error:" in out or "ThreadSanitizer" in out:
            raise AssertionError("sanitizer report from stashd:\n" + out)
        return self.proc.returncode

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.log.closed:
            self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class StashdTestCase(unittest.TestCase):
    """One stashd per test class; tests that need special flags start their own."""

    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = Stashd(cls.server_args)

    @classmethod
    def tearDownClass(cls):
        stop_server(cls.server)


def stop_server(server):
    """Stops server (a Stashd, or a stand-in Redis from differential.py) and removes its files;
    fails unless it exited with code 0 (Stashd.stop also fails on a sanitizer report)."""
    try:
        code = server.stop()
        assert code == 0, "exit code %s:\n%s" % (code, server.output())
    finally:
        server.cleanup()


def read_reply(sock_file):
    """Reads one RESP2/RESP3 reply from a socket's makefile('rb'); returns Python values.
    Errors come back as ('error', text); RESP3 maps as dicts; verbatim as ('verbatim', fmt, text)."""
    line = sock_file.readline()
    if not line:
        raise ConnectionError("connection closed")
    t, rest = line[:1], line[1:-2]
    if t in (b"+",):
        return rest.decode()
    if t == b"-" or t == b"!":
        if t == b"!":
            rest = sock_file.read(int(rest) + 2)[:-2]
        return ("error", rest.decode())
    if t == b":":
        return int(rest)
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        return sock_file.read(n + 2)[:-2]
    if t in (b"*", b"~", b">"):
        n = int(rest)
        if n < 0:
            return None
        return [read_reply(sock_file) for _ in range(n)]
    if t == b"%":
        n = int(rest)
        d = {}
        for _ in range(n):
            k = read_reply(sock_file)
            d[k] = read_reply(sock_file)
        return d
    if t == b"_":
        return None
    if t == b"#":
        return rest == b"t"
    if t == b",":
        return float(rest)
    if t == b"=":
        body = sock_file.read(int(rest) + 2)[:-2]
        return ("verbatim", body[:3].decode(), body[4:])
    if t == b"(":
        return int(rest)
    raise ValueError("unknown RESP type %r" % line)


def encode_command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)
