// bullmq-worker.mjs - BullMQ 6.7.0's Node Worker as the benchmark runs it.
//   --port P --queue Q --concurrency C [--processor noop|cpu] [--lock-duration ms] [--stalled-interval ms]
import { Worker } from 'bullmq';
import { parseArgs } from '../lib/args.mjs';

const a = parseArgs();
const burn = (ms) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};
const processors = {
  noop: async () => {},
  // Blocks the event loop as CPU-bound JavaScript does.
  cpu: async (job) => {
    burn(job.data.ms ?? 0);
    return { spun: job.data.ms };
  },
};
const worker = new Worker(a.queue, processors[a.processor ?? 'noop'], {
  connection: { port: Number(a.port), host: '127.0.0.1' },
  concurrency: Number(a.concurrency ?? 1),
  lockDuration: Number(a['lock-duration'] ?? 30000),
  stalledInterval: Number(a['stalled-interval'] ?? 30000),
});
worker.on('error', (e) => console.error('worker error:', e.message));
worker.on('failed', (job, e) => console.error('failed', job?.id, e.message));
const close = async () => {
  await worker.close(true);
  process.exit(0);
};
process.on('SIGTERM', close);
process.on('SIGINT', close);
