// browser.test.mjs - the chat page in headless Chromium (Debian's, driven by playwright-core):
// the answer streams in over Socket.IO, polling takes over when the socket is blocked, and a
// failed job shows as a failure; a message the API did not take is sent again until it does, and earlier
// messages show on request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startSystem } from './system.mjs';
import { onCleanup, repoRoot, waitFor } from '../interop/support.mjs';
import { CHUNKS } from './fake_openai.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

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

// Sends with the button, or with Enter as people do in a chat (`by: 'enter'`).
async function ask(page, text, by = 'button') {
  await page.fill('#text', text);
  if (by === 'enter') await page.press('#text', 'Enter');
  else await page.click('#send');
}

test('the chat page shows the streamed answer, falls back to polling, and shows failures', { timeout: 120000 }, async () => {
  const sys = await startSystem();
  const browser = await openBrowser();

  // 1. Live over Socket.IO.
  const page = await browser.newPage();
  await page.goto(`${sys.base}/?conversation=browser-1&user=b1`);
  await page.waitForSelector('#conn.live', { timeout: 10000 });
  await ask(page, 'Hello page');
  const answer = page.locator('.msg.assistant').last();
  await answer.waitFor();
  await page.waitForFunction((text) => {
    const all = document.querySelectorAll('.msg.assistant');
    const el = all[all.length - 1];
    return el && el.dataset.status === 'completed' && el.textContent === text;
  }, CHUNKS.join(''), { timeout: 20000 });
  const shots = path.join(repoRoot, 'build', 'screenshots');
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, 'chat.png') });

  // A conversation from a link is for that visit: a later plain visit is not held to it
  // (anyone's link to a conversation of theirs broke every later visit of the victim).
  assert.notEqual(await page.evaluate(() => localStorage.getItem('drover-conversation:b1')), 'browser-1');

  // 2. Socket blocked: the page polls the job endpoint instead.
  const polling = await browser.newPage();
  await polling.route('**/socket.io/**', (route) => route.abort());
  await polling.goto(`${sys.base}/?conversation=browser-2&user=b2`);
  await ask(polling, 'Hello without a socket', 'enter');
  await polling.waitForFunction((text) => {
    const all = document.querySelectorAll('.msg.assistant');
    const el = all[all.length - 1];
    return el && el.dataset.status === 'completed' && el.textContent === text;
  }, CHUNKS.join(''), { timeout: 20000 });
  assert.equal(await polling.textContent('#conn'), 'offline');
  // Shift+Enter starts a new line instead of sending.
  await polling.fill('#text', 'two');
  await polling.press('#text', 'Shift+Enter');
  assert.equal(await polling.inputValue('#text'), 'two\n');

  // 3. A failing job shows as a failure.
  await ask(page, 'break it [400]');
  await page.waitForFunction(() => {
    const all = document.querySelectorAll('.msg.assistant');
    const el = all[all.length - 1];
    return el && el.dataset.status === 'failed';
  }, null, { timeout: 60000 });
  const failedText = await page.locator('.msg.assistant').last().textContent();
  assert.match(failedText, /^Failed: .*400/);

  // 4. A reload shows the history.
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('.msg').length >= 2, null, { timeout: 10000 });
  const texts = await page.locator('.msg').allTextContents();
  assert.ok(texts.includes('Hello page'));
  assert.ok(texts.includes(CHUNKS.join('')));

  // 5. A reload while the answer is written: the question's job is followed again, and its
  // answer arrives (it showed only after a second reload).
  await ask(page, 'slowly [trickle]');
  await page.waitForFunction(() => {
    const all = document.querySelectorAll('.msg.assistant');
    return all[all.length - 1]?.dataset.jobId && !all[all.length - 1].dataset.done;
  }, null, { timeout: 10000 });
  await page.reload();
  await page.waitForFunction((text) => {
    const all = [...document.querySelectorAll('.msg')];
    const asked = all.findIndex((el) => el.textContent === 'slowly [trickle]');
    const after = all[asked + 1];
    return asked >= 0 && after && after.dataset.status === 'completed' && after.textContent === text;
  }, CHUNKS.join(''), { timeout: 30000 });
  const afterReload = await page.locator('.msg').allTextContents();
  assert.equal(afterReload.filter((t) => t === CHUNKS.join('')).length, 2, JSON.stringify(afterReload));

  // 6. Each user of this browser remembers a conversation of their own (the next user got
  // "Conversation not found" on every send).
  const profile = await browser.newContext();  // one browser profile: one localStorage
  const mine = async (user) => {
    const p = await profile.newPage();
    await p.goto(`${sys.base}/?user=${user}`);
    return p.evaluate((key) => localStorage.getItem(key), `drover-conversation:${user}`);
  };
  const first = await mine('u1');
  assert.ok(first);
  assert.notEqual(await mine('u2'), first);
  assert.equal(await mine('u1'), first);
});

