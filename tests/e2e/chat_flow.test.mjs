// chat_flow.test.mjs - the seed's flow end to end on SQLite and on PostgreSQL: send, poll,
// webhook, history, assessment in the AI context, job_logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem, postJSON, getJSON, waitForJob, waitFor } from './system.mjs';
import { CHUNKS } from './fake_openai.mjs';
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import { bullmq } from '../interop/support.mjs';

const { io } = createRequire(import.meta.url)('socket.io-client');

for (const database of ['sqlite', 'postgres']) {
  test(`chat flow on ${database}: send, poll, webhook, history, job_logs`, { timeout: 90000 }, async () => {
    const sys = await startSystem({ database });
    const conversationId = `conv-${database}`;

    const put = await fetch(`${sys.base}/api/users/u1/assessment`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ level: 'beginner', goal: 'learn C++' }),
    });
    assert.equal(put.status, 200);

    const first = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u1', message: 'What is a queue?' });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.status, 'processing');
    assert.ok(first.body.jobId);
    assert.equal(typeof first.body.message, 'string');
    // The seed's check: the job is in Redis as BullMQ lays it out.
    assert.ok(['waiting', 'active', 'completed'].includes((await getJSON(sys.base, `/api/chat/job/${first.body.jobId}`)).body.status));

    const done = await waitForJob(sys.base, first.body.jobId);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.equal(done.result.response, CHUNKS.join(''));
    assert.equal(done.result.provider, 'openai-compatible');
    assert.equal(done.result.model, 'fake-model');

    // The model saw the assessment in the system prompt and the user's message.
    const prompt = sys.ai.requests.at(-1).body.messages;
    // The Host header names the port (the model server is not on the scheme's default).
    assert.equal(sys.ai.requests.at(-1).headers.host, new URL(sys.ai.url).host);
    assert.equal(prompt[0].role, 'system');
    assert.match(prompt[0].content, /beginner/);
    assert.equal(prompt.at(-1).content, 'What is a queue?');

    // The webhook stored the answer: the history has both messages.
    await waitFor(async () => (await getJSON(sys.base, `/api/conversations/${conversationId}/messages`)).body.messages.length === 2,
      { what: 'the assistant message from the webhook' });
    const history = (await getJSON(sys.base, `/api/conversations/${conversationId}/messages`)).body.messages;
    assert.deepEqual(history.map((m) => m.role), ['user', 'assistant']);
    assert.equal(history[1].content, CHUNKS.join(''));
    assert.equal(history[1].jobId, first.body.jobId);

    // A second message carries the previous ones as context.
    const second = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u1', message: 'And a worker?' });
    await waitForJob(sys.base, second.body.jobId);
    const prompt2 = sys.ai.requests.at(-1).body.messages.map((m) => m.content);
    assert.ok(prompt2.includes('What is a queue?'));
    assert.ok(prompt2.includes(CHUNKS.join('')));

    // job_logs followed the job: pending -> processing -> completed, written in batches.
    await waitFor(() => sys.db.query(`select status from job_logs where job_id = '${first.body.jobId}'`) === 'completed',
      { what: 'job_logs to say completed' });
    const row = sys.db.query(`select queue, job_type, user_id, started_at is not null, completed_at is not null from job_logs where job_id = '${first.body.jobId}'`);
    assert.match(row, /^ai-processing\|generate-response\|u1\|(1|t)\|(1|t)$/);
  });
}

