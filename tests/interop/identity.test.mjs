// The identity proof (issue 15): one workload, added by Node's Queue and FlowProducer, run
// once by BullMQ's Node Worker and once by a drover::worker (identity_worker_tool.cpp), each
// on a queue of its own with concurrency 1; after every phase the two queues' Redis state is
// compared key by key and their events streams entry by entry, with only what differs by
// nature normalised (timestamps, stream ids, the queue name, tokens, stack traces). Any other
// difference fails the test with the key, the field and both values.
//
// Two workloads: one with a worker rate limiter, which covers the uncommon finishes one
// phase each; one without, where drover's completions take its lean finish
// (src/lua/moveToFinishedLean-14.lua) whenever the case is common, and BullMQ's script
// inside it otherwise: there plain jobs come by the dozen, with jobs of every uncommon kind
// between them, so that the choice flips back and forth.
//
// A third workload has no worker: the same jobs added by Node's Queue.add/addBulk and by
// `drover add` (queue::add) and `drover add --file` (queue::add_bulk), whose standard adds
// take drover's lean add (src/lua/addStandardJobLean-9.lua) in the common case and
// BullMQ's addStandardJob inside it otherwise; there hashes are compared with their field
// order and the marker too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  startRedis, queueName, newQueue, newWorker, waitFor, onCleanup, DROVER_BIN, bullmq, sleep, drover, droverAdd,
} from './support.mjs';

const TOOL = process.env.DROVER_IDENTITY_WORKER_BIN ||
  path.resolve(path.dirname(DROVER_BIN), '..', '..', 'tests', 'interop', 'drover_identity_worker');

const redis = await startRedis();

const WORKER_NAME = 'identity-worker';
// IDENTITY_SECOND=node runs Node's worker twice: a check of the test itself (what it
// compares must not differ between two runs of the same worker).
const SECOND = process.env.IDENTITY_SECOND || 'drover';
// The rate limiter of both workers. Whether a finishing job emits `drained` depends on it
// (moveToFinished skips the event when the next fetch is rate limited), so each phase starts
// in a fresh window (run() waits for the limiter key to expire) and the retries' backoffs keep
// a job's attempts well inside one window.
const LIMITER = { max: 3, duration: 200 };
// A run's second queue, for a flow's child: named after the first, so that on a cluster it
// shares its hash tag (a flow needs one slot).
const lowQueue = (name) => `${name}-low`;

// ---------------------------------------------------------------------------------------------
// The processor, driven by the job's data. Its twin is identity_processor in
// identity_worker_tool.cpp: keep the two in step.
// ---------------------------------------------------------------------------------------------
async function nodeProcessor(job) {
  const { op } = job.data;
  const attempt = job.attemptsMade + 1;
  // A few ms per job: no two jobs finish in the same ms, so the timestamp-scored sets
  // (completed, failed) have the same order in both runs.
  await sleep(3);
  if (op === 'double') return { doubled: job.data.n * 2 };
  if (op === 'flaky') {
    if (attempt <= job.data.failUntil) throw new Error(`flaky attempt ${attempt}`);
    return { attempt };
  }
  if (op === 'fail') throw new Error('always fails');
  if (op === 'unrecoverable') throw new bullmq.UnrecoverableError('unrecoverable: bad input');
  if (op === 'progress') {
    await job.updateProgress(25);
    await job.log('started');
    await job.updateProgress({ step: 2, of: 2 });
    await job.log('halfway');
    await job.log('done');
    return 'progressed';
  }
  if (op === 'parent') return { children: await job.getChildrenValues() };
  throw new Error(`unknown op ${op}`);
}

