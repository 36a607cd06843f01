import type { NewAuditEvent } from '@paidflow/contracts';
import {
  appendAuditEvents,
  type DbOrTx,
  markTransactionsApplied,
  type OrderRow,
  type PaymentTransactionRow,
  queuePendingTasks,
} from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import { orderProgressMessage } from '../realtime/order-progress.ts';
import { publishLiveMessages } from '../realtime/publisher.ts';
import { completeOrderIfDone, type OrderCompletion, publishOrderCompletion } from './order-completion.ts';
import type { PaymentChange } from './payment-events.ts';
import { orderStatusMessage, taskStatusMessage } from './pipeline-events.ts';

// Paying an order: the one path by which a webhook and an operator's match both pay (decision 045).

/** An order that can still take a payment: not paid, not ended or cancelled. */
export function isPayable(order: Pick<OrderRow, 'payment_status' | 'order_status'>): boolean {
  return ['pending', 'underpaid'].includes(order.payment_status) && order.order_status === 'pending';
}

/** What transfers add up to, in whole cents (amounts are DECIMAL(15,2)). */
export function sumAmounts(rows: ReadonlyArray<{ amount: number }>): number {
  return Math.round(rows.reduce((sum, row) => sum + row.amount * 100, 0)) / 100;
}

export interface Applied {
  kind: 'applied';
  order: OrderRow;
  queued: Array<{ taskId: number; orderId: number }>;
  completion: OrderCompletion | null;
  /** The earlier underpaid transfers that became applied (the paying one is the caller's). */
  changes: PaymentChange[];
}

export interface ApplyInput {
  /** Locked, payable (isPayable). */
  order: OrderRow;
  /** The transfer that completes the payment, locked; its own row is written by the caller. */
  row: PaymentTransactionRow;
  status: 'applied' | 'overpaid';
  /** The order's earlier underpaid transfers, locked (lockUnderpaidTransactions). */
  earlier: PaymentTransactionRow[];
  /** What all of them add up to: at least the order's total. */
  paid: number;
  details: Record<string, unknown>;
  source: string;
}

/**
 * The order becomes paid and processing and its pending tasks queued, with their outbox rows and
 * audit events; its earlier underpaid transfers become applied. A handful of statements whatever
 * the number of tasks: the transaction holds the order's lock, so every extra round trip is time
 * other writers of that order wait, and each one costs the server CPU that bounds how many
 * webhooks it takes per second. `payment_received` is keyed by the paying transfer, which pays
 * at most once (its row is locked and settled in this transaction).
 */
export async function applyPayment(tx: DbOrTx, input: ApplyInput): Promise<Applied> {
  const { order, row, earlier, paid, source } = input;
  const { tasks, order: updated } = await queuePendingTasks(tx, {
    order,
    reason: 'payment',
    orderPatch: { payment_status: 'paid', order_status: 'processing', paid_at: new Date() },
  });
  const queued = tasks.map(({ taskId, orderId }) => ({ taskId, orderId }));
  const transfers = [...earlier, row].map((transfer) => ({ id: transfer.id, amount: transfer.amount }));
  const details = {
    ...input.details,
    paymentTransactionId: row.id,
    ...(earlier.length > 0 ? { transfers } : {}),
  };
  const events: NewAuditEvent[] = [
    {
      order_id: order.id,
      event_type: 'payment_received',
      message:
        earlier.length > 0
          ? `Payment completed by ${transfers.length} transfers adding up to ${paid}; ${queued.length} tasks queued`
          : `Payment of ${row.amount} received via ${row.gateway ?? row.provider}; ${queued.length} tasks queued`,
      details,
      previous_status: order.payment_status,
      new_status: 'paid',
      source,
      dedupe_key: `payment_received:${row.provider}:${row.provider_transaction_id}`,
    },
    ...queued.map((task) => ({
      order_id: order.id,
      task_id: task.taskId,
      event_type: 'task_queued' as const,
      message: 'Task queued after payment',
      previous_status: 'pending',
      new_status: 'queued',
      source,
    })),
  ];
  if (input.status === 'overpaid') {
    const excess = Math.round((paid - order.total_amount) * 100) / 100;
    events.push({
      order_id: order.id,
      event_type: 'payment_overpaid',
      severity: 'warning',
      message: `Paid ${paid}, ${excess} more than the order total ${order.total_amount}; the order is paid`,
      details: { ...details, excess },
      source,
      dedupe_key: `payment_overpaid:${row.provider}:${row.provider_transaction_id}`,
    });
  }
  await appendAuditEvents(tx, events);
  await markTransactionsApplied(
    tx,
    earlier.map((transfer) => transfer.id),
    order.id,
  );
  // An order without tasks left to wait for ends now. The counters were read under the order's
  // lock and queuing changes none of the ended ones, so the check needs no second read.
  const ended = updated.completed_tasks + updated.failed_tasks + updated.cancelled_tasks;
  const completion = ended >= updated.total_tasks ? await completeOrderIfDone(tx, order.id, source) : null;
  return {
    kind: 'applied',
    order: completion?.order ?? updated,
    queued,
    completion,
    changes: earlier.map((transfer) => ({
      transactionId: transfer.id,
      orderId: order.id,
      previousStatus: 'underpaid',
      status: 'applied',
      amount: transfer.amount,
    })),
  };
}

/**
 * After commit: the order's status, each queued task's, then its completion or progress. They
 * are one order's messages, so they go out in one MULTI: one round trip, and one transaction's
 * commands instead of one per message.
 */
export async function announceApplied(
  deps: Pick<AppDeps, 'redis' | 'logger' | 'env' | 'namespace' | 'kickOutbox'>,
  applied: Applied,
): Promise<void> {
  deps.kickOutbox();
  const { order } = applied;
  const messages = [
    orderStatusMessage(deps, {
      orderId: order.id,
      orderCode: order.order_code,
      paymentStatus: 'paid',
      previousStatus: 'pending',
      newStatus: 'processing',
    }),
    ...applied.queued.map((task) =>
      taskStatusMessage(deps, { ...task, previousStatus: 'pending', newStatus: 'queued' }),
    ),
  ];
  if (applied.completion) {
    // Not waited for one by one: one connection keeps the commands in the order they are sent.
    await Promise.all([
      publishLiveMessages(deps, messages),
      publishOrderCompletion(deps, applied.completion),
    ]);
    return;
  }
  messages.push(await orderProgressMessage(deps, order, { noTicksYet: true }));
  await publishLiveMessages(deps, messages);
}
