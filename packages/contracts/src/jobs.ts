import { z } from 'zod';
import { Id } from './common.ts';
import type { ORDER_PRIORITIES } from './constants.ts';

/** The BullMQ queue every download task goes through. */
export const DOWNLOAD_QUEUE = 'downloads';

/** A job on the downloads queue: one download task. The task row holds everything else. */
export const DownloadJobData = z.object({
  taskId: Id,
  orderId: Id,
  /** Why the job was enqueued: a payment, an operator retry, or the reconciler. */
  reason: z.enum(['payment', 'retry', 'reconcile']).default('payment'),
  /**
   * Attempts that earlier jobs of the task already used (a run lost with its worker, then queued
   * again by the reconciler): the job numbers its attempts after them and has only what is left of
   * DOWNLOAD_ATTEMPTS.
   */
  attemptsBefore: z.int().nonnegative().optional(),
});
export type DownloadJobData = z.infer<typeof DownloadJobData>;

/** A BullMQ job id, as a worker reports it or an operator names it. */
export const JobId = z.string().min(1).max(128);

/** Attempts a task gets in all, across every job of one enqueue chain (an operator retry starts anew). */
export const DOWNLOAD_ATTEMPTS = 3;

/**
 * The retry policy, in one place: the BullMQ options of every download job (the outbox drainer
 * adds the jobs with them; the worker relies on them). 3 attempts in all, exponential backoff
 * with jitter between them (1 s, 2 s, 4 s... each reduced by up to half at random, BullMQ's own
 * `jitter`), completed jobs trimmed after an hour, failed jobs kept as dead letters until someone
 * acts. Structurally a BullMQ JobsOptions (contracts do not depend on BullMQ).
 */
export const DOWNLOAD_JOB_OPTIONS = {
  attempts: DOWNLOAD_ATTEMPTS,
  backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: false,
} as const;

/**
 * BullMQ priorities of download jobs by order priority (lower is sooner). Every job carries one:
 * BullMQ takes jobs without a priority before all prioritized ones, so normal orders must not go
 * without (decision 046).
 */
export const JOB_PRIORITIES = { vip: 1, normal: 10 } as const satisfies Record<
  (typeof ORDER_PRIORITIES)[number],
  number
>;

/**
 * A job's options: the order's priority, and when earlier jobs of its task used `attemptsBefore`
 * attempts, only the attempts that are left.
 */
export function downloadJobOptions(
  attemptsBefore: number,
  priority: (typeof ORDER_PRIORITIES)[number] = 'normal',
): Omit<typeof DOWNLOAD_JOB_OPTIONS, 'attempts'> & { attempts: number; priority: number } {
  return {
    ...DOWNLOAD_JOB_OPTIONS,
    attempts: attemptsBefore <= 0 ? DOWNLOAD_ATTEMPTS : Math.max(1, DOWNLOAD_ATTEMPTS - attemptsBefore),
    priority: JOB_PRIORITIES[priority],
  };
}

/** The job id for a task's nth enqueue: BullMQ ignores a second add with the same id. */
export function downloadJobId(taskId: number, generation: number): string {
  return `task-${taskId}-${generation}`;
}

/** The task and queue generation a download job id names, or null for any other shape. */
export function parseDownloadJobId(jobId: string): { taskId: number; generation: number } | null {
  const match = /^task-(\d{1,10})-(\d{1,10})$/.exec(jobId);
  if (!match) return null;
  return { taskId: Number(match[1]), generation: Number(match[2]) };
}

/**
 * A run's fencing token: download_tasks.run_token as the server issued it when the run claimed its
 * task. Every claim and every new enqueue raises the task's token, so a report that carries an
 * older one comes from a run that is no longer the task's current run.
 */
export const RunToken = z.int().positive();

/** A course source's manifest: the files a task downloads. */
export const CourseManifest = z.object({
  title: z.string().min(1).max(255),
  files: z
    .array(
      z.object({
        name: z
          .string()
          .min(1)
          .max(255)
          .regex(/^[^/\\]+$/, 'a file name, not a path')
          .refine((name) => name !== '.' && name !== '..', 'a file name, not a path'),
        // Only HTTP(S): a manifest must never make a worker read local files (file:) or other schemes.
        url: z.url({ protocol: /^https?$/ }),
        size: z.int().nonnegative(),
        sha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .optional(),
      }),
    )
    .min(1)
    .max(10_000),
});
export type CourseManifest = z.infer<typeof CourseManifest>;
