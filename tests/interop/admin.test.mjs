// Scenario 8a: queue administration issued by one side is honoured / read by the other:
// pause/resume, clean, drain, obliterate, retry, promote, remove.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startRedis, queueName, newQueue, newWorker, newQueueEvents, recordQueueEvents, startDroverWorker,
  droverAdd, droverJob, droverCounts, droverQueue, droverQueueJSON, runDrover, requireQueueSubcommand,
  waitFor, waitForState, waitForDroverState, sleep,
} from './support.mjs';

const redis = await startRedis();

// How long "nothing happens" is observed (proving a negative needs a window, not a poll).
const QUIET_MS = 1200;

async function keysOf(name) {
  return (await redis.keys(`bull:${name}:*`)).sort();
}

// ---- pause / resume ---------------------------------------------------------------------

test('pause from Node: a drover worker takes nothing until drover queue resume', async () => {
  await requireQueueSubcommand();
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['paused', 'resumed', 'active', 'completed']);
  await startDroverWorker(redis, name, { processor: 'echo' });
  // The worker is alive: a first job is processed.
  const warm = await queue.add('warm', { n: 0 });
  await warm.waitUntilFinished(qe, 15000);

  await queue.pause();
  assert.equal((await droverQueue(redis, name, 'is-paused')).trim(), 'true', 'drover sees the Node pause');
  const job = await queue.add('held', { n: 1 });
  const viaCli = await droverAdd(redis, name, 'held-cli', { n: 2 });
  await sleep(QUIET_MS);
  assert.equal(await queue.getJobState(job.id), 'waiting', 'Node-added job not taken while paused');
  assert.equal(await queue.getJobState(viaCli), 'waiting', 'drover-added job not taken while paused');
  assert.equal(seen.filter((e) => e.event === 'active').length, 1, 'no activation while paused');

  await droverQueue(redis, name, 'resume');
  assert.equal(await queue.isPaused(), false, 'Node sees the drover resume');
  assert.deepEqual(await job.waitUntilFinished(qe, 15000), { n: 1 });
  await waitForState(queue, viaCli, 'completed');
  await waitFor(() => seen.some((e) => e.event === 'resumed'), { timeout: 5000, what: 'resumed event' });
  assert.ok(seen.some((e) => e.event === 'paused'), 'paused event');
});

test('pause from drover: a Node worker takes nothing until Node resume', async () => {
  await requireQueueSubcommand();
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['paused', 'resumed']);
  const processed = [];
  const worker = newWorker(redis, name, async (job) => {
    processed.push(job.name);
    return job.data;
  });
  await worker.waitUntilReady();

  await droverQueue(redis, name, 'pause');
  assert.equal(await queue.isPaused(), true, 'Node sees the drover pause');
  assert.equal((await droverQueue(redis, name, 'is-paused')).trim(), 'true');
  const job = await queue.add('held', { n: 1 });
  const viaCli = await droverAdd(redis, name, 'held-cli', { n: 2 });
  await sleep(QUIET_MS);
  assert.deepEqual(processed, [], 'Node worker took nothing while paused');
  assert.equal((await droverJob(redis, name, viaCli)).state, 'waiting');
  assert.equal((await droverCounts(redis, name)).waiting, 2, 'both jobs wait (6.7.0 keeps them in wait)');

  await queue.resume();
  assert.equal((await droverQueue(redis, name, 'is-paused')).trim(), 'false', 'drover sees the Node resume');
  await job.waitUntilFinished(qe, 15000);
  await waitForDroverState(redis, name, viaCli, 'completed');
  assert.deepEqual(processed.sort(), ['held', 'held-cli']);
  await waitFor(() => seen.some((e) => e.event === 'paused') && seen.some((e) => e.event === 'resumed'), {
    timeout: 5000, what: 'paused and resumed events from drover',
  });
});

// ---- clean ------------------------------------------------------------------------------

