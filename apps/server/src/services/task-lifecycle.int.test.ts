import { redisNamespace, type WorkerFailureInput } from '@paidflow/contracts';
import { downloadTasks, outbox, transitionTask } from '@paidflow/db';
import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { callerFor, orderRow } from '../testing/live-fixtures.ts';
import {
  auditEventsOf,
  createOrder,
  postWebhook,
  sepayTransaction,
  startTestServer,
  type TestServer,
  waitFor,
} from '../testing/pipeline-fixtures.ts';

let t: TestServer;
let subscriber: Redis;
const heard: Array<{ channel: string; message: string }> = [];

beforeAll(async () => {
  t = await startTestServer('lifecycle', { ADMIN_ALERT_EMAIL: 'ops@example.com' });
  subscriber = new Redis(t.server.deps.env.REDIS_URL);
  await subscriber.psubscribe(redisNamespace(t.prefix).channel('order:*:complete'));
  subscriber.on('pmessage', (_pattern, channel, message) => heard.push({ channel, message }));
});
afterAll(async () => {
  subscriber?.disconnect();
  await t?.close();
});

async function worker() {
  return callerFor(t.server.deps, { kind: 'worker' });
}

/** An order paid through the real webhook: its tasks are queued with job ids task-<id>-1. */
async function paidOrder(tasks: number) {
  const order = await createOrder(t.tdb.db, { tasks });
  const response = await postWebhook(t.server.url, sepayTransaction(order.code, order.total));
  expect(response.status).toBe(200);
  return order;
}

async function task(taskId: number) {
  const [row] = await t.tdb.db.select().from(downloadTasks).where(eq(downloadTasks.id, taskId));
  return row!;
}

/** The task's current run token: what its current run's reports carry. */
async function tokenOf(taskId: number): Promise<number> {
  return (await task(taskId)).run_token;
}

async function failure(
  taskId: number,
  overrides: Partial<WorkerFailureInput> = {},
): Promise<WorkerFailureInput> {
  return {
    taskId,
    jobId: `task-${taskId}-1`,
    runToken: await tokenOf(taskId),
    attempt: 1,
    maxAttempts: 3,
    step: 'download',
    error: { type: 'NETWORK', message: 'socket hang up', retryable: true, file: 'lesson-02.mp4' },
    final: false,
    at: new Date().toISOString(),
    ...overrides,
  };
}

async function runToUpload(taskId: number, attempt = 1) {
  const api = await worker();
  const jobId = `task-${taskId}-1`;
  expect(await api.worker.claim({ taskId, jobId, attempt })).toMatchObject({ proceed: true });
  await api.worker.transition({ taskId, jobId, runToken: await tokenOf(taskId), to: 'enrolled' });
  await api.worker.transition({ taskId, jobId, runToken: await tokenOf(taskId), to: 'downloading' });
  await api.worker.transition({ taskId, jobId, runToken: await tokenOf(taskId), to: 'uploading' });
}

