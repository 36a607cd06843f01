import {
  ACTIVE_TASK_STATUSES,
  type AuditEventType,
  type TaskStatus,
  type WorkerAck,
  type WorkerClaimInput,
  type WorkerClaimResult,
  type WorkerCompleteInput,
  type WorkerFailureInput,
  type WorkerTransitionInput,
  type WorkerTransitionResult,
} from '@paidflow/contracts';
import { appendAuditEvents, type DbOrTx, startTaskRun, transitionTask } from '@paidflow/db';
import { courseUrl, ensureDeliveryLink } from '../delivery/links.ts';
import type { AppDeps } from '../deps.ts';
import { alertIfCritical, moveAfterFailure, recordFailedAttempt } from './attempt-failure.ts';
import { completeOrderIfDone, reopenOrder } from './order-completion.ts';
import { assertCurrentRun, countRefused, RunSuperseded, staleJob } from './run-fence.ts';
import { changeTask, type TaskChangeDeps } from './task-change.ts';

type ClaimDeps = TaskChangeDeps & Pick<AppDeps, 'metrics'>;

const SOURCE = 'worker';
/** The pipeline's forward order; a worker only ever moves a task forward along it. */
const PIPELINE: readonly TaskStatus[] = ACTIVE_TASK_STATUSES;

/**
 * worker.claim: a worker starts or resumes a job, and the run gets its fencing token. A task that
 * is cancelled, completed or gone, or whose current job is another (a newer enqueue), is not
 * worked on. A task caught mid-pipeline (its worker died) or failed (a dead letter retried in the
 * queue) goes back to queued, and the run starts over; the run it replaces is fenced.
 */
export async function claimTask(deps: ClaimDeps, input: WorkerClaimInput): Promise<WorkerClaimResult> {
  try {
    return await startRun(deps, input);
  } catch (error) {
    if (!(error instanceof RunSuperseded)) throw error;
    // A job of an older enqueue: it is dropped, and the task's current job runs.
    countRefused(deps, 'claim', error);
    return { proceed: false, reason: error.message };
  }
}

function startRun(deps: TaskChangeDeps, input: WorkerClaimInput): Promise<WorkerClaimResult> {
  return changeTask(
    deps,
    input.taskId,
    async (tx, { task, order }, news): Promise<WorkerClaimResult> => {
      if (task.status === 'cancelled' || task.status === 'completed' || task.status === 'pending') {
        return { proceed: false, reason: `task ${task.id} is ${task.status}` };
      }
      const stale = staleJob(task, input.jobId);
      if (stale) throw new RunSuperseded(task.id, input.jobId, stale);
      const runToken = await startTaskRun(tx, task, input.attempt);
      let status = task.status;
      if (status !== 'queued') {
        const resumed = status === 'failed';
        if (resumed) news.reopened = await reopenOrder(tx, order);
        // The run starts over: the previous run's progress no longer describes it.
        const moved = await transitionTask(tx, {
          taskId: task.id,
          current: task,
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
            details: {
              jobId: input.jobId,
              attempt: input.attempt,
              previousStatus: status,
              runToken,
              ...(input.workerId ? { workerId: input.workerId } : {}),
            },
            previous_status: status,
            new_status: 'queued',
            source: SOURCE,
          },
        ]);
        news.tasks.push({
          taskId: task.id,
          orderId: order.id,
          previousStatus: status,
          newStatus: 'queued',
          runToken,
        });
        news.order = moved.order;
        status = 'queued';
      }
      return {
        proceed: true,
        task: { id: task.id, order_id: order.id, title: task.title, course_url: task.course_url, status },
        order: { id: order.id, order_code: order.order_code, user_email: order.user_email },
        runToken,
      };
    },
    () => ({ proceed: false, reason: `task ${input.taskId} does not exist` }),
  );
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
export function transitionByWorker(
  deps: TaskChangeDeps,
  input: WorkerTransitionInput,
): Promise<WorkerTransitionResult> {
  return changeTask(
    deps,
    input.taskId,
    async (tx, { task, order }, news): Promise<WorkerTransitionResult> => {
      assertCurrentRun(task, input);
      const from = PIPELINE.indexOf(task.status);
      const to = PIPELINE.indexOf(input.to);
      // Cancelled, finished or never paid for: the worker stops.
      if (from < 0) return { proceed: false, status: task.status };
      // Already there, or a stale report of an earlier step: nothing to do.
      if (from >= to) return { proceed: true, status: task.status };
      const moved = await transitionTask(tx, {
        taskId: task.id,
        current: task,
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
          details: {
            jobId: input.jobId,
            runToken: input.runToken,
            ...input.details,
            ...(input.workerId ? { workerId: input.workerId } : {}),
          },
          previous_status: task.status,
          new_status: input.to,
          source: SOURCE,
        })),
      );
      news.tasks.push({
        taskId: task.id,
        orderId: order.id,
        previousStatus: task.status,
        newStatus: input.to,
      });
      news.order = moved.order;
      return { proceed: true, status: input.to };
    },
  );
}

