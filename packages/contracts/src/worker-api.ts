import { z } from 'zod';
import { Id } from './common.ts';
import { ErrorType } from './errors.ts';
import { JobId, RunToken } from './jobs.ts';
import { DeliveredFile, PipelineStep, TASK_ERROR_STACK_MAX, TaskStatus } from './tasks.ts';

/**
 * The worker procedures: how a worker reports to the server, the one writer of order state.
 * Every call is idempotent, because a worker retries a report that may already have landed.
 *
 * Fencing: a claim hands the run a token (runToken). Every later report carries it with the job
 * id, and the server refuses, with WORKER_RUN_SUPERSEDED_STATUS, any report whose job or token is
 * no longer the task's current one: the run was superseded and must stop.
 */

/** The HTTP status (tRPC CONFLICT) of a report refused because its run was superseded. */
export const WORKER_RUN_SUPERSEDED_STATUS = 409;

/** The reporting worker's WORKER_ID: each attempt's audit events name the worker that ran it. */
const ReportingWorker = z.string().min(1).max(100).optional();

/** worker.claim: a worker starts (or resumes) a job. */
export const WorkerClaimInput = z.object({
  taskId: Id,
  jobId: JobId,
  /** 1-based attempt number (BullMQ's attemptsMade + 1). */
  attempt: z.int().positive(),
  workerId: ReportingWorker,
});
export type WorkerClaimInput = z.infer<typeof WorkerClaimInput>;

export const WorkerClaimResult = z.discriminatedUnion('proceed', [
  z.object({
    proceed: z.literal(true),
    task: z.object({
      id: Id,
      order_id: Id,
      title: z.string(),
      course_url: z.string(),
      status: TaskStatus,
    }),
    order: z.object({ id: Id, order_code: z.string(), user_email: z.string() }),
    /** This run's fencing token: every later report of the run carries it. */
    runToken: RunToken,
  }),
  /** The task was cancelled, already finished, or no longer exists: drop the job. */
  z.object({ proceed: z.literal(false), reason: z.string() }),
]);
export type WorkerClaimResult = z.infer<typeof WorkerClaimResult>;

/** worker.transition: the task enters the next step of its pipeline. */
export const WorkerTransitionInput = z.object({
  taskId: Id,
  jobId: JobId,
  runToken: RunToken,
  to: z.enum(['enrolled', 'downloading', 'uploading']),
  message: z.string().max(1000).optional(),
  details: z.record(z.string(), z.unknown()).optional(),
  workerId: ReportingWorker,
});
export type WorkerTransitionInput = z.infer<typeof WorkerTransitionInput>;

export const WorkerTransitionResult = z.object({
  /** False when the task was cancelled meanwhile: the worker stops the job. */
  proceed: z.boolean(),
  status: TaskStatus,
});
export type WorkerTransitionResult = z.infer<typeof WorkerTransitionResult>;

/** worker.reportFailure: the error bridge. Exactly one record per (jobId, attempt). */
export const WorkerFailureInput = z.object({
  taskId: Id,
  jobId: JobId,
  runToken: RunToken,
  attempt: z.int().positive(),
  maxAttempts: z.int().positive(),
  step: PipelineStep,
  error: z.object({
    type: ErrorType,
    message: z.string().max(2000),
    retryable: z.boolean(),
    file: z.string().max(512).nullable(),
    /** The failure's stack trace, cut to TASK_ERROR_STACK_MAX characters. */
    stack: z.string().max(TASK_ERROR_STACK_MAX).optional(),
  }),
  workerId: ReportingWorker,
  /** True when no attempt follows: the task fails for good (dead letter). */
  final: z.boolean(),
  /** When the attempt failed (ISO); the record keeps the worker's time, not the report's. */
  at: z.iso.datetime(),
});
export type WorkerFailureInput = z.infer<typeof WorkerFailureInput>;

/** The most files one task may report as delivered (a course manifest's own limit). */
export const MAX_DELIVERED_FILES = 10_000;

/**
 * worker.complete: finalize a task whose files are delivered. `deliveredFiles` is what the
 * destination holds (paths relative to the task): the server keeps it, serves those files on the
 * customer's page, and builds the public link itself. `driveLink` is the legacy form (a link the
 * worker made, stored as it is) for a worker that reports no manifest; one of the two is needed.
 */
export const WorkerCompleteInput = z
  .object({
    taskId: Id,
    jobId: JobId,
    runToken: RunToken,
    deliveredFiles: z.array(DeliveredFile).max(MAX_DELIVERED_FILES).optional(),
    driveLink: z.string().min(1).max(2048).optional(),
    files: z.int().nonnegative(),
    bytes: z.int().nonnegative(),
    durationMs: z.int().nonnegative(),
    workerId: ReportingWorker,
  })
  .refine((input) => input.deliveredFiles !== undefined || input.driveLink !== undefined, {
    message: 'report the delivered files (or, from an older worker, a link)',
    path: ['deliveredFiles'],
  })
  .refine(
    (input) =>
      new Set(input.deliveredFiles?.map((file) => file.path)).size === (input.deliveredFiles?.length ?? 0),
    { message: 'each delivered path once', path: ['deliveredFiles'] },
  );
export type WorkerCompleteInput = z.infer<typeof WorkerCompleteInput>;

export const WorkerAck = z.object({ ok: z.literal(true), duplicate: z.boolean() });
export type WorkerAck = z.infer<typeof WorkerAck>;
