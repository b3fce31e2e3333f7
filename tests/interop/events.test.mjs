// Scenario 5: queue events. Node's QueueEvents sees, for a job run by a drover worker, the same
// events with the same payloads as for the same job run by a Node worker; `drover events`
// prints the same events and payloads as Node's QueueEvents for a Node worker's jobs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startRedis, queueName, newQueue, newWorker, newQueueEvents, recordQueueEvents, startDroverWorker,
  startDroverEvents, droverAdd, waitFor,
} from './support.mjs';

const redis = await startRedis();
const EVENTS = [
  'added', 'waiting', 'active', 'progress', 'completed', 'failed', 'delayed', 'retries-exhausted',
  'stalled', 'drained', 'removed', 'paused', 'resumed', 'duplicated',
];

// Reduces recorded events to what must match: name and payload, job ids replaced by a label.
function normalize(seen, idLabels) {
  return seen
    .filter((e) => e.event === 'drained' || idLabels.has(e.jobId))
    .map(({ event, at, streamId, jobId, ...rest }) => {
      const o = { event, ...rest };
      if (jobId !== undefined) o.jobId = idLabels.get(jobId);
      if (o.attemptsMade !== undefined) o.attemptsMade = Number(o.attemptsMade);
      return o;
    });
}

async function nodeProgressProcessor(job) {
  if (job.name === 'fails') throw new Error(job.data.message);
  const steps = job.data.steps;
  for (let i = 1; i <= steps; i++) {
    await job.updateProgress(Math.round((100 * i) / steps));
    await job.log(`step ${i} of ${steps}`);
  }
  return { steps };
}

// Runs the same two jobs (one completing with progress, one failing) on a queue processed by
// `consumer` ('drover' or 'node') and returns the normalized event list seen by QueueEvents.
async function runTwin(consumer) {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, EVENTS);
  const labels = new Map();
  const ok = await queue.add('steps', { steps: 2 });
  labels.set(ok.id, 'ok');
  let worker;
  if (consumer === 'drover') worker = await startDroverWorker(redis, name, { processor: 'progress' });
  else worker = newWorker(redis, name, nodeProcessor);
  await ok.waitUntilFinished(qe, 15000);
  await waitFor(() => seen.some((e) => e.event === 'drained'), { timeout: 5000, what: `drained after the first job (${consumer})` });
  if (consumer === 'drover') {
    await worker.stop();
    worker = await startDroverWorker(redis, name, { processor: 'fail' });
  }
  const bad = await queue.add('fails', { message: 'no luck' }, { attempts: 1 });
  labels.set(bad.id, 'bad');
  await assert.rejects(bad.waitUntilFinished(qe, 15000), /no luck/);
  await waitFor(() => seen.filter((e) => e.event === 'drained').length >= 2, {
    timeout: 5000, what: `drained after the second job (${consumer})`,
  });
  return { events: normalize(seen, labels), raw: seen, labels };
}
const nodeProcessor = nodeProgressProcessor;

test('Node QueueEvents: a drover worker emits the same events and payloads as a Node worker', async () => {
  const drover = await runTwin('drover');
  const node = await runTwin('node');

  // Explicit expectations first (clearer failures), then the full comparison.
  const okEvents = drover.events.filter((e) => e.jobId === 'ok');
  assert.deepEqual(okEvents, [
    { event: 'added', jobId: 'ok', name: 'steps' },
    { event: 'waiting', jobId: 'ok' },
    { event: 'active', jobId: 'ok', prev: 'waiting' },
    { event: 'progress', jobId: 'ok', data: 50 },
    { event: 'progress', jobId: 'ok', data: 100 },
    { event: 'completed', jobId: 'ok', returnvalue: { steps: 2 }, prev: 'active' },
  ]);
  const badEvents = drover.events.filter((e) => e.jobId === 'bad');
  assert.deepEqual(badEvents.find((e) => e.event === 'failed'), {
    event: 'failed', jobId: 'bad', failedReason: 'no luck', prev: 'active',
  });
  if (process.env.INTEROP_DEBUG) console.log(JSON.stringify(drover.events));
  assert.deepEqual(drover.events, node.events, 'drover worker vs Node worker: same event stream');
});

test('drover events prints what Node QueueEvents receives, for jobs run by a Node worker', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, EVENTS);
  const cli = await startDroverEvents(redis, name);

  newWorker(redis, name, nodeProcessor);
  const labels = new Map();
  const a = await queue.add('steps', { steps: 3 });
  labels.set(a.id, 'a');
  labels.set(await droverAdd(redis, name, 'steps', { steps: 1 }), 'b');
  const c = await queue.add('fails', { message: 'nope' }, { attempts: 2, backoff: { type: 'fixed', delay: 100 } });
  labels.set(c.id, 'c');
  const d = await queue.add('later', { steps: 1 }, { delay: 200 });
  labels.set(d.id, 'd');

  const finished = (e) => (e.event === 'completed' || (e.event === 'failed' && e.jobId === c.id));
  await waitFor(() => seen.filter(finished).length === 4, { timeout: 15000, what: '4 finished jobs (QueueEvents)' });
  await waitFor(() => cli.jsonLines().filter(finished).length === 4, { timeout: 5000, what: '4 finished jobs (drover events)' });
  await waitFor(() => cli.jsonLines().length >= seen.length, { timeout: 5000, what: 'drover events to catch up' });
  await cli.stop();

  const fromNode = normalize(seen, labels);
  const fromDrover = normalize(cli.jsonLines(), labels);
  // Type checks on the parsed fields.
  for (const e of cli.jsonLines()) {
    if (e.event === 'delayed') assert.equal(typeof e.delay, 'number', 'delayed.delay is a number');
    if (e.event === 'retries-exhausted') assert.equal(typeof e.attemptsMade, 'number', 'attemptsMade is a number');
  }
  assert.ok(fromDrover.some((e) => e.event === 'progress' && e.jobId === 'a' && e.data === 33), 'progress 33 for job a');
  assert.ok(fromDrover.some((e) => e.event === 'completed' && e.jobId === 'b' && e.returnvalue?.steps === 1), 'completed b');
  assert.ok(fromDrover.some((e) => e.event === 'added' && e.jobId === 'b' && e.name === 'steps'), 'added b (drover add)');
  assert.ok(fromDrover.some((e) => e.event === 'retries-exhausted' && e.jobId === 'c' && e.attemptsMade === 2), 'retries-exhausted c');
  assert.ok(fromDrover.some((e) => e.event === 'delayed' && e.jobId === 'd'), 'delayed d');
  assert.deepEqual(fromDrover, fromNode, 'drover events vs Node QueueEvents: same events, same payloads, same order');
});
