import { appendAuditEvents, type DbOrTx, findOrder, tasksForNotification } from '@paidflow/db';
import type { Notifier } from './notifier.ts';
import type { NotificationPayload } from './payloads.ts';

export interface DeliveryDeps {
  notifier: Notifier;
  /** Where admin alerts go; alerts are only written to the outbox when it is set. */
  adminEmail?: string | undefined;
}

/**
 * Delivers one notification row and records it in the order's audit log, inside the drainer's
 * transaction. Throws when the notifier fails: the row stays pending and is retried. The audit
 * event's dedupe key is the outbox row, so a delivery retried after a crash is recorded once.
 */
export async function deliverNotification(
  deps: DeliveryDeps,
  tx: DbOrTx,
  outboxId: number,
  payload: NotificationPayload,
): Promise<'sent' | 'skipped'> {
  const order = await findOrder(tx, payload.orderId);
  if (!order) return 'skipped';
  if (payload.kind === 'order_completed') {
    const tasks = await tasksForNotification(tx, order.id);
    await deps.notifier.sendOrderCompleted({ order, tasks });
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
  if (!deps.adminEmail) return 'skipped';
  await deps.notifier.sendAdminAlert(deps.adminEmail, {
    orderId: order.id,
    orderCode: order.order_code,
    taskId: payload.taskId,
    errorType: payload.errorType,
    message: payload.message,
    step: payload.step,
    attempt: payload.attempt,
  });
  await appendAuditEvents(tx, [
    {
      order_id: order.id,
      task_id: payload.taskId,
      event_type: 'admin_alert_sent',
      severity: 'warning',
      message: `Admin alerted about ${payload.errorType} on task ${payload.taskId}`,
      details: {
        channel: deps.notifier.kind,
        errorType: payload.errorType,
        attempt: payload.attempt,
        outboxId,
      },
      source: 'notifier',
      error_type: payload.errorType,
      dedupe_key: `admin_alert_sent:${outboxId}`,
    },
  ]);
  return 'sent';
}

/** Records that a notification was given up on after its last attempt. */
export async function recordNotificationFailed(
  tx: DbOrTx,
  outboxId: number,
  payload: NotificationPayload,
  error: string,
  attempts: number,
): Promise<void> {
  const order = await findOrder(tx, payload.orderId);
  if (!order) return;
  await appendAuditEvents(tx, [
    {
      order_id: order.id,
      task_id: payload.kind === 'admin_alert' ? payload.taskId : null,
      event_type: 'notification_failed',
      severity: 'error',
      message:
        `${payload.kind === 'admin_alert' ? 'Admin alert' : 'Customer notification'} not delivered after ${attempts} attempts: ${error}`.slice(
          0,
          4000,
        ),
      details: { kind: payload.kind, attempts, error, outboxId },
      source: 'notifier',
      dedupe_key: `notification_failed:${outboxId}`,
    },
  ]);
}
