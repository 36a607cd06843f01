import type { PipelineStep } from '@paidflow/contracts';
import type { Logger } from '@paidflow/runtime';
import type { Destination } from '../destinations/index.ts';
import type { WorkerEnv } from '../env.ts';
import type { ProgressPublisher } from '../progress.ts';
import type { ServerClient } from '../server-client.ts';

/** What every step of one run sees. */
export interface StepContext {
  env: WorkerEnv;
  logger: Logger;
  client: ServerClient;
  progress: ProgressPublisher;
  /** Where the customer's files go (DELIVERY_DESTINATION). */
  destination: Destination;
  taskId: number;
  orderId: number;
  jobId: string;
  /** The run's fencing token, from its claim: every report carries it (decision 013). */
  runToken: number;
  /** The run's own scratch directory, STORAGE_DIR/<taskId>/<runToken>/: no other run writes there. */
  runDir: string;
  /** Aborted when the task is cancelled, the run superseded, or the worker shuts down past its grace period. */
  signal: AbortSignal;
  /** Where the job is, for the failure report: the step and the file at hand. */
  state: { step: PipelineStep; file: string | null };
}
