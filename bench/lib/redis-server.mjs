// redis-server.mjs - a fresh redis-server of the benchmark's own on a free port.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { freePort, start, stop, sleep } from './proc.mjs';

// mode: "none" (no persistence) or "aof" (appendonly yes, appendfsync everysec).
export async function startRedis(mode) {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-bench-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no',
    '--appendonly', mode === 'aof' ? 'yes' : 'no', '--appendfsync', 'everysec', '--loglevel', 'warning'];
  const proc = start('redis-server', args);
  // A new client per attempt: one that failed to connect keeps reconnecting on its own.
  let client;
  for (let i = 0; ; ++i) {
    client = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (e) {
      client.disconnect();
      if (i > 200) {
        await stop(proc);
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`redis-server on port ${port} did not answer: ${e.message}\n${proc.output}`);
      }
      await sleep(50);
    }
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: proc.pid,
    client,
    async stop() {
      client.disconnect();
      await stop(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
