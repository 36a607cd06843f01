import type { DashboardStats } from '@paidflow/contracts';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { migrateDatabase } from '../migrate.ts';
import { orders } from '../schema.ts';
import { orderStatusCounts } from '../schema-ops.ts';
import { placeDemoOrder } from '../seed/demo-order.ts';
import { seedDatabase } from '../seed/seed.ts';
import { createTestDatabase, insertTestOrder, type TestDatabase } from '../testing.ts';
import { dashboardStats } from './dashboard.ts';
import { lockOrder, markOrderEnded, markOrderProcessing, withTransaction } from './order-state.ts';
import { markOrderPaymentStatus } from './payments.ts';
import { ORDER_COUNT_SLOTS, orderCountDrift, recountOrderStatusCounts } from './stats-counters.ts';
import { insertTasks, queuePendingTasks, transitionTask } from './tasks.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase('stats_counters');
});
afterAll(async () => {
  await tdb?.[Symbol.asyncDispose]();
});

/** The dashboard's figures counted the slow way: one pass over every paid order. */
async function truth(): Promise<DashboardStats> {
  const [rows] = await tdb.pool.query(
    "SELECT order_status AS s, COUNT(*) AS n FROM orders WHERE payment_status = 'paid' GROUP BY order_status",
  );
  const by = new Map((rows as Array<{ s: string; n: number }>).map((row) => [row.s, Number(row.n)]));
  return {
    totalPaid: [...by.values()].reduce((a, b) => a + b, 0),
    processing: by.get('processing') ?? 0,
    completed: by.get('completed') ?? 0,
    partiallyCompleted: by.get('partially_completed') ?? 0,
    failed: by.get('failed') ?? 0,
  };
}

async function expectExact() {
  expect(await orderCountDrift(tdb.db)).toEqual([]);
  expect(await dashboardStats(tdb.db)).toEqual(await truth());
}

let code = 300_000;
const nextCode = () => `DH${++code}`;

/** An unpaid order with two pending tasks, paid as the webhook pays it (one transaction). */
async function payNewOrder(): Promise<{ orderId: number; taskIds: number[] }> {
  const orderId = await insertTestOrder(tdb.db, { order_code: nextCode(), payment_status: 'pending' });
  const taskIds = await insertTasks(tdb.db, orderId, [
    { title: 'A', course_url: 'http://x/a' },
    { title: 'B', course_url: 'http://x/b' },
  ]);
  await withTransaction(tdb.db, async (tx) => {
    const order = await lockOrder(tx, orderId);
    await queuePendingTasks(tx, {
      order: order!,
      reason: 'payment',
      orderPatch: { payment_status: 'paid', order_status: 'processing', paid_at: new Date() },
    });
  });
  return { orderId, taskIds };
}

/** Ends an order the way order completion does: its task changes, then the order, in one transaction. */
async function endOrder(orderId: number, taskId: number, status: 'completed' | 'failed' | 'cancelled') {
  await withTransaction(tdb.db, async (tx) => {
    await lockOrder(tx, orderId);
    await transitionTask(tx, { taskId, to: status });
    await markOrderEnded(tx, orderId, status, new Date());
  });
}

test('the seed, payments, endings, retries, cancels, underpayments and deletes keep the counts exact', async () => {
  await seedDatabase(tdb, { orders: 400, seed: 5, batchSize: 64, paidShare: 0.7 });
  await expectExact();
  await placeDemoOrder(tdb.db, { courseBase: 'http://127.0.0.1:1/courses' });
  // Payments in parallel, then opposite changes racing each other on the same slots.
  const paid = await Promise.all(Array.from({ length: 40 }, () => payNewOrder()));
  await expectExact();
  await Promise.all(
    paid.map(({ orderId, taskIds }, i) =>
      i % 3 === 0
        ? endOrder(orderId, taskIds[0]!, 'completed')
        : i % 3 === 1
          ? endOrder(orderId, taskIds[0]!, 'failed')
          : endOrder(orderId, taskIds[0]!, 'cancelled'),
    ),
  );
  await Promise.all(
    paid.map(({ orderId }, i) =>
      i % 2 === 0
        ? withTransaction(tdb.db, (tx) => markOrderProcessing(tx, orderId))
        : withTransaction(tdb.db, (tx) => markOrderEnded(tx, orderId, 'partially_completed', new Date())),
    ),
  );
  await expectExact();
  // An underpaid transfer, then its refund; a rolled back change counts nothing.
  const unpaid = await insertTestOrder(tdb.db, { order_code: nextCode(), payment_status: 'pending' });
  await withTransaction(tdb.db, (tx) => markOrderPaymentStatus(tx, unpaid, 'underpaid'));
  await expectExact();
  await withTransaction(tdb.db, (tx) => markOrderPaymentStatus(tx, unpaid, 'pending'));
  await expect(
    withTransaction(tdb.db, async (tx) => {
      await markOrderEnded(tx, paid[0]!.orderId, 'failed', new Date());
      throw new Error('rolled back');
    }),
  ).rejects.toThrow('rolled back');
  // An operator's bulk UPDATE and DELETE, straight in SQL.
  await tdb.pool.query(
    "UPDATE orders SET order_status = 'cancelled' WHERE payment_status = 'pending' AND id % 3 = 0",
  );
  await tdb.db.delete(orders).where(eq(orders.order_status, 'failed'));
  await expectExact();
  expect((await dashboardStats(tdb.db)).totalPaid).toBeGreaterThan(250);
});