// What one user's sends can put into Redis and the database is bounded: each job copies
// the newest history that fits 64 kB and an assessment of at most 16 kB, keeps no control
// characters, and leaves Redis an hour after it ends (its status then comes from job_logs).
test('what a send stores is bounded, and an ended job Redis dropped still answers from job_logs', { timeout: 90000 }, async () => {
  const sys = await startSystem();
  const conversationId = 'bounded';
  const big = await fetch(`${sys.base}/api/users/u1/assessment`, {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ notes: 'x'.repeat(20000) }),
  });
  assert.equal(big.status, 413, await big.text());
  const ctl = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u1', message: 'bell \u0007' });
  assert.equal(ctl.status, 400, JSON.stringify(ctl.body));
  assert.match(ctl.body.error, /control characters/);
  // DEL and C1 too (NEL, CSI); not the marks of mixed right-to-left text.
  for (const message of ['del \u007f', 'nel \u0085', 'csi \u009b31m']) {
    const refused = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u1', message });
    assert.equal(refused.status, 400, message);
  }
  const marked = await postJSON(sys.base, '/api/chat/send', { conversationId: 'rtl', userId: 'u1', message: 'كم \u200fعمرك؟ é' });
  assert.equal(marked.status, 200, JSON.stringify(marked.body));

  const ids = [];
  for (const letter of ['a', 'b', 'c', 'd']) {
    const sent = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u1', message: letter.repeat(30000) });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    ids.push(sent.body.jobId);
    await waitForJob(sys.base, sent.body.jobId);
    await waitFor(async () => (await getJSON(sys.base, `/api/conversations/${conversationId}/messages`)).body.messages.length
      === 2 * ids.length, { what: `answer ${ids.length}` });
  }
  // The fourth prompt: the newest two exchanges fit in 64 kB, the first does not.
  const prompt = sys.ai.requests.at(-1).body.messages.map((m) => m.content);
  assert.ok(!prompt.includes('a'.repeat(30000)), 'the oldest message left out');
  assert.ok(prompt.includes('b'.repeat(30000)) && prompt.includes('c'.repeat(30000)));
  assert.equal(prompt.at(-1), 'd'.repeat(30000));

  const queue = new bullmq.Queue('ai-processing', { connection: sys.redis.connection });
  try {
    const job = await queue.getJob(ids[0]);
    assert.deepEqual(job.opts.removeOnComplete, { age: 3600, count: 10000 });
    assert.deepEqual(job.opts.removeOnFail, { age: 86400, count: 10000 });
    const before = (await getJSON(sys.base, `/api/chat/job/${ids[0]}`)).body;
    await waitFor(() => sys.db.query(`select status from job_logs where job_id = '${ids[0]}'`) === 'completed',
      { what: 'job_logs to say completed' });
    // job_logs keeps the job's data without its context.
    assert.ok(!sys.db.query(`select payload from job_logs where job_id = '${ids[1]}'`).includes('context'));
    await job.remove();
    const after = await getJSON(sys.base, `/api/chat/job/${ids[0]}`);
    assert.equal(after.status, 200, JSON.stringify(after.body));
    assert.deepEqual(after.body, { status: 'completed', result: before.result });
    // A Socket.IO subscription to it gets its final event from job_logs too.
    const socket = io(sys.base, { transports: ['websocket'], reconnection: false });
    try {
      await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
      const completed = new Promise((resolve) => socket.once('job-completed', resolve));
      const ack = await socket.timeout(5000).emitWithAck('subscribe-job', ids[0]);
      assert.equal(ack.ok, true, JSON.stringify(ack));
      assert.deepEqual(await completed, { jobId: ids[0], result: before.result });
    } finally {
      socket.close();
    }
    // The answer's webhook records the job completed as well: after an API outage longer
    // than Redis keeps the job, the relay's reconciler finds it gone and says failed, and
    // the answer is delivered for the first time after that.
    sys.db.query(`update job_logs set status = 'failed', result = null, updated_at = 0 where job_id = '${ids[2]}'`);
    sys.db.query(`delete from messages where job_id = '${ids[2]}' and role = 'assistant'`);
    const third = await queue.getJob(ids[2]);
    const text = JSON.stringify({ jobId: ids[2], timestamp: third.timestamp, conversationId, userId: 'u1',
      status: 'completed', result: third.returnvalue });
    const deliver = async (webhookId) => {
      const at = String(Math.floor(Date.now() / 1000));
      const signature = createHmac('sha256', 'e2e-secret').update(`${webhookId}.${at}.${text}`).digest('base64');
      const res = await fetch(`${sys.base}/api/webhooks/job-completed`, { method: 'POST', body: text, headers: {
        'content-type': 'application/json', 'webhook-id': webhookId, 'webhook-timestamp': at, 'webhook-signature': `v1,${signature}` } });
      assert.equal(res.status, 200, await res.text());
    };
    await deliver('again');
    assert.equal(sys.db.query(`select status from job_logs where job_id = '${ids[2]}'`), 'completed');
    assert.equal((await getJSON(sys.base, `/api/conversations/${conversationId}/messages`)).body.messages.length, 8);
    // The same answer sent once more changes nothing: by then the row could be a newer
    // job's of the same id (ids restart when Redis loses its data), and it is stored once.
    sys.db.query(`update job_logs set status = 'failed' where job_id = '${ids[2]}'`);
    await deliver('once-more');
    assert.equal(sys.db.query(`select status from job_logs where job_id = '${ids[2]}'`), 'failed');
    assert.equal((await getJSON(sys.base, `/api/conversations/${conversationId}/messages`)).body.messages.length, 8,
      'the answer delivered again is not stored twice');
  } finally {
    await queue.close();
  }
  assert.equal((await getJSON(sys.base, '/api/chat/job/999999')).status, 404);
});

