// workers.mjs - the three worker processes of a chaos run, drover's or BullMQ's, each one
// killable, stoppable and restartable by index. Their output goes to a file each.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// The command line of one worker of `peer` ('drover' or 'bullmq').
export function workerCommand(peer, { queue, url, lockMs, stalledMs, maxStalled, droverBin }) {
  if (peer === 'drover') {
    return [droverBin, ['worker', '--queue', queue, '--redis', url, '-c', '10', '--processor', 'chaos',
      '--lock-duration', String(lockMs), '--stalled-interval', String(stalledMs),
      '--max-stalled', String(maxStalled), '--dead-letter-queue', `${queue}-dlq`]];
  }
  return [process.execPath, [path.join(here, 'bullmq_worker.mjs'), queue, url, String(lockMs), String(stalledMs),
    String(maxStalled)]];
}

export class WorkerPool {
  constructor(command, count, logDir) {
    this.command = command;
    this.logDir = logDir;
    this.procs = new Array(count).fill(null);
    this.starts = 0;
  }

  get size() { return this.procs.length; }

  startAll() { for (let i = 0; i < this.procs.length; i++) this.start(i); }

  start(i) {
    const [bin, args] = this.command;
    const log = openSync(path.join(this.logDir, `worker-${i}.log`), 'a');
    const proc = spawn(bin, args, { stdio: ['ignore', log, log] });
    proc.gone = new Promise((r) => proc.once('exit', r));
    this.procs[i] = proc;
    this.starts += 1;
  }

  alive(i) {
    const p = this.procs[i];
    return p && p.exitCode === null && p.signalCode === null;
  }

  signal(i, sig) { if (this.alive(i)) this.procs[i].kill(sig); }

  // SIGKILL, wait for the exit, start again.
  async restart(i) {
    const p = this.procs[i];
    if (this.alive(i)) { p.kill('SIGKILL'); await p.gone; }
    this.start(i);
  }

  // SIGTERM everyone (SIGCONT first, in case one is stopped), SIGKILL after `graceMs`.
  async stopAll(graceMs = 10000) {
    await Promise.all(this.procs.map(async (p, i) => {
      if (!this.alive(i)) return;
      p.kill('SIGCONT');
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), graceMs);
      await p.gone;
      clearTimeout(t);
    }));
  }
}
