import type { DashboardStats, TaskKpiWindow, Throughput } from '@paidflow/contracts';
import { and, eq, gte, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { downloadTasks } from '../schema.ts';
import { orderCountsBy } from './stats-counters.ts';

/**
 * Counts of paid orders: all, processing, completed, partially completed and failed. Read from
 * the exact counters that the orders' triggers keep (decision 060): a few hundred rows by primary
 * key, however many orders there are.
 */
export async function dashboardStats(db: DbOrTx): Promise<DashboardStats> {
  const paid = await orderCountsBy(db, 'paid');
  let totalPaid = 0;
  for (const count of paid.values()) totalPaid += count;
  return {
    totalPaid,
    processing: paid.get('processing') ?? 0,
    completed: paid.get('completed') ?? 0,
    partiallyCompleted: paid.get('partially_completed') ?? 0,
    failed: paid.get('failed') ?? 0,
  };
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

function rate(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

/**
 * The design's KPIs over the tasks that ended (completed or failed) in the last `hours`: success
 * and failure rates, how retried tasks did, and the delivered tasks' duration percentiles. Ranges
 * on the (status, updated_at) index; the percentiles are MariaDB's PERCENTILE_CONT.
 */
export async function taskKpis(db: DbOrTx, options: { hours: number; now?: Date }): Promise<TaskKpiWindow> {
  const now = options.now ?? new Date();
  const from = new Date(now.getTime() - options.hours * 3_600_000);
  const ended = and(
    inArray(downloadTasks.status, ['completed', 'failed']),
    gte(downloadTasks.updated_at, from),
    lte(downloadTasks.updated_at, now),
  );
  const [counts] = await db
    .select({
      completed: sql<number>`SUM(${downloadTasks.status} = 'completed')`,
      failed: sql<number>`SUM(${downloadTasks.status} = 'failed')`,
      retried: sql<number>`SUM(${downloadTasks.attempts} > 1)`,
      retriedCompleted: sql<number>`SUM(${downloadTasks.attempts} > 1 AND ${downloadTasks.status} = 'completed')`,
    })
    .from(downloadTasks)
    .where(ended);
  const duration = sql`TIMESTAMPDIFF(MICROSECOND, ${downloadTasks.started_at}, ${downloadTasks.completed_at}) / 1000`;
  const [percentiles] = await db
    .select({
      p50: sql<number | null>`PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY ${duration}) OVER ()`,
      p95: sql<number | null>`PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY ${duration}) OVER ()`,
    })
    .from(downloadTasks)
    .where(
      and(
        eq(downloadTasks.status, 'completed'),
        gte(downloadTasks.updated_at, from),
        lte(downloadTasks.updated_at, now),
        isNotNull(downloadTasks.started_at),
        isNotNull(downloadTasks.completed_at),
      ),
    )
    .limit(1);
  const completed = Number(counts?.completed ?? 0);
  const failed = Number(counts?.failed ?? 0);
  const retried = Number(counts?.retried ?? 0);
  const total = completed + failed;
  const ms = (value: unknown) => (value === null || value === undefined ? null : Math.max(0, Number(value)));
  return {
    hours: options.hours,
    ended: total,
    completed,
    failed,
    successRate: rate(completed, total),
    failureRate: rate(failed, total),
    retried,
    retrySuccessRate: rate(Number(counts?.retriedCompleted ?? 0), retried),
    durationP50Ms: ms(percentiles?.p50),
    durationP95Ms: ms(percentiles?.p95),
  };
}
