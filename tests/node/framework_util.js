// What the job-framework scripts (bull_queue.js, bullmq_queue.js) share: the PORT argument,
// dying with a message (and the phase the script was in), loading npm modules, the run's
// timeout, waiting for a condition until a deadline, the shapes of the queue's keys, the job
// handlers' return value, and printing the JSON document.
'use strict';

const state = { who: 'node', phase: null };

// Prints who: what (phase: ...): err's stack to stderr and exits 1.
function die(what, err) {
  const text = err && err.stack ? err.stack : err;
  const where = state.phase ? ` (phase: ${state.phase()})` : '';
  process.stderr.write(`${state.who}: ${what}${where}: ${text}\n`);
  process.exit(1);
}

// Names the script in its messages (who; phase, if given, returns the phase it is in), dies on
// any unhandled rejection or exception, and returns the PORT argument (dies if there is none).
function setup(who, phase, usage) {
  state.who = who;
  state.phase = phase || null;
  process.on('unhandledRejection', (e) => die('unhandled rejection', e));
  process.on('uncaughtException', (e) => die('uncaught exception', e));
  const port = Number(process.argv[2]);
  if (!port) die('usage', usage);
  return port;
}

function load(name) {
  try {
    return require(name);
  } catch (e) {
    return die(`cannot load '${name}' (run scripts/setup-node.sh; ` +
      'NODE_PATH=build/node/node_modules)', e);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Exits 2 after ms (having called before, if given) unless cleared (finish clears it).
function timeout(ms, before) {
  return setTimeout(() => {
    const where = state.phase ? ` (phase: ${state.phase()})` : '';
    process.stderr.write(`${state.who}: timeout after ${ms} ms${where}\n`);
    if (before) before();
    process.exit(2);
  }, ms);
}

// Polls cond every `every` ms until it holds or Date.now() reaches deadline; returns cond().
async function waitUntil(cond, deadline, every) {
  while (!cond() && Date.now() < deadline) await sleep(every);
  return cond();
}

// {"<key, ids replaced by <id>> <type>": how many} of the keys matching pattern; ids: a global
// regular expression matching ':<an id>' in a key name.
async function keyShapes(redis, pattern, ids) {
  const shapes = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const shape = `${key.replace(ids, ':<id>')} ${await redis.type(key)}`;
      shapes[shape] = (shapes[shape] || 0) + 1;
    }
  } while (cursor !== '0');
  return shapes;
}

// The job handlers' return value for a job's data.
function resultOf(data) {
  return { n: data.n, double: 2 * data.n, kind: data.kind, text: `h\u00e9llo ${data.n} \u2713` };
}

// Prints the document (one line of JSON) to stdout and exits 0 once it is written.
function finish(out, timer) {
  clearTimeout(timer);
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
}

module.exports = { die, setup, load, sleep, timeout, waitUntil, keyShapes, resultOf, finish };