// ---------------------------------------------------------------------------------------------
// The workload: phases run one after the other, each waiting until its jobs are finished, so
// that what a job meets (other jobs, due delays, the limiter) does not depend on how fast a
// worker is. Each gets the run's queue, a FlowProducer and the name of the run's second
// queue, and returns the ids it waits for.
// ---------------------------------------------------------------------------------------------
const retry = (backoff) => ({ attempts: 3, backoff });
const phases = [
  ['plain completions', (q) => addAll(q, [
    ['double', { op: 'double', n: 1 }],
    ['double', { op: 'double', n: 2 }],
    ['double', { op: 'double', n: 21 }],
  ])],
  ['progress and logs, keepLogs 2', (q) => addAll(q, [['progress', { op: 'progress' }, { keepLogs: 2 }]])],
  // One retried job per phase: two jobs backing off at once would be promoted in an order
  // that depends on the gap between their failures.
  ['fixed backoff, succeeds on the 2nd attempt', (q) => addAll(q, [
    ['flaky', { op: 'flaky', failUntil: 1 }, retry({ type: 'fixed', delay: 40 })],
  ])],
  ['fixed backoff, fails for good', (q) => addAll(q, [
    ['flaky', { op: 'flaky', failUntil: 5 }, retry({ type: 'fixed', delay: 40 })],
  ])],
  ['exponential backoff, succeeds on the 2nd attempt', (q) => addAll(q, [
    ['flaky', { op: 'flaky', failUntil: 1 }, retry({ type: 'exponential', delay: 30 })],
  ])],
  ['exponential backoff, fails for good', (q) => addAll(q, [
    ['flaky', { op: 'flaky', failUntil: 5 }, retry({ type: 'exponential', delay: 30 })],
  ])],
  ['unrecoverable failure with attempts left', (q) => addAll(q, [
    ['unrecoverable', { op: 'unrecoverable' }, { attempts: 3, backoff: { type: 'fixed', delay: 100 } }],
  ])],
  ['delayed jobs become due', (q) => addAll(q, [
    ['delayed', { op: 'double', n: 5 }, { delay: 300 }],
    ['delayed', { op: 'double', n: 4 }, { delay: 100 }],
  ])],
  ['paused, priorities, resumed', async (q) => {
    await q.pause();
    const ids = await addAll(q, [
      ['low', { op: 'double', n: 30 }, { priority: 10 }],
      ['plain', { op: 'double', n: 31 }],
      ['high', { op: 'double', n: 32 }, { priority: 1 }],
      ['high', { op: 'double', n: 33 }, { priority: 1 }],
      ['lifo', { op: 'double', n: 34 }, { lifo: true }],
    ]);
    await sleep(150); // a worker that ignored the pause would have taken one by now
    const counts = await q.getJobCounts('active', 'completed');
    assert.equal(counts.active, 0, `${q.name}: a job went active while the queue was paused`);
    await q.resume();
    return ids;
  }],
  ['flow: children complete, then their parent', async (q, flows) => {
    const added = await flows.add({
      name: 'parent', queueName: q.name, data: { op: 'parent' }, opts: { jobId: 'flow-parent' },
      children: [
        { name: 'child', queueName: q.name, data: { op: 'double', n: 100 }, opts: { jobId: 'flow-child-a' } },
        { name: 'child', queueName: q.name, data: { op: 'double', n: 200 }, opts: { jobId: 'flow-child-b' } },
      ],
    });
    return [added.job.id, ...added.children.map((c) => c.job.id)];
  }],
  // The child on the run's second queue, worked by a second worker of the same kind; one
  // child only, so that which worker releases the parent does not depend on speed.
  ['flow across queues: a child on a second queue', async (q, flows, low) => {
    const added = await flows.add({
      name: 'parent', queueName: q.name, data: { op: 'parent' }, opts: { jobId: 'remote-parent' },
      children: [{ name: 'child', queueName: low, data: { op: 'double', n: 300 }, opts: { jobId: 'remote-child' } }],
    });
    return [added.job.id];
  }],
  // The limiter's effect is on timing, which the state does not show: 7 jobs at 3 per
  // window take three windows.
  ['a burst past the rate limiter', async (q) => {
    const ids = await addAll(q, [1, 2, 3, 4, 5, 6, 7].map((n) => ['burst', { op: 'double', n }]));
    await waitFor(async () => (await q.getJobState(ids.at(-1))) === 'completed', { what: `${q.name}: the burst` });
    const [first, last] = await Promise.all([q.getJob(ids[0]), q.getJob(ids.at(-1))]);
    const took = last.processedOn - first.processedOn;
    assert.ok(took >= 2 * LIMITER.duration - 20, `${q.name}: 7 jobs at ${LIMITER.max} per ${LIMITER.duration} ms took ${took} ms`);
    return ids;
  }],
  ['retention by count', (q) => addAll(q, [
    ['kept', { op: 'double', n: 40 }, { removeOnComplete: 2 }],
    ['kept', { op: 'double', n: 41 }, { removeOnComplete: 2 }],
    ['failed-kept', { op: 'fail' }, { removeOnFail: 1 }],
    ['failed-kept', { op: 'fail' }, { removeOnFail: 1 }],
  ])],
  // Every job finished before this phase is over a second old when these finish: age
  // removal takes all of them, however fast the worker was.
  ['retention by age', async (q) => {
    await sleep(1100);
    return addAll(q, [
      ['aged', { op: 'double', n: 50 }, { removeOnComplete: { age: 1 } }],
      ['aged-fail', { op: 'fail' }, { removeOnFail: { age: 1 } }],
    ]);
  }],
];

