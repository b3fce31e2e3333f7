// apps_sentinel.test.mjs - both apps behind Redis Sentinel (tests/interop/redis_sentinel.mjs:
// a master, one replica, three sentinels), configured only by REDIS_SENTINELS and
// REDIS_SENTINEL_MASTER, with replicated adds (their default there). Chat messages are sent
// before the master is killed with SIGKILL (two of them still being answered at the kill)
// and all through the failover: the sentinels promote the replica, and the test starts a new
// replica of the new master so that adds can be confirmed again. What it proves:
// - the API answers every send 200 or 503 (Redis away, or the add not confirmed), nothing else;
// - nothing acknowledged is lost: a send answered 200 was confirmed by a replica first, so it
//   survives the master's death, and every one is answered in the end (its job completed,
//   the answer delivered by webhook into its history), the model asked once for each: the
//   jobs active at the kill finish on the new master in their first attempt;
// - no job is left active; the dashboard, both apps' /metrics (drover_redis_up 1) and
//   `drover queue list` over redis+sentinel:// work on the new master.
// Then the same set speaking only TLS (rediss+sentinel://, the CA from REDIS_TLS_CA_FILE):
// the apps hear a planned failover's announcement on their TLS subscription to a sentinel
// and write to the new master before the old one is demoted. And sentinels that want a
// password: REDIS_SENTINEL_PASSWORD works and shows in no log line; a wrong one is refused
// with each sentinel's reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem, postJSON, getJSON, waitForJob, waitFor, chatRoundTrip, dashboardQueues, sleep } from './system.mjs';
import { parsePrometheus, value } from './prometheus_text.mjs';
import { startSentinelSet } from '../interop/redis_sentinel.mjs';
import { makeCertificates } from '../interop/tls_redis_server.mjs';
import { runDrover, onCleanup } from '../interop/support.mjs';

const TOKEN = 'e2e-sentinel-dashboard-token-0123456789';

