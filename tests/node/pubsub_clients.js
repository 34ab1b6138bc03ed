#!/usr/bin/env node
// Pub/Sub and keyspace notifications through real Node clients, for tests/node_pubsub_test.py.
//   node tests/node/pubsub_clients.js PORT [resp2|resp3|all]
// resp2: ioredis 5 (RESP2 only); resp3: node-redis 5 with { RESP: 3 } (push frames).
// Needs NODE_PATH=build/node/node_modules (scripts/setup-node.sh installs the packages).
//
// Each scenario, on a server with no other pub/sub clients:
//   1. a subscriber SUBSCRIBEs 3 channels + a sentinel, PSUBSCRIBEs 2 patterns, SSUBSCRIBEs a
//      shard channel; PING (and, in RESP3, ordinary commands) on the subscribed connection;
//   2. PUBSUB NUMSUB/NUMPAT/CHANNELS/SHARDCHANNELS/SHARDNUMSUB from the publisher;
//   3. the publisher PUBLISHes N payloads (mixed sizes, binary, unicode), half one by one, half
//      pipelined, with an SPUBLISH every 10th; then the sentinel, after which the subscriber has
//      everything (one connection publishes, so order is the server's);
//   4. UNSUBSCRIBE of one channel, publishes to it, then unsubscribing everything and an ordinary
//      command on the same connection;
//   5. keyspace notifications: CONFIG SET notify-keyspace-events KEA, PSUBSCRIBE
//      __keyspace@0__:* and __keyevent@0__:*, data commands, a sentinel; the events in order.
// Prints one JSON document to stdout: everything sent and received, in a deterministic order
// (PUBSUB CHANNELS and SHARDCHANNELS sorted: Redis answers in hash order). Payloads are shown as
// the string (short valid UTF-8), {hex} (short binary) or {len, sha256} (longer).
// Exits non-zero on any client error, unexpected reply shape, or after TIMEOUT_MS.
'use strict';

const crypto = require('crypto');

const TIMEOUT_MS = 20000;
const N = 200;
const CHANNELS = ['chan:a', 'chan:b', 'chan:\u00e9', 'news.tech', 'news.\u65e5\u672c', 'other'];
const SUBSCRIBED = ['chan:a', 'chan:b', 'chan:\u00e9'];
const PATTERNS = ['chan:*', 'n?ws.*'];  // no channel matches both (pattern order is hash order)
const SHARD = 'shard:x';
const SENTINEL = 'sentinel';
const KS_PATTERNS = ['__keyspace@0__:*', '__keyevent@0__:*'];

function die(what, err) {
  process.stderr.write(`pubsub_clients: ${what}: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
}
const timer = setTimeout(() => {
  process.stderr.write(`pubsub_clients: timeout after ${TIMEOUT_MS} ms (phase: ${phase})\n`);
  process.exit(2);
}, TIMEOUT_MS);
process.on('unhandledRejection', (e) => die('unhandled rejection', e));
process.on('uncaughtException', (e) => die('uncaught exception', e));
let phase = 'start';

function load(name) {
  try {
    return require(name);
  } catch (e) {
    die(`cannot load '${name}' (run scripts/setup-node.sh; NODE_PATH=build/node/node_modules)`, e);
  }
}

// --- payloads and their JSON form ----------------------------------------------------------

let seed = 12345;
function rand() {  // a small LCG: the same payloads on every run and server
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed >>> 8;
}
function randomBytes(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rand() & 0xff;
  return b;
}

function payload(i) {
  switch (i % 8) {
    case 0: return Buffer.from(i % 40 === 0 ? '' : `msg-${i}`);
    case 1: return Buffer.from(`h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e \ud83c\udf89 #${i}`);
    case 2: return Buffer.concat([Buffer.from([0, 13, 10, 0xff, 0xfe, 0xc3]), randomBytes(1 + (i % 300))]);
    case 3: return Buffer.from('x'.repeat(1000 + i));
    case 4: return randomBytes(70000 + i);  // several socket reads on either side
    case 5: return Buffer.from(`*3\r\n$7\r\nmessage\r\n$1\r\nx\r\n:${i}\r\n`);
    case 6: return Buffer.from(String(1000 * i - 7));
    default: return Buffer.from(JSON.stringify({ i, q: '"\\', u: '\u00fc' }));
  }
}

