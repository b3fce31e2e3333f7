// Scenario 7: a drover worker is SIGKILLed mid-job. Once its lock expires, a Node worker or
// another drover worker finds the job stalled and recovers it (it completes exactly once more),
// or with maxStalledCount 0 fails it with BullMQ's reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startRedis, queueName, newQueue, newWorker, newQueueEvents, recordQueueEvents, startDroverWorker,
  waitFor, waitForState, droverJob,
} from './support.mjs';

const redis = await startRedis();
const STALLED_REASON = 'job stalled more than allowable limit';

// Adds a long `sleep` job, lets a drover worker (lock 1 s) take it, and SIGKILLs the worker.
async function stallOne() {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['active', 'stalled', 'waiting', 'completed', 'failed']);
  const victim = await startDroverWorker(redis, name, {
    processor: 'sleep', lockDuration: 1000, stalledInterval: 1000, name: 'victim',
  });
  const job = await queue.add('stuck', { ms: 60000 }, { attempts: 1 });
  await waitForState(queue, job.id, 'active');
  const raw = await redis.raw();
  await waitFor(() => raw.get(`bull:${name}:${job.id}:lock`), { what: 'the victim to hold the lock' });
  // Let the lock be renewed at least once, so the kill really is mid-job.
  await waitFor(() => seen.some((e) => e.event === 'active'), { what: 'active event' });
  await victim.kill();
  const killedAt = Date.now();
  assert.equal(await queue.getJobState(job.id), 'active', 'job still active right after the kill');
  return { name, queue, qe, seen, job, killedAt, raw };
}

function checkRecovered(ctx, loaded, what) {
  const mine = ctx.seen.filter((e) => e.jobId === ctx.job.id);
  const stalled = mine.filter((e) => e.event === 'stalled');
  assert.equal(stalled.length, 1, `${what}: exactly one stalled event`);
  assert.ok(stalled[0].at >= ctx.killedAt, `${what}: recovered after the kill`);
  assert.ok(mine.some((e) => e.event === 'waiting' && e.prev === 'active'), `${what}: waiting (prev active) event`);
  assert.equal(mine.filter((e) => e.event === 'active').length, 2, `${what}: two activations`);
  assert.equal(loaded.stalledCounter, 1, `${what}: stalledCounter`);
  assert.equal(loaded.attemptsStarted, 2, `${what}: attemptsStarted`);
}

test('drover worker killed mid-job -> Node worker (stalledInterval 1000) recovers it; completes once', async () => {
  const ctx = await stallOne();
  const calls = [];
  newWorker(redis, ctx.name, async (job) => {
    calls.push(job.id);
    return { recoveredBy: 'node' };
  }, { stalledInterval: 1000, lockDuration: 1000, maxStalledCount: 1 });

  await waitForState(ctx.queue, ctx.job.id, ['completed', 'failed'], 15000);
  await waitFor(() => ctx.seen.some((e) => e.event === 'completed' && e.jobId === ctx.job.id), { what: 'completed event' });
  const loaded = await ctx.queue.getJob(ctx.job.id);
  assert.equal(await loaded.getState(), 'completed');
  assert.deepEqual(loaded.returnvalue, { recoveredBy: 'node' });
  assert.deepEqual(calls, [ctx.job.id], 'Node processed it exactly once');
  assert.equal(loaded.attemptsMade, 1, 'attemptsMade (a stall is not an attempt)');
  checkRecovered(ctx, loaded, 'Node recovery');
  assert.equal(ctx.seen.filter((e) => e.event === 'completed' && e.jobId === ctx.job.id).length, 1, 'one completion');
});

test('drover worker killed mid-job -> drover worker (--stalled-interval 1000) recovers it; completes once', async () => {
  const ctx = await stallOne();
  await startDroverWorker(redis, ctx.name, {
    processor: 'echo', stalledInterval: 1000, lockDuration: 1000, maxStalled: 1, name: 'rescuer',
  });
  await waitForState(ctx.queue, ctx.job.id, ['completed', 'failed'], 15000);
  await waitFor(() => ctx.seen.some((e) => e.event === 'completed' && e.jobId === ctx.job.id), { what: 'completed event' });
  const loaded = await ctx.queue.getJob(ctx.job.id);
  assert.equal(await loaded.getState(), 'completed');
  assert.deepEqual(loaded.returnvalue, { ms: 60000 }, 'echo of the job data');
  assert.equal(loaded.processedBy, 'rescuer');
  assert.equal(loaded.attemptsMade, 1, 'attemptsMade (a stall is not an attempt)');
  checkRecovered(ctx, loaded, 'drover recovery');
  assert.equal(ctx.seen.filter((e) => e.event === 'completed' && e.jobId === ctx.job.id).length, 1, 'one completion');
  const dj = await droverJob(redis, ctx.name, ctx.job.id);
  assert.equal(dj.stalledCounter, 1);
  assert.equal(dj.attemptsStarted, 2);
});

