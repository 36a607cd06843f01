import { orders } from '@paidflow/db';
import { createTestDatabase, type TestDatabase } from '@paidflow/db/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cachedDashboardStats, STATS_TTL_MS } from './stats-cache.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase('stats_cache');
});
afterAll(async () => {
  await tdb?.[Symbol.asyncDispose]();
});

test('dashboard counts are reused for a moment, then counted again', async () => {
  const paid = (code: string) => ({
    order_code: code,
    user_email: 'a@example.com',
    total_amount: 1,
    payment_status: 'paid' as const,
  });
  await tdb.db.insert(orders).values(paid('DH700001'));
  const t0 = Date.now();
  expect((await cachedDashboardStats(tdb.db, t0)).totalPaid).toBe(1);
  await tdb.db.insert(orders).values(paid('DH700002'));
  expect((await cachedDashboardStats(tdb.db, t0 + 10)).totalPaid).toBe(1);
  expect((await cachedDashboardStats(tdb.db, t0 + STATS_TTL_MS + 1)).totalPaid).toBe(2);
});
