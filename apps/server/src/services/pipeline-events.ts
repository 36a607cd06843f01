import {
  type ErrorType,
  entriesAfterStatus,
  type OrderStatus,
  type PaymentStatus,
  type RedisCommand,
  type TaskStatus,
  taskEntryCommands,
} from '@paidflow/contracts';
import type { AppDeps } from '../deps.ts';
import type { OrderCounters } from '../realtime/order-progress.ts';
import { type LiveMessage, liveMessage, publishLive, publishLiveMessages } from '../realtime/publisher.ts';

type LiveDeps = Pick<AppDeps, 'redis' | 'logger' | 'env' | 'namespace'>;

export interface TaskStatusChange {
  taskId: number;
  orderId: number;
  previousStatus: TaskStatus | null;
  newStatus: TaskStatus;
  error?: { type: ErrorType; message: string };
  /** The task's run token after a claim or a fence, for a superseded run to hear (decision 013). */
  runToken?: number;
}

export interface OrderStatusChange {
  orderId: number;
  orderCode: string;
  paymentStatus: PaymentStatus;
  previousStatus: OrderStatus | null;
  newStatus: OrderStatus;
}

/**
 * The live messages of the pipeline, published after the MySQL transaction that made the change
 * committed (never before: a browser must not see a state the database may still roll back).
 * Publishing is best effort; MySQL holds the durable state.
 */
export async function publishTaskStatus(deps: LiveDeps, change: TaskStatusChange): Promise<void> {
  await publishLiveMessages(deps, [taskStatusMessage(deps, change)]);
}

/** task:{id}:status, with the order's task percents following it (publishTaskStatus). */
export function taskStatusMessage(deps: LiveDeps, change: TaskStatusChange): LiveMessage {
  return liveMessage(
    deps,
    'task',
    change.taskId,
    'status',
    {
      taskId: change.taskId,
      orderId: change.orderId,
      previousStatus: change.previousStatus,
      newStatus: change.newStatus,
      ...(change.error
        ? { error: { type: change.error.type, message: change.error.message.slice(0, 2000) } }
        : {}),
      ...(change.runToken !== undefined ? { runToken: change.runToken } : {}),
      timestamp: Date.now(),
    },
    percentsFollow(deps, change),
  );
}

/**
 * The order's task percents and rates follow a status change (entriesAfterStatus), in the status
 * message's MULTI; a running task keeps its workers' ticks (order-progress.ts reads them).
 */
function percentsFollow(deps: LiveDeps, change: TaskStatusChange): RedisCommand[] {
  return taskEntryCommands(
    deps.namespace,
    change.orderId,
    change.taskId,
    entriesAfterStatus(change.newStatus),
  );
}

export async function publishOrderStatus(deps: LiveDeps, change: OrderStatusChange): Promise<void> {
  await publishLiveMessages(deps, [orderStatusMessage(deps, change)]);
}

/** order:{id}:status (publishOrderStatus). */
export function orderStatusMessage(deps: LiveDeps, change: OrderStatusChange): LiveMessage {
  return liveMessage(deps, 'order', change.orderId, 'status', { ...change, timestamp: Date.now() });
}

/** order:{id}:complete: only the transaction that ended the order calls this, so it goes out once. */
export async function publishOrderComplete(deps: LiveDeps, order: OrderCounters): Promise<void> {
  await publishLive(deps, 'order', order.id, 'complete', {
    orderId: order.id,
    totalTasks: order.total_tasks,
    completedTasks: order.completed_tasks,
    failedTasks: order.failed_tasks,
    timestamp: Date.now(),
  });
}
