// mini-redis.mjs - a small RESP2 client implementing bullmq's IRedisClient interface.
//
// bullmq 6.7.0 declares its Redis driver (ioredis, node-redis, ...) as an *optional* peer
// dependency, and package-lock.json pins only bullmq. When `ioredis` cannot be resolved,
// support.mjs registers this client as `RedisConnection.clientFactory`, so bullmq's own code
// (its Lua scripts, its worker loop, its QueueEvents) runs unchanged on top of it. It follows
// ioredis' observable behaviour where bullmq relies on it: bulk strings decode as UTF-8,
// integers as numbers, HGETALL as an object, null/undefined arguments as '', EVALSHA with an
// EVAL fallback on NOSCRIPT, pipelines/MULTI returning [[err, value], ...], an offline queue
// while connecting, 'ready'/'close'/'end'/'error' events, and the status vocabulary
// ('connecting', 'ready', 'reconnecting', 'end') that RedisConnection expects.
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

const require = createRequire(import.meta.url);
const { ConnectionClosedError, CONNECTION_CLOSED_ERROR_MSG } = require('bullmq');

export class ReplyError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ReplyError';
  }
}

const closedError = () => new ConnectionClosedError(CONNECTION_CLOSED_ERROR_MSG);

function toArg(a) {
  if (Buffer.isBuffer(a)) return a;
  if (a === null || a === undefined) return '';
  return String(a);
}

function flattenArgs(args, out = []) {
  for (const a of args) {
    if (Array.isArray(a)) flattenArgs(a, out);
    else out.push(toArg(a));
  }
  return out;
}

