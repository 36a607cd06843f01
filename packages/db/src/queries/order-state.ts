import type { OrderPriority, OrderStatus } from '@paidflow/contracts';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../client.ts';
import { isRetryableLockError } from '../errors.ts';
import { preparedPerPool } from '../prepared.ts';
import { type DownloadTaskRow, downloadTasks, type OrderRow, orders } from '../schema.ts';

// The home of order state (decision 041): the transaction every writer of order state runs in,
// the lock protocol (order, then task), and the writes of an order's own status. The task writes
// are in tasks.ts (transitionTask, the one changer of task statuses and order counters) and
// task-runs.ts (a run's claim and record); the rules that decide them stay in the server.

/**
 * Runs `work` in a MySQL transaction, and again (up to `attempts` times in all) when MySQL
 * aborts it as a deadlock victim: the pipeline's writers lock order then task rows, but an
 * operator's action may take them the other way round, and the loser simply runs again.
 */
export async function withTransaction<T>(db: Db, work: (tx: DbOrTx) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      if (attempt >= attempts || !isRetryableLockError(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20));
    }
  }
}

/** Locks an order by id: every writer of an order's state takes this lock first, then task locks. */
export async function lockOrder(tx: DbOrTx, orderId: number): Promise<OrderRow | undefined> {
  const [row] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  return row;
}

/**
 * A task's order id (an order's tasks never move), or null when the task does not exist. Read it
 * before the transaction that calls lockTaskAndOrder, on the pool.
 */
export async function taskOrderId(db: DbOrTx, taskId: number): Promise<number | null> {
  const [peek] = await db
    .select({ order_id: downloadTasks.order_id })
    .from(downloadTasks)
    .where(eq(downloadTasks.id, taskId));
  return peek?.order_id ?? null;
}

/**
 * Locks a task's order, then the task: every pipeline writer (workers' reports and operators'
 * actions alike) takes the order lock first, so that the order's counters and status are decided
 * by one transaction at a time and the writers never deadlock on each other. The order id comes
 * from taskOrderId, read before the transaction: so that the transaction's first read is a
 * locking one (a plain read would fix its snapshot before the locks are held), and without a
 * second pool connection while this one is held (with every connection held by such
 * transactions, each waiting for another, none would ever be free: a pool deadlock).
 */
export async function lockTaskAndOrder(
  tx: DbOrTx,
  taskId: number,
  orderId: number | null,
): Promise<{ task: DownloadTaskRow; order: OrderRow } | null> {
  if (orderId === null) return null;
  const order = await lockOrder(tx, orderId);
  const [task] = await tx.select().from(downloadTasks).where(eq(downloadTasks.id, taskId)).for('update');
  if (!order || !task || task.order_id !== order.id) return null;
  return { task, order };
}

/** An order whose tasks have all ended gets its final status (with the order locked). */
export async function markOrderEnded(
  tx: DbOrTx,
  orderId: number,
  status: Extract<OrderStatus, 'completed' | 'partially_completed' | 'failed' | 'cancelled'>,
  completedAt: Date,
): Promise<void> {
  await tx
    .update(orders)
    .set({ order_status: status, completed_at: completedAt })
    .where(eq(orders.id, orderId));
}

/** An ended order that got a task back is processing again (with the order locked). */
export async function markOrderProcessing(tx: DbOrTx, orderId: number): Promise<void> {
  await tx
    .update(orders)
    .set({ order_status: 'processing', completed_at: null })
    .where(eq(orders.id, orderId));
}

/** An order's priority (with the order locked). */
export async function markOrderPriority(tx: DbOrTx, orderId: number, priority: OrderPriority): Promise<void> {
  await tx.update(orders).set({ priority }).where(eq(orders.id, orderId));
}

/** The priority of each of these orders, for the jobs of their tasks. */
export async function orderPriorities(db: DbOrTx, orderIds: number[]): Promise<Map<number, OrderPriority>> {
  if (orderIds.length === 0) return new Map();
  const rows = await db
    .select({ id: orders.id, priority: orders.priority })
    .from(orders)
    .where(inArray(orders.id, [...new Set(orderIds)]));
  return new Map(rows.map((row) => [row.id, row.priority]));
}

/** An order's tasks waiting on the queue, with what names their current job. */
export async function queuedTasksOf(db: DbOrTx, orderId: number) {
  return db
    .select({ id: downloadTasks.id, queue_generation: downloadTasks.queue_generation })
    .from(downloadTasks)
    .where(and(eq(downloadTasks.order_id, orderId), eq(downloadTasks.status, 'queued')));
}

// Prepared (prepared.ts): every live task subscription's snapshot reads the first, in one
// statement (one round trip, one consistent view of both rows); findOrder the second.
const taskWithOrder = preparedPerPool((db) =>
  db
    .select({ task: downloadTasks, order: orders })
    .from(downloadTasks)
    .innerJoin(orders, eq(orders.id, downloadTasks.order_id))
    .where(eq(downloadTasks.id, sql.placeholder('taskId')))
    .prepare(),
);
const orderById = preparedPerPool((db) =>
  db
    .select()
    .from(orders)
    .where(eq(orders.id, sql.placeholder('orderId')))
    .prepare(),
);

/** A task and its order, as they stand (no lock): what a live subscriber's snapshot starts from. */
export async function findTaskWithOrder(
  db: DbOrTx,
  taskId: number,
): Promise<{ task: DownloadTaskRow; order: OrderRow } | null> {
  const [found] = await taskWithOrder(db).execute({ taskId });
  return found ?? null;
}

/** An order by id, or undefined. */
export async function findOrder(db: DbOrTx, orderId: number): Promise<OrderRow | undefined> {
  const [order] = await orderById(db).execute({ orderId });
  return order;
}

/** An order's tasks as its customer's notification lists them, in order. */
export async function tasksForNotification(db: DbOrTx, orderId: number) {
  return db
    .select({
      id: downloadTasks.id,
      title: downloadTasks.title,
      status: downloadTasks.status,
      drive_link: downloadTasks.drive_link,
    })
    .from(downloadTasks)
    .where(eq(downloadTasks.order_id, orderId))
    .orderBy(asc(downloadTasks.id));
}

/** True when MySQL answers. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.execute(sql`SELECT 1`);
}
