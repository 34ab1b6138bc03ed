"""The kill -9 crash loop for queues, short form: scripts/queue-crash-test.sh (release stashd,
producers RPUSHing unique jobs, consumers moving them with LMOVE/BLMOVE to "processing" and
acknowledging them with LREM, SIGKILL 0.2-2 s into each cycle, restart, oracle of acknowledged
pushes, moves and LREMs; tests/queue_crash_checker.py) for 10 cycles with appendfsync always
must lose, duplicate and invent no job; and its oracle must be able to fail: with one
acknowledged job removed behind its back (--inject-loss) the script exits non-zero and reports
it lost. The same for the sorted-set counters workload (--workload zsets: writers that each own a
sorted set and send ZINCRBY/ZADD/ZREM/ZPOPMIN one at a time, an oracle of each set's exact state
after every acknowledged reply, checked after each restart through ZRANGE, ZREVRANGE,
ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZSCAN, ZMSCORE and ZCARD): 10 cycles report 0 zset violations,
and one acknowledged member removed behind the oracle's back makes the script exit non-zero.
And for Lua scripts that move value between keys (--workload scripts: writers sending a transfer
script by EVALSHA, EVAL after NOSCRIPT, between 8 accounts, each appending its id to "ledger"
and incrementing "seq"): 10 cycles keep the invariants (balances sum to the initial total, none
negative, LLEN ledger = seq, no id twice, every acknowledged transfer in the ledger, none
invented, the balances the ledger's replay) with 0 lost, duplicated, invented and 0 invariant
violations, the second cycle's EVALSHAs meet NOSCRIPT; and one acknowledged transfer removed
from the ledger behind the oracle's back makes the script exit non-zero reporting 1 lost.
And for a stream read by a consumer group (--workload streams: producers XADDing unique jobs,
consumers reading with XREADGROUP > [BLOCK] and acknowledging each entry with XACK, some
re-reading their own pending entries after the restart, a reaper taking over the entries left
pending with XAUTOCLAIM or XPENDING IDLE + XCLAIM): 10 cycles lose no acknowledged XADD, undo no
acknowledged XACK, keep every pending entry owned by the consumer the last reply gave it to,
and keep XPENDING (summary, extended, per consumer), XINFO GROUPS/CONSUMERS/STREAM [FULL], XLEN
and XRANGE consistent (0 lost, duplicated, invented, acks undone and stream violations), with
entries pending at a restart taken over by the reaper; and each part of that oracle can fail:
an acknowledged entry deleted (XDEL) behind its back is reported lost, an acknowledged XACK
undone (XCLAIM ... FORCE) as 1 ack undone, a pending entry acknowledged behind its back
(XACK) as pending-lost; each run exits non-zero.

Uses a release build: STASHD_RELEASE, else build/release/stashd (then asan, debug); the script
is given it with --binary, so it never builds."""
import os
import re
import subprocess
import unittest

from stashd import ROOT, release_binary

SCRIPT = os.path.join(ROOT, "scripts", "queue-crash-test.sh")
FINAL = re.compile(r"^(\d+) cycles, (\d+) acknowledged pushes, (\d+) lost, (\d+) duplicated, "
                   r"(\d+) invented$")
FINAL_ZSETS = re.compile(r"^(\d+) cycles, (\d+) acknowledged pushes, (\d+) lost, (\d+) "
                         r"duplicated, (\d+) invented, (\d+) acknowledged zset ops, (\d+) zset "
                         r"violations$")
FINAL_SCRIPTS = re.compile(r"^(\d+) cycles, (\d+) acknowledged transfers, (\d+) lost, (\d+) "
                           r"duplicated, (\d+) invented, (\d+) invariant violations$")
FINAL_STREAMS = re.compile(r"^(\d+) cycles, (\d+) acknowledged XADDs, (\d+) acknowledged XACKs, "
                           r"(\d+) lost, (\d+) duplicated, (\d+) invented, (\d+) acks undone, "
                           r"(\d+) stream violations$")


