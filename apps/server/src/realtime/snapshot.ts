import type {
  DownloadTask,
  LiveOrderState,
  LiveSnapshot,
  LiveTaskState,
  OrderProgress,
  OrderSummary,
} from '@paidflow/contracts';
import { isRunningTaskStatus } from '@paidflow/contracts';
import { findTaskWithOrder, getOrderDetail, toDownloadTask, toOrderSummary } from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { readLatest, type TaskLatest } from './latest.ts';

type SnapshotDeps = Pick<AppDeps, 'db' | 'redis' | 'namespace' | 'logger'>;
export type SnapshotReason = LiveSnapshot['reason'];

/** A task's state: the database's status, with Redis's live progress while it runs. */
export function toLiveTask(task: DownloadTask, latest: TaskLatest | undefined): LiveTaskState {
  // Progress left in Redis by an earlier attempt must not show on a queued or ended task.
  const progress = isRunningTaskStatus(task.status) ? (latest?.progress ?? null) : null;
  const last = task.error_log?.last;
  return {
    taskId: task.id,
    orderId: task.order_id,
    title: task.title,
    status: task.status,
    percent: task.status === 'completed' ? 100 : (progress?.percent ?? task.progress),
    currentFile: progress?.currentFile ?? task.current_file,
    progress,
    error: task.status === 'failed' && last ? { type: last.type, message: last.message } : null,
    updatedAt: task.updated_at.getTime(),
  };
}

function toLiveOrder(order: OrderSummary, progress: OrderProgress | null): LiveOrderState {
  return {
    orderId: order.id,
    orderCode: order.order_code,
    paymentStatus: order.payment_status,
    status: order.order_status,
    stats: order.stats,
    progress,
  };
}

/** An order's whole current state: the order, every task, and the latest live values. */
export async function orderSnapshot(
  deps: SnapshotDeps,
  orderId: number,
  reason: SnapshotReason,
): Promise<LiveSnapshot> {
  const detail = await getOrderDetail(deps.db, orderId);
  if (!detail) throw new AppError('NOT_FOUND', `order ${orderId} does not exist`);
  const latest = await readLatest(deps, {
    orderId,
    taskIds: detail.tasks.map((task) => task.id),
    withOrder: true,
  });
  return {
    kind: 'snapshot',
    reason,
    order: toLiveOrder(detail, latest.order),
    tasks: detail.tasks.map((task) => toLiveTask(task, latest.tasks.get(task.id))),
    liveAvailable: latest.available,
    at: Date.now(),
  };
}

/** One task's current state, with its order's. */
export async function taskSnapshot(
  deps: SnapshotDeps,
  taskId: number,
  reason: SnapshotReason,
): Promise<LiveSnapshot> {
  const found = await findTaskWithOrder(deps.db, taskId);
  if (!found) throw new AppError('NOT_FOUND', `task ${taskId} does not exist`);
  const { task, order } = found;
  const latest = await readLatest(deps, { orderId: order.id, taskIds: [taskId], withOrder: true });
  return {
    kind: 'snapshot',
    reason,
    order: toLiveOrder(toOrderSummary(order), latest.order),
    tasks: [toLiveTask(toDownloadTask(task), latest.tasks.get(taskId))],
    liveAvailable: latest.available,
    at: Date.now(),
  };
}

/**
 * The firehose's snapshot carries no rows: the list page's state is orders.list and
 * dashboard.stats, which the client refetches when it gets one.
 */
export function firehoseSnapshot(reason: SnapshotReason): LiveSnapshot {
  return { kind: 'snapshot', reason, order: null, tasks: [], liveAvailable: true, at: Date.now() };
}
