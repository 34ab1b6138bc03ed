#!/usr/bin/env node
// A Bull 4 job queue on a real server, for tests/bull_test.py.
//   node tests/node/bull_queue.js PORT          the producer: forks the worker, runs the scenario,
//                                               prints one JSON document to stdout
//   node tests/node/bull_queue.js PORT worker   the worker process (forked by the producer; it
//                                               reports its events to the producer over IPC)
// What it shares with the other job-framework script is in tests/node/framework_util.js.
// Needs NODE_PATH=build/node/node_modules (scripts/setup-node.sh installs bull and ioredis).
//
// The scenario, on an empty server (queue "stash-bull", Bull's default key prefix "bull"):
//   1. the producer subscribes to the queue's global completed/failed events (Pub/Sub), forks
//      the worker (a Queue processing CONCURRENCY jobs at a time) and waits until it is ready;
//   2. it adds 1,000 jobs: 50 delayed (200..1100 ms), 40 that fail twice and succeed on their
//      third attempt (exponential backoff from 100 ms), 10 that always fail (2 attempts, fixed
//      backoff 100 ms), 100 with priorities, 300 one by one and 500 through addBulk;
//   3. it waits until the worker has completed 990 jobs and failed the last attempt of 10, and
//      the global events have caught up (or until DEADLINE_MS: the document then says so);
//   4. it reads back what Bull stored: job counts, every completed and failed job (return value,
//      attempts, failure reason, stack traces, timestamps), and the queue's keys (their names,
//      job ids blanked, and types);
//   5. pause (global): a job added while paused waits in "paused"; resume: the worker, blocked in
//      BRPOPLPUSH on the wait list, gets it (the time it took is reported);
//   6. clean(0, 'failed') and obliterate({ force: true }); the keys left under the prefix.
// The worker's job handler returns { n, double, kind, text } for the job's data; every attempt
// it starts, and every completed and failed event it sees, goes to the producer.
// Exits non-zero on any client or queue error, a rejected call, or after TIMEOUT_MS.
'use strict';

const path = require('path');
const { fork } = require('child_process');
const {
  die, setup, load, sleep, timeout, waitUntil, keyShapes, resultOf, finish,
} = require('./framework_util');

const NAME = 'stash-bull';
const CONCURRENCY = 8;
const TIMEOUT_MS = 80000;   // the whole run; tests/bull_test.py kills the process group later
const DEADLINE_MS = 60000;  // for the 1,000 jobs
const PLAIN_BULK = 500;
const PLAIN_ONE = 300;
const PRIORITY = 100;
const DELAYED = 50;
const RETRY = 40;            // fail twice, then succeed
const RETRY_FAILURES = 2;
const FAIL = 10;             // fail every attempt
const FAIL_ATTEMPTS = 2;
const TOTAL = PLAIN_BULK + PLAIN_ONE + PRIORITY + DELAYED + RETRY + FAIL;

const role = process.argv[3] || 'producer';
let phase = 'start';  // the producer's, for its error messages
const port = setup(`bull_queue ${role}`, role === 'worker' ? null : () => phase,
  'bull_queue.js PORT [worker]');
const Queue = load('bull');
const Redis = load('ioredis');

function newQueue() {
  const queue = new Queue(NAME, {
    redis: { host: '127.0.0.1', port, connectTimeout: 10000 },
    // Jobs whose lock is not renewed count as stalled after lockDuration; the check runs every
    // stalledInterval. Long enough for a slow (sanitizer) server, short enough to run here.
    settings: { lockDuration: 20000, stalledInterval: 5000, maxStalledCount: 0 },
  });
  queue.on('error', (e) => die('queue error', e));
  return queue;
}

// --- the worker ------------------------------------------------------------------------------

