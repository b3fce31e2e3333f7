// bull-board.test.mjs - BullMQ's own dashboard reads queues that drover feeds and works.
//
// @bull-board/api 9.10.2 with its BullMQAdapter (over bullmq 6.7.0 Queues) is driven through
// its own API layer: createBullBoard() hands its routes to a server adapter, and the small
// in-memory one below (our own, implementing bull-board's IServerAdapter) calls them the way
// its Express adapter would, without HTTP. The jobs are added by `drover add` (and a few by
// Node) and processed by drover's C++ worker; the test checks the counts, jobs, logs,
// metrics and workers bull-board reports, and that a bull-board action (retry all failed)
// is carried out by the drover worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  startRedis, queueName, newQueue, spawnDrover, droverAdd, droverCounts, waitFor, onCleanup,
} from './support.mjs';

const require = createRequire(import.meta.url);
const { createBullBoard } = require('@bull-board/api');
const { BullMQAdapter } = require('@bull-board/api/bullMQAdapter');

// Receives bull-board's routes and answers calls to them: route patterns as Express matches
// them (":name" segments, first match in registration order), the request object its
// handlers take, and its error handler for what they throw.
class InMemoryServerAdapter {
  constructor() {
    this.routes = [];
    this.uiConfig = {};
  }
  setQueues(queues) { this.queues = queues; return this; }
  setViewsPath() { return this; }
  setStaticPath() { return this; }
  setEntryRoute() { return this; }
  setErrorHandler(handler) { this.errorHandler = handler; return this; }
  setUIConfig(config) { this.uiConfig = config; return this; }
  setApiRoutes(routes) {
    for (const r of routes) {
      for (const pattern of [r.route].flat()) {
        for (const method of [r.method].flat()) {
          const names = [];
          const re = new RegExp(`^${pattern.replace(/:([A-Za-z]+)/g, (_, n) => { names.push(n); return '([^/]+)'; })}$`);
          this.routes.push({ method: method.toLowerCase(), re, names, handler: r.handler });
        }
      }
    }
    return this;
  }

  async call(method, url, body = {}) {
    const u = new URL(url, 'http://board.invalid');
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = u.pathname.match(r.re);
      if (!m) continue;
      const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      const req = {
        queues: this.queues, uiConfig: this.uiConfig, query: Object.fromEntries(u.searchParams), params, body, headers: {},
      };
      let res;
      try {
        res = await r.handler(req);
      } catch (err) {
        res = this.errorHandler(err);
      }
      return { status: res.status ?? 200, body: res.body };
    }
    throw new Error(`bull-board has no route ${method.toUpperCase()} ${u.pathname}`);
  }
}

// `drover worker` with BullMQ's per-minute metrics on (as the Workers app keeps them).
async function droverWorker(redis, queue, processor, name) {
  const w = spawnDrover(['worker', '--queue', queue, '--redis', redis.url, '--processor', processor, '--name', name,
    '--metrics', '60', '--drain-delay', '500', '--shutdown-grace', '2000']);
  await waitFor(() => w.stderr.includes('started') || !w.running, { timeout: 10000, what: `drover worker on ${queue}` });
  if (!w.running) throw new Error(`drover worker exited:\n${w.describe()}`);
  return w;
}

