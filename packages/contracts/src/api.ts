import { z } from 'zod';
import { Cursor, EpochMs, Id } from './common.ts';
import { ADMIN_ROLES } from './constants.ts';
import { ErrorType } from './errors.ts';
import { JobId } from './jobs.ts';
import { ListPaidOrdersInput, OrderDetail, OrderStats, OrderStatus, PaymentStatus } from './orders.ts';
import { OrderComplete, OrderProgress, OrderStatusEvent, TaskProgress, TaskStatusEvent } from './progress.ts';
import { DownloadTask, TaskStatus } from './tasks.ts';
import { WorkerHeartbeat } from './workers.ts';

/**
 * The live API's own inputs and outputs (apps/server routers auth, orders, tasks, queue, workers,
 * events), for the web app. The domain schemas they build on live in the other files.
 */

// ---------------------------------------------------------------------------------------------
// Auth

export const AdminRole = z.enum(ADMIN_ROLES);
export type AdminRole = z.infer<typeof AdminRole>;

export const LoginInput = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email().max(255)),
  password: z.string().min(1).max(1024),
});
export type LoginInput = z.input<typeof LoginInput>;

/** The signed-in admin, as auth.me and auth.login answer. */
export const AdminMe = z.object({
  id: Id,
  email: z.string(),
  role: AdminRole,
  /** When the session ends (epoch ms); sign in again after it. */
  expiresAt: EpochMs,
});
export type AdminMe = z.infer<typeof AdminMe>;

// ---------------------------------------------------------------------------------------------
// Orders

export const OrderIdInput = z.object({ orderId: Id });
export type OrderIdInput = z.infer<typeof OrderIdInput>;

/** A task of orders.detail with what Redis knows of it right now. */
export const TaskWithLive = DownloadTask.extend({
  /** The latest progress message (null when none in the last hour, or Redis is down). */
  liveProgress: TaskProgress.nullable(),
  /** The latest status message (null when none in the last hour, or Redis is down). */
  liveStatus: TaskStatusEvent.nullable(),
});
export type TaskWithLive = z.infer<typeof TaskWithLive>;

export const OrderDetailWithLive = OrderDetail.extend({
  tasks: z.array(TaskWithLive),
  /** False when Redis could not be read: the detail holds the database's values only. */
  liveAvailable: z.boolean(),
});
export type OrderDetailWithLive = z.infer<typeof OrderDetailWithLive>;

// ---------------------------------------------------------------------------------------------
// Operator actions

export const TaskIdInput = z.object({ taskId: Id });
export type TaskIdInput = z.infer<typeof TaskIdInput>;

/** The most tasks (or jobs) one bulk action touches; the rest are reported as not done. */
export const BULK_ACTION_LIMIT = 500;

export const RetryManyInput = z.object({ taskIds: z.array(Id).min(1).max(BULK_ACTION_LIMIT) });
export type RetryManyInput = z.infer<typeof RetryManyInput>;

export const RetryMatchingInput = z.object({
  filter: z.object({
    // The order list's own filters, so a bulk retry matches what the list shows.
    orderStatus: ListPaidOrdersInput.shape.status,
    search: ListPaidOrdersInput.shape.search,
    /** The type of the task's last error. */
    errorType: ErrorType.optional(),
  }),
});
export type RetryMatchingInput = z.infer<typeof RetryMatchingInput>;

export const SkippedItem = z.object({
  /** A task id, or a dead-letter job id. */
  id: z.union([Id, z.string()]),
  reason: z.string(),
});
export type SkippedItem = z.infer<typeof SkippedItem>;

/** What a (bulk) action did: the ids it acted on and why it left the others alone. */
export const ActionResult = z.object({
  done: z.array(z.union([Id, z.string()])),
  skipped: z.array(SkippedItem),
  /** True when more matched than BULK_ACTION_LIMIT: run it again for the rest. */
  capped: z.boolean(),
});
export type ActionResult = z.infer<typeof ActionResult>;

// ---------------------------------------------------------------------------------------------
// Queue and workers

export const QueueCounts = z.object({
  waiting: z.int().nonnegative(),
  active: z.int().nonnegative(),
  delayed: z.int().nonnegative(),
  completed: z.int().nonnegative(),
  failed: z.int().nonnegative(),
});
export type QueueCounts = z.infer<typeof QueueCounts>;

/** A job that failed for good (BullMQ's failed set): the dead-letter list. */
export const DeadLetterJob = z.object({
  jobId: z.string(),
  taskId: Id.nullable(),
  orderId: Id.nullable(),
  orderCode: z.string().nullable(),
  taskTitle: z.string().nullable(),
  attemptsMade: z.int().nonnegative(),
  failedReason: z.string(),
  /** When the job was added, first processed and finally failed (epoch ms). */
  createdAt: EpochMs,
  processedAt: EpochMs.nullable(),
  failedAt: EpochMs.nullable(),
});
export type DeadLetterJob = z.infer<typeof DeadLetterJob>;

