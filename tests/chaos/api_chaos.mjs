// api_chaos.mjs - the chaos run with the API in the loop (chaos.mjs --api): clients send
// chat messages through `drover api` to `drover workers` (the model is the e2e tests' fake
// OpenAI server) while Redis is SIGKILLed, PostgreSQL crashes (immediate shutdown) and the
// API is SIGKILLed right after answering a send, each restarted on its data. Judged: every
// refused send is a fast 503, never a hang or a 500; every accepted send (200) has its job
// completed in Redis, its answer stored in the conversation, and its job_logs row final
// with its user.
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RedisProcess } from './redis_process.mjs';
import { freePorts } from '../support/ports.mjs';
import { PostgresProcess } from './postgres_process.mjs';
import { AppProcess } from './app_process.mjs';
import { JobWatcher } from './job_watcher.mjs';
import { startFakeOpenAI } from '../e2e/fake_openai.mjs';

const Redis = createRequire(import.meta.url)('ioredis');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const SENDERS = 4;
const SEND_GAP_MS = 150;      // per sender: about 25 sends/s in all
const REFUSAL_LIMIT_MS = 2000;  // a refused send must answer within this
const REQUEST_TIMEOUT_MS = 10000;
const DOWN_MS = 3000;
const GAP_MS = 2000;
const SETTLE_MS = 90000;

// The client side: SENDERS loops posting /api/chat/send, each send recorded with its
// outcome, its time and the fault going on when it started.
class Senders {
  constructor(base) {
    Object.assign(this, { base, sends: [], phase: 'steady', stopped: false, waiters: [] });
    this.watchers = [...Array(SENDERS).keys()].map(() => new JobWatcher(base));
  }

  start() { this.running = Promise.all([...Array(SENDERS).keys()].map((k) => this.loop(k))); }

  async stop() { this.stopped = true; await this.running; }

  // Accepted jobs whose final event no watcher has had yet.
  unwatched() { return this.watchers.flatMap((w) => [...w.open]); }

  close() { for (const w of this.watchers) w.close(); }