test('admins and anonymous callers cannot call worker procedures', async () => {
  const admin = await callerFor(t.server.deps, {
    kind: 'admin',
    session: {
      userId: 1,
      email: 'op@example.com',
      role: 'operator',
      tokenHash: 'x',
      expiresAt: new Date(Date.now() + 60_000),
    },
  });
  const anonymous = await callerFor(t.server.deps, null);
  for (const api of [admin, anonymous]) {
    await expect(api.worker.claim({ taskId: 1, jobId: 'task-1-1', attempt: 1 })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await expect(
      api.worker.complete({
        taskId: 1,
        jobId: 'task-1-1',
        runToken: 1,
        driveLink: '/x',
        files: 1,
        bytes: 1,
        durationMs: 1,
      }),
    ).rejects.toBeInstanceOf(TRPCError);
  }
});

test('invalid input is refused as BAD_REQUEST', async () => {
  const api = await worker();
  await expect(api.worker.transition({ taskId: -1, jobId: '', to: 'flying' } as never)).rejects.toMatchObject(
    { code: 'BAD_REQUEST' },
  );
});

test('a task runs through every step once; repeated reports change nothing; the order completes once', async () => {
  const { orderId, taskIds } = await paidOrder(2);
  const api = await worker();
  const claim = await api.worker.claim({ taskId: taskIds[0]!, jobId: `task-${taskIds[0]}-1`, attempt: 1 });
  expect(claim).toMatchObject({
    proceed: true,
    task: { id: taskIds[0], order_id: orderId, status: 'queued' },
    order: { id: orderId, user_email: 'buyer@example.com' },
  });
  for (const taskId of taskIds) {
    await runToUpload(taskId);
    // The worker retried a report that had landed: no second event.
    expect(
      await api.worker.transition({
        taskId,
        jobId: `task-${taskId}-1`,
        runToken: await tokenOf(taskId),
        to: 'uploading',
      }),
    ).toEqual({
      proceed: true,
      status: 'uploading',
    });
    expect(
      await api.worker.transition({
        taskId,
        jobId: `task-${taskId}-1`,
        runToken: await tokenOf(taskId),
        to: 'enrolled',
      }),
    ).toEqual({
      proceed: true,
      status: 'uploading',
    });
  }
  const ack = await api.worker.complete({
    taskId: taskIds[0]!,
    jobId: `task-${taskIds[0]}-1`,
    runToken: await tokenOf(taskIds[0]!),
    driveLink: '/deliveries/a',
    files: 3,
    bytes: 300,
    durationMs: 10,
  });
  expect(ack).toEqual({ ok: true, duplicate: false });
  expect((await orderRow(t.tdb.db, orderId)).order_status).toBe('processing');
  // Both remaining completions at once, twice each: one order completion in all.
  const last = {
    taskId: taskIds[1]!,
    jobId: `task-${taskIds[1]}-1`,
    runToken: await tokenOf(taskIds[1]!),
    driveLink: '/deliveries/b',
    files: 2,
    bytes: 200,
    durationMs: 10,
  };
  const again = {
    ...last,
    taskId: taskIds[0]!,
    jobId: `task-${taskIds[0]}-1`,
    runToken: await tokenOf(taskIds[0]!),
    driveLink: '/deliveries/a',
  };
  const acks = await Promise.all([
    api.worker.complete(last),
    api.worker.complete(last),
    api.worker.complete(again),
  ]);
  expect(acks.filter((a) => !a.duplicate)).toHaveLength(1);

  expect(await orderRow(t.tdb.db, orderId)).toMatchObject({
    order_status: 'completed',
    completed_tasks: 2,
    active_tasks: 0,
  });
  expect((await orderRow(t.tdb.db, orderId)).completed_at).toBeInstanceOf(Date);
  expect(await task(taskIds[0]!)).toMatchObject({
    status: 'completed',
    progress: 100,
    drive_link: '/deliveries/a',
    attempts: 1,
  });

  const events = await auditEventsOf(t.tdb.db, orderId);
  const perTask = events.filter((event) => event.task_id === taskIds[0]).map((event) => event.event_type);
  expect(perTask).toEqual([
    'task_queued',
    'enrollment_success',
    'download_started',
    'download_completed',
    'upload_started',
    'upload_completed',
    'task_completed',
  ]);
  const enrolled = events.find((event) => event.event_type === 'enrollment_success')!;
  expect(enrolled).toMatchObject({ previous_status: 'queued', new_status: 'enrolled', source: 'worker' });
  expect(events.filter((event) => event.event_type === 'order_completed')).toHaveLength(1);

  const notifications = (await t.tdb.db.select().from(outbox).where(eq(outbox.topic, 'notification'))).filter(
    (row) => (row.payload as { orderId: number }).orderId === orderId,
  );
  expect(notifications).toHaveLength(1);
  await waitFor(
    async () =>
      (await auditEventsOf(t.tdb.db, orderId)).some((event) => event.event_type === 'notification_sent'),
    10_000,
    'the notification to be sent',
  );
  // Give a second publish a chance to show up before counting.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const completes = heard.filter((m) => m.channel.endsWith(`order:${orderId}:complete`));
  expect(completes).toHaveLength(1);
  expect(JSON.parse(completes[0]!.message)).toMatchObject({
    orderId,
    totalTasks: 2,
    completedTasks: 2,
    failedTasks: 0,
  });
});

test('the error bridge records each failed attempt exactly once, even when the report is repeated', async () => {
  const { orderId, taskIds } = await paidOrder(1);
  const taskId = taskIds[0]!;
  const api = await worker();
  await runToUpload(taskId);
  const report = await failure(taskId, { step: 'upload' });
  expect(await api.worker.reportFailure(report)).toEqual({ ok: true, duplicate: false });
  expect(await api.worker.reportFailure(report)).toEqual({ ok: true, duplicate: true });

  const events = await auditEventsOf(t.tdb.db, orderId);
  const failed = events.filter((event) => event.event_type === 'upload_failed');
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ severity: 'error', error_type: 'NETWORK', event_category: 'download' });
  expect(failed[0]!.details).toMatchObject({
    error_type: 'NETWORK',
    error_message: 'socket hang up',
    attempt: 1,
    maxAttempts: 3,
    step: 'upload',
    file: 'lesson-02.mp4',
    retryable: true,
  });
  expect(events.filter((event) => event.event_type === 'download_retry_scheduled')).toHaveLength(1);
  const row = await task(taskId);
  expect(row.status).toBe('queued');
  expect(row.error_log?.history).toHaveLength(1);
  expect(row.error_log?.last).toMatchObject({
    type: 'NETWORK',
    attempt: 1,
    step: 'upload',
    file: 'lesson-02.mp4',
  });
});

