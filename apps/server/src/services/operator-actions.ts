import {
  type ActionResult,
  BULK_ACTION_LIMIT,
  CANCELLABLE_TASK_STATUSES,
  downloadJobId,
  formatChannel,
  isCancellableTaskStatus,
  latestKey,
} from '@paidflow/contracts';
import {
  appendAuditEvents,
  type DbOrTx,
  enqueueDownloads,
  type OrderRow,
  transitionTask,
} from '@paidflow/db';
import type { Job } from 'bullmq';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { completeOrderIfDone, reopenOrder } from './order-completion.ts';
import { changeTask } from './task-change.ts';

export type ActionDeps = Pick<
  AppDeps,
  'db' | 'redis' | 'logger' | 'env' | 'namespace' | 'queue' | 'kickOutbox'
>;

/** The admin on whose behalf an action runs: recorded in every audit event it writes. */
export interface Actor {
  id: number;
  email: string;
}

/** The actor of a signed-in admin's session. */
export function actorOf(admin: { userId: number; email: string }): Actor {
  return { id: admin.userId, email: admin.email };
}

/** The audit source of an operator's events: `operator:<email>` (the full actor is in details.actor). */
export function operatorSource(actor: Actor): string {
  const name = actor.email.toLowerCase().replace(/[^a-z0-9_.@+-]/g, '_');
  return `operator:${name}`.slice(0, 50);
}

/** The audit details naming the actor: `{ actor: { id, email } }`, spread into an event's details. */
export function actorDetails(actor: Actor) {
  return { actor: { id: actor.id, email: actor.email } };
}

/** What a single action did; a refusal says why, and whether the thing is missing or in the wrong state. */
export type ActionRefusal = { ok: false; code: 'NOT_FOUND' | 'CONFLICT'; reason: string };
export type TaskActionOutcome = { ok: true } | ActionRefusal;

export function notFound(reason: string): ActionRefusal {
  return { ok: false, code: 'NOT_FOUND', reason };
}

export function conflict(reason: string): ActionRefusal {
  return { ok: false, code: 'CONFLICT', reason };
}

/** An ended order gets a task back: it is processing again, and the audit trail says why. */
async function reopenForRetry(tx: DbOrTx, order: OrderRow, taskId: number, actor: Actor) {
  const reopened = await reopenOrder(tx, order);
  if (!reopened) return null;
  await appendAuditEvents(tx, [
    {
      order_id: order.id,
      task_id: null,
      event_type: 'task_retry_requested',
      severity: 'info',
      message: `Order back to processing: ${actor.email} retried task ${taskId}`,
      details: { ...actorDetails(actor), taskId },
      previous_status: order.order_status,
      new_status: 'processing',
      source: operatorSource(actor),
    },
  ]);
  return reopened;
}

type JobState = Awaited<ReturnType<Job['getState']>>;

/**
 * Best effort after commit: removes a task's BullMQ job when it is in one of `states` (a failed
 * job that no longer stands for a failed task, or a waiting job of a cancelled task; an active
 * one stops on the status message). A failure is only logged as `warning`.
 */
async function removeJobIn(
  deps: ActionDeps,
  jobId: string,
  states: readonly JobState[],
  warning: string,
): Promise<void> {
  try {
    const job = await deps.queue.getJob(jobId);
    if (job && states.includes(await job.getState())) await job.remove();
  } catch (error) {
    deps.logger.warn({ err: error, jobId }, warning);
  }
}

/**
 * Retries one failed task for an operator: failed -> queued (transitionTask), a new job through
 * the outbox (enqueueDownloads, reason 'retry'), the audit event task_retry_requested with the
 * actor, and an order that had ended goes back to processing. After commit: the live status
 * messages, and the task's old dead-letter job is removed so the dead-letter list stays true.
 */