test('with AUTH_MODE=jwt the chat page asks for a token, keeps it for the tab, and chats as its user', { timeout: 120000 }, async () => {
  const { HsIssuer } = await import('./tokens.mjs');
  const hs = new HsIssuer();
  const sys = await startSystem({ env: { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: hs.secret, WEBHOOK_SECRET: 'browser-secret-not-dev-0123456789abcdef0123456789' } });
  const browser = await openBrowser();

  // Without a token the page offers the sign-in field.
  const anonymous = await browser.newPage();
  await anonymous.goto(`${sys.base}/?conversation=jwt-page-0`);
  await anonymous.waitForSelector('#signin.shown', { timeout: 10000 });

  // A token in the address: removed from the address and only offered, naming whose it is
  // (a link must not sign anyone in unawares); once chosen, used for the socket and the API.
  const page = await browser.newPage();
  await page.goto(`${sys.base}/?conversation=jwt-page-1#token=${hs.token('paula')}`);
  await page.waitForSelector('#signin.shown', { timeout: 10000 });
  assert.equal(new URL(page.url()).hash, '', 'the token is gone from the address');
  assert.match(await page.$eval('#offer', (el) => el.textContent), /signs you in as "paula"/);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('drover-token')), null, 'not used before it is chosen');
  // A message typed before signing in waits (401), and is sent once she has: it was kept
  // under no one's name and never sent (a browser review).
  await ask(page, 'typed before signing in');
  await page.waitForFunction(() => /^Not sent yet: sign in/.test([...document.querySelectorAll('.msg.assistant')].pop()?.textContent ?? ''),
    null, { timeout: 10000 });
  await page.click('#signin button');
  await page.waitForSelector('#conn.live', { timeout: 10000 });
  assert.equal(await page.$eval('#who', (el) => el.textContent), 'signed in as paula');
  await ask(page, 'Hello with a token');
  await page.waitForFunction((text) => {
    const all = document.querySelectorAll('.msg.assistant');
    const el = all[all.length - 1];
    return el && el.dataset.status === 'completed' && el.textContent === text;
  }, CHUNKS.join(''), { timeout: 20000 });
  // The conversation is paula's: the API stored it under her token's subject.
  const owner = sys.db.query("SELECT user_id FROM conversations WHERE id = 'jwt-page-1'");
  assert.equal(owner, 'paula');
  const count = (sql) => Number(sys.db.query(sql));
  await waitFor(() => count("SELECT count(*) FROM messages WHERE conversation_id = 'jwt-page-1' AND role = 'assistant'") >= 2,
    { what: 'both messages answered' });
  assert.equal(count("SELECT count(*) FROM messages WHERE content = 'typed before signing in'"), 1);
  // A reload keeps the token (sessionStorage) and shows the history.
  await page.reload();
  await page.waitForSelector('#conn.live', { timeout: 10000 });
  await page.waitForFunction(() => document.querySelectorAll('.msg.user').length >= 1, null, { timeout: 10000 });
});