test('the apps through a failover: every accepted send answered, nothing left active', { timeout: 120000 }, async () => {
  const set = await startSentinelSet();
  // 900 ms: near the most the API allows (below its 1 s command timeout), so that a loaded
  // machine's replica still confirms in time.
  const sys = await startSystem({
    redis: {},
    // REDIS_MIN_REPLICAS unset: behind Sentinel it means 1.
    env: { ...set.env, REDIS_REPLICATION_TIMEOUT_MS: '900', DASHBOARD_TOKEN: TOKEN },
  });
  const accepted = [];
  const statuses = {};
  let n = 0;
  const send = async (message = `message ${n}`) => {
    const conversationId = `sentinel-${n++}`;
    const r = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u1', message });
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === 200) accepted.push({ conversationId, message, jobId: r.body.jobId, at: Date.now() });
    return r.status;
  };

  // Before: every send confirmed by the replica. Two answers stream slowly (the fake model's
  // "[slow]": 3 s between chunks), so that their jobs are active on the master when it dies.
  for (let i = 0; i < 3; i++) assert.equal(await send(), 200, JSON.stringify(statuses));
  for (let i = 0; i < 2; i++) assert.equal(await send(`[slow] message ${n}`), 200, JSON.stringify(statuses));
  await waitFor(async () => (await dashboardQueues(sys.base, TOKEN))['ai-processing'].counts.active === 2,
    { what: 'the slow answers active' });
  const killedAt = Date.now();
  const acceptedBeforeKill = accepted.length;
  set.master.proc.kill('SIGKILL');

  // During: keep sending while the sentinels promote the replica, then give the new master a
  // replica of its own; sends are confirmed again once it is in sync.
  let sending = true;
  const sender = (async () => {
    while (sending) {
      await send();
      await sleep(100);
    }
  })();
  const newMaster = await set.waitForFailover(set.master.port);
  const promotedAfter = Date.now() - killedAt;
  await set.addReplica(newMaster);
  const replicatedAfter = Date.now() - killedAt;
  await waitFor(() => accepted.length >= acceptedBeforeKill + 5, { timeout: 30000, what: `five sends accepted on the new master (${JSON.stringify(statuses)})` });
  sending = false;
  await sender;
  const statusList = Object.keys(statuses).map(Number);
  assert.ok(statusList.every((s) => s === 200 || s === 503), `only 200 and 503: ${JSON.stringify(statuses)}`);

  // Every accepted send is answered: its job completed and the answer in its history.
  for (const { conversationId, jobId } of accepted) {
    const done = await waitForJob(sys.base, jobId, 60000);
    assert.equal(done.status, 'completed', `${conversationId}: ${JSON.stringify(done)}`);
    await waitFor(async () => (await getJSON(sys.base, `/api/conversations/${conversationId}/messages`)).body.messages.length === 2,
      { timeout: 30000, what: `the answer in ${conversationId}` });
  }
  const queues = await waitFor(async () => {
    const q = await dashboardQueues(sys.base, TOKEN);
    return q['ai-processing'].counts.active === 0 && q['webhook-delivery'].counts.active === 0 && q;
  }, { timeout: 30000, what: 'no active job' });
  assert.ok(queues['ai-processing'].counts.completed >= accepted.length, JSON.stringify(queues['ai-processing'].counts));

  for (const port of [sys.apiPort, sys.workersPort]) {
    const metrics = parsePrometheus(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    assert.equal(value(metrics, 'drover_redis_up'), 1, `/metrics on port ${port}`);
  }
  const r = await runDrover(['queue', 'list', '--json', '--redis', set.url]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(JSON.parse(r.stdout).some((q) => q.name === 'ai-processing'), r.stdout);
  // Each accepted send reached the model once: the jobs that were active at the kill finished
  // on the new master in their first attempt.
  const asked = sys.ai.requests.map((req) => req.body.messages?.at(-1)?.content);
  for (const { message } of accepted) assert.equal(asked.filter((m) => m === message).length, 1, message);
  console.log(`the replica promoted ${promotedAfter} ms after the kill, a new one in sync at ${replicatedAfter} ms, ` +
    `the first send accepted again at ${accepted[acceptedBeforeKill].at - killedAt} ms; sends answered ${JSON.stringify(statuses)}`);
});

test('over TLS (rediss+sentinel://): the apps follow a planned failover that the sentinels announce over TLS',
  { timeout: 120000 }, async () => {
    const certs = makeCertificates();
    const set = await startSentinelSet({ certs });
    // Without replicated adds (behind Sentinel the default waits for one replica): the
    // demoted master resyncs as the only replica after the failover, and the point here is
    // which master the apps write to, right after the announcement.
    const sys = await startSystem({
      redis: { url: set.url },
      env: { REDIS_TLS_CA_FILE: certs.ca, DASHBOARD_TOKEN: TOKEN, REDIS_MIN_REPLICAS: '0' },
    });
    await chatRoundTrip(sys, 'tls-before', 'before the failover');

    // A planned failover leaves the old master up and writable until the sentinels demote
    // it, dropping what was written there meanwhile: the apps must leave it when they hear
    // the announcement (+switch-master, on a subscription to a sentinel over TLS).
    const oldMaster = set.master.port;
    assert.equal(await set.failover(), 'OK');
    const newMaster = await set.waitForFailover(oldMaster);
    for (const app of [sys.api, sys.workers]) {
      await waitFor(() => app.output.includes(`the sentinels switched the master 'mymaster': mymaster 127.0.0.1 ${oldMaster} `
        + `127.0.0.1 ${newMaster}`), { timeout: 10000, what: `${app.name} to hear of the new master` });
    }
    await chatRoundTrip(sys, 'tls-after', 'after the failover');

    // Both jobs are on the new master (the old one has not been demoted yet: what was written
    // there would not be).
    assert.equal(await set.cli(newMaster, 'ZCARD', 'bull:ai-processing:completed'), '2');
    const queues = await dashboardQueues(sys.base, TOKEN);
    assert.equal(queues['ai-processing']?.counts.completed, 2, JSON.stringify(queues['ai-processing']));
    const metrics = parsePrometheus(await (await fetch(`${sys.base}/metrics`)).text());
    assert.equal(value(metrics, 'drover_redis_up'), 1);
    const r = await runDrover(['queue', 'counts', '--queue', 'ai-processing', '--json', '--redis', set.url,
      '--redis-tls-ca', certs.ca]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).completed, 2, r.stdout);
  });

test('sentinels that want a password: REDIS_SENTINEL_PASSWORD, and it is in no log line', { timeout: 60000 }, async () => {
  const password = 'sentinel-secret-4f2a9c';
  const set = await startSentinelSet({ password });
  const sys = await startSystem({ redis: {}, env: { ...set.env, REDIS_SENTINEL_PASSWORD: password } });
  await chatRoundTrip(sys, 'with-password', 'through sentinels with a password');
  for (const app of [sys.api, sys.workers]) assert.ok(!app.output.includes(password), app.tail());

  const wrongPassword = 'a-wrong-sentinel-password';
  const wrong = await runDrover(['queue', 'list', '--redis', `${set.url}?sentinel_password=${wrongPassword}`]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /WRONGPASS/);
  assert.ok(!wrong.stderr.includes(wrongPassword), wrong.stderr);
});