test('recountOrderStatusCounts finds and repairs counts gone wrong', async () => {
  await tdb.db
    .update(orderStatusCounts)
    .set({ n: sql`${orderStatusCounts.n} + 5` })
    .where(
      sql`${orderStatusCounts.payment_status} = 'paid' AND ${orderStatusCounts.order_status} = 'completed' AND ${orderStatusCounts.slot} = 3`,
    );
  const wrong = await orderCountDrift(tdb.db);
  expect(wrong).toHaveLength(1);
  expect(wrong[0]).toMatchObject({ payment_status: 'paid', order_status: 'completed', slot: 3 });
  expect(wrong[0]!.counted).toBe(wrong[0]!.n + 5);
  expect(await recountOrderStatusCounts(tdb.db)).toEqual(wrong);
  await expectExact();
  expect(await recountOrderStatusCounts(tdb.db)).toEqual([]);
});

test('a recount while payments run leaves the counts exact', async () => {
  await tdb.pool.query("UPDATE order_status_counts SET n = n - 1 WHERE payment_status = 'paid' AND slot = 7");
  const payments = Promise.all(Array.from({ length: 30 }, () => payNewOrder()));
  const recounts = Promise.all([recountOrderStatusCounts(tdb.db), recountOrderStatusCounts(tdb.db)]);
  await Promise.all([payments, recounts]);
  await expectExact();
});

test('an upgrade to migration 0005 starts with exact counts of the orders already there', async () => {
  await using old = await createTestDatabase('stats_upgrade');
  // Back to before 0005: its table, triggers and journal row gone (and 0006's and 0007's new
  // indexes, 0006 otherwise replacing indexes only), orders written meanwhile.
  await old.pool.query('DROP INDEX idx_alerts_kind_raised ON alerts');
  for (const index of ['idx_payment_reference', 'idx_payment_amount', 'ftx_payment_content'])
    await old.pool.query(`DROP INDEX ${index} ON payment_transactions`);
  for (const trigger of ['orders_count_insert', 'orders_count_update', 'orders_count_delete'])
    await old.pool.query(`DROP TRIGGER ${trigger}`);
  await old.pool.query('DROP TABLE order_status_counts');
  await old.pool.query('DELETE FROM __drizzle_migrations ORDER BY created_at DESC LIMIT 3');
  const statuses = [
    ['paid', 'processing'],
    ['paid', 'completed'],
    ['paid', 'failed'],
    ['pending', 'pending'],
    ['underpaid', 'pending'],
  ];
  const rows = Array.from({ length: 150 }, (_, i) => [
    `DH${700_000 + i}`,
    'a@example.com',
    1,
    ...statuses[i % 5]!,
  ]);
  await old.pool.query(
    'INSERT INTO orders (order_code, user_email, total_amount, payment_status, order_status) VALUES ?',
    [rows],
  );
  await migrateDatabase(old.url);
  expect(await dashboardStats(old.db)).toEqual({
    totalPaid: 90,
    processing: 30,
    completed: 30,
    partiallyCompleted: 0,
    failed: 30,
  });
  expect(await orderCountDrift(old.db)).toEqual([]);
  const [cells] = await old.pool.query('SELECT COUNT(*) AS n FROM order_status_counts');
  expect(Number((cells as Array<{ n: number }>)[0]!.n)).toBe(6 * 6 * ORDER_COUNT_SLOTS);
});
