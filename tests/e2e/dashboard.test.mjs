// dashboard.test.mjs - the dashboard in headless Chromium (Debian's, driven by playwright-core)
// on the whole system, and the access rules of its admin API; sharded queues as a logical
// row and their shards.
//
// DASHBOARD_SCREENSHOTS=1 writes the screenshots to docs/images/dashboard-*.png (committed);
// otherwise they go to build/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startSystem, freePort } from './system.mjs';
import { parsePrometheus, value } from './prometheus_text.mjs';
import { onCleanup, repoRoot, newQueue, startDroverWorker, spawnDrover, runDrover, waitFor } from '../interop/support.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const TOKEN = 'e2e-dashboard-token-0123456789abcdef';
const USERS = 'watcher:look-only:viewer,ops:ops-pass:admin';
const basic = (user, pass) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

const shotsDir = process.env.DASHBOARD_SCREENSHOTS ? path.join(repoRoot, 'docs', 'images') : path.join(repoRoot, 'build', 'screenshots');
async function shot(page, name) {
  mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: path.join(shotsDir, `dashboard-${name}.png`), fullPage: true });
}

async function openBrowser() {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  onCleanup(() => browser.close());
  return browser;
}

async function call(base, method, p, { auth, headers = {}, body } = {}) {
  const h = { ...headers };
  if (auth) h.Authorization = auth;
  const res = await fetch(`${base}${p}`, { method, headers: h, body });
  let json = null;
  try { json = await res.json(); } catch { /* not JSON */ }
  return { status: res.status, body: json };
}
const act = (base, p, auth, extra = {}) => call(base, 'POST', p, {
  auth, headers: { 'Content-Type': 'application/json', 'X-Drover-Action': '1', ...extra }, body: '{}',
});

// A queue of our own, worked by drover's `flaky` processor: a job with {failures: 1} and one
// attempt fails, and succeeds when retried.
async function feedReports(sys) {
  const reports = newQueue(sys.redis, 'reports');
  await startDroverWorker(sys.redis, 'reports', { processor: 'flaky', concurrency: 4, name: 'reports-cpp' });
  for (let i = 0; i < 5; i++) await reports.add(`monthly-${i}`, { failures: 0, customer: `c-${i}` });
  const failed = [];
  for (let i = 0; i < 2; i++) failed.push((await reports.add('flaky-export', { failures: 1, customer: `f-${i}` }, { attempts: 1 })).id);
  await reports.add('next-month', { failures: 0 }, { delay: 3600000 });
  await waitFor(async () => {
    const c = await reports.getJobCounts('completed', 'failed');
    return c.completed === 5 && c.failed === 2;
  }, { timeout: 20000, what: '5 completed and 2 failed report jobs' });
  return { reports, failed };
}

// A sharded queue of 3 shards, as `drover add --shards 3 --key` fills it: 6 waiting jobs.
// Returns its shards' names and how many jobs each holds.
async function feedShardedMail(sys) {
  const where = ['--queue', 'mail', '--shards', '3', '--redis', sys.redis.url];
  const perShard = new Map();
  for (let n = 0; n < 6; n++) {
    const r = await runDrover(['add', ...where, '--name', 'welcome', '--key', `user-${n}`, '--data', JSON.stringify({ n })]);
    assert.equal(r.code, 0, r.stderr);
    const [id, shard] = r.stdout.trim().split('\t');
    if (!perShard.has(shard)) perShard.set(shard, []);
    perShard.get(shard).push(id);
  }
  const counts = await runDrover(['counts', ...where]);
  return { shards: JSON.parse(counts.stdout).shards.map((s) => s.queue), perShard };
}

