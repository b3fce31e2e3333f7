// alert_receiver.mjs - a local stand-in for a Slack-compatible incoming webhook, for the
// alert tests: it records every message the Workers app's alerts post to it.
import http from 'node:http';
import { freePort } from './system.mjs';
import { onCleanup } from '../interop/support.mjs';

// Resolves to { port, messages, about(rule) }: messages as { path, contentType, body };
// about(rule), the messages of one rule, by the name in their text.
export async function startReceiver() {
  const messages = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      messages.push({ path: req.url, contentType: req.headers['content-type'], body: JSON.parse(body) });
      res.writeHead(200).end('ok');
    });
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  onCleanup(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
  const about = (rule) => messages.filter((m) => m.body.text.includes(`] ${rule} (`));
  return { port, messages, about };
}

// The Workers app's settings that post `rules` to `receiver`, evaluated every 200 ms.
export function alertEnv(receiver, rules) {
  return {
    ALERT_RULES: JSON.stringify(rules),
    ALERT_WEBHOOK_URL: `http://127.0.0.1:${receiver.port}/services/T0/B0/slack-token`,
    ALERT_INTERVAL_MS: '200',
    WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}`,
  };
}
