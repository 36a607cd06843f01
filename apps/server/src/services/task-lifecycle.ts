import {
  ACTIVE_TASK_STATUSES,
  type AuditEventType,
  type ErrorType,
  type NewAuditEvent,
  type PipelineStep,
  type TaskAttemptError,
  type TaskErrorLog,
  type TaskStatus,
  type WorkerAck,
  type WorkerClaimInput,
  type WorkerClaimResult,
  type WorkerCompleteInput,
  type WorkerFailureInput,
  type WorkerTransitionInput,
  type WorkerTransitionResult,
} from '@paidflow/contracts';
import {
  appendAuditEvents,
  downloadTasks,
  insertOutboxRows,
  NOTIFICATION_TOPIC,
  orderAuditLogs,
  transitionTask,
} from '@paidflow/db';
import { eq } from 'drizzle-orm';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors.ts';
import type { NotificationPayload } from '../notify/payloads.ts';
import { announce, completeOrderIfDone, noAnnouncements, reopenOrder } from './order-completion.ts';
import { lockTaskAndOrder } from './task-lock.ts';
import { withTransaction } from './transaction.ts';

const SOURCE = 'worker';
/** The pipeline's forward order; a worker only ever moves a task forward along it. */
const PIPELINE: readonly TaskStatus[] = ACTIVE_TASK_STATUSES;
/** Error types that page an admin (the contracts' classifier marks them critical). */
const CRITICAL_TYPES: ReadonlySet<ErrorType> = new Set(['DISK_SPACE', 'AUTHENTICATION']);
const MAX_HISTORY = 50;

type LifecycleDeps = Pick<AppDeps, 'db' | 'redis' | 'logger' | 'env' | 'kickOutbox'>;

/** The generation encoded in a job id (task-<id>-<generation>), or null for another shape. */
function jobGeneration(jobId: string, taskId: number): number | null {
  const match = /^task-(\d+)-(\d+)$/.exec(jobId);
  if (!match || Number(match[1]) !== taskId) return null;
  return Number(match[2]);
}

/**
 * worker.claim: a worker starts or resumes a job. A task that is cancelled, completed, gone or
 * superseded by a newer enqueue is not worked on. A task caught mid-pipeline (its worker died)
 * or failed (a dead letter retried in the queue) goes back to queued, and the run starts over.
 */
export async function claimTask(deps: LifecycleDeps, input: WorkerClaimInput): Promise<WorkerClaimResult> {
  const news = noAnnouncements();
  const result = await withTransaction(deps.db, async (tx): Promise<WorkerClaimResult> => {
    // A deadlock victim runs again: forget what its first run meant to announce.
    Object.assign(news, noAnnouncements());
    const locked = await lockTaskAndOrder(deps.db, tx, input.taskId);
    if (!locked) return { proceed: false, reason: `task ${input.taskId} does not exist` };
    const { task, order } = locked;
    if (task.status === 'cancelled' || task.status === 'completed' || task.status === 'pending') {
      return { proceed: false, reason: `task ${task.id} is ${task.status}` };
    }
    const generation = jobGeneration(input.jobId, task.id);
    if (generation !== null && generation < task.queue_generation) {
      return {
        proceed: false,
        reason: `job ${input.jobId} was superseded by a newer enqueue of task ${task.id}`,
      };
    }
    let status = task.status;
    if (status !== 'queued') {
      const resumed = status === 'failed';
      if (resumed) news.reopened = await reopenOrder(tx, order);
      // The run starts over: the previous run's progress no longer describes it.
      const moved = await transitionTask(tx, {
        taskId: task.id,
        to: 'queued',
        from: [status],
        patch: { progress: 0, current_file: null, completed_at: null },
      });
      if (!moved.changed) return { proceed: false, reason: `task ${task.id} changed meanwhile` };
      await appendAuditEvents(tx, [
        {
          order_id: order.id,
          task_id: task.id,
          event_type: 'task_requeued',
          severity: 'warning',
          message: resumed
            ? `Failed task taken up again by job ${input.jobId} (attempt ${input.attempt})`
            : `Task taken up again after an interrupted run (was ${status}), attempt ${input.attempt}`,
          details: { jobId: input.jobId, attempt: input.attempt, previousStatus: status },
          previous_status: status,
          new_status: 'queued',
          source: SOURCE,
        },
      ]);
      news.tasks.push({ taskId: task.id, orderId: order.id, previousStatus: status, newStatus: 'queued' });
      news.order = moved.order;
      status = 'queued';
    }
    await tx
      .update(downloadTasks)
      .set({ attempts: input.attempt, started_at: task.started_at ?? new Date() })
      .where(eq(downloadTasks.id, task.id));
    return {
      proceed: true,
      task: { id: task.id, order_id: order.id, title: task.title, course_url: task.course_url, status },
      order: { id: order.id, order_code: order.order_code, user_email: order.user_email },
    };
  });
  await announce(deps, news);
  return result;
}

