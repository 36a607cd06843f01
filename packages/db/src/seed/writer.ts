import { categoryOf } from '@paidflow/contracts';
import type { PoolConnection } from 'mysql2/promise';
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
  'id, order_id, title, course_url, status, progress, current_file, error_log, drive_link, attempts, ' +
  'queue_generation, created_at, updated_at, started_at, completed_at';
const EVENT_COLUMNS =
  'id, order_id, task_id, event_type, event_category, severity, message, details, previous_status, ' +
  'new_status, source, error_type, created_at';

export interface WriteBatchOptions {
  /** The first free audit id; events get consecutive ids in story order. */
  firstEventId: number;
}

/**
 * Writes a batch of orders, their tasks and events in one transaction with multi-row INSERTs
 * and explicit ids. Returns how many events were written.
 */
export async function writeBatch(
  connection: PoolConnection,
  batch: SeedOrder[],
  options: WriteBatchOptions,
): Promise<number> {
  const orderRows: unknown[][] = [];
  const taskRows: unknown[][] = [];
  const eventRows: unknown[][] = [];
  let eventId = options.firstEventId;
  for (const { order, tasks, events } of batch) {
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
      taskRows.push([
        task.id,
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
    for (const event of events) {
      eventRows.push([
        eventId++,
        event.order_id,
        event.task_id,
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
      ]);
    }
  }
  await connection.beginTransaction();
  try {
    await connection.query(`INSERT INTO orders (${ORDER_COLUMNS}) VALUES ?`, [orderRows]);
    if (taskRows.length > 0)
      await connection.query(`INSERT INTO download_tasks (${TASK_COLUMNS}) VALUES ?`, [taskRows]);
    for (let start = 0; start < eventRows.length; start += EVENT_CHUNK) {
      const chunk = eventRows.slice(start, start + EVENT_CHUNK);
      await connection.query(`INSERT INTO order_audit_logs (${EVENT_COLUMNS}) VALUES ?`, [chunk]);
    }
    await connection.commit();
  } catch (error) {
    await connection.rollback().catch(() => {});
    throw error;
  }
  return eventRows.length;
}
