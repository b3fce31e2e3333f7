// redis_data_loss.test.mjs - what the apps say of work Redis forgot (its data lost while
// they ran): a chat answered after the loss ends completed, a keyed send whose job was lost
// is queued again when it is retried, a document whose job is gone ends failed with the
// reason instead of "processing" for good, and no job id is given to a second message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startSystem, startWorkers, startApi, postJSON, getJSON, waitFor, waitForJob } from './system.mjs';
import { onCleanup } from '../interop/support.mjs';

const require = createRequire(import.meta.url);
const { io } = require('socket.io-client');

test("after Redis lost its data, a running job's answer still completes its record", { timeout: 90000 }, async () => {
  const sys = await startSystem();
  // A slow answer (400 ms a chunk): the loss comes while it streams.
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'lost-c', userId: 'u1', message: 'slow one [trickle]' });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const id = sent.body.jobId;
  // A subscriber hears the end though no event will say it (a review's waited for ever).
  const socket = io(sys.base, { transports: ['websocket'], reconnection: false });
  onCleanup(() => socket.close());
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  const ends = [];
  for (const name of ['job-completed', 'job-failed']) socket.on(name, (payload) => ends.push({ name, payload }));
  assert.deepEqual(await socket.timeout(10000).emitWithAck('subscribe-job', id), { ok: true });
  await waitFor(() => sys.db.query(`select status from job_logs where job_id = '${id}'`) === 'processing',
    { what: 'the job recorded as processing' });
  await (await sys.redis.raw()).flushall();
  // The answer still arrives (its delivery is queued after the loss), and the record says so.
  await waitFor(async () => {
    const history = await getJSON(sys.base, '/api/conversations/lost-c/messages');
    return history.body.messages.some((m) => m.role === 'assistant');
  }, { timeout: 30000, what: 'the answer stored' });
  await waitFor(() => sys.db.query(`select status from job_logs where job_id = '${id}'`) === 'completed',
    { timeout: 15000, what: 'the record completed' });
  const status = await getJSON(sys.base, `/api/chat/job/${id}`);
  assert.equal(status.body.status, 'completed', JSON.stringify(status.body));
  await waitFor(() => ends.length > 0, { timeout: 10000, what: 'the end told to the subscriber' });
  assert.equal(ends.length, 1, JSON.stringify(ends));
  assert.equal(ends[0].name, 'job-completed');
  assert.equal(ends[0].payload.jobId, id);
  assert.ok(ends[0].payload.result?.response, JSON.stringify(ends[0].payload));
});

test('after Redis lost its data, a keyed send retried once its record says so is queued again', { timeout: 90000 }, async () => {
  const sys = await startSystem();
  await sys.workers.stop();
  const keyed = { 'Idempotency-Key': 'lost-message-2' };
  const first = await postJSON(sys.base, '/api/chat/send', { conversationId: 'keyed-d', userId: 'u1', message: 'lost and told' }, keyed);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  await waitFor(() => sys.db.query(`select status from job_logs where job_id = '${first.body.jobId}'`) === 'pending',
    { what: 'the job recorded as waiting' });
  await (await sys.redis.raw()).flushall();
  sys.workers = await startWorkers(sys);
  // The record is made failed first (a review's retry came after that, and was answered
  // with the lost job for good).
  await waitFor(async () => (await getJSON(sys.base, `/api/chat/job/${first.body.jobId}`)).body.status === 'failed',
    { timeout: 20000, what: 'the lost job recorded failed' });
  const retried = await postJSON(sys.base, '/api/chat/send', { conversationId: 'keyed-d', userId: 'u1', message: 'lost and told' }, keyed);
  assert.equal(retried.status, 200, JSON.stringify(retried.body));
  assert.notEqual(retried.body.jobId, first.body.jobId, 'answered with the lost job');
  const done = await waitForJob(sys.base, retried.body.jobId);
  assert.equal(done.status, 'completed', JSON.stringify(done));
});

test('after Redis lost its data, a document whose job is gone is failed with the reason', { timeout: 90000 }, async () => {
  const sys = await startSystem();
  const res = await fetch(`${sys.base}/api/documents?filename=notes.txt`, {
    method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'Some notes.',
  });
  assert.equal(res.status, 202);
  const { documentId } = await res.json();
  await waitFor(async () => (await getJSON(sys.base, `/api/documents/${documentId}`)).body.status === 'ready',
    { what: 'the document processed' });
  // As a document caught mid-extraction by the loss: "processing", not updated for longer
  // than any job of it could take (45 minutes), and no job.
  sys.db.query(`update documents set status = 'processing', updated_at = updated_at - 3600000 where id = '${documentId}'`);
  await (await sys.redis.raw()).flushall();
  const doc = await getJSON(sys.base, `/api/documents/${documentId}`);
  assert.equal(doc.body.status, 'failed', JSON.stringify(doc.body));
  assert.match(doc.body.error, /no longer in Redis/);
  assert.equal(sys.db.query(`select status from documents where id = '${documentId}'`), 'failed');
  assert.match(sys.api.output, /is gone from Redis; the document is marked failed/);
});