// A browser review lost what the user typed: a send refused while Redis was away (or the
// API, or with an expired token) was never sent again, and a reload forgot it. The page
// keeps it with its Idempotency-Key and sends it until the API takes it, once.
test('a message sent while Redis is away is sent again until it is answered, across a reload, once', { timeout: 120000 }, async () => {
  const sys = await startSystem();
  const browser = await openBrowser();
  const page = await browser.newPage();
  await page.goto(`${sys.base}/?conversation=outage-1&user=o1`);
  await page.waitForSelector('#conn.live', { timeout: 10000 });
  const lastAssistant = () => page.evaluate(() => {
    const all = document.querySelectorAll('.msg.assistant');
    const el = all[all.length - 1];
    return el ? { text: el.textContent, status: el.dataset.status || '' } : null;
  });

  sys.redis.proc.kill('SIGSTOP');
  onCleanup(() => sys.redis.proc.kill('SIGCONT'));
  await ask(page, 'asked during the outage');
  await page.waitForFunction(() => /^Not sent yet/.test([...document.querySelectorAll('.msg.assistant')].pop()?.textContent),
    null, { timeout: 15000 });
  // Still kept after a reload while Redis is away, shown once.
  await page.reload();
  await page.waitForFunction(() => /^(Not sent yet|sending)/.test([...document.querySelectorAll('.msg.assistant')].pop()?.textContent ?? ''),
    null, { timeout: 15000 });
  sys.redis.proc.kill('SIGCONT');
  await page.waitForFunction((text) => {
    const all = document.querySelectorAll('.msg.assistant');
    const el = all[all.length - 1];
    return el && el.dataset.status === 'completed' && el.textContent === text;
  }, CHUNKS.join(''), { timeout: 40000 });
  const texts = await page.locator('.msg').allTextContents();
  assert.equal(texts.filter((t) => t === 'asked during the outage').length, 1, JSON.stringify(texts));
  assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('drover-outbox:')).length), 0);
  // Answered once: one answer in the stored history.
  const history = await (await fetch(`${sys.base}/api/conversations/outage-1/messages`)).json();
  assert.equal(history.messages.filter((m) => m.role === 'assistant').length, 1, JSON.stringify(history.messages));
  assert.equal(history.messages.filter((m) => m.role === 'user').length, 1, JSON.stringify(history.messages));
  assert.ok(await lastAssistant());
});

// A long conversation showed its newest page with no way to the rest.
test('the chat page shows earlier messages on request', { timeout: 120000 }, async () => {
  const sys = await startSystem();
  for (const message of ['first', 'second', 'third']) {
    const res = await fetch(`${sys.base}/api/chat/send`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ conversationId: 'long-1', userId: 'l1', message }),
    });
    assert.equal(res.status, 200);
  }
  const browser = await openBrowser();
  const page = await browser.newPage();
  // Pages of two messages, so that three questions and their answers take three pages.
  await page.route('**/api/conversations/long-1/messages*', (route) => {
    const url = new URL(route.request().url());
    url.searchParams.set('limit', '2');
    route.continue({ url: url.toString() });
  });
  await page.waitForTimeout(0);
  await page.goto(`${sys.base}/?conversation=long-1&user=l1`);
  await page.waitForFunction(() => document.querySelectorAll('.msg').length >= 2, null, { timeout: 15000 });
  await page.waitForSelector('#earlier:not([hidden])', { timeout: 10000 });
  for (let i = 0; i < 5 && await page.isVisible('#earlier'); i++) {
    await page.click('#earlier');
    await page.waitForTimeout(300);
  }
  const users = await page.locator('.msg.user').allTextContents();
  assert.deepEqual(users, ['first', 'second', 'third']);
  assert.equal(await page.isVisible('#earlier'), false);
});
