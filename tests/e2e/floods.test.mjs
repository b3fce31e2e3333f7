// floods.test.mjs - no single client exhausts the API: a burst over the rate limit, 10,000
// Socket.IO joins in one polling POST, 500 idle sockets, 50 parallel maximum-size uploads;
// connections that announce uploads and never send them; a history too large for one reply;
// and, with small limits, Socket.IO sessions from one address and conversations started by
// joins.
// Each flood is bounded in count and time, the API's memory stays under a stated bound,
// and an honest client is served throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import net from 'node:net';
import { startSystem, waitFor } from './system.mjs';
import { onCleanup } from '../interop/support.mjs';
import { HsIssuer } from './tokens.mjs';

const require = createRequire(import.meta.url);
const { io } = require('socket.io-client');

const MiB = 1024 * 1024;
const RSS_BOUND = 256 * MiB;  // the API's resident memory, whatever a flood does
const rssOf = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

async function send(base, token, conversationId, message = 'hi') {
  const res = await fetch(`${base}/api/chat/send`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ conversationId, message }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json().catch(() => null) };
}

function socketFor(base, token, opts = {}) {
  const socket = io(base, { transports: ['websocket'], reconnection: false, auth: { token }, ...opts });
  onCleanup(() => socket.close());
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

// An honest user: their own socket joins their own conversation and hears their answer.
async function honestRoundTrip(base, token, conversationId) {
  const first = await send(base, token, conversationId, 'start');
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const socket = await socketFor(base, token);
  const joined = await new Promise((resolve) => socket.emit('join-conversation', conversationId, resolve));
  assert.equal(joined.ok, true);
  const heard = [];
  socket.on('ai-response', (m) => heard.push(m));
  const sent = await send(base, token, conversationId, 'are you there?');
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  await waitFor(() => heard.some((m) => m.jobId === sent.body.jobId), { timeout: 20000, what: 'the honest answer' });
  socket.close();
}

test('no single client exhausts the API', { timeout: 180000 }, async () => {
  const hs = new HsIssuer();
  const sys = await startSystem({
    env: {
      AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, WEBHOOK_SECRET: 'flood-secret-not-dev-0123456789abcdef0123456789',
      RATE_LIMIT_SEND_USER: '1/m,5', RATE_LIMIT_SEND_ADDRESS: 'off',
      DOCUMENT_MAX_BYTES: String(2 * MiB), MAX_UPLOAD_BYTES_IN_FLIGHT: String(24 * MiB),
      MAX_CONNECTIONS_PER_IP: '1000', MAX_CONNECTIONS: '1000', SOCKETIO_MAX_SESSIONS_PER_IP: '1000',
    },
  });
  const pid = sys.api.proc.pid;
  let peak = rssOf(pid);
  const sample = () => { peak = Math.max(peak, rssOf(pid)); };
  const sampler = setInterval(sample, 50);
  onCleanup(() => clearInterval(sampler));

  // 1. A burst over the rate limit: the first 5 pass, the rest are 429 with Retry-After;
  //    another user is not affected.
  const burst = [];
  for (let i = 0; i < 12; i++) burst.push(await send(sys.base, hs.token('eager'), 'eager-1', `m${i}`));
  assert.deepEqual(burst.map((r) => r.status), [200, 200, 200, 200, 200, 429, 429, 429, 429, 429, 429, 429]);
  for (const r of burst.slice(5)) assert.ok(Number(r.retryAfter) >= 1, `Retry-After ${r.retryAfter}`);
  await honestRoundTrip(sys.base, hs.token('honest-1'), 'honest-1');

  // 2. 10,000 joins in one polling POST: at most a few lookups run, the rest are refused.
  const mallory = hs.token('mallory');
  const eio = `${sys.base}/socket.io/?EIO=4&transport=polling`;
  const open = await (await fetch(eio)).text();
  const sid = JSON.parse(open.slice(1)).sid;
  const post = (body) => fetch(`${eio}&sid=${sid}`, { method: 'POST', body, headers: { 'content-type': 'text/plain;charset=UTF-8' } });
  assert.equal((await post(`40${JSON.stringify({ token: mallory })}`)).status, 200);
  assert.match(await (await fetch(`${eio}&sid=${sid}`)).text(), /^40/);
  const joins = Array.from({ length: 10000 }, (_, i) => `42${JSON.stringify(['join-conversation', `victim-${i}`])}`).join('\x1e');
  const started = Date.now();
  const flooded = await post(joins);
  assert.ok([200, 400, 413].includes(flooded.status), `the flood's POST: ${flooded.status}`);
  assert.ok(Date.now() - started < 5000, 'the flood is answered at once');
  await honestRoundTrip(sys.base, hs.token('honest-2'), 'honest-2');

  // 3. 500 idle sockets (25 users x 20, the per-user cap), then an honest client.
  const idle = [];
  for (let u = 0; u < 25; u++) {
    const token = hs.token(`idle-${u}`);
    const batch = [];
    for (let k = 0; k < 20; k++) batch.push(socketFor(sys.base, token));
    idle.push(...(await Promise.all(batch)));
  }
  assert.equal(idle.filter((s) => s.connected).length, 500);
  await assert.rejects(socketFor(sys.base, hs.token('idle-0')), /Too many connections/, 'the 21st socket of one user');
  await honestRoundTrip(sys.base, hs.token('honest-3'), 'honest-3');
  for (const s of idle) s.close();

  // 4. 50 parallel maximum-size uploads from one address: the ones beyond the address's
  //    share of the bytes-in-flight budget get 429 (beyond the budget 503) with
  //    Retry-After at once, the rest are stored; an honest upload then goes through.
  const body = Buffer.alloc(2 * MiB - 1024, 'a');
  const uploads = await Promise.all(Array.from({ length: 50 }, (_, i) => fetch(
    `${sys.base}/api/documents?conversationId=big-${i}&filename=big.txt`,
    { method: 'POST', headers: { 'content-type': 'text/plain', authorization: `Bearer ${hs.token(`uploader-${i}`)}` }, body },
  ).then((r) => ({ status: r.status, retryAfter: r.headers.get('retry-after') })).catch((e) => ({ status: 0, error: e.message }))));
  const counts = {};
  for (const u of uploads) counts[u.status] = (counts[u.status] || 0) + 1;
  assert.ok(counts[202] >= 1, `some uploads are stored: ${JSON.stringify(counts)}`);
  for (const u of uploads) assert.ok([202, 429, 503, 0].includes(u.status), `upload answered ${JSON.stringify(u)}`);
  const honest = await fetch(`${sys.base}/api/documents?conversationId=honest-doc&filename=a.txt`, {
    method: 'POST', headers: { 'content-type': 'text/plain', authorization: `Bearer ${hs.token('honest-4')}` }, body: 'small',
  });
  assert.equal(honest.status, 202);

  sample();
  clearInterval(sampler);
  assert.ok(peak < RSS_BOUND, `the API's RSS peaked at ${(peak / MiB).toFixed(1)} MiB, over ${RSS_BOUND / MiB} MiB`);
  console.log(`# floods: API RSS peak ${(peak / MiB).toFixed(1)} MiB; uploads ${JSON.stringify(counts)}`);
});

// A connection from `from` that sends `text` and waits up to `ms` for the start of an
// answer: {status} (the answer's, null when none came) and {ended} (the server closed);
// the socket stays open until the test ends.
function rawRequest(port, text, { from = '127.0.0.1', ms = 400 } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: from }, () => socket.write(text));
    onCleanup(() => socket.destroy());
    let got = '';
    const result = { socket, status: null, ended: false };
    result.closed = new Promise((closed) => socket.on('close', () => { result.ended = true; closed(); }));
    const timer = setTimeout(() => resolve(result), ms);
    socket.on('data', (d) => {
      got += d;
      const m = /^HTTP\/1\.1 (\d+)/.exec(got);
      if (m && result.status === null) { result.status = Number(m[1]); clearTimeout(timer); resolve(result); }
    });
    socket.on('error', () => {});
  });
}

