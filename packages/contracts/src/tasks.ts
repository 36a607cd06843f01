import { z } from 'zod';
import { Id } from './common.ts';
import { PIPELINE_STEPS, TASK_STATUSES } from './constants.ts';
import { ErrorType } from './errors.ts';

export const TaskStatus = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const PipelineStep = z.enum(PIPELINE_STEPS);
export type PipelineStep = z.infer<typeof PipelineStep>;

/** One failed attempt, as the error bridge records it in download_tasks.error_log. */
export const TaskAttemptError = z.object({
  type: ErrorType,
  message: z.string().max(2000),
  retryable: z.boolean(),
  attempt: z.int().positive(),
  step: PipelineStep,
  file: z.string().nullable(),
  at: z.iso.datetime(),
  /** The worker that ran the attempt. */
  workerId: z.string().max(100).optional(),
  /** The failure's stack trace, cut to TASK_ERROR_STACK_MAX characters. */
  stack: z.string().max(4000).optional(),
});
export type TaskAttemptError = z.infer<typeof TaskAttemptError>;

/** How much of a failure's stack trace error_log keeps. */
export const TASK_ERROR_STACK_MAX = 4000;

/**
 * One file the destination holds for a delivered task: its path under the task (POSIX, relative,
 * no `..`), its size in bytes and its media type. The customer's page lists these; a download
 * outside them is refused.
 */
export const DeliveredFile = z.object({
  path: z
    .string()
    .min(1)
    .max(1024)
    .refine(
      (path) => !path.startsWith('/') && !path.split('/').some((part) => part === '..' || part === ''),
      {
        message: 'a relative path inside the task, without empty or .. segments',
      },
    ),
  size: z.int().nonnegative(),
  contentType: z.string().min(1).max(255),
});
export type DeliveredFile = z.infer<typeof DeliveredFile>;

/** download_tasks.error_log: the last error plus the history of failed attempts (newest last). */
export const TaskErrorLog = z.object({
  last: TaskAttemptError,
  history: z.array(TaskAttemptError).max(50),
});
export type TaskErrorLog = z.infer<typeof TaskErrorLog>;

export const DownloadTask = z.object({
  id: Id,
  order_id: Id,
  title: z.string().min(1).max(255),
  course_url: z.string().min(1).max(2048),
  status: TaskStatus,
  progress: z.int().min(0).max(100),
  current_file: z.string().max(512).nullable(),
  error_log: TaskErrorLog.nullable(),
  drive_link: z.string().max(2048).nullable(),
  delivered_files: z.array(DeliveredFile).nullable(),
  attempts: z.int().nonnegative(),
  created_at: z.date(),
  updated_at: z.date(),
  started_at: z.date().nullable(),
  completed_at: z.date().nullable(),
});
export type DownloadTask = z.infer<typeof DownloadTask>;
