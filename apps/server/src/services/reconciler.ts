import {
  DOWNLOAD_ATTEMPTS,
  downloadJobId,
  type PipelineStep,
  type TaskStatus,
  WORKER_HEARTBEAT_TTL_SECONDS,
} from '@paidflow/contracts';
import {
  appendAuditEvents,
  enqueueDownloads,
  pendingDownloadTaskIds,
  staleActiveTasks,
  transitionTask,
} from '@paidflow/db';
import type { Job } from 'bullmq';
import type { AppDeps } from '../deps.ts';
import { type AttemptFailure, moveAfterFailure, recordFailedAttempt } from './attempt-failure.ts';
import { completeOrderIfDone } from './order-completion.ts';
import { changeTask } from './task-change.ts';
import { liveWorkerRuns } from './worker-health.ts';

type ReconcilerDeps = Pick<
  AppDeps,
  'db' | 'queue' | 'logger' | 'redis' | 'env' | 'namespace' | 'kickOutbox' | 'metrics'
>;

export interface ReconcileOptions {
  /** Only tasks unchanged for this long are checked (a task just queued may not be on the queue yet). */
  staleSeconds: number;
  limit?: number;
  /**
   * How long a job must stay missing from the queue, with no live worker listing its run, before
   * its run counts as lost: long enough for every live worker to have written a heartbeat since
   * (after a Redis restart they are all gone until the next beat). Defaults to the heartbeat TTL.
   */
  lostAfterMs?: number;
  /** When each missing job was first seen missing; kept by the reconciler between passes. */
  suspects?: Map<string, number>;
}

export interface ReconcileResult {
  checked: number;
  /** Tasks put on the queue again (a lost run's failed attempt recorded first, when it had one). */
  requeued: number[];
  /** Tasks whose lost run was their last attempt: failed for good. */
  failed: number[];
}

/** Job states in which BullMQ still runs the job, or will: its task is not lost. */
const LIVE_JOB_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);
const SOURCE = 'reconciler';

interface Candidate {
  id: number;
  order_id: number;
  status: TaskStatus;
  queue_generation: number;
  run_token: number;
}

/** What the reconciler knows of a lost run, for its audit record. */
interface LostRun {
  jobId: string;
  /** What BullMQ still had: 'missing' (removed, cleaned, lost with Redis), 'failed', 'completed'. */
  jobState: string;
  reason: string;
  job: Job | undefined;
}

/**
 * Brings to MySQL every way a job can leave BullMQ without its worker's report (decision 013):
 * for each task that MySQL says is queued or active, it looks for the task's current job. A job
 * that BullMQ still runs or will run is left alone, and so is a run a live worker's heartbeat
 * lists. A job that BullMQ ended (stalled out, failed after its worker died) or no longer has
 * (removed, cleaned, lost with Redis's data) for longer than `lostAfterMs` is a lost run: its
 * failed attempt, if it had one, is recorded once as WORKER_LOST, and the task follows the retry
 * rules, on a new job that fences every run of the old one. Tasks whose job still waits in the
 * outbox are left alone: the drainer will deliver it.
 */
export async function reconcileOnce(
  deps: ReconcilerDeps,
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  const now = Date.now();
  const cutoff = new Date(now - options.staleSeconds * 1000);
  const lostAfterMs = options.lostAfterMs ?? WORKER_HEARTBEAT_TTL_SECONDS * 1000;
  const suspects = options.suspects ?? new Map<string, number>();
  const candidates: Candidate[] = await staleActiveTasks(deps.db, cutoff, options.limit ?? 500);
  const result: ReconcileResult = { checked: candidates.length, requeued: [], failed: [] };
  const seen = new Set<string>();
  if (candidates.length > 0) {
    const waiting = await pendingDownloadTaskIds(deps.db);
    let liveRuns: Map<string, Set<number | null>> | null = null;
    for (const candidate of candidates) {
      if (waiting.has(candidate.id)) continue;
      const jobId = downloadJobId(candidate.id, candidate.queue_generation);
      seen.add(jobId);
      // Throws while Redis is down: the whole pass stops, and the next one tries again.
      const job = await deps.queue.getJob(jobId);
      const jobState = job ? await job.getState() : 'missing';
      if (LIVE_JOB_STATES.has(jobState)) {
        suspects.delete(jobId);
        continue;
      }
      liveRuns ??= await liveWorkerRuns(deps);
      // A live worker holds the task's current run (or one whose claim is not answered yet).
      const held = liveRuns.get(jobId);
      if (held && (held.has(null) || held.has(candidate.run_token))) continue;
      if (jobState === 'missing' || jobState === 'unknown') {
        const since = suspects.get(jobId) ?? now;
        suspects.set(jobId, since);
        if (now - since < lostAfterMs) continue;
      }
      const reason =
        job?.failedReason ||
        (jobState === 'completed'
          ? `job ${jobId} ended in the queue, but its task is still ${candidate.status}`
          : `job ${jobId} is missing from the queue and no live worker runs it`);
      const outcome = await bringLostRun(deps, candidate, { jobId, jobState, reason, job });
      suspects.delete(jobId);
      if (!outcome) continue;
      deps.metrics.lostRuns.inc({ job_state: jobState });
      (outcome === 'failed' ? result.failed : result.requeued).push(candidate.id);
    }
  }
  // A suspect that is no longer a candidate (it moved on) is forgotten.
  for (const jobId of suspects.keys()) if (!seen.has(jobId)) suspects.delete(jobId);
  if (result.requeued.length > 0 || result.failed.length > 0) {
    deps.logger.warn(
      { requeued: result.requeued, failed: result.failed },
      'reconciler: brought lost runs to MySQL',
    );
  }
  return result;
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
async function bringLostRun(
  deps: ReconcilerDeps,
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

export interface Reconciler {
  start(): void;
  stop(): Promise<void>;
  runOnce(): Promise<ReconcileResult | null>;
}

/** Runs reconcileOnce on start and every intervalMs; failures are logged once per outage. */
export function createReconciler(
  deps: ReconcilerDeps,
  options: { intervalMs: number; staleSeconds: number; lostAfterMs?: number },
): Reconciler {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let failing = false;
  const suspects = new Map<string, number>();

  async function runOnce(): Promise<ReconcileResult | null> {
    try {
      const result = await reconcileOnce(deps, {
        staleSeconds: options.staleSeconds,
        lostAfterMs: options.lostAfterMs,
        suspects,
      });
      if (failing) deps.logger.info('reconciler: running again');
      failing = false;
      return result;
    } catch (error) {
      if (!failing) deps.logger.warn({ err: error }, 'reconciler: pass failed; will retry');
      failing = true;
      return null;
    }
  }

  function tick(): void {
    if (running) return;
    running = runOnce().finally(() => {
      running = null;
    });
  }

  return {
    start() {
      if (timer) return;
      tick();
      timer = setInterval(tick, options.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
    runOnce,
  };
}
