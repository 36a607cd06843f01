import type { DashboardStats } from '@paidflow/contracts';
import { eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { orders } from '../schema.ts';

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
