// Flows both ways: a Node FlowProducer tree run by drover workers, and a `drover flow add`
// tree run by Node workers, with failures at each level under each parent option
// (failParentOnFailure, ignoreDependencyOnFailure, removeDependencyOnFailure,
// continueParentOnFailure); the layout and the reads (getChildrenValues, getDependencies,
// getIgnoredChildrenFailures, getFlow) agree on both sides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bullmq, startRedis, queueName, newQueue, newWorker, startDroverWorker, drover, droverJSON, onCleanup, waitForState,
} from './support.mjs';

const redis = await startRedis();

// The flow's second queue: named after the first, so that on a cluster both carry its hash tag
// (a flow is added in one transaction, which a cluster allows within one slot only).
const lowerQueue = (top) => `${top}-low`;

function newFlowProducer() {
  const f = new bullmq.FlowProducer({ connection: redis.connection });
  f.on('error', () => {});
  onCleanup(() => f.close());
  return f;
}

// What Node's processors answer, as drover's built-in `flow` processor does.
async function nodeFlowProcessor(job) {
  if (job.data.fail) throw new Error(`flow: job ${job.id} fails`);
  const children = (await job.getChildrenValues()) ?? {};
  const ignored = (await job.getIgnoredChildrenFailures()) ?? {};
  return { n: job.data.n ?? null, children, ignored };
}

const key = (queue, id) => `bull:${queue}:${id}`;

// A three-level tree over two queues: root(top) -> middle(top) -> 2 leaves(low), + 1 leaf(low).
function tree(top, low, leafOpts = {}, middleOpts = {}) {
  return {
    name: 'root', queueName: top, data: { n: 0 },
    children: [
      {
        name: 'middle', queueName: top, data: { n: 1 }, opts: middleOpts,
        children: [
          { name: 'leaf', queueName: low, data: { n: 2, fail: !!leafOpts.fail }, opts: leafOpts.opts ?? {} },
          { name: 'leaf', queueName: low, data: { n: 3 } },
        ],
      },
      { name: 'leaf', queueName: low, data: { n: 4 } },
    ],
  };
}

test('Node FlowProducer tree -> drover workers: parents run last and read their children', async () => {
  const top = queueName();
  const low = lowerQueue(top);
  const flows = newFlowProducer();
  await startDroverWorker(redis, top, { processor: 'flow' });
  await startDroverWorker(redis, low, { processor: 'flow' });
  const added = await flows.add(tree(top, low));
  const topQ = newQueue(redis, top);
  await waitForState(topQ, added.job.id, 'completed');
  const root = await topQ.getJob(added.job.id);
  const middle = added.children[0].job;
  assert.deepEqual(Object.keys(root.returnvalue.children).sort(),
    [key(top, middle.id), key(low, added.children[1].job.id)].sort());
  assert.equal(root.returnvalue.children[key(low, added.children[1].job.id)].n, 4);
  const middleDone = await topQ.getJob(middle.id);
  assert.deepEqual(await middleDone.getChildrenValues(), root.returnvalue.children[key(top, middle.id)].children);
  // drover reads the same tree Node reads.
  const nodeFlow = await flows.getFlow({ id: added.job.id, queueName: top });
  const droverFlow = await droverJSON(redis, top, ['flow', 'show'], '--id', added.job.id, '--json');
  const ids = (n) => [n.job.id, ...(n.children ?? []).map(ids).flat()].sort();
  assert.deepEqual(ids(droverFlow), ids(nodeFlow));
  const text = await drover(redis, top, ['flow', 'show'], '--id', added.job.id);
  assert.match(text, /^completed +/, 'flow show prints the states');
});

test('Node tree -> drover workers, failParentOnFailure at two levels: the failure climbs to the root', async () => {
  const top = queueName();
  const low = lowerQueue(top);
  const flows = newFlowProducer();
  await startDroverWorker(redis, top, { processor: 'flow' });
  await startDroverWorker(redis, low, { processor: 'flow' });
  const added = await flows.add(tree(top, low, { fail: true, opts: { failParentOnFailure: true } },
    { failParentOnFailure: true }));
  const topQ = newQueue(redis, top);
  await waitForState(topQ, added.job.id, 'failed');
  const middle = await topQ.getJob(added.children[0].job.id);
  const leafKey = key(low, added.children[0].children[0].job.id);
  assert.equal(middle.failedReason, `child ${leafKey} failed`);
  assert.equal((await topQ.getJob(added.job.id)).failedReason, `child ${key(top, middle.id)} failed`);
  assert.deepEqual((await middle.getDependencies()).failed, [leafKey]);
});

