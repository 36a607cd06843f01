import {
  type Db,
  type DbOrTx,
  type DownloadTaskRow,
  downloadTasks,
  lockOrder,
  type OrderRow,
} from '@paidflow/db';
import { eq } from 'drizzle-orm';

/**
 * Locks a task's order, then the task: every pipeline writer (workers' reports and operators'
 * actions alike) takes the order lock first, so that the order's counters and status are decided
 * by one transaction at a time and the writers never deadlock on each other. The order id is read
 * outside the transaction, so that its first read is a locking one (a plain read would fix the
 * transaction's snapshot before the locks are held).
 */
export async function lockTaskAndOrder(
  db: Db,
  tx: DbOrTx,
  taskId: number,
): Promise<{ task: DownloadTaskRow; order: OrderRow } | null> {
  const [peek] = await db
    .select({ order_id: downloadTasks.order_id })
    .from(downloadTasks)
    .where(eq(downloadTasks.id, taskId));
  if (!peek) return null;
  const order = await lockOrder(tx, peek.order_id);
  const [task] = await tx.select().from(downloadTasks).where(eq(downloadTasks.id, taskId)).for('update');
  if (!order || !task || task.order_id !== order.id) return null;
  return { task, order };
}
