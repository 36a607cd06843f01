import {
  type DownloadJobData,
  downloadJobId,
  isActiveTaskStatus,
  type TaskStatus,
} from '@paidflow/contracts';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../client.ts';
import { type DownloadTaskRow, downloadTasks, type OrderRow, orders, outbox } from '../schema.ts';
import { activeTraceparent } from '../trace-context.ts';

type CounterColumn = 'completed_tasks' | 'failed_tasks' | 'cancelled_tasks' | 'active_tasks';

/** The order counter a task status is counted in; pending tasks count only in total_tasks. */
export function counterOf(status: TaskStatus): CounterColumn | null {
  if (status === 'completed') return 'completed_tasks';
  if (status === 'failed') return 'failed_tasks';
  if (status === 'cancelled') return 'cancelled_tasks';
  if (isActiveTaskStatus(status)) return 'active_tasks';
  return null;
}

const COUNTER_SQL = {
  completed_tasks: sql.raw('`completed_tasks`'),
  failed_tasks: sql.raw('`failed_tasks`'),
  cancelled_tasks: sql.raw('`cancelled_tasks`'),
  active_tasks: sql.raw('`active_tasks`'),
} as const;

export type TaskPatch = Partial<
  Pick<
    DownloadTaskRow,
    | 'progress'
    | 'current_file'
    | 'drive_link'
    | 'delivered_files'
    | 'error_log'
    | 'attempts'
    | 'started_at'
    | 'completed_at'
    | 'queue_generation'
    | 'run_token'
    | 'run_attempt'
  >
>;

export interface TransitionTaskOptions {
  taskId: number;
  to: TaskStatus;
  /** Move only from these statuses; from any other, nothing changes. */
  from?: readonly TaskStatus[];
  patch?: TaskPatch;
  /**
   * The task's row as the caller locked it in this transaction (lockTaskAndOrder): it is not
   * locked and read again. Without it, the task is locked here, in a savepoint of its own.
   */
  current?: DownloadTaskRow;
}

export type TaskTransition =
  | { changed: true; order: OrderRow }
  | { changed: false; reason: 'not_found' }
  | { changed: false; reason: 'status_mismatch'; task: DownloadTaskRow };

/** Runs in a transaction of its own, or in a savepoint of the caller's. */
function inTransaction<T>(db: DbOrTx, run: (tx: DbOrTx) => Promise<T>): Promise<T> {
  return (db as Db).transaction(run);
}

/**
 * Changes a task's status and keeps its order's counters exact, atomically. This is the one
 * function that changes download_tasks.status: every writer goes through it.
 */
export async function transitionTask(db: DbOrTx, options: TransitionTaskOptions): Promise<TaskTransition> {
  if (options.current) return applyTransition(db, options.current, options);
  return inTransaction(db, async (tx) => {
    const [task] = await tx
      .select()
      .from(downloadTasks)
      .where(eq(downloadTasks.id, options.taskId))
      .for('update');
    if (!task) return { changed: false, reason: 'not_found' } as const;
    return applyTransition(tx, task, options);
  });
}

/** The transition itself, on a task row locked in the caller's transaction. */
async function applyTransition(
  tx: DbOrTx,
  task: DownloadTaskRow,
  options: TransitionTaskOptions,
): Promise<TaskTransition> {
  if (options.from && !options.from.includes(task.status)) {
    return { changed: false, reason: 'status_mismatch', task } as const;
  }
  await tx
    .update(downloadTasks)
    .set({ ...options.patch, status: options.to })
    .where(eq(downloadTasks.id, task.id));
  const before = counterOf(task.status);
  const after = counterOf(options.to);
  if (before !== after) {
    const set: Record<string, unknown> = {};
    if (before) set[before] = sql`${COUNTER_SQL[before]} - 1`;
    if (after) set[after] = sql`${COUNTER_SQL[after]} + 1`;
    await tx.update(orders).set(set).where(eq(orders.id, task.order_id));
  }
  const [order] = await tx.select().from(orders).where(eq(orders.id, task.order_id));
  return { changed: true, order: order! } as const;
}

export interface NewTask {
  title: string;
  course_url: string;
  status?: TaskStatus;
}

/** Adds tasks to an order and counts them in its counters. */
export async function insertTasks(db: DbOrTx, orderId: number, tasks: NewTask[]): Promise<number[]> {
  if (tasks.length === 0) return [];
  return inTransaction(db, async (tx) => {
    const ids: number[] = [];
    for (const task of tasks) {
      const [result] = await tx.insert(downloadTasks).values({ ...task, order_id: orderId });
      ids.push(result.insertId);
    }
    const increments: Record<string, unknown> = { total_tasks: sql`\`total_tasks\` + ${tasks.length}` };
    const perCounter = new Map<CounterColumn, number>();
    for (const task of tasks) {
      const column = counterOf(task.status ?? 'pending');
      if (column) perCounter.set(column, (perCounter.get(column) ?? 0) + 1);
    }
    for (const [column, count] of perCounter) increments[column] = sql`${COUNTER_SQL[column]} + ${count}`;
    await tx.update(orders).set(increments).where(eq(orders.id, orderId));
    return ids;
  });
}

export const DOWNLOAD_TOPIC = 'download';

