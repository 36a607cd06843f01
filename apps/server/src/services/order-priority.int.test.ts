import { DOWNLOAD_QUEUE, type DownloadJobData } from '@paidflow/contracts';
import { orders } from '@paidflow/db';
import { Worker } from 'bullmq';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { callerFor, createTestAdmin, type TestAdmin } from '../testing/live-fixtures.ts';
import {
  auditEventsOf,
  createOrder,
  postWebhook,
  sepayTransaction,
  startTestServer,
  type TestServer,
  waitFor,
} from '../testing/pipeline-fixtures.ts';

// VIP priority end to end on the real queue: the outbox gives every job its order's priority,
// and an operator's change moves the order's jobs that are already waiting.
let t: TestServer;
let operator: TestAdmin;
let viewer: TestAdmin;

beforeAll(async () => {
  t = await startTestServer('priority');
  operator = await createTestAdmin(t.server.deps, 'operator');
  viewer = await createTestAdmin(t.server.deps, 'viewer');
});

afterAll(async () => {
  await t.close();
});

async function payOrder(options: { tasks: number; vip?: boolean }) {
  const order = await createOrder(t.tdb.db, { tasks: options.tasks });
  if (options.vip) await t.tdb.db.update(orders).set({ priority: 'vip' }).where(eq(orders.id, order.orderId));
  expect((await postWebhook(t.server.url, sepayTransaction(order.code, order.total))).status).toBe(200);
  return order;
}

async function waitingJobs(): Promise<number> {
  const counts = await t.server.deps.queue.getJobCounts('waiting', 'prioritized');
  return (counts.waiting ?? 0) + (counts.prioritized ?? 0);
}

test('50 normal tasks queued first, then a VIP one: the VIP task starts first; a change moves waiting jobs', async () => {
  const normal = await payOrder({ tasks: 50 });
  await waitFor(async () => (await waitingJobs()) === 50, 15_000, 'the 50 normal jobs');
  const vip = await payOrder({ tasks: 1, vip: true });
  const late = await payOrder({ tasks: 1 });
  await waitFor(async () => (await waitingJobs()) === 52, 15_000, 'every job on the queue');

  // An operator makes the last normal order VIP while its job waits behind 50 others.
  const caller = await callerFor(t.server.deps, operator.principal);
  expect(await caller.orders.setPriority({ orderId: late.orderId, priority: 'vip' })).toEqual({
    ok: true,
    moved: 1,
  });
  const changed = (await auditEventsOf(t.tdb.db, late.orderId)).filter(
    (event) => event.event_type === 'priority_changed',
  );
  expect(changed).toHaveLength(1);
  expect(changed[0]).toMatchObject({ previous_status: 'normal', new_status: 'vip' });
  expect(changed[0]!.details).toMatchObject({ actor: { email: operator.email } });

  // One worker slot takes the jobs in the queue's order.
  const started: number[] = [];
  const worker = new Worker<DownloadJobData>(
    DOWNLOAD_QUEUE,
    async (job) => {
      started.push(job.data.orderId);
    },
    {
      connection: { url: 'redis://127.0.0.1:6379' },
      prefix: t.server.deps.namespace.queuePrefix,
      concurrency: 1,
    },
  );
  try {
    await waitFor(() => started.length >= 5, 15_000, 'the first jobs taken');
  } finally {
    await worker.close();
  }
  expect(new Set(started.slice(0, 2))).toEqual(new Set([vip.orderId, late.orderId]));
  expect(started.slice(2, 5).every((orderId) => orderId === normal.orderId)).toBe(true);
});

test('setting the same priority changes nothing; a viewer may not; an unknown order is NOT_FOUND', async () => {
  const order = await createOrder(t.tdb.db, { tasks: 1 });
  const caller = await callerFor(t.server.deps, operator.principal);
  expect(await caller.orders.setPriority({ orderId: order.orderId, priority: 'normal' })).toEqual({
    ok: true,
    moved: 0,
  });
  expect(
    (await auditEventsOf(t.tdb.db, order.orderId)).some((event) => event.event_type === 'priority_changed'),
  ).toBe(false);
  const asViewer = await callerFor(t.server.deps, viewer.principal);
  await expect(
    asViewer.orders.setPriority({ orderId: order.orderId, priority: 'vip' }),
  ).rejects.toMatchObject({
    code: 'FORBIDDEN',
  });
  await expect(caller.orders.setPriority({ orderId: 99_999_999, priority: 'vip' })).rejects.toMatchObject({
    code: 'NOT_FOUND',
  });
  await expect(
    // @ts-expect-error: not a priority
    caller.orders.setPriority({ orderId: order.orderId, priority: 'urgent' }),
  ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
});
