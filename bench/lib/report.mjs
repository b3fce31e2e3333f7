// report.mjs - the markdown tables (drover's ratio to each peer, the issue's targets)
// and the SVG charts of one benchmark run.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { barChart } from './charts.mjs';
import { LATENCY_SYSTEMS, OWN, SYSTEMS } from './systems.mjs';

const PEERS = ['bullmq', 'bee'];
const num = (v, digits = 0) => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');
const ratio = (d, p, lowerIsBetter) => (Number.isFinite(d) && Number.isFinite(p) && d > 0 && p > 0 ? `${(lowerIsBetter ? p / d : d / p).toFixed(2)}×` : 'n/a');

function row(label, bySystem, { digits = 0, lowerIsBetter = false } = {}) {
  const d = bySystem.drover;
  return `| ${label} | ${SYSTEMS.map((s) => num(bySystem[s], digits)).join(' | ')} | ${PEERS.map((p) => ratio(d, bySystem[p], lowerIsBetter)).join(' | ')} |`;
}

const header = (first) => [`| ${first} | ${SYSTEMS.join(' | ')} | ${PEERS.map((p) => `drover vs ${p}`).join(' | ')} |`,
  `|---|${SYSTEMS.map(() => '---:').join('|')}|${PEERS.map(() => '---:').join('|')}|`];
const pick = (block, key) => Object.fromEntries(SYSTEMS.map((s) => [s, block?.[s]?.median?.[key]]));

function modeTables(name, m) {
  const out = [`## Redis persistence: ${name === 'aof' ? 'AOF, appendfsync everysec' : 'none'}`, '',
    'Ratios: how many times better drover is (for times and CPU, peer ÷ drover; > 1× means drover is better).', ''];
  if (m.enqueue || m.processing) {
    out.push(...header('throughput (jobs/s)'));
    if (m.enqueue) out.push(row('bulk enqueue (batches of 1,000)', pick(m.enqueue, 'jobsPerSec')));
    for (const [label, block] of Object.entries(m.processing ?? {})) out.push(row(`processing, ${label} (processes × concurrency)`, pick(block, 'jobsPerSec')));
    out.push('');
  }
  const heavy = m.processing?.['1 × 100'];
  if (heavy) {
    out.push(...header('cost while draining (1 × 100)'));
    out.push(row('worker CPU µs per job', pick(heavy, 'workerCpuUsPerJob'), { digits: 1, lowerIsBetter: true }));
    out.push(row('Redis CPU µs per job', pick(heavy, 'redisCpuUsPerJob'), { digits: 1, lowerIsBetter: true }));
    out.push(row('Redis busy fraction', pick(heavy, 'redisBusy'), { digits: 2 }));
    out.push(row('worker peak RSS, MB', pick(heavy, 'workerPeakRssMB'), { digits: 1, lowerIsBetter: true }));
    out.push('');
  }
  for (const [rate, block] of Object.entries(m.latency ?? {})) out.push(...latencyTable(rate, block));
  if (m.delayed) {
    out.push(...header('delayed jobs (100 ms..2 s): lateness, ms'));
    for (const k of ['p50', 'p99', 'max']) out.push(row(k, pick(m.delayed, k), { digits: 1, lowerIsBetter: true }));
    out.push('');
  }
  if (m.api) out.push(...apiTable(m.api));
  if (m.cpu) {
    out.push('| CPU-heavy case (8 jobs × 3 s CPU, lock 2 s, concurrency 4, a Node stalled check every 1 s) | ' + SYSTEMS.join(' | ') + ' |');
    out.push(`|---|${SYSTEMS.map(() => '---:').join('|')}|`);
    for (const k of ['lostLocks', 'doubleExecutions', 'completed']) out.push(`| ${k} | ${SYSTEMS.map((s) => num(m.cpu[s]?.median?.[k])).join(' | ')} |`);
    out.push('');
  }
  return out;
}

