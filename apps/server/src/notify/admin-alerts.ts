import type { ErrorType, PipelineStep } from '@paidflow/contracts';
import { appendAuditEvents, type DbOrTx, findOrder } from '@paidflow/db';
import type { DeliveryDeps, DeliveryOutcome } from './deliver.ts';
import type { Mail } from './notifier.ts';
import type { NotificationOf } from './payloads.ts';

/** A critical error an admin must hear about now (DISK_SPACE, AUTHENTICATION). */
export interface AdminAlert {
  orderId: number;
  orderCode: string;
  taskId: number;
  errorType: ErrorType;
  message: string;
  step: PipelineStep;
  attempt: number;
}

export function adminAlertMail(to: string, alert: AdminAlert): Mail {
  return {
    to,
    priority: 'high',
    subject: `[Paidflow] ${alert.errorType} on order ${alert.orderCode}, task ${alert.taskId}`,
    text: [
      `A critical error needs attention.`,
      '',
      `Order: ${alert.orderCode} (#${alert.orderId})`,
      `Task: #${alert.taskId}, step ${alert.step}, attempt ${alert.attempt}`,
      `Error: ${alert.errorType}: ${alert.message}`,
    ].join('\n'),
  };
}

/** A task's critical error, to ADMIN_ALERT_EMAIL, audited as admin_alert_sent. */
export async function deliverAdminAlert(
  deps: DeliveryDeps,
  tx: DbOrTx,
  outboxId: number,
  payload: NotificationOf<'admin_alert'>,
): Promise<DeliveryOutcome> {
  const order = await findOrder(tx, payload.orderId);
  if (!order || !deps.adminEmail) return 'skipped';
  await deps.notifier.send(
    adminAlertMail(deps.adminEmail, {
      orderId: order.id,
      orderCode: order.order_code,
      taskId: payload.taskId,
      errorType: payload.errorType,
      message: payload.message,
      step: payload.step,
      attempt: payload.attempt,
    }),
  );
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

/**
 * A transfer that no order took whole (unmatched or underpaid). Not built yet: the payments
 * inbox work fills it in (issue 11, part 2).
 */
export async function deliverPaymentAlert(
  _deps: DeliveryDeps,
  _tx: DbOrTx,
  _outboxId: number,
  _payload: NotificationOf<'payment_attention'>,
): Promise<DeliveryOutcome> {
  return 'skipped';
}