test('CLI commands behind Sentinel end: dlq prints and exits, events stops on SIGINT', { timeout: 60000 }, async () => {
  const set = await startSentinelSet();
  // The sentinels' watch for a new master must not keep a one-shot command alive.
  for (const action of ['list', 'requeue-all']) {
    const started = Date.now();
    const r = await runDrover(['dlq', action, '--queue', 'ai-processing', '--redis', set.url], { timeout: 10000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '[]');
    assert.ok(Date.now() - started < 8000, `dlq ${action} took ${Date.now() - started} ms`);
  }
  const { spawn } = await import('node:child_process');
  const { DROVER_BIN } = await import('../interop/support.mjs');
  const events = spawn(DROVER_BIN, ['events', '--queue', 'q', '--redis', set.url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  events.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => events.on('exit', (code, signal) => resolve({ code, signal })));
  // A failed wait below must not leave it running (the test file would never end).
  onCleanup(() => { if (events.exitCode === null && events.signalCode === null) events.kill('SIGKILL'); });
  // Connected: the master lists its reader's connection (named <prefix>:<queue in base64>:qe).
  const { execFileSync } = await import('node:child_process');
  const readerName = `bull:${Buffer.from('q').toString('base64')}:qe`;
  await waitFor(() => execFileSync('redis-cli', ['-p', String(set.master.port), 'CLIENT', 'LIST'], { encoding: 'utf8' })
    .includes(`name=${readerName}`), { timeout: 10000, what: `events to reach the master (${stderr})` });
  await sleep(300);
  events.kill('SIGINT');
  const outcome = await Promise.race([exited, sleep(5000).then(() => 'still running')]);
  if (outcome === 'still running') events.kill('SIGKILL');
  assert.deepEqual(outcome, { code: 0, signal: null }, stderr);
});

test('/readyz answers at once while sends wait for a replica that does not confirm', { timeout: 90000 }, async () => {
  const set = await startSentinelSet();
  const sys = await startSystem({ redis: {}, env: { ...set.env, REDIS_REPLICATION_TIMEOUT_MS: '500' } });
  await chatRoundTrip(sys, 'ready-first', 'before the replica stops');
  set.replica.proc.kill('SIGSTOP');
  try {
    // Every send waits up to 500 ms for the replica (and is refused); the probe has a
    // connection of its own, so it does not queue behind their WAITs.
    const sends = Array.from({ length: 10 }, (_, i) =>
      postJSON(sys.base, '/api/chat/send', { conversationId: `ready-${i}`, userId: 'u1', message: 'waits' }));
    await sleep(100);
    const started = Date.now();
    const ready = await getJSON(sys.base, '/readyz');
    const took = Date.now() - started;
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.equal(ready.body.redis, 'ok');
    assert.ok(took < 900, `/readyz took ${took} ms`);
    for (const r of await Promise.all(sends)) assert.equal(r.status, 503, JSON.stringify(r.body));
  } finally {
    set.replica.proc.kill('SIGCONT');
  }
});

test('an answer whose delivery the replica confirms late is not asked of the model again, and is delivered once', { timeout: 90000 }, async () => {
  const set = await startSentinelSet();
  const sys = await startSystem({ redis: {}, env: { ...set.env, REDIS_REPLICATION_TIMEOUT_MS: '500' } });
  const message = '[trickle] an answer worth keeping';
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'late-replica', userId: 'u1', message });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  // The model streams for about 2.4 s; the replica stops meanwhile, so the delivery's add
  // is not confirmed at first, and comes back a few seconds later.
  await sleep(300);
  set.replica.proc.kill('SIGSTOP');
  try {
    await sleep(4000);
  } finally {
    set.replica.proc.kill('SIGCONT');
  }
  const done = await waitForJob(sys.base, sent.body.jobId, 30000);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  const asked = sys.ai.requests.filter((r) => r.body.messages?.at(-1)?.content === message).length;
  assert.equal(asked, 1, 'the model was asked once');
  assert.match(sys.workers.output, /replicas did not confirm it within REDIS_REPLICATION_TIMEOUT_MS; completing the job/,
    'the add was not confirmed at first');
  const answers = async () => (await getJSON(sys.base, '/api/conversations/late-replica/messages')).body.messages
    .filter((m) => m.role === 'assistant').length;
  await waitFor(async () => (await answers()) === 1, { what: 'the answer delivered' });
  await sleep(500);
  assert.equal(await answers(), 1, 'delivered once');
});

// A replica away: the delivery is on the master, so the job completes with its answer (it
// failed, and the model was asked again, before), at once: asking the replicas again held
// the job's worker slot for 7 s, which starved the other shards of a sharded queue.
test('an answer whose delivery the replica never confirms in time still completes its job, asked once, at once', { timeout: 90000 }, async () => {
  const set = await startSentinelSet();
  const sys = await startSystem({ redis: {}, env: { ...set.env, REDIS_REPLICATION_TIMEOUT_MS: '500' } });
  const message = '[trickle] an answer kept on the master';
  const started = Date.now();
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'absent-replica', userId: 'u1', message });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  await sleep(300);
  set.replica.proc.kill('SIGSTOP');
  let done;
  try {
    done = await waitForJob(sys.base, sent.body.jobId, 40000);
  } finally {
    set.replica.proc.kill('SIGCONT');
  }
  assert.equal(done.status, 'completed', JSON.stringify(done));
  // The model streams for about 2.4 s; the tries took 7 s more (9.4 s and up).
  assert.ok(Date.now() - started < 8500, `completed ${Date.now() - started} ms after the send`);
  assert.match(sys.workers.output, /replicas did not confirm it within REDIS_REPLICATION_TIMEOUT_MS; completing the job/);
  const asked = sys.ai.requests.filter((r) => r.body.messages?.at(-1)?.content === message).length;
  assert.equal(asked, 1, 'the model was asked once');
  const answers = async () => (await getJSON(sys.base, '/api/conversations/absent-replica/messages')).body.messages
    .filter((m) => m.role === 'assistant').length;
  await waitFor(async () => (await answers()) === 1, { what: 'the answer delivered' });
});
