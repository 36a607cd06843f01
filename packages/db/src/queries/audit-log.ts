import { AuditDetails, type AuditLogPage, ListAuditLogInput } from '@paidflow/contracts';
import { and, desc, eq, inArray, lt, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { downloadTasks, orderAuditLogs } from '../schema.ts';
import { decodeIdCursor, encodeIdCursor } from './cursor.ts';
import { readJson } from './orders.ts';

/**
 * One order's audit events, newest first (id order is write order), filtered by severities,
 * categories and task, one keyset page at a time, each with its task's title.
 * The (order_id, ...) indexes bound the read to the order. Throws InvalidCursorError for a
 * malformed cursor.
 */
export async function listAuditLog(db: DbOrTx, rawInput: ListAuditLogInput): Promise<AuditLogPage> {
  const input = ListAuditLogInput.parse(rawInput);
  const where: SQL[] = [eq(orderAuditLogs.order_id, input.orderId)];
  if (input.severity && input.severity.length > 0)
    where.push(inArray(orderAuditLogs.severity, input.severity));
  if (input.category && input.category.length > 0)
    where.push(inArray(orderAuditLogs.event_category, input.category));
  if (input.taskId !== undefined) where.push(eq(orderAuditLogs.task_id, input.taskId));
  if (input.cursor) where.push(lt(orderAuditLogs.id, decodeIdCursor(input.cursor)));
  const rows = await db
    .select({
      id: orderAuditLogs.id,
      order_id: orderAuditLogs.order_id,
      task_id: orderAuditLogs.task_id,
      event_type: orderAuditLogs.event_type,
      event_category: orderAuditLogs.event_category,
      severity: orderAuditLogs.severity,
      message: orderAuditLogs.message,
      details: orderAuditLogs.details,
      previous_status: orderAuditLogs.previous_status,
      new_status: orderAuditLogs.new_status,
      source: orderAuditLogs.source,
      error_type: orderAuditLogs.error_type,
      created_at: orderAuditLogs.created_at,
      task_title: downloadTasks.title,
    })
    .from(orderAuditLogs)
    .leftJoin(downloadTasks, eq(downloadTasks.id, orderAuditLogs.task_id))
    .where(and(...where))
    .orderBy(desc(orderAuditLogs.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((row) => {
      const details = AuditDetails.safeParse(readJson(row.details));
      return { ...row, details: details.success ? details.data : null };
    }),
    nextCursor: rows.length > input.limit && last ? encodeIdCursor(last.id) : null,
  };
}
