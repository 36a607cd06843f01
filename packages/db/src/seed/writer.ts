import { categoryOf, ORDER_STATUSES, PAYMENT_STATUSES } from '@paidflow/contracts';
import type { PoolConnection } from 'mysql2/promise';
import { DEFER_ORDER_COUNTS_VARIABLE, ORDER_COUNT_SLOTS } from '../queries/stats-counters.ts';
import type { SeedOrder } from './rows.ts';

/** Rows per INSERT of audit events: a statement stays far below max_allowed_packet (16 MB). */
const EVENT_CHUNK = 6000;

/** DATETIME(3) text in UTC, independent of the session's time zone. */
function time(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}

function timeOrNull(ms: number | null): string | null {
  return ms === null ? null : time(ms);
}

const ORDER_COLUMNS =
  'id, order_code, user_email, payment_status, order_status, total_amount, currency, priority, total_tasks, ' +
  'completed_tasks, failed_tasks, cancelled_tasks, active_tasks, created_at, updated_at, paid_at, completed_at';
const TASK_COLUMNS =
  'order_id, title, course_url, status, progress, current_file, error_log, drive_link, attempts, ' +
  'queue_generation, created_at, updated_at, started_at, completed_at';
const EVENT_COLUMNS =
  'order_id, task_id, event_type, event_category, severity, message, details, previous_status, ' +
  'new_status, source, error_type, created_at';

/**
 * Writes a batch of orders, their tasks and events in one transaction with multi-row INSERTs.
 * The orders carry their reserved ids (reserveOrderIds); tasks and events take theirs from
 * MySQL, since live writers take ids from the same tables: each task's is read back by its
 * order and course (distinct within an order) and put on its events. Events go in story order.
 * The orders' triggers stand aside (DEFER_ORDER_COUNTS_VARIABLE) while the batch adds its own
 * totals to order_status_counts in one statement, just before the commit: a live payment waits
 * on a counter row for that statement, not for the whole batch (decision 060).
 * Returns how many events were written.
 */
export async function writeBatch(connection: PoolConnection, batch: SeedOrder[]): Promise<number> {
  const orderRows: unknown[][] = [];
  const taskRows: unknown[][] = [];
  const storyTaskKeys = new Map<number, string>();
  for (const { order, tasks } of batch) {
    orderRows.push([
      order.id,
      order.order_code,
      order.user_email,
      order.payment_status,
      order.order_status,
      order.total_amount,
      order.currency,
      order.priority,
      order.total_tasks,
      order.completed_tasks,
      order.failed_tasks,
      order.cancelled_tasks,
      order.active_tasks,
      time(order.created_at),
      time(order.updated_at),
      timeOrNull(order.paid_at),
      timeOrNull(order.completed_at),
    ]);
    for (const task of tasks) {
      storyTaskKeys.set(task.id, taskKey(task.order_id, task.course_url));
      taskRows.push([
        task.order_id,
        task.title,
        task.course_url,
        task.status,
        task.progress,
        task.current_file,
        task.error_log === null ? null : JSON.stringify(task.error_log),
        task.drive_link,
        task.attempts,
        task.queue_generation,
        time(task.created_at),
        time(task.updated_at),
        timeOrNull(task.started_at),
        timeOrNull(task.completed_at),
      ]);
    }
  }
  const eventRows = (taskIds: Map<string, number>) =>
    batch.flatMap(({ events }) =>
      events.map((event) => [
        event.order_id,
        event.task_id === null ? null : (taskIds.get(storyTaskKeys.get(event.task_id) ?? '') ?? null),
        event.event_type,
        categoryOf(event.event_type),
        event.severity,
        event.message,
        event.details === null ? null : JSON.stringify(event.details),
        event.previous_status,
        event.new_status,
        event.source,
        event.error_type,
        time(event.created_at),
      ]),
    );
  await connection.beginTransaction();
  try {
    await connection.query(`SET ${DEFER_ORDER_COUNTS_VARIABLE} = 1`);
    await connection.query(`INSERT INTO orders (${ORDER_COLUMNS}) VALUES ?`, [orderRows]);
    await connection.query(`SET ${DEFER_ORDER_COUNTS_VARIABLE} = NULL`);
    const taskIds = new Map<string, number>();
    if (taskRows.length > 0) {
      await connection.query(`INSERT INTO download_tasks (${TASK_COLUMNS}) VALUES ?`, [taskRows]);
      const [stored] = await connection.query(
        'SELECT id, order_id, course_url FROM download_tasks WHERE order_id IN (?)',
        [batch.map(({ order }) => order.id)],
      );
      for (const row of stored as Array<{ id: number; order_id: number; course_url: string }>)
        taskIds.set(taskKey(row.order_id, row.course_url), row.id);
    }
    const events = eventRows(taskIds);
    for (let start = 0; start < events.length; start += EVENT_CHUNK) {
      const chunk = events.slice(start, start + EVENT_CHUNK);
      await connection.query(`INSERT INTO order_audit_logs (${EVENT_COLUMNS}) VALUES ?`, [chunk]);
    }
    await connection.query(
      'INSERT INTO order_status_counts (payment_status, order_status, slot, n) VALUES ? ON DUPLICATE KEY UPDATE n = n + VALUES(n)',
      [countRows(batch)],
    );
    await connection.commit();
    return events.length;
  } catch (error) {
    await connection.rollback().catch(() => {});
    throw error;
  } finally {
    await connection.query(`SET ${DEFER_ORDER_COUNTS_VARIABLE} = NULL`).catch(() => {});
  }
}

/** The batch's orders per (payment status, order status, slot), in primary key order (the lock order). */
function countRows(batch: SeedOrder[]): Array<[string, string, number, number]> {
  const counts = new Map<number, number>();
  const cell = (payment: number, status: number, slot: number) =>
    (payment * ORDER_STATUSES.length + status) * ORDER_COUNT_SLOTS + slot;
  for (const { order } of batch) {
    const at = cell(
      PAYMENT_STATUSES.indexOf(order.payment_status),
      ORDER_STATUSES.indexOf(order.order_status),
      order.id % ORDER_COUNT_SLOTS,
    );
    counts.set(at, (counts.get(at) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([at, n]) => {
      const slot = at % ORDER_COUNT_SLOTS;
      const pair = (at - slot) / ORDER_COUNT_SLOTS;
      const status = ORDER_STATUSES[pair % ORDER_STATUSES.length]!;
      const payment = PAYMENT_STATUSES[Math.floor(pair / ORDER_STATUSES.length)]!;
      return [payment, status, slot, n];
    });
}

function taskKey(orderId: number, courseUrl: string): string {
  return `${orderId} ${courseUrl}`;
}
