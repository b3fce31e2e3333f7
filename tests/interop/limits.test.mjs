// Scenario 8b: rate limiting and removeOnComplete/removeOnFail ("keep jobs") across sides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startRedis, queueName, newQueue, newWorker, newQueueEvents, recordQueueEvents, startDroverWorker,
  droverAdd, droverJob, droverCounts, droverJSON, waitFor, waitForDroverState,
} from './support.mjs';

const redis = await startRedis();

// processedOn of every job, sorted.
async function startTimes(queue, ids) {
  const t = [];
  for (const id of ids) t.push((await queue.getJob(id)).processedOn);
  return t.sort((a, b) => a - b);
}

// With at most 2 jobs per 1000 ms window: 6 jobs need 3 windows, and no 3 consecutive starts
// fit in much less than one window.
function assertRateLimited(times, what) {
  if (process.env.INTEROP_DEBUG) console.log(what, times.map((t) => t - times[0]));
  const span = times[times.length - 1] - times[0];
  assert.ok(span >= 1800, `${what}: 6 jobs at 2/s took only ${span} ms between first and last start (${times.map((t) => t - times[0])})`);
  assert.ok(span < 6000, `${what}: 6 jobs at 2/s took ${span} ms: far too slow`);
  for (let i = 0; i + 2 < times.length; i++) {
    assert.ok(times[i + 2] - times[i] >= 900, `${what}: 3 starts within ${times[i + 2] - times[i]} ms (${times.map((t) => t - times[0])})`);
  }
}

async function addSix(queue) {
  const jobs = await queue.addBulk(Array.from({ length: 6 }, (_, i) => ({ name: `r${i}`, data: { i } })));
  return jobs.map((j) => j.id);
}

test('drover worker --limit-max 2 --limit-duration 1000: 6 Node-added jobs take >= ~2 s', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['completed']);
  await startDroverWorker(redis, name, { processor: 'noop', concurrency: 4, limitMax: 2, limitDuration: 1000 });
  const ids = await addSix(queue);
  await waitFor(() => seen.length === 6, { timeout: 15000, what: '6 completions' });
  assertRateLimited(await startTimes(queue, ids), 'drover worker limiter');
});

test('a global rate limit set by Node (setGlobalRateLimit 2/1000) is honoured by a drover worker', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['completed']);
  await queue.setGlobalRateLimit(2, 1000);
  await startDroverWorker(redis, name, { processor: 'noop', concurrency: 4 });
  const ids = await addSix(queue);
  await waitFor(() => seen.length === 6, { timeout: 15000, what: '6 completions' });
  assertRateLimited(await startTimes(queue, ids), 'global limit, drover worker');
});

test('a Node worker and a drover worker with the same limiter share it (2 per second together)', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['completed']);
  const byNode = [];
  const w = newWorker(redis, name, async (job) => byNode.push(job.id), { concurrency: 4, limiter: { max: 2, duration: 1000 } });
  await w.waitUntilReady();
  await startDroverWorker(redis, name, { processor: 'noop', concurrency: 4, limitMax: 2, limitDuration: 1000 });
  const ids = await addSix(queue);
  await waitFor(() => seen.length === 6, { timeout: 15000, what: '6 completions' });
  if (process.env.INTEROP_DEBUG) console.log('node took', byNode.length);
  assertRateLimited(await startTimes(queue, ids), 'shared limiter');
});

// ---- keep jobs --------------------------------------------------------------------------

async function processedByDrover(opts, count, processor = 'echo') {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['completed', 'failed']);
  await startDroverWorker(redis, name, { processor, concurrency: 1 });
  const ids = [];
  for (let i = 0; i < count; i++) {
    ids.push((await queue.add(`k${i}`, { i, message: `m${i}` }, opts)).id);
    // One at a time, so finish order = add order.
    await waitFor(() => seen.length === i + 1, { timeout: 15000, what: `job ${i} finished` });
  }
  return { name, queue, ids, seen };
}

test('removeOnComplete: 2 on jobs run by a drover worker keeps the newest 2 (as BullMQ)', async () => {
  const { name, queue, ids } = await processedByDrover({ removeOnComplete: 2 }, 4);
  const raw = await redis.raw();
  assert.deepEqual(await raw.zrange(`bull:${name}:completed`, 0, -1), ids.slice(2), 'completed set = newest two');
  for (const id of ids.slice(0, 2)) {
    assert.equal(await queue.getJob(id), undefined, `job ${id} removed`);
    assert.equal(await raw.exists(`bull:${name}:${id}`, `bull:${name}:${id}:logs`), 0, `no keys of job ${id}`);
  }
  for (const id of ids.slice(2)) assert.equal(await queue.getJobState(id), 'completed');
});

