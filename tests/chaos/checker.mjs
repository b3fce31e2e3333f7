// checker.mjs - after a chaos run, reads Redis and the queue's whole events stream and
// says what became of every job that was added: completed, failed (with its reason, and
// for drover its dead-letter entry), stuck, lost; and which were completed twice or run
// more often than their attempts justify.
import { createRequire } from 'node:module';

const Redis = createRequire(import.meta.url)('ioredis');

const PENDING = ['wait', 'active', 'paused', 'delayed', 'prioritized', 'waiting-children'];
const FINAL = ['completed', 'failed'];

async function members(redis, key) {
  const type = await redis.type(key);
  if (type === 'list') return redis.lrange(key, 0, -1);
  if (type === 'zset') return redis.zrange(key, 0, -1);
  if (type === 'set') return redis.smembers(key);
  return [];
}

// Per job id: how many of each event the stream holds, and the names in order (for the
// report of a job that went wrong).
async function readEvents(redis, key) {
  const perJob = new Map();
  let start = '-';
  let total = 0;
  for (;;) {
    const batch = await redis.xrange(key, start, '+', 'COUNT', 10000);
    for (const [, fields] of batch) {
      let event = null;
      let jobId = null;
      for (let i = 0; i < fields.length; i += 2) {
        if (fields[i] === 'event') event = fields[i + 1];
        else if (fields[i] === 'jobId') jobId = fields[i + 1];
      }
      if (jobId === null) continue;
      let e = perJob.get(jobId);
      if (!e) perJob.set(jobId, (e = { counts: {}, seq: [] }));
      e.counts[event] = (e.counts[event] ?? 0) + 1;
      // Two 'active' in a row: the job was fetched again while nothing had taken it out
      // of active (no stall, retry, move back to wait or finish): two runs at once.
      if (event === 'active' && e.last === 'active') e.activeTwice = (e.activeTwice ?? 0) + 1;
      e.last = event;
      if (e.seq.length < 40) e.seq.push(event);
    }
    total += batch.length;
    if (batch.length < 10000) break;
    start = `(${batch[batch.length - 1][0]}`;
  }
  return { perJob, total };
}

// `expected`: Map jobId -> job data as added. `dlq`: the dead-letter queue's name, or null.
export async function check({ url, queue, expected, dlq, prefix = 'bull' }) {
  const redis = new Redis(url, { maxRetriesPerRequest: 3 });
  try {
    const k = (s) => `${prefix}:${queue}:${s}`;
    const stateOf = new Map();
    const inTwoStates = [];
    for (const state of [...PENDING, ...FINAL]) {
      for (const id of await members(redis, k(state))) {
        if (stateOf.has(id)) inTwoStates.push({ id, states: [stateOf.get(id), state] });
        stateOf.set(id, state);
      }
    }
    const { perJob, total: streamEntries } = await readEvents(redis, k('events'));

    const ids = [...expected.keys()];
    const hashes = new Map();
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const p = redis.pipeline();
      for (const id of chunk) p.hmget(k(id), 'finishedOn', 'failedReason', 'atm', 'ats');
      const replies = await p.exec();
      chunk.forEach((id, j) => {
        const [finishedOn, failedReason, atm, ats] = replies[j][1];
        if (finishedOn !== null || failedReason !== null || atm !== null || ats !== null) {
          hashes.set(id, { finishedOn, failedReason, atm: Number(atm ?? 0), ats: Number(ats ?? 0) });
        }
      });
    }
    const inDlq = new Set();
    if (dlq) {
      const failedIds = ids.filter((id) => stateOf.get(id) === 'failed' && hashes.get(id)?.finishedOn);
      for (let i = 0; i < failedIds.length; i += 1000) {
        const chunk = failedIds.slice(i, i + 1000);
        const p = redis.pipeline();
        for (const id of chunk) p.exists(`${prefix}:${dlq}:${queue}-${id}-${hashes.get(id).finishedOn}`);
        const replies = await p.exec();
        chunk.forEach((id, j) => { if (replies[j][1] === 1) inDlq.add(id); });
      }
    }

    const r = {
      added: ids.length, completed: 0, failed: 0, failedAsMeant: 0, failedUnexpectedly: [],
      failedWithoutReason: [], failedNotInDlq: [], stuck: [], lost: [], orphaned: [], inTwoStates,
      doubleCompleted: [], activeTwice: [], reExecuted: 0, extraExecutions: 0, missingFromStream: 0, streamEntries,
    };
    const story = (id) => ({ id, state: stateOf.get(id) ?? null, hash: hashes.get(id) ?? null,
      events: perJob.get(id)?.seq ?? [] });
    for (const id of ids) {
      const state = stateOf.get(id);
      const hash = hashes.get(id);
      const ev = perJob.get(id);
      if (!ev?.counts.added) r.missingFromStream += 1;
      if ((ev?.counts.completed ?? 0) > 1) r.doubleCompleted.push(story(id));
      if (ev?.activeTwice) r.activeTwice.push(story(id));
      const extra = (ev?.counts.active ?? 0) - (hash?.atm ?? 0);
      if (extra > 0) { r.reExecuted += 1; r.extraExecutions += extra; }
      if (state === 'completed') r.completed += 1;
      else if (state === 'failed') {
        r.failed += 1;
        if (expected.get(id).fail) r.failedAsMeant += 1;
        else r.failedUnexpectedly.push(story(id));
        if (!hash?.failedReason) r.failedWithoutReason.push(story(id));
        if (dlq && !inDlq.has(id)) r.failedNotInDlq.push(story(id));
      } else if (state) r.stuck.push(story(id));
      else if (hash) r.orphaned.push(story(id));
      else r.lost.push(story(id));
    }
    return r;
  } finally {
    redis.disconnect();
  }
}

// The problems a drover run must not have (BullMQ's are reported only).
export function violations(r) {
  const v = [];
  if (r.lost.length) v.push(`${r.lost.length} lost`);
  if (r.orphaned.length) v.push(`${r.orphaned.length} orphaned (job hash in no state)`);
  if (r.stuck.length) v.push(`${r.stuck.length} stuck`);
  if (r.doubleCompleted.length) v.push(`${r.doubleCompleted.length} completed twice`);
  if (r.inTwoStates.length) v.push(`${r.inTwoStates.length} in two states`);
  if (r.failedWithoutReason.length) v.push(`${r.failedWithoutReason.length} failed without a reason`);
  if (r.failedNotInDlq.length) v.push(`${r.failedNotInDlq.length} failed but not in the dead-letter queue`);
  if (r.missingFromStream) v.push(`${r.missingFromStream} without an 'added' event (stream incomplete)`);
  return v;
}
