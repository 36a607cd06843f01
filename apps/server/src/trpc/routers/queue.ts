import {
  ActionResult,
  JobIdInput,
  JobIdsInput,
  QueueOverview,
  QueueOverviewInput,
  WorkerHealth,
} from '@paidflow/contracts';
import { removeDeadLetter, retryDeadLetter } from '../../services/dead-letters.ts';
import { actorOf, forEachCapped, requireDone } from '../../services/operator-actions.ts';
import { queueOverview } from '../../services/queue-overview.ts';
import { workerHealth } from '../../services/worker-health.ts';
import { operatorProcedure, router, viewerProcedure, viewerReadProcedure } from '../init.ts';
import { Done } from './tasks.ts';

export const queueRouter = router({
  /** Job counts and the dead-letter list (failed jobs, with attempts and last error), paged. */
  overview: viewerReadProcedure
    .input(QueueOverviewInput)
    .output(QueueOverview)
    .query(({ ctx, input }) => queueOverview(ctx, input)),
  /** Retries a dead letter's task and removes the failed job (operator). */
  retryJob: operatorProcedure
    .input(JobIdInput)
    .output(Done)
    .mutation(async ({ ctx, input }) => {
      const outcome = await retryDeadLetter(ctx, { jobId: input.jobId, actor: actorOf(ctx.admin) });
      requireDone(outcome);
      return { ok: true as const };
    }),
  /** Removes a dead letter for good (operator; audited). */
  removeJob: operatorProcedure
    .input(JobIdInput)
    .output(Done)
    .mutation(async ({ ctx, input }) => {
      const outcome = await removeDeadLetter(ctx, { jobId: input.jobId, actor: actorOf(ctx.admin) });
      requireDone(outcome);
      return { ok: true as const };
    }),
  retryJobs: operatorProcedure
    .input(JobIdsInput)
    .output(ActionResult)
    .mutation(({ ctx, input }) =>
      forEachCapped(input.jobIds, (jobId) => retryDeadLetter(ctx, { jobId, actor: actorOf(ctx.admin) })),
    ),
  removeJobs: operatorProcedure
    .input(JobIdsInput)
    .output(ActionResult)
    .mutation(({ ctx, input }) =>
      forEachCapped(input.jobIds, (jobId) => removeDeadLetter(ctx, { jobId, actor: actorOf(ctx.admin) })),
    ),
});

export const workersRouter = router({
  /** The workers whose heartbeat is in Redis, each up or late. */
  health: viewerProcedure.output(WorkerHealth).query(({ ctx }) => workerHealth(ctx)),
});
