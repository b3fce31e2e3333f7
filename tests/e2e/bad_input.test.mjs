// bad_input.test.mjs - every bad request gets its status code and a JSON error, and the
// API answers 503 within a second when Redis is away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startSystem, postJSON, getJSON } from './system.mjs';

test('bad requests get 4xx JSON errors, never a crash', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const send = (body, headers = { 'content-type': 'application/json' }) =>
    fetch(`${sys.base}/api/chat/send`, { method: 'POST', headers, body });

  const cases = [
    ['malformed JSON', await send('{"conversationId": '), 400, /Malformed JSON/],
    ['not an object', await send('[1,2]'), 400, /JSON object/],
    ['wrong content type', await send('conversationId=1', { 'content-type': 'application/x-www-form-urlencoded' }), 415, /application\/json/],
    ['a type that only begins as JSON\'s', await send('{}', { 'content-type': 'application/jsonx' }), 415, /application\/json/],
    ['missing message', await send(JSON.stringify({ conversationId: 'c', userId: 'u' })), 400, /'message'/],
    ['missing conversationId', await send(JSON.stringify({ message: 'm', userId: 'u' })), 400, /'conversationId'/],
    ['missing userId', await send(JSON.stringify({ message: 'm', conversationId: 'c' })), 400, /'userId'/],
    ['message not a string', await send(JSON.stringify({ message: 5, conversationId: 'c', userId: 'u' })), 400, /'message'/],
    ['conversationId an object', await send(JSON.stringify({ message: 'm', conversationId: {}, userId: 'u' })), 400, /'conversationId'/],
    ['NUL in message', await send(JSON.stringify({ message: 'a\u0000b', conversationId: 'c', userId: 'u' })), 400, /'message' must not contain NUL/],
    ['NUL in userId', await send(JSON.stringify({ message: 'm', conversationId: 'c', userId: 'u\u0000' })), 400, /'userId'/],
    ['bad priority', await send(JSON.stringify({ message: 'm', conversationId: 'c', userId: 'u', priority: 0 })), 400, /'priority'/],
    ['bad webhookUrl', await send(JSON.stringify({ message: 'm', conversationId: 'c', userId: 'u', webhookUrl: 'ftp://x' })), 400, /'webhookUrl'/],
    ['webhookUrl as an IRI', await send(JSON.stringify({ message: 'm', conversationId: 'c', userId: 'u', webhookUrl: 'http://例え.jp/フック' })), 400, /'webhookUrl' must be written in ASCII: percent-encode/],
    ['webhookUrl without a host', await send(JSON.stringify({ message: 'm', conversationId: 'c', userId: 'u', webhookUrl: 'http:hook' })), 400, /'webhookUrl'/],
    ['message over 32 KiB of UTF-8', await send(JSON.stringify({ message: 'é'.repeat(16385), conversationId: 'c', userId: 'u' })), 400, /'message' is longer than 32768 bytes of UTF-8/],
    ['webhookUrl with a password', await send(JSON.stringify({ message: 'm', conversationId: 'c', userId: 'u', webhookUrl: 'https://me:secret@example.invalid/hook' })), 400, /must not carry a user name or password/],
    ['webhookUrl too long', await send(JSON.stringify({ message: 'm', conversationId: 'c', userId: 'u', webhookUrl: `https://example.invalid/${'a'.repeat(3000)}` })), 400, /'webhookUrl' is longer than 2048 bytes/],
    ['NUL in an assessment', await fetch(`${sys.base}/api/users/u/assessment`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"level":{"x\\u0000":["\\u0000"]}}' }), 400, /'assessment' must not contain NUL/],
    ['assessment nested too deeply', await fetch(`${sys.base}/api/users/u/assessment`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: `{"a":${'['.repeat(40)}${']'.repeat(40)}}` }), 400, /nests deeper than 32 levels/],
    ['too large', await send(JSON.stringify({ message: 'x'.repeat(1100 * 1024), conversationId: 'c', userId: 'u' })), 413, /too large/],
    ['unknown route', await fetch(`${sys.base}/api/nope`), 404, /Not found/],
    ['wrong method', await fetch(`${sys.base}/api/chat/send`), 405, /Method not allowed/],
    ['unknown job', await fetch(`${sys.base}/api/chat/job/does-not-exist`), 404, /^Job not found$/],
    ['unsigned webhook', await fetch(`${sys.base}/api/webhooks/job-completed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }), 401, /webhook-signature/],
  ];
  for (const [what, res, status, pattern] of cases) {
    assert.equal(res.status, status, what);
    assert.match(res.headers.get('content-type') || '', /application\/json/, what);
    const body = await res.json();
    assert.match(body.error, pattern, what);
  }
  // A scheme in capitals and a fragment are a URL like any other (both were refused); the
  // fragment, never sent, is dropped.
  const odd = await send(JSON.stringify({ message: 'm', conversationId: 'c-odd-url', userId: 'u', webhookUrl: 'HTTP://example.invalid/hook#part' }));
  const oddBody = await odd.json();
  assert.equal(odd.status, 200, JSON.stringify(oddBody));
  const stored = await (await sys.redis.raw()).hget(`bull:ai-processing:${oddBody.jobId}`, 'data');
  assert.equal(JSON.parse(stored).userWebhookUrl, 'http://example.invalid/hook');

  // A connection that sends half a request and stalls is closed by the server's timeout;
  // meanwhile other requests are served.
  const stalled = net.connect(sys.apiPort, '127.0.0.1');
  stalled.write('POST /api/chat/send HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{"a"');
  assert.equal((await getJSON(sys.base, '/healthz')).status, 200);
  stalled.destroy();

  // The server is still alive after all of that.
  assert.equal((await getJSON(sys.base, '/healthz')).body.status, 'ok');
});

test('with Redis away the API answers 503 within a second, and recovers', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  await sys.redis.stop();
  const t0 = Date.now();
  const res = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c', userId: 'u', message: 'hello' });
  assert.equal(res.status, 503);
  assert.match(res.body.error, /unavailable/i);
  assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
  const ready = await getJSON(sys.base, '/readyz');
  assert.equal(ready.status, 503);
});
