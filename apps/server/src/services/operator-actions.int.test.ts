import {
  DOWNLOAD_QUEUE,
  downloadJobId,
  formatChannel,
  latestKey,
  redisNamespace,
  type TaskStatusEvent,
} from '@paidflow/contracts';
import { downloadTasks, listAuditLog, outbox } from '@paidflow/db';
import type { TRPCError } from '@trpc/server';
import { Worker } from 'bullmq';
import { eq, inArray } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  callerFor,
  createPaidOrder,
  createTestAdmin,
  orderRow,
  type TestAdmin,
} from '../testing/live-fixtures.ts';
import { startTestServer, type TestServer, waitFor } from '../testing/pipeline-fixtures.ts';

let t: TestServer;
let operator: TestAdmin;
let listener: Redis;
const heard: TaskStatusEvent[] = [];

beforeAll(async () => {
  t = await startTestServer('actions', { RECONCILE_INTERVAL_MS: '3600000' });
  operator = await createTestAdmin(t.server.deps, 'operator');
  listener = new Redis(t.server.deps.env.REDIS_URL);
  await listener.psubscribe(redisNamespace(t.prefix).channel('task:*:status'));
  listener.on('pmessage', (_p, _c, message) => heard.push(JSON.parse(message) as TaskStatusEvent));
});
afterAll(async () => {
  listener?.disconnect();
  await t?.close();
});

async function tasksOf(ids: number[]) {
  const rows = await t.server.deps.db.select().from(downloadTasks).where(inArray(downloadTasks.id, ids));
  return new Map(rows.map((row) => [row.id, row]));
}

async function auditOf(orderId: number) {
  return (await listAuditLog(t.server.deps.db, { orderId, limit: 200 })).items;
}

/** Makes real dead letters: a BullMQ worker that fails each given job once (attempts: 1). */
async function deadLetters(orderId: number, taskIds: number[]): Promise<string[]> {
  const queue = t.server.deps.queue;
  const jobIds = taskIds.map((taskId) => downloadJobId(taskId, 0));
  for (const [i, taskId] of taskIds.entries()) {
    await queue.add('download', { taskId, orderId, reason: 'payment' }, { jobId: jobIds[i], attempts: 1 });
  }
  const worker = new Worker(
    DOWNLOAD_QUEUE,
    async (job) => {
      if (!jobIds.includes(String(job.id))) throw new Error('not this test’s job');
      throw new Error('course source unreachable');
    },
    { connection: { url: t.server.deps.env.REDIS_URL }, prefix: redisNamespace(t.prefix).queuePrefix },
  );
  worker.on('error', () => {});
  try {
    await waitFor(
      async () => {
        const states = await Promise.all(jobIds.map((id) => queue.getJobState(id)));
        return states.every((state) => state === 'failed');
      },
      10_000,
      'dead letters',
    );
  } finally {
    await worker.close();
  }
  return jobIds;
}

test('tasks.retry requeues a failed task, reopens its failed order, audits the actor and removes the dead letter', async () => {
  const { orderId, taskIds } = await createPaidOrder(t.server.deps.db, {
    statuses: ['failed', 'completed'],
    orderStatus: 'failed',
  });
  const taskId = taskIds[0]!;
  const [jobId] = await deadLetters(orderId, [taskId]);
  const ns = redisNamespace(t.prefix);
  await t.server.deps.redis.set(
    ns.key(latestKey(formatChannel('task', taskId, 'progress'), orderId)),
    '{"old":1}',
  );
  const caller = await callerFor(t.server.deps, operator.principal);

  await expect(caller.tasks.retry({ taskId })).resolves.toEqual({ ok: true });

  const task = (await tasksOf([taskId])).get(taskId)!;
  expect(task.status).toBe('queued');
  expect(task.queue_generation).toBe(1);
  const order = await orderRow(t.server.deps.db, orderId);
  expect(order.order_status).toBe('processing');
  expect({ failed: order.failed_tasks, active: order.active_tasks }).toEqual({ failed: 0, active: 1 });
  const events = await auditOf(orderId);
  const retry = events.find(
    (event) => event.event_type === 'task_retry_requested' && event.task_id === taskId,
  );
  expect(retry).toMatchObject({
    previous_status: 'failed',
    new_status: 'queued',
    source: expect.stringMatching(/^operator:/),
  });
  expect(retry?.details?.actor).toEqual({ id: operator.id, email: operator.email });
  const reopened = events.find((event) => event.task_id === null && event.new_status === 'processing');
  expect(reopened?.details?.actor).toEqual({ id: operator.id, email: operator.email });
  // The new job goes through the outbox to the queue; the old dead letter is gone.
  const rows = await t.server.deps.db.select().from(outbox).where(eq(outbox.topic, 'download'));
  expect(rows.some((row) => row.payload.taskId === taskId && row.payload.reason === 'retry')).toBe(true);
  await waitFor(
    // Every job carries its order's priority (decision 046): it waits as 'prioritized'.
    async () => (await t.server.deps.queue.getJobState(downloadJobId(taskId, 1))) === 'prioritized',
    10_000,
    'the retry job',
  );
  expect(await t.server.deps.queue.getJob(jobId!)).toBeUndefined();
  expect(
    await t.server.deps.redis.get(ns.key(latestKey(formatChannel('task', taskId, 'progress'), orderId))),
  ).toBeNull();
  await waitFor(
    () => heard.some((event) => event.taskId === taskId && event.newStatus === 'queued'),
    5_000,
    'status message',
  );
});

