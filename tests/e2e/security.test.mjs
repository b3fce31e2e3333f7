// security.test.mjs - identity and ownership from outside, as a security reviewer tries it:
// every user route and Socket.IO event with no token, a forged signature, a wrong
// algorithm, an expired token, another user's token and the owner's, on SQLite and
// PostgreSQL, with jobs added by the API and by a Node BullMQ producer; RS256 keys from a
// PEM file and ES256 keys from a JWKS file that is rotated while the API runs; and a
// production start that refuses unsafe settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir, networkInterfaces } from 'node:os';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startSystem, waitFor, freePort } from './system.mjs';
import { bullmq, onCleanup, DROVER_BIN } from '../interop/support.mjs';
import { HsIssuer, AsymmetricIssuer, unsignedToken, confusedToken, bearer, nowS } from './tokens.mjs';

const require = createRequire(import.meta.url);
const { io } = require('socket.io-client');

async function call(base, method, route, { token, body, headers = {}, raw } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) {
    payload = raw;
  } else if (body !== undefined) {
    h['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${base}${route}`, { method, headers: h, body: payload });
  return { status: res.status, headers: res.headers, body: await res.json().catch(() => null) };
}

function tempDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-security-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Waits until the job has finished, as its owner sees it.
async function finished(base, jobId, token) {
  let last;
  await waitFor(async () => {
    last = await call(base, 'GET', `/api/chat/job/${jobId}`, { token });
    return last.body && ['completed', 'failed'].includes(last.body.status);
  }, { timeout: 20000, what: `job ${jobId} to finish (last ${JSON.stringify(last?.body)})` });
  return last.body;
}

function connect(base, auth, extra = {}) {
  const socket = io(base, { transports: ['websocket'], reconnection: false, auth, ...extra });
  onCleanup(() => socket.close());
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket, error: null }));
    socket.once('connect_error', (err) => resolve({ socket, error: err }));
  });
}

const emitWithAck = (socket, event, arg) => new Promise((resolve) => socket.emit(event, arg, resolve));

for (const database of ['sqlite', 'postgres']) {
  test(`authorization matrix on ${database}: every route and event, six kinds of caller`, { timeout: 120000 }, async () => {
    const hs = new HsIssuer();
    const rsa = new AsymmetricIssuer('rsa');
    const sys = await startSystem({ database, env: { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, WEBHOOK_SECRET: 'whsec_' + Buffer.from('e2e-security-secret-0123456789ab').toString('base64') } });
    const alice = hs.token('alice');
    const bob = hs.token('bob');
    const conv = `conv-${database}`;

    // What alice owns: a conversation with a job, a document, a delivery; a job a Node
    // producer added for her.
    const sent = await call(sys.base, 'POST', '/api/chat/send', { token: alice, body: { conversationId: conv, message: 'hello' } });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const jobId = sent.body.jobId;
    assert.equal((await finished(sys.base, jobId, alice)).status, 'completed');
    const doc = await call(sys.base, 'POST', `/api/documents?conversationId=${conv}&filename=a.txt`,
      { token: alice, raw: 'alice private notes', headers: { 'content-type': 'text/plain' } });
    assert.equal(doc.status, 202, JSON.stringify(doc.body));
    assert.match(doc.body.documentId, /^[0-9a-f]{32}$/, 'a 128-bit random document id');
    const nodeQueue = new bullmq.Queue('ai-processing', { connection: sys.redis.connection });
    onCleanup(() => nodeQueue.close());
    const nodeJob = await nodeQueue.add('generate-response', { conversationId: conv, userId: 'alice', message: 'from node' });
    let delivery;
    const deliveries = new bullmq.Queue('webhook-delivery', { connection: sys.redis.connection });
    onCleanup(() => deliveries.close());
    await waitFor(async () => {
      const jobs = await deliveries.getJobs(['completed', 'waiting', 'active', 'delayed', 'failed']);
      delivery = jobs.find((j) => j.data?.payload?.jobId === jobId);
      return !!delivery;
    }, { timeout: 20000, what: 'the job-completed delivery' });

    const routes = [
      // [name, method, path, body/raw, owner's status, other user's status]
      ['send into the conversation', 'POST', '/api/chat/send', { body: { conversationId: conv, message: 'again' } }, 200, 404],
      ['poll the job', 'GET', `/api/chat/job/${jobId}`, {}, 200, 404],
      ['poll the Node-added job', 'GET', `/api/chat/job/${nodeJob.id}`, {}, 200, 404],
      ['read the history', 'GET', `/api/conversations/${conv}/messages`, {}, 200, 404],
      ['upload into the conversation', 'POST', `/api/documents?conversationId=${conv}&filename=b.txt`,
        { raw: 'more', headers: { 'content-type': 'text/plain' } }, 202, 404],
      ['read the document', 'GET', `/api/documents/${doc.body.documentId}`, {}, 200, 404],
      ['read the delivery', 'GET', `/api/webhooks/deliveries/${delivery.id}`, {}, 200, 404],
      ['write the assessment', 'PUT', '/api/users/alice/assessment', { body: { level: 'expert' } }, 200, 403],
      ['cancel the finished job', 'DELETE', `/api/chat/job/${jobId}`, {}, 409, 404],
    ];
    const expired = hs.token('alice', { exp: nowS() - 3600, iat: nowS() - 7200 });
    const callers = [
      ['no token', undefined],
      ['a forged signature', hs.forged('alice')],
      ['alg none', unsignedToken('alice')],
      ['an RS256 token', rsa.token('alice')],
      ['algorithm confusion', confusedToken(rsa, 'alice')],
      ['an expired token', expired],
    ];
    for (const [name, method, route, opts, ownerStatus, otherStatus] of routes) {
      for (const [who, token] of callers) {
        const r = await call(sys.base, method, route, { ...opts, token });
        assert.equal(r.status, 401, `${name} with ${who}: ${JSON.stringify(r.body)}`);
        assert.match(r.headers.get('www-authenticate') || '', /^Bearer/, `${name} with ${who} names the scheme`);
      }
      const other = await call(sys.base, method, route, { ...opts, token: bob });
      assert.equal(other.status, otherStatus, `${name} as another user: ${JSON.stringify(other.body)}`);
      const owner = await call(sys.base, method, route, { ...opts, token: alice });
      assert.equal(owner.status, ownerStatus, `${name} as the owner: ${JSON.stringify(owner.body)}`);
      // Private answers are never cached, and never read as anything but JSON.
      assert.equal(owner.headers.get('cache-control'), 'no-store', name);
      assert.equal(owner.headers.get('x-content-type-options'), 'nosniff', name);
    }
    // A body userId that is not the token's user; a missing conversation looks like someone else's.
    const spoof = await call(sys.base, 'POST', '/api/chat/send', { token: bob, body: { conversationId: 'bob-1', userId: 'alice', message: 'x' } });
    assert.equal(spoof.status, 403);
    assert.equal((await call(sys.base, 'GET', '/api/conversations/nobody-has-this/messages', { token: bob })).status, 404);
    // Bob cannot cancel alice's waiting job either: the job stays.
    const waiting = await nodeQueue.add('generate-response', { conversationId: conv, userId: 'alice', message: 'later' }, { delay: 60000 });
    assert.equal((await call(sys.base, 'DELETE', `/api/chat/job/${waiting.id}`, { token: bob })).status, 404);
    assert.equal(await (await nodeQueue.getJob(waiting.id)).getState(), 'delayed');
    assert.equal((await call(sys.base, 'DELETE', `/api/chat/job/${waiting.id}`, { token: alice })).status, 200);
    // Bob's own things work for him.
    const own = await call(sys.base, 'POST', '/api/chat/send', { token: bob, body: { conversationId: 'bob-1', message: 'mine' } });
    assert.equal(own.status, 200);
    assert.equal((await call(sys.base, 'GET', `/api/chat/job/${own.body.jobId}`, { token: bob })).status, 200);

    // Socket.IO: the CONNECT is refused with a reason for every bad token.
    for (const [who, token] of callers) {
      const { socket, error } = await connect(sys.base, token ? { token } : {});
      assert.ok(error, `socket with ${who} is refused`);
      assert.match(error.message, /token|Authentication/i, `socket with ${who}: ${error.message}`);
      socket.close();
    }
    const { socket: bobSocket, error: bobError } = await connect(sys.base, { token: bob });
    assert.equal(bobError, null);
    assert.equal((await emitWithAck(bobSocket, 'subscribe-job', jobId)).status, 404);
    assert.equal((await emitWithAck(bobSocket, 'join-conversation', conv)).status, 404);
    const { socket: aliceSocket, error: aliceError } = await connect(sys.base, {}, { extraHeaders: bearer(alice) });
    assert.equal(aliceError, null, 'the Authorization header works too');
    assert.equal((await emitWithAck(aliceSocket, 'subscribe-job', jobId)).ok, true);
    assert.equal((await emitWithAck(aliceSocket, 'join-conversation', conv)).ok, true);
    // Only alice hears alice's answer.
    const heard = { alice: [], bob: [] };
    aliceSocket.on('ai-response', (m) => heard.alice.push(m));
    bobSocket.on('ai-response', (m) => heard.bob.push(m));
    const next = await call(sys.base, 'POST', '/api/chat/send', { token: alice, body: { conversationId: conv, message: 'live' } });
    await waitFor(() => heard.alice.some((m) => m.jobId === next.body.jobId), { timeout: 20000, what: 'alice hears her answer' });
    assert.equal(heard.bob.length, 0);
  });
}

