// The webhook-delivery queue end to end: signing, the retry policy by status, the 10 s
// timeout, TLS verification, every attempt visible through the API, and the guard against
// server-side request forgery. Deliveries are queued directly with Node's bullmq (as any
// producer could), so each test chooses its attempts and backoff.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSystem, startWorkers, freePort, getJSON, postJSON, waitFor, waitForJob, chatRoundTrip } from './system.mjs';
import { bullmq, onCleanup } from '../interop/support.mjs';

// A receiver that answers each path with the next status of its script (the last one
// repeats), records what it got, and can hang.
async function startReceiver(secret) {
  const scripts = new Map();
  const seen = [];
  const handler = (req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const id = req.headers['webhook-id'];
      const ts = req.headers['webhook-timestamp'];
      const expected = `v1,${createHmac('sha256', secret).update(`${id}.${ts}.${body}`).digest('base64')}`;
      seen.push({ path: req.url, id, ts, signature: req.headers['webhook-signature'], signatureValid: req.headers['webhook-signature'] === expected, body });
      const script = scripts.get(req.url) ?? [200];
      const status = script.length > 1 ? script.shift() : script[0];
      if (status === 'hang') return;  // never answers
      if (typeof status === 'string' && status.startsWith('endless-')) {
        // A status, then a body that never ends: 64 KiB every 20 ms until the client goes.
        res.writeHead(Number(status.slice('endless-'.length)), { 'content-type': 'text/plain' });
        const timer = setInterval(() => res.write('x'.repeat(65536)), 20);
        res.on('close', () => clearInterval(timer));
        return;
      }
      // { status, headers }: a status with headers of its own (Retry-After).
      const { status: code, headers = {} } = typeof status === 'object' ? status : { status };
      res.writeHead(code, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ status: code }));
    });
  };
  const server = http.createServer(handler);
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  onCleanup(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
  return { port, url: (p) => `http://127.0.0.1:${port}${p}`, script: (p, s) => scripts.set(p, [...s]), seen };
}

// An HTTPS server with a certificate no one signed.
async function startSelfSignedServer() {
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-e2e-tls-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'pipe' });
  const server = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) },
    (req, res) => { res.writeHead(200); res.end('{}'); });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  onCleanup(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
  return port;
}

let sys, receiver, tlsPort, deliveries, chats, closedPort;

// A chat job's delivery is deduplicated on its id and timestamp (ids can be handed out
// again after a failover that lost the newest adds).
// `kind`: job-completed (to the API's own receiver) or user-webhook (to a send's webhookUrl).
async function deliveryDedupId(jobId, kind = 'job-completed') {
  const job = await chats.getJob(jobId);
  return `${kind}-${jobId}-${job.timestamp}`;
}

// The id of the delivery a chat job queued for its answer, once it has queued it.
async function deliveryOf(jobId, kind = 'job-completed') {
  let deliveryId;
  await waitFor(async () => {
    deliveryId = await deliveries.getDeduplicationJobId(await deliveryDedupId(jobId, kind));
    return Boolean(deliveryId);
  }, { what: `the delivery of job ${jobId}` });
  return deliveryId;
}

// Deliveries that go neither to the API's receiver nor to a URL a user gave (these, queued
// by hand, and alert messages) are signed with OPERATOR_WEBHOOK_SECRET, not WEBHOOK_SECRET,
// whose key the API's receiver trusts.
const operatorSecret = 'e2e-operator-secret';

