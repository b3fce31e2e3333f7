// Scenario 6: after a mixed workload (completed, failed, active, delayed, prioritized,
// waiting; produced by both sides), Node's getJobCounts/getJobs and drover's counts/jobs agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startRedis, queueName, newQueue, newQueueEvents, startDroverWorker, droverAdd, droverCounts,
  droverQueueJSON, requireQueueSubcommand, waitFor, droverJob,
} from './support.mjs';

const redis = await startRedis();
const STATES = ['active', 'completed', 'delayed', 'failed', 'paused', 'prioritized', 'waiting', 'waiting-children'];
const EXPECTED = {
  active: 1, completed: 3, delayed: 3, failed: 2, paused: 0, prioritized: 3, waiting: 4, 'waiting-children': 0,
};

// Builds the mixed workload once; the tests below read it.
let name;
let queue;
let ready;
function workload() {
  ready ??= (async () => {
    name = queueName();
    queue = newQueue(redis, name);
    const qe = await newQueueEvents(redis, name);

    // 3 completed + 2 failed, by a drover `flaky` worker (failures >= attempts fails for good).
    const flaky = await startDroverWorker(redis, name, { processor: 'flaky' });
    const finished = [];
    for (let i = 0; i < 3; i++) finished.push(await queue.add(`ok${i}`, { failures: 0 }));
    finished.push(await queue.add('bad0', { failures: 5 }, { attempts: 1 }));
    finished.push(await queue.add('bad1', { failures: 5 }));
    await Promise.allSettled(finished.map((j) => j.waitUntilFinished(qe, 15000)));
    await flaky.stop();

    // 1 active: a long sleep taken by a drover worker with concurrency 1 (killed at the end).
    await queue.add('long', { ms: 60000 });
    await startDroverWorker(redis, name, { processor: 'sleep', concurrency: 1 });
    await waitFor(async () => (await queue.getActiveCount()) === 1, { what: 'one active job' });

    // delayed, prioritized and waiting jobs from both producers.
    await queue.add('delayed-n1', {}, { delay: 60000 });
    await droverAdd(redis, name, 'delayed-d1', {}, { delay: 90000 });
    await queue.add('delayed-n2', {}, { delay: 30000 });
    await queue.add('prio-n3', {}, { priority: 3 });
    await droverAdd(redis, name, 'prio-d1', {}, { priority: 1 });
    await droverAdd(redis, name, 'prio-d3', {}, { priority: 3 });
    await queue.add('wait-n1', {});
    await droverAdd(redis, name, 'wait-d1', {});
    await queue.add('wait-n2-lifo', {}, { lifo: true });
    await droverAdd(redis, name, 'wait-d2', {});
  })();
  return ready;
}

test('getJobCounts (Node) and drover counts agree on a mixed workload', async () => {
  await workload();
  const nodeCounts = await queue.getJobCounts(...STATES);
  const cli = await droverCounts(redis, name);
  assert.deepEqual(cli, nodeCounts, 'drover counts vs Node getJobCounts');
  assert.deepEqual(nodeCounts, EXPECTED, 'the workload produced the expected counts');
  // Node's default getJobCounts() (no paused) is a subset.
  const defaults = await queue.getJobCounts();
  for (const [k, v] of Object.entries(defaults)) assert.equal(cli[k], v, `default count ${k}`);
  assert.equal(await queue.count(), EXPECTED.waiting + EXPECTED.delayed + EXPECTED.prioritized);
});

test('drover queue counts agrees with Node getJobCounts() (default types)', async () => {
  await requireQueueSubcommand();
  await workload();
  const cli = await droverQueueJSON(redis, name, 'counts');
  assert.deepEqual(cli, await queue.getJobCounts());
});

const ids = (jobs) => jobs.map((j) => (j && typeof j === 'object' ? j.id : j));

test('getJobs (Node) and drover queue jobs list the same ids in the same order', async () => {
  await requireQueueSubcommand();
  await workload();
  const states = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'];
  for (const state of states) {
    const nodeDefault = ids(await queue.getJobs([state]));
    const cliDefault = ids(await droverQueueJSON(redis, name, 'jobs', '--state', state));
    assert.equal(nodeDefault.length, EXPECTED[state], `${state}: Node lists all`);
    assert.deepEqual(cliDefault, nodeDefault, `${state}: default order (drover vs Node)`);

    const nodeAsc = ids(await queue.getJobs([state], 0, -1, true));
    const cliAsc = ids(await droverQueueJSON(redis, name, 'jobs', '--state', state, '--asc'));
    assert.deepEqual(cliAsc, nodeAsc, `${state}: ascending order (drover vs Node)`);

    const nodePage = ids(await queue.getJobs([state], 1, 2));
    const cliPage = ids(await droverQueueJSON(redis, name, 'jobs', '--state', state, '--start', '1', '--end', '2'));
    assert.deepEqual(cliPage, nodePage, `${state}: page 1..2 (drover vs Node)`);
  }
  // The job objects drover prints carry the job fields (spot check against Node).
  const [first] = await droverQueueJSON(redis, name, 'jobs', '--state', 'prioritized', '--start', '0', '--end', '0');
  const nodeJob = await queue.getJob(first.id);
  assert.equal(first.name, nodeJob.name);
  assert.equal(first.priority, nodeJob.priority);
  assert.equal(first.timestamp, nodeJob.timestamp);
  assert.deepEqual(first.data, nodeJob.data);
});

test('job states agree job by job', async () => {
  await workload();
  const all = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed']);
  assert.equal(all.length, 16);
  for (const j of all) {
    const dj = await droverJob(redis, name, j.id);
    assert.equal(dj.state, await queue.getJobState(j.id), `state of job ${j.id} (${j.name})`);
  }
});
