import type { DeliveredFile } from '@paidflow/contracts';
import type { WorkerEnv } from '../env.ts';
import type { VerifiedFile } from '../steps/download.ts';
import { createLocalDestination } from './local.ts';

/** A task's verified files, ready to hand to the customer's destination. */
export interface DeliveryInput {
  /** Where the files are in storage, under their own names. */
  sourceDir: string;
  files: readonly VerifiedFile[];
  orderCode: string;
  taskId: number;
  title: string;
  signal?: AbortSignal;
}

/** What a destination delivered: where (for logs and the job's result). */
export interface DeliveredSet {
  location: string;
}

/**
 * Where a task's files go for the customer (decision 044), chosen by DELIVERY_DESTINATION. Each
 * destination delivers atomically (the customer sees all of a task's files or none), checks
 * every file where the customer will read it, and says what it holds: the manifest the server
 * keeps and serves from. Object storage or Drive would be further implementations.
 */
export interface Destination {
  readonly kind: WorkerEnv['DELIVERY_DESTINATION'];
  /** Places the files; a set left by an earlier attempt of the task is replaced whole. */
  deliver(input: DeliveryInput): Promise<DeliveredSet>;
  /**
   * Checks every delivered file's size and sha256 against what was verified in storage (an
   * IntegrityError, a retryable failed attempt, otherwise) and returns the manifest.
   */
  verify(set: DeliveredSet, files: readonly VerifiedFile[]): Promise<DeliveredFile[]>;
}

export function createDestination(
  env: Pick<WorkerEnv, 'DELIVERY_DESTINATION' | 'DELIVERY_DIR'>,
): Destination {
  switch (env.DELIVERY_DESTINATION) {
    case 'local':
      return createLocalDestination(env.DELIVERY_DIR);
  }
}
