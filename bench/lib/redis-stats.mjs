// redis-stats.mjs - what the cost benchmarks (finish-cost, add-cost) read from Redis around
// a run, and how they run their systems in turn.
import { median } from './stats.mjs';

// Redis's CPU time so far (user + sys), in seconds, from `INFO cpu`.
export async function redisCpuSeconds(client) {
  const info = await client.info('cpu');
  const field = (name) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)[1]);
  return field('used_cpu_sys') + field('used_cpu_user');
}

// {command: {calls, usec}} from `INFO commandstats` (Redis 7 counts the commands scripts call).
export async function commandStats(client) {
  const out = {};
  for (const m of (await client.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) {
    out[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  }
  return out;
}

// Runs every system once per repetition, the order rotating, printing each run's result
// as a JSON line; then prints the medians of `fields`, with new's ratio to base and to
// bullmq. Returns the runs by system.
export async function alternate(systems, reps, runOne, fields) {
  const runs = Object.fromEntries(systems.map((s) => [s, []]));
  for (let rep = 0; rep < reps; ++rep) {
    for (let i = 0; i < systems.length; ++i) {
      const system = systems[(i + rep) % systems.length];
      const r = await runOne(system, rep);
      console.log(JSON.stringify(r));
      runs[system].push(r);
    }
  }
  for (const f of fields) {
    const m = Object.fromEntries(systems.map((s) => [s, Number(median(runs[s].map((r) => r[f])).toFixed(3))]));
    console.log(JSON.stringify({ median: f, ...m, newOverBase: Number((m.new / m.base).toFixed(3)), newOverBullmq: Number((m.new / m.bullmq).toFixed(3)) }));
  }
  return runs;
}
