// redis_cluster.mjs - a Redis Cluster of real redis-servers for an interop test file, the Node
// twin of tests/support/redis_cluster.hpp: 3 masters + 3 replicas (by default) on distinct free
// loopback ports (client and cluster bus), joined by `redis-cli --cluster create`, with the same
// settings and the same notion of stable; killed, and its dir removed, by the suite's `after`
// hook (and on process exit, should that hook never run).
//
//   const cluster = await startRedisCluster();
//   cluster.url                     redis+cluster://127.0.0.1:p,... (the masters), for drover
//   await cluster.viaOtherSeed(key) { url } whose first seed does not own key's slot
//   cluster.client()                an ioredis Cluster for BullMQ (closed at the end)
//   cluster.cli('GET', key)         redis-cli -c: redirects followed
//   cluster.nodeCli(port, ...)      one node alone: MOVED comes back as text
//   await cluster.replicaCaughtUp(port)  a replica of that master has all it has written
//   await cluster.killMasterForKey(key); await cluster.waitForFailover(); await cluster.restart(port)
import { spawn, execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { onCleanup, freePort, sleep } from './support.mjs';

const { Cluster } = createRequire(import.meta.url)('ioredis');
const execFileP = promisify(execFile);

export const NODE_TIMEOUT_MS = 1500;

// A queue name with a hash tag, `{interop-<random>}`: all of a BullMQ queue's keys then share
// one slot, as a cluster requires.
export function taggedQueueName() {
  return `{interop-${randomBytes(6).toString('hex')}}`;
}

// redis-cli's output without the final line breaks; a failure to connect comes back as text too.
async function redisCli(args) {
  try {
    const { stdout, stderr } = await execFileP('redis-cli', args.map(String), { timeout: 10000 });
    return (stdout + stderr).replace(/[\r\n]+$/, '');
  } catch (err) {
    return `${err.stdout ?? ''}${err.stderr ?? ''}${err.message}`.replace(/[\r\n]+$/, '');
  }
}

// The value of `field` in an INFO-style reply, '' when absent.
function infoField(info, field) {
  const line = info.split(/\r?\n/).find((l) => l.startsWith(`${field}:`));
  return line ? line.slice(field.length + 1) : '';
}

// CLUSTER NODES as { id, port, master, myself, failing, masterId, slots: [[first, last]] }.
export function parseClusterNodes(text) {
  return text.split(/\r?\n/).filter((l) => l.trim()).map((line) => {
    const [id, address, flags, masterId, , , , , ...ranges] = line.trim().split(/\s+/);
    const flagList = flags.split(',');
    return {
      id,
      port: Number(address.slice(address.lastIndexOf(':', address.indexOf('@')) + 1, address.indexOf('@'))),
      master: flagList.includes('master'),
      myself: flagList.includes('myself'),
      failing: flagList.includes('fail') || flagList.includes('fail?'),
      masterId,
      // "[slot->-id]" entries are migrations in progress, not ownership.
      slots: ranges.filter((r) => !r.startsWith('[')).map((r) => {
        const [first, last = first] = r.split('-').map(Number);
        return [first, last];
      }),
    };
  });
}

// Who is what as text (masters with their slots, replicas with their master's id, failing
// flags): two nodes agree on the cluster when theirs are equal.
function topologyOf(nodes) {
  return [...nodes].sort((a, b) => a.port - b.port).map((n) =>
    `${n.port} ${n.master ? `master ${n.slots.map(([f, l]) => `${f}-${l}`).sort().join(',')}` : `replica of ${n.masterId}`}` +
    (n.failing ? ' failing' : '')).join(';');
}

class RedisCluster {
  constructor(dir, nodes, replicasPerMaster) {
    this.dir = dir;
    this.nodes = nodes; // { port, busPort, proc, exited }
    this.replicasPerMaster = replicasPerMaster;
    this.masters = [];
  }

  get ports() { return this.nodes.map((n) => n.port); }

  running(port) { return this.nodes.some((n) => n.port === port && n.proc && n.proc.exitCode === null && n.proc.signalCode === null); }

  // Seeds for drover: the masters as last seen stable, those still running.
  get url() {
    const seeds = this.masters.filter((p) => this.running(p));
    return `redis+cluster://${(seeds.length ? seeds : this.ports.filter((p) => this.running(p)))
      .map((p) => `127.0.0.1:${p}`).join(',')}`;
  }

  async start(node) {
    const log = openSync(path.join(this.dir, `redis-${node.port}.log`), 'a');
    node.proc = spawn('redis-server', [
      '--port', String(node.port), '--bind', '127.0.0.1', '--dir', this.dir, '--daemonize', 'no',
      '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction',
      '--cluster-enabled', 'yes', '--cluster-port', String(node.busPort),
      // Kept across restarts: the node comes back with its id.
      '--cluster-config-file', path.join(this.dir, `nodes-${node.port}.conf`),
      '--cluster-node-timeout', String(NODE_TIMEOUT_MS),
      // A replica cut off for long must still take over: the test wants the failover.
      '--cluster-replica-validity-factor', '0',
      '--repl-diskless-sync-delay', '0',
    ], { stdio: ['ignore', log, log] });
    closeSync(log);
    node.exited = new Promise((r) => node.proc.once('exit', r));
    const until = Date.now() + 10000;
    while ((await this.nodeCli(node.port, 'PING')) !== 'PONG') {
      if (!this.running(node.port) || Date.now() > until) {
        throw new Error(`cluster node on port ${node.port} did not start (log: ${this.dir}/redis-${node.port}.log)`);
      }
      await sleep(20);
    }
  }

  nodeCli(port, ...args) { return redisCli(['-p', port, ...args]); }

  // Resolves once a replica of the master on `port` has applied everything the master
  // had written when called. (WAIT would not do from here: it counts only the writes of
  // its own connection, and redis-cli's connection wrote nothing, so it answers at once.)
  async replicaCaughtUp(port, timeout = 5000) {
    const field = (info, name) => info.match(new RegExp(`^${name}:(.*)$`, 'm'))?.[1]?.trim();
    const written = Number(field(await this.nodeCli(port, 'INFO', 'replication'), 'master_repl_offset'));
    const until = Date.now() + timeout;
    for (;;) {
      const info = await this.nodeCli(port, 'INFO', 'replication');
      const acked = [...info.matchAll(/^slave\d+:.*state=online,offset=(\d+)/gm)].map((m) => Number(m[1]));
      if (acked.some((offset) => offset >= written)) return;
      if (Date.now() > until) throw new Error(`no replica of ${port} reached offset ${written} within ${timeout} ms:\n${info}`);
      await sleep(20);
    }
  }

  // One command through redis-cli -c against a running master: any key may be named.
  async cli(...args) {
    const masters = await this.masterPorts();
    const port = masters.find((p) => this.running(p)) ?? this.livePort();
    return redisCli(['-c', '-p', port, ...args]);
  }

  livePort() {
    const n = this.nodes.find((x) => this.running(x.port));
    if (!n) throw new Error('every node of the cluster is down');
    return n.port;
  }

  async clusterNodes(port = this.livePort()) { return parseClusterNodes(await this.nodeCli(port, 'CLUSTER', 'NODES')); }

  // The masters that own slots now, ascending.
  async masterPorts() {
    return (await this.clusterNodes()).filter((n) => n.master && n.slots.length).map((n) => n.port).sort((a, b) => a - b);
  }

  async slotOf(key) { return Number(await this.nodeCli(this.livePort(), 'CLUSTER', 'KEYSLOT', key)); }

  async masterPortForKey(key) {
    const slot = await this.slotOf(key);
    const owner = (await this.clusterNodes()).find((n) => n.master && n.slots.some(([f, l]) => f <= slot && slot <= l));
    if (!owner) throw new Error(`no master owns slot ${slot} (key ${key})`);
    return owner.port;
  }

  // For the drover helpers of support.mjs (which read `.url`): the running masters as seeds,
  // the one that owns `key`'s slot last, so that drover reaches the key only through the
  // slot map and not by luck of the first seed.
  async viaOtherSeed(key) {
    const owner = await this.masterPortForKey(key);
    const seeds = (await this.masterPorts()).filter((p) => p !== owner && this.running(p));
    return { url: `redis+cluster://${[...seeds, owner].map((p) => `127.0.0.1:${p}`).join(',')}` };
  }

  // An ioredis Cluster over the masters, as a BullMQ user builds one (maxRetriesPerRequest
  // null, which a Worker requires); disconnected at the end, after the BullMQ objects using it.
  client(options = {}) {
    const c = new Cluster(this.masters.map((port) => ({ host: '127.0.0.1', port })), {
      ...options,
      redisOptions: { maxRetriesPerRequest: null, ...options.redisOptions },
    });
    c.on('error', () => {});
    onCleanup(() => c.disconnect());
    return c;
  }

  // SIGKILL to one node: a crash.
  async kill(port) {
    const n = this.nodes.find((x) => x.port === port);
    if (!n || !this.running(port)) throw new Error(`no running cluster node on port ${port}`);
    n.proc.kill('SIGKILL');
    await n.exited;
  }

  async killMasterForKey(key) {
    const port = await this.masterPortForKey(key);
    await this.kill(port);
    return port;
  }

  // Why the cluster is not stable yet ('' when it is): every running node says
  // cluster_state:ok and sees the same masters, slots and replicas among the running nodes
  // (none failing), no slot on a killed node, replicas in sync.
  async unstableBecause() {
    const live = this.nodes.filter((n) => this.running(n.port)).length;
    let first;
    for (const n of this.nodes) {
      if (!this.running(n.port)) continue;
      const state = infoField(await this.nodeCli(n.port, 'CLUSTER', 'INFO'), 'cluster_state');
      if (state !== 'ok') return `node ${n.port} says cluster_state:${state}`;
      const view = await this.clusterNodes(n.port);
      const dead = view.find((v) => v.master && v.slots.length && !this.running(v.port));
      if (dead) return `node ${n.port} sees slots on the killed node ${dead.port}`;
      if (view.some((v) => v.myself && !v.master)) {
        const link = infoField(await this.nodeCli(n.port, 'INFO', 'replication'), 'master_link_status');
        if (link !== 'up') return `replica ${n.port} has master_link_status:${link}`;
      }
      // Killed nodes are seen failing sooner by some than by others; the rest must agree,
      // roles included: gossip about a new replica can lag behind the slot map.
      const running = view.filter((v) => this.running(v.port));
      if (running.length !== live) return `node ${n.port} knows ${running.length} of the ${live} running nodes`;
      const topology = topologyOf(running);
      first ??= topology;
      if (topology !== first) return `node ${n.port} sees ${topology}, another ${first}`;
      if (topology.includes('failing')) return `node ${n.port} sees ${topology}`;
    }
    return '';
  }

  async waitStable(timeout = 30000) {
    const until = Date.now() + timeout;
    for (;;) {
      const why = await this.unstableBecause();
      if (!why) {
        this.masters = await this.masterPorts();
        return;
      }
      if (Date.now() > until) {
        throw new Error(`the cluster did not settle within ${timeout} ms: ${why}; CLUSTER NODES:\n` +
          await this.nodeCli(this.livePort(), 'CLUSTER', 'NODES'));
      }
      await sleep(100);
    }
  }

  // Until a replica has taken over every slot of the killed master and the cluster is stable.
  async waitForFailover(timeout = 30000) {
    try {
      await this.waitStable(timeout);
    } catch (err) {
      throw new Error(`no failover: ${err.message}`);
    }
  }

  // Starts a killed node again with its id; it rejoins as a replica of whoever took its slots.
  async restart(port) {
    const n = this.nodes.find((x) => x.port === port);
    if (!n || this.running(port)) throw new Error(`no killed cluster node on port ${port} to restart`);
    await this.start(n);
    await this.waitStable();
  }

  killSync() {
    for (const n of this.nodes) if (n.proc && this.running(n.port)) n.proc.kill('SIGKILL');
  }

  async stop() {
    this.killSync();
    await Promise.all(this.nodes.filter((n) => n.exited).map((n) => n.exited));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Starts a cluster for this test file (stopped in `after`); see the top of this file. */
export async function startRedisCluster({ masters = 3, replicasPerMaster = 1 } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-interop-cluster-'));
  // Client and bus port per node, all distinct: the kernel may hand a free port out twice
  // before it is bound.
  const taken = new Set();
  const distinctPort = async () => {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    return port;
  };
  const nodes = [];
  for (let i = 0; i < masters * (1 + replicasPerMaster); i++) {
    nodes.push({ port: await distinctPort(), busPort: await distinctPort() });
  }
  const cluster = new RedisCluster(dir, nodes, replicasPerMaster);
  const onExit = () => cluster.killSync();
  process.once('exit', onExit);
  onCleanup(async () => {
    process.off('exit', onExit);
    await cluster.stop();
  });
  for (const n of nodes) await cluster.start(n);
  const out = await redisCli(['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`),
    '--cluster-replicas', replicasPerMaster, '--cluster-yes']);
  if (!out.includes('[OK] All 16384 slots covered')) throw new Error(`redis-cli --cluster create failed: ${out}`);
  await cluster.waitStable();
  return cluster;
}
