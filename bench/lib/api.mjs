// api.mjs - the API part of the benchmark: `drover api` against the Express + BullMQ +
// Socket.IO peer (bench/peers/express-api), on the same Redis and PostgreSQL, with no
// workers running, loaded by autocannon from this process.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { cpuMicros, freePort, peakRssMB, sleep, start, stop } from './proc.mjs';
import { benchDir, droverBin } from './systems.mjs';
import { summarize } from './stats.mjs';
import { paced } from './paced.mjs';

export const API_SYSTEMS = ['drover', 'express'];
const SEND_BODY = JSON.stringify({ conversationId: 'bench-c1', userId: 'bench-u1', message: 'Hello! What is a message queue good for?' });
const JSON_HEADERS = { 'content-type': 'application/json' };

// Each system has its own database of the one PostgreSQL server.
export const apiDatabase = (system) => `bench_${system}`;

async function startServer(system, { redis, pg: pgServer }) {
  const port = await freePort();
  const env = { PORT: String(port), REDIS_URL: redis.url, DATABASE_URL: pgServer.url(apiDatabase(system)) };
  const proc = system === 'drover'
    ? start(droverBin, ['api'], { env: { ...env, BIND: '127.0.0.1', WEBHOOK_SECRET: 'bench-webhook-secret', LOG_LEVEL: 'warn',
      // The Express peer authenticates nobody, so neither does drover here.
      AUTH_MODE: 'none',
      // One load generator on one address, one user: the per-user and per-address limits
      // would measure themselves, not the API.
      RATE_LIMIT_SEND_USER: 'off', MAX_UNANSWERED_SENDS_PER_USER: '0', RATE_LIMIT_SEND_ADDRESS: 'off', RATE_LIMIT_UPLOAD_USER: 'off', RATE_LIMIT_UPLOAD_ADDRESS: 'off' } })
    : start(process.execPath, [path.join(benchDir, 'peers/express-api/server.mjs')], { env });
  const base = `http://127.0.0.1:${port}`;
  const ready = system === 'drover' ? '/readyz' : '/healthz';
  for (let i = 0; ; ++i) {
    try {
      if ((await fetch(base + ready)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null || i > 300) {
      await stop(proc);
      throw new Error(`${system} API on ${base} did not become ready:\n${proc.output.slice(-3000)}`);
    }
    await sleep(100);
  }
  return { proc, base };
}

// Empties the system's tables (they exist once its server has started once), so that
// every repetition starts alike.
async function emptyTables(pgServer, system) {
  const client = new pg.Client({ connectionString: pgServer.url(apiDatabase(system)) });
  await client.connect();
  try {
    const r = await client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'");
    if (r.rows.length) await client.query(`TRUNCATE ${r.rows.map((t) => `"${t.tablename}"`).join(', ')} CASCADE`);
  } finally {
    await client.end();
  }
}

// CPU µs of PostgreSQL: the postmaster and its children (one backend per connection).
function pgCpuMicros(pid) {
  let total = cpuMicros(pid);
  let kids = '';
  try {
    kids = readChildren(pid);
  } catch {
    return total;
  }
  for (const k of kids.split(' ').filter(Boolean)) {
    try {
      total += cpuMicros(Number(k));
    } catch {
      // ended meanwhile
    }
  }
  return total;
}
const readChildren = (pid) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');

function cannon(opts) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve({ result, latencies })));
    // Exact response times (autocannon's own histogram keeps whole milliseconds).
    if (!opts.workers) instance.on('response', (client, status, bytes, ms) => latencies.push(ms));
  });
}

// autocannon at full concurrency: {reqPerSec, ok, non2xx, errors, p50, p99, max}.
async function saturate(opts) {
  const { result, latencies } = await cannon(opts);
  const lat = summarize(latencies);
  return {
    reqPerSec: result['2xx'] / result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50: lat.n ? lat.p50 : result.latency.p50,
    p99: lat.n ? lat.p99 : result.latency.p99,
    max: lat.n ? lat.max : result.latency.max,
  };
}

// A fixed rate, evenly spaced (bench/lib/paced.mjs): the same figures.
async function fixedRate(opts) {
  const r = await paced(opts);
  return { reqPerSec: r.reqPerSec, ok: r.ok, non2xx: r.failed, errors: 0, p50: r.p50, p99: r.p99, max: r.max };
}

// One load phase, with the CPU of the server, Redis and PostgreSQL and of this
// process (the load generator) over the same window.
async function phase(server, env, load) {
  const cpu = () => ({ server: cpuMicros(server.proc.pid), redis: cpuMicros(env.redis.pid), pg: pgCpuMicros(env.pg.pid), gen: process.cpuUsage() });
  const before = cpu();
  const t0 = performance.now();
  const r = await load();
  const seconds = (performance.now() - t0) / 1000;
  const after = cpu();
  const { ok } = r;
  const genCpu = process.cpuUsage(before.gen);
  return {
    ...r,
    serverCpuUsPerReq: (after.server - before.server) / ok,
    redisCpuUsPerReq: (after.redis - before.redis) / ok,
    pgCpuUsPerReq: (after.pg - before.pg) / ok,
    serverCores: (after.server - before.server) / 1e6 / seconds,
    loadGenCores: (genCpu.user + genCpu.system) / 1e6 / seconds,
  };
}

const prefixed = (p, o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [p + k[0].toUpperCase() + k.slice(1), v]));

// One repetition for one system: a fresh server, a warm-up, then POST send at a fixed
// rate, POST send and GET job at saturation. Figures are flat, for the medians.
export async function apiRun(system, env, { seconds, connections, rate, workers }) {
  await env.redis.client.flushall();
  if (env.tablesExist?.has(system)) await emptyTables(env.pg, system);
  const server = await startServer(system, env);
  (env.tablesExist ??= new Set()).add(system);
  const send = { url: `${server.base}/api/chat/send`, method: 'POST', headers: JSON_HEADERS, body: SEND_BODY };
  const load = workers > 1 ? { workers } : {};
  try {
    // Warm-up below both systems' saturation, so that it leaves no backlog behind.
    await paced({ ...send, rate: 200, seconds: Math.max(1, Math.round(seconds / 3)) });
    await sleep(1000);
    // The fixed rate first: after the saturation phases the server would still be
    // working off their backlog (drover's job log rows, the peer's queue events).
    const fixed = await phase(server, env, () => fixedRate({ ...send, rate, seconds }));
    await sleep(500);
    const sendSat = await phase(server, env, () => saturate({ ...send, ...load, connections, duration: seconds }));
    // The job polled is the newest: reading a waiting job's state searches the wait list
    // (LPOS, from the newest end), so an older job would cost the system that accepted
    // more jobs in the phase before more Redis time.
    const newest = await (await fetch(send.url, { method: 'POST', headers: JSON_HEADERS, body: SEND_BODY })).json();
    if (!newest.jobId) throw new Error(`${system}: POST /api/chat/send answered ${JSON.stringify(newest)}`);
    const jobSat = await phase(server, env, () => saturate({ url: `${server.base}/api/chat/job/${newest.jobId}`, ...load, connections, duration: seconds }));
    return {
      ...prefixed('send', sendSat),
      ...prefixed('job', jobSat),
      ...prefixed('fixed', fixed),
      peakRssMB: peakRssMB(server.proc.pid),
    };
  } finally {
    await stop(server.proc, 5000);
  }
}