function rep(x) {
  if (x === null || x === undefined) return null;
  const b = Buffer.isBuffer(x) ? x : Buffer.from(String(x));
  if (b.length <= 80) {
    const s = b.toString('utf8');
    if (Buffer.from(s, 'utf8').equals(b)) return s;
    return { hex: b.toString('hex') };
  }
  return { len: b.length, sha256: crypto.createHash('sha256').update(b).digest('hex') };
}

// A reply as JSON: Buffers as rep(), Maps/Sets/objects tagged so that RESP3 shapes show.
function norm(x) {
  if (x === null || x === undefined) return null;
  if (Buffer.isBuffer(x)) return rep(x);
  if (typeof x === 'bigint') return { bigint: x.toString() };
  if (typeof x === 'number' || typeof x === 'string' || typeof x === 'boolean') return x;
  if (x instanceof Error) return { error: x.message };
  if (Array.isArray(x)) return x.map(norm);
  if (x instanceof Map) return { map: [...x.entries()].map(([k, v]) => [norm(k), norm(v)]) };
  if (x instanceof Set) return { set: [...x].map(norm) };
  if (typeof x === 'object') return { object: Object.entries(x).map(([k, v]) => [k, norm(v)]) };
  return String(x);
}
const sorted = (a) => [...a].map(norm).sort((p, q) => (JSON.stringify(p) < JSON.stringify(q) ? -1 : 1));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn) {  // bounded by the global timeout
  for (;;) {
    if (await fn()) return;
    phase = `waiting for ${what}`;
    await sleep(5);
  }
}

// The publications of step 3: [kind, channel, payload Buffer].
function publications() {
  seed = 12345;  // the same payloads in every scenario
  const out = [];
  for (let i = 0; i < N; i++) {
    out.push(['publish', CHANNELS[i % CHANNELS.length], payload(i)]);
    if (i % 10 === 3) out.push(['spublish', SHARD, payload(i + 1)]);
  }
  return out;
}

// --- the scenario, over an adapter per client library ------------------------------------

