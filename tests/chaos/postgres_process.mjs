// postgres_process.mjs - the API chaos run's own PostgreSQL: a fresh cluster in a temp dir on
// a fixed loopback port, so that it can be crashed (immediate shutdown) or stopped and
// started again on the same data and the same address. PostgreSQL refuses to run as root:
// as root the server runs as `nobody`.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, chownSync, existsSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../support/ports.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const bin = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin'].find((d) => existsSync(d)) ?? '';
const exe = (name) => (bin ? path.join(bin, name) : name);

export class PostgresProcess {
  static async create() {
    const dir = mkdtempSync(path.join(tmpdir(), 'drover-chaos-pg-'));
    const asRoot = process.getuid?.() === 0;
    const ids = asRoot ? { uid: 65534, gid: 65534 } : {};
    if (asRoot) chownSync(dir, 65534, 65534);
    execFileSync(exe('initdb'), ['-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync'],
      { stdio: 'pipe', ...ids });
    const pg = new PostgresProcess(dir, await freePort(), ids);
    await pg.start();
    return pg;
  }

  constructor(dir, port, ids) {
    Object.assign(this, { dir, port, ids, proc: null, starts: 0 });
  }

  get url() { return `postgres://postgres@127.0.0.1:${this.port}/postgres`; }

  async start() {
    const log = openSync(path.join(this.dir, 'postgres.log'), 'a');
    if (this.ids.uid !== undefined) chownSync(path.join(this.dir, 'postgres.log'), this.ids.uid, this.ids.gid);
    // fsync stays on: a crash must keep what was committed, as a real server would.
    this.proc = spawn(exe('postgres'), ['-D', path.join(this.dir, 'data'), '-p', String(this.port), '-k', this.dir,
      '-c', 'listen_addresses=127.0.0.1'], { stdio: ['ignore', log, log], ...this.ids });
    this.exited = new Promise((r) => this.proc.once('exit', r));
    this.starts += 1;
    const until = Date.now() + 60000;
    while (Date.now() < until) {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`postgres on port ${this.port} exited at start (log: ${this.dir}/postgres.log)`);
      }
      try { this.query('select 1'); return; } catch { await sleep(100); }
    }
    throw new Error(`postgres on port ${this.port} not ready after 60 s (log: ${this.dir}/postgres.log)`);
  }

  query(sql) {
    return execFileSync('psql', [this.url, '-tAc', sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  }

  // SIGQUIT is PostgreSQL's immediate shutdown: every backend exits at once without a
  // checkpoint, as in a crash, and the next start runs crash recovery from the WAL.
  // (SIGKILL of the postmaster alone would leave its backends holding the shared memory.)
  async signal(signal) {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill(signal);
    await this.exited;
  }

  async bounce(signal, downMs) {
    await this.signal(signal);
    await sleep(downMs);
    await this.start();
  }

  async stop() {
    await this.signal('SIGINT');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
