// Scenario 3: delayed, prioritized and lifo jobs come out in BullMQ's order, whichever side
// produced them and whichever side consumes them (concurrency 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  startRedis, queueName, newQueue, newWorker, newQueueEvents, recordQueueEvents, startDroverWorker,
  drover, droverAdd, waitFor, onCleanup,
} from './support.mjs';

const redis = await startRedis();

// The three job sets. `add(name, opts)` is the producer; jobs are named after what they are.
// Expected orders follow BullMQ 6.7.0: wait list before prioritized; lower priority number
// first, FIFO inside one priority; lifo jobs are pushed at the consumer's end of `wait`.
const PRIORITY_JOBS = [
  ['p5', { priority: 5 }],
  ['p1', { priority: 1 }],
  ['p4', { priority: 4 }],
  ['p2a', { priority: 2 }],
  ['p0', {}],
  ['p3', { priority: 3 }],
  ['p2b', { priority: 2 }],
];
const PRIORITY_ORDER = ['p0', 'p1', 'p2a', 'p2b', 'p3', 'p4', 'p5'];

const LIFO_JOBS = [
  ['a', {}],
  ['b', {}],
  ['c', {}],
  ['d', { lifo: true }],
  ['e', { lifo: true }],
];
const LIFO_ORDER = ['e', 'd', 'a', 'b', 'c'];

const DELAYED_JOBS = [
  ['d900', { delay: 900 }],
  ['d300', { delay: 300 }],
  ['now', {}],
  ['d600', { delay: 600 }],
];
const DELAYED_ORDER = ['now', 'd300', 'd600', 'd900'];

// ---- Node produces, drover consumes -----------------------------------------------------

async function droverConsumes(jobs, { startWorkerFirst }) {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['active', 'completed']);
  let worker;
  if (startWorkerFirst) worker = await startDroverWorker(redis, name, { processor: 'noop', concurrency: 1 });
  const ids = new Map();
  const t0 = Date.now();
  for (const [jobName, opts] of jobs) ids.set((await queue.add(jobName, { jobName }, opts)).id, jobName);
  if (!startWorkerFirst) worker = await startDroverWorker(redis, name, { processor: 'noop', concurrency: 1 });
  await waitFor(() => seen.filter((e) => e.event === 'completed').length === jobs.length, {
    timeout: 15000, what: `${jobs.length} completions in ${name}`,
  });
  // Stream order of the `active` events is the order drover took the jobs.
  const order = seen.filter((e) => e.event === 'active').map((e) => ids.get(e.jobId));
  const processedOn = new Map();
  for (const id of ids.keys()) processedOn.set(ids.get(id), (await queue.getJob(id)).processedOn);
  return { order, processedOn, t0, worker };
}

test('priorities (Node-added, out of order) are taken by a drover worker in BullMQ order', async () => {
  const { order } = await droverConsumes(PRIORITY_JOBS, { startWorkerFirst: false });
  assert.deepEqual(order, PRIORITY_ORDER);
});

test('lifo jobs (Node-added) are taken by a drover worker in BullMQ order', async () => {
  const { order } = await droverConsumes(LIFO_JOBS, { startWorkerFirst: false });
  assert.deepEqual(order, LIFO_ORDER);
});

test('delayed jobs (Node-added) are taken by a drover worker when due, in due order', async () => {
  const { order, processedOn, t0 } = await droverConsumes(DELAYED_JOBS, { startWorkerFirst: true });
  assert.deepEqual(order, DELAYED_ORDER);
  for (const [jobName, opts] of DELAYED_JOBS) {
    if (!opts.delay) continue;
    const at = processedOn.get(jobName) - t0;
    assert.ok(at >= opts.delay - 50, `${jobName} processed ${at} ms after the adds, not before its delay`);
    assert.ok(at < opts.delay + 1500, `${jobName} processed ${at} ms after the adds: too late for delay ${opts.delay}`);
  }
});

// ---- drover produces, Node consumes -----------------------------------------------------

async function nodeConsumes(jobs, { startWorkerFirst, oneAdd = false }) {
  const name = queueName();
  newQueue(redis, name);
  const order = [];
  const times = new Map();
  const start = () =>
    newWorker(redis, name, async (job) => {
      order.push(job.name);
      times.set(job.name, Date.now());
    }, { concurrency: 1 });
  if (startWorkerFirst) {
    const w = start();
    await w.waitUntilReady();
  }
  const addedAt = new Map();
  if (oneAdd) {
    // One process adds them all: delays then count from one moment. Added one process
    // each, the processes' start-up on a loaded machine set d600 due after d900 (seen in
    // a run beside a build).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ordering-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'jobs.jsonl');
    writeFileSync(file, jobs.map(([jobName, opts]) => JSON.stringify({ name: jobName, data: { jobName }, opts })).join('\n') + '\n');
    const at = Date.now();
    for (const [jobName] of jobs) addedAt.set(jobName, at);
    await drover(redis, name, 'add', '--file', file);
  } else {
    for (const [jobName, opts] of jobs) {
      addedAt.set(jobName, Date.now());
      await droverAdd(redis, name, jobName, { jobName }, opts);
    }
  }
  if (!startWorkerFirst) start();
  await waitFor(() => order.length === jobs.length, { timeout: 15000, what: `${jobs.length} jobs processed by Node` });
  return { order, times, addedAt };
}

test('priorities (drover-added, out of order) are taken by a Node worker in BullMQ order', async () => {
  const { order } = await nodeConsumes(PRIORITY_JOBS, { startWorkerFirst: false });
  assert.deepEqual(order, PRIORITY_ORDER);
});

test('lifo jobs (drover-added) are taken by a Node worker in BullMQ order', async () => {
  const { order } = await nodeConsumes(LIFO_JOBS, { startWorkerFirst: false });
  assert.deepEqual(order, LIFO_ORDER);
});

test('delayed jobs (drover-added) are taken by a Node worker when due, in due order', async () => {
  const { order, times, addedAt } = await nodeConsumes(DELAYED_JOBS, { startWorkerFirst: true, oneAdd: true });
  assert.deepEqual(order, DELAYED_ORDER);
  for (const [jobName, opts] of DELAYED_JOBS) {
    if (!opts.delay) continue;
    // Measured from the start of the add's process.
    const at = times.get(jobName) - addedAt.get(jobName);
    assert.ok(at >= opts.delay - 50, `${jobName} processed ${at} ms after its add, before its delay`);
    assert.ok(at < opts.delay + 1500, `${jobName} processed ${at} ms after its add: too late for delay ${opts.delay}`);
  }
});

test('a drover worker takes wait-list jobs before prioritized ones added earlier', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['active', 'completed']);
  const ids = new Map();
  for (const [jobName, opts] of [['prio1', { priority: 1 }], ['plain1', {}], ['prio2', { priority: 1 }], ['plain2', {}]]) {
    ids.set((await queue.add(jobName, {}, opts)).id, jobName);
  }
  await startDroverWorker(redis, name, { processor: 'noop' });
  await waitFor(() => seen.filter((e) => e.event === 'completed').length === 4, { what: '4 completions' });
  assert.deepEqual(seen.filter((e) => e.event === 'active').map((e) => ids.get(e.jobId)), ['plain1', 'plain2', 'prio1', 'prio2']);
});
