import type { DashboardStats, Throughput } from '@paidflow/contracts';
import { and, eq, gte, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { downloadTasks, orders } from '../schema.ts';

/**
 * Counts of paid orders: all, processing, completed and failed. One index-only pass over the
 * paid entries of (payment_status, order_status, ...), grouped by status.
 */
export async function dashboardStats(db: DbOrTx): Promise<DashboardStats> {
  const rows = await db
    .select({ status: orders.order_status, count: sql<number>`COUNT(*)` })
    .from(orders, { forceIndex: 'idx_orders_payment_status_created' })
    .where(eq(orders.payment_status, 'paid'))
    .groupBy(orders.order_status);
  const stats: DashboardStats = { totalPaid: 0, processing: 0, completed: 0, failed: 0 };
  for (const row of rows) {
    const count = Number(row.count);
    stats.totalPaid += count;
    if (row.status === 'processing' || row.status === 'completed' || row.status === 'failed')
      stats[row.status] = count;
  }
  return stats;
}

/**
 * Tasks completed and failed per minute over the last `minutes` minutes, by the time of their
 * last change. A range on the (status, updated_at) index: it reads only the recent ended tasks.
 */
export async function taskThroughput(
  db: DbOrTx,
  options: { minutes: number; now?: Date },
): Promise<Throughput> {
  const now = options.now ?? new Date();
  const from = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - (options.minutes - 1) * 60_000);
  const minute = sql<number>`FLOOR(UNIX_TIMESTAMP(${downloadTasks.updated_at}) / 60) * 60000`;
  const rows = await db
    .select({ status: downloadTasks.status, minute, count: sql<number>`COUNT(*)` })
    .from(downloadTasks)
    .where(and(inArray(downloadTasks.status, ['completed', 'failed']), gte(downloadTasks.updated_at, from)))
    .groupBy(downloadTasks.status, minute);
  const byMinute = new Map<number, { minute: number; completed: number; failed: number }>();
  for (const row of rows) {
    const key = Number(row.minute);
    const point = byMinute.get(key) ?? { minute: key, completed: 0, failed: 0 };
    if (row.status === 'completed') point.completed += Number(row.count);
    else point.failed += Number(row.count);
    byMinute.set(key, point);
  }
  return { points: [...byMinute.values()].sort((a, b) => a.minute - b.minute) };
}
