// paced.mjs - an open-loop load generator: requests at a fixed rate, evenly spaced,
// whatever the answers do. autocannon's overallRate is a budget per second that each
// connection spends back to back at the start of the second, i.e. bursts at full
// concurrency, so its latencies at "1,000 req/s" are those of bursts; this sends one
// request every 1/rate seconds instead (in the small batches a 1 ms timer allows).
import http from 'node:http';
import { summarize } from './stats.mjs';

// Sends `rate` requests per second for `seconds` to url; returns {ok, failed, reqPerSec,
// p50, p99, max} (latency in ms from the request's start to its answer's end).
export function paced({ url, method = 'GET', headers = {}, body, rate, seconds }) {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const payload = body ? Buffer.from(body) : null;
  const hdrs = payload ? { ...headers, 'content-length': String(payload.length) } : headers;
  const total = Math.round(rate * seconds);
  const latencies = [];
  let sent = 0;
  let done = 0;
  let failed = 0;
  return new Promise((resolve) => {
    const t0 = performance.now();
    const finish = () => {
      if (done < total) return;
      agent.destroy();
      const elapsed = (performance.now() - t0) / 1000;
      const s = summarize(latencies);
      resolve({ ok: latencies.length, failed, reqPerSec: latencies.length / elapsed, p50: s.p50, p99: s.p99, max: s.max });
    };
    const one = () => {
      const start = performance.now();
      const req = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method, headers: hdrs, agent }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          if (res.statusCode >= 200 && res.statusCode < 300) latencies.push(performance.now() - start);
          else ++failed;
          ++done;
          finish();
        });
      });
      req.on('error', () => {
        ++failed;
        ++done;
        finish();
      });
      req.end(payload ?? undefined);
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      while (sent < due) {
        ++sent;
        one();
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
}
