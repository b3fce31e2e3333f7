// delayed.mjs - delayed-job lateness; prints a JSON summary (ms).
//   --system bullmq|bee --port P --queue Q --jobs N
// Adds N jobs at once with delays spread evenly over 100 ms..2 s. Lateness of a job =
// when its processing started minus when it was due: BullMQ/drover: the job hash's
// processedOn - (timestamp + the delay given), set by the worker and the producer (epoch ms,
// same machine, ms resolution); bee-queue: the processor returns Date.now() at start,
// compared with the job's delayUntil.
import { Queue } from 'bullmq';
import BeeQueue from 'bee-queue';
import Redis from 'ioredis';
import { parseArgs } from '../lib/args.mjs';
import { summarize } from '../lib/stats.mjs';

const a = parseArgs();
const jobs = Number(a.jobs ?? 200);
const connection = { port: Number(a.port), host: '127.0.0.1' };
const delayOf = (i) => 100 + Math.round((1900 * i) / Math.max(1, jobs - 1));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function bullmq() {
  const q = new Queue(a.queue, { connection });
  const r = new Redis(connection);
  const added = await q.addBulk(Array.from({ length: jobs }, (_, i) => ({ name: 'noop', data: {}, opts: { delay: delayOf(i) } })));
  const deadline = Date.now() + 30000;
  while ((await r.zcard(`bull:${a.queue}:completed`)) < jobs && Date.now() < deadline) await sleep(100);
  const late = [];
  // The job's own delay field is not read back: the scripts set it to 0 when they
  // promote the job, so the delay is the one this producer gave.
  for (const [i, j] of added.entries()) {
    const [ts, processedOn] = await r.hmget(`bull:${a.queue}:${j.id}`, 'timestamp', 'processedOn');
    if (processedOn) late.push(Number(processedOn) - (Number(ts) + delayOf(i)));
  }
  await q.close();
  r.disconnect();
  return late;
}

async function bee() {
  const q = new BeeQueue(a.queue, { redis: connection, isWorker: false, getEvents: true });
  await q.ready();
  const due = new Map();
  const late = [];
  let resolve;
  const done = new Promise((r) => (resolve = r));
  q.on('job succeeded', (id, started) => {
    if (due.has(id)) late.push(Number(started) - due.get(id));
    if (late.length === jobs) resolve();
  });
  const now = Date.now();
  for (let i = 0; i < jobs; ++i) {
    const at = now + delayOf(i);
    const job = await q.createJob({}).delayUntil(at).save();
    due.set(job.id, at);
  }
  await Promise.race([done, sleep(30000)]);
  await q.close();
  return late;
}

const late = await (a.system === 'bee' ? bee() : bullmq());
console.log(JSON.stringify({ jobs, ...summarize(late), lost: jobs - late.length }));
process.exit(0);
