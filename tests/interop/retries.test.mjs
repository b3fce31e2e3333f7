// Scenario 2: a failing job with attempts 3 and exponential backoff (200 ms): retried with
// 200 ms then 400 ms delays, then failed for good, whichever side runs the worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bullmq, startRedis, queueName, newQueue, newWorker, newQueueEvents, recordQueueEvents,
  startDroverWorker, startDroverEvents, droverAdd, waitForDroverState, waitFor,
} from './support.mjs';

const redis = await startRedis();
const OPTS = { attempts: 3, backoff: { type: 'exponential', delay: 200 } };

// Stream ids are "<server ms>-<seq>".
const streamMs = (id) => Number(String(id).split('-')[0]);

function assertGaps(gaps, what) {
  assert.equal(gaps.length, 2, `${what}: two gaps between three attempts`);
  assert.ok(gaps[0] >= 150 && gaps[0] < 2000, `${what}: first gap ${gaps[0]} ms should be ~200 ms`);
  // At least 350 ms where a fixed backoff waits 200: it grew. (Not "longer than the first
  // gap": a first retry taken late on a loaded machine made that one fail.)
  assert.ok(gaps[1] >= 350 && gaps[1] < 2000, `${what}: second gap ${gaps[1]} ms should be ~400 ms`);
}

test('drover worker (fail) with attempts 3 / exponential 200: Node sees 3 attempts and retries-exhausted', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['active', 'delayed', 'waiting', 'failed', 'retries-exhausted', 'completed']);
  await startDroverWorker(redis, name, { processor: 'fail', name: 'cpp-fail' });

  const job = await queue.add('doomed', { message: 'kaput' }, OPTS);
  await assert.rejects(job.waitUntilFinished(qe, 15000), /kaput/, 'waitUntilFinished rejects with the failure');
  await waitFor(() => seen.some((e) => e.event === 'retries-exhausted'), {
    timeout: 5000, what: 'retries-exhausted event',
  });

  const loaded = await bullmq.Job.fromId(queue, job.id);
  assert.equal(await loaded.getState(), 'failed');
  assert.equal(loaded.attemptsMade, 3, 'attemptsMade');
  assert.equal(loaded.attemptsStarted, 3, 'attemptsStarted');
  assert.equal(loaded.failedReason, 'kaput');
  assert.equal(loaded.stacktrace.length, 3, `stacktrace has 3 entries: ${JSON.stringify(loaded.stacktrace)}`);
  for (const s of loaded.stacktrace) assert.match(s, /^Error: kaput/, 'each stack entry starts with the error');
  assert.equal(typeof loaded.finishedOn, 'number');
  assert.equal(loaded.returnvalue, null);

  const mine = seen.filter((e) => e.jobId === job.id);
  const failed = mine.filter((e) => e.event === 'failed');
  assert.equal(failed.length, 1, 'one failed event (retries are delayed, not failed)');
  assert.equal(failed[0].failedReason, 'kaput');
  assert.equal(failed[0].prev, 'active');
  const exhausted = mine.filter((e) => e.event === 'retries-exhausted');
  assert.equal(exhausted.length, 1);
  assert.equal(Number(exhausted[0].attemptsMade), 3);
  assert.equal(mine.filter((e) => e.event === 'active').length, 3, 'three activations');

  // The backoff delays as BullMQ computes them: the delayed event's `delay` is the absolute
  // due time, written in the same script call as the event (stream id = server time).
  const delayed = mine.filter((e) => e.event === 'delayed');
  assert.equal(delayed.length, 2, 'two delayed events');
  const planned = delayed.map((e) => e.delay - streamMs(e.streamId));
  assert.ok(Math.abs(planned[0] - 200) <= 100, `first backoff planned ${planned[0]} ms, expected 200`);
  assert.ok(Math.abs(planned[1] - 400) <= 100, `second backoff planned ${planned[1]} ms, expected 400`);
  // ... and the gaps actually observed between activations.
  const actives = mine.filter((e) => e.event === 'active').map((e) => streamMs(e.streamId));
  assertGaps([actives[1] - actives[0], actives[2] - actives[1]], 'drover worker');
  // delayed -> waiting promotion happened (BullMQ emits waiting prev delayed).
  assert.equal(mine.filter((e) => e.event === 'waiting' && e.prev === 'delayed').length, 2,
    'two waiting events with prev=delayed');
});

