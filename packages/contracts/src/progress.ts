import { z } from 'zod';
import { EpochMs, Id } from './common.ts';
import { TASK_PHASES } from './constants.ts';
import { ErrorType } from './errors.ts';
import { OrderStatus, PaymentStatus } from './orders.ts';
import { TaskStatus } from './tasks.ts';

/**
 * task:{id}:progress — ephemeral, at most every 250 ms per task, always ending at 100 (delivered).
 * `percent` is the whole task's, across its phases (PHASE_BANDS); the bytes, speed and ETA are the
 * current phase's.
 */
export const TaskProgress = z.object({
  taskId: Id,
  orderId: Id,
  /**
   * Absent from older messages and outside publishers: read it as the download. Optional rather
   * than defaulted: a default on this, the hottest schema, cost the fan-out 5-10 µs per message
   * (decision 048).
   */
  phase: z.enum(TASK_PHASES).optional(),
  percent: z.number().min(0).max(100),
  currentFile: z.string().max(512).nullable(),
  bytesDone: z.int().nonnegative(),
  bytesTotal: z.int().nonnegative(),
  /** Bytes per second. */
  speed: z.number().nonnegative(),
  etaSeconds: z.number().nonnegative().nullable(),
  timestamp: EpochMs,
});
export type TaskProgress = z.infer<typeof TaskProgress>;

/** task:{id}:status — a status change; never coalesced or dropped. */
export const TaskStatusEvent = z.object({
  taskId: Id,
  orderId: Id,
  previousStatus: TaskStatus.nullable(),
  newStatus: TaskStatus,
  error: z.object({ type: ErrorType, message: z.string().max(2000) }).optional(),
  /**
   * The task's run token after the change, when the change was a claim or a fence: a worker
   * running the task with a lower token was superseded and stops (the cancellation channel).
   */
  runToken: z.int().positive().optional(),
  timestamp: EpochMs,
});
export type TaskStatusEvent = z.infer<typeof TaskStatusEvent>;

/**
 * order:{id}:progress — the aggregate of an order's tasks, published by the server alone, its
 * percent by orderPercent (decision 043).
 */
export const OrderProgress = z.object({
  orderId: Id,
  percent: z.number().min(0).max(100),
  completedTasks: z.int().nonnegative(),
  failedTasks: z.int().nonnegative(),
  /** Absent from messages older than this field: read as 0. */
  cancelledTasks: z.int().nonnegative().default(0),
  totalTasks: z.int().nonnegative(),
  /** Seconds until the order is delivered (orderEtaSeconds); null while unknown. */
  etaSeconds: z.number().nonnegative().nullable().default(null),
  timestamp: EpochMs,
});
export type OrderProgress = z.infer<typeof OrderProgress>;

/** order:{id}:complete — sent once, when every task of the order has ended. */
export const OrderComplete = z.object({
  orderId: Id,
  totalTasks: z.int().nonnegative(),
  completedTasks: z.int().nonnegative(),
  failedTasks: z.int().nonnegative(),
  timestamp: EpochMs,
});
export type OrderComplete = z.infer<typeof OrderComplete>;

/** order:{id}:status — the order's own status changed (paid, completed, failed...). */
export const OrderStatusEvent = z.object({
  orderId: Id,
  orderCode: z.string(),
  paymentStatus: PaymentStatus,
  previousStatus: OrderStatus.nullable(),
  newStatus: OrderStatus,
  timestamp: EpochMs,
});
export type OrderStatusEvent = z.infer<typeof OrderStatusEvent>;