for (const [option, parentEnds] of [
  ['ignoreDependencyOnFailure', 'completed'],
  ['removeDependencyOnFailure', 'completed'],
  ['continueParentOnFailure', 'failed'], // runs at once, then cannot complete with a pending sibling
]) {
  test(`Node tree -> drover workers, ${option} on a leaf: the middle ${parentEnds === 'completed' ? 'completes' : 'runs early'}`, async () => {
    const top = queueName();
    const low = lowerQueue(top);
    const flows = newFlowProducer();
    const t = tree(top, low, { fail: true, opts: { [option]: true } });
    if (option === 'continueParentOnFailure') t.children[0].children[1].opts = { delay: 60000 };
    // A job due later in the parent's own queue: Node's failure of the parent that cannot
    // complete asks for the next job, and with one delayed its script emits no "drained".
    const later = newQueue(redis, top);
    await later.add('later', {}, { delay: 60000 });
    await startDroverWorker(redis, top, { processor: 'flow' });
    await startDroverWorker(redis, low, { processor: 'flow' });
    const added = await flows.add(t);
    const topQ = newQueue(redis, top);
    const middleId = added.children[0].job.id;
    await waitForState(topQ, middleId, parentEnds);
    const middle = await topQ.getJob(middleId);
    const leafKey = key(low, added.children[0].children[0].job.id);
    const ignored = await middle.getIgnoredChildrenFailures();
    if (option === 'removeDependencyOnFailure') {
      assert.deepEqual(ignored, {});
    } else {
      assert.match(ignored[leafKey], /fails$/);
    }
    if (parentEnds === 'completed') {
      assert.deepEqual(middle.returnvalue.ignored, ignored, 'the drover parent read the same ignored failures');
      await waitForState(topQ, added.job.id, 'completed');
    } else {
      assert.match(middle.failedReason, /pending dependencies/);
      const events = await (await redis.raw()).xrange(`bull:${top}:events`, '-', '+');
      const names = events.map(([, fields]) => fields[1]);
      const failedAt = events.findIndex(([, f]) => ['failed', 'retries-exhausted'].includes(f[1]) && f[3] === middleId);
      assert.ok(failedAt >= 0, JSON.stringify(names));
      assert.ok(!names.slice(failedAt).includes('drained'), `a "drained" Node's worker does not emit: ${names}`);
    }
  });
}

test('drover flow add -> Node workers: the same layout as FlowProducer, run to the root', async () => {
  const top = queueName();
  const low = lowerQueue(top);
  const client = await redis.raw();
  // The same tree from both sides, with custom ids so that the hashes can be compared.
  const withIds = (t, suffix) => {
    let i = 0;
    const walk = (n) => ({ ...n, opts: { ...(n.opts ?? {}), jobId: `${n.name}-${i++}-${suffix}` }, children: n.children?.map(walk) });
    return walk(t);
  };
  const flows = newFlowProducer();
  const nodeAdded = await flows.add(withIds(tree(top, low), 'node'));
  const droverAdded = await droverJSON(redis, top, ['flow', 'add'], '--tree', JSON.stringify(withIds(tree(top, low), 'cpp')));
  assert.equal(droverAdded.job.id, 'root-0-cpp');
  const nodeIds = (n) => [n.job.id, ...(n.children ?? []).map(nodeIds).flat()];
  for (const [nodeId, cppId, queue] of [['root-0-node', 'root-0-cpp', top], ['middle-1-node', 'middle-1-cpp', top],
    ['leaf-2-node', 'leaf-2-cpp', low]]) {
    const n = await client.hgetall(key(queue, nodeId));
    const c = await client.hgetall(key(queue, cppId));
    const norm = (h, suffix) => JSON.parse(JSON.stringify(h).replaceAll(`-${suffix}`, '-X'));
    for (const f of ['name', 'data', 'delay', 'priority', 'parentKey']) {
      assert.deepEqual(norm(c, 'cpp')[f], norm(n, 'node')[f], `${cppId}: field ${f}`);
    }
    for (const f of ['opts', 'parent']) {
      assert.deepEqual(c[f] && JSON.parse(norm(c, 'cpp')[f]), n[f] && JSON.parse(norm(n, 'node')[f]), `${cppId}: ${f}`);
    }
  }
  assert.deepEqual((await client.smembers(key(top, 'middle-1-cpp') + ':dependencies')).sort(),
    [key(low, 'leaf-2-cpp'), key(low, 'leaf-3-cpp')]);
  assert.equal(await client.zscore(`bull:${top}:waiting-children`, 'root-0-cpp') !== null, true);
  void nodeIds(nodeAdded);

  newWorker(redis, top, nodeFlowProcessor);
  newWorker(redis, low, nodeFlowProcessor);
  const topQ = newQueue(redis, top);
  await waitForState(topQ, 'root-0-cpp', 'completed');
  const root = await topQ.getJob('root-0-cpp');
  assert.deepEqual(Object.keys(root.returnvalue.children).sort(), [key(top, 'middle-1-cpp'), key(low, 'leaf-4-cpp')].sort());
  const nodeFlow = await flows.getFlow({ id: 'root-0-cpp', queueName: top });
  assert.equal(nodeFlow.children.length, 2, 'Node getFlow reads the drover tree');
});

