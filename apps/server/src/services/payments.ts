import { ORDER_CODE_IN_TEXT, OrderCode, type SepayTransaction } from '@paidflow/contracts';
import {
  appendAuditEvents,
  type DbOrTx,
  lockOrderByCode,
  lockPaymentTransaction,
  type OrderRow,
  queuePendingTasks,
  recordPaymentTransaction,
  settlePaymentTransaction,
  withTransaction,
} from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import { publishOrderProgress } from '../realtime/order-progress.ts';
import { completeOrderIfDone, type OrderCompletion, publishOrderCompletion } from './order-completion.ts';
import { publishOrderStatus, publishTaskStatus } from './pipeline-events.ts';

export const SEPAY_PROVIDER = 'sepay';
const SOURCE = 'webhook:sepay';

export type PaymentOutcome =
  | { kind: 'applied'; orderId: number; queuedTasks: number }
  | { kind: 'duplicate'; status: string }
  | { kind: 'ignored'; reason: string }
  | { kind: 'unmatched'; reason: string }
  | { kind: 'underpaid'; orderId: number; amount: number; total: number };

type PaymentDeps = Pick<AppDeps, 'db' | 'redis' | 'logger' | 'env' | 'namespace' | 'kickOutbox'>;

/**
 * The order code a transfer names: SePay's detected `code` when it is one of ours, else the
 * first order code in the transfer's content (customers type it in any case).
 */
export function matchOrderCode(transaction: Pick<SepayTransaction, 'code' | 'content'>): string | null {
  const fromCode = transaction.code?.trim().toUpperCase();
  if (fromCode && OrderCode.safeParse(fromCode).success) return fromCode;
  const match = ORDER_CODE_IN_TEXT.exec(transaction.content);
  return match ? match[0].toUpperCase() : null;
}

interface Applied {
  kind: 'applied';
  order: OrderRow;
  queued: Array<{ taskId: number; orderId: number }>;
  completion: OrderCompletion | null;
}

type Settled = Exclude<PaymentOutcome, { kind: 'applied' }> | Applied;

/**
 * Takes a verified SePay transaction. The raw payload is stored first, on its own; a repeated
 * delivery of a transaction already processed changes nothing. Then, in one MySQL transaction
 * that locks the stored row and the order row, the payment is matched and applied: the order
 * becomes paid and processing, its tasks queued, the audit log and the outbox written. Live
 * messages go out after commit.
 */
export async function receivePayment(
  deps: PaymentDeps,
  transaction: SepayTransaction,
  rawPayload: unknown,
): Promise<PaymentOutcome> {
  const { inserted, id, status } = await recordPaymentTransaction(deps.db, {
    provider: SEPAY_PROVIDER,
    providerTransactionId: String(transaction.id),
    amount: transaction.transferAmount,
    transferType: transaction.transferType,
    rawPayload,
  });
  // A duplicate whose first delivery never got past 'received' (the process died, MySQL went
  // away) is processed now; the row lock below makes sure only one delivery ever applies it.
  if (!inserted && status !== 'received') return { kind: 'duplicate', status };

  const settled = await withTransaction(deps.db, (tx) => settle(tx, id, transaction));
  if (settled.kind !== 'applied') {
    if (settled.kind !== 'duplicate') {
      deps.logger.info({ transactionId: transaction.id, outcome: settled }, 'payment not applied');
    }
    return settled;
  }
  await announceApplied(deps, settled);
  return { kind: 'applied', orderId: settled.order.id, queuedTasks: settled.queued.length };
}

