// bee-worker.mjs - bee-queue 2.0's worker as the benchmark runs it.
//   --port P --queue Q --concurrency C [--processor noop|cpu|clock] [--delayed] [--stall-interval ms]
// "clock" returns the start time (epoch ms) so that the producer can measure lateness;
// "cpu" prints "start <id>" to count executions.
import Queue from 'bee-queue';
import { parseArgs } from '../lib/args.mjs';

const a = parseArgs();
const burn = (ms) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};
const processors = {
  noop: async () => {},
  clock: async () => Date.now(),
  cpu: async (job) => {
    console.log(`start ${job.id}`);
    burn(job.data.ms ?? 0);
    return { spun: job.data.ms };
  },
};
const queue = new Queue(a.queue, {
  redis: { port: Number(a.port), host: '127.0.0.1' },
  isWorker: true,
  getEvents: false,
  activateDelayedJobs: Boolean(a.delayed),
  stallInterval: Number(a['stall-interval'] ?? 5000),
});
queue.on('error', (e) => console.error('queue error:', e.message));
queue.process(Number(a.concurrency ?? 1), processors[a.processor ?? 'noop']);
const close = async () => {
  await queue.close(1000).catch(() => {});
  process.exit(0);
};
process.on('SIGTERM', close);
process.on('SIGINT', close);
