// Job schedulers (repeatable jobs) across sides: a scheduler upserted by one side is kept
// running by the other's worker, and both read and list it the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  startRedis, queueName, newQueue, newWorker, startDroverWorker, drover, droverJSON, runDrover, waitFor,
} from './support.mjs';

const redis = await startRedis();
// The cron parser Node's bullmq schedules with (a dependency of bullmq).
const { CronExpressionParser } = createRequire(import.meta.url)('cron-parser');

const droverSchedule = (queue, action, id, ...extra) => drover(redis, queue, ['schedule', action], '--id', id, ...extra);
const droverSchedulers = (queue) => droverJSON(redis, queue, ['queue', 'schedulers'], '--json');

async function completedJobs(queue) {
  return (await queue.getJobs(['completed'], 0, -1, true)).filter(Boolean);
}

// The scheduler hash with its `opts` parsed (Lua's cjson orders keys as it likes).
async function schedulerHash(name, id) {
  const h = await (await redis.raw()).hgetall(`bull:${name}:repeat:${id}`);
  if (h.opts) h.opts = JSON.parse(h.opts);
  return h;
}

// A delayed iteration's hash, without what names its scheduler or depends on the clock.
async function iterationHash(name, jobId, schedulerId) {
  const h = await (await redis.raw()).hgetall(`bull:${name}:${jobId}`);
  assert.equal(h.rjk, schedulerId, `${jobId} belongs to ${schedulerId}`);
  const opts = JSON.parse(h.opts);
  assert.equal(opts.jobId, jobId);
  assert.equal(opts.repeatJobKey, schedulerId);
  for (const f of ['jobId', 'repeatJobKey', 'timestamp', 'delay']) delete opts[f];
  const { rjk, timestamp, delay, ...rest } = h;
  return { ...rest, opts };
}

test('Node upserts an every scheduler -> the drover worker keeps it running', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  await queue.upsertJobScheduler('every-400', { every: 400 }, { name: 'tick', data: { from: 'node' } });
  const worker = await startDroverWorker(redis, name, { processor: 'echo' });
  await waitFor(async () => (await completedJobs(queue)).length >= 3, { what: '3 iterations run by drover' });
  const done = await completedJobs(queue);
  for (const j of done) {
    assert.equal(j.name, 'tick');
    assert.equal(j.repeatJobKey, 'every-400');
    assert.deepEqual(j.returnvalue, { from: 'node' });
  }
  assert.equal(new Set(done.map((j) => j.id)).size, done.length, 'each iteration has its own id');
  const s = await queue.getJobScheduler('every-400');
  assert.ok(s.iterationCount >= 3, `iterationCount ${s.iterationCount}`);
  await worker.stop();
});

test('Node upserts a cron scheduler with a time zone -> drover runs it on whole seconds', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  await queue.upsertJobScheduler('per-second', { pattern: '* * * * * *', tz: 'Europe/Berlin' }, { name: 'cron' });
  const worker = await startDroverWorker(redis, name, { processor: 'echo' });
  await waitFor(async () => (await completedJobs(queue)).length >= 3, { what: '3 cron iterations run by drover' });
  const millis = (await completedJobs(queue)).map((j) => Number(j.id.split(':').pop())).sort((a, b) => a - b);
  for (const m of millis) assert.equal(m % 1000, 0, `iteration at ${m} is on a whole second`);
  // The next iteration is planned from when one is taken (as in BullMQ): one taken late (a
  // worker slow to start) skips a second, so only some pair must be one second apart.
  assert.ok(millis.slice(1).every((m, i) => m > millis[i]), `distinct seconds: ${millis}`);
  assert.ok(millis.slice(1).some((m, i) => m - millis[i] === 1000), `iterations one second apart: ${millis}`);
  await worker.stop();
});

test('Node upserts with a limit -> drover stops after the last iteration', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  await queue.upsertJobScheduler('three', { every: 150, limit: 3 });
  const worker = await startDroverWorker(redis, name, { processor: 'echo' });
  await waitFor(async () => (await completedJobs(queue)).length >= 3, { what: '3 iterations' });
  await new Promise((r) => setTimeout(r, 800));
  assert.equal((await completedJobs(queue)).length, 3, 'no fourth iteration');
  await worker.stop();
});