test('retrying a task that is not failed is a CONFLICT, a missing one NOT_FOUND', async () => {
  const { taskIds } = await createPaidOrder(t.server.deps.db, { statuses: ['downloading'] });
  const caller = await callerFor(t.server.deps, operator.principal);
  const conflict = await caller.tasks.retry({ taskId: taskIds[0]! }).catch((e: unknown) => e);
  expect((conflict as TRPCError).code).toBe('CONFLICT');
  const missing = await caller.tasks.retry({ taskId: 999_999_999 }).catch((e: unknown) => e);
  expect((missing as TRPCError).code).toBe('NOT_FOUND');
});

test('tasks.cancel cancels a queued task, removes its waiting job and audits the actor', async () => {
  const { orderId, taskIds } = await createPaidOrder(t.server.deps.db, {
    statuses: ['queued', 'downloading'],
  });
  const [queued] = taskIds as [number];
  await t.server.deps.queue.add(
    'download',
    { taskId: queued, orderId, reason: 'payment' },
    { jobId: downloadJobId(queued, 0) },
  );
  const caller = await callerFor(t.server.deps, operator.principal);
  await expect(caller.tasks.cancel({ taskId: queued })).resolves.toEqual({ ok: true });
  expect((await tasksOf([queued])).get(queued)?.status).toBe('cancelled');
  expect(await t.server.deps.queue.getJob(downloadJobId(queued, 0))).toBeUndefined();
  const event = (await auditOf(orderId)).find((e) => e.event_type === 'task_cancel_requested');
  expect(event).toMatchObject({ task_id: queued, previous_status: 'queued', new_status: 'cancelled' });
  expect(event?.details?.actor).toEqual({ id: operator.id, email: operator.email });
  await waitFor(
    () => heard.some((e) => e.taskId === queued && e.newStatus === 'cancelled'),
    5_000,
    'status message',
  );
  expect((await orderRow(t.server.deps.db, orderId)).order_status).toBe('processing');
  const again = await caller.tasks.cancel({ taskId: queued }).catch((e: unknown) => e);
  expect((again as TRPCError).code).toBe('CONFLICT');
});

test('cancelling the last running task of an order ends the order', async () => {
  const { orderId, taskIds } = await createPaidOrder(t.server.deps.db, {
    statuses: ['completed', 'downloading'],
  });
  const caller = await callerFor(t.server.deps, operator.principal);
  await caller.tasks.cancel({ taskId: taskIds[1]! });
  const order = await orderRow(t.server.deps.db, orderId);
  expect(order.order_status).toBe('completed');
  expect((await auditOf(orderId)).some((e) => e.event_type === 'order_completed')).toBe(true);
});

