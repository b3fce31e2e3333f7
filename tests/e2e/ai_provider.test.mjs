// ai_provider.test.mjs - the OpenAI-compatible provider against the fake model server:
// streaming into progress, 429 with Retry-After, 4xx, malformed chunks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem, postJSON, getJSON, waitForJob } from './system.mjs';
import { CHUNKS } from './fake_openai.mjs';

const API_KEY = 'sk-e2e-SECRET-0123456789abcdef';

test('the provider streams, retries 429 after Retry-After, and reports 4xx and malformed streams', { timeout: 120000 }, async () => {
  const sys = await startSystem({ env: { AI_API_KEY: API_KEY } });

  const limited = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c1', userId: 'u', message: 'busy [429]' });
  const t0 = Date.now();
  const ok = await waitForJob(sys.base, limited.body.jobId);
  assert.equal(ok.status, 'completed');
  assert.equal(ok.result.response, CHUNKS.join(''));
  const tries = sys.ai.requests.filter((r) => r.body.messages?.at(-1)?.content === 'busy [429]');
  assert.equal(tries.length, 2, 'one 429, then one success within the same attempt');
  assert.ok(Date.now() - t0 >= 900, 'waited for Retry-After');

  const bad = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c1', userId: 'u', message: 'oops [400]' });
  const failed = await waitForJob(sys.base, bad.body.jobId, 60000);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error, 'the AI provider refused the request (HTTP 400)');

  // The provider's answer echoes the key and names a host: the user reads a category, the
  // operator the detail in the Workers app's log, with the key masked.
  const denied = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c1', userId: 'u', message: 'key [401]' });
  const refused = await waitForJob(sys.base, denied.body.jobId, 60000);
  assert.equal(refused.status, 'failed');
  assert.equal(refused.error, 'the AI provider refused the request (HTTP 401)');
  const log = sys.workers.output;
  assert.match(log, /Incorrect API key provided: Bearer \*\*\* at internal host ai-gw\.internal:8443/);
  assert.ok(!log.includes(API_KEY), 'the key is masked in the log');
  assert.match(log, /bad model name/, 'the 400\'s message is logged for operators');

  const broken = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c1', userId: 'u', message: 'garbled [malformed]' });
  const garbled = await waitForJob(sys.base, broken.body.jobId, 60000);
  assert.equal(garbled.status, 'failed');
  assert.equal(garbled.error, 'the AI provider sent an answer that could not be read');
  assert.match(sys.workers.output, /malformed stream chunk/);

  // Progress during streaming ends with the whole text.
  const job = (await getJSON(sys.base, `/api/chat/job/${limited.body.jobId}`)).body;
  assert.equal(job.status, 'completed');
});

test('a model server that hangs fails the attempt after AI_TIMEOUT_MS, not forever', { timeout: 90000 }, async () => {
  const sys = await startSystem({ env: { AI_TIMEOUT_MS: '500' } });
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c-hang', userId: 'u', message: 'wait [hang]' });
  const done = await waitForJob(sys.base, sent.body.jobId, 60000);
  assert.equal(done.status, 'failed');
  assert.equal(done.error, 'the AI provider timed out');
});

test('a slow stream that never falls silent for AI_TIMEOUT_MS completes, its progress arriving chunk by chunk', { timeout: 90000 }, async () => {
  // 400 ms between chunks, 2.4 s in all: longer than the timeout, each silence shorter.
  const sys = await startSystem({ env: { AI_TIMEOUT_MS: '1000' } });
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c-trickle', userId: 'u', message: 'take your time [trickle]' });
  const partial = [];
  let job;
  const deadline = Date.now() + 30000;
  do {
    job = (await getJSON(sys.base, `/api/chat/job/${sent.body.jobId}`)).body;
    const text = job.progress?.text;
    if (job.status === 'active' && typeof text === 'string' && text.length > 0 && text !== CHUNKS.join('')) partial.push(text);
    await new Promise((r) => setTimeout(r, 100));
  } while (!['completed', 'failed'].includes(job.status) && Date.now() < deadline);
  assert.equal(job.status, 'completed', JSON.stringify(job));
  assert.equal(job.result.response, CHUNKS.join(''));
  assert.ok(new Set(partial).size >= 2, `progress while streaming: ${JSON.stringify([...new Set(partial)])}`);
});

// A security review's provider streamed ~5 MB/s without end: every progress update (the
// text so far) went into the events stream, Redis grew to 1.8 GB, and an answer over the
// API's body limit was lost. And one line of 60 MB held a Workers thread past the
// attempt's timeout. An answer is bounded (AI_MAX_ANSWER_BYTES), a stream line too.
test('an answer past AI_MAX_ANSWER_BYTES, or a stream line without end, fails the attempt and keeps Redis small', { timeout: 120000 }, async () => {
  const sys = await startSystem({ env: { AI_MAX_ANSWER_BYTES: '16384' } });
  const raw = await sys.redis.raw();
  for (const message of ['flood [endless]', 'one line [longline]']) {
    const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c-big', userId: 'u', message });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const done = await waitForJob(sys.base, sent.body.jobId, 60000);
    assert.equal(done.status, 'failed', message);
    assert.equal(done.error, "the AI provider's answer was longer than this service takes", message);
  }
  assert.match(sys.workers.output, /AI_MAX_ANSWER_BYTES \(16384 bytes\)/);
  assert.match(sys.workers.output, /a stream line passed \d+ bytes without ending/);
  const events = Number(await raw.memory('USAGE', 'bull:ai-processing:events'));
  assert.ok(events < 4 * 1024 * 1024, `the events stream takes ${events} bytes`);
});
