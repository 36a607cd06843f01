import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CourseManifest, type TaskProgress, type TaskStatusEvent } from '@paidflow/contracts';
import { downloadTasks, orderAuditLogs, orders, outbox } from '@paidflow/db';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { RunningWorker } from './app.ts';
import { localTaskDirectory } from './destinations/local.ts';
import { createPaidOrder, type Pipeline, startPipeline, waitFor } from './testing/fixtures.ts';

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

async function tasksOf(orderId: number) {
  // Filtered here: the worker has no drizzle-orm of its own, and a test database is small.
  const rows = await p.t.tdb.db.select().from(downloadTasks);
  return rows.filter((row) => row.order_id === orderId).sort((a, b) => a.id - b.id);
}

async function orderOf(orderId: number) {
  const rows = await p.t.tdb.db.select().from(orders);
  return rows.find((row) => row.id === orderId)!;
}

async function auditOf(orderId: number) {
  const rows = await p.t.tdb.db.select().from(orderAuditLogs);
  return rows.filter((row) => row.order_id === orderId).sort((a, b) => a.id - b.id);
}

async function waitForOrderEnd(orderId: number, timeoutMs = 40_000) {
  const order = await waitFor(
    async () => {
      const order = await orderOf(orderId);
      return order.order_status === 'completed' || order.order_status === 'failed' ? order : null;
    },
    timeoutMs,
    `order ${orderId} to end`,
  );
  return order!;
}

async function manifestOf(url: string): Promise<CourseManifest> {
  return CourseManifest.parse(await (await fetch(url)).json());
}

function progressOf(taskId: number): TaskProgress[] {
  return p.heard.filter((m) => m.channel === `task:${taskId}:progress`).map((m) => m.payload as TaskProgress);
}

function statusesOf(taskId: number): string[] {
  return p.heard
    .filter((m) => m.channel === `task:${taskId}:status`)
    .map((m) => (m.payload as TaskStatusEvent).newStatus);
}

async function jobOf(taskId: number, generation = 1) {
  return p.t.server.deps.queue.getJob(`task-${taskId}-${generation}`);
}

test('a signed payment leads to every task downloaded, delivered and completed, watched live', async () => {
  worker = await p.startWorker({ WORKER_CONCURRENCY: '3' });
  const courses = ['intro-typescript', 'node-streams', 'redis-basics'].map((slug, i) => ({
    title: `Course ${i + 1}: ${slug}`,
    url: p.source.manifestUrl(slug, { files: 3, min: 150_000, max: 350_000, bps: 1_000_000 }),
  }));
  const { orderId, code, taskIds } = await createPaidOrder(p, courses);
  const order = await waitForOrderEnd(orderId);
  expect(order).toMatchObject({
    order_status: 'completed',
    completed_tasks: 3,
    failed_tasks: 0,
    active_tasks: 0,
  });

  const tasks = await tasksOf(orderId);
  for (const [i, task] of tasks.entries()) {
    expect(task).toMatchObject({ status: 'completed', progress: 100, attempts: 1, error_log: null });
    // The link is the customer's page; the files are in the task's delivered directory, each at
    // its manifest size, and listed in the task's manifest.
    expect(task.drive_link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/d\/[\w.-]+#course-\d+$/);
    const dir = localTaskDirectory(p.deliveryDir, { orderCode: code, taskId: task.id, title: task.title });
    expect(dir).toBe(
      path.join(p.deliveryDir, code, `${task.id}-course-${i + 1}-${courses[i]!.url.split('/')[4]}`),
    );
    const manifest = await manifestOf(courses[i]!.url);
    for (const file of manifest.files) {
      expect((await stat(path.join(dir, file.name))).size).toBe(file.size);
    }
    // The storage copy is gone once delivered: by the time the job has ended (the worker cleans
    // up after the server recorded the completion, which may end the order a moment before).
    await waitFor(async () => (await (await jobOf(task.id))?.getState()) === 'completed', 5_000, 'job end');
    await expect(stat(path.join(p.storageDir, String(task.id)))).rejects.toThrow();
  }

  // Live progress: in order, at most one per 250 ms, ending at 100; and each status change.
  for (const taskId of taskIds) {
    const progress = progressOf(taskId);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.percent).toBeGreaterThanOrEqual(progress[i - 1]!.percent);
      expect(progress[i]!.timestamp - progress[i - 1]!.timestamp).toBeGreaterThanOrEqual(250);
    }
    expect(progress.at(-1)).toMatchObject({ percent: 100, orderId });
    expect(statusesOf(taskId)).toEqual(['queued', 'enrolled', 'downloading', 'uploading', 'completed']);
  }
  expect(p.heard.filter((m) => m.channel === `order:${orderId}:complete`)).toHaveLength(1);
  expect(p.invalid).toEqual([]);

  // The audit trail, per task in pipeline order; one order_completed; one batch notification.
  const events = await auditOf(orderId);
  for (const taskId of taskIds) {
    expect(events.filter((e) => e.task_id === taskId).map((e) => e.event_type)).toEqual([
      'task_queued',
      'enrollment_success',
      'download_started',
      'download_completed',
      'upload_started',
      'upload_completed',
      'task_completed',
    ]);
  }
  expect(events[0]!.event_type).toBe('payment_received');
  expect(events.filter((e) => e.event_type === 'order_completed')).toHaveLength(1);
  expect(
    events.at(-1)!.event_type === 'order_completed' || events.at(-1)!.event_type === 'notification_sent',
  ).toBe(true);
  const notifications = (await p.t.tdb.db.select().from(outbox)).filter(
    (row) => row.topic === 'notification' && (row.payload as { orderId?: number }).orderId === orderId,
  );
  expect(notifications).toHaveLength(1);

  // The worker's metrics saw it (once every job has settled).
  await waitFor(async () => (await p.t.server.deps.queue.getJobCounts('completed')).completed === 3, 5_000);
  const metrics = await (await fetch(`${worker.health.url}/metrics`)).text();
  expect(metrics).toMatch(/paidflow_worker_jobs_completed_total 3/);
  expect(metrics).toMatch(/paidflow_worker_step_duration_seconds_count\{step="download"\} 3/);
  expect(metrics).toMatch(/paidflow_worker_queue_depth\{state="completed"\} 3/);
});