async function settle(tx: DbOrTx, rowId: number, transaction: SepayTransaction): Promise<Settled> {
  const row = await lockPaymentTransaction(tx, rowId);
  if (row?.status !== 'received') return { kind: 'duplicate', status: row?.status ?? 'missing' };

  if (transaction.transferType === 'out') {
    const reason = 'outgoing transfer';
    await settlePaymentTransaction(tx, rowId, { status: 'ignored', reason });
    return { kind: 'ignored', reason };
  }
  const code = matchOrderCode(transaction);
  if (!code) {
    const reason = 'no order code in code or content';
    await settlePaymentTransaction(tx, rowId, { status: 'unmatched', reason });
    return { kind: 'unmatched', reason };
  }
  const order = await lockOrderByCode(tx, code);
  if (!order) {
    const reason = `no order with code ${code}`;
    await settlePaymentTransaction(tx, rowId, { status: 'unmatched', reason });
    return { kind: 'unmatched', reason };
  }
  if (order.payment_status === 'paid') {
    const reason = `order ${code} is already paid`;
    await settlePaymentTransaction(tx, rowId, { status: 'ignored', reason, orderId: order.id });
    return { kind: 'ignored', reason };
  }
  if (!['pending', 'underpaid'].includes(order.payment_status) || order.order_status !== 'pending') {
    const reason = `order ${code} is ${order.payment_status}/${order.order_status}`;
    await settlePaymentTransaction(tx, rowId, { status: 'ignored', reason, orderId: order.id });
    return { kind: 'ignored', reason };
  }
  const details = {
    transactionId: transaction.id,
    amount: transaction.transferAmount,
    total: order.total_amount,
    gateway: transaction.gateway,
    referenceCode: transaction.referenceCode,
    transactionDate: transaction.transactionDate,
  };
  if (transaction.transferAmount < order.total_amount) {
    // The order stays pending: a later transfer covering the whole total still applies.
    await appendAuditEvents(tx, [
      {
        order_id: order.id,
        event_type: 'payment_underpaid',
        severity: 'warning',
        message: `Payment of ${transaction.transferAmount} is less than the order total ${order.total_amount}; no work started`,
        details: { ...details, shortfall: order.total_amount - transaction.transferAmount },
        source: SOURCE,
        dedupe_key: `payment_underpaid:${SEPAY_PROVIDER}:${transaction.id}`,
      },
    ]);
    await settlePaymentTransaction(tx, rowId, {
      status: 'underpaid',
      reason: `amount ${transaction.transferAmount} < total ${order.total_amount}`,
      orderId: order.id,
    });
    return {
      kind: 'underpaid',
      orderId: order.id,
      amount: transaction.transferAmount,
      total: order.total_amount,
    };
  }
  return applyPayment(tx, { rowId, order, details });
}

/**
 * The order becomes paid and processing and its pending tasks queued, with their outbox rows and
 * audit events. A handful of statements whatever the number of tasks: the transaction holds the
 * order's lock, so every extra round trip is time other writers of that order wait, and each one
 * costs the server CPU that bounds how many webhooks it takes per second.
 */
async function applyPayment(
  tx: DbOrTx,
  input: { rowId: number; order: OrderRow; details: Record<string, unknown> },
): Promise<Applied> {
  const { order, details } = input;
  const { tasks, order: updated } = await queuePendingTasks(tx, {
    order,
    reason: 'payment',
    orderPatch: { payment_status: 'paid', order_status: 'processing', paid_at: new Date() },
  });
  const queued = tasks.map(({ taskId, orderId }) => ({ taskId, orderId }));
  await appendAuditEvents(tx, [
    {
      order_id: order.id,
      event_type: 'payment_received',
      message: `Payment of ${details.amount} received via ${details.gateway}; ${queued.length} tasks queued`,
      details: { ...details, paymentTransactionId: input.rowId },
      previous_status: order.payment_status,
      new_status: 'paid',
      source: SOURCE,
      dedupe_key: `payment_received:${SEPAY_PROVIDER}:${details.transactionId}`,
    },
    ...queued.map((task) => ({
      order_id: order.id,
      task_id: task.taskId,
      event_type: 'task_queued' as const,
      message: 'Task queued after payment',
      previous_status: 'pending',
      new_status: 'queued',
      source: SOURCE,
    })),
  ]);
  // An order without tasks left to wait for ends now. The counters were read under the order's
  // lock and queuing changes none of the ended ones, so the check needs no second read.
  const ended = updated.completed_tasks + updated.failed_tasks + updated.cancelled_tasks;
  const completion = ended >= updated.total_tasks ? await completeOrderIfDone(tx, order.id, SOURCE) : null;
  await settlePaymentTransaction(tx, input.rowId, { status: 'applied', orderId: order.id });
  return { kind: 'applied', order: completion?.order ?? updated, queued, completion };
}

async function announceApplied(deps: PaymentDeps, applied: Applied): Promise<void> {
  deps.kickOutbox();
  const { order } = applied;
  await publishOrderStatus(deps, {
    orderId: order.id,
    orderCode: order.order_code,
    paymentStatus: 'paid',
    previousStatus: 'pending',
    newStatus: 'processing',
  });
  for (const task of applied.queued) {
    await publishTaskStatus(deps, { ...task, previousStatus: 'pending', newStatus: 'queued' });
  }
  if (applied.completion) await publishOrderCompletion(deps, applied.completion);
  else await publishOrderProgress(deps, order);
}
