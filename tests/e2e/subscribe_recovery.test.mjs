// subscribe_recovery.test.mjs - Socket.IO's subscribe-job loses no final event while the API
// recovers (issue 13): a client subscribing to jobs that finished while the API was down,
// before its events reader has caught up from its stored position, and a client
// subscribing while Redis restarts, each get the final event at once (socket.io-client
// from npm).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { startSystem, startApi, startWorkers, postJSON, waitFor } from './system.mjs';
import { bullmq, onCleanup } from '../interop/support.mjs';
import { RedisProcess } from '../chaos/redis_process.mjs';
import { CHUNKS } from './fake_openai.mjs';

const require = createRequire(import.meta.url);
const { io } = require('socket.io-client');

const JOBS = 20;
const FILLER = 150000;

async function connect(base) {
  const socket = io(base, { transports: ['websocket'], reconnection: false });
  onCleanup(() => socket.close());
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  const finals = new Map();  // job id -> { name, at }
  for (const name of ['job-completed', 'job-failed']) {
    socket.on(name, (p) => { if (!finals.has(p.jobId)) finals.set(p.jobId, { name, at: Date.now(), payload: p }); });
  }
  return { socket, finals };
}

async function send(sys, conversationId, n) {
  const ids = [];
  for (let k = 0; k < n; k++) {
    const sent = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u1', message: `question ${k}` });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    ids.push(sent.body.jobId);
  }
  return ids;
}

async function completedCount(redis) {
  const q = new bullmq.Queue('ai-processing', { connection: redis.connection });
  try { return (await q.getJobCounts('completed')).completed; } finally { await q.close(); }
}

// Holds PostgreSQL's lock on event_stream_positions in a transaction of its own until
// release(): the API's events reader, which reads its stored position there first, waits.
async function holdPositions(url) {
  const psql = spawn('psql', [url, '-qtA'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  psql.stdout.on('data', (d) => (out += d));
  psql.stdin.write('BEGIN; LOCK TABLE event_stream_positions IN ACCESS EXCLUSIVE MODE; SELECT \'locked\';\n');
  await waitFor(() => out.includes('locked'), { what: 'the lock on event_stream_positions' });
  const gone = new Promise((r) => psql.once('exit', r));
  onCleanup(() => psql.kill());
  return { release: async () => { psql.stdin.end('COMMIT;\n'); await gone; } };
}

test('subscribing while the restarted API\'s events reader has not caught up gets each finished job at once', { timeout: 120000 }, async () => {
  const sys = await startSystem({ database: 'postgres' });
  await sys.workers.stop();
  const ids = await send(sys, 'catching-up', JOBS);
  const position = () => sys.db.query("select last_id from event_stream_positions where stream = 'bull:ai-processing'");
  await waitFor(() => /^\d+-\d+$/.test(position()), { what: 'a stored position' });
  // The jobs complete while the API is away: their events wait in the stream, after the
  // position the relay stored.
  sys.api.proc.kill('SIGKILL');
  await sys.api.exited;
  const workers = await startWorkers(sys);
  await waitFor(async () => (await completedCount(sys.redis)) === JOBS, { timeout: 30000, what: 'every job completed' });
  await workers.stop();
  const before = position();
  // The restarted API serves while its events reader waits for its position: every
  // completed event is still unread when the client subscribes.
  const lock = await holdPositions(sys.db.url);
  await startApi(sys);
  const { socket, finals } = await connect(sys.base);
  // One at a time: a client may have only a few checks running at once.
  const subscribed = new Map();
  for (const id of ids) {
    subscribed.set(id, Date.now());
    assert.deepEqual(await socket.timeout(10000).emitWithAck('subscribe-job', id), { ok: true });
  }
  await waitFor(() => finals.size === JOBS, { timeout: 5000, what: `final events (got ${finals.size} of ${JOBS})` });
  for (const id of ids) {
    const f = finals.get(id);
    assert.equal(f.name, 'job-completed');
    assert.equal(f.payload.result.response, CHUNKS.join(''));
    const ms = f.at - subscribed.get(id);
    assert.ok(ms < 1000, `job ${id}: final event ${ms} ms after subscribing`);
  }
  // A job that finishes after the subscription: its event comes from the events reader,
  // once it has caught up.
  const [late] = await send(sys, 'catching-up', 1);
  assert.deepEqual(await socket.timeout(10000).emitWithAck('subscribe-job', late), { ok: true });
  await lock.release();
  await startWorkers(sys);
  await waitFor(() => finals.has(late), { timeout: 20000, what: 'the final event of a job finished after subscribing' });
  await waitFor(() => position() !== before, { what: 'the events reader to store its new position' });
  // The late job's row may come in a later batch than the first new position.
  const unfinished = () => sys.db.query("select count(*) from job_logs where status <> 'completed'");
  await waitFor(() => unfinished() === '0', { what: 'every job_logs row final' });
});

test('subscribing while Redis restarts is answered once Redis is back, with the final event of a finished job', { timeout: 120000 }, async () => {
  const redis = await RedisProcess.create();
  onCleanup(() => redis.stop());
  redis.connection = { host: '127.0.0.1', port: redis.port };
  const sys = await startSystem({ redis });
  const [done] = await send(sys, 'reconnecting', 1);
  await waitFor(async () => (await completedCount(redis)) === 1, { timeout: 20000, what: 'the first job completed' });
  await sys.workers.stop();
  const [waiting] = await send(sys, 'reconnecting', 1);

  const { socket, finals } = await connect(sys.base);
  await redis.signal('SIGKILL');
  // Asked while Redis is away: the API cannot check the job yet, and must not refuse it.
  const acks = Promise.all([done, waiting].map((id) => socket.timeout(30000).emitWithAck('subscribe-job', id)));
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(finals.size, 0);
  await redis.start();
  const back = Date.now();
  assert.deepEqual(await acks, [{ ok: true }, { ok: true }]);
  await waitFor(() => finals.has(done), { timeout: 5000, what: 'the finished job\'s final event once Redis is back' });
  assert.ok(finals.get(done).at - back < 3000, `${finals.get(done).at - back} ms after Redis came back`);
  assert.equal(finals.get(done).payload.result.response, CHUNKS.join(''));
  // The waiting job finishes after Redis came back: the events reader reconnected.
  await startWorkers(sys);
  await waitFor(() => finals.has(waiting), { timeout: 20000, what: 'the waiting job\'s final event after the restart' });
});