test('tasks.retryMany retries the failed ones and reports the others as skipped', async () => {
  const { orderId, taskIds } = await createPaidOrder(t.server.deps.db, {
    statuses: ['failed', 'failed', 'completed'],
  });
  const caller = await callerFor(t.server.deps, operator.principal);
  const result = await caller.tasks.retryMany({ taskIds: [...taskIds, 999_999_998] });
  expect(result.done).toEqual([taskIds[0], taskIds[1]]);
  expect(result.skipped.map((item) => item.id)).toEqual([taskIds[2], 999_999_998]);
  expect(result.capped).toBe(false);
  const retried = (await auditOf(orderId)).filter(
    (e) => e.event_type === 'task_retry_requested' && e.task_id !== null,
  );
  expect(retried).toHaveLength(2);
  expect(retried.map((e) => e.details?.actor)).toEqual([
    { id: operator.id, email: operator.email },
    { id: operator.id, email: operator.email },
  ]);
});

test('tasks.retryMatching retries the failed tasks that match the filter only', async () => {
  const email = `match-${Date.now()}@example.com`;
  const a = await createPaidOrder(t.server.deps.db, { statuses: ['failed'], orderStatus: 'failed', email });
  const b = await createPaidOrder(t.server.deps.db, { statuses: ['failed', 'queued'], email });
  const other = await createPaidOrder(t.server.deps.db, { statuses: ['failed'], orderStatus: 'failed' });
  const caller = await callerFor(t.server.deps, operator.principal);
  const byStatus = await caller.tasks.retryMatching({
    filter: { search: email, orderStatus: 'failed', errorType: 'NETWORK' },
  });
  expect(byStatus.done).toEqual([a.taskIds[0]]);
  const none = await caller.tasks.retryMatching({ filter: { search: email, errorType: 'DISK_SPACE' } });
  expect(none.done).toEqual([]);
  const rest = await caller.tasks.retryMatching({ filter: { search: email } });
  expect(rest.done).toEqual([b.taskIds[0]]);
  expect((await tasksOf(other.taskIds)).get(other.taskIds[0]!)?.status).toBe('failed');
});

test('orders.retryFailed retries every failed task of the order', async () => {
  const { orderId, taskIds } = await createPaidOrder(t.server.deps.db, {
    statuses: ['failed', 'completed', 'failed'],
    orderStatus: 'failed',
  });
  const caller = await callerFor(t.server.deps, operator.principal);
  const result = await caller.orders.retryFailed({ orderId });
  expect(result.done).toEqual([taskIds[0], taskIds[2]]);
  const order = await orderRow(t.server.deps.db, orderId);
  expect(order.order_status).toBe('processing');
  // The order is reopened once, by the first retry.
  expect(
    (await auditOf(orderId)).filter((e) => e.task_id === null && e.new_status === 'processing'),
  ).toHaveLength(1);
});

test('queue.removeJob removes a dead letter for good with an audited actor; queue.retryJob retries its task', async () => {
  const { orderId, taskIds } = await createPaidOrder(t.server.deps.db, { statuses: ['failed', 'failed'] });
  const [removeId, retryId] = await deadLetters(orderId, taskIds);
  const caller = await callerFor(t.server.deps, operator.principal);
  await expect(caller.queue.removeJob({ jobId: removeId! })).resolves.toEqual({ ok: true });
  expect(await t.server.deps.queue.getJob(removeId!)).toBeUndefined();
  const removed = (await auditOf(orderId)).find((e) => e.event_type === 'dead_letter_removed');
  expect(removed).toMatchObject({ task_id: taskIds[0] });
  expect(removed?.details?.actor).toEqual({ id: operator.id, email: operator.email });
  await expect(caller.queue.retryJob({ jobId: retryId! })).resolves.toEqual({ ok: true });
  expect((await tasksOf([taskIds[1]!])).get(taskIds[1]!)?.status).toBe('queued');
  expect(await t.server.deps.queue.getJob(retryId!)).toBeUndefined();
  const missing = await caller.queue.removeJob({ jobId: 'task-0-0' }).catch((e: unknown) => e);
  expect((missing as TRPCError).code).toBe('NOT_FOUND');
  const bulk = await caller.queue.removeJobs({ jobIds: ['nope-1', 'nope-2'] });
  expect(bulk).toEqual({
    done: [],
    skipped: [
      { id: 'nope-1', reason: 'job not found' },
      { id: 'nope-2', reason: 'job not found' },
    ],
    capped: false,
  });
});
