"""Regression tests named after bugs found outside the suites that cover each area."""
import unittest

from stashd import StashdTestCase


class Regressions(StashdTestCase):
    def test_select_index_beyond_int_range_gets_redis_range_error(self):
        # Was "ERR DB index is out of range"; Redis parses the index as an int first.
        r = self.server.client()
        with self.assertRaises(Exception) as ctx:
            r.execute_command("SELECT", "4294967296")
        self.assertEqual(str(ctx.exception),
                         "value is out of range, value must between -2147483648 and 2147483647")
        with self.assertRaises(Exception) as ctx:
            r.execute_command("SELECT", "16")
        self.assertEqual(str(ctx.exception), "DB index is out of range")

    def test_keys_with_many_stars_does_not_backtrack_exponentially(self):
        # Was minutes on one I/O thread (a recursive glob matcher): the client's 10 s socket
        # timeout turns that into a failure without a speed threshold in the test.
        r = self.server.client()
        r.set("a" * 40, "v")
        self.assertEqual(r.keys("*a*a*a*a*a*a*a*a*a*a*b"), [])
        self.assertEqual(r.keys("*a*a*a*a*a*a*a*a*a*a*"), [b"a" * 40])


if __name__ == "__main__":
    unittest.main()
