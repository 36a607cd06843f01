import {
  WorkerAck,
  WorkerClaimInput,
  WorkerClaimResult,
  WorkerCompleteInput,
  WorkerFailureInput,
  WorkerTransitionInput,
  WorkerTransitionResult,
} from '@paidflow/contracts';
import type { AppDeps } from '../../deps.ts';
import { countRefused, RunSuperseded } from '../../services/run-fence.ts';
import { claimTask, completeTask, reportFailure, transitionByWorker } from '../../services/task-lifecycle.ts';
import { router, workerProcedure } from '../init.ts';

/**
 * A report from a superseded run is refused (CONFLICT), logged and counted. (MySQL unreachable
 * is SERVICE_UNAVAILABLE, mapped by the middleware: the worker retries its report later.)
 */
async function countingRefusals<T>(deps: AppDeps, procedure: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof RunSuperseded) countRefused(deps, procedure, error);
    throw error;
  }
}

/**
 * The worker's procedures (WORKER_TOKEN only): the server stays the one writer of order state.
 * Every procedure is idempotent, because a worker retries a report that may already have landed.
 */
export const workerRouter = router({
  claim: workerProcedure
    .input(WorkerClaimInput)
    .output(WorkerClaimResult)
    .mutation(({ ctx, input }) => countingRefusals(ctx, 'claim', claimTask(ctx, input))),
  transition: workerProcedure
    .input(WorkerTransitionInput)
    .output(WorkerTransitionResult)
    .mutation(({ ctx, input }) => countingRefusals(ctx, 'transition', transitionByWorker(ctx, input))),
  reportFailure: workerProcedure
    .input(WorkerFailureInput)
    .output(WorkerAck)
    .mutation(({ ctx, input }) => countingRefusals(ctx, 'reportFailure', reportFailure(ctx, input))),
  complete: workerProcedure
    .input(WorkerCompleteInput)
    .output(WorkerAck)
    .mutation(({ ctx, input }) => countingRefusals(ctx, 'complete', completeTask(ctx, input))),
});