const uploadHead = (length, token) => `POST /api/documents?conversationId=hog&filename=a.txt HTTP/1.1\r\nHost: localhost\r\n`
  + `Content-Type: text/plain\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}Content-Length: ${length}\r\n\r\n`;

function signedWebhook(secret, id, body) {
  const text = JSON.stringify(body);
  const timestamp = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', secret).update(`${id}.${timestamp}.${text}`).digest('base64');
  return { method: 'POST', body: text, headers: { 'content-type': 'application/json', 'webhook-id': id,
    'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${sig}` } };
}

// The review's budget hog: connections announcing 20 MiB uploads without a token, never
// sending them, held all of MAX_UPLOAD_BYTES_IN_FLIGHT, and every chat send and signed
// webhook got 503. Now a request is admitted from its header before any of its body is
// held, small bodies never wait for the upload budget, and one address or user holds at
// most its share (here a quarter of 24 MiB: three 2 MiB uploads).
test('one user\'s unanswered sends are capped: past MAX_UNANSWERED_SENDS_PER_USER a send waits for an answer, and others are served', { timeout: 90000 }, async () => {
  const hs = new HsIssuer();
  const sys = await startSystem({
    env: {
      AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, WEBHOOK_SECRET: 'flood-secret-not-dev-0123456789abcdef0123456789',
      MAX_UNANSWERED_SENDS_PER_USER: '2',
    },
  });
  // Answers of 2.4 s each: the first two are still unanswered at the third send.
  const busy = [];
  for (let i = 0; i < 3; i++) busy.push(await send(sys.base, hs.token('busy'), 'busy-1', `[trickle] m${i}`));
  assert.deepEqual(busy.map((r) => r.status), [200, 200, 429], JSON.stringify(busy));
  assert.ok(Number(busy[2].retryAfter) >= 1, `Retry-After ${busy[2].retryAfter}`);
  assert.match(busy[2].body.error, /2 of your messages are still waiting for their answers/);
  const other = await send(sys.base, hs.token('calm'), 'calm-1', 'hello');
  assert.equal(other.status, 200, JSON.stringify(other.body));
  // An answer gives its place back.
  let again;
  await waitFor(async () => {
    again = await send(sys.base, hs.token('busy'), 'busy-1', 'after an answer');
    return again.status === 200;
  }, { timeout: 30000, what: `a send once an answer came (last: ${JSON.stringify(again)})` });
});

test('announced uploads: refused unread without a token, one share per client, chat and webhooks unaffected', { timeout: 60000 }, async () => {
  const hs = new HsIssuer();
  const secret = 'hog-secret-not-dev-0123456789abcdef0123456789';
  const sys = await startSystem({
    env: {
      AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, WEBHOOK_SECRET: secret,
      DOCUMENT_MAX_BYTES: String(2 * MiB), MAX_UPLOAD_BYTES_IN_FLIGHT: String(24 * MiB), MAX_CONNECTIONS_PER_IP: '1000',
    },
  });
  const port = sys.apiPort;

  // 1. Without a token: 401 before a byte of the body is sent, and the connection closes.
  const hogs = await Promise.all(Array.from({ length: 40 }, () => rawRequest(port, uploadHead(2 * MiB), { ms: 3000 })));
  assert.deepEqual([...new Set(hogs.map((h) => h.status))], [401]);
  const big = await rawRequest(port, 'POST /api/chat/send HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n'
    + `Content-Length: ${20 * MiB}\r\n\r\n`, { ms: 3000 });
  assert.equal(big.status, 401, 'refused from its header, not read up to BODY_LIMIT (413)');
  await Promise.all([...hogs, big].map((h) => h.closed));

  // 2. With a token, from one address: three 2 MiB uploads are held, the fourth is over
  //    the address's share; the same user elsewhere is over the user's.
  const hog = hs.token('hog');
  const held = [];
  for (let i = 0; i < 3; i++) held.push(await rawRequest(port, uploadHead(2 * MiB, hog)));
  assert.deepEqual(held.map((h) => h.status), [null, null, null], 'waiting for their bodies');
  assert.equal((await rawRequest(port, uploadHead(2 * MiB, hs.token('hog-2')), { ms: 3000 })).status, 429);
  assert.equal((await rawRequest(port, uploadHead(2 * MiB, hog), { from: '127.0.0.2', ms: 3000 })).status, 429);
  const elsewhere = await rawRequest(port, `${uploadHead(5, hs.token('carol'))}hello`, { from: '127.0.0.3', ms: 5000 });
  assert.equal(elsewhere.status, 202, 'another client uploads');

  // 3. Meanwhile a chat send and a signed webhook are served.
  const sent = await send(sys.base, hs.token('alice'), 'alice-1');
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const hook = await fetch(`${sys.base}/api/webhooks/job-completed`, signedWebhook(secret, 'msg-hog',
    { jobId: 'hog-job', conversationId: 'alice-1', result: { response: 'answered' } }));
  assert.equal(hook.status, 200, await hook.text());
  for (const h of held) h.socket.destroy();
});

// The review's history: ~230 messages of 32 KiB of control characters made a 34-39 MB
// reply (each 192 KiB as JSON). A reply is now at most ?limit= messages (100 by default)
// and about 1 MiB of them; hasMore and nextBefore page back through the rest.
test('a conversation\'s history comes in pages bounded in messages and in bytes', { timeout: 60000 }, async () => {
  const hs = new HsIssuer();
  const secret = 'page-secret-not-dev-0123456789abcdef0123456789';
  const sys = await startSystem({ env: { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, WEBHOOK_SECRET: secret } });
  const alice = hs.token('alice');
  const get = async (query = '') => {
    const res = await fetch(`${sys.base}/api/conversations/paged/messages${query}`, { headers: { authorization: `Bearer ${alice}` } });
    const text = await res.text();
    return { status: res.status, size: text.length, body: JSON.parse(text) };
  };
  const sent = await send(sys.base, alice, 'paged', 'start');
  assert.equal(sent.status, 200);
  await waitFor(async () => (await get()).body.messages.length === 2, { what: 'the answer' });
  const control = '\u0001'.repeat(32 * 1024);
  for (let i = 0; i < 12; i++) {
    const res = await fetch(`${sys.base}/api/webhooks/job-completed`, signedWebhook(secret, `msg-${i}`,
      { jobId: `big-${i}`, conversationId: 'paged', result: { response: control } }));
    assert.equal(res.status, 200);
  }

  // By bytes: five 192 KiB messages fit in 1 MiB; the newest come first.
  const first = await get();
  assert.equal(first.body.conversationId, 'paged');
  assert.equal(first.body.messages.length, 5);
  assert.ok(first.size < 1.1 * MiB, `a page of ${first.size} bytes`);
  assert.equal(first.body.hasMore, true);
  assert.equal(first.body.nextBefore, first.body.messages[0].id);
  assert.deepEqual(first.body.messages.map((m) => m.jobId), ['big-7', 'big-8', 'big-9', 'big-10', 'big-11']);

  // The cursor walks back to the first message, each one once, in order.
  const all = [...first.body.messages];
  let page = first.body;
  while (page.hasMore) {
    page = (await get(`?before=${page.nextBefore}`)).body;
    all.unshift(...page.messages);
  }
  assert.equal(page.nextBefore, null);
  assert.equal(all.length, 14);
  assert.deepEqual(all.map((m) => m.id), [...all.map((m) => m.id)].sort((a, b) => a - b));
  assert.equal(all[0].content, 'start');

  // By count: ?limit= up to 200.
  const two = (await get('?limit=2')).body;
  assert.deepEqual(two.messages.map((m) => m.jobId), ['big-10', 'big-11']);
  assert.equal(two.hasMore, true);
  assert.equal((await get(`?limit=3&before=${all[2].id}`)).body.messages.length, 2);
  for (const bad of ['?limit=0', '?limit=201', '?limit=x', '?before=abc']) assert.equal((await get(bad)).status, 400, bad);

  // One user reads two pages at a time: a page reads its messages whole before it is cut,
  // and 70 reads at once of one user's took the database pool from everyone (503s). The
  // rest wait their turn with a 429; another user is not held up.
  const bob = hs.token('bob');
  const burst = await Promise.all(Array.from({ length: 20 }, () => get('?limit=200')));
  const statuses = burst.map((r) => r.status);
  assert.ok(statuses.every((st) => st === 200 || st === 429), JSON.stringify(statuses));
  assert.ok(statuses.includes(200) && statuses.includes(429), JSON.stringify(statuses));
  assert.match(burst.find((r) => r.status === 429).body.error, /Too many requests/);
  const others = await fetch(`${sys.base}/api/conversations/paged/messages`, { headers: { authorization: `Bearer ${bob}` } });
  assert.equal(others.status, 404, 'bob is read as bob, not refused as alice');
});

test('Socket.IO: one address cannot take every session, and joins cannot pile up conversations', { timeout: 60000 }, async () => {
  const hs = new HsIssuer();
  const sys = await startSystem({
    env: {
      AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, WEBHOOK_SECRET: 'flood-secret-not-dev-0123456789abcdef0123456789',
      // Clients are told apart by X-Forwarded-For, as behind a reverse proxy.
      TRUSTED_PROXIES: '127.0.0.1', SOCKETIO_MAX_SESSIONS_PER_IP: '3', SOCKETIO_CONNECT_TIMEOUT_MS: '500',
      SOCKETIO_MAX_ROOMS_PER_SOCKET: '3', RATE_LIMIT_CONVERSATION_USER: '1/h,4',
    },
  });
  const eio = `${sys.base}/socket.io/?EIO=4&transport=polling`;
  const from = (address) => ({ 'x-forwarded-for': address });

  // 1. Bare handshakes (no token, no CONNECT) from one address: 3, then 429, over polling
  //    and WebSocket alike; another address connects.
  const sids = [];
  for (let i = 0; i < 3; i++) {
    const res = await fetch(eio, { headers: from('203.0.113.7') });
    assert.equal(res.status, 200);
    sids.push(JSON.parse((await res.text()).slice(1)).sid);
  }
  const refused = await fetch(eio, { headers: from('203.0.113.7') });
  assert.equal(refused.status, 429);
  assert.deepEqual(await refused.json(), { code: 4, message: 'Too many sessions from your address' });
  await assert.rejects(socketFor(sys.base, hs.token('honest'), { extraHeaders: from('203.0.113.7') }));
  const honest = await socketFor(sys.base, hs.token('honest'), { extraHeaders: from('203.0.113.8') });

  // 2. Sessions that send no CONNECT are closed after SOCKETIO_CONNECT_TIMEOUT_MS.
  await new Promise((r) => setTimeout(r, 800));
  const gone = await fetch(`${eio}&sid=${sids[0]}`, { headers: from('203.0.113.7') });
  assert.deepEqual(await gone.json(), { code: 1, message: 'Session ID unknown' });
  assert.equal((await fetch(eio, { headers: from('203.0.113.7') })).status, 200);
  assert.ok(honest.connected, 'a joined socket outlives the connect deadline');
  honest.close();

  // 3. Joins that are refused write nothing: an id POST /api/chat/send would refuse, and a
  //    join beyond the socket's rooms.
  const rows = () => Number(sys.db.query("SELECT COUNT(*) FROM conversations WHERE user_id = 'joiner'"));
  const join = (socket, id) => socket.timeout(5000).emitWithAck('join-conversation', id);
  const token = hs.token('joiner');
  const first = await socketFor(sys.base, token, { extraHeaders: from('203.0.113.9') });
  const long = await join(first, 'x'.repeat(250));
  assert.equal(rows(), 0, 'a refused join writes no row');
  assert.equal(long.status, 400, JSON.stringify(long));
  for (const id of ['j-1', 'j-2', 'j-3']) assert.equal((await join(first, id)).ok, true, id);
  const full = await join(first, 'j-4');
  assert.equal(rows(), 3, 'a join beyond the rooms writes no row');
  assert.equal(full.status, 429, JSON.stringify(full));
  assert.match(full.error, /Too many rooms/);
  first.close();

  // 4. A fresh socket has rooms again, but new conversations spend the user's budget (a
  //    burst of 4): the 5th is refused with retryAfter; joining an existing one is free.
  const second = await socketFor(sys.base, token, { extraHeaders: from('203.0.113.9') });
  assert.equal((await join(second, 'j-4')).ok, true);
  const limited = await join(second, 'j-5');
  assert.equal(rows(), 4, 'the 5th new conversation is not started');
  assert.equal(limited.status, 429, JSON.stringify(limited));
  assert.match(limited.error, /Too many new conversations/);
  assert.ok(limited.retryAfter >= 1, JSON.stringify(limited));
  assert.equal((await join(second, 'j-1')).ok, true, 'an existing conversation');
  second.close();
});

// Anyone can open an Engine.IO session and send it a malformed packet, which ends only that
// session: a warning line for each let one anonymous client write 3,300 lines a second.
test('malformed Socket.IO packets from anonymous clients are logged at most once per 5 s', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const base = `${sys.base}/socket.io/?EIO=4&transport=polling`;
  const started = Date.now();
  for (let i = 0; i < 60; i++) {
    const open = await (await fetch(base)).text();
    const { sid } = JSON.parse(open.slice(open.indexOf('{')));
    const res = await fetch(`${base}&sid=${sid}`, { method: 'POST', body: '49AAAA' });
    assert.ok(res.status < 500, `POST answered ${res.status}`);
  }
  await waitFor(() => /malformed packet/.test(sys.api.output), { what: 'the first line' });
  const lines = sys.api.output.split('\n').filter((l) => /malformed packet/.test(l));
  // One line, then one per 5 s however slowly the loop ran on a busy machine.
  const allowed = Math.ceil((Date.now() - started) / 5000) + 1;
  assert.ok(lines.length <= allowed, `${lines.length} lines (at most ${allowed}):\n${lines.slice(0, 5).join('\n')}`);
});
