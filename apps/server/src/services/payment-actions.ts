import type {
  NewAuditEvent,
  PaymentActionResult,
  PaymentResolution,
  PaymentTransactionStatus,
} from '@paidflow/contracts';
import {
  appendAuditEvents,
  type DbOrTx,
  findOrderByCode,
  findPaymentTransactionById,
  lockOrder,
  lockPaymentTransaction,
  lockUnderpaidTransactions,
  markOrderPaymentStatus,
  type OrderRow,
  type PaymentTransactionRow,
  resolvePaymentTransaction,
  withTransaction,
} from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { type Actor, actorDetails, operatorSource } from './operator-actions.ts';
import { type Applied, announceApplied, applyPayment, isPayable, sumAmounts } from './payment-apply.ts';
import { type PaymentChange, publishPaymentChanges } from './payment-events.ts';

// An operator's actions on the payments inbox (decision 045). Each locks the order(s) first, then
// the transaction (the pipeline's order-first protocol), checks the transaction is in a state
// that allows the action (else CONFLICT, and nothing changes), writes who did it, and audits it
// with the actor on the order when there is one.

export type PaymentActionDeps = Pick<AppDeps, 'db' | 'redis' | 'logger' | 'env' | 'namespace' | 'kickOutbox'>;

const MATCHABLE: readonly PaymentTransactionStatus[] = ['unmatched', 'underpaid'];
/** What each resolution may settle: a refund may also return a transfer the webhook ignored. */
const RESOLVABLE: Record<PaymentResolution, readonly PaymentTransactionStatus[]> = {
  ignored: ['unmatched', 'underpaid'],
  refunded: ['unmatched', 'underpaid', 'ignored'],
};

interface Done {
  result: PaymentActionResult;
  changes: PaymentChange[];
  applied: Applied | null;
}

/**
 * Locks the given orders (in id order, so two operators never deadlock on each other), then the
 * transaction, and checks it did not change since it was peeked at (its order may only be read
 * before the locks, as lockTaskAndOrder reads a task's).
 */
async function lockAll(tx: DbOrTx, peek: PaymentTransactionRow, orderIds: Array<number | null>) {
  const orders = new Map<number, OrderRow>();
  const ids = [...new Set(orderIds.filter((id): id is number => id !== null))].sort((a, b) => a - b);
  for (const id of ids) {
    const order = await lockOrder(tx, id);
    if (order) orders.set(id, order);
  }
  const row = await lockPaymentTransaction(tx, peek.id);
  if (!row) throw new AppError('NOT_FOUND', `payment transaction ${peek.id} does not exist`);
  if (row.status !== peek.status || row.order_id !== peek.order_id) {
    throw new AppError('CONFLICT', 'the transaction changed meanwhile; reload the inbox and try again');
  }
  return { row, orders };
}

async function peekTransaction(deps: PaymentActionDeps, transactionId: number) {
  const peek = await findPaymentTransactionById(deps.db, transactionId);
  if (!peek) throw new AppError('NOT_FOUND', `payment transaction ${transactionId} does not exist`);
  return peek;
}

/**
 * An order left with no underpaid transfer (one was refunded, ignored or matched elsewhere) is
 * plainly pending again. With the order and the transfer locked.
 */
async function releaseUnderpaid(tx: DbOrTx, order: OrderRow, rowId: number): Promise<void> {
  const left = (await lockUnderpaidTransactions(tx, order.id)).filter((row) => row.id !== rowId);
  if (left.length === 0 && order.payment_status === 'underpaid') {
    await markOrderPaymentStatus(tx, order.id, 'pending');
  }
}

/**
 * Matches an unmatched or underpaid transfer to an order. The transfers matched to the order add
 * up: when they cover its total the order is paid and its tasks queued, by the webhook's own path
 * (applyPayment); short, the transfer is underpaid on that order. CONFLICT when the transfer or
 * the order is in a state that forbids it (already applied, already matched there, order paid).
 */
