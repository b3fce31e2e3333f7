// otlp_receiver.mjs - a small OTLP/HTTP (JSON) trace collector for the Node suites: it
// listens on a free loopback port, answers POST /v1/traces with 200 and keeps the spans,
// flattened ({service, traceId, spanId, parentSpanId, name, kind, status, attributes}).
import http from 'node:http';

export async function startOtlpReceiver() {
  const spans = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      try {
        for (const rs of JSON.parse(body).resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue;
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              const attributes = {};
              for (const a of s.attributes ?? []) attributes[a.key] = Object.values(a.value)[0];
              spans.push({ ...s, service, attributes });
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    spans,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
