// shutdown.test.mjs - SIGTERM while a job of each kind runs (issue 13): `drover workers`
// exits within its grace period plus a margin, and no job is lost: each is handed back
// and a new workers process completes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startSystem, startWorkers, postJSON, freePort, waitFor } from './system.mjs';
import { bullmq, onCleanup } from '../interop/support.mjs';
import { makePdf } from './pdf_maker.mjs';

const GRACE_MS = 1000;
const MARGIN_MS = 4000;  // process start-up noise, the hand-back round trips, closing connections

// A webhook receiver whose first request never gets an answer; later ones get 200.
async function slowReceiver() {
  const requests = [];
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push(body);
      if (requests.length === 1) return;  // the slow one: held open
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  onCleanup(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return { port, requests };
}

// A PDF whose extraction takes seconds: many pages of many lines.
function largePdf() {
  const line = 'Workers renew their locks while the extraction of this long handbook goes on page by page';
  const pages = Array.from({ length: 4000 }, (_, p) => Array.from({ length: 40 }, (_, l) => `${p}.${l} ${line}`));
  return makePdf(pages, 'Long Handbook');
}

test('SIGTERM during an AI job, a PDF job and a webhook delivery exits within the grace period and loses no job', { timeout: 180000 }, async () => {
  const receiver = await slowReceiver();
  const workersArgs = ['--shutdown-grace', String(GRACE_MS)];
  const sys = await startSystem({
    env: { WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}`, DOCUMENT_MAX_BYTES: String(64 * 1024 * 1024) },
    workersArgs,
  });
  const conn = { connection: sys.redis.connection };
  const ai = new bullmq.Queue('ai-processing', conn);
  const docs = new bullmq.Queue('document-processing', conn);
  const hooks = new bullmq.Queue('webhook-delivery', conn);
  onCleanup(() => Promise.all([ai.close(), docs.close(), hooks.close()]));

  // 1. One job of each kind, each running when the signal comes.
  const conversationId = 'shutdown';
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u', message: 'take your time [slow]' });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const pdf = largePdf();
  const up = await fetch(`${sys.base}/api/documents?filename=long.pdf&conversationId=${conversationId}`, {
    method: 'POST', headers: { 'content-type': 'application/pdf' }, body: pdf,
  });
  const doc = await up.json();
  assert.equal(up.status, 202, JSON.stringify(doc));
  await hooks.add('slow-hook', { url: `http://127.0.0.1:${receiver.port}/hook`, payload: { hello: 'slow' } },
    { jobId: 'slow-hook-1', attempts: 3, backoff: { type: 'fixed', delay: 200 } });

  await waitFor(async () => (await ai.getJobState(sent.body.jobId)) === 'active'
      && (await docs.getJobState(doc.jobId)) === 'active'
      && (await hooks.getJobState('slow-hook-1')) === 'active'
      && receiver.requests.length === 1,
  { timeout: 20000, what: 'all three jobs to be running' });
  // The PDF job is extracting (it reports progress per page) and far from done.
  await waitFor(async () => {
    const p = (await docs.getJob(doc.jobId))?.progress;
    return p && typeof p === 'object' && p.page >= 1;
  }, { timeout: 20000, what: 'the PDF job to report a page' });
  const progress = (await docs.getJob(doc.jobId)).progress;
  assert.ok(progress.page < progress.pages, `the PDF is still being read: ${JSON.stringify(progress)}`);

  // 2. SIGTERM: the process ends within the grace period and a margin.
  const started = Date.now();
  sys.workers.proc.kill('SIGTERM');
  const exit = await Promise.race([sys.workers.exited, new Promise((r) => setTimeout(() => r('timeout'), 30000))]);
  const took = Date.now() - started;
  assert.notEqual(exit, 'timeout', `drover workers did not exit after SIGTERM\n${sys.workers.tail()}`);
  assert.deepEqual(exit, { code: 0, signal: null }, sys.workers.tail());
  assert.ok(took < GRACE_MS + MARGIN_MS, `exited after ${took} ms\n${sys.workers.tail()}`);

  // 3. Nothing lost: every job is back in wait, and a new process completes them.
  for (const [q, id] of [[ai, sent.body.jobId], [docs, doc.jobId], [hooks, 'slow-hook-1']]) {
    assert.equal(await q.getJobState(id), 'waiting', `${q.name} job ${id}\n${sys.workers.tail()}`);
  }
  const again = await startWorkers(sys, workersArgs);
  await waitFor(async () => (await ai.getJobState(sent.body.jobId)) === 'completed'
      && (await docs.getJobState(doc.jobId)) === 'completed'
      && (await hooks.getJobState('slow-hook-1')) === 'completed',
  { timeout: 90000, what: 'the three jobs to complete in the new workers process' })
    .catch((e) => { throw new Error(`${e.message}\n${again.tail()}`); });
  const stored = await (await fetch(`${sys.base}/api/documents/${doc.documentId}`)).json();
  assert.equal(stored.status, 'ready', JSON.stringify(stored).slice(0, 400));
  assert.equal(stored.pageCount, 4000);
  assert.equal(receiver.requests.length, 2);
  await waitFor(async () => {
    const h = await (await fetch(`${sys.base}/api/conversations/${conversationId}/messages`)).json();
    return h.messages.some((m) => m.role === 'assistant');
  }, { timeout: 20000, what: "the AI job's answer to be stored" });
});

// The API's SIGTERM under sends: a send it took is answered (200, its job queued), one that
// arrives after is refused untouched (503, nothing stored) or finds the port closed. No
// send is stored and then refused, which a client retrying without an Idempotency-Key
// would turn into a duplicate (the queues were closed under the sends being answered).
test('SIGTERM to the API while sends arrive: every stored message has its job, and every 200 its message', { timeout: 120000 }, async () => {
  const sys = await startSystem();
  const ai = new bullmq.Queue('ai-processing', { connection: sys.redis.connection });
  onCleanup(() => ai.close());
  const outcomes = [];
  let stopping = false;
  const loop = async (n) => {
    for (let i = 0; ; ++i) {
      try {
        const r = await postJSON(sys.base, '/api/chat/send', { conversationId: `term-${n}`, userId: 'u', message: `m${i}` });
        outcomes.push({ status: r.status, body: r.body });
      } catch (e) {
        outcomes.push({ status: 'network', body: String(e.cause?.code ?? e.message) });
        if (stopping) return;
      }
      if (stopping && outcomes.length > 2000) return;
    }
  };
  const loops = [0, 1, 2, 3].map(loop);
  await waitFor(async () => outcomes.filter((o) => o.status === 200).length >= 40, { timeout: 20000, what: '40 sends' });
  stopping = true;
  sys.api.proc.kill('SIGTERM');
  const exit = await Promise.race([sys.api.exited, new Promise((r) => setTimeout(() => r('timeout'), 20000))]);
  assert.deepEqual(exit, { code: 0, signal: null }, sys.api.tail());
  await Promise.all(loops);

  const accepted = outcomes.filter((o) => o.status === 200);
  const others = outcomes.filter((o) => o.status !== 200 && o.status !== 'network');
  for (const o of others) {
    assert.equal(o.status, 503, JSON.stringify(o));
    assert.match(o.body.error, /shutting down/, JSON.stringify(o));
  }
  const stored = Number(sys.db.query("select count(*) from messages where conversation_id like 'term-%' and role = 'user'"));
  assert.equal(stored, accepted.length, `stored ${stored} user messages for ${accepted.length} sends answered 200`);
  for (const o of accepted) assert.ok(await ai.getJob(o.body.jobId), `job ${o.body.jobId} of a 200`);
});

// logrotate, `systemctl reload` and a closed terminal send SIGHUP, whose default action
// ended both apps at once (a running job stayed locked until found stalled).
test('SIGHUP leaves the API and the Workers app running, a job in flight completes', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'hup-c', userId: 'u1', message: 'slow one [trickle]' });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  await waitFor(() => sys.db.query(`select status from job_logs where job_id = '${sent.body.jobId}'`) === 'processing',
    { what: 'the job running' });
  sys.api.proc.kill('SIGHUP');
  sys.workers.proc.kill('SIGHUP');
  await waitFor(() => /SIGHUP\): ignored/.test(sys.api.output) && /SIGHUP\): ignored/.test(sys.workers.output),
    { what: 'both apps to note the SIGHUP' });
  assert.ok(!sys.api.hasExited() && !sys.workers.hasExited());
  await waitFor(() => sys.db.query(`select status from job_logs where job_id = '${sent.body.jobId}'`) === 'completed',
    { timeout: 30000, what: 'the job completed' });
  assert.doesNotMatch(sys.workers.output, /stalled/);
});

