// Test helpers (not shipped code paths): reads of a pipeline's order, tasks and audit trail, and
// the happy-path scenario that the single-Redis and the Redis Cluster tests both run.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CourseManifest, type TaskProgress, type TaskStatusEvent } from '@paidflow/contracts';
import { downloadTasks, orderAuditLogs, orders, outbox } from '@paidflow/db';
import { expect } from 'vitest';
import type { RunningWorker } from '../app.ts';
import { localTaskDirectory } from '../destinations/local.ts';
import { createPaidOrder, type Pipeline, waitFor } from './fixtures.ts';

/** An order's tasks, by id. Filtered here: the worker has no drizzle-orm of its own, and a test database is small. */
export async function tasksOf(p: Pipeline, orderId: number) {
  const rows = await p.t.tdb.db.select().from(downloadTasks);
  return rows.filter((row) => row.order_id === orderId).sort((a, b) => a.id - b.id);
}

export async function orderOf(p: Pipeline, orderId: number) {
  const rows = await p.t.tdb.db.select().from(orders);
  return rows.find((row) => row.id === orderId)!;
}

/** An order's audit events, oldest first. */
export async function auditOf(p: Pipeline, orderId: number) {
  const rows = await p.t.tdb.db.select().from(orderAuditLogs);
  return rows.filter((row) => row.order_id === orderId).sort((a, b) => a.id - b.id);
}

/** The order's row once it has ended (completed or failed). */
export async function waitForOrderEnd(p: Pipeline, orderId: number, timeoutMs = 40_000) {
  const order = await waitFor(
    async () => {
      const order = await orderOf(p, orderId);
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

/** The task's progress messages the pipeline's recorder heard, in arrival order. */
export function progressOf(p: Pipeline, taskId: number): TaskProgress[] {
  return p.heard.filter((m) => m.channel === `task:${taskId}:progress`).map((m) => m.payload as TaskProgress);
}

/** The task's status changes the pipeline's recorder heard, in arrival order. */
export function statusesOf(p: Pipeline, taskId: number): string[] {
  return p.heard
    .filter((m) => m.channel === `task:${taskId}:status`)
    .map((m) => (m.payload as TaskStatusEvent).newStatus);
}

export async function jobOf(p: Pipeline, taskId: number, generation = 1) {
  return p.t.server.deps.queue.getJob(`task-${taskId}-${generation}`);
}

/**
 * The happy path, asserted end to end: a signed payment for three courses, run by `worker` (3 at
 * a time), ends with every task downloaded, delivered and completed; live progress and status
 * heard in order; the audit trail in pipeline order; one notification; the worker's metrics.
 */
export async function paidOrderRunsToCompletion(p: Pipeline, worker: RunningWorker) {
  const courses = ['intro-typescript', 'node-streams', 'redis-basics'].map((slug, i) => ({
    title: `Course ${i + 1}: ${slug}`,
    url: p.source.manifestUrl(slug, { files: 3, min: 150_000, max: 350_000, bps: 1_000_000 }),
  }));
  const { orderId, code, taskIds } = await createPaidOrder(p, courses);
  const order = await waitForOrderEnd(p, orderId);
  expect(order).toMatchObject({
    order_status: 'completed',
    completed_tasks: 3,
    failed_tasks: 0,
    active_tasks: 0,
  });

  const tasks = await tasksOf(p, orderId);
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
    await waitFor(
      async () => (await (await jobOf(p, task.id))?.getState()) === 'completed',
      5_000,
      'job end',
    );
    await expect(stat(path.join(p.storageDir, String(task.id)))).rejects.toThrow();
  }

  // Live progress: in order, at most one per 250 ms, ending at 100; and each status change.
  for (const taskId of taskIds) {
    const progress = progressOf(p, taskId);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.percent).toBeGreaterThanOrEqual(progress[i - 1]!.percent);
      expect(progress[i]!.timestamp - progress[i - 1]!.timestamp).toBeGreaterThanOrEqual(250);
    }
    expect(progress.at(-1)).toMatchObject({ percent: 100, orderId });
    expect(statusesOf(p, taskId)).toEqual(['queued', 'enrolled', 'downloading', 'uploading', 'completed']);
  }
  expect(p.heard.filter((m) => m.channel === `order:${orderId}:complete`)).toHaveLength(1);
  expect(p.invalid).toEqual([]);

  // The audit trail, per task in pipeline order; one order_completed; one batch notification.
  const events = await auditOf(p, orderId);
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
  return { orderId, code, taskIds };
}
