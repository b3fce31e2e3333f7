// redis_process.mjs - the chaos suite's own redis-server: AOF with fsync on every write, in a
// temp dir, on a fixed loopback port, so that it can be killed and started again on the
// same data and the same address.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { freePort } from '../support/ports.mjs';

const Redis = createRequire(import.meta.url)('ioredis');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class RedisProcess {
  static async create() {
    const r = new RedisProcess(mkdtempSync(path.join(tmpdir(), 'drover-chaos-redis-')), await freePort());
    await r.start();
    return r;
  }

  constructor(dir, port) {
    this.dir = dir;
    this.port = port;
    this.proc = null;
    this.starts = 0;
  }

  get url() { return `redis://127.0.0.1:${this.port}`; }

  async start() {
    const log = openSync(path.join(this.dir, 'redis.log'), 'a');
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
      '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no',
      '--maxmemory-policy', 'noeviction'], { stdio: ['ignore', log, log] });
    this.exited = new Promise((r) => this.proc.once('exit', r));
    this.starts += 1;
    await this.waitReady();
  }

  // Until PING answers PONG: a restarted server answers LOADING while it replays the AOF.
  async waitReady(timeoutMs = 60000) {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      // A server that could not bind the port again must not pass for one that another
      // process started there meanwhile.
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`redis-server on port ${this.port} exited at start (log: ${this.dir}/redis.log)`);
      }
      const c = new Redis({ port: this.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0,
        retryStrategy: () => null, enableOfflineQueue: false });
      c.on('error', () => {});
      try {
        await c.connect();
        if ((await c.ping()) === 'PONG') { c.disconnect(); return; }
      } catch { /* not up yet */ }
      c.disconnect();
      await sleep(50);
    }
    throw new Error(`redis-server on port ${this.port} not ready after ${timeoutMs} ms (log: ${this.dir}/redis.log)`);
  }

  // Sends `signal` and waits for the process to be gone.
  async signal(signal) {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill(signal);
    await this.exited;
  }

  // Stops with `signal`, stays down `downMs`, starts again on the same dir and port.
  async bounce(signal, downMs = 500) {
    await this.signal(signal);
    await sleep(downMs);
    await this.start();
  }

  async stop() {
    await this.signal('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
