// live_updates.test.mjs - the browser's view: socket.io-client (unchanged, from npm) follows a
// job over the API's Socket.IO endpoint, and the webhook is idempotent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startSystem, postJSON, waitFor } from './system.mjs';
import { onCleanup } from '../interop/support.mjs';
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
  });
}

test('the job-completed webhook saves once when delivered twice, and checks its secret', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const body = { jobId: 'manual-1', conversationId: 'hook', userId: 'u', status: 'completed', result: { response: 'hi there' } };
  const headers = { 'x-webhook-secret': 'e2e-secret' };
  const a = await postJSON(sys.base, '/api/webhooks/job-completed', body, headers);
  const b = await postJSON(sys.base, '/api/webhooks/job-completed', body, headers);
  assert.equal(a.status, 200);
  assert.equal(a.body.duplicate, false);
  assert.equal(b.status, 200);
  assert.equal(b.body.duplicate, true);
  const wrong = await postJSON(sys.base, '/api/webhooks/job-completed', body, { 'x-webhook-secret': 'nope' });
  assert.equal(wrong.status, 401);
  const history = await (await fetch(`${sys.base}/api/conversations/hook/messages`)).json();
  assert.equal(history.messages.length, 1);
});
