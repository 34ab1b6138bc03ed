"""Helpers for the transaction tests (tx_*_test.py): raw connections that return each reply's
exact bytes, and the set of servers a test runs against (stashd, plus a stock redis-server when
one is installed, so that every expectation is checked against Redis 7.0 itself)."""
import os
import shutil
import socket

from differential import RedisServer
from stashd import Stashd, encode_command, read_reply


def raw_reply(f):
    """Reads one RESP2/RESP3 reply from a socket's makefile('rb') and returns its exact bytes."""
    line = f.readline()
    if not line:
        raise ConnectionError("connection closed")
    if not line.endswith(b"\r\n"):
        raise ValueError("reply line without CRLF: %r" % line)
    t, rest = line[:1], line[1:-2]
    if t in (b"+", b"-", b":", b"_", b"#", b",", b"("):
        return line
    if t in (b"$", b"!", b"="):
        n = int(rest)
        return line if n < 0 else line + f.read(n + 2)
    if t in (b"*", b"~", b">"):
        n = int(rest)
        return line + b"".join(raw_reply(f) for _ in range(max(n, 0)))
    if t == b"%":
        return line + b"".join(raw_reply(f) for _ in range(2 * int(rest)))
    raise ValueError("unknown RESP type %r" % line)


class RawConn:
    """One client connection. exchange() sends commands in one write and returns the bytes of
    their replies, concatenated; call() returns one parsed reply (see stashd.read_reply)."""

    def __init__(self, port, proto=2):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.file = self.sock.makefile("rb")
        if proto == 3:
            self.sock.sendall(encode_command("HELLO", "3"))
            hello = raw_reply(self.file)  # names the server and its version: not compared
            assert hello.startswith(b"%"), hello

    def send(self, *commands):
        self.sock.sendall(b"".join(encode_command(*c) for c in commands))

    def exchange(self, *commands):
        self.send(*commands)
        return b"".join(raw_reply(self.file) for _ in commands)

    def call(self, *args):
        self.sock.sendall(encode_command(*args))
        return read_reply(self.file)

    def read(self):
        return read_reply(self.file)

    def closed_by_server(self):
        """True when the server has closed the connection (nothing more to read)."""
        return self.file.read(1) == b""

    def close(self):
        self.file.close()
        self.sock.close()


class Target:
    """A server the tests run against: name ("stashd" or "redis") and port."""

    def __init__(self, name, port):
        self.name = name
        self.port = port

    def conn(self, proto=2):
        return RawConn(self.port, proto)


def redis_available():
    return shutil.which("redis-server") is not None and not os.environ.get("TX_NO_REDIS")


class Servers:
    """A stashd (args) and, when installed, a stock redis-server, started together."""

    def __init__(self, args=()):
        self.stashd = Stashd(args)
        self.redis = None
        try:
            if redis_available():
                self.redis = RedisServer(args)
        except Exception:
            self.stashd.cleanup()
            raise
        self.targets = [Target("stashd", self.stashd.port)]
        if self.redis:
            self.targets.append(Target("redis", self.redis.port))

    def stop(self):
        """Stops both; returns stashd's exit code (raises on a sanitizer report)."""
        try:
            if self.redis:
                self.redis.stop()
            return self.stashd.stop()
        finally:
            self.stashd.cleanup()
