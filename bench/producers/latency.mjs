// latency.mjs - add→complete latency at a fixed offered rate; prints a JSON summary.
//   --system bullmq|bee --port P --queue Q --rate R --seconds S [--warmup S]
// Latency of a job = from just before the producer's add call to the moment this
// process receives the job's "completed" event (BullMQ: XREAD BLOCK on the queue's
// events stream, as QueueEvents does; bee-queue: its "job succeeded" pub/sub
// message), both on this process's monotonic clock (performance.now(), sub-µs).
// So it includes the add round trip, the worker's fetch, the no-op, the finish
// and the event's delivery to a listener. Jobs added during the warm-up are not counted.
// Prints "mark start" when the first counted job is added and "mark end" after the
// last one, for bench/lib/measure.mjs to read the CPU figures of Redis and the worker.
import { Queue } from 'bullmq';
import BeeQueue from 'bee-queue';
import Redis from 'ioredis';
import { parseArgs } from '../lib/args.mjs';
import { summarize } from '../lib/stats.mjs';

const a = parseArgs();
const rate = Number(a.rate);
const seconds = Number(a.seconds);
const warmup = Number(a.warmup ?? 1);
const connection = { port: Number(a.port), host: '127.0.0.1' };

const added = new Map();    // id -> t_add (ms, performance.now())
const finished = new Map(); // id -> t_done, when the event beat the add's reply
const latencies = [];
let expected = 0;
let resolveAll;
const allDone = new Promise((r) => (resolveAll = r));

function joined(id, tAdd, tDone, counted) {
  if (counted) latencies.push(tDone - tAdd);
  if (counted && latencies.length === expected) resolveAll();
}

function onAdded(id, tAdd, counted) {
  const tDone = finished.get(id);
  if (tDone !== undefined) {
    finished.delete(id);
    joined(id, tAdd, tDone, counted);
  } else {
    added.set(id, { tAdd, counted });
  }
}

function onFinished(id, tDone) {
  const a = added.get(id);
  if (a) {
    added.delete(id);
    joined(id, a.tAdd, tDone, a.counted);
  } else {
    finished.set(id, tDone);
  }
}

// Calls add() at `rate` per second for warmup + seconds; returns when all are sent.
async function offer(add) {
  const total = Math.round(rate * (warmup + seconds));
  const warm = Math.round(rate * warmup);
  expected = total - warm;
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    for (; sent < due; ++sent) {
      const counted = sent >= warm;
      if (sent === warm) console.log('mark start');
      const tAdd = performance.now();
      add().then((id) => onAdded(id, tAdd, counted), (e) => console.error('add failed:', e.message));
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  console.log('mark end');
}

async function bullmq() {
  const q = new Queue(a.queue, { connection });
  await q.waitUntilReady();
  const reader = new Redis(connection);
  const key = `bull:${a.queue}:events`;
  let last = '$';
  let reading = true;
  (async () => {
    while (reading) {
      const r = await reader.xread('BLOCK', 200, 'COUNT', 1000, 'STREAMS', key, last);
      const now = performance.now();
      if (!r) continue;
      for (const [id, fields] of r[0][1]) {
        last = id;
        if (fields[1] !== 'completed') continue;
        const j = fields.indexOf('jobId');
        onFinished(fields[j + 1], now);
      }
    }
  })().catch((e) => console.error('xread:', e.message));
  await offer(async () => (await q.add('noop', { x: 1 })).id);
  await Promise.race([allDone, new Promise((r) => setTimeout(r, 30000))]);
  reading = false;
  await q.close();
  reader.disconnect();
}

async function bee() {
  const q = new BeeQueue(a.queue, { redis: connection, isWorker: false, getEvents: true });
  await q.ready();
  q.on('job succeeded', (id) => onFinished(id, performance.now()));
  await offer(async () => (await q.createJob({ x: 1 }).save()).id);
  await Promise.race([allDone, new Promise((r) => setTimeout(r, 30000))]);
  await q.close();
}

await (a.system === 'bee' ? bee() : bullmq());
console.log(JSON.stringify({ rate, offered: expected, ...summarize(latencies), lost: expected - latencies.length }));
process.exit(0);
