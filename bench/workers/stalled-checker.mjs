// stalled-checker.mjs - a Node worker that takes no jobs and only runs its library's
// stalled-job check; prints "stalled <id>" for every job it finds with a lost lock.
//   --system bullmq|bee --port P --queue Q [--interval ms] [--lock-duration ms]
import { Worker } from 'bullmq';
import BeeQueue from 'bee-queue';
import { parseArgs } from '../lib/args.mjs';

const a = parseArgs();
const connection = { port: Number(a.port), host: '127.0.0.1' };
const interval = Number(a.interval ?? 1000);
const lock = Number(a['lock-duration'] ?? 2000);
let closer;
if (a.system === 'bee') {
  const q = new BeeQueue(a.queue, { redis: connection, isWorker: true, getEvents: false, stallInterval: lock });
  q.on('stalled', (id) => console.log(`stalled ${id}`));
  q.on('error', (e) => console.error('checker error:', e.message));
  await q.ready();
  q.checkStalledJobs(interval);
  closer = () => q.close(500);
} else {
  const w = new Worker(a.queue, undefined, { connection, autorun: false, lockDuration: lock, stalledInterval: interval });
  w.on('stalled', (id) => console.log(`stalled ${id}`));
  w.on('error', (e) => console.error('checker error:', e.message));
  w.startStalledCheckTimer();
  closer = () => w.close(true);
}
const close = async () => {
  await closer().catch(() => {});
  process.exit(0);
};
process.on('SIGTERM', close);
process.on('SIGINT', close);
