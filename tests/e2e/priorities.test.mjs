// Priorities in the chat API: the user's tier from configuration sets the job's BullMQ
// priority, a request can make its job less urgent but not more, and a premium job
// overtakes the free ones already waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem, postJSON, waitForJob } from './system.mjs';
import { bullmq, onCleanup } from '../interop/support.mjs';

test('a premium user\'s message overtakes waiting free ones; a request cannot raise its tier', { timeout: 90000 }, async () => {
  const sys = await startSystem({
    env: { PRIORITY_TIERS: 'premium=1,free=10', USER_TIERS: 'vip=premium', AI_CONCURRENCY: '1' },
  });
  const ai = new bullmq.Queue('ai-processing', { connection: sys.redis.connection });
  onCleanup(() => ai.close());
  await ai.pause();  // hold everything in the queue until all messages are in

  const send = async (userId, extra = {}) => {
    const r = await postJSON(sys.base, '/api/chat/send', { conversationId: `c-${userId}`, userId, message: 'Hi', ...extra });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.jobId;
  };
  const free = [await send('plain-1'), await send('plain-2'), await send('plain-3', { priority: 1 })];
  const vip = await send('vip');
  const relaxed = await send('vip', { priority: 20 });

  const priority = async (id) => (await ai.getJob(id)).opts.priority;
  assert.deepEqual(await Promise.all(free.map(priority)), [10, 10, 10], 'free tier; asking for 1 does not raise it');
  assert.equal(await priority(vip), 1);
  assert.equal(await priority(relaxed), 20, 'a request may lower its own urgency');
  assert.equal(await ai.getPrioritizedCount(), 5);

  await ai.resume();
  for (const id of [...free, vip, relaxed]) assert.equal((await waitForJob(sys.base, id, 30000)).status, 'completed');
  const order = (await Promise.all([...free, vip, relaxed].map(async (id) => ({ id, at: (await ai.getJob(id)).processedOn }))))
    .sort((a, b) => a.at - b.at).map((j) => j.id);
  assert.equal(order[0], vip, `the premium job ran first: ${order.join(', ')}`);
  assert.equal(order[order.length - 1], relaxed, 'priority 20 ran last');
});

test('unreadable tier settings stop the API at start with a message that names them', { timeout: 30000 }, async () => {
  await assert.rejects(startSystem({ env: { PRIORITY_TIERS: 'premium=1', USER_TIERS: 'vip=gold' } }),
    /USER_TIERS: user 'vip' has tier 'gold'/);
});
