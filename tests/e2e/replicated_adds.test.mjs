// replicated_adds.test.mjs - the API with REDIS_MIN_REPLICAS=1 on a master and a replica
// this test starts: with the replica in sync a chat send is answered 200 and its answer
// arrives (the Workers app's webhook delivery waits for the replica too); with the replica
// frozen (SIGSTOP) a send and a document upload get 503 with a JSON error after about
// the replication timeout; thawed, sends work again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRedis, onCleanup } from '../interop/support.mjs';
import { startSystem, postJSON, getJSON, waitForJob, waitFor, freePort } from './system.mjs';

const cli = (port, ...args) =>
  execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

// A replica of `master`, in sync and counted by WAIT when this resolves; killed at the end.
async function startReplica(master) {
  // Redis 7 waits 5 s before a diskless sync by default, in case more replicas come.
  cli(master.port, 'CONFIG', 'SET', 'repl-diskless-sync-delay', '0');
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-e2e-replica-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir,
    '--replicaof', '127.0.0.1', String(master.port)], { stdio: 'ignore' });
  onCleanup(() => {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  // The master counts a replica in WAIT once it has put it online, after its first ACK
  // (up to a second after the replica's own link says up).
  await waitFor(() => {
    try { return /slave0:.*state=online/.test(cli(master.port, 'INFO', 'replication')); } catch { return false; }
  }, { timeout: 20000, what: 'the replica to sync' });
  return { port, freeze: () => proc.kill('SIGSTOP'), thaw: () => proc.kill('SIGCONT') };
}

test('with REDIS_MIN_REPLICAS=1 a send waits for the replica and gets 503 when it does not confirm',
  { timeout: 90000 }, async () => {
    const master = await startRedis();
    const replica = await startReplica(master);
    const sys = await startSystem({
      redis: master, env: { REDIS_MIN_REPLICAS: '1', REDIS_REPLICATION_TIMEOUT_MS: '900' },
    });
    // 900 ms: near the most the API allows (below its 1 s command timeout), so that a loaded
    // machine's slow replica still confirms in time while it is not frozen.
    const send = (message) => postJSON(sys.base, '/api/chat/send', { conversationId: 'replicated', userId: 'u1', message });

    const first = await send('in sync');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    // Confirmed: the replica has the job already.
    assert.equal(cli(replica.port, 'EXISTS', `bull:ai-processing:${first.body.jobId}`), '1');
    const done = await waitForJob(sys.base, first.body.jobId);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    await waitFor(async () => (await getJSON(sys.base, '/api/conversations/replicated/messages')).body.messages.length === 2,
      { what: 'the answer delivered by the webhook' });

    replica.freeze();
    const started = Date.now();
    const refused = await send('frozen replica');
    const took = Date.now() - started;
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.match(refused.body.error, /^Queue not replicated: .*may still run/);
    assert.ok(took >= 890 && took < 5000, `503 after ${took} ms`);

    const res = await fetch(`${sys.base}/api/documents?filename=notes.txt`, {
      method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'replicated adds, or not',
    });
    const upload = await res.json();
    assert.equal(res.status, 503, JSON.stringify(upload));
    assert.match(upload.error, /^Queue not replicated: /);
    // A refused upload keeps nothing: its 503 names no document to delete, and one kept
    // counted against its user's quota.
    assert.equal(sys.db.query("SELECT count(*) FROM documents WHERE filename = 'notes.txt'"), '0');

    replica.thaw();
    await waitFor(async () => (await send('thawed')).status === 200, { timeout: 20000, what: 'a send confirmed again' });
  });
