import type { PipelineStep } from '@paidflow/contracts';
import type { WorkerEnv } from '../env.ts';
import type { Logger } from '../logger.ts';
import type { ProgressPublisher } from '../progress.ts';
import type { ServerClient } from '../server-client.ts';

/** What every step of one job sees. */
export interface StepContext {
  env: WorkerEnv;
  logger: Logger;
  client: ServerClient;
  progress: ProgressPublisher;
  taskId: number;
  orderId: number;
  jobId: string;
  /** Aborted when the task is cancelled or the worker shuts down past its grace period. */
  signal: AbortSignal;
  /** Where the job is, for the failure report: the step and the file at hand. */
  state: { step: PipelineStep; file: string | null };
}
