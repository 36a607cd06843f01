import { z } from 'zod';
import { Severity } from './audit.ts';
import { EpochMs, Id } from './common.ts';
import { ErrorType } from './errors.ts';
import { OrderStatus } from './orders.ts';

export const DashboardStats = z.object({
  totalPaid: z.int().nonnegative(),
  processing: z.int().nonnegative(),
  completed: z.int().nonnegative(),
  /** Ended with some courses delivered and some failed. */
  partiallyCompleted: z.int().nonnegative(),
  failed: z.int().nonnegative(),
});
export type DashboardStats = z.infer<typeof DashboardStats>;

/** One recent error across paid orders (the seeds' Error Summary). */
export const ErrorSummaryItem = z.object({
  audit_id: Id,
  order_id: Id,
  order_code: z.string(),
  /** The order's status now: a failure of a partially completed order reads differently. */
  order_status: OrderStatus,
  task_id: Id.nullable(),
  course_url: z.string().nullable(),
  severity: Severity,
  message: z.string(),
  error_type: ErrorType.nullable(),
  created_at: z.date(),
});
export type ErrorSummaryItem = z.infer<typeof ErrorSummaryItem>;

export const ErrorSummary = z.object({
  recent: z.array(ErrorSummaryItem),
  /** Error and critical events per error type within the window. */
  byType: z.array(z.object({ error_type: ErrorType, count: z.int().nonnegative(), last_at: z.date() })),
});
export type ErrorSummary = z.infer<typeof ErrorSummary>;

export const ErrorSummaryInput = z.object({
  limit: z.int().min(1).max(200).default(50),
  /** How far back byType counts, in hours. */
  windowHours: z
    .int()
    .min(1)
    .max(24 * 90)
    .default(24),
});
export type ErrorSummaryInput = z.input<typeof ErrorSummaryInput>;

export const ThroughputInput = z.object({
  /** How many minutes back, ending with the current minute. */
  minutes: z.int().min(1).max(180).default(60),
});
export type ThroughputInput = z.input<typeof ThroughputInput>;

/** Tasks that ended per minute: what the overview's chart draws. Minutes with none are omitted. */
export const Throughput = z.object({
  points: z.array(
    z.object({
      minute: EpochMs,
      completed: z.int().nonnegative(),
      failed: z.int().nonnegative(),
    }),
  ),
});
export type Throughput = z.infer<typeof Throughput>;

/** How the tasks that ended within a window did. Rates are 0..1, null when nothing ended. */
export const TaskKpiWindow = z.object({
  hours: z.int().positive(),
  ended: z.int().nonnegative(),
  completed: z.int().nonnegative(),
  failed: z.int().nonnegative(),
  successRate: z.number().min(0).max(1).nullable(),
  failureRate: z.number().min(0).max(1).nullable(),
  /** Ended tasks that took more than one attempt. */
  retried: z.int().nonnegative(),
  /** Of those, the share that ended delivered. */
  retrySuccessRate: z.number().min(0).max(1).nullable(),
  /** From the first claim to delivery, over the delivered tasks, in ms. */
  durationP50Ms: z.number().nonnegative().nullable(),
  durationP95Ms: z.number().nonnegative().nullable(),
});
export type TaskKpiWindow = z.infer<typeof TaskKpiWindow>;

export const TaskKpis = z.object({ lastHour: TaskKpiWindow, lastDay: TaskKpiWindow });
export type TaskKpis = z.infer<typeof TaskKpis>;
