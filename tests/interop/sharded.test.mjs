// Sharded queues (issue 14) on a Redis Cluster: each shard drover writes is a normal BullMQ
// queue that Node's BullMQ (ioredis Cluster) reads and works by its name, and a drover worker
// with --shards drains jobs Node adds to any shard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  newQueue, newWorker, newQueueEvents, runDrover, spawnDrover, waitFor,
} from './support.mjs';
import { startRedisCluster } from './redis_cluster.mjs';

const cluster = await startRedisCluster();
const shards = 3;
const url = () => cluster.url;
const logicalName = () => `interop-sharded-${randomBytes(4).toString('hex')}`;

async function droverOk(...args) {
  const r = await runDrover([...args, '--redis', url()]);
  assert.equal(r.code, 0, `drover ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// The shard names drover uses, as `drover counts --shards` reports them.
async function shardNames(name) {
  const counts = JSON.parse(await droverOk('counts', '--queue', name, '--shards', String(shards)));
  return counts.shards.map((s) => s.queue);
}

test('drover add --shards --key: each shard is a BullMQ queue on its own master that a Node Worker runs', async () => {
  const name = logicalName();
  const names = await shardNames(name);
  assert.equal(names.length, shards);
  const masters = new Set(await Promise.all(names.map((n) => cluster.masterPortForKey(`bull:${n}:wait`))));
  assert.equal(masters.size, shards, `${names.join(', ')} on three masters`);

  // One CLI process per add: each starts its round robin at a random shard, so spread the
  // jobs by key instead (deterministic), and check that a key always picks the same shard.
  const added = [];  // [id, shard queue]
  for (let n = 0; n < 12; n++) {
    const out = await droverOk('add', '--queue', name, '--shards', String(shards), '--name', 'sharded',
      '--key', `customer-${n % 6}`, '--data', JSON.stringify({ n }));
    added.push(out.trim().split('\t'));
  }
  for (let n = 6; n < 12; n++) assert.equal(added[n][1], added[n - 6][1], 'one key, one shard');
  assert.equal(new Set(added.map(([, q]) => q)).size, shards, 'six keys use all three shards');
  const seen = [];
  for (const n of names) {
    newQueue(cluster, n, { connection: cluster.client() });
    newWorker(cluster, n, async (job) => { seen.push(job.data.n); return { shard: n }; },
      { connection: cluster.client() });
  }
  await waitFor(() => seen.length === 12, { timeout: 20000, what: 'Node workers to run every shard\'s jobs' });
  for (const [id, q] of added) {
    const job = await newQueue(cluster, q, { connection: cluster.client() }).getJob(id);
    assert.equal(await job.getState(), 'completed');
    assert.deepEqual(job.returnvalue, { shard: q });
  }
  const counts = JSON.parse(await droverOk('counts', '--queue', name, '--shards', String(shards)));
  assert.equal(counts.counts.completed, 12, 'the logical queue counts every shard');
});

test('Node adds to the shards, drover worker --shards drains them all', async () => {
  const name = logicalName();
  const names = await shardNames(name);
  const args = ['worker', '--queue', name, '--shards', String(shards), '--redis', url(), '--processor', 'echo',
    '--concurrency', '3', '--drain-delay', '500', '--shutdown-grace', '2000'];
  const sharded = spawnDrover(args);
  await waitFor(() => sharded.stderr.includes('started') || !sharded.running, { what: 'sharded worker to start' });
  assert.ok(sharded.running, sharded.describe());
  const jobs = [];
  for (const [i, n] of names.entries()) {
    const q = newQueue(cluster, n, { connection: cluster.client() });
    const qe = await newQueueEvents(cluster, n, { connection: cluster.client() });
    for (let k = 0; k < 4; k++) jobs.push([await q.add('from-node', { i, k }), qe]);
  }
  const results = await Promise.all(jobs.map(([j, qe]) => j.waitUntilFinished(qe, 20000)));
  assert.equal(results.length, 12);
  assert.deepEqual(results[5], jobs[5][0].data);
  await sharded.stop();
});
