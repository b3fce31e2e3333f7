#!/usr/bin/env node
// cluster.mjs - `make bench-cluster`: drover on a Redis Cluster of N masters (no replicas).
// The same no-op jobs drained from one queue (one hash tag: one master does all of
// Redis's work) and from a queue sharded N ways (`drover worker --shards N`, one shard per
// master), with jobs/s and each master's CPU per job.
//   node bench/cluster.mjs [--masters N] [--jobs N] [--concurrency N] [--reps N] [--out DIR]
// On a machine with fewer cores than masters + workers the masters share CPUs, so the
// figure to read is the CPU split: how much of Redis's work each master does.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { killAll, run, sleep, start } from './lib/proc.mjs';
import { benchDir, droverBenchBin, droverBin } from './lib/systems.mjs';
import { median } from './lib/stats.mjs';
import { startRedisCluster } from '../tests/interop/redis_cluster.mjs';

const a = parseArgs();
const masters = Number(a.masters ?? 3);
const jobs = Number(a.jobs ?? 30000);
const concurrency = Number(a.concurrency ?? 50);
const reps = Number(a.reps ?? 3);
const outDir = path.resolve(a.out ?? path.join(benchDir, 'results'));

// used_cpu_user + used_cpu_sys of one node, µs.
async function cpuOf(cluster, port) {
  const info = await cluster.nodeCli(port, 'INFO', 'cpu');
  const get = (name) => {
    const m = new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info.replace(/\r/g, ''));
    return m ? Number(m[1]) : NaN;
  };
  return (get('used_cpu_user') + get('used_cpu_sys')) * 1e6;
}

// The BullMQ queues behind `name` sharded `shards` ways, as drover names them.
async function shardNames(url, name, shards) {
  if (shards === 1) return [`{${name}}`];
  const out = await run(droverBin, ['counts', '-q', name, '--shards', String(shards), '--redis', url]);
  return JSON.parse(out.trim().split('\n').at(-1)).shards.map((s) => s.queue);
}

async function completed(cluster, names) {
  let n = 0;
  for (const q of names) n += Number(await cluster.cli('ZCARD', `bull:${q}:completed`));
  return n;
}

let runNo = 0;
async function drain(cluster, shards) {
  const url = cluster.url;
  const name = `bench-${++runNo}`;
  const names = await shardNames(url, name, shards);
  const per = Math.floor(jobs / shards);
  for (const q of names) await run(droverBenchBin, ['enqueue', url, q, String(per), '1000']);
  const masterPorts = cluster.masters.slice();
  const cpuBefore = await Promise.all(masterPorts.map((p) => cpuOf(cluster, p)));
  const queueArgs = shards === 1 ? ['-q', names[0]] : ['-q', name, '--shards', String(shards)];
  const workers = [start(droverBin, ['worker', ...queueArgs, '-p', 'noop', '-c', String(concurrency), '--redis', url])];
  const started = performance.now();
  const deadline = Date.now() + 300000;
  let done = 0;
  while (done < per * shards) {
    if (Date.now() > deadline) throw new Error(`only ${done} of ${per * shards} jobs done in time`);
    for (const w of workers) if (w.exitCode !== null) throw new Error(`a worker ended early:\n${w.output}`);
    await sleep(20);
    done = await completed(cluster, names);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = await Promise.all(masterPorts.map((p) => cpuOf(cluster, p)));
  await Promise.all(workers.map((w) => { w.kill('SIGTERM'); return w.exited; }));
  const total = per * shards;
  const cpuPerJob = masterPorts.map((p, i) => (cpuAfter[i] - cpuBefore[i]) / total);
  return { shards, jobs: total, seconds, jobsPerSec: total / seconds, masters: masterPorts, redisCpuUsPerJobByMaster: cpuPerJob };
}

const cluster = await startRedisCluster({ masters, replicasPerMaster: 0 });
const results = { date: new Date().toISOString(), host: { cpus: os.cpus().length, model: os.cpus()[0]?.model },
  masters, jobs, concurrency, reps, runs: [] };
try {
  for (let r = 0; r < reps; r++) {
    for (const shards of [1, masters]) {
      const res = await drain(cluster, shards);
      results.runs.push(res);
      const split = res.redisCpuUsPerJobByMaster.map((c) => c.toFixed(1)).join(' / ');
      console.log(`${shards === 1 ? 'one queue' : `${shards} shards`}: ${Math.round(res.jobsPerSec)} jobs/s, `
        + `Redis CPU per job by master (µs): ${split}`);
    }
  }
} finally {
  await killAll();
  await cluster.stop();
}
const summary = {};
for (const shards of [1, masters]) {
  const runs = results.runs.filter((x) => x.shards === shards);
  summary[shards] = {
    jobsPerSec: median(runs.map((x) => x.jobsPerSec)),
    redisCpuUsPerJobByMaster: runs[0].redisCpuUsPerJobByMaster.map((_, i) => median(runs.map((x) => x.redisCpuUsPerJobByMaster[i]))),
  };
}
results.summary = summary;
mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `cluster-${results.date.slice(0, 16).replace(':', '')}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`bench-cluster: results in ${file}`);
process.exit(0);
