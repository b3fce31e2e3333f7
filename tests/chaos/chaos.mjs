#!/usr/bin/env node
// chaos.mjs - the chaos suite: N jobs through three workers (drover's, BullMQ's, or one
// run of each) while the driver kills and stops workers, kills Redis and breaks the
// workers' connections; then the checker says what became of every job.
//
//   node tests/chaos/chaos.mjs [--jobs N] [--peer drover|bullmq|both] [--json out.json]
//   node tests/chaos/chaos.mjs --api [--rounds N] [--json out.json]
//
// --api runs the API in the loop instead (api_chaos.mjs): chat sends through `drover api`
// while Redis, PostgreSQL and the API are killed; exits 1 on any violation.
//
// Exits 1 when drover lost, left stuck or completed twice any job (or failed one without
// its reason or dead-letter entry); BullMQ's figures are reported, not judged.
// docs/reliability.md describes the run and its results.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { RedisProcess } from './redis_process.mjs';
import { ChaosProxy } from './proxy.mjs';
import { WorkerPool, workerCommand } from './workers.mjs';
import { ChaosDriver } from './driver.mjs';
import { check, violations } from './checker.mjs';

const require = createRequire(import.meta.url);
const { Queue } = require('bullmq');
const Redis = require('ioredis');

const here = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const { values: opts } = parseArgs({ options: {
  jobs: { type: 'string', default: '5000' },
  peer: { type: 'string', default: 'both' },
  json: { type: 'string' },
  keep: { type: 'boolean', default: false },  // keep the worker logs and Redis's dir
  api: { type: 'boolean', default: false },
  rounds: { type: 'string', default: '1' },
} });
const DROVER_BIN = process.env.DROVER_BIN || path.resolve(here, '..', '..', 'build', 'apps', 'cli', 'drover');
if (opts.api) {
  const { runApiChaos, apiViolations } = await import('./api_chaos.mjs');
  const rounds = Number(opts.rounds);
  if (!Number.isInteger(rounds) || rounds <= 0) {
    console.error('usage: chaos.mjs --api [--rounds N] [--json out.json] [--keep]');
    process.exit(2);
  }
  console.log(`chaos --api: ${rounds} round(s) of Redis SIGKILL, PostgreSQL crash, API SIGKILL, Redis SIGTERM...`);
  const r = await runApiChaos({ rounds, droverBin: DROVER_BIN, keep: opts.keep });
  const { faultLog, examples, sendLog, ...figures } = r;
  console.log(JSON.stringify(figures, null, 2));
  if (opts.json) writeFileSync(opts.json, JSON.stringify(r, null, 2));
  const v = apiViolations(r);
  if (v.length) console.log(`chaos --api: ${v.join('; ')}\nfor example: ${JSON.stringify(examples)}`);
  process.exit(v.length ? 1 : 0);
}
const N = Number(opts.jobs);
const peers = opts.peer === 'both' ? ['drover', 'bullmq'] : [opts.peer];
if (!Number.isInteger(N) || N <= 0 || !peers.every((p) => p === 'drover' || p === 'bullmq')) {
  console.error('usage: chaos.mjs [--jobs N] [--peer drover|bullmq|both] [--json out.json] [--keep]');
  process.exit(2);
}
const LOCK_MS = 3000;
const STALLED_MS = 1500;
const MAX_STALLED = 1000;  // kills and stops must not fail jobs: only data.fail does
// 2% of the jobs fail every attempt; the others work 20-100 ms.
const jobData = (i) => ({ ms: 20 + Math.floor(Math.random() * 81), fail: i % 50 === 0 });
// The faults stop at this share of jobs finished (or after MAX_CHAOS_MS), then everything
// must finish within SETTLE_MS.
const STOP_AT = 0.8;
const MAX_CHAOS_MS = Math.max(60000, N * 6);
const SETTLE_MS = Math.max(60000, N * 2);

// Adds every job straight to Redis, in chunks; custom ids make a chunk retried after a
// Redis crash add nothing twice.
async function addJobs(url, queue, expected) {
  const connection = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
  connection.on('error', () => {});  // Redis is killed on purpose; it reconnects
  const q = new Queue(queue, { connection,
    streams: { events: { maxLen: N * 20 } } });
  q.on('error', () => {});
  const ids = [...expected.keys()];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500).map((id) => ({ name: 'chaos', data: expected.get(id),
      opts: { jobId: id, attempts: 3, backoff: { type: 'fixed', delay: 50 } } }));
    for (;;) {
      try { await q.addBulk(chunk); break; } catch { await sleep(200); }
    }
  }
  await q.close();
  connection.disconnect();
}

async function finishedCount(monitor, queue) {
  const [[, c], [, f]] = await monitor.pipeline().zcard(`bull:${queue}:completed`).zcard(`bull:${queue}:failed`).exec();
  return c + f;
}

// What a run started, undone newest first when it ends, fails or is interrupted.
const undo = [];
async function cleanUp() {
  while (undo.length) {
    try { await undo.pop()(); } catch (err) { console.error(`chaos: cleanup: ${err.message}`); }
  }
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => cleanUp().then(() => process.exit(130)));

