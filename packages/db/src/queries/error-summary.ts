import {
  type ErrorSummary,
  ErrorSummaryInput,
  type ErrorSummaryItem,
  type ErrorType,
  type Severity,
} from '@paidflow/contracts';
import { and, desc, eq, gte, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { downloadTasks, orderAuditLogs, orders } from '../schema.ts';

const ERROR_SEVERITIES = ['error', 'critical'] as const satisfies Severity[];
/** (severity, created_at): InnoDB appends the id, so it also serves the (created_at, id) order. */
const TIME_INDEX = 'idx_audit_severity_created';

/** The newest events of one severity on paid orders, walking (severity, created_at) backwards. */
function recentOfSeverity(db: DbOrTx, severity: Severity, limit: number) {
  return db
    .select({
      audit_id: orderAuditLogs.id,
      order_id: orderAuditLogs.order_id,
      order_code: orders.order_code,
      order_status: orders.order_status,
      task_id: orderAuditLogs.task_id,
      course_url: downloadTasks.course_url,
      severity: orderAuditLogs.severity,
      message: orderAuditLogs.message,
      error_type: orderAuditLogs.error_type,
      created_at: orderAuditLogs.created_at,
    })
    .from(orderAuditLogs, { forceIndex: TIME_INDEX })
    .innerJoin(orders, eq(orders.id, orderAuditLogs.order_id))
    .leftJoin(downloadTasks, eq(downloadTasks.id, orderAuditLogs.task_id))
    .where(and(eq(orderAuditLogs.severity, severity), eq(orders.payment_status, 'paid')))
    .orderBy(desc(orderAuditLogs.created_at), desc(orderAuditLogs.id))
    .limit(limit);
}

/**
 * The seeds' Error Summary: the latest error and critical events across paid orders, newest
 * first (created_at, then id), with the order code and the task's course URL; plus how many
 * such events each error type had within the `windowHours` before `now`.
 * Each severity is read separately so that both index walks stop after `limit` rows instead of
 * sorting every error ever written; the counts read only the window's range of the index.
 */
export async function errorSummary(
  db: DbOrTx,
  rawInput: ErrorSummaryInput = {},
  now: Date = new Date(),
): Promise<ErrorSummary> {
  const input = ErrorSummaryInput.parse(rawInput);
  const since = new Date(now.getTime() - input.windowHours * 3_600_000);
  const [errors, criticals, byType] = await Promise.all([
    recentOfSeverity(db, 'error', input.limit),
    recentOfSeverity(db, 'critical', input.limit),
    db
      .select({
        error_type: orderAuditLogs.error_type,
        count: sql<number>`COUNT(*)`.mapWith(Number),
        last_at: sql<Date>`MAX(${orderAuditLogs.created_at})`.mapWith(orderAuditLogs.created_at),
      })
      .from(orderAuditLogs, { forceIndex: TIME_INDEX })
      .innerJoin(orders, eq(orders.id, orderAuditLogs.order_id))
      .where(
        and(
          inArray(orderAuditLogs.severity, ERROR_SEVERITIES),
          isNotNull(orderAuditLogs.error_type),
          gte(orderAuditLogs.created_at, since),
          lte(orderAuditLogs.created_at, now),
          eq(orders.payment_status, 'paid'),
        ),
      )
      .groupBy(orderAuditLogs.error_type),
  ]);
  const recent: ErrorSummaryItem[] = [...errors, ...criticals]
    .sort((a, b) => b.created_at.getTime() - a.created_at.getTime() || b.audit_id - a.audit_id)
    .slice(0, input.limit);
  return {
    recent,
    byType: byType
      .filter((row): row is typeof row & { error_type: ErrorType } => row.error_type !== null)
      .map((row) => ({ error_type: row.error_type, count: row.count, last_at: row.last_at }))
      .sort((a, b) => b.count - a.count),
  };
}