class QueueCrashLoopTest(unittest.TestCase):
    def crash_test(self, *args):
        r = subprocess.run([SCRIPT, "--binary", release_binary()] + list(args),
                           capture_output=True, text=True, timeout=600)
        lines = r.stdout.strip().splitlines()
        last = lines[-1] if lines else ""
        if "--keep" not in args and "work directory kept" in last:
            last = lines[-2]
        return r.returncode, last, r.stdout + r.stderr

    def test_kill9_loses_duplicates_and_invents_no_job(self):
        code, last, output = self.crash_test("--cycles", "10", "--appendfsync", "always")
        self.assertEqual(code, 0, output)
        m = FINAL.match(last)
        self.assertIsNotNone(m, "final line %r\n%s" % (last, output))
        self.assertEqual(m.group(1), "10", output)
        self.assertGreater(int(m.group(2)), 0, output)
        self.assertEqual(m.group(3, 4, 5), ("0", "0", "0"), output)
        self.assertEqual(len(re.findall(r"^cycle \d+/10: .*: ok$", output, re.M)), 10, output)
        self.assertRegex(output, r"(?m)^clean stop and restart .*: ok$")

    def test_oracle_fails_when_an_acknowledged_job_is_removed(self):
        code, last, output = self.crash_test("--cycles", "2", "--inject-loss")
        self.assertEqual(code, 1, output)
        m = FINAL.match(last)
        self.assertIsNotNone(m, "final line %r\n%s" % (last, output))
        self.assertEqual(m.group(3, 4, 5), ("1", "0", "0"), output)
        self.assertIn("inject-loss: removed acknowledged job", output)

    def test_kill9_keeps_every_sorted_set_state(self):
        code, last, output = self.crash_test("--cycles", "10", "--appendfsync", "always",
                                             "--workload", "zsets")
        self.assertEqual(code, 0, output)
        m = FINAL_ZSETS.match(last)
        self.assertIsNotNone(m, "final line %r\n%s" % (last, output))
        self.assertEqual(m.group(1), "10", output)
        self.assertEqual(m.group(3, 4, 5), ("0", "0", "0"), output)
        self.assertGreater(int(m.group(6)), 0, output)
        self.assertEqual(m.group(7), "0", output)
        self.assertEqual(len(re.findall(r"^cycle \d+/10: \d+ zset ops acknowledged .*: ok$",
                                        output, re.M)), 10, output)
        self.assertRegex(output, r"(?m)^clean stop and restart .*: ok$")

    def test_zset_oracle_fails_when_an_acknowledged_member_is_removed(self):
        code, last, output = self.crash_test("--cycles", "2", "--workload", "zsets",
                                             "--inject-loss")
        self.assertEqual(code, 1, output)
        m = FINAL_ZSETS.match(last)
        self.assertIsNotNone(m, "final line %r\n%s" % (last, output))
        self.assertEqual(m.group(3, 4, 5), ("0", "0", "0"), output)
        self.assertEqual(m.group(7), "1", output)
        self.assertIn("inject-loss: removed acknowledged member", output)
        self.assertRegex(output, r"\[zset-state\] board:\d+: lost ")

    def test_kill9_keeps_script_invariants(self):
        code, last, output = self.crash_test("--cycles", "10", "--appendfsync", "always",
                                             "--workload", "scripts")
        self.assertEqual(code, 0, output)
        m = FINAL_SCRIPTS.match(last)
        self.assertIsNotNone(m, "final line %r\n%s" % (last, output))
        self.assertEqual(m.group(1), "10", output)
        self.assertGreater(int(m.group(2)), 0, output)
        self.assertEqual(m.group(3, 4, 5, 6), ("0", "0", "0", "0"), output)
        cycles = re.findall(r"^cycle \d+/10: \d+ transfers acknowledged .*, (\d+) NOSCRIPT "
                            r"fallbacks to EVAL\).*: ok$", output, re.M)
        self.assertEqual(len(cycles), 10, output)
        # The second cycle's writers do not SCRIPT LOAD: the restarted server's empty cache
        # answers NOSCRIPT and the transfers go through EVAL.
        self.assertGreater(int(cycles[1]), 0, output)
        self.assertRegex(output, r"(?m)^clean stop and restart .*: ok$")

    def test_oracle_fails_when_an_acknowledged_transfer_is_removed(self):
        code, last, output = self.crash_test("--cycles", "2", "--workload", "scripts",
                                             "--inject-loss")
        self.assertEqual(code, 1, output)
        m = FINAL_SCRIPTS.match(last)
        self.assertIsNotNone(m, "final line %r\n%s" % (last, output))
        self.assertEqual(m.group(3, 4, 5), ("1", "0", "0"), output)
        self.assertIn("inject-loss: removed acknowledged transfer", output)
        self.assertRegex(output, r"\[lost\] tx:\d+ is not in the ledger, but its script replied "
                         r"seq \d+|\[lost\] tx:\d+ is gone from the ledger")

    def test_kill9_keeps_stream_entries_acks_and_pending_entries(self):
        code, last, output = self.crash_test("--cycles", "10", "--appendfsync", "always",
                                             "--workload", "streams")
        self.assertEqual(code, 0, output)
        m = FINAL_STREAMS.match(last)
        self.assertIsNotNone(m, "final line %r\n%s" % (last, output))
        self.assertEqual(m.group(1), "10", output)
        self.assertGreater(int(m.group(2)), 0, output)
        self.assertGreater(int(m.group(3)), 0, output)
        self.assertEqual(m.group(4, 5, 6, 7, 8), ("0", "0", "0", "0", "0"), output)
        cycles = re.findall(r"^cycle \d+/10: \d+ XADDs acknowledged .*, \d+ claimed \((\d+) "
                            r"pending at the start;.*: ok$", output, re.M)
        self.assertEqual(len(cycles), 10, output)
        # The reaper took over entries left pending by the consumers killed with the server.
        self.assertGreater(sum(int(n) for n in cycles), 0, output)
        self.assertRegex(output, r"(?m)^clean stop and restart .*: ok$")

    def stream_damage(self, kind):
        code, last, output = self.crash_test("--cycles", "2", "--workload", "streams",
                                             "--inject", kind)
        self.assertEqual(code, 1, output)
        m = FINAL_STREAMS.match(last)
        self.assertIsNotNone(m, "final line %r\n%s" % (last, output))
        self.assertIn("inject-%s: " % kind, output)
        return m, output

    def test_stream_oracle_fails_when_an_acknowledged_entry_is_deleted(self):
        m, output = self.stream_damage("loss")
        self.assertEqual(m.group(4, 5, 6, 7), ("1", "0", "0", "0"), output)
        self.assertIn("removed acknowledged entry", output)
        self.assertRegex(output, r"\[lost\] job:\d+ is not at \d+-\d+, but its XADD replied "
                         r"that ID|\[lost\] \d+-\d+ \(job:\d+\) is gone")

    def test_stream_oracle_fails_when_an_acknowledged_xack_is_undone(self):
        m, output = self.stream_damage("unack")
        self.assertEqual(m.group(4, 5, 6, 7, 8), ("0", "0", "0", "1", "0"), output)
        self.assertRegex(output, r"\[ack-undone\] \d+-\d+ is pending again \(for reaper\), "
                         r"but its XACK replied :1 this cycle")

    def test_stream_oracle_fails_when_a_pending_entry_is_acknowledged(self):
        m, output = self.stream_damage("ack")
        self.assertEqual(m.group(4, 5, 6, 7, 8), ("0", "0", "0", "0", "1"), output)
        self.assertRegex(output, r"\[pending-lost\] \d+-\d+ is no longer pending, but no XACK "
                         r"of it was sent")


if __name__ == "__main__":
    unittest.main()
