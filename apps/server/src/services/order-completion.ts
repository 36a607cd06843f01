import type { OrderStatus } from '@paidflow/contracts';
import { isEndedOrderStatus } from '@paidflow/contracts';
import {
  appendAuditEvents,
  type DbOrTx,
  insertOutboxRows,
  lockOrder,
  markOrderEnded,
  markOrderProcessing,
  NOTIFICATION_TOPIC,
  type OrderRow,
} from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import type { NotificationPayload } from '../notify/payloads.ts';
import { publishOrderProgress } from '../realtime/order-progress.ts';
import {
  publishOrderComplete,
  publishOrderStatus,
  publishTaskStatus,
  type TaskStatusChange,
} from './pipeline-events.ts';

type AnnounceDeps = Pick<AppDeps, 'redis' | 'logger' | 'env' | 'namespace' | 'kickOutbox'>;

export interface OrderCompletion {
  order: OrderRow;
  previousStatus: OrderStatus;
}

/** An ended order that got a task back, and the status it had ended in. */
export interface OrderReopening {
  order: OrderRow;
  previous: OrderRow['order_status'];
}

/** What a transaction leaves to announce once it has committed. */
export interface Announcements {
  tasks: TaskStatusChange[];
  order: OrderRow | null;
  reopened: OrderReopening | null;
  completion: OrderCompletion | null;
  outbox: boolean;
}

export function noAnnouncements(): Announcements {
  return { tasks: [], order: null, reopened: null, completion: null, outbox: false };
}

/**
 * After commit, in this order: the outbox kick, the reopened order's status, each task's status,
 * then the order's completion or else its progress (when a task changed).
 */
export async function announce(deps: AnnounceDeps, news: Announcements): Promise<void> {
  if (news.outbox) deps.kickOutbox();
  if (news.reopened) {
    await publishOrderStatus(deps, {
      orderId: news.reopened.order.id,
      orderCode: news.reopened.order.order_code,
      paymentStatus: news.reopened.order.payment_status,
      previousStatus: news.reopened.previous,
      newStatus: news.reopened.order.order_status,
    });
  }
  for (const change of news.tasks) await publishTaskStatus(deps, change);
  if (news.completion) await publishOrderCompletion(deps, news.completion);
  else if (news.order && news.tasks.length > 0) await publishOrderProgress(deps, news.order);
}

/**
 * An order that had ended gets a task back (a failed task retried): it is processing again.
 * Inside the caller's transaction, with the order locked; null when the order had not ended.
 */
export async function reopenOrder(tx: DbOrTx, order: OrderRow): Promise<OrderReopening | null> {
  if (!isEndedOrderStatus(order.order_status)) return null;
  await markOrderProcessing(tx, order.id);
  return {
    order: { ...order, order_status: 'processing', completed_at: null },
    previous: order.order_status,
  };
}

/**
 * The status an order ends in, from its task counters: `partially_completed` when some tasks were
 * delivered and some failed; `failed` only when none was delivered and one failed; `cancelled`
 * when none was delivered and none failed. Cancelled tasks beside delivered ones were an
 * operator's choice: the order is `completed`.
 */
export function finalOrderStatus(order: Pick<OrderRow, 'completed_tasks' | 'failed_tasks' | 'total_tasks'>) {
  if (order.failed_tasks > 0)
    return order.completed_tasks > 0 ? ('partially_completed' as const) : ('failed' as const);
  if (order.total_tasks > 0 && order.completed_tasks === 0) return 'cancelled' as const;
  return 'completed' as const;
}

/**
 * Ends an order whose tasks have all ended, inside the caller's transaction (the one that made
 * its last task final). The order row is locked, so of two tasks ending at once exactly one
 * transaction sees the order still processing and flips it: that one writes the single
 * order_completed event and the single batch notification (an outbox row), and only it gets a
 * result back, for publishing order:{id}:complete after commit. Returns null otherwise.
 */
export async function completeOrderIfDone(
  tx: DbOrTx,
  orderId: number,
  source: string,
): Promise<OrderCompletion | null> {
  const order = await lockOrder(tx, orderId);
  if (order?.order_status !== 'processing') return null;
  const ended = order.completed_tasks + order.failed_tasks + order.cancelled_tasks;
  if (ended < order.total_tasks) return null;
  const status = finalOrderStatus(order);
  const completedAt = new Date();
  await markOrderEnded(tx, orderId, status, completedAt);
  const counts = {
    total: order.total_tasks,
    completed: order.completed_tasks,
    failed: order.failed_tasks,
    cancelled: order.cancelled_tasks,
  };
  await appendAuditEvents(tx, [
    {
      order_id: orderId,
      event_type: 'order_completed',
      severity: status === 'completed' ? 'info' : 'warning',
      message:
        status === 'completed'
          ? `Order completed: all ${counts.total} tasks delivered`
          : `Order ended ${status}: ${counts.completed} completed, ${counts.failed} failed, ${counts.cancelled} cancelled`,
      details: { status, ...counts },
      previous_status: order.order_status,
      new_status: status,
      source,
    },
  ]);
  const notification: NotificationPayload = { kind: 'order_completed', orderId };
  await insertOutboxRows(tx, [{ topic: NOTIFICATION_TOPIC, payload: notification }]);
  return {
    order: { ...order, order_status: status, completed_at: completedAt },
    previousStatus: order.order_status,
  };
}

/** After commit: order:{id}:status, order:{id}:progress and the one order:{id}:complete. */
export async function publishOrderCompletion(deps: AnnounceDeps, completion: OrderCompletion): Promise<void> {
  const { order } = completion;
  await publishOrderStatus(deps, {
    orderId: order.id,
    orderCode: order.order_code,
    paymentStatus: order.payment_status,
    previousStatus: completion.previousStatus,
    newStatus: order.order_status,
  });
  await publishOrderProgress(deps, order);
  await publishOrderComplete(deps, order);
  deps.kickOutbox();
}