// Latency at one offered rate: drover with BullMQ's producer and observer (Node) and
// with its own (drover_bench latency), each compared with BullMQ and bee-queue; then
// what a job costs Redis and the worker at that rate.
const LATENCY_LABELS = { drover: "drover, BullMQ's producer", [OWN]: 'drover, own producer and observer', bullmq: 'bullmq', bee: 'bee' };
const OURS = ['drover', OWN];
function latencyTable(rate, block) {
  const values = (key) => Object.fromEntries(LATENCY_SYSTEMS.map((s) => [s, block?.[s]?.median?.[key]]));
  const ratios = OURS.flatMap((d) => PEERS.map((p) => ({ d, p })));
  const line = (label, key, digits) => {
    const v = values(key);
    return `| ${label} | ${LATENCY_SYSTEMS.map((s) => num(v[s], digits)).join(' | ')} | ${ratios.map(({ d, p }) => ratio(v[d], v[p], true)).join(' | ')} |`;
  };
  const out = [
    `| add → complete at ${rate} jobs/s | ${LATENCY_SYSTEMS.map((s) => LATENCY_LABELS[s]).join(' | ')} | ${ratios.map(({ d, p }) => `${d === OWN ? 'drover (own)' : 'drover'} vs ${p}`).join(' | ')} |`,
    `|---|${LATENCY_SYSTEMS.map(() => '---:').join('|')}|${ratios.map(() => '---:').join('|')}|`,
  ];
  for (const k of ['p50', 'p95', 'p99', 'max']) out.push(line(`${k}, ms`, k, 2));
  out.push(line('Redis CPU µs per job (incl. producer and observer)', 'redisCpuUsPerJob', 0));
  out.push(line('worker CPU µs per job', 'workerCpuUsPerJob', 0));
  const bull = values('redisCpuUsPerJob').bullmq;
  const pct = (s) => (Number.isFinite(bull) && bull > 0 ? `${Math.round((100 * values('redisCpuUsPerJob')[s]) / bull)} %` : 'n/a');
  out.push(`| Redis CPU per job, % of BullMQ's | ${LATENCY_SYSTEMS.map(pct).join(' | ')} | ${ratios.map(() => '').join(' | ')} |`);
  out.push('');
  return out;
}

// The API part: drover api against the Express peer.
const API_PEER = 'express';
const API_SYSTEMS = ['drover', API_PEER];
const apiPick = (block, key) => Object.fromEntries(API_SYSTEMS.map((s) => [s, block?.[s]?.median?.[key]]));
const API_ROWS = [
  ['POST /api/chat/send at saturation, req/s', 'sendReqPerSec', 0, false],
  ['  its latency p50, ms', 'sendP50', 2, true],
  ['  its latency p99, ms', 'sendP99', 2, true],
  ['  API process CPU µs per request', 'sendServerCpuUsPerReq', 0, true],
  ['  API process CPU, cores in use', 'sendServerCores', 2, undefined],
  ['  Redis CPU µs per request', 'sendRedisCpuUsPerReq', 0, true],
  ['  PostgreSQL CPU µs per request', 'sendPgCpuUsPerReq', 0, true],
  ['  load generator (autocannon) CPU, cores', 'sendLoadGenCores', 2, undefined],
  ['GET /api/chat/job/:id at saturation, req/s', 'jobReqPerSec', 0, false],
  ['  its latency p99, ms', 'jobP99', 2, true],
  ['  API process CPU µs per request', 'jobServerCpuUsPerReq', 0, true],
  ['  Redis CPU µs per request', 'jobRedisCpuUsPerReq', 0, true],
  ['  load generator (autocannon) CPU, cores', 'jobLoadGenCores', 2, undefined],
  ['POST /api/chat/send offered 1,000 req/s: achieved req/s', 'fixedReqPerSec', 0, false],
  ['  latency p50, ms', 'fixedP50', 2, true],
  ['  latency p99, ms', 'fixedP99', 2, true],
  ['  API process CPU µs per request', 'fixedServerCpuUsPerReq', 0, true],
  ['API process peak RSS, MB', 'peakRssMB', 1, true],
  ['failed requests (non-2xx + errors, all phases)', 'failed', 0, undefined],
];

function apiTable(api) {
  const o = api.options ?? {};
  const out = [`## API: \`drover api\` vs the Express + BullMQ + Socket.IO peer (PostgreSQL, no workers running)`, '',
    `autocannon, ${o.connections} connections at saturation, ${o.seconds} s per phase; ` +
    `the fixed rate is open-loop, evenly spaced (bench/lib/paced.mjs), on a fresh server. Ratio: > 1× means drover is better.`, '',
    `| figure | drover | express peer | drover vs express |`, '|---|---:|---:|---:|'];
  for (const [label, key, digits, lowerIsBetter] of API_ROWS) {
    const v = apiPick(api, key);
    if (key === 'failed') {
      for (const s of API_SYSTEMS) v[s] = (api[s]?.runs ?? []).reduce((n, r) => n + r.sendNon2xx + r.sendErrors + r.jobNon2xx + r.jobErrors + r.fixedNon2xx + r.fixedErrors, 0);
    }
    const ratioCell = lowerIsBetter === undefined ? '' : ratio(v.drover, v[API_PEER], lowerIsBetter);
    out.push(`| ${label} | ${num(v.drover, digits)} | ${num(v[API_PEER], digits)} | ${ratioCell} |`);
  }
  out.push('');
  return out;
}