test('bull-board reports the counts, jobs, logs, metrics and workers of drover-worked queues', { timeout: 90000 }, async () => {
  const redis = await startRedis();
  const work = queueName();
  const failing = queueName();

  // Fed mostly by drover, a little by Node, all processed by drover's C++ worker.
  const done = [];
  for (let i = 0; i < 4; i++) done.push(await droverAdd(redis, work, `report-${i}`, { steps: 3, n: i }));
  const nodeWork = newQueue(redis, work);
  for (let i = 0; i < 2; i++) done.push((await nodeWork.add(`node-report-${i}`, { steps: 3, n: 10 + i })).id);
  const delayedId = await droverAdd(redis, work, 'later', { steps: 1 }, { delay: 3600000 });
  const failedIds = [];
  for (let i = 0; i < 3; i++) failedIds.push(await droverAdd(redis, failing, 'boom', { message: `boom ${i}` }, { attempts: 1 }));
  failedIds.push(await droverAdd(redis, failing, 'boom-twice', { message: 'boom again' },
    { attempts: 2, backoff: { type: 'fixed', delay: 50 } }));

  await droverWorker(redis, work, 'progress', 'cpp-reports');
  await droverWorker(redis, failing, 'fail', 'cpp-boom');
  await waitFor(async () => (await droverCounts(redis, work)).completed === 6, { timeout: 20000, what: '6 completed jobs' });
  await waitFor(async () => (await droverCounts(redis, failing)).failed === 4, { timeout: 20000, what: '4 failed jobs' });

  const uiDir = mkdtempSync(path.join(tmpdir(), 'drover-bull-board-'));
  onCleanup(() => rmSync(uiDir, { recursive: true, force: true }));
  const board = new InMemoryServerAdapter();
  createBullBoard({
    queues: [new BullMQAdapter(newQueue(redis, work)), new BullMQAdapter(newQueue(redis, failing))],
    serverAdapter: board,
    options: { uiBasePath: uiDir },
  });

  // The queue list with the jobs of the active queue, as the board polls it.
  const listed = await board.call('get', `/api/queues?activeQueue=${work}&status=completed&page=1&jobsPerPage=50`);
  assert.equal(listed.status, 200);
  const byName = Object.fromEntries(listed.body.queues.map((q) => [q.name, q]));
  const w = byName[work];
  assert.ok(w, `bull-board lists ${work}`);
  const drover = await droverCounts(redis, work);
  for (const state of ['waiting', 'active', 'completed', 'failed', 'delayed', 'paused', 'prioritized']) {
    assert.equal(w.counts[state] ?? 0, drover[state] ?? 0, `${state} count of ${work}: bull-board vs drover`);
  }
  assert.equal(w.counts.completed, 6);
  assert.equal(w.counts.delayed, 1);
  assert.equal(w.isPaused, false);
  assert.equal(w.hasWorkers, true, 'the drover worker is seen through the client-name convention');
  assert.equal(w.pagination.pageCount, 1);
  assert.deepEqual(w.jobs.map((j) => j.id).sort(), [...done].sort());
  for (const j of w.jobs) {
    assert.match(j.name, /report-\d$/);
    assert.equal(j.data.steps, 3);
    assert.deepEqual(j.returnValue, { steps: 3 });
    assert.equal(j.progress, 100);
    assert.equal(j.attempts, 1);
    assert.equal(j.isFailed, false);
    assert.ok(j.timestamp > 0 && j.processedOn >= j.timestamp && j.finishedOn >= j.processedOn, `timestamps of ${j.id}`);
  }
  // Newest first, as the board shows them.
  const finished = w.jobs.map((j) => j.finishedOn);
  assert.deepEqual(finished, [...finished].sort((a, b) => b - a));

  const delayed = await board.call('get', `/api/queues?activeQueue=${work}&status=delayed&page=1&jobsPerPage=10`);
  const dj = delayed.body.queues.find((q) => q.name === work).jobs;
  assert.deepEqual(dj.map((j) => [j.id, j.name, j.delay]), [[delayedId, 'later', 3600000]]);

  // Failed jobs: reason, stack trace and attempts, written by the C++ worker.
  const failedList = await board.call('get', `/api/queues?activeQueue=${failing}&status=failed&page=1&jobsPerPage=10`);
  const f = failedList.body.queues.find((q) => q.name === failing);
  assert.equal(f.counts.failed, 4);
  assert.equal(f.jobs.length, 4);
  for (const j of f.jobs) {
    assert.equal(j.isFailed, true);
    assert.match(j.failedReason, /^boom/);
    assert.ok(j.stacktrace.length >= 1 && j.stacktrace.every((s) => typeof s === 'string' && s.length > 0));
    assert.equal(j.attempts, j.name === 'boom-twice' ? 2 : 1, `attempts of ${j.id}`);
  }

  // One job, its logs, the metrics and the workers.
  const one = await board.call('get', `/api/queues/${failing}/${failedIds[0]}`);
  assert.equal(one.status, 200);
  assert.equal(one.body.status, 'failed');
  assert.equal(one.body.job.failedReason, 'boom 0');
  assert.deepEqual(one.body.job.data, { message: 'boom 0' });
  const logs = await board.call('get', `/api/queues/${work}/${done[0]}/logs`);
  assert.deepEqual(logs.body, ['step 1 of 3', 'step 2 of 3', 'step 3 of 3']);
  const metrics = await board.call('get', `/api/queues/${work}/metrics`);
  assert.equal(metrics.body.completed.meta.count, 6, 'completed metrics kept by the C++ worker');
  // (data, the per-minute points, fills in as minutes pass: BullMQ writes a minute when the next one starts.)
  assert.ok(Array.isArray(metrics.body.completed.data));
  const failedMetrics = await board.call('get', `/api/queues/${failing}/metrics`);
  assert.equal(failedMetrics.body.failed.meta.count, 4);
  const workers = await board.call('get', `/api/queues/${work}/workers`);
  assert.ok(workers.body.workers.length >= 1);
  assert.ok(workers.body.workers.some((x) => String(x.name).includes('cpp-reports') || x.rawname?.includes(work)),
    `workers: ${JSON.stringify(workers.body.workers)}`);

  // An action through bull-board, carried out by the drover worker: retry all failed.
  const retried = await board.call('put', `/api/queues/${failing}/retry/failed`);
  assert.equal(retried.status, 200);
  await waitFor(async () => {
    const r = await board.call('get', `/api/queues/${failing}/${failedIds[0]}`);
    return r.body.status === 'failed' && r.body.job.attempts >= 2;
  }, { timeout: 20000, what: 'the retried job to fail again in the drover worker' });
  const after = await board.call('get', `/api/queues?activeQueue=${failing}&status=failed&page=1&jobsPerPage=10`);
  assert.equal(after.body.queues.find((q) => q.name === failing).counts.failed, 4);
});
