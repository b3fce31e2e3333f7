// produce.mjs - adds jobs with Node's BullMQ over ioredis's Cluster, round robin over the
// given queues (a sharded queue's shards, or one queue), 500 per addBulk.
//   node bench/cluster/produce.mjs PORT,PORT,... COUNT QUEUE [QUEUE...]
import { Queue } from 'bullmq';
import { Cluster } from 'ioredis';

const [ports, count, ...names] = process.argv.slice(2);
const conn = new Cluster(ports.split(',').map((port) => ({ host: '127.0.0.1', port: Number(port) })), {
  redisOptions: { maxRetriesPerRequest: null },
});
const queues = names.map((name) => new Queue(name, { connection: conn }));
const chunk = 500;
for (let added = 0; added < Number(count); added += chunk * queues.length) {
  await Promise.all(queues.map((q) => q.addBulk(Array.from({ length: chunk }, (_, k) => ({
    name: 'j', data: { k }, opts: { removeOnComplete: true },
  })))));
}
await Promise.all(queues.map((q) => q.close()));
conn.disconnect();
