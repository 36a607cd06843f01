import { ACTIVE_TASK_STATUSES, type ErrorType, type OrderStatus, type TaskStatus } from '@paidflow/contracts';
import { and, asc, eq, gt, inArray, lt, notInArray, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { downloadTasks, type OrderRow, orders } from '../schema.ts';
import { orderSearchCondition } from './order-search.ts';

// Reads of tasks (and orders) that the server's services make to decide what to do next.

/** Tasks MySQL says are queued or active and that nothing changed since `before`, oldest first. */
export async function staleActiveTasks(
  db: DbOrTx,
  before: Date,
  limit: number,
): Promise<
  Array<{ id: number; order_id: number; status: TaskStatus; queue_generation: number; run_token: number }>
> {
  return db
    .select({
      id: downloadTasks.id,
      order_id: downloadTasks.order_id,
      status: downloadTasks.status,
      queue_generation: downloadTasks.queue_generation,
      run_token: downloadTasks.run_token,
    })
    .from(downloadTasks)
    .where(
      and(inArray(downloadTasks.status, [...ACTIVE_TASK_STATUSES]), lt(downloadTasks.updated_at, before)),
    )
    .orderBy(asc(downloadTasks.updated_at))
    .limit(limit);
}

export interface FailedTaskFilter {
  orderStatus?: OrderStatus | undefined;
  /** An order code or e-mail prefix (the order list's search). */
  search?: string | undefined;
  /** The type of the task's last error. */
  errorType?: ErrorType | undefined;
}

/** The failed tasks of paid orders that match a filter, oldest first, at most `limit`. */
export async function findFailedTaskIds(
  db: DbOrTx,
  filter: FailedTaskFilter,
  limit: number,
): Promise<number[]> {
  const where: SQL[] = [eq(downloadTasks.status, 'failed'), eq(orders.payment_status, 'paid')];
  if (filter.orderStatus) where.push(eq(orders.order_status, filter.orderStatus));
  if (filter.search) where.push(orderSearchCondition(filter.search));
  if (filter.errorType) {
    where.push(
      sql`JSON_UNQUOTE(JSON_EXTRACT(${downloadTasks.error_log}, '$.last.type')) = ${filter.errorType}`,
    );
  }
  const rows = await db
    .select({ id: downloadTasks.id })
    .from(downloadTasks)
    .innerJoin(orders, eq(orders.id, downloadTasks.order_id))
    .where(and(...where))
    .orderBy(asc(downloadTasks.id))
    .limit(limit);
  return rows.map((row) => row.id);
}

/** An order's failed tasks, oldest first, at most `limit`. */
export async function failedTaskIdsOfOrder(db: DbOrTx, orderId: number, limit: number): Promise<number[]> {
  const rows = await db
    .select({ id: downloadTasks.id })
    .from(downloadTasks)
    .where(and(eq(downloadTasks.order_id, orderId), eq(downloadTasks.status, 'failed')))
    .orderBy(asc(downloadTasks.id))
    .limit(limit);
  return rows.map((row) => row.id);
}

/** Each task's title and its order's code, by task id (the dead-letter list's names). */
export async function taskNames(
  db: DbOrTx,
  taskIds: readonly number[],
): Promise<Map<number, { title: string; orderCode: string }>> {
  const names = new Map<number, { title: string; orderCode: string }>();
  if (taskIds.length === 0) return names;
  const rows = await db
    .select({ id: downloadTasks.id, title: downloadTasks.title, orderCode: orders.order_code })
    .from(downloadTasks)
    .innerJoin(orders, eq(orders.id, downloadTasks.order_id))
    .where(inArray(downloadTasks.id, [...taskIds]));
  for (const row of rows) names.set(row.id, { title: row.title, orderCode: row.orderCode });
  return names;
}

/** The oldest pending, unpaid order with tasks whose id is not in `exclude` (the demo sender's next). */
export async function oldestPendingOrder(
  db: DbOrTx,
  exclude: ReadonlySet<number>,
): Promise<OrderRow | undefined> {
  const [order] = await db
    .select()
    .from(orders)
    .where(
      and(
        eq(orders.payment_status, 'pending'),
        eq(orders.order_status, 'pending'),
        gt(orders.total_tasks, 0),
        exclude.size > 0 ? notInArray(orders.id, [...exclude]) : undefined,
      ),
    )
    .orderBy(asc(orders.id))
    .limit(1);
  return order;
}
