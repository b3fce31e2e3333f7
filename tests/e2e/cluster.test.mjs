// cluster.test.mjs - both apps on a Redis Cluster (redis+cluster://, QUEUE_PREFIX={bull}):
// a chat message answered and delivered, the dashboard's queues and both apps' /metrics read
// from the cluster; and an untagged prefix refused at start with the error that says how to name it.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startSystem, chatRoundTrip, dashboardQueues, freePort, waitFor } from './system.mjs';
import { parsePrometheus, value } from './prometheus_text.mjs';
import { startRedisCluster } from '../interop/redis_cluster.mjs';
import { DROVER_BIN } from '../interop/support.mjs';

const TOKEN = 'e2e-cluster-dashboard-token-0123456789';
let cluster;

before(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
});

test('chat, dashboard and metrics on a Redis Cluster', { timeout: 90000 }, async () => {
  const sys = await startSystem({ redis: { url: cluster.url }, env: { QUEUE_PREFIX: '{bull}', DASHBOARD_TOKEN: TOKEN } });
  await chatRoundTrip(sys, 'c-cluster', 'hello, cluster');

  // Every key of the apps' queues lives on the master of the {bull} slot.
  const owner = await cluster.masterPortForKey('{bull}:ai-processing:id');
  assert.equal(await cluster.cli('-p', owner, 'ZCARD', '{bull}:ai-processing:completed'), '1');

  const queues = await dashboardQueues(sys.base, TOKEN);
  assert.equal(queues['ai-processing']?.counts.completed, 1, JSON.stringify(Object.keys(queues)));
  assert.ok(queues['webhook-delivery']);

  const metrics = parsePrometheus(await (await fetch(`${sys.base}/metrics`)).text());
  assert.equal(value(metrics, 'drover_queue_jobs', { queue: 'ai-processing', state: 'completed' }), 1);
  assert.equal(value(metrics, 'drover_redis_up'), 1);
  // The Workers app's own series name the queue and its logical queue (itself, unsharded).
  const labels = { queue: 'ai-processing', logical_queue: 'ai-processing' };
  await waitFor(async () => {
    const workers = parsePrometheus(await (await fetch(`http://127.0.0.1:${sys.workersPort}/metrics`)).text());
    return value(workers, 'drover_worker_jobs_completed_total', labels) === 1 &&
      value(workers, 'drover_job_processing_seconds_count', { ...labels, outcome: 'completed' }) === 1;
  }, { what: "the workers' series of ai-processing" });
});

test('an app whose queues have no hash tag refuses to start on a cluster, saying how to name them', { timeout: 60000 }, async () => {
  for (const app of ['api', 'workers']) {
    const port = String(await freePort());
    const r = spawnSync(DROVER_BIN, [app], {
      env: { ...process.env, REDIS_URL: cluster.url, AUTH_MODE: 'none', QUEUE_PREFIX: 'bull', PORT: port, WORKERS_PORT: port,
        DATABASE_URL: 'sqlite::memory:', WEBHOOK_SECRET: 'e2e-secret' },
      encoding: 'utf8',
      timeout: 20000,
    });
    assert.notEqual(r.status, 0, `${app} started: ${r.stderr}`);
    assert.match(r.stderr, /hash tag/, `${app}: ${r.stderr}`);
    assert.match(r.stderr, /\{bull\}/, `${app}: ${r.stderr}`);
  }
});
