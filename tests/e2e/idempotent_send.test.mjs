// idempotent_send.test.mjs - POST /api/chat/send with an Idempotency-Key: a retry answers
// the first job and stores nothing twice, even when the first attempt got a 503 from a
// hung Redis that ran its add all the same (the fault review's "93 of 93"); a key reused
// for another message is 422, a malformed one 400, and one user's key is not another's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem, getJSON, waitForJob, waitFor, sleep } from './system.mjs';

async function send(base, body, key) {
  const headers = { 'content-type': 'application/json' };
  if (key !== undefined) headers['idempotency-key'] = key;
  const res = await fetch(`${base}/api/chat/send`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function messages(sys, conversationId) {
  return (await getJSON(sys.base, `/api/conversations/${conversationId}/messages`)).body.messages;
}

// The model's requests for `message`: one per answer generated.
const asked = (sys, message) => sys.ai.requests.filter((r) => r.body.messages.at(-1).content === message).length;

test('sends with an Idempotency-Key are answered once however often they are retried', { timeout: 90000 }, async (t) => {
  const sys = await startSystem();

  await t.test('the same key twice: one job, one message, the same job id', async () => {
    const body = { conversationId: 'c-twice', userId: 'u1', message: 'hello once' };
    const first = await send(sys.base, body, 'key-twice-1');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.duplicate, undefined);
    const again = await send(sys.base, body, '"key-twice-1"');  // the draft's quoted form is the same key
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.jobId, first.body.jobId);
    assert.equal(again.body.duplicate, true);
    assert.equal(again.body.status, 'processing');
    assert.equal((await waitForJob(sys.base, first.body.jobId)).status, 'completed');
    await waitFor(async () => (await messages(sys, 'c-twice')).length === 2, { what: 'the answer' });
    const third = await send(sys.base, body, 'key-twice-1');  // after the answer, too
    assert.equal(third.body.jobId, first.body.jobId);
    await sleep(300);
    const ms = await messages(sys, 'c-twice');
    assert.deepEqual(ms.map((m) => m.role), ['user', 'assistant'], JSON.stringify(ms));
    assert.equal(asked(sys, 'hello once'), 1);
  });

  await t.test('a key reused for another message is 422; malformed keys are 400', async () => {
    const first = await send(sys.base, { conversationId: 'c-reuse', userId: 'u1', message: 'first' }, 'key-reuse');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const other = await send(sys.base, { conversationId: 'c-reuse', userId: 'u1', message: 'second' }, 'key-reuse');
    assert.equal(other.status, 422, JSON.stringify(other.body));
    assert.match(other.body.error, /Idempotency-Key/);
    const elsewhere = await send(sys.base, { conversationId: 'c-reuse-2', userId: 'u1', message: 'first' }, 'key-reuse');
    assert.equal(elsewhere.status, 422, JSON.stringify(elsewhere.body));
    for (const bad of ['', 'x'.repeat(256), 'has space', 'caf\u00e9'.normalize('NFD').replace(/[^\x00-\x7f]/g, '*')]) {
      const res = await send(sys.base, { conversationId: 'c-bad', userId: 'u1', message: 'm' }, bad);
      assert.equal(res.status, 400, `${JSON.stringify(bad)}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error, /Idempotency-Key/);
    }
    assert.deepEqual((await messages(sys, 'c-reuse')).filter((m) => m.role === 'user').map((m) => m.content), ['first']);
    assert.equal((await getJSON(sys.base, '/api/conversations/c-reuse-2/messages')).body.messages.length, 0);
  });

  await t.test("one user's key does not match another's", async () => {
    const a = await send(sys.base, { conversationId: 'c-user-a', userId: 'ua', message: 'same words' }, 'shared-key');
    const b = await send(sys.base, { conversationId: 'c-user-b', userId: 'ub', message: 'same words' }, 'shared-key');
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(b.status, 200, JSON.stringify(b.body));
    assert.notEqual(a.body.jobId, b.body.jobId);
    assert.equal(b.body.duplicate, undefined);
    // Each user's own retry still finds its own job.
    for (const [user, conv, first] of [['ua', 'c-user-a', a], ['ub', 'c-user-b', b]]) {
      const retry = await send(sys.base, { conversationId: conv, userId: user, message: 'same words' }, 'shared-key');
      assert.equal(retry.body.jobId, first.body.jobId, `${user}'s retry`);
    }
    // And the same conversation and message under another user's key is that user's own.
    const c = await send(sys.base, { conversationId: 'c-user-a', userId: 'ua', message: 'again' }, 'key-a2');
    assert.equal(c.status, 200);
    for (const j of [a, b, c]) assert.equal((await waitForJob(sys.base, j.body.jobId)).status, 'completed');
  });

  await t.test('a 503 from a hung Redis, then a retry with the same key: one job, one answer', async () => {
    const body = { conversationId: 'c-hung', userId: 'u1', message: 'sent while Redis hung' };
    sys.redis.proc.kill('SIGSTOP');
    let first;
    try {
      first = await send(sys.base, body, 'key-hung');
      await sleep(1500);  // Redis about 2.5 s away in all
    } finally {
      sys.redis.proc.kill('SIGCONT');
    }
    assert.equal(first.status, 503, JSON.stringify(first.body));
    assert.match(first.body.error, /same Idempotency-Key/);
    let retry;
    await waitFor(async () => {
      retry = await send(sys.base, body, 'key-hung');
      return retry.status !== 503;
    }, { timeout: 15000, what: 'the API to reach Redis again' });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.duplicate, true);
    // The refused attempt's add ran when Redis woke (so the retry met its deduplication id):
    // the case of the review, not merely an add that never left the API.
    const events = await (await sys.redis.raw()).xrange('bull:ai-processing:events', '-', '+');
    assert.ok(events.some(([, f]) => f[1] === 'deduplicated' && f.includes(retry.body.jobId)), 'a deduplicated add');
    assert.equal((await waitForJob(sys.base, retry.body.jobId)).status, 'completed');
    await waitFor(async () => (await messages(sys, 'c-hung')).length >= 2, { what: 'the answer' });
    await sleep(1000);  // room for a second job's answer, were there one
    const ms = await messages(sys, 'c-hung');
    assert.deepEqual(ms.map((m) => m.role), ['user', 'assistant'], JSON.stringify(ms));
    assert.equal(ms[1].jobId, retry.body.jobId);
    assert.equal(asked(sys, body.message), 1);
  });

  await t.test('a full Redis refuses the send with a 503 that says so; a retry once it has room is answered once', async () => {
    const body = { conversationId: 'c-full', userId: 'u1', message: 'sent while Redis was full' };
    const raw = await sys.redis.raw();
    await raw.config('SET', 'maxmemory', '1');
    let first;
    try {
      first = await send(sys.base, body, 'key-full');
    } finally {
      await raw.config('SET', 'maxmemory', '0');
    }
    assert.equal(first.status, 503, JSON.stringify(first.body));
    assert.match(first.body.error, /Redis is out of memory \(maxmemory\); the job was not queued; retry with the same Idempotency-Key/);
    const retry = await send(sys.base, body, 'key-full');
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal((await waitForJob(sys.base, retry.body.jobId)).status, 'completed');
  });
});
