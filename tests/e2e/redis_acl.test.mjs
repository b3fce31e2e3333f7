// redis_acl.test.mjs - the apps on a Redis that restricts drover's user, as companies lock
// it down (an ACL review): without SCRIPT LOAD everything works, the scripts sent whole;
// without the keys the API needs, /readyz says it is not ready until the grant is mended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem, AppProcess, freePorts, postJSON, waitFor } from './system.mjs';
import { startRedis } from '../interop/support.mjs';

test('without script|load the chat works, its scripts sent whole', { timeout: 90000 }, async () => {
  const redis = await startRedis();
  const raw = await redis.raw();
  await raw.call('ACL', 'SETUSER', 'no-load', 'on', '>pw-1234', '~*', '&*', '+@all', '-script|load');
  await raw.call('SCRIPT', 'FLUSH');
  const sys = await startSystem({ redis: { ...redis, url: `redis://no-load:pw-1234@127.0.0.1:${redis.port}` } });
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'acl', userId: 'u', message: 'hello' });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  await waitFor(async () => {
    const r = await fetch(`${sys.base}/api/chat/job/${sent.body.jobId}`);
    return (await r.json()).status === 'completed';
  }, { timeout: 30000, what: 'the chat job to complete' });
  assert.match(sys.api.output + sys.workers.output, /SCRIPT LOAD refused/);
  const refusals = (await raw.call('ACL', 'LOG')).flat(2).map(String);
  assert.ok(refusals.includes('script|load'), 'the loads were tried and refused');
});

test('without the rate limiter\'s keys or a queue\'s, /readyz is 503 until the grant is mended', { timeout: 90000 }, async () => {
  const redis = await startRedis();
  const raw = await redis.raw();
  // The chat queue's keys but neither the rate limiter's nor the documents queue's.
  await raw.call('ACL', 'SETUSER', 'partial', 'on', '>pw-1234', '~bull:ai-processing:*', '~bull:ai-processing', '&*', '+@all');
  const [port, workersPort] = await freePorts(2);
  const api = new AppProcess('api', ['api'], {
    AUTH_MODE: 'none', PORT: String(port), WORKERS_PORT: String(workersPort), DATABASE_URL: 'sqlite::memory:',
    REDIS_URL: `redis://partial:pw-1234@127.0.0.1:${redis.port}`,
  });
  const ready = async () => {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      return { status: r.status, body: await r.json() };
    } catch { return null; }
  };
  await waitFor(async () => (await ready())?.status === 503, { timeout: 20000, what: 'a 503 from /readyz' })
    .catch((e) => { throw new Error(`${e.message}\n${api.tail()}`); });
  assert.deepEqual((await ready()).body, { status: 'unavailable', redis: 'unavailable', database: 'ok' });
  await raw.call('ACL', 'SETUSER', 'partial', '~drover:*');
  assert.equal((await ready()).status, 503, 'still without the documents queue\'s keys');
  await raw.call('ACL', 'SETUSER', 'partial', '~bull:document-processing:*', '~bull:document-processing');
  await waitFor(async () => (await ready())?.status === 200, { timeout: 10000, what: 'a 200 once the grant is mended' });
});
