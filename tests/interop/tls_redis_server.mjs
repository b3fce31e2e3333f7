// tls_redis_server.mjs - a redis-server that speaks only TLS, for a Node test file: the Node
// twin of tests/support/tls_redis_server.hpp. Its certificates are made here with the openssl
// command (a CA, a server certificate for localhost and 127.0.0.1, a client certificate for
// mutual TLS), in a temp dir removed at the end with the server.
//
//   const certs = makeCertificates();            { dir, ca, serverCert, serverKey, clientCert, clientKey }
//   const redis = await startTlsRedis(certs, { authClients: true });
//   redis.url                                     rediss://localhost:<port>
//   tlsSettings(certs)                            the server's TLS files, [setting, value]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { onCleanup, freePort, waitFor } from './support.mjs';

// Elliptic-curve keys: quick to make, so every test file makes its own CA.
export function makeCertificates() {
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-tls-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const ssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-days', '2', '-subj', '/CN=drover-e2e-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
  const signed = (name, subject, extensions) => {
    ssl('req', ...ec, '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    writeFileSync(path.join(dir, `${name}.ext`), extensions);
    ssl('x509', '-req', '-days', '2', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', `${name}.crt`, '-extfile', `${name}.ext`);
  };
  signed('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  signed('client', '/CN=drover-e2e-client', 'extendedKeyUsage=clientAuth\n');
  const file = (name) => path.join(dir, name);
  return {
    dir, ca: file('ca.crt'), serverCert: file('server.crt'), serverKey: file('server.key'),
    clientCert: file('client.crt'), clientKey: file('client.key'),
  };
}

// The certificate, key and CA a server (or a sentinel) presents and checks: [setting, value].
export function tlsSettings(certs) {
  return [['tls-cert-file', certs.serverCert], ['tls-key-file', certs.serverKey], ['tls-ca-cert-file', certs.ca]];
}

// Starts redis-server with the plain port off and TLS on a free port; `authClients`: it then
// requires a client certificate signed by the CA (`tls-auth-clients yes`); `args` are added
// (a replica's --replicaof, say). Resolves once the port accepts connections; the server is
// killed at the end.
export async function startTlsRedis(certs, { authClients = false, args = [] } = {}) {
  const port = await freePort();
  const tls = tlsSettings(certs).flatMap(([name, value]) => [`--${name}`, value]);
  const proc = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--dir', certs.dir, ...tls,
    '--tls-auth-clients', authClients ? 'yes' : 'no', ...args], { stdio: 'ignore' });
  onCleanup(() => proc.kill('SIGKILL'));
  // A TCP connect is enough: the handshake is the client's business, and PING needs it.
  await waitFor(() => new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
    c.on('error', () => resolve(false));
  }), { timeout: 10000, what: `the TLS redis-server on port ${port}` });
  return { port, url: `rediss://localhost:${port}`, proc };
}
