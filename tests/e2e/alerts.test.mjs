// alerts.test.mjs - alert rules fire once and resolve once: each posted as Slack-compatible
// JSON through the webhook-delivery queue to a local receiver, and the open incident shown
// by GET /api/alerts meanwhile. Rules: waiting jobs, failure rate, stalled jobs, a growing
// dead-letter queue, no worker; and a stalled alert across a restart of the Workers app.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem, startWorkers, getJSON, waitFor, sleep } from './system.mjs';
import { startReceiver, alertEnv } from './alert_receiver.mjs';
import { bullmq, onCleanup, newWorker, startDroverWorker, waitForState } from '../interop/support.mjs';

let sys, receiver;
const TOKEN = 'alerts-test-token';
// GET /api/alerts with the dashboard's credentials (incidents are for operators only).
const getAlerts = async () => {
  const res = await fetch(`${sys.base}/api/alerts`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: await res.json().catch(() => null) };
};
const about = (rule) => receiver.about(rule);
before(async () => {
  receiver = await startReceiver();
  const rules = [
    { type: 'waiting', queue: 'alert-backlog', threshold: 2, name: 'Backlog' },
    { type: 'failure_rate', queue: 'alert-failing', threshold: 0.5, windowSeconds: 3, minJobs: 2, name: 'Failing' },
    { type: 'stalled', queue: 'alert-stalling', windowSeconds: 3, name: 'Stalls' },
    { type: 'dead_letter_growing', queue: 'alert-letters', windowSeconds: 2, name: 'Letters' },
    { type: 'no_worker', queue: 'alert-lonely', name: 'Lonely' },
    { type: 'stalled', queue: 'alert-restarted', windowSeconds: 60, name: 'Restarted' },
    { type: 'waiting', queue: 'alert-held', threshold: 1, forSeconds: 2, name: 'Held' },
    { type: 'failure_rate', queue: 'alert-rate', threshold: 0.5, windowSeconds: 8, minJobs: 2, name: 'Rate' },
  ];
  sys = await startSystem({ env: { ...alertEnv(receiver, rules), DASHBOARD_TOKEN: TOKEN } });
});

test('a waiting-jobs rule fires once, shows on /api/alerts, and resolves once', { timeout: 60000 }, async () => {
  const backlog = new bullmq.Queue('alert-backlog', { connection: sys.redis.connection });
  onCleanup(() => backlog.close());
  assert.equal((await getJSON(sys.base, '/api/alerts')).status, 401, 'no credentials, no incidents');
  const none = await getAlerts();
  assert.equal(none.status, 200);
  assert.ok(!none.body.incidents.some((i) => i.rule === 'Backlog'), JSON.stringify(none.body));

  for (let i = 0; i < 3; i++) await backlog.add('piled-up', { i });
  await waitFor(() => about('Backlog').length >= 1, { timeout: 20000, what: 'the firing message' });
  const firing = about('Backlog')[0];
  assert.equal(firing.path, '/services/T0/B0/slack-token');
  assert.match(firing.contentType, /application\/json/);
  assert.deepEqual(Object.keys(firing.body), ['text']);
  assert.match(firing.body.text, /^\[FIRING\] Backlog \(queue alert-backlog\): 3 jobs waiting/);
  // The hook's URL is a credential: the delivery job, which dashboard viewers can read,
  // does not hold it.
  const deliveries = new bullmq.Queue('webhook-delivery', { connection: sys.redis.connection });
  onCleanup(() => deliveries.close());
  const sent = (await deliveries.getJobs(['completed', 'active', 'waiting', 'delayed', 'failed'])).filter((j) => j.name === 'alert-firing');
  assert.ok(sent.length >= 1);
  for (const j of sent) assert.doesNotMatch(JSON.stringify(j.data), /slack-token/);

  let shown;
  await waitFor(async () => {
    shown = await getAlerts();
    return shown.body.incidents.some((i) => i.rule === 'Backlog');
  }, { what: 'the incident on /api/alerts' });
  const incident = shown.body.incidents.find((i) => i.rule === 'Backlog');
  assert.equal(incident.rule, 'Backlog');
  assert.equal(incident.type, 'waiting');
  assert.equal(incident.queue, 'alert-backlog');
  assert.ok(incident.since > 0 && typeof shown.body.evaluatedAt === 'number');
  assert.equal(shown.body.rules, 8, 'the evaluator holds the eight rules');

  // Still firing for many evaluations: still one message.
  await backlog.add('piled-up', { i: 3 });
  await sleep(1500);
  assert.equal(about('Backlog').length, 1, JSON.stringify(receiver.messages));

  await backlog.drain();
  await waitFor(() => about('Backlog').length >= 2, { timeout: 20000, what: 'the resolved message' });
  assert.match(about('Backlog')[1].body.text, /^\[RESOLVED\] Backlog \(queue alert-backlog\) after .*: 0 jobs waiting/);
  await waitFor(async () => !(await getAlerts()).body.incidents.some((i) => i.rule === 'Backlog'),
    { what: 'the incident to leave /api/alerts' });
  await sleep(1500);
  assert.equal(about('Backlog').length, 2, JSON.stringify(receiver.messages));
  assert.match(sys.workers.output, /alert firing: Backlog/);
  assert.match(sys.workers.output, /alert resolved: Backlog/);
  // The webhook URL is a credential: it is never logged.
  assert.ok(!sys.workers.output.includes('slack-token'));
});

