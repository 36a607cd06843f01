import { type ActionResult, BULK_ACTION_LIMIT, type RetryMatchingInput } from '@paidflow/contracts';
import { downloadTasks, orderSearchCondition, orders } from '@paidflow/db';
import { and, asc, eq, type SQL, sql } from 'drizzle-orm';
import { type ActionDeps, type Actor, forEachCapped, retryTask } from './operator-actions.ts';

/**
 * The failed tasks of paid orders that match a filter (order status, order code or e-mail
 * prefix, type of the last error), oldest first, at most `limit`.
 */
export async function findFailedTasks(
  deps: Pick<ActionDeps, 'db'>,
  filter: RetryMatchingInput['filter'],
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
  const rows = await deps.db
    .select({ id: downloadTasks.id })
    .from(downloadTasks)
    .innerJoin(orders, eq(orders.id, downloadTasks.order_id))
    .where(and(...where))
    .orderBy(asc(downloadTasks.id))
    .limit(limit);
  return rows.map((row) => row.id);
}

/** Retries each task (at most BULK_ACTION_LIMIT), each in its own transaction. */
function retryEach(deps: ActionDeps, taskIds: readonly number[], actor: Actor): Promise<ActionResult> {
  return forEachCapped(taskIds, (taskId) => retryTask(deps, { taskId, actor }));
}

/** Retries the given failed tasks (each in its own transaction); the rest are reported skipped. */
export function retryTasks(
  deps: ActionDeps,
  options: { taskIds: number[]; actor: Actor },
): Promise<ActionResult> {
  return retryEach(deps, options.taskIds, options.actor);
}

/** Retries every failed task of one order. */
export async function retryOrderFailed(
  deps: ActionDeps,
  options: { orderId: number; actor: Actor },
): Promise<ActionResult> {
  const rows = await deps.db
    .select({ id: downloadTasks.id })
    .from(downloadTasks)
    .where(and(eq(downloadTasks.order_id, options.orderId), eq(downloadTasks.status, 'failed')))
    .orderBy(asc(downloadTasks.id))
    .limit(BULK_ACTION_LIMIT + 1);
  return retryEach(
    deps,
    rows.map((row) => row.id),
    options.actor,
  );
}

/** Retries every failed task matching a filter, up to BULK_ACTION_LIMIT (capped says there were more). */
export async function retryMatching(
  deps: ActionDeps,
  options: { filter: RetryMatchingInput['filter']; actor: Actor },
): Promise<ActionResult> {
  const ids = await findFailedTasks(deps, options.filter, BULK_ACTION_LIMIT + 1);
  deps.logger.info({ filter: options.filter, matched: ids.length, actorId: options.actor.id }, 'bulk retry');
  return retryEach(deps, ids, options.actor);
}
