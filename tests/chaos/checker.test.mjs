// checker.test.mjs - the chaos checker catches what it is there to catch: a lost job, a
// stuck one, one completed twice, one fetched again while active, and a failure with no
// dead-letter entry. Each is made by hand on a real redis-server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { RedisProcess } from './redis_process.mjs';
import { check, violations } from './checker.mjs';

const require = createRequire(import.meta.url);
const { Queue, Worker } = require('bullmq');
const Redis = require('ioredis');

test('the checker reports lost, stuck, double-completed, doubly active and missing dead letters', async () => {
  const redis = await RedisProcess.create();
  after(() => redis.stop());
  const connection = { host: '127.0.0.1', port: redis.port };
  const queue = new Queue('t', { connection });
  const expected = new Map([['done', {}], ['hangs', {}], ['fails', { fail: true }], ['never-added', {}]]);
  await queue.addBulk(['done', 'hangs', 'fails'].map((id) => ({ name: 'x', data: expected.get(id), opts: { jobId: id } })));
  const worker = new Worker('t', async (job) => {
    if (job.id === 'hangs') await new Promise(() => {});
    if (job.data.fail) throw new Error('meant to');
    return 1;
  }, { connection, concurrency: 3 });
  const raw = new Redis(redis.url);
  after(() => raw.disconnect());
  const until = Date.now() + 10000;
  while ((await raw.zcard('bull:t:completed')) + (await raw.zcard('bull:t:failed')) < 2) {
    assert.ok(Date.now() < until, 'the worker did not finish "done" and "fails" within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  await worker.close(true);
  await queue.close();
  await raw.xadd('bull:t:events', '*', 'event', 'completed', 'jobId', 'done');
  await raw.xadd('bull:t:events', '*', 'event', 'active', 'jobId', 'hangs');

  const r = await check({ url: redis.url, queue: 't', expected, dlq: 't-dlq' });
  assert.deepEqual(r.lost.map((j) => j.id), ['never-added']);
  assert.deepEqual(r.stuck.map((j) => j.id), ['hangs']);
  assert.deepEqual(r.doubleCompleted.map((j) => j.id), ['done']);
  assert.deepEqual(r.activeTwice.map((j) => j.id), ['hangs']);
  assert.deepEqual(r.failedNotInDlq.map((j) => j.id), ['fails']);
  assert.equal(r.completed, 1);
  assert.equal(r.failedAsMeant, 1);
  assert.deepEqual(violations(r), ['1 lost', '1 stuck', '1 completed twice', '1 failed but not in the dead-letter queue',
    "1 without an 'added' event (stream incomplete)"]);
});
