// support.mjs - shared helpers of the interop tests (drover <-> bullmq 6.7.0).
//
// - startRedis(): a private redis-server on a free port in a fresh temp dir, stopped (and the
//   dir removed) by an `after` hook even when tests fail. One server per test file. With
//   INTEROP_REDIS=cluster, a Redis Cluster of 3 masters instead (redis_cluster.mjs), behind
//   the same object, and queueName() gives names with a hash tag.
// - the drover CLI: spawnDrover() for long-running subcommands (worker, events), runDrover()/
//   droverJSON() for one-shot commands; every spawned process is killed at the end.
// - bullmq: connection options, and tracking of every Queue/Worker/QueueEvents so that they
//   are all closed in `after`.
// - waitFor(): polls a condition with a deadline and fails with a clear message.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePort, freePorts } from '../support/ports.mjs';

const require = createRequire(import.meta.url);
export const bullmq = require('bullmq');

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const DROVER_BIN = process.env.DROVER_BIN || path.join(repoRoot, 'build', 'apps', 'cli', 'drover');

// bullmq 6.7.0 declares its Redis driver as an optional peer dependency; a Node BullMQ
// user installs ioredis beside it, and so does package.json.
const Redis = require('ioredis');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Resolves with the promise's value, or with `fallback` after `ms` (the timer does not keep
// the process alive once the promise has settled).
async function raceTimeout(promise, ms, fallback = null) {
  let timer;
  try {
    return await Promise.race([promise, new Promise((r) => (timer = setTimeout(() => r(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Cleanup registry: everything is undone in one `after` hook, newest first, errors collected.
// ---------------------------------------------------------------------------------------------
const cleanups = [];
let afterRegistered = false;

function registerAfter() {
  if (afterRegistered) return;
  afterRegistered = true;
  after(async () => {
    const errors = [];
    while (cleanups.length) {
      const fn = cleanups.pop();
      try {
        await withTimeout(fn(), 10000, 'cleanup step');
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length) console.error('interop cleanup errors:', errors.map((e) => e.message).join('; '));
  });
}

registerAfter();

export function onCleanup(fn) {
  registerAfter();
  cleanups.push(fn);
}

export async function withTimeout(promise, ms, what) {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------------
export { freePort, freePorts };

function ping(port) {
  return new Promise((resolve) => {
    const sock = net.createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('*1\r\n$4\r\nPING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

// Which Redis the suite runs on: one redis-server per file (unset or 'server'), or a Redis
// Cluster per file ('cluster'), so that the same tests check drover and Node's BullMQ on both.
const redisKind = process.env.INTEROP_REDIS || 'server';
if (!['server', 'cluster'].includes(redisKind)) {
  throw new Error(`INTEROP_REDIS=${redisKind}: expected 'server' or 'cluster'`);
}
export const onCluster = redisKind === 'cluster';

/**
 * Starts a private redis-server (or, with INTEROP_REDIS=cluster, a Redis Cluster) for this
 * test file and registers its shutdown. Returns { port, url, connection, raw(), keys(pattern),
 * nodeConnection(key), stop() }: `connection` is what BullMQ's `connection` option takes,
 * raw() a client for inspecting keys, keys() every key matching a pattern, nodeConnection()
 * a `connection` to the one node that holds `key`.
 */
export async function startRedis() {
  registerAfter();
  if (onCluster) return startClusterRedis();
  return startRedisServer();
}

/**
 * A private redis-server whatever INTEROP_REDIS says, started with `args` added to the usual
 * ones (a replica's --replicaof, say); the same object as startRedis() gives for one server.
 */
export async function startRedisServer(args = []) {
  registerAfter();
  let lastErr;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'drover-interop-redis-'));
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
        '--maxmemory-policy', 'noeviction', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    let exited = false;
    proc.on('exit', () => (exited = true));
    const deadline = Date.now() + 10000;
    let up = false;
    while (!exited && Date.now() < deadline) {
      if (await ping(port)) {
        up = true;
        break;
      }
      await sleep(50);
    }
    if (!up) {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      lastErr = new Error(`redis-server on port ${port} did not answer PING: ${out.slice(-500)}`);
      continue;
    }
    const server = {
      port,
      url: `redis://127.0.0.1:${port}`,
      connection: { host: '127.0.0.1', port },
      dir,
      proc,
    };
    // Stops the server (for outage tests); the cleanup below copes with a stopped server.
    server.stop = async () => {
      if (exited) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await raceTimeout(gone, 5000);
    };
    let raw;
    // A plain client for inspecting Redis directly (independent of bullmq's connections).
    server.raw = async () => {
      if (!raw) {
        raw = new Redis({ ...server.connection, lazyConnect: true, maxRetriesPerRequest: 1 });
        raw.on('error', () => {});
        onCleanup(() => raw.quit());
        await raw.connect();
      }
      return raw;
    };
    server.keys = async (pattern) => (await server.raw()).keys(pattern);
    server.nodeConnection = async () => server.connection;
    cleanups.push(async () => {
      if (!exited) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await raceTimeout(gone, 3000);
        if (!exited) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    });
    return server;
  }
  throw lastErr;
}

// The cluster twin of a redis-server above: 3 masters and no replicas (no test here fails a
// node over; cluster.test.mjs does, with its own cluster), every BullMQ object on an ioredis
// Cluster of its own as on a connection of its own above.
async function startClusterRedis() {
  const { startRedisCluster } = await import('./redis_cluster.mjs');
  const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
  let raw;
  const server = {
    cluster,
    port: cluster.masters[0],
    get url() {
      return cluster.url;
    },
    // For code that builds BullMQ objects itself (a FlowProducer): one shared Cluster client.
    connection: cluster.client(),
    newConnection: () => cluster.client(),
    raw: async () => {
      raw ??= cluster.client({ redisOptions: { maxRetriesPerRequest: 1 } });
      return raw;
    },
    // KEYS answers for one node only: ask every master.
    keys: async (pattern) => {
      const masters = (await server.raw()).nodes('master');
      return (await Promise.all(masters.map((node) => node.keys(pattern)))).flat();
    },
    // A plain connection to the master of `key`'s slot, for BullMQ calls that SCAN: through a
    // Cluster client SCAN goes to any one master.
    nodeConnection: async (key) => ({ host: '127.0.0.1', port: await cluster.masterPortForKey(key) }),
    stop: async () => {
      throw new Error('a Redis Cluster has no one server to stop: skip outage tests when onCluster');
    },
  };
  return server;
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------
// On a cluster the name is a hash tag, `{interop-<random>}`, so that all of the queue's keys
// share a slot (BullMQ's rule, which drover enforces); `${name}-suffix` then shares it too.
export function queueName() {
  const name = `interop-${randomBytes(6).toString('hex')}`;
  return onCluster ? `{${name}}` : name;
}

// ---------------------------------------------------------------------------------------------
// bullmq objects: created through these so they are always closed.
// ---------------------------------------------------------------------------------------------
// The `connection` of a new BullMQ object: the caller's, else a Cluster client of its own on a
// cluster, else the server's options (with maxRetriesPerRequest null for blocking objects,
// as BullMQ requires of a Worker and a QueueEvents).
function connectionFor(redis, opts, blocking) {
  if (opts.connection) return opts.connection;
  if (redis.newConnection) return redis.newConnection();
  return blocking ? { ...redis.connection, maxRetriesPerRequest: null } : redis.connection;
}

export function newQueue(redis, name, opts = {}) {
  const q = new bullmq.Queue(name, { ...opts, connection: connectionFor(redis, opts, false) });
  q.on('error', () => {});
  onCleanup(() => q.close());
  return q;
}

export function newWorker(redis, name, processor, opts = {}) {
  const w = new bullmq.Worker(name, processor, { ...opts, connection: connectionFor(redis, opts, true) });
  w.on('error', () => {});
  onCleanup(() => w.close(true));
  return w;
}

export async function newQueueEvents(redis, name, opts = {}) {
  const qe = new bullmq.QueueEvents(name, { ...opts, connection: connectionFor(redis, opts, true) });
  qe.on('error', () => {});
  onCleanup(() => qe.close());
  await qe.waitUntilReady();
  // QueueEvents reads from "$": give its first XREAD time to block before events are produced.
  await sleep(150);
  return qe;
}

/**
 * Records events of a QueueEvents into an array of { event, at (local ms), streamId, ...args }.
 */
export function recordQueueEvents(qe, names) {
  const seen = [];
  for (const event of names) {
    qe.on(event, (args, id) => {
      // 'drained' passes only the stream id.
      if (typeof args === 'string') seen.push({ event, at: Date.now(), streamId: args });
      else seen.push({ event, at: Date.now(), streamId: id, ...args });
    });
  }
  return seen;
}

// ---------------------------------------------------------------------------------------------
// Polling
// ---------------------------------------------------------------------------------------------
/**
 * Polls `fn` until it returns a truthy value (returned) or the deadline passes (throws with
 * `what` and the last value/error seen).
 */
export async function waitFor(fn, { timeout = 15000, interval = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  let lastErr;
  for (;;) {
    try {
      last = await fn();
      lastErr = undefined;
      if (last) return last;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastErr ? `last error: ${lastErr.message}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${what} (${detail})`);
    }
    await sleep(interval);
  }
}

// ---------------------------------------------------------------------------------------------
// drover CLI
// ---------------------------------------------------------------------------------------------
const common = (redis, queue) => ['--queue', queue, '--redis', redis.url];

export class DroverProcess {
  constructor(args, proc) {
    this.args = args;
    this.proc = proc;
    this.stdout = '';
    this.stderr = '';
    this.exitCode = undefined;
    this.signal = undefined;
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        resolve({ code, signal });
      });
      // Spawn failures (binary missing or being relinked: ENOENT/EACCES) arrive here.
      proc.on('error', (err) => {
        this.stderr += `spawn error: ${err.message}\n`;
        if (this.exitCode === undefined) this.exitCode = -1;
        resolve({ code: -1, signal: null, error: err });
      });
    });
    proc.stdout.on('data', (d) => (this.stdout += d));
    proc.stderr.on('data', (d) => (this.stderr += d));
  }

  get running() {
    return this.exitCode === undefined && this.signal === undefined;
  }

  /** Stdout lines parsed as JSON (non-JSON lines skipped). */
  jsonLines() {
    const out = [];
    for (const line of this.stdout.split('\n')) {
      const t = line.trim();
      if (!t) continue;
      try {
        out.push(JSON.parse(t));
      } catch {
        // not JSON
      }
    }
    return out;
  }

  /** Sends `signal` and waits up to `timeout` ms for the exit, then SIGKILLs. */
  async stop(signal = 'SIGINT', timeout = 10000) {
    if (!this.running) return this.exited;
    this.proc.kill(signal);
    const res = await raceTimeout(this.exited, timeout);
    if (res) return res;
    this.proc.kill('SIGKILL');
    return this.exited;
  }

  kill() {
    if (this.running) this.proc.kill('SIGKILL');
    return this.exited;
  }

  describe() {
    return `drover ${this.args.join(' ')} (exit ${this.exitCode ?? '-'} ${this.signal ?? ''})\n` +
      `--- stderr (tail) ---\n${this.stderr.slice(-2000)}`;
  }
}

/** Spawns `drover <args>`; the process is SIGKILLed in `after` if still running. */
export function spawnDrover(args) {
  registerAfter();
  if (!existsSync(DROVER_BIN)) throw new Error(`drover binary not found at ${DROVER_BIN} (set DROVER_BIN)`);
  const proc = spawn(DROVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const d = new DroverProcess(args, proc);
  cleanups.push(() => d.kill());
  return d;
}

/**
 * Starts `drover worker` on `queue` and waits until it logs that it started.
 * `opts` maps to flags: { processor, concurrency, name, lockDuration, stalledInterval,
 * maxStalled, drainDelay, limitMax, limitDuration, shutdownGrace, defaultTimeout, deadLetterQueue }.
 */
export async function startDroverWorker(redis, queue, opts = {}) {
  const flags = {
    processor: '--processor',
    concurrency: '--concurrency',
    name: '--name',
    lockDuration: '--lock-duration',
    stalledInterval: '--stalled-interval',
    maxStalled: '--max-stalled',
    drainDelay: '--drain-delay',
    limitMax: '--limit-max',
    limitDuration: '--limit-duration',
    shutdownGrace: '--shutdown-grace',
    defaultTimeout: '--default-timeout',
    deadLetterQueue: '--dead-letter-queue',
  };
  const args = ['worker', ...common(redis, queue)];
  for (const [k, v] of Object.entries({ drainDelay: 500, shutdownGrace: 2000, ...opts })) {
    if (v === undefined) continue;
    if (!flags[k]) throw new Error(`startDroverWorker: unknown option ${k}`);
    args.push(flags[k], String(v));
  }
  const w = spawnDrover(args);
  await waitFor(() => w.stderr.includes('started') || !w.running, {
    timeout: 10000,
    what: `drover worker on ${queue} to start`,
  });
  if (!w.running) throw new Error(`drover worker exited at start:\n${w.describe()}`);
  return w;
}

/**
 * Starts `drover events` on `queue` from the events stream's last entry (its start when it
 * has none yet): read from "$", it missed what came before its first XREAD blocked, which a
 * slow start under load let happen.
 */
export async function startDroverEvents(redis, queue) {
  const last = await (await redis.raw()).xrevrange(`bull:${queue}:events`, '+', '-', 'COUNT', 1);
  const ev = spawnDrover(['events', ...common(redis, queue), '--from', last.length ? last[0][0] : '0']);
  await sleep(100);
  if (!ev.running) throw new Error(`drover events exited at start:\n${ev.describe()}`);
  return ev;
}

/**
 * Runs a one-shot drover command; resolves { code, stdout, stderr } where code is the exit
 * code, or the signal name if it crashed (never rejects on exit code; rejects on timeout).
 */
export function runDrover(args, { timeout = 15000 } = {}) {
  if (!existsSync(DROVER_BIN)) throw new Error(`drover binary not found at ${DROVER_BIN} (set DROVER_BIN)`);
  return new Promise((resolve, reject) => {
    execFile(DROVER_BIN, args, { timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && err.killed && err.signal === 'SIGTERM') {
        reject(new Error(`drover ${args.join(' ')}: no exit within ${timeout} ms\n${stderr}`));
        return;
      }
      if (err && err.signal) {
        // Crashed (SIGABRT, SIGSEGV, ...): report it as the "exit code".
        resolve({ code: err.signal, stdout, stderr });
        return;
      }
      if (err && typeof err.code !== 'number') {
        reject(new Error(`drover ${args.join(' ')}: ${err.message}\n${stderr}`));
        return;
      }
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

/** Runs `drover <sub> --queue Q --redis URL ...extra` and requires exit code 0; returns stdout. */
export async function drover(redis, queue, sub, ...extra) {
  const subArgs = Array.isArray(sub) ? sub : [sub];
  const args = [...subArgs, ...common(redis, queue), ...extra];
  const r = await runDrover(args);
  if (r.code !== 0) {
    const err = new Error(`drover ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    err.result = r;
    throw err;
  }
  return r.stdout;
}

/** Like drover() but parses stdout as JSON. */
export async function droverJSON(redis, queue, sub, ...extra) {
  const out = await drover(redis, queue, sub, ...extra);
  try {
    return JSON.parse(out);
  } catch {
    throw new Error(`drover ${[sub].flat().join(' ')}: stdout is not JSON: ${out.slice(0, 500)}`);
  }
}

/** `drover add`; returns the new job id. */
export async function droverAdd(redis, queue, name, data = {}, opts = {}) {
  const out = await drover(redis, queue, 'add', '--name', name, '--data', JSON.stringify(data), '--opts', JSON.stringify(opts));
  const id = out.trim();
  assert.ok(id, 'drover add printed no job id');
  return id;
}

/** `drover job`; returns the parsed job, or null when drover says it does not exist (exit 3). */
export async function droverJob(redis, queue, id) {
  const r = await runDrover(['job', ...common(redis, queue), '--id', String(id)]);
  if (r.code === 3) return null;
  if (r.code !== 0) throw new Error(`drover job --id ${id} exited ${r.code}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout);
}

export const droverCounts = (redis, queue) => droverJSON(redis, queue, 'counts');

/** `drover queue ACTION ...`; droverQueueJSON asks for --json (the default output is for people). */
export const droverQueue = (redis, queue, action, ...extra) => drover(redis, queue, ['queue', action], ...extra);
export const droverQueueJSON = (redis, queue, action, ...extra) =>
  droverJSON(redis, queue, ['queue', action], ...extra, '--json');

let queueSubcommand;
/**
 * Whether this drover build has the `queue` subcommand (being added). Tests that need it
 * check this and fail with a clear "missing subcommand" message instead of an obscure error.
 */
export async function hasQueueSubcommand() {
  if (queueSubcommand === undefined) {
    const r = await runDrover(['queue', '--help']);
    queueSubcommand = r.code === 0 && /pause|resume|clean/.test(r.stdout + r.stderr);
  }
  return queueSubcommand;
}

export async function requireQueueSubcommand() {
  if (!(await hasQueueSubcommand())) {
    assert.fail(`BLOCKED: this drover build (${DROVER_BIN}) has no 'drover queue' subcommand yet`);
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers on bullmq state
// ---------------------------------------------------------------------------------------------
export async function waitForState(queue, id, states, timeout = 15000) {
  const want = [states].flat();
  let state;
  await waitFor(async () => {
    state = await queue.getJobState(id);
    return want.includes(state);
  }, { timeout, what: `job ${id} of ${queue.name} to reach ${want.join('|')} (last: ${state})` });
  return state;
}

export async function waitForDroverState(redis, queue, id, states, timeout = 15000) {
  const want = [states].flat();
  let job;
  await waitFor(async () => {
    job = await droverJob(redis, queue, id);
    return job && want.includes(job.state);
  }, { timeout, what: `drover job ${id} of ${queue} to reach ${want.join('|')} (last: ${job?.state})` });
  return job;
}
