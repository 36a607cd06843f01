import { pathToFileURL } from 'node:url';
import type { StepContext } from './context.ts';
import { removeTaskScratch, type VerifiedFile } from './download.ts';
import { verifyDelivered } from './upload.ts';

/**
 * The finalize step: every delivered file is checked at the destination, then the server records
 * the destination as the task's link and completes it (or refuses, if the run was superseded).
 * No abort signal: once the files are delivered, finishing beats stopping half-way.
 */
export async function finalize(
  ctx: StepContext,
  input: {
    destination: string;
    verified: readonly VerifiedFile[];
    bytes: number;
    startedAt: number;
  },
): Promise<string> {
  ctx.state.step = 'finalize';
  ctx.state.file = null;
  await verifyDelivered(input.destination, input.verified);
  const driveLink = pathToFileURL(input.destination).href;
  await ctx.client.complete({
    taskId: ctx.taskId,
    jobId: ctx.jobId,
    runToken: ctx.runToken,
    driveLink,
    files: input.verified.length,
    bytes: input.bytes,
    durationMs: Math.max(0, Date.now() - input.startedAt),
  });
  // The task is complete: no run of it may deliver anything more, so all of its scratch space
  // is garbage. A leftover is harmless, so a failure is only logged.
  await removeTaskScratch(ctx.env.STORAGE_DIR, ctx.taskId).catch((error: unknown) =>
    ctx.logger.warn({ err: error, taskId: ctx.taskId }, 'could not clean the storage directory'),
  );
  return driveLink;
}
