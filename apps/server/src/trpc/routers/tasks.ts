import { ActionResult, RetryManyInput, RetryMatchingInput, TaskIdInput } from '@paidflow/contracts';
import { z } from 'zod';
import { retryMatching, retryTasks } from '../../services/bulk-retry.ts';
import { actorOf, cancelTask, requireDone, retryTask } from '../../services/operator-actions.ts';
import { operatorProcedure, router } from '../init.ts';

/** The answer of a single operator action that did what it was asked (else it throws). */
export const Done = z.object({ ok: z.literal(true) });

/** Operator actions on download tasks; each one is in the audit log with the admin who did it. */
export const tasksRouter = router({
  /** A failed task goes back to the queue. CONFLICT when it is not failed. */
  retry: operatorProcedure
    .input(TaskIdInput)
    .output(Done)
    .mutation(async ({ ctx, input }) => {
      requireDone(await retryTask(ctx, { taskId: input.taskId, actor: actorOf(ctx.admin) }));
      return { ok: true as const };
    }),
  /** A queued or running task is cancelled (a running worker stops). CONFLICT when it has ended. */
  cancel: operatorProcedure
    .input(TaskIdInput)
    .output(Done)
    .mutation(async ({ ctx, input }) => {
      requireDone(await cancelTask(ctx, { taskId: input.taskId, actor: actorOf(ctx.admin) }));
      return { ok: true as const };
    }),
  /** Retries a selection of failed tasks (at most BULK_ACTION_LIMIT). */
  retryMany: operatorProcedure
    .input(RetryManyInput)
    .output(ActionResult)
    .mutation(({ ctx, input }) => retryTasks(ctx, { taskIds: input.taskIds, actor: actorOf(ctx.admin) })),
  /** Retries every failed task matching a filter (at most BULK_ACTION_LIMIT; `capped` says more matched). */
  retryMatching: operatorProcedure
    .input(RetryMatchingInput)
    .output(ActionResult)
    .mutation(({ ctx, input }) => retryMatching(ctx, { filter: input.filter, actor: actorOf(ctx.admin) })),
});
