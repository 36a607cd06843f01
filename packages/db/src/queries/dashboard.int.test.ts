import type { OrderStatus, PaymentStatus } from '@paidflow/contracts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { orders } from '../schema.ts';
import { createTestDatabase, type TestDatabase } from '../testing.ts';
import { dashboardStats } from './dashboard.ts';

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
