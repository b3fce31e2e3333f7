// cli_tls.test.mjs - the `drover` command against a redis-server that speaks only TLS, with
// certificates this test makes with the openssl command: a rediss:// URL with the CA given
// by flag or by environment works; a wrong server name is refused with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { onCleanup, runDrover, queueName, waitFor, DROVER_BIN } from '../interop/support.mjs';

const dir = mkdtempSync(path.join(tmpdir(), 'drover-cli-tls-'));
onCleanup(() => rmSync(dir, { recursive: true, force: true }));

const ssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
ssl('req', '-x509', ...ec, '-days', '2', '-subj', '/CN=drover-e2e-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
ssl('req', ...ec, '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
ssl('x509', '-req', '-days', '2', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
  '-out', 'server.crt', '-extfile', 'server.ext');

const port = await new Promise((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => {
    const { port: p } = s.address();
    s.close(() => resolve(p));
  });
});
const redis = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '',
  '--dir', dir, '--tls-cert-file', 'server.crt', '--tls-key-file', 'server.key', '--tls-ca-cert-file', 'ca.crt',
  '--tls-auth-clients', 'no'], { cwd: dir, stdio: 'ignore' });
onCleanup(() => redis.kill('SIGKILL'));
await waitFor(() => new Promise((resolve) => {
  const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
  c.on('error', () => resolve(false));
}), { timeout: 10000, what: 'the TLS redis-server' });

const ca = path.join(dir, 'ca.crt');
const url = `rediss://localhost:${port}`;

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