test('a drover worker and a Node worker on one queue make each iteration once', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  await queue.upsertJobScheduler('shared', { every: 250 }, { name: 'both' });
  const nodeRan = [];
  newWorker(redis, name, async (job) => {
    nodeRan.push(job.id);
    return 'node';
  });
  const worker = await startDroverWorker(redis, name, { processor: 'echo' });
  await waitFor(async () => (await completedJobs(queue)).length >= 8, { what: '8 iterations', timeout: 20000 });
  await worker.stop();
  const done = await completedJobs(queue);
  const slots = done.map((j) => Number(j.id.split(':').pop())).sort((a, b) => a - b);
  for (let i = 1; i < slots.length; i++) {
    assert.ok(slots[i] - slots[i - 1] >= 250, `iterations ${slots[i - 1]} and ${slots[i]} are one interval apart or more`);
  }
  const s = await queue.getJobScheduler('shared');
  // Every iteration was made once: the count of made jobs covers the finished ones and the one
  // still to come, nothing twice.
  const counts = await queue.getJobCounts('completed', 'active', 'delayed', 'waiting');
  assert.equal(s.iterationCount, counts.completed + counts.active + counts.delayed + counts.waiting);
});

test('drover upserts -> Redis holds what Node\'s upsert writes; both read and list it alike', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const repeat = { pattern: '0 30 9 1 1 *', tz: 'America/New_York', limit: 7 };
  const template = { name: 'report', data: { kind: 'yearly', n: [1, 2] }, opts: { attempts: 3, removeOnComplete: 10 } };
  await droverSchedule(name, 'upsert', 'from-drover', '--repeat', JSON.stringify(repeat), '--name', template.name,
    '--data', JSON.stringify(template.data), '--opts', JSON.stringify(template.opts));
  await queue.upsertJobScheduler('from-node', repeat, template);

  const fromDrover = await queue.getJobScheduler('from-drover');
  const fromNode = await queue.getJobScheduler('from-node');
  assert.deepEqual({ ...fromDrover, key: 'from-node' }, fromNode, 'getJobScheduler reports both alike');
  assert.deepEqual(await schedulerHash(name, 'from-drover'), await schedulerHash(name, 'from-node'));

  const client = await redis.raw();
  const next = Number(await client.zscore(`bull:${name}:repeat`, 'from-drover'));
  assert.equal(next, Number(await client.zscore(`bull:${name}:repeat`, 'from-node')));
  const droverJob = `repeat:from-drover:${next}`;
  const nodeJob = `repeat:from-node:${next}`;
  assert.equal(await queue.getJobState(droverJob), 'delayed');
  assert.deepEqual(await iterationHash(name, droverJob, 'from-drover'), await iterationHash(name, nodeJob, 'from-node'));

  // drover lists what Node lists.
  const nodeList = JSON.parse(JSON.stringify(await queue.getJobSchedulers()));
  assert.deepEqual(await droverSchedulers(name), nodeList);
  assert.equal(nodeList.length, 2);
  assert.deepEqual(await droverJSON(redis, name, ['schedule', 'get'], '--id', 'from-node'), nodeList.find((s) => s.key === 'from-node'));
});

test('drover schedules cron patterns when cron-parser says, around DST changes too', async () => {
  const name = queueName();
  const client = await redis.raw();
  const cases = [
    ['30 2 * * *', 'Europe/Berlin', '2027-03-27T22:00:00Z'], // Berlin springs forward 28 March
    ['30 2 * * *', 'Europe/Berlin', '2027-10-30T22:00:00Z'], // and falls back 31 October
    ['*/20 1 * * *', 'America/New_York', '2027-11-07T05:30:00Z'],
    ['0 9 * * MON-FRI', 'Asia/Kolkata', '2027-01-01T00:00:00Z'],
    ['0 0 L * *', 'Australia/Sydney', '2027-02-01T00:00:00Z'],
    ['0 18 * * 5L', 'UTC', '2027-06-01T00:00:00Z'],
    ['15 10 * * 2#2', 'Europe/London', '2027-06-01T00:00:00Z'],
    ['@weekly', 'America/Los_Angeles', '2027-06-01T00:00:00Z'],
  ];
  for (const [i, [pattern, tz, start]] of cases.entries()) {
    const startDate = Date.parse(start);
    await droverSchedule(name, 'upsert', `c${i}`, '--repeat', JSON.stringify({ pattern, tz, startDate }));
    // bullmq's repeat strategy: the first run strictly after max(now, startDate).
    const expected = CronExpressionParser.parse(pattern, { tz, startDate, currentDate: new Date(startDate) })
      .next()
      .getTime();
    const got = Number(await client.zscore(`bull:${name}:repeat`, `c${i}`));
    assert.equal(got, expected, `${pattern} in ${tz} from ${start}`);
  }
});

