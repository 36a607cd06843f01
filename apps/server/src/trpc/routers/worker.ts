import {
  WorkerAck,
  WorkerClaimInput,
  WorkerClaimResult,
  WorkerCompleteInput,
  WorkerFailureInput,
  WorkerTransitionInput,
  WorkerTransitionResult,
} from '@paidflow/contracts';
import { AppError, isUnavailableError } from '../../errors.ts';
import { claimTask, completeTask, reportFailure, transitionByWorker } from '../../services/task-lifecycle.ts';
import { router, workerProcedure } from '../init.ts';

/** MySQL unreachable is SERVICE_UNAVAILABLE for the worker, which retries its report later. */
async function orUnavailable<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isUnavailableError(error))
      throw new AppError('UNAVAILABLE', 'database unavailable; retry later', { cause: error });
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
    .mutation(({ ctx, input }) => orUnavailable(claimTask(ctx, input))),
  transition: workerProcedure
    .input(WorkerTransitionInput)
    .output(WorkerTransitionResult)
    .mutation(({ ctx, input }) => orUnavailable(transitionByWorker(ctx, input))),
  reportFailure: workerProcedure
    .input(WorkerFailureInput)
    .output(WorkerAck)
    .mutation(({ ctx, input }) => orUnavailable(reportFailure(ctx, input))),
  complete: workerProcedure
    .input(WorkerCompleteInput)
    .output(WorkerAck)
    .mutation(({ ctx, input }) => orUnavailable(completeTask(ctx, input))),
});