// Two jobs of one message can both run (a keyed retry after a failover whose new master
// never had the first attempt's deduplication id): the message is answered once.
test('a second job answering the same message is not stored as a second answer', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c-twice', userId: 'u1', message: 'once please' });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  await waitFor(async () => (await getJSON(sys.base, '/api/conversations/c-twice/messages')).body.messages.length === 2,
    { what: 'the answer stored' });
  const [question] = (await getJSON(sys.base, '/api/conversations/c-twice/messages')).body.messages;
  const text = JSON.stringify({ jobId: '999998', timestamp: Date.now(), conversationId: 'c-twice', userId: 'u1',
    messageId: question.id, status: 'completed', result: { response: 'a second answer' } });
  const at = String(Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', 'e2e-secret').update(`second.${at}.${text}`).digest('base64');
  const res = await fetch(`${sys.base}/api/webhooks/job-completed`, { method: 'POST', body: text, headers: {
    'content-type': 'application/json', 'webhook-id': 'second', 'webhook-timestamp': at, 'webhook-signature': `v1,${signature}` } });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).duplicate, true);
  const history = (await getJSON(sys.base, '/api/conversations/c-twice/messages')).body.messages;
  assert.deepEqual(history.map((m) => m.role), ['user', 'assistant']);
  assert.ok(!history.some((m) => m.content === 'a second answer'));
});

test('a failing model fails the job with a category (the provider\'s message goes to the log), after the seed\'s 3 attempts', { timeout: 90000 }, async () => {
  const sys = await startSystem();
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c-fail', userId: 'u2', message: 'please [500]' });
  const done = await waitForJob(sys.base, sent.body.jobId, 60000);
  assert.equal(done.status, 'failed');
  assert.equal(done.error, 'the AI provider failed (HTTP 500)');
  await waitFor(() => sys.db.query(`select status from job_logs where job_id = '${sent.body.jobId}'`) === 'failed',
    { what: 'job_logs to say failed' });
  const err = sys.db.query(`select error_message from job_logs where job_id = '${sent.body.jobId}'`);
  assert.equal(err, 'the AI provider failed (HTTP 500)');
  assert.match(sys.workers.output, new RegExp(`queue ai-processing: job ${sent.body.jobId} \\(attempt \\d+\\): ai: the AI provider failed \\(HTTP 500\\) \\(model server http://127\\.0\\.0\\.1:\\d+/v1\\): answered 500: upstream exploded`));
});

test('with PostgreSQL away the API answers 503 within about a second, and jobs already accepted still complete', { timeout: 90000 }, async () => {
  const sys = await startSystem({ database: 'postgres' });
  const accepted = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c-db', userId: 'u', message: 'before the outage' });
  assert.equal(accepted.status, 200);
  await sys.db.stop();
  const t0 = Date.now();
  const res = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c-db', userId: 'u', message: 'during the outage' });
  assert.equal(res.status, 503, JSON.stringify(res.body));
  assert.match(res.body.error, /Database unavailable/);
  assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
  assert.equal((await getJSON(sys.base, '/readyz')).status, 503);
  const workersReady = await getJSON(`http://127.0.0.1:${sys.workersPort}`, '/readyz');
  assert.equal(workersReady.status, 503, JSON.stringify(workersReady.body));
  assert.deepEqual(workersReady.body, { status: 'unavailable', redis: 'ok', database: 'unavailable' });
  // The queue does not depend on the database: the accepted job completes.
  const done = await waitForJob(sys.base, accepted.body.jobId);
  assert.equal(done.status, 'completed');
});

test('a job_logs update PostgreSQL refuses is dropped with a log line and does not hold back later ones', { timeout: 90000 }, async () => {
  const sys = await startSystem({ database: 'postgres' });
  const first = await postJSON(sys.base, '/api/chat/send', { conversationId: 'poison', userId: 'u1', message: 'one' });
  await waitForJob(sys.base, first.body.jobId);
  // A completed event whose return value PostgreSQL's jsonb cannot hold (\u0000), as a
  // producer or worker elsewhere could write it.
  const raw = await sys.redis.raw();
  await raw.xadd('bull:ai-processing:events', '*', 'event', 'completed', 'jobId', first.body.jobId,
    'returnvalue', JSON.stringify({ response: 'nul \u0000 here' }), 'prev', 'active');
  const second = await postJSON(sys.base, '/api/chat/send', { conversationId: 'poison', userId: 'u1', message: 'two' });
  await waitForJob(sys.base, second.body.jobId);
  await waitFor(() => sys.db.query(`select status from job_logs where job_id = '${second.body.jobId}'`) === 'completed',
    { timeout: 20000, what: 'the later job_logs row to be written' });
  await waitFor(() => /dropping a job_logs update of job/.test(sys.api.output), { what: 'the error line about the dropped update' });
});
