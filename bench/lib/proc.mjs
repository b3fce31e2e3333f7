// proc.mjs - child processes of the benchmark and what /proc says about them.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

const children = new Set();

// Starts a process and remembers it so that killAll() can end it. `as`: {uid, gid} to run
// it as another user (PostgreSQL refuses to run as root).
export function start(cmd, args, { env, quiet = true, onLine, as } = {}) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...as });
  children.add(child);
  child.output = '';
  const take = (chunk) => {
    const text = chunk.toString();
    child.output += text;
    if (child.output.length > 1 << 20) child.output = child.output.slice(-(1 << 19));
    if (onLine) for (const line of text.split('\n')) if (line) onLine(line);
    if (!quiet) process.stderr.write(text);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    children.delete(child);
    resolve({ code, signal });
  }));
  return child;
}

// Ends one process: `signal` (SIGTERM), then SIGKILL if it is still there after `graceMs`.
export async function stop(child, graceMs = 3000, signal = 'SIGTERM') {
  if (!children.has(child)) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export async function killAll() {
  await Promise.all([...children].map((c) => stop(c, 1000)));
}

// Runs a process to its end and returns its stdout; throws with its output when it fails.
export async function run(cmd, args, opts) {
  const child = start(cmd, args, opts);
  const { code, signal } = await child.exited;
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} ended with ${code ?? signal}:\n${child.output}`);
  return child.output;
}

const TICKS_PER_SECOND = 100; // CLK_TCK on Linux

// User + system CPU time of a process (all its threads), µs.
export function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
}

// Peak resident set size (VmHWM), MB.
export function peakRssMB(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
