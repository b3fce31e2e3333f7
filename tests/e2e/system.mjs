// system.mjs - starts the whole system for a test file: Redis, optionally PostgreSQL, the
// fake model server, `drover api` and `drover workers`, all on free ports, all stopped at
// the end (by the `after` hooks of tests/interop/support.mjs).
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, chownSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRedis, onCleanup, waitFor, sleep, DROVER_BIN } from '../interop/support.mjs';
import { freePort, freePorts } from '../support/ports.mjs';
import { startFakeOpenAI } from './fake_openai.mjs';

export { waitFor, sleep, freePort, freePorts };

export class AppProcess {
  constructor(name, args, env) {
    this.name = name;
    this.output = '';
    this.proc = spawn(DROVER_BIN, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => (this.output += d));
    this.proc.stderr.on('data', (d) => (this.output += d));
    this.exited = new Promise((r) => this.proc.on('exit', (code, signal) => r({ code, signal })));
    // After exit and the end of its output: what a refused start printed is all there.
    this.closed = new Promise((r) => this.proc.on('close', r));
    onCleanup(() => this.stop());
  }
  hasExited() { return this.proc.exitCode !== null || this.proc.signalCode !== null; }
  // Resolves when `url` answers 200. An app that exits first fails it at once with its
  // output (a refused start waited out the whole timeout).
  async waitUntilReady(url, what) {
    const outcome = await waitFor(async () => {
      if (this.hasExited()) return 'exited';
      try { return (await fetch(url)).status === 200 && 'ready'; } catch { return false; }
    }, { timeout: 20000, what }).catch((e) => { throw new Error(`${e.message}\n${this.tail()}`); });
    if (outcome === 'exited') {
      await this.closed;
      throw new Error(`${this.name} exited (${this.proc.signalCode ?? this.proc.exitCode}) before ${what}\n${this.tail()}`);
    }
  }
  async stop(signal = 'SIGTERM') {
    if (this.hasExited()) return;
    this.proc.kill(signal);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
    await this.exited;
    clearTimeout(t);
  }
  tail() { return `--- ${this.name} output ---\n${this.output.slice(-3000)}`; }
}

// A private PostgreSQL: initdb into a temp dir and run it there. PostgreSQL refuses to run
// as root, so as root the server runs as `nobody` (the spawn's uid/gid, so that signals
// reach the server itself).
export async function startPostgres() {
  const bin = existsSync('/usr/lib/postgresql/15/bin') ? '/usr/lib/postgresql/15/bin' : '';
  const exe = (n) => (bin ? path.join(bin, n) : n);
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-e2e-pg-'));
  const asRoot = process.getuid && process.getuid() === 0;
  const ids = asRoot ? { uid: 65534, gid: 65534 } : {};
  if (asRoot) chownSync(dir, 65534, 65534);
  const data = path.join(dir, 'data');
  execFileSync(exe('initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'], { stdio: 'pipe', ...ids });
  const port = await freePort();
  const launch = () => spawn(exe('postgres'), ['-D', data, '-p', String(port), '-k', dir,
    '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'], { stdio: 'ignore', ...ids });
  let proc = launch();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const ready = () => waitFor(() => {
    try { execFileSync('psql', [url, '-tAc', 'select 1'], { stdio: 'pipe' }); return true; } catch { return false; }
  }, { timeout: 20000, what: 'PostgreSQL accepting connections' });
  // Started again on its data and port, after stop().
  const restart = async () => {
    proc = launch();
    await ready();
  };
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGINT');  // fast shutdown
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
  };
  onCleanup(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await ready();
  return { url, port, stop, restart, psql: (sql) => execFileSync('psql', [url, '-tAc', sql], { encoding: 'utf8' }).trim() };
}

