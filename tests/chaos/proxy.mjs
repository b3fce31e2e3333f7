// proxy.mjs - a TCP proxy between the workers and Redis that can break their connections
// on demand: cut them all, stall them (forward nothing either way for a while), or
// half-open them (Redis's replies are dropped while the workers' commands still arrive,
// as when one direction of a path dies; the connection is reset afterwards, as a
// keepalive or timeout would).
import net from 'node:net';

export class ChaosProxy {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.pairs = new Set();
    this.server = net.createServer((client) => this.accept(client));
    this.server.maxConnections = 10000;
  }

  async listen() {
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = this.server.address().port;
    return this;
  }

  accept(client) {
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    const pair = { client, upstream, dropReplies: false };
    this.pairs.add(pair);
    const close = () => {
      if (!this.pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.on('data', (d) => { if (!upstream.write(d)) client.pause(); });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (d) => {
      if (pair.dropReplies) return;
      if (!client.write(d)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
  }

  get connections() { return this.pairs.size; }

  // Closes every connection at once (both sides).
  cut() {
    const n = this.pairs.size;
    for (const p of [...this.pairs]) { p.client.destroy(); p.upstream.destroy(); }
    return n;
  }

  // Forwards nothing either way for `ms`, then carries on where it stopped (the bytes wait
  // in the sockets' buffers). Connections opened meanwhile are not stalled.
  async stall(ms) {
    const held = [...this.pairs];
    for (const p of held) { p.client.pause(); p.upstream.pause(); }
    await new Promise((r) => setTimeout(r, ms));
    for (const p of held) { p.client.resume(); p.upstream.resume(); }
    return held.length;
  }

  // Drops Redis's replies on every current connection for `ms` (the commands still reach
  // Redis and run), then resets those connections.
  async halfOpen(ms) {
    const held = [...this.pairs];
    for (const p of held) p.dropReplies = true;
    await new Promise((r) => setTimeout(r, ms));
    for (const p of held) { p.client.destroy(); p.upstream.destroy(); }
    return held.length;
  }

  async close() {
    this.cut();
    await new Promise((r) => this.server.close(r));
  }
}