test('Node Worker that throws, attempts 3 / exponential 200: drover job reads the failure', async () => {
  const name = queueName();
  newQueue(redis, name);
  const events = await startDroverEvents(redis, name);
  const starts = [];
  newWorker(redis, name, async (job) => {
    starts.push(Date.now());
    throw new Error(`node kaput ${job.attemptsMade + 1}`);
  });

  const id = await droverAdd(redis, name, 'doomed', { x: 1 }, OPTS);
  const dj = await waitForDroverState(redis, name, id, 'failed');

  assert.equal(dj.attemptsMade, 3, 'attemptsMade');
  assert.equal(dj.attemptsStarted, 3, 'attemptsStarted');
  assert.equal(dj.failedReason, 'node kaput 3');
  assert.equal(dj.stacktrace.length, 3, 'stacktrace length');
  dj.stacktrace.forEach((s, i) => assert.match(s, new RegExp(`^Error: node kaput ${i + 1}\\n`), `stack entry ${i}`));
  assert.equal(typeof dj.finishedOn, 'number');
  assert.equal(starts.length, 3, 'Node processor ran three times');
  assertGaps([starts[1] - starts[0], starts[2] - starts[1]], 'Node worker');

  await waitFor(() => events.jsonLines().some((e) => e.event === 'retries-exhausted' && e.jobId === id), {
    timeout: 5000, what: 'drover events to print retries-exhausted',
  });
  await events.stop();
  const mine = events.jsonLines().filter((e) => e.jobId === id);
  const delayed = mine.filter((e) => e.event === 'delayed');
  assert.equal(delayed.length, 2, 'drover events: two delayed events');
  for (const d of delayed) assert.equal(typeof d.delay, 'number', 'delayed.delay is a number');
  assert.ok(delayed[1].delay - delayed[0].delay >= 350, 'due times are ~400+ ms apart');
  const exhausted = mine.find((e) => e.event === 'retries-exhausted');
  assert.equal(exhausted.attemptsMade, 3, 'drover events: retries-exhausted attemptsMade is the number 3');
  const failed = mine.filter((e) => e.event === 'failed');
  assert.equal(failed.length, 1);
  assert.equal(failed[0].failedReason, 'node kaput 3');
});

test('flaky job succeeds on its 3rd attempt in the drover worker; Node reads attemptsMade 3 and the old failedReason', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  await startDroverWorker(redis, name, { processor: 'flaky' });
  const job = await queue.add('flaky', { failures: 2 }, { attempts: 3, backoff: { type: 'fixed', delay: 100 } });
  const result = await job.waitUntilFinished(qe, 15000);
  assert.deepEqual(result, { attempts: 3 });
  const loaded = await queue.getJob(job.id);
  assert.equal(await loaded.getState(), 'completed');
  assert.equal(loaded.attemptsMade, 3);
  // BullMQ does not clear failedReason when a later attempt succeeds.
  assert.equal(loaded.failedReason, 'flaky failure 2 of 2');
  assert.equal(loaded.stacktrace.length, 2);
});

// Options a Node producer stored with loose types, run as Node's own worker runs them:
// attempts "3" and 2.5 are three attempts; a fractional delay is still a delay.
test('loosely typed attempts and backoff delay from Node: the drover worker retries as Node\'s would', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  await startDroverWorker(redis, name, { processor: 'fail' });
  const jobs = [
    await queue.add('as-text', { message: 'kaput' }, { attempts: '3', backoff: { type: 'fixed', delay: 150.5 } }),
    await queue.add('fraction', { message: 'kaput' }, { attempts: 2.5, backoff: { type: 'fixed', delay: 150.5 } }),
  ];
  for (const job of jobs) {
    await assert.rejects(job.waitUntilFinished(qe, 15000), /kaput/);
    const loaded = await bullmq.Job.fromId(queue, job.id);
    assert.equal(loaded.attemptsMade, 3, `${job.name}: attemptsMade`);
    assert.ok(loaded.finishedOn - loaded.timestamp >= 290, `${job.name}: two waits of ~150 ms between attempts`);
  }
});
