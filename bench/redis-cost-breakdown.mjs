#!/usr/bin/env node
// redis-cost-breakdown.mjs - where Redis's CPU per job goes (issue 15): `INFO commandstats`
// (commands called from Lua included) and `INFO cpu` around BullMQ's bulk add and around
// a drain of no-op jobs by drover's worker and by BullMQ's Node worker, on one fresh
// redis-server, alternating; optionally a `perf record` of redis-server during one more
// drain per worker; with --lean-prototype also a drain by src/lua/prototypes/leanFinish.lua.
// Prints one JSON line per run, then per-job medians and spreads.
//   node bench/redis-cost-breakdown.mjs [--drover build/apps/cli/drover] [--jobs 50000]
//        [--concurrency 100] [--reps 3] [--perf DIR] [--lean-prototype]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { cpuMicros as processCpuMicros, killAll, start, stop, sleep } from './lib/proc.mjs';
import { startRedis } from './lib/redis-server.mjs';
import { benchDir, bulkEnqueue, droverBin, startWorker } from './lib/systems.mjs';

const a = parseArgs();
const jobs = Number(a.jobs ?? 50000);
const concurrency = Number(a.concurrency ?? 100);
const reps = Number(a.reps ?? 3);
const drover = a.drover ? path.resolve(String(a.drover)) : droverBin;
const perfDir = a.perf ? path.resolve(String(a.perf)) : null;
// `lean`: src/lua/prototypes/leanFinish.lua, the 17-call floor of a finish script (a
// measuring aid, not drover's).
const systems = ['drover', 'bullmq', ...(a['lean-prototype'] ? ['lean'] : [])];
const redisBinary = () => execFileSync('sh', ['-c', 'readlink -f "$(command -v redis-server)"'], { encoding: 'utf8' }).trim();

// {command: {calls, usec}} from `INFO commandstats`.
async function commandStats(client) {
  const out = {};
  for (const m of (await client.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) {
    out[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  }
  return out;
}

async function cpuMicros(client) {
  const info = await client.info('cpu');
  const field = (name) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)[1]);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1e6;
}

// Runs `body` between a stats reset and a read of the counters; returns per-job figures.
// The benchmark's own `INFO` calls are left out (they are not the systems'), its completion
// polls are subtracted from ZCARD and counted in `pollCalls`.
async function measured(redis, body) {
  await redis.client.config('resetstat');
  const cpu0 = await cpuMicros(redis.client);
  const t0 = performance.now();
  const extra = await body();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (await cpuMicros(redis.client)) - cpu0;
  const stats = await commandStats(redis.client);
  delete stats.info;
  if (extra.pollCalls && stats.zcard) {
    // The benchmark's own completion polls, at the average ZCARD cost.
    const usec = (stats.zcard.usec * Math.min(extra.pollCalls, stats.zcard.calls)) / stats.zcard.calls;
    stats.zcard = { calls: stats.zcard.calls - extra.pollCalls, usec: stats.zcard.usec - usec };
  }
  const perJob = Object.fromEntries(Object.entries(stats).map(([c, s]) => [c, { calls: s.calls / jobs, usec: s.usec / jobs }]));
  return { seconds, jobsPerSecond: jobs / seconds, redisCpuMicrosPerJob: cpu / jobs, ...scriptShares(perJob, cpu / jobs), commands: perJob, ...extra };
}

// Commands the workers and producer send outside scripts (all others run inside them).
const OUTSIDE_SCRIPTS = /^(eval|evalsha|bzpopmin|client\||script\||config\||quit|hello|ping|select)$/;

// Splits Redis's CPU per job: script time (EVALSHA's usec, which includes the commands it
// calls), the commands inside, the remainder of the script (Lua, argument and reply
// conversion), and what is outside script execution (I/O, parsing, dispatch). Command
// times are wall-clock, CPU is CPU time: on a busy machine the first can exceed the second.
function scriptShares(perJob, cpuPerJob) {
  const script = (perJob.evalsha?.usec ?? 0) + (perJob.eval?.usec ?? 0);
  const inside = Object.entries(perJob).filter(([c]) => !OUTSIDE_SCRIPTS.test(c));
  const commandMicros = inside.reduce((t, [, s]) => t + s.usec, 0);
  return {
    scriptMicrosPerJob: script,
    commandCallsPerJob: inside.reduce((t, [, s]) => t + s.calls, 0),
    commandMicrosPerJob: commandMicros,
    scriptRemainderMicrosPerJob: script - commandMicros,
    outsideScriptMicrosPerJob: cpuPerJob - script,
  };
}

function startPerf(pid, file) {
  return start('perf', ['record', '-g', '-F', '999', '-o', file, '-p', String(pid)]);
}

