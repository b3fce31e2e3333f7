// browser.test.mjs - the chat page in headless Chromium (Debian's, driven by playwright-core):
// the answer streams in over Socket.IO, polling takes over when the socket is blocked, and a
// failed job shows as a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startSystem } from './system.mjs';
import { onCleanup, repoRoot } from '../interop/support.mjs';
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
  // A reload keeps the token (sessionStorage) and shows the history.
  await page.reload();
  await page.waitForSelector('#conn.live', { timeout: 10000 });
  await page.waitForFunction(() => document.querySelectorAll('.msg.user').length >= 1, null, { timeout: 10000 });
});
