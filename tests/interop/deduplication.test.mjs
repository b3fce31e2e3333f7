// Deduplication across sides: an id held by a job that one side added dedups the other
// side's add, both read the same holder, and a drover worker finishing the job releases it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startRedis, queueName, newQueue, newQueueEvents, recordQueueEvents, startDroverWorker, droverAdd, waitFor,
  waitForState,
} from './support.mjs';

const redis = await startRedis();

test('Node holds a deduplication id: drover\'s add returns Node\'s job, and a drover worker releases it', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const qe = await newQueueEvents(redis, name);
  const events = recordQueueEvents(qe, ['deduplicated']);

  const held = await queue.add('report', { from: 'node' }, { deduplication: { id: 'daily-report' } });
  const fromDrover = await droverAdd(redis, name, 'report', { from: 'drover' }, { deduplication: { id: 'daily-report' } });
  assert.equal(fromDrover, held.id, 'drover got the holding job');
  assert.equal(await queue.count(), 1);
  assert.deepEqual((await queue.getJob(held.id)).data, { from: 'node' });
  await waitFor(() => events.length >= 1, { what: 'a deduplicated event' });
  assert.equal(events[0].jobId, held.id);
  assert.equal(events[0].deduplicationId, 'daily-report');

  await startDroverWorker(redis, name, { processor: 'echo' });
  await waitForState(queue, held.id, ['completed']);
  await waitFor(async () => (await queue.getDeduplicationJobId('daily-report')) === null,
    { what: 'the id to be released when the job completed' });
  const next = await queue.add('report', { from: 'node again' }, { deduplication: { id: 'daily-report' } });
  assert.notEqual(next.id, held.id);
});

test('drover holds a deduplication id with a ttl: Node\'s add is deduplicated until the ttl passes', async () => {
  const name = queueName();
  const queue = newQueue(redis, name);
  const held = await droverAdd(redis, name, 'sync', { n: 1 }, { deduplication: { id: 'sync', ttl: 1500 } });
  assert.equal(await queue.getDeduplicationJobId('sync'), held);
  const again = await queue.add('sync', { n: 2 }, { deduplication: { id: 'sync', ttl: 1500 } });
  assert.equal(again.id, held);
  const stored = await queue.getJob(held);
  assert.equal(stored.deduplicationId, 'sync');
  assert.deepEqual(stored.opts.deduplication, { id: 'sync', ttl: 1500 });
  await waitFor(async () => (await queue.getDeduplicationJobId('sync')) === null, { timeout: 5000, what: 'the ttl to pass' });
  const after = await queue.add('sync', { n: 3 }, { deduplication: { id: 'sync', ttl: 1500 } });
  assert.notEqual(after.id, held);
});
