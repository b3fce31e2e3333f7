// Standard Webhooks secrets ("whsec_" + base64) against the reference npm library
// `standardwebhooks`, both ways: a receiver verifying with the library accepts what the
// drover workers sign, and the drover API accepts what the library signs (and refuses a
// signature made with the secret's text as the key, as drover did before).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { startSystem, freePort, postJSON, waitFor, waitForJob } from './system.mjs';
import { bullmq, onCleanup } from '../interop/support.mjs';

const require = createRequire(import.meta.url);
const { Webhook } = require('standardwebhooks');

const secret = `whsec_${randomBytes(24).toString('base64')}`;
const operatorSecret = `whsec_${randomBytes(24).toString('base64')}`;
let sys, deliveries, receiver;

// A receiver that verifies every request with the reference library.
async function startVerifyingReceiver() {
  const seen = [];
  const wh = new Webhook(operatorSecret);
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      let verified = null, error = null;
      try {
        verified = wh.verify(body, req.headers);
      } catch (e) {
        error = e.message;
      }
      seen.push({ id: req.headers['webhook-id'], verified, error });
      res.writeHead(verified ? 204 : 400);
      res.end();
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  onCleanup(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
  return { port, seen };
}

before(async () => {
  receiver = await startVerifyingReceiver();
  // A delivery queued by hand goes to no API and no user: OPERATOR_WEBHOOK_SECRET signs it.
  sys = await startSystem({
    env: { WEBHOOK_SECRET: secret, OPERATOR_WEBHOOK_SECRET: operatorSecret, WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}` },
  });
  deliveries = new bullmq.Queue('webhook-delivery', { connection: sys.redis.connection });
  onCleanup(() => deliveries.close());
});

test('standardwebhooks verifies what the drover workers sign with a whsec_ secret', { timeout: 60000 }, async () => {
  await deliveries.add('test-hook', { url: `http://127.0.0.1:${receiver.port}/hook`, payload: { hello: 'world', n: 1 } },
    { jobId: 'sw-out-1', attempts: 1 });
  await waitFor(async () => receiver.seen.length > 0, { what: 'the delivery to reach the receiver' });
  const [got] = receiver.seen;
  assert.equal(got.error, null, `standardwebhooks refused drover's signature: ${got.error}`);
  assert.equal(got.id, 'sw-out-1');
  assert.deepEqual(got.verified, { hello: 'world', n: 1 });
});

test('the drover API accepts what standardwebhooks signs with the same secret, and nothing else', { timeout: 60000 }, async () => {
  // A conversation to write into: one chat round trip.
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'sw-conv', userId: 'u1', message: 'Hi' });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  await waitForJob(sys.base, sent.body.jobId);

  const body = JSON.stringify({ jobId: 'sw-in-1', conversationId: 'sw-conv', userId: 'u1', status: 'completed',
    result: { response: 'signed by standardwebhooks' } });
  const post = (headers) => fetch(`${sys.base}/api/webhooks/job-completed`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body,
  });
  const id = 'msg_sw_in_1';
  const when = new Date();
  const ts = String(Math.floor(when.getTime() / 1000));
  const signature = new Webhook(secret).sign(id, when, body);
  const ok = await post({ 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': signature });
  assert.equal(ok.status, 200, await ok.text());

  // The secret's text used as the key (drover's old reading of a whsec_ secret) is refused.
  const raw = `v1,${createHmac('sha256', secret).update(`${id}.${ts}.${body}`).digest('base64')}`;
  const wrongKey = await post({ 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': raw });
  assert.equal(wrongKey.status, 401);
  // Another whsec_ secret is refused.
  const other = new Webhook(`whsec_${randomBytes(24).toString('base64')}`).sign(id, when, body);
  const otherKey = await post({ 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': other });
  assert.equal(otherKey.status, 401);
});
