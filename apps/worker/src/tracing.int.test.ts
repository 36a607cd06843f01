import { orderAuditLogs, outbox } from '@paidflow/db';
import { createLogger, startTracing, type Tracing } from '@paidflow/runtime';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  createPaidOrder,
  type Pipeline,
  spawnWorkerProcess,
  startPipeline,
  waitFor,
} from './testing/fixtures.ts';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './testing/otlp-receiver.ts';
import { payThenStopWorker } from './testing/paid-run.ts';

// One payment, followed by OpenTelemetry from the webhook to the last report of the worker: the
// server runs in this process (tracing started here, as its main.ts does), the worker in a process
// of its own (its main.ts starts tracing from OTEL_EXPORTER_OTLP_ENDPOINT), both exporting to a
// real OTLP/HTTP receiver.

let receiver: OtlpReceiver;
let tracing: Tracing;
let p: Pipeline;

const KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  // Before the server builds its queue, as in main.ts.
  tracing = startTracing({
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    service: 'paidflow-server',
    logger: createLogger('silent'),
  });
  p = await startPipeline('tracing');
});
afterAll(async () => {
  await p?.close();
  await tracing?.shutdown();
  await receiver?.close();
});

function only(spans: ReceivedSpan[], predicate: (span: ReceivedSpan) => boolean, what: string): ReceivedSpan {
  const found = spans.filter(predicate);
  if (found.length !== 1) throw new Error(`expected one ${what}, found ${found.length}`);
  return found[0]!;
}

function childrenOf(spans: ReceivedSpan[], parent: ReceivedSpan, name: string): ReceivedSpan[] {
  return spans.filter((span) => span.parentSpanId === parent.spanId && span.name === name);
}

