import { parseDownloadJobId } from '@paidflow/contracts';
import type { DownloadTaskRow } from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors.ts';

/**
 * A report from a run that is no longer its task's current run (decision 013). It is answered
 * with CONFLICT (WORKER_RUN_SUPERSEDED_STATUS), logged and counted, and never recorded: the run
 * stops and touches nothing more.
 */
export class RunSuperseded extends AppError {
  constructor(
    readonly taskId: number,
    readonly jobId: string,
    reason: string,
  ) {
    super('CONFLICT', `run superseded: ${reason}`);
    this.name = 'RunSuperseded';
  }
}

type FencedTask = Pick<DownloadTaskRow, 'id' | 'queue_generation' | 'run_token'>;

/** Why a job id is not the task's current job (another task's, another shape, an older enqueue), or null. */
export function staleJob(task: Pick<FencedTask, 'id' | 'queue_generation'>, jobId: string): string | null {
  const parsed = parseDownloadJobId(jobId);
  if (!parsed || parsed.taskId !== task.id) return `job ${jobId} is not a job of task ${task.id}`;
  if (parsed.generation !== task.queue_generation) {
    return `job ${jobId} was superseded by a newer enqueue of task ${task.id} (generation ${task.queue_generation})`;
  }
  return null;
}

/** Throws RunSuperseded unless the report comes from the task's current job and run. */
export function assertCurrentRun(task: FencedTask, report: { jobId: string; runToken: number }): void {
  const stale =
    staleJob(task, report.jobId) ??
    (report.runToken === task.run_token
      ? null
      : `run token ${report.runToken} of job ${report.jobId} is not task ${task.id}'s current token ${task.run_token}`);
  if (stale) throw new RunSuperseded(task.id, report.jobId, stale);
}

/** Logs and counts a refused report: a superseded run is expected after a failover, not a failure. */
export function countRefused(
  deps: Pick<AppDeps, 'logger' | 'metrics'>,
  procedure: string,
  refusal: RunSuperseded,
): void {
  deps.metrics.workerReportsRefused.inc({ procedure });
  deps.logger.warn(
    { procedure, taskId: refusal.taskId, jobId: refusal.jobId, reason: refusal.message },
    'refused a report from a superseded run',
  );
}
