// Redis Cluster (issue 14): Node's BullMQ over ioredis's Cluster and drover over
// redis+cluster:// share queues whose keys carry a hash tag (`{interop-…}` in the name, or a
// `{bull}` prefix); jobs go both ways, before and after a master fails over; and drover refuses
// a queue whose keys would spread over slots, saying to use a hash tag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  newQueue, newWorker, newQueueEvents, startDroverWorker, spawnDrover, drover, droverAdd,
  droverJob, waitForDroverState, waitForState, waitFor, withTimeout, DROVER_BIN,
} from './support.mjs';
import { startRedisCluster, taggedQueueName } from './redis_cluster.mjs';

const cluster = await startRedisCluster();

// drover is always given a first seed that does not own the queue's slot (viaOtherSeed): the
// tests pass only when it follows the slot map, not by connecting where the keys happen to be.
const waitKey = (name, prefix = 'bull') => `${prefix}:${name}:wait`;
// A name without a hash tag (support.mjs's queueName() tags its names under INTEROP_REDIS=cluster).
const untaggedQueueName = () => taggedQueueName().replace(/[{}]/g, '');

// BullMQ objects over a Cluster client of their own (a Worker duplicates it for blocking).
const nodeQueue = (name, opts = {}) => newQueue(cluster, name, { connection: cluster.client(), ...opts });
const nodeWorker = (name, fn, opts = {}) => newWorker(cluster, name, fn, { connection: cluster.client(), ...opts });
const nodeEvents = (name, opts = {}) => newQueueEvents(cluster, name, { connection: cluster.client(), ...opts });

// `promise`, or its failure with the drover worker's stderr added: why drover did not get there.
async function explained(worker, promise) {
  try {
    return await promise;
  } catch (err) {
    err.message += `\n${worker.describe()}`;
    throw err;
  }
}

// The masters holding keys of `prefix:name:*` (SCAN on each: a cluster-wide KEYS does not exist).
async function mastersHolding(pattern) {
  const holders = [];
  for (const port of await cluster.masterPorts()) {
    const keys = await cluster.nodeCli(port, '--scan', '--pattern', pattern);
    if (keys.trim()) holders.push(port);
  }
  return holders;
}

test('the cluster runs Node BullMQ alone (the baseline for the tests below)', async () => {
  const name = taggedQueueName();
  const queue = nodeQueue(name);
  const qe = await nodeEvents(name);
  nodeWorker(name, async (job) => ({ doubled: job.data.n * 2 }));
  const job = await queue.add('double', { n: 21 });
  assert.deepEqual(await job.waitUntilFinished(qe, 15000), { doubled: 42 });
  assert.deepEqual(await mastersHolding(`bull:${name}:*`), [await cluster.masterPortForKey(waitKey(name))],
    'every key of the queue is on the master of its hash tag');
});

test('Node Queue.add (ioredis Cluster) -> drover worker on redis+cluster://', async () => {
  const name = taggedQueueName();
  const queue = nodeQueue(name);
  const qe = await nodeEvents(name);
  const via = await cluster.viaOtherSeed(waitKey(name));
  const worker = await startDroverWorker(via, name, { processor: 'echo', name: 'cpp-cluster', concurrency: 4 });

  const jobs = await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'echo', data: { i } })));
  const results = await explained(worker, Promise.all(jobs.map((j) => j.waitUntilFinished(qe, 20000))));
  assert.deepEqual(results, jobs.map((_, i) => ({ i })), 'each job returns its own data');
  for (const job of jobs) {
    const loaded = await queue.getJob(job.id);
    assert.equal(await loaded.getState(), 'completed');
    assert.equal(loaded.processedBy, 'cpp-cluster');
    assert.equal(loaded.attemptsMade, 1);
  }
  const dj = await droverJob(via, name, jobs[0].id);
  assert.equal(dj.state, 'completed', 'drover reads the job back through the cluster');
  assert.deepEqual(dj.returnvalue, { i: 0 });
  assert.ok(worker.running, `drover worker still running\n${worker.describe()}`);
});

test('drover add on redis+cluster:// -> Node Worker (ioredis Cluster)', async () => {
  const name = taggedQueueName();
  nodeQueue(name);
  const seen = [];
  nodeWorker(name, async (job) => {
    seen.push(job.data);
    return { by: 'node', n: job.data.n };
  });
  const via = await cluster.viaOtherSeed(waitKey(name));
  const ids = [];
  for (let n = 0; n < 5; n++) ids.push(await droverAdd(via, name, 'from-drover', { n }, { attempts: 2 }));
  for (const [n, id] of ids.entries()) {
    const dj = await waitForDroverState(via, name, id, 'completed', 20000);
    assert.deepEqual(dj.returnvalue, { by: 'node', n });
    assert.equal(dj.opts.attempts, 2);
  }
  assert.deepEqual(seen.map((d) => d.n).sort(), [0, 1, 2, 3, 4]);
  assert.deepEqual(await mastersHolding(`bull:${name}:*`), [await cluster.masterPortForKey(waitKey(name))],
    'drover wrote every key of the queue on the master of its hash tag');
});

