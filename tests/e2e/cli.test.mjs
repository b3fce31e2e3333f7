// cli.test.mjs - the `drover` command as people and scripts use it, run as a process
// against a private redis-server: human tables and --json of queue counts|jobs|job|list,
// `add --file` (good and bad lines), `top --once`/`--json` and live on a pseudo-terminal,
// the completion scripts, --help everywhere, a one-line error with a non-zero exit
// when Redis is away, exit 2 for a bad command line and exit 3 for a missing job from every
// command that takes one, and `events` lines carrying the stream id that --from resumes after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  startRedis, startRedisServer, queueName, newQueue, newWorker, runDrover, onCleanup, waitFor, DROVER_BIN,
} from '../interop/support.mjs';

const redis = await startRedis();
const dir = mkdtempSync(path.join(tmpdir(), 'drover-cli-test-'));
onCleanup(() => rmSync(dir, { recursive: true, force: true }));

/** Runs drover and requires exit 0; returns stdout. */
async function ok(args) {
  const r = await runDrover(args);
  assert.equal(r.code, 0, `drover ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
const on = (queue) => ['--queue', queue, '--redis', redis.url];
const jobsFile = (name, lines) => {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
};

/** A port nothing listens on. */
async function deadPort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

test('queue counts, jobs and job: tables for people, --json for scripts', async () => {
  const name = queueName();
  const q = newQueue(redis, name);
  // State by state, each newest first: jobs added within one millisecond tie, so the
  // three are added a few ms apart.
  const apart = () => new Promise((resolve) => setTimeout(resolve, 3));
  await q.add('resize', { n: 1 }, { jobId: 'img-1' });
  await apart();
  await q.add('resize', { n: 2 }, { jobId: 'img-2' });
  await apart();
  await q.add('email', { to: 'a@example.com' }, { jobId: 'mail-1', delay: 60000 });

  const table = await ok(['queue', 'counts', ...on(name)]);
  assert.match(table, new RegExp(`^queue ${name}\\n`));
  assert.match(table, /^STATE\s+JOBS$/m);
  assert.match(table, /^waiting\s+2$/m);
  assert.match(table, /^delayed\s+1$/m);
  const counts = JSON.parse(await ok(['queue', 'counts', ...on(name), '--json']));
  assert.equal(counts.waiting, 2);
  assert.equal(counts.delayed, 1);
  // The top-level `counts` stays JSON (scripts have used it so), with or without --json,
  // and counts "paused" too (`queue counts --json` has Node's default getJobCounts() types).
  assert.deepEqual(JSON.parse(await ok(['counts', ...on(name)])), { ...counts, paused: 0 });
  assert.deepEqual(JSON.parse(await ok(['counts', ...on(name), '--json'])), { ...counts, paused: 0 });

  const jobs = await ok(['queue', 'jobs', ...on(name)]);
  const lines = jobs.trim().split('\n');
  assert.match(lines[0], /^ID\s+NAME\s+STATE\s+ATTEMPTS\s+CREATED \(UTC\)\s+TIME\s+DETAIL$/);
  assert.deepEqual(lines.slice(1, 4).map((l) => l.split(/\s+/)[0]), ['img-2', 'img-1', 'mail-1'],
    'state by state, newest first');
  assert.match(lines[3], /mail-1\s+email\s+delayed/);
  assert.match(lines.at(-1), /^jobs 1-3 of 3, state by state, newest first$/);

  const page1 = await ok(['queue', 'jobs', ...on(name), '--per-page', '2']);
  assert.match(page1, /jobs 1-2 of 3, state by state, newest first \(--page 2 for more\)/);
  const page2 = await ok(['queue', 'jobs', ...on(name), '--per-page', '2', '--page', '2']);
  assert.match(page2, /^mail-1\s/m);
  assert.match(page2, /jobs 3-3 of 3/);

  const found = JSON.parse(await ok(['queue', 'jobs', ...on(name), '--search', 'resize', '--json']));
  assert.deepEqual(found.map((j) => [j.id, j.state]), [['img-2', 'waiting'], ['img-1', 'waiting']]);
  const byId = JSON.parse(await ok(['queue', 'jobs', ...on(name), '--search', 'mail', '--json']));
  assert.deepEqual(byId.map((j) => j.id), ['mail-1']);
  const none = await ok(['queue', 'jobs', ...on(name), '--search', 'nothing-like-this']);
  assert.match(none, /no jobs matching 'nothing-like-this'/);
  // Without paging flags --json is BullMQ's getJobs as before: every job, no state field.
  const raw = JSON.parse(await ok(['queue', 'jobs', ...on(name), '--state', 'waiting', '--json']));
  // BullMQ's spelling of the same state, as getJobs(['wait']) takes it.
  assert.deepEqual(JSON.parse(await ok(['queue', 'jobs', ...on(name), '--state', 'wait', '--json'])), raw);
  assert.deepEqual(raw.map((j) => j.id).sort(), ['img-1', 'img-2']);

  const detail = await ok(['queue', 'job', ...on(name), '--id', 'img-1']);
  assert.match(detail, /^id\s+img-1$/m);
  assert.match(detail, /^state\s+waiting$/m);
  assert.match(detail, /^data: {4}\{"n":1\}$/m);
  const one = JSON.parse(await ok(['queue', 'job', ...on(name), '--id', 'img-1', '--json']));
  assert.equal(one.id, 'img-1');
  assert.equal(one.state, 'waiting');
  assert.deepEqual(one.data, { n: 1 });
  assert.deepEqual(JSON.parse(await ok(['job', ...on(name), '--id', 'img-1'])), one);

  const missing = await runDrover(['queue', 'job', ...on(name), '--id', 'nope']);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /job nope not found/);
});

test('a missing job: exit 3 and one line, from every command that takes a job id', async () => {
  const name = queueName();
  await newQueue(redis, name).add('x', {}, { jobId: 'there' });
  const said = /^drover: job nope not found in queue .+\n$/;
  for (const args of [
    ['queue', 'job'], ['job'], ['queue', 'retry'], ['queue', 'promote'],
    ['queue', 'progress', '--value', '50'], ['queue', 'log', '--message', 'hello'],
  ]) {
    const r = await runDrover([...args, ...on(name), '--id', 'nope']);
    assert.equal(r.code, 3, `drover ${args.join(' ')} --id nope exited ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, said, `drover ${args.join(' ')} --id nope`);
    assert.equal(r.stdout, '');
  }
  // remove answers on stdout too ("false", for scripts), and both say it on stderr.
  const removed = await runDrover(['queue', 'remove', ...on(name), '--id', 'nope']);
  assert.deepEqual([removed.code, removed.stdout], [3, 'false\n']);
  assert.match(removed.stderr, said);
  const cancelled = await runDrover(['queue', 'cancel', ...on(name), '--id', 'nope']);
  assert.deepEqual([cancelled.code, cancelled.stdout], [3, '']);
  assert.match(cancelled.stderr, said);
  const shown = await runDrover(['flow', 'show', ...on(name), '--id', 'nope']);
  assert.deepEqual([shown.code, shown.stdout], [3, '']);
  assert.match(shown.stderr, said);
  // --json too: nothing on stdout (it printed "null" there as well).
  const shownJson = await runDrover(['flow', 'show', ...on(name), '--id', 'nope', '--json']);
  assert.deepEqual([shownJson.code, shownJson.stdout], [3, '']);
  assert.match(shownJson.stderr, said);
  // A job that exists but is not failed (or not delayed) is another error: exit 1.
  for (const action of ['retry', 'promote']) {
    const r = await runDrover(['queue', action, ...on(name), '--id', 'there']);
    assert.equal(r.code, 1, r.stderr);
    // BullMQ's words, without the script's name ("... state. reprocessJob").
    assert.match(r.stderr, /^drover: error: Job there is not in the (failed|delayed) state\.\n$/);
  }
});

