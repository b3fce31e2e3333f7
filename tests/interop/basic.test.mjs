// Scenario 1: a job produced on one side is processed on the other, and both sides read the
// same finished job (state, returnvalue, processedOn, finishedOn, attemptsMade...).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bullmq, startRedis, queueName, newQueue, newWorker, newQueueEvents, startDroverWorker,
  droverAdd, droverJob, waitForDroverState, waitFor,
} from './support.mjs';

const redis = await startRedis();

// The fields of job.toJSON() both sides must agree on, as plain JSON (undefined dropped).
const SHARED_FIELDS = [
  'id', 'name', 'data', 'progress', 'returnvalue', 'stacktrace', 'delay', 'priority', 'attemptsStarted',
  'attemptsMade', 'stalledCounter', 'timestamp', 'finishedOn', 'processedOn', 'failedReason', 'queueQualifiedName',
];

function assertSameJob(nodeJob, droverJobJson, what) {
  const n = JSON.parse(JSON.stringify(nodeJob.toJSON()));
  for (const f of SHARED_FIELDS) {
    assert.deepEqual(droverJobJson[f] ?? null, n[f] ?? null, `${what}: field ${f} differs (drover vs bullmq)`);
  }
  // opts are stored with short names and decoded by both; compare the decoded objects.
  assert.deepEqual(stripUndefined(droverJobJson.opts), stripUndefined(n.opts), `${what}: opts differ`);
}

const stripUndefined = (o) => JSON.parse(JSON.stringify(o ?? {}));

test('Node Queue.add -> drover worker (echo): Node reads the completed job', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const worker = await startDroverWorker(redis, name, { processor: 'echo', name: 'cpp-echo' });

  const data = { hello: 'world', n: 42, nested: { list: [1, 2, 3], s: 'ünïcødé / "quoted"' } };
  const before = Date.now();
  const job = await queue.add('greet', data, { attempts: 2 });
  const result = await job.waitUntilFinished(qe, 15000);
  assert.deepEqual(result, data, 'waitUntilFinished resolves with the echoed data');

  for (const loaded of [await bullmq.Job.fromId(queue, job.id), await queue.getJob(job.id)]) {
    assert.ok(loaded, `job ${job.id} still exists`);
    assert.equal(await loaded.getState(), 'completed');
    assert.deepEqual(loaded.returnvalue, data);
    assert.equal(loaded.attemptsMade, 1, 'attemptsMade');
    assert.equal(loaded.attemptsStarted, 1, 'attemptsStarted');
    assert.equal(loaded.stalledCounter, 0, 'stalledCounter');
    assert.equal(typeof loaded.processedOn, 'number', 'processedOn is set');
    assert.equal(typeof loaded.finishedOn, 'number', 'finishedOn is set');
    // processedOn is the time the worker asked for a job, as BullMQ's Date.now() at the
    // call: a fetch sent just before the add (a worker still connecting to a cluster's
    // node) takes the job with a time a few ms before its timestamp.
    assert.ok(loaded.processedOn >= loaded.timestamp - 1000 && loaded.processedOn >= before - 1000, 'processedOn after creation');
    assert.ok(loaded.finishedOn >= loaded.processedOn, 'finishedOn >= processedOn');
    assert.ok(loaded.finishedOn <= Date.now() + 1000, 'finishedOn not in the future');
    assert.equal(loaded.failedReason, undefined);
    assert.deepEqual(loaded.stacktrace, []);
    assert.equal(loaded.processedBy, 'cpp-echo', 'processedBy (pb) is the drover worker name');
  }

  // Redis bookkeeping left by the finish step is what BullMQ leaves.
  const client = await redis.raw();
  assert.equal(await client.zscore(`bull:${name}:completed`, job.id), String((await queue.getJob(job.id)).finishedOn),
    'completed zset score = finishedOn');
  assert.equal(await client.get(`bull:${name}:${job.id}:lock`), null, 'lock released');
  assert.deepEqual(await client.lrange(`bull:${name}:active`, 0, -1), [], 'active list empty');

  // drover reads the same job the same way.
  const dj = await droverJob(redis, name, job.id);
  assert.equal(dj.state, 'completed');
  assertSameJob(await queue.getJob(job.id), dj, 'Node-added job processed by drover');
  assert.ok(worker.running, 'drover worker still running');
});