// Starts Redis, the fake model, the API and the workers. `database`: 'sqlite' or 'postgres'.
// `secrets`: Redis then requires a password and the PostgreSQL URL carries one (its
// server trusts any), for tests that check no secret is logged. `apiArgs`, `workersArgs`:
// extra command-line flags of each app. `redis`: a server the test started itself ({ url,
// connection }), e.g. one it restarts on its data; by default a private one.
export async function startSystem({ database = 'sqlite', env = {}, secrets = null, apiArgs = [], workersArgs = [],
  redis: givenRedis = null } = {}) {
  const redis = givenRedis ?? await startRedis();
  if (secrets?.redisPassword) {
    const raw = await redis.raw();
    await raw.config('SET', 'requirepass', secrets.redisPassword);
    redis.url = `redis://:${encodeURIComponent(secrets.redisPassword)}@127.0.0.1:${redis.port}`;
    redis.connection = { ...redis.connection, password: secrets.redisPassword };
  }
  const ai = await startFakeOpenAI();
  onCleanup(() => ai.close());
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-e2e-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  let db;
  if (database === 'postgres') {
    const pg = await startPostgres();
    const url = secrets?.databasePassword
      ? pg.url.replace('postgres@', `postgres:${encodeURIComponent(secrets.databasePassword)}@`) : pg.url;
    db = { url, query: pg.psql, stop: pg.stop, restart: pg.restart };
  } else {
    const file = path.join(dir, 'drover.db');
    db = { url: `sqlite://${file}`, query: (sql) => execFileSync('sqlite3', [file, sql], { encoding: 'utf8' }).trim() };
  }
  const [apiPort, workersPort] = await freePorts(2);
  // The development mode unless a test asks for tokens (AUTH_MODE=jwt and a key in `env`):
  // most suites exercise the system, and the security suite exercises identity.
  const common = {
    AUTH_MODE: 'none',
    // A server given without a URL is named by the test's `env` (REDIS_SENTINELS, say).
    ...(redis.url ? { REDIS_URL: redis.url } : {}),
    DATABASE_URL: db.url,
    WEBHOOK_SECRET: 'e2e-secret',
    AI_BASE_URL: ai.url,
    AI_MODEL: 'fake-model',
    PORT: String(apiPort),
    WORKERS_PORT: String(workersPort),
    // The tests send from one address in bursts; a test of the limits sets its own.
    RATE_LIMIT_SEND_USER: 'off',
    RATE_LIMIT_SEND_ADDRESS: 'off',
    RATE_LIMIT_UPLOAD_USER: 'off',
    RATE_LIMIT_UPLOAD_ADDRESS: 'off',
    RATE_LIMIT_CONVERSATION_USER: 'off',
    MAX_UNANSWERED_SENDS_PER_USER: '0',
    ...env,
  };
  const api = new AppProcess('api', ['api', ...apiArgs], common);
  const base = `http://127.0.0.1:${apiPort}`;
  await api.waitUntilReady(`${base}/readyz`, `the API on ${base} to be ready`);
  const workers = new AppProcess('workers', ['workers', ...workersArgs], common);
  await workers.waitUntilReady(`http://127.0.0.1:${workersPort}/readyz`, 'the workers to be ready');
  return { redis, ai, db, api, workers, base, apiPort, workersPort, env: common };
}

// Starts another `drover workers` for a running system (after the first one stopped), with
// the same environment but for `env`; resolves when it is ready.
export async function startWorkers(sys, args = [], env = {}) {
  const workers = new AppProcess('workers', ['workers', ...args], { ...sys.env, ...env });
  await workers.waitUntilReady(`http://127.0.0.1:${sys.workersPort}/readyz`, 'the new workers to be ready');
  return workers;
}

// Starts another `drover api` for a running system (after the first one stopped or was
// killed), with the same environment but for `env`; resolves when it is ready.
export async function startApi(sys, args = [], env = {}) {
  const api = new AppProcess('api', ['api', ...args], { ...sys.env, ...env });
  await api.waitUntilReady(`${sys.base}/readyz`, 'the new API to be ready');
  return api;
}

export async function postJSON(base, path, body, headers = {}) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

export async function getJSON(base, path) {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.json().catch(() => null) };
}

// Polls GET /api/chat/job/:id until the job is completed or failed.
export async function waitForJob(base, jobId, timeout = 20000) {
  let last;
  await waitFor(async () => {
    last = await getJSON(base, `/api/chat/job/${jobId}`);
    return last.body && (last.body.status === 'completed' || last.body.status === 'failed');
  }, { timeout, what: `job ${jobId} to finish (last: ${JSON.stringify(last?.body)})` });
  return last.body;
}

// One chat message through both apps: accepted, its job completed, the answer delivered back
// by webhook into the history (which then holds `expectedHistory` messages). Returns the job id.
export async function chatRoundTrip(sys, conversationId, message, expectedHistory = 2) {
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u1', message });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const done = await waitForJob(sys.base, sent.body.jobId);
  assert.equal(done.status, 'completed', JSON.stringify(done));
  await waitFor(async () => (await getJSON(sys.base, `/api/conversations/${conversationId}/messages`)).body.messages.length
    === expectedHistory, { what: `the assistant's answer in ${conversationId}, delivered by the webhook` });
  return sent.body.jobId;
}

// The dashboard's queues (GET /api/admin/queues with a dashboard token), by name.
export async function dashboardQueues(base, token) {
  const res = await fetch(`${base}/api/admin/queues`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, 'GET /api/admin/queues');
  return Object.fromEntries((await res.json()).queues.map((q) => [q.name, q]));
}
