// Cancellation, timeouts and dead letters across drover and Node bullmq 6.7.0.
//
// BullMQ has no cross-process cancellation (Worker.cancelJob only aborts a job in the
// same process) and no job timeouts, so these check that drover's features work on
// Node-produced jobs, that Node can read what they leave behind, and that Node
// workers on the same queue are not disturbed by them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startRedis, queueName, newQueue, newWorker, newQueueEvents, recordQueueEvents, startDroverWorker,
  runDrover, waitFor, waitForState, sleep,
} from './support.mjs';

const redis = await startRedis();

/** `drover queue cancel`; resolves { code, outcome }. */
async function droverCancel(name, id, reason = 'interop') {
  const r = await runDrover(['queue', 'cancel', '--queue', name, '--redis', redis.url, '--id', String(id),
    '--reason', reason, '--json']);
  assert.ok(r.code === 0 || r.code === 1 || r.code === 3, `drover queue cancel exited ${r.code}: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  assert.equal(out.jobId, String(id));
  return { code: r.code, outcome: out.outcome };
}

async function droverDlq(action, name, ...extra) {
  const r = await runDrover(['dlq', action, '--queue', name, '--redis', redis.url, ...extra]);
  return { code: r.code, json: r.stdout.trim() ? JSON.parse(r.stdout) : null, stderr: r.stderr };
}

test('Node-produced waiting, delayed and prioritized jobs are removed by drover queue cancel', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const waiting = await queue.add('w', { n: 1 });
  const delayed = await queue.add('d', { n: 2 }, { delay: 60000 });
  const prioritized = await queue.add('p', { n: 3 }, { priority: 4 });
  assert.equal(await queue.getJobState(prioritized.id), 'prioritized');
  for (const job of [waiting, delayed, prioritized]) {
    assert.deepEqual(await droverCancel(name, job.id), { code: 0, outcome: 'removed' });
    assert.equal(await queue.getJob(job.id), undefined, `job ${job.name} is gone for Node`);
  }
  const counts = await queue.getJobCounts();
  assert.ok(Object.values(counts).every((n) => n === 0), JSON.stringify(counts));
  assert.deepEqual(await droverCancel(name, 'nope'), { code: 3, outcome: 'not_found' });
});

test('a Node-produced job running in a drover worker fails "cancelled" within a second, not retried', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['failed']);
  await startDroverWorker(redis, name, { processor: 'sleep' });
  const job = await queue.add('long', { ms: 30000 }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
  await waitForState(queue, job.id, 'active');

  const { outcome } = await droverCancel(name, job.id, 'user pressed stop');
  const asked = Date.now();
  assert.equal(outcome, 'signalled');
  await waitForState(queue, job.id, 'failed', 3000);
  assert.ok(Date.now() - asked < 1000, `cancelled after ${Date.now() - asked} ms`);

  const failed = await queue.getJob(job.id);
  assert.equal(failed.failedReason, 'cancelled');
  assert.equal(failed.attemptsMade, 1);
  assert.equal(failed.stacktrace.length, 1);
  assert.match(failed.stacktrace[0], /cancelled: user pressed stop/);
  await waitFor(() => seen.some((e) => e.jobId === job.id && e.failedReason === 'cancelled'),
    { timeout: 5000, what: 'a failed event with reason cancelled' });
  // Finished: not a missing job (3) but one not in a state to cancel (1), as the API's 409.
  assert.deepEqual(await droverCancel(name, job.id), { code: 1, outcome: 'already_finished' });

  // Node can retry the cancelled job, and drover then runs it to the end.
  await failed.updateData({ ms: 10 });
  await failed.retry();
  await waitForState(queue, job.id, 'completed');
});

test('a job a Node worker holds is not interrupted; a drover worker on the same queue carries on', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  let release;
  const released = new Promise((r) => (release = r));
  const nodeHeld = [];
  // The Node worker takes only "node" jobs (it is started first and the drover worker
  // joins once it holds one).
  const nodeWorker = newWorker(redis, name, async (job) => {
    nodeHeld.push(job.id);
    await released;
    return 'node finished';
  });
  const held = await queue.add('node', { ms: 1 });
  await waitFor(() => nodeHeld.includes(held.id), { what: 'the Node worker to take the job' });
  await startDroverWorker(redis, name, { processor: 'sleep', concurrency: 2 });

  // Node has no cross-process cancellation: the request is recorded, nothing stops the job.
  assert.equal((await droverCancel(name, held.id)).outcome, 'signalled');
  const others = await Promise.all([1, 2, 3].map((n) => queue.add('drover', { ms: 50, n })));
  for (const j of others) await waitForState(queue, j.id, 'completed');
  assert.equal(await queue.getJobState(held.id), 'active', 'the Node job is still running');

  release();
  await waitForState(queue, held.id, 'completed');
  const done = await queue.getJob(held.id);
  assert.equal(done.returnvalue, 'node finished');
  // The request stays in the hash, ignored by Node (drover clears it only on jobs it cancels).
  const raw = await redis.raw();
  const request = JSON.parse(await raw.hget(`bull:${name}:${held.id}`, 'drover:cancel'));
  assert.equal(request.atm, 0, 'the request names the attempt it was made during');
  // It lapsed with that attempt: retried by hand, the job runs (here on the drover worker,
  // the Node one being closed) and completes, as it would in a Node-only fleet.
  await nodeWorker.close();
  await done.retry('completed');
  await waitForState(queue, held.id, 'completed');
  assert.notEqual((await queue.getJob(held.id)).returnvalue, 'node finished', 'run again, by the drover worker');
  assert.equal(await raw.hexists(`bull:${name}:${held.id}`, 'drover:cancel'), 0, 'the lapsed request is dropped');
});

test('drover\'s default timeout applies to Node-produced jobs; a Node-set timeout option wins', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  await startDroverWorker(redis, name, { processor: 'sleep', defaultTimeout: 300 });
  const bounded = await queue.add('bounded', { ms: 5000 }, { attempts: 2 });
  // BullMQ 6.7 has no timeout option, but it stores unknown options as given.
  const own = await queue.add('own', { ms: 5000 }, { timeout: 150 });
  const quick = await queue.add('quick', { ms: 20 });
  await waitForState(queue, bounded.id, 'failed', 10000);
  await waitForState(queue, own.id, 'failed', 10000);
  await waitForState(queue, quick.id, 'completed');
  const b = await queue.getJob(bounded.id);
  assert.equal(b.failedReason, 'job timed out after 300 ms');
  assert.equal(b.attemptsMade, 2, 'a timeout is an ordinary failure: retried');
  assert.equal((await queue.getJob(own.id)).failedReason, 'job timed out after 150 ms');
});

test('dead letters from a drover worker are readable by Node and requeued by drover dlq', async () => {
  const name = queueName();
  const dlqName = `${name}-dlq`;
  const queue = newQueue(redis, name);
  const dlq = newQueue(redis, dlqName);
  await startDroverWorker(redis, name, { processor: 'fail', deadLetterQueue: dlqName, name: 'interop-w' });
  const job = await queue.add('mail', { message: 'smtp down', to: 'ada' }, { attempts: 2, backoff: { type: 'fixed', delay: 10 } });
  const cancelled = await queue.add('mail', { message: 'never mind' }, { delay: 60000 });
  await waitForState(queue, job.id, 'failed');
  await waitFor(async () => (await dlq.getWaitingCount()) === 1, { what: 'one dead letter' });

  const [entry] = await dlq.getWaiting();
  const viaGetJob = await dlq.getJob(entry.id);
  assert.equal(viaGetJob.name, 'mail');
  assert.deepEqual(viaGetJob.data.data, { message: 'smtp down', to: 'ada' });
  const origin = viaGetJob.data.deadLetter;
  assert.equal(origin.queue, name);
  assert.equal(origin.jobId, job.id);
  assert.equal(origin.failedReason, 'smtp down');
  assert.equal(origin.attemptsMade, 2);
  assert.equal(origin.stacktrace.length, 2);
  assert.equal(origin.worker, 'interop-w');
  assert.equal(origin.opts.attempts, 2);
  assert.deepEqual(origin.opts.backoff, { type: 'fixed', delay: 10 });
  assert.equal(origin.timestamp, job.timestamp);
  assert.ok(entry.id.startsWith(`${name}-${job.id}-`), entry.id);

  // Cancelled jobs never become dead letters.
  assert.equal((await droverCancel(name, cancelled.id)).outcome, 'removed');

  const listed = await droverDlq('list', name);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(listed.json.map((j) => j.id), [entry.id]);
  const shown = await droverDlq('show', name, '--id', entry.id);
  assert.equal(shown.json.data.deadLetter.jobId, job.id);
  assert.equal((await droverDlq('show', name, '--id', 'missing')).code, 3);

  const requeued = await droverDlq('requeue-all', name);
  assert.equal(requeued.code, 0, requeued.stderr);
  assert.equal(requeued.json.length, 1);
  const again = await queue.getJob(requeued.json[0]);
  assert.equal(again.name, 'mail');
  assert.deepEqual(again.data, { message: 'smtp down', to: 'ada' });
  assert.equal(again.opts.attempts, 2);
  assert.equal(await dlq.getJob(entry.id), undefined, 'the entry is gone');
  // It fails again (the processor always fails) and comes back as a new dead letter.
  await waitForState(queue, again.id, 'failed');
  await waitFor(async () => (await dlq.getWaiting()).some((e) => e.data.deadLetter.jobId === again.id),
    { what: 'the second dead letter' });
  assert.equal(await dlq.getWaitingCount(), 1);
});