test('RS256 from a PEM file and ES256 from a JWKS file, rotated while the API runs', { timeout: 90000 }, async () => {
  const dir = tempDir();
  const rsa = new AsymmetricIssuer('rsa');
  writeFileSync(path.join(dir, 'key.pem'), rsa.publicPem());
  const pem = await startSystem({ env: { AUTH_MODE: 'jwt', AUTH_JWT_PUBLIC_KEY_FILE: path.join(dir, 'key.pem'), WEBHOOK_SECRET: 'rs-secret-not-dev-0123456789abcdef0123456789', AUTH_JWT_ISSUER: 'https://issuer.test', AUTH_JWT_AUDIENCE: 'drover' } });
  const good = rsa.token('carol', { iss: 'https://issuer.test', aud: ['other', 'drover'] });
  const send = (base, token) => call(base, 'POST', '/api/chat/send', { token, body: { conversationId: `c-${Math.random()}`, message: 'hi' } });
  assert.equal((await send(pem.base, good)).status, 200);
  assert.equal((await send(pem.base, rsa.token('carol', { iss: 'https://evil.test', aud: 'drover' }))).status, 401);
  assert.equal((await send(pem.base, rsa.token('carol', { iss: 'https://issuer.test', aud: 'other' }))).status, 401);
  assert.equal((await send(pem.base, new AsymmetricIssuer('rsa').token('carol', { iss: 'https://issuer.test', aud: 'drover' }))).status, 401);
  await pem.api.stop();

  const first = new AsymmetricIssuer('ec', 'k1');
  const second = new AsymmetricIssuer('ec', 'k2');
  const jwks = path.join(dir, 'jwks.json');
  writeFileSync(jwks, JSON.stringify({ keys: [first.jwk()] }));
  const sys = await startSystem({ env: { AUTH_MODE: 'jwt', AUTH_JWKS_FILE: jwks, WEBHOOK_SECRET: 'es-secret-not-dev-0123456789abcdef0123456789' } });
  assert.equal((await send(sys.base, first.token('dave'))).status, 200);
  assert.equal((await send(sys.base, second.token('dave'))).status, 401, 'unknown kid');
  // A Socket.IO session opened with the key that is then retired.
  const { socket, error } = await connect(sys.base, { token: first.token('dave') });
  assert.equal(error, null);
  const closed = new Promise((r) => socket.once('disconnect', r));
  writeFileSync(jwks, JSON.stringify({ keys: [second.jwk()] }));
  await waitFor(async () => (await send(sys.base, second.token('dave'))).status === 200, { timeout: 10000, what: 'the rotated key' });
  assert.equal((await send(sys.base, first.token('dave'))).status, 401, 'the retired key');
  // It ends at its next event once its identity is asked again (every 5 s at most), not at
  // the token's expiry.
  await new Promise((r) => setTimeout(r, 5500));
  socket.emit('subscribe-job', 'none');
  await waitFor(() => socket.disconnected, { timeout: 5000, what: 'the session of the retired key to end' });
  await closed;
});

