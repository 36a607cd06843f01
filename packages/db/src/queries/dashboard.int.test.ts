import type { OrderStatus, PaymentStatus } from '@paidflow/contracts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { downloadTasks, orders } from '../schema.ts';
import { createTestDatabase, type TestDatabase } from '../testing.ts';
import { dashboardStats, taskKpis, taskThroughput } from './dashboard.ts';

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
  expect(await dashboardStats(tdb.db)).toEqual({
    totalPaid: 0,
    processing: 0,
    completed: 0,
    partiallyCompleted: 0,
    failed: 0,
  });
});

test('counts cover paid orders only, per status', async () => {
  await add('paid', 'processing', 3);
  await add('paid', 'completed', 5);
  await add('paid', 'failed', 2);
  await add('paid', 'partially_completed', 4);
  await add('paid', 'cancelled', 1);
  await add('pending', 'pending', 4);
  await add('refunded', 'completed', 2);
  await add('underpaid', 'processing', 1);
  expect(await dashboardStats(tdb.db)).toEqual({
    totalPaid: 15,
    processing: 3,
    completed: 5,
    partiallyCompleted: 4,
    failed: 2,
  });
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

test('KPIs: rates, retried tasks and duration percentiles over the tasks that ended in the window', async () => {
  const [order] = await tdb.db
    .insert(orders)
    .values({ order_code: 'DH499998', user_email: 'k@example.com', total_amount: 1, payment_status: 'paid' });
  const now = new Date('2026-11-25T12:00:00Z');
  const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000);
  const task = (
    status: 'completed' | 'failed' | 'downloading',
    endedMinutesAgo: number,
    options: { attempts?: number; tookSeconds?: number } = {},
  ) => ({
    order_id: order.insertId,
    title: 't',
    course_url: 'http://x',
    status,
    attempts: options.attempts ?? 1,
    updated_at: ago(endedMinutesAgo),
    started_at: new Date(ago(endedMinutesAgo).getTime() - (options.tookSeconds ?? 10) * 1000),
    completed_at: status === 'completed' ? ago(endedMinutesAgo) : null,
  });
  await tdb.db.insert(downloadTasks).values([
    // Last hour: 4 delivered (one after a retry, taking 10, 20, 30, 40 s), 1 failed after retries.
    task('completed', 5, { tookSeconds: 10 }),
    task('completed', 10, { tookSeconds: 20 }),
    task('completed', 20, { tookSeconds: 30, attempts: 2 }),
    task('completed', 30, { tookSeconds: 40 }),
    task('failed', 40, { attempts: 3 }),
    // Still running: not counted.
    task('downloading', 1),
    // Earlier today: 1 delivered after a retry, taking 100 s.
    task('completed', 300, { tookSeconds: 100, attempts: 2 }),
    // Two days ago: outside both windows.
    task('failed', 48 * 60),
  ]);
  const hour = await taskKpis(tdb.db, { hours: 1, now });
  expect(hour).toMatchObject({ hours: 1, ended: 5, completed: 4, failed: 1, retried: 2 });
  expect(hour.successRate).toBeCloseTo(0.8);
  expect(hour.failureRate).toBeCloseTo(0.2);
  expect(hour.retrySuccessRate).toBeCloseTo(0.5);
  expect(hour.durationP50Ms).toBeCloseTo(25_000, -1);
  expect(hour.durationP95Ms).toBeCloseTo(38_500, -2);
  const day = await taskKpis(tdb.db, { hours: 24, now });
  expect(day).toMatchObject({ ended: 6, completed: 5, failed: 1, retried: 3 });
  expect(day.retrySuccessRate).toBeCloseTo(2 / 3);
  // Nothing ended: rates and durations are unknown, not 0.
  const empty = await taskKpis(tdb.db, { hours: 1, now: new Date('2020-01-01T00:00:00Z') });
  expect(empty).toMatchObject({ ended: 0, successRate: null, failureRate: null, retrySuccessRate: null });
  expect(empty.durationP50Ms).toBeNull();
});
