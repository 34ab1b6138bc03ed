#!/usr/bin/env bash
# Installs the npm packages of the Node client tests (tests/node/, run by tests/node_pubsub_test.py,
# tests/bull_test.py and tests/bullmq_test.py) into build/node/node_modules, at exact versions.
# Idempotent and quiet when they are there.
# Node and npm come from Debian (apt-get install nodejs npm) only when `node` or `npm` is missing.
#   ioredis 5     RESP2 only (its parser has no RESP3)
#   redis 5       node-redis; RESP3 with createClient({ RESP: 3 }), pushes for Pub/Sub, sSubscribe.
#                 5.x because it runs on Debian 12's nodejs 18.20 (redis 6 needs node >= 20).
#   bull 4        the job queue (Lua scripts through ioredis, BRPOPLPUSH, Pub/Sub), node >= 12
#   bullmq 5      Bull's successor (Lua scripts, streams: XADD/XREAD BLOCK for its events, BZPOPMIN
#                 marker), on the same ioredis 5.11.1 as pinned above; 5.x declares node >= 12.22
#                 and runs on Debian 12's nodejs 18 (6.x moved ioredis to an optional peer).
# A failed npm install (e.g. no registry) fails this script: tests must not skip silently.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(ioredis@5.11.1 redis@5.12.4 bull@4.16.5 bullmq@5.81.5)
PREFIX=build/node

# Already installed at the pinned versions? (name@version -> node_modules/name/package.json)
installed() {
  command -v node >/dev/null 2>&1 || return 1
  local spec name version
  for spec in "${PACKAGES[@]}"; do
    name=${spec%@*}
    version=${spec##*@}
    [ -f "$PREFIX/node_modules/$name/package.json" ] || return 1
    [ "$(node -p "require('./$PREFIX/node_modules/$name/package.json').version" 2>/dev/null)" \
      = "$version" ] || return 1
  done
}
installed && exit 0

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing=()
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup-node: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "setup-node: installing ${PACKAGES[*]} into $PREFIX"
mkdir -p "$PREFIX"
log="$PREFIX/npm-install.log"
if ! npm install --prefix "$PREFIX" --save-exact --no-audit --no-fund --no-progress \
  --loglevel=error "${PACKAGES[@]}" >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup-node: FAILED: npm install ${PACKAGES[*]} (is the npm registry reachable?)" >&2
  exit 1
fi
if ! installed; then
  echo "setup-node: FAILED: npm install finished but ${PACKAGES[*]} are not in $PREFIX" >&2
  exit 1
fi
echo "setup-node: done"
