import { type ActionResult, BULK_ACTION_LIMIT, type RetryMatchingInput } from '@paidflow/contracts';
import { downloadTasks, orders } from '@paidflow/db';
import { and, asc, eq, type SQL, sql } from 'drizzle-orm';
import { type ActionDeps, type Actor, forEachTask, retryTask } from './operator-actions.ts';

/** LIKE pattern for a prefix; '!' escapes the wildcards (e-mails often hold '_'). */
function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[!%_]/g, '!$&')}%`;
}

/** "DH123", "dh123" and "123" match order codes; anything else matches customer e-mails. */
function searchCondition(search: string): SQL {
  const code = /^(?:dh)?(\d*)$/i.exec(search.trim());
  if (code) return sql`${orders.order_code} LIKE ${prefixPattern(`DH${code[1]}`)} ESCAPE '!'`;
  return sql`${orders.user_email} LIKE ${prefixPattern(search.trim())} ESCAPE '!'`;
}

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
  if (filter.search) where.push(searchCondition(filter.search));
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

/** Retries the given failed tasks (each in its own transaction); the rest are reported skipped. */
export function retryTasks(
  deps: ActionDeps,
  options: { taskIds: number[]; actor: Actor },
): Promise<ActionResult> {
  return forEachTask(
    options.taskIds.slice(0, BULK_ACTION_LIMIT),
    (taskId) => retryTask(deps, { taskId, actor: options.actor }),
    options.taskIds.length > BULK_ACTION_LIMIT,
  );
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
  const ids = rows.map((row) => row.id);
  return forEachTask(
    ids.slice(0, BULK_ACTION_LIMIT),
    (taskId) => retryTask(deps, { taskId, actor: options.actor }),
    ids.length > BULK_ACTION_LIMIT,
  );
}

/** Retries every failed task matching a filter, up to BULK_ACTION_LIMIT (capped says there were more). */
export async function retryMatching(
  deps: ActionDeps,
  options: { filter: RetryMatchingInput['filter']; actor: Actor },
): Promise<ActionResult> {
  const ids = await findFailedTasks(deps, options.filter, BULK_ACTION_LIMIT + 1);
  deps.logger.info({ filter: options.filter, matched: ids.length, actorId: options.actor.id }, 'bulk retry');
  return forEachTask(
    ids.slice(0, BULK_ACTION_LIMIT),
    (taskId) => retryTask(deps, { taskId, actor: options.actor }),
    ids.length > BULK_ACTION_LIMIT,
  );
}
