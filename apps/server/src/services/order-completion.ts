import type { OrderStatus } from '@paidflow/contracts';
import {
  appendAuditEvents,
  type DbOrTx,
  insertOutboxRows,
  lockOrder,
  NOTIFICATION_TOPIC,
  type OrderRow,
  orders,
} from '@paidflow/db';
import { eq } from 'drizzle-orm';
import type { AppDeps } from '../deps.ts';
import type { NotificationPayload } from '../notify/payloads.ts';
import { publishOrderComplete, publishOrderProgress, publishOrderStatus } from './pipeline-events.ts';

export interface OrderCompletion {
  order: OrderRow;
  previousStatus: OrderStatus;
}

/** The status an order ends in, from its task counters. */
export function finalOrderStatus(order: Pick<OrderRow, 'completed_tasks' | 'failed_tasks' | 'total_tasks'>) {
  if (order.failed_tasks > 0) return 'failed' as const;
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
  await tx
    .update(orders)
    .set({ order_status: status, completed_at: completedAt })
    .where(eq(orders.id, orderId));
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
export async function publishOrderCompletion(
  deps: Pick<AppDeps, 'redis' | 'logger' | 'env' | 'kickOutbox'>,
  completion: OrderCompletion,
): Promise<void> {
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