test('drover queue clean removes what Node then no longer finds (completed, wait, delayed, limit, grace)', async () => {
  await requireQueueSubcommand();
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['cleaned']);
  const worker = await startDroverWorker(redis, name, { processor: 'noop' });
  const done = [];
  for (let i = 0; i < 3; i++) done.push(await queue.add(`c${i}`, {}));
  await Promise.all(done.map((j) => j.waitUntilFinished(qe, 15000)));
  await worker.stop();
  const completedIds = done.map((j) => j.id).sort();

  // Grace: nothing finished in the last minute is cleaned.
  assert.deepEqual(await droverQueueJSON(redis, name, 'clean', '--state', 'completed', '--grace', '60000'), []);
  await sleep(20);
  const first = await droverQueueJSON(redis, name, 'clean', '--state', 'completed', '--grace', '0', '--limit', '2');
  assert.equal(first.length, 2, `limit 2 removed two: ${JSON.stringify(first)}`);
  const rest = await droverQueueJSON(redis, name, 'clean', '--state', 'completed', '--grace', '0');
  assert.deepEqual([...first, ...rest].sort(), completedIds, 'all completed ids cleaned exactly once');
  assert.equal(await queue.getCompletedCount(), 0);
  for (const id of completedIds) assert.equal(await queue.getJob(id), undefined, `job ${id} gone for Node`);
  await waitFor(() => seen.length >= 2, { timeout: 5000, what: 'cleaned events' });
  assert.deepEqual(seen.map((e) => Number(e.count)).filter((n) => n > 0), [2, 1], 'cleaned event counts');

  // Waiting and delayed jobs (added by Node, no worker running).
  const w1 = await queue.add('w1', {});
  const w2 = await queue.add('w2', {});
  const d1 = await queue.add('d1', {}, { delay: 60000 });
  await sleep(20);
  assert.deepEqual((await droverQueueJSON(redis, name, 'clean', '--state', 'wait', '--grace', '0')).sort(), [w1.id, w2.id].sort());
  assert.deepEqual(await droverQueueJSON(redis, name, 'clean', '--state', 'delayed', '--grace', '0'), [d1.id]);
  const counts = await queue.getJobCounts();
  assert.equal(counts.waiting, 0);
  assert.equal(counts.delayed, 0);
  const left = await keysOf(name);
  for (const id of [...completedIds, w1.id, w2.id, d1.id]) {
    assert.ok(!left.some((k) => k === `bull:${name}:${id}` || k.startsWith(`bull:${name}:${id}:`)), `no key of job ${id} left`);
  }
});

test('Node clean of failed jobs (drover-added, Node-failed) -> drover no longer finds them', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  newWorker(redis, name, async () => {
    throw new Error('bad');
  });
  const a = await droverAdd(redis, name, 'fa', {});
  const b = await droverAdd(redis, name, 'fb', {});
  await waitForDroverState(redis, name, a, 'failed');
  await waitForDroverState(redis, name, b, 'failed');
  await sleep(20);
  const cleaned = await queue.clean(0, 100, 'failed');
  assert.deepEqual([...cleaned].sort(), [a, b].sort());
  assert.equal((await droverCounts(redis, name)).failed, 0);
  assert.equal(await droverJob(redis, name, a), null, 'drover job exits 3 for a cleaned job');
  assert.equal(await droverJob(redis, name, b), null);
});

// ---- drain ------------------------------------------------------------------------------

test('drover queue drain [--delayed] empties what Node added', async () => {
  await requireQueueSubcommand();
  const name = queueName();
  const queue = newQueue(redis, name);
  const wait = [await queue.add('w1', {}), await queue.add('w2', {})];
  const prio = [await queue.add('p1', {}, { priority: 1 }), await queue.add('p2', {}, { priority: 2 })];
  const delayed = [await queue.add('d1', {}, { delay: 60000 }), await queue.add('d2', {}, { delay: 60000 })];

  await droverQueue(redis, name, 'drain');
  let counts = await queue.getJobCounts();
  assert.equal(counts.waiting, 0, 'waiting drained');
  assert.equal(counts.prioritized, 0, 'prioritized drained');
  assert.equal(counts.delayed, 2, 'delayed kept without --delayed');
  for (const j of [...wait, ...prio]) assert.equal(await queue.getJob(j.id), undefined, `job ${j.name} deleted`);
  for (const j of delayed) assert.equal(await queue.getJobState(j.id), 'delayed');

  await droverQueue(redis, name, 'drain', '--delayed');
  counts = await queue.getJobCounts();
  assert.equal(counts.delayed, 0, 'delayed drained with --delayed');
  for (const j of delayed) assert.equal(await queue.getJob(j.id), undefined, `job ${j.name} deleted`);
});