function encode(args) {
  const parts = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(a, 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

// Parses one RESP2 value at `pos`; returns null when the buffer does not hold all of it yet.
function parseReply(buf, pos) {
  if (pos >= buf.length) return null;
  const lineEnd = buf.indexOf('\r\n', pos);
  if (lineEnd < 0) return null;
  const type = buf[pos];
  const line = buf.toString('utf8', pos + 1, lineEnd);
  let p = lineEnd + 2;
  switch (type) {
    case 0x2b: // +
      return { value: line, end: p };
    case 0x2d: // -
      return { value: new ReplyError(line), end: p };
    case 0x3a: // :
      return { value: Number(line), end: p };
    case 0x24: { // $
      const n = parseInt(line, 10);
      if (n < 0) return { value: null, end: p };
      if (buf.length < p + n + 2) return null;
      return { value: buf.toString('utf8', p, p + n), end: p + n + 2 };
    }
    case 0x2a: { // *
      const n = parseInt(line, 10);
      if (n < 0) return { value: null, end: p };
      const arr = new Array(n);
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if (!r) return null;
        arr[i] = r.value;
        p = r.end;
      }
      return { value: arr, end: p };
    }
    default:
      throw new Error(`mini-redis: protocol error, unexpected byte ${type}`);
  }
}

const arrayToObject = (arr) => {
  const o = {};
  if (Array.isArray(arr)) for (let i = 0; i + 1 < arr.length; i += 2) o[arr[i]] = arr[i + 1];
  return o;
};

function hsetArgs(key, dataOrField, rest) {
  if (typeof dataOrField === 'string') return ['HSET', key, dataOrField, ...rest];
  const args = ['HSET', key];
  for (const [f, v] of Object.entries(dataOrField)) args.push(f, v);
  return args;
}

function zrangeArgs(cmd, key, start, end, opts, rest) {
  if (typeof opts === 'string') return [cmd, key, start, end, opts, ...rest];
  return opts?.WITHSCORES ? [cmd, key, start, end, 'WITHSCORES'] : [cmd, key, start, end];
}

function scanOptArgs(opts) {
  const a = [];
  if (opts?.MATCH != null) a.push('MATCH', opts.MATCH);
  if (opts?.COUNT != null) a.push('COUNT', opts.COUNT);
  return a;
}

// Plain commands returned as Redis replies them (lower-case method names, like ioredis).
const PLAIN = [
  'get', 'getset', 'del', 'exists', 'keys', 'type', 'ttl', 'pttl', 'expire', 'pexpire', 'persist',
  'incr', 'incrby', 'decr', 'append', 'mget', 'mset', 'setnx',
  'hget', 'hmget', 'hdel', 'hexists', 'hlen', 'hkeys', 'hvals', 'hincrby', 'hsetnx', 'hscan',
  'zadd', 'zrem', 'zcard', 'zscore', 'zcount', 'zrangebyscore', 'zrevrangebyscore', 'zrank', 'zrevrank',
  'zpopmin', 'zincrby', 'zscan',
  'lrange', 'llen', 'ltrim', 'lpos', 'lpush', 'rpush', 'lpop', 'rpop', 'lrem', 'lindex', 'rpoplpush',
  'sadd', 'srem', 'smembers', 'scard', 'sismember', 'sscan',
  'xlen', 'xrange', 'xrevrange', 'xdel',
  'ping', 'echo', 'publish', 'dbsize', 'flushall', 'flushdb', 'time', 'script', 'eval', 'evalsha',
  'config', 'object',
];

function installCommands(proto, send) {
  for (const name of PLAIN) {
    if (proto[name]) continue;
    proto[name] = function (...args) {
      return send(this, [name.toUpperCase(), ...args]);
    };
  }
}

export class MiniRedis extends EventEmitter {
  constructor(options = {}) {
    super();
    this.options = { host: '127.0.0.1', port: 6379, ...options };
    this.isCluster = false;
    this.status = 'wait';
    this.scripts = new Map();
    this.pending = []; // replies awaited on the current socket, in order
    this.offline = []; // commands issued while not ready
    this.socket = null;
    this.manualEnd = false;
    this.reconnectTimer = null;
    this._open();
  }

  // ---- connection lifecycle -------------------------------------------------------------

  _open() {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.status = this.status === 'reconnecting' ? 'reconnecting' : 'connecting';
    const sock = net.createConnection({ host: this.options.host, port: this.options.port });
    sock.setNoDelay(true);
    this.socket = sock;
    this.rbuf = Buffer.alloc(0);
    sock.on('data', (chunk) => this._onData(sock, chunk));
    sock.on('error', (err) => {
      this.lastError = err;
      if (!this.manualEnd) this._silentEmit('error', err);
    });
    sock.on('close', () => this._onClose(sock));
    sock.once('connect', async () => {
      try {
        if (this.options.connectionName) await this._direct(['CLIENT', 'SETNAME', this.options.connectionName]);
        if (this.options.db) await this._direct(['SELECT', this.options.db]);
      } catch (err) {
        this._silentEmit('error', err);
      }
      if (sock !== this.socket || sock.destroyed) return;
      this.status = 'ready';
      this.emit('connect');
      this.emit('ready');
      const queued = this.offline;
      this.offline = [];
      for (const { buf, entry } of queued) this._write(buf, entry);
    });
  }

  _silentEmit(event, ...args) {
    if (this.listenerCount(event) > 0) this.emit(event, ...args);
  }

  _onClose(sock) {
    if (sock !== this.socket) return;
    const pending = this.pending;
    this.pending = [];
    for (const e of pending) e.reject(closedError());
    if (this.manualEnd || this.status === 'end') {
      this._end();
      return;
    }
    // Unexpected loss: like ioredis, keep the offline queue and reconnect.
    this.status = 'reconnecting';
    this.emit('close');
    this.emit('reconnecting');
    // unref: a client left open by a failed close must not keep the test process alive
    // once its server is gone.
    this.reconnectTimer = setTimeout(() => this._open(), 200);
    this.reconnectTimer.unref();
  }

  _end() {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const offline = this.offline;
    this.offline = [];
    for (const { entry } of offline) entry.reject(closedError());
    const wasEnded = this.status === 'end' && this.endEmitted;
    this.status = 'end';
    if (!wasEnded) {
      this.endEmitted = true;
      this.emit('close');
      this.emit('end');
    }
  }

  connect() {
    if (this.status === 'ready') return Promise.resolve();
    if (this.status === 'wait' || this.status === 'end') {
      this.manualEnd = false;
      this.endEmitted = false;
      this._open();
    }
    return new Promise((resolve, reject) => {
      const onReady = () => {
        cleanup();
        resolve();
      };
      const onEnd = () => {
        cleanup();
        reject(closedError());
      };
      const cleanup = () => {
        this.off('ready', onReady);
        this.off('end', onEnd);
      };
      this.on('ready', onReady);
      this.on('end', onEnd);
    });
  }

  disconnect(reconnect = false) {
    if (reconnect) {
      if (this.socket && !this.socket.destroyed) this.socket.destroy();
      return;
    }
    this.manualEnd = true;
    if (this.socket && !this.socket.destroyed) {
      this.socket.destroy(); // the 'close' handler ends the client
    } else {
      this._end();
    }
  }

  async quit() {
    if (this.status !== 'ready') {
      this.disconnect();
      return 'OK';
    }
    this.manualEnd = true;
    const sock = this.socket;
    let reply = 'OK';
    try {
      reply = await this._command(['QUIT']);
    } catch {
      // already closing
    }
    if (sock && !sock.destroyed) sock.end();
    return reply;
  }

  duplicate(opts) {
    const { connectionName, ...rest } = this.options;
    return new MiniRedis({ ...rest, ...(opts || {}) });
  }

  // ---- command plumbing -----------------------------------------------------------------

  _onData(sock, chunk) {
    if (sock !== this.socket) return;
    this.rbuf = this.rbuf.length ? Buffer.concat([this.rbuf, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      const r = parseReply(this.rbuf, pos);
      if (!r) break;
      pos = r.end;
      const entry = this.pending.shift();
      if (!entry) continue;
      if (r.value instanceof ReplyError && !entry.raw) entry.reject(r.value);
      else {
        try {
          entry.resolve(entry.transform ? entry.transform(r.value) : r.value);
        } catch (err) {
          entry.reject(err);
        }
      }
    }
    this.rbuf = pos === this.rbuf.length ? Buffer.alloc(0) : this.rbuf.subarray(pos);
  }

  _write(buf, entry) {
    this.pending.push(entry);
    this.socket.write(buf);
  }

  // Sends during the handshake (before 'ready').
  _direct(args) {
    return new Promise((resolve, reject) => this._write(encode(flattenArgs(args)), { resolve, reject }));
  }

  _command(args, transform, raw = false) {
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject, transform, raw };
      if (this.status === 'end' || this.manualEnd) {
        reject(closedError());
        return;
      }
      const buf = encode(flattenArgs(args));
      if (this.status === 'ready') this._write(buf, entry);
      else this.offline.push({ buf, entry });
    });
  }

  call(...args) {
    return this._command(args);
  }

  // ---- scripts --------------------------------------------------------------------------

  defineCommand(name, { numberOfKeys, lua }) {
    const sha = createHash('sha1').update(lua).digest('hex');
    this.scripts.set(name, { numberOfKeys, lua, sha });
  }

  async runCommand(name, args) {
    const s = this.scripts.get(name);
    if (!s) throw new Error(`mini-redis: unknown command ${name}`);
    const flat = flattenArgs(args);
    try {
      return await this._command(['EVALSHA', s.sha, s.numberOfKeys, ...flat]);
    } catch (err) {
      if (err instanceof ReplyError && err.message.startsWith('NOSCRIPT')) {
        return this._command(['EVAL', s.lua, s.numberOfKeys, ...flat]);
      }
      throw err;
    }
  }

  multi() {
    return new Transaction(this, true);
  }

  pipeline() {
    return new Transaction(this, false);
  }

  // ---- structured commands (IRedisClient) -----------------------------------------------

  hgetall(key) {
    return this._command(['HGETALL', key], arrayToObject);
  }

  hset(key, dataOrField, ...rest) {
    return this._command(hsetArgs(key, dataOrField, rest));
  }

  set(key, value, opts, ...rest) {
    if (opts == null || typeof opts === 'string') {
      return this._command(['SET', key, value, ...(opts != null ? [opts, ...rest] : [])]);
    }
    const args = ['SET', key, value];
    if (opts.PX != null) args.push('PX', opts.PX);
    else if (opts.EX != null) args.push('EX', opts.EX);
    return this._command(args);
  }

  zrange(key, start, end, opts, ...rest) {
    return this._command(zrangeArgs('ZRANGE', key, start, end, opts, rest));
  }

  zrevrange(key, start, end, opts, ...rest) {
    return this._command(zrangeArgs('ZREVRANGE', key, start, end, opts, rest));
  }

  xadd(key, id, fields, opts, ...rest) {
    if (typeof fields === 'string') return this._command(['XADD', key, id, fields, opts, ...rest]);
    const args = ['XADD', key];
    if (opts?.MAXLEN != null) {
      args.push('MAXLEN');
      if (opts.approximate !== false) args.push('~');
      args.push(opts.MAXLEN);
    }
    args.push(id);
    for (const [f, v] of Object.entries(fields)) args.push(f, v);
    return this._command(args);
  }

  xread(streams, opts, ...rest) {
    if (typeof streams === 'string') return this._command(['XREAD', streams, opts, ...rest]);
    const args = ['XREAD'];
    if (opts?.BLOCK != null) args.push('BLOCK', opts.BLOCK);
    if (opts?.COUNT != null) args.push('COUNT', opts.COUNT);
    args.push('STREAMS', ...streams.map((s) => s.key), ...streams.map((s) => s.id));
    return this._command(args);
  }

  xtrim(key, strategy, threshold, opts) {
    const args = ['XTRIM', key, strategy];
    if (opts?.approximate !== false) args.push('~');
    args.push(threshold);
    return this._command(args);
  }

  bzpopmin(key, timeout) {
    return this._command(['BZPOPMIN', key, timeout]);
  }

  info(...args) {
    return this._command(['INFO', ...args]);
  }

  client(...args) {
    return this._command(['CLIENT', ...args]);
  }

  clientSetName(name) {
    return this._command(['CLIENT', 'SETNAME', name]);
  }

  clientList() {
    return this._command(['CLIENT', 'LIST']);
  }

  clientInfo() {
    return this._command(['CLIENT', 'INFO']);
  }

  scan(cursor, opts, ...rest) {
    if (opts == null || typeof opts === 'string') {
      return this._command(['SCAN', cursor, ...(opts != null ? [opts, ...rest] : [])]);
    }
    return this._command(['SCAN', cursor, ...scanOptArgs(opts)]);
  }

  scanStream({ match, count } = {}) {
    const self = this;
    return Readable.from(
      (async function* () {
        let cursor = '0';
        do {
          const [next, keys] = await self.scan(cursor, { MATCH: match, COUNT: count });
          cursor = next;
          if (keys.length) yield keys;
        } while (cursor !== '0');
      })(),
      { objectMode: true },
    );
  }
}