test('a bad command line: one line "drover: error: ..." and exit 2', async () => {
  const cases = [
    [['bogus'], /^drover: error: unknown command 'bogus' \(see drover --help\)\n$/],
    [['queue', 'bogus'], /^drover: error: unknown command 'queue bogus' \(see drover queue --help\)\n$/],
    [[], /^drover: error: drover needs a command/],
    [['worker', '--queue', 'q', '--concurrency', '0'], /^drover: error: --concurrency: must be a positive integer, got 0 /],
    [['queue', 'jobs', '--queue', 'q', '--state', 'bogus'], /^drover: error: --state: must be one of active, waiting, .*failed; got 'bogus'/],
    [['workers', '--port', '0'], /^drover: error: --port: must be a port number from 1 to 65535, got 0 /],
    // A duration past 30 days overflowed its deadline (a grace of 10^13 ms handed jobs back at once).
    [['workers', '--shutdown-grace', '10000000000000'], /^drover: error: --shutdown-grace: must be a number of milliseconds from 0 to 2592000000 \(30 days\), got 10000000000000 /],
    [['worker', '--queue', 'q', '--lock-duration', '1'], /^drover: error: --lock-duration: must be a number of milliseconds from 100 to 2592000000/],
    [['dashboard', '--port', '70000'], /^drover: error: --port: must be a port number from 1 to 65535, got 70000 /],
    [['queue', 'counts'], /^drover: error: --queue is required \(see drover queue counts --help\)\n$/],
    // An empty id (an unset shell variable) is no "every job": retry and promote would act on all.
    [['queue', 'retry', '--queue', 'q', '--id', ''], /^drover: error: --id: must not be empty /],
    [['queue', 'promote', '--queue', 'q', '--id', ''], /^drover: error: --id: must not be empty /],
    [['queue', 'remove', '--queue', 'q', '--id', ''], /^drover: error: --id: must not be empty /],
    // A flag one form of the command needs, or one that needs another, is named.
    [['dlq', 'show', '--queue', 'q'], /^drover: error: --id is required for dlq show \(see drover dlq --help\)\n$/],
    [['dlq', 'requeue', '--queue', 'q'], /^drover: error: --id is required for dlq requeue /],
    [['flow', 'add', '--queue', 'r'], /^drover: error: --tree or --file is required \(see drover flow add --help\)\n$/],
    [['worker', '--queue', 'q', '--limit-max', '5'], /^drover: error: --limit-max requires --limit-duration /],
    [['schedule', 'upsert', '-q', 'q', '--id', 'x'], /^drover: error: --repeat is required for schedule upsert: /],
    [['events', '--queue', 'q', '--from', 'bogus'], /^drover: error: --from: must be \$, 0, <ms> or <ms>-<seq> .*got bogus /],
    [['add', '--queue', 'q', '--name', 'n', '--key', 'k'], /^drover: error: --key requires --shards /],
    [['counts', '--queue', ''], /^drover: error: --queue: must not be empty /],
    // A wait that cannot succeed is refused before anything is written.
    [['add', '--queue', 'q', '--name', 'n', '--min-replicas', '101'], /^drover: error: --min-replicas: must be an integer from 0 to 100, got 101 /],
    [['add', '--queue', 'q', '--name', 'n', '--replication-timeout', '6000'], /^drover: error: --replication-timeout: must be an integer from 1 to 4999, got 6000 /],
  ];
  for (const [args, said] of cases) {
    const r = await runDrover(args);
    assert.equal(r.code, 2, `drover ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, said, `drover ${args.join(' ')}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `drover ${args.join(' ')}: one line`);
  }
  const help = await runDrover(['queue', 'jobs', '--help']);
  assert.equal(help.code, 0);
});

