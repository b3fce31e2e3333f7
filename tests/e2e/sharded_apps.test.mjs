// sharded_apps.test.mjs - both apps with their three queues sharded (issue 14): on a Redis
// Cluster of 3 masters with an untagged QUEUE_PREFIX, chat messages are answered and their
// answers delivered by webhook, jobs are polled, cancelled and looked up by the
// shard-qualified ids the API hands out ("<shard>-<id>"), a document is processed, a
// malformed id is a JSON 404, the job_logs rows carry the same ids, a dead letter stays in
// its shard's slot, the jobs sit on more than one master, and the Workers app's series name
// each shard and its logical queue; on a single redis-server, AI_QUEUE_SHARDS=2 alone works
// as well, and alert rules judge a sharded queue's shards together (or one shard alone).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startSystem, postJSON, getJSON, waitForJob, waitFor, freePort, dashboardQueues } from './system.mjs';
import { startRedisCluster } from '../interop/redis_cluster.mjs';
import { createRequire } from 'node:module';
import { parsePrometheus, samples, value } from './prometheus_text.mjs';
import { startReceiver, alertEnv } from './alert_receiver.mjs';
import { runDrover, DROVER_BIN, onCleanup, startRedis, bullmq } from '../interop/support.mjs';

const { io } = createRequire(import.meta.url)('socket.io-client');

const SHARDS = 3;
const DASHBOARD = 'e2e-sharded-dashboard-token-0123456789';
const SHARDED = { AI_QUEUE_SHARDS: String(SHARDS), DOCUMENT_QUEUE_SHARDS: String(SHARDS),
  WEBHOOK_QUEUE_SHARDS: String(SHARDS) };
const shardedId = new RegExp(`^[0-${SHARDS - 1}]-`);
let cluster;

before(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
});

async function del(base, path) {
  const res = await fetch(`${base}${path}`, { method: 'DELETE' });
  return { status: res.status, body: await res.json().catch(() => null) };
}

