#!/usr/bin/env node
// add-cost.mjs - Redis's CPU per add and the bulk enqueue rate, for two drover builds'
// producers (drover_bench enqueue: queue::add_bulk) and BullMQ's Queue.addBulk on one
// fresh redis-server, alternating: what a change to the add saves Redis (issue 15).
// `CONFIG RESETSTAT` before each run, `INFO cpu` and `INFO commandstats` after (Redis 7
// counts the commands a script calls, and EVALSHA's usec includes them). Prints one JSON
// line per run, then medians.
//   node bench/add-cost.mjs --base OLD_DROVER_BENCH --new NEW_DROVER_BENCH [--jobs 50000]
//                           [--batch 1000] [--reps 3]
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { killAll } from './lib/proc.mjs';
import { startRedis } from './lib/redis-server.mjs';
import { alternate, commandStats, redisCpuSeconds } from './lib/redis-stats.mjs';
import { bulkEnqueue } from './lib/systems.mjs';

const a = parseArgs();
const jobs = Number(a.jobs ?? 50000);
const batch = Number(a.batch ?? 1000);
const reps = Number(a.reps ?? 3);
const benches = { base: path.resolve(String(a.base)), new: path.resolve(String(a.new)) };
const systems = ['base', 'new', 'bullmq'];

async function enqueue(system, redis, rep) {
  await redis.client.flushall();
  const queue = `add-${system}-${rep}`;
  await redis.client.config('resetstat');
  const cpu0 = await redisCpuSeconds(redis.client);
  const r = system === 'bullmq'
    ? await bulkEnqueue('bullmq', redis, queue, jobs, batch)
    : await bulkEnqueue('drover', redis, queue, jobs, batch, benches[system]);
  const cpu = (await redisCpuSeconds(redis.client)) - cpu0;
  const stats = await commandStats(redis.client);
  delete stats.info;
  delete stats.config;
  const script = stats.evalsha ?? { calls: 0, usec: 0 };
  const inner = Object.entries(stats).filter(([c]) => !['evalsha', 'eval', 'script'].includes(c));
  const perJob = (n) => Number((n / jobs).toFixed(3));
  return {
    system,
    jobsPerSecond: Math.round(jobs / r.seconds),
    redisCpuMicrosPerJob: perJob(cpu * 1e6),
    scriptMicrosPerJob: perJob(script.usec),
    commandsPerJob: perJob(inner.reduce((s, [, v]) => s + v.calls, 0)),
    commandMicrosPerJob: perJob(inner.reduce((s, [, v]) => s + v.usec, 0)),
    commands: Object.fromEntries(inner.map(([c, v]) => [c, perJob(v.calls)])),
  };
}

const redis = await startRedis('none');
try {
  await alternate(systems, reps, (system, rep) => enqueue(system, redis, rep),
    ['jobsPerSecond', 'redisCpuMicrosPerJob', 'scriptMicrosPerJob', 'commandsPerJob', 'commandMicrosPerJob']);
} finally {
  await redis.stop();
  await killAll();
}
