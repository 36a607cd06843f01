import { orderAuditLogs, outbox } from '@paidflow/db';
import { queueTelemetry, tracingEnabled } from '@paidflow/runtime';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Pipeline, spawnWorkerProcess, startPipeline } from './testing/fixtures.ts';
import { type OtlpReceiver, startOtlpReceiver } from './testing/otlp-receiver.ts';
import { payThenStopWorker } from './testing/paid-run.ts';

// Tracing off (OTEL_EXPORTER_OTLP_ENDPOINT unset, or empty as in a copied .env.example): the same
// payment runs as ever and leaves no trace anywhere. A receiver listens, to see that nothing came.

let receiver: OtlpReceiver;
let p: Pipeline;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  p = await startPipeline('tracing-off');
});
afterAll(async () => {
  await p?.close();
  await receiver?.close();
});

test('with no OTLP endpoint nothing is exported, nothing is traced, and the payment completes', async () => {
  expect(tracingEnabled()).toBe(false);
  expect(queueTelemetry()).toBeUndefined();
  const worker = spawnWorkerProcess(p.workerEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: '', LOG_LEVEL: 'info' }));
  const { orderId, taskIds } = await payThenStopWorker(p, worker, [
    { title: 'Untraced', url: p.source.manifestUrl('untraced', { files: 2, min: 20_000, max: 40_000 }) },
  ]);
  // Longer than the exporter's batching delay (1 s), had anything been started.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(receiver.requests).toBe(0);

  const lines = worker.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(lines.some((line) => line.msg === 'job started')).toBe(true);
  expect(lines.filter((line) => 'trace_id' in line || String(line.msg).startsWith('tracing'))).toEqual([]);
  const events = (await p.t.tdb.db.select().from(orderAuditLogs)).filter((e) => e.order_id === orderId);
  expect(events.length).toBeGreaterThan(5);
  expect(events.filter((e) => e.details && 'traceId' in e.details)).toEqual([]);
  const rows = (await p.t.tdb.db.select().from(outbox)).filter(
    (row) => row.topic === 'download' && taskIds.includes((row.payload as { taskId: number }).taskId),
  );
  expect(rows).toHaveLength(1);
  expect(rows[0]!.payload).not.toHaveProperty('traceparent');
  const job = await p.t.server.deps.queue.getJob(`task-${taskIds[0]}-1`);
  expect(job?.opts.telemetry).toBeUndefined();
});