export async function retryTask(
  deps: ActionDeps,
  options: { taskId: number; actor: Actor },
): Promise<TaskActionOutcome> {
  const { taskId, actor } = options;
  const result = await changeTask(
    deps,
    taskId,
    async (tx, locked, news) => {
      if (locked.task.status !== 'failed') return conflict(`task is ${locked.task.status}, not failed`);
      const failedJobId = downloadJobId(taskId, locked.task.queue_generation);
      const reopened = await reopenForRetry(tx, locked.order, taskId, actor);
      const moved = await transitionTask(tx, {
        taskId,
        current: locked.task,
        to: 'queued',
        from: ['failed'],
        // A new budget of attempts: the new job numbers them from 1 (decision 013).
        patch: { progress: 0, current_file: null, completed_at: null, attempts: 0 },
      });
      if (!moved.changed) return conflict('task changed meanwhile');
      const [jobId] = await enqueueDownloads(tx, [{ taskId, orderId: locked.order.id }], 'retry');
      await appendAuditEvents(tx, [
        {
          order_id: locked.order.id,
          task_id: taskId,
          event_type: 'task_retry_requested',
          severity: 'info',
          message: `Retry requested by ${actor.email}`,
          details: {
            ...actorDetails(actor),
            previousJobId: failedJobId,
            jobId,
            attempts: locked.task.attempts,
          },
          previous_status: 'failed',
          new_status: 'queued',
          source: operatorSource(actor),
        },
      ]);
      news.tasks.push({ taskId, orderId: moved.order.id, previousStatus: 'failed', newStatus: 'queued' });
      news.order = moved.order;
      news.reopened = reopened;
      news.outbox = true;
      return { ok: true as const, failedJobId, orderId: locked.order.id };
    },
    () => notFound('task not found'),
    {
      // The last attempt's progress must not show on the new run; the key is only a cache.
      beforeAnnounce: async (done) => {
        if (!done.ok) return;
        await deps.redis
          .del(deps.namespace.key(latestKey(formatChannel('task', taskId, 'progress'), done.orderId)))
          .catch(() => 0);
      },
    },
  );
  if (!result.ok) return result;
  await removeJobIn(
    deps,
    result.failedJobId,
    ['failed'],
    'could not remove the dead-letter job of a retried task',
  );
  deps.logger.info({ taskId, actorId: actor.id }, 'task retry requested');
  return { ok: true };
}

/**
 * Cancels a queued or running task for an operator: -> cancelled (transitionTask), the audit
 * event task_cancel_requested with the actor, and the order completion when it was the order's
 * last open task. After commit: the live status message (a worker running the task stops on it)
 * and its waiting job, if any, leaves the queue.
 */
export async function cancelTask(
  deps: ActionDeps,
  options: { taskId: number; actor: Actor },
): Promise<TaskActionOutcome> {
  const { taskId, actor } = options;
  const result = await changeTask(
    deps,
    taskId,
    async (tx, locked, news) => {
      const previous = locked.task.status;
      if (!isCancellableTaskStatus(previous)) {
        return conflict(`task is ${previous}: only a queued or running task can be cancelled`);
      }
      const moved = await transitionTask(tx, {
        taskId,
        current: locked.task,
        to: 'cancelled',
        from: CANCELLABLE_TASK_STATUSES,
      });
      if (!moved.changed) return conflict('task changed meanwhile');
      await appendAuditEvents(tx, [
        {
          order_id: locked.order.id,
          task_id: taskId,
          event_type: 'task_cancel_requested',
          severity: 'warning',
          message: `Cancelled by ${actor.email} (was ${previous})`,
          details: actorDetails(actor),
          previous_status: previous,
          new_status: 'cancelled',
          source: operatorSource(actor),
        },
      ]);
      news.tasks.push({ taskId, orderId: moved.order.id, previousStatus: previous, newStatus: 'cancelled' });
      news.order = moved.order;
      news.completion = await completeOrderIfDone(tx, locked.order.id, operatorSource(actor));
      return { ok: true as const, task: locked.task, previous };
    },
    () => notFound('task not found'),
  );
  if (!result.ok) return result;
  await removeJobIn(
    deps,
    downloadJobId(taskId, result.task.queue_generation),
    ['waiting', 'delayed', 'prioritized', 'waiting-children'],
    'could not remove the job of a cancelled task',
  );
  deps.logger.info({ taskId, actorId: actor.id, previous: result.previous }, 'task cancelled');
  return { ok: true };
}

/**
 * Runs an action over many tasks or dead-letter jobs, one after the other (each in its own
 * transaction). A repeated id runs once, and at most BULK_ACTION_LIMIT ids run (`capped` says
 * there were more: run it again for the rest). Reports what it did and skipped.
 */
export async function forEachCapped<Id extends number | string>(
  ids: readonly Id[],
  action: (id: Id) => Promise<TaskActionOutcome>,
): Promise<ActionResult> {
  const unique = [...new Set(ids)];
  const result: ActionResult = { done: [], skipped: [], capped: unique.length > BULK_ACTION_LIMIT };
  for (const id of unique.slice(0, BULK_ACTION_LIMIT)) {
    const outcome = await action(id);
    if (outcome.ok) result.done.push(id);
    else result.skipped.push({ id, reason: outcome.reason });
  }
  return result;
}

/** Throws NOT_FOUND / CONFLICT for a single action that did nothing. */
export function requireDone(outcome: TaskActionOutcome): void {
  if (outcome.ok) return;
  throw new AppError(outcome.code, outcome.reason);
}
