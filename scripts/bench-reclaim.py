#!/usr/bin/python3
"""Disk space after FLUSHALL: loads about --gb GB of random 1 KB values (redis-cli --pipe), runs
FLUSHALL, then, with no other writes, prints the size of the data directory's tables after 10,
30 and 60 s (and INFO engine's reclaim fields).

  scripts/bench-reclaim.py [--gb 2] [--binary build/release/stashd]...

Use Debian's python3 (python3-redis).
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from stashd import Stashd  # noqa: E402


def table_bytes(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)
               if f.endswith(".sst"))


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))


def load(port, keys, chunk=50000):
    """SET k:i <1000 random bytes> for every key, through redis-cli --pipe: random bytes, since
    redis-benchmark's constant values compress to almost nothing on disk."""
    for first in range(0, keys, chunk):
        parts = []
        for i in range(first, min(keys, first + chunk)):
            k = b"k:%d" % i
            v = os.urandom(1000)
            parts.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1000\r\n%s\r\n" % (len(k), k, v))
        subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=b"".join(parts),
                       check=True, stdout=subprocess.DEVNULL)


def run(binary, gb):
    s = Stashd(binary=binary)
    try:
        r = s.client()
        load(s.port, int(gb * 1024 * 1024))  # 1 KB values
        # Let the memtable reach the tables, so the "before" size is what a restart would have.
        time.sleep(5)
        before = dir_bytes(s.dir)
        print(f"{binary}: loaded {r.dbsize()} keys, data directory {before / 2**30:.2f} GiB "
              f"(tables {table_bytes(s.dir) / 2**30:.2f} GiB)", flush=True)
        t0 = time.time()
        r.flushall()
        for at in (10, 30, 60):
            time.sleep(max(0, t0 + at - time.time()))
            now = dir_bytes(s.dir)
            e = r.info("engine")
            print(f"  after {at:2d} s: data directory {now / 2**20:8.1f} MiB = "
                  f"{100.0 * now / before:5.1f}% (tables {table_bytes(s.dir) / 2**20:.1f} MiB; "
                  f"reclaim_pending={e.get('reclaim_pending')} "
                  f"reclaimed_files={e.get('reclaimed_files')} "
                  f"reclaimed_bytes={e.get('reclaimed_bytes')})", flush=True)
    finally:
        s.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=2.0)
    ap.add_argument("--binary", action="append", default=[])
    args = ap.parse_args()
    for b in args.binary or [os.path.join(os.path.dirname(__file__), "..", "build", "release",
                                          "stashd")]:
        run(b, args.gb)


if __name__ == "__main__":
    main()
