"""stashd --check DIR: offline verification of a data directory (logs, SSTables, MANIFEST)."""
import glob
import os
import subprocess
import unittest

from stashd import Stashd, stashd_binary

TINY = ["--lsm-memtable-size", "16kb", "--lsm-target-file-size", "32kb",
        "--lsm-block-size", "1kb"]


def check(dir):
    r = subprocess.run([stashd_binary(), "--check", dir], capture_output=True, timeout=120)
    return r.returncode, r.stdout.decode(errors="replace")


class CheckTest(unittest.TestCase):
    def make_data(self, keys=3000):
        s = Stashd(TINY)
        self.addCleanup(s.cleanup)
        r = s.client()
        pipe = r.pipeline(transaction=False)
        for i in range(keys):
            pipe.set("key:%06d" % i, "value-%d" % i * 3)
        pipe.execute()
        self.assertEqual(s.stop(), 0)
        return s.dir

    def test_sound_directory_exits_zero_and_lists_every_file(self):
        d = self.make_data()
        code, out = check(d)
        self.assertEqual(code, 0, out)
        self.assertIn("SOUND:", out)
        self.assertIn("MANIFEST-", out)
        self.assertIn(".sst", out)

    def test_flipped_byte_in_a_table_is_named_with_its_offset(self):
        d = self.make_data()
        table = sorted(glob.glob(os.path.join(d, "*.sst")))[0]
        with open(table, "r+b") as f:
            f.seek(10)
            b = f.read(1)
            f.seek(10)
            f.write(bytes([b[0] ^ 0xFF]))
        code, out = check(d)
        self.assertEqual(code, 1, out)
        self.assertIn("DAMAGED", out)
        self.assertIn(os.path.basename(table), out)
        self.assertIn("offset", out)

    def test_damaged_current_is_reported(self):
        d = self.make_data(100)
        with open(os.path.join(d, "CURRENT"), "w") as f:
            f.write("MANIFEST-999999\n")
        code, out = check(d)
        self.assertEqual(code, 1, out)
        self.assertIn("CURRENT/MANIFEST", out)

    def test_torn_log_tail_is_reported_but_sound(self):
        s = Stashd(["--appendfsync", "always"])
        self.addCleanup(s.cleanup)
        s.client().set("a", "1")
        s.client().set("b", "2")
        s.proc.kill()  # kill -9: the log is not flushed into tables
        s.proc.wait()
        logs = sorted(glob.glob(os.path.join(s.dir, "*.log")))
        size = os.path.getsize(logs[-1])
        with open(logs[-1], "r+b") as f:
            f.truncate(size - 3)
        code, out = check(s.dir)
        self.assertEqual(code, 0, out)
        self.assertIn("torn tail", out)

    def test_directory_in_use_is_not_checked(self):
        s = Stashd()
        self.addCleanup(s.cleanup)
        code, out = check(s.dir)
        self.assertEqual(code, 2, out)
        self.assertIn("not checked", out)
        self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    unittest.main()