before(async () => {
  receiver = await startReceiver(operatorSecret);
  tlsPort = await startSelfSignedServer();
  closedPort = await freePort();
  sys = await startSystem({
    env: {
      WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port},127.0.0.1:${tlsPort} 127.0.0.1:${closedPort}`,
      OPERATOR_WEBHOOK_SECRET: operatorSecret,
    },
  });
  deliveries = new bullmq.Queue('webhook-delivery', { connection: sys.redis.connection });
  chats = new bullmq.Queue('ai-processing', { connection: sys.redis.connection });
  onCleanup(() => deliveries.close());
  onCleanup(() => chats.close());
});

async function deliver(id, url, { attempts = 5, delay = 100 } = {}) {
  await deliveries.add('test-hook', { url, payload: { hello: id } },
    { jobId: id, attempts, backoff: { type: 'exponential', delay } });
}

async function finished(id, timeout = 30000) {
  let last;
  await waitFor(async () => {
    last = await getJSON(sys.base, `/api/webhooks/deliveries/${id}`);
    return last.status === 200 && (last.body.state === 'completed' || last.body.state === 'failed');
  }, { timeout, what: `delivery ${id} to finish (last: ${JSON.stringify(last?.body)})` });
  return last.body;
}

test('5xx and 429 are retried with backoff until a 2xx; every attempt is signed with one id and visible', { timeout: 60000 }, async () => {
  receiver.script('/flaky', [503, 429, 200]);
  await deliver('d-flaky', receiver.url('/flaky'));
  const d = await finished('d-flaky');
  assert.equal(d.state, 'completed', JSON.stringify(d));
  assert.deepEqual(d.attempts.map((a) => a.status), [503, 429, 200]);
  assert.deepEqual(d.attempts.map((a) => a.attempt), [1, 2, 3]);
  for (const a of d.attempts) {
    assert.equal(typeof a.durationMs, 'number');
    assert.ok(a.at > Date.now() - 60000);
  }
  assert.match(d.attempts[0].error, /503/);
  assert.equal(d.failedReason, undefined, 'a completed delivery shows no failure (its attempts do)');
  assert.equal(d.url, receiver.url('/flaky'));
  const got = receiver.seen.filter((s) => s.path === '/flaky');
  assert.equal(got.length, 3);
  assert.ok(got.every((s) => s.id === 'd-flaky' && s.signatureValid), JSON.stringify(got));
  assert.deepEqual(JSON.parse(got[0].body), { hello: 'd-flaky' });
  // Its receiver cannot pass it on to the API's receiver (a webhook review stored a
  // forged answer through a delivery signed with WEBHOOK_SECRET).
  const last = got.at(-1);
  const replay = await fetch(`${sys.base}/api/webhooks/job-completed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': last.id, 'webhook-timestamp': last.ts, 'webhook-signature': last.signature },
    body: last.body,
  });
  assert.equal(replay.status, 401, await replay.text());
});

test('408, 401 and 403 are retried; another 4xx fails the delivery at once', { timeout: 60000 }, async () => {
  receiver.script('/timeout-then-ok', [408, 204]);
  // A receiver whose secret is being rotated refuses until both sides agree.
  receiver.script('/rotating', [401, 403, 204]);
  receiver.script('/gone', [410]);
  await deliver('d-408', receiver.url('/timeout-then-ok'));
  await deliver('d-rotating', receiver.url('/rotating'));
  await deliver('d-410', receiver.url('/gone'));
  const ok = await finished('d-408');
  assert.equal(ok.state, 'completed');
  assert.deepEqual(ok.attempts.map((a) => a.status), [408, 204]);
  const rotated = await finished('d-rotating');
  assert.equal(rotated.state, 'completed');
  assert.deepEqual(rotated.attempts.map((a) => a.status), [401, 403, 204]);
  const gone = await finished('d-410');
  assert.equal(gone.state, 'failed');
  assert.equal(gone.attemptsMade, 1);
  assert.match(gone.failedReason, /410/);
  assert.equal(gone.attempts.length, 1);
});

test('network errors are retried and recorded; the attempts run out into a failure', { timeout: 60000 }, async () => {
  await deliver('d-refused', `http://127.0.0.1:${closedPort}/nobody-home`, { attempts: 2 });
  const d = await finished('d-refused');
  assert.equal(d.state, 'failed');
  assert.equal(d.attemptsMade, 2);
  assert.equal(d.attempts.length, 2);
  for (const a of d.attempts) {
    assert.equal(a.status, undefined);
    assert.match(a.error, /connect/);
  }
});

test('a receiver that does not answer fails the attempt after 10 s', { timeout: 60000 }, async () => {
  receiver.script('/hang', ['hang']);
  const started = Date.now();
  await deliver('d-hang', receiver.url('/hang'), { attempts: 1 });
  const d = await finished('d-hang', 40000);
  const took = Date.now() - started;
  assert.equal(d.state, 'failed');
  assert.match(d.failedReason, /no answer in time/);
  assert.ok(d.attempts[0].durationMs >= 9500 && d.attempts[0].durationMs < 12000, JSON.stringify(d.attempts));
  assert.ok(took < 20000, `took ${took} ms`);
});

