import type { TaskErrorLog } from '@paidflow/contracts';
import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { type DownloadTaskRow, downloadTasks, orderAuditLogs } from '../schema.ts';

// The writes of a task's runs (decision 013): a claim starts a run with a new fencing token, and
// the run's attempt stays open until it is recorded as failed, completed, or fenced by an enqueue.
// Each runs in the caller's transaction, with the task locked (lockTaskAndOrder).

/**
 * Starts a run: the attempt it claims, the next fencing token, and the task's first start time.
 * Returns the run's token.
 */
export async function startTaskRun(
  tx: DbOrTx,
  task: Pick<DownloadTaskRow, 'id' | 'run_token' | 'started_at'>,
  attempt: number,
): Promise<number> {
  const runToken = task.run_token + 1;
  await tx
    .update(downloadTasks)
    .set({
      attempts: attempt,
      run_attempt: attempt,
      run_token: runToken,
      started_at: task.started_at ?? new Date(),
    })
    .where(eq(downloadTasks.id, task.id));
  return runToken;
}

/** A failed attempt's record on the task: its error log, the attempts used, and the run's attempt closed. */
export async function recordTaskFailure(
  tx: DbOrTx,
  taskId: number,
  values: { errorLog: TaskErrorLog; attempts: number },
): Promise<void> {
  await tx
    .update(downloadTasks)
    .set({ error_log: values.errorLog, attempts: values.attempts, run_attempt: null })
    .where(eq(downloadTasks.id, taskId));
}

/** Whether an audit event with this dedupe key was written (read under the caller's lock). */
export async function failureRecorded(tx: DbOrTx, dedupeKey: string): Promise<boolean> {
  const [seen] = await tx
    .select({ id: orderAuditLogs.id })
    .from(orderAuditLogs)
    .where(eq(orderAuditLogs.dedupe_key, dedupeKey))
    .limit(1);
  return seen !== undefined;
}