// adapter: {
//   connect(), pubCall(args) -> raw reply, pubPipeline(list of args) -> replies,
//   subscribe(channels), psubscribe(pattern), ssubscribe(channel) -> what the client returns,
//   subCalls(): replies of commands on the subscribed connection, unsubscribe(channels),
//   unsubscribeAll(), afterUnsubscribe() -> replies of ordinary commands, ks* the same for the
//   keyspace subscriber, close() }
// Every received message is pushed as [type, pattern|null, channel, payload] into received.
async function scenario(a) {
  const doc = {
    setup: { channels: [...SUBSCRIBED, SENTINEL], patterns: PATTERNS, shard: [SHARD], n: N },
  };
  const received = [];
  const sentinels = [];
  a.onMessage = (type, pattern, channel, message) => {
    if (type === 'message' && channel.toString() === SENTINEL) sentinels.push(message.toString());
    received.push([type, pattern, rep(channel), rep(message)]);
  };
  async function sentinel(tag, pub, seen) {
    const n = await pub(['PUBLISH', SENTINEL, tag]);
    await until(`sentinel ${tag}`, () => seen.includes(tag));
    return n;
  }

  phase = 'connect';
  doc.connect = await a.connect();
  // A server shared by scenarios: wait until the previous one's subscribers are gone.
  await until('no earlier subscribers', async () =>
    Number(await a.pubCall(['PUBSUB', 'NUMPAT'])) === 0 &&
    (await a.pubCall(['PUBSUB', 'CHANNELS'])).length === 0 &&
    (await a.pubCall(['PUBSUB', 'SHARDCHANNELS'])).length === 0);
  await a.pubCall(['CONFIG', 'SET', 'notify-keyspace-events', '']);
  await a.pubCall(['FLUSHALL']);

  phase = 'subscribe';
  doc.subscribe = {
    subscribe: norm(await a.subscribe([...SUBSCRIBED, SENTINEL])),
    psubscribe: [],
    ssubscribe: norm(await a.ssubscribe(SHARD)),
  };
  for (const p of PATTERNS) doc.subscribe.psubscribe.push(norm(await a.psubscribe(p)));
  doc.subscribe.onSubscribedConnection = norm(await a.subCalls());
  doc.subscribe.received = received.splice(0);

  phase = 'introspection';
  doc.introspection = {
    numsub: norm(await a.pubCall(['PUBSUB', 'NUMSUB', ...SUBSCRIBED, 'other', SENTINEL])),
    numsubNone: norm(await a.pubCall(['PUBSUB', 'NUMSUB'])),
    numpat: norm(await a.pubCall(['PUBSUB', 'NUMPAT'])),
    channels: sorted(await a.pubCall(['PUBSUB', 'CHANNELS'])),
    channelsChan: sorted(await a.pubCall(['PUBSUB', 'CHANNELS', 'chan:*'])),
    channelsNone: sorted(await a.pubCall(['PUBSUB', 'CHANNELS', 'zzz*'])),
    shardchannels: sorted(await a.pubCall(['PUBSUB', 'SHARDCHANNELS'])),
    shardnumsub: norm(await a.pubCall(['PUBSUB', 'SHARDNUMSUB', SHARD, 'nope'])),
    library: norm(await a.libraryIntrospection()),
  };

  phase = 'publish';
  const pubs = publications();
  const half = Math.floor(pubs.length / 2);
  const counts = [];
  for (const [kind, ch, p] of pubs.slice(0, half)) counts.push(await a.pubCall([kind.toUpperCase(), ch, p]));
  counts.push(...(await a.pubPipeline(pubs.slice(half).map(([kind, ch, p]) => [kind.toUpperCase(), ch, p]))));
  const sentinelCount = await sentinel('burst', a.pubCall, sentinels);
  doc.burst = {
    published: pubs.map(([kind, ch, p], i) => [kind, ch, rep(p), norm(counts[i])]),
    sentinel: norm(sentinelCount),
    received: received.splice(0),
  };

  phase = 'unsubscribe one';
  doc.unsubscribeOne = { unsubscribe: norm(await a.unsubscribe(['chan:b'])) };
  doc.unsubscribeOne.published = [];
  for (const ch of ['chan:b', 'chan:a', 'chan:b']) {
    doc.unsubscribeOne.published.push([ch, norm(await a.pubCall(['PUBLISH', ch, `after-${ch}`]))]);
  }
  doc.unsubscribeOne.sentinel = norm(await sentinel('unsubscribed', a.pubCall, sentinels));
  doc.unsubscribeOne.received = received.splice(0);
  doc.unsubscribeOne.numsub = norm(await a.pubCall(['PUBSUB', 'NUMSUB', 'chan:a', 'chan:b']));

  // UNSUBSCRIBE_ALL: the patterns by name, then UNSUBSCRIBE and SUNSUBSCRIBE without arguments.
  // Both clients resolve an (P)UNSUBSCRIBE without arguments only at a count of 0, which it never
  // reaches while subscriptions of the other kind remain (the count is channels + patterns).
  phase = 'unsubscribe all';
  doc.unsubscribeAll = { replies: norm(await a.unsubscribeAll()) };
  doc.unsubscribeAll.publish = norm(await a.pubCall(['PUBLISH', 'chan:a', 'nobody']));
  doc.unsubscribeAll.afterwards = norm(await a.afterUnsubscribe());
  doc.unsubscribeAll.numpat = norm(await a.pubCall(['PUBSUB', 'NUMPAT']));

  phase = 'keyspace';
  const ks = { config: [], replies: [] };
  const events = [];
  const ksSentinels = [];
  a.onKeyspace = (pattern, channel, message) => {
    if (pattern === null) ksSentinels.push(message.toString());
    else events.push([pattern, rep(channel), rep(message)]);
  };
  ks.config.push(norm(await a.pubCall(['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'])));
  ks.config.push(norm(await a.pubCall(['CONFIG', 'GET', 'notify-keyspace-events'])));
  ks.subscribe = norm(await a.ksSubscribe(KS_PATTERNS, 'ks:done'));
  const commands = [
    ['SET', 'ks:str', 'hello'], ['APPEND', 'ks:str', ' world'], ['INCR', 'ks:n'],
    ['INCRBY', 'ks:n', '5'], ['SET', 'ks:tmp', 'v', 'EX', '100'], ['PERSIST', 'ks:tmp'],
    ['EXPIRE', 'ks:tmp', '200'], ['HSET', 'ks:h', 'f1', 'v1', 'f2', 'v2'],
    ['HSET', 'ks:h', 'f1', 'v1b'], ['HDEL', 'ks:h', 'f2', 'nofield'], ['HINCRBY', 'ks:h', 'n', '1'],
    ['SADD', 'ks:s', 'a', 'b', 'c'], ['SADD', 'ks:s', 'a'], ['SREM', 'ks:s', 'b'],
    ['RENAME', 'ks:str', 'ks:str2'], ['SET', 'ks:\u00e9', '\u00fcn\u00efcode'], ['GETDEL', 'ks:\u00e9'],
    ['DEL', 'ks:n', 'ks:h', 'ks:missing'], ['EXPIRE', 'ks:s', '-1'], ['HDEL', 'ks:h', 'f1'],
    ['SET', 'ks:gone', 'v', 'PX', '1'],
  ];
  for (const c of commands) ks.replies.push([c[0], norm(await a.pubCall(c))]);
  await sleep(20);  // ks:gone expires: one 'expired' event, by the active cycle or by this GET
  ks.replies.push(['GET', norm(await a.pubCall(['GET', 'ks:gone']))]);
  ks.replies.push(['MULTI', norm(await a.pubMulti([['SET', 'ks:m', '1'], ['SADD', 'ks:ms', 'x'], ['DEL', 'ks:m']]))]);
  ks.sentinel = norm(await a.pubCall(['PUBLISH', 'ks:done', 'done']));
  await until('keyspace sentinel', () => ksSentinels.includes('done'));
  ks.events = events.splice(0);
  ks.config.push(norm(await a.pubCall(['CONFIG', 'SET', 'notify-keyspace-events', ''])));
  doc.keyspace = ks;
  doc.stray = received.splice(0);  // nothing may arrive on the unsubscribed connection

  phase = 'close';
  await a.close();
  return doc;
}

