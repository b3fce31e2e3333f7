// bullmq_worker.mjs - BullMQ's Node worker with the processor semantics of `drover worker
// --processor chaos` (works data.ms, fails every attempt when data.fail), for the chaos
// suite's side-by-side run. Usage: node bullmq_worker.mjs <queue> <redis url> <lock ms>
// <stalled interval ms> <max stalled>. SIGTERM closes it gracefully.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Worker } = require('bullmq');
const Redis = require('ioredis');

const [queue, url, lockDuration, stalledInterval, maxStalledCount] = process.argv.slice(2);
const connection = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
connection.on('error', () => {});  // reconnects by itself; the chaos is expected

const worker = new Worker(queue, async (job) => {
  await new Promise((r) => setTimeout(r, job.data.ms ?? 0));
  if (job.data.fail) throw new Error(`chaos: job ${job.id} fails for good`);
  return { worked: job.data.ms };
}, {
  connection,
  concurrency: 10,
  lockDuration: Number(lockDuration),
  stalledInterval: Number(stalledInterval),
  maxStalledCount: Number(maxStalledCount),
});
worker.on('error', () => {});

process.on('SIGTERM', async () => {
  await worker.close();
  connection.disconnect();
  process.exit(0);
});