export const QueueOverviewInput = z.object({
  limit: z.int().min(1).max(100).default(20),
  cursor: Cursor.optional(),
});
export type QueueOverviewInput = z.input<typeof QueueOverviewInput>;

export const QueueOverview = z.object({
  counts: QueueCounts,
  deadLetters: z.array(DeadLetterJob),
  nextCursor: Cursor.nullable(),
});
export type QueueOverview = z.infer<typeof QueueOverview>;

export const JobIdInput = z.object({ jobId: JobId });
export type JobIdInput = z.infer<typeof JobIdInput>;

export const JobIdsInput = z.object({
  jobIds: z.array(JobId).min(1).max(BULK_ACTION_LIMIT),
});
export type JobIdsInput = z.infer<typeof JobIdsInput>;

export const WorkerState = z.enum(['up', 'late']);
export const WorkerHealthItem = WorkerHeartbeat.extend({
  /** 'late' when the last beat is older than two beats (the key is not expired yet). */
  state: WorkerState,
});
export type WorkerHealthItem = z.infer<typeof WorkerHealthItem>;

export const WorkerHealth = z.object({
  workers: z.array(WorkerHealthItem),
  /** Heartbeat keys whose value did not parse (skipped). */
  malformed: z.int().nonnegative(),
  checkedAt: EpochMs,
});
export type WorkerHealth = z.infer<typeof WorkerHealth>;

// ---------------------------------------------------------------------------------------------
// Live events (subscriptions events.order, events.task, events.firehose)

/** Every subscription input: a reconnecting client passes the id of the last event it saw. */
const Resumable = { lastEventId: z.string().max(100).nullish() };

export const OrderEventsInput = z.object({ orderId: Id, ...Resumable });
export type OrderEventsInput = z.input<typeof OrderEventsInput>;
export const TaskEventsInput = z.object({ taskId: Id, ...Resumable });
export type TaskEventsInput = z.input<typeof TaskEventsInput>;
export const FirehoseInput = z.object({ ...Resumable }).optional();
export type FirehoseInput = z.input<typeof FirehoseInput>;

/** A task's current state in a snapshot. */
export const LiveTaskState = z.object({
  taskId: Id,
  orderId: Id,
  title: z.string(),
  status: TaskStatus,
  /** 100 for a completed task; the live value while it runs; the database's otherwise. */
  percent: z.number().min(0).max(100),
  currentFile: z.string().nullable(),
  /** The latest progress message, while the task runs. */
  progress: TaskProgress.nullable(),
  /** The last error, for a failed task. */
  error: z.object({ type: ErrorType, message: z.string() }).nullable(),
  updatedAt: EpochMs,
});
export type LiveTaskState = z.infer<typeof LiveTaskState>;

/** An order's current state in a snapshot. */
export const LiveOrderState = z.object({
  orderId: Id,
  orderCode: z.string(),
  paymentStatus: PaymentStatus,
  status: OrderStatus,
  stats: OrderStats,
  /** The latest order progress message, if any. */
  progress: OrderProgress.nullable(),
});
export type LiveOrderState = z.infer<typeof LiveOrderState>;

/**
 * The first event of every subscription, and of every reconnect or resync: the whole current
 * state. A client replaces what it holds with it. For events.firehose, `order` is null and
 * `tasks` empty: the client refetches its lists (orders.list, dashboard.stats).
 */
export const LiveSnapshot = z.object({
  kind: z.literal('snapshot'),
  reason: z.enum(['subscribe', 'resume', 'resync']),
  order: LiveOrderState.nullable(),
  tasks: z.array(LiveTaskState),
  /** Whether Redis could be read: false means the database's values only. */
  liveAvailable: z.boolean(),
  at: EpochMs,
});
export type LiveSnapshot = z.infer<typeof LiveSnapshot>;

/** One live message from a channel, as the server forwards it. */
export const LiveUpdate = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('task.progress'), data: TaskProgress }),
  z.object({ kind: z.literal('task.status'), data: TaskStatusEvent }),
  z.object({ kind: z.literal('order.progress'), data: OrderProgress }),
  z.object({ kind: z.literal('order.complete'), data: OrderComplete }),
  z.object({ kind: z.literal('order.status'), data: OrderStatusEvent }),
]);
export type LiveUpdate = z.infer<typeof LiveUpdate>;

/**
 * Several updates in one message, in order. The server sends one when updates piled up for a
 * subscriber (it was busy, or the client slow): one frame instead of many. Apply them in order.
 */
export const LiveBatch = z.object({ kind: z.literal('batch'), events: z.array(LiveUpdate) });
export type LiveBatch = z.infer<typeof LiveBatch>;

/** What a subscription yields (each with a tracked id): a snapshot, an update, or a batch of updates. */
export const LiveEvent = z.discriminatedUnion('kind', [LiveSnapshot, LiveBatch, ...LiveUpdate.options]);
export type LiveEvent = z.infer<typeof LiveEvent>;
export type LiveEventKind = LiveEvent['kind'];