// The lean finish's workload (no rate limiter). Every phase's jobs are added while the
// queue is paused, so that the worker meets them all at once in both runs.
const plain = (from, count) => Array.from({ length: count }, (_, i) => ['plain', { op: 'double', n: from + i }]);
async function whilePaused(q, add) {
  await q.pause();
  const ids = await add();
  await q.resume();
  return ids;
}
const leanPhases = [
  ['many plain completions, each fetching the next', (q) => addAll(q, plain(0, 80))],
  ['uncommon jobs between plain ones', (q, flows) => whilePaused(q, async () => {
    const ids = await addAll(q, [
      ...plain(100, 3),
      ['kept', { op: 'double', n: 110 }, { removeOnComplete: 3 }],
      ...plain(120, 3),
      ['aged', { op: 'double', n: 130 }, { removeOnComplete: { age: 3600 } }],
      ...plain(140, 3),
      ['removed', { op: 'double', n: 150 }, { removeOnComplete: true }],
      ...plain(160, 3),
      ['fail', { op: 'fail' }],
      ...plain(170, 3),
      ['flaky', { op: 'flaky', failUntil: 1 }, { attempts: 2 }],
      ...plain(180, 3),
      ['unrecoverable', { op: 'unrecoverable' }, { attempts: 3 }],
      ...plain(190, 3),
      ['dedup', { op: 'double', n: 200 }, { deduplication: { id: 'lean-dedup' } }],
      ...plain(210, 3),
      ['lifo', { op: 'double', n: 220 }, { lifo: true }],
      ['high', { op: 'double', n: 221 }, { priority: 1 }],
      ['progress', { op: 'progress' }, { keepLogs: 2 }],
      ...plain(230, 3),
      // Never due while the workload runs: the lean finish still takes the plain jobs.
      ['far', { op: 'double', n: 240 }, { delay: 3_600_000 }],
      ...plain(250, 3),
    ]);
    const flow = await flows.add({
      name: 'parent', queueName: q.name, data: { op: 'parent' }, opts: { jobId: 'lean-parent' },
      children: [
        { name: 'child', queueName: q.name, data: { op: 'double', n: 300 }, opts: { jobId: 'lean-child-a' } },
        { name: 'child', queueName: q.name, data: { op: 'double', n: 301 }, opts: { jobId: 'lean-child-b' } },
      ],
    });
    const tail = await addAll(q, plain(310, 5));
    return [...ids.filter((_, i) => i !== ids.length - 4), flow.job.id, ...flow.children.map((c) => c.job.id), ...tail];
  })],
  ['plain completions under a global concurrency', async (q) => {
    await q.setGlobalConcurrency(1);
    const ids = await whilePaused(q, () => addAll(q, plain(400, 10)));
    await waitFor(async () => (await q.getJobState(ids.at(-1))) === 'completed', { what: `${q.name}: the last job` });
    await q.removeGlobalConcurrency();
    return ids;
  }],
  ['plain completions again', (q) => whilePaused(q, () => addAll(q, plain(500, 40)))],
];

