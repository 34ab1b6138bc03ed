#!/usr/bin/env node
// A BullMQ 5 job queue on a real server, for tests/bullmq_test.py.
//   node tests/node/bullmq_queue.js PORT     runs the scenario, prints one JSON document to stdout
// What it shares with the other job-framework script is in tests/node/framework_util.js.
// Needs NODE_PATH=build/node/node_modules (scripts/setup-node.sh installs bullmq and ioredis).
//
// The scenario, on an empty server (queue "stash-bullmq", BullMQ's default key prefix "bull"):
//   1. two QueueEvents (each an XREAD BLOCK loop on the queue's events stream): one from the
//      stream's beginning (lastEventId 0-0, blocking on a stream that does not exist yet), one
//      from '$' (started, and blocked, before the first job is added); both record every event;
//   2. a Worker (CONCURRENCY jobs at a time; its own blocking connection waits in BZPOPMIN on the
//      queue's marker) whose handler records every attempt it starts;
//   3. 1,000 jobs: 50 delayed (200..1100 ms), 40 that fail twice and succeed on their third
//      attempt (exponential backoff from 100 ms), 10 that always fail (2 attempts, fixed backoff
//      100 ms), 100 with priorities, 290 one by one (10 of them report progress and write a log
//      line), 500 through addBulk, and two flows through a FlowProducer (10 jobs: a parent with 4
//      children; a parent with 2 children, one of which is the parent of 2 more): a parent runs
//      once its children are done and returns what getChildrenValues() gave it;
//      job.waitUntilFinished (QueueEvents) for one job that succeeds and one that fails;
//   4. it waits until the worker has completed 990 jobs and failed the last attempt of 10, and
//      both QueueEvents have seen as many completed and failed events (or until DEADLINE_MS: the
//      document then says so);
//   5. it reads back what BullMQ stored: job counts, every completed and failed job, logs,
//      children values and dependency counts, the events stream itself (XRANGE, XREVRANGE, XLEN),
//      the queue's keys (names with job ids blanked, and types), and how many workers and
//      QueueEvents getWorkers/getQueueEvents find (CLIENT SETNAME names, read by CLIENT LIST);
//   6. pause: a job added while paused waits; resume: the worker, blocked in BZPOPMIN on the
//      marker, gets it (the time it took is reported); trimEvents (XTRIM MAXLEN ~);
//   7. the worker and the QueueEvents close; clean(0, 1000, 'failed'), obliterate; the keys left.
// The job handler returns { n, double, kind, text } for the job's data.
// Exits non-zero on any client or queue error, a rejected call, or after TIMEOUT_MS.
'use strict';

const {
  die, setup, load, sleep, timeout, waitUntil, keyShapes, resultOf, finish,
} = require('./framework_util');

const NAME = 'stash-bullmq';
const PREFIX = 'bull';
const CONCURRENCY = 8;
const TIMEOUT_MS = 80000;   // the whole run; tests/bullmq_test.py kills the process later
const DEADLINE_MS = 60000;  // for the 1,000 jobs
const PLAIN_BULK = 500;
const PLAIN_ONE = 290;
const PRIORITY = 100;
const DELAYED = 50;
const RETRY = 40;            // fail twice, then succeed
const RETRY_FAILURES = 2;
const FAIL = 10;             // fail every attempt
const FAIL_ATTEMPTS = 2;
const PROGRESS_EVERY = 29;   // of the one-by-one plain jobs: progress and a log line
const TRIM_TO = 10;

let phase = 'start';
const port = setup('bullmq_queue', () => phase, 'bullmq_queue.js PORT');
const { Queue, Worker, QueueEvents, FlowProducer } = load('bullmq');
const Redis = load('ioredis');

// Worker needs maxRetriesPerRequest: null on its connections (BullMQ warns otherwise).
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null, connectTimeout: 10000 };

// The flows: [jobId, children], leaves have none.
const FLOWS = [
  ['flow-a', [['flow-a-c0'], ['flow-a-c1'], ['flow-a-c2'], ['flow-a-c3']]],
  ['flow-b', [['flow-b-c0'], ['flow-b-c1', [['flow-b-c1-g0'], ['flow-b-c1-g1']]]]],
];

