import { rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { StepContext } from './context.ts';

/**
 * The finalize step: the server records the destination as the task's link and completes it.
 * No abort signal: once the files are delivered, finishing beats stopping half-way.
 */
export async function finalize(
  ctx: StepContext,
  input: { destination: string; storageDir: string; files: number; bytes: number; startedAt: number },
): Promise<string> {
  ctx.state.step = 'finalize';
  ctx.state.file = null;
  const driveLink = pathToFileURL(input.destination).href;
  await ctx.client.complete({
    taskId: ctx.taskId,
    jobId: ctx.jobId,
    driveLink,
    files: input.files,
    bytes: input.bytes,
    durationMs: Math.max(0, Date.now() - input.startedAt),
  });
  // The storage copy is no longer needed; a leftover is harmless, so a failure is only logged.
  await rm(input.storageDir, { recursive: true, force: true }).catch((error: unknown) =>
    ctx.logger.warn({ err: error, dir: input.storageDir }, 'could not clean the storage directory'),
  );
  return driveLink;
}
