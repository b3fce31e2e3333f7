// live_updates.test.mjs - the browser's view: socket.io-client (unchanged, from npm) follows a
// job over the API's Socket.IO endpoint, and the webhook is idempotent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import { startSystem, postJSON, waitFor } from './system.mjs';
import { bullmq, onCleanup } from '../interop/support.mjs';
import { CHUNKS } from './fake_openai.mjs';

const require = createRequire(import.meta.url);
const { io } = require('socket.io-client');

for (const transports of [['websocket'], ['polling'], ['polling', 'websocket']]) {
  test(`socket.io-client (${transports.join('+')}) receives job-progress, job-completed and ai-response`, { timeout: 60000 }, async () => {
    const sys = await startSystem();
    const socket = io(sys.base, { transports, reconnection: false });
    onCleanup(() => socket.close());
    await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });

    const events = [];
    for (const name of ['job-progress', 'job-completed', 'job-failed', 'ai-response']) {
      socket.on(name, (payload) => events.push({ name, payload }));
    }
    const conversationId = `live-${transports.join('-')}`;
    socket.emit('join-conversation', conversationId);
    const sent = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u', message: 'stream please' });
    socket.emit('subscribe-job', sent.body.jobId);

    await waitFor(() => events.some((e) => e.name === 'ai-response'), { timeout: 20000, what: 'ai-response' });
    // job-completed comes from the events relay, ai-response from the webhook receiver:
    // either may come first (a clean-clone run saw ai-response first).
    await waitFor(() => events.some((e) => e.name === 'job-completed'), { timeout: 20000, what: 'job-completed' });
    const completed = events.find((e) => e.name === 'job-completed');
    assert.ok(completed, JSON.stringify(events));
    assert.equal(completed.payload.jobId, sent.body.jobId);
    assert.equal(completed.payload.result.response, CHUNKS.join(''));
    const progress = events.filter((e) => e.name === 'job-progress');
    assert.ok(progress.length >= 1, 'at least one progress update');
    assert.equal(progress.at(-1).payload.progress.text, CHUNKS.join(''));
    const reply = events.find((e) => e.name === 'ai-response').payload;
    assert.equal(reply.conversationId, conversationId);
    assert.equal(reply.message.content, CHUNKS.join(''));
    assert.equal(reply.message.role, 'assistant');
    assert.ok(reply.message.createdAt > 0, 'the message as stored, with its creation time');
  });
}

test('a finished job leaves its room: a connection follows more answers than it may hold rooms (the 100th was refused)', { timeout: 60000 }, async () => {
  const sys = await startSystem({ env: { SOCKETIO_MAX_ROOMS_PER_SOCKET: '3' } });
  const socket = io(sys.base, { transports: ['websocket'], reconnection: false });
  onCleanup(() => socket.close());
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  const completed = new Set();
  socket.on('job-completed', (p) => completed.add(p.jobId));
  const conversationId = 'many-answers';
  assert.deepEqual(await socket.timeout(10000).emitWithAck('join-conversation', conversationId), { ok: true });
  for (let i = 1; i <= 5; i++) {
    const sent = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u', message: `question ${i}` });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const ack = await socket.timeout(10000).emitWithAck('subscribe-job', sent.body.jobId);
    assert.deepEqual(ack, { ok: true }, `subscription ${i}`);
    await waitFor(() => completed.has(sent.body.jobId), { timeout: 20000, what: `job-completed of answer ${i}` });
  }
  // Subscribing to a job that has finished already sends its end and takes no room either.
  const first = [...completed][0];
  for (let i = 0; i < 4; i++) {
    assert.deepEqual(await socket.timeout(10000).emitWithAck('subscribe-job', first), { ok: true });
  }
});

