// Rotating WEBHOOK_SECRET with WEBHOOK_SECRET_PREVIOUS (security.md, "Rotating keys"): the
// Workers app restarted first signs each delivery with both keys, which the API still on
// the old secret accepts and a user's receiver on either key verifies (with npm's
// standardwebhooks); the API restarted then hands out the new key, with which every
// delivery already verifies; the end of the rotation leaves the old key refused.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import { startSystem, startApi, startWorkers, freePort, getJSON, postJSON, waitFor } from './system.mjs';
import { onCleanup } from '../interop/support.mjs';

const require = createRequire(import.meta.url);
const { Webhook } = require('standardwebhooks');

const oldSecret = 'e2e-webhook-secret-before-the-rotation';
const newSecret = 'whsec_bmV3LXNlY3JldC1vZi10aGUtcm90YXRpb24tdGVzdA==';
let sys, receiver;

// A user's receiver: keeps what it got, answers 204.
async function startUserReceiver() {
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      res.writeHead(204);
      res.end();
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  onCleanup(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
  return { port, seen, url: `http://127.0.0.1:${port}/hook` };
}

const verifies = (key, got) => {
  try {
    new Webhook(key).verify(got.body, got.headers);
    return true;
  } catch {
    return false;
  }
};

async function answered(conversationId, message) {
  const sent = await postJSON(sys.base, '/api/chat/send',
    { conversationId, userId: 'u1', message, webhookUrl: receiver.url });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  // In the conversation: the API's receiver took the Workers app's answer.
  await waitFor(async () => (await getJSON(sys.base, `/api/conversations/${conversationId}/messages`)).body?.messages
    ?.some((m) => m.role === 'assistant'), { what: `the answer in ${conversationId}` });
  let got;
  await waitFor(async () => {
    got = receiver.seen.find((s) => JSON.parse(s.body).conversationId === conversationId);
    return Boolean(got);
  }, { what: `the delivery of ${sent.body.jobId} to the user's receiver` });
  return got;
}

before(async () => {
  receiver = await startUserReceiver();
  sys = await startSystem({
    env: { WEBHOOK_SECRET: oldSecret, WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}` },
  });
});

test('a rotation of WEBHOOK_SECRET loses no answer and no user\'s delivery, and ends with the old key refused', { timeout: 120000 }, async () => {
  const before = await getJSON(sys.base, '/api/webhooks/signing-key?userId=u1');
  assert.equal(before.status, 200);
  assert.deepEqual(Object.keys(before.body).sort(), ['key', 'userId'], 'no previousKey without a rotation');
  const oldKey = before.body.key;

  // 1. The Workers app first: each delivery carries the new key's signature and the old.
  await sys.workers.stop();
  sys.workers = await startWorkers(sys, [], { WEBHOOK_SECRET: newSecret, WEBHOOK_SECRET_PREVIOUS: oldSecret });
  // The API, still on the old secret alone, takes the answer by its old signature.
  const first = await answered('rotation-1', 'Hi');
  assert.equal(first.headers['webhook-signature'].split(' ').length, 2, first.headers['webhook-signature']);
  assert.ok(verifies(oldKey, first), 'a receiver still on the old key verifies it');

  // 2. The API: it trusts both secrets, and hands out both keys.
  await sys.api.stop();
  sys.api = await startApi(sys, [], { WEBHOOK_SECRET: newSecret, WEBHOOK_SECRET_PREVIOUS: oldSecret });
  const during = await getJSON(sys.base, '/api/webhooks/signing-key?userId=u1');
  assert.equal(during.body.previousKey, oldKey);
  assert.notEqual(during.body.key, oldKey);
  const newKey = during.body.key;
  // A receiver that takes its new key at once loses nothing: the deliveries were already
  // signed with it.
  assert.ok(verifies(newKey, first), 'the delivery before the API\'s restart verifies with the new key');
  const second = await answered('rotation-2', 'Hi again');
  assert.ok(verifies(oldKey, second), 'a receiver still on the old key verifies it');
  assert.ok(verifies(newKey, second), 'a receiver given the new key verifies it');

  // 3. The end of the rotation: the old secret's signature is refused, the new one's taken.
  await sys.api.stop();
  sys.api = await startApi(sys, [], { WEBHOOK_SECRET: newSecret, WEBHOOK_SECRET_PREVIOUS: '' });
  const after = await getJSON(sys.base, '/api/webhooks/signing-key?userId=u1');
  assert.deepEqual(after.body, { userId: 'u1', key: newKey });
  const body = JSON.stringify({ jobId: 'rotated-1', conversationId: 'rotation-1', userId: 'u1', status: 'completed',
    result: { response: 'forged with the retired secret' } });
  const post = (secret) => {
    const when = new Date();
    return fetch(`${sys.base}/api/webhooks/job-completed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_rotated_1',
        'webhook-timestamp': String(Math.floor(when.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign('msg_rotated_1', when, body) },
      body,
    });
  };
  const oldSigned = await post(Buffer.from(oldSecret).toString('base64'));
  assert.equal(oldSigned.status, 401, await oldSigned.text());
  const newSigned = await post(newSecret);
  assert.equal(newSigned.status, 200, await newSigned.text());
});
