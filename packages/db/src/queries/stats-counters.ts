import { ORDER_STATUSES, type OrderStatus, PAYMENT_STATUSES, type PaymentStatus } from '@paidflow/contracts';
import { asc, eq, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../client.ts';
import { orders } from '../schema.ts';
import { orderStatusCounts } from '../schema-ops.ts';

// The order counts behind the dashboard (decision 060): order_status_counts holds, for each
// (payment status, order status, slot), how many orders stand there; an order counts in slot
// id % ORDER_COUNT_SLOTS. The triggers of migration 0005 keep it exact in the transaction of every
// write of orders; this module reads it, checks it against the orders, and rebuilds it.

/** How many rows each (payment status, order status) is spread over; the triggers use the same. */
export const ORDER_COUNT_SLOTS = 32;

/** The session variable that makes the triggers leave the counts to a bulk writer (the seed). */
export const DEFER_ORDER_COUNTS_VARIABLE = '@paidflow_defer_order_counts';

export interface OrderCount {
  payment_status: PaymentStatus;
  order_status: OrderStatus;
  slot: number;
  n: number;
}

/** One row's difference between the counters and the orders. */
export interface OrderCountDrift extends OrderCount {
  /** What the counters said (null: the row was missing). */
  counted: number | null;
}

function key(row: { payment_status: string; order_status: string; slot: number }): string {
  return `${row.payment_status}/${row.order_status}/${row.slot}`;
}

/** Every (payment status, order status, slot), in primary key order (the enums' index order). */
export function orderCountGrid(): Array<Omit<OrderCount, 'n'>> {
  return PAYMENT_STATUSES.flatMap((payment_status) =>
    ORDER_STATUSES.flatMap((order_status) =>
      Array.from({ length: ORDER_COUNT_SLOTS }, (_, slot) => ({ payment_status, order_status, slot })),
    ),
  );
}

/** The orders per (payment status, order status): the slots summed. A few hundred rows by primary key. */
export async function orderCountsBy(
  db: DbOrTx,
  paymentStatus: PaymentStatus,
): Promise<Map<OrderStatus, number>> {
  const rows = await db
    .select({ status: orderStatusCounts.order_status, n: sql<string>`SUM(${orderStatusCounts.n})` })
    .from(orderStatusCounts)
    .where(eq(orderStatusCounts.payment_status, paymentStatus))
    .groupBy(orderStatusCounts.order_status);
  return new Map(rows.map((row) => [row.status, Number(row.n)]));
}

/** The truth the counters stand for: a full pass over orders, grouped like the counters. */
async function countOrders(db: DbOrTx): Promise<Map<string, number>> {
  const slot = sql<number>`${orders.id} % ${sql.raw(String(ORDER_COUNT_SLOTS))}`;
  const rows = await db
    .select({
      payment_status: orders.payment_status,
      order_status: orders.order_status,
      slot,
      n: sql<string>`COUNT(*)`,
    })
    .from(orders)
    .groupBy(orders.payment_status, orders.order_status, slot);
  return new Map(rows.map((row) => [key({ ...row, slot: Number(row.slot) }), Number(row.n)]));
}

async function readCounters(db: DbOrTx, lock: boolean): Promise<Map<string, number>> {
  const query = db
    .select()
    .from(orderStatusCounts)
    .orderBy(
      asc(orderStatusCounts.payment_status),
      asc(orderStatusCounts.order_status),
      asc(orderStatusCounts.slot),
    );
  const rows = lock ? await query.for('update') : await query;
  return new Map(rows.map((row) => [key(row), Number(row.n)]));
}

function drift(counters: Map<string, number>, truth: Map<string, number>): OrderCountDrift[] {
  const found: OrderCountDrift[] = [];
  for (const cell of orderCountGrid()) {
    const counted = counters.get(key(cell));
    const n = truth.get(key(cell)) ?? 0;
    if (counted !== n) found.push({ ...cell, n, counted: counted ?? null });
  }
  return found;
}

/**
 * The rows where the counters disagree with a count of the orders (empty when they are exact),
 * both read in one REPEATABLE READ snapshot. A full pass over orders: for checks, not for pages.
 */
export async function orderCountDrift(db: Db): Promise<OrderCountDrift[]> {
  return db.transaction(
    async (tx) => {
      const counters = await readCounters(tx, false);
      return drift(counters, await countOrders(tx));
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/**
 * Rebuilds the counters from the orders and returns what was wrong (empty when nothing was).
 * Exact while the pipeline runs: it first locks every counter row, so each writer has either
 * committed (and is in the count) or waits at its trigger (and adds its change to the rebuilt
 * figure); the count is a READ COMMITTED read taken after the locks. Writers of order statuses
 * wait for the length of one pass over orders (~0.2 s at a million).
 */
export async function recountOrderStatusCounts(db: Db): Promise<OrderCountDrift[]> {
  return db.transaction(
    async (tx) => {
      const counters = await readCounters(tx, true);
      const wrong = drift(counters, await countOrders(tx));
      if (wrong.length > 0) {
        await tx
          .insert(orderStatusCounts)
          .values(wrong.map(({ counted: _, ...row }) => row))
          .onDuplicateKeyUpdate({ set: { n: sql`VALUES(${sql.raw('`n`')})` } });
      }
      return wrong;
    },
    { isolationLevel: 'read committed' },
  );
}