test('drover add -> Node Worker: drover job reads the completed job', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const processed = [];
  newWorker(redis, name, async (job) => {
    processed.push({ id: job.id, name: job.name, data: job.data, opts: job.opts });
    return { by: 'node', got: job.data, name: job.name };
  });

  const data = { hello: 'node', n: 7, arr: ['a', { b: null }] };
  const id = await droverAdd(redis, name, 'greet', data, { attempts: 2 });
  const dj = await waitForDroverState(redis, name, id, 'completed');

  assert.equal(processed.length, 1, 'processed exactly once');
  assert.equal(processed[0].id, id);
  assert.equal(processed[0].name, 'greet');
  assert.deepEqual(processed[0].data, data, 'Node worker sees the data drover wrote');
  assert.equal(processed[0].opts.attempts, 2, 'Node worker sees opts.attempts');

  assert.equal(dj.id, id);
  assert.equal(dj.name, 'greet');
  assert.deepEqual(dj.data, data);
  assert.deepEqual(dj.returnvalue, { by: 'node', got: data, name: 'greet' });
  assert.equal(dj.attemptsMade, 1, 'attemptsMade');
  assert.equal(dj.attemptsStarted, 1, 'attemptsStarted');
  assert.equal(dj.stalledCounter, 0);
  assert.equal(typeof dj.processedOn, 'number');
  assert.equal(typeof dj.finishedOn, 'number');
  // Not processedOn >= timestamp: Node's worker takes the time for its fetch before the
  // call, so a fetch already in flight when the add lands stamps the job a moment early.
  assert.ok(dj.finishedOn >= dj.processedOn && dj.finishedOn >= dj.timestamp,
    `timestamp ${dj.timestamp}, processedOn ${dj.processedOn}, finishedOn ${dj.finishedOn}`);
  assert.deepEqual(dj.stacktrace, []);
  assert.deepEqual(dj.logs, []);
  assert.equal(dj.opts.attempts, 2);

  assertSameJob(await queue.getJob(id), dj, 'drover-added job processed by Node');
});

test('drover add and Queue.add store the same job hash', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const client = await redis.raw();
  const cases = [
    { data: { a: 1 }, opts: {} },
    { data: { a: 2 }, opts: { attempts: 3, backoff: { type: 'exponential', delay: 200 } } },
    { data: { a: 3 }, opts: { priority: 5, removeOnComplete: 2, removeOnFail: { age: 60, count: 3 } } },
    { data: { a: 4 }, opts: { delay: 60000, lifo: true, jobId: 'custom-4' } },
    { data: [1, 'two', null], opts: { backoff: 500, attempts: 2 } },
    // Not an option the job keeps: its "rjk" field.
    { data: { a: 6 }, opts: { repeatJobKey: 'by-hand' } },
  ];
  for (const [i, c] of cases.entries()) {
    const nodeOpts = c.opts.jobId ? { ...c.opts, jobId: `${c.opts.jobId}-node` } : c.opts;
    const droverOpts = c.opts.jobId ? { ...c.opts, jobId: `${c.opts.jobId}-drover` } : c.opts;
    const nodeJob = await queue.add(`case${i}`, c.data, nodeOpts);
    const droverId = await droverAdd(redis, name, `case${i}`, c.data, droverOpts);
    const nh = await client.hgetall(`bull:${name}:${nodeJob.id}`);
    const dh = await client.hgetall(`bull:${name}:${droverId}`);
    const what = `case ${i} ${JSON.stringify(c)}`;
    assert.deepEqual(Object.keys(dh).sort(), Object.keys(nh).sort(), `${what}: same hash fields`);
    assert.equal(dh.name, nh.name, `${what}: name`);
    assert.deepEqual(JSON.parse(dh.data), JSON.parse(nh.data), `${what}: data`);
    const nOpts = JSON.parse(nh.opts);
    const dOpts = JSON.parse(dh.opts);
    if (c.opts.jobId) {
      assert.equal(dOpts.jobId, droverOpts.jobId);
      delete nOpts.jobId;
      delete dOpts.jobId;
    }
    assert.deepEqual(dOpts, nOpts, `${what}: opts JSON`);
    assert.equal(dh.delay, nh.delay, `${what}: delay`);
    assert.equal(dh.priority, nh.priority, `${what}: priority`);
    assert.equal(dh.rjk, nh.rjk, `${what}: rjk`);
    assert.equal(await queue.getJobState(droverId), await queue.getJobState(nodeJob.id), `${what}: state`);
  }
});

