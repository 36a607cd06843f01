import {
  ACTIVE_TASK_STATUSES,
  type AuditEventType,
  type ErrorType,
  type NewAuditEvent,
  type PipelineStep,
  TASK_ERROR_STACK_MAX,
  type TaskAttemptError,
  type TaskErrorLog,
  type TaskStatus,
  type WorkerFailureInput,
} from '@paidflow/contracts';
import {
  appendAuditEvents,
  type DbOrTx,
  enqueueDownloads,
  failureRecorded,
  insertOutboxRows,
  NOTIFICATION_TOPIC,
  recordTaskFailure,
  transitionTask,
} from '@paidflow/db';
import type { NotificationPayload } from '../notify/payloads.ts';
import type { Announcements } from './order-completion.ts';
import type { LockedTask, TaskChangeDeps } from './task-change.ts';

/** One failed attempt, as the worker (or the reconciler, for a run lost with its worker) reports it. */
export type AttemptFailure = Omit<WorkerFailureInput, 'taskId' | 'runToken'>;

/** The pipeline's forward order; only a task on it can fail an attempt. */
const PIPELINE: readonly TaskStatus[] = ACTIVE_TASK_STATUSES;
/** Error types that page an admin (the contracts' classifier marks them critical). */
const CRITICAL_TYPES: ReadonlySet<ErrorType> = new Set(['DISK_SPACE', 'AUTHENTICATION']);
const MAX_HISTORY = 50;

const FAILURE_EVENT: Record<PipelineStep, AuditEventType> = {
  enroll: 'enrollment_failed',
  download: 'download_failed',
  upload: 'upload_failed',
  // Finalizing is the last part of delivering the files.
  finalize: 'upload_failed',
};

function appendAttempt(log: TaskErrorLog | null, attempt: TaskAttemptError): TaskErrorLog {
  const history = [...(log?.history ?? []), attempt].slice(-MAX_HISTORY);
  return { last: attempt, history };
}

function detailsOf(failure: AttemptFailure) {
  return {
    error_type: failure.error.type,
    error_message: failure.error.message,
    attempt: failure.attempt,
    maxAttempts: failure.maxAttempts,
    step: failure.step,
    file: failure.error.file,
    retryable: failure.error.retryable,
    final: failure.final,
    jobId: failure.jobId,
    at: failure.at,
    ...(failure.workerId ? { workerId: failure.workerId } : {}),
    ...(failure.error.stack ? { stack: failure.error.stack.slice(0, TASK_ERROR_STACK_MAX) } : {}),
  };
}

function isCritical(failure: AttemptFailure): boolean {
  return CRITICAL_TYPES.has(failure.error.type);
}

/**
 * Records one failed attempt, exactly once per run and attempt: an error or critical audit event
 * (its dedupe key is the job, the attempt and the run's token: a stalled job run again keeps its
 * attempt number, but not its token) and the attempt in download_tasks.error_log. The run's
 * attempt has ended. Returns false, writing nothing, when the attempt was recorded already.
 */
export async function recordFailedAttempt(
  tx: DbOrTx,
  { task, order }: LockedTask,
  failure: AttemptFailure,
  source: string,
  runToken: number,
): Promise<boolean> {
  // Under the order lock, so two deliveries of one report cannot both pass this check. (The
  // dedupe key's unique index backs it up; appendAuditEvents' count cannot tell a duplicate
  // apart, because mysql2 reports found rows, not changed rows, for ON DUPLICATE KEY UPDATE.)
  const dedupeKey = `failure:${failure.jobId}:${failure.attempt}:${runToken}`;
  if (await failureRecorded(tx, dedupeKey)) return false;
  await appendAuditEvents(tx, [
    {
      order_id: order.id,
      task_id: task.id,
      event_type: FAILURE_EVENT[failure.step],
      severity: isCritical(failure) ? 'critical' : 'error',
      message:
        `${failure.step} failed (attempt ${failure.attempt}/${failure.maxAttempts}): ${failure.error.message}`.slice(
          0,
          4000,
        ),
      details: detailsOf(failure),
      previous_status: task.status,
      new_status: task.status,
      source,
      error_type: failure.error.type,
      dedupe_key: dedupeKey,
    },
  ]);
  const attempt: TaskAttemptError = {
    type: failure.error.type,
    message: failure.error.message,
    retryable: failure.error.retryable,
    attempt: failure.attempt,
    step: failure.step,
    file: failure.error.file,
    at: failure.at,
    ...(failure.workerId ? { workerId: failure.workerId } : {}),
    ...(failure.error.stack ? { stack: failure.error.stack.slice(0, TASK_ERROR_STACK_MAX) } : {}),
  };
  await recordTaskFailure(tx, task.id, {
    errorLog: appendAttempt(task.error_log, attempt),
    attempts: Math.max(task.attempts, failure.attempt),
  });
  return true;
}