// --- ioredis, RESP2 ------------------------------------------------------------------------

function ioredisAdapter(port) {
  const Redis = load('ioredis');
  const opts = {
    host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null,
    maxRetriesPerRequest: 0, enableOfflineQueue: false, autoResubscribe: false,
  };
  const clients = ['pub', 'sub', 'ks'].map((name) => {
    const c = new Redis({ ...opts, connectionName: `ioredis-${name}` });
    c.on('error', (e) => die(`ioredis ${name} error`, e));
    return c;
  });
  const [pub, sub, ks] = clients;
  const a = {};
  sub.on('messageBuffer', (ch, m) => a.onMessage('message', null, ch, m));
  sub.on('pmessageBuffer', (pat, ch, m) => a.onMessage('pmessage', pat.toString(), ch, m));
  sub.on('smessageBuffer', (ch, m) => a.onMessage('smessage', null, ch, m));
  ks.on('pmessageBuffer', (pat, ch, m) => a.onKeyspace(pat.toString(), ch, m));
  ks.on('messageBuffer', (ch, m) => a.onKeyspace(null, ch, m));
  const check = (results) => results.map(([err, r]) => (err ? { error: err.message } : r));
  Object.assign(a, {
    connect: async () => {
      for (const c of clients) await c.connect();
      return clients.map((c) => c.status);
    },
    pubCall: (args) => pub.callBuffer(...args),
    pubPipeline: async (list) => check(await pub.pipeline(list.map((args) => ['call', ...args])).exec()),
    pubMulti: async (list) => check(await pub.multi(list.map((args) => ['call', ...args])).exec()),
    subscribe: (channels) => sub.subscribe(...channels),
    psubscribe: (pattern) => sub.psubscribe(pattern),
    ssubscribe: (channel) => sub.ssubscribe(channel),
    subCalls: async () => ({
      ping: await sub.ping(),
      pingArg: await sub.ping('hi \u00e9'),
    }),
    libraryIntrospection: async () => ({
      numsub: await pub.pubsub('NUMSUB', 'chan:a'),
      numpat: await pub.pubsub('NUMPAT'),
      channels: sorted(await pub.pubsub('CHANNELS', 'chan:?')),  // '?' is one byte: not chan:\u00e9
    }),
    unsubscribe: (channels) => sub.unsubscribe(...channels),
    // See UNSUBSCRIBE_ALL; ioredis also leaves subscriber mode on any count of 0, so SUNSUBSCRIBE
    // (its count is of shard channels only) comes last.
    unsubscribeAll: async () => ({
      punsubscribe: await sub.punsubscribe(...PATTERNS),
      unsubscribe: await sub.unsubscribe(),
      sunsubscribe: await sub.sunsubscribe(),
    }),
    afterUnsubscribe: async () => ({
      set: await sub.set('after', '1'), get: await sub.get('after'), ping: await sub.ping(),
    }),
    ksSubscribe: async (patterns, channel) => ({
      psubscribe: await ks.psubscribe(...patterns), subscribe: await ks.subscribe(channel),
    }),
    close: async () => {
      for (const c of clients) await c.quit();
    },
  });
  return a;
}