test('an action on a queue with no jobs and no settings warns that the name may be wrong, and still runs', async () => {
  const typo = queueName();
  const paused = await runDrover(['queue', 'pause', ...on(typo)]);
  assert.equal(paused.code, 0, paused.stderr);
  assert.match(paused.stderr, new RegExp(`^drover: warning: queue '${typo}' has no jobs and no settings under prefix 'bull' in Redis; is the name right\\?\n$`));
  assert.equal((await runDrover(['queue', 'is-paused', ...on(typo)])).stdout.trim(), 'true');
  // Once it has settings (here: paused), or jobs, it is a queue like any other.
  assert.equal((await runDrover(['queue', 'resume', ...on(typo)])).stderr, '');
  const real = queueName();
  await newQueue(redis, real).add('x', {});
  const drained = await runDrover(['queue', 'drain', ...on(real)]);
  assert.equal(drained.code, 0, drained.stderr);
  assert.equal(drained.stderr, '');
  // An empty dead-letter list says so of a mistyped queue too (an operator's script read []).
  const letters = await runDrover(['dlq', 'list', ...on(queueName())]);
  assert.equal(letters.code, 0, letters.stderr);
  assert.equal(letters.stdout.trim(), '[]');
  assert.match(letters.stderr, /^drover: warning: queue '.*' has no jobs and no settings under prefix 'bull' in Redis; is the name right\?\n$/);
  assert.equal((await runDrover(['dlq', 'list', ...on(real)])).stderr, '');
});

