import { PAYMENT_ATTENTION_STATUSES } from '@paidflow/contracts';
import { asc, count, eq, inArray, isNull, min } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { downloadTasks, outbox, paymentTransactions } from '../schema.ts';

/** A backlog at a glance: how many rows wait, and since when the oldest has (null: none). */
export interface Backlog {
  count: number;
  oldestAt: Date | null;
}

/**
 * The undispatched outbox rows: a count over the pending index range and the oldest row by id
 * (the first entry of idx_outbox_pending), so neither reads the table past what is pending.
 */
export async function outboxBacklog(db: DbOrTx): Promise<Backlog> {
  const [counted, [oldest]] = await Promise.all([
    db.select({ n: count() }).from(outbox).where(isNull(outbox.dispatched_at)),
    db
      .select({ at: outbox.created_at })
      .from(outbox)
      .where(isNull(outbox.dispatched_at))
      .orderBy(asc(outbox.id))
      .limit(1),
  ]);
  return { count: Number(counted[0]?.n ?? 0), oldestAt: oldest?.at ?? null };
}

/**
 * The tasks waiting for a worker (status `queued`), and the oldest one's last change: both from
 * the idx_tasks_status_updated range of `queued` alone.
 */
export async function queuedTaskBacklog(db: DbOrTx): Promise<Backlog> {
  const [row] = await db
    .select({ n: count(), oldest: min(downloadTasks.updated_at) })
    .from(downloadTasks)
    .where(eq(downloadTasks.status, 'queued'));
  return { count: Number(row?.n ?? 0), oldestAt: row?.oldest ? new Date(row.oldest) : null };
}

/**
 * The transfers waiting for an operator in the payments inbox, by status (unmatched, underpaid),
 * each with its oldest: from the idx_payment_status_received ranges alone.
 */
export async function paymentsAwaitingBacklog(
  db: DbOrTx,
): Promise<Record<(typeof PAYMENT_ATTENTION_STATUSES)[number], Backlog>> {
  const rows = await db
    .select({
      status: paymentTransactions.status,
      n: count(),
      oldest: min(paymentTransactions.received_at),
    })
    .from(paymentTransactions)
    .where(inArray(paymentTransactions.status, PAYMENT_ATTENTION_STATUSES))
    .groupBy(paymentTransactions.status);
  const of = (status: (typeof PAYMENT_ATTENTION_STATUSES)[number]): Backlog => {
    const row = rows.find((r) => r.status === status);
    return { count: Number(row?.n ?? 0), oldestAt: row?.oldest ? new Date(row.oldest) : null };
  };
  return { unmatched: of('unmatched'), underpaid: of('underpaid') };
}
