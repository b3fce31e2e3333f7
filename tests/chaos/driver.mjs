// driver.mjs - the faults of a chaos run: a random worker SIGKILLed and restarted every
// 2 s, and a round of one-off faults (connections cut, stalled and half-open through the
// proxy; one worker SIGSTOPped past its lock duration; Redis SIGKILLed and SIGTERMed and
// restarted on its data), then the network faults and a Redis SIGKILL again in turn
// until told to stop. Every fault is logged with its time.
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class ChaosDriver {
  constructor({ redis, proxy, workers, lockMs, killEveryMs = 2000, gapMs = 1000 }) {
    Object.assign(this, { redis, proxy, workers, lockMs, killEveryMs, gapMs });
    this.log = [];
    this.stopped = false;
    this.frozen = -1;  // the SIGSTOPped worker, spared by the killer
    this.firstRoundDone = false;
    this.t0 = Date.now();
  }

  note(kind, detail = '') { this.log.push({ atMs: Date.now() - this.t0, kind, detail }); }

  start() {
    this.t0 = Date.now();
    this.running = Promise.all([this.killer(), this.faults()]);
  }

  async stop() {
    this.stopped = true;
    await this.running;
  }

  async pause(ms) {
    const until = Date.now() + ms;
    while (!this.stopped && Date.now() < until) await sleep(Math.min(100, until - Date.now()));
  }

  async killer() {
    for (;;) {
      await this.pause(this.killEveryMs);
      if (this.stopped) return;
      const candidates = [...Array(this.workers.size).keys()].filter((i) => i !== this.frozen);
      const i = candidates[Math.floor(Math.random() * candidates.length)];
      this.note('worker SIGKILL + restart', `worker ${i}`);
      await this.workers.restart(i);
    }
  }

  // Stops a worker for longer than its lock lasts, so that its jobs are taken as stalled
  // while it still holds them, then lets it go on.
  async freeze() {
    const i = Math.floor(Math.random() * this.workers.size);
    this.frozen = i;
    this.workers.signal(i, 'SIGSTOP');
    const ms = this.lockMs + 2000;
    this.note('worker SIGSTOP', `worker ${i} for ${ms} ms`);
    await sleep(ms);
    this.workers.signal(i, 'SIGCONT');
    this.note('worker SIGCONT', `worker ${i}`);
    this.frozen = -1;
  }

  async redisBounce(signal) {
    this.note(`redis ${signal}`);
    await this.redis.bounce(signal, 500);
    this.note('redis restarted');
  }

  async cut() { this.note('proxy cut', `${this.proxy.cut()} connections`); }

  async stall() {
    const n = this.proxy.connections;
    this.note('proxy stall', `${n} connections for 1500 ms`);
    await this.proxy.stall(1500);
  }

  async halfOpen() {
    const n = this.proxy.connections;
    this.note('proxy half-open', `${n} connections: replies dropped for 1500 ms, then reset`);
    await this.proxy.halfOpen(1500);
  }

  async faults() {
    const once = [() => this.cut(), () => this.stall(), () => { this.frozenDone = this.freeze(); },
      () => this.redisBounce('SIGKILL'), () => this.halfOpen(), () => this.redisBounce('SIGTERM')];
    const again = [() => this.cut(), () => this.stall(), () => this.halfOpen(), () => this.redisBounce('SIGKILL')];
    await this.pause(this.gapMs);
    for (const f of once) {
      if (this.stopped) break;
      await f();
      await this.pause(this.gapMs);
    }
    await this.frozenDone;
    this.firstRoundDone = true;
    for (let n = 0; !this.stopped; n++) {
      await this.pause(this.gapMs * 2);
      if (!this.stopped) await again[n % again.length]();
    }
  }

  // How many faults of each kind.
  summary() {
    const s = {};
    for (const { kind } of this.log) s[kind] = (s[kind] ?? 0) + 1;
    return s;
  }
}
