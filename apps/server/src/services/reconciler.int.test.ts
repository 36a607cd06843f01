import { redisNamespace } from '@paidflow/contracts';
import {
  downloadTasks,
  enqueueDownloads,
  markOutboxDispatched,
  orderAuditLogs,
  orders,
  pendingOutboxRows,
  transitionTask,
} from '@paidflow/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  createOrder,
  deleteRedisPrefix,
  postWebhook,
  sepayTransaction,
  startTestServer,
  type TestServer,
  waitFor,
} from '../testing/pipeline-fixtures.ts';
import { reconcileOnce } from './reconciler.ts';

let t: TestServer;

beforeAll(async () => {
  // The drainer polls rarely here, so that a row left in the outbox stays there during a test.
  t = await startTestServer('reconciler', { OUTBOX_POLL_MS: '60000' });
});
afterAll(async () => {
  await t?.close();
});

async function tasksOf(orderId: number) {
  return t.tdb.db
    .select()
    .from(downloadTasks)
    .where(eq(downloadTasks.order_id, orderId))
    .orderBy(downloadTasks.id);
}

/** What happens when Redis loses its data: every key of the queue is gone. */
async function flushQueue() {
  const ns = redisNamespace(t.prefix);
  await deleteRedisPrefix(t.server.deps.env.REDIS_URL, ns.queuePrefix);
}

test('tasks whose jobs the queue lost are queued again with new job ids, once', async () => {
  const { orderId, code, total, taskIds } = await createOrder(t.tdb.db, { tasks: 2 });
  expect((await postWebhook(t.server.url, sepayTransaction(code, total))).status).toBe(200);
  await waitFor(async () => (await pendingOutboxRows(t.tdb.db)).length === 0, 10_000, 'the first dispatch');
  const { queue } = t.server.deps;
  expect(await queue.getJob(`task-${taskIds[0]}-1`)).toBeTruthy();
  // One task was mid-download when Redis lost everything.
  await transitionTask(t.tdb.db, { taskId: taskIds[1]!, to: 'downloading' });

  // Nothing is lost yet: nothing to do.
  expect((await reconcileOnce(t.server.deps, { staleSeconds: 0, lostAfterMs: 0 })).requeued).toEqual([]);

  await flushQueue();
  expect(await queue.getJob(`task-${taskIds[0]}-1`)).toBeUndefined();
  const result = await reconcileOnce(t.server.deps, { staleSeconds: 0, lostAfterMs: 0 });
  expect(result.requeued.sort()).toEqual([...taskIds].sort());

  const tasks = await tasksOf(orderId);
  expect(tasks.map((task) => [task.status, task.queue_generation])).toEqual([
    ['queued', 2],
    ['queued', 2],
  ]);
  const [order] = await t.tdb.db.select().from(orders).where(eq(orders.id, orderId));
  expect(order!.active_tasks).toBe(2);
  const events = await t.tdb.db.select().from(orderAuditLogs).where(eq(orderAuditLogs.order_id, orderId));
  const requeued = events.filter((event) => event.event_type === 'task_requeued');
  expect(requeued.map((event) => event.previous_status).sort()).toEqual(['downloading', 'queued']);
  expect(requeued[0]).toMatchObject({ severity: 'warning', source: 'reconciler' });

  await waitFor(
    async () => (await pendingOutboxRows(t.tdb.db)).length === 0,
    10_000,
    'the new jobs to dispatch',
  );
  for (const id of taskIds)
    expect((await queue.getJob(`task-${id}-2`))?.data).toMatchObject({ reason: 'reconcile' });
  // The queue knows them again: a second pass leaves them alone.
  expect((await reconcileOnce(t.server.deps, { staleSeconds: 0, lostAfterMs: 0 })).requeued).toEqual([]);
});

test('a task changed recently, or whose job still waits in the outbox, is left alone', async () => {
  const { orderId, taskIds } = await createOrder(t.tdb.db, { tasks: 2 });
  const [recent, waiting] = taskIds as [number, number];
  await t.tdb.db
    .update(orders)
    .set({ payment_status: 'paid', order_status: 'processing' })
    .where(eq(orders.id, orderId));
  await transitionTask(t.tdb.db, { taskId: recent, to: 'queued' });
  await transitionTask(t.tdb.db, { taskId: waiting, to: 'queued' });
  // The waiting task's job is written to the outbox but not yet on the queue (nobody kicked the drainer).
  await enqueueDownloads(t.tdb.db, [{ taskId: waiting, orderId }], 'payment');
  // The other one's row went out, but its job never made it (Redis lost it).
  await enqueueDownloads(t.tdb.db, [{ taskId: recent, orderId }], 'payment');
  const rows = await pendingOutboxRows(t.tdb.db, 'download');
  const sent = rows.filter((row) => (row.payload as { taskId: number }).taskId === recent);
  await markOutboxDispatched(
    t.tdb.db,
    sent.map((row) => row.id),
  );

  const deps = { ...t.server.deps, kickOutbox: () => {} };
  // 60 s of staleness: the task queued a moment ago is not checked at all.
  const patient = await reconcileOnce(deps, { staleSeconds: 60, lostAfterMs: 0 });
  expect(patient.requeued).not.toContain(recent);
  const eager = await reconcileOnce(deps, { staleSeconds: 0, lostAfterMs: 0 });
  expect(eager.requeued).toContain(recent);
  expect(eager.requeued).not.toContain(waiting);
});
