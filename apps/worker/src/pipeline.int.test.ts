import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { RunningWorker } from './app.ts';
import { createPaidOrder, type Pipeline, startPipeline, waitFor } from './testing/fixtures.ts';
import {
  auditOf,
  jobOf,
  paidOrderRunsToCompletion,
  tasksOf,
  waitForOrderEnd,
} from './testing/pipeline-scenario.ts';

let p: Pipeline;
let worker: RunningWorker | null = null;

beforeAll(async () => {
  p = await startPipeline('worker-pipeline');
});
afterEach(async () => {
  await worker?.close();
  worker = null;
});
afterAll(async () => {
  await p?.close();
});

// The same scenario runs on a Redis Cluster in pipeline.cluster.test.ts.
test('a signed payment leads to every task downloaded, delivered and completed, watched live', async () => {
  worker = await p.startWorker({ WORKER_CONCURRENCY: '3' });
  await paidOrderRunsToCompletion(p, worker);
});

test('a flaky source is retried with backoff and succeeds; each failed attempt is recorded once', async () => {
  worker = await p.startWorker();
  // The first two requests of each file fail (a 503, then a cut connection): attempts 1 and 2 fail.
  const url = p.source.manifestUrl('flaky-course', { files: 1, size: 200_000, fail: 2 });
  const { orderId, taskIds } = await createPaidOrder(p, [{ title: 'Flaky course', url }]);
  const order = await waitForOrderEnd(p, orderId);
  expect(order.order_status).toBe('completed');
  const [task] = await tasksOf(p, orderId);
  expect(task).toMatchObject({ status: 'completed', attempts: 3 });
  expect(
    task!.error_log!.history.map((entry) => [entry.attempt, entry.type, entry.step, entry.file]),
  ).toEqual([
    [1, 'NETWORK', 'download', 'lesson-01.bin'],
    [2, 'NETWORK', 'download', 'lesson-01.bin'],
  ]);
  const events = await auditOf(p, orderId);
  const failures = events.filter((e) => e.event_type === 'download_failed');
  expect(failures.map((e) => [e.severity, e.error_type, (e.details as { attempt: number }).attempt])).toEqual(
    [
      ['error', 'NETWORK', 1],
      ['error', 'NETWORK', 2],
    ],
  );
  expect(events.filter((e) => e.event_type === 'download_retry_scheduled')).toHaveLength(2);
  expect(events.filter((e) => e.event_type === 'task_completed')).toHaveLength(1);
  // The server ends the order before the worker's handler returns: wait for the job to settle.
  const job = await jobOf(p, taskIds[0]!);
  await waitFor(async () => (await job!.getState()) === 'completed', 5_000, 'job completed');
  // BullMQ counts every finished attempt, the successful third included.
  expect((await jobOf(p, taskIds[0]!))!.attemptsMade).toBe(3);
});

test('a source failing every attempt ends in the dead-letter set after 3 attempts', async () => {
  worker = await p.startWorker();
  const url = p.source.manifestUrl('flaky-forever', { files: 1, size: 50_000, fail: 100, flaky: '503' });
  const { orderId, taskIds } = await createPaidOrder(p, [{ title: 'Broken course', url }]);
  const order = await waitForOrderEnd(p, orderId);
  expect(order.order_status).toBe('failed');
  const [task] = await tasksOf(p, orderId);
  expect(task!.status).toBe('failed');
  expect(task!.error_log!.history.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
  const events = await auditOf(p, orderId);
  expect(events.filter((e) => e.event_type === 'download_failed')).toHaveLength(3);
  expect(events.filter((e) => e.event_type === 'task_failed')).toHaveLength(1);
  expect(events.filter((e) => e.event_type === 'order_completed')).toHaveLength(1);
  const job = await jobOf(p, taskIds[0]!);
  await waitFor(async () => (await job!.getState()) === 'failed', 5_000, 'job in the failed set');
  const failed = await p.t.server.deps.queue.getJobs(['failed']);
  expect(failed.map((j) => j.id)).toContain(`task-${taskIds[0]}-1`);
  expect((await jobOf(p, taskIds[0]!))!.attemptsMade).toBe(3);
});

test('a 404 source fails at once: one attempt, one failure event, the task failed', async () => {
  worker = await p.startWorker();
  const url = p.source.manifestUrl('missing-course');
  const { orderId, taskIds } = await createPaidOrder(p, [{ title: 'Missing course', url }]);
  await waitForOrderEnd(p, orderId);
  const [task] = await tasksOf(p, orderId);
  expect(task!.status).toBe('failed');
  expect(task!.error_log!.history).toHaveLength(1);
  expect(task!.error_log!.last).toMatchObject({
    type: 'NOT_FOUND',
    retryable: false,
    attempt: 1,
    step: 'enroll',
    // The worker that ran the attempt, and where it failed (issue 11, part 7).
    workerId: expect.stringMatching(/^test-worker-/),
    stack: expect.stringContaining('at '),
  });
  const events = await auditOf(p, orderId);
  const failures = events.filter((e) => e.severity === 'error' && e.task_id === taskIds[0]);
  expect(failures.map((e) => e.event_type)).toEqual(['enrollment_failed', 'task_failed']);
  expect(failures[0]!.details).toMatchObject({ workerId: expect.stringMatching(/^test-worker-/) });
  expect(events.some((e) => e.event_type === 'download_retry_scheduled')).toBe(false);
  const job = await jobOf(p, taskIds[0]!);
  await waitFor(async () => (await job!.getState()) === 'failed', 5_000, 'job in the failed set');
  expect((await jobOf(p, taskIds[0]!))!.attemptsMade).toBe(1);
  expect(p.source.requestCount('missing-course', 'manifest.json')).toBe(1);
  const metrics = await (await fetch(`${worker.health.url}/metrics`)).text();
  expect(metrics).toMatch(/paidflow_worker_jobs_failed_total\{error_type="NOT_FOUND"\} 1/);
});

test('a job whose data breaks the contract fails at once, without crashing the worker', async () => {
  worker = await p.startWorker();
  const job = await p.t.server.deps.queue.add('download', { taskId: 'nope' } as never, {
    jobId: 'garbage-1',
    attempts: 3,
  });
  await waitFor(async () => (await job.getState()) === 'failed', 10_000, 'garbage job to fail');
  const failed = await p.t.server.deps.queue.getJob('garbage-1');
  expect(failed!.attemptsMade).toBe(1);
  expect(failed!.failedReason).toMatch(/invalid job data/);
  expect((await fetch(`${worker.health.url}/healthz`)).status).toBe(200);
});
