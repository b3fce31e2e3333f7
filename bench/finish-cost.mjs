#!/usr/bin/env node
// finish-cost.mjs - Redis's CPU per job and the drain rate of no-op jobs, for two drover
// builds and BullMQ's Node worker on one fresh redis-server, alternating: what a change to
// the finishing call saves Redis (issue 15). Prints one JSON line per run, then medians.
//   node bench/finish-cost.mjs --base OLD_DROVER --new NEW_DROVER [--jobs 50000]
//                              [--new-args="--flag ..."] [--concurrency 100] [--reps 3]
import { parseArgs } from './lib/args.mjs';
import { killAll, start, stop, sleep } from './lib/proc.mjs';
import { startRedis } from './lib/redis-server.mjs';
import { alternate, redisCpuSeconds } from './lib/redis-stats.mjs';
import { bulkEnqueue, startWorker } from './lib/systems.mjs';

const a = parseArgs();
const jobs = Number(a.jobs ?? 50000);
const concurrency = Number(a.concurrency ?? 100);
const reps = Number(a.reps ?? 3);
const drovers = { base: a.base, new: a.new };
// Extra `drover worker` flags for the new build only (an option under test).
const newFlags = a['new-args'] ? String(a['new-args']).split(/\s+/).filter(Boolean) : [];
const systems = ['base', 'new', 'bullmq'];

async function scriptCalls(client) {
  const m = /cmdstat_evalsha:calls=(\d+)/.exec(await client.info('commandstats'));
  return m ? Number(m[1]) : 0;
}

async function drain(system, redis, rep) {
  await redis.client.flushall();
  await redis.client.config('resetstat');
  const queue = `finish-${system}-${rep}`;
  await bulkEnqueue('bullmq', redis, queue, jobs);
  const cpu0 = await redisCpuSeconds(redis.client);
  const calls0 = await scriptCalls(redis.client);
  const t0 = performance.now();
  const worker = system === 'bullmq'
    ? startWorker('bullmq', redis, queue, { concurrency })
    : start(drovers[system], ['worker', '-q', queue, '-p', 'noop', '-c', String(concurrency), '--redis', redis.url,
      ...(system === 'new' ? newFlags : [])]);
  try {
    while ((await redis.client.zcard(`bull:${queue}:completed`)) < jobs) await sleep(50);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (await redisCpuSeconds(redis.client)) - cpu0;
    const calls = (await scriptCalls(redis.client)) - calls0;
    return { system, jobsPerSecond: jobs / seconds, redisCpuMicrosPerJob: (cpu * 1e6) / jobs, scriptCallsPerJob: calls / jobs };
  } finally {
    await stop(worker);
  }
}

const redis = await startRedis('none');
try {
  await alternate(systems, reps, (system, rep) => drain(system, redis, rep), ['jobsPerSecond', 'redisCpuMicrosPerJob', 'scriptCallsPerJob']);
} finally {
  await redis.stop();
  await killAll();
}
