import type { Logger } from '@paidflow/runtime';
import { type Job, WaitingError } from 'bullmq';
import { classify, describeError, type JobStopped } from '../errors.ts';

/**
 * Whether a run that ended with `error` goes back to the queue instead of failing: shutdown
 * aborted it past the grace, or it failed with a retryable error once the worker had begun to
 * stop (in an orderly stop a source or the server may be going away too; decision 049).
 */
export function releasedOnStop(error: unknown, stopped: JobStopped | null, stopping: AbortSignal): boolean {
  return stopped?.reason === 'shutdown' || (stopping.aborted && classify(error).retryable);
}

/**
 * Moves the job back to wait without using an attempt; another worker (or this one, restarted)
 * resumes it, keeping the files this run finished. Throws BullMQ's WaitingError, as it must.
 */
export async function releaseJob(
  job: Job,
  token: string | undefined,
  logger: Logger,
  detail: { step: string | undefined; error: unknown; stopped: JobStopped | null },
): Promise<never> {
  if (token) await job.moveToWait(token);
  logger.info(
    { step: detail.step, ...(detail.stopped ? {} : { err: describeError(detail.error) }) },
    'job released: worker shutting down',
  );
  throw new WaitingError();
}