test('Node drain(true) empties what drover added', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const ids = [
    await droverAdd(redis, name, 'w', {}),
    await droverAdd(redis, name, 'p', {}, { priority: 3 }),
    await droverAdd(redis, name, 'd', {}, { delay: 60000 }),
  ];
  assert.deepEqual(
    (({ waiting, prioritized, delayed }) => ({ waiting, prioritized, delayed }))(await droverCounts(redis, name)),
    { waiting: 1, prioritized: 1, delayed: 1 },
  );
  await queue.drain(true);
  const counts = await droverCounts(redis, name);
  assert.equal(counts.waiting + counts.prioritized + counts.delayed, 0, JSON.stringify(counts));
  for (const id of ids) assert.equal(await droverJob(redis, name, id), null, `job ${id} gone`);
});

// ---- obliterate -------------------------------------------------------------------------

// Builds a queue with completed, active (a drover `sleep` worker), waiting and delayed jobs
// and a log; returns the worker so the caller can kill it.
async function obliterateFixture() {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const worker = await startDroverWorker(redis, name, { processor: 'sleep' });
  const quick = await queue.add('quick', { ms: 1 });
  await quick.waitUntilFinished(qe, 15000);
  const long = await queue.add('long', { ms: 60000 });
  await waitForState(queue, long.id, 'active');
  await queue.add('waiting', {});
  await queue.add('later', {}, { delay: 60000 });
  await queue.addJobLog(long.id, 'a log line');
  return { name, queue, worker, long };
}

async function assertObliterated(name, queue) {
  assert.deepEqual(await keysOf(name), [], 'no key of the queue is left');
  const counts = await queue.getJobCounts();
  assert.ok(Object.values(counts).every((v) => v === 0), JSON.stringify(counts));
}

test('drover queue obliterate on a paused queue (no active job) removes every key', async () => {
  await requireQueueSubcommand();
  const { name, queue, worker, long } = await obliterateFixture();
  await worker.kill();
  await queue.pause();
  // The killed worker's job is still in `active` (locked until its lock expires): --force.
  await droverQueue(redis, name, 'obliterate', '--force');
  await assertObliterated(name, queue);
  assert.equal(await queue.getJob(long.id), undefined);
});

test('drover queue obliterate of a running (not paused) queue: like Queue.obliterate, it pauses first', async () => {
  await requireQueueSubcommand();
  const { name, queue, worker } = await obliterateFixture();
  // BullMQ's Queue.obliterate() = pause() + the obliterate script; without --force it refuses
  // because of the active job, and leaves the queue paused. The command resumes it: a refusal
  // changes nothing (an operator's refused obliterate had stopped every job of the queue).
  const refused = await runDrover(['queue', 'obliterate', '--queue', name, '--redis', redis.url]);
  assert.notEqual(refused.code, 0, 'obliterate without --force refuses while a job is active');
  assert.match(refused.stderr, /active jobs/, 'refused because of the active job (BullMQ: "Cannot obliterate queue with active jobs")');
  assert.match(refused.stderr, /--force/);
  assert.ok((await keysOf(name)).length > 5, 'nothing removed by the refused call');
  assert.equal(await queue.isPaused(), false, 'the queue runs on after the refusal');
  await queue.pause();
  const refusedPaused = await runDrover(['queue', 'obliterate', '--queue', name, '--redis', redis.url]);
  assert.notEqual(refusedPaused.code, 0);
  assert.equal(await queue.isPaused(), true, 'a queue paused before stays paused');

  await worker.kill();
  await queue.resume();
  await droverQueue(redis, name, 'obliterate', '--force');
  await assertObliterated(name, queue);
});

test('Node obliterate of a drover-produced queue -> drover counts all zero', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  await startDroverWorker(redis, name, { processor: 'noop' }).then(async (w) => {
    const id = await droverAdd(redis, name, 'x', {});
    await waitForDroverState(redis, name, id, 'completed');
    await w.stop();
  });
  await droverAdd(redis, name, 'w', {});
  await droverAdd(redis, name, 'd', {}, { delay: 60000 });
  await droverAdd(redis, name, 'p', {}, { priority: 2 });
  await queue.obliterate();
  const counts = await droverCounts(redis, name);
  assert.ok(Object.values(counts).every((v) => v === 0), JSON.stringify(counts));
  assert.deepEqual(await keysOf(name), []);
});

// ---- retry / promote / remove -----------------------------------------------------------