test('a final failure fails the task and ends the order (one delivered: partially completed), with one order_completed', async () => {
  const { orderId, taskIds } = await paidOrder(2);
  const [good, bad] = taskIds as [number, number];
  const api = await worker();
  await runToUpload(good);
  await api.worker.complete({
    taskId: good,
    jobId: `task-${good}-1`,
    runToken: await tokenOf(good),
    driveLink: '/d/good',
    files: 1,
    bytes: 1,
    durationMs: 1,
  });

  await runToUpload(bad);
  await api.worker.reportFailure(await failure(bad, { attempt: 1 }));
  await runToUpload(bad, 2);
  await api.worker.reportFailure(await failure(bad, { attempt: 2 }));
  await runToUpload(bad, 3);
  const final = await failure(bad, { attempt: 3, final: true });
  await Promise.all([api.worker.reportFailure(final), api.worker.reportFailure(final)]);

  expect(await task(bad)).toMatchObject({ status: 'failed', attempts: 3 });
  expect((await task(bad)).error_log?.history.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
  // One delivered, one failed: the customer has part of the order.
  expect(await orderRow(t.tdb.db, orderId)).toMatchObject({
    order_status: 'partially_completed',
    failed_tasks: 1,
    completed_tasks: 1,
  });
  const events = await auditEventsOf(t.tdb.db, orderId);
  expect(events.filter((event) => event.event_type === 'download_failed')).toHaveLength(3);
  expect(events.filter((event) => event.event_type === 'task_failed')).toHaveLength(1);
  const completed = events.filter((event) => event.event_type === 'order_completed');
  expect(completed).toHaveLength(1);
  expect(completed[0]).toMatchObject({ severity: 'warning', new_status: 'partially_completed' });
  expect(completed[0]!.details).toMatchObject({ completed: 1, failed: 1, cancelled: 0 });
});

test('a critical error alerts the admin once', async () => {
  const { orderId, taskIds } = await paidOrder(1);
  const taskId = taskIds[0]!;
  const api = await worker();
  await runToUpload(taskId);
  const report = await failure(taskId, {
    final: true,
    error: { type: 'AUTHENTICATION', message: 'login failed', retryable: false, file: null },
    step: 'enroll',
  });
  await api.worker.reportFailure(report);
  await api.worker.reportFailure(report);
  await waitFor(
    async () =>
      (await auditEventsOf(t.tdb.db, orderId)).some((event) => event.event_type === 'admin_alert_sent'),
    10_000,
    'the admin alert',
  );
  const events = await auditEventsOf(t.tdb.db, orderId);
  expect(events.filter((event) => event.event_type === 'enrollment_failed')).toMatchObject([
    { severity: 'critical', error_type: 'AUTHENTICATION' },
  ]);
  expect(events.filter((event) => event.event_type === 'admin_alert_sent')).toHaveLength(1);
});

test('a cancelled task is not worked on, and a job superseded by a newer enqueue is dropped', async () => {
  const { taskIds } = await paidOrder(2);
  const [cancelled, requeued] = taskIds as [number, number];
  const api = await worker();
  await transitionTask(t.tdb.db, { taskId: cancelled, to: 'cancelled' });
  expect(
    await api.worker.claim({ taskId: cancelled, jobId: `task-${cancelled}-1`, attempt: 1 }),
  ).toMatchObject({
    proceed: false,
  });
  expect(
    await api.worker.transition({
      taskId: cancelled,
      jobId: `task-${cancelled}-1`,
      runToken: await tokenOf(cancelled),
      to: 'enrolled',
    }),
  ).toEqual({
    proceed: false,
    status: 'cancelled',
  });

  await t.tdb.db.update(downloadTasks).set({ queue_generation: 2 }).where(eq(downloadTasks.id, requeued));
  const stale = await api.worker.claim({ taskId: requeued, jobId: `task-${requeued}-1`, attempt: 1 });
  expect(stale).toMatchObject({ proceed: false, reason: expect.stringMatching(/superseded/) });
  expect(
    (await api.worker.claim({ taskId: requeued, jobId: `task-${requeued}-2`, attempt: 1 })).proceed,
  ).toBe(true);
  expect(await api.worker.claim({ taskId: 999_999, jobId: 'task-999999-1', attempt: 1 })).toMatchObject({
    proceed: false,
  });
});

test('a task whose worker died mid-run starts over; a dead letter retried reopens its order', async () => {
  const { orderId, taskIds } = await paidOrder(1);
  const taskId = taskIds[0]!;
  const api = await worker();
  await runToUpload(taskId);
  // Stalled-job recovery: the same job id comes back while MySQL says uploading.
  expect(await api.worker.claim({ taskId, jobId: `task-${taskId}-1`, attempt: 1 })).toMatchObject({
    proceed: true,
    task: { status: 'queued' },
  });
  expect((await task(taskId)).status).toBe('queued');
  await runToUpload(taskId);
  await api.worker.reportFailure(await failure(taskId, { attempt: 3, final: true }));
  expect((await orderRow(t.tdb.db, orderId)).order_status).toBe('failed');

  // An operator retries the dead letter in the queue: the same job comes back.
  expect(await api.worker.claim({ taskId, jobId: `task-${taskId}-1`, attempt: 4 })).toMatchObject({
    proceed: true,
  });
  expect(await orderRow(t.tdb.db, orderId)).toMatchObject({
    order_status: 'processing',
    completed_at: null,
    failed_tasks: 0,
    active_tasks: 1,
  });
  await runToUpload(taskId, 4);
  await api.worker.complete({
    taskId,
    jobId: `task-${taskId}-1`,
    runToken: await tokenOf(taskId),
    driveLink: '/d',
    files: 1,
    bytes: 1,
    durationMs: 1,
  });
  expect((await orderRow(t.tdb.db, orderId)).order_status).toBe('completed');
  const requeues = (await auditEventsOf(t.tdb.db, orderId)).filter(
    (event) => event.event_type === 'task_requeued',
  );
  expect(requeues.map((event) => event.previous_status)).toEqual(['uploading', 'failed']);
});

test('a newer claim fences the run it replaces: its status, failure and completion reports are refused and counted', async () => {
  const { orderId, taskIds } = await paidOrder(1);
  const taskId = taskIds[0]!;
  const jobId = `task-${taskId}-1`;
  const api = await worker();
  const first = await api.worker.claim({ taskId, jobId, attempt: 1 });
  if (!first.proceed) throw new Error(first.reason);
  const old = { taskId, jobId, runToken: first.runToken };
  await api.worker.transition({ ...old, to: 'enrolled' });
  await api.worker.transition({ ...old, to: 'downloading' });
  // The same job comes back (BullMQ thought the first run stalled) while the first run lives on.
  const second = await api.worker.claim({ taskId, jobId, attempt: 1 });
  if (!second.proceed) throw new Error(second.reason);
  expect(second.runToken).toBeGreaterThan(first.runToken);
  const before = await auditEventsOf(t.tdb.db, orderId);

  const refused = [
    () => api.worker.transition({ ...old, to: 'uploading' }),
    async () => api.worker.reportFailure({ ...(await failure(taskId)), runToken: old.runToken }),
    () => api.worker.complete({ ...old, driveLink: '/d/old', files: 1, bytes: 1, durationMs: 1 }),
  ];
  for (const report of refused) {
    await expect(report()).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/superseded/),
    });
  }
  // Nothing of the old run was recorded: no event, no status change, no link.
  expect(await auditEventsOf(t.tdb.db, orderId)).toHaveLength(before.length);
  expect(await task(taskId)).toMatchObject({ status: 'queued', drive_link: null, error_log: null });
  const metrics = await (await fetch(`${t.server.url}/metrics`)).text();
  for (const procedure of ['transition', 'reportFailure', 'complete']) {
    expect(metrics).toMatch(
      new RegExp(`paidflow_worker_reports_refused_total\\{procedure="${procedure}"\\} [1-9]`),
    );
  }

  // The current run goes on and completes.
  const current = { taskId, jobId, runToken: second.runToken };
  await api.worker.transition({ ...current, to: 'enrolled' });
  await api.worker.transition({ ...current, to: 'uploading' });
  await api.worker.complete({ ...current, driveLink: '/d/new', files: 1, bytes: 1, durationMs: 1 });
  expect(await task(taskId)).toMatchObject({ status: 'completed', drive_link: '/d/new' });
  // Its retried completion is still a duplicate, not a refusal.
  expect(
    await api.worker.complete({ ...current, driveLink: '/d/new', files: 1, bytes: 1, durationMs: 1 }),
  ).toEqual({ ok: true, duplicate: true });
});