test('reading a queue with no jobs and no settings warns that the name may be wrong; an emptied queue does not', async () => {
  const typo = queueName();
  const warning = new RegExp(`^drover: warning: queue '${typo}' has no jobs and no settings under prefix 'bull' in Redis; is the name right\\?\n$`);
  for (const args of [['counts'], ['queue', 'counts'], ['queue', 'jobs']]) {
    const r = await runDrover([...args, ...on(typo)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, warning, args.join(' '));
  }
  assert.match((await runDrover(['counts', ...on(typo)])).stdout, /^\{"active":0,/, 'the JSON is unchanged');
  // A queue drover added to and then emptied keeps its settings (meta): no warning.
  const emptied = queueName();
  await ok(['add', ...on(emptied), '--name', 'x']);
  await ok(['queue', 'drain', ...on(emptied)]);
  for (const args of [['counts'], ['queue', 'jobs']]) {
    const r = await runDrover([...args, ...on(emptied)]);
    assert.equal(r.stderr, '', `${args.join(' ')} of a drained queue`);
  }
});

test('DASHBOARD_PORT must be a port: a word or 70000 is refused, naming the variable', async () => {
  for (const port of ['abc', '70000', '0']) {
    const r = await new Promise((resolve) => {
      execFile(DROVER_BIN, ['dashboard', '--redis', redis.url], {
        timeout: 10000, env: { PATH: process.env.PATH, DASHBOARD_PORT: port },
      }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stderr }));
    });
    assert.equal(r.code, 1, `DASHBOARD_PORT=${port}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`drover: error: DASHBOARD_PORT: must be a port number from 1 to 65535, got ${port}\n$`));
  }
});

test('events: each line has its streamId, and --from that id resumes after it', async () => {
  const name = queueName();
  const q = newQueue(redis, name);
  for (const id of ['e-1', 'e-2', 'e-3']) await q.add('x', {}, { jobId: id });
  const read = async (from, want) => {
    const proc = spawn(DROVER_BIN, ['events', ...on(name), '--from', from], { stdio: ['ignore', 'pipe', 'ignore'] });
    onCleanup(() => proc.kill('SIGKILL'));
    let out = '';
    proc.stdout.on('data', (d) => { out += d; });
    const lines = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    await waitFor(() => lines().length >= want, { what: `${want} events from ${from}` });
    proc.kill('SIGTERM');
    return lines();
  };
  const all = await read('0', 6);  // added and waiting, for each of the three jobs
  for (const e of all) assert.match(e.streamId, /^\d+-\d+$/, JSON.stringify(e));
  const rest = await read(all[1].streamId, all.length - 2);
  assert.deepEqual(rest.map((e) => e.streamId), all.slice(2).map((e) => e.streamId));
});

test('a failed job shows its reason in the table and its stack trace in the detail', async () => {
  const name = queueName();
  const q = newQueue(redis, name);
  newWorker(redis, name, async () => { throw new Error('disk full'); });
  await q.add('backup', {}, { jobId: 'b-1' });
  await waitFor(async () => (await q.getJobState('b-1')) === 'failed', { what: 'b-1 to fail' });
  const table = await ok(['queue', 'jobs', ...on(name), '--state', 'failed', '--page', '1']);
  assert.match(table, /^b-1\s+backup\s+failed\s+1\s.*disk full$/m);
  const detail = await ok(['queue', 'job', ...on(name), '--id', 'b-1']);
  assert.match(detail, /^failed reason\s+disk full$/m);
  assert.match(detail, /stack trace \(last attempt first\):\n {2}Error: disk full/);
});

test('schedulers: NEXT in UTC says so, and an ended scheduler says it ended', async () => {
  const name = queueName();
  await ok(['schedule', 'upsert', ...on(name), '--id', 'once', '--repeat', '{"every":600000,"limit":1}']);
  await ok(['schedule', 'upsert', ...on(name), '--id', 'hourly', '--repeat', '{"pattern":"0 0 * * * *","tz":"Europe/Berlin"}']);
  // The one job of `once` is due at once; taken or not, nothing follows it.
  await new Promise((r) => setTimeout(r, 50));
  const table = await ok(['queue', 'schedulers', ...on(name)]);
  assert.match(table, /^ID\s+JOB NAME\s+REPEAT\s+NEXT \(UTC\)\s+JOBS MADE$/m);
  assert.match(table, /^once\s.*\(ended\)\s+1$/m);
  assert.match(table, /^hourly\s+hourly\s+0 0 \* \* \* \* Europe\/Berlin\s+\d{4}-\d\d-\d\d \d\d:00:00\s+1$/m);
});

test('add --file adds every line in chunks and says how many', async () => {
  const name = queueName();
  const lines = [];
  for (let i = 1; i <= 120; i++) lines.push(JSON.stringify({ name: 'import', data: { i }, opts: { jobId: `row-${i}` } }));
  lines.splice(60, 0, '');  // blank lines are skipped
  lines.push(JSON.stringify({ name: 'later', opts: { delay: 60000 } }));
  const file = jobsFile('good.jsonl', lines);
  const out = await ok(['add', ...on(name), '--file', file, '--chunk', '50']);
  assert.equal(out.trim(), `sent 121 job(s) to queue ${name} from ${file} (a jobId or deduplication id already there adds nothing)`);
  const q = newQueue(redis, name);
  const counts = await q.getJobCounts('waiting', 'delayed');
  assert.deepEqual(counts, { waiting: 120, delayed: 1 });
  assert.deepEqual((await q.getJob('row-77')).data, { i: 77 });

  const again = JSON.parse(await ok(['add', ...on(queueName()), '--file', file, '--json']));
  assert.equal(again.sent, 121);
});

// A review at maxmemory: the message said 1,000 and "some may have been added" where
// 1,135 were; resuming from either line lost or repeated jobs. Redis refuses each add on
// its own, and the message says exactly which went in.
test('add --file cut short by a full Redis says exactly how many jobs went in', async () => {
  const full = await startRedisServer();
  const cli = (...args) => execFileSync('redis-cli', ['-p', String(full.port), ...args]).toString();
  const used = Number(/used_memory:(\d+)/.exec(cli('INFO', 'memory'))[1]);
  cli('CONFIG', 'SET', 'maxmemory', String(used + 3000000));
  const lines = [];
  for (let i = 1; i <= 3000; i++) lines.push(JSON.stringify({ name: 'j', data: { i, pad: 'y'.repeat(2000) } }));
  const file = jobsFile('too-many.jsonl', lines);
  const name = queueName();
  const r = await runDrover(['add', '--queue', name, '--redis', full.url, '--file', file, '--chunk', '500']);
  assert.equal(r.code, 1, r.stderr);
  const said = /^drover: error: added (\d+) of 3000 jobs to queue \S+; (every line before line (\d+) was added and none from it on|of lines .* these were not added)/.exec(r.stderr);
  assert.ok(said, r.stderr);
  assert.match(r.stderr, /OOM/);
  const waiting = JSON.parse((await runDrover(['counts', '--queue', name, '--redis', full.url])).stdout).waiting;
  assert.equal(waiting, Number(said[1]), r.stderr);
  if (said[3]) assert.equal(Number(said[3]), Number(said[1]) + 1, r.stderr);
});

test('add --json prints one JSON object for one job, sharded or not (it printed a bare id)', async () => {
  const name = queueName();
  const one = JSON.parse(await ok(['add', ...on(name), '--name', 'n', '--opts', '{"jobId":"fixed"}', '--json']));
  assert.deepEqual(one, { id: 'fixed', queue: name });
  const sharded = JSON.parse(await ok(['add', ...on(name), '--shards', '2', '--name', 'n', '--key', 'k', '--json']));
  assert.equal(sharded.id, '1');
  assert.match(sharded.queue, new RegExp(`^\\{${name}\\.[01](\\.\\d+)?\\}$`));
});

test('add --min-replicas fails when no replica confirms, and the job stays on the master', async () => {
  const queue = queueName();
  // This Redis has no replica: WAIT counts 0 after its timeout.
  const r = await runDrover(['add', ...on(queue), '--name', 'paid', '--min-replicas', '1', '--replication-timeout', '200']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^drover: error: job 1 of queue .* reached 0 of 1 replica\(s\) within 200 ms \(WAIT\); it may still exist on the master/);
  assert.equal(JSON.parse(await ok(['counts', ...on(queue)])).waiting, 1);
  const file = jobsFile('replicated.jsonl', ['{"name":"a"}', '{"name":"b","opts":{"minReplicas":0}}']);
  const bulk = await runDrover(['add', ...on(queue), '--file', file, '--min-replicas', '1', '--replication-timeout', '100']);
  assert.equal(bulk.code, 1);
  assert.match(bulk.stderr, /2 jobs of queue .* reached 0 of 1 replica\(s\) within 100 ms/);
  // 0 waits for nobody; a negative count is refused before anything is sent.
  assert.match(await ok(['add', ...on(queue), '--name', 'free', '--min-replicas', '0']), /^\d+\n$/);
  const bad = await runDrover(['add', ...on(queue), '--name', 'bad', '--opts', '{"minReplicas":-1}']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /minReplicas/);
});

test('add --file with a bad line adds nothing and names the line', async () => {
  const name = queueName();
  const file = jobsFile('bad.jsonl', [
    JSON.stringify({ name: 'a' }),
    JSON.stringify({ name: 'b' }),
    '{"name": "c", "data": ',
    JSON.stringify({ name: 'd' }),
  ]);
  const r = await runDrover(['add', ...on(name), '--file', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^drover: error: ${file.replace(/[.]/g, '\\.')} line 3: not valid JSON`));
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  const q = newQueue(redis, name);
  assert.equal((await q.getJobCounts('waiting')).waiting, 0);

  const noName = await runDrover(['add', ...on(name), '--file', jobsFile('noname.jsonl', ['{"data":{}}'])]);
  assert.equal(noName.code, 1);
  assert.match(noName.stderr, /line 1: "name" must be a string/);
  const missing = await runDrover(['add', ...on(name), '--file', path.join(dir, 'missing.jsonl')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot open/);
  const both = await runDrover(['add', ...on(name), '--file', file, '--name', 'x']);
  assert.notEqual(both.code, 0);
  const neither = await runDrover(['add', ...on(name)]);
  assert.notEqual(neither.code, 0);
  assert.match(neither.stderr, /--name or --file/);
});

test('completion scripts are generated from the command line itself', async () => {
  const bash = await ok(['completion', 'bash']);
  assert.match(bash, /complete -F _drover drover/);
  for (const p of ["'drover queue list'", "'drover queue jobs'", "'drover top'", "'drover add'", "'drover dlq'"]) {
    assert.ok(bash.includes(p), `bash completion knows ${p}`);
  }
  assert.match(bash, /--search/);
  assert.match(bash, /files=' --file -f '/);
  const file = path.join(dir, 'drover.bash');
  writeFileSync(file, bash);
  execFileSync('bash', ['-n', file]);
  // The script completes: `drover queue j<TAB>` offers job and jobs.
  const offered = execFileSync('bash', ['-c',
    `source ${file}; COMP_WORDS=(drover queue j); COMP_CWORD=2; _drover; echo "\${COMPREPLY[@]}"`]).toString().trim();
  assert.deepEqual(offered.split(' ').sort(), ['job', 'jobs']);
  const states = execFileSync('bash', ['-c',
    `source ${file}; COMP_WORDS=(drover completion ''); COMP_CWORD=2; _drover; echo "\${COMPREPLY[@]}"`]).toString().trim();
  assert.match(states, /bash zsh/);

  const zsh = await ok(['completion', 'zsh']);
  assert.match(zsh, /^#compdef drover/);
  assert.match(zsh, /compdef _drover drover/);
  assert.match(zsh, /'list:every queue under the prefix/);
  const bad = await runDrover(['completion', 'fish']);
  assert.notEqual(bad.code, 0);
});

test('--help works for every command the completion knows', async () => {
  const bash = await ok(['completion', 'bash']);
  const paths = [...bash.matchAll(/^ {4}'(drover[^']*)'\)$/gm)].map((m) => m[1].split(' ').slice(1));
  assert.ok(paths.length > 25, `found ${paths.length} command paths`);
  for (const p of paths) {
    const r = await runDrover([...p, '--help']);
    assert.equal(r.code, 0, `drover ${p.join(' ')} --help: ${r.stderr}`);
    assert.match(r.stdout, /Usage:|Options:/, `drover ${p.join(' ')} --help`);
  }
});

test('Redis unreachable: exit 1 and one line "drover: error: ..."', async () => {
  const url = `redis://127.0.0.1:${await deadPort()}`;
  const file = jobsFile('one.jsonl', [JSON.stringify({ name: 'x' })]);
  const commands = [
    ['counts', '--queue', 'q', '--redis', url],
    ['job', '--queue', 'q', '--id', '1', '--redis', url],
    ['add', '--queue', 'q', '--name', 'x', '--redis', url],
    ['add', '--queue', 'q', '--file', file, '--redis', url],
    ['queue', 'counts', '--queue', 'q', '--redis', url],
    ['queue', 'jobs', '--queue', 'q', '--redis', url],
    ['queue', 'pause', '--queue', 'q', '--redis', url],
    ['queue', 'list', '--redis', url],
    ['top', '--once', '--redis', url],
    ['top', '--json', '--redis', url],
    ['dlq', 'list', '--queue', 'q', '--redis', url],
  ];
  for (const args of commands) {
    const r = await runDrover(args);
    assert.equal(r.code, 1, `drover ${args.join(' ')} exited ${r.code}`);
    assert.match(r.stderr, /^drover: error: .+\n$/, `drover ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '', `drover ${args.join(' ')} printed nothing`);
  }
});

test('queue list and top: every queue under the prefix, with workers and paused state', async () => {
  const prefix = `cli-${randomBytes(4).toString('hex')}`;
  const busy = newQueue(redis, 'orders', { prefix });
  const idle = newQueue(redis, 'reports', { prefix });
  await busy.add('o', {});
  await busy.add('o', {});
  await idle.add('r', {}, { delay: 60000 });
  await idle.pause();
  const worker = newWorker(redis, 'orders', async () => 'done', { prefix });
  await worker.waitUntilReady();
  await waitFor(async () => (await busy.getJobCounts('completed')).completed === 2, { what: 'orders done' });
  const where = ['--prefix', prefix, '--redis', redis.url];

  const list = JSON.parse(await ok(['queue', 'list', ...where, '--json']));
  assert.deepEqual(list.map((q) => q.name), ['orders', 'reports']);
  const [orders, reports] = list;
  assert.equal(orders.paused, false);
  assert.equal(orders.counts.completed, 2);
  assert.ok(orders.workers >= 1, `a worker on orders (${orders.workers})`);
  assert.equal(reports.paused, true);
  assert.equal(reports.counts.delayed, 1);
  assert.equal(reports.workers, 0);
  for (const q of list) assert.ok(q.completedPerMinute === null || Number.isInteger(q.completedPerMinute));

  const table = await ok(['queue', 'list', ...where]);
  assert.match(table, /^QUEUE\s+STATUS\s+WAITING\s+PRIORITIZED\s+DELAYED\s+ACTIVE\s+COMPLETED\s+FAILED\s+WORKERS\s+BUSY\s+DONE\/MIN\s+FAILED\/MIN$/m);
  assert.match(table, /^orders\s+running\s+0\s+0\s+0\s+0\s+2\s+0\s+[1-9]/m);
  assert.match(table, /^reports\s+paused\s+0\s+0\s+1\s/m);
  const empty = await ok(['queue', 'list', '--prefix', 'nothing-here', '--redis', redis.url]);
  assert.match(empty, /no queues under prefix nothing-here/);

  const frame = await ok(['top', '--once', ...where]);
  assert.match(frame, new RegExp(`^drover top - redis 127\\.0\\.0\\.1:${redis.port} - prefix ${prefix} - 2 queue\\(s\\)`));
  assert.match(frame, /^orders\s+running/m);
  assert.ok(!frame.includes('\x1b'), 'no terminal codes in --once');
  const snap = JSON.parse(await ok(['top', '--json', ...where]));
  assert.equal(snap.prefix, prefix);
  assert.ok(Number.isInteger(snap.time));
  assert.deepEqual(snap.queues.map((q) => q.name), ['orders', 'reports']);

  // The live view needs a terminal; in a pipe it says what to use instead.
  const live = await runDrover(['top', ...where]);
  assert.equal(live.code, 1);
  assert.match(live.stderr, /^drover: error: drover top needs a terminal; use --once or --json/);

  // A user whose ACL refuses CLIENT LIST, which only the workers column needs: the rest is
  // listed, the workers unknown (the whole list failed).
  const raw = await redis.raw();
  const user = `no-client-list-${prefix}`;
  await raw.call('ACL', 'SETUSER', user, 'on', '>pw-1234', '~*', '&*', '+@all', '-client|list');
  onCleanup(() => raw.call('ACL', 'DELUSER', user));
  const restricted = ['--prefix', prefix, '--redis', `redis://${user}:pw-1234@127.0.0.1:${redis.port}`];
  const partial = JSON.parse(await ok(['queue', 'list', ...restricted, '--json']));
  assert.deepEqual(partial.map((q) => [q.name, q.workers, q.counts.completed]), [['orders', null, 2], ['reports', null, 0]]);
  assert.match(await ok(['queue', 'list', ...restricted]), /^orders\s+running\s+0\s+0\s+0\s+0\s+2\s+0\s+\?\s/m);
  // The password is on the command line, where `ps` shows it: said once, on stderr.
  const told = await runDrover(['queue', 'list', ...restricted]);
  assert.equal(told.stderr.match(/drover: warning: the password in --redis can be read by other local users/g)?.length, 1, told.stderr);
  const untold = await runDrover(['queue', 'list', '--redis', redis.url]);
  assert.doesNotMatch(untold.stderr, /password in --redis/);
});

/** Whether script(1) (util-linux) is here to run drover on a pseudo-terminal. */
function canMakeTerminal() {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs `drover args` on a pseudo-terminal (script(1)); what goes to proc.stdin is typed. */
function onTerminal(args) {
  const proc = spawn('script', ['-qfec', [DROVER_BIN, ...args].join(' '), '/dev/null'],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  onCleanup(() => proc.exitCode === null && proc.kill('SIGKILL'));
  const session = { proc, out: '', exited: new Promise((r) => proc.on('exit', (code) => r(code))) };
  proc.stdout.on('data', (d) => (session.out += d));
  return session;
}

test('top on a terminal redraws until q and gives the terminal back', async (t) => {
  if (!canMakeTerminal()) {
    t.skip('no script(1) to make a terminal');
    return;
  }
  const name = queueName();
  await newQueue(redis, name).add('x', {});
  const top = onTerminal(['top', '--redis', redis.url]);
  await waitFor(() => (top.out.match(/drover top - redis/g) || []).length >= 2, { what: 'two frames of drover top' });
  top.proc.stdin.write('q');
  assert.equal(await top.exited, 0, top.out.slice(-500));
  assert.ok(top.out.includes('\x1b[?1049h'), 'switched to the alternate screen');
  assert.ok(top.out.includes(name), 'the queue is on the screen');
  assert.ok(top.out.trimEnd().endsWith('\x1b[?25h\x1b[?1049l'), 'cursor shown and screen restored at the end');
});

/** Runs `drover args` on a pseudo-terminal and answers its [y/N] question with `answer`, `after` ms later. */
async function answered(args, answer, after = 0) {
  const session = onTerminal(args);
  await waitFor(() => session.out.includes('[y/N]'), { what: 'the question' });
  await new Promise((resolve) => setTimeout(resolve, after));
  session.proc.stdin.write(`${answer}\n`);
  return { code: await session.exited, out: session.out };
}

test('drain, obliterate and clean of unrun jobs ask on a terminal; --yes and scripts are not asked', async (t) => {
  if (!canMakeTerminal()) {
    t.skip('no script(1) to make a terminal');
    return;
  }
  const name = queueName();
  const q = newQueue(redis, name);
  await q.add('a', {});
  await q.add('b', {});
  await q.add('later', {}, { delay: 60000 });

  const no = await answered(['queue', 'drain', ...on(name)], 'n');
  assert.equal(no.code, 1, no.out);
  assert.match(no.out, new RegExp(`Remove the 2 job\\(s\\) waiting in queue ${name}, which no worker has run\\? \\[y/N\\]`));
  assert.match(no.out, /drover: nothing done \(not confirmed; --yes skips the question\)/);
  assert.equal(await q.count(), 3, 'nothing was removed');

  const cleanNo = await answered(['queue', 'clean', ...on(name), '--state', 'delayed'], '');
  assert.equal(cleanNo.code, 1, cleanNo.out);
  assert.match(cleanNo.out, /Remove delayed jobs older than 0 ms from queue .* \(1 delayed now\)\?/);
  assert.equal(await q.getDelayedCount(), 1);

  const yes = await answered(['queue', 'drain', ...on(name), '--delayed'], 'yes');
  assert.equal(yes.code, 0, yes.out);
  assert.match(yes.out, /Remove the 3 job\(s\) waiting or delayed in queue/);
  assert.equal(await q.count(), 0);

  // An operator who takes longer to answer than Redis keeps an idle connection (its
  // `timeout`; a proxy's would do the same): the action still runs.
  await q.add('slow-answer', {});
  execFileSync('redis-cli', ['-p', String(redis.port), 'CONFIG', 'SET', 'timeout', '1']);
  try {
    const late = await answered(['queue', 'drain', ...on(name)], 'y', 2500);
    assert.equal(late.code, 0, late.out);
    assert.match(late.out, new RegExp(`queue ${name} drained`));
  } finally {
    execFileSync('redis-cli', ['-p', String(redis.port), 'CONFIG', 'SET', 'timeout', '0']);
  }
  assert.equal(await q.count(), 0);

  // --yes on a terminal, and no terminal at all (a script): nothing is asked.
  await q.add('c', {});
  const skipped = onTerminal(['queue', 'obliterate', ...on(name), '--yes']);
  assert.equal(await skipped.exited, 0, skipped.out);
  assert.doesNotMatch(skipped.out, /\[y\/N\]/);
  assert.equal(await q.count(), 0);
  await q.add('d', {});
  const piped = await runDrover(['queue', 'obliterate', ...on(name)]);
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stderr, '');
  assert.equal(await q.count(), 0);
});

test('--shards: add by key, counts summed and per shard, one worker for every shard, list groups them', async () => {
  const prefix = `cli-${randomBytes(4).toString('hex')}`;
  const where = ['--prefix', prefix, '--redis', redis.url];
  const sharded = ['--queue', 'mail', '--shards', '3', ...where];
  const placed = [];
  for (let n = 0; n < 6; n++) {
    const out = await ok(['add', ...sharded, '--name', 'm', '--key', `user-${n % 3}`, '--data', JSON.stringify({ n })]);
    placed.push(out.trim().split('\t'));  // id, shard queue
  }
  for (let n = 3; n < 6; n++) assert.equal(placed[n][1], placed[n - 3][1], 'one key, one shard');
  const counts = JSON.parse(await ok(['counts', ...sharded]));
  assert.equal(counts.queue, 'mail');
  assert.equal(counts.counts.waiting, 6);
  assert.equal(counts.shards.length, 3);
  assert.equal(counts.shards.reduce((sum, s) => sum + s.counts.waiting, 0), 6);
  assert.match(await ok(['queue', 'counts', ...sharded]), /^waiting\s+6\s+\d+\s+\d+\s+\d+$/m);
  // Shard names depend on their number: another --shards reads other queues, and says so
  // (a worker given 2 here worked nothing, silently).
  const wrong = await runDrover(['counts', '--queue', 'mail', '--shards', '2', ...where]);
  assert.match(wrong.stderr, /Redis holds 3 shards of 'mail' \(.*\), not the 2 that --shards gives.*give --shards 3/);
  assert.equal((await runDrover(['counts', ...sharded])).stderr, '');

  const list = JSON.parse(await ok(['queue', 'list', ...where, '--json']));
  assert.deepEqual(list[0].shards, counts.shards.map((s) => s.queue));
  assert.deepEqual(list.slice(1).map((q) => q.shardOf), ['mail', 'mail', 'mail']);
  assert.match(await ok(['queue', 'list', ...where]), /^mail \(3 shards\)\s+running\s+6\s/m);

  // `events --shards` reads every shard's stream and names the shard in each event; from
  // the streams' start (no job has completed yet), as from "$" it could miss the first
  // completions when it started slowly.
  const events = spawn(DROVER_BIN, ['events', ...sharded, '--from', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  onCleanup(() => events.kill('SIGKILL'));
  let printed = '';
  events.stdout.on('data', (d) => { printed += d; });
  const worker = spawn(DROVER_BIN, ['worker', ...sharded, '--processor', 'echo', '--concurrency', '3',
    '--drain-delay', '200'], { stdio: 'ignore' });
  onCleanup(() => worker.kill('SIGKILL'));
  await waitFor(async () => JSON.parse(await ok(['counts', ...sharded])).counts.completed === 6,
    { what: 'the sharded worker to run every shard' });
  // One budget of 3 slots over the 3 shards: the logical queue has 3 (it read 9, summed).
  let logical;
  await waitFor(async () => (logical = JSON.parse(await ok(['queue', 'list', ...where, '--json']))
    .find((q) => q.name === 'mail' && q.shards))?.concurrency > 0, { what: 'the worker\'s report' });
  assert.equal(logical.concurrency, 3, JSON.stringify(logical));
  assert.equal(logical.workers, 1, JSON.stringify(logical));
  worker.kill('SIGTERM');
  const completedOn = () => printed.split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((e) => e.event === 'completed').map((e) => e.queue);
  await waitFor(() => completedOn().length === 6, { what: 'six completed events' });
  assert.deepEqual([...new Set(completedOn())].sort(), [...new Set(placed.map(([, q]) => q))].sort());
  events.kill('SIGTERM');

  // A queue-wide action on the sharded queue's name acts on every shard (it paused a new,
  // empty plain queue "mail" and no shard), and makes no plain queue of that name.
  const paused = await runDrover(['queue', 'pause', '--queue', 'mail', ...where]);
  assert.equal(paused.code, 0, paused.stderr);
  assert.match(paused.stderr, /queue 'mail' is sharded: acting on its 3 shards/);
  assert.equal(paused.stdout.trim().split('\n').length, 3, paused.stdout);
  const afterPause = JSON.parse(await ok(['queue', 'list', ...where, '--json']));
  assert.deepEqual(afterPause.filter((q) => q.shardOf === 'mail').map((q) => q.paused), [true, true, true]);
  assert.ok(!afterPause.some((q) => q.name === 'mail' && !q.shards), 'no plain queue "mail"');
  assert.equal((await runDrover(['queue', 'resume', '--queue', 'mail', ...where])).code, 0);
  const afterResume = JSON.parse(await ok(['queue', 'list', ...where, '--json']));
  assert.deepEqual(afterResume.filter((q) => q.shardOf === 'mail').map((q) => q.paused), [false, false, false]);

  // Dead letters of a sharded queue are in each shard's <shard>-dlq: on the sharded name,
  // `dlq list` lists them all (it listed none), `requeue` takes an entry's id as listed.
  for (let n = 0; n < 3; n++) {
    await ok(['add', ...sharded, '--name', 'bad', '--key', `user-${n}`, '--data', '{}']);
  }
  const failing = spawn(DROVER_BIN, ['worker', ...sharded, '--processor', 'fail', '--dead-letter-queue', 'mail-dlq',
    '--drain-delay', '200'], { stdio: 'ignore' });
  onCleanup(() => failing.kill('SIGKILL'));
  let letters;
  await waitFor(async () => (letters = JSON.parse(await ok(['dlq', 'list', '--queue', 'mail', ...where]))).length === 3,
    { what: `three dead letters over the shards (last: ${JSON.stringify(letters)})` });
  failing.kill('SIGTERM');
  await new Promise((r) => failing.once('exit', r));
  assert.deepEqual([...new Set(letters.map((e) => e.deadLetterQueue))].sort(),
    [...new Set(placed.map(([, q]) => `${q}-dlq`))].sort());
  const requeued = await runDrover(['dlq', 'requeue', '--queue', 'mail', '--id', letters[0].id, ...where]);
  assert.equal(requeued.code, 0, requeued.stderr);
  assert.equal(JSON.parse(requeued.stdout).deadLetterId, letters[0].id);
  const rest = JSON.parse(await ok(['dlq', 'requeue-all', '--queue', 'mail', ...where]));
  assert.equal(rest.length, 2, JSON.stringify(rest));
  for (const r of rest) assert.ok(placed.some(([, q]) => q === r.queue), JSON.stringify(r));
  assert.deepEqual(JSON.parse(await ok(['dlq', 'list', '--queue', 'mail', ...where])), []);
  const unknown = await runDrover(['dlq', 'show', '--queue', 'mail', '--id', 'nope', ...where]);
  assert.equal(unknown.code, 3, unknown.stderr);

  // A shard that fails is said, and the others are still acted on (it stopped at the first).
  const shardNames = [...new Set(placed.map(([, q]) => q))];
  const raw = await redis.raw();
  const broken = shardNames[0];
  await raw.del(`${prefix}:${broken}:events`);
  await raw.set(`${prefix}:${broken}:events`, 'not a stream');  // BullMQ's pause writes an event there
  const partly = await runDrover(['queue', 'pause', '--queue', 'mail', '--json', ...where]);
  assert.equal(partly.code, 1, partly.stderr);
  assert.match(partly.stderr, new RegExp(`shard '${broken.replace(/[{}.]/g, '\\$&')}': .*WRONGTYPE`));
  const answers = partly.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(answers.length, 2, partly.stdout);
  for (const a of answers) assert.ok(a.paused && a.queue !== broken, JSON.stringify(a));
});

// An observability review: with the deployment's environment exported (REDIS_URL and
// QUEUE_PREFIX, as the apps read them) the CLI took REDIS_URL but read the queues under
// "bull", and showed an empty system.
test('the prefix comes from QUEUE_PREFIX as the apps read it, and --prefix wins over it', async () => {
  const prefix = `env-${randomBytes(4).toString('hex')}`;
  await ok(['add', ...on('mail'), '--prefix', prefix, '--name', 'm', '--data', '{}']);
  const env = { ...process.env, QUEUE_PREFIX: prefix };
  const counts = (args) => JSON.parse(execFileSync(DROVER_BIN, ['counts', ...on('mail'), ...args], { env, encoding: 'utf8' }));
  assert.equal(counts([]).waiting, 1);
  assert.equal(counts(['--prefix', `${prefix}-other`]).waiting, 0);
});