test('drover upserts an every scheduler -> Node workers keep it running', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const seen = [];
  newWorker(redis, name, async (job) => {
    seen.push(job.id);
    return job.data;
  });
  await droverSchedule(name, 'upsert', 'cpp-every', '--repeat', JSON.stringify({ every: 300 }), '--data', '{"x":1}');
  await waitFor(async () => seen.length >= 3, { what: 'Node runs 3 iterations' });
  const s = await queue.getJobScheduler('cpp-every');
  assert.equal(s.every, 300);
  assert.equal(s.name, 'cpp-every', 'the name defaults to the id');
  assert.deepEqual(s.template, { data: { x: 1 } });
  assert.ok(s.iterationCount >= 3);
});

test('removal on either side is seen by the other', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  // Starting later keeps the first iterations delayed: removal takes a delayed next job along
  // (in BullMQ one already waiting stays).
  const startDate = Date.now() + 60000;
  await queue.upsertJobScheduler('a', { every: 60000, startDate });
  await droverSchedule(name, 'upsert', 'b', '--repeat', JSON.stringify({ every: 60000, startDate }));
  assert.equal((await queue.getJobCounts('delayed')).delayed, 2);
  assert.equal(await queue.getJobSchedulersCount(), 2);

  assert.equal((await droverSchedule(name, 'remove', 'a')).trim(), 'true');
  assert.equal(await queue.getJobScheduler('a'), undefined);
  assert.equal(await queue.removeJobScheduler('b'), true);
  const r = await runDrover(['schedule', 'get', '--queue', name, '--redis', redis.url, '--id', 'b']);
  assert.equal(r.code, 3, 'drover schedule get exits 3 for a missing scheduler');
  assert.match(r.stderr, /job scheduler b not found in queue/, 'and says so');
  assert.equal(r.stdout, '', 'and prints nothing a script could take for a scheduler');
  assert.deepEqual(await droverSchedulers(name), []);
  const counts = await queue.getJobCounts('delayed', 'waiting');
  assert.equal(counts.delayed + counts.waiting, 0, 'the next iterations went with their schedulers');
});

test('drover refuses a bad cron expression and writes nothing', async () => {
  const name = queueName();
  const r = await runDrover(['schedule', 'upsert', '--queue', name, '--redis', redis.url, '--id', 'bad',
    '--repeat', JSON.stringify({ pattern: '61 * * * *' })]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /minute field/);
  assert.equal(await newQueue(redis, name).getJobSchedulersCount(), 0);
});

// A schedules review: an upsert that leaves no next run printed null with exit 0, and the
// scheduler of that id already there ran on, taken for replaced. Node writes nothing
// either; drover says so, and exits 1. Duplicate values in a pattern are refused as
// cron-parser refuses them (a Node worker could not plan the next job of one).
test('an upsert with no next run exits 1 and says the old scheduler runs on; a pattern cron-parser refuses is refused', async () => {
  const name = queueName();
  await droverSchedule(name, 'upsert', 's', '--repeat', JSON.stringify({ every: 60000 }));
  const r = await runDrover(['schedule', 'upsert', '--queue', name, '--redis', redis.url, '--id', 's',
    '--repeat', JSON.stringify({ every: 1000, limit: 0 })]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout.trim(), 'null');
  assert.match(r.stderr, /job scheduler s has no next run .*nothing was written; a scheduler of that id already there runs on/);
  assert.equal((await newQueue(redis, name).getJobScheduler('s')).every, 60000, 'the old one, as it was');
  const dup = await runDrover(['schedule', 'upsert', '--queue', name, '--redis', redis.url, '--id', 'd',
    '--repeat', JSON.stringify({ pattern: '0 0 * * SUN,7' })]);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /duplicate values found: 0/);
});

test('drover upsert on a new queue writes the version Node\'s Queue writes, and prints the template\'s priority', async () => {
  const name = queueName();
  const printed = JSON.parse(await droverSchedule(name, 'upsert', 'p', '--repeat', JSON.stringify({ every: 60000 }),
    '--name', 'x', '--opts', JSON.stringify({ priority: 3 })));
  assert.equal(printed.priority, 3);
  assert.equal(printed.opts.priority, 3);
  // skipMetasUpdate: a Node Queue that writes nothing itself, as a dashboard reads.
  const reader = newQueue(redis, name, { skipMetasUpdate: true });
  assert.equal(await reader.getVersion(), 'bullmq:6.7.0');
});