// A logical queue's shards and their counts, as `drover counts --shards` reports them.
async function shardCounts(redisUrl, queue, shards) {
  const r = await runDrover(['counts', '--queue', queue, '--shards', String(shards), '--prefix', 'bull',
    '--redis', redisUrl]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

// The Workers app's own series (drover_worker_*, drover_job_*), checked: each carries
// logical_queue, its queue's logical queue (a shard's sharded queue, a plain queue's own
// name), and those of `logical` are labelled by its shards, never by the logical name,
// which `sum by (logical_queue)` would count twice.
async function workerMetrics(sys, logical, shards) {
  const m = parsePrometheus(await (await fetch(`http://127.0.0.1:${sys.workersPort}/metrics`)).text());
  const own = [...m.values()].flatMap((f) => f.samples).filter((s) => /^drover_(worker|job)_/.test(s.name));
  assert.ok(own.length > 0);
  for (const { name, labels } of own) {
    const { queue, logical_queue: of } = labels;
    assert.ok(of === queue || queue.startsWith(`{${of}.`), `${name} ${JSON.stringify(labels)}`);
  }
  const queues = new Set(own.filter((s) => s.labels.logical_queue === logical).map((s) => s.labels.queue));
  assert.deepEqual([...queues].sort(), [...shards].sort());
  return m;
}
const sumOf = (m, name, match) => samples(m, name, match).reduce((sum, s) => sum + s.value, 0);

async function sendAndAwait(sys, conversationId, message) {
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u1', message });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  return sent.body.jobId;
}

test('all three queues sharded on a 3-master cluster: chat, webhooks, cancel, documents, bad ids', { timeout: 120000 }, async () => {
  const sys = await startSystem({ redis: { url: cluster.url },
    env: { QUEUE_PREFIX: 'bull', DASHBOARD_TOKEN: DASHBOARD, ...SHARDED } });

  // A job that fails for good (3 attempts, backoff 2 s then 4 s), sent first.
  const doomed = await sendAndAwait(sys, 'c-sharded-dlq', 'please [500]');

  // Several messages: round robin spreads them over the shards; every answer comes back
  // through the (sharded) webhook-delivery queue into the history.
  const ids = [];
  for (let n = 0; n < 6; n++) ids.push(await sendAndAwait(sys, 'c-sharded', `hello ${n}`));
  for (const id of ids) assert.match(id, shardedId, id);
  assert.equal(new Set(ids).size, ids.length, 'every job has an id of its own');
  for (const id of ids) {
    const done = await waitForJob(sys.base, id);
    assert.equal(done.status, 'completed', JSON.stringify(done));
  }
  let history;
  await waitFor(async () => {
    history = (await getJSON(sys.base, '/api/conversations/c-sharded/messages')).body.messages;
    return history.filter((m) => m.role === 'assistant').length === ids.length;
  }, { timeout: 20000, what: 'every answer delivered by webhook' });
  const answered = history.filter((m) => m.role === 'assistant').map((m) => m.jobId).sort();
  assert.deepEqual(answered, [...ids].sort(), 'each answer names the job the API handed out');

  // The job_logs rows written from every shard's events carry the same ids.
  await waitFor(() => {
    const rows = sys.db.query("SELECT job_id || ' ' || status FROM job_logs WHERE queue = 'ai-processing'")
      .split('\n').filter(Boolean);
    return ids.every((id) => rows.includes(`${id} completed`));
  }, { timeout: 10000, what: 'job_logs rows, completed, under the shard-qualified ids' });

  // The jobs are on more than one master.
  const ai = await shardCounts(cluster.url, 'ai-processing', SHARDS);
  assert.equal(ai.counts.completed, ids.length);
  const used = ai.shards.filter((s) => (s.counts.completed ?? 0) > 0);
  assert.ok(used.length >= 2, JSON.stringify(ai.shards));
  const masters = new Set(await Promise.all(used.map((s) => cluster.masterPortForKey(`bull:${s.queue}:id`))));
  assert.ok(masters.size >= 2, `shards ${used.map((s) => s.queue).join(', ')} on masters ${[...masters]}`);
  const shardNames = ai.shards.map((s) => s.queue);
  // The dashboard shows the logical queue, its counts summed, then its shards; the API's
  // /metrics labels each shard's series with the logical queue.
  const rows = await dashboardQueues(sys.base, DASHBOARD);
  assert.deepEqual(rows['ai-processing'].shards, shardNames);
  assert.equal(rows['ai-processing'].counts.completed, ids.length);
  for (const s of ai.shards) {
    assert.equal(rows[s.queue].shardOf, 'ai-processing', s.queue);
    assert.equal(rows[s.queue].counts.completed ?? 0, s.counts.completed ?? 0, s.queue);
  }
  // An action on the logical name acts on every shard here too (on a cluster it was a 400:
  // the name was checked as a plain queue's, which a cluster cannot hold).
  const admin = { 'content-type': 'application/json', authorization: `Bearer ${DASHBOARD}` };
  for (const action of ['pause', 'resume']) {
    const res = await fetch(`${sys.base}/api/admin/queues/ai-processing/${action}`, { method: 'POST', headers: admin,
      body: '{}' });
    const body = await res.json();
    assert.equal(res.status, 200, `${action}: ${JSON.stringify(body)}`);
    assert.deepEqual(body.shards, shardNames);
    const paused = (await dashboardQueues(sys.base, DASHBOARD))['ai-processing'].paused;
    assert.equal(paused, action === 'pause', `after ${action}`);
  }
  const api = parsePrometheus(await (await fetch(`${sys.base}/metrics`)).text());
  assert.equal(sumOf(api, 'drover_queue_jobs', { logical_queue: 'ai-processing', state: 'completed' }), ids.length);
  // The Workers app times and counts each job under the shard that held it.
  let m;
  await waitFor(async () => {
    m = await workerMetrics(sys, 'ai-processing', shardNames);
    return sumOf(m, 'drover_worker_jobs_completed_total', { logical_queue: 'ai-processing' }) === ids.length;
  }, { what: 'every completion counted under logical_queue="ai-processing"' });
  for (const s of ai.shards) {
    const labels = { queue: s.queue, logical_queue: 'ai-processing' };
    assert.equal(value(m, 'drover_worker_jobs_completed_total', labels), s.counts.completed ?? 0, s.queue);
    assert.equal(value(m, 'drover_job_processing_seconds_count', { ...labels, outcome: 'completed' }),
      s.counts.completed ?? 0, s.queue);
    assert.equal(value(m, 'drover_worker_concurrency', labels), 5, 'each shard may use the whole budget');
  }
  const hooks = await shardCounts(cluster.url, 'webhook-delivery', SHARDS);
  assert.equal(hooks.counts.completed, ids.length, JSON.stringify(hooks));
  // A delivery, found through its deduplication key (on the shard that key picked), is
  // looked up by the id that names its shard: the webhook-id it was sent with.
  let deliveryId;
  const [aiShard, aiId] = ids[0].split('-');
  const timestamp = (await cluster.cli('HGET', `bull:${ai.shards[Number(aiShard)].queue}:${aiId}`, 'timestamp')).trim();
  for (const [index, shard] of hooks.shards.entries()) {
    const raw = await cluster.cli('GET', `bull:${shard.queue}:de:job-completed-${ids[0]}-${timestamp}`);
    if (raw) deliveryId = `${index}-${raw}`;
  }
  assert.ok(deliveryId, `the delivery of ${ids[0]}`);
  const delivery = await getJSON(sys.base, `/api/webhooks/deliveries/${deliveryId}`);
  assert.equal(delivery.status, 200, JSON.stringify(delivery.body));
  assert.equal(delivery.body.id, deliveryId);
  assert.equal(delivery.body.state, 'completed');
  assert.equal(delivery.body.attempts[0].status, 200);

  // A job the model is still answering is cancelled by its id.
  const hung = await sendAndAwait(sys, 'c-sharded-cancel', 'think [hang]');
  await waitFor(async () => (await getJSON(sys.base, `/api/chat/job/${hung}`)).body.status === 'active',
    { what: 'the job to be active' });
  const cancelled = await del(sys.base, `/api/chat/job/${hung}`);
  assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
  assert.deepEqual(cancelled.body, { jobId: hung, outcome: 'signalled' });
  const failed = await waitForJob(sys.base, hung, 5000);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error, 'cancelled');
  assert.equal((await del(sys.base, `/api/chat/job/${hung}`)).status, 409);

  // A document, on the shard of its job's custom id.
  const form = new FormData();
  form.append('conversationId', 'c-sharded');
  form.append('file', new Blob(['Sharded queues spread one queue over every master.'], { type: 'text/plain' }), 'notes.txt');
  const res = await fetch(`${sys.base}/api/documents`, { method: 'POST', body: form });
  const uploaded = await res.json();
  assert.equal(res.status, 202, JSON.stringify(uploaded));
  assert.match(uploaded.jobId, new RegExp(`${shardedId.source}doc-${uploaded.documentId}$`));
  let doc;
  await waitFor(async () => {
    doc = (await getJSON(sys.base, `/api/documents/${uploaded.documentId}`)).body;
    return doc.status === 'ready' && doc.job?.state === 'completed';
  }, { timeout: 30000, what: `the document processed (last: ${JSON.stringify(doc)?.slice(0, 300)})` });
  assert.equal(doc.job.id, uploaded.jobId);
  assert.ok(doc.chunkCount >= 1, JSON.stringify(doc));

  // Ids that name no job of any shard: a JSON 404, whatever their shape.
  for (const bad of ['17', `${SHARDS}-1`, '01-1', 'x-1', '0-', '-1', '0-999999', '99999999999999999999999-1']) {
    const polled = await getJSON(sys.base, `/api/chat/job/${encodeURIComponent(bad)}`);
    assert.equal(polled.status, 404, `${bad}: ${JSON.stringify(polled.body)}`);
    assert.ok(polled.body?.error, `${bad}: a JSON error`);
    const deleted = await del(sys.base, `/api/chat/job/${encodeURIComponent(bad)}`);
    assert.equal(deleted.status, 404, `${bad}: ${JSON.stringify(deleted.body)}`);
    assert.equal(deleted.body.outcome, 'not_found');
    assert.equal((await getJSON(sys.base, `/api/webhooks/deliveries/${encodeURIComponent(bad)}`)).status, 404);
  }
  // The job that failed for good is a dead letter of its own shard, in the shard's slot.
  assert.equal((await waitForJob(sys.base, doomed, 30000)).status, 'failed');
  const doomedShard = ai.shards[Number(doomed.split('-')[0])].queue;
  await waitFor(async () => (await cluster.cli('LLEN', `bull:${doomedShard}-dlq:wait`)) === '1',
    { what: `the dead letter in ${doomedShard}-dlq` });

  // Both apps still up.
  assert.equal((await fetch(`${sys.base}/readyz`)).status, 200);
  assert.equal((await fetch(`http://127.0.0.1:${sys.workersPort}/readyz`)).status, 200);
});

test('a shard whose master stops writing holds up that shard\'s sends only: the others are answered, each batch on one shard', { timeout: 90000 }, async () => {
  const sys = await startSystem({ redis: { url: cluster.url }, env: { QUEUE_PREFIX: 'bull', ...SHARDED } });
  await sendAndAwait(sys, 'c-pause-warmup', 'hello');
  const shardNames = (await shardCounts(cluster.url, 'ai-processing', SHARDS)).shards.map((s) => s.queue);
  const ports = await Promise.all(shardNames.map((q) => cluster.masterPortForKey(`bull:${q}:id`)));
  assert.equal(new Set(ports).size, SHARDS, `shards ${shardNames} on masters ${ports}`);
  // Shard 0's master refuses no one but runs no write for 4 s: its adds outlast the API's
  // 1 s command limit.
  const pause = spawnSync('redis-cli', ['-p', String(ports[0]), 'CLIENT', 'PAUSE', '4000', 'WRITE'], { encoding: 'utf8' });
  assert.equal(pause.stdout.trim(), 'OK', pause.stderr);
  let sends;
  try {
    sends = await Promise.all(Array.from({ length: 12 }, (_, n) =>
      postJSON(sys.base, '/api/chat/send', { conversationId: `c-pause-${n}`, userId: 'u1', message: `m${n}` })));
  } finally {
    spawnSync('redis-cli', ['-p', String(ports[0]), 'CLIENT', 'UNPAUSE']);  // the next tests share the cluster
  }
  const statuses = sends.map((r) => r.status);
  const answered = sends.filter((r) => r.status === 200).map((r) => r.body.jobId);
  // Round robin: 4 of the 12 on each shard. Every one on shards 1 and 2 is answered.
  assert.ok(answered.filter((id) => !id.startsWith('0-')).length === 8, `statuses ${statuses}, ids ${answered}`);
  assert.equal(statuses.filter((x) => x === 503).length, 4, `statuses ${statuses}, ids ${answered}`);
  for (const r of sends.filter((x) => x.status !== 200)) assert.equal(r.status, 503, JSON.stringify(r.body));
});

test('a shard whose master does not answer reads as unreadable in /metrics, under its logical queue, and scrapes stay short', { timeout: 90000 }, async () => {
  const sys = await startSystem({ redis: { url: cluster.url }, env: { QUEUE_PREFIX: 'bull', ...SHARDED } });
  await sendAndAwait(sys, 'c-metrics-pause', 'hello');
  const shardNames = (await shardCounts(cluster.url, 'ai-processing', SHARDS)).shards.map((s) => s.queue);
  const ports = await Promise.all(shardNames.map((q) => cluster.masterPortForKey(`bull:${q}:id`)));
  const scrape = async () => {
    const started = Date.now();
    const text = await (await fetch(`http://127.0.0.1:${sys.workersPort}/metrics`)).text();
    return { took: Date.now() - started, m: parsePrometheus(text) };
  };
  const readable = (m) => Object.fromEntries(samples(m, 'drover_queue_readable')
    .filter((x) => shardNames.includes(x.labels.queue)).map((x) => [x.labels.queue, [x.value, x.labels.logical_queue]]));
  await waitFor(async () => Object.keys(readable((await scrape()).m)).length === SHARDS,
    { timeout: 15000, what: 'every shard read' });
  // Shard 0's master answers nothing for 8 s.
  const pause = spawnSync('redis-cli', ['-p', String(ports[0]), 'CLIENT', 'PAUSE', '8000', 'ALL'], { encoding: 'utf8' });
  assert.equal(pause.stdout.trim(), 'OK', pause.stderr);
  let last;
  let slowest = 0;
  // `drover counts --shards` meanwhile: the other shards' counts, shard 0 said unreadable
  // and the exit code 1 (the whole command failed, in a cluster drill).
  const counting = runDrover(['counts', '--queue', 'ai-processing', '--shards', String(SHARDS), '--prefix', 'bull',
    '--redis', cluster.url]);
  try {
    await waitFor(async () => {
      const { took, m } = await scrape();
      slowest = Math.max(slowest, took);
      last = readable(m);
      return last[shardNames[0]]?.[0] === 0;
    }, { timeout: 7000, what: `shard 0 unreadable (last: ${JSON.stringify(last)})` });
    const partial = await counting;
    assert.equal(partial.code, 1, partial.stderr);
    const read = JSON.parse(partial.stdout);
    assert.deepEqual(read.unreadable, [shardNames[0]]);
    assert.equal(read.shards[0].counts, null);
    assert.equal(typeof read.shards[1].counts.completed, 'number');
    assert.ok(partial.stderr.includes(`shard 0 (${shardNames[0]}) not read`), partial.stderr);
  } finally {
    spawnSync('redis-cli', ['-p', String(ports[0]), 'CLIENT', 'UNPAUSE']);  // the next tests share the cluster
  }
  assert.deepEqual(last[shardNames[1]], [1, 'ai-processing']);
  assert.deepEqual(last[shardNames[2]], [1, 'ai-processing']);
  assert.equal(last[shardNames[0]][1], 'ai-processing');
  // Each queue's read is bounded by the fast-fail timeouts (a reconnection to the paused
  // master takes a few of them), and the reads run at once: within Prometheus's default
  // 10 s scrape timeout, which ten queues read one after another went past.
  assert.ok(slowest < 8000, `a scrape took ${slowest} ms`);
});

test('a tagged prefix with sharded queues is refused at start on a cluster, saying what to set', { timeout: 60000 }, async () => {
  for (const app of ['api', 'workers']) {
    const port = String(await freePort());
    const r = spawnSync(DROVER_BIN, [app], {
      env: { ...process.env, REDIS_URL: cluster.url, AUTH_MODE: 'none', QUEUE_PREFIX: '{bull}', PORT: port,
        WORKERS_PORT: port, DATABASE_URL: 'sqlite::memory:', WEBHOOK_SECRET: 'e2e-secret', ...SHARDED },
      encoding: 'utf8',
      timeout: 20000,
    });
    assert.notEqual(r.status, 0, `${app} started: ${r.stderr}`);
    assert.match(r.stderr, /has a hash tag/, `${app}: ${r.stderr}`);
    assert.match(r.stderr, /QUEUE_PREFIX=bull/, `${app}: ${r.stderr}`);
  }
});

test('AI_QUEUE_SHARDS=2 on a single redis-server: answers, polls and history as with a plain queue', { timeout: 60000 }, async () => {
  const sys = await startSystem({ env: { AI_QUEUE_SHARDS: '2' } });
  // Socket.IO: a job subscribed by its shard-qualified id gets its events under that id.
  const socket = io(sys.base, { transports: ['websocket'], reconnection: false });
  onCleanup(() => socket.close());
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  const events = [];
  for (const name of ['job-progress', 'job-completed']) socket.on(name, (payload) => events.push({ name, payload }));
  const live = await sendAndAwait(sys, 'c-two-live', 'stream please');
  const acked = await new Promise((resolve) => socket.emit('subscribe-job', live, resolve));
  assert.deepEqual(acked, { ok: true });
  await waitFor(() => events.some((e) => e.name === 'job-completed'), { what: 'job-completed over Socket.IO' });
  assert.ok(events.every((e) => e.payload.jobId === live), JSON.stringify(events));

  const ids = [];
  for (let n = 0; n < 4; n++) ids.push(await sendAndAwait(sys, 'c-two', `hi ${n}`));
  for (const id of ids) {
    assert.match(id, /^[01]-\d+$/, id);
    assert.equal((await waitForJob(sys.base, id)).status, 'completed');
  }
  await waitFor(async () => (await getJSON(sys.base, '/api/conversations/c-two/messages')).body.messages
    .filter((m) => m.role === 'assistant').length === ids.length, { what: 'every answer delivered' });
  const counts = await shardCounts(sys.redis.url, 'ai-processing', 2);
  assert.equal(counts.counts.completed, ids.length + 1);  // and the one followed live
  assert.ok(counts.shards.every((s) => (s.counts.completed ?? 0) > 0), JSON.stringify(counts.shards));
  // The other queues stay plain: a document's job keeps its own id.
  const form = new FormData();
  form.append('file', new Blob(['plain text'], { type: 'text/plain' }), 'a.txt');
  const uploaded = await (await fetch(`${sys.base}/api/documents`, { method: 'POST', body: form })).json();
  assert.equal(uploaded.jobId, `doc-${uploaded.documentId}`);
  assert.equal((await getJSON(sys.base, '/api/chat/job/2-1')).status, 404);
});

test('AI_QUEUE_SHARDS=2: an alert rule on ai-processing sums its shards, one on a shard reads that shard; the workers\' series name both', { timeout: 60000 }, async () => {
  const redis = await startRedis();
  const shards = (await shardCounts(redis.url, 'ai-processing', 2)).shards.map((s) => s.queue);
  const receiver = await startReceiver();
  // One failure on each shard: only their sum reaches the first rule's minJobs.
  const rules = [
    { type: 'failure_rate', queue: 'ai-processing', threshold: 0.5, windowSeconds: 30, minJobs: 2, name: 'AI failures' },
    { type: 'failure_rate', queue: shards[0], threshold: 0.5, windowSeconds: 30, minJobs: 1, name: 'Shard failures' },
  ];
  const sys = await startSystem({ redis, env: { AI_QUEUE_SHARDS: '2', ...alertEnv(receiver, rules) } });
  // Jobs no processor takes: each fails for good at once (unrecoverable).
  for (const shard of shards) {
    const q = new bullmq.Queue(shard, { connection: redis.connection });
    onCleanup(() => q.close());
    await q.add('bogus', {});
  }
  await waitFor(() => receiver.about('AI failures').length >= 1 && receiver.about('Shard failures').length >= 1,
    { timeout: 20000, what: 'both rules firing' });
  assert.equal(receiver.about('AI failures')[0].body.text,
    '[FIRING] AI failures (queue ai-processing): 2 of 2 jobs failed in the last 30 s (100%, threshold 50%), over its 2 shards');
  assert.equal(receiver.about('Shard failures')[0].body.text,
    `[FIRING] Shard failures (queue ${shards[0]}): 1 of 1 jobs failed in the last 30 s (100%, threshold 50%)`);

  let m;
  await waitFor(async () => {
    m = await workerMetrics(sys, 'ai-processing', shards);
    return sumOf(m, 'drover_worker_jobs_failed_total', { logical_queue: 'ai-processing' }) === 2;
  }, { what: 'both failures counted under logical_queue="ai-processing"' });
  for (const shard of shards) {
    const labels = { queue: shard, logical_queue: 'ai-processing' };
    assert.equal(value(m, 'drover_worker_jobs_failed_total', labels), 1, shard);
    assert.equal(value(m, 'drover_job_processing_seconds_count', { ...labels, outcome: 'failed' }), 1, shard);
    assert.equal(value(m, 'drover_job_wait_seconds_count', labels), 1, shard);
  }
  // The plain queues are their own logical queues.
  assert.equal(value(m, 'drover_worker_concurrency', { queue: 'webhook-delivery', logical_queue: 'webhook-delivery' }), 10);
});