test('drover queue retry (one, then all failed; and completed) -> Node sees them waiting and reprocesses', async () => {
  await requireQueueSubcommand();
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['waiting']);
  const failer = await startDroverWorker(redis, name, { processor: 'fail' });
  const jobs = [await queue.add('r1', { message: 'first' }), await queue.add('r2', { message: 'second' })];
  for (const j of jobs) await assert.rejects(j.waitUntilFinished(qe, 15000));
  await failer.stop();

  await droverQueue(redis, name, 'retry', '--id', jobs[0].id);
  assert.equal(await queue.getJobState(jobs[0].id), 'waiting', 'retried job waits');
  assert.equal(await queue.getJobState(jobs[1].id), 'failed', 'the other stays failed');
  const r = await queue.getJob(jobs[0].id);
  assert.equal(r.finishedOn, undefined, 'finishedOn cleared');
  assert.equal(r.processedOn, undefined, 'processedOn cleared');
  assert.equal(r.failedReason, undefined, 'failedReason cleared');

  await droverQueue(redis, name, 'retry');
  assert.equal(await queue.getJobState(jobs[1].id), 'waiting', 'retry without --id retries all failed');
  await waitFor(() => seen.filter((e) => e.prev === 'failed').length === 2, { timeout: 5000, what: 'waiting prev=failed events' });

  const processed = [];
  newWorker(redis, name, async (job) => {
    processed.push(job.id);
    return `ok ${job.attemptsMade}`;
  });
  for (const j of jobs) await waitForState(queue, j.id, 'completed');
  assert.deepEqual(processed.sort(), jobs.map((j) => j.id).sort());
  assert.equal((await queue.getJob(jobs[0].id)).attemptsMade, 2, 'attemptsMade kept across the retry, +1');

  await droverQueue(redis, name, 'retry', '--state', 'completed');
  for (const j of jobs) await waitFor(async () => (await queue.getJob(j.id)).attemptsMade === 3, { what: `job ${j.id} reprocessed after retry of completed` });
});

test('drover queue promote (one, then all) moves Node-added delayed jobs to wait', async () => {
  await requireQueueSubcommand();
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['waiting']);
  const jobs = [
    await queue.add('d1', {}, { delay: 60000 }),
    await queue.add('d2', {}, { delay: 60000 }),
    await queue.add('d3', {}, { delay: 60000, priority: 4 }),
  ];
  await droverQueue(redis, name, 'promote', '--id', jobs[0].id);
  assert.equal(await queue.getJobState(jobs[0].id), 'waiting');
  assert.equal((await queue.getJob(jobs[0].id)).delay, 0, 'delay reset to 0');
  assert.equal(await queue.getJobState(jobs[1].id), 'delayed');
  await droverQueue(redis, name, 'promote');
  assert.equal(await queue.getDelayedCount(), 0);
  for (const j of jobs) assert.notEqual(await queue.getJobState(j.id), 'delayed', `${j.name} promoted`);
  await waitFor(() => seen.filter((e) => e.prev === 'delayed').length === 3, { timeout: 5000, what: 'waiting prev=delayed events' });

  const order = [];
  newWorker(redis, name, async (job) => order.push(job.name));
  await waitFor(() => order.length === 3, { what: 'promoted jobs processed' });
});

test('drover queue remove: removes a waiting job (Node no longer finds it), refuses a locked one', async () => {
  await requireQueueSubcommand();
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['removed']);
  const job = await queue.add('victim', { a: 1 });
  await queue.addJobLog(job.id, 'log line');
  assert.equal((await droverQueue(redis, name, 'remove', '--id', job.id)).trim(), 'true');
  assert.equal(await queue.getJob(job.id), undefined);
  assert.equal((await queue.getJobLogs(job.id)).count, 0, 'logs removed too');
  await waitFor(() => seen.length === 1, { timeout: 5000, what: 'removed event' });
  assert.equal(seen[0].jobId, job.id);
  assert.equal(seen[0].prev, 'wait');

  await startDroverWorker(redis, name, { processor: 'sleep' });
  const busy = await queue.add('busy', { ms: 60000 });
  await waitForState(queue, busy.id, 'active');
  const r = await runDrover(['queue', 'remove', '--queue', name, '--redis', redis.url, '--id', busy.id]);
  assert.equal(r.stdout.trim(), 'false', 'a locked (active) job is not removed');
  assert.equal(await queue.getJobState(busy.id), 'active');
  // Node agrees: Queue.remove of a locked job returns 0.
  assert.equal(await queue.remove(busy.id), 0);
});
