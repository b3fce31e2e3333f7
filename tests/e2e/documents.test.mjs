// documents.test.mjs - document uploads end to end: raw and multipart uploads of PDF,
// HTML, Markdown and text become ready with metadata and text (on SQLite and
// PostgreSQL), PDFs report progress per page, the best-matching chunks reach the model's
// prompt, and every refusal has its status: 413, 415, 404, 400, and damaged or
// encrypted PDFs fail at once with a reason; an extraction that crashes or hangs (its
// child process) fails that document only, and the Workers go on serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem, startApi, postJSON, getJSON, waitForJob, waitFor } from './system.mjs';
import { makePdf, encryptPdf } from './pdf_maker.mjs';
import { spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { bullmq, newWorker, newQueueEvents, recordQueueEvents, onCleanup, sleep, DROVER_BIN } from '../interop/support.mjs';

async function upload(base, body, contentType, query = '') {
  const res = await fetch(`${base}/api/documents${query}`, {
    method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, body,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function uploadMultipart(base, { bytes, filename, type, conversationId }) {
  const form = new FormData();
  if (conversationId) form.append('conversationId', conversationId);
  form.append('file', new Blob([bytes], { type }), filename);
  const res = await fetch(`${base}/api/documents`, { method: 'POST', body: form });
  return { status: res.status, body: await res.json().catch(() => null) };
}

// Polls until the document is ready or failed and its job has finished.
async function waitForDocument(base, id, timeout = 30000) {
  let last;
  await waitFor(async () => {
    last = await getJSON(base, `/api/documents/${id}`);
    const b = last.body;
    return b && (b.status === 'ready' || b.status === 'failed') && b.job && ['completed', 'failed'].includes(b.job.state);
  }, { timeout, what: `document ${id} to be processed (last: ${JSON.stringify(last?.body)?.slice(0, 400)})` });
  return last.body;
}

const PAGES = [
  ['Drover keeps every queue in Redis lists.', 'Workers renew their locks while they run.'],
  ['The stalled checker returns abandoned jobs to the wait list.'],
  ['Zeppelin maintenance schedules are planned with cron expressions.'],
];

for (const database of ['sqlite', 'postgres']) {
  test(`documents on ${database}: PDF and HTML become ready, and chunks reach the model`, { timeout: 120000 }, async () => {
    const sys = await startSystem({ database });
    const conversationId = `docs-${database}`;
    const events = await newQueueEvents(sys.redis, 'document-processing');
    const progress = recordQueueEvents(events, ['progress']);

    // A raw PDF upload, file name and conversation in the query.
    const pdf = makePdf(PAGES, 'Operations Handbook');
    const sent = await upload(sys.base, pdf, 'application/pdf', `?filename=handbook.pdf&conversationId=${conversationId}`);
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    assert.match(sent.body.documentId, /^[0-9a-f]{32}$/);
    assert.equal(sent.body.jobId, `doc-${sent.body.documentId}`);
    assert.equal(sent.body.status, 'queued');

    const doc = await waitForDocument(sys.base, sent.body.documentId);
    assert.equal(doc.status, 'ready', JSON.stringify(doc));
    assert.equal(doc.error, null);
    assert.equal(doc.filename, 'handbook.pdf');
    assert.equal(doc.contentType, 'application/pdf');
    assert.equal(doc.sizeBytes, pdf.length);
    assert.equal(doc.conversationId, conversationId);
    assert.equal(doc.title, 'Operations Handbook');
    assert.equal(doc.pageCount, 3);
    assert.equal(doc.wordCount, PAGES.flat().join(' ').split(/\s+/).length);
    assert.ok(doc.chunkCount >= 1);
    assert.match(doc.text, /Workers renew their locks/);
    assert.match(doc.text, /Zeppelin maintenance/);
    assert.equal(doc.job.state, 'completed');
    assert.deepEqual(doc.job.progress, { page: 3, pages: 3, percent: 100 });

    // One progress event per page, in order.
    await waitFor(() => progress.filter((e) => e.jobId === sent.body.jobId).length === 3, { what: 'three progress events' });
    assert.deepEqual(progress.filter((e) => e.jobId === sent.body.jobId).map((e) => e.data.page), [1, 2, 3]);

    // A multipart upload of HTML, conversation as a form field.
    const html = '<html><head><title>Cron Notes</title><script>var leaked = "scriptsecret";</script></head>' +
      '<body><h1>Notes</h1><p>Schedules fire at <b>midnight</b> in the configured time zone.</p></body></html>';
    const form = await uploadMultipart(sys.base, { bytes: html, filename: 'notes.html', type: 'text/html', conversationId });
    assert.equal(form.status, 202, JSON.stringify(form.body));
    const htmlDoc = await waitForDocument(sys.base, form.body.documentId);
    assert.equal(htmlDoc.status, 'ready', JSON.stringify(htmlDoc));
    assert.equal(htmlDoc.filename, 'notes.html');
    assert.equal(htmlDoc.contentType, 'text/html');
    assert.equal(htmlDoc.title, 'Cron Notes');
    assert.equal(htmlDoc.pageCount, null);
    assert.equal(htmlDoc.conversationId, conversationId);
    assert.match(htmlDoc.text, /Schedules fire at midnight in the configured time zone\./);
    assert.doesNotMatch(htmlDoc.text, /scriptsecret/);

    // A chat message in the conversation: the model's prompt holds the matching chunk.
    const chat = await postJSON(sys.base, '/api/chat/send', { conversationId, userId: 'u1', message: 'How are zeppelin maintenance schedules planned?' });
    assert.equal(chat.status, 200, JSON.stringify(chat.body));
    const done = await waitForJob(sys.base, chat.body.jobId);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    const system = sys.ai.requests.at(-1).body.messages[0];
    assert.equal(system.role, 'system');
    assert.match(system.content, /Zeppelin maintenance schedules are planned with cron expressions\./);
    assert.match(system.content, /\[Operations Handbook, part 1\]/);

    // Another conversation does not see these documents.
    const other = await postJSON(sys.base, '/api/chat/send', { conversationId: 'elsewhere', userId: 'u1', message: 'zeppelin maintenance?' });
    await waitForJob(sys.base, other.body.jobId);
    assert.doesNotMatch(sys.ai.requests.at(-1).body.messages[0].content, /Zeppelin/);

    // Names and ids that are not UTF-8 are a 400 (the database stores text), and a long
    // name is cut on a character's end before its extension: 125 'é' are 250 bytes, and
    // ".txt" 4 more.
    for (const query of ['?filename=%FF.txt', '?conversationId=%FFconv', '?filename=a.txt&conversationId=%C3']) {
      const refused = await upload(sys.base, 'text', 'text/plain', query);
      assert.equal(refused.status, 400, `${query}: ${JSON.stringify(refused.body)}`);
      assert.match(refused.body.error, /not valid UTF-8|bytes of UTF-8/);
    }
    assert.equal((await getJSON(sys.base, '/api/documents/%FF%FE')).status, 400);
    assert.equal((await getJSON(sys.base, '/api/chat/job/a%00b')).status, 400, 'NUL, which PostgreSQL cannot store');
    const long = await upload(sys.base, 'Long names.', 'text/plain', `?filename=${'%C3%A9'.repeat(200)}.txt`);
    assert.equal(long.status, 202, JSON.stringify(long.body));
    assert.equal((await getJSON(sys.base, `/api/documents/${long.body.documentId}`)).body.filename, `${'é'.repeat(125)}.txt`);

    // A browser's Windows path keeps its last part (its backslashes are not escapes), and
    // characters that hide or reorder the text around them are dropped from a name.
    const windows = await uploadMultipart(sys.base, { bytes: 'notes', filename: 'C:\\Users\\me\\report.txt', type: 'text/plain' });
    assert.equal(windows.status, 202, JSON.stringify(windows.body));
    assert.equal((await getJSON(sys.base, `/api/documents/${windows.body.documentId}`)).body.filename, 'report.txt');
    const hidden = await upload(sys.base, 'x', 'text/plain', `?filename=${encodeURIComponent('invoice\u202Etxt.exe\u2028\u0085')}`);
    assert.equal(hidden.status, 202, JSON.stringify(hidden.body));
    assert.equal((await getJSON(sys.base, `/api/documents/${hidden.body.documentId}`)).body.filename, 'invoicetxt.exe');
  });
}

test('Markdown and plain text uploads, file type from the name', { timeout: 90000 }, async () => {
  const sys = await startSystem();
  const md = await upload(sys.base, '# Release Guide\n\nShip **carefully** with `make test`.\n', 'text/markdown');
  assert.equal(md.status, 202, JSON.stringify(md.body));
  const mdDoc = await waitForDocument(sys.base, md.body.documentId);
  assert.equal(mdDoc.status, 'ready', JSON.stringify(mdDoc));
  assert.equal(mdDoc.title, 'Release Guide');
  assert.equal(mdDoc.text, 'Release Guide\n\nShip carefully with make test.');
  assert.equal(mdDoc.conversationId, null);
  assert.equal(mdDoc.wordCount, 7);

  // Text in the charset its Content-Type declares is read in it (an i18n review: Shift_JIS
  // and windows-1256 came back "ready" as replacement characters); a page's meta charset
  // does not undo the header's. An unknown charset, or bytes not in it, get 415.
  const sjis = await upload(sys.base, Buffer.from([0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea]), 'text/plain; charset=Shift_JIS');
  assert.equal(sjis.status, 202, JSON.stringify(sjis.body));
  const arabicPage = Buffer.concat([Buffer.from('<html><head><meta charset="iso-8859-1"></head><body><p>'),
    Buffer.from([0xd3, 0xe1, 0xc7, 0xe3]), Buffer.from('</p></body></html>')]);
  const cp1256 = await upload(sys.base, arabicPage, 'text/html; charset=windows-1256');
  assert.equal(cp1256.status, 202, JSON.stringify(cp1256.body));
  assert.equal((await waitForDocument(sys.base, sjis.body.documentId)).text, '日本語');
  assert.equal((await waitForDocument(sys.base, cp1256.body.documentId)).text, 'سلام');
  const unknown = await upload(sys.base, 'text', 'text/plain; charset=klingon');
  assert.equal(unknown.status, 415);
  assert.match(unknown.body.error, /charset 'klingon'/);
  const notInIt = await upload(sys.base, Buffer.from([0x6f, 0x6b, 0x81]), 'text/plain; charset=Shift_JIS');
  assert.equal(notInIt.status, 415);
  assert.match(notInIt.body.error, /not Shift_JIS from byte 2/);

  // application/octet-stream with a .txt name in Content-Disposition: plain text.
  const res = await fetch(`${sys.base}/api/documents`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment; filename="notes.txt"' },
    body: 'Plain words.\n\nSecond paragraph.',
  });
  assert.equal(res.status, 202);
  const txt = await waitForDocument(sys.base, (await res.json()).documentId);
  assert.equal(txt.status, 'ready', JSON.stringify(txt));
  assert.equal(txt.filename, 'notes.txt');
  assert.equal(txt.contentType, 'text/plain');
  assert.equal(txt.text, 'Plain words.\n\nSecond paragraph.');
  assert.equal(txt.title, null);
});

test('limits: 413 over DOCUMENT_MAX_BYTES, independent of the chat body limit', { timeout: 90000 }, async () => {
  const sys = await startSystem({ env: { DOCUMENT_MAX_BYTES: String(2 * 1024 * 1024) } });
  // 1.5 MiB: over the JSON routes' 1 MiB, within the documents' 2 MiB.
  const ok = await upload(sys.base, 'word '.repeat(300 * 1024), 'text/plain');
  assert.equal(ok.status, 202, JSON.stringify(ok.body));
  const big = await upload(sys.base, 'x'.repeat(3 * 1024 * 1024), 'text/plain');
  assert.equal(big.status, 413);
  // The limit is named: the document's, with 64 KiB of room for multipart framing.
  assert.match(big.body.error, new RegExp(`too large: this route takes at most ${2 * 1024 * 1024 + 64 * 1024} bytes`));
  // Within the HTTP limit (which leaves room for multipart framing), the file itself is over.
  const framed = await uploadMultipart(sys.base, { bytes: 'y'.repeat(2 * 1024 * 1024 + 10), filename: 'a.txt', type: 'text/plain' });
  assert.equal(framed.status, 413);
  assert.match(framed.body.error, /larger than the limit of 2097152 bytes/);
  // The chat route keeps its own limit.
  const chat = await postJSON(sys.base, '/api/chat/send', { conversationId: 'c', userId: 'u', message: 'z'.repeat(1500 * 1024) });
  assert.equal(chat.status, 413);
  // The 1.5 MiB document is processed.
  const doc = await waitForDocument(sys.base, ok.body.documentId);
  assert.equal(doc.status, 'ready', JSON.stringify({ ...doc, text: undefined }));
  assert.equal(doc.wordCount, 300 * 1024);
  assert.ok(doc.chunkCount > 100);
  // Its 1.5 MiB of text comes a page (1 MiB of JSON) at a time and reads back whole.
  assert.ok(doc.textBytes > 1024 * 1024 && doc.nextTextOffset !== null, JSON.stringify({ ...doc, text: undefined }));
  let text = doc.text;
  let next = doc.nextTextOffset;
  assert.equal(Buffer.byteLength(text), next);
  assert.ok(JSON.stringify(text).length <= 1024 * 1024 + 2);
  while (next !== null) {
    const page = await getJSON(sys.base, `/api/documents/${doc.id}?textOffset=${next}`);
    assert.equal(page.status, 200);
    assert.equal(page.body.textOffset, next);
    text += page.body.text;
    next = page.body.nextTextOffset;
  }
  assert.equal(Buffer.byteLength(text), doc.textBytes);
  assert.equal(text.split(/\s+/).filter(Boolean).length, 300 * 1024);
  const beyond = await getJSON(sys.base, `/api/documents/${doc.id}?textOffset=${doc.textBytes + 1}`);
  assert.equal(beyond.status, 400);
  assert.match(beyond.body.error, /textOffset/);
  // One user reads two documents at a time: 30 reads at once took every database
  // connection from the others. The rest wait their turn with a 429.
  const burst = await Promise.all(Array.from({ length: 20 }, () => getJSON(sys.base, `/api/documents/${doc.id}`)));
  const statuses = burst.map((r) => r.status);
  assert.ok(statuses.every((s) => s === 200 || s === 429), JSON.stringify(statuses));
  assert.ok(statuses.includes(200) && statuses.includes(429), JSON.stringify(statuses));
  const refused = burst.find((r) => r.status === 429);
  assert.match(refused.body.error, /Too many requests/);
});

// The API reads only a page's bytes of the text from the database: an offset inside a
// character moves on to its end, and a page past the end is refused, as when it read all.
test('a page of text read from inside a character starts at the next one', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const sent = await upload(sys.base, 'Ünïcode text, ÿ at the end', 'text/plain', '?filename=u.txt');
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const doc = await waitForDocument(sys.base, sent.body.documentId);
  assert.equal(doc.status, 'ready');
  assert.equal(doc.textBytes, Buffer.byteLength(doc.text));
  const inside = await getJSON(sys.base, `/api/documents/${doc.id}?textOffset=1`);
  assert.equal(inside.status, 200);
  assert.equal(inside.body.textOffset, 2);
  assert.equal(inside.body.text, Buffer.from(doc.text).subarray(2).toString());
  assert.equal(inside.body.textBytes, doc.textBytes);
  assert.equal(inside.body.nextTextOffset, null);
  const atEnd = await getJSON(sys.base, `/api/documents/${doc.id}?textOffset=${doc.textBytes}`);
  assert.equal(atEnd.status, 200);
  assert.equal(atEnd.body.text, '');
  const huge = await getJSON(sys.base, `/api/documents/${doc.id}?textOffset=9007199254740991`);
  assert.equal(huge.status, 400);
  assert.match(huge.body.error, /textOffset/);
});

// A job that failed for good while the database was away could not mark its document,
// which said "processing" for ever: its job's outcome is the document's.
test('a document whose job failed unrecorded reads as failed, with the job\'s reason', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  await sys.workers.stop();
  const sent = await upload(sys.base, 'never processed by drover', 'text/plain', '?filename=x.txt');
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  // Another worker fails the job without touching the database, as one would that lost it.
  const failed = new Promise((resolve) => {
    const w = newWorker(sys.redis, 'document-processing', async () => { throw new bullmq.UnrecoverableError('the database failed'); });
    w.on('failed', resolve);
  });
  await failed;
  const doc = await getJSON(sys.base, `/api/documents/${sent.body.documentId}`);
  assert.equal(doc.status, 200);
  assert.equal(doc.body.status, 'failed', JSON.stringify(doc.body));
  assert.equal(doc.body.error, 'the database failed');
  assert.equal(doc.body.job.state, 'failed');
});

test('refusals: 415, 404, 400 with JSON errors', { timeout: 60000 }, async () => {
  const sys = await startSystem();
  const png = await upload(sys.base, Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'image/png');
  assert.equal(png.status, 415);
  assert.match(png.body.error, /image\/png/);
  const unknown = await upload(sys.base, 'PK\x03\x04', 'application/octet-stream', '?filename=archive.zip');
  assert.equal(unknown.status, 415);

  const missing = await getJSON(sys.base, '/api/documents/0123456789abcdef0123456789abcdef');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error, 'Document not found');

  const empty = await upload(sys.base, '', 'text/plain');
  assert.equal(empty.status, 400);
  assert.match(empty.body.error, /empty/);
  const broken = await upload(sys.base, '--xyz\r\nno headers end', 'multipart/form-data; boundary=xyz');
  assert.equal(broken.status, 400);
  assert.match(broken.body.error, /multipart/i);
  const noBoundary = await upload(sys.base, 'x', 'multipart/form-data');
  assert.equal(noBoundary.status, 400);
  const form = new FormData();
  form.append('conversationId', 'c1');
  const noFile = await fetch(`${sys.base}/api/documents`, { method: 'POST', body: form });
  assert.equal(noFile.status, 400);
  assert.match((await noFile.json()).error, /no file part/);
  const badConversation = await upload(sys.base, 'text', 'text/plain', `?conversationId=${'c'.repeat(300)}`);
  assert.equal(badConversation.status, 400);
  // A conversation id the chat takes (a space in it, say) takes documents too.
  const spaced = await upload(sys.base, 'text', 'text/plain', '?conversationId=my%20conversation');
  assert.equal(spaced.status, 202, JSON.stringify(spaced.body));
  const wrongMethod = await fetch(`${sys.base}/api/documents`);
  assert.equal(wrongMethod.status, 405);
  // A compressed body is no document (gzip's bytes were stored as the text).
  const gzipped = await fetch(`${sys.base}/api/documents?filename=page.html`, {
    method: 'POST', headers: { 'content-type': 'text/html', 'content-encoding': 'gzip' }, body: gzipSync('<p>Hello</p>'),
  });
  assert.equal(gzipped.status, 415);
  assert.match((await gzipped.json()).error, /Content-Encoding 'gzip'/);
  // A name cut to 255 bytes keeps its extension, which says the type (93 Japanese
  // characters lost ".md" and got 415).
  const longName = `${'議事録'.repeat(31)}.md`;
  const named = await upload(sys.base, '# 議事録\n\n本文です。', 'application/octet-stream',
    `?filename=${encodeURIComponent(longName)}`);
  assert.equal(named.status, 202, JSON.stringify(named.body));
  const stored = await waitForDocument(sys.base, named.body.documentId);
  assert.equal(stored.status, 'ready', JSON.stringify(stored));
  assert.ok(stored.filename.endsWith('.md'), stored.filename);
  assert.ok(Buffer.byteLength(stored.filename) <= 255, stored.filename);
});