test('a {bull} prefix instead of a tagged name, both ways', async () => {
  const prefix = '{bull}';
  const name = untaggedQueueName();
  const queue = nodeQueue(name, { prefix });
  const qe = await nodeEvents(name, { prefix });
  const via = await cluster.viaOtherSeed(waitKey(name, prefix));
  const worker = spawnDrover(['worker', '--queue', name, '--prefix', prefix, '--redis', via.url,
    '--processor', 'echo', '--drain-delay', '500', '--shutdown-grace', '2000']);
  await waitFor(() => worker.stderr.includes('started') || !worker.running, { what: 'drover worker to start' });
  assert.ok(worker.running, worker.describe());
  const job = await queue.add('prefixed', { p: 1 });
  assert.deepEqual(await explained(worker, job.waitUntilFinished(qe, 20000)), { p: 1 });
  await worker.stop();

  nodeWorker(name, async (j) => ({ node: j.data.p }), { prefix });
  const id = (await drover(via, name, 'add', '--prefix', prefix, '--name', 'back', '--data', '{"p":2}')).trim();
  await waitForState(queue, id, 'completed', 20000);
  assert.deepEqual((await queue.getJob(id)).returnvalue, { node: 2 });
});

test('drover reads the cluster from REDIS_URL alone', async () => {
  const name = taggedQueueName();
  const queue = nodeQueue(name);
  const { url } = await cluster.viaOtherSeed(waitKey(name));
  const out = await new Promise((resolve, reject) => {
    execFile(DROVER_BIN, ['add', '--queue', name, '--name', 'env', '--data', '{"e":1}'],
      { env: { PATH: process.env.PATH, REDIS_URL: url }, timeout: 15000 },
      (err, stdout, stderr) => (err ? reject(new Error(`drover add: ${err.message}\n${stderr}`)) : resolve(stdout)));
  });
  const job = await queue.getJob(out.trim());
  assert.ok(job, `Node finds job ${out.trim()} that drover added through REDIS_URL`);
  assert.deepEqual(job.data, { e: 1 });
});

test('a queue without a hash tag is refused, with how to name it', async () => {
  const name = untaggedQueueName();
  const add = await withTimeout(new Promise((resolve) => {
    execFile(DROVER_BIN, ['add', '--queue', name, '--redis', cluster.url, '--name', 'x', '--data', '{}'],
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stderr }));
  }), 15000, 'drover add on an untagged queue');
  assert.notEqual(add.code, 0, 'drover add must fail');
  assert.match(add.stderr, /hash tag/, `the error says to use a hash tag: ${add.stderr}`);

  const worker = spawnDrover(['worker', '--queue', name, '--redis', cluster.url, '--processor', 'echo']);
  const { code } = await withTimeout(worker.exited, 15000, 'drover worker on an untagged queue to exit');
  assert.notEqual(code, 0, 'drover worker must fail');
  assert.match(worker.stderr, /hash tag/, worker.describe());
  assert.deepEqual(await mastersHolding(`bull:${name}*`), [], 'nothing was written');
});

// Last: it kills a master of the file's cluster.
test('a drover worker keeps taking Node jobs after the queue\'s master fails over', async () => {
  const name = taggedQueueName();
  const queue = nodeQueue(name);
  const via = await cluster.viaOtherSeed(waitKey(name));
  const worker = await startDroverWorker(via, name, { processor: 'echo', name: 'cpp-failover' });
  const before = await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'before', data: { i } })));
  for (const job of before) await explained(worker, waitForState(queue, job.id, 'completed', 20000));

  const master = await cluster.masterPortForKey(waitKey(name));
  await cluster.replicaCaughtUp(master); // the replica has every finished job
  // The drover worker is blocked on the master that dies.
  const killedAt = Date.now();
  await cluster.kill(master);
  await cluster.waitForFailover();
  const failedOverAt = Date.now();
  assert.notEqual(await cluster.masterPortForKey(waitKey(name)), master, 'a replica took the slot');

  const after = [];
  for (let i = 0; i < 5; i++) after.push(await queue.add('after', { i }));
  for (const job of after) await explained(worker, waitForState(queue, job.id, 'completed', 30000));
  if (process.env.INTEROP_DEBUG) {
    console.log('failover ms', failedOverAt - killedAt, 'jobs after it done by drover ms', Date.now() - killedAt);
  }
  for (const job of [...before, ...after]) {
    assert.equal((await queue.getJob(job.id)).processedBy, 'cpp-failover', `job ${job.id} done by drover`);
  }
  assert.ok(worker.running, worker.describe());
  await cluster.restart(master);
  assert.match(await cluster.nodeCli(master, 'ROLE'), /^slave/, 'the old master is back as a replica');
});
