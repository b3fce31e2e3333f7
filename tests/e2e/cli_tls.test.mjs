// cli_tls.test.mjs - the `drover` command against a redis-server that speaks only TLS, with
// certificates made with the openssl command (tests/interop/tls_redis_server.mjs): a rediss://
// URL with the CA given by flag or by environment (for REDIS_URL and for --redis) works; a
// wrong server name is refused with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { runDrover, queueName, DROVER_BIN } from '../interop/support.mjs';
import { makeCertificates, startTlsRedis } from '../interop/tls_redis_server.mjs';

const certs = makeCertificates();
const { ca } = certs;
const { port, url } = await startTlsRedis(certs);

test('drover accepts rediss:// with the CA as a flag, a URL parameter or an environment variable', async () => {
  const name = queueName();
  let r = await runDrover(['add', '--queue', name, '--name', 'over-tls', '--redis', url, '--redis-tls-ca', ca]);
  assert.equal(r.code, 0, r.stderr);
  r = await runDrover(['queue', 'counts', '--queue', name, '--json', '--redis', `${url}?tls_ca=${ca}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).waiting, 1, r.stdout);
  const viaEnv = await new Promise((resolve) => {
    execFile(DROVER_BIN, ['queue', 'counts', '--queue', name], {
      env: { PATH: process.env.PATH, REDIS_URL: url, REDIS_TLS_CA_FILE: ca },
    }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.match(viaEnv.stdout, new RegExp(`^queue ${name}\\n`));
});

// An operator review: --redis ignored the REDIS_TLS_* variables, which fill in what a URL
// leaves out (docs/configuration.md), so `--redis rediss://...` with REDIS_TLS_CA_FILE set
// failed certificate verification. The URL by flag now reads them as REDIS_URL does.
test('a --redis URL takes the CA from REDIS_TLS_CA_FILE, and a flag still wins', async () => {
  const name = queueName();
  const run = (args) => new Promise((resolve) => {
    execFile(DROVER_BIN, args, {
      env: { PATH: process.env.PATH, REDIS_TLS_CA_FILE: ca },
    }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
  let r = await run(['add', '--queue', name, '--name', 'ca-from-env', '--redis', url]);
  assert.equal(r.code, 0, r.stderr);
  r = await run(['queue', 'counts', '--queue', name, '--json', '--redis', url]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).waiting, 1, r.stdout);
  r = await run(['queue', 'counts', '--queue', name, '--redis', url, '--redis-tls-server-name', 'redis.example.com']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /hostname mismatch/);
});

test('drover refuses a certificate for another name, and says so', async () => {
  const r = await runDrover(['queue', 'counts', '--queue', 'q', '--redis', url, '--redis-tls-ca', ca,
    '--redis-tls-server-name', 'redis.example.com']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^drover: error: .*certificate verify failed: hostname mismatch.*\n$/);
});

test('the --redis-tls-* flags need a TLS URL', async () => {
  const r = await runDrover(['queue', 'counts', '--queue', 'q', '--redis', `redis://127.0.0.1:${port}`,
    '--redis-tls-ca', ca]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /need TLS: a rediss:\/\/ URL/);
});
