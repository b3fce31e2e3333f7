// Job control across sides (issue 16): manual fetching by drover (getNextJob, moveToCompleted,
// moveToFailed, extendLock) as Node reads it, waitUntilFinished on Node-processed jobs, and
// removeOrphanedJobs on orphans of Node-added jobs, compared with Node's own removal. The
// C++ side is the small program tests/interop/job_control_tool.cpp (drover_job_control).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  startRedis, queueName, newQueue, newWorker, newQueueEvents, recordQueueEvents, waitFor, DROVER_BIN, sleep,
} from './support.mjs';

const TOOL = process.env.DROVER_JOB_CONTROL_BIN ||
  path.resolve(path.dirname(DROVER_BIN), '..', '..', 'tests', 'interop', 'drover_job_control');

const redis = await startRedis();

// Runs one action of the C++ program and returns its JSON answer.
function tool(queue, action, a, b) {
  if (!existsSync(TOOL)) throw new Error(`drover_job_control not found at ${TOOL} (set DROVER_JOB_CONTROL_BIN)`);
  return new Promise((resolve, reject) => {
    execFile(TOOL, [redis.url, queue, action, String(a), String(b)], { timeout: 20000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`drover_job_control ${action}: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`drover_job_control ${action}: not JSON: ${stdout}`));
      }
    });
  });
}

test('a job drover fetches by hand and completes is completed for Node, with its value and events', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const seen = recordQueueEvents(qe, ['active', 'completed']);
  const job = await queue.add('manual', { a: 1, b: 2 });
  const answer = await tool(name, 'take-complete', 'token-1', JSON.stringify({ sum: 3 }));
  assert.equal(answer.id, job.id);
  const done = await queue.getJob(job.id);
  assert.equal(await done.getState(), 'completed');
  assert.deepEqual(done.returnvalue, { sum: 3 });
  assert.equal(done.attemptsMade, 1);
  assert.equal(done.processedBy, 'drover-manual');
  assert.ok(done.finishedOn >= done.processedOn);
  assert.equal(await (await redis.raw()).exists(`bull:${name}:${job.id}:lock`), 0);
  await waitFor(() => seen.some((e) => e.event === 'completed'), { what: 'the completed event' });
  const completed = seen.find((e) => e.event === 'completed');
  assert.deepEqual(completed.returnvalue, { sum: 3 });
  assert.ok(seen.some((e) => e.event === 'active' && e.jobId === job.id));
});

test('a failure drover records by hand is retried, then failed, as Node sees it', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const job = await queue.add('flaky', {}, { attempts: 2 });
  await tool(name, 'take-fail', 't', 'first failure');
  let j = await queue.getJob(job.id);
  assert.equal(await j.getState(), 'waiting');
  assert.equal(j.attemptsMade, 1);
  assert.equal(j.failedReason, 'first failure');
  assert.equal(j.stacktrace.length, 1);
  await tool(name, 'take-fail', 't', 'second failure');
  j = await queue.getJob(job.id);
  assert.equal(await j.getState(), 'failed');
  assert.equal(j.attemptsMade, 2);
  assert.equal(j.failedReason, 'second failure');
  assert.equal(j.stacktrace.length, 2);
});

test("drover's extendLock holds the lock with its token, and Node finishes the job with that token", async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const job = await queue.add('held', { n: 1 });
  const answer = await tool(name, 'take-extend', 'shared-token', 60000);
  assert.equal(answer.id, job.id);
  const raw = await redis.raw();
  assert.equal(await raw.get(`bull:${name}:${job.id}:lock`), 'shared-token');
  assert.ok((await raw.pttl(`bull:${name}:${job.id}:lock`)) > 50000);
  const held = await queue.getJob(job.id);
  assert.equal(await held.getState(), 'active');
  // Node's manual API with the same token: the lock is the one drover took.
  await assert.rejects(held.moveToCompleted('x', 'another-token', false), /lock/i);
  await held.moveToCompleted('from node', 'shared-token', false);
  assert.equal(await (await queue.getJob(job.id)).getState(), 'completed');
});

test('drover waits until a Node worker finishes a job: value, failure, already finished, timeout', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  newWorker(redis, name, async (job) => {
    await sleep(400);
    if (job.data.fail) throw new Error(job.data.fail);
    return { doubled: job.data.n * 2 };
  });
  const ok = await queue.add('ok', { n: 2 });
  const bad = await queue.add('bad', { fail: 'card declined' });
  const [okWait, badWait] = await Promise.all([
    tool(name, 'wait', ok.id, 10000),
    tool(name, 'wait', bad.id, 10000),
  ]);
  assert.deepEqual(okWait, { returnvalue: { doubled: 4 } });
  assert.deepEqual(badWait, { failed: 'card declined' });
  // Finished before the call: answered from the job's state.
  assert.deepEqual(await tool(name, 'wait', ok.id, 1000), { returnvalue: { doubled: 4 } });
  assert.deepEqual(await tool(name, 'wait', bad.id, 1000), { failed: 'card declined' });
  assert.deepEqual(await tool(name, 'wait', 'no-such-job', 1000), { error: 'job not found' });
  const other = queueName();
  const idle = await newQueue(redis, other).add('idle', {});
  assert.deepEqual(await tool(other, 'wait', idle.id, 300), { error: 'timed out' });
});

test("Node's waitUntilFinished and drover's agree on a job a drover manual fetch completes", async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const job = await queue.add('both', {});
  const nodeWait = job.waitUntilFinished(qe, 10000);
  const droverWait = tool(name, 'wait', job.id, 10000);
  await sleep(300);
  await tool(name, 'take-complete', 'tok', JSON.stringify([1, 2, 3]));
  assert.deepEqual(await nodeWait, [1, 2, 3]);
  assert.deepEqual(await droverWait, { returnvalue: [1, 2, 3] });
});

// Jobs added by Node, some of which lose their state entry (as BullMQ 5.66.6's removal by
// age left them), with logs and a scheduler and a deduplication key beside them.
async function withOrphans(name) {
  // Node's removeOrphanedJobs SCANs through the queue's client, which must then be the node
  // holding the queue: through an ioredis Cluster, SCAN goes to any master.
  const queue = newQueue(redis, name, { connection: await redis.nodeConnection(`bull:${name}:wait`) });
  const raw = await redis.raw();
  const jobs = await queue.addBulk(Array.from({ length: 12 }, (_, i) => ({ name: `j${i}`, data: { i } })));
  for (const j of jobs) await j.log(`line of ${j.id}`);
  await queue.add('dedup', {}, { deduplication: { id: 'd1' } });
  await queue.upsertJobScheduler('every-hour', { every: 3600000 });
  const orphans = jobs.slice(0, 7).map((j) => j.id);
  for (const id of orphans) await raw.lrem(`bull:${name}:wait`, 0, id);
  return { queue, orphans, kept: jobs.slice(7).map((j) => j.id) };
}

async function keysOf(name) {
  const keys = await redis.keys(`bull:${name}:*`);
  // The scheduler's next job is named after its own time, which differs by queue.
  return keys.map((k) => k.slice(`bull:${name}:`.length).replace(/^(repeat:[^:]+:)\d+$/, '$1<next>')).sort();
}

test('orphans of Node-added jobs: drover removes what Node removes, and nothing else', async () => {
  const viaDrover = queueName();
  const viaNode = queueName();
  const d = await withOrphans(viaDrover);
  const n = await withOrphans(viaNode);
  const answer = await tool(viaDrover, 'remove-orphans', 5, 0);
  assert.deepEqual(answer, { removed: 7 });
  assert.equal(await n.queue.removeOrphanedJobs(5, 0), 7);
  for (const id of d.orphans) assert.equal(await d.queue.getJob(id), undefined);
  for (const id of d.kept) assert.equal(await (await d.queue.getJob(id)).getState(), 'waiting');
  // The same keys are left on both sides (ids are the same: each queue counts from 1).
  assert.deepEqual(await keysOf(viaDrover), await keysOf(viaNode));
  assert.equal(await d.queue.removeOrphanedJobs(), 0);
  assert.deepEqual(await tool(viaDrover, 'remove-orphans', 1000, 0), { removed: 0 });
});
