import { SepayTransaction } from '@paidflow/contracts';
import { type NewPaymentTransaction, recordPaymentTransaction, withTransaction } from '@paidflow/db';
import { announceApplied } from './payment-apply.ts';
import { publishPaymentChanges, writePaymentAlert } from './payment-events.ts';
import {
  type PaymentDeps,
  type PaymentOutcome,
  SEPAY_PROVIDER,
  type Settled,
  settleNew,
  settleStored,
} from './payment-settle.ts';

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

/**
 * Takes a verified SePay transaction: in one MySQL transaction, the order its code names is
 * locked, the payment matched and added to what the order's earlier (underpaid) transfers paid,
 * and the transaction stored with its outcome; when they cover the total, the order becomes paid
 * and processing, its tasks queued, the audit log and the outbox written. A repeated delivery of
 * a transaction already settled changes nothing. Should the settlement fail (MySQL lost, a bug),
 * the body is stored on its own as `received` before the error goes on (a 5xx: the provider
 * retries), and the next delivery settles that row. Live messages go out after commit.
 */
export async function receivePayment(
  deps: PaymentDeps,
  transaction: SepayTransaction,
  stored: StoredBody,
): Promise<PaymentOutcome> {
  const record: NewPaymentTransaction = {
    provider: SEPAY_PROVIDER,
    providerTransactionId: String(transaction.id),
    amount: transaction.transferAmount,
    transferType: transaction.transferType,
    gateway: transaction.gateway,
    referenceCode: transaction.referenceCode,
    content: transaction.content,
    rawPayload: stored.payload,
    rawBody: stored.rawBody,
  };
  let settled: Settled;
  try {
    const first = await withTransaction(deps.db, (tx) => settleNew(deps, tx, record, transaction));
    settled =
      'storedUnsettled' in first
        ? await withTransaction(deps.db, (tx) => settleStored(deps, tx, first.storedUnsettled, transaction))
        : first;
  } catch (error) {
    await keepBody(deps, record, error);
    throw error;
  }
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

/** The settlement failed: the body is kept all the same (a repeat keeps the row there is). */
async function keepBody(deps: PaymentDeps, record: NewPaymentTransaction, cause: unknown): Promise<void> {
  try {
    await recordPaymentTransaction(deps.db, record);
  } catch (error) {
    deps.logger.warn(
      { err: error, cause, transactionId: record.providerTransactionId },
      'payment body not stored either; the provider retries it',
    );
  }
}
