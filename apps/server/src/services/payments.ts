import { ORDER_CODE_IN_TEXT, OrderCode, SepayTransaction } from '@paidflow/contracts';
import {
  appendAuditEvents,
  type DbOrTx,
  lockOrderByCode,
  lockPaymentTransaction,
  lockUnderpaidTransactions,
  markOrderPaymentStatus,
  type OrderRow,
  type PaymentTransactionRow,
  recordPaymentTransaction,
  settlePaymentTransaction,
  withTransaction,
} from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import { type Applied, announceApplied, applyPayment, isPayable, sumAmounts } from './payment-apply.ts';
import { type PaymentChange, publishPaymentChanges, writePaymentAlert } from './payment-events.ts';

export const SEPAY_PROVIDER = 'sepay';
const SOURCE = 'webhook:sepay';

export type PaymentOutcome =
  | { kind: 'applied'; orderId: number; queuedTasks: number; paid: number; total: number }
  | { kind: 'duplicate'; status: string }
  | { kind: 'rejected'; reason: string }
  | { kind: 'ignored'; reason: string }
  | { kind: 'unmatched'; reason: string }
  | { kind: 'underpaid'; orderId: number; amount: number; paid: number; total: number };

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

/** What the webhook stores of a body: raw_payload, and the exact bytes when it needs them. */
export interface StoredBody {
  payload: unknown;
  rawBody: Buffer | null;
}

/**
 * A signed body that is no valid transaction (not JSON, a field out of the contract, an
 * ambiguous repeated field) is stored all the same, settled `rejected` with its reason under
 * `key` (its hash: it may have no usable id), and the admins hear of it. It never pays: the
 * amount column shows the body's transferAmount only when the contract accepts that field.
 */
export async function rejectPayment(
  deps: PaymentDeps,
  input: StoredBody & { key: string; reason: string; value: unknown },
): Promise<PaymentOutcome> {
  const fields = (typeof input.value === 'object' && input.value !== null ? input.value : {}) as Record<
    string,
    unknown
  >;
  const text = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : null);
  const amount = SepayTransaction.shape.transferAmount.safeParse(fields.transferAmount);
  const transferType = SepayTransaction.shape.transferType.safeParse(fields.transferType);
  const { inserted, id, status } = await recordPaymentTransaction(deps.db, {
    provider: SEPAY_PROVIDER,
    providerTransactionId: input.key,
    amount: amount.success ? amount.data : 0,
    transferType: transferType.success ? transferType.data : 'unknown',
    gateway: text('gateway'),
    referenceCode: text('referenceCode'),
    content: text('content'),
    rawPayload: input.payload,
    rawBody: input.rawBody,
    rejected: { reason: input.reason },
  });
  if (!inserted) return { kind: 'duplicate', status };
  deps.logger.warn({ paymentTransactionId: id, reason: input.reason }, 'payment body stored as rejected');
  if (await writePaymentAlert(deps, deps.db, id, null)) deps.kickOutbox();
  await publishPaymentChanges(deps, [
    { transactionId: id, orderId: null, previousStatus: null, status: 'rejected', amount: amount.data ?? 0 },
  ]);
  return { kind: 'rejected', reason: input.reason };
}

/** What one settlement decided, and what to announce after its commit. */
type Settled = {
  outcome: Exclude<PaymentOutcome, { kind: 'applied' }> | (Applied & { paid: number; total: number });
  changes: PaymentChange[];
  alerted: boolean;
};

/**
 * Takes a verified SePay transaction. The raw payload is stored first, on its own; a repeated
 * delivery of a transaction already processed changes nothing. Then, in one MySQL transaction
 * that locks the stored row and the order row, the payment is matched and added to what the
 * order's earlier (underpaid) transfers paid: when they cover the total, the order becomes paid
 * and processing, its tasks queued, the audit log and the outbox written. Live messages go out
 * after commit.
 */
export async function receivePayment(
  deps: PaymentDeps,
  transaction: SepayTransaction,
  stored: StoredBody,
): Promise<PaymentOutcome> {
  const { inserted, id, status } = await recordPaymentTransaction(deps.db, {
    provider: SEPAY_PROVIDER,
    providerTransactionId: String(transaction.id),
    amount: transaction.transferAmount,
    transferType: transaction.transferType,
    gateway: transaction.gateway,
    referenceCode: transaction.referenceCode,
    content: transaction.content,
    rawPayload: stored.payload,
    rawBody: stored.rawBody,
  });
  // A duplicate whose first delivery never got past 'received' (the process died, MySQL went
  // away) is processed now; the row lock below makes sure only one delivery ever applies it.
  if (!inserted && status !== 'received') return { kind: 'duplicate', status };

  const settled = await withTransaction(deps.db, (tx) => settle(deps, tx, id, transaction));
  const { outcome } = settled;
  if (settled.alerted) deps.kickOutbox();
  if (outcome.kind === 'applied') await announceApplied(deps, outcome);
  else if (outcome.kind !== 'duplicate') {
    deps.logger.info({ transactionId: transaction.id, outcome }, 'payment not applied');
  }
  await publishPaymentChanges(deps, settled.changes);
  if (outcome.kind !== 'applied') return outcome;
  return {
    kind: 'applied',
    orderId: outcome.order.id,
    queuedTasks: outcome.queued.length,
    paid: outcome.paid,
    total: outcome.total,
  };
}

