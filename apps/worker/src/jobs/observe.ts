import { JOB_PRIORITIES } from '@paidflow/contracts';
import { type Job, UnrecoverableError, WaitingError } from 'bullmq';
import type { RunOutcome, WorkerMetrics } from '../metrics.ts';

type Processor<R> = (job: Job, token?: string) => Promise<R>;

/**
 * Seconds a job waited on the queue before this start: from its enqueue, or the end of the delay
 * it was added with, to BullMQ's processedOn. Null past the first start (a retry, a stalled or
 * released job): BullMQ does not record when such a job became ready again. Clock skew between
 * the enqueuing server and this worker is clamped at zero.
 */
export function queueWaitSeconds(job: Job, startedAt = Date.now()): number | null {
  if (job.attemptsStarted > 1) return null;
  const readyAt = job.timestamp + (job.opts.delay ?? 0);
  return Math.max(0, (job.processedOn ?? startedAt) - readyAt) / 1000;
}

function priorityOf(job: Job): 'vip' | 'normal' | 'none' {
  if (job.opts.priority === JOB_PRIORITIES.vip) return 'vip';
  return job.opts.priority === JOB_PRIORITIES.normal ? 'normal' : 'none';
}

/** A failed run: released to the queue (shutdown), retried by BullMQ, or failed for good. */
function failureOutcome(job: Job, error: unknown): RunOutcome {
  if (error instanceof WaitingError) return 'released';
  if (error instanceof UnrecoverableError) return 'failed';
  return job.attemptsMade + 1 >= Math.max(1, job.opts.attempts ?? 1) ? 'failed' : 'retried';
}

/**
 * The processor, measured: its job's queue wait when it starts, and the run's whole duration
 * by outcome when it ends. What the processor returns or throws passes through unchanged.
 */
export function observeJobs<R extends { outcome: RunOutcome }>(
  metrics: Pick<WorkerMetrics, 'queueWait' | 'taskDuration'>,
  processor: Processor<R>,
): Processor<R> {
  return async function observedJob(job, token) {
    const wait = queueWaitSeconds(job);
    if (wait !== null) metrics.queueWait.observe({ priority: priorityOf(job) }, wait);
    const stop = metrics.taskDuration.startTimer();
    try {
      const result = await processor(job, token);
      stop({ outcome: result.outcome });
      return result;
    } catch (error) {
      stop({ outcome: failureOutcome(job, error) });
      throw error;
    }
  };
}
