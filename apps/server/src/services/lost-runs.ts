import { DOWNLOAD_ATTEMPTS, type PipelineStep, type TaskStatus } from '@paidflow/contracts';
import { appendAuditEvents, enqueueDownloads, transitionTask } from '@paidflow/db';
import type { Job } from 'bullmq';
import type { AppDeps } from '../deps.ts';
import { type AttemptFailure, moveAfterFailure, recordFailedAttempt } from './attempt-failure.ts';
import { completeOrderIfDone } from './order-completion.ts';
import { changeTask } from './task-change.ts';

export type LostRunDeps = Pick<AppDeps, 'db' | 'logger' | 'redis' | 'env' | 'namespace' | 'kickOutbox'>;

const SOURCE = 'reconciler';

/** A task the reconciler checks, as it read it (the transaction checks it is unchanged). */
export interface Candidate {
  id: number;
  order_id: number;
  status: TaskStatus;
  queue_generation: number;
  run_token: number;
}

/** What the reconciler knows of a lost run, for its audit record. */
export interface LostRun {
  jobId: string;
  /** What BullMQ still had: 'missing' (removed, cleaned, lost with Redis), 'failed', 'completed'. */
  jobState: string;
  reason: string;
  job: Job | undefined;
}

/** The step a run was at, from its task's status, for a lost run's failure record. */
function stepOf(status: TaskStatus): PipelineStep {
  if (status === 'uploading') return 'upload';
  if (status === 'enrolled' || status === 'downloading') return 'download';
  return 'enroll';
}

/**
 * One lost run, in one transaction: unless the task moved meanwhile, the run's open attempt (if
 * it had one) is recorded as a WORKER_LOST failure and the task retried or failed by the usual
 * rules; a task with no attempt open is simply queued again. Either way a new job is enqueued
 * (which fences the old one's runs), and a job BullMQ had ended is removed from its failed or
 * completed set, since its end is now in MySQL; a final failure keeps it as the dead letter.
 */
export async function bringLostRun(
  deps: LostRunDeps,
  candidate: Candidate,
  lost: LostRun,
): Promise<'requeued' | 'failed' | null> {
  const outcome = await changeTask(
    deps,
    candidate.id,
    async (tx, locked, news): Promise<'requeued' | 'failed' | null> => {
      const { task, order } = locked;
      // Someone moved it meanwhile (a worker reported or claimed, an operator acted): not ours to touch.
      if (
        task.status !== candidate.status ||
        task.queue_generation !== candidate.queue_generation ||
        task.run_token !== candidate.run_token
      ) {
        return null;
      }
      // The attempt this loss costs: the one a run had claimed, or, for a job BullMQ failed with no
      // run ever claiming the task (its claims never reached the server), the next one, so
      // that such a job cannot come back for ever.
      const attempt = task.run_attempt ?? (lost.jobState === 'failed' ? task.attempts + 1 : null);
      if (attempt !== null) {
        const claimed = task.run_attempt !== null;
        const failure: AttemptFailure = {
          jobId: lost.jobId,
          attempt,
          maxAttempts: DOWNLOAD_ATTEMPTS,
          step: stepOf(task.status),
          error: {
            type: 'WORKER_LOST',
            message: (claimed
              ? `run lost: ${lost.reason}`
              : `job failed before a run took it: ${lost.reason}`
            ).slice(0, 2000),
            retryable: true,
            file: task.current_file,
          },
          final: attempt >= DOWNLOAD_ATTEMPTS,
          at: new Date().toISOString(),
        };
        await recordFailedAttempt(tx, locked, failure, SOURCE, task.run_token);
        await moveAfterFailure(tx, locked, failure, SOURCE, news, { attemptsBefore: attempt });
        if (!failure.final) return 'requeued';
        news.completion = await completeOrderIfDone(tx, order.id, SOURCE);
        return 'failed';
      }
      const moved = await transitionTask(tx, {
        taskId: task.id,
        to: 'queued',
        from: [task.status],
        current: task,
      });
      if (!moved.changed) return null;
      const [newJobId] = await enqueueDownloads(
        tx,
        [{ taskId: task.id, orderId: order.id, attemptsBefore: task.attempts }],
        'reconcile',
      );
      await appendAuditEvents(tx, [
        {
          order_id: order.id,
          task_id: task.id,
          event_type: 'task_requeued',
          severity: 'warning',
          message: `Job ${lost.jobId} was lost (${lost.jobState}) before a run took it; task queued again as ${newJobId}`,
          details: {
            missingJobId: lost.jobId,
            newJobId,
            jobState: lost.jobState,
            previousStatus: task.status,
            reason: 'reconcile',
          },
          previous_status: task.status,
          new_status: 'queued',
          source: SOURCE,
        },
      ]);
      news.tasks.push({
        taskId: task.id,
        orderId: order.id,
        previousStatus: task.status,
        newStatus: 'queued',
        runToken: task.run_token + 1,
      });
      news.order = moved.order;
      news.outbox = true;
      return 'requeued';
    },
    () => null,
  );
  if (outcome === 'requeued' && lost.job) {
    await lost.job
      .remove()
      .catch((error: unknown) =>
        deps.logger.warn({ err: error, jobId: lost.jobId }, 'reconciler: could not remove an ended job'),
      );
  }
  return outcome;
}
