"""Memory: memory-budget bounds the engine's memory, INFO memory says where it goes, and
conf/low-memory.conf keeps the release server's RSS under 64 MB with more data than that.

Runs the release build (STASHD_RELEASE): its allocator (jemalloc) is the one measured; the
sanitizer builds bring their own."""
import os
import sys
import subprocess
import threading
import time
import unittest

from stashd import ROOT, Stashd, release_binary

MB = 1 << 20


def rss_bytes(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RssSampler:
    """Samples a process's RSS every 50 ms until stopped; peak is the largest seen."""

    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.05)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.peak


def bench(port, *args):
    subprocess.run(["redis-benchmark", "-p", str(port), "-q", *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)


class MemoryTest(unittest.TestCase):
    def start(self, **kw):
        s = Stashd(binary=release_binary(), **kw)
        self.addCleanup(s.cleanup)
        return s

    def test_defaults_are_a_256mb_budget_with_sizes_derived_from_it(self):
        s = self.start()
        c = s.client()
        self.assertEqual(c.config_get("memory-budget"), {"memory-budget": str(256 * MB)})
        self.assertEqual(c.config_get("lsm-memtable-size"), {"lsm-memtable-size": "0"})
        m = c.info("memory")
        self.assertEqual(m["memory_budget"], 256 * MB)
        self.assertEqual(m["block_cache_capacity"], 160 * MB)
        self.assertTrue(m["mem_allocator"].startswith("jemalloc-"), m["mem_allocator"])
        for field in ("used_memory", "used_memory_rss", "used_memory_memtables",
                      "used_memory_block_cache", "used_memory_tables",
                      "used_memory_clients", "allocator_resident"):
            self.assertIsInstance(m[field], int, field)
        self.assertGreater(m["used_memory_memtables"], 0)
        self.assertGreater(m["used_memory_clients"], 0)  # this client's read buffer

    def test_low_memory_conf_stays_under_64mb_with_more_data_than_that(self):
        with open(os.path.join(ROOT, "conf", "low-memory.conf")) as f:
            conf = f.read()
        s = self.start(config_text=conf)
        sampler = RssSampler(s.proc.pid)
        # 300,000 keys of 200 bytes: ~60 MB of values, twice the budget, then random reads
        bench(s.port, "-t", "set", "-n", "300000", "-r", "300000", "-d", "200", "-P", "16",
              "-c", "20")
        bench(s.port, "-t", "get", "-n", "200000", "-r", "300000", "-P", "16", "-c", "20")
        peak = sampler.stop()
        print(f"low-memory: peak RSS {peak / MB:.1f} MB", file=sys.stderr)
        c = s.client()
        m = c.info("memory")
        self.assertGreater(c.dbsize(), 150000)  # random keys: ~63% distinct
        self.assertLess(peak, 64 * MB, f"peak RSS {peak / MB:.1f} MB")
        # The engine's parts stay within the 24 MB budget: memtables (one active, at most one
        # waiting; each may run one arena block over) and the cache plus tables.
        self.assertLessEqual(m["used_memory_memtables"], 2 * (3 * MB + 512 * 1024))
        cache_part = 15 * MB  # what the budget leaves the block cache and the open tables
        self.assertGreater(m["used_memory_tables"], 0)
        self.assertLessEqual(m["block_cache_capacity"] + m["used_memory_tables"], cache_part)
        self.assertLessEqual(m["used_memory_block_cache"], m["block_cache_capacity"] + 64 * 1024)


if __name__ == "__main__":
    unittest.main()
