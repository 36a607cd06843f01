import { type ActionResult, BULK_ACTION_LIMIT, type RetryMatchingInput } from '@paidflow/contracts';
import { failedTaskIdsOfOrder, findFailedTaskIds } from '@paidflow/db';
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
  return findFailedTaskIds(deps.db, filter, limit);
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
  const taskIds = await failedTaskIdsOfOrder(deps.db, options.orderId, BULK_ACTION_LIMIT + 1);
  return retryEach(deps, taskIds, options.actor);
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
