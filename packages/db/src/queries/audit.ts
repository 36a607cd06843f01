import { categoryOf, NewAuditEvent } from '@paidflow/contracts';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { orderAuditLogs } from '../schema.ts';

/**
 * Writes audit events. Events with a dedupe_key already written are skipped, so a report that is
 * retried lands once. Returns how many rows were new.
 */
export async function appendAuditEvents(db: DbOrTx, events: NewAuditEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const rows = events.map((event) => {
    const parsed = NewAuditEvent.parse(event);
    return { ...parsed, event_category: parsed.event_category ?? categoryOf(parsed.event_type) };
  });
  const [result] = await db
    .insert(orderAuditLogs)
    .values(rows)
    .onDuplicateKeyUpdate({ set: { id: sql`\`id\`` } });
  // With ON DUPLICATE KEY UPDATE id=id, MySQL counts 1 per inserted row and 0 per duplicate.
  return result.affectedRows;
}
