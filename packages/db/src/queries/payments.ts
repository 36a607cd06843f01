import type { PaymentStatus } from '@paidflow/contracts';
import { and, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { isDuplicateKeyError } from '../errors.ts';
import {
  type OrderRow,
  orders,
  type PAYMENT_TRANSACTION_STATUSES,
  type PaymentTransactionRow,
  paymentTransactions,
} from '../schema.ts';

export type PaymentTransactionStatus = (typeof PAYMENT_TRANSACTION_STATUSES)[number];

export interface NewPaymentTransaction {
  provider: string;
  providerTransactionId: string;
  amount: number;
  transferType: string;
  /** Copied out of the payload for the inbox's display and search (cut to their columns). */
  gateway?: string | null;
  referenceCode?: string | null;
  content?: string | null;
  /**
   * The provider's payload, kept for audits and disputes: the parsed body when MySQL's JSON type
   * takes it as it is, else the webhook's stand-in (apps/server/src/webhooks/body.ts).
   */
  rawPayload: unknown;
  /** The exact signed bytes, when rawPayload is not the body's own value. */
  rawBody?: Buffer | null;
  /** 'rejected' stores a body that failed validation, settled at once with its reason. */
  rejected?: { reason: string };
}

/**
 * Stores a provider transaction with status 'received' (or 'rejected'), in a statement of its own, before anything
 * is done with it. The (provider, provider_transaction_id) pair is unique: a repeated delivery
 * inserts nothing and returns the id and status of the row already stored, with `inserted: false`.
 * A new row costs one statement (its id comes from the INSERT): this is the webhook's hot path.
 */
export async function recordPaymentTransaction(
  db: DbOrTx,
  input: NewPaymentTransaction,
): Promise<{ inserted: boolean; id: number; status: PaymentTransactionStatus }> {
  try {
    const [result] = await db.insert(paymentTransactions).values({
      ...storedColumns(input),
      ...(input.rejected
        ? { status: 'rejected', status_reason: input.rejected.reason.slice(0, 255), processed_at: new Date() }
        : {}),
    });
    return { inserted: true, id: result.insertId, status: input.rejected ? 'rejected' : 'received' };
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    const row = await findPaymentTransaction(db, input.provider, input.providerTransactionId);
    if (!row) throw error;
    return { inserted: false, id: row.id, status: row.status };
  }
}

/** The columns a stored transaction takes from its delivery (cut to their lengths). */
function storedColumns(input: NewPaymentTransaction) {
  return {
    provider: input.provider,
    provider_transaction_id: input.providerTransactionId,
    amount: input.amount,
    transfer_type: input.transferType,
    gateway: input.gateway?.slice(0, 100) ?? null,
    reference_code: input.referenceCode?.slice(0, 100) ?? null,
    content: input.content?.slice(0, 1000) ?? null,
    raw_payload: input.rawPayload,
    raw_body: input.rawBody ?? null,
  };
}

export interface PaymentSettlement {
  status: PaymentTransactionStatus;
  reason?: string | null;
  orderId?: number | null;
}

/**
 * Stores a provider transaction already settled, in the transaction that decided what becomes of
 * it (the webhook's hot path: one INSERT, no 'received' step, no UPDATE after it). Returns the
 * row as stored, without reading it back (its received_at is MySQL's clock; the returned one is
 * this process's). When the (provider, provider_transaction_id) pair is already stored, nothing
 * is written and the stored row is returned as it is (not locked: lock it with
 * lockPaymentTransaction in a transaction of its own before settling it), with `inserted: false`.
 * A concurrent delivery of the same transaction waits on the unique key until this transaction
 * ends, then finds the row; so a new transaction is settled by one delivery only.
 */
export async function insertSettledPaymentTransaction(
  tx: DbOrTx,
  input: NewPaymentTransaction & PaymentSettlement,
): Promise<{ inserted: boolean; row: PaymentTransactionRow }> {
  const now = new Date();
  const values = {
    ...storedColumns(input),
    status: input.status,
    status_reason: input.reason?.slice(0, 255) ?? null,
    order_id: input.orderId ?? null,
    processed_at: now,
  };
  try {
    const [result] = await tx.insert(paymentTransactions).values(values);
    return {
      inserted: true,
      row: {
        ...values,
        id: result.insertId,
        amount: Math.round(input.amount * 100) / 100,
        received_at: now,
        resolved_by: null,
        resolved_at: null,
        note: null,
      },
    };
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    // A plain read, not a locking one: the duplicate check holds a shared lock on the row, and
    // concurrent deliveries each turning theirs into an exclusive one would deadlock each other.
    const row = await findPaymentTransaction(tx, input.provider, input.providerTransactionId);
    if (!row) throw error;
    return { inserted: false, row };
  }
}

/** A provider transaction by its provider id. */
export async function findPaymentTransaction(
  db: DbOrTx,
  provider: string,
  providerTransactionId: string,
): Promise<PaymentTransactionRow | undefined> {
  const [row] = await db
    .select()
    .from(paymentTransactions)
    .where(
      and(
        eq(paymentTransactions.provider, provider),
        eq(paymentTransactions.provider_transaction_id, providerTransactionId),
      ),
    );
  return row;
}

/** Locks a stored transaction row for the rest of the transaction (serializes concurrent deliveries). */
export async function lockPaymentTransaction(
  tx: DbOrTx,
  id: number,
): Promise<PaymentTransactionRow | undefined> {
  const [row] = await tx
    .select()
    .from(paymentTransactions)
    .where(eq(paymentTransactions.id, id))
    .for('update');
  return row;
}

/** A stored transaction by its own id (the inbox's row id). */
export async function findPaymentTransactionById(
  db: DbOrTx,
  id: number,
): Promise<PaymentTransactionRow | undefined> {
  const [row] = await db.select().from(paymentTransactions).where(eq(paymentTransactions.id, id));
  return row;
}

/** Records what became of a transaction: applied, underpaid, unmatched, ignored or rejected. */
export async function settlePaymentTransaction(
  tx: DbOrTx,
  id: number,
  outcome: PaymentSettlement,
): Promise<void> {
  await tx
    .update(paymentTransactions)
    .set({
      status: outcome.status,
      status_reason: outcome.reason?.slice(0, 255) ?? null,
      order_id: outcome.orderId ?? null,
      processed_at: new Date(),
    })
    .where(eq(paymentTransactions.id, id));
}

/** Locks an order by its payment code; undefined when no order has that code. */
export async function lockOrderByCode(tx: DbOrTx, orderCode: string): Promise<OrderRow | undefined> {
  const [row] = await tx.select().from(orders).where(eq(orders.order_code, orderCode)).for('update');
  return row;
}

/**
 * The underpaid transfers matched to an order, locked (the ones that add up to its payment).
 * Call it with the order locked: every writer of an order's underpaid transfers holds that lock
 * (decision 045), so the set cannot change under the caller.
 */
export async function lockUnderpaidTransactions(
  tx: DbOrTx,
  orderId: number,
): Promise<PaymentTransactionRow[]> {
  return tx
    .select()
    .from(paymentTransactions)
    .where(and(eq(paymentTransactions.order_id, orderId), eq(paymentTransactions.status, 'underpaid')))
    .orderBy(paymentTransactions.id)
    .for('update');
}

/** Transfers that together paid an order: each becomes `applied` (with the order locked). */
export async function markTransactionsApplied(tx: DbOrTx, ids: number[], orderId: number): Promise<void> {
  if (ids.length === 0) return;
  await tx
    .update(paymentTransactions)
    .set({ status: 'applied', order_id: orderId, processed_at: new Date() })
    .where(inArray(paymentTransactions.id, ids));
}

/**
 * An operator's settlement of a transaction (match, refund, ignore): its new status and order,
 * who did it, when, and their note. The provider's reason (status_reason) is kept as it was.
 */
export async function resolvePaymentTransaction(
  tx: DbOrTx,
  id: number,
  resolution: {
    status: PaymentTransactionStatus;
    orderId: number | null;
    resolvedBy: string;
    note: string | null;
  },
): Promise<void> {
  await tx
    .update(paymentTransactions)
    .set({
      status: resolution.status,
      order_id: resolution.orderId,
      resolved_by: resolution.resolvedBy.slice(0, 255),
      resolved_at: new Date(),
      note: resolution.note?.slice(0, 1000) ?? null,
      processed_at: new Date(),
    })
    .where(eq(paymentTransactions.id, id));
}

/**
 * An unpaid order's payment status: `underpaid` while underpaid transfers are matched to it,
 * `pending` when none is left. With the order locked; paying it is queuePendingTasks' patch.
 */
export async function markOrderPaymentStatus(
  tx: DbOrTx,
  orderId: number,
  status: Extract<PaymentStatus, 'pending' | 'underpaid'>,
): Promise<void> {
  await tx.update(orders).set({ payment_status: status }).where(eq(orders.id, orderId));
}