// A disk-full review: the apps log to a pipe (make run's tee, a log shipper); when its
// reader went away, SIGPIPE ended them at their next log line.
test('the apps outlive the reader of their log pipe', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  for (const app of [sys.api, sys.workers]) {
    app.proc.stdout.destroy();
    app.proc.stderr.destroy();
    app.proc.kill('SIGHUP');  // logged: "signal 1 (SIGHUP): ignored"
  }
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(!sys.api.hasExited(), `the API exited: ${JSON.stringify(sys.api.proc.signalCode)}`);
  assert.ok(!sys.workers.hasExited(), `the Workers app exited: ${JSON.stringify(sys.workers.proc.signalCode)}`);
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'pipe-c', userId: 'u1', message: 'Hi' });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  await waitFor(() => sys.db.query(`select status from job_logs where job_id = '${sent.body.jobId}'`) === 'completed',
    { timeout: 30000, what: 'the job completed, logged by both apps' });
  assert.ok(!sys.api.hasExited() && !sys.workers.hasExited());
});

// An operator's review: a send whose body was still arriving at SIGTERM was cut without
// an answer (the wait for answers counted only requests in a handler).
test('SIGTERM to the API while a body arrives: the request gets 503 "shutting down", not a cut', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const body = JSON.stringify({ conversationId: 'slow-body', userId: 'u1', message: 'arriving slowly' });
  const socket = net.connect(sys.apiPort, '127.0.0.1');
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  let reply = '';
  socket.on('data', (d) => (reply += d));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.write(`POST /api/chat/send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
  socket.write(body.slice(0, 10));
  await new Promise((resolve) => setTimeout(resolve, 300));
  sys.api.proc.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 500));
  socket.write(body.slice(10));
  await closed;
  assert.match(reply, /^HTTP\/1\.1 503/, reply);
  assert.match(reply, /shutting down/);
  assert.equal(sys.db.query("select count(*) from messages where content = 'arriving slowly'"), '0');
});
