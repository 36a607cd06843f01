import { ACTIVE_TASK_STATUSES, downloadJobId, type TaskStatus } from '@paidflow/contracts';
import {
  appendAuditEvents,
  downloadTasks,
  enqueueDownloads,
  lockOrder,
  pendingDownloadTaskIds,
  transitionTask,
} from '@paidflow/db';
import { and, asc, eq, inArray, lt } from 'drizzle-orm';
import type { AppDeps } from '../deps.ts';
import { publishTaskStatus } from './pipeline-events.ts';
import { withTransaction } from './transaction.ts';

type ReconcilerDeps = Pick<AppDeps, 'db' | 'queue' | 'logger' | 'redis' | 'env' | 'kickOutbox'>;

export interface ReconcileOptions {
  /** Only tasks unchanged for this long are checked (a task just queued may not be on the queue yet). */
  staleSeconds: number;
  limit?: number;
}

export interface ReconcileResult {
  checked: number;
  requeued: number[];
}

const SOURCE = 'reconciler';

/**
 * Finds tasks that MySQL says are queued or active but whose current job the queue does not
 * know (Redis lost its data, a job was removed by hand), and puts them on the queue again
 * through the outbox, with a new job id. Tasks whose job still waits in the outbox are left
 * alone: the drainer will deliver it.
 */
export async function reconcileOnce(
  deps: ReconcilerDeps,
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  const cutoff = new Date(Date.now() - options.staleSeconds * 1000);
  const candidates = await deps.db
    .select({
      id: downloadTasks.id,
      order_id: downloadTasks.order_id,
      status: downloadTasks.status,
      queue_generation: downloadTasks.queue_generation,
    })
    .from(downloadTasks)
    .where(
      and(inArray(downloadTasks.status, [...ACTIVE_TASK_STATUSES]), lt(downloadTasks.updated_at, cutoff)),
    )
    .orderBy(asc(downloadTasks.updated_at))
    .limit(options.limit ?? 500);
  if (candidates.length === 0) return { checked: 0, requeued: [] };
  const waiting = await pendingDownloadTaskIds(deps.db);
  const requeued: number[] = [];
  for (const candidate of candidates) {
    if (waiting.has(candidate.id)) continue;
    const jobId = downloadJobId(candidate.id, candidate.queue_generation);
    // Throws while Redis is down: the whole pass stops, and the next one tries again.
    if (await deps.queue.getJob(jobId)) continue;
    const previous = await requeue(deps, candidate, jobId);
    if (previous) {
      requeued.push(candidate.id);
      await publishTaskStatus(deps, {
        taskId: candidate.id,
        orderId: candidate.order_id,
        previousStatus: previous,
        newStatus: 'queued',
      });
    }
  }
  if (requeued.length > 0) {
    deps.kickOutbox();
    deps.logger.warn({ tasks: requeued }, 'reconciler: requeued tasks missing from the queue');
  }
  return { checked: candidates.length, requeued };
}

async function requeue(
  deps: ReconcilerDeps,
  candidate: { id: number; order_id: number; status: TaskStatus; queue_generation: number },
  missingJobId: string,
): Promise<TaskStatus | null> {
  return withTransaction(deps.db, async (tx) => {
    await lockOrder(tx, candidate.order_id);
    const [task] = await tx
      .select()
      .from(downloadTasks)
      .where(eq(downloadTasks.id, candidate.id))
      .for('update');
    // Someone moved it meanwhile (a worker reported, an operator acted): not ours to touch.
    if (!task || task.status !== candidate.status || task.queue_generation !== candidate.queue_generation) {
      return null;
    }
    const moved = await transitionTask(tx, { taskId: task.id, to: 'queued', from: [task.status] });
    if (!moved.changed) return null;
    const [newJobId] = await enqueueDownloads(tx, [{ taskId: task.id, orderId: task.order_id }], 'reconcile');
    await appendAuditEvents(tx, [
      {
        order_id: task.order_id,
        task_id: task.id,
        event_type: 'task_requeued',
        severity: 'warning',
        message: `Job ${missingJobId} was missing from the queue; task queued again as ${newJobId}`,
        details: { missingJobId, newJobId, previousStatus: task.status, reason: 'reconcile' },
        previous_status: task.status,
        new_status: 'queued',
        source: SOURCE,
      },
    ]);
    return task.status;
  });
}

export interface Reconciler {
  start(): void;
  stop(): Promise<void>;
  runOnce(): Promise<ReconcileResult | null>;
}

/** Runs reconcileOnce on start and every intervalMs; failures are logged once per outage. */
export function createReconciler(
  deps: ReconcilerDeps,
  options: { intervalMs: number; staleSeconds: number },
): Reconciler {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let failing = false;

  async function runOnce(): Promise<ReconcileResult | null> {
    try {
      const result = await reconcileOnce(deps, { staleSeconds: options.staleSeconds });
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