test('a job id of another shape or of another task is never worked on', async () => {
  const { taskIds } = await paidOrder(2);
  const [a, b] = taskIds as [number, number];
  const api = await worker();
  for (const jobId of ['garbage-1', `task-${b}-1`]) {
    expect(await api.worker.claim({ taskId: a, jobId, attempt: 1 })).toMatchObject({
      proceed: false,
      reason: expect.stringMatching(/not a job of task/),
    });
  }
  expect((await task(a)).run_token).toBe(1);
});

test('a stalled job run again keeps its attempt number, and both runs’ failures are recorded', async () => {
  const { orderId, taskIds } = await paidOrder(1);
  const taskId = taskIds[0]!;
  const api = await worker();
  await runToUpload(taskId);
  expect(await api.worker.reportFailure(await failure(taskId, { attempt: 1 }))).toEqual({
    ok: true,
    duplicate: false,
  });
  // BullMQ stalls do not count as attempts: the next run of the same job is attempt 1 again.
  await runToUpload(taskId);
  expect(await api.worker.reportFailure(await failure(taskId, { attempt: 1 }))).toEqual({
    ok: true,
    duplicate: false,
  });
  const failed = (await auditEventsOf(t.tdb.db, orderId)).filter(
    (event) => event.event_type === 'download_failed',
  );
  expect(failed).toHaveLength(2);
  expect((await task(taskId)).error_log?.history).toHaveLength(2);
});