async function addAll(q, jobs) {
  // One MULTI: a worker cannot take the first job before the last is added.
  const added = await q.addBulk(jobs.map(([name, data, opts]) => ({ name, data, opts })));
  return added.map((j) => j.id);
}

// ---------------------------------------------------------------------------------------------
// A snapshot: every key of a queue, as lines, normalised.
// ---------------------------------------------------------------------------------------------
// Keys not compared, each for a reason of timing, not of behaviour (both were seen to
// differ between two runs of the same worker):
// - marker: its entries wake blocked workers; whether the worker has popped the last one
//   when the snapshot is taken depends on when it next blocks.
// - limiter: the rate limiter's counter, which lives `duration` ms from the first job of a
//   window; whether it still exists at the snapshot depends on how fast the phase ran.
const UNCOMPARED = new Set(['marker', 'limiter']);

function normaliser(name) {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const queueRe = new RegExp(escaped, 'g');
  return (value) => String(value)
    .replace(queueRe, '<queue>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:\d+)?/g, '<token>')
    .replace(/(?<!\d)\d{13}(?!\d)/g, '<ts>');
}

// A JS error's stack and drover's differ by nature below their first line, "<Error
// class>: <message>" (drover writes "Error: <message>" and where it ran): the first lines
// and how many entries there are are compared.
function normaliseStacktrace(value) {
  const entries = JSON.parse(value);
  return JSON.stringify(entries.map((e) => `${e.split('\n')[0]}\n<stack>`));
}

// Scores of the delayed set are (due ms << 12) + a counter, of completed and failed the
// finishing ms: only their order is compared.
const normaliseScore = (s) => (Number(s) >= 1e12 ? '<ts>' : s);

// The keys of a run's queue and of its second queue (lowQueue), which share its name.
// strict: every key (the marker too) and each hash's field order (a line of its own).
async function snapshot(name, { strict = false } = {}) {
  const raw = await redis.raw();
  const norm = normaliser(name);
  const out = new Map();
  for (const prefix of [`bull:${name}:`, `bull:${lowQueue(name)}:`]) {
    await snapshotKeys(raw, norm, prefix, out, strict);
  }
  return out;
}

async function snapshotKeys(raw, norm, prefix, out, strict) {
  const keys = (await redis.keys(`${prefix}*`)).sort();
  for (const key of keys) {
    const suffix = key.slice(prefix.length);
    if (!strict && UNCOMPARED.has(suffix)) continue;
    const type = await raw.type(key);
    if (type === 'none') continue; // expired since KEYS
    let lines;
    if (type === 'string') lines = [norm(await raw.get(key))];
    else if (type === 'list') lines = (await raw.lrange(key, 0, -1)).map(norm);
    else if (type === 'set') lines = (await raw.smembers(key)).map(norm).sort();
    else if (type === 'hash') {
      const h = await raw.hgetall(key);
      lines = Object.keys(h).sort().map((f) => `${norm(f)} = ${f === 'stacktrace' ? normaliseStacktrace(h[f]) : norm(h[f])}`);
      if (strict) {
        // A small hash is a listpack, whose HGETALL order is the order its fields went in; a
        // larger one a hash table, whose order depends on the server's hash seed.
        const encoding = await raw.object('ENCODING', key);
        lines.push(`(encoding) = ${encoding}`);
        if (encoding === 'listpack' || encoding === 'ziplist') lines.push(`(field order) = ${(await raw.hkeys(key)).map(norm).join(',')}`);
      }
    } else if (type === 'zset') {
      const flat = await raw.zrange(key, 0, -1, 'WITHSCORES');
      lines = [];
      for (let i = 0; i < flat.length; i += 2) lines.push(`${norm(flat[i])} @ ${normaliseScore(flat[i + 1])}`);
    } else if (type === 'stream') {
      // Entry ids are times: dropped. The order of the entries is kept.
      lines = (await raw.xrange(key, '-', '+')).map(([, fields]) => {
        const parts = [];
        for (let i = 0; i < fields.length; i += 2) parts.push(`${fields[i]}=${norm(fields[i + 1])}`);
        return parts.join(' ');
      });
    } else lines = [`<${type}>`];
    const ttl = await raw.pttl(key);
    if (ttl >= 0) lines.push('(expires)');
    out.set(`${norm(key)} (${type})`, lines);
  }
}

// ---------------------------------------------------------------------------------------------
// The diff: per key; a hash field by field, anything else line by line (LCS), so that one
// extra event reads as one line, not as every later one changed.
// ---------------------------------------------------------------------------------------------
function diffLines(a, b) {
  const n = a.length, m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const out = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { i++; j++; }
    else if (j >= m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1])) out.push(`  [${i}] node:   ${a[i++]}`);
    else out.push(`  [${j}] drover: ${b[j++]}`);
  }
  return out;
}

