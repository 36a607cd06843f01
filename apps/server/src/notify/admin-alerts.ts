import { type ErrorType, PAYMENT_ATTENTION_STATUSES, type PipelineStep } from '@paidflow/contracts';
import { appendAuditEvents, type DbOrTx, findOrder, findPaymentTransactionById } from '@paidflow/db';
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

/** A transfer no order took whole, as the admins' e-mail describes it. */
export interface PaymentAlert {
  transactionId: number;
  status: string;
  amount: number;
  gateway: string | null;
  referenceCode: string | null;
  content: string | null;
  receivedAt: Date;
  /** Why (the webhook's reason: "no order with code DH00012345", "amount 100000 < total 500000"). */
  reason: string | null;
  order: { id: number; code: string; total: number } | null;
  /** The inbox, absolute when PUBLIC_BASE_URL is known, else the path. */
  inboxUrl: string;
}

/** 150000 -> "150,000 VND" (the inbox's currency). */
function vnd(amount: number): string {
  return `${amount.toLocaleString('en-US')} VND`;
}

export function paymentAlertMail(to: string, alert: PaymentAlert): Mail {
  const what = alert.status === 'underpaid' || alert.status === 'rejected' ? alert.status : 'unmatched';
  return {
    to,
    priority: 'high',
    subject: `[Paidflow] Payment of ${vnd(alert.amount)} ${what}${alert.order ? ` for order ${alert.order.code}` : ''}`,
    text: [
      alert.status === 'underpaid'
        ? 'A transfer does not cover its order yet; the order waits for the rest.'
        : alert.status === 'rejected'
          ? 'A signed webhook body is no valid transaction; it is stored, with its exact bytes, and paid nothing.'
          : 'A transfer matched no order; it waits in the payments inbox.',
      '',
      `Amount: ${vnd(alert.amount)}`,
      `Reason: ${alert.reason ?? alert.status}`,
      `Reference: ${alert.referenceCode ?? '(none)'}${alert.gateway ? ` (${alert.gateway})` : ''}`,
      `Content: ${alert.content ?? '(none)'}`,
      `Received: ${alert.receivedAt.toISOString()}`,
      ...(alert.order
        ? [`Order: ${alert.order.code} (#${alert.order.id}), total ${vnd(alert.order.total)}`]
        : []),
      `Transaction: #${alert.transactionId}`,
      '',
      'Match, refund or ignore it in the payments inbox:',
      alert.inboxUrl,
    ].join('\n'),
  };
}

/** The inbox's address for one transaction (searched by its reference code when it has one). */
function inboxUrl(base: string | undefined, referenceCode: string | null): string {
  const query = referenceCode ? `?q=${encodeURIComponent(referenceCode)}` : '?outcome=attention';
  return `${(base ?? '').replace(/\/+$/, '')}/payments${query}`;
}

/**
 * A transfer that no order took whole (unmatched or underpaid, or a rejected body), to ADMIN_ALERT_EMAIL, audited as
 * admin_alert_sent on its order when it has one. Skipped when no admin address is set, or when
 * an operator settled the transfer before the alert went out.
 */
export async function deliverPaymentAlert(
  deps: DeliveryDeps,
  tx: DbOrTx,
  outboxId: number,
  payload: NotificationOf<'payment_attention'>,
): Promise<DeliveryOutcome> {
  const transaction = await findPaymentTransactionById(tx, payload.transactionId);
  if (!transaction || !deps.adminEmail) return 'skipped';
  // A rejected body (signed, but no valid transaction) is alerted too: it may carry money.
  const alerted: readonly string[] = [...PAYMENT_ATTENTION_STATUSES, 'rejected'];
  if (!alerted.includes(transaction.status)) return 'skipped';
  const order = transaction.order_id === null ? undefined : await findOrder(tx, transaction.order_id);
  await deps.notifier.send(
    paymentAlertMail(deps.adminEmail, {
      transactionId: transaction.id,
      status: transaction.status,
      amount: transaction.amount,
      gateway: transaction.gateway,
      referenceCode: transaction.reference_code,
      content: transaction.content,
      receivedAt: transaction.received_at,
      reason: transaction.status_reason,
      order: order ? { id: order.id, code: order.order_code, total: order.total_amount } : null,
      inboxUrl: inboxUrl(deps.publicBaseUrl, transaction.reference_code),
    }),
  );
  if (order) {
    await appendAuditEvents(tx, [
      {
        order_id: order.id,
        event_type: 'admin_alert_sent',
        severity: 'warning',
        message: `Admin alerted about ${transaction.status} transfer #${transaction.id} of ${transaction.amount}`,
        details: {
          channel: deps.notifier.kind,
          kind: payload.kind,
          paymentTransactionId: transaction.id,
          status: transaction.status,
          outboxId,
        },
        source: 'notifier',
        dedupe_key: `admin_alert_sent:${outboxId}`,
      },
    ]);
  }
  return 'sent';
}
