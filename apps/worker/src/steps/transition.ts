import type { WorkerTransitionInput } from '@paidflow/contracts';
import { JobStopped } from '../errors.ts';
import type { StepContext } from './context.ts';

/** Moves the task to the next status through the server; stops the job when the server says so. */
export async function enterStatus(
  ctx: StepContext,
  to: WorkerTransitionInput['to'],
  extra: Pick<WorkerTransitionInput, 'message' | 'details'> = {},
): Promise<void> {
  const result = await ctx.client.transition(
    { taskId: ctx.taskId, jobId: ctx.jobId, runToken: ctx.runToken, to, ...extra },
    ctx.signal,
  );
  if (!result.proceed) {
    ctx.logger.info({ taskId: ctx.taskId, to, status: result.status }, 'server stopped the job');
    throw new JobStopped('cancelled');
  }
}
