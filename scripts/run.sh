#!/usr/bin/env bash
# scripts/run.sh [stashd arguments...]: setup + release build + start stashd on 127.0.0.1:6379
# with data in ./data, logging to the terminal. Extra arguments go to stashd, e.g.
#   scripts/run.sh --port 6380 --appendfsync always
#   scripts/run.sh conf/stashd.conf
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
# The defaults are port 6379, bind 127.0.0.1 and dir ./data (conf/stashd.conf lists them all).
exec build/release/stashd "$@"