test('the admin API refuses the unauthenticated, read-only acting and cross-site requests', { timeout: 90000 }, async () => {
  const sys = await startSystem({ env: { DASHBOARD_TOKEN: TOKEN, DASHBOARD_USERS: USERS } });
  const { reports } = await feedReports(sys);
  const base = sys.base;

  assert.equal((await call(base, 'GET', '/api/admin/queues')).status, 401);
  assert.equal((await call(base, 'GET', '/api/admin/queues', { auth: 'Bearer wrong' })).status, 401);
  assert.equal((await call(base, 'GET', '/api/admin/queues', { auth: basic('ops', 'nope') })).status, 401);
  assert.equal((await act(base, '/api/admin/queues/reports/pause')).status, 401, 'no action without credentials');
  // No ALERT_RULES, so no evaluator: /api/alerts still has every field docs/alerts.md names.
  const alerts = await call(base, 'GET', '/api/alerts', { auth: `Bearer ${TOKEN}` });
  assert.equal(alerts.status, 200);
  assert.deepEqual(alerts.body, { incidents: [], evaluatedAt: null, rules: 0 });
  assert.equal((await call(base, 'GET', '/api/admin/events')).status, 401);

  const listed = await call(base, 'GET', '/api/admin/queues', { auth: basic('watcher', 'look-only') });
  assert.equal(listed.status, 200);
  const r = listed.body.queues.find((q) => q.name === 'reports');
  assert.equal(r.counts.completed, 5);
  assert.equal(r.counts.failed, 2);
  assert.equal(r.counts.delayed, 1);
  assert.ok(r.workers >= 1, 'the drover worker is counted');

  const viewerActs = await act(base, '/api/admin/queues/reports/pause', basic('watcher', 'look-only'));
  assert.equal(viewerActs.status, 403);
  assert.match(viewerActs.body.error, /viewer/);
  assert.equal(await reports.isPaused(), false);

  // What another site can make a browser send: a form post (no custom header, no JSON) and
  // requests marked as cross-site by the browser.
  const form = await call(base, 'POST', '/api/admin/queues/reports/pause', {
    auth: `Bearer ${TOKEN}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1',
  });
  assert.equal(form.status, 403);
  assert.equal((await act(base, '/api/admin/queues/reports/pause', `Bearer ${TOKEN}`, { Origin: 'http://evil.example' })).status, 403);
  assert.equal((await act(base, '/api/admin/queues/reports/pause', `Bearer ${TOKEN}`, { 'Sec-Fetch-Site': 'cross-site' })).status, 403);
  assert.equal((await call(base, 'GET', '/api/admin/queues/reports/pause', { auth: `Bearer ${TOKEN}` })).status, 405);
  assert.equal(await reports.isPaused(), false, 'nothing refused took effect');

  // The admin user and the token act.
  assert.equal((await act(base, '/api/admin/queues/reports/pause', basic('ops', 'ops-pass'))).status, 200);
  assert.equal(await reports.isPaused(), true);
  assert.equal((await act(base, '/api/admin/queues/reports/resume', `Bearer ${TOKEN}`)).status, 200);
  assert.equal(await reports.isPaused(), false);
  // Each action is logged with who took it (a security review: with several admins nobody
  // could tell who drained a queue).
  await waitFor(() => /dashboard: POST \/api\/admin\/queues\/reports\/pause by ops: 200/.test(sys.api.output),
    { what: "the pause's audit line" });
  assert.match(sys.api.output, /dashboard: POST \/api\/admin\/queues\/reports\/resume by token: 200/);
  // A value of the wrong type is a 400, not the default ({"state": true} cleaned the
  // completed jobs): nothing is removed.
  for (const [action, body, said] of [['clean', { state: true }, /'state' must be a string/],
    ['clean', { state: ['failed'] }, /'state' must be a string/], ['drain', { delayed: 'yes' }, /'delayed' must be a boolean/]]) {
    const refused = await call(base, 'POST', `/api/admin/queues/reports/${action}`, {
      auth: `Bearer ${TOKEN}`, headers: { 'Content-Type': 'application/json', 'X-Drover-Action': '1' }, body: JSON.stringify(body),
    });
    assert.equal(refused.status, 400, `${action} ${JSON.stringify(body)}: ${JSON.stringify(refused.body)}`);
    assert.match(refused.body.error, said);
  }
  assert.equal((await reports.getJobCounts('completed')).completed, 5, 'nothing cleaned');
  // A misspelt queue is a 404, not a new paused queue in the overview.
  const typo = await act(base, '/api/admin/queues/reprots/pause', `Bearer ${TOKEN}`);
  assert.equal(typo.status, 404);
  assert.match(typo.body.error, /No queue 'reprots'/);
  assert.equal(await (await sys.redis.raw()).exists('bull:reprots:meta'), 0, 'no queue made by the refused action');

  // Bad input gets clear 4xx answers.
  const auth = `Bearer ${TOKEN}`;
  assert.equal((await call(base, 'GET', '/api/admin/queues/reports/jobs?state=nope', { auth })).status, 400);
  assert.equal((await call(base, 'GET', '/api/admin/queues/reports/jobs?pageSize=0', { auth })).status, 400);
  assert.equal((await call(base, 'GET', '/api/admin/queues/bad:name/jobs', { auth })).status, 400);
  assert.equal((await call(base, 'GET', '/api/admin/queues/reports/jobs/no-such-job', { auth })).status, 404);
  assert.equal((await act(base, '/api/admin/queues/reports/jobs/no-such-job/retry', auth)).status, 404);
  assert.equal((await act(base, '/api/admin/queues/reports/explode', auth)).status, 404);

  // Search by name, paging newest first, a job's detail.
  const search = await call(base, 'GET', '/api/admin/queues/reports/jobs?state=completed&search=MONTHLY-3', { auth });
  assert.deepEqual(search.body.jobs.map((j) => j.name), ['monthly-3']);
  // Bytes that are not UTF-8 are refused, not echoed into the JSON; a refusal quoting what
  // the client sent is UTF-8 whatever it sent.
  const junk = await call(base, 'GET', '/api/admin/queues/reports/jobs?state=completed&search=%ff%fe', { auth });
  assert.equal(junk.status, 400);
  assert.match(junk.body.error, /'search' must be UTF-8/);
  const origin = await fetch(`${base}/api/admin/queues/reports/pause`, {
    method: 'POST', body: '{}',
    headers: { Authorization: auth, 'Content-Type': 'application/json', 'X-Drover-Action': '1', 'Sec-Fetch-Site': 'cross-\xffsite' },
  });
  assert.equal(origin.status, 403);
  const bytes = Buffer.from(await origin.arrayBuffer());
  assert.ok(!bytes.includes(0xff), `raw bytes echoed: ${bytes.toString('latin1')}`);
  assert.match(JSON.parse(bytes.toString('utf8')).error, /cross-\ufffdsite/);
  const page1 = await call(base, 'GET', '/api/admin/queues/reports/jobs?state=completed&pageSize=2&page=1', { auth });
  const page3 = await call(base, 'GET', '/api/admin/queues/reports/jobs?state=completed&pageSize=2&page=3', { auth });
  assert.equal(page1.body.total, 5);
  assert.equal(page1.body.jobs.length, 2);
  assert.equal(page3.body.jobs.length, 1);
  assert.ok(page1.body.jobs[0].finishedOn >= page3.body.jobs[0].finishedOn, 'newest first');
  const detail = await call(base, 'GET', `/api/admin/queues/reports/jobs/${page1.body.jobs[0].id}`, { auth });
  assert.equal(detail.body.state, 'completed');
  assert.ok(detail.body.processingTime >= 0 && detail.body.waitTime >= 0);
  assert.deepEqual(detail.body.returnvalue, { attempts: 1 });
  // The newest thousand log lines of a long log (the oldest thousand showed no end).
  const raw = await sys.redis.raw();
  const logKey = `bull:reports:${page1.body.jobs[0].id}:logs`;
  await raw.rpush(logKey, ...Array.from({ length: 1500 }, (_, i) => `line ${i}`));
  const logged = await call(base, 'GET', `/api/admin/queues/reports/jobs/${page1.body.jobs[0].id}`, { auth });
  assert.equal(logged.body.logCount, 1500);
  assert.equal(logged.body.logs.length, 1000);
  assert.equal(logged.body.logs.at(-1), 'line 1499');
  assert.equal(logged.body.logs[0], 'line 500');
  // A finished job is not cancelled, and the answer says so (as the chat API's cancel).
  const lateCancel = await act(base, `/api/admin/queues/reports/jobs/${page1.body.jobs[0].id}/cancel`, auth);
  assert.equal(lateCancel.status, 409, JSON.stringify(lateCancel.body));
  assert.match(lateCancel.body.error, /already finished/);
  // BullMQ's getJobs names the waiting list 'wait' as well as 'waiting'.
  const waitList = await call(base, 'GET', '/api/admin/queues/reports/jobs?state=wait', { auth });
  assert.equal(waitList.status, 200, JSON.stringify(waitList.body));
  assert.equal(waitList.body.state, 'waiting');

  // A sharded queue: one logical row with its shards' sums, followed by its shards' rows;
  // each shard is a queue of its own, which the API lists, pauses and resumes.
  const { shards, perShard } = await feedShardedMail(sys);
  let all = (await call(base, 'GET', '/api/admin/queues', { auth })).body.queues;
  const at = all.findIndex((q) => q.name === 'mail');
  const logical = all[at];
  assert.deepEqual(logical.shards, shards);
  assert.equal(logical.counts.waiting, 6);
  assert.equal(logical.paused, false);
  assert.deepEqual(all.slice(at + 1, at + 4).map((q) => [q.name, q.shardOf, q.counts.waiting]),
    shards.map((n) => [n, 'mail', perShard.get(n)?.length || 0]));
  assert.equal(all.filter((q) => q.shardOf === 'mail').length, 3);
  assert.ok(!('shards' in r) && !('shardOf' in r), 'a plain queue\'s row is unchanged');
  const [busy] = [...perShard.keys()];
  const shardPath = `/api/admin/queues/${encodeURIComponent(busy)}`;
  const shardJobs = await call(base, 'GET', `${shardPath}/jobs?state=waiting`, { auth });
  assert.deepEqual(shardJobs.body.jobs.map((j) => j.id).sort(), [...perShard.get(busy)].sort());
  assert.equal((await act(base, `${shardPath}/pause`, auth)).status, 200);
  all = (await call(base, 'GET', '/api/admin/queues', { auth })).body.queues;
  assert.equal(all.find((q) => q.name === busy).paused, true);
  assert.equal(all.find((q) => q.name === 'mail' && q.shards).paused, false, 'paused when every shard is');
  assert.equal((await act(base, `${shardPath}/resume`, auth)).status, 200);
  // An action on the sharded queue's name acts on every shard.
  const pausedAll = await act(base, '/api/admin/queues/mail/pause', auth);
  assert.equal(pausedAll.status, 200);
  assert.deepEqual(pausedAll.body.shards, shards);
  all = (await call(base, 'GET', '/api/admin/queues', { auth })).body.queues;
  assert.deepEqual(all.filter((q) => q.shardOf === 'mail').map((q) => q.paused), [true, true, true]);
  assert.equal(all.find((q) => q.name === 'mail' && q.shards).paused, true);
  assert.ok(!all.some((q) => q.name === 'mail' && !q.shards), 'no plain queue "mail" made by the action');
  assert.equal((await act(base, '/api/admin/queues/mail/resume', auth)).status, 200);
  all = (await call(base, 'GET', '/api/admin/queues', { auth })).body.queues;
  assert.deepEqual(all.filter((q) => q.shardOf === 'mail').map((q) => q.paused), [false, false, false]);

  // A queue action waits for Redis longer than a read does (1 s): BullMQ's drain is one
  // script, seconds long on a large queue. Here Redis holds every write for 2.5 s instead.
  const bulk = newQueue(sys.redis, 'bulk');
  for (let i = 0; i < 3; i++) await bulk.add('b', { i });
  const held = await sys.redis.raw();
  await held.call('CLIENT', 'PAUSE', '2500', 'WRITE');
  const drained = await act(base, '/api/admin/queues/bulk/drain', auth);
  assert.equal(drained.status, 200, JSON.stringify(drained.body));
  assert.equal(await bulk.count(), 0);

  // The event stream sends counts.
  const res = await fetch(`${base}/api/admin/events?queue=reports`, { headers: { Authorization: auth } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/event-stream/);
  const reader = res.body.getReader();
  let text = '';
  while (!text.includes('event: counts')) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  // Its path answers other methods as every other path does: HEAD with the stream's
  // headers (no stream), POST 405 naming GET (they were 404).
  const head = await fetch(`${base}/api/admin/events`, { method: 'HEAD', headers: { Authorization: auth } });
  assert.equal(head.status, 200);
  assert.match(head.headers.get('content-type'), /text\/event-stream/);
  assert.equal((await fetch(`${base}/api/admin/events`, { method: 'HEAD' })).status, 401);
  const posted = await fetch(`${base}/api/admin/events`, { method: 'POST', headers: { Authorization: auth } });
  assert.equal(posted.status, 405);
  assert.equal(posted.headers.get('allow'), 'GET, HEAD');
  // The streams are counted with the routes once they end, the refused one too (they
  // bypass the route table, and were in no series).
  const streams = (m, status) =>
    value(m, 'drover_http_requests_total', { method: 'GET', route: '/api/admin/events', status });
  let scraped;
  await waitFor(async () => {
    scraped = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
    return streams(scraped, '200') >= 1 && streams(scraped, '401') >= 1;
  }, { what: 'the event streams in drover_http_requests_total' });
});

test('without credentials the dashboard is refused and says how to configure it; drover dashboard runs alone', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const page = await fetch(`${sys.base}/dashboard`);
  assert.equal(page.status, 401);
  const advice = await page.text();
  assert.match(advice, /DASHBOARD_TOKEN/);
  // Nothing its own Content-Security-Policy blocks, and no example password too short to start with.
  assert.doesNotMatch(advice, /<style|style=/);
  assert.match(advice, /DASHBOARD_USERS="alice:\$\(openssl rand -hex 12\):admin/);
  assert.equal((await call(sys.base, 'GET', '/api/admin/queues', { auth: 'Bearer anything' })).status, 401);

  // `drover dashboard` alone: refused without credentials, serving with them.
  const port = await freePort();
  spawnDrover(['dashboard', '--port', String(port), '--redis', sys.redis.url]);
  const bare = `http://127.0.0.1:${port}`;
  await waitFor(async () => { try { return (await fetch(`${bare}/healthz`)).ok; } catch { return false; } },
    { timeout: 10000, what: 'drover dashboard to listen' });
  assert.equal((await fetch(`${bare}/dashboard`)).status, 401);

  // Outside the development mode it refuses credentials that are easy to guess, as the API does.
  process.env.DASHBOARD_TOKEN = 'short-token';
  try {
    const weak = await runDrover(['dashboard', '--port', String(await freePort()), '--redis', sys.redis.url]);
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /DASHBOARD_TOKEN is too short: at least 32 characters/);
    assert.doesNotMatch(weak.stderr, /short-token/);
  } finally {
    delete process.env.DASHBOARD_TOKEN;
  }

  await newQueue(sys.redis, 'alone-check').add('x', {});
  const port2 = await freePort();
  process.env.DASHBOARD_TOKEN = TOKEN;  // the spawned process takes it from its environment
  try {
    spawnDrover(['dashboard', '--port', String(port2), '--redis', sys.redis.url]);
  } finally {
    delete process.env.DASHBOARD_TOKEN;
  }
  const served = `http://127.0.0.1:${port2}`;
  await waitFor(async () => { try { return (await fetch(`${served}/healthz`)).ok; } catch { return false; } },
    { timeout: 10000, what: 'drover dashboard with a token to listen' });
  assert.equal((await fetch(`${served}/dashboard`)).status, 200);
  const listed = await call(served, 'GET', '/api/admin/queues', { auth: `Bearer ${TOKEN}` });
  assert.equal(listed.status, 200);
  assert.equal(listed.body.queues.find((q) => q.name === 'alone-check')?.counts.waiting, 1);
  assert.equal((await act(served, '/api/admin/queues/alone-check/pause', `Bearer ${TOKEN}`)).status, 200);

  // A user whose ACL refuses CLIENT LIST: a queue's workers view still answers, its
  // connections unknown (the whole view was 503: an ACL review).
  const raw = await sys.redis.raw();
  const user = 'dashboard-no-client-list';
  await raw.call('ACL', 'SETUSER', user, 'on', '>pw-1234', '~*', '&*', '+@all', '-client|list');
  onCleanup(() => raw.call('ACL', 'DELUSER', user));
  const port3 = await freePort();
  process.env.DASHBOARD_TOKEN = TOKEN;
  try {
    spawnDrover(['dashboard', '--port', String(port3), '--redis', `redis://${user}:pw-1234@127.0.0.1:${sys.redis.port}`]);
  } finally {
    delete process.env.DASHBOARD_TOKEN;
  }
  const restricted = `http://127.0.0.1:${port3}`;
  await waitFor(async () => { try { return (await fetch(`${restricted}/healthz`)).ok; } catch { return false; } },
    { timeout: 10000, what: 'drover dashboard as a restricted user to listen' });
  const workers = await call(restricted, 'GET', '/api/admin/queues/alone-check/workers', { auth: `Bearer ${TOKEN}` });
  assert.equal(workers.status, 200, JSON.stringify(workers.body));
  assert.equal(workers.body.connections, null);
  assert.deepEqual(workers.body.drover, []);
});

test('the dashboard page: overview, queue, job, retry, pause, live counts, viewer', { timeout: 150000 }, async () => {
  const sys = await startSystem({ env: { DASHBOARD_TOKEN: TOKEN, DASHBOARD_USERS: USERS } });
  const { reports, failed } = await feedReports(sys);
  const browser = await openBrowser();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));

  // 1. Overview, signed in by the token in the address (which the page then removes).
  await page.goto(`${sys.base}/dashboard#token=${TOKEN}`);
  await page.waitForSelector('#queues tr[data-queue="reports"]');
  await page.waitForSelector('#live.on', { timeout: 10000 });
  assert.ok(!page.url().includes(TOKEN), 'the token leaves the address bar');
  const failedCell = page.locator('#queues tr[data-queue="reports"] td[data-count="failed"]');
  assert.equal(await failedCell.textContent(), '2');

  // Live: a new job shows up in the counts without a reload.
  await reports.add('monthly-live', { failures: 0 });
  await page.waitForFunction(() => document.querySelector('#queues tr[data-queue="reports"] td[data-count="completed"]')?.textContent === '6',
    null, { timeout: 10000 });
  // A queue nobody works fills up: the overview shows it (and its missing worker) as it grows.
  const emails = newQueue(sys.redis, 'emails');
  for (let round = 1; round <= 4; round++) {
    await emails.addBulk(Array.from({ length: 3 * round }, (_, i) => ({ name: 'welcome', data: { to: `user${round}-${i}@example.com` } })));
    await new Promise((r) => setTimeout(r, 1100));
  }
  await page.waitForFunction(() => document.querySelector('#queues tr[data-queue="emails"] td[data-count="waiting"]')?.textContent === '30',
    null, { timeout: 10000 });
  await shot(page, 'overview');

  // 1b. A sharded queue: one logical row with the sums; a click shows its shards' rows,
  // and a shard opens as a queue of its own.
  const { shards, perShard } = await feedShardedMail(sys);
  await page.waitForFunction(() => document.querySelector('#queues tr[data-logical="mail"] td[data-count="waiting"]')?.textContent === '6',
    null, { timeout: 10000 });
  assert.match(await page.textContent('#queues tr[data-logical="mail"]'), /3 shards/);
  assert.equal(await page.locator('#queues tr[data-shard-of="mail"]:visible').count(), 0, 'shards folded at first');
  await page.click('#queues tr[data-logical="mail"]');
  await page.waitForFunction(() => [...document.querySelectorAll('#queues tr[data-shard-of="mail"]')].filter((t) => !t.hidden).length === 3,
    null, { timeout: 10000 });
  for (const name of shards) {
    const cell = page.locator(`#queues tr[data-queue="${name}"] td[data-count="waiting"]`);
    assert.equal(Number(await cell.textContent()), perShard.get(name)?.length || 0, name);
  }
  await shot(page, 'overview-sharded');
  await page.click(`#queues tr[data-queue="${shards[0]}"] a`);
  await page.waitForSelector('#shard-of');
  assert.equal(await page.textContent('#shard-of'), 'a shard of mail');
  await page.waitForFunction((n) => document.querySelector('#state-tabs a[data-state="waiting"] .n')?.textContent === String(n),
    perShard.get(shards[0])?.length || 0, { timeout: 10000 });
  // The logical queue's own address points to its shards, and pauses them all.
  await page.goto(`${sys.base}/dashboard#/queue/mail`);
  await page.waitForSelector('#sharded-note');
  assert.deepEqual(await page.locator('#sharded-note a').allTextContents(), shards);
  assert.equal(await page.locator('#jobs').isVisible(), false, 'no job list of its own');
  await page.click('#queue-actions button[data-action="pause"]');
  await page.waitForSelector('#confirm[open]');
  assert.match(await page.textContent('#confirm-text'), /every one of its 3 shards/);
  await page.click('#confirm-ok');
  await page.waitForSelector('#paused-badge', { timeout: 10000 });
  for (const name of shards) assert.equal(await newQueue(sys.redis, name).isPaused(), true, name);
  await page.click('#queue-actions button[data-action="resume"]');
  await waitFor(async () => !(await newQueue(sys.redis, shards[2]).isPaused()), { what: 'the shards to resume' });
  await page.goto(`${sys.base}/dashboard#/queue/${encodeURIComponent(shards[0])}`);
  await page.click('#shard-of');
  await page.waitForSelector('#queues tr[data-queue="reports"]');

  // 2. The queue, failed tab, then a failed job.
  await page.click('#queues tr[data-queue="reports"] a');
  await page.waitForSelector('#state-tabs a.active[data-state="failed"]');
  await page.waitForSelector(`#jobs tr[data-job="${failed[0]}"]`);
  assert.equal(await page.locator('#jobs tbody tr').count(), 2);
  await page.waitForSelector('#percentiles', { timeout: 10000 });
  await shot(page, 'queue');

  await page.click(`#jobs tr[data-job="${failed[0]}"] a`);
  await page.waitForSelector('#job-state');
  assert.equal(await page.textContent('#job-state'), 'failed');
  assert.match(await page.textContent('#job-failed-reason'), /flaky failure 1 of 1/);
  assert.match(await page.textContent('#job-data'), /"customer": "f-0"/);
  await shot(page, 'job');

  // 3. Retry it: the drover worker runs it again, and the open page shows it completed.
  await page.click('#job-actions button[data-action="retry"]');
  await page.waitForFunction(() => document.querySelector('#job-state')?.textContent === 'completed' &&
    /"attempts": 2/.test(document.querySelector('#job-return')?.textContent), null, { timeout: 15000 });
  assert.equal(await reports.getJobState(failed[0]), 'completed');

  // 3b. A flow (added by `drover flow add`): the parent's page shows what it waits for and
  // links to its children, whose pages link back to it.
  const added = await runDrover(['flow', 'add', '--queue', 'flows-e2e', '--redis', sys.redis.url, '--tree',
    JSON.stringify({ name: 'parent', children: [{ name: 'child-a' }, { name: 'child-b' }] })]);
  assert.equal(added.code, 0, added.stderr);
  const flowTree = JSON.parse(added.stdout);
  await page.goto(`${sys.base}/dashboard#/queue/flows-e2e/job/${flowTree.job.id}`);
  await page.waitForSelector('#job-flow');
  assert.match(await page.textContent('#job-children'), /2 pending, 0 processed/);
  assert.equal(await page.locator('#job-flow li a').count(), 2);
  await page.click('#job-flow li a');
  await page.waitForFunction(() => /parent: flows-e2e\//.test(document.querySelector('#job-flow')?.textContent || ''), null,
    { timeout: 10000 });

  // 3c. Remove the other failed job, with a confirmation (a DELETE, sent without a body):
  // Redis no longer has it, and the page goes back to its queue.
  await page.goto(`${sys.base}/dashboard#/queue/reports/job/${failed[1]}`);
  await page.waitForSelector('#job-actions button[data-action="remove"]');
  await page.click('#job-actions button[data-action="remove"]');
  await page.waitForSelector('#confirm[open]');
  await page.click('#confirm-ok');
  await waitFor(async () => (await reports.getJob(failed[1])) === undefined, { what: `job ${failed[1]} to be removed` });
  await page.waitForSelector('#state-tabs');

  // 4. Pause the queue, with a confirmation; the header shows it, and Redis has it.
  await page.goto(`${sys.base}/dashboard#/queue/reports?state=completed`);
  await page.waitForSelector('#queue-actions button[data-action="pause"]');
  await page.click('#queue-actions button[data-action="pause"]');
  await page.waitForSelector('#confirm[open]');
  await page.click('#confirm-ok');
  await page.waitForSelector('#paused-badge', { timeout: 10000 });
  assert.equal(await reports.isPaused(), true);
  await page.waitForSelector('#queue-actions button[data-action="resume"]');
  await page.click('#queue-actions button[data-action="resume"]');
  await waitFor(async () => (await reports.isPaused()) === false, { what: 'resume' });
  // Cancelling the confirmation changes nothing.
  await page.waitForSelector('#queue-actions button[data-action="pause"]');
  await page.click('#queue-actions button[data-action="pause"]');
  await page.click('#confirm-cancel');
  assert.equal(await reports.isPaused(), false);

  // 5. Search.
  await page.fill('#search', 'monthly-2');
  await page.click('#search-go');
  await page.waitForFunction(() => document.querySelectorAll('#jobs tbody tr[data-job]').length === 1, null, { timeout: 10000 });
  // The search reads only the newest jobs of the state, and the page says so.
  assert.match(await page.textContent('#page-info'), /searched the newest 1000/);

  // 6. A read-only user signs in with the form: sees everything, every action disabled.
  const viewer = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await viewer.goto(`${sys.base}/dashboard#/queue/reports`);
  await viewer.waitForSelector('#login');
  await viewer.fill('#login-user', 'watcher');
  await viewer.fill('#login-password', 'look-only');
  await viewer.click('#login-submit');
  await viewer.waitForSelector('#queue-actions button[data-action="pause"]');
  assert.equal(await viewer.isDisabled('#queue-actions button[data-action="pause"]'), true);
  assert.match(await viewer.textContent('#who'), /watcher \(viewer\)/);

  // 7. A page of another origin (localhost vs 127.0.0.1) cannot make the browser act.
  const other = await browser.newPage();
  await other.goto(`http://localhost:${sys.apiPort}/healthz`);
  const outcome = await other.evaluate(async ({ url, token }) => {
    const results = [];
    try {
      const r = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'X-Drover-Action': '1' } });
      results.push(r.status);
    } catch (e) { results.push('blocked'); }
    await fetch(url, { method: 'POST', mode: 'no-cors', body: 'x' }).catch(() => {});
    return results;
  }, { url: `http://127.0.0.1:${sys.apiPort}/api/admin/queues/reports/pause`, token: TOKEN });
  assert.deepEqual(outcome, ['blocked']);
  assert.equal(await reports.isPaused(), false);

  assert.deepEqual(problems, [], 'no script errors on the page');
});