/**
 * Moves the task on after a recorded failed attempt: failed for good when it was final, else
 * queued for the next attempt. The next attempt is the queue's own retry of the same job, or,
 * with `requeue`, a new job on the outbox (the reconciler's, when the job itself was lost),
 * which numbers its attempts after the ones already used.
 */
export async function moveAfterFailure(
  tx: DbOrTx,
  { task, order }: LockedTask,
  failure: AttemptFailure,
  source: string,
  news: Announcements,
  requeue?: { attemptsBefore: number },
): Promise<string | null> {
  if (!PIPELINE.includes(task.status)) return null;
  const to: TaskStatus = failure.final ? 'failed' : 'queued';
  const moved = await transitionTask(tx, { taskId: task.id, to, from: [task.status], current: task });
  if (!moved.changed) return null;
  let newJobId: string | null = null;
  if (!failure.final && requeue) {
    [newJobId = null] = await enqueueDownloads(
      tx,
      [{ taskId: task.id, orderId: order.id, attemptsBefore: requeue.attemptsBefore }],
      'reconcile',
    );
    news.outbox = true;
  }
  news.tasks.push({
    taskId: task.id,
    orderId: order.id,
    previousStatus: task.status,
    newStatus: to,
    error: { type: failure.error.type, message: failure.error.message },
    ...(newJobId ? { runToken: task.run_token + 1 } : {}),
  });
  news.order = moved.order;
  const details = detailsOf(failure);
  const event: NewAuditEvent = failure.final
    ? {
        order_id: order.id,
        task_id: task.id,
        event_type: 'task_failed',
        severity: isCritical(failure) ? 'critical' : 'error',
        message: `Task failed for good after ${failure.attempt} attempt(s): ${failure.error.type}`,
        details,
        previous_status: task.status,
        new_status: 'failed',
        source,
        error_type: failure.error.type,
      }
    : {
        order_id: order.id,
        task_id: task.id,
        event_type: 'download_retry_scheduled',
        severity: 'warning',
        message: newJobId
          ? `Attempt ${failure.attempt + 1}/${failure.maxAttempts} will follow as job ${newJobId}`
          : `Attempt ${failure.attempt + 1}/${failure.maxAttempts} will follow`,
        details: { ...details, nextAttempt: failure.attempt + 1, ...(newJobId ? { newJobId } : {}) },
        previous_status: task.status,
        new_status: 'queued',
        source,
        error_type: failure.error.type,
      };
  await appendAuditEvents(tx, [event]);
  return newJobId;
}

/** A critical failure (disk full, credentials refused) alerts an admin, through the outbox. */
export async function alertIfCritical(
  deps: Pick<TaskChangeDeps, 'env'>,
  tx: DbOrTx,
  { task, order }: LockedTask,
  failure: AttemptFailure,
  news: Announcements,
): Promise<void> {
  if (!isCritical(failure) || !deps.env.ADMIN_ALERT_EMAIL) return;
  const alert: NotificationPayload = {
    kind: 'admin_alert',
    orderId: order.id,
    taskId: task.id,
    errorType: failure.error.type,
    message: failure.error.message,
    step: failure.step,
    attempt: failure.attempt,
  };
  await insertOutboxRows(tx, [{ topic: NOTIFICATION_TOPIC, payload: alert }]);
  news.outbox = true;
}
