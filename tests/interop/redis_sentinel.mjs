// redis_sentinel.mjs - a master, one replica and three redis-sentinel processes on free
// loopback ports, for a Node test file: the twin of tests/support/sentinel_set.cpp, with the
// same settings (down-after-milliseconds 1000, failover-timeout 10000); optionally every one
// of them speaking only TLS. Everything is killed, and its dirs removed, by the suite's
// `after` hook (onCleanup in support.mjs).
//
//   const set = await startSentinelSet();        or ({ certs }) for TLS (tls_redis_server.mjs)
//   set.env                          { REDIS_SENTINELS, REDIS_SENTINEL_MASTER } for the apps
//   set.url                          redis+sentinel://127.0.0.1:p1,p2,p3/mymaster (rediss+ with TLS)
//                                    ({ password }: the sentinels require one; not in url or env)
//   set.master.proc.kill('SIGKILL'); const port = await set.waitForFailover(set.master.port);
//   await set.failover()             a planned failover (SENTINEL FAILOVER), answered OK
//   await set.addReplica(port)       a new replica of the new master, in sync and counted by WAIT
//   await set.cli(port, 'ZCARD', k)  redis-cli on one server, the reply as text
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { onCleanup, freePort, startRedisServer, waitFor } from './support.mjs';
import { startTlsRedis, tlsSettings } from './tls_redis_server.mjs';

const execFileP = promisify(execFile);
export const MASTER_NAME = 'mymaster';

// redis-cli's answer without the final line breaks; a failure comes back as its message.
// With `certs`, over TLS; with `password`, AUTH first.
async function cli(certs, password, port, ...args) {
  const tls = certs ? ['--tls', '--cacert', certs.ca] : [];
  const auth = password ? ['--no-auth-warning', '-a', password] : [];
  try {
    const { stdout } = await execFileP('redis-cli', [...tls, ...auth, '-p', String(port), ...args.map(String)],
      { timeout: 5000 });
    return stdout.replace(/[\r\n]+$/, '');
  } catch (err) {
    return `error: ${err.message}`;
  }
}

// Every server here syncs without the 5 s delay Redis 7 waits by default for more replicas,
// as each of them may become the master. With `certs` it speaks only TLS, to its replicas too.
function startServer(certs, args = []) {
  const all = ['--repl-diskless-sync-delay', '0', ...args];
  return certs ? startTlsRedis(certs, { args: [...all, '--tls-replication', 'yes'] }) : startRedisServer(all);
}

// A master, one replica, three sentinels. `certs` (tls_redis_server.mjs's makeCertificates):
// every server and sentinel speaks only TLS, and `url` is rediss+sentinel://. `password`:
// the sentinels require it (requirepass) and use it among themselves.
export async function startSentinelSet({ certs = null, password = '' } = {}) {
  const ask = (port, ...args) => cli(certs, '', port, ...args);
  const askSentinel = (port, ...args) => cli(certs, password, port, ...args);
  // A replica of `masterPort`, resolved once the master has it online: WAIT counts a replica
  // only after its first ACK, up to a second after the replica's own link says up.
  const startReplica = async (masterPort) => {
    const replica = await startServer(certs, ['--replicaof', '127.0.0.1', String(masterPort)]);
    await waitFor(async () => new RegExp(`slave\\d+:ip=127\\.0\\.0\\.1,port=${replica.port},state=online`)
      .test(await ask(masterPort, 'INFO', 'replication')), { timeout: 30000, what: `replica ${replica.port} in sync` });
    return replica;
  };
  const master = await startServer(certs);
  const replica = await startReplica(master.port);
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-sentinel-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const ports = [];
  while (ports.length < 3) {
    const port = await freePort();
    // The kernel may hand the same free port out twice before a sentinel has bound it.
    if (ports.includes(port)) continue;
    ports.push(port);
    const listen = certs
      ? ['port 0', `tls-port ${port}`, ...tlsSettings(certs).map(([name, value]) => `${name} ${value}`),
        'tls-auth-clients no', 'tls-replication yes']
      : [`port ${port}`];
    // Sentinel rewrites its file as it learns, so each has its own.
    const conf = path.join(dir, `sentinel-${port}.conf`);
    writeFileSync(conf, [...listen, 'bind 127.0.0.1', 'daemonize no', `dir ${dir}`,
      `logfile ${path.join(dir, `sentinel-${port}.log`)}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master.port} 2`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
      `sentinel failover-timeout ${MASTER_NAME} 10000`,
      ...(password ? [`requirepass ${password}`, `sentinel sentinel-pass ${password}`] : []), ''].join('\n'));
    const proc = spawn('redis-sentinel', [conf], { stdio: 'ignore' });
    onCleanup(() => proc.kill('SIGKILL'));
  }
  // A failover needs a known replica and a quorum of sentinels that know each other.
  const watching = `name=${MASTER_NAME},status=ok,address=127.0.0.1:${master.port},slaves=1,sentinels=3`;
  await waitFor(async () => (await askSentinel(ports[0], 'INFO', 'sentinel')).includes(watching),
    { timeout: 30000, what: 'the sentinels to see the replica and each other' });

  // The master's port as the first sentinel names it now.
  const masterPort = async () =>
    Number((await askSentinel(ports[0], 'SENTINEL', 'get-master-addr-by-name', MASTER_NAME)).split('\n')[1]);
  return {
    master,
    replica,
    sentinelPorts: ports,
    dir,
    url: `${certs ? 'rediss' : 'redis'}+sentinel://${ports.map((p) => `127.0.0.1:${p}`).join(',')}/${MASTER_NAME}`,
    env: { REDIS_SENTINELS: ports.map((p) => `127.0.0.1:${p}`).join(','), REDIS_SENTINEL_MASTER: MASTER_NAME },
    masterPort,
    // Resolves with the new master's port once the sentinels name another than `oldPort`
    // and it answers as a master.
    async waitForFailover(oldPort, timeout = 30000) {
      let port;
      await waitFor(async () => {
        port = await masterPort();
        return port && port !== oldPort && (await ask(port, 'ROLE')).startsWith('master');
      }, { timeout, interval: 100, what: `the sentinels to promote a replica of ${oldPort}` });
      return port;
    },
    failover: () => askSentinel(ports[0], 'SENTINEL', 'FAILOVER', MASTER_NAME),
    addReplica: startReplica,
    cli: ask,
  };
}
