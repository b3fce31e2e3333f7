// Scenario 4: progress and logs written on one side are read on the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startRedis, queueName, newQueue, newWorker, newQueueEvents, recordQueueEvents, startDroverWorker,
  droverAdd, droverJob, waitForDroverState, droverQueue, requireQueueSubcommand, waitFor,
} from './support.mjs';

const redis = await startRedis();

test('drover worker (progress processor) -> Node reads progress 100 and the log lines', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['progress']);
  await startDroverWorker(redis, name, { processor: 'progress' });

  const job = await queue.add('steps', { steps: 4 });
  assert.deepEqual(await job.waitUntilFinished(qe, 15000), { steps: 4 });

  const loaded = await queue.getJob(job.id);
  assert.equal(loaded.progress, 100, 'job.progress');
  const { logs, count } = await queue.getJobLogs(job.id);
  assert.deepEqual(logs, ['step 1 of 4', 'step 2 of 4', 'step 3 of 4', 'step 4 of 4']);
  assert.equal(count, 4);
  // Newest-first paging as BullMQ reads it.
  assert.deepEqual((await queue.getJobLogs(job.id, 0, 1, false)).logs, ['step 4 of 4', 'step 3 of 4']);

  const progress = seen.filter((e) => e.jobId === job.id).map((e) => e.data);
  assert.deepEqual(progress, [25, 50, 75, 100], 'progress events carry JSON numbers');

  const raw = await redis.raw();
  assert.equal(await raw.hget(`bull:${name}:${job.id}`, 'progress'), '100', 'progress stored as JSON text');
  assert.deepEqual(await raw.lrange(`bull:${name}:${job.id}:logs`, 0, -1), logs, 'logs list, oldest first');
});

test('keepLogs 0 from Node is no limit for a drover worker, as for Node\'s', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  await startDroverWorker(redis, name, { processor: 'progress' });
  const job = await queue.add('steps', { steps: 3 }, { keepLogs: 0 });
  await waitFor(async () => (await queue.getJobState(job.id)) === 'completed', { what: 'the job to complete' });
  assert.deepEqual((await queue.getJobLogs(job.id)).logs, ['step 1 of 3', 'step 2 of 3', 'step 3 of 3']);
});

test('Node worker updateProgress/log -> drover job shows them', async () => {
  const name = queueName();
  newQueue(redis, name);
  newWorker(redis, name, async (job) => {
    await job.log('line one');
    await job.updateProgress(30);
    await job.log('line two with "quotes" and ünïcødé');
    if (job.data.object) await job.updateProgress({ pct: 60, msg: 'half-ish', nested: [1, { a: true }] });
    return 'done';
  });

  const numericId = await droverAdd(redis, name, 'numeric', {});
  const objectId = await droverAdd(redis, name, 'object', { object: true });
  const numeric = await waitForDroverState(redis, name, numericId, 'completed');
  const object = await waitForDroverState(redis, name, objectId, 'completed');

  assert.equal(numeric.progress, 30);
  assert.deepEqual(numeric.logs, ['line one', 'line two with "quotes" and ünïcødé']);
  assert.equal(numeric.returnvalue, 'done');
  assert.deepEqual(object.progress, { pct: 60, msg: 'half-ish', nested: [1, { a: true }] });
  assert.deepEqual(object.logs, ['line one', 'line two with "quotes" and ünïcødé']);
});

test('drover queue progress/log on a Node-added job -> Node reads them (and the progress event)', async () => {
  await requireQueueSubcommand();
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['progress']);
  const job = await queue.add('manual', { a: 1 });

  await droverQueue(redis, name, 'progress', '--id', job.id, '--value', '42');
  assert.equal((await queue.getJob(job.id)).progress, 42);
  await droverQueue(redis, name, 'progress', '--id', job.id, '--value', JSON.stringify({ stage: 'two', pct: 66 }));
  assert.deepEqual((await queue.getJob(job.id)).progress, { stage: 'two', pct: 66 });
  await droverQueue(redis, name, 'log', '--id', job.id, '--line', 'from drover 1');
  await droverQueue(redis, name, 'log', '--id', job.id, '--line', 'from drover 2');
  assert.deepEqual((await queue.getJobLogs(job.id)).logs, ['from drover 1', 'from drover 2']);

  // Node's own log/progress calls on the same job interleave with drover's.
  await queue.addJobLog(job.id, 'from node');
  const dj = await droverJob(redis, name, job.id);
  assert.deepEqual(dj.logs, ['from drover 1', 'from drover 2', 'from node']);
  assert.deepEqual(dj.progress, { stage: 'two', pct: 66 });

  await waitFor(() => seen.length >= 2, { timeout: 5000, what: 'two progress events' });
  assert.deepEqual(seen.map((e) => e.data), [42, { stage: 'two', pct: 66 }]);

  // A job with keepLogs keeps its newest lines, as Node's job.log() keeps them.
  const kept = await queue.add('kept', {}, { keepLogs: 2 });
  for (const line of ['one', 'two', 'three']) await droverQueue(redis, name, 'log', '--id', kept.id, '--line', line);
  assert.deepEqual(await queue.getJobLogs(kept.id), { logs: ['two', 'three'], count: 2 });
});
