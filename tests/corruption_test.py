"""Damaged data directories: stashd refuses to start naming the file and offset, or (for an
SSTable block read later) returns an error for the affected reads - never wrong data, never a
crash."""
import glob
import os
import subprocess
import unittest

import redis

from stashd import Stashd, stashd_binary, free_port

TINY = ["--lsm-memtable-size", "16kb", "--lsm-target-file-size", "32kb", "--lsm-block-size", "1kb"]


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x5A]))


def start_fails(dir, *args):
    """Starts stashd on dir expecting it to refuse; returns its output."""
    r = subprocess.run([stashd_binary(), "--port", str(free_port()), "--dir", dir] + list(args),
                       capture_output=True, timeout=60)
    out = (r.stdout + r.stderr).decode(errors="replace")
    assert r.returncode != 0, "stashd started on a damaged directory:\n" + out
    return out


class CorruptionTest(unittest.TestCase):
    def killed_with_log(self, n=20):
        """n acknowledged SETs (one log batch each), then kill -9: the data is only in the log."""
        s = Stashd(["--appendfsync", "always"])
        self.addCleanup(s.cleanup)
        r = s.client()
        for i in range(n):
            r.set("k%02d" % i, "v%02d" % i)
        s.proc.kill()
        s.proc.wait()
        return s

    def test_flipped_byte_early_in_the_log_refuses_to_start_naming_file_and_offset(self):
        s = self.killed_with_log()
        log = sorted(glob.glob(os.path.join(s.dir, "*.log")))[-1]
        flip(log, 12)  # inside the first batch: valid batches follow, so it is a hole
        out = start_fails(s.dir)
        self.assertIn(os.path.basename(log), out)
        self.assertIn("offset", out)

    def test_point_in_time_recovery_keeps_the_prefix_before_the_damage(self):
        s = self.killed_with_log()
        log = sorted(glob.glob(os.path.join(s.dir, "*.log")))[-1]
        size = os.path.getsize(log)
        flip(log, size // 2)
        s2 = Stashd(["--lsm-wal-recovery", "point-in-time"], dir=s.dir)
        self.addCleanup(s2.cleanup)
        r = s2.client()
        values = [r.get("k%02d" % i) for i in range(20)]
        present = [v is not None for v in values]
        # A prefix of the acknowledged writes, never a hole, never a wrong value.
        self.assertEqual(present, sorted(present, reverse=True))
        self.assertGreater(sum(present), 0)
        for i, v in enumerate(values):
            if v is not None:
                self.assertEqual(v, b"v%02d" % i)
        self.assertEqual(s2.stop(), 0)

    def test_damaged_manifest_refuses_to_start_naming_it(self):
        s = self.killed_with_log(5)
        s2 = Stashd([], dir=s.dir)  # a clean restart writes a new MANIFEST
        self.addCleanup(s2.cleanup)
        self.assertEqual(s2.stop(), 0)
        manifest = sorted(glob.glob(os.path.join(s.dir, "MANIFEST-*")))[-1]
        flip(manifest, 9)
        out = start_fails(s.dir)
        self.assertIn("MANIFEST", out)

    def test_current_naming_a_missing_manifest_refuses_to_start(self):
        s = self.killed_with_log(5)
        with open(os.path.join(s.dir, "CURRENT"), "w") as f:
            f.write("MANIFEST-999999\n")
        out = start_fails(s.dir)
        self.assertIn("MANIFEST-999999", out)

    def test_damaged_table_block_gives_errors_never_wrong_data(self):
        s = Stashd(TINY)
        self.addCleanup(s.cleanup)
        r = s.client()
        for i in range(3000):
            r.set("key:%05d" % i, "value:%05d" % i)
        self.assertEqual(s.stop(), 0)
        tables = sorted(glob.glob(os.path.join(s.dir, "*.sst")), key=os.path.getsize)
        self.assertTrue(tables)
        # A data block in the middle of the largest table: user keys, not the slot map and
        # counters (they sort first; damage there refuses to start, tested above for logs).
        flip(tables[-1], os.path.getsize(tables[-1]) // 3)
        s2 = Stashd(TINY, dir=s.dir)
        self.addCleanup(s2.cleanup)
        r = s2.client()
        errors = 0
        for i in range(3000):
            try:
                v = r.get("key:%05d" % i)
            except redis.ResponseError as e:
                self.assertIn("Corruption", str(e))
                errors += 1
                continue
            # Every answer is the right value (or a miss is impossible: all were written).
            self.assertEqual(v, b"value:%05d" % i)
        self.assertGreater(errors, 0)
        self.assertEqual(r.ping(), True)
        self.assertEqual(s2.stop(), 0)


if __name__ == "__main__":
    unittest.main()