test('a failure-rate rule fires when most jobs fail, and resolves once the window is quiet', { timeout: 60000 }, async () => {
  const failing = new bullmq.Queue('alert-failing', { connection: sys.redis.connection });
  onCleanup(() => failing.close());
  // A Node worker keeping BullMQ's metrics, as the rule's totals come from them.
  newWorker(sys.redis, 'alert-failing', async () => { throw new Error('always broken'); },
    { metrics: { maxDataPoints: 100 } });
  for (let i = 0; i < 3; i++) await failing.add('doomed', { i });
  await waitFor(() => about('Failing').length >= 1, { timeout: 20000, what: 'the failure-rate message' });
  assert.match(about('Failing')[0].body.text, /^\[FIRING\] Failing \(queue alert-failing\): [23] of [23] jobs failed in the last 3 s \(100%, threshold 50%\)/);
  await waitFor(() => about('Failing').length >= 2, { timeout: 20000, what: 'the failure-rate resolution' });
  assert.match(about('Failing')[1].body.text, /^\[RESOLVED\] Failing/);
  await sleep(1000);
  assert.equal(about('Failing').length, 2, JSON.stringify(about('Failing')));
});

test('a stalled job fires the stalled rule once; it resolves when the window passes', { timeout: 60000 }, async () => {
  const stalling = new bullmq.Queue('alert-stalling', { connection: sys.redis.connection });
  onCleanup(() => stalling.close());
  const victim = await startDroverWorker(sys.redis, 'alert-stalling', { processor: 'sleep', lockDuration: 1000, stalledInterval: 1000 });
  const job = await stalling.add('stuck', { ms: 60000 }, { attempts: 1 });
  await waitForState(stalling, job.id, 'active');
  await victim.kill();
  const rescuer = await startDroverWorker(sys.redis, 'alert-stalling', { processor: 'echo', stalledInterval: 1000, lockDuration: 1000 });
  await waitFor(() => about('Stalls').length >= 1, { timeout: 20000, what: 'the stalled message' });
  assert.match(about('Stalls')[0].body.text, new RegExp(`^\\[FIRING\\] Stalls \\(queue alert-stalling\\): 1 job\\(s\\) stalled in the last 3 s: ${job.id}`));
  // The worker that recovered it says so, naming the queue, the job and the attempt.
  assert.match(rescuer.stderr, new RegExp(`queue alert-stalling: job ${job.id} \\(attempt 1\\) stalled .*recovered`));
  await waitFor(() => about('Stalls').length >= 2, { timeout: 20000, what: 'the stalled resolution' });
  assert.match(about('Stalls')[1].body.text, /^\[RESOLVED\] Stalls/);
});