async function checkStalledFailure(ctx, what) {
  await waitForState(ctx.queue, ctx.job.id, ['completed', 'failed'], 15000);
  const loaded = await ctx.queue.getJob(ctx.job.id);
  assert.equal(await loaded.getState(), 'failed', `${what}: final state`);
  assert.equal(loaded.failedReason, STALLED_REASON, `${what}: failedReason`);
  assert.equal(loaded.stalledCounter, 1, `${what}: stalledCounter`);
  assert.equal(ctx.seen.filter((e) => e.event === 'stalled' && e.jobId === ctx.job.id).length, 1, `${what}: one stalled event`);
  await waitFor(() => ctx.seen.some((e) => e.event === 'failed' && e.jobId === ctx.job.id), { what: 'failed event' });
  const failed = ctx.seen.find((e) => e.event === 'failed' && e.jobId === ctx.job.id);
  assert.equal(failed.failedReason, STALLED_REASON);
  // The deferred failure is consumed when the job is failed.
  assert.equal(await ctx.raw.hget(`bull:${ctx.name}:${ctx.job.id}`, 'defa'), null, `${what}: defa removed`);
  return loaded;
}

let nodeFailure;
let droverFailure;

test('maxStalledCount 0 (Node worker): the stalled drover job fails with BullMQ reason, not processed', async () => {
  const ctx = await stallOne();
  const calls = [];
  newWorker(redis, ctx.name, async (job) => {
    calls.push(job.id);
    return 'should not run';
  }, { stalledInterval: 1000, lockDuration: 1000, maxStalledCount: 0 });
  nodeFailure = await checkStalledFailure(ctx, 'Node maxStalledCount 0');
  assert.deepEqual(calls, [], 'the Node processor never ran the job');
});

test('--max-stalled 0 (drover worker): the stalled job fails with BullMQ reason, like the Node worker', async () => {
  const ctx = await stallOne();
  await startDroverWorker(redis, ctx.name, {
    processor: 'echo', stalledInterval: 1000, lockDuration: 1000, maxStalled: 0,
  });
  droverFailure = await checkStalledFailure(ctx, 'drover --max-stalled 0');
  assert.equal(droverFailure.returnvalue, null, 'not processed (no returnvalue)');
  if (nodeFailure) {
    for (const f of ['attemptsMade', 'attemptsStarted', 'stalledCounter', 'failedReason']) {
      assert.deepEqual(droverFailure[f], nodeFailure[f], `${f}: drover vs Node outcome`);
    }
    assert.equal(droverFailure.stacktrace.length, nodeFailure.stacktrace.length, 'stacktrace length: drover vs Node');
  }
});

// The other half of the contract: a live worker's renewed lock keeps the job safe from the
// other side's stalled checker.
test('a live drover worker renews its lock: a Node stalled checker does not steal its 3 s job', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['stalled', 'completed']);
  await startDroverWorker(redis, name, { processor: 'sleep', lockDuration: 1000, stalledInterval: 1000, name: 'slow' });
  const job = await queue.add('slow', { ms: 3000 });
  await waitForState(queue, job.id, 'active');
  const calls = [];
  newWorker(redis, name, async (j) => calls.push(j.id), { stalledInterval: 1000, lockDuration: 1000 });
  assert.deepEqual(await job.waitUntilFinished(qe, 15000), { slept: 3000 });
  const loaded = await queue.getJob(job.id);
  assert.equal(loaded.stalledCounter, 0, 'never found stalled');
  assert.equal(loaded.attemptsStarted, 1);
  assert.equal(loaded.processedBy, 'slow');
  assert.deepEqual(calls, [], 'the Node worker never got the job');
  assert.equal(seen.filter((e) => e.event === 'stalled').length, 0, 'no stalled event');
});

test('a live Node worker renews its lock: a drover stalled checker does not steal its 3 s job', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['stalled', 'completed']);
  newWorker(redis, name, async () => {
    await new Promise((r) => setTimeout(r, 3000));
    return 'node finished';
  }, { stalledInterval: 1000, lockDuration: 1000 });
  const job = await queue.add('slow', {});
  await waitForState(queue, job.id, 'active');
  await startDroverWorker(redis, name, { processor: 'echo', stalledInterval: 1000, lockDuration: 1000 });
  assert.equal(await job.waitUntilFinished(qe, 15000), 'node finished');
  const loaded = await queue.getJob(job.id);
  assert.equal(loaded.stalledCounter, 0, 'never found stalled');
  assert.equal(loaded.attemptsStarted, 1);
  assert.equal(seen.filter((e) => e.event === 'stalled').length, 0, 'no stalled event');
});
