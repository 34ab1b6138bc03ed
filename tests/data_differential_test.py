"""Differential test: seeded random commands against stashd and a stock redis-server
(tests/differential.py), replies compared exactly. The string/keyspace/expiry/SCAN group runs in
RESP2; the hash, set, list, zset and mixed groups (keys changing type) run in RESP2 and RESP3 (raw reply
bytes compared), each seed once one command at a time and once with frequent pipelines.
A mismatch prints the seed and the command history; rerun one seed with DIFF_SEEDS=<seed>
(DIFF_COUNT sets the number of commands per seed of the string group, DIFF_COLLECTION_COUNT
that of the others)."""
import os
import unittest

from differential import Differential, RedisServer
from stashd import StashdTestCase

SEEDS = [int(s) for s in os.environ.get("DIFF_SEEDS", "1,2,3,4,5").split(",")]
COUNT = int(os.environ.get("DIFF_COUNT", "3000"))
COLLECTION_COUNT = int(os.environ.get("DIFF_COLLECTION_COUNT", "2000"))
# Pipelined runs: a pipeline of 2-29 commands starts at one command in five.
PIPELINED = 0.2


class DifferentialTest(StashdTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.redis = RedisServer()

    @classmethod
    def tearDownClass(cls):
        cls.redis.stop()
        super().tearDownClass()

    def run_seeds(self, count, **kw):
        for seed in SEEDS:
            with self.subTest(seed=seed, **kw):
                d = Differential(self.server.port, self.redis.port, seed, count, **kw)
                try:
                    d.run()
                finally:
                    d.close()

    def run_group(self, groups, proto):
        for chance in (0.0, PIPELINED):
            self.run_seeds(COLLECTION_COUNT, groups=groups, proto=proto, pipeline_chance=chance)

    def test_random_commands_match_redis(self):
        self.run_seeds(COUNT)

    def test_hash_commands_match_redis(self):
        self.run_group("hash", 2)

    def test_hash_commands_match_redis_resp3(self):
        self.run_group("hash", 3)

    def test_set_commands_match_redis(self):
        self.run_group("set", 2)

    def test_set_commands_match_redis_resp3(self):
        self.run_group("set", 3)

    def test_list_commands_match_redis(self):
        self.run_group("list", 2)

    def test_list_commands_match_redis_resp3(self):
        self.run_group("list", 3)

    def test_zset_commands_match_redis(self):
        self.run_group("zset", 2)

    def test_zset_commands_match_redis_resp3(self):
        self.run_group("zset", 3)

    def test_mixed_types_match_redis(self):
        self.run_group("mixed", 2)

    def test_mixed_types_match_redis_resp3(self):
        self.run_group("mixed", 3)


if __name__ == "__main__":
    unittest.main()
