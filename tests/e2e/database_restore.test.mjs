// database_restore.test.mjs - answers arriving at a database restored from a backup older
// than their sends (deployment.md, "Backups and restores"): the rows the backup lacks are
// deleted here as the restore loses them. A lost message's id, which SQLite gives again,
// keeps the new message's own answer; a lost conversation comes back as its user's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem, startWorkers, postJSON, waitFor } from './system.mjs';
import { bullmq, onCleanup } from '../interop/support.mjs';

test('answers after a database restore: a lost message\'s answer does not take its reused id, a lost conversation is its user\'s', { timeout: 90000 }, async () => {
  const sys = await startSystem();
  await sys.workers.stop();
  const q = (sql) => sys.db.query(sql);
  const send = async (conversationId, message) => {
    const sent = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u1', message });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    // The API's receiver learns which message a job answers from the job itself.
    return { jobId: sent.body.jobId, messageId: q('select max(id) from messages') };
  };

  await send('restored-c', 'first, kept by the backup');
  const lost = await send('restored-c', 'sent after the backup');
  const lostConversation = await send('lost-c', 'a conversation the backup lacks');
  // The restore: these rows are gone; the jobs are still in Redis.
  q(`delete from messages where id = ${lost.messageId}`);
  q("delete from messages where conversation_id = 'lost-c'");
  q("delete from conversations where id = 'lost-c'");
  // Later than the lost send by more than the second two APIs' clocks are allowed to differ.
  await new Promise((r) => setTimeout(r, 1500));
  const again = await send('restored-c', 'sent after the restore');
  assert.equal(again.messageId, lost.messageId, 'SQLite gave the lost message\'s id again');

  sys.workers = await startWorkers(sys);
  const deliveries = new bullmq.Queue('webhook-delivery', { connection: sys.redis.connection });
  onCleanup(() => deliveries.close());
  await waitFor(async () => (await deliveries.getJobCounts('completed')).completed === 4,
    { timeout: 30000, what: 'the four answers delivered to the API' });
  const answers = q("select job_id from messages where conversation_id = 'restored-c' and role = 'assistant' order by id")
    .split('\n');
  assert.equal(answers.length, 2, `the first message's answer and the new one's: ${answers}`);
  assert.ok(answers.includes(again.jobId), `the new message's own answer is stored: ${answers}`);
  assert.ok(!answers.includes(lost.jobId), `the lost message's answer took no place: ${answers}`);
  await waitFor(() => /answers message \d+ of conversation 'restored-c', which now holds another message/.test(sys.api.output),
    { what: 'the API to say it kept the lost message\'s answer out' });
  // The lost conversation's answer is stored, in a conversation of its user.
  assert.equal(q("select user_id from conversations where id = 'lost-c'"), 'u1');
  assert.equal(q(`select count(*) from messages where conversation_id = 'lost-c' and job_id = '${lostConversation.jobId}'`), '1');
});