// The issue's targets, each with the measured value and whether it is met.
function targets(results) {
  const rows = ['## Targets (issues 5 and 15)', '', '| target | measured | met |', '|---|---|:-:|'];
  const add = (name, measured, ok) => rows.push(`| ${name} | ${measured} | ${ok === undefined ? '?' : ok ? 'yes' : '**no**'} |`);
  for (const [mode, m] of Object.entries(results.modes)) {
    const p = m.processing?.['1 × 100'];
    if (p) {
      const d = p.drover.median.jobsPerSec;
      const b = p.bullmq.median.jobsPerSec;
      const beeBest = Math.max(...Object.values(m.processing).map((x) => x.bee.median.jobsPerSec));
      add(`[${mode}] processing 1 × 100 ≥ 2× BullMQ`, `${num(d)} vs ${num(b)} jobs/s = ${(d / b).toFixed(2)}×`, d >= 2 * b);
      add(`[${mode}] processing 1 × 100 > bee-queue's best configuration`, `${num(d)} vs ${num(beeBest)} jobs/s = ${(d / beeBest).toFixed(2)}×`, d > beeBest);
      if (mode === 'none') {
        const wc = p.drover.median.workerCpuUsPerJob;
        const wb = p.bullmq.median.workerCpuUsPerJob;
        add('worker CPU per job ≤ 1/10 of BullMQ\'s', `${num(wc, 1)} vs ${num(wb, 1)} µs = ${(wc / wb).toFixed(3)}`, wc <= wb / 10);
        const rc = p.drover.median.redisCpuUsPerJob;
        const rb = p.bullmq.median.redisCpuUsPerJob;
        add('Redis CPU per job ≤ 60% of BullMQ\'s', `${num(rc, 1)} vs ${num(rb, 1)} µs = ${Math.round((100 * rc) / rb)}%`, rc <= 0.6 * rb);
        add('Redis ≥ 90% busy while draining', `${Math.round(100 * p.drover.median.redisBusy)}%`, p.drover.median.redisBusy >= 0.9);
        add('worker RSS ≤ 20 MB (100 concurrent no-op jobs)', `${num(p.drover.median.workerPeakRssMB, 1)} MB`, p.drover.median.workerPeakRssMB <= 20);
      }
    }
    if (m.enqueue && mode === 'none') {
      const d = m.enqueue.drover.median.jobsPerSec;
      const b = m.enqueue.bullmq.median.jobsPerSec;
      add('bulk enqueue ≥ 2× BullMQ', `${num(d)} vs ${num(b)} jobs/s = ${(d / b).toFixed(2)}×`, d >= 2 * b);
    }
    if (m.latency && mode === 'none') {
      const own = m.latency[1000]?.[OWN]?.median;
      if (own) {
        add('latency at 1,000/s, own producer and observer: p50 ≤ 0.4 ms', `${num(own.p50, 2)} ms`, own.p50 <= 0.4);
        add('latency at 1,000/s, own producer and observer: p99 ≤ 1.5 ms', `${num(own.p99, 2)} ms`, own.p99 <= 1.5);
      }
      const l1 = m.latency[1000]?.drover.median;
      if (l1) {
        add('latency at 1,000/s, BullMQ\'s producer (kept for comparison): p50 / p99', `${num(l1.p50, 2)} / ${num(l1.p99, 2)} ms`, undefined);
      }
      const steady = m.latency[1000];
      const rb = steady?.bullmq?.median.redisCpuUsPerJob;
      for (const s of OURS) {
        const rc = steady?.[s]?.median.redisCpuUsPerJob;
        if (Number.isFinite(rc) && Number.isFinite(rb)) {
          add(`Redis CPU per job at a steady 1,000/s ≤ 60% of BullMQ's (${LATENCY_LABELS[s]})`, `${num(rc)} vs ${num(rb)} µs = ${Math.round((100 * rc) / rb)}%`, rc <= 0.6 * rb);
        }
      }
      const l5 = m.latency[5000];
      if (l5) {
        const d = l5.drover.median.p99;
        const b = l5.bullmq.median.p99;
        add('latency at 5,000/s: p99 ≤ 1/3 of BullMQ\'s', `${num(d, 2)} vs ${num(b, 2)} ms = ${(d / b).toFixed(2)}`, d <= b / 3);
      }
    }
    if (m.delayed) {
      const d = m.delayed.drover.median;
      add('delayed jobs: median lateness < 5 ms', `${num(d.p50, 1)} ms`, d.p50 < 5);
      add('delayed jobs: p99 lateness < 20 ms', `${num(d.p99, 1)} ms`, d.p99 < 20);
    }
    if (m.api) {
      const d = m.api.drover.median;
      const e = m.api[API_PEER].median;
      add('API: POST /api/chat/send ≥ 5× the Express peer\'s req/s', `${num(d.sendReqPerSec)} vs ${num(e.sendReqPerSec)} req/s = ${(d.sendReqPerSec / e.sendReqPerSec).toFixed(2)}×`,
        d.sendReqPerSec >= 5 * e.sendReqPerSec);
      const kept = d.fixedReqPerSec >= 0.98 * m.api.options.rate;
      add('API: p99 < 5 ms at 1,000 req/s', `${num(d.fixedP99, 2)} ms` + (kept ? '' : ` (only ${num(d.fixedReqPerSec)} req/s achieved)`), kept && d.fixedP99 < 5);
    }
    if (m.cpu) {
      const d = m.cpu.drover.median;
      add('CPU-heavy case: zero lost locks, zero double executions', `${d.lostLocks} lost, ${d.doubleExecutions} double`, d.lostLocks === 0 && d.doubleExecutions === 0);
    }
  }
  return rows;
}

