// cancel.test.mjs - DELETE /api/chat/job/:jobId against the running system: a job the
// model is still answering is stopped and fails "cancelled" (not retried, no dead
// letter); a waiting one is removed; unknown 404, finished 409, Redis away 503. A job
// that fails for good lands in ai-processing-dlq, and the Workers app's per-queue
// default timeout bounds jobs that bring none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem, postJSON, getJSON, waitForJob, waitFor } from './system.mjs';
import { bullmq, onCleanup } from '../interop/support.mjs';
import { createRequire } from 'node:module';

const { io } = createRequire(import.meta.url)('socket.io-client');

async function del(base, path) {
  const res = await fetch(`${base}${path}`, { method: 'DELETE' });
  return { status: res.status, body: await res.json().catch(() => null) };
}

function queueOf(sys, name) {
  const url = new URL(sys.redis.url);
  const q = new bullmq.Queue(name, { connection: { host: url.hostname, port: Number(url.port) } });
  q.on('error', () => {});
  onCleanup(() => q.close());
  return q;
}

test('DELETE /api/chat/job/:id stops a running job within a second; it fails "cancelled" and is not retried', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const ai = queueOf(sys, 'ai-processing');
  // The fake model never answers "[hang]": the job stays active until cancelled.
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c-cancel', userId: 'u', message: 'think [hang]' });
  assert.equal(sent.status, 200);
  const id = sent.body.jobId;
  await waitFor(async () => (await getJSON(sys.base, `/api/chat/job/${id}`)).body.status === 'active',
    { what: 'the job to be active' });
  await waitFor(() => sys.ai.requests.length > 0, { what: 'the model request' });

  const t0 = Date.now();
  const res = await del(sys.base, `/api/chat/job/${id}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body, { jobId: id, outcome: 'signalled' });
  const done = await waitForJob(sys.base, id, 5000);
  assert.ok(Date.now() - t0 < 1500, `failed after ${Date.now() - t0} ms`);
  assert.equal(done.status, 'failed');
  assert.equal(done.error, 'cancelled');
  const job = await ai.getJob(id);
  assert.equal(job.attemptsMade, 1, 'not retried (the chat job has 3 attempts)');
  assert.equal(sys.ai.requests.length, 1, 'the model was not asked again');
  // Cancelled jobs are no dead letters.
  assert.equal(await queueOf(sys, 'ai-processing-dlq').getWaitingCount(), 0);

  const again = await del(sys.base, `/api/chat/job/${id}`);
  assert.equal(again.status, 409);
  assert.equal(again.body.outcome, 'already_finished');
  const unknown = await del(sys.base, '/api/chat/job/999999');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.outcome, 'not_found');
  const put = await fetch(`${sys.base}/api/chat/job/${id}`, { method: 'PUT' });
  assert.equal(put.status, 405);
  assert.equal(put.headers.get('allow'), 'GET, HEAD, DELETE');
});

test('DELETE on a waiting job removes it; with Redis away the API answers 503', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const ai = queueOf(sys, 'ai-processing');
  await ai.pause();  // keeps the job waiting
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c-wait', userId: 'u', message: 'hello' });
  const id = sent.body.jobId;
  assert.equal((await getJSON(sys.base, `/api/chat/job/${id}`)).body.status, 'waiting');
  const res = await del(sys.base, `/api/chat/job/${id}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body, { jobId: id, outcome: 'removed' });
  // A second click at once, before the relay has written the removal: 409, not 404.
  const twice = await del(sys.base, `/api/chat/job/${id}`);
  assert.equal(twice.status, 409, JSON.stringify(twice.body));
  // It will never run: its status ends failed (from job_logs, as the relay records the
  // removal), rather than saying "waiting" for ever.
  let after;
  await waitFor(async () => (after = await getJSON(sys.base, `/api/chat/job/${id}`)).body?.status === 'failed',
    { what: `job ${id} to read failed after its removal (last: ${JSON.stringify(after?.body)})` });
  assert.equal(after.body.error, 'removed before it finished (cancelled)');
  // Still so once the relay has read the removal's event (dated within the same
  // millisecond, its "(it was waiting)" replaced the cancellation's row most of the time).
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await getJSON(sys.base, `/api/chat/job/${id}`)).body.error, 'removed before it finished (cancelled)');
  // Cancelled once, it has ended: a second cancel is the 409 of a finished job, not a 404.
  const again = await del(sys.base, `/api/chat/job/${id}`);
  assert.equal(again.status, 409, JSON.stringify(again.body));
  await ai.close();

  await sys.redis.stop();
  const t0 = Date.now();
  const down = await del(sys.base, '/api/chat/job/1');
  assert.equal(down.status, 503, JSON.stringify(down.body));
  assert.match(down.body.error, /unavailable/i);
  assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
});