async function worker() {
  let closing = false;
  process.on('disconnect', () => closing || die('producer gone', 'IPC channel closed'));
  const queue = newQueue();
  const send = (m) => process.send(m);
  queue.on('completed', (job, result) => send({ ev: 'completed', id: job.id, result }));
  queue.on('failed', (job, err) => send({
    ev: 'failed', id: job.id, message: err.message, attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts,
  }));
  queue.on('stalled', (job) => send({ ev: 'stalled', id: job.id }));
  queue.process(CONCURRENCY, async (job) => {
    const d = job.data;
    send({ ev: 'start', id: job.id, at: Date.now(), attemptsMade: job.attemptsMade });
    if (d.kind === 'fail') throw new Error(`fail ${d.n}`);
    if (d.kind === 'retry' && job.attemptsMade < RETRY_FAILURES) {
      throw new Error(`retry ${d.n} attempt ${job.attemptsMade}`);
    }
    return resultOf(d);
  }).catch((e) => die('process', e));
  await queue.isReady();
  process.on('message', async (m) => {
    if (m === 'close') {
      closing = true;
      await queue.close();
      send({ ev: 'closed' });
      process.disconnect();
    }
  });
  send({ ev: 'ready' });
}

// --- the producer ----------------------------------------------------------------------------