test("after Redis lost its data, a retried keyed send whose job was lost is queued again, not answered with another's job", { timeout: 90000 }, async () => {
  const sys = await startSystem();
  // Nothing runs the first job: it is still waiting when Redis loses it.
  await sys.workers.stop();
  const keyed = { 'Idempotency-Key': 'lost-message-1' };
  const first = await postJSON(sys.base, '/api/chat/send', { conversationId: 'keyed-c', userId: 'u1', message: 'the lost one' }, keyed);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  await (await sys.redis.raw()).flushall();
  sys.workers = await startWorkers(sys);
  // BullMQ's counter starts again at 1; the API goes on above the ids it gave.
  const other = await postJSON(sys.base, '/api/chat/send', { conversationId: 'other-c', userId: 'u1', message: 'another one' });
  assert.equal(other.status, 200, JSON.stringify(other.body));
  assert.ok(Number(other.body.jobId) > Number(first.body.jobId), `the id ${other.body.jobId} was given before`);
  assert.match(sys.api.output, /Redis's job id counter was 0, below \d+/);
  await waitForJob(sys.base, other.body.jobId);

  const retried = await postJSON(sys.base, '/api/chat/send', { conversationId: 'keyed-c', userId: 'u1', message: 'the lost one' }, keyed);
  assert.equal(retried.status, 200, JSON.stringify(retried.body));
  assert.equal(retried.body.duplicate, true);
  assert.notEqual(retried.body.jobId, other.body.jobId, "answered with another message's job");
  const done = await waitForJob(sys.base, retried.body.jobId);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  assert.ok(sys.ai.requests.some((r) => JSON.stringify(r.body.messages).includes('the lost one')), 'the lost message was asked');
  // Once: a second retry answers the new job, and the conversation holds one answer.
  const again = await postJSON(sys.base, '/api/chat/send', { conversationId: 'keyed-c', userId: 'u1', message: 'the lost one' }, keyed);
  assert.equal(again.body.jobId, retried.body.jobId);
  await waitFor(async () => (await getJSON(sys.base, '/api/conversations/keyed-c/messages')).body.messages.some((m) => m.role === 'assistant'),
    { what: 'the answer stored' });
  const history = await getJSON(sys.base, '/api/conversations/keyed-c/messages');
  assert.deepEqual(history.body.messages.map((m) => m.role), ['user', 'assistant']);
  assert.match(sys.api.output, /is gone from Redis unfinished or its id names another job now/);
});

test('an API started after Redis lost its data gives no job id its database holds', { timeout: 90000 }, async () => {
  const sys = await startSystem();
  const ids = [];
  for (const message of ['one', 'two', 'three']) {
    const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'before-c', userId: 'u1', message });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    ids.push(Number(sent.body.jobId));
    await waitForJob(sys.base, sent.body.jobId);
  }
  await sys.api.stop();
  await (await sys.redis.raw()).flushall();
  sys.api = await startApi(sys);
  const after = await postJSON(sys.base, '/api/chat/send', { conversationId: 'after-c', userId: 'u1', message: 'four' });
  assert.equal(after.status, 200, JSON.stringify(after.body));
  assert.equal(Number(after.body.jobId), Math.max(...ids) + 1);
  const done = await waitForJob(sys.base, after.body.jobId);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  // The earlier messages' answers are still theirs.
  const history = await getJSON(sys.base, '/api/conversations/before-c/messages');
  assert.deepEqual(history.body.messages.map((m) => m.role), ['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
});

// Every key with its value and time to live: what an RDB snapshot keeps.
async function snapshotOf(raw) {
  const keys = await raw.keys('*');
  return Promise.all(keys.map(async (key) => ({ key, value: await raw.dumpBuffer(key), ttl: await raw.pttl(key) })));
}

// Redis restored from `snapshot`: whatever came after it is gone.
async function restore(raw, snapshot) {
  await raw.flushall();
  for (const { key, value, ttl } of snapshot) await raw.restore(key, ttl > 0 ? ttl : 0, value);
}

test('after Redis was restored from an older snapshot, the rows of the jobs it lost are made failed, the API running or restarted', { timeout: 90000 }, async () => {
  const sys = await startSystem();
  await sys.workers.stop();
  const raw = await sys.redis.raw();
  const row = (id) => sys.db.query(`select status from job_logs where job_id = '${id}'`);
  const send = async (message) => {
    const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'snapshot-c', userId: 'u1', message });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    await waitFor(() => row(sent.body.jobId) === 'pending', { what: `job ${sent.body.jobId} recorded as waiting` });
    return sent.body.jobId;
  };
  const kept = await send('in the snapshot');
  let snapshot = await snapshotOf(raw);
  const lostRunning = await send('after the snapshot, the API running');
  // The restore, and the apps' connections cut as a restart of Redis cuts them.
  await restore(raw, snapshot);
  await raw.client('KILL', 'TYPE', 'normal');
  await waitFor(() => row(lostRunning) === 'failed', { timeout: 20000, what: 'the lost job recorded failed' });
  // Its line reaches this process's copy of the API's output only once the event loop
  // runs: the polls above read the database synchronously.
  await waitFor(() => /is gone from the stream after Redis's outage/.test(sys.api.output),
    { timeout: 30000, what: 'the relay to see the rollback' });

  snapshot = await snapshotOf(raw);
  const lostStopped = await send('after the snapshot, the API restarted');
  await sys.api.stop();
  await restore(raw, snapshot);
  sys.api = await startApi(sys);
  await waitFor(() => row(lostStopped) === 'failed', { timeout: 20000, what: 'the lost job recorded failed' });
  assert.equal(row(kept), 'pending', 'a job the snapshot kept still waits');
  // And it runs when workers come.
  sys.workers = await startWorkers(sys);
  assert.equal((await waitForJob(sys.base, kept)).status, 'completed');
});