installCommands(MiniRedis.prototype, (client, args) => client._command(args));

class Transaction {
  constructor(client, atomic) {
    this.client = client;
    this.atomic = atomic;
    this.cmds = [];
  }

  _push(args, transform) {
    this.cmds.push({ args, transform });
    return this;
  }

  hgetall(key) {
    return this._push(['HGETALL', key], arrayToObject);
  }

  hset(key, dataOrField, ...rest) {
    return this._push(hsetArgs(key, dataOrField, rest));
  }

  hscan(key, cursor, opts) {
    return this._push(['HSCAN', key, cursor, ...scanOptArgs(opts)]);
  }

  sscan(key, cursor, opts) {
    return this._push(['SSCAN', key, cursor, ...scanOptArgs(opts)]);
  }

  zrange(key, start, end, opts, ...rest) {
    return this._push(zrangeArgs('ZRANGE', key, start, end, opts, rest));
  }

  zrevrange(key, start, end, opts, ...rest) {
    return this._push(zrangeArgs('ZREVRANGE', key, start, end, opts, rest));
  }

  runCommand(name, args) {
    const s = this.client.scripts.get(name);
    if (!s) throw new Error(`mini-redis: unknown command ${name}`);
    return this._push(['EVAL', s.lua, s.numberOfKeys, ...flattenArgs(args)]);
  }

  async exec() {
    const c = this.client;
    const cmds = this.cmds;
    this.cmds = [];
    const wrap = (v, t) => (t ? t(v) : v);
    if (!this.atomic) {
      return Promise.all(
        cmds.map(({ args, transform }) =>
          c._command(args).then(
            (v) => [null, wrap(v, transform)],
            (e) => [e, undefined],
          ),
        ),
      );
    }
    const multi = c._command(['MULTI']);
    const queued = cmds.map(({ args }) => c._command(args).catch((e) => e));
    const exec = c._command(['EXEC'], undefined, true);
    await multi;
    await Promise.all(queued);
    const res = await exec;
    if (res instanceof ReplyError) throw res;
    if (res === null) return null;
    return res.map((v, i) => (v instanceof ReplyError ? [v, undefined] : [null, wrap(v, cmds[i].transform)]));
  }
}
installCommands(Transaction.prototype, (tx, args) => tx._push(args));