test('a flaky source is retried with backoff and succeeds; each failed attempt is recorded once', async () => {
  worker = await p.startWorker();
  // The first two requests of each file fail (a 503, then a cut connection): attempts 1 and 2 fail.
  const url = p.source.manifestUrl('flaky-course', { files: 1, size: 200_000, fail: 2 });
  const { orderId, taskIds } = await createPaidOrder(p, [{ title: 'Flaky course', url }]);
  const order = await waitForOrderEnd(orderId);
  expect(order.order_status).toBe('completed');
  const [task] = await tasksOf(orderId);
  expect(task).toMatchObject({ status: 'completed', attempts: 3 });
  expect(
    task!.error_log!.history.map((entry) => [entry.attempt, entry.type, entry.step, entry.file]),
  ).toEqual([
    [1, 'NETWORK', 'download', 'lesson-01.bin'],
    [2, 'NETWORK', 'download', 'lesson-01.bin'],
  ]);
  const events = await auditOf(orderId);
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
  const job = await jobOf(taskIds[0]!);
  await waitFor(async () => (await job!.getState()) === 'completed', 5_000, 'job completed');
  // BullMQ counts every finished attempt, the successful third included.
  expect((await jobOf(taskIds[0]!))!.attemptsMade).toBe(3);
});

test('a source failing every attempt ends in the dead-letter set after 3 attempts', async () => {
  worker = await p.startWorker();
  const url = p.source.manifestUrl('flaky-forever', { files: 1, size: 50_000, fail: 100, flaky: '503' });
  const { orderId, taskIds } = await createPaidOrder(p, [{ title: 'Broken course', url }]);
  const order = await waitForOrderEnd(orderId);
  expect(order.order_status).toBe('failed');
  const [task] = await tasksOf(orderId);
  expect(task!.status).toBe('failed');
  expect(task!.error_log!.history.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
  const events = await auditOf(orderId);
  expect(events.filter((e) => e.event_type === 'download_failed')).toHaveLength(3);
  expect(events.filter((e) => e.event_type === 'task_failed')).toHaveLength(1);
  expect(events.filter((e) => e.event_type === 'order_completed')).toHaveLength(1);
  const job = await jobOf(taskIds[0]!);
  await waitFor(async () => (await job!.getState()) === 'failed', 5_000, 'job in the failed set');
  const failed = await p.t.server.deps.queue.getJobs(['failed']);
  expect(failed.map((j) => j.id)).toContain(`task-${taskIds[0]}-1`);
  expect((await jobOf(taskIds[0]!))!.attemptsMade).toBe(3);
});

test('a 404 source fails at once: one attempt, one failure event, the task failed', async () => {
  worker = await p.startWorker();
  const url = p.source.manifestUrl('missing-course');
  const { orderId, taskIds } = await createPaidOrder(p, [{ title: 'Missing course', url }]);
  await waitForOrderEnd(orderId);
  const [task] = await tasksOf(orderId);
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
  const events = await auditOf(orderId);
  const failures = events.filter((e) => e.severity === 'error' && e.task_id === taskIds[0]);
  expect(failures.map((e) => e.event_type)).toEqual(['enrollment_failed', 'task_failed']);
  expect(failures[0]!.details).toMatchObject({ workerId: expect.stringMatching(/^test-worker-/) });
  expect(events.some((e) => e.event_type === 'download_retry_scheduled')).toBe(false);
  const job = await jobOf(taskIds[0]!);
  await waitFor(async () => (await job!.getState()) === 'failed', 5_000, 'job in the failed set');
  expect((await jobOf(taskIds[0]!))!.attemptsMade).toBe(1);
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