export function writeReport(results, base) {
  const name = path.basename(base);
  const lines = [`# drover benchmark, ${results.date}`, '',
    `Machine: ${results.machine.cpus} cores (${results.machine.model}), ${results.machine.memGB} GB, Linux ${results.machine.kernel}, ` +
    `Node ${results.machine.node}, Redis ${results.redisVersion}; ${results.machine.note} ` +
    (results.machine.loadavgAtStart.length ? `(load average at start ${results.machine.loadavgAtStart.map((x) => x.toFixed(1)).join(', ')}). ` : '') +
    `${results.options.jobs.toLocaleString('en-US')} no-op jobs per run, median of ${results.options.reps}.`, ''];
  for (const u of results.updates ?? []) lines.push(`Re-run on ${u.date} (median of ${u.reps}): ${u.parts.join(', ')}.`, '');
  lines.push(...targets(results), '');
  for (const [mode, m] of Object.entries(results.modes)) lines.push(...modeTables(mode, m));
  const charts = [];
  for (const [mode, m] of Object.entries(results.modes)) {
    if (m.processing || m.enqueue) {
      const groups = [];
      if (m.enqueue) groups.push({ label: 'bulk enqueue', values: pick(m.enqueue, 'jobsPerSec') });
      for (const [label, block] of Object.entries(m.processing ?? {})) groups.push({ label, values: pick(block, 'jobsPerSec') });
      const file = `${name}-throughput-${mode}.svg`;
      writeFileSync(path.join(path.dirname(base), file), barChart({ title: `Throughput, persistence: ${mode}`, unit: 'jobs/s', groups, systems: SYSTEMS }));
      charts.push(file);
    }
    if (m.latency) {
      const groups = [];
      for (const [rate, block] of Object.entries(m.latency)) {
        for (const k of ['p50', 'p95', 'p99']) groups.push({ label: `${rate}/s ${k}`, values: Object.fromEntries(LATENCY_SYSTEMS.map((s) => [s, block?.[s]?.median?.[k]])) });
      }
      const file = `${name}-latency-${mode}.svg`;
      writeFileSync(path.join(path.dirname(base), file), barChart({ title: `add → complete latency, persistence: ${mode}`, unit: 'ms', groups, systems: LATENCY_SYSTEMS }));
      charts.push(file);
    }
  }
  const api = results.modes.none?.api;
  if (api) {
    const groups = [
      { label: 'POST send, req/s', values: apiPick(api, 'sendReqPerSec') },
      { label: 'GET job, req/s', values: apiPick(api, 'jobReqPerSec') },
    ];
    const file = `${name}-api-throughput.svg`;
    writeFileSync(path.join(path.dirname(base), file), barChart({ title: 'API at saturation (no workers running)', unit: 'requests/s', groups, systems: API_SYSTEMS }));
    charts.push(file);
    const lat = [
      { label: 'send p50 at 1,000/s', values: apiPick(api, 'fixedP50') },
      { label: 'send p99 at 1,000/s', values: apiPick(api, 'fixedP99') },
      { label: 'send p99 at saturation', values: apiPick(api, 'sendP99') },
    ];
    const latFile = `${name}-api-latency.svg`;
    writeFileSync(path.join(path.dirname(base), latFile), barChart({ title: 'POST /api/chat/send latency', unit: 'ms', groups: lat, systems: API_SYSTEMS }));
    charts.push(latFile);
  }
  lines.push('## Charts', '', ...charts.map((c) => `![${c}](${c})`), '');
  writeFileSync(`${base}.md`, lines.join('\n'));
}