  // Resolves at the next accepted send; throws when none comes within 30 s.
  nextAccepted() {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no send was accepted for 30 s')), 30000);
      this.waiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  async loop(k) {
    for (let n = 0; !this.stopped; n++) {
      const rec = { userId: `u${k}`, conversationId: `c${k}-${Math.floor(n / 20)}`, phase: this.phase, at: Date.now() };
      const t0 = performance.now();
      try {
        const res = await fetch(`${this.base}/api/chat/send`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ conversationId: rec.conversationId, userId: rec.userId, message: `s${k}-${n}` }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        rec.status = res.status;
        const body = await res.json().catch(() => null);
        if (res.status === 200) {
          rec.jobId = body?.jobId;
          this.watchers[k].watch(rec.jobId);
        }
        else rec.error = body?.error;
      } catch (err) {
        // The API not listening (killed), or killed with the request in flight.
        rec.status = err.name === 'TimeoutError' ? 'timeout' : 'no answer';
      }
      rec.ms = performance.now() - t0;
      this.sends.push(rec);
      if (rec.status === 200) for (const w of this.waiters.splice(0)) w();
      await sleep(SEND_GAP_MS);
    }
  }
}

// One round of faults: Redis SIGKILLed, PostgreSQL crashed, the API SIGKILLed just after a
// 200; each down DOWN_MS (the API: until it is up again), GAP_MS of calm between them.
async function round(sys, senders, note) {
  const phase = async (name, down, up) => {
    senders.phase = name;
    note(name);
    await down();
    await sleep(DOWN_MS);
    await up();
    note(`${name}: restarted`);
    senders.phase = `after ${name}`;
    await sleep(GAP_MS);
    senders.phase = 'steady';
  };
  await phase('redis SIGKILL', () => sys.redis.signal('SIGKILL'), () => sys.redis.start());
  await phase('postgres crash', () => sys.pg.signal('SIGQUIT'), () => sys.pg.start());
  senders.phase = 'api SIGKILL';
  await senders.nextAccepted();
  await sys.api.kill('SIGKILL');
  note('api SIGKILL just after a 200');
  await sys.api.start();
  note('api SIGKILL: restarted');
  senders.phase = 'after api SIGKILL';
  await sleep(GAP_MS);
  senders.phase = 'steady';
  await phase('redis SIGTERM', () => sys.redis.signal('SIGTERM'), () => sys.redis.start());
}

// What became of every accepted send, read from Redis and PostgreSQL.
async function check(sys, accepted) {
  const redis = new Redis(sys.redis.url, { maxRetriesPerRequest: 3 });
  const jobs = new Map();
  const p = redis.pipeline();
  for (const s of accepted) p.hmget(`bull:ai-processing:${s.jobId}`, 'finishedOn', 'returnvalue', 'stc', 'ats');
  const replies = await p.exec();
  accepted.forEach((s, i) => jobs.set(s.jobId, replies[i][1]));
  redis.disconnect();
  const rows = new Map(sys.pg.query("select job_id, status, coalesce(user_id, '') from job_logs where queue = 'ai-processing'")
    .split('\n').filter(Boolean).map((l) => { const [id, status, user] = l.split('|'); return [id, { status, user }]; }));
  const answered = new Set(sys.pg.query("select job_id from messages where role = 'assistant'").split('\n').filter(Boolean));
  const out = { notStored: [], notCompleted: [], unanswered: [], rowMissing: [], rowNotFinal: [], rowWithoutUser: [],
    stalled: [], runMoreThanOnce: [] };
  for (const s of accepted) {
    const [finishedOn, returnvalue, stalled, started] = jobs.get(s.jobId);
    // Not judged: a worker that lost Redis mid-job leaves it to the stalled check.
    if (Number(stalled) > 0) out.stalled.push(s.jobId);
    if (Number(started) > 1) out.runMoreThanOnce.push(s.jobId);
    const row = rows.get(s.jobId);
    if (!finishedOn) {
      // Still waiting, or never stored at all.
      out[(await jobExists(sys, s.jobId)) ? 'notCompleted' : 'notStored'].push(s.jobId);
    } else if (!returnvalue) {
      out.notCompleted.push(s.jobId);
    }
    if (!answered.has(s.jobId)) out.unanswered.push(s.jobId);
    if (!row) out.rowMissing.push(s.jobId);
    else if (row.status !== 'completed' && row.status !== 'failed') out.rowNotFinal.push(`${s.jobId}:${row.status}`);
    else if (row.user !== s.userId) out.rowWithoutUser.push(s.jobId);
  }
  out.storedThoughRefused = [...rows.keys()].filter((id) => !accepted.some((s) => s.jobId === id)).length;
  return out;
}

async function jobExists(sys, id) {
  const redis = new Redis(sys.redis.url);
  try { return (await redis.exists(`bull:ai-processing:${id}`)) === 1; } finally { redis.disconnect(); }
}

async function settled(sys, senders, accepted) {
  const until = Date.now() + SETTLE_MS;
  for (;;) {
    const c = { ...(await check(sys, accepted)), noFinalEvent: senders.unwatched() };
    const open = c.notCompleted.length + c.unanswered.length + c.rowMissing.length + c.rowNotFinal.length +
      c.noFinalEvent.length;
    if (open === 0 || Date.now() > until) return c;
    await sleep(1000);
  }
}

// Runs `rounds` rounds of faults; returns the figures and the violations.
export async function runApiChaos({ rounds, droverBin, keep }) {
  const t0 = Date.now();
  const undo = [];
  const log = [];
  const note = (kind) => log.push({ atMs: Date.now() - t0, at: Date.now(), kind });
  try {
    const logDir = mkdtempSync(path.join(tmpdir(), 'drover-chaos-api-'));
    undo.push(() => { if (!keep) rmSync(logDir, { recursive: true, force: true }); });
    const redis = await RedisProcess.create();
    undo.push(() => redis.stop());
    const pg = await PostgresProcess.create();
    undo.push(() => pg.stop());
    const ai = await startFakeOpenAI();
    undo.push(() => ai.close());
    const [apiPort, workersPort] = await freePorts(2);
    const env = {
      AUTH_MODE: 'none', REDIS_URL: redis.url, DATABASE_URL: pg.url, WEBHOOK_SECRET: 'chaos-secret',
      AI_BASE_URL: ai.url, AI_MODEL: 'fake-model', PORT: String(apiPort), WORKERS_PORT: String(workersPort),
      RATE_LIMIT_SEND_USER: 'off', MAX_UNANSWERED_SENDS_PER_USER: '0', RATE_LIMIT_SEND_ADDRESS: 'off', RATE_LIMIT_UPLOAD_USER: 'off',
      RATE_LIMIT_UPLOAD_ADDRESS: 'off',
    };
    const api = new AppProcess({ bin: droverBin, command: 'api', env, readyUrl: `http://127.0.0.1:${apiPort}/readyz`, logDir });
    undo.push(() => api.kill('SIGTERM'));
    await api.start();
    const workers = new AppProcess({ bin: droverBin, command: 'workers', env,
      readyUrl: `http://127.0.0.1:${workersPort}/readyz`, logDir });
    undo.push(() => workers.kill('SIGTERM'));
    await workers.start();
    const sys = { redis, pg, api, workers };

    const senders = new Senders(`http://127.0.0.1:${apiPort}`);
    undo.push(() => senders.close());
    senders.start();
    await sleep(GAP_MS);
    for (let r = 0; r < rounds; r++) await round(sys, senders, note);
    await senders.stop();
    note('sending stopped');
    const accepted = senders.sends.filter((s) => s.status === 200);
    const settleStart = Date.now();
    const c = await settled(sys, senders, accepted);
    const settleMs = Date.now() - settleStart;
    note('settled');
    if (keep) console.log(`chaos --api: logs kept in ${logDir}`);
    // A run that left accepted sends open says what the apps logged (their files go with
    // the run's directory): a stalled worker was otherwise a mystery after the fact.
    if (c.notCompleted.length || c.rowNotFinal.length || c.noFinalEvent.length) {
      for (const name of ['workers', 'api']) {
        const file = path.join(logDir, `${name}.log`);
        if (!existsSync(file)) continue;
        const lines = readFileSync(file, 'utf8').split('\n');
        const errors = lines.filter((l) => / (error|critical) /.test(l)).slice(0, 20);
        console.log(`chaos --api: ${name}.log, its errors:\n${errors.join('\n')}\n` +
          `and its last 30 lines:\n${lines.slice(-31).join('\n')}`);
      }
    }

    const by = (f) => senders.sends.filter(f);
    const refused = by((s) => s.status === 503);
    const max = (list) => Math.round(Math.max(0, ...list.map((s) => s.ms)));
    const result = {
      rounds, settleMs, sends: senders.sends.length, accepted: accepted.length, refused503: refused.length,
      noAnswer: by((s) => s.status === 'no answer').length,
      max503Ms: max(refused), max200Ms: max(accepted),
      max503MsByFault: Object.fromEntries([...new Set(refused.map((s) => s.phase))].map((ph) => [ph, max(refused.filter((s) => s.phase === ph))])),
      // From each restart to the first send accepted after it, the longest over the rounds.
      recoveryMs: log.filter((e) => e.kind.endsWith('restarted')).reduce((m, e) => {
        const ms = Math.round(Math.min(...accepted.filter((s) => s.at >= e.at).map((s) => s.at + s.ms)) - e.at);
        return { ...m, [e.kind]: Math.max(m[e.kind] ?? 0, ms) };
      }, {}),
      slow503: refused.filter((s) => s.ms > REFUSAL_LIMIT_MS).length,
      otherStatus: by((s) => s.status !== 200 && s.status !== 503 && s.status !== 'no answer')
        .map((s) => `${s.status} during ${s.phase}`),
      ...Object.fromEntries(Object.entries(c).map(([k, v]) => [k, Array.isArray(v) ? v.length : v])),
      examples: Object.fromEntries(Object.entries(c).filter(([, v]) => Array.isArray(v) && v.length).map(([k, v]) => [k, v.slice(0, 5)])),
      sendLog: senders.sends.map((s) => ({ ...s, at: s.at - t0 })),
      redisStarts: redis.starts, postgresStarts: pg.starts, apiStarts: api.starts, wallMs: Date.now() - t0, faultLog: log,
    };
    return result;
  } finally {
    while (undo.length) {
      try { await undo.pop()(); } catch (err) { console.error(`chaos --api: cleanup: ${err.message}`); }
    }
  }
}

// What the run must never show.
export function apiViolations(r) {
  const v = [];
  for (const k of ['notStored', 'notCompleted', 'unanswered', 'rowMissing', 'rowNotFinal', 'rowWithoutUser', 'noFinalEvent',
    'slow503']) {
    if (r[k] > 0) v.push(`${r[k]} ${k}`);
  }
  if (r.otherStatus.length) v.push(`answers other than 200 or 503: ${r.otherStatus.slice(0, 5).join(', ')}`);
  if (r.accepted === 0 || r.refused503 === 0) v.push('the run accepted or refused nothing: it proves nothing');
  return v;
}
