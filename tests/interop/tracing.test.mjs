// Tracing across languages: a job carries its W3C trace context in BullMQ's telemetry
// metadata, so a Node producer instrumented with bullmq-otel and a drover worker make one
// trace (drover's process span a child of Node's add span), and a drover producer's job
// run by a Node worker with bullmq-otel continues drover's trace. drover's spans go to an
// OTLP receiver the test runs; Node's are kept in memory by the OpenTelemetry SDK.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { bullmq, startRedis, queueName, newQueue, newWorker, startDroverWorker, droverAdd, waitFor } from './support.mjs';
import { startOtlpReceiver } from './otlp_receiver.mjs';

const require = createRequire(import.meta.url);
const { BullMQOtel } = require('bullmq-otel');
const { NodeTracerProvider, SimpleSpanProcessor, InMemorySpanExporter } = require('@opentelemetry/sdk-trace-node');

const redis = await startRedis();
const collector = await startOtlpReceiver();
after(() => collector.close());
// Every drover process this file starts sends its spans to the receiver.
process.env.DROVER_OTLP_ENDPOINT = collector.url;
process.env.DROVER_OTLP_SERVICE_NAME = 'drover-interop';

const nodeSpans = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(nodeSpans)] });
provider.register(); // the AsyncLocalStorage context manager and the W3C propagator
const telemetry = new BullMQOtel({ tracerName: 'interop' });



test('Node Queue.add with bullmq-otel -> drover worker: one trace, process under add', async () => {
  const name = queueName();
  const queue = newQueue(redis, name, { telemetry });
  await startDroverWorker(redis, name, { processor: 'echo', name: 'cpp-traced' });

  const job = await queue.add('traced', { n: 1 });
  const stored = await bullmq.Job.fromId(queue, job.id);
  assert.ok(stored.opts.telemetry?.metadata, 'bullmq-otel stored the trace context in the job');

  const add = nodeSpans.getFinishedSpans().find((s) => s.name === `add ${name}.traced`);
  assert.ok(add, `Node recorded its add span (have: ${nodeSpans.getFinishedSpans().map((s) => s.name)})`);
  const traceId = add.spanContext().traceId;

  await waitFor(() => collector.spans.some((s) => s.name === 'finish' && s.traceId === traceId), {
    what: 'drover to export the process, attempt and finish spans',
  });
  const process = collector.spans.find((s) => s.name === `process ${name}`);
  assert.ok(process, 'drover exported its process span');
  assert.equal(process.service, 'drover-interop');
  assert.equal(process.kind, 5, 'CONSUMER');
  assert.equal(process.traceId, traceId, 'same trace id as Node');
  assert.equal(process.parentSpanId, add.spanContext().spanId, "drover's process span is a child of Node's add span");
  assert.equal(process.attributes['bullmq.job.id'], job.id);
  for (const child of collector.spans.filter((s) => s.traceId === traceId && s.name !== process.name)) {
    assert.equal(child.parentSpanId, process.spanId, `${child.name} is a child of the process span`);
  }
});

test('drover add -> Node Worker with bullmq-otel: Node continues the drover trace', async () => {
  const name = queueName();
  const seen = [];
  newWorker(redis, name, async (job) => {
    seen.push(job.id);
    return 'done';
  }, { telemetry });
  const id = await droverAdd(redis, name, 'from-cpp', { n: 2 });

  await waitFor(() => collector.spans.some((s) => s.name === `add ${name}.from-cpp`), {
    what: 'drover add to export its add span',
  });
  const add = collector.spans.find((s) => s.name === `add ${name}.from-cpp`);
  assert.equal(add.kind, 4, 'PRODUCER');
  assert.equal(add.attributes['bullmq.job.id'], id);

  await waitFor(() => nodeSpans.getFinishedSpans().some((s) => s.name === `process ${name}`), {
    what: 'the Node worker to process the job',
  });
  const process = nodeSpans.getFinishedSpans().find((s) => s.name === `process ${name}`);
  assert.deepEqual(seen, [id]);
  assert.equal(process.spanContext().traceId, add.traceId, "Node's process span is in drover's trace");
  const parent = process.parentSpanContext?.spanId ?? process.parentSpanId;
  assert.equal(parent, add.spanId, "Node's process span is a child of drover's add span");
});
