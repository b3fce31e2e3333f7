// systems.mjs - how the benchmark starts each system's worker and producer.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, start } from './proc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const benchDir = path.resolve(here, '..');
export const rootDir = path.resolve(benchDir, '..');
const buildDir = process.env.BUILD_DIR ? path.resolve(process.env.BUILD_DIR) : path.join(rootDir, 'build');
export const droverBenchBin = path.join(buildDir, 'bench/drover_bench');
// The `drover` command (its `api` is measured): DROVER_BIN, else the build's.
export const droverBin = process.env.DROVER_BIN ? path.resolve(process.env.DROVER_BIN) : path.join(buildDir, 'apps/cli/drover');
const node = process.execPath;
const script = (rel) => path.join(benchDir, rel);

export const SYSTEMS = ['drover', 'bullmq', 'bee'];
// The latency part also measures drover with its own producer and observer
// (drover_bench latency) beside drover with BullMQ's (bench/producers/latency.mjs).
export const OWN = 'drover-own';
export const LATENCY_SYSTEMS = ['drover', OWN, 'bullmq', 'bee'];

// The Redis key whose size counts the jobs a system has finished successfully.
export function completedKey(system, queue) {
  return system === 'bee' ? { cmd: 'scard', key: `bq:${queue}:succeeded` } : { cmd: 'zcard', key: `bull:${queue}:completed` };
}

// Starts one worker process. processor: noop | cpu | clock (bee-queue's lateness probe).
export function startWorker(system, redis, queue, { concurrency, processor = 'noop', lockDuration, stalledInterval, delayed } = {}) {
  if (system === 'drover' || system === OWN) {
    const proc = processor === 'clock' ? 'noop' : processor;
    if (process.env.DROVER_BIN) {
      // The `drover` command instead (for instance another build's, to compare).
      const args = ['worker', '-q', queue, '-p', proc, '-c', String(concurrency), '--redis', redis.url];
      if (lockDuration) args.push('--lock-duration', String(lockDuration));
      if (stalledInterval) args.push('--stalled-interval', String(stalledInterval));
      return start(process.env.DROVER_BIN, args);
    }
    const args = ['worker', redis.url, queue, proc, String(concurrency)];
    if (lockDuration || stalledInterval) args.push(String(lockDuration ?? 0), String(stalledInterval ?? 0));
    return start(droverBenchBin, args);
  }
  if (system === 'bullmq') {
    const args = [script('workers/bullmq-worker.mjs'), '--port', String(redis.port), '--queue', queue, '--concurrency', String(concurrency),
      '--processor', processor === 'clock' ? 'noop' : processor];
    if (lockDuration) args.push('--lock-duration', String(lockDuration));
    if (stalledInterval) args.push('--stalled-interval', String(stalledInterval));
    return start(node, args);
  }
  const args = [script('workers/bee-worker.mjs'), '--port', String(redis.port), '--queue', queue, '--concurrency', String(concurrency),
    '--processor', processor];
  if (delayed) args.push('--delayed');
  if (lockDuration) args.push('--stall-interval', String(lockDuration));
  return start(node, args);
}

export function startStalledChecker(system, redis, queue, { interval, lockDuration }) {
  return start(node, [script('workers/stalled-checker.mjs'), '--system', system === 'bee' ? 'bee' : 'bullmq', '--port', String(redis.port),
    '--queue', queue, '--interval', String(interval), '--lock-duration', String(lockDuration)]);
}

// Bulk enqueue with the system's own producer; returns {jobs, seconds}.
// producer: the library whose producer to use (drover's processing runs use "bullmq");
// benchBin: drover's, another build's drover_bench (bench/add-cost.mjs).
export async function bulkEnqueue(producer, redis, queue, jobs, batch = 1000, benchBin = droverBenchBin) {
  const out = producer === 'drover'
    ? await run(benchBin, ['enqueue', redis.url, queue, String(jobs), String(batch)])
    : await run(node, [script('producers/enqueue.mjs'), '--system', producer, '--port', String(redis.port), '--queue', queue,
      '--jobs', String(jobs), '--batch', String(batch)]);
  return lastJson(out);
}

// onMark('start' | 'end'): the producer's marks around its counted adds.
export async function measureLatency(system, redis, queue, rate, seconds, onMark, warmup = 1) {
  const onLine = (line) => line.startsWith('mark ') && onMark(line.slice(5).trim());
  const out = system === OWN
    ? await run(droverBenchBin, ['latency', redis.url, queue, String(rate), String(seconds), String(warmup)], { onLine })
    : await run(node, [script('producers/latency.mjs'), '--system', system === 'bee' ? 'bee' : 'bullmq', '--port', String(redis.port),
      '--queue', queue, '--rate', String(rate), '--seconds', String(seconds), '--warmup', String(warmup)], { onLine });
  return lastJson(out);
}

export async function measureDelayed(system, redis, queue, jobs) {
  const out = await run(node, [script('producers/delayed.mjs'), '--system', system === 'bee' ? 'bee' : 'bullmq', '--port', String(redis.port),
    '--queue', queue, '--jobs', String(jobs)]);
  return lastJson(out);
}

function lastJson(out) {
  const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no JSON result in:\n${out}`);
  return JSON.parse(line);
}