async function settle(
  deps: PaymentDeps,
  tx: DbOrTx,
  rowId: number,
  transaction: SepayTransaction,
): Promise<Settled> {
  const row = await lockPaymentTransaction(tx, rowId);
  if (row?.status !== 'received') {
    return { outcome: { kind: 'duplicate', status: row?.status ?? 'missing' }, changes: [], alerted: false };
  }
  const change = (status: PaymentChange['status'], orderId: number | null): PaymentChange => ({
    transactionId: rowId,
    orderId,
    previousStatus: 'received',
    status,
    amount: row.amount,
  });
  const ignore = async (reason: string, orderId: number | null = null): Promise<Settled> => {
    await settlePaymentTransaction(tx, rowId, { status: 'ignored', reason, orderId });
    return { outcome: { kind: 'ignored', reason }, changes: [change('ignored', orderId)], alerted: false };
  };
  // Retrying cannot match a transfer: it is stored, answered 200, and waits in the inbox.
  const unmatched = async (reason: string): Promise<Settled> => {
    await settlePaymentTransaction(tx, rowId, { status: 'unmatched', reason });
    const alerted = await writePaymentAlert(deps, tx, rowId, null);
    return { outcome: { kind: 'unmatched', reason }, changes: [change('unmatched', null)], alerted };
  };

  if (transaction.transferType === 'out') return ignore('outgoing transfer');
  const code = matchOrderCode(transaction);
  if (!code) return unmatched('no order code in code or content');
  const order = await lockOrderByCode(tx, code);
  if (!order) return unmatched(`no order with code ${code}`);
  if (order.payment_status === 'paid') return ignore(`order ${code} is already paid`, order.id);
  if (!isPayable(order))
    return ignore(`order ${code} is ${order.payment_status}/${order.order_status}`, order.id);

  // Only an order marked underpaid has earlier transfers to add up: the common case reads none.
  const earlier = order.payment_status === 'underpaid' ? await lockUnderpaidTransactions(tx, order.id) : [];
  const paid = sumAmounts(earlier) + row.amount;
  const details = {
    transactionId: transaction.id,
    amount: transaction.transferAmount,
    total: order.total_amount,
    paid,
    gateway: transaction.gateway,
    referenceCode: transaction.referenceCode,
    transactionDate: transaction.transactionDate,
  };
  if (paid < order.total_amount) return underpaid(deps, tx, { row, order, paid, details });

  const status = paid > order.total_amount ? 'overpaid' : 'applied';
  const applied = await applyPayment(tx, {
    order,
    row,
    status,
    earlier,
    paid,
    details,
    source: SOURCE,
  });
  await settlePaymentTransaction(tx, rowId, { status, orderId: order.id });
  return {
    outcome: { ...applied, paid, total: order.total_amount },
    changes: [change(status, order.id), ...applied.changes],
    alerted: false,
  };
}

/**
 * The order's transfers do not cover its total yet: this one is `underpaid`, the order stays
 * payable (marked underpaid, so that the next transfer adds up), a warning is audited, no work
 * starts, and the admins hear of it.
 */
async function underpaid(
  deps: PaymentDeps,
  tx: DbOrTx,
  input: { row: PaymentTransactionRow; order: OrderRow; paid: number; details: Record<string, unknown> },
): Promise<Settled> {
  const { row, order, paid } = input;
  const total = order.total_amount;
  await appendAuditEvents(tx, [
    {
      order_id: order.id,
      event_type: 'payment_underpaid',
      severity: 'warning',
      message:
        paid === row.amount
          ? `Payment of ${row.amount} is less than the order total ${total}; no work started`
          : `Payment of ${row.amount} brings the order's transfers to ${paid} of ${total}; no work started`,
      details: { ...input.details, shortfall: total - paid, paymentTransactionId: row.id },
      source: SOURCE,
      dedupe_key: `payment_underpaid:${SEPAY_PROVIDER}:${row.provider_transaction_id}`,
    },
  ]);
  await settlePaymentTransaction(tx, row.id, {
    status: 'underpaid',
    reason: `amount ${row.amount} < total ${total}${paid === row.amount ? '' : ` (${paid} paid in all)`}`,
    orderId: order.id,
  });
  if (order.payment_status !== 'underpaid') await markOrderPaymentStatus(tx, order.id, 'underpaid');
  const alerted = await writePaymentAlert(deps, tx, row.id, order.id);
  return {
    outcome: { kind: 'underpaid', orderId: order.id, amount: row.amount, paid, total },
    changes: [
      {
        transactionId: row.id,
        orderId: order.id,
        previousStatus: 'received',
        status: 'underpaid',
        amount: row.amount,
      },
    ],
    alerted,
  };
}
