// job_watcher.mjs - a live-updates client of the API chaos run: socket.io-client (from npm)
// subscribed to every job a sender got accepted, as the chat page is. It reconnects when
// the API dies and subscribes again to each job whose final event it has not had, and
// asks again when a subscription is refused; the run then counts the jobs that never
// sent their final event.
import { createRequire } from 'node:module';

const { io } = createRequire(import.meta.url)('socket.io-client');

const ASK_AGAIN_MS = 1000;
// Longer than the API's wait for Redis in a subscription check (30 s).
const ACK_TIMEOUT_MS = 35000;

export class JobWatcher {
  constructor(base) {
    this.finals = new Map();  // job id -> job-completed | job-failed
    this.open = new Set();    // accepted jobs without their final event yet
    this.socket = io(base, { transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 500 });
    for (const name of ['job-completed', 'job-failed']) {
      this.socket.on(name, (p) => {
        const id = String(p.jobId);
        this.finals.set(id, name);
        this.open.delete(id);
      });
    }
    // A restarted API knows none of the old subscriptions.
    this.socket.on('connect', () => { for (const id of this.open) this.subscribe(id); });
  }

  watch(id) {
    this.open.add(id);
    if (this.socket.connected) this.subscribe(id);
  }

  subscribe(id) {
    this.socket.timeout(ACK_TIMEOUT_MS).emit('subscribe-job', id, (err, ack) => {
      if (!err && ack?.ok) return;
      // Refused (too many checks at once) or lost with the API: later, if still needed.
      setTimeout(() => { if (this.open.has(id) && this.socket.connected) this.subscribe(id); }, ASK_AGAIN_MS);
    });
  }

  close() { this.socket.close(); }
}
