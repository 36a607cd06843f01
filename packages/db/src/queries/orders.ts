import {
  DeliveredFile,
  type DownloadTask,
  ListPaidOrdersInput,
  type OrderDetail,
  type OrderSummary,
  orderStats,
  type PaidOrdersPage,
  TaskErrorLog,
} from '@paidflow/contracts';
import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../client.ts';
import { preparedPerPool } from '../prepared.ts';
import { type DownloadTaskRow, downloadTasks, type OrderRow, orders } from '../schema.ts';
import { afterTimeId, timeIdPage } from './keyset.ts';
import { planOrderSearch } from './order-search.ts';

const SUMMARY_COLUMNS = {
  id: orders.id,
  order_code: orders.order_code,
  user_email: orders.user_email,
  payment_status: orders.payment_status,
  order_status: orders.order_status,
  total_amount: orders.total_amount,
  currency: orders.currency,
  priority: orders.priority,
  created_at: orders.created_at,
  paid_at: orders.paid_at,
  completed_at: orders.completed_at,
  total_tasks: orders.total_tasks,
  completed_tasks: orders.completed_tasks,
  failed_tasks: orders.failed_tasks,
  cancelled_tasks: orders.cancelled_tasks,
  active_tasks: orders.active_tasks,
};
type SummaryRow = Pick<OrderRow, keyof typeof SUMMARY_COLUMNS>;

/** The list's row: the order and its stats, read from the counters kept on the order. */
export function toOrderSummary(row: SummaryRow): OrderSummary {
  return {
    id: row.id,
    order_code: row.order_code,
    user_email: row.user_email,
    payment_status: row.payment_status,
    order_status: row.order_status,
    total_amount: row.total_amount,
    currency: row.currency,
    priority: row.priority,
    created_at: row.created_at,
    paid_at: row.paid_at,
    completed_at: row.completed_at,
    stats: orderStats(row),
  };
}

/**
 * Paid orders, newest first (created_at DESC, id DESC), one keyset page at a time, optionally
 * filtered by order status and searched by order code or customer email (prefixes). Every plan
 * walks an index and stops after the page: no OFFSET, no aggregate over download_tasks.
 * Throws InvalidCursorError for a malformed cursor.
 */
export async function listPaidOrders(db: DbOrTx, rawInput: ListPaidOrdersInput): Promise<PaidOrdersPage> {
  const input = ListPaidOrdersInput.parse(rawInput);
  const where: SQL[] = [eq(orders.payment_status, 'paid')];
  if (input.status) where.push(eq(orders.order_status, input.status));
  // VIP orders are few: the filter rides on the list's index (no index of its own).
  if (input.priority) where.push(eq(orders.priority, input.priority));
  if (input.cursor) where.push(afterTimeId(orders.created_at, orders.id, input.cursor));
  // The newest-first list index serves the order without a sort.
  const index = input.status ? 'idx_orders_payment_status_created' : 'idx_orders_payment_created';
  if (!input.search) {
    const rows = await db
      .select(SUMMARY_COLUMNS)
      .from(orders, { forceIndex: index })
      .where(and(...where))
      .orderBy(desc(orders.created_at), desc(orders.id))
      .limit(input.limit + 1);
    const { page, nextCursor } = timeIdPage(rows, input.limit, (row) => row.created_at);
    return { items: page.map(toOrderSummary), nextCursor };
  }
  // A search picks the page's ids first, then reads those rows (a deferred join): without
  // the status or priority filter, both of its indexes hold every column the pick needs, so
  // it reads index entries only, not one row per entry it walks or sorts (decision 063).
  const plan = await planOrderSearch(db, input.search);
  where.push(plan.condition);
  const picked = db
    .select({ id: orders.id })
    .from(orders, { forceIndex: plan.narrow ? plan.index : index })
    .where(and(...where))
    .orderBy(desc(orders.created_at), desc(orders.id))
    .limit(input.limit + 1)
    .as('picked');
  const rows = await db
    .select(SUMMARY_COLUMNS)
    .from(picked)
    .innerJoin(orders, eq(orders.id, picked.id))
    .orderBy(desc(orders.created_at), desc(orders.id));
  const { page, nextCursor } = timeIdPage(rows, input.limit, (row) => row.created_at);
  return { items: page.map(toOrderSummary), nextCursor };
}

/** Reads a JSON column: MariaDB returns JSON as text, MySQL as a parsed value. */
export function readJson(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value);
  } catch {
    return null;
  }
}

export function toDownloadTask(row: DownloadTaskRow): DownloadTask {
  const errorLog = TaskErrorLog.safeParse(readJson(row.error_log));
  const delivered = z.array(DeliveredFile).safeParse(readJson(row.delivered_files));
  return {
    id: row.id,
    order_id: row.order_id,
    title: row.title,
    course_url: row.course_url,
    status: row.status,
    progress: row.progress,
    current_file: row.current_file,
    // A log that is missing or not in the contract's shape reads as none rather than failing the page.
    error_log: errorLog.success ? errorLog.data : null,
    drive_link: row.drive_link,
    delivered_files: delivered.success ? delivered.data : null,
    attempts: row.attempts,
    created_at: row.created_at,
    updated_at: row.updated_at,
    started_at: row.started_at,
    completed_at: row.completed_at,
  };
}

// The order and its tasks in one statement: one round trip, and one consistent view of both
// (two reads could see a task change between them). Each task's row repeats the order's
// summary columns: a few rows for a typical order, 500 for the browser bench's largest.
// No ORDER BY: MariaDB sorts a join by the joined table's column through a temporary table;
// the few rows are put in id order here instead.
const orderWithTasks = preparedPerPool((db) =>
  db
    .select({ order: SUMMARY_COLUMNS, task: downloadTasks })
    .from(orders)
    .leftJoin(downloadTasks, eq(downloadTasks.order_id, orders.id))
    .where(eq(orders.id, sql.placeholder('orderId')))
    .prepare(),
);

/**
 * One order (paid or not) with its stats and its tasks in id order; null when there is none.
 * Prepared: every live order subscription's snapshot reads it.
 */
export async function getOrderDetail(db: DbOrTx, orderId: number): Promise<OrderDetail | null> {
  const rows = await orderWithTasks(db).execute({ orderId });
  const first = rows[0];
  if (!first) return null;
  const tasks: DownloadTask[] = [];
  for (const row of rows) if (row.task) tasks.push(toDownloadTask(row.task));
  tasks.sort((a, b) => a.id - b.id);
  return { ...toOrderSummary(first.order), tasks };
}

/** The order with this code (codes are unique, compared case-insensitively), or null. */
export async function findOrderByCode(db: DbOrTx, code: string): Promise<OrderRow | null> {
  const [order] = await db.select().from(orders).where(eq(orders.order_code, code.trim())).limit(1);
  return order ?? null;
}
