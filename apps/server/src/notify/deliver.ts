import { appendAuditEvents, type DbOrTx, findOrder } from '@paidflow/db';
import { deliverAdminAlert, deliverPaymentAlert } from './admin-alerts.ts';
import type { Notifier } from './notifier.ts';
import { deliverOrderNotification } from './order-notification.ts';
import type { NotificationPayload } from './payloads.ts';

export interface DeliveryDeps {
  notifier: Notifier;
  /** Where admin alerts go; alerts are only written to the outbox when it is set. */
  adminEmail?: string | undefined;
  /** Where the customer's links point (PUBLIC_BASE_URL). */
  publicBaseUrl?: string | undefined;
}

export type DeliveryOutcome = 'sent' | 'skipped';

/**
 * Delivers one notification row and records it in the audit log, inside the drainer's
 * transaction. Throws when the notifier fails: the row stays pending and is retried. Each
 * handler's audit event has the outbox row as its dedupe key, so a delivery retried after a crash
 * is recorded once.
 */
export async function deliverNotification(
  deps: DeliveryDeps,
  tx: DbOrTx,
  outboxId: number,
  payload: NotificationPayload,
): Promise<DeliveryOutcome> {
  switch (payload.kind) {
    case 'order_completed':
      return deliverOrderNotification(deps, tx, outboxId, payload);
    case 'admin_alert':
      return deliverAdminAlert(deps, tx, outboxId, payload);
    case 'payment_attention':
      return deliverPaymentAlert(deps, tx, outboxId, payload);
  }
}

/** Records that a notification was given up on after its last attempt (on its order, if any). */
export async function recordNotificationFailed(
  tx: DbOrTx,
  outboxId: number,
  payload: NotificationPayload,
  error: string,
  attempts: number,
): Promise<void> {
  if (payload.orderId === undefined) return;
  const order = await findOrder(tx, payload.orderId);
  if (!order) return;
  const what = payload.kind === 'order_completed' ? 'Customer notification' : 'Admin alert';
  await appendAuditEvents(tx, [
    {
      order_id: order.id,
      task_id: payload.kind === 'admin_alert' ? payload.taskId : null,
      event_type: 'notification_failed',
      severity: 'error',
      message: `${what} not delivered after ${attempts} attempts: ${error}`.slice(0, 4000),
      details: { kind: payload.kind, attempts, error, outboxId },
      source: 'notifier',
      dedupe_key: `notification_failed:${outboxId}`,
    },
  ]);
}
