#!/usr/bin/env node
// run.mjs - `make bench`: drover against BullMQ 6.7.0 and bee-queue 2.0 on one fresh
// redis-server of its own, systems alternating, median of the repetitions.
//   node bench/run.mjs [--quick] [--mode none|aof|both] [--reps N] [--jobs N]
//                      [--only enqueue,processing,latency,delayed,cpu,api] [--out DIR]
//                      [--api-connections N] [--api-workers N]   (autocannon's, for the API part)
//                      [--aof-reps N] [--aof-only SECTIONS]   (the AOF pass: fewer repetitions or parts)
//                      [--update RESULTS.json]   (re-run the --only parts into an earlier result)
// The latency part runs drover twice: with BullMQ's Node producer and listener, as the
// peers are run, and with its own (drover_bench latency); each row also gives Redis's
// and the worker's CPU per job at that steady rate.
// The API part compares `drover api` with an Express peer (bench/peers/express-api) on
// the same Redis and a PostgreSQL of the benchmark's own.
// Writes <out>/<date>.json (every raw figure), <date>.md (tables with drover's ratio to
// each peer) and SVG charts; see docs/benchmarks.md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { killAll } from './lib/proc.mjs';
import { startRedis } from './lib/redis-server.mjs';
import { startPostgres } from './lib/postgres.mjs';
import { API_SYSTEMS, apiDatabase, apiRun } from './lib/api.mjs';
import { LATENCY_SYSTEMS, SYSTEMS, benchDir } from './lib/systems.mjs';
import { cpuRun, delayedRun, enqueueRun, latencyRun, processingRun } from './lib/measure.mjs';
import { median } from './lib/stats.mjs';
import { writeReport } from './lib/report.mjs';

const a = parseArgs();
const quick = Boolean(a.quick);
const reps = Number(a.reps ?? (quick ? 1 : 3));
const jobs = Number(a.jobs ?? (quick ? 10000 : 50000));
const modes = a.mode === 'both' || !a.mode ? (quick && !a.mode ? ['none'] : ['none', 'aof']) : [a.mode];
const allSections = new Set((a.only ?? 'enqueue,processing,latency,delayed,cpu,api').split(','));
const aofReps = Number(a['aof-reps'] ?? reps);
const aofSections = new Set((a['aof-only'] ?? [...allSections].join(',')).split(','));
const outDir = path.resolve(a.out ?? path.join(benchDir, 'results'));

const PROCESSING = [
  { label: '1 × 1', procs: 1, concurrency: 1, jobs: Math.max(2000, Math.round(jobs / 5)) },
  { label: '1 × 10', procs: 1, concurrency: 10, jobs },
  { label: '1 × 100', procs: 1, concurrency: 100, jobs },
  { label: '2 × 50', procs: 2, concurrency: 50, jobs },
];
const RATES = [1000, 5000];
// Parts measured without Redis persistence only.
const NONE_ONLY = new Set(['delayed', 'cpu', 'api']);

const log = (...m) => console.error(new Date().toISOString().slice(11, 19), ...m);
// Rotates the order of the systems every repetition, so none always runs first.
const order = (rep, systems) => systems.map((_, i) => systems[(i + rep) % systems.length]);

// Runs fn(system) reps times per system, alternating; returns {system: {runs, median-of-each-figure}}.
async function repeated(what, fn, n, systems = SYSTEMS) {
  const runs = Object.fromEntries(systems.map((s) => [s, []]));
  for (let rep = 0; rep < n; ++rep) {
    for (const system of order(rep, systems)) {
      const r = await fn(system);
      log(what, system, JSON.stringify(r));
      runs[system].push(r);
    }
  }
  const out = {};
  for (const s of systems) {
    const keys = Object.keys(runs[s][0] ?? {});
    out[s] = { median: Object.fromEntries(keys.map((k) => [k, median(runs[s].map((r) => r[k]))])), runs: runs[s] };
  }
  return out;
}

