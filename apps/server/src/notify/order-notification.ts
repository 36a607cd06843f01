import type { OrderStatus, TaskStatus } from '@paidflow/contracts';
import { appendAuditEvents, type DbOrTx, findOrder, tasksForNotification } from '@paidflow/db';
import type { DeliveryDeps, DeliveryOutcome } from './deliver.ts';
import type { Mail } from './notifier.ts';
import type { NotificationOf } from './payloads.ts';

/** What a customer's batch notification is built from: the order and every one of its tasks. */
export interface OrderNotice {
  order: { id: number; order_code: string; user_email: string; order_status: OrderStatus };
  tasks: Array<{ id: number; title: string; status: TaskStatus; drive_link: string | null }>;
}

/** The customer's e-mail for an ended order (one per order, however many tasks it has). */
export function orderCompletedMail(notice: OrderNotice): Mail {
  const { order, tasks } = notice;
  const done = tasks.filter((task) => task.status === 'completed').length;
  const subject =
    order.order_status === 'completed'
      ? `Your order ${order.order_code} is ready`
      : `Your order ${order.order_code} has finished: ${done} of ${tasks.length} courses delivered`;
  const lines = tasks.map((task) =>
    task.status === 'completed' && task.drive_link
      ? `- ${task.title}: ${task.drive_link}`
      : `- ${task.title}: ${task.status}; our team has been told and will contact you`,
  );
  const text = [`Hello,`, '', `Order ${order.order_code}:`, ...lines, '', '— Paidflow'].join('\n');
  return { to: order.user_email, subject, text };
}

/** The customer's batch notification of an ended order, audited as notification_sent. */
export async function deliverOrderNotification(
  deps: DeliveryDeps,
  tx: DbOrTx,
  outboxId: number,
  payload: NotificationOf<'order_completed'>,
): Promise<DeliveryOutcome> {
  const order = await findOrder(tx, payload.orderId);
  if (!order) return 'skipped';
  const tasks = await tasksForNotification(tx, order.id);
  await deps.notifier.send(orderCompletedMail({ order, tasks }));
  await appendAuditEvents(tx, [
    {
      order_id: order.id,
      event_type: 'notification_sent',
      message: `Order ${order.order_status === 'completed' ? 'ready' : 'finished'} notification sent to the customer`,
      details: { channel: deps.notifier.kind, to: order.user_email, tasks: tasks.length, outboxId },
      source: 'notifier',
      dedupe_key: `notification_sent:${outboxId}`,
    },
  ]);
  return 'sent';
}
