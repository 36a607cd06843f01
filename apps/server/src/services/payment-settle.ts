import { ORDER_CODE_IN_TEXT, OrderCode, type SepayTransaction } from '@paidflow/contracts';
import {
  appendAuditEvents,
  type DbOrTx,
  insertSettledPaymentTransaction,
  lockOrderByCode,
  lockPaymentTransaction,
  lockUnderpaidTransactions,
  markOrderPaymentStatus,
  type NewPaymentTransaction,
  type OrderRow,
  type PaymentSettlement,
  type PaymentTransactionRow,
  settlePaymentTransaction,
} from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import { type Applied, applyPayment, isPayable, sumAmounts } from './payment-apply.ts';
import { type PaymentChange, writePaymentAlert } from './payment-events.ts';

// The webhook's settling transaction: what becomes of a verified SePay transaction, decided with
// its order locked, and stored with that outcome in one INSERT (payments.ts runs it).

export const SEPAY_PROVIDER = 'sepay';
const SOURCE = 'webhook:sepay';

export type PaymentOutcome =
  | { kind: 'applied'; orderId: number; queuedTasks: number; paid: number; total: number }
  | { kind: 'duplicate'; status: string }
  | { kind: 'rejected'; reason: string }
  | { kind: 'ignored'; reason: string }
  | { kind: 'unmatched'; reason: string }
  | { kind: 'underpaid'; orderId: number; amount: number; paid: number; total: number };

export type PaymentDeps = Pick<AppDeps, 'db' | 'redis' | 'logger' | 'env' | 'namespace' | 'kickOutbox'>;

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

/** What one settlement decided, and what to announce after its commit. */
export type Settled = {
  outcome: Exclude<PaymentOutcome, { kind: 'applied' }> | (Applied & { paid: number; total: number });
  changes: PaymentChange[];
  alerted: boolean;
};

/**
 * Writes the transaction's row with what became of it, as the first write of the settling
 * transaction, and returns it locked. A new transaction is one INSERT; `AlreadyStored` is thrown
 * when its row exists (a repeated delivery), before anything else was written.
 */
type Store = (settlement: PaymentSettlement) => Promise<PaymentTransactionRow>;

class AlreadyStored extends Error {
  constructor(readonly row: PaymentTransactionRow) {
    super(`payment transaction ${row.id} is already stored`);
    this.name = 'AlreadyStored';
  }
}

/**
 * Settles a new delivery, its row written by INSERT. When the row already exists, it is a
 * duplicate, unless an earlier delivery stored it and failed to settle it (`received`): then
 * this returns the row's id, nothing written, for settleStored to settle in a transaction of its
 * own (this one holds a shared lock on the row, which concurrent retries would deadlock turning
 * into exclusive ones).
 */
export async function settleNew(
  deps: PaymentDeps,
  tx: DbOrTx,
  record: NewPaymentTransaction,
  transaction: SepayTransaction,
): Promise<Settled | { storedUnsettled: number }> {
  const insert: Store = async (settlement) => {
    const { inserted, row } = await insertSettledPaymentTransaction(tx, { ...record, ...settlement });
    if (!inserted) throw new AlreadyStored(row);
    return row;
  };
  try {
    return await settle(deps, tx, record.amount, transaction, insert);
  } catch (error) {
    if (!(error instanceof AlreadyStored)) throw error;
    const { row } = error;
    if (row.status === 'received') return { storedUnsettled: row.id };
    return duplicate(row.status);
  }
}

/**
 * Settles a row an earlier delivery stored and never settled: locked first (concurrent retries
 * queue on it), then decided from the stored amount, like a new one.
 */
export async function settleStored(
  deps: PaymentDeps,
  tx: DbOrTx,
  rowId: number,
  transaction: SepayTransaction,
): Promise<Settled> {
  const row = await lockPaymentTransaction(tx, rowId);
  if (row?.status !== 'received') return duplicate(row?.status ?? 'missing');
  return settle(deps, tx, row.amount, transaction, async (settlement) => {
    await settlePaymentTransaction(tx, row.id, settlement);
    return { ...row, status: settlement.status, order_id: settlement.orderId ?? null };
  });
}

function duplicate(status: string): Settled {
  return { outcome: { kind: 'duplicate', status }, changes: [], alerted: false };
}

async function settle(
  deps: PaymentDeps,
  tx: DbOrTx,
  amount: number,
  transaction: SepayTransaction,
  store: Store,
): Promise<Settled> {
  const change = (
    row: PaymentTransactionRow,
    status: PaymentChange['status'],
    orderId: number | null,
  ): PaymentChange => ({ transactionId: row.id, orderId, previousStatus: 'received', status, amount });
  const ignore = async (reason: string, orderId: number | null = null): Promise<Settled> => {
    const row = await store({ status: 'ignored', reason, orderId });
    return {
      outcome: { kind: 'ignored', reason },
      changes: [change(row, 'ignored', orderId)],
      alerted: false,
    };
  };
  // Retrying cannot match a transfer: it is stored, answered 200, and waits in the inbox.
  const unmatched = async (reason: string): Promise<Settled> => {
    const row = await store({ status: 'unmatched', reason });
    const alerted = await writePaymentAlert(deps, tx, row.id, null);
    return { outcome: { kind: 'unmatched', reason }, changes: [change(row, 'unmatched', null)], alerted };
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
  const paid = sumAmounts(earlier) + amount;
  const details = {
    transactionId: transaction.id,
    amount: transaction.transferAmount,
    total: order.total_amount,
    paid,
    gateway: transaction.gateway,
    referenceCode: transaction.referenceCode,
    transactionDate: transaction.transactionDate,
  };
  if (paid < order.total_amount) return underpaid(deps, tx, { store, order, amount, paid, details });

  const status = paid > order.total_amount ? 'overpaid' : 'applied';
  const row = await store({ status, orderId: order.id });
  const applied = await applyPayment(tx, {
    order,
    row,
    status,
    earlier,
    paid,
    details,
    source: SOURCE,
  });
  return {
    outcome: { ...applied, paid, total: order.total_amount },
    changes: [change(row, status, order.id), ...applied.changes],
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
  input: { store: Store; order: OrderRow; amount: number; paid: number; details: Record<string, unknown> },
): Promise<Settled> {
  const { order, amount, paid } = input;
  const total = order.total_amount;
  const row = await input.store({
    status: 'underpaid',
    reason: `amount ${amount} < total ${total}${paid === amount ? '' : ` (${paid} paid in all)`}`,
    orderId: order.id,
  });
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
