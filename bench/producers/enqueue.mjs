// enqueue.mjs - bulk enqueue with a Node library; prints {"jobs":N,"seconds":S}.
//   --system bullmq|bee --port P --queue Q --jobs N [--batch B]
// One bulk call of B jobs in flight at a time; the time covers the adds only.
import { Queue } from 'bullmq';
import BeeQueue from 'bee-queue';
import { parseArgs } from '../lib/args.mjs';

const a = parseArgs();
const jobs = Number(a.jobs);
const batch = Number(a.batch ?? 1000);
const connection = { port: Number(a.port), host: '127.0.0.1' };

async function bullmq() {
  const q = new Queue(a.queue, { connection });
  await q.waitUntilReady();
  const t0 = performance.now();
  for (let done = 0; done < jobs; done += batch) {
    const n = Math.min(batch, jobs - done);
    await q.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'noop', data: { i: done + i } })));
  }
  const seconds = (performance.now() - t0) / 1000;
  await q.close();
  return seconds;
}

async function bee() {
  const q = new BeeQueue(a.queue, { redis: connection, isWorker: false, getEvents: false });
  await q.ready();
  const t0 = performance.now();
  for (let done = 0; done < jobs; done += batch) {
    const n = Math.min(batch, jobs - done);
    await q.saveAll(Array.from({ length: n }, (_, i) => q.createJob({ i: done + i })));
  }
  const seconds = (performance.now() - t0) / 1000;
  await q.close();
  return seconds;
}

const seconds = await (a.system === 'bee' ? bee() : bullmq());
console.log(JSON.stringify({ jobs, seconds }));
process.exit(0);
