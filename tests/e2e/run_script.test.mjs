// run_script.test.mjs - `make run`'s script, scripts/run.sh, as a terminal user meets it:
// one Ctrl-C (SIGINT to the whole process group) is one graceful shutdown, the apps first
// and Redis last, so that a job in flight ends completed, not stuck active; a taken port or
// an app that dies while starting is an error, not a "drover is running" banner. Each run
// has its own ports and its own DROVER_VAR_DIR, and every process it starts carries a
// marker in its environment, so that none can outlive the test unnoticed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitFor, postJSON } from './system.mjs';
import { startFakeOpenAI } from './fake_openai.mjs';
import { bullmq, onCleanup, repoRoot, startRedisServer, DROVER_BIN } from '../interop/support.mjs';

const RUN_SH = path.join(repoRoot, 'scripts', 'run.sh');
// DROVER_BIN is <build>/apps/cli/drover.
const BUILD_DIR = path.dirname(path.dirname(path.dirname(path.resolve(DROVER_BIN))));

// The processes whose environment holds `marker`: run.sh and everything it started.
function markedProcesses(marker) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (!env.split('\0').includes(`DROVER_RUN_TEST=${marker}`)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;  // exited, not yet reaped
      found.push({ pid: Number(entry), cmd: readFileSync(`/proc/${entry}/cmdline`, 'latin1').replaceAll('\0', ' ').trim() });
    } catch { /* gone, or not ours */ }
  }
  return found;
}

// Starts scripts/run.sh in a process group of its own, as a terminal's foreground job is.
async function startRunScript(env = {}) {
  const marker = randomUUID();
  const varDir = mkdtempSync(path.join(tmpdir(), 'drover-e2e-run-'));
  const ports = { REDIS_PORT: await freePort(), PORT: await freePort(), WORKERS_PORT: await freePort() };
  const base = { ...process.env };
  // The script's own choices, not the caller's.
  for (const k of ['REDIS_URL', 'REDIS_HOST', 'REDIS_PASSWORD', 'DATABASE_URL', 'BIND', 'WORKERS_BIND', 'PUBLIC_URL',
    'AUTH_MODE', 'WEBHOOK_SECRET', 'AI_BASE_URL', 'AI_API_KEY', 'AI_MODEL']) delete base[k];
  const proc = spawn('bash', [RUN_SH, BUILD_DIR], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...base,
      DROVER_VAR_DIR: varDir,
      DROVER_RUN_TEST: marker,
      REDIS_PORT: String(ports.REDIS_PORT),
      PORT: String(ports.PORT),
      WORKERS_PORT: String(ports.WORKERS_PORT),
      ...env,
    },
  });
  const run = { proc, marker, varDir, ports, output: '' };
  proc.stdout.on('data', (d) => (run.output += d));
  proc.stderr.on('data', (d) => (run.output += d));
  run.exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  run.tail = () => `--- run.sh output ---\n${run.output.slice(-4000)}`;
  // Within `ms`, or 'timeout'.
  run.exit = (ms) => Promise.race([run.exited, new Promise((r) => setTimeout(() => r('timeout'), ms).unref())]);
  onCleanup(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    for (const p of markedProcesses(marker)) {
      try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    rmSync(varDir, { recursive: true, force: true });
  });
  return run;
}

// No process of the run is left: the script's group, Redis and the apps (groups of their own).
async function assertNothingLeft(run) {
  await waitFor(() => markedProcesses(run.marker).length === 0, { timeout: 5000, what: 'every process of the run to end' })
    .catch(() => assert.fail(`still running: ${JSON.stringify(markedProcesses(run.marker))}\n${run.tail()}`));
  assert.throws(() => process.kill(-run.proc.pid, 0), { code: 'ESRCH' }, 'the process group is empty');
}