test('removeOnComplete: {age: 1} on jobs run by a drover worker drops jobs older than 1 s at the next finish', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  await startDroverWorker(redis, name, { processor: 'echo' });
  const a = await queue.add('old', { n: 1 }, { removeOnComplete: { age: 1 } });
  await a.waitUntilFinished(qe, 15000);
  const finishedA = (await queue.getJob(a.id)).finishedOn;
  const b = await queue.add('young', { n: 2 }, { removeOnComplete: { age: 1 } });
  await b.waitUntilFinished(qe, 15000);
  // b finished < 1 s after a: both kept.
  if ((await queue.getJob(b.id)).finishedOn - finishedA < 900) {
    assert.equal(await queue.getJobState(a.id), 'completed', 'a kept: not older than 1 s at b finish');
  }
  await waitFor(() => Date.now() - finishedA > 1100, { timeout: 3000, what: 'a to be older than 1 s' });
  const c = await queue.add('trigger', { n: 3 }, { removeOnComplete: { age: 1 } });
  await c.waitUntilFinished(qe, 15000);
  assert.equal(await queue.getJob(a.id), undefined, 'a (older than 1 s) removed when c finished');
  assert.equal(await queue.getJobState(c.id), 'completed', 'c kept');
});

test('removeOnComplete: true on a drover-run job: hash deleted, completed event still carries the value', async () => {
  const { name, queue, ids, seen } = await processedByDrover({ removeOnComplete: true }, 1);
  assert.equal(await queue.getJob(ids[0]), undefined);
  const raw = await redis.raw();
  assert.equal(await raw.zcard(`bull:${name}:completed`), 0);
  assert.deepEqual(seen[0].returnvalue, { i: 0, message: 'm0' });
});

test('removeOnFail: 1 on jobs failed by a drover worker keeps only the newest failure', async () => {
  const { name, queue, ids } = await processedByDrover({ removeOnFail: 1 }, 3, 'fail');
  const raw = await redis.raw();
  assert.deepEqual(await raw.zrange(`bull:${name}:failed`, 0, -1), [ids[2]]);
  assert.equal(await queue.getJob(ids[0]), undefined);
  assert.equal((await queue.getJob(ids[2])).failedReason, 'm2');
});

test('removeOnComplete: 2 set by drover add is applied by a Node worker', async () => {
  const name = queueName();
  newQueue(redis, name);
  newWorker(redis, name, async (job) => job.data, { concurrency: 1 });
  const ids = [];
  for (let i = 0; i < 4; i++) {
    ids.push(await droverAdd(redis, name, `k${i}`, { i }, { removeOnComplete: 2 }));
    if (i < 3) await waitForDroverState(redis, name, ids[i], 'completed');
  }
  await waitFor(async () => (await droverCounts(redis, name)).completed === 2 && (await droverJob(redis, name, ids[3]))?.state === 'completed', {
    what: 'the 4th job completed with 2 kept',
  });
  assert.equal(await droverJob(redis, name, ids[0]), null, 'oldest removed');
  assert.equal(await droverJob(redis, name, ids[1]), null, 'second oldest removed');
});

test('global limits set by drover (queue limits) are what Node reads, and the reverse', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const set = await droverJSON(redis, name, ['queue', 'limits'], '--concurrency', '3', '--rate-max', '5',
    '--rate-duration', '2000', '--json');
  assert.deepEqual(set, { queue: name, maxed: false, concurrency: 3, rateLimit: { max: 5, duration: 2000 } });
  assert.equal(await queue.getGlobalConcurrency(), 3);
  assert.deepEqual(await queue.getGlobalRateLimit(), { max: 5, duration: 2000 });
  assert.equal(await queue.isMaxed(), false);

  await queue.setGlobalConcurrency(7);
  await queue.removeGlobalRateLimit();
  const read = await droverJSON(redis, name, ['queue', 'limits'], '--json');
  assert.deepEqual(read, { queue: name, maxed: false, concurrency: 7, rateLimit: null });

  const removed = await droverJSON(redis, name, ['queue', 'limits'], '--remove-concurrency', '--json');
  assert.equal(removed.concurrency, null);
  assert.equal(await queue.getGlobalConcurrency(), null);
});