test('drover flow add -> Node workers, failures at each level', async () => {
  const top = queueName();
  const low = lowerQueue(top);
  newWorker(redis, top, nodeFlowProcessor);
  newWorker(redis, low, nodeFlowProcessor);
  const topQ = newQueue(redis, top);
  // failParentOnFailure on the leaf and on the middle: both parents fail.
  const fpof = await droverJSON(redis, top, ['flow', 'add'], '--tree',
    JSON.stringify(tree(top, low, { fail: true, opts: { failParentOnFailure: true } }, { failParentOnFailure: true })));
  await waitForState(topQ, fpof.job.id, 'failed');
  const middleId = fpof.children[0].job.id;
  assert.equal((await topQ.getJob(middleId)).failedReason,
    `child ${key(low, fpof.children[0].children[0].job.id)} failed`);
  // ignoreDependencyOnFailure: the middle completes and Node reads the ignored failure.
  const idof = await droverJSON(redis, top, ['flow', 'add'], '--tree',
    JSON.stringify(tree(top, low, { fail: true, opts: { ignoreDependencyOnFailure: true } })));
  await waitForState(topQ, idof.job.id, 'completed');
  const middle = await topQ.getJob(idof.children[0].job.id);
  assert.deepEqual(Object.keys(middle.returnvalue.ignored), [key(low, idof.children[0].children[0].job.id)]);
  // continueParentOnFailure with a sibling still delayed: a Node worker runs the middle at
  // once and fails its completion, as drover's worker does (the test above).
  const t = tree(top, low, { fail: true, opts: { continueParentOnFailure: true } });
  t.children[0].children[1].opts = { delay: 60000 };
  const cpof = await droverJSON(redis, top, ['flow', 'add'], '--tree', JSON.stringify(t));
  await waitForState(topQ, cpof.children[0].job.id, 'failed');
  assert.match((await topQ.getJob(cpof.children[0].job.id)).failedReason, /pending dependencies/);
  // A failed child with no parent option: the parent waits.
  const waits = await droverJSON(redis, top, ['flow', 'add'], '--tree',
    JSON.stringify({ name: 'p', queueName: top, children: [{ name: 'c', queueName: low, data: { fail: true } }] }));
  const lowQ = newQueue(redis, low);
  await waitForState(lowQ, waits.children[0].job.id, 'failed');
  assert.equal(await topQ.getJobState(waits.job.id), 'waiting-children');
  const counts = await (await topQ.getJob(waits.job.id)).getDependenciesCount();
  assert.deepEqual(counts, { processed: 0, unprocessed: 1, ignored: 0, failed: 0 });
  const shown = await drover(redis, top, ['flow', 'show'], '--id', waits.job.id);
  assert.match(shown, /waiting-children .*1 pending/);
});

test('drover flow add queues a tree in the order Node FlowProducer does: level by level', async () => {
  const client = await redis.raw();
  // Two queues per side (a cluster keeps a flow in one slot: lowerQueue shares the tag).
  const sides = Object.fromEntries(['node', 'cpp'].map((s) => {
    const top = queueName();
    return [s, { top, low: lowerQueue(top) }];
  }));
  // Wide and deep enough that depth first and level order differ at every level.
  const wideTree = ({ top, low }) => {
    const n = (id, queueName, children) => ({ name: id, queueName, data: {}, opts: { jobId: id }, ...(children && { children }) });
    return n('root', top, [
      n('a', top, [n('a1', low, [n('a1x', low)]), n('a2', low)]),
      n('b', low),
      n('c', top, [n('c1', low), n('c2', low, [n('c2x', low)])]),
      n('d', low),
    ]);
  };
  await newFlowProducer().add(wideTree(sides.node));
  await droverJSON(redis, sides.cpp.top, ['flow', 'add'], '--tree', JSON.stringify(wideTree(sides.cpp)));
  const seen = async ({ top, low }) => {
    const events = async (q) => (await client.xrange(`bull:${q}:events`, '-', '+'))
      .map(([, f]) => `${f[1]}:${f[3]}`);
    return {
      topEvents: await events(top),
      lowEvents: await events(low),
      lowWait: await client.lrange(`bull:${low}:wait`, 0, -1),
      // Scored by the time of each add: compared as a set.
      topChildren: (await client.zrange(`bull:${top}:waiting-children`, 0, -1)).sort(),
    };
  };
  const fromNode = await seen(sides.node);
  assert.deepEqual(fromNode.lowWait, ['c2x', 'a1x', 'c1', 'a2', 'd', 'b'], 'Node queues level by level');
  assert.deepEqual(await seen(sides.cpp), fromNode);
});