test('a waiting job removed by a drain, which sends no event per job, reads failed once Redis no longer has it', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const ai = queueOf(sys, 'ai-processing');
  await ai.pause();
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c-drained', userId: 'u', message: 'hello' });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const id = sent.body.jobId;
  await waitFor(() => sys.db.query(`SELECT status FROM job_logs WHERE job_id = '${id}'`).trim() === 'pending',
    { what: `the pending row of job ${id}` });
  await ai.drain();  // as drover queue drain and the dashboard's drain: no "removed" events
  let after;
  await waitFor(async () => (after = await getJSON(sys.base, `/api/chat/job/${id}`)).body?.status === 'failed',
    { timeout: 15000, what: `job ${id} to read failed after the drain (last: ${JSON.stringify(after?.body)})` });
  assert.match(after.body.error, /removed before it finished/);
  assert.equal(sys.db.query(`SELECT status FROM job_logs WHERE job_id = '${id}'`).trim(), 'failed');
});

test('a subscriber to a job removed by a drain hears job-failed when its record is made failed', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const ai = queueOf(sys, 'ai-processing');
  onCleanup(() => ai.close());
  await ai.pause();
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c-drained-live', userId: 'u', message: 'hi' });
  const id = sent.body.jobId;
  const socket = io(sys.base, { transports: ['websocket'], reconnection: false });
  onCleanup(() => socket.close());
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  const failed = [];
  socket.on('job-failed', (p) => failed.push(p));
  assert.deepEqual(await socket.timeout(10000).emitWithAck('subscribe-job', id), { ok: true });
  await waitFor(() => sys.db.query(`SELECT status FROM job_logs WHERE job_id = '${id}'`).trim() === 'pending',
    { what: `the pending row of job ${id}` });
  await ai.drain();
  // What the chat page's slow poll does: a status read finds the job gone and says so.
  await waitFor(async () => (await getJSON(sys.base, `/api/chat/job/${id}`)).body?.status === 'failed',
    { timeout: 15000, what: `job ${id} to read failed after the drain` });
  await waitFor(() => failed.length > 0, { timeout: 5000, what: 'job-failed on the socket' });
  assert.equal(failed[0].jobId, id);
  assert.match(failed[0].error, /removed before it finished/);
});

test('a chat job that fails for good is copied to ai-processing-dlq with its origin', { timeout: 90000 }, async () => {
  const sys = await startSystem();
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c-dlq', userId: 'u', message: 'please [500]' });
  const done = await waitForJob(sys.base, sent.body.jobId, 60000);
  assert.equal(done.status, 'failed');
  const dlq = queueOf(sys, 'ai-processing-dlq');
  await waitFor(async () => (await dlq.getWaitingCount()) === 1, { what: 'the dead letter' });
  const [entry] = await dlq.getWaiting();
  assert.equal(entry.name, 'generate-response');
  assert.equal(entry.data.data.message, 'please [500]');
  assert.equal(entry.data.deadLetter.queue, 'ai-processing');
  assert.equal(entry.data.deadLetter.jobId, sent.body.jobId);
  assert.equal(entry.data.deadLetter.attemptsMade, 3);
  assert.equal(entry.data.deadLetter.failedReason, done.error);
  assert.equal(entry.data.deadLetter.worker, 'drover-workers-ai-processing');
});

test('the Workers app applies AI_JOB_TIMEOUT_MS to ai-processing jobs without their own timeout', { timeout: 60000 }, async () => {
  const sys = await startSystem({ env: { AI_JOB_TIMEOUT_MS: '500' } });
  const ai = queueOf(sys, 'ai-processing');
  // A job added by another producer (Node here), without the chat route's 30 s timeout.
  const job = await ai.add('generate-response', { message: 'think forever [hang]' });
  const t0 = Date.now();
  await waitFor(async () => (await ai.getJobState(job.id)) === 'failed', { what: 'the timeout', timeout: 10000 });
  assert.ok(Date.now() - t0 < 5000, `failed after ${Date.now() - t0} ms`);
  assert.equal((await ai.getJob(job.id)).failedReason, 'job timed out after 500 ms');
  // A timed-out job that has no attempts left is a dead letter.
  const dlq = queueOf(sys, 'ai-processing-dlq');
  await waitFor(async () => (await dlq.getWaitingCount()) === 1, { what: 'the dead letter' });
  assert.equal((await dlq.getWaiting())[0].data.deadLetter.failedReason, 'job timed out after 500 ms');
});