/**
 * worker.reportFailure, the error bridge: each failed attempt lands exactly once (its audit
 * event's dedupe key is the job and attempt), with its details in download_tasks.error_log and
 * an error or critical event. A final failure fails the task and may end the order; otherwise
 * the task waits, queued, for the queue's next attempt.
 */
export function reportFailure(deps: TaskChangeDeps, input: WorkerFailureInput): Promise<WorkerAck> {
  return changeTask(deps, input.taskId, async (tx, locked, news): Promise<WorkerAck> => {
    assertCurrentRun(locked.task, input);
    if (!(await recordFailedAttempt(tx, locked, input, SOURCE, input.runToken))) {
      return { ok: true, duplicate: true };
    }
    await moveAfterFailure(tx, locked, input, SOURCE, news);
    await alertIfCritical(deps, tx, locked, input, news);
    if (input.final) news.completion = await completeOrderIfDone(tx, locked.order.id, SOURCE);
    return { ok: true, duplicate: false };
  });
}

/**
 * The order's delivery link, issued with its first delivered task (the order is locked): every
 * completed task's drive_link is the order's page, and the e-mail carries it (decision 044).
 */
function deliveryLinkFor(deps: TaskChangeDeps, tx: DbOrTx, orderId: number) {
  return ensureDeliveryLink(tx, deps.env, {
    orderId,
    createdBy: 'system',
    source: 'delivery',
    details: { reason: 'first delivered course' },
  });
}

/**
 * worker.complete: the task's files are delivered. The task becomes completed with its manifest
 * and its public link (or, from a worker that sends no manifest, the link it reported), and the
 * order ends if this was its last task. A repeated call is a no-op.
 */
export function completeTask(deps: TaskChangeDeps, input: WorkerCompleteInput): Promise<WorkerAck> {
  return changeTask(deps, input.taskId, async (tx, { task, order }, news): Promise<WorkerAck> => {
    assertCurrentRun(task, input);
    // Completed already (a retried report), or cancelled or failed meanwhile: nothing to do.
    if (!PIPELINE.includes(task.status)) return { ok: true, duplicate: true };
    const driveLink = input.deliveredFiles
      ? courseUrl(deps.env, await deliveryLinkFor(deps, tx, order.id), task.id)
      : (input.driveLink ?? null);
    const moved = await transitionTask(tx, {
      taskId: task.id,
      current: task,
      to: 'completed',
      from: [task.status],
      patch: {
        progress: 100,
        drive_link: driveLink,
        delivered_files: input.deliveredFiles ?? null,
        completed_at: new Date(),
        current_file: null,
        run_attempt: null,
      },
    });
    if (!moved.changed) return { ok: true, duplicate: true };
    const details = {
      jobId: input.jobId,
      runToken: input.runToken,
      // The public link carries the customer's token: the audit log only says that there is one.
      driveLink: input.deliveredFiles ? 'delivery page' : input.driveLink,
      files: input.files,
      bytes: input.bytes,
      durationMs: input.durationMs,
      ...(input.workerId ? { workerId: input.workerId } : {}),
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
}