test('damaged and encrypted PDFs fail at once with a reason, not retried', { timeout: 90000 }, async () => {
  const sys = await startSystem();
  const good = makePdf(PAGES, 'Secret Handbook');
  const cases = [
    { name: 'damaged.pdf', bytes: Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage without xref\n%%EOF\n'), reason: /damaged/ },
    { name: 'truncated.pdf', bytes: good.subarray(0, 60), reason: /damaged|no pages/ },
    { name: 'locked.pdf', bytes: encryptPdf(good), reason: /encrypted/ },
  ];
  for (const c of cases) {
    const sent = await upload(sys.base, c.bytes, 'application/pdf', `?filename=${c.name}`);
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const doc = await waitForDocument(sys.base, sent.body.documentId);
    assert.equal(doc.status, 'failed', `${c.name}: ${JSON.stringify(doc)}`);
    assert.match(doc.error, c.reason, c.name);
    assert.match(doc.error, new RegExp(`cannot read '${c.name}'`));
    assert.equal(doc.text, null);
    assert.equal(doc.job.state, 'failed');
    assert.equal(doc.job.attemptsMade, 1, `${c.name} was retried`);
    assert.equal(doc.job.failedReason, doc.error);
  }
  // The workers survived all of them.
  assert.equal((await fetch(`http://127.0.0.1:${sys.workersPort}/healthz`)).status, 200);
  const after = await upload(sys.base, good, 'application/pdf');
  assert.equal((await waitForDocument(sys.base, after.body.documentId)).status, 'ready');
});

test('an extraction that crashes or hangs fails that document for good; the Workers go on serving', { timeout: 90000 }, async () => {
  // The helper's test triggers (apps/documents/extract_helper.cpp), honoured only with this variable.
  const sys = await startSystem({ env: { DROVER_EXTRACT_TEST_TRIGGERS: '1', EXTRACT_TIMEOUT_SECONDS: '2' } });
  const cases = [
    { name: 'crash.txt', body: 'DROVER-TEST-CRASH', reason: "cannot read 'crash.txt': extraction crashed: signal 11" },
    { name: 'hang.txt', body: 'DROVER-TEST-HANG', reason: "cannot read 'hang.txt': extraction timed out after 2 s" },
  ];
  for (const c of cases) {
    const sent = await upload(sys.base, c.body, 'text/plain', `?filename=${c.name}`);
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const doc = await waitForDocument(sys.base, sent.body.documentId);
    assert.equal(doc.status, 'failed', `${c.name}: ${JSON.stringify(doc)}`);
    assert.equal(doc.error, c.reason);
    assert.equal(doc.job.state, 'failed');
    assert.equal(doc.job.attemptsMade, 1, `${c.name} was retried`);
    assert.equal(doc.job.failedReason, c.reason);
  }
  // The same process still serves every queue: a chat answer, then a document.
  assert.equal(sys.workers.proc.exitCode, null, 'drover workers exited');
  const chat = await postJSON(sys.base, '/api/chat/send', { conversationId: 'after-crash', userId: 'u1', message: 'still there?' });
  assert.equal(chat.status, 200, JSON.stringify(chat.body));
  const answered = await waitForJob(sys.base, chat.body.jobId);
  assert.equal(answered.status, 'completed', JSON.stringify(answered));
  const after = await upload(sys.base, makePdf(PAGES, 'After the Crash'), 'application/pdf');
  assert.equal((await waitForDocument(sys.base, after.body.documentId)).status, 'ready');
});

test('an upload waits in the database and the queue while no worker runs, then is processed', { timeout: 90000 }, async () => {
  const sys = await startSystem({ database: 'postgres' });
  await sys.workers.stop();
  const sent = await upload(sys.base, makePdf(PAGES, 'Patient Handbook'), 'application/pdf');
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  await sleep(500);
  const waiting = await getJSON(sys.base, `/api/documents/${sent.body.documentId}`);
  assert.equal(waiting.body.status, 'queued');
  assert.equal(waiting.body.job.state, 'waiting');

  // A fresh workers process (as after a restart or on another machine) picks it up.
  const proc = spawn(DROVER_BIN, ['workers'], { env: { ...process.env, ...sys.env }, stdio: 'ignore' });
  const exited = new Promise((r) => proc.on('exit', r));
  onCleanup(async () => { if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGTERM'); await exited; } });
  const doc = await waitForDocument(sys.base, sent.body.documentId);
  assert.equal(doc.status, 'ready', JSON.stringify(doc));
  assert.equal(doc.title, 'Patient Handbook');
  assert.equal(doc.pageCount, 3);
});

// A database review: an upload refused 503 at the 15 s database deadline was stored all
// the same once the database came back, with no job (counted against the quota and the
// unfinished documents for good). Its write is let go, or taken back out, instead.
test('an upload refused at the database deadline is not kept when the database comes back', { timeout: 90000 }, async () => {
  const sys = await startSystem({ database: 'postgres' });
  // No statement timeout, so that the insert waits on the lock past the API's deadline.
  await sys.api.stop();
  sys.env.DATABASE_URL = `${sys.db.url}?statement_timeout=0`;
  sys.api = await startApi(sys);
  const locked = spawn('psql', [sys.db.url, '-c',
    'BEGIN; LOCK TABLE documents IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(18); COMMIT;'], { stdio: 'ignore' });
  const unlocked = new Promise((r) => locked.on('exit', r));
  onCleanup(() => { if (locked.exitCode === null) locked.kill('SIGKILL'); });
  await waitFor(() => sys.db.query("SELECT count(*) FROM pg_locks WHERE relation = 'documents'::regclass AND mode = 'AccessExclusiveLock' AND granted") === '1',
    { what: 'the lock on documents' });
  const started = Date.now();
  const refused = await upload(sys.base, Buffer.from('a text that waits for a locked table'), 'text/plain', '?filename=late.txt');
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  assert.match(refused.body.error, /the upload was not kept/);
  assert.ok(Date.now() - started >= 14000, `refused after ${Date.now() - started} ms`);
  await unlocked;
  await sleep(1500);  // the insert, then its undoing, once the lock is gone
  assert.equal(sys.db.query('SELECT count(*) FROM documents'), '0');
  // And the next upload is stored and processed as any.
  const sent = await upload(sys.base, Buffer.from('a text after the lock'), 'text/plain', '?filename=after.txt');
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  assert.equal((await waitForDocument(sys.base, sent.body.documentId)).status, 'ready');
});

// The rotation review: a Workers app whose database refused it spent every document's
// attempts in ~30 s, and they ended in the dead letters. They wait for it instead.
test('documents wait without using attempts while the Workers app\'s database does not answer', { timeout: 90000 }, async () => {
  const sys = await startSystem({ database: 'postgres' });
  const docs = new bullmq.Queue('document-processing', { connection: sys.redis.connection });
  onCleanup(() => docs.close());
  await docs.pause();
  const sent = await upload(sys.base, Buffer.from('a text queued before the database went away'), 'text/plain', '?filename=away.txt');
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const jobId = `doc-${sent.body.documentId}`;
  await sys.db.stop();
  await docs.resume();
  await waitFor(() => /documents wait for it without using attempts/.test(sys.workers.output),
    { what: 'the Workers app to say the documents wait' });
  await sleep(6000);  // past one pause: taken again, and put off again
  // Between two takings it waits delayed (a few milliseconds of each 5 s it is being taken).
  await waitFor(async () => (await docs.getJobState(jobId)) === 'delayed', { what: 'the document job put off again' });
  const waiting = await docs.getJob(jobId);
  assert.equal(waiting.attemptsMade, 0, JSON.stringify(waiting));
  await sys.db.restart();
  assert.equal((await waitForDocument(sys.base, sent.body.documentId)).status, 'ready');
  assert.equal((await docs.getJob(jobId)).attemptsMade, 1, 'one attempt, the one that succeeded');
});