test('one payment makes one connected trace: webhook, outbox, queue, worker steps, reports; logs and audit name it', async () => {
  expect(tracing.enabled).toBe(true);
  const worker = spawnWorkerProcess(
    p.workerEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, LOG_LEVEL: 'info', WORKER_CONCURRENCY: '2' }),
  );
  const courses = ['otel-one', 'otel-two'].map((slug, i) => ({
    title: `Traced ${i + 1}`,
    url: p.source.manifestUrl(slug, { files: 2, min: 20_000, max: 40_000 }),
  }));
  const { orderId, taskIds } = await payThenStopWorker(p, worker, courses);

  const webhook = (await waitFor(
    () => receiver.spans.find((s) => s.name === 'POST /webhooks/payment' && s.service === 'paidflow-server'),
    10_000,
    'the webhook span',
  ))!;
  const traceId = webhook.traceId;
  // Every report of both jobs: claim, the transitions, complete; each seen by the server too.
  await waitFor(
    () =>
      receiver.spans.filter((s) => s.traceId === traceId && s.name === 'POST /trpc/worker.complete')
        .length === 2,
    10_000,
    'the server spans of both completions',
  );
  expect(receiver.rejected).toEqual([]);
  const spans = receiver.spans.filter((s) => s.traceId === traceId);

  // One tree: the webhook span is its only root, and every other span's parent is in it.
  expect(webhook).toMatchObject({ parentSpanId: '', kind: KIND.server });
  const ids = new Set(spans.map((s) => s.spanId));
  expect(spans.filter((s) => !ids.has(s.parentSpanId))).toEqual([webhook]);

  // webhook -> outbox dispatch -> BullMQ producer -> one consumer per job, in the worker.
  const dispatch = only(spans, (s) => s.name === 'outbox dispatch', 'outbox dispatch span');
  expect(dispatch.parentSpanId).toBe(webhook.spanId);
  expect(dispatch.attributes['paidflow.task_ids']).toEqual(taskIds);
  const producer = only(spans, (s) => s.kind === KIND.producer, 'producer span');
  expect(producer).toMatchObject({ name: 'addBulk downloads', parentSpanId: dispatch.spanId });
  const consumers = spans.filter((s) => s.kind === KIND.consumer);
  expect(consumers).toHaveLength(2);
  for (const consumer of consumers) {
    expect(consumer).toMatchObject({ name: 'process downloads', parentSpanId: producer.spanId });
    expect(consumer.service).toBe('paidflow-worker');
    // The steps, each a child of its job's run.
    for (const step of ['enroll', 'download', 'upload', 'finalize']) {
      expect(childrenOf(spans, consumer, `step ${step}`)).toHaveLength(1);
    }
    // The claim is reported from the run; the server continues the worker's client span.
    const [claim] = childrenOf(spans, consumer, 'worker.claim');
    expect(claim).toMatchObject({ kind: KIND.client, service: 'paidflow-worker' });
    const served = childrenOf(spans, claim!, 'POST /trpc/worker.claim');
    expect(served).toMatchObject([{ kind: KIND.server, service: 'paidflow-server' }]);
  }
  // Reports from inside the steps (transitions, completion) hang under their step.
  const finalizes = spans.filter((s) => s.name === 'step finalize');
  for (const finalize of finalizes) {
    const [complete] = childrenOf(spans, finalize, 'worker.complete');
    expect(childrenOf(spans, complete!, 'POST /trpc/worker.complete')).toHaveLength(1);
  }

  // The job's log lines carry the trace id (and a span of it).
  const started = worker.lines
    .map((line) => JSON.parse(line) as { msg?: string; trace_id?: string; span_id?: string; taskId?: number })
    .filter((line) => line.msg === 'job started');
  expect(started).toHaveLength(2);
  for (const line of started) {
    expect(line.trace_id).toBe(traceId);
    expect(ids.has(line.span_id!)).toBe(true);
  }

  // The audit events: the webhook's and the workers' reports' alike.
  const events = (await p.t.tdb.db.select().from(orderAuditLogs)).filter((e) => e.order_id === orderId);
  const traced = (type: string) =>
    events
      .filter((e) => e.event_type === type)
      .map((e) => (e.details as { traceId?: string } | null)?.traceId);
  expect(traced('payment_received')).toEqual([traceId]);
  expect(traced('enrollment_success')).toEqual([traceId, traceId]);
  expect(traced('task_completed')).toEqual([traceId, traceId]);
  // The outbox rows kept the webhook's context (the drainer continued it from there).
  const rows = (await p.t.tdb.db.select().from(outbox)).filter(
    (row) => row.topic === 'download' && taskIds.includes((row.payload as { taskId: number }).taskId),
  );
  expect(rows.map((row) => (row.payload as { traceparent?: string }).traceparent)).toEqual([
    `00-${traceId}-${webhook.spanId}-01`,
    `00-${traceId}-${webhook.spanId}-01`,
  ]);
});

test('an outbox row with a garbled traceparent is still dispatched, in a trace of its own', async () => {
  const { orderId, taskIds } = await createPaidOrder(p, [
    { title: 'Garbled', url: p.source.manifestUrl('garbled', { files: 1, min: 1000, max: 2000 }) },
  ]);
  // Another row for the same task, as an old or foreign writer might leave it.
  await p.t.tdb.db.insert(outbox).values({
    topic: 'download',
    payload: {
      taskId: taskIds[0],
      orderId,
      jobId: `task-${taskIds[0]}-99`,
      reason: 'payment',
      traceparent: 'garbage',
    },
  });
  p.t.server.deps.kickOutbox();
  const job = await waitFor(() => p.t.server.deps.queue.getJob(`task-${taskIds[0]}-99`), 10_000, 'the job');
  expect(job?.data).toEqual({ taskId: taskIds[0], orderId, reason: 'payment' });
  const dispatch = (await waitFor(
    () =>
      receiver.spans.find(
        (s) =>
          s.name === 'outbox dispatch' &&
          (s.attributes['paidflow.task_ids'] as number[])[0] === taskIds[0] &&
          s.parentSpanId === '',
      ),
    10_000,
    'a root outbox span',
  ))!;
  expect(dispatch.parentSpanId).toBe('');
});