async function runPeer(peer) {
  const t0 = Date.now();
  const logDir = mkdtempSync(path.join(tmpdir(), `drover-chaos-${peer}-`));
  undo.push(() => { if (!opts.keep) rmSync(logDir, { recursive: true, force: true }); });
  const redis = await RedisProcess.create();
  undo.push(() => redis.stop());
  const queue = `chaos-${peer}`;
  // The queue's meta first, so that every script trims the events stream at N*20 only.
  const monitor = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  monitor.on('error', () => {});
  await monitor.hset(`bull:${queue}:meta`, 'opts.maxLenEvents', String(N * 20));
  undo.push(() => monitor.disconnect());
  const proxy = await new ChaosProxy(redis.port).listen();
  undo.push(() => proxy.close());
  const expected = new Map();
  for (let i = 1; i <= N; i++) expected.set(`j${i}`, jobData(i));

  const workers = new WorkerPool(workerCommand(peer, { queue, url: `redis://127.0.0.1:${proxy.port}`, lockMs: LOCK_MS,
    stalledMs: STALLED_MS, maxStalled: MAX_STALLED, droverBin: DROVER_BIN }), 3, logDir);
  undo.push(() => workers.stopAll());
  workers.startAll();
  const driver = new ChaosDriver({ redis, proxy, workers, lockMs: LOCK_MS });
  driver.start();
  undo.push(() => driver.stop());
  let added = false;
  const adding = addJobs(redis.url, queue, expected).then(() => { added = true; driver.note('all jobs added'); });

  let finished = 0;
  const progress = async () => { try { finished = await finishedCount(monitor, queue); } catch { /* down */ } };
  while (!(added && finished >= STOP_AT * N && driver.firstRoundDone) && Date.now() - t0 < MAX_CHAOS_MS) {
    await sleep(250);
    await progress();
  }
  await undo.pop()();  // driver.stop()
  driver.note('faults stopped', `${finished} of ${N} finished`);
  const chaosMs = Date.now() - t0;
  await adding;
  const settleStart = Date.now();
  while (finished < N && Date.now() - settleStart < SETTLE_MS) {
    await sleep(250);
    await progress();
  }
  driver.note('settled', `${finished} of ${N} finished`);
  await undo.pop()();  // workers.stopAll()
  await undo.pop()();  // proxy.close()
  const result = await check({ url: redis.url, queue, expected, dlq: peer === 'drover' ? `${queue}-dlq` : null });
  await cleanUp();  // the monitor, Redis, the logs
  if (opts.keep) console.log(`${peer}: worker logs kept in ${logDir}`);
  return { peer, ...result, wallMs: Date.now() - t0, chaosMs, workerStarts: workers.starts, redisStarts: redis.starts,
    faults: driver.summary(), faultLog: driver.log };
}

function table(results) {
  const rows = [
    ['jobs added', (r) => r.added],
    ['completed', (r) => r.completed],
    ['failed (meant to)', (r) => `${r.failed} (${r.failedAsMeant})`],
    ['lost', (r) => r.lost.length + r.orphaned.length],
    ['stuck', (r) => r.stuck.length],
    ['double-completed', (r) => r.doubleCompleted.length],
    ['fetched again while active', (r) => r.activeTwice.length],
    ['re-executed jobs (extra runs)', (r) => `${r.reExecuted} (${r.extraExecutions})`],
    ['failed without reason', (r) => r.failedWithoutReason.length],
    ['failed, not in the DLQ', (r) => (r.peer === 'drover' ? r.failedNotInDlq.length : 'n/a')],
    ['worker starts', (r) => r.workerStarts],
    ['redis starts', (r) => r.redisStarts],
    ['chaos / total wall time, s', (r) => `${(r.chaosMs / 1000).toFixed(1)} / ${(r.wallMs / 1000).toFixed(1)}`],
  ];
  const cells = rows.map(([name, f]) => [name, ...results.map((r) => String(f(r)))]);
  const head = ['', ...results.map((r) => r.peer)];
  const widths = head.map((_, i) => Math.max(...[head, ...cells].map((row) => row[i].length)));
  const line = (row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...cells.map(line)].join('\n');
}

const started = Date.now();
const results = [];
for (const peer of peers) {
  console.log(`chaos: ${N} jobs through three ${peer} workers...`);
  let r;
  try {
    r = await runPeer(peer);
  } catch (err) {
    await cleanUp();
    throw err;
  }
  console.log(`chaos: ${peer} done in ${(r.wallMs / 1000).toFixed(1)} s; faults: ${JSON.stringify(r.faults)}`);
  results.push(r);
}
console.log(`\n${table(results)}\n\nchaos: ${(Date.now() - started) / 1000} s in all`);
if (opts.json) writeFileSync(opts.json, JSON.stringify({ jobs: N, results }, null, 2));

let bad = false;
for (const r of results) {
  const v = violations(r);
  if (!v.length) continue;
  const examples = [...r.lost, ...r.orphaned, ...r.stuck, ...r.doubleCompleted, ...r.failedNotInDlq].slice(0, 5);
  console.log(`${r.peer}: ${v.join(', ')}; for example:\n${examples.map((e) => `  ${JSON.stringify(e)}`).join('\n')}`);
  if (r.peer === 'drover') bad = true;
}
process.exit(bad ? 1 : 0);