test('a dead-letter queue that grows fires once; it resolves once it stays put for a window', { timeout: 60000 }, async () => {
  const letters = new bullmq.Queue('alert-letters', { connection: sys.redis.connection });
  onCleanup(() => letters.close());
  const worker = await startDroverWorker(sys.redis, 'alert-letters', { processor: 'fail', deadLetterQueue: 'alert-letters-dlq' });
  await letters.add('hopeless', {}, { attempts: 1 });
  await waitFor(() => about('Letters').length >= 1, { timeout: 20000, what: 'the dead-letter message' });
  assert.match(about('Letters')[0].body.text,
    /^\[FIRING\] Letters \(queue alert-letters\): dead-letter queue alert-letters-dlq gained 1 job\(s\) in the last 2 s/);
  await waitFor(() => about('Letters').length >= 2, { timeout: 20000, what: 'the dead-letter resolution' });
  assert.match(about('Letters')[1].body.text, /^\[RESOLVED\] Letters/);
  await sleep(1000);
  assert.equal(about('Letters').length, 2, JSON.stringify(about('Letters')));
});

test('a queue without a worker fires the no-worker rule once; a worker connecting resolves it', { timeout: 60000 }, async () => {
  await waitFor(() => about('Lonely').length >= 1, { timeout: 20000, what: 'the no-worker message' });
  assert.match(about('Lonely')[0].body.text, /^\[FIRING\] Lonely \(queue alert-lonely\): no worker connected to queue alert-lonely/);
  const worker = await startDroverWorker(sys.redis, 'alert-lonely', { processor: 'noop' });
  await waitFor(() => about('Lonely').length >= 2, { timeout: 20000, what: 'the no-worker resolution' });
  assert.match(about('Lonely')[1].body.text, /^\[RESOLVED\] Lonely/);
  await sleep(1000);
  assert.equal(about('Lonely').length, 2, JSON.stringify(about('Lonely')));
});

// A rule that needs a while to judge (forSeconds, a failure rate's window) had not judged
// yet when a new process adopted its incident: it posted a false [RESOLVED], then fired
// again as a new incident (an operator's drill). It now waits until it has watched enough.
test('incidents of rules with forSeconds or a window stay open across a restart of the Workers app, and resolve after', { timeout: 60000 }, async () => {
  const held = new bullmq.Queue('alert-held', { connection: sys.redis.connection });
  onCleanup(() => held.close());
  for (let i = 0; i < 3; i++) await held.add('piled-up', { i });
  const rate = new bullmq.Queue('alert-rate', { connection: sys.redis.connection });
  onCleanup(() => rate.close());
  const failing = newWorker(sys.redis, 'alert-rate', async () => { throw new Error('down'); },
    { metrics: { maxDataPoints: 60 } });
  for (let i = 0; i < 4; i++) await rate.add('fails', { i });
  await waitFor(() => about('Held').length >= 1 && about('Rate').length >= 1, { timeout: 20000, what: 'both firing' });
  await failing.close();

  await sys.workers.stop();
  const restarted = Date.now();
  sys.workers = await startWorkers(sys);
  await waitFor(async () => (await getAlerts()).body?.evaluatedAt > restarted + 500,
    { timeout: 20000, what: 'an evaluation by the new process' });
  await sleep(2500);  // past Held's forSeconds; within Rate's window
  assert.equal(about('Held').length, 1, JSON.stringify(about('Held')));
  assert.equal(about('Rate').length, 1, JSON.stringify(about('Rate')));

  // Judged: the backlog cleared and a quiet window resolve them, once each.
  await held.obliterate({ force: true });
  await waitFor(() => about('Held').length >= 2 && about('Rate').length >= 2, { timeout: 20000, what: 'both resolved' });
  assert.match(about('Held')[1].body.text, /^\[RESOLVED\] Held /);
  assert.match(about('Rate')[1].body.text, /^\[RESOLVED\] Rate /);
});

