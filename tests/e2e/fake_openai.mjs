// fake_openai.mjs - a local OpenAI-compatible Chat Completions server for the tests.
// It streams known chunks, and misbehaves on request: the last user message decides.
//   "[429]"       first request of that message: 429 with Retry-After: 1, then normal
//   "[500]"       always 500
//   "[400]"       always 400 with an OpenAI-style error body
//   "[401]"       always 401, its message quoting the Authorization header and an internal host
//   "[malformed]" a stream chunk that is not JSON
//   "[hang]"      accepts the request and never answers
//   "[slow]"      first request of that message: 3 s between chunks (18 s in all), then normal
//   "[trickle]"   always 400 ms between chunks (2.4 s in all): a slow model that never falls silent
//   "[endless]"   streams 4 kB chunks without pause until the client goes away
//   "[longline]"  one "data:" line that never ends, until the client goes away
import http from 'node:http';

export const CHUNKS = ['Hello', ' from', ' the', ' fake', ' model', '.'];

export async function startFakeOpenAI() {
  const requests = [];
  const seen = new Map();
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      let parsed = {};
      try { parsed = JSON.parse(body); } catch { /* recorded as is */ }
      requests.push({ url: req.url, headers: req.headers, body: parsed });
      const last = [...(parsed.messages || [])].reverse().find((m) => m.role === 'user')?.content || '';
      const count = (seen.get(last) || 0) + 1;
      seen.set(last, count);
      if (req.url !== '/v1/chat/completions') { res.writeHead(404).end(); return; }
      if (last.includes('[hang]')) return;
      if (last.includes('[500]')) { res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"upstream exploded"}}'); return; }
      if (last.includes('[401]')) {
        const message = `Incorrect API key provided: ${req.headers.authorization} at internal host ai-gw.internal:8443`;
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message } }));
        return;
      }
      if (last.includes('[400]')) { res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad model name"}}'); return; }
      if (last.includes('[429]') && count === 1) {
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":{"message":"slow down"}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      if (last.includes('[endless]') || last.includes('[longline]')) {
        const line = last.includes('[endless]');
        if (!line) res.write('data: {"choices":[{"delta":{"content":"');
        const piece = 'x'.repeat(4096);
        const chunk = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: piece } }] })}\n\n`;
        while (!res.destroyed && !res.writableEnded) {
          if (!res.write(line ? chunk : piece)) await new Promise((r) => res.once('drain', r).once('close', r));
        }
        return;
      }
      for (const piece of CHUNKS) {
        const chunk = { id: 'c1', object: 'chat.completion.chunk', model: parsed.model, choices: [{ index: 0, delta: { content: piece } }] };
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        if (last.includes('[malformed]')) { res.write('data: {not json\n\n'); break; }
        const pause = last.includes('[slow]') && count === 1 ? 3000 : last.includes('[trickle]') ? 400 : 15;
        await new Promise((r) => setTimeout(r, pause));
        if (res.destroyed) return;
      }
      res.end('data: [DONE]\n\n');
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