const TRANSITION_EVENTS: Record<
  WorkerTransitionInput['to'],
  Array<{ type: AuditEventType; message: string }>
> = {
  enrolled: [{ type: 'enrollment_success', message: 'Enrolled in the course' }],
  downloading: [{ type: 'download_started', message: 'Download started' }],
  uploading: [
    { type: 'download_completed', message: 'Download completed' },
    { type: 'upload_started', message: 'Upload started' },
  ],
};

/**
 * worker.transition: the task enters the next step. Repeating a transition already made (the
 * worker retried its report) changes nothing and writes no second event.
 */
export async function transitionByWorker(
  deps: LifecycleDeps,
  input: WorkerTransitionInput,
): Promise<WorkerTransitionResult> {
  const news = noAnnouncements();
  const result = await withTransaction(deps.db, async (tx): Promise<WorkerTransitionResult> => {
    // A deadlock victim runs again: forget what its first run meant to announce.
    Object.assign(news, noAnnouncements());
    const locked = await lockTaskAndOrder(deps.db, tx, input.taskId);
    if (!locked) throw new AppError('NOT_FOUND', `task ${input.taskId} does not exist`);
    const { task, order } = locked;
    const from = PIPELINE.indexOf(task.status);
    const to = PIPELINE.indexOf(input.to);
    // Cancelled, finished or never paid for: the worker stops.
    if (from < 0) return { proceed: false, status: task.status };
    // Already there, or a stale report of an earlier step: nothing to do.
    if (from >= to) return { proceed: true, status: task.status };
    const moved = await transitionTask(tx, {
      taskId: task.id,
      to: input.to,
      from: [task.status],
      patch: input.to === 'enrolled' && !task.started_at ? { started_at: new Date() } : undefined,
    });
    if (!moved.changed) return { proceed: false, status: task.status };
    const steps = TRANSITION_EVENTS[input.to];
    await appendAuditEvents(
      tx,
      steps.map((step, i) => ({
        order_id: order.id,
        task_id: task.id,
        event_type: step.type,
        message: (i === steps.length - 1 && input.message) || step.message,
        details: { jobId: input.jobId, ...input.details },
        previous_status: task.status,
        new_status: input.to,
        source: SOURCE,
      })),
    );
    news.tasks.push({ taskId: task.id, orderId: order.id, previousStatus: task.status, newStatus: input.to });
    news.order = moved.order;
    return { proceed: true, status: input.to };
  });
  await announce(deps, news);
  return result;
}

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

/**
 * worker.reportFailure, the error bridge: each failed attempt lands exactly once (its audit
 * event's dedupe key is the job and attempt), with its details in download_tasks.error_log and
 * an error or critical event. A final failure fails the task and may end the order; otherwise
 * the task waits, queued, for the queue's next attempt.
 */