test('only the start of an answer is read: a receiver\'s endless body neither holds the attempt nor fills memory', { timeout: 60000 }, async () => {
  receiver.script('/endless-ok', ['endless-200']);
  receiver.script('/endless-bad', ['endless-400']);
  await deliver('d-endless-ok', receiver.url('/endless-ok'), { attempts: 1 });
  await deliver('d-endless-bad', receiver.url('/endless-bad'), { attempts: 1 });
  const ok = await finished('d-endless-ok');
  const bad = await finished('d-endless-bad');
  // Read to its end, the body would have held each attempt until the 10 s limit.
  assert.equal(ok.state, 'completed', JSON.stringify(ok));
  assert.equal(ok.attempts[0].status, 200);
  assert.ok(ok.attempts[0].durationMs < 5000, JSON.stringify(ok.attempts));
  assert.equal(bad.state, 'failed', JSON.stringify(bad));
  assert.equal(bad.attempts[0].status, 400);
  assert.equal(bad.attempts[0].error, 'x'.repeat(200));
  assert.ok(bad.attempts[0].durationMs < 5000, JSON.stringify(bad.attempts));
});

test('TLS certificates are verified', { timeout: 60000 }, async () => {
  await deliver('d-tls', `https://127.0.0.1:${tlsPort}/hook`, { attempts: 1 });
  const d = await finished('d-tls');
  assert.equal(d.state, 'failed');
  assert.match(d.failedReason, /TLS handshake .*certificate verify failed/);
});

test('the guard refuses loopback, private, link-local, metadata and mapped addresses, and names that resolve to them', { timeout: 60000 }, async () => {
  const before = receiver.seen.length;
  const targets = {
    'ssrf-metadata': 'http://169.254.169.254/latest/meta-data/',
    'ssrf-private': 'http://10.0.0.1/hook',
    'ssrf-private-172': 'http://172.16.5.4/hook',
    'ssrf-mapped': `http://[::ffff:127.0.0.1]:${receiver.port}/hook`,
    'ssrf-v6-loopback': `http://[::1]:${receiver.port}/hook`,
    'ssrf-name': `http://localhost:${receiver.port}/hook`,
    'ssrf-zero': `http://0.0.0.0:${receiver.port}/hook`,
    'ssrf-other-port': 'http://127.0.0.1:6379/',
    'ssrf-decimal': `http://2130706433:${receiver.port}/hook`,
    'ssrf-scheme': 'file:///etc/passwd',
  };
  for (const [id, url] of Object.entries(targets)) await deliver(id, url);
  for (const id of Object.keys(targets)) {
    const d = await finished(id);
    assert.equal(d.state, 'failed', id);
    assert.equal(d.attemptsMade, 1, `${id} must not be retried`);
    assert.match(d.failedReason, id === 'ssrf-scheme' ? /unsupported URL scheme/ : /refusing to connect/, `${id}: ${d.failedReason}`);
  }
  assert.match((await finished('ssrf-metadata')).failedReason, /cloud metadata/);
  assert.match((await finished('ssrf-mapped')).failedReason, /IPv4-mapped loopback/);
  assert.equal(receiver.seen.length, before, 'nothing reached the receiver');
});

test('the chat flow\'s job-completed webhook reaches the API (allowed by default) and shows its attempt', { timeout: 60000 }, async () => {
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'hooked', userId: 'u1', message: 'Hi' });
  assert.equal(sent.status, 200);
  const job = await waitForJob(sys.base, sent.body.jobId);
  assert.equal(job.status, 'completed');
  // The delivery's id is 128 random bits (issue 12); BullMQ's deduplication id names the
  // chat job, and still holds after the delivery finished, so a second completion of the
  // job would not queue it again.
  let deliveryId;
  await waitFor(async () => {
    deliveryId = await deliveries.getDeduplicationJobId(await deliveryDedupId(sent.body.jobId));
    return Boolean(deliveryId);
  }, { what: `the delivery of job ${sent.body.jobId}` });
  assert.match(deliveryId, /^[0-9a-f]{32}$/);
  const d = await finished(deliveryId);
  assert.equal(d.state, 'completed');
  assert.equal(await deliveries.getDeduplicationJobId(await deliveryDedupId(sent.body.jobId)), deliveryId);
  const delivery = await deliveries.getJob(deliveryId);
  assert.equal(delivery.data.payload.jobId, sent.body.jobId);
  assert.equal(delivery.data.payload.userId, 'u1');
  assert.equal(d.attempts.length, 1);
  assert.equal(d.attempts[0].status, 200);
  // An answer outlasts an API or database outage of hours: its delivery, to the API's own
  // receiver, is retried that long (delivery_policy.hpp).
  assert.equal(delivery.opts.attempts, 100);
  assert.deepEqual(delivery.opts.backoff, { type: 'webhook', delay: 1000 });
  assert.equal((await getJSON(sys.base, '/api/webhooks/deliveries/no-such-delivery')).status, 404);
});