export async function matchPayment(
  deps: PaymentActionDeps,
  input: { transactionId: number; orderCode: string; note?: string | undefined; actor: Actor },
): Promise<PaymentActionResult> {
  const { actor } = input;
  const source = operatorSource(actor);
  const peek = await peekTransaction(deps, input.transactionId);
  const target = await findOrderByCode(deps.db, input.orderCode);
  if (!target) throw new AppError('NOT_FOUND', `no order with code ${input.orderCode}`);
  const done = await withTransaction(deps.db, async (tx): Promise<Done> => {
    // An underpaid transfer moved to another order leaves its first order too: both are locked.
    const previousId = peek.status === 'underpaid' && peek.order_id !== target.id ? peek.order_id : null;
    const { row, orders } = await lockAll(tx, peek, [target.id, previousId]);
    const order = orders.get(target.id);
    if (!order) throw new AppError('NOT_FOUND', `no order with code ${input.orderCode}`);
    const code = order.order_code;
    if (!MATCHABLE.includes(row.status)) {
      throw new AppError(
        'CONFLICT',
        `the transaction is ${row.status}: only an unmatched or underpaid one can be matched`,
      );
    }
    if (row.status === 'underpaid' && row.order_id === order.id) {
      throw new AppError('CONFLICT', `the transaction is already matched to ${code}`);
    }
    if (order.payment_status === 'paid') {
      throw new AppError('CONFLICT', `order ${code} is already paid: refund or ignore this transfer instead`);
    }
    if (!isPayable(order)) {
      throw new AppError(
        'CONFLICT',
        `order ${code} is ${order.payment_status}/${order.order_status} and takes no payment`,
      );
    }
    const previous = previousId === null ? undefined : orders.get(previousId);
    if (previous) await releaseUnderpaid(tx, previous, row.id);

    const earlier = (await lockUnderpaidTransactions(tx, order.id)).filter((other) => other.id !== row.id);
    const paid = sumAmounts(earlier) + row.amount;
    const total = order.total_amount;
    const covered = paid >= total;
    const status: PaymentTransactionStatus = !covered ? 'underpaid' : paid > total ? 'overpaid' : 'applied';
    const note = input.note ?? null;
    const details = {
      ...actorDetails(actor),
      paymentTransactionId: row.id,
      transactionId: row.provider_transaction_id,
      amount: row.amount,
      total,
      paid,
      gateway: row.gateway,
      referenceCode: row.reference_code,
      note,
    };
    const events: NewAuditEvent[] = [
      {
        order_id: order.id,
        event_type: 'payment_matched',
        message: `Transfer #${row.id} of ${row.amount} matched by ${actor.email}: ${paid} of ${total} paid`,
        details: { ...details, ...(previous ? { previousOrderId: previous.id } : {}) },
        previous_status: row.status,
        new_status: status,
        source,
      },
    ];
    if (previous) {
      events.push({
        order_id: previous.id,
        event_type: 'payment_matched',
        message: `Transfer #${row.id} of ${row.amount} was matched to order ${code} instead, by ${actor.email}`,
        details: { ...details, movedTo: order.id },
        previous_status: row.status,
        new_status: status,
        source,
      });
    }
    await appendAuditEvents(tx, events);
    let applied: Applied | null = null;
    if (covered) {
      applied = await applyPayment(tx, {
        order,
        row,
        status: status as 'applied' | 'overpaid',
        earlier,
        paid,
        details,
        source,
      });
    } else if (order.payment_status !== 'underpaid') {
      await markOrderPaymentStatus(tx, order.id, 'underpaid');
    }
    await resolvePaymentTransaction(tx, row.id, { status, orderId: order.id, resolvedBy: actor.email, note });
    const change = {
      transactionId: row.id,
      orderId: order.id,
      previousStatus: row.status,
      status,
      amount: row.amount,
    };
    return {
      result: { transactionId: row.id, status, orderId: order.id, orderPaid: covered, paid, total },
      changes: [change, ...(applied?.changes ?? [])],
      applied,
    };
  });
  if (done.applied) await announceApplied(deps, done.applied);
  await publishPaymentChanges(deps, done.changes);
  deps.logger.info({ ...done.result, actorId: actor.id }, 'payment matched by an operator');
  return done.result;
}

/**
 * Marks a transfer refunded (the money went back) or ignored (not a payment of ours), with the
 * operator's note. An underpaid transfer leaves its order's sum. CONFLICT when its status
 * forbids it (an applied transfer paid an order: it cannot be refunded or ignored here).
 */
export async function resolvePayment(
  deps: PaymentActionDeps,
  input: { transactionId: number; resolution: PaymentResolution; note: string; actor: Actor },
): Promise<PaymentActionResult> {
  const { actor, resolution, note } = input;
  const peek = await peekTransaction(deps, input.transactionId);
  const done = await withTransaction(deps.db, async (tx): Promise<Done> => {
    const { row, orders } = await lockAll(tx, peek, [peek.order_id]);
    if (!RESOLVABLE[resolution].includes(row.status)) {
      const allowed = RESOLVABLE[resolution].join(', ').replace(/, (\w+)$/, ' or $1');
      throw new AppError(
        'CONFLICT',
        `the transaction is ${row.status}: only an ${allowed} one can be marked ${resolution}`,
      );
    }
    if (row.transfer_type !== 'in') {
      throw new AppError('CONFLICT', 'an outgoing transfer cannot be refunded');
    }
    const order = row.order_id === null ? undefined : orders.get(row.order_id);
    if (order && row.status === 'underpaid') await releaseUnderpaid(tx, order, row.id);
    await resolvePaymentTransaction(tx, row.id, {
      status: resolution,
      orderId: row.order_id,
      resolvedBy: actor.email,
      note,
    });
    if (order) {
      await appendAuditEvents(tx, [
        {
          order_id: order.id,
          event_type: resolution === 'refunded' ? 'payment_refunded' : 'payment_ignored',
          message:
            `Transfer #${row.id} of ${row.amount} marked ${resolution} by ${actor.email}: ${note}`.slice(
              0,
              4000,
            ),
          details: {
            ...actorDetails(actor),
            paymentTransactionId: row.id,
            transactionId: row.provider_transaction_id,
            amount: row.amount,
            referenceCode: row.reference_code,
            note,
          },
          previous_status: row.status,
          new_status: resolution,
          source: operatorSource(actor),
        },
      ]);
    }
    const change = {
      transactionId: row.id,
      orderId: row.order_id,
      previousStatus: row.status,
      status: resolution,
      amount: row.amount,
    };
    return {
      result: {
        transactionId: row.id,
        status: resolution,
        orderId: row.order_id,
        orderPaid: false,
        paid: null,
        total: null,
      },
      changes: [change],
      applied: null,
    };
  });
  await publishPaymentChanges(deps, done.changes);
  deps.logger.info({ ...done.result, actorId: actor.id }, `payment marked ${resolution} by an operator`);
  return done.result;
}
