"""A value of exactly proto-max-bulk-len (512 MB) round-trips and survives a restart. Uses the
release build (STASHD_RELEASE, as the crash loops do): under ASan this would be slow."""
import os
import unittest

from stashd import Stashd, release_binary

MB = 1024 * 1024


class BigValueTest(unittest.TestCase):
    def test_512mb_value_round_trips_and_survives_restart(self):
        env_backup = os.environ.get("STASHD")
        os.environ["STASHD"] = release_binary()
        try:
            s = Stashd()
            self.addCleanup(s.cleanup)
            r = s.client(socket_timeout=300)
            value = (b"0123456789abcdef" * (32 * MB))[:512 * MB]
            self.assertEqual(len(value), 536870912)
            self.assertTrue(r.set("big", value))
            self.assertEqual(r.strlen("big"), 512 * MB)
            self.assertTrue(r.get("big") == value)
            self.assertEqual(s.stop(), 0)
            # The restart replays 512 MiB of log and flushes it (zstd): 13-19 s on a quiet
            # 2-core machine, so the default 20 s wait for readiness is too tight here.
            s2 = Stashd([], dir=s.dir, wait=False)
            self.addCleanup(s2.cleanup)
            s2._wait_ready(timeout=120)
            r2 = s2.client(socket_timeout=300)
            self.assertTrue(r2.get("big") == value)
            self.assertEqual(s2.stop(), 0)
        finally:
            if env_backup is None:
                os.environ.pop("STASHD", None)
            else:
                os.environ["STASHD"] = env_backup


if __name__ == "__main__":
    unittest.main()