test('one SIGINT to the process group (a Ctrl-C) stops the apps gracefully, then Redis', { timeout: 60000 }, async () => {
  const ai = await startFakeOpenAI();
  onCleanup(() => ai.close());
  const run = await startRunScript({ AI_BASE_URL: ai.url, AI_MODEL: 'fake-model' });
  await waitFor(() => run.output.includes('drover is running'), { timeout: 30000, what: 'the banner' })
    .catch((e) => { throw new Error(`${e.message}\n${run.tail()}`); });
  const base = `http://127.0.0.1:${run.ports.PORT}`;
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`http://127.0.0.1:${run.ports.WORKERS_PORT}/healthz`)).status, 200);
  assert.match(run.output, new RegExp(`workers: +http://localhost:${run.ports.WORKERS_PORT}/`), run.tail());
  assert.match(run.output, new RegExp(`export REDIS_URL=redis://127\\.0\\.0\\.1:${run.ports.REDIS_PORT}; \\S*apps/cli/drover queue counts`), run.tail());

  // A job in flight when the signal comes: the model answers over 2.4 s.
  const sent = await postJSON(base, '/api/chat/send', { conversationId: 'run-sh', userId: 'u1', message: 'slowly [trickle]' });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  await waitFor(() => ai.requests.length >= 1, { timeout: 15000, what: 'the AI job to reach the model' });

  const started = Date.now();
  process.kill(-run.proc.pid, 'SIGINT');
  const exit = await run.exit(20000);
  assert.notEqual(exit, 'timeout', `run.sh did not exit after SIGINT\n${run.tail()}`);
  assert.deepEqual(exit, { code: 0, signal: null }, run.tail());
  assert.ok(Date.now() - started < 15000, `took ${Date.now() - started} ms\n${run.tail()}`);
  assert.match(run.output, /stopping\.\.\. .*a second Ctrl-C stops them at once/, run.tail());
  // Each app got exactly one signal.
  assert.equal(run.output.match(/signal \d+: shutting down/g)?.length, 2, run.tail());
  assert.doesNotMatch(run.output, /stopping now/, run.tail());
  await assertNothingLeft(run);

  // Redis outlived the workers: the job they were running finished, saved in the AOF.
  const redis = await startRedisServer(['--dir', path.join(run.varDir, 'redis'), '--appendonly', 'yes']);
  const queue = new bullmq.Queue('ai-processing', { connection: redis.connection });
  onCleanup(() => queue.close());
  assert.equal(await queue.getJobState(sent.body.jobId), 'completed', run.tail());
});

// A listener that never answers (a curl without --max-time would hang on it); its port.
async function squat() {
  const sockets = new Set();
  const server = net.createServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  onCleanup(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return port;
}

test('the banner hides a Redis password that holds an @, and one given in the query', { timeout: 30000 }, async () => {
  // Nothing listens on port 1: the line comes before anything connects.
  const run = await startRunScript({ REDIS_URL: 'redis://svc:p@ssW0rd@127.0.0.1:1/5?sentinel_password=SentPw123' });
  await waitFor(() => /^redis: /m.test(run.output), { timeout: 10000, what: 'the redis line' });
  const line = run.output.match(/^redis: .*$/m)[0];
  assert.equal(line, 'redis:   redis://svc:***@127.0.0.1:1/5?sentinel_password=***');
});

test('a taken API port stops run.sh before it starts anything, with a message and no banner', { timeout: 30000 }, async () => {
  const port = await squat();
  const run = await startRunScript({ PORT: String(port) });
  const exit = await run.exit(15000);
  assert.notEqual(exit, 'timeout', `run.sh did not exit\n${run.tail()}`);
  assert.notEqual(exit.code, 0, run.tail());
  assert.match(run.output, new RegExp(`run: port ${port} \\(PORT, for the API\\) is in use`), run.tail());
  assert.doesNotMatch(run.output, /drover is running/, run.tail());
  await assertNothingLeft(run);
});

test('an app that exits while starting stops the rest: non-zero, a message, no banner', { timeout: 30000 }, async () => {
  // The API's own metrics listener (METRICS_PORT, which run.sh does not check) cannot listen.
  const port = await squat();
  const run = await startRunScript({ METRICS_PORT: String(port) });
  const exit = await run.exit(15000);
  assert.notEqual(exit, 'timeout', `run.sh did not exit\n${run.tail()}`);
  assert.equal(exit.code, 1, run.tail());
  assert.match(run.output, /drover: error: .*listen/, run.tail());
  assert.match(run.output, /run: drover api exited while starting \(status 1\)/, run.tail());
  assert.doesNotMatch(run.output, /drover is running/, run.tail());
  await assertNothingLeft(run);
});