function hashDiff(a, b) {
  const split = (lines) => new Map(lines.map((l) => { const k = l.indexOf(' = '); return k < 0 ? [l, ''] : [l.slice(0, k), l.slice(k + 3)]; }));
  const fa = split(a), fb = split(b);
  const out = [];
  for (const f of new Set([...fa.keys(), ...fb.keys()])) {
    if (fa.get(f) !== fb.get(f)) out.push(`  field ${f}: node ${fa.get(f) ?? '(absent)'} | drover ${fb.get(f) ?? '(absent)'}`);
  }
  return out;
}

// Returns [key heading, its differing lines] pairs.
function compare(node, drover) {
  const report = [];
  for (const key of new Set([...node.keys(), ...drover.keys()])) {
    const a = node.get(key), b = drover.get(key);
    if (!a) report.push([`key ${key}: only in drover's run`, b.map((l) => `  ${l}`)]);
    else if (!b) report.push([`key ${key}: only in Node's run`, a.map((l) => `  ${l}`)]);
    else {
      const d = key.endsWith('(hash)') ? hashDiff(a, b) : diffLines(a, b);
      if (d.length) report.push([`key ${key}:`, d]);
    }
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// The runs
// ---------------------------------------------------------------------------------------------
function startDroverIdentityWorker(name, limiter) {
  if (!existsSync(TOOL)) throw new Error(`drover_identity_worker not found at ${TOOL} (set DROVER_IDENTITY_WORKER_BIN)`);
  const proc = spawn(TOOL, [redis.url, name, WORKER_NAME, String(limiter?.max ?? 0), String(limiter?.duration ?? 0)],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((r) => proc.on('exit', r));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  };
  onCleanup(stop);
  return { stop, stderr: () => stderr, started: () => stderr.includes('started') };
}

async function startWorker(kind, name, limiter) {
  if (kind === 'node') {
    const w = newWorker(redis, name, nodeProcessor, { concurrency: 1, name: WORKER_NAME, ...(limiter ? { limiter } : {}) });
    await w.waitUntilReady();
    return { stop: () => w.close() };
  }
  const w = startDroverIdentityWorker(name, limiter);
  await waitFor(w.started, { timeout: 10000, what: `drover_identity_worker on ${name} to start: ${w.stderr()}` });
  return w;
}

async function run(kind, { phases, limiter }) {
  const name = queueName();
  const queue = newQueue(redis, name);
  const flows = new bullmq.FlowProducer({ connection: redis.connection });
  flows.on('error', () => {});
  onCleanup(() => flows.close());
  const workers = [await startWorker(kind, name, limiter), await startWorker(kind, lowQueue(name), limiter)];
  const snapshots = [];
  const raw = await redis.raw();
  for (const [phase, add] of phases) {
    await waitFor(async () => (await raw.exists(`bull:${name}:limiter`)) === 0,
      { interval: 10, what: `${kind} run: the limiter window before phase "${phase}" to end` });
    const ids = await add(queue, flows, lowQueue(name));
    await waitFor(async () => {
      for (const id of ids) {
        // 'unknown': finished and removed by a retention option.
        if (!['completed', 'failed', 'unknown'].includes(await queue.getJobState(id))) return false;
      }
      return true;
    }, { timeout: 10000, interval: 20, what: `${kind} run, phase "${phase}": jobs ${ids.join(', ')} to finish` });
    snapshots.push([phase, await snapshot(name)]);
  }
  for (const w of workers) await w.stop();
  if (process.env.INTEROP_DEBUG) {
    const events = snapshots.at(-1)[1].get('bull:<queue>:events (stream)');
    console.log(`${kind} run's events:\n  ${events.join('\n  ')}`);
  }
  return snapshots;
}

// Runs a workload under both workers and fails with every difference.
async function expectIdentity(workload) {
  const node = await run('node', workload);
  const drover = await run(SECOND, workload);
  expectSameSnapshots(node, drover, "Node's worker and drover's");
}

// Fails with every difference between two runs' [phase, snapshot] lists, each shown after
// the first phase that has it.
function expectSameSnapshots(node, drover, who) {
  const report = [];
  const reported = new Set();
  for (let i = 0; i < node.length; i++) {
    const [phase, a] = node[i];
    const diffs = [];
    for (const [heading, lines] of compare(a, drover[i][1])) {
      const fresh = lines.filter((l) => !reported.has(`${heading}${l}`));
      for (const l of fresh) reported.add(`${heading}${l}`);
      if (fresh.length) diffs.push(`${heading}\n${fresh.join('\n')}`);
    }
    if (diffs.length) report.push(`after phase ${i + 1} "${phase}":\n${diffs.join('\n')}`);
    if (process.env.INTEROP_DEBUG) console.log(`phase ${i + 1} "${phase}": ${a.size} keys, ${diffs.length} differing`);
  }
  assert.equal(report.length, 0, `${who} left different state:\n${report.join('\n')}`);
}

test('the same workload leaves the same Redis state and events under Node\'s worker and drover\'s', async () => {
  await expectIdentity({ phases, limiter: LIMITER });
});

test('without a rate limiter (drover\'s lean finish), the same state and events as Node\'s worker', async () => {
  await expectIdentity({ phases: leanPhases, limiter: null });
});

// ---------------------------------------------------------------------------------------------
// The add workload: no worker; each phase adds the same jobs to Node's queue with Node's
// Queue and to drover's with the drover command, then both queues are compared strictly.
// The stored options' text depends on the order their keys reach the script (Lua's table
// keeps them by hash, collisions by arrival): Node sends attempts first, then the caller's
// order; drover attempts first, then its own (job_options::to_stored). A job's options
// are written here in drover's order, so that both send the same.
// ---------------------------------------------------------------------------------------------
const BIG = { text: 'héllo ✓ 😀 "quoted" \\ / <tag> \u0001 \t', list: Array.from({ length: 300 }, (_, i) => ({ i, s: `item ${i} ✓` })) };
const addPhases = [
  // The first add on a fresh queue meets no opts.maxLenEvents in meta: BullMQ's script
  // inside the lean add writes it.
  ['one at a time, defaults', [
    ['plain', { n: 1 }],
    ['plain', { n: 2 }],
    ['plain', { n: 3, s: 'ünïcödé ✓ 😀', nested: { a: [1, 2, { b: null }], t: true } }],
  ], 'single'],
  ['in bulk, every common option', [
    ['retry', { n: 10 }, { attempts: 3, backoff: { type: 'fixed', delay: 40 } }],
    ['retry', { n: 11 }, { attempts: 5, backoff: { type: 'exponential', delay: 1000 } }],
    ['keep', { n: 12 }, { removeOnComplete: true, removeOnFail: false }],
    ['keep', { n: 13 }, { removeOnComplete: 10, removeOnFail: 100 }],
    ['keep', { n: 14 }, { removeOnComplete: { age: 3600, count: 5 }, removeOnFail: { age: 86400 } }],
    ['limits', { n: 15 }, { stackTraceLimit: 3, keepLogs: 20, sizeLimit: 1000000 }],
    ['stamped', { n: 16 }, { timestamp: 1700000000000 }],
    ['custom', { n: 17 }, { jobId: 'custom-a' }],
    ['custom', { n: 18 }, { jobId: 'custom-b', attempts: 2, lifo: true }],
    ['lifo', { n: 19 }, { lifo: true }],
    ['big', BIG],
    ['everything', { n: 20 }, {
      attempts: 4, jobId: 'custom-c', timestamp: 1700000000001, lifo: true, backoff: { type: 'exponential', delay: 10 },
      removeOnComplete: 3, removeOnFail: { count: 7 }, stackTraceLimit: 1,
    }],
  ], 'bulk'],
  ['a custom id already taken, alone and in bulk', [
    ['again', { n: 30 }, { jobId: 'custom-a' }],
    ['plain', { n: 31 }],
    ['again', { n: 32 }, { jobId: 'custom-b', lifo: true }],
  ], 'bulk'],
  ['a custom id already taken, one at a time', [['again', { n: 33 }, { jobId: 'custom-c' }]], 'single'],
  // Not standard adds, or not common ones: BullMQ's scripts write them, drover's lean add
  // hands them on.
  ['priority, delay and deduplication between plain ones', [
    ['high', { n: 40 }, { priority: 5 }],
    ['plain', { n: 41 }],
    ['later', { n: 42 }, { delay: 3_600_000 }],
    ['plain', { n: 43 }],
    ['dedup', { n: 44 }, { deduplication: { id: 'add-dedup' } }],
    ['dedup', { n: 45 }, { deduplication: { id: 'add-dedup' } }],
    ['plain', { n: 46 }, { delay: 0, priority: 0 }],
  ], 'bulk'],
  ['while paused', [
    ['paused', { n: 50 }],
    ['paused', { n: 51 }, { lifo: true }],
    ['paused', { n: 52 }, { jobId: 'custom-paused' }],
  ], 'bulk', { paused: true }],
  ['under a global concurrency', [
    ['limited', { n: 60 }],
    ['limited', { n: 61 }],
  ], 'single', { concurrency: 1 }],
];

async function addRun(kind) {
  const name = queueName();
  const queue = newQueue(redis, name);
  // Node's Queue writes its meta (opts.maxLenEvents, then version) once connected, and
  // drover's first add writes meta.version: had drover's add come first, as it could on a
  // loaded machine, the meta hash's field order would differ between the runs (seen once
  // in CI). Both runs start from a queue Node has made.
  await queue.getVersion();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'identity-add-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const snapshots = [];
  for (const [phase, jobs, how, setup = {}] of addPhases) {
    if (setup.paused) await queue.pause();
    if (setup.concurrency) await queue.setGlobalConcurrency(setup.concurrency);
    if (kind === 'node') {
      if (how === 'single') for (const [n, data, opts] of jobs) await queue.add(n, data, opts);
      else await queue.addBulk(jobs.map(([n, data, opts]) => ({ name: n, data, opts })));
    } else if (how === 'single') {
      for (const [n, data, opts] of jobs) await droverAdd(redis, name, n, data, opts ?? {});
    } else {
      const file = path.join(dir, `${snapshots.length}.jsonl`);
      writeFileSync(file, jobs.map(([n, data, opts]) => JSON.stringify({ name: n, data, opts: opts ?? {} })).join('\n') + '\n');
      await drover(redis, name, 'add', '--file', file);
    }
    snapshots.push([phase, await snapshot(name, { strict: true })]);
    if (setup.paused) await queue.resume();
    if (setup.concurrency) await queue.removeGlobalConcurrency();
  }
  return snapshots;
}

test('the same adds leave the same Redis state and events from Node\'s Queue and drover\'s (lean add)', async () => {
  const node = await addRun('node');
  const drover = await addRun(SECOND);
  expectSameSnapshots(node, drover, "Node's adds and drover's");
});