const results = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(),
    node: process.version, loadavgAtStart: os.loadavg(),
    // BENCH_NOTE says what else ran; otherwise the load average at the start decides.
    note: process.env.BENCH_NOTE ??
      (os.loadavg()[0] < 1 ? 'nothing else was running at the start' : 'other work shared the cores at the start') },
  options: { quick, reps, aofReps, jobs, modes },
  modes: {},
};

async function runMode(mode) {
  const reps = mode === 'aof' ? aofReps : results.options.reps;
  const sections = mode === 'aof' ? aofSections : allSections;
  if (mode === 'aof' && [...sections].every((s) => NONE_ONLY.has(s))) return false; // nothing of it runs with AOF
  const redis = await startRedis(mode);
  const info = await redis.client.info('server');
  results.redisVersion = /redis_version:(\S+)/.exec(info)?.[1];
  const r = (results.modes[mode] = {});
  try {
    if (sections.has('enqueue')) r.enqueue = await repeated(`[${mode}] enqueue`, (s) => enqueueRun(s, redis, jobs), reps);
    if (sections.has('processing')) {
      r.processing = {};
      for (const p of PROCESSING) r.processing[p.label] = await repeated(`[${mode}] processing ${p.label}`, (s) => processingRun(s, redis, p), reps);
    }
    if (sections.has('latency')) {
      r.latency = {};
      for (const rate of RATES) {
        r.latency[rate] = await repeated(`[${mode}] latency ${rate}/s`, (s) => latencyRun(s, redis, { rate, seconds: quick ? 2 : 5, concurrency: 100 }), reps,
          LATENCY_SYSTEMS);
      }
    }
    if (mode === 'none' && sections.has('delayed')) {
      r.delayed = await repeated('delayed', (s) => delayedRun(s, redis, { jobs: 200, concurrency: 100 }), reps);
    }
    if (mode === 'none' && sections.has('cpu')) r.cpu = await repeated('cpu-heavy', (s) => cpuRun(s, redis, {}), 1);
    if (mode === 'none' && sections.has('api')) r.api = await apiSection(redis, reps);
  } finally {
    await redis.stop();
  }
  return true;
}

// `drover api` against the Express peer; a PostgreSQL of its own for this part only.
async function apiSection(redis, reps) {
  const pg = await startPostgres(API_SYSTEMS.map(apiDatabase));
  const opts = { seconds: Number(a['api-seconds'] ?? (quick ? 4 : 10)), connections: Number(a['api-connections'] ?? 64),
    rate: 1000, workers: Number(a['api-workers'] ?? 1) };
  try {
    const env = { redis, pg };
    const block = await repeated('api', (s) => apiRun(s, env, opts), reps, API_SYSTEMS);
    return { options: opts, ...block };
  } finally {
    await pg.stop();
  }
}

const cleanup = async () => {
  await killAll();
  process.exit(130);
};
process.on('SIGINT', cleanup);
process.on('SIGTERM', cleanup);

// Writes the JSON, the tables and the charts; called after each persistence mode, so
// that a failure in the second pass keeps the first one's figures.
function save() {
  let base;
  if (a.update) {
    // The earlier result keeps its date and name; the parts run now replace its own.
    const earlier = JSON.parse(readFileSync(a.update, 'utf8'));
    for (const [mode, parts] of Object.entries(results.modes)) Object.assign((earlier.modes[mode] ??= {}), parts);
    (earlier.updates ??= []).push({ date: results.date, parts: [...allSections], reps, loadavgAtStart: results.machine.loadavgAtStart });
    base = a.update.replace(/\.json$/, '');
    writeFileSync(`${base}.json`, JSON.stringify(earlier, null, 2) + '\n');
    writeReport(earlier, base);
    log(`results: ${base}.json, ${base}.md, ${base}-*.svg`);
    return;
  }
  mkdirSync(outDir, { recursive: true });
  base = path.join(outDir, results.date.slice(0, 16).replace(':', ''));
  writeFileSync(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
  writeReport(results, base);
  log(`results: ${base}.json, ${base}.md, ${base}-*.svg`);
}

try {
  for (const mode of modes) {
    let ran = true;
    try {
      ran = await runMode(mode);
    } finally {
      if (ran && Object.keys(results.modes).length) save();
    }
  }
} finally {
  await killAll();
}
