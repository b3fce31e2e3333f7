// alerts.test.mjs - an alert rule fires once and resolves once: each posted as Slack-
// compatible JSON through the webhook-delivery queue to a local receiver, and the open
// incident shown by GET /api/alerts meanwhile.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startSystem, freePort, getJSON, waitFor, sleep } from './system.mjs';
import { bullmq, onCleanup } from '../interop/support.mjs';

async function startReceiver() {
  const messages = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      messages.push({ path: req.url, contentType: req.headers['content-type'], body: JSON.parse(body) });
      res.writeHead(200).end('ok');
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  onCleanup(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
  return { port, messages };
}

let sys, receiver;
before(async () => {
  receiver = await startReceiver();
  const rules = [{ type: 'waiting', queue: 'alert-backlog', threshold: 2, name: 'Backlog' }];
  sys = await startSystem({
    env: {
      ALERT_RULES: JSON.stringify(rules),
      ALERT_WEBHOOK_URL: `http://127.0.0.1:${receiver.port}/services/T0/B0/slack-token`,
      ALERT_INTERVAL_MS: '200',
      WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}`,
    },
  });
});

test('a waiting-jobs rule fires once, shows on /api/alerts, and resolves once', { timeout: 60000 }, async () => {
  const backlog = new bullmq.Queue('alert-backlog', { connection: sys.redis.connection });
  onCleanup(() => backlog.close());
  const none = await getJSON(sys.base, '/api/alerts');
  assert.equal(none.status, 200);
  assert.deepEqual(none.body.incidents, []);

  for (let i = 0; i < 3; i++) await backlog.add('piled-up', { i });
  await waitFor(() => receiver.messages.length >= 1, { timeout: 20000, what: 'the firing message' });
  const firing = receiver.messages[0];
  assert.equal(firing.path, '/services/T0/B0/slack-token');
  assert.match(firing.contentType, /application\/json/);
  assert.deepEqual(Object.keys(firing.body), ['text']);
  assert.match(firing.body.text, /^\[FIRING\] Backlog \(queue alert-backlog\): 3 jobs waiting/);

  let shown;
  await waitFor(async () => {
    shown = await getJSON(sys.base, '/api/alerts');
    return shown.body.incidents.length === 1;
  }, { what: 'the incident on /api/alerts' });
  const incident = shown.body.incidents[0];
  assert.equal(incident.rule, 'Backlog');
  assert.equal(incident.type, 'waiting');
  assert.equal(incident.queue, 'alert-backlog');
  assert.ok(incident.since > 0 && typeof shown.body.evaluatedAt === 'number');

  // Still firing for many evaluations: still one message.
  await backlog.add('piled-up', { i: 3 });
  await sleep(1500);
  assert.equal(receiver.messages.length, 1, JSON.stringify(receiver.messages));

  await backlog.drain();
  await waitFor(() => receiver.messages.length >= 2, { timeout: 20000, what: 'the resolved message' });
  assert.match(receiver.messages[1].body.text, /^\[RESOLVED\] Backlog \(queue alert-backlog\) after .*: 0 jobs waiting/);
  await waitFor(async () => (await getJSON(sys.base, '/api/alerts')).body.incidents.length === 0,
    { what: 'the incident to leave /api/alerts' });
  await sleep(1500);
  assert.equal(receiver.messages.length, 2, JSON.stringify(receiver.messages));
  assert.match(sys.workers.output, /alert firing: Backlog/);
  assert.match(sys.workers.output, /alert resolved: Backlog/);
  // The webhook URL is a credential: it is never logged.
  assert.ok(!sys.workers.output.includes('slack-token'));
});
