import { ACTIVE_TASK_STATUSES } from '@paidflow/contracts';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';

const COUNTERS = [
  'total_tasks',
  'completed_tasks',
  'failed_tasks',
  'cancelled_tasks',
  'active_tasks',
] as const;
type Counter = (typeof COUNTERS)[number];
export type OrderCounters = Record<Counter, number>;

/** An order whose stored task counters disagree with its tasks' statuses. */
export interface CounterMismatch {
  orderId: number;
  orderCode: string;
  stored: OrderCounters;
  actual: OrderCounters;
}

export interface ConsistencyReport {
  ordersChecked: number;
  /** At most `limit` of them, lowest order id first. */
  mismatches: CounterMismatch[];
}

const ACTIVE = sql.join(
  ACTIVE_TASK_STATUSES.map((status) => sql`${status}`),
  sql`, `,
);

/**
 * Checks the invariant of decision 002 over every order: total, completed, failed, cancelled and
 * active task counters equal the counts of its tasks by status. Run it on a restored backup
 * (`npm run check-db`), or on a live database (writes in flight may show as passing mismatches:
 * run it twice). One GROUP BY over download_tasks: seconds at a million orders.
 */
export async function checkOrderCounters(
  db: DbOrTx,
  options: { limit?: number } = {},
): Promise<ConsistencyReport> {
  const limit = options.limit ?? 100;
  const [[total], [rows]] = await Promise.all([
    db.execute(sql`SELECT COUNT(*) AS n FROM orders`),
    db.execute(sql`
      SELECT o.id, o.order_code, o.total_tasks, o.completed_tasks, o.failed_tasks, o.cancelled_tasks,
             o.active_tasks, COALESCE(t.total, 0) AS a_total, COALESCE(t.completed, 0) AS a_completed,
             COALESCE(t.failed, 0) AS a_failed, COALESCE(t.cancelled, 0) AS a_cancelled,
             COALESCE(t.active, 0) AS a_active
      FROM orders o
      LEFT JOIN (
        SELECT order_id, COUNT(*) AS total, SUM(status = 'completed') AS completed,
               SUM(status = 'failed') AS failed, SUM(status = 'cancelled') AS cancelled,
               SUM(status IN (${ACTIVE})) AS active
        FROM download_tasks GROUP BY order_id
      ) t ON t.order_id = o.id
      WHERE o.total_tasks <> COALESCE(t.total, 0) OR o.completed_tasks <> COALESCE(t.completed, 0)
         OR o.failed_tasks <> COALESCE(t.failed, 0) OR o.cancelled_tasks <> COALESCE(t.cancelled, 0)
         OR o.active_tasks <> COALESCE(t.active, 0)
      ORDER BY o.id
      LIMIT ${limit}`),
  ]);
  const mismatches = (rows as unknown as Array<Record<string, unknown>>).map((row) => {
    const stored = {} as OrderCounters;
    const actual = {} as OrderCounters;
    for (const counter of COUNTERS) {
      stored[counter] = Number(row[counter]);
      actual[counter] = Number(row[`a_${counter.replace('_tasks', '')}`]);
    }
    return { orderId: Number(row.id), orderCode: String(row.order_code), stored, actual };
  });
  const ordersChecked = Number((total as unknown as Array<{ n: number }>)[0]?.n ?? 0);
  return { ordersChecked, mismatches };
}

/** Rows per table of the current database (exact COUNT(*), not the statistics' estimate). */
export async function tableRowCounts(db: DbOrTx): Promise<Record<string, number>> {
  const [tables] = await db.execute(
    sql`SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables as unknown as Array<{ name: string }>) {
    const [rows] = await db.execute(sql.raw(`SELECT COUNT(*) AS n FROM \`${name.replace(/`/g, '')}\``));
    counts[name] = Number((rows as unknown as Array<{ n: number }>)[0]?.n ?? 0);
  }
  return counts;
}
