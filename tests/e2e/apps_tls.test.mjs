// apps_tls.test.mjs - both apps, the dashboard and the CLI on a redis-server that speaks only
// TLS (certificates from tests/interop/tls_redis_server.mjs), configured only by the apps'
// environment: REDIS_URL=rediss://localhost:<port> and REDIS_TLS_CA_FILE. A chat message is
// answered and delivered by webhook, a job polled to completed, the dashboard's queues and
// /metrics read, `drover queue list` run over TLS. Then the same on a server that wants client
// certificates (tls-auth-clients yes), with REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE; an
// app without them is not ready and logs why.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startSystem, chatRoundTrip, dashboardQueues, waitFor, freePort } from './system.mjs';
import { parsePrometheus, value } from './prometheus_text.mjs';
import { makeCertificates, startTlsRedis } from '../interop/tls_redis_server.mjs';
import { runDrover, onCleanup, DROVER_BIN } from '../interop/support.mjs';

const TOKEN = 'e2e-tls-dashboard-token-0123456789';
let certs;

before(() => {
  certs = makeCertificates();
});

test('the apps, the dashboard and the CLI over TLS, the CA from REDIS_TLS_CA_FILE', { timeout: 90000 }, async () => {
  const redis = await startTlsRedis(certs);
  const sys = await startSystem({ redis: { url: redis.url }, env: { REDIS_TLS_CA_FILE: certs.ca, DASHBOARD_TOKEN: TOKEN } });
  await chatRoundTrip(sys, 'c-tls', 'hello over TLS');

  const queues = await dashboardQueues(sys.base, TOKEN);
  assert.equal(queues['ai-processing']?.counts.completed, 1, JSON.stringify(Object.keys(queues)));
  assert.ok(queues['webhook-delivery']);

  for (const port of [sys.apiPort, sys.workersPort]) {
    const metrics = parsePrometheus(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    assert.equal(value(metrics, 'drover_redis_up'), 1, `/metrics on port ${port}`);
  }

  const r = await runDrover(['queue', 'list', '--json', '--redis', redis.url, '--redis-tls-ca', certs.ca]);
  assert.equal(r.code, 0, r.stderr);
  const cliQueues = JSON.parse(r.stdout);
  assert.equal(cliQueues.find((q) => q.name === 'ai-processing')?.counts.completed, 1, r.stdout);
});

test('a TLS file that cannot be read stops the apps at start, naming it and its setting', { timeout: 30000 }, async () => {
  const { spawnSync } = await import('node:child_process');
  const port = String(await freePort());
  for (const [cmd, extra] of [['api', {}], ['workers', {}], ['api', { REDIS_TLS_CA_FILE: certs.ca, REDIS_TLS_CERT_FILE: certs.clientCert, REDIS_TLS_KEY_FILE: '/nonexistent/key.pem' }]]) {
    const env = { PATH: process.env.PATH, AUTH_MODE: 'none', REDIS_URL: 'rediss://127.0.0.1:1', REDIS_TLS_CA_FILE: '/nonexistent/ca.pem',
      DATABASE_URL: 'sqlite::memory:', PORT: port, WORKERS_PORT: port, ...extra };
    const r = spawnSync(DROVER_BIN, [cmd], { env, encoding: 'utf8', timeout: 15000 });
    assert.notEqual(r.status, 0, `${cmd} started: ${r.stderr}`);
    assert.match(r.stderr + r.stdout, /TLS: cannot use (CA|client key) file '\/nonexistent\/(ca|key)\.pem'.*REDIS_TLS_CA_FILE/, r.stderr);
  }
});

test('mutual TLS: the apps with REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE; without them an app is not ready and says why',
  { timeout: 90000 }, async () => {
    const redis = await startTlsRedis(certs, { authClients: true });
    const tls = { REDIS_TLS_CA_FILE: certs.ca, REDIS_TLS_CERT_FILE: certs.clientCert, REDIS_TLS_KEY_FILE: certs.clientKey };
    const sys = await startSystem({ redis: { url: redis.url }, env: tls });
    await chatRoundTrip(sys, 'c-mtls', 'hello over mutual TLS');
    const metrics = parsePrometheus(await (await fetch(`${sys.base}/metrics`)).text());
    assert.equal(value(metrics, 'drover_redis_up'), 1);

    const r = await runDrover(['queue', 'list', '--redis', redis.url, '--redis-tls-ca', certs.ca,
      '--redis-tls-cert', certs.clientCert, '--redis-tls-key', certs.clientKey]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ai-processing\s+running\s/m);

    // A refused handshake is an outage like any other to the apps: they keep trying, log
    // why, and are not ready.
    const port = await freePort();
    const lone = spawn(DROVER_BIN, ['workers'], {
      env: { ...process.env, REDIS_URL: redis.url, REDIS_TLS_CA_FILE: certs.ca, AUTH_MODE: 'none', WORKERS_PORT: String(port),
        DATABASE_URL: 'sqlite::memory:', WEBHOOK_SECRET: 'e2e-secret' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    onCleanup(() => lone.kill('SIGKILL'));
    let log = '';
    lone.stderr.on('data', (d) => (log += d));
    await waitFor(() => /redis at localhost:\d+: read failed: TLS: .*certificate required/.test(log),
      { timeout: 20000, what: 'the workers to log the missing client certificate' });
    const ready = await waitFor(() => fetch(`http://127.0.0.1:${port}/readyz`).then((res) => res.status, () => 0),
      { what: 'the workers\' /readyz' });
    assert.equal(ready, 503, log);
  });
