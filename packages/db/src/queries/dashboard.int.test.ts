import type { OrderStatus, PaymentStatus } from '@paidflow/contracts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { downloadTasks, orders } from '../schema.ts';
import { createTestDatabase, type TestDatabase } from '../testing.ts';
import { dashboardStats, taskThroughput } from './dashboard.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase('dashboard');
});
afterAll(async () => {
  await tdb?.[Symbol.asyncDispose]();
});

async function add(payment: PaymentStatus, status: OrderStatus, count: number) {
  const start = (await tdb.pool.query('SELECT COUNT(*) AS n FROM orders'))[0] as Array<{ n: number }>;
  const rows = Array.from({ length: count }, (_, i) => ({
    order_code: `DH${400000 + Number(start[0]!.n) + i}`,
    user_email: 'a@example.com',
    total_amount: 1,
    payment_status: payment,
    order_status: status,
  }));
  if (rows.length > 0) await tdb.db.insert(orders).values(rows);
}

test('an empty database has all counts at zero', async () => {
  expect(await dashboardStats(tdb.db)).toEqual({ totalPaid: 0, processing: 0, completed: 0, failed: 0 });
});

test('counts cover paid orders only, per status', async () => {
  await add('paid', 'processing', 3);
  await add('paid', 'completed', 5);
  await add('paid', 'failed', 2);
  await add('paid', 'cancelled', 1);
  await add('pending', 'pending', 4);
  await add('refunded', 'completed', 2);
  await add('underpaid', 'processing', 1);
  expect(await dashboardStats(tdb.db)).toEqual({ totalPaid: 11, processing: 3, completed: 5, failed: 2 });
});

test('throughput counts ended tasks per minute, only within the window', async () => {
  const [order] = await tdb.db
    .insert(orders)
    .values({ order_code: 'DH499999', user_email: 'b@example.com', total_amount: 1, payment_status: 'paid' });
  const now = new Date('2026-11-24T10:30:30Z');
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000);
  const task = (status: 'completed' | 'failed' | 'downloading', updated: Date) => ({
    order_id: order.insertId,
    title: 't',
    course_url: 'http://x',
    status,
    updated_at: updated,
  });
  await tdb.db
    .insert(downloadTasks)
    .values([
      task('completed', at(0)),
      task('completed', at(0)),
      task('failed', at(0)),
      task('completed', at(5)),
      task('downloading', at(5)),
      task('completed', at(61)),
    ]);
  const { points } = await taskThroughput(tdb.db, { minutes: 60, now });
  expect(points).toEqual([
    { minute: Date.parse('2026-11-24T10:25:00Z'), completed: 1, failed: 0 },
    { minute: Date.parse('2026-11-24T10:30:00Z'), completed: 2, failed: 1 },
  ]);
});
