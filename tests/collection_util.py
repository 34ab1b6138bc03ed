"""Helpers shared by the hash and set suites (data_hash_test, data_set_test): whole SCAN-family
iterations, and CollectionTestCase (the base of HashTestCase and SetTestCase): the WATCH/MULTI/EXEC
probe of test_watch and the pieces of the big-collection tests (a pipelined build, a timed full
scan, the timed DEL and what must hold after it)."""
import os
import time

from data_strings_test import DataTestCase
from differential import AGAINST_REDIS, Conn

BIG_COLLECTION = int(os.environ.get("BIG_COLLECTION", "1000000"))
FIELDS_PER_COMMAND = 100   # big collections: HSET/SADD with 100 elements each,
COMMANDS_PER_CHUNK = 100   # 100 commands (10,000 elements) per pipeline round trip


def scan_all(conn, cmd, key, *opts, limit=100000):
    """(elements in order, number of calls) of a whole HSCAN/SSCAN iteration."""
    cursor, out, calls = b"0", [], 0
    while True:
        reply = conn.call(cmd, key, cursor, *opts)
        assert isinstance(reply, list) and len(reply) == 2, reply
        cursor, batch = reply
        assert isinstance(cursor, bytes), "cursor must be a bulk string: %r" % (reply,)
        assert isinstance(batch, list), reply
        out += batch
        calls += 1
        if cursor == b"0":
            return out, calls
        assert calls < limit, "%s does not end" % cmd


def scan_batches(call, cmd, *opts):
    """Each batch of a whole iteration, in order: call(*cmd, cursor, *opts), cmd being ("SCAN",)
    or (e.g.) ("HSCAN", key), until the reply whose cursor is 0."""
    cursor = b"0"
    while True:
        cursor, batch = call(*cmd, cursor, *opts)
        yield batch
        if cursor == b"0":
            return


def scan_keys(call, *opts):
    """The keys of a whole SCAN iteration (SCAN cursor *opts), in order, repeats kept."""
    return [k for batch in scan_batches(call, ("SCAN",), *opts) for k in batch]


class CollectionTestCase(DataTestCase):
    """DataTestCase with the helpers of the hash and set suites."""

    def watch_probe(self, key, queued):
        """exec_after(setup, action) for a test_watch: FLUSHALL; a second connection runs the
        setup commands; this connection WATCHes key; the second connection runs the action
        commands; then MULTI, the queued command and EXEC on this connection. Returns EXEC's
        reply (None when the WATCH aborted the transaction)."""
        other = Conn(self.server.port)
        self.addCleanup(other.close)

        def exec_after(setup, action):
            self.assertEqual(self.call("FLUSHALL"), "OK")
            for cmd in setup:
                other.call(*cmd)
            self.assertEqual(self.call("WATCH", key), "OK")
            for cmd in action:
                other.call(*cmd)
            self.assertEqual(self.call("MULTI"), "OK")
            self.assertEqual(self.call(*queued), "QUEUED")
            return self.call("EXEC")

        return exec_after

    def fill_big(self, n, add):
        """Builds a big collection of elements 0..n-1 through one redis-py pipeline:
        add(pipeline, js) queues one command for the element numbers js (FIELDS_PER_COMMAND of
        them), sent COMMANDS_PER_CHUNK commands a round trip. Returns the seconds it took."""
        t0 = time.monotonic()
        p = self.r.pipeline(transaction=False)
        for i in range(0, n, FIELDS_PER_COMMAND):
            add(p, range(i, min(n, i + FIELDS_PER_COMMAND)))
            if len(p) == COMMANDS_PER_CHUNK:
                p.execute()
        p.execute()
        return time.monotonic() - t0

    def scan_big(self, cmd, key, each):
        """A whole cmd (HSCAN/SSCAN) iteration of key with COUNT 1000, each batch passed to
        each(batch). Returns (seconds, number of calls)."""
        t1 = time.monotonic()
        calls = 0
        for batch in scan_batches(self.call, (cmd, key), "COUNT", "1000"):
            each(batch)
            calls += 1
        return time.monotonic() - t1, calls

    def engine_bytes(self):
        """(bytes in tables, bytes in memtables) from INFO engine."""
        tables = memtables = 0
        for line in self.call("INFO", "engine").decode().splitlines():
            name, _, value = line.partition(":")
            if name.startswith("level"):
                tables += int(dict(kv.split("=") for kv in value.split(","))["bytes"])
            elif name == "memtable_bytes":
                memtables = int(value)
        return tables, memtables

    def wait_space_back(self, before, report):
        """After a big collection's DEL: with no more writes, the table bytes fall below a
        quarter of before (its elements reclaimed without a manual compaction) within 60 s."""
        deadline = time.monotonic() + 60
        tables, _ = self.engine_bytes()
        while tables >= before // 4 and time.monotonic() < deadline:
            time.sleep(0.1)
            tables, _ = self.engine_bytes()
        print("%s: tables %d -> %d bytes" % (report, before, tables))
        self.assertLess(tables, before // 4)

    def delete_big(self, key, len_cmd, report):
        """DELs a big collection and prints report with how long the DEL took; it must take
        under 50 ms and leave key, its length (len_cmd) and the database empty. Against StashDB
        its disk space must then come back without new writes (wait_space_back)."""
        before = sum(self.engine_bytes()) if not AGAINST_REDIS else 0
        t2 = time.monotonic()
        self.assertEqual(self.call("DEL", key), 1)
        deleted = time.monotonic() - t2
        print("%s, DEL %.2f ms" % (report, deleted * 1000))
        self.assertLess(deleted, 0.05)
        self.assertEqual(self.call("EXISTS", key), 0)
        self.assertEqual(self.call(len_cmd, key), 0)
        self.assertEqual(self.call("DBSIZE"), 0)
        if not AGAINST_REDIS:
            self.wait_space_back(before, "  space of %s" % key)
