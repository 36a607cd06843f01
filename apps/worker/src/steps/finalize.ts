import type { DeliveredSet } from '../destinations/index.ts';
import type { TaskProgressTracker } from '../progress.ts';
import type { StepContext } from './context.ts';
import { removeTaskScratch, type VerifiedFile } from './download.ts';

/**
 * The finalize step: the destination checks every delivered file where the customer reads it and
 * says what it holds; the server records that manifest, builds the customer's link, and completes
 * the task (or refuses, if the run was superseded). No abort signal: once the files are
 * delivered, finishing beats stopping half-way.
 */
export async function finalize(
  ctx: StepContext,
  input: {
    delivered: DeliveredSet;
    verified: readonly VerifiedFile[];
    bytes: number;
    startedAt: number;
    /** The delivery phase's progress: it reaches 100 % once the files are verified in place. */
    progress?: TaskProgressTracker;
  },
): Promise<string> {
  ctx.state.step = 'finalize';
  ctx.state.file = null;
  const deliveredFiles = await ctx.destination.verify(input.delivered, input.verified);
  // Delivered: the bar says 100 % before the task's completed status goes out (decision 048).
  await input.progress?.finish(null);
  await ctx.client.complete({
    taskId: ctx.taskId,
    jobId: ctx.jobId,
    runToken: ctx.runToken,
    deliveredFiles,
    files: input.verified.length,
    bytes: input.bytes,
    durationMs: Math.max(0, Date.now() - input.startedAt),
  });
  // The task is complete: no run of it may deliver anything more, so all of its scratch space
  // is garbage. A leftover is harmless, so a failure is only logged.
  await removeTaskScratch(ctx.env.STORAGE_DIR, ctx.taskId).catch((error: unknown) =>
    ctx.logger.warn({ err: error, taskId: ctx.taskId }, 'could not clean the storage directory'),
  );
  return input.delivered.location;
}
