#!/usr/bin/python3
"""Expiry drain benchmark: N keys with one short TTL, written by a pipeline, then how long the
active-expiry cycle takes to reclaim them and how long a write waits meanwhile.

  scripts/bench-expiry.py [--keys 1000000] [--ttl-ms 3000] [--binary build/release/stashd]...

With several --binary, they run one after the other, alternating, --rounds times each (the
machine is shared: compare medians). For each run it prints: the time from the last key's expiry
until DBSIZE is 0, the time until INFO's expired_keys reaches N (every key reclaimed), and the
longest and 99.9th-percentile latency of an INCR on another key issued in a loop meanwhile (the
cycle runs on the writer thread, so a PING would not see it).
Use Debian's python3 (python3-redis).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from stashd import Stashd  # noqa: E402


def load(port, keys, ttl_ms):
    """SET k:i v PXAT t for every key, through redis-cli --pipe, with one expiry time t (now +
    ttl_ms) for all: the worst case, a million index entries in one millisecond. Returns t."""
    expire_ms = int(time.time() * 1000) + ttl_ms

    def cmd(*args):
        out = [f"*{len(args)}\r\n".encode()]
        for a in args:
            a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)
    payload = b"".join(cmd("SET", f"k:{i}", "v" * 16, "PXAT", expire_ms) for i in range(keys))
    subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=payload, check=True,
                   stdout=subprocess.DEVNULL)
    if time.time() * 1000 >= expire_ms:
        sys.exit(f"loading took longer than --ttl-ms {ttl_ms}: raise it")
    return expire_ms


def run_one(binary, keys, ttl_ms):
    s = Stashd(binary=binary)
    try:
        r = s.client()
        expire_ms = load(s.port, keys, ttl_ms)
        assert r.dbsize() == keys, r.dbsize()
        # Wait until the keys are due, then measure.
        while time.time() * 1000 < expire_ms:
            time.sleep(0.01)
        t0 = time.time()
        latencies = []
        dbsize_zero = None
        drained = None
        last_poll = 0.0
        while drained is None and time.time() - t0 < 600:
            a = time.perf_counter()
            r.incr("probe")
            latencies.append(time.perf_counter() - a)
            now = time.time()
            if now - last_poll > 0.05:
                last_poll = now
                if dbsize_zero is None and r.dbsize() <= 1:  # the probe key stays
                    dbsize_zero = now - t0
                if int(r.info("stats")["expired_keys"]) >= keys:
                    drained = now - t0
        latencies.sort()
        p999 = latencies[int(len(latencies) * 0.999)] if latencies else 0
        return {
            "dbsize_zero_s": dbsize_zero,
            "drained_s": drained,
            "max_incr_ms": latencies[-1] * 1000 if latencies else 0,
            "p999_incr_ms": p999 * 1000,
            "incrs": len(latencies),
        }
    finally:
        s.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--ttl-ms", type=int, default=30000)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--binary", action="append", default=[])
    args = ap.parse_args()
    binaries = args.binary or [os.path.join(os.path.dirname(__file__), "..", "build", "release",
                                            "stashd")]
    results = {b: [] for b in binaries}
    for _ in range(args.rounds):
        for b in binaries:
            res = run_one(b, args.keys, args.ttl_ms)
            results[b].append(res)
            print(f"{b}: " + " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                      for k, v in res.items()), flush=True)
    for b, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs if r[k] is not None)
               for k in runs[0] if any(r[k] is not None for r in runs)}
        print(f"median {b}: " + " ".join(f"{k}={v:.3f}" for k, v in med.items()))


if __name__ == "__main__":
    main()