// Lua's own functions are not exported by a stripped redis-server: an unsymbolised address
// between the first and last exported Lua symbol (lua_*, luaL_*, luaopen_*, cmsgpack's mp_*)
// is taken to be Lua's (the VM, tables, strings, GC, cjson, cmsgpack).
function luaAddressRange(binary) {
  const out = execFileSync('nm', ['-D', '--defined-only', binary], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const addrs = [...out.matchAll(/^([0-9a-f]+) \w (?:lua_|luaL_|luaopen_|mp_)\w*$/gm)].map((m) => parseInt(m[1], 16));
  return [Math.min(...addrs), Math.max(...addrs)];
}

const CATEGORIES = [
  ['Lua interpreter and its libraries (cjson, cmsgpack)', (dso, sym, lua) => /^(lua_|luaL_|luaopen_|mp_|json_|strbuf_|fpconv_)/.test(sym) || lua(sym)],
  ['Redis-Lua bridge (arguments, replies, script calls)', (dso, sym) => /^(lua[A-Z]|redisProtocolToLuaType|scriptCall|script[A-Z]|evalGeneric|evalSha|freeLuaRedisArgv)/.test(sym)],
  ['number <-> string (libc printf/strtod)', (dso, sym) => /printf|hack_digit|strtod|__mpn_|fpconv|round_and_return|str_to_mpn/.test(sym)],
  ['key, field and command lookups (dict, siphash)', (dso, sym) => /^(dict|siphash|lookupKey|lookupCommand|expireIfNeeded|getExpire)/.test(sym)],
  ['memory allocation (jemalloc, zmalloc)', (dso, sym) => /jemalloc/.test(dso) || /^(zmalloc|zfree|zrealloc|ztrymalloc|zcalloc)/.test(sym)],
  ['timing and latency histograms', (dso, sym) => /vdso/.test(dso) || /^(hdr_|ustime|mstime|getMonotonicUs|updateCommandLatencyHistogram)/.test(sym)],
  ['kernel (socket I/O, scheduling)', (dso) => /kernel/.test(dso)],
  ['other libc (memcpy, strcmp, ...)', (dso) => /libc/.test(dso)],
  ['other Redis code (command bodies, listpack, streams, replies)', () => true],
];

// Shares of redis-server's samples by category, and its top symbols.
function perfProfile(file, binary) {
  const [lo, hi] = luaAddressRange(binary);
  const lua = (sym) => /^0x[0-9a-f]+$/.test(sym) && parseInt(sym, 16) >= lo && parseInt(sym, 16) <= hi;
  const report = execFileSync('perf', ['report', '-i', file, '--stdio', '--no-children', '--sort', 'dso,symbol', '-g', 'none',
    '--percent-limit', '0'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 });
  const rows = [...report.matchAll(/^\s+([0-9.]+)%\s+(\S+)\s+\[[.k]\]\s+(\S+)/gm)].map((m) => ({ pct: Number(m[1]), dso: m[2], sym: m[3] }));
  const categories = Object.fromEntries(CATEGORIES.map(([name]) => [name, 0]));
  for (const r of rows) categories[CATEGORIES.find(([, test]) => test(r.dso, r.sym, lua))[0]] += r.pct;
  for (const k of Object.keys(categories)) categories[k] = Number(categories[k].toFixed(1));
  const samples = /^# Samples: (\S+)/m.exec(report)?.[1];
  return { samples, categories, top: rows.slice(0, 25).map((r) => `${r.pct.toFixed(2)}% ${r.dso} ${lua(r.sym) ? `${r.sym} (Lua)` : r.sym}`) };
}

async function drain(system, redis, queue, perfFile) {
  if (system === 'lean') {
    const perf = perfFile ? startPerf(redis.pid, perfFile) : null;
    try {
      return await leanDrain(redis, queue);
    } finally {
      if (perf) await stop(perf, 10000, 'SIGINT');
    }
  }
  const worker = system === 'bullmq'
    ? startWorker('bullmq', redis, queue, { concurrency })
    : start(drover, ['worker', '-q', queue, '-p', 'noop', '-c', String(concurrency), '--redis', redis.url]);
  const perf = perfFile ? startPerf(redis.pid, perfFile) : null;
  let pollCalls = 0;
  try {
    for (;;) {
      ++pollCalls;
      if ((await redis.client.zcard(`bull:${queue}:completed`)) >= jobs) break;
      await sleep(50);
    }
    // The worker's own CPU (all its threads) over the drain, for the two-core arithmetic.
    return { pollCalls, workerCpuMicrosPerJob: processCpuMicros(worker.pid) / jobs };
  } finally {
    if (perf) await stop(perf, 10000, 'SIGINT');
    await stop(worker);
  }
}

// The drain by src/lua/prototypes/leanFinish.lua, driven from this process: `concurrency`
// loops, each finishing its job and getting the next in one call (no-op processing).
async function leanDrain(redis, queue) {
  const prefix = `bull:${queue}:`;
  const keys = ['wait', 'active', 'events', 'stalled', 'delayed', 'meta', 'completed', 'marker'].map((k) => prefix + k);
  const sha = await redis.client.script('load', readFileSync(path.join(benchDir, '..', 'src', 'lua', 'prototypes', 'leanFinish.lua'), 'utf8'));
  const cpu0 = process.cpuUsage();
  const loop = async (slot) => {
    const call = (jobId) => redis.client.evalsha(sha, keys.length, ...keys, prefix, jobId, String(Date.now()), 'null', `lean-${slot}`, '30000');
    for (let reply = await call(''); Array.isArray(reply);) reply = await call(reply[1]);
  };
  await Promise.all(Array.from({ length: concurrency }, (_, slot) => loop(slot)));
  const done = await redis.client.zcard(`${prefix}completed`);
  if (done !== jobs) throw new Error(`the lean prototype completed ${done} of ${jobs} jobs`);
  const cpu = process.cpuUsage(cpu0);
  return { workerCpuMicrosPerJob: (cpu.user + cpu.system) / jobs };
}

async function run(system, redis, rep, perfFile) {
  await redis.client.flushall();
  const queue = `breakdown-${system}-${rep}`;
  const producer = await measured(redis, async () => {
    await bulkEnqueue('bullmq', redis, queue, jobs);
    return {};
  });
  const consumer = await measured(redis, () => drain(system, redis, queue, perfFile));
  return { system, rep, jobs, concurrency, producer, consumer };
}

// What one redis.call costs a script beyond the command's own usec (moving the arguments
// into Redis, dispatch, timing, the reply back into Lua): EVAL of a loop of `calls` HGETs
// or 10-argument HMGETs of a small hash, minus the commands' usec, per call; `calls` 0 is
// the fixed cost of an EVAL of a tiny script.
async function calibrate(redis) {
  const body = (cmd) => `for i = 1, tonumber(ARGV[1]) do redis.call(${cmd}) end return 0`;
  const variants = { hget: body('"HGET", KEYS[1], "f"'), hmget10: body('"HMGET", KEYS[1], "f", "g", "h", "f", "g", "h", "f", "g", "h"') };
  await redis.client.flushall();
  await redis.client.hset('calibration', 'f', '1', 'g', '2', 'h', '3');
  const out = {};
  for (const [name, script] of Object.entries(variants)) {
    for (const calls of [0, 100]) {
      const evals = calls ? 2000 : 20000;
      await redis.client.config('resetstat');
      for (let i = 0; i < evals; i += 100) {
        await Promise.all(Array.from({ length: 100 }, () => redis.client.eval(script, 1, 'calibration', calls)));
      }
      const stats = await commandStats(redis.client);
      const cmd = stats[name === 'hget' ? 'hget' : 'hmget'] ?? { usec: 0 };
      out[`${name}x${calls}`] = {
        evalMicros: stats.eval.usec / evals,
        perCallMicros: calls ? stats.eval.usec / (evals * calls) : null,
        commandMicrosPerCall: calls ? cmd.usec / (evals * calls) : null,
        overheadMicrosPerCall: calls ? (stats.eval.usec - cmd.usec) / (evals * calls) : null,
      };
    }
  }
  return out;
}

const redis = await startRedis('none');
const runs = [];
try {
  for (let rep = 0; rep < reps; ++rep) {
    for (let i = 0; i < systems.length; ++i) {
      const r = await run(systems[(i + rep) % systems.length], redis, rep, null);
      console.log(JSON.stringify(r));
      runs.push(r);
    }
  }
  console.log(JSON.stringify({ calibration: await calibrate(redis) }));
  if (perfDir) {
    mkdirSync(perfDir, { recursive: true });
    for (const system of systems) {
      const file = path.join(perfDir, `redis-${system}.perf.data`);
      await run(system, redis, 'perf', file);
      console.log(JSON.stringify({ perf: system, ...perfProfile(file, redisBinary()) }));
    }
  }
} finally {
  await redis.stop();
  await killAll();
}

// Medians and [min, max] per job of every figure, per system and side.
const spread = (values) => {
  const s = [...values].sort((x, y) => x - y);
  const r = (v) => Number(v.toFixed(3));
  return { median: r(s[Math.floor(s.length / 2)]), min: r(s[0]), max: r(s[s.length - 1]) };
};
for (const system of systems) {
  const mine = runs.filter((r) => r.system === system);
  for (const side of ['producer', 'consumer']) {
    const names = [...new Set(mine.flatMap((r) => Object.keys(r[side].commands)))].sort();
    const commands = Object.fromEntries(names.map((c) => [c, {
      calls: spread(mine.map((r) => r[side].commands[c]?.calls ?? 0)),
      usec: spread(mine.map((r) => r[side].commands[c]?.usec ?? 0)),
    }]));
    console.log(JSON.stringify({
      summary: system, side,
      jobsPerSecond: spread(mine.map((r) => r[side].jobsPerSecond)),
      ...Object.fromEntries(['redisCpuMicrosPerJob', 'scriptMicrosPerJob', 'commandCallsPerJob', 'commandMicrosPerJob',
        'scriptRemainderMicrosPerJob', 'outsideScriptMicrosPerJob', 'workerCpuMicrosPerJob'].filter((f) => f in mine[0][side]).map((f) => [f, spread(mine.map((r) => r[side][f]))])),
      commands,
    }));
  }
}
