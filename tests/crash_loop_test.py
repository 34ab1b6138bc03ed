"""The kill -9 crash loop, short form: scripts/crash-test.sh (release stashd, 8 writers,
SIGKILL 0.2-3 s into each cycle, restart, oracle of acknowledged writes) for 10 cycles with
appendfsync always and 10 with everysec must lose nothing, and 10 more with hash and set writers
beside the string ones (--workload mixed); and its oracle must be able to fail: with one
acknowledged key deleted (or one acknowledged hash field removed) behind its back
(--inject-loss) the script exits non-zero."""
import os
import re
import subprocess
import unittest

from stashd import ROOT

SCRIPT = os.path.join(ROOT, "scripts", "crash-test.sh")
FINAL = re.compile(r"^(\d+) cycles, (\d+) acknowledged ops, (\d+) lost, (\d+) resurrected, "
                   r"(\d+) torn transactions$")


class CrashLoopTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        release = os.path.join(ROOT, "build", "release", "stashd")
        if os.environ.get("STASH_TEST_QUICK") == "1" and not os.path.exists(release):
            raise unittest.SkipTest("STASH_TEST_QUICK=1 and no release build")

    def crash_test(self, *args):
        r = subprocess.run([SCRIPT] + list(args), capture_output=True, text=True, timeout=600)
        lines = r.stdout.strip().splitlines()
        last = lines[-1] if lines else ""
        if "--keep" not in args and "work directory kept" in last:
            last = lines[-2]
        return r.returncode, last, r.stdout + r.stderr

    def assert_loses_nothing(self, appendfsync, *extra):
        code, last, output = self.crash_test("--cycles", "10", "--appendfsync", appendfsync,
                                             *extra)
        self.assertEqual(code, 0, output)
        m = FINAL.match(last)
        self.assertIsNotNone(m, "final line %r\n%s" % (last, output))
        self.assertEqual(m.group(1), "10", output)
        self.assertGreater(int(m.group(2)), 0, output)
        self.assertEqual(m.group(3, 4, 5), ("0", "0", "0"), output)
        self.assertEqual(len(re.findall(r"^cycle \d+/10: .*: ok$", output, re.M)), 10, output)

    def test_kill9_loses_no_acknowledged_write_appendfsync_always(self):
        self.assert_loses_nothing("always")

    def test_kill9_loses_no_acknowledged_write_appendfsync_everysec(self):
        self.assert_loses_nothing("everysec")

    def test_kill9_loses_no_acknowledged_hash_or_set_write(self):
        self.assert_loses_nothing("everysec", "--workload", "mixed")

    def test_oracle_fails_when_an_acknowledged_key_is_deleted(self):
        code, last, output = self.crash_test("--cycles", "2", "--inject-loss")
        self.assertEqual(code, 1, output)
        m = FINAL.match(last)
        self.assertIsNotNone(m, "final line %r\n%s" % (last, output))
        self.assertEqual(m.group(3), "1", output)
        self.assertIn("inject-loss: deleted acknowledged key", output)

    def test_oracle_fails_when_an_acknowledged_hash_field_is_removed(self):
        code, last, output = self.crash_test("--cycles", "2", "--workload", "collections",
                                             "--inject-loss")
        self.assertEqual(code, 1, output)
        m = FINAL.match(last)
        self.assertIsNotNone(m, "final line %r\n%s" % (last, output))
        self.assertEqual(m.group(3), "1", output)
        self.assertIn("inject-loss: removed acknowledged element", output)


if __name__ == "__main__":
    unittest.main()