export async function reportFailure(deps: LifecycleDeps, input: WorkerFailureInput): Promise<WorkerAck> {
  const news = noAnnouncements();
  const critical = CRITICAL_TYPES.has(input.error.type);
  const result = await withTransaction(deps.db, async (tx): Promise<WorkerAck> => {
    // A deadlock victim runs again: forget what its first run meant to announce.
    Object.assign(news, noAnnouncements());
    const locked = await lockTaskAndOrder(deps.db, tx, input.taskId);
    if (!locked) throw new AppError('NOT_FOUND', `task ${input.taskId} does not exist`);
    const { task, order } = locked;
    const details = {
      error_type: input.error.type,
      error_message: input.error.message,
      attempt: input.attempt,
      maxAttempts: input.maxAttempts,
      step: input.step,
      file: input.error.file,
      retryable: input.error.retryable,
      final: input.final,
      jobId: input.jobId,
      at: input.at,
    };
    // Under the order lock, so two deliveries of one report cannot both pass this check. (The
    // dedupe key's unique index backs it up; appendAuditEvents' count cannot tell a duplicate
    // apart, because mysql2 reports found rows, not changed rows, for ON DUPLICATE KEY UPDATE.)
    const dedupeKey = `failure:${input.jobId}:${input.attempt}`;
    const [seen] = await tx
      .select({ id: orderAuditLogs.id })
      .from(orderAuditLogs)
      .where(eq(orderAuditLogs.dedupe_key, dedupeKey));
    if (seen) return { ok: true, duplicate: true };
    await appendAuditEvents(tx, [
      {
        order_id: order.id,
        task_id: task.id,
        event_type: FAILURE_EVENT[input.step],
        severity: critical ? 'critical' : 'error',
        message:
          `${input.step} failed (attempt ${input.attempt}/${input.maxAttempts}): ${input.error.message}`.slice(
            0,
            4000,
          ),
        details,
        previous_status: task.status,
        new_status: task.status,
        source: SOURCE,
        error_type: input.error.type,
        dedupe_key: dedupeKey,
      },
    ]);

    const attempt: TaskAttemptError = {
      type: input.error.type,
      message: input.error.message,
      retryable: input.error.retryable,
      attempt: input.attempt,
      step: input.step,
      file: input.error.file,
      at: input.at,
    };
    await tx
      .update(downloadTasks)
      .set({
        error_log: appendAttempt(task.error_log, attempt),
        attempts: Math.max(task.attempts, input.attempt),
      })
      .where(eq(downloadTasks.id, task.id));

    const events: NewAuditEvent[] = [];
    const error = { type: input.error.type, message: input.error.message };
    if (PIPELINE.includes(task.status)) {
      const to: TaskStatus = input.final ? 'failed' : 'queued';
      const moved = await transitionTask(tx, { taskId: task.id, to, from: [task.status] });
      if (moved.changed) {
        news.tasks.push({
          taskId: task.id,
          orderId: order.id,
          previousStatus: task.status,
          newStatus: to,
          error,
        });
        news.order = moved.order;
        events.push(
          input.final
            ? {
                order_id: order.id,
                task_id: task.id,
                event_type: 'task_failed',
                severity: critical ? 'critical' : 'error',
                message: `Task failed for good after ${input.attempt} attempt(s): ${input.error.type}`,
                details,
                previous_status: task.status,
                new_status: 'failed',
                source: SOURCE,
                error_type: input.error.type,
              }
            : {
                order_id: order.id,
                task_id: task.id,
                event_type: 'download_retry_scheduled',
                severity: 'warning',
                message: `Attempt ${input.attempt + 1}/${input.maxAttempts} will follow`,
                details: { ...details, nextAttempt: input.attempt + 1 },
                previous_status: task.status,
                new_status: 'queued',
                source: SOURCE,
                error_type: input.error.type,
              },
        );
      }
    }
    await appendAuditEvents(tx, events);
    if (critical && deps.env.ADMIN_ALERT_EMAIL) {
      const alert: NotificationPayload = {
        kind: 'admin_alert',
        orderId: order.id,
        taskId: task.id,
        errorType: input.error.type,
        message: input.error.message,
        step: input.step,
        attempt: input.attempt,
      };
      await insertOutboxRows(tx, [{ topic: NOTIFICATION_TOPIC, payload: alert }]);
      news.outbox = true;
    }
    if (input.final) news.completion = await completeOrderIfDone(tx, order.id, SOURCE);
    return { ok: true, duplicate: false };
  });
  await announce(deps, news);
  return result;
}

/**
 * worker.complete: the task's files are delivered. The task becomes completed with its link, and
 * the order ends if this was its last task. A repeated call is a no-op.
 */
export async function completeTask(deps: LifecycleDeps, input: WorkerCompleteInput): Promise<WorkerAck> {
  const news = noAnnouncements();
  const result = await withTransaction(deps.db, async (tx): Promise<WorkerAck> => {
    // A deadlock victim runs again: forget what its first run meant to announce.
    Object.assign(news, noAnnouncements());
    const locked = await lockTaskAndOrder(deps.db, tx, input.taskId);
    if (!locked) throw new AppError('NOT_FOUND', `task ${input.taskId} does not exist`);
    const { task, order } = locked;
    // Completed already (a retried report), or cancelled or failed meanwhile: nothing to do.
    if (!PIPELINE.includes(task.status)) return { ok: true, duplicate: true };
    const moved = await transitionTask(tx, {
      taskId: task.id,
      to: 'completed',
      from: [task.status],
      patch: { progress: 100, drive_link: input.driveLink, completed_at: new Date(), current_file: null },
    });
    if (!moved.changed) return { ok: true, duplicate: true };
    const details = {
      jobId: input.jobId,
      driveLink: input.driveLink,
      files: input.files,
      bytes: input.bytes,
      durationMs: input.durationMs,
    };
    await appendAuditEvents(tx, [
      {
        order_id: order.id,
        task_id: task.id,
        event_type: 'upload_completed',
        message: `Delivered ${input.files} files (${input.bytes} bytes)`,
        details,
        previous_status: task.status,
        new_status: 'completed',
        source: SOURCE,
        dedupe_key: `upload_completed:${input.jobId}`,
      },
      {
        order_id: order.id,
        task_id: task.id,
        event_type: 'task_completed',
        message: 'Task completed',
        details,
        previous_status: task.status,
        new_status: 'completed',
        source: SOURCE,
        dedupe_key: `task_completed:${input.jobId}`,
      },
    ]);
    news.tasks.push({
      taskId: task.id,
      orderId: order.id,
      previousStatus: task.status,
      newStatus: 'completed',
    });
    news.order = moved.order;
    news.completion = await completeOrderIfDone(tx, order.id, SOURCE);
    return { ok: true, duplicate: false };
  });
  await announce(deps, news);
  return result;
}