test('a send\'s own webhookUrl keeps five attempts, behind the API\'s own deliveries: a receiver that hangs cannot hold the slots for hours', { timeout: 60000 }, async () => {
  const sent = await postJSON(sys.base, '/api/chat/send',
    { conversationId: 'own-hook', userId: 'u1', message: 'Hi', webhookUrl: receiver.url('/user-hook') });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const deliveryId = await deliveryOf(sent.body.jobId, 'user-webhook');
  const delivery = await deliveries.getJob(deliveryId);
  assert.equal(delivery.opts.attempts, 5);
  assert.deepEqual(delivery.opts.backoff, { type: 'exponential', delay: 1000 });
  assert.equal(delivery.opts.priority, 1, 'after the deliveries of answers to the API');
  // Signed with a key of its own, made from WEBHOOK_SECRET, which the API's receiver
  // refuses: the user's receiver cannot pass the answer on to the API as the workers'.
  await finished(deliveryId);
  const got = receiver.seen.find((s) => s.path === '/user-hook' && s.id === deliveryId);
  assert.ok(got, 'the delivery reached the user\'s receiver');
  assert.equal(got.signatureValid, false, 'not signed with WEBHOOK_SECRET');
  // The chat job's result names the delivery, which its sender can look up (its id was
  // only in the request to the receiver, which may never arrive).
  const status = await waitForJob(sys.base, sent.body.jobId);
  assert.equal(status.result.webhookDeliveryId, deliveryId, JSON.stringify(status));
  const looked = await getJSON(sys.base, `/api/webhooks/deliveries/${encodeURIComponent(deliveryId)}`);
  assert.equal(looked.status, 200, JSON.stringify(looked.body));
  assert.equal(looked.body.url, receiver.url('/user-hook'));
  // Signed with this user's own key (one per user: with one for all, a user could sign
  // what another user's receiver accepts), which GET /api/webhooks/signing-key hands out.
  const usersSecret = createHmac('sha256', 'e2e-secret').update('drover user webhook deliveries').digest();
  const root = createHmac('sha256', 'e2e-secret')
    .update(Buffer.concat([Buffer.from('drover per-user webhook keys\n'), usersSecret])).digest();
  const userKey = createHmac('sha256', root).update('drover webhook key of user\nu1').digest();
  const userSignature = `v1,${createHmac('sha256', userKey).update(`${got.id}.${got.ts}.${got.body}`).digest('base64')}`;
  assert.equal(got.signature, userSignature);
  const handed = await getJSON(sys.base, '/api/webhooks/signing-key?userId=u1');
  assert.equal(handed.status, 200, JSON.stringify(handed.body));
  assert.deepEqual(handed.body, { userId: 'u1', key: `whsec_${userKey.toString('base64')}` });
  const otherUsers = await getJSON(sys.base, '/api/webhooks/signing-key?userId=u2');
  assert.notEqual(otherUsers.body.key, handed.body.key);
  const replay = await fetch(`${sys.base}/api/webhooks/job-completed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': got.id, 'webhook-timestamp': got.ts, 'webhook-signature': got.signature },
    body: got.body,
  });
  assert.equal(replay.status, 401, await replay.text());
  // The answer reaches the API's own receiver too: it is in the conversation (a send with
  // a webhookUrl of its own kept none).
  await finished(await deliveryOf(sent.body.jobId));
  await waitFor(async () => (await getJSON(sys.base, '/api/conversations/own-hook/messages')).body.messages
    .some((m) => m.role === 'assistant'), { what: 'the answer in the conversation' });
});

test('a URL a user gave on the API\'s own address, other than its receiver, is refused: the API\'s address is let through for its own deliveries only', { timeout: 60000 }, async () => {
  const sent = await postJSON(sys.base, '/api/chat/send',
    { conversationId: 'hook-to-api', userId: 'u1', message: 'Hi', webhookUrl: `${sys.base}/api/admin/queues` });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const deliveryId = await deliveryOf(sent.body.jobId, 'user-webhook');
  const d = await finished(deliveryId);
  assert.equal(d.state, 'failed');
  assert.equal(d.attemptsMade, 1, 'not retried');
  assert.match(d.failedReason, /refusing to connect/);
});

// By address alone, http://x@<the API>/api/webhooks/job-completed passed as the API's own
// receiver: let through to loopback, signed with WEBHOOK_SECRET, outside the user's limits.
test('a URL a user gave that names the API\'s receiver itself is still the user\'s: refused, never signed with the API\'s key', { timeout: 60000 }, async () => {
  const url = new URL(`${sys.base}/api/webhooks/job-completed`);
  // With a user name (the review's "http://x@<the API>/...") it is refused at the door now.
  const named = new URL(url.href);
  named.username = 'x';
  const refused = await postJSON(sys.base, '/api/chat/send',
    { conversationId: 'hook-to-receiver', userId: 'u1', message: 'Hi', webhookUrl: named.href });
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  // Another spelling of the receiver's own address (the same as the API's own would be no
  // second delivery at all).
  url.search = '?via=user';
  const sent = await postJSON(sys.base, '/api/chat/send',
    { conversationId: 'hook-to-receiver', userId: 'u1', message: 'Hi', webhookUrl: url.href });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const d = await finished(await deliveryOf(sent.body.jobId, 'user-webhook'));
  assert.equal(d.state, 'failed');
  assert.equal(d.attemptsMade, 1, 'not retried');
  assert.match(d.failedReason, /refusing to connect/);
});

test('the "webhook" backoff (doubling, at most five minutes apart) is the delivery worker\'s own', { timeout: 60000 }, async () => {
  receiver.script('/capped', [503, 502, 200]);
  await deliveries.add('test-hook', { url: receiver.url('/capped'), payload: { hello: 'capped' } },
    { jobId: 'd-capped', attempts: 100, backoff: { type: 'webhook', delay: 100 } });
  const d = await finished('d-capped');
  assert.equal(d.state, 'completed', JSON.stringify(d));
  assert.deepEqual(d.attempts.map((a) => a.status), [503, 502, 200]);
  // 80-100 % of 100 ms, then of 200 ms.
  assert.ok(d.attempts[1].at - d.attempts[0].at >= 80, JSON.stringify(d.attempts));
  assert.ok(d.attempts[2].at - d.attempts[1].at >= 160, JSON.stringify(d.attempts));
});

test('a configured receiver\'s Retry-After (seconds or a date) is waited out before the next attempt', { timeout: 60000 }, async () => {
  const date = new Date(Date.now() + 6000).toUTCString();  // in whole seconds: 5-6 s ahead
  receiver.script('/busy', [{ status: 429, headers: { 'retry-after': '2' } }, { status: 503, headers: { 'retry-after': date } }, 200]);
  await deliveries.add('test-hook', { url: receiver.url('/busy'), payload: { hello: 'busy' } },
    { jobId: 'd-busy', attempts: 100, backoff: { type: 'webhook', delay: 100 } });
  const d = await finished('d-busy');
  assert.equal(d.state, 'completed', JSON.stringify(d));
  assert.deepEqual(d.attempts.map((a) => a.status), [429, 503, 200]);
  // Not 80-100 ms and 160-200 ms as the backoff alone gives: 2 s, then until the date
  // (5-6 s after the delivery was queued: at least 1 s after the second attempt, even if
  // the first came 2 s late).
  assert.ok(d.attempts[1].at - d.attempts[0].at >= 1900, JSON.stringify(d.attempts));
  assert.ok(d.attempts[2].at - d.attempts[1].at >= 1000, JSON.stringify(d.attempts));
});

test('receivers users gave that hang hold at most half the delivery slots: the API still gets its answers', { timeout: 90000 }, async () => {
  const hanging = await startReceiver('e2e-secret');
  hanging.script('/hang', ['hang']);
  const small = await startSystem({
    env: { WEBHOOK_CONCURRENCY: '4', WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${hanging.port}` },
  });
  // Six users' answers to a receiver that never answers: each attempt would hold a slot 10 s.
  for (let i = 0; i < 6; i++) {
    const r = await postJSON(small.base, '/api/chat/send',
      { conversationId: `hang-${i}`, userId: `u${i}`, message: 'Hi', webhookUrl: hanging.url('/hang') });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  await waitFor(() => hanging.seen.length >= 2, { what: 'the hanging receiver to be called' });
  // Another user's answer goes to the API on one of the slots left, at once.
  const started = Date.now();
  await chatRoundTrip(small, 'meanwhile', 'still answered?');
  const took = Date.now() - started;
  assert.ok(took < 6000, `answered after ${took} ms`);
  assert.ok(hanging.seen.length <= 2, `${hanging.seen.length} hanging deliveries at once (2 slots of 4)`);
});

