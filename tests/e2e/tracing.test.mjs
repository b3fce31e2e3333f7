// tracing.test.mjs - the API's request span is the parent of its job's spans: a client's
// traceparent on POST /api/chat/send, the API's server span under it, the add span under
// that, and the workers' process span (with its attempt and finish spans) under the add,
// all in the client's trace, as an OTLP receiver the test runs receives them; the
// webhook delivery the workers queue for the job joins that trace.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startSystem, postJSON, waitForJob, waitFor } from './system.mjs';
import { startOtlpReceiver } from '../interop/otlp_receiver.mjs';

test('a chat send is one trace: client -> API request -> add -> process', { timeout: 90000 }, async () => {
  const collector = await startOtlpReceiver();
  after(() => collector.close());
  const sys = await startSystem({ env: { DROVER_OTLP_ENDPOINT: collector.url, DROVER_OTLP_SERVICE_NAME: 'drover-e2e' } });

  const traceId = randomBytes(16).toString('hex');
  const clientSpan = randomBytes(8).toString('hex');
  const sent = await postJSON(sys.base, '/api/chat/send', { conversationId: 'traced', userId: 'u1', message: 'Trace me' },
    { traceparent: `00-${traceId}-${clientSpan}-01` });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  const done = await waitForJob(sys.base, sent.body.jobId);
  assert.equal(done.status, 'completed', JSON.stringify(done));

  const inTrace = () => collector.spans.filter((s) => s.traceId === traceId);
  await waitFor(() => inTrace().some((s) => s.name === 'finish'), { what: 'the job spans at the receiver' });
  const byName = (name) => inTrace().find((s) => s.name === name);

  const request = byName('POST /api/chat/send');
  assert.ok(request, `the request span (have: ${inTrace().map((s) => s.name)})`);
  assert.equal(request.kind, 2, 'SERVER');
  assert.equal(request.parentSpanId, clientSpan, "the request span continues the client's trace");
  assert.equal(request.service, 'drover-e2e');
  assert.equal(request.attributes['bullmq.job.id'], sent.body.jobId);

  const add = byName('add ai-processing.generate-response');
  assert.ok(add, 'the add span');
  assert.equal(add.parentSpanId, request.spanId, 'the add span is a child of the request span');

  const process = byName('process ai-processing');
  assert.ok(process, 'the process span');
  assert.equal(process.parentSpanId, add.spanId, 'the process span is a child of the add span');
  assert.equal(process.attributes['bullmq.job.id'], sent.body.jobId);
  assert.equal(process.attributes['bullmq.job.state'], 'completed');
  for (const name of ['attempt 1', 'finish']) {
    assert.equal(byName(name)?.parentSpanId, process.spanId, `${name} is a child of the process span`);
  }

  // The job's webhook delivery, added by the workers, joins the same trace.
  await waitFor(() => byName('process webhook-delivery'), { what: 'the webhook delivery in the trace' });
  const delivery = byName('add webhook-delivery.job-completed');
  assert.equal(delivery?.parentSpanId, add.spanId, "the delivery's add span is under the chat job's add span");
  assert.equal(byName('process webhook-delivery').parentSpanId, delivery.spanId);
});
