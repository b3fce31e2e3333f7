// measure.mjs - one measured run of each kind, observed from Redis and /proc.
import { bulkEnqueue, completedKey, measureDelayed, measureLatency, startStalledChecker, startWorker } from './systems.mjs';
import { cpuMicros, peakRssMB, sleep, stop } from './proc.mjs';
import { Queue } from 'bullmq';
import BeeQueue from 'bee-queue';

let runNo = 0;
const freshQueue = (what) => `bench-${what}-${++runNo}`;

export async function enqueueRun(system, redis, jobs) {
  await redis.client.flushall();
  const r = await bulkEnqueue(system, redis, freshQueue('enqueue'), jobs);
  return { jobs: r.jobs, seconds: r.seconds, jobsPerSec: r.jobs / r.seconds };
}

// Drains `jobs` prefilled no-op jobs with `procs` worker processes of `concurrency`
// each. The clock runs from the first completed job to the last one, seen by polling
// the completed set every 10 ms, so process start-up is not counted.
export async function processingRun(system, redis, { jobs, procs, concurrency }) {
  await redis.client.flushall();
  const queue = freshQueue('process');
  await bulkEnqueue(system === 'bee' ? 'bee' : 'bullmq', redis, queue, jobs);
  const { cmd, key } = completedKey(system, queue);
  const workers = Array.from({ length: procs }, () => startWorker(system, redis, queue, { concurrency }));
  const cpuOf = () => ({ worker: workers.reduce((s, w) => s + cpuMicros(w.pid), 0), redis: cpuMicros(redis.pid) });
  const deadline = Date.now() + 180000;
  let first;
  let last;
  try {
    for (;;) {
      const n = await redis.client[cmd](key);
      const now = performance.now();
      if (!first && n > 0) first = { n, t: now, cpu: cpuOf() };
      if (n >= jobs) {
        last = { n, t: now, cpu: cpuOf() };
        break;
      }
      if (Date.now() > deadline) throw new Error(`${system} finished only ${n} of ${jobs} jobs in time`);
      for (const w of workers) if (w.exitCode !== null) throw new Error(`${system} worker ended early:\n${w.output}`);
      await sleep(10);
    }
    const done = last.n - first.n;
    const seconds = (last.t - first.t) / 1000;
    return {
      jobs,
      measuredJobs: done,
      seconds,
      jobsPerSec: done / seconds,
      workerCpuUsPerJob: (last.cpu.worker - first.cpu.worker) / done,
      redisCpuUsPerJob: (last.cpu.redis - first.cpu.redis) / done,
      redisBusy: (last.cpu.redis - first.cpu.redis) / 1e6 / seconds,
      workerPeakRssMB: Math.max(...workers.map((w) => peakRssMB(w.pid))),
    };
  } finally {
    await Promise.all(workers.map((w) => stop(w)));
  }
}

// Latency at a steady offered rate, and what each job costs Redis and the worker at
// that rate: their user + system CPU (/proc/<pid>/stat) between the producer's marks
// around its counted adds, divided by those adds. Redis's figure includes the
// producer's adds and the observer's reads, as a deployment's would.
export async function latencyRun(system, redis, { rate, seconds, concurrency }) {
  await redis.client.flushall();
  const queue = freshQueue('latency');
  const worker = startWorker(system, redis, queue, { concurrency });
  const cpu = {};
  const onMark = (mark) => (cpu[mark] = { redis: cpuMicros(redis.pid), worker: cpuMicros(worker.pid), t: performance.now() });
  try {
    await sleep(1000); // connected and blocked waiting for jobs
    const r = await measureLatency(system, redis, queue, rate, seconds, onMark);
    if (!cpu.start || !cpu.end) throw new Error(`${system}: the latency producer printed no marks`);
    const jobs = r.offered;
    return {
      ...r,
      redisCpuUsPerJob: (cpu.end.redis - cpu.start.redis) / jobs,
      workerCpuUsPerJob: (cpu.end.worker - cpu.start.worker) / jobs,
      redisBusy: (cpu.end.redis - cpu.start.redis) / 1e3 / (cpu.end.t - cpu.start.t),
    };
  } finally {
    await stop(worker);
  }
}

export async function delayedRun(system, redis, { jobs, concurrency }) {
  await redis.client.flushall();
  const queue = freshQueue('delayed');
  const worker = startWorker(system, redis, queue, { concurrency, processor: 'clock', delayed: true });
  try {
    await sleep(1000);
    return await measureDelayed(system, redis, queue, jobs);
  } finally {
    await stop(worker);
  }
}

// CPU-heavy jobs (each burns `ms` of CPU) with a short lock while another Node worker
// runs the stalled check: how many locks are lost and how many jobs run twice.
export async function cpuRun(system, redis, { jobs = 8, ms = 3000, lockDuration = 2000, interval = 1000, concurrency = 4 }) {
  await redis.client.flushall();
  const queue = freshQueue('cpu');
  const connection = { port: redis.port, host: '127.0.0.1' };
  const starts = new Map();
  const checker = startStalledChecker(system, redis, queue, { interval, lockDuration });
  await sleep(500);
  const worker = startWorker(system, redis, queue, { concurrency, processor: 'cpu', lockDuration, stalledInterval: interval });
  const t0 = performance.now();
  try {
    let finished = () => 0;
    if (system === 'bee') {
      const q = new BeeQueue(queue, { redis: connection, isWorker: false, getEvents: false });
      await q.saveAll(Array.from({ length: jobs }, () => q.createJob({ ms })));
      await q.close();
      finished = async () => (await redis.client.scard(`bq:${queue}:succeeded`)) + (await redis.client.scard(`bq:${queue}:failed`));
    } else {
      const q = new Queue(queue, { connection });
      await q.addBulk(Array.from({ length: jobs }, () => ({ name: 'cpu', data: { ms } })));
      await q.close();
      finished = async () => (await redis.client.zcard(`bull:${queue}:completed`)) + (await redis.client.zcard(`bull:${queue}:failed`));
    }
    const deadline = Date.now() + Math.max(60000, (jobs * ms * 4) / concurrency);
    while ((await finished()) < jobs && Date.now() < deadline) await sleep(200);
    const seconds = (performance.now() - t0) / 1000;
    await sleep(interval * 2); // a last check after the end
    const lostLocks = checker.output.split('\n').filter((l) => l.startsWith('stalled ')).length;
    if (system === 'bee') {
      for (const l of worker.output.split('\n')) if (l.startsWith('start ')) starts.set(l.slice(6), (starts.get(l.slice(6)) ?? 0) + 1);
    } else {
      const events = await redis.client.xrange(`bull:${queue}:events`, '-', '+');
      for (const [, f] of events) {
        if (f[1] !== 'active') continue;
        const id = f[f.indexOf('jobId') + 1];
        starts.set(id, (starts.get(id) ?? 0) + 1);
      }
    }
    const doubleExecutions = [...starts.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
    const completed = system === 'bee' ? await redis.client.scard(`bq:${queue}:succeeded`) : await redis.client.zcard(`bull:${queue}:completed`);
    return { jobs, jobMs: ms, lockDuration, concurrency, lostLocks, doubleExecutions, completed, seconds };
  } finally {
    await stop(worker);
    await stop(checker);
  }
}
