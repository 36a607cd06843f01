import { categoryOf, NewAuditEvent } from '@paidflow/contracts';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { orderAuditLogs } from '../schema.ts';
import { activeTraceId } from '../trace-context.ts';

/**
 * Writes audit events. Events with a dedupe_key already written are skipped, so a report that is
 * retried lands once. (It does not say which rows were new: mysql2 counts found rows, so a
 * duplicate reads as affected. Callers that need to know check the dedupe key first.)
 */
export async function appendAuditEvents(db: DbOrTx, events: NewAuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  // The trace the events happened in (tracing on): an audit row leads to its payment's trace.
  const traceId = activeTraceId();
  const rows = events.map((event) => {
    const parsed = NewAuditEvent.parse(event);
    const details = traceId ? { ...parsed.details, traceId } : parsed.details;
    return { ...parsed, details, event_category: parsed.event_category ?? categoryOf(parsed.event_type) };
  });
  await db
    .insert(orderAuditLogs)
    .values(rows)
    .onDuplicateKeyUpdate({ set: { id: sql`\`id\`` } });
}