function signed(secret, id, body, timestamp = Math.floor(Date.now() / 1000)) {
  const text = JSON.stringify(body);
  const sig = createHmac('sha256', secret).update(`${id}.${timestamp}.${text}`).digest('base64');
  return { text, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${sig}` } };
}

test('the job-completed webhook verifies its Standard Webhooks signature and saves once when delivered twice', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const body = { jobId: 'manual-1', conversationId: 'hook', userId: 'u', status: 'completed', result: { response: 'hi there' } };
  const post = (msg) => fetch(`${sys.base}/api/webhooks/job-completed`, { method: 'POST', headers: msg.headers, body: msg.text });
  const a = await post(signed('e2e-secret', 'msg-1', body));
  const b = await post(signed('e2e-secret', 'msg-1', body));
  assert.equal(a.status, 200);
  assert.equal((await a.json()).duplicate, false);
  assert.equal(b.status, 200);
  assert.equal((await b.json()).duplicate, true);

  const wrongKey = await post(signed('not-the-secret', 'msg-2', body));
  assert.equal(wrongKey.status, 401);
  assert.match((await wrongKey.json()).error, /signature/);
  const replay = await post(signed('e2e-secret', 'msg-3', body, Math.floor(Date.now() / 1000) - 600));
  assert.equal(replay.status, 401);
  assert.match((await replay.json()).error, /5 minutes/);
  const tampered = signed('e2e-secret', 'msg-4', body);
  tampered.text = tampered.text.replace('hi there', 'forged');
  assert.equal((await post(tampered)).status, 401);

  const history = await (await fetch(`${sys.base}/api/conversations/hook/messages`)).json();
  assert.equal(history.messages.length, 1);
  assert.equal(history.messages[0].content, 'hi there');

  // An answer holding U+0000 (PostgreSQL's text cannot) is stored whole, the NUL as U+FFFD.
  const nul = { jobId: 'manual-nul', conversationId: 'hook-nul', userId: 'u', status: 'completed', result: { response: 'a\u0000b' } };
  assert.equal((await post(signed('e2e-secret', 'msg-5', nul))).status, 200);
  const kept = await (await fetch(`${sys.base}/api/conversations/hook-nul/messages`)).json();
  assert.equal(kept.messages[0].content, 'a\ufffdb');
});

// Issue 13: job ids start again at 1 after Redis loses its data, so the receiver keys a
// delivery by the job's id and creation time (the payload's `timestamp`), not the id alone.
test('the job-completed webhook keys its idempotency by job id and creation time', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const post = (id, body) => {
    const msg = signed('e2e-secret', id, body);
    return fetch(`${sys.base}/api/webhooks/job-completed`, { method: 'POST', headers: msg.headers, body: msg.text });
  };
  const base = { jobId: '1', conversationId: 'reset', userId: 'u', status: 'completed' };
  const before = { ...base, timestamp: 1767225600000, result: { response: 'before the reset' } };
  const after = { ...base, timestamp: 1767229200000, result: { response: 'after the reset' } };
  const answers = [];
  for (const [id, body] of [['d-1', before], ['d-2', before], ['d-3', after], ['d-4', after]]) {
    const res = await post(id, body);
    assert.equal(res.status, 200);
    answers.push((await res.json()).duplicate);
  }
  assert.deepEqual(answers, [false, true, false, true]);
  // Without a timestamp (an older workers app): the id alone, as before.
  const legacy = { ...base, jobId: '7', result: { response: 'legacy' } };
  assert.equal((await (await post('d-5', legacy)).json()).duplicate, false);
  assert.equal((await (await post('d-6', legacy)).json()).duplicate, true);

  const history = await (await fetch(`${sys.base}/api/conversations/reset/messages`)).json();
  assert.deepEqual(history.messages.map((m) => m.content), ['before the reset', 'after the reset', 'legacy']);
});

test('an answer after Redis lost its data is stored although its job id repeats', { timeout: 90000 }, async () => {
  const sys = await startSystem();
  const conversationId = 'flushed';
  const assistantReplies = async () => {
    const h = await (await fetch(`${sys.base}/api/conversations/${conversationId}/messages`)).json();
    return h.messages.filter((m) => m.role === 'assistant');
  };
  const first = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u', message: 'one' });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  await waitFor(async () => (await assistantReplies()).length === 1, { timeout: 20000, what: 'the first answer' });

  const raw = await sys.redis.raw();
  await raw.flushall();  // the data loss
  // The API's next job goes on above the ids it knows; another program on the queue
  // (Node's Queue) counts from 1 again, and its job takes the first one's id: both
  // answers are stored, the repeated id's too (its delivery is keyed with the job's time).
  const second = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u', message: 'two' });
  assert.equal(second.status, 200, JSON.stringify(second.body));
  assert.notEqual(second.body.jobId, first.body.jobId);
  await waitFor(async () => (await assistantReplies()).length === 2, { timeout: 20000, what: 'the second answer' })
    .catch((e) => { throw new Error(`${e.message}\n${sys.workers.tail()}\n${sys.api.tail()}`); });
  await raw.flushall();
  const other = new bullmq.Queue('ai-processing', { connection: sys.redis.connection });
  onCleanup(() => other.close());
  const third = await other.add('generate-response', { conversationId, userId: 'u', message: 'three',
    webhookUrl: `${sys.base}/api/webhooks/job-completed`, apiReceiver: true });
  assert.equal(third.id, first.body.jobId);
  await waitFor(async () => (await assistantReplies()).length === 3, { timeout: 20000, what: 'the third answer' })
    .catch((e) => { throw new Error(`${e.message}\n${sys.workers.tail()}\n${sys.api.tail()}`); });
});

test('a job id sent as a number is subscribed to; an argument of the wrong type is answered 400, not left waiting', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const socket = io(sys.base, { transports: ['websocket'], reconnection: false });
  onCleanup(() => socket.close());
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'numeric', userId: 'u', message: 'hi' });
  assert.match(sent.body.jobId, /^\d+$/);
  const completed = new Promise((resolve) => socket.once('job-completed', resolve));
  const ack = await socket.timeout(5000).emitWithAck('subscribe-job', Number(sent.body.jobId));
  assert.deepEqual(ack, { ok: true });
  assert.equal((await completed).jobId, sent.body.jobId);
  // A conversation id sent as a number is the conversation the send named so.
  assert.deepEqual(await socket.timeout(5000).emitWithAck('join-conversation', 4242), { ok: true });
  // The empty id too: no job has it (the development mode acked it and waited for good).
  for (const [event, arg] of [['subscribe-job', { id: 1 }], ['subscribe-job', -3], ['subscribe-job', ''],
    ['join-conversation', 5.5], ['join', null]]) {
    const refused = await socket.timeout(5000).emitWithAck(event, arg);
    assert.equal(refused.status, 400, `${event} ${JSON.stringify(arg)}: ${JSON.stringify(refused)}`);
    assert.match(refused.error, /first argument must be/);
  }
});

test('a job subscribed to as it finishes gets its final event once', { timeout: 60000 }, async () => {
  // A second socket subscribes to each job at its last progress update (which the first
  // one follows), moments before the job finishes, so that its end falls between the
  // join's check and the join now and then: the final event then reached the client
  // twice, from the room and from the join's second look. The race is narrow; this holds
  // the contract over many such joins.
  const sys = await startSystem();
  const connect = async () => {
    const socket = io(sys.base, { transports: ['websocket'], reconnection: false });
    onCleanup(() => socket.close());
    await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
    return socket;
  };
  const follower = await connect();
  const late = await connect();
  const finals = new Map();
  for (const name of ['job-completed', 'job-failed']) {
    late.on(name, (p) => finals.set(p.jobId, (finals.get(p.jobId) ?? 0) + 1));
  }
  const subscribed = new Set();  // once each: a join after the end gets the final event again, by design
  follower.on('job-progress', (p) => {
    if (p.progress?.text !== CHUNKS.join('') || subscribed.has(p.jobId)) return;
    subscribed.add(p.jobId);
    late.emit('subscribe-job', p.jobId);
  });
  // A job whose last update came before the follower was in its room: joined at its end.
  for (const name of ['job-completed', 'job-failed']) {
    follower.on(name, (p) => {
      if (subscribed.has(p.jobId)) return;
      subscribed.add(p.jobId);
      late.emit('subscribe-job', p.jobId);
    });
  }
  const ids = [];
  for (let i = 0; i < 24; i += 1) {
    const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'finishing-joins', userId: 'u', message: `finish ${i}` });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    follower.emit('subscribe-job', sent.body.jobId);
    ids.push(sent.body.jobId);
  }
  await waitFor(() => ids.every((id) => finals.has(id)), { timeout: 30000, what: 'every final event' });
  await new Promise((r) => setTimeout(r, 500));  // a second one would come within this
  for (const id of ids) assert.equal(finals.get(id), 1, `job ${id}: ${finals.get(id)} final events`);
});

test('many joins in one polling request are all answered: past the checks that run at once they wait their turn, and a flood is told to retry (429), never "not found"', { timeout: 60000 }, async () => {
  // Rooms enough that the flood meets the waiting checks' bound, not the rooms'.
  const sys = await startSystem({ env: { SOCKETIO_MAX_ROOMS_PER_SOCKET: '1000' } });
  const socket = io(sys.base, { transports: ['polling'], reconnection: false });
  onCleanup(() => socket.close());
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  // What the chat page sends on a reconnect: its conversation and every unanswered job,
  // emitted in one tick, so that one POST carries them all.
  const acks = [socket.timeout(10000).emitWithAck('join-conversation', 'many-joins')];
  for (let i = 1; i <= 20; i++) acks.push(socket.timeout(10000).emitWithAck('subscribe-job', `many-${i}`));
  for (const ack of await Promise.all(acks)) assert.deepEqual(ack, { ok: true });

  const flood = [];
  for (let i = 1; i <= 150; i++) flood.push(socket.timeout(10000).emitWithAck('join-conversation', `flood-${i}`));
  const answers = await Promise.all(flood);
  const ok = answers.filter((a) => a.ok).length;
  const later = answers.filter((a) => a.status === 429 && a.retryAfter >= 1).length;
  assert.equal(ok + later, answers.length, JSON.stringify(answers.filter((a) => !a.ok && a.status !== 429)));
  assert.ok(ok >= 72, `${ok} joined`);
});
