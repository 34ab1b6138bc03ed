#!/usr/bin/env bash
# Installs, with apt-get, exactly the Debian packages StashDB's build and tests need that are
# missing. Idempotent and quiet when nothing is missing. Works as root on a fresh Debian 12.
#   scripts/setup.sh         build + test packages
#   scripts/setup.sh bench   also what the benchmark scripts need (RocksDB's db_bench, gnuplot)
set -euo pipefail

PACKAGES=(
  # build
  g++ make cmake pkg-config libboost-dev libfmt-dev libcli11-dev libzstd-dev libgtest-dev
  libjemalloc-dev
  # scripting: Lua 5.1 (Redis embeds 5.1) with the cjson and bit libraries Redis scripts use
  liblua5.1-0-dev lua-cjson-dev lua-bitop-dev
  # tests: real clients, a stock redis-server to compare with, the parser fuzzer, Celery (a job
  # queue with a Redis broker and result backend: tests/celery_test.py), RQ (a job queue whose
  # results live in Redis streams: tests/rq_test.py)
  redis-tools redis-server python3 python3-redis clang libclang-rt-14-dev python3-celery
  python3-rq
  # style and lint: scripts/format.sh (scripts/test.sh checks it), scripts/tidy.sh
  clang-format clang-tidy
)
# bench: RocksDB's db_bench to compare with, gnuplot for the charts
[ "${1:-}" = bench ] && PACKAGES+=(rocksdb-tools gnuplot-nox)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a redis-server on 6379 where the init system allows it; the tests
# start their own on free ports, so stop a packaged one that would hold 6379 for scripts/run.sh.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
  $SUDO systemctl stop redis-server || true
  $SUDO systemctl disable redis-server >/dev/null 2>&1 || true
fi
echo "setup: done"