// --- node-redis, RESP3 ---------------------------------------------------------------------

function nodeRedisAdapter(port) {
  const { createClient } = load('redis');
  const base = createClient({
    socket: { host: '127.0.0.1', port, reconnectStrategy: false, connectTimeout: 5000 },
    RESP: 3,
  });
  const pub = base;
  const sub = base.duplicate();
  const ks = base.duplicate();
  const clients = [pub, sub, ks];
  clients.forEach((c, i) => c.on('error', (e) => die(`node-redis client ${i} error`, e)));
  const a = {};
  const listener = (type, pattern) => (message, channel) => a.onMessage(type, pattern, channel, message);
  const settle = (p) => p.then((r) => r, (e) => ({ error: e.message }));
  Object.assign(a, {
    connect: async () => {
      for (const c of clients) await c.connect();
      return clients.map((c) => c.isReady);
    },
    pubCall: (args) => pub.sendCommand(args),
    pubPipeline: (list) => Promise.all(list.map((args) => settle(pub.sendCommand(args)))),
    pubMulti: async (list) => {
      const m = pub.multi();
      for (const args of list) m.addCommand(args);
      return m.exec();
    },
    subscribe: (channels) => sub.subscribe(channels, listener('message', null), true),
    psubscribe: (pattern) => sub.pSubscribe(pattern, listener('pmessage', pattern), true),
    ssubscribe: (channel) => sub.sSubscribe(channel, listener('smessage', null), true),
    // RESP3: any command on a subscribed connection, its reply between the pushes.
    subCalls: async () => ({
      ping: await sub.ping(),
      pingArg: await sub.sendCommand(['PING', 'hi \u00e9']),
      get: await sub.get('k'),
      numsub: await sub.sendCommand(['PUBSUB', 'NUMSUB', 'chan:a']),
      // its message and pmessage come on this connection too, before the reply (Redis writes
      // them first): onSubscribedConnection.received
      selfPublish: await sub.publish('chan:a', 'self'),
    }),
    libraryIntrospection: async () => ({
      numsub: await pub.pubSubNumSub(['chan:a', 'chan:b']),
      numpat: await pub.pubSubNumPat(),
      channels: sorted(await pub.pubSubChannels('chan:?')),
      shardnumsub: await pub.pubSubShardNumSub([SHARD]),
    }),
    unsubscribe: (channels) => sub.unsubscribe(channels),
    unsubscribeAll: async () => ({  // see UNSUBSCRIBE_ALL
      punsubscribe: await sub.pUnsubscribe(PATTERNS), unsubscribe: await sub.unsubscribe(),
      sunsubscribe: await sub.sUnsubscribe(), isPubSubActive: sub.isPubSubActive,
    }),
    afterUnsubscribe: async () => ({
      set: await sub.set('after', '1'), get: await sub.get('after'), ping: await sub.ping(),
    }),
    ksSubscribe: async (patterns, channel) => {
      for (const p of patterns) {
        await ks.pSubscribe(p, (m, ch) => a.onKeyspace(p, ch, m), true);
      }
      await ks.subscribe(channel, (m, ch) => a.onKeyspace(null, ch, m), true);
      return ks.isPubSubActive;
    },
    close: async () => {
      for (const c of clients) await c.close();
    },
  });
  return a;
}

async function main() {
  const port = Number(process.argv[2]);
  const which = process.argv[3] || 'all';
  if (!port || !['resp2', 'resp3', 'all'].includes(which)) {
    process.stderr.write('usage: pubsub_clients.js PORT [resp2|resp3|all]\n');
    process.exit(64);
  }
  const out = {};
  if (which !== 'resp3') out.resp2_ioredis = await scenario(ioredisAdapter(port));
  if (which !== 'resp2') out.resp3_node_redis = await scenario(nodeRedisAdapter(port));
  clearTimeout(timer);
  process.stdout.write(JSON.stringify(out, null, 1) + '\n', () => process.exit(0));
}

main().catch((e) => die('scenario failed', e));
