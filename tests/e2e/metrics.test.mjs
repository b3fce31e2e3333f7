// metrics.test.mjs - GET /metrics of both apps: strictly valid Prometheus text, and the
// values move once jobs have run; a sharded queue's series name their logical queue. (The
// parser's own rules are tested first.)
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startSystem, postJSON, getJSON, waitFor, waitForJob } from './system.mjs';
import { parsePrometheus, samples, value } from './prometheus_text.mjs';
import { runDrover } from '../interop/support.mjs';

test('the strict parser refuses what Prometheus would', () => {
  const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{q="x\\"y\\\\z\\n"} 1\n';
  assert.equal(value(parsePrometheus(ok), 'a_total', { q: 'x"y\\z\n' }), 1);
  for (const bad of [
    'a 1\n',                                                       // no TYPE
    '# TYPE a gauge\na{q="x\\t"} 1\n',                             // bad escape
    '# TYPE a gauge\na{q="x} 1\n',                                 // unterminated
    '# TYPE a gauge\na 1',                                         // no final newline
    '# TYPE a gauge\na one\n',                                     // not a number
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',  // not cumulative
    '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',                      // +Inf != count
  ]) {
    assert.throws(() => parsePrometheus(bad), undefined, JSON.stringify(bad));
  }
});

let sys;
before(async () => {
  sys = await startSystem();
});

async function scrape(base) {
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
}

test('both apps expose valid metrics that move when jobs run', { timeout: 90000 }, async () => {
  const workersBase = `http://127.0.0.1:${sys.workersPort}`;
  const apiBefore = await scrape(sys.base);
  const workersBefore = await scrape(workersBase);
  for (const name of ['drover_queue_jobs', 'drover_redis_roundtrip_seconds', 'drover_http_requests_total',
    'drover_socketio_connections', 'drover_queue_jobs_completed_total']) {
    assert.ok(apiBefore.has(name), `api: ${name} missing`);
  }
  for (const name of ['drover_job_processing_seconds', 'drover_job_wait_seconds', 'drover_worker_utilization',
    'drover_worker_jobs_completed_total', 'drover_queue_jobs']) {
    assert.ok(workersBefore.has(name), `workers: ${name} missing`);
  }
  // A plain queue is its own logical queue in the workers' series too.
  assert.equal(value(workersBefore, 'drover_worker_concurrency', { queue: 'ai-processing', logical_queue: 'ai-processing' }), 5);
  assert.equal(value(apiBefore, 'drover_redis_up'), 1);
  const completedBefore = value(workersBefore, 'drover_worker_jobs_completed_total', { queue: 'ai-processing' });

  const ids = [];
  for (let i = 0; i < 3; i++) {
    const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: `m-${i}`, userId: 'u', message: `hello ${i}` });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    ids.push(sent.body.jobId);
  }
  for (const id of ids) assert.equal((await waitForJob(sys.base, id)).status, 'completed');
  await getJSON(sys.base, '/no/such/route');

  // The counts are cached for two seconds, so the next scrapes may still show the old ones.
  let api, workers;
  await waitFor(async () => {
    api = await scrape(sys.base);
    workers = await scrape(workersBase);
    return value(api, 'drover_queue_jobs', { queue: 'ai-processing', state: 'completed' }) >= 3 &&
      value(api, 'drover_queue_jobs_completed_total', { queue: 'ai-processing' }) >= 3 &&
      value(workers, 'drover_worker_jobs_completed_total', { queue: 'ai-processing' }) >= completedBefore + 3;
  }, { timeout: 20000, what: 'the job counts to reach the metrics' });

  assert.ok(value(workers, 'drover_job_processing_seconds_count', { queue: 'ai-processing', outcome: 'completed' }) >= 3);
  assert.ok(value(workers, 'drover_job_wait_seconds_count', { queue: 'ai-processing' }) >= 3);
  const utilization = value(workers, 'drover_worker_utilization', { queue: 'ai-processing' });
  assert.ok(utilization >= 0 && utilization <= 1, String(utilization));
  assert.ok(value(api, 'drover_redis_roundtrip_seconds_count') >= 1);

  // Requests are counted by route pattern, never by raw path.
  const polled = samples(api, 'drover_http_requests_total', { method: 'GET', route: '/api/chat/job/:jobId', status: '200' });
  assert.equal(polled.length, 1);
  assert.ok(polled[0].value >= 3);
  assert.ok(value(api, 'drover_http_requests_total', { method: 'POST', route: '/api/chat/send', status: '200' }) >= 3);
  assert.ok(value(api, 'drover_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }) >= 1);
  for (const s of samples(api, 'drover_http_requests_total')) {
    assert.ok(!ids.some((id) => s.labels.route.includes(`/${id}`)), `raw path in ${JSON.stringify(s.labels)}`);
  }
  assert.ok(value(api, 'drover_http_request_duration_seconds_count',
    { method: 'POST', route: '/api/chat/send', status: '200' }) >= 3);
  assert.ok(value(workers, 'drover_http_requests_total', { method: 'GET', route: '/readyz', status: '200' }) >= 1);
});

// An observability review: a queue a producer named with raw bytes put them in a label,
// and Prometheus refused every scrape of both apps; replies the server wrote itself
// (413, 403, the caps) were in no count; the Workers app's pages answered POST with 200.
test('every scrape is UTF-8 whatever a queue is named, and what the server refuses itself is counted', { timeout: 60000 }, async () => {
  const raw = await sys.redis.raw();
  await raw.hset(Buffer.from('bull:caf\xe9:meta', 'latin1'), 'opts.maxLenEvents', '10000');
  await raw.hset('bull:caf\u00e9-ok:meta', 'opts.maxLenEvents', '10000');
  const workersBase = `http://127.0.0.1:${sys.workersPort}`;
  const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
  for (const base of [sys.base, workersBase]) {
    let text;
    await waitFor(async () => {
      const res = await fetch(`${base}/metrics`);
      text = strictUtf8.decode(await res.arrayBuffer());  // throws on a byte that is not UTF-8
      return text.includes('queue="caf\u00e9-ok"');
    }, { timeout: 20000, what: `${base}: the new queues in the metrics` });
    parsePrometheus(text);
  }

  // A body on a route that takes none: refused by the server before any route runs.
  const refused = await new Promise((resolve, reject) => {
    const req = http.request(`${sys.base}/api/chat/job/1`, { method: 'GET', headers: { 'content-length': '5' } },
      (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', reject);
    req.end('hello');
  });
  assert.equal(refused, 413);
  await waitFor(async () => value(await scrape(sys.base), 'drover_http_requests_total',
    { method: 'GET', route: 'refused', status: '413' }) >= 1, { what: 'the 413 counted under route "refused"' });

  const posted = await fetch(`${workersBase}/metrics`, { method: 'POST' });
  assert.equal(posted.status, 405);
  assert.equal(posted.headers.get('allow'), 'GET, HEAD');
  assert.match((await posted.json()).error, /takes GET and HEAD/);
});

test('each queue\'s series name its logical queue: a shard\'s its sharded queue, a plain queue\'s itself', { timeout: 60000 }, async () => {
  const where = ['--queue', 'metrics-sharded', '--shards', '3', '--redis', sys.redis.url];
  const perShard = new Map();  // shard queue -> jobs added to it
  for (let n = 0; n < 7; n++) {
    const r = await runDrover(['add', ...where, '--name', 'm', '--key', `k-${n}`, '--data', '{}']);
    assert.equal(r.code, 0, r.stderr);
    const shard = r.stdout.trim().split('\t')[1];
    perShard.set(shard, (perShard.get(shard) || 0) + 1);
  }
  const counted = await runDrover(['counts', ...where]);
  const shards = JSON.parse(counted.stdout).shards.map((s) => s.queue);
  assert.equal(shards.length, 3);
  const waitingOf = (m, labels) => samples(m, 'drover_queue_jobs', { ...labels, state: 'waiting' })
    .reduce((sum, s) => sum + s.value, 0);
  for (const base of [sys.base, `http://127.0.0.1:${sys.workersPort}`]) {
    let m;
    await waitFor(async () => {
      m = await scrape(base);
      return waitingOf(m, { logical_queue: 'metrics-sharded' }) === 7;
    }, { timeout: 10000, what: `${base}: the shards' jobs under logical_queue="metrics-sharded"` });
    for (const shard of shards) {
      assert.equal(value(m, 'drover_queue_jobs', { queue: shard, logical_queue: 'metrics-sharded', state: 'waiting' }),
        perShard.get(shard) || 0, shard);
    }
    assert.equal(samples(m, 'drover_queue_jobs', { queue: 'metrics-sharded' }).length, 0,
      'no summed series of its own, which `sum by (logical_queue)` would count twice');
    for (const s of samples(m, 'drover_queue_jobs')) {
      const { queue, logical_queue: logical } = s.labels;
      assert.ok(logical === queue || queue.startsWith(`{${logical}.`), JSON.stringify(s.labels));
    }
  }
  const api = await scrape(sys.base);
  for (const shard of shards) {
    assert.equal(samples(api, 'drover_queue_jobs_completed_total', { queue: shard, logical_queue: 'metrics-sharded' }).length, 1);
  }

  // A shard's dead-letter queue counts with its sharded queue's dead letters (an
  // observability review: each was a logical queue of its own).
  const dlq = `${shards[0]}-dlq`;
  const lettered = await runDrover(['add', '--queue', dlq, '--redis', sys.redis.url, '--name', 'dead', '--data', '{}']);
  assert.equal(lettered.code, 0, lettered.stderr);
  await waitFor(async () => value(await scrape(sys.base), 'drover_queue_jobs',
    { queue: dlq, logical_queue: 'metrics-sharded-dlq', state: 'waiting' }) === 1,
  { timeout: 10000, what: `${dlq} under logical_queue="metrics-sharded-dlq"` });
});

test('the example Grafana dashboard only queries series the apps expose', { timeout: 30000 }, async () => {
  const { readFileSync } = await import('node:fs');
  const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8'));
  const exposed = new Set([...(await scrape(sys.base)).keys(), ...(await scrape(`http://127.0.0.1:${sys.workersPort}`)).keys()]);
  const used = new Set();
  for (const panel of dashboard.panels) {
    for (const t of panel.targets) for (const m of t.expr.matchAll(/drover_[a-z_]+/g)) used.add(m[0].replace(/_bucket$/, ''));
  }
  assert.ok(used.size >= 10);
  for (const name of used) assert.ok(exposed.has(name), `the dashboard queries ${name}, which no app exposes`);
});
