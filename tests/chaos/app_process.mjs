// app_process.mjs - one of drover's apps (`drover api`, `drover workers`) in a chaos run:
// started with the run's environment, killable and restartable, its output in a file.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class AppProcess {
  constructor({ bin, command, env, readyUrl, logDir }) {
    Object.assign(this, { bin, command, env, readyUrl, logDir, proc: null, starts: 0 });
  }

  // Starts the app and waits for its /readyz (Redis and the database both answer).
  async start() {
    const log = openSync(path.join(this.logDir, `${this.command}.log`), 'a');
    this.proc = spawn(this.bin, [this.command], { env: { ...process.env, ...this.env }, stdio: ['ignore', log, log] });
    this.exited = new Promise((r) => this.proc.once('exit', r));
    this.starts += 1;
    const until = Date.now() + 30000;
    while (Date.now() < until) {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`drover ${this.command} exited at start (log: ${this.logDir}/${this.command}.log)`);
      }
      try {
        if ((await fetch(this.readyUrl, { signal: AbortSignal.timeout(1000) })).status === 200) {
          // Ours answered, not another process on the port (ours would have exited, unable
          // to listen): still running a moment later.
          await sleep(300);
          if (this.proc.exitCode === null && this.proc.signalCode === null) return;
          throw new Error(`drover ${this.command} exited at start (log: ${this.logDir}/${this.command}.log)`);
        }
      } catch (err) {
        if (err.message?.includes('exited at start')) throw err;
        /* not up yet */
      }
      await sleep(100);
    }
    throw new Error(`drover ${this.command} not ready after 30 s (log: ${this.logDir}/${this.command}.log)`);
  }

  async kill(signal = 'SIGKILL') {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill(signal);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 15000);
    await this.exited;
    clearTimeout(t);
  }
}
