import { DownloadJobData } from '@paidflow/contracts';
import { appendAuditEvents } from '@paidflow/db';
import type { Job } from 'bullmq';
import {
  type ActionDeps,
  type ActionRefusal,
  type Actor,
  actorDetails,
  conflict,
  notFound,
  operatorSource,
  retryTask,
  type TaskActionOutcome,
} from './operator-actions.ts';
import { queueCall } from './queue-overview.ts';

async function failedJob(
  deps: ActionDeps,
  jobId: string,
): Promise<{ ok: true; job: Job; data: DownloadJobData | null } | ActionRefusal> {
  const found = await queueCall(deps, 'dead-letter lookup', async () => {
    const job = await deps.queue.getJob(jobId);
    return job ? { job, state: await job.getState() } : null;
  });
  if (!found) return notFound('job not found');
  if (found.state !== 'failed') {
    return conflict(`job is ${found.state}, not a dead letter`);
  }
  const data = DownloadJobData.safeParse(found.job.data);
  return { ok: true, job: found.job, data: data.success ? data.data : null };
}

/**
 * Retries a dead letter: retries its task like tasks.retry (new job, audit event with the actor)
 * and removes this failed job. A dead letter whose task is no longer failed is left for removal.
 */
export async function retryDeadLetter(
  deps: ActionDeps,
  options: { jobId: string; actor: Actor },
): Promise<TaskActionOutcome> {
  const found = await failedJob(deps, options.jobId);
  if (!found.ok) return found;
  if (!found.data) return conflict('the job names no task; remove it instead');
  const outcome = await retryTask(deps, { taskId: found.data.taskId, actor: options.actor });
  if (!outcome.ok) return { ...outcome, reason: `${outcome.reason}; remove the dead letter instead` };
  // retryTask removed the task's latest failed job; this one may be an older enqueue's.
  await found.job.remove().catch((error: unknown) => {
    deps.logger.warn({ err: error, jobId: options.jobId }, 'retried dead letter not removed');
  });
  return { ok: true };
}

/** Removes a dead letter for good, with the audit event dead_letter_removed and the actor. */
export async function removeDeadLetter(
  deps: ActionDeps,
  options: { jobId: string; actor: Actor },
): Promise<TaskActionOutcome> {
  const found = await failedJob(deps, options.jobId);
  if (!found.ok) return found;
  await queueCall(deps, 'dead-letter removal', () => found.job.remove());
  const { actor } = options;
  if (found.data) {
    try {
      await appendAuditEvents(deps.db, [
        {
          order_id: found.data.orderId,
          task_id: found.data.taskId,
          event_type: 'dead_letter_removed',
          severity: 'info',
          message: `Dead letter ${options.jobId} removed by ${actor.email}`,
          details: {
            ...actorDetails(actor),
            jobId: options.jobId,
            attemptsMade: found.job.attemptsMade,
            failedReason: (found.job.failedReason ?? '').slice(0, 1000),
          },
          source: operatorSource(actor),
        },
      ]);
    } catch (error) {
      // The job is gone already; its order may have been deleted. Keep the trace in the log.
      deps.logger.warn({ err: error, jobId: options.jobId }, 'dead-letter removal not audited');
    }
  }
  deps.logger.info({ jobId: options.jobId, actorId: actor.id, data: found.data }, 'dead letter removed');
  return { ok: true };
}