/** The outbox row that has the drainer add a task's download job to BullMQ. */
function downloadOutboxRow(
  task: { taskId: number; orderId: number; jobId: string; attemptsBefore?: number },
  reason: DownloadJobData['reason'],
) {
  const payload: DownloadJobData & { jobId: string; traceparent?: string } = {
    taskId: task.taskId,
    orderId: task.orderId,
    jobId: task.jobId,
    reason,
    ...(task.attemptsBefore ? { attemptsBefore: task.attemptsBefore } : {}),
    // The trace that queued the task (the webhook's, an operator's retry...): the drainer continues it.
    ...activeTraceparent(),
  };
  return { topic: DOWNLOAD_TOPIC, payload };
}

/** The columns every enqueue sets: a new generation (a new job id) and a new run token (the fence). */
const NEW_ENQUEUE = {
  queue_generation: sql`\`queue_generation\` + 1`,
  run_token: sql`\`run_token\` + 1`,
  run_attempt: null,
};

/**
 * Puts tasks on the transactional outbox, for the drainer to add to BullMQ. Each enqueue bumps
 * the task's queue generation, which makes its job id (task-<id>-<generation>) new, and its run
 * token, which fences any run of an earlier job: the server refuses that run's reports.
 * Call it inside the transaction that made the tasks queued.
 */
export async function enqueueDownloads(
  tx: DbOrTx,
  tasks: Array<{ taskId: number; orderId: number; attemptsBefore?: number }>,
  reason: DownloadJobData['reason'],
): Promise<string[]> {
  if (tasks.length === 0) return [];
  const ids = tasks.map((task) => task.taskId);
  await tx.update(downloadTasks).set(NEW_ENQUEUE).where(inArray(downloadTasks.id, ids));
  const rows = await tx
    .select({ id: downloadTasks.id, generation: downloadTasks.queue_generation })
    .from(downloadTasks)
    .where(inArray(downloadTasks.id, ids));
  const generation = new Map(rows.map((row) => [row.id, row.generation]));
  const jobIds: string[] = [];
  const values = tasks.map((task) => {
    const jobId = downloadJobId(task.taskId, generation.get(task.taskId) ?? 1);
    jobIds.push(jobId);
    return downloadOutboxRow({ ...task, jobId }, reason);
  });
  await tx.insert(outbox).values(values);
  return jobIds;
}

export interface QueuePendingTasksOptions {
  /** The order, as read under its row lock (lockOrder / lockOrderByCode) in the caller's transaction. */
  order: OrderRow;
  reason: DownloadJobData['reason'];
  /** Other columns of the order set by the same UPDATE as its counters (e.g. its payment status). */
  orderPatch?: Partial<Pick<OrderRow, 'payment_status' | 'order_status' | 'paid_at'>>;
}

export interface QueuedPendingTasks {
  tasks: Array<{ taskId: number; orderId: number; jobId: string }>;
  /** The order row as it now stands in the transaction (patch and counters applied). */
  order: OrderRow;
}

/**
 * Moves every pending task of a locked order to queued and puts each on the outbox: the bulk
 * form of transitionTask(pending -> queued) followed by enqueueDownloads, in four statements
 * whatever the number of tasks (the payment webhook's hot path). Keeps the order's counters exact.
 *
 * The tasks are read without a lock, then updated by primary key, so no gap lock of the order
 * index blocks tasks being added to other orders. The plain read is exact because every writer
 * of a task's status holds its order's lock (decision 041), which the caller holds, and because
 * it is the transaction's first consistent read, taken after that lock (its snapshot is fixed
 * then). The UPDATE checks `status = 'pending'` all the same: a task that is no longer pending
 * means that rule was broken, and the transaction fails rather than queue it twice.
 */
export async function queuePendingTasks(
  tx: DbOrTx,
  options: QueuePendingTasksOptions,
): Promise<QueuedPendingTasks> {
  const { order, reason } = options;
  const locked = await tx
    .select({ id: downloadTasks.id, generation: downloadTasks.queue_generation })
    .from(downloadTasks)
    .where(and(eq(downloadTasks.order_id, order.id), eq(downloadTasks.status, 'pending')))
    .orderBy(downloadTasks.id);
  const ids = locked.map((task) => task.id);
  const counters: Partial<Record<CounterColumn, number>> = {};
  const set: Record<string, unknown> = { ...options.orderPatch };
  const after = counterOf('queued');
  if (after && ids.length > 0) {
    counters[after] = order[after] + ids.length;
    set[after] = sql`${COUNTER_SQL[after]} + ${ids.length}`;
  }
  if (ids.length > 0) {
    const [result] = await tx
      .update(downloadTasks)
      .set({ status: 'queued', ...NEW_ENQUEUE })
      .where(and(inArray(downloadTasks.id, ids), eq(downloadTasks.status, 'pending')));
    if (result.affectedRows !== ids.length) {
      throw new Error(
        `order ${order.id}: ${ids.length - result.affectedRows} of its pending tasks changed without its lock`,
      );
    }
  }
  if (Object.keys(set).length > 0) await tx.update(orders).set(set).where(eq(orders.id, order.id));
  const tasks = locked.map((task) => ({
    taskId: task.id,
    orderId: order.id,
    jobId: downloadJobId(task.id, task.generation + 1),
  }));
  if (tasks.length > 0) await tx.insert(outbox).values(tasks.map((task) => downloadOutboxRow(task, reason)));
  return {
    tasks,
    order: { ...order, ...options.orderPatch, ...counters, updated_at: new Date() },
  };
}
