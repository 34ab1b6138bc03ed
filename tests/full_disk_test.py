"""A full disk, for real: stashd's data directory lives on a small tmpfs the test mounts (root, or
CAP_SYS_ADMIN, is needed; a missing permission fails the test, it is not skipped). The disk is
filled with a ballast file until writes fail; then:
  - writes get Redis's MISCONF error naming the cause, reads keep working, INFO persistence shows
    aof_last_write_status:err and the error;
  - while the disk stays full writes stay refused (the server retries once a second);
  - once the ballast is deleted writes resume by themselves, without a restart;
  - after kill -9 and a restart every acknowledged write is there, and stashd --check is happy.
"""
import os
import random
import shutil
import subprocess
import tempfile
import time
import unittest

import redis

from stashd import Stashd, stashd_binary

TMPFS_SIZE = "24m"
FREE_AFTER_BALLAST = 3 << 20
ARGS = ["--appendfsync", "always", "--lsm-memtable-size", "256kb", "--lsm-target-file-size",
        "256kb", "--lsm-l1-size", "1mb"]


def value(i):
    """4 KB that zstd cannot shrink, so the disk fills after a few hundred SETs."""
    return random.Random(i).randbytes(4096)


def info_persistence(r):
    return r.info("persistence")


class FullDiskTest(unittest.TestCase):
    def setUp(self):
        self.mnt = tempfile.mkdtemp(prefix="stashd-tmpfs-")
        self.addCleanup(shutil.rmtree, self.mnt, True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + TMPFS_SIZE, "tmpfs", self.mnt],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, "cannot mount a tmpfs for the full-disk test (needs root "
                         "or CAP_SYS_ADMIN): " + r.stderr)
        self.addCleanup(subprocess.run, ["umount", "-l", self.mnt], capture_output=True)
        self.dir = os.path.join(self.mnt, "data")

    def fill_disk(self, leave):
        """Writes a ballast file until only `leave` bytes are free; returns its path."""
        path = os.path.join(self.mnt, "ballast")
        st = os.statvfs(self.mnt)
        size = st.f_bavail * st.f_frsize - leave
        with open(path, "wb") as f:
            chunk = b"\0" * (1 << 20)
            while size > 0:
                n = min(size, len(chunk))
                f.write(chunk[:n])
                size -= n
        return path

    def wait_for(self, predicate, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        self.fail("timed out waiting for " + what)

    def test_full_disk_refuses_writes_keeps_reads_and_resumes_once_space_is_freed(self):
        s = Stashd(ARGS, dir=self.dir)
        self.addCleanup(s.cleanup)
        r = s.client()
        ballast = self.fill_disk(FREE_AFTER_BALLAST)

        acked = 0
        error = None
        for i in range(100000):
            try:
                r.set("k%06d" % i, value(i))
            except redis.exceptions.ResponseError as e:
                error = str(e)
                break
            acked = i + 1
        self.assertIsNotNone(error, "the disk never filled up")
        self.assertGreater(acked, 50)
        # Whichever write met the full disk first (the log, a flush or a compaction) is named,
        # with the file (docs/errors.md).
        self.assertRegex(error, r"^MISCONF (Errors writing to the write-ahead log|Writes are "
                                r"refused after a failed (table write \((flush|compaction)\)|"
                                r"MANIFEST write)): ")
        self.assertIn("No space left on device", error)

        # Reads go on; INFO tells why writes are refused.
        for i in range(0, acked, 7):
            self.assertEqual(r.get("k%06d" % i), value(i))
        self.assertEqual(r.dbsize(), acked)
        info = info_persistence(r)
        self.assertEqual(info["aof_last_write_status"], "err")
        self.assertIn("No space left on device", info["stashd_last_write_error"])
        self.assertIn(info["stashd_last_write_error_origin"],
                      ("write-ahead log write", "write-ahead log create", "table write (flush)",
                       "table write (compaction)", "MANIFEST write"))
        self.assertGreaterEqual(info["stashd_write_errors"], 1)

        # Still full: the retries (once a second) fail and writes stay refused.
        time.sleep(2.5)
        with self.assertRaises(redis.exceptions.ResponseError) as cm:
            r.set("refused", "x")
        self.assertIn("MISCONF", str(cm.exception))
        self.assertEqual(info_persistence(r)["aof_last_write_status"], "err")
        self.assertIsNone(r.get("refused"))

        # Space comes back: writes resume without a restart.
        os.remove(ballast)
        self.wait_for(lambda: info_persistence(r)["aof_last_write_status"] == "ok", 15,
                      "writes to resume")
        info = info_persistence(r)
        self.assertEqual(info["stashd_last_write_error"], "")
        self.assertIn("No space left on device", info["stashd_last_io_error"])
        self.assertGreaterEqual(info["stashd_write_resumes"], 1)
        self.assertIn("can write again", s.output())
        for i in range(acked, acked + 100):
            r.set("k%06d" % i, value(i))
        acked += 100

        # Nothing acknowledged is lost, before or after the full disk.
        s.proc.kill()
        s.proc.wait()
        s2 = Stashd(ARGS, dir=self.dir)
        self.addCleanup(s2.cleanup)
        r2 = s2.client()
        self.assertEqual(r2.dbsize(), acked)
        for i in range(acked):
            self.assertEqual(r2.get("k%06d" % i), value(i), i)
        self.assertEqual(s2.stop(), 0)
        check = subprocess.run([stashd_binary(), "--check", self.dir], capture_output=True,
                               text=True, timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)


if __name__ == "__main__":
    unittest.main()