test('a firing stalled rule stays firing across a restart of the Workers app: the stalls of its window are read back', { timeout: 60000 }, async () => {
  // A stall as a worker records it, in the queue's events stream.
  const raw = await sys.redis.raw();
  await raw.xadd('bull:alert-restarted:events', '*', 'event', 'stalled', 'jobId', '42');
  await waitFor(() => about('Restarted').length >= 1, { timeout: 20000, what: 'the stalled message' });
  assert.match(about('Restarted')[0].body.text, /^\[FIRING\] Restarted .*1 job\(s\) stalled in the last 60 s: 42/);
  // A deploy: the Workers app stops, another takes over and adopts the incident.
  await sys.workers.stop();
  const restarted = Date.now();
  sys.workers = await startWorkers(sys);
  // The new process leads once the old one's lock lapses; then it evaluates every 200 ms.
  await waitFor(async () => (await getAlerts()).body?.evaluatedAt > restarted + 500,
    { timeout: 20000, what: 'an evaluation by the new process' });
  await sleep(3000);  // fifteen evaluations, and room for a resolution's delivery
  assert.equal(about('Restarted').length, 1, JSON.stringify(about('Restarted')));
  const open = await getAlerts();
  assert.ok(JSON.stringify(open.body).includes('Restarted'), JSON.stringify(open.body));
  // With its value (an observability review: an adopted incident read 0 beside its message).
  assert.equal(open.body.incidents.find((i) => i.rule === 'Restarted')?.value, 1, JSON.stringify(open.body));
});

test('an incident outlives a stop longer than its state\'s minute: adopted, not posted again; once its rule is removed it is resolved', { timeout: 60000 }, async () => {
  // After the test above, Restarted is firing. The Workers app stops for longer than the
  // state key lives (a minute): dropping the key stands for that wait.
  const raw = await sys.redis.raw();
  await sys.workers.stop();
  await raw.del('bull:drover:alerts');
  const restarted = Date.now();
  sys.workers = await startWorkers(sys);
  await waitFor(async () => (await getAlerts()).body?.evaluatedAt > restarted + 500,
    { timeout: 20000, what: 'an evaluation by the new process' });
  await sleep(2000);
  assert.equal(about('Restarted').length, 1, `posted once: ${JSON.stringify(about('Restarted'))}`);

  // A deploy without the rule: its open incident is resolved, not forgotten.
  await sys.workers.stop();
  const rules = JSON.parse(sys.env.ALERT_RULES).filter((r) => r.name !== 'Restarted');
  const withoutRule = { ...sys, env: { ...sys.env, ALERT_RULES: JSON.stringify(rules) } };
  sys.workers = await startWorkers(withoutRule);
  await waitFor(() => about('Restarted').length >= 2, { timeout: 20000, what: 'the removed rule\'s resolution' });
  assert.match(about('Restarted')[1].body.text, /^\[RESOLVED\] Restarted \(queue alert-restarted\) .*removed from ALERT_RULES/);
});

test("an alert receiver the SSRF guard refuses is said at start, not by the first incident's failed delivery", { timeout: 60000 }, async () => {
  assert.doesNotMatch(sys.workers.output, /SSRF guard refuses ALERT_WEBHOOK_URL/, 'an allowlisted receiver is fine');
  const refused = await startSystem({ env: {
    ALERT_RULES: JSON.stringify([{ type: 'waiting', queue: 'alert-refused', threshold: 1, name: 'Refused' }]),
    ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/services/T0/B0/slack-token',
    WEBHOOK_ALLOWED_HOSTS: '',
  } });
  await waitFor(() => /alerts: the SSRF guard refuses ALERT_WEBHOOK_URL's host \(loopback address\)/.test(refused.workers.output),
    { what: 'the warning at start' });
  assert.doesNotMatch(refused.workers.output, /slack-token/, 'the URL, a credential, is not logged');
});