async function main() {
  const timer = timeout(TIMEOUT_MS);
  const out = {};
  const redis = new Redis({ host: '127.0.0.1', port });
  redis.on('error', (e) => die('redis error', e));

  const queue = new Queue(NAME, { connection, prefix: PREFIX });
  queue.on('error', (e) => die('queue error', e));
  await queue.waitUntilReady();

  // QueueEvents: every event they emit, with its stream id.
  phase = 'queue events';
  const recordAll = (qe, list) => {
    const emit = qe.emit.bind(qe);
    qe.emit = (event, ...args) => {
      if (event === 'error') die('queue events error', args[0]);
      // (BullMQ also emits `${event}:${jobId}` for each event of a job: skipped here.)
      if (!event.includes(':')) {
        if (event === 'drained') list.push([args[0], event, {}]);
        else list.push([args[1], event, args[0]]);
      }
      return emit(event, ...args);
    };
  };
  const fromStart = [];
  const fromNow = [];
  const qeStart = new QueueEvents(NAME, { connection, prefix: PREFIX, lastEventId: '0-0' });
  const qeNow = new QueueEvents(NAME, { connection, prefix: PREFIX });
  recordAll(qeStart, fromStart);
  recordAll(qeNow, fromNow);
  await Promise.all([qeStart.waitUntilReady(), qeNow.waitUntilReady()]);
  // Both loops have sent their XREAD BLOCK (the '$' one must be blocked before the first XADD).
  for (let i = 0; i < 200 && !(qeStart.blocking && qeNow.blocking); i++) await sleep(10);
  await sleep(300);

  // The worker.
  phase = 'worker start';
  const events = { completed: [], failed: [], stalled: [], starts: {}, active: 0 };
  const worker = new Worker(NAME, async (job) => {
    const d = job.data;
    (events.starts[job.id] = events.starts[job.id] || []).push([Date.now(), job.attemptsMade]);
    if (d.kind === 'fail') throw new Error(`fail ${d.n}`);
    if (d.kind === 'retry' && job.attemptsMade < RETRY_FAILURES) {
      throw new Error(`retry ${d.n} attempt ${job.attemptsMade}`);
    }
    if (d.progress) {
      await job.updateProgress({ n: d.n, done: 50 });
      await job.log(`log ${d.n} \u2713`);
    }
    if (d.kind === 'parent') {
      const values = await job.getChildrenValues();
      const sorted = {};
      for (const k of Object.keys(values).sort()) sorted[k] = values[k];
      return { ...resultOf(d), children: sorted };
    }
    return resultOf(d);
  }, {
    connection, prefix: PREFIX, concurrency: CONCURRENCY,
    // Long enough for a slow (sanitizer) server, short enough to run here.
    lockDuration: 20000, stalledInterval: 5000, maxStalledCount: 0,
  });
  worker.on('error', (e) => die('worker error', e));
  worker.on('completed', (job, result) => events.completed.push([String(job.id), result]));
  worker.on('failed', (job, err) => events.failed.push([
    String(job.id), err.message, job.attemptsMade, job.opts.attempts || 1]));
  worker.on('stalled', (jobId) => events.stalled.push(String(jobId)));
  worker.on('active', () => { events.active += 1; });
  await worker.waitUntilReady();

  // 1,000 jobs: id -> { kind, n, opts }.
  phase = 'add';
  const specs = {};
  let n = 0;
  const addStart = Date.now();
  const addOne = async (kind, opts, extra) => {
    const data = { kind, n: n++, ...extra };
    const job = await queue.add(kind, data, opts);
    specs[job.id] = { kind, n: data.n, opts };
    return job;
  };
  for (let i = 0; i < DELAYED; i++) await addOne('delayed', { delay: 200 + (i % 10) * 100 });
  const retries = [];
  for (let i = 0; i < RETRY; i++) {
    retries.push(await addOne('retry', { attempts: RETRY_FAILURES + 1,
      backoff: { type: 'exponential', delay: 100 } }));
  }
  const fails = [];
  for (let i = 0; i < FAIL; i++) {
    fails.push(await addOne('fail', { attempts: FAIL_ATTEMPTS,
      backoff: { type: 'fixed', delay: 100 } }));
  }
  for (let i = 0; i < PRIORITY; i++) await addOne('plain', { priority: 1 + (i % 10) });
  const plains = [];
  for (let i = 0; i < PLAIN_ONE; i++) {
    const extra = i % PROGRESS_EVERY === 0 ? { progress: true } : {};
    plains.push(await addOne('plain', {}, extra));
  }
  for (let b = 0; b < PLAIN_BULK; b += 100) {
    const batch = [];
    for (let i = 0; i < 100; i++) batch.push({ name: 'plain', data: { kind: 'plain', n: n++ } });
    const jobs = await queue.addBulk(batch);
    jobs.forEach((job, i) => { specs[job.id] = { kind: 'plain', n: batch[i].data.n, opts: {} }; });
  }
  const flowProducer = new FlowProducer({ connection, prefix: PREFIX });
  flowProducer.on('error', (e) => die('flow producer error', e));
  const flowNode = (jobId, children) => {
    const kind = children ? 'parent' : 'child';
    const data = { kind, n: n++ };
    specs[jobId] = { kind, n: data.n, opts: {} };
    const node = { name: kind, queueName: NAME, data, opts: { jobId } };
    if (children) node.children = children.map(([id, c]) => flowNode(id, c));
    return node;
  };
  const trees = [];
  for (const [id, children] of FLOWS) trees.push(await flowProducer.add(flowNode(id, children)));
  out.flowStates = {};
  for (const [id] of FLOWS) out.flowStates[id] = await queue.getJobState(id);
  out.addMs = Date.now() - addStart;
  out.specs = specs;
  out.flowIds = trees.map((t) => t.job.id);

  // waitUntilFinished: resolves with the return value, rejects with the failure.
  phase = 'waitUntilFinished';
  out.waited = {
    plain: await plains[1].waitUntilFinished(qeStart, 30000),
    retry: await retries[0].waitUntilFinished(qeNow, 30000),
    fail: await fails[0].waitUntilFinished(qeStart, 30000).then(
      (v) => ({ resolved: v }), (e) => ({ rejected: e.message })),
  };

  // Until every job is done, as the worker and both QueueEvents see it.
  phase = 'process';
  const total = Object.keys(specs).length;
  const finalFailures = () => events.failed.filter((f) => f[2] >= f[3]).length;
  const count = (list, ev) => list.filter((e) => e[1] === ev).length;
  const done = () => events.completed.length >= total - FAIL && finalFailures() >= FAIL &&
    [fromStart, fromNow].every((l) => count(l, 'completed') >= total - FAIL &&
      count(l, 'failed') >= FAIL);
  out.finishedInTime = await waitUntil(done, Date.now() + DEADLINE_MS, 50);
  out.processMs = Date.now() - addStart;
  await sleep(300);  // anything more (duplicates) would show now
  out.events = JSON.parse(JSON.stringify(events));

  // What BullMQ stored.
  phase = 'read back';
  out.counts = await queue.getJobCounts();
  out.countsSingle = {
    completed: await queue.getCompletedCount(), failed: await queue.getFailedCount(),
    delayed: await queue.getDelayedCount(), waiting: await queue.getWaitingCount(),
    active: await queue.getActiveCount(), prioritized: await queue.getPrioritizedCount(),
    waitingChildren: await queue.getWaitingChildrenCount(),
  };
  const describe = (job) => ({
    id: String(job.id), name: job.name, data: job.data, returnvalue: job.returnvalue,
    attemptsMade: job.attemptsMade, attemptsStarted: job.attemptsStarted,
    failedReason: job.failedReason || null,
    stacktrace: (job.stacktrace || []).map((s) => s.split('\n')[0]),
    timestamp: job.timestamp, processedOn: job.processedOn, finishedOn: job.finishedOn,
    delay: job.delay, priority: job.priority, progress: job.progress,
    parentKey: job.parentKey || null,
  });
  out.completed = (await queue.getCompleted(0, -1)).map(describe);
  out.failed = (await queue.getFailed(0, -1)).map(describe);
  out.logs = {};
  for (const job of plains) {
    if (job.data.progress) out.logs[job.id] = await queue.getJobLogs(job.id);
  }
  out.dependencies = {};
  for (const id of ['flow-a', 'flow-b', 'flow-b-c1']) {
    const job = await queue.getJob(id);
    out.dependencies[id] = {
      childrenValues: await job.getChildrenValues(),
      counts: await job.getDependenciesCount(),
      state: await job.getState(),
    };
  }
  out.stateOfFirst = await queue.getJobState(Object.keys(specs)[0]);
  out.workers = (await queue.getWorkers()).length;
  out.queueEventsClients = (await queue.getQueueEvents()).length;

  // The events stream as stored, and as both QueueEvents saw it.
  // (In one MULTI: nothing can come between the reads.)
  const eventsKey = `${PREFIX}:${NAME}:events`;
  const [[, type], [, xlen], [, entries], [, last]] = await redis.multi().type(eventsKey)
    .xlen(eventsKey).xrange(eventsKey, '-', '+').xrevrange(eventsKey, '+', '-', 'COUNT', 1)
    .exec();
  out.stream = { type, xlen, entries, last };
  // Both QueueEvents have read up to the last entry read here (they are not behind XRANGE).
  const lastId = entries.length ? entries[entries.length - 1][0] : null;
  const caughtUp = (list) => lastId === null || list.some((e) => e[0] === lastId);
  for (let i = 0; i < 500 && !(caughtUp(fromStart) && caughtUp(fromNow)); i++) await sleep(10);
  out.fromStart = JSON.parse(JSON.stringify(fromStart));
  out.fromNow = JSON.parse(JSON.stringify(fromNow));

  const shapes = () => keyShapes(redis, `${PREFIX}:${NAME}:*`, /:(\d+|flow-[a-z0-9-]+)(?=:|$)/g);
  out.keys = await shapes();

  // Pause, a job added while paused, resume.
  phase = 'pause';
  await queue.pause();
  const before = events.completed.length;
  const paused = await queue.add('plain', { kind: 'plain', n: total });
  await sleep(500);
  out.pause = {
    countsWhilePaused: await queue.getJobCounts(), isPaused: await queue.isPaused(),
    completedWhilePaused: events.completed.length - before,
    stateWhilePaused: await paused.getState(),
  };
  const resumed = Date.now();
  await queue.resume();
  await waitUntil(() => events.completed.some((c) => c[0] === String(paused.id)),
    resumed + 15000, 10);
  out.pause.resumeToCompletedMs = Date.now() - resumed;
  out.pause.completed = events.completed.filter((c) => c[0] === String(paused.id));
  await sleep(300);
  const pauseEvents = (list) => list.filter((e) => ['paused', 'resumed'].includes(e[1]) ||
    (e[2].jobId === String(paused.id))).map((e) => e[1]);
  out.pause.events = { fromStart: pauseEvents(fromStart), fromNow: pauseEvents(fromNow) };

  // trimEvents: XTRIM MAXLEN ~ TRIM_TO (trims whole stream nodes: Redis keeps more).
  phase = 'trim';
  const lastIds = (await redis.xrevrange(eventsKey, '+', '-', 'COUNT', TRIM_TO)).map((e) => e[0]);
  const beforeTrim = await redis.xlen(eventsKey);
  const trimmed = await queue.trimEvents(TRIM_TO);
  const afterTrim = await redis.xlen(eventsKey);
  out.trim = {
    before: beforeTrim, removed: Number(trimmed), after: afterTrim,
    lastKept: JSON.stringify((await redis.xrevrange(eventsKey, '+', '-', 'COUNT', TRIM_TO))
      .map((e) => e[0])) === JSON.stringify(lastIds),
  };

  // Close the worker and the QueueEvents, clean and obliterate.
  phase = 'close';
  await worker.close();
  await Promise.all([qeStart.close(), qeNow.close()]);
  await flowProducer.close();
  out.workersAfterClose = (await queue.getWorkers()).length;
  phase = 'clean';
  out.cleaned = (await queue.clean(0, 1000, 'failed')).map(String).sort();
  out.countsAfterClean = await queue.getJobCounts();
  await queue.obliterate({ force: true });
  out.keysAfterObliterate = await shapes();
  await queue.close();
  await redis.quit();
  finish(out, timer);
}

main().catch((e) => die('scenario', e));
