// ports.mjs - free loopback ports for the Node harnesses (interop, end to end, chaos).
import net from 'node:net';

// `n` ports free now and different from each other: each is held until all are chosen
// (ports asked for one after another may be the same one, closed and handed out again:
// the workers then failed to listen on the API's port, and its /readyz answered for them).
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise((resolve, reject) => { s.once('error', reject); s.listen(0, '127.0.0.1', resolve); });
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r()))));
  }
}

export async function freePort() {
  return (await freePorts(1))[0];
}