test('a production start refuses unsafe settings; make run opts into development explicitly', { timeout: 30000 }, async () => {
  const port = String(await freePort());
  const start = (env) => spawnSync(DROVER_BIN, ['api'], {
    env: { PATH: process.env.PATH, PORT: port, REDIS_URL: 'redis://127.0.0.1:1', DATABASE_URL: 'sqlite::memory:', ...env },
    encoding: 'utf8', timeout: 15000,
  });
  const JWT_SECRET = 'jwt-secret-0123456789abcdefghijklmnop';
  const noKey = start({ WEBHOOK_SECRET: 'a-real-secret-0123456789abcdef0123456789' });
  assert.notEqual(noKey.status, 0);
  assert.match(noKey.stderr + noKey.stdout, /AUTH_JWT_SECRET|AUTH_MODE=none/);
  const devSecret = start({ AUTH_JWT_SECRET: JWT_SECRET, WEBHOOK_SECRET: 'dev-webhook-secret' });
  assert.notEqual(devSecret.status, 0);
  assert.match(devSecret.stderr + devSecret.stdout, /WEBHOOK_SECRET is the development default/);
  const noSecret = start({ AUTH_JWT_SECRET: JWT_SECRET });
  assert.notEqual(noSecret.status, 0);
  assert.match(noSecret.stderr + noSecret.stdout, /WEBHOOK_SECRET is not set/);
  // A secret short enough to try every value of against the receiver (a security review
  // forged a webhook through a one-byte whsec_ key in 256 tries) is refused by both apps.
  for (const weak of ['x', 'whsec_AA==', 'short-words-secret']) {
    const api = start({ AUTH_JWT_SECRET: JWT_SECRET, WEBHOOK_SECRET: weak });
    assert.notEqual(api.status, 0, weak);
    assert.match(api.stderr + api.stdout, /WEBHOOK_SECRET is too short/, weak);
  }
  // Dashboard credentials a day of throttled guessing could find.
  const good = { AUTH_JWT_SECRET: JWT_SECRET, WEBHOOK_SECRET: 'a-real-secret-0123456789abcdef0123456789' };
  const weakToken = start({ ...good, DASHBOARD_TOKEN: 'letmein' });
  assert.notEqual(weakToken.status, 0);
  assert.match(weakToken.stderr + weakToken.stdout, /DASHBOARD_TOKEN is too short/);
  assert.doesNotMatch(weakToken.stderr + weakToken.stdout, /letmein/);
  const weakUser = start({ ...good, DASHBOARD_USERS: 'admin:admin:admin' });
  assert.notEqual(weakUser.status, 0);
  assert.match(weakUser.stderr + weakUser.stdout, /the password of 'admin' is too short/);
  // Long enough but uniform (32 spaces, 24 zero bytes): as easy to guess as a short one.
  const uniform = [
    [{ ...good, AUTH_JWT_SECRET: ' '.repeat(32) }, /HS256 secret has only 1 different bytes/],
    [{ ...good, WEBHOOK_SECRET: 'whsec_' + Buffer.alloc(24).toString('base64') }, /WEBHOOK_SECRET has only 1 different bytes/],
    [{ ...good, DASHBOARD_TOKEN: 'a'.repeat(32) }, /DASHBOARD_TOKEN has only 1 different characters/],
  ];
  // One secret for two purposes: whoever holds the webhook secret could mint users' tokens.
  const shared = 'shared-secret-0123456789abcdefghijklmnopqrstuv';
  uniform.push([{ ...good, AUTH_JWT_SECRET: shared, WEBHOOK_SECRET: shared }, /AUTH_JWT_SECRET and WEBHOOK_SECRET are the same secret/]);
  uniform.push([{ ...good, DASHBOARD_TOKEN: JWT_SECRET }, /AUTH_JWT_SECRET and DASHBOARD_TOKEN are the same secret/]);
  // The same key in another encoding (a review minted users' tokens from the webhook
  // secret whsec_base64(AUTH_JWT_SECRET)), and the secrets the check had left out.
  const asWhsec = 'whsec_' + Buffer.from(JWT_SECRET).toString('base64');
  uniform.push([{ ...good, WEBHOOK_SECRET: asWhsec }, /AUTH_JWT_SECRET and WEBHOOK_SECRET are the same secret/]);
  // One whsec_ text reused as it is (an operator's drill started with it).
  const whsec = 'whsec_' + Buffer.from('reused-key-0123456789abcdefghijkl').toString('base64');
  uniform.push([{ ...good, WEBHOOK_SECRET: whsec, DASHBOARD_TOKEN: whsec }, /WEBHOOK_SECRET and DASHBOARD_TOKEN are the same secret/]);
  uniform.push([{ ...good, WEBHOOK_SECRET: whsec, METRICS_TOKEN: whsec }, /WEBHOOK_SECRET and METRICS_TOKEN are the same secret/]);
  const dashboardToken = 'dashboard-token-0123456789abcdefghijkl';
  uniform.push([{ ...good, DASHBOARD_TOKEN: dashboardToken, METRICS_TOKEN: dashboardToken }, /METRICS_TOKEN and DASHBOARD_TOKEN are the same secret/]);
  uniform.push([{ ...good, DASHBOARD_USERS: `ops:${JWT_SECRET}:viewer` }, /AUTH_JWT_SECRET and the DASHBOARD_USERS password of ops are the same secret/]);
  uniform.push([{ ...good, METRICS_TOKEN: 'abc' }, /METRICS_TOKEN is too easy to guess/]);
  // Read trimmed (a secret mounted from a file ends in a newline), so compared trimmed too;
  // and USER_WEBHOOK_SECRET, when set, is a secret of its own (a JWT review).
  uniform.push([{ ...good, METRICS_TOKEN: ` ${JWT_SECRET}\n` }, /AUTH_JWT_SECRET and METRICS_TOKEN are the same secret/]);
  uniform.push([{ ...good, USER_WEBHOOK_SECRET: JWT_SECRET }, /AUTH_JWT_SECRET and USER_WEBHOOK_SECRET are the same secret/]);
  // Settings that started and then failed every upload or every answer (a configuration review).
  uniform.push([{ ...good, DOCUMENT_MAX_BYTES: '300000000' }, /MAX_UPLOAD_BYTES_IN_FLIGHT \(268435456\) holds no upload of DOCUMENT_MAX_BYTES/]);
  uniform.push([{ ...good, DOCUMENT_MAX_BYTES: '18446744073709551615' }, /DOCUMENT_MAX_BYTES must be a number from 1 to 4294967296/]);
  uniform.push([{ ...good, MAX_UPLOAD_BYTES_PER_CLIENT: '1000' }, /MAX_UPLOAD_BYTES_PER_CLIENT \(1000\) holds no upload/]);
  uniform.push([{ ...good, PUBLIC_URL: 'http://127.0.0.1:5000?x=1' }, /PUBLIC_URL has a query/]);
  uniform.push([{ ...good, PUBLIC_URL: 'http://127.0.0.1:99999' }, /PUBLIC_URL has a port outside 1-65535/]);
  uniform.push([{ ...good, REDIS_URL: 'redis://:6380' }, /missing host in Redis URL/]);
  uniform.push([{ ...good, DATABASE_URL: 'sqlite:///tmp/x.db?mode=ro' }, /has a query/]);
  uniform.push([{ ...good, AUTH_JWT_ISSUER: 'https://issuer.example ' }, /AUTH_JWT_ISSUER begins or ends with white space/]);
  uniform.push([{ ...good, QUEUE_PREFIX: ' ' }, /QUEUE_PREFIX begins or ends with white space/]);
  // Settings ignored without a word, or refused by a misleading error (a configuration review).
  uniform.push([{ ...good, METRICS_BIND: '127.0.0.1' }, /METRICS_BIND is set but METRICS_PORT is not/]);
  uniform.push([{ ...good, METRICS_PORT: port }, /METRICS_PORT \(\d+\) is the API's own port/]);
  uniform.push([{ ...good, REDIS_TLS_INSECURE: 'yes' }, /REDIS_TLS_INSECURE is set but the connection to Redis is not TLS/]);
  // Any secret with a newline added is still the same one (a configuration review).
  uniform.push([{ ...good, WEBHOOK_SECRET: `${JWT_SECRET}\n` }, /AUTH_JWT_SECRET and WEBHOOK_SECRET are the same secret/]);
  for (const [env, said] of uniform) {
    const r = start(env);
    assert.notEqual(r.status, 0, JSON.stringify(env));
    assert.match(r.stderr + r.stdout, said);
  }
  // The Workers app, which signs the webhooks, refuses the same.
  const workers = (env) => spawnSync(DROVER_BIN, ['workers'], {
    env: { PATH: process.env.PATH, WORKERS_PORT: port, REDIS_URL: 'redis://127.0.0.1:1', DATABASE_URL: 'sqlite::memory:', ...env },
    encoding: 'utf8', timeout: 15000,
  });
  assert.match(workers({}).stderr + workers({}).stdout, /WEBHOOK_SECRET is not set/);
  assert.notEqual(workers({ WEBHOOK_SECRET: 'dev-webhook-secret' }).status, 0);
  // A metrics token the API refuses, refused by the Workers app too (its /metrics listens
  // on every interface in production).
  const weakMetrics = workers({ WEBHOOK_SECRET: 'a-real-secret-0123456789abcdef0123456789', METRICS_TOKEN: 'abc' });
  assert.notEqual(weakMetrics.status, 0);
  assert.match(weakMetrics.stderr + weakMetrics.stdout, /METRICS_TOKEN is too easy to guess/);
  const weakWorkers = workers({ WEBHOOK_SECRET: 'whsec_AA==' });
  assert.notEqual(weakWorkers.status, 0);
  assert.match(weakWorkers.stderr + weakWorkers.stdout, /WEBHOOK_SECRET is too short/);
  // Users' receivers must not get the key the API's receiver trusts.
  const realSecret = 'a-real-secret-0123456789abcdef0123456789';
  const sameKey = workers({ WEBHOOK_SECRET: realSecret, USER_WEBHOOK_SECRET: 'whsec_' + Buffer.from(realSecret).toString('base64') });
  assert.notEqual(sameKey.status, 0);
  assert.match(sameKey.stderr + sameKey.stdout, /USER_WEBHOOK_SECRET is the key of WEBHOOK_SECRET/);
  const weakUserSecret = workers({ WEBHOOK_SECRET: realSecret, USER_WEBHOOK_SECRET: 'short' });
  assert.match(weakUserSecret.stderr + weakUserSecret.stdout, /USER_WEBHOOK_SECRET is too short/);
  // Whoever scrapes /metrics holds no webhook key, current or being retired.
  const scraperHoldsKey = workers({ WEBHOOK_SECRET: realSecret, METRICS_TOKEN: 'metrics-token-0123456789abcdefghijkl',
    OPERATOR_WEBHOOK_SECRET_PREVIOUS: 'metrics-token-0123456789abcdefghijkl' });
  assert.notEqual(scraperHoldsKey.status, 0);
  assert.match(scraperHoldsKey.stderr + scraperHoldsKey.stdout,
    /OPERATOR_WEBHOOK_SECRET_PREVIOUS and METRICS_TOKEN are the same secret/);
  // Nor the receivers of alerts and hand-queued deliveries.
  const operatorSameKey = workers({ WEBHOOK_SECRET: realSecret, OPERATOR_WEBHOOK_SECRET: realSecret });
  assert.notEqual(operatorSameKey.status, 0);
  assert.match(operatorSameKey.stderr + operatorSameKey.stdout, /OPERATOR_WEBHOOK_SECRET is the key of WEBHOOK_SECRET/);
  const operatorWithNewline = workers({ WEBHOOK_SECRET: realSecret, OPERATOR_WEBHOOK_SECRET: `${realSecret}\n` });
  assert.notEqual(operatorWithNewline.status, 0);
  assert.match(operatorWithNewline.stderr + operatorWithNewline.stdout, /OPERATOR_WEBHOOK_SECRET is the key of WEBHOOK_SECRET/);
  const weakOperatorSecret = workers({ WEBHOOK_SECRET: realSecret, OPERATOR_WEBHOOK_SECRET: 'short' });
  assert.match(weakOperatorSecret.stderr + weakOperatorSecret.stdout, /OPERATOR_WEBHOOK_SECRET is too short/);
  // Redis over TLS that accepts any certificate: whoever sits on the path reads every job
  // and the password. Refused outside the development mode, by every app, however it is said.
  const insecure = /certificate verification is off .*refused outside the development mode/;
  for (const env of [{ REDIS_URL: 'rediss://127.0.0.1:1', REDIS_TLS_INSECURE: 'yes' }, { REDIS_URL: 'rediss://127.0.0.1:1?tls_verify=no' }]) {
    const api = start({ ...good, ...env });
    assert.notEqual(api.status, 0, JSON.stringify(env));
    assert.match(api.stderr + api.stdout, insecure);
    const w = workers({ WEBHOOK_SECRET: realSecret, ...env });
    assert.notEqual(w.status, 0, JSON.stringify(env));
    assert.match(w.stderr + w.stdout, insecure);
  }
  const flagged = spawnSync(DROVER_BIN, ['dashboard', '--redis', 'rediss://127.0.0.1:1?tls_verify=no'], {
    env: { PATH: process.env.PATH, DASHBOARD_PORT: port, DASHBOARD_TOKEN: dashboardToken }, encoding: 'utf8', timeout: 15000 });
  assert.notEqual(flagged.status, 0);
  assert.match(flagged.stderr + flagged.stdout, insecure);
  // The forged webhook the issue describes: with the development secret the API never
  // starts outside AUTH_MODE=none, so nobody can sign with it.
  const hs = new HsIssuer();
  const sys = await startSystem({ env: { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, WEBHOOK_SECRET: 'the-real-one-0123456789abcdef0123456789' } });
  const { createHmac } = await import('node:crypto');
  const body = JSON.stringify({ jobId: 'x', conversationId: 'victim', userId: 'v', result: { response: 'forged' } });
  const ts = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', 'dev-webhook-secret').update(`m1.${ts}.${body}`).digest('base64');
  const forged = await fetch(`${sys.base}/api/webhooks/job-completed`, { method: 'POST', body,
    headers: { 'content-type': 'application/json', 'webhook-id': 'm1', 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` } });
  assert.equal(forged.status, 401);
});

test('metrics behind METRICS_TOKEN and on a port of their own; readiness and errors name no host', { timeout: 60000 }, async () => {
  const SCRAPE_TOKEN = 'scrape-token-0123456789abcdefghijklmn';
  const hs = new HsIssuer();
  const metricsPort = String(await freePort());
  const sys = await startSystem({
    env: { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, WEBHOOK_SECRET: 'metrics-secret-not-dev-0123456789abcdef0123456789', METRICS_TOKEN: SCRAPE_TOKEN, METRICS_PORT: metricsPort },
  });
  // The API: /metrics moved to its own listener, which wants the token.
  assert.equal((await fetch(`${sys.base}/metrics`)).status, 404);
  const moved = `http://127.0.0.1:${metricsPort}/metrics`;
  assert.equal((await fetch(moved)).status, 401);
  assert.equal((await fetch(moved, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  const scraped = await fetch(moved, { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } });
  assert.equal(scraped.status, 200);
  assert.match(await scraped.text(), /drover_http_requests_total/);
  // The workers: the same token.
  const workers = `http://127.0.0.1:${sys.workersPort}/metrics`;
  assert.equal((await fetch(workers)).status, 401);
  assert.equal((await fetch(workers, { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } })).status, 200);
  // Production listens on every interface, and says where.
  assert.match(sys.api.output, /api: listening on http:\/\/0\.0\.0\.0:/);
  assert.match(sys.workers.output, /workers: listening on http:\/\/0\.0\.0\.0:/);

  // Guessing the token is throttled as dashboard logins are: 10 failures from one address,
  // then 429 with Retry-After, even for the right token (both apps).
  for (const url of [moved, workers]) {
    const statuses = [];
    for (let i = 0; i < 15; i++) {
      statuses.push((await fetch(url, { headers: { authorization: `Bearer guess-${i}` } })).status);
    }
    // The API's listener already saw one wrong token above.
    assert.deepEqual(statuses.slice(0, 9), Array(9).fill(401), `${url}: ${statuses}`);
    assert.deepEqual(statuses.slice(10), Array(5).fill(429), `${url}: ${statuses}`);
    const blocked = await fetch(url, { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } });
    assert.equal(blocked.status, 429, `${url}: a blocked address is refused before its token is checked`);
    assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
    assert.equal((await fetch(url)).status, 401, 'no credentials is a prompt, not a failure');
  }

  // Redis away: /readyz and the refusals say what is away, never where.
  await sys.redis.stop();
  const host = `127.0.0.1:${sys.redis.port}`;
  for (const base of [sys.base, `http://127.0.0.1:${sys.workersPort}`]) {
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 503);
    const text = await ready.text();
    assert.ok(!text.includes(host) && !text.includes(String(sys.redis.port)), `readyz names no host: ${text}`);
  }
  const refused = await call(sys.base, 'GET', '/api/chat/job/1', { token: hs.token('erin') });
  assert.equal(refused.status, 503);
  assert.ok(!JSON.stringify(refused.body).includes(String(sys.redis.port)), JSON.stringify(refused.body));
});

test('production without METRICS_TOKEN serves /metrics on a loopback listener only', { timeout: 60000 }, async () => {
  const hs = new HsIssuer();
  const secret = 'metrics-secret-not-dev-0123456789abcdef0123456789';
  // The public port (and the Workers app on every interface): queue names and counts are
  // nobody's business, so 403 saying what to set.
  const open = await startSystem({ env: { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, WEBHOOK_SECRET: secret } });
  for (const url of [`${open.base}/metrics`, `http://127.0.0.1:${open.workersPort}/metrics`]) {
    const refused = await fetch(url);
    assert.equal(refused.status, 403, url);
    assert.match((await refused.json()).error, /METRICS_TOKEN/);
  }
  assert.match(open.api.output, /\/metrics answers 403/);
  assert.match(open.workers.output, /\/metrics answers 403/);
  await open.api.stop();
  await open.workers.stop();
  // METRICS_PORT on its loopback default, and the Workers app on loopback: a private
  // listener, served without a token.
  const metricsPort = String(await freePort());
  const moved = await startSystem({
    env: { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, WEBHOOK_SECRET: secret, METRICS_PORT: metricsPort, WORKERS_BIND: '127.0.0.1' },
  });
  for (const url of [`http://127.0.0.1:${metricsPort}/metrics`, `http://127.0.0.1:${moved.workersPort}/metrics`]) {
    const scraped = await fetch(url);
    assert.equal(scraped.status, 200, url);
    assert.match(await scraped.text(), /drover_redis_up/);
  }
});

test('the development mode listens on loopback only by default; production on every interface', { timeout: 60000 }, async () => {
  const sys = await startSystem();  // AUTH_MODE=none, no BIND or WORKERS_BIND
  assert.match(sys.api.output, /api: listening on http:\/\/127\.0\.0\.1:/);
  assert.match(sys.workers.output, /workers: listening on http:\/\/127\.0\.0\.1:/);
  // From another of this machine's addresses, if it has one, nothing answers.
  const outside = Object.values(networkInterfaces()).flat().find((a) => a.family === 'IPv4' && !a.internal);
  if (outside) {
    for (const port of [sys.apiPort, sys.workersPort]) {
      const refused = await new Promise((resolve) => {
        const s = net.connect({ host: outside.address, port }, () => { s.destroy(); resolve(false); });
        s.on('error', () => resolve(true));
      });
      assert.ok(refused, `nothing listens on ${outside.address}:${port}`);
    }
  }
  // The README's quick start keeps working through localhost.
  assert.equal((await fetch(`http://localhost:${sys.apiPort}/healthz`)).status, 200);

  // A page on any name the attacker points at 127.0.0.1 (DNS rebinding) gets nothing from
  // the API without authentication: not a job's answer, a send, nor Socket.IO's handshake.
  const asNamed = (host, method, route, body) => new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: sys.apiPort, method, path: route,
      headers: { host, origin: `http://${host}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  const rebound = `rebind.evil.test:${sys.apiPort}`;
  for (const [method, route, body] of [['GET', '/api/chat/job/1'],
    ['POST', '/api/chat/send', JSON.stringify({ conversationId: 'c', userId: 'u', message: 'hi' })],
    ['GET', '/socket.io/?EIO=4&transport=polling']]) {
    const res = await asNamed(rebound, method, route, body);
    assert.equal(res.status, 403, `${method} ${route}: ${res.text}`);
    assert.match(JSON.parse(res.text).error, /AUTH_MODE=none/);
  }
  assert.equal((await asNamed(`127.0.0.1:${sys.apiPort}`, 'GET', '/api/chat/job/1')).status, 404);

  // A page of another site, on the right Host: a form or a text upload needs no CORS
  // preflight (an HTTP review uploaded documents from https://evil.example). Refused
  // when the browser names another site; the API's own page and curl (neither header) pass.
  const upload = (headers) => fetch(`${sys.base}/api/documents?conversationId=c1&filename=n.txt`, {
    method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: 'some notes',
  });
  for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' },
    { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }]) {
    const res = await upload(headers);
    assert.equal(res.status, 403, JSON.stringify(headers));
    assert.match((await res.json()).error, /cross-site request refused/);
  }
  const own = await upload({ origin: `http://127.0.0.1:${sys.apiPort}`, 'sec-fetch-site': 'same-origin' });
  assert.equal(own.status, 202, await own.text());
  const tool = await upload({});
  assert.equal(tool.status, 202, await tool.text());
});

test('a listener that cannot start names its address and port', { timeout: 30000 }, async () => {
  const port = await freePort();
  const run = (env) => spawnSync(DROVER_BIN, ['api'], {
    env: { ...process.env, AUTH_MODE: 'none', REDIS_URL: 'redis://127.0.0.1:1', DATABASE_URL: 'sqlite::memory:', PORT: String(port), ...env },
    encoding: 'utf8', timeout: 15000,
  });
  const named = run({ BIND: 'api.internal' });
  assert.notEqual(named.status, 0);
  assert.match(named.stderr, /cannot listen on api\.internal: BIND must be an IP address \(e\.g\. 127\.0\.0\.1 or ::1\), not a host name/);
  const holder = net.createServer();
  await new Promise((r) => holder.listen(port, '127.0.0.1', r));
  onCleanup(() => holder.close());
  const busy = run({ BIND: '127.0.0.1' });
  assert.notEqual(busy.status, 0);
  assert.match(busy.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`));
  assert.ok(!/\.hpp|\[system:/.test(busy.stderr), busy.stderr);
});

test('failed dashboard logins are throttled per address and per user name', { timeout: 60000 }, async () => {
  const sys = await startSystem({ env: { DASHBOARD_USERS: 'olga:right-password:admin' } });
  const login = (user, password) => fetch(`${sys.base}/api/admin/session`, {
    headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
  });
  assert.equal((await login('olga', 'right-password')).status, 200);
  const statuses = [];
  for (let i = 0; i < 12; i++) statuses.push((await login('olga', `guess-${i}`)).status);
  assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401));
  assert.deepEqual(statuses.slice(10), [429, 429], 'past 10 failures from one address');
  const blocked = await login('olga', 'right-password');
  assert.equal(blocked.status, 429, 'a blocked address is refused before its credentials are checked');
  assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
  // No credentials at all is a prompt, not a failure.
  assert.equal((await fetch(`${sys.base}/api/admin/session`)).status, 401);
});

test("after Redis lost its data, a repeated job id carries no other user's events to an earlier subscriber", { timeout: 90000 }, async () => {
  const hs = new HsIssuer();
  const sys = await startSystem({ env: { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, WEBHOOK_SECRET: 'reuse-secret-not-dev-0123456789abcdef0123456789' } });
  const alice = hs.token('alice');
  const bob = hs.token('bob');
  const mine = [];
  for (const message of ['a-one', 'a-two']) {
    const sent = await call(sys.base, 'POST', '/api/chat/send', { token: alice, body: { conversationId: 'alice-c', message } });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    await finished(sys.base, sent.body.jobId, alice);
    mine.push(sent.body.jobId);
  }
  // Alice follows her first job before the loss, and her second one after it, when only
  // the database still knows it: both are hers, and both are answered.
  const { socket } = await connect(sys.base, { token: alice });
  const heard = [];
  for (const name of ['job-progress', 'job-completed', 'job-failed']) socket.on(name, (p) => heard.push({ name, p }));
  assert.equal((await emitWithAck(socket, 'subscribe-job', mine[0])).ok, true);
  await waitFor(() => heard.some((e) => e.name === 'job-completed' && e.p.jobId === mine[0]), { what: 'her first answer' });

  const raw = await sys.redis.raw();
  await raw.flushall();  // the data loss: ids start again from 1
  await finished(sys.base, mine[1], alice);  // from job_logs now, once the relay has written its row
  const late = await emitWithAck(socket, 'subscribe-job', mine[1]);
  assert.equal(late.ok, true, JSON.stringify(late));
  await waitFor(() => heard.some((e) => e.name === 'job-completed' && e.p.jobId === mine[1]), { what: 'her second answer, from the record' });
  const heardBefore = heard.length;

  // The API's own sends go on above every id it knows: none takes one of Alice's.
  const first = await call(sys.base, 'POST', '/api/chat/send', { token: bob, body: { conversationId: 'bob-c', message: 'bob-secret-one' } });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.ok(!mine.includes(first.body.jobId), `bob's job took alice's id ${first.body.jobId}`);
  await finished(sys.base, first.body.jobId, bob);
  // Another program on the queue (Node's Queue) counts from wherever the counter is: after
  // a second loss its jobs take Alice's ids again, and they are Bob's. Bob follows the
  // second while it streams (400 ms a chunk): he stays in its room, and hears its progress and
  // its end through it; Alice, who followed that id before, hears none of it.
  await raw.flushall();
  const { socket: bobSocket } = await connect(sys.base, { token: bob });
  const bobHeard = [];
  for (const name of ['job-progress', 'job-completed']) bobSocket.on(name, (p) => bobHeard.push({ name, p }));
  const other = new bullmq.Queue('ai-processing', { connection: sys.redis.connection });
  onCleanup(() => other.close());
  const before = await other.add('generate-response', { conversationId: 'bob-c', userId: 'bob', message: 'bob-secret-two' });
  const repeated = await other.add('generate-response', { conversationId: 'bob-c', userId: 'bob', message: 'bob-secret-three [trickle]' });
  assert.deepEqual([before.id, repeated.id], mine, "another producer's jobs took alice's ids again");
  assert.equal((await emitWithAck(bobSocket, 'subscribe-job', repeated.id)).ok, true);
  await waitFor(() => bobHeard.some((e) => e.name === 'job-completed'), { timeout: 20000, what: "bob's answer" });
  assert.ok(bobHeard.filter((e) => e.name === 'job-progress').length >= 2, JSON.stringify(bobHeard));
  assert.ok(bobHeard.every((e) => e.p.jobId === repeated.id));
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.deepEqual(heard.slice(heardBefore), [], "alice heard none of bob's events");
});

test('wrong dashboard tokens from many addresses do not lock the token out', { timeout: 60000 }, async () => {
  const token = 'lockout-token-0123456789abcdef0123456789';
  const sys = await startSystem({ env: { TRUSTED_PROXIES: '127.0.0.1', DASHBOARD_TOKEN: token } });
  const queues = async (forwarded, bearer) => (await fetch(`${sys.base}/api/admin/queues`, {
    headers: { authorization: `Bearer ${bearer}`, 'x-forwarded-for': forwarded } })).status;
  // 30 failures, past any per-name allowance (20), each address up to its own (10).
  for (const address of ['198.51.100.21', '198.51.100.22', '198.51.100.23']) {
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push(await queues(address, `wrong-${i}`));
    assert.deepEqual(statuses, Array(10).fill(401), `${address}: ${statuses}`);
    assert.equal(await queues(address, 'wrong-again'), 429, `${address} is throttled`);
  }
  assert.equal(await queues('198.51.100.24', token), 200, 'the token holder, from another address');
});

test('a job that has already finished sends its final event on subscribe-job; an unstarted conversation is claimed by its first joiner', { timeout: 60000 }, async () => {
  const hs = new HsIssuer();
  const sys = await startSystem({ env: { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, WEBHOOK_SECRET: 'late-secret-not-dev-0123456789abcdef0123456789' } });
  const frank = hs.token('frank');
  const sent = await call(sys.base, 'POST', '/api/chat/send', { token: frank, body: { conversationId: 'late-1', message: 'hi' } });
  await finished(sys.base, sent.body.jobId, frank);
  const { socket } = await connect(sys.base, { token: frank });
  const final = new Promise((resolve) => socket.once('job-completed', resolve));
  assert.equal((await emitWithAck(socket, 'subscribe-job', sent.body.jobId)).ok, true);
  const event = await final;
  assert.equal(event.jobId, sent.body.jobId);
  assert.ok(event.result.response.length > 0);

  // Grace joins a conversation nobody started: it is hers, and Frank cannot take it.
  const { socket: grace } = await connect(sys.base, { token: hs.token('grace') });
  assert.equal((await emitWithAck(grace, 'join-conversation', 'fresh-1')).ok, true);
  assert.equal((await emitWithAck(socket, 'join-conversation', 'fresh-1')).status, 404);
  const taken = await call(sys.base, 'POST', '/api/chat/send', { token: frank, body: { conversationId: 'fresh-1', message: 'mine?' } });
  assert.equal(taken.status, 404);

  // An API client's review: every event a client waits on answers. Leaving answers ok;
  // an event nobody handles answers 400 (a client waiting for its ack waited for good).
  assert.equal((await emitWithAck(grace, 'unsubscribe-job', sent.body.jobId)).ok, true);
  assert.equal((await emitWithAck(grace, 'leave-conversation', 'fresh-1')).ok, true);
  const unknown = await emitWithAck(grace, 'no-such-event', 'x');
  assert.equal(unknown.status, 400);
  assert.match(unknown.error, /Unknown event 'no-such-event'/);
  // Without an ack it comes as subscribe-failed, as the other refusals do (a contract
  // review's mistyped 'subscribe-jobs' met silence).
  const told = new Promise((resolve) => grace.once('subscribe-failed', resolve));
  grace.emit('subscribe-jobs', 'x');
  const refusal = await told;
  assert.deepEqual(refusal, { status: 400, error: "Unknown event 'subscribe-jobs'", event: 'subscribe-jobs' });
  // "." and ".." cannot be a conversation: no URL names them (the history was unreadable).
  for (const conversationId of ['.', '..']) {
    const dots = await call(sys.base, 'POST', '/api/chat/send', { token: frank, body: { conversationId, message: 'x' } });
    assert.equal(dots.status, 400, JSON.stringify(dots.body));
    assert.equal((await emitWithAck(socket, 'join-conversation', conversationId)).status, 400);
  }
  // Two Authorization headers are refused, not the first one taken: on a route, and on a
  // Socket.IO handshake, which no route admits (it took the first).
  const twice = (target) => new Promise((resolve, reject) => {
    const req = http.request(`${sys.base}${target}`,
      { headers: [['Authorization', `Bearer ${frank}`], ['Authorization', `Bearer ${hs.token('grace')}`]] }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
    req.on('error', reject);
    req.end();
  });
  assert.equal(await twice(`/api/chat/job/${sent.body.jobId}`), 400);
  assert.equal(await twice('/socket.io/?EIO=4&transport=polling'), 400);
  // Another user's signing key is refused, not answered with the caller's own.
  assert.equal((await call(sys.base, 'GET', '/api/webhooks/signing-key?userId=grace', { token: frank })).status, 403);
  assert.equal((await call(sys.base, 'GET', '/api/webhooks/signing-key?userId=frank', { token: frank })).status, 200);
});

test('a Socket.IO session ends when its token expires, and the token cannot open another', { timeout: 60000 }, async () => {
  const hs = new HsIssuer();
  const sys = await startSystem({ env: { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, AUTH_JWT_LEEWAY_S: '1',
    WEBHOOK_SECRET: 'expiry-secret-not-dev-0123456789abcdef0123456789' } });
  const exp = nowS() + 3;
  const short = hs.token('ivan', { exp });
  const { socket, error } = await connect(sys.base, { token: short });
  assert.equal(error, null);
  assert.equal((await emitWithAck(socket, 'join-conversation', 'ivan-1')).ok, true);
  const ended = await new Promise((resolve) => socket.once('disconnect', (reason) => resolve({ reason, at: Date.now() })));
  // Not before exp and the leeway (1 s), counted in milliseconds.
  assert.ok(ended.at >= (exp + 1) * 1000, `ended at ${ended.at} ms, before exp ${exp} s and the leeway (${ended.reason})`);
  const again = await connect(sys.base, { token: short });
  assert.match(again.error?.message || '', /token expired/);
  // A fresh token is a new session, as usual.
  const renewed = await connect(sys.base, { token: hs.token('ivan') });
  assert.equal(renewed.error, null);
  assert.equal((await emitWithAck(renewed.socket, 'join-conversation', 'ivan-1')).ok, true);
});

test('behind a trusted proxy each client has its own address budget; nobody else can claim an address', { timeout: 60000 }, async () => {
  const hs = new HsIssuer();
  const sys = await startSystem({ env: { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, WEBHOOK_SECRET: 'proxy-secret-not-dev-0123456789abcdef0123456789',
    TRUSTED_PROXIES: '127.0.0.1', RATE_LIMIT_SEND_ADDRESS: '1/m,2' } });
  const send = (forwarded, i) => call(sys.base, 'POST', '/api/chat/send',
    { token: hs.token(`p-${forwarded}-${i}`), body: { conversationId: `p-${forwarded}-${i}`, message: 'x' }, headers: { 'x-forwarded-for': `6.6.6.6, ${forwarded}` } });
  const first = [];
  for (let i = 0; i < 3; i++) first.push((await send('198.51.100.1', i)).status);
  assert.deepEqual(first, [200, 200, 429]);
  assert.equal((await send('198.51.100.2', 0)).status, 200, 'another client behind the same proxy');
  // An IPv6 client is its /64: new addresses inside it share one budget.
  const v6 = [];
  for (let i = 0; i < 3; i++) v6.push((await send(`2001:db8:5:6::${i + 1}`, i)).status);
  assert.deepEqual(v6, [200, 200, 429]);
  assert.equal((await send('2001:db8:5:7::1', 0)).status, 200, 'the next /64 is another client');
  // A port after the address (as some load balancers write it) is the same client.
  const ported = [];
  for (let i = 0; i < 3; i++) ported.push((await send(`198.51.100.3:${1000 + i}`, i)).status);
  assert.deepEqual(ported, [200, 200, 429]);
  // Text that is no address is not a budget of its own: it counts as the proxy that
  // passed it on (127.0.0.1 here), whatever it says.
  const garbage = [];
  for (let i = 0; i < 3; i++) garbage.push((await send(`not-an-address-${i}`, i)).status);
  assert.deepEqual(garbage, [200, 200, 429]);
  // Two X-Forwarded-For lines are one list: the proxy's own line, the last, is read, not
  // the first, which the client wrote.
  const twoLines = (first, i) => new Promise((resolve, reject) => {
    const body = JSON.stringify({ conversationId: `two-${first}-${i}`, message: 'x' });
    const req = http.request(`${sys.base}/api/chat/send`, { method: 'POST' }, (res) => { res.resume(); resolve(res.statusCode); });
    req.setHeader('authorization', `Bearer ${hs.token(`two-${first}-${i}`)}`);
    req.setHeader('content-type', 'application/json');
    req.setHeader('x-forwarded-for', [first, '198.51.100.4']);
    req.on('error', reject);
    req.end(body);
  });
  const lines = [];
  for (let i = 0; i < 3; i++) lines.push(await twoLines(`7.7.7.${i}`, i));
  assert.deepEqual(lines, [200, 200, 429]);
});

test("the dashboard's event stream throttles failed logins per client behind a trusted proxy", { timeout: 60000 }, async () => {
  const token = 'events-token-0123456789abcdef0123456789';
  const sys = await startSystem({ env: { TRUSTED_PROXIES: '127.0.0.1', DASHBOARD_TOKEN: token } });
  const events = async (forwarded, bearer) => {
    const abort = new AbortController();
    const res = await fetch(`${sys.base}/api/admin/events`, {
      headers: { authorization: `Bearer ${bearer}`, 'x-forwarded-for': forwarded }, signal: abort.signal });
    const status = res.status;
    abort.abort();
    return status;
  };
  const guesses = [];
  for (let i = 0; i < 12; i++) guesses.push(await events('198.51.100.9', `guess-${i}`));
  assert.deepEqual(guesses.slice(0, 10), Array(10).fill(401), String(guesses));
  assert.deepEqual(guesses.slice(10), [429, 429], String(guesses));
  // Another client behind the same proxy is not locked out by the guesser.
  assert.equal(await events('198.51.100.10', token), 200);
  // Two Authorization headers are refused, as on every route (the stream took the first).
  const twice = await new Promise((resolve, reject) => {
    const req = http.request(`${sys.base}/api/admin/events`,
      { headers: [['Authorization', `Bearer ${token}`], ['Authorization', 'Bearer other']] }, (res) => {
        res.resume();
        resolve(res.statusCode);
        req.destroy();
      });
    req.on('error', reject);
    req.end();
  });
  assert.equal(twice, 400);
});

test("each user's uploads fit in DOCUMENT_QUOTA_BYTES; deleting a document frees its share, and only its owner can", { timeout: 60000 }, async () => {
  const hs = new HsIssuer();
  const sys = await startSystem({ env: { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, DOCUMENT_QUOTA_BYTES: '50',
    WEBHOOK_SECRET: 'quota-secret-not-dev-0123456789abcdef0123456789' } });
  const [alice, bob] = [hs.token('alice'), hs.token('bob')];
  const upload = (token, text) => call(sys.base, 'POST', '/api/documents?filename=n.txt',
    { token, raw: text, headers: { 'content-type': 'text/plain' } });
  const first = await upload(alice, 'x'.repeat(30));
  assert.equal(first.status, 202, JSON.stringify(first.body));
  const over = await upload(alice, 'y'.repeat(30));
  assert.equal(over.status, 413, JSON.stringify(over.body));
  assert.match(over.body.error, /take 30 of your 50 bytes/);
  // Another user's quota is their own.
  assert.equal((await upload(bob, 'z'.repeat(30))).status, 202);
  // Only the owner deletes (404 otherwise, as for a read).
  const id = first.body.documentId;
  assert.equal((await call(sys.base, 'DELETE', `/api/documents/${id}`, { token: bob })).status, 404);
  const gone = await call(sys.base, 'DELETE', `/api/documents/${id}`, { token: alice });
  assert.equal(gone.status, 200, JSON.stringify(gone.body));
  assert.deepEqual(gone.body, { id, deleted: true });
  assert.equal((await call(sys.base, 'GET', `/api/documents/${id}`, { token: alice })).status, 404);
  assert.equal((await call(sys.base, 'DELETE', `/api/documents/${id}`, { token: alice })).status, 404);
  assert.equal((await upload(alice, 'y'.repeat(30))).status, 202, 'the freed share is usable again');
});

test("a user's uploads still queued or processing stop at MAX_UNFINISHED_DOCUMENTS_PER_USER; another user's are served", { timeout: 60000 }, async () => {
  const hs = new HsIssuer();
  const sys = await startSystem({ env: { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret,
    WEBHOOK_SECRET: 'unfinished-secret-not-dev-0123456789abcdef0123456789' } });
  // No document worker: every upload stays queued, as behind a slow PDF.
  await sys.workers.stop();
  const [alice, bob] = [hs.token('alice'), hs.token('bob')];
  const upload = (token, text) => call(sys.base, 'POST', '/api/documents?filename=n.txt',
    { token, raw: text, headers: { 'content-type': 'text/plain' } });
  const ids = [];
  for (let i = 0; i < 3; i++) {
    const res = await upload(alice, `text ${i}`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    ids.push(res.body.documentId);
  }
  const refused = await upload(alice, 'one more');
  assert.equal(refused.status, 429, JSON.stringify(refused.body));
  assert.equal(refused.headers.get('retry-after'), '5');
  assert.match(refused.body.error, /3 of your documents are still being processed/);
  assert.equal((await upload(bob, 'his own')).status, 202);
  // A deleted one no longer counts.
  assert.equal((await call(sys.base, 'DELETE', `/api/documents/${ids[0]}`, { token: alice })).status, 200);
  assert.equal((await upload(alice, 'now it fits')).status, 202);
});
