// logs.test.mjs - the apps' logs: JSON lines that parse, job lines that name the queue,
// job and attempt, a lost database connection reported, and no secret anywhere, with
// secrets in every variable that holds one.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSystem, postJSON, waitFor, waitForJob } from './system.mjs';
import { onCleanup } from '../interop/support.mjs';

const SECRETS = {
  redisPassword: 'redis-pw-Zq81x',
  databasePassword: 'pg-pw-Kd02m',
  aiKey: 'sk-e2e-ai-key-7Hq3',
  webhookSecret: 'whsec-e2e-Pp45r-0123456789abcdef0123456789',
  alertUrlToken: 'alert-token-Mm92v',
};

let sys;
before(async () => {
  sys = await startSystem({
    database: 'postgres',
    secrets: { redisPassword: SECRETS.redisPassword, databasePassword: SECRETS.databasePassword },
    env: {
      AI_API_KEY: SECRETS.aiKey,
      WEBHOOK_SECRET: SECRETS.webhookSecret,
      ALERT_WEBHOOK_URL: `http://127.0.0.1:9/hooks/${SECRETS.alertUrlToken}`,
      ALERT_RULES: JSON.stringify([{ type: 'no_worker', queue: 'nobody-works-here' }]),
      ALERT_INTERVAL_MS: '500',
      LOG_LEVEL: 'debug',
    },
    apiArgs: ['--log-format', 'json'],
    // In capitals: the flags take either case, as LOG_FORMAT and LOG_LEVEL do.
    workersArgs: ['--log-format', 'JSON', '--log-level', 'DEBUG'],
  });
});

function jsonLines(output) {
  return output.split('\n').filter((l) => l.trim() !== '').map((line) => {
    try {
      return JSON.parse(line);
    } catch (e) {
      throw new Error(`not a JSON line: ${line}`);
    }
  });
}

test('JSON logs: every line parses, failed jobs name queue, job and attempt; no secret is ever written', { timeout: 120000 }, async () => {
  const ok = await postJSON(sys.base, '/api/chat/send', { conversationId: 'l-1', userId: 'u', message: 'hello' });
  const bad = await postJSON(sys.base, '/api/chat/send', { conversationId: 'l-2', userId: 'u', message: 'please [500]' });
  assert.equal((await waitForJob(sys.base, ok.body.jobId, 30000)).status, 'completed');
  assert.equal((await waitForJob(sys.base, bad.body.jobId, 90000)).status, 'failed');
  await waitFor(() => /alert firing/.test(sys.workers.output), { what: 'the no_worker alert to fire' });

  // The database goes away: the API says so once.
  await sys.db.stop();
  await waitFor(() => /database: connection lost/.test(sys.api.output), { timeout: 20000, what: 'the lost database line' });

  const workerLines = jsonLines(sys.workers.output);
  const apiLines = jsonLines(sys.api.output);
  for (const l of [...workerLines, ...apiLines]) {
    assert.equal(typeof l.time, 'string');
    assert.equal(typeof l.level, 'string');
    assert.equal(typeof l.msg, 'string');
  }
  const failures = workerLines.filter((l) => l.jobId === bad.body.jobId && /failed/.test(l.msg));
  assert.ok(failures.length >= 1, JSON.stringify(workerLines.slice(-20)));
  for (const l of failures) {
    assert.equal(l.queue, 'ai-processing');
    assert.ok(Number.isInteger(l.attempt) && l.attempt >= 1, JSON.stringify(l));
  }
  assert.ok(failures.some((l) => /failed for good: the AI provider failed \(HTTP 500\)/.test(l.msg)), JSON.stringify(failures));
  // The provider's own words are for operators, on a line naming the job, in its fields
  // too (an operator's search by jobId missed the line with the cause).
  assert.ok(workerLines.some((l) => l.jobId === bad.body.jobId && l.queue === 'ai-processing' && Number.isInteger(l.attempt) &&
    /: ai: /.test(l.msg) && /upstream exploded/.test(l.msg)), JSON.stringify(workerLines.slice(-20)));
  assert.equal(apiLines.filter((l) => /database: connection lost/.test(l.msg)).length, 1);

  for (const [name, secret] of Object.entries(SECRETS)) {
    assert.ok(!sys.api.output.includes(secret), `api output holds ${name}`);
    assert.ok(!sys.workers.output.includes(secret), `workers output holds ${name}`);
  }
});

test('Redis lost and regained: each app logs one line for each', { timeout: 90000 }, async () => {
  const s2 = await startSystem();
  await s2.redis.stop();
  for (const app of [s2.api, s2.workers]) {
    await waitFor(() => /redis: connection lost/.test(app.output), { timeout: 20000, what: `${app.name}: the lost line` });
  }
  // Redis again, on the same port.
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-e2e-redis-again-'));
  const again = spawn('redis-server', ['--port', String(s2.redis.port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  onCleanup(async () => {
    if (again.exitCode === null) {
      const gone = new Promise((r) => again.once('exit', r));
      again.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  for (const app of [s2.api, s2.workers]) {
    await waitFor(() => /redis: connection regained \(127\.0\.0\.1:\d+\) after [\d.]+ s/.test(app.output),
      { timeout: 20000, what: `${app.name}: the regained line` });
    assert.equal(app.output.match(/redis: connection lost/g).length, 1, app.tail());
    assert.equal(app.output.match(/redis: connection regained/g).length, 1, app.tail());
  }
});
