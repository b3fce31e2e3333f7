// postgres.mjs - a private PostgreSQL server of the benchmark's own: initdb into a temp
// directory, started on a free port, one database per system. As root the server runs
// as `nobody` (PostgreSQL refuses root); fsync is off, as for Redis without persistence.
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, run, sleep, start, stop } from './proc.mjs';

const binDir = ['/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'].find((d) => existsSync(d));
const exe = (name) => (binDir ? path.join(binDir, name) : name);

// settings: more `-c name=value` server settings (for instance to profile it).
export async function startPostgres(databases, settings = []) {
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-bench-pg-'));
  const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
  if (as) chownSync(dir, as.uid, as.gid);
  const data = path.join(dir, 'data');
  await run(exe('initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'], { as });
  const port = await freePort();
  const proc = start(exe('postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'max_connections=200', ...settings.flatMap((x) => ['-c', x])], { as });
  const url = (db) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  const cleanup = async () => {
    await stop(proc, 5000, 'SIGINT'); // SIGINT: PostgreSQL's fast shutdown
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; ++i) {
      const client = new pg.Client({ connectionString: url('postgres') });
      try {
        await client.connect();
        for (const db of databases) await client.query(`CREATE DATABASE "${db}"`);
        await client.end();
        break;
      } catch (e) {
        await client.end().catch(() => {});
        if (proc.exitCode !== null || i > 200) throw new Error(`PostgreSQL on port ${port} did not start: ${e.message}\n${proc.output}`);
        await sleep(100);
      }
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { port, pid: proc.pid, url, stop: cleanup };
}