test('one user\'s deliveries to a receiver that hangs go one at a time: another user\'s own webhookUrl is not held behind them', { timeout: 90000 }, async () => {
  const both = await startReceiver('e2e-secret');
  both.script('/hang', ['hang']);
  const small = await startSystem({
    env: { WEBHOOK_CONCURRENCY: '4', WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${both.port}` },
  });
  for (let i = 0; i < 6; i++) {
    const r = await postJSON(small.base, '/api/chat/send',
      { conversationId: `mallory-${i}`, userId: 'mallory', message: 'Hi', webhookUrl: both.url('/hang') });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  await waitFor(() => both.seen.some((s) => s.path === '/hang'), { what: 'the hanging receiver to be called' });
  const started = Date.now();
  const sent = await postJSON(small.base, '/api/chat/send',
    { conversationId: 'bob-1', userId: 'bob', message: 'Hi', webhookUrl: both.url('/bob') });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  await waitFor(() => both.seen.some((s) => s.path === '/bob'), { timeout: 8000, what: "bob's delivery" });
  const took = Date.now() - started;
  assert.ok(took < 6000, `bob's delivery came after ${took} ms`);
  assert.equal(both.seen.filter((s) => s.path === '/hang').length, 1, 'mallory\'s deliveries one at a time');
});

test('answers to an API at an address the Workers app does not know wait for the setting to be mended, then arrive', { timeout: 90000 }, async () => {
  const other = await startSystem({});
  await other.workers.stop();
  // The Workers app believes the API is elsewhere: its guard refuses the API's own address.
  const wrong = await startWorkers(other, [], { PUBLIC_URL: 'http://127.0.0.1:9' });
  const otherDeliveries = new bullmq.Queue('webhook-delivery', { connection: other.redis.connection });
  onCleanup(() => otherDeliveries.close());
  const sent = await postJSON(other.base, '/api/chat/send', { conversationId: 'moved-api', userId: 'u1', message: 'Hi' });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  let delivery;
  await waitFor(async () => {
    [delivery] = await otherDeliveries.getJobs(['delayed', 'failed']);
    return Boolean(delivery);
  }, { timeout: 20000, what: 'the delivery to be refused once' });
  // The API's own delivery (the job says so), not a user's URL given up after 5 tries.
  assert.notEqual(await delivery.getState(), 'failed', delivery.failedReason);
  assert.ok(delivery.opts.attempts > 5, JSON.stringify(delivery.opts));
  assert.match(delivery.failedReason, /PUBLIC_URL/);
  // Mended: the delivery waiting for its next attempt reaches the API.
  await wrong.stop();
  await startWorkers(other);
  // Its next attempt may have come already (its first retry waits about a second).
  if (await delivery.isDelayed()) await delivery.promote().catch(() => {});
  await waitFor(async () => (await getJSON(other.base, '/api/conversations/moved-api/messages')).body.messages
    .some((m) => m.role === 'assistant'), { timeout: 20000, what: 'the answer in the conversation' });
});

// The API took a PUBLIC_URL that is not a URL and queued every answer's delivery to it,
// where none could arrive (the Workers app refused it at its start): both apps refuse it.
test('a PUBLIC_URL that is not an http(s) URL stops the API at start', { timeout: 30000 }, async () => {
  await assert.rejects(startSystem({ env: { PUBLIC_URL: 'not-a-url' } }), /PUBLIC_URL is not an http\(s\) URL: 'not-a-url'/);
});
