import type { ErrorType, OrderStatus, PaymentStatus, TaskStatus } from '@paidflow/contracts';
import type { AppDeps } from '../deps.ts';
import { publishLive } from '../realtime/publisher.ts';

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

interface OrderCounters {
  id: number;
  total_tasks: number;
  completed_tasks: number;
  failed_tasks: number;
  cancelled_tasks: number;
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
  await publishLive(deps, 'task', change.taskId, 'status', {
    taskId: change.taskId,
    orderId: change.orderId,
    previousStatus: change.previousStatus,
    newStatus: change.newStatus,
    ...(change.error
      ? { error: { type: change.error.type, message: change.error.message.slice(0, 2000) } }
      : {}),
    ...(change.runToken !== undefined ? { runToken: change.runToken } : {}),
    timestamp: Date.now(),
  });
}

/** order:{id}:progress from the order's counters: the share of its tasks that have ended. */
export async function publishOrderProgress(deps: LiveDeps, order: OrderCounters): Promise<void> {
  const ended = order.completed_tasks + order.failed_tasks + order.cancelled_tasks;
  await publishLive(deps, 'order', order.id, 'progress', {
    orderId: order.id,
    percent: order.total_tasks === 0 ? 100 : Math.round((ended / order.total_tasks) * 1000) / 10,
    completedTasks: order.completed_tasks,
    failedTasks: order.failed_tasks,
    totalTasks: order.total_tasks,
    timestamp: Date.now(),
  });
}

export async function publishOrderStatus(deps: LiveDeps, change: OrderStatusChange): Promise<void> {
  await publishLive(deps, 'order', change.orderId, 'status', { ...change, timestamp: Date.now() });
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
