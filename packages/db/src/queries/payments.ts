import { and, eq } from 'drizzle-orm';
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
  /** The provider's payload as received, kept for audits and disputes. */
  rawPayload: unknown;
}

/**
 * Stores a provider transaction with status 'received', in a statement of its own, before anything
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
      provider: input.provider,
      provider_transaction_id: input.providerTransactionId,
      amount: input.amount,
      transfer_type: input.transferType,
      raw_payload: input.rawPayload,
    });
    return { inserted: true, id: result.insertId, status: 'received' };
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    const row = await findPaymentTransaction(db, input.provider, input.providerTransactionId);
    if (!row) throw error;
    return { inserted: false, id: row.id, status: row.status };
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

/** Records what became of a transaction: applied, underpaid, unmatched, ignored or rejected. */
export async function settlePaymentTransaction(
  tx: DbOrTx,
  id: number,
  outcome: { status: PaymentTransactionStatus; reason?: string | null; orderId?: number | null },
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