async function producer() {
  let child = null;
  const timer = timeout(TIMEOUT_MS, () => child && child.kill('SIGKILL'));
  const out = { total: TOTAL };

  const queue = newQueue();
  await queue.isReady();
  // Global events: Pub/Sub, subscribed before any job exists.
  const global = { completed: [], failed: [] };
  const registered = ['completed', 'failed'].map((ev) => new Promise((resolve) => {
    queue.once(`registered:global:${ev}`, resolve);
  }));
  queue.on('global:completed', (id, val) => global.completed.push([String(id), JSON.parse(val)]));
  queue.on('global:failed', (id, reason) => global.failed.push([String(id), reason]));
  await Promise.all(registered);

  // The worker process and what it reports.
  phase = 'worker start';
  const events = { completed: [], failed: [], stalled: [], starts: {} };
  let ready;
  const readyP = new Promise((r) => { ready = r; });
  let closed;
  const closedP = new Promise((r) => { closed = r; });
  child = fork(path.join(__dirname, 'bull_queue.js'), [String(port), 'worker'],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('exit', (code, signal) => {
    if (phase !== 'worker stop') die('worker', `exited early (${code}, ${signal}) in ${phase}`);
  });
  child.on('message', (m) => {
    switch (m.ev) {
      case 'ready': ready(); break;
      case 'closed': closed(); break;
      case 'completed': events.completed.push([String(m.id), m.result]); break;
      case 'failed':
        events.failed.push([String(m.id), m.message, m.attemptsMade, m.attempts]);
        break;
      case 'stalled': events.stalled.push(String(m.id)); break;
      case 'start':
        (events.starts[m.id] = events.starts[m.id] || []).push([m.at, m.attemptsMade]);
        break;
      default: die('worker message', JSON.stringify(m));
    }
  });
  await readyP;

  // 1,000 jobs: id -> { kind, n, opts }.
  phase = 'add';
  const specs = {};
  let n = 0;
  const addStart = Date.now();
  const addOne = async (kind, opts, extra) => {
    const data = { kind, n: n++, ...extra };
    const job = await queue.add(data, opts);
    specs[job.id] = { kind, n: data.n, opts };
  };
  for (let i = 0; i < DELAYED; i++) await addOne('delayed', { delay: 200 + (i % 10) * 100 });
  for (let i = 0; i < RETRY; i++) {
    await addOne('retry', { attempts: RETRY_FAILURES + 1,
      backoff: { type: 'exponential', delay: 100 } });
  }
  for (let i = 0; i < FAIL; i++) {
    await addOne('fail', { attempts: FAIL_ATTEMPTS, backoff: { type: 'fixed', delay: 100 } });
  }
  for (let i = 0; i < PRIORITY; i++) await addOne('plain', { priority: 1 + (i % 10) });
  for (let i = 0; i < PLAIN_ONE; i++) await addOne('plain', {});
  for (let b = 0; b < PLAIN_BULK; b += 100) {
    const batch = [];
    for (let i = 0; i < 100; i++) batch.push({ data: { kind: 'plain', n: n++ } });
    const jobs = await queue.addBulk(batch);
    jobs.forEach((job, i) => { specs[job.id] = { kind: 'plain', n: batch[i].data.n, opts: {} }; });
  }
  out.addMs = Date.now() - addStart;
  out.specs = specs;

  // Until every job is done, as the worker and the global events see it.
  phase = 'process';
  const finalFailures = () => events.failed.filter((f) => f[2] >= f[3]).length;
  const done = () => events.completed.length >= TOTAL - FAIL && finalFailures() >= FAIL &&
    global.completed.length >= TOTAL - FAIL && global.failed.length >= FAIL;
  out.finishedInTime = await waitUntil(done, Date.now() + DEADLINE_MS, 50);
  out.processMs = Date.now() - addStart;
  await sleep(300);  // anything more (duplicates) would show now
  out.events = JSON.parse(JSON.stringify(events));  // a copy: the pause phase adds to them
  out.global = JSON.parse(JSON.stringify(global));

  // What Bull stored.
  phase = 'read back';
  out.counts = await queue.getJobCounts();
  out.countsSingle = {
    completed: await queue.getCompletedCount(), failed: await queue.getFailedCount(),
    delayed: await queue.getDelayedCount(), waiting: await queue.getWaitingCount(),
    active: await queue.getActiveCount(), paused: await queue.getPausedCount(),
  };
  const describe = (job) => ({
    id: String(job.id), data: job.data, returnvalue: job.returnvalue,
    attemptsMade: job.attemptsMade, failedReason: job.failedReason || null,
    stacktrace: (job.stacktrace || []).map((s) => s.split('\n')[0]),
    timestamp: job.timestamp, processedOn: job.processedOn, finishedOn: job.finishedOn,
    delay: job.delay, priority: job.opts.priority || null,
  });
  out.completed = (await queue.getCompleted(0, -1)).map(describe);
  out.failed = (await queue.getFailed(0, -1)).map(describe);
  const one = await queue.getJob(Object.keys(specs)[0]);
  out.stateOfFirst = one ? await one.getState() : null;

  const redis = new Redis({ host: '127.0.0.1', port });
  redis.on('error', (e) => die('redis error', e));
  const shapes = () => keyShapes(redis, `bull:${NAME}:*`, /:\d+(?=:|$)/g);
  out.keys = await shapes();

  // Pause, a job added while paused, resume.
  phase = 'pause';
  await queue.pause();
  const before = events.completed.length;
  const paused = await queue.add({ kind: 'plain', n: TOTAL });
  await sleep(500);
  out.pause = {
    countsWhilePaused: await queue.getJobCounts(), isPaused: await queue.isPaused(),
    completedWhilePaused: events.completed.length - before,
  };
  const resumed = Date.now();
  await queue.resume();
  await waitUntil(() => events.completed.some((c) => c[0] === String(paused.id)),
    resumed + 15000, 10);
  out.pause.resumeToCompletedMs = Date.now() - resumed;
  out.pause.completed = events.completed.filter((c) => c[0] === String(paused.id));

  // Stop the worker, then clean and obliterate.
  phase = 'worker stop';
  child.send('close');
  await Promise.race([closedP, sleep(20000)]);
  out.workerClosed = await Promise.race([
    new Promise((r) => (child.exitCode !== null ? r(true) : child.once('exit', () => r(true)))),
    sleep(10000).then(() => false)]);
  phase = 'clean';
  out.cleaned = (await queue.clean(0, 'failed')).map(String).sort();
  out.countsAfterClean = await queue.getJobCounts();
  await queue.obliterate({ force: true });
  out.keysAfterObliterate = await shapes();
  await redis.quit();
  await queue.close();
  finish(out, timer);
}

(role === 'worker' ? worker() : producer()).catch((e) => die(role, e));