// Data as JSON.stringify writes it and JSON.parse reads it, both ways: decimals Boost's
// parser rounded one unit off, nesting past Boost's 32 levels, half of an emoji (a lone
// surrogate, which UTF-8 cannot hold: drover reads it as U+FFFD, as its processors see
// it), and numbers drover writes back with JavaScript's text (0.1, 1e+21), byte for byte.
test('a queue only drover added to reports the version Node\'s Queue would have written', async () => {
  const name = queueName();
  await droverAdd(redis, name, 'j', { n: 1 });
  // skipMetasUpdate: a Node Queue that writes nothing itself, as a dashboard reads.
  const reader = newQueue(redis, name, { skipMetasUpdate: true });
  assert.equal(await reader.getVersion(), 'bullmq:6.7.0');
  const written = newQueue(redis, `${name}-node`);
  assert.equal(await written.getVersion(), await reader.getVersion(), 'the value Node writes');
});

test('JSON round trip: drover stores and echoes data exactly as Node does', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const client = await redis.raw();
  const worker = await startDroverWorker(redis, name, { processor: 'echo' });
  const decimals = [0.9814678925280975, 123456789.12345679, 0.1, 1e21, 1.5e-7, 1e-7, 0.30000000000000004, -2.5, 100];
  for (let i = 0; i < 200; i++) decimals.push(Math.random() * 10 ** Math.floor(Math.random() * 30 - 10));
  let deep = 1;
  for (let i = 0; i < 40; i++) deep = { a: deep };
  const cases = { decimals: { d: decimals }, deep, unicode: { s: 'ünïcødé 😀 \u2028 "q" \\ \n\t\u0001' } };
  for (const [what, data] of Object.entries(cases)) {
    const job = await queue.add(what, data);
    const result = await job.waitUntilFinished(qe, 15000);
    assert.deepEqual(result, data, `${what}: the echoed value`);
    assert.equal(await client.hget(`bull:${name}:${job.id}`, 'returnvalue'), JSON.stringify(data),
      `${what}: the stored return value is the text JSON.stringify writes`);
    const droverId = await droverAdd(redis, name, `${what}-drover`, data);
    assert.equal(await client.hget(`bull:${name}:${droverId}`, 'data'), JSON.stringify(data),
      `${what}: drover add stores the text Queue.add stores`);
  }
  const half = await queue.add('half-emoji', { s: 'cut: \ud83d' });
  assert.deepEqual(await half.waitUntilFinished(qe, 15000), { s: 'cut: \ufffd' },
    'a lone surrogate reaches the processor as U+FFFD inside an object, not the raw text as a string');
  assert.ok(worker.running, 'drover worker still running');
});

// Options Node's producers store with loose types: Node's own worker carries on, and so
// must drover's, rather than leave the job active and its slot taken for good.
test('a Node job with a fractional removeOnComplete does not jam a drover worker', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const worker = await startDroverWorker(redis, name, { processor: 'echo', concurrency: 1 });
  await queue.add('loose', { n: 0 }, { removeOnComplete: 2.5 });
  for (let n = 1; n <= 3; n++) await queue.add('plain', { n });
  await waitFor(async () => (await queue.getJobCounts('completed')).completed === 4,
    { what: 'the loosely typed job and the three behind it completed' });
  assert.equal((await queue.getJobCounts('active')).active, 0);
  assert.ok(worker.running, 'drover worker still running');
});

// Redis refuses a connection name with a space or a non-ASCII character; Node's BullMQ
// goes on unnamed (and getWorkers does not list it), and so does drover.
test('a drover worker whose name has a space works, unnamed, as Node\'s does', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const worker = await startDroverWorker(redis, name, { processor: 'echo', name: 'my wörker' });
  const job = await queue.add('hello', { x: 1 });
  assert.deepEqual(await job.waitUntilFinished(qe, 15000), { x: 1 });
  // Its stderr comes through a pipe, which may lag the job's completed event.
  await waitFor(() => /going on unnamed/.test(worker.stderr), { timeout: 5000, what: 'the "going on unnamed" warning' });
});
