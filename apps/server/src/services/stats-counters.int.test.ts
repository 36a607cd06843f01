import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { orderCountDrift, orders, recountOrderStatusCounts } from '@paidflow/db';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { callerFor, createPaidOrder, createTestAdmin, type TestAdmin } from '../testing/live-fixtures.ts';
import {
  createOrder,
  deliverTestTask,
  postWebhook,
  sepayTransaction,
  startTestServer,
  type TestServer,
} from '../testing/pipeline-fixtures.ts';

// Decision 060: dashboard.stats reads counters that the orders' triggers keep. Every path of the
// pipeline that changes an order runs here, and after each the counters equal a full count.

let t: TestServer;
let deliveryDir: string;
let operator: TestAdmin;
beforeAll(async () => {
  deliveryDir = await mkdtemp(path.join(os.tmpdir(), 'paidflow-stats-'));
  t = await startTestServer('stats_counters', { DELIVERY_DIR: deliveryDir, OUTBOX_POLL_MS: '100' });
  operator = await createTestAdmin(t.server.deps, 'operator');
});
afterAll(async () => {
  await t?.close();
  await rm(deliveryDir, { recursive: true, force: true });
});

/** dashboard.stats as a viewer gets it, next to the same figures counted over every order. */
async function expectStatsExact() {
  const api = await callerFor(t.server.deps, operator.principal);
  const [rows] = await t.tdb.pool.query(
    "SELECT order_status AS s, COUNT(*) AS n FROM orders WHERE payment_status = 'paid' GROUP BY order_status",
  );
  const by = new Map((rows as Array<{ s: string; n: number }>).map((row) => [row.s, Number(row.n)]));
  expect(await api.dashboard.stats()).toEqual({
    totalPaid: [...by.values()].reduce((a, b) => a + b, 0),
    processing: by.get('processing') ?? 0,
    completed: by.get('completed') ?? 0,
    partiallyCompleted: by.get('partially_completed') ?? 0,
    failed: by.get('failed') ?? 0,
  });
  expect(await orderCountDrift(t.tdb.db)).toEqual([]);
}

const deliver = (taskId: number) =>
  deliverTestTask(t.server, { taskId, files: [{ path: `course-${taskId}.mp4`, content: 'abc' }] });

test('dashboard.stats stays exact through payments, deliveries, underpayments, cancels and retries', async () => {
  const api = await callerFor(t.server.deps, operator.principal);
  await expectStatsExact();
  // Paid in full by the webhook, in parallel: processing.
  const paid = await Promise.all(Array.from({ length: 6 }, () => createOrder(t.tdb.db, { tasks: 2 })));
  await Promise.all(
    paid.map(async (order) =>
      expect((await postWebhook(t.server.url, sepayTransaction(order.code, order.total))).status).toBe(200),
    ),
  );
  await expectStatsExact();
  expect((await api.dashboard.stats()).processing).toBe(6);
  // Underpaid, then topped up by a second transfer.
  const short = await createOrder(t.tdb.db, { tasks: 1 });
  await postWebhook(t.server.url, sepayTransaction(short.code, short.total / 2));
  await expectStatsExact();
  await postWebhook(t.server.url, sepayTransaction(short.code, short.total / 2));
  await expectStatsExact();
  // Delivered: completed. One task cancelled and one delivered: the order ends too.
  for (const taskId of paid[0]!.taskIds) await deliver(taskId);
  await api.tasks.cancel({ taskId: paid[1]!.taskIds[0]! });
  await deliver(paid[1]!.taskIds[1]!);
  await expectStatsExact();
  expect((await api.dashboard.stats()).completed).toBeGreaterThanOrEqual(1);
  // A failed order retried by an operator is processing again.
  const failed = await createPaidOrder(t.tdb.db, {
    statuses: ['failed', 'completed'],
    orderStatus: 'failed',
  });
  await expectStatsExact();
  await api.orders.retryFailed({ orderId: failed.orderId });
  await expectStatsExact();
  // Deleted (cascading to its tasks) and fixed by hand in SQL.
  await t.tdb.db.delete(orders).where(eq(orders.id, paid[2]!.orderId));
  await t.tdb.db
    .update(orders)
    .set({ order_status: 'failed' })
    .where(sql`${orders.id} IN (${paid[3]!.orderId}, ${paid[4]!.orderId})`);
  await expectStatsExact();
  expect(await recountOrderStatusCounts(t.tdb.db)).toEqual([]);
});
