import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { type OutboxRow, outbox } from '../schema.ts';
import { DOWNLOAD_TOPIC } from './tasks.ts';

/** Outbox rows announcing a customer notification or an admin alert, delivered by the notifier. */
export const NOTIFICATION_TOPIC = 'notification';

/**
 * Writes outbox rows. Call it inside the transaction whose state change the rows announce, so
 * that they exist if and only if the change committed.
 */
export async function insertOutboxRows(
  tx: DbOrTx,
  rows: Array<{ topic: string; payload: Record<string, unknown> }>,
): Promise<void> {
  if (rows.length === 0) return;
  await tx.insert(outbox).values(rows);
}

/**
 * Claims up to `limit` undispatched rows, oldest first, locking them for the caller's transaction.
 * SKIP LOCKED lets several drainers (servers) run at once: each takes rows the others do not hold.
 */
export async function claimOutboxBatch(tx: DbOrTx, limit: number): Promise<OutboxRow[]> {
  return tx
    .select()
    .from(outbox)
    .where(isNull(outbox.dispatched_at))
    .orderBy(asc(outbox.id))
    .limit(limit)
    .for('update', { skipLocked: true });
}

/** Marks rows as delivered (or, with a note, as given up on: they are not tried again). */
export async function markOutboxDispatched(tx: DbOrTx, ids: number[], note?: string): Promise<void> {
  if (ids.length === 0) return;
  await tx
    .update(outbox)
    .set({ dispatched_at: new Date(), ...(note ? { last_error: note.slice(0, 1000) } : {}) })
    .where(inArray(outbox.id, ids));
}

/** Counts a failed delivery attempt and keeps its error; the row stays pending. */
export async function markOutboxFailed(tx: DbOrTx, ids: number[], error: string): Promise<void> {
  if (ids.length === 0) return;
  await tx
    .update(outbox)
    .set({ attempts: sql`\`attempts\` + 1`, last_error: error.slice(0, 1000) })
    .where(inArray(outbox.id, ids));
}

/** Undispatched rows, optionally of one topic. */
export async function pendingOutboxRows(db: DbOrTx, topic?: string): Promise<OutboxRow[]> {
  return db
    .select()
    .from(outbox)
    .where(topic ? and(isNull(outbox.dispatched_at), eq(outbox.topic, topic)) : isNull(outbox.dispatched_at))
    .orderBy(asc(outbox.id));
}

/** The task ids that have a download row waiting in the outbox (not yet on the queue). */
export async function pendingDownloadTaskIds(db: DbOrTx): Promise<Set<number>> {
  const rows = await db
    .select({ taskId: sql<number>`CAST(JSON_EXTRACT(${outbox.payload}, '$.taskId') AS UNSIGNED)` })
    .from(outbox)
    .where(and(isNull(outbox.dispatched_at), eq(outbox.topic, DOWNLOAD_TOPIC)));
  return new Set(rows.map((row) => Number(row.taskId)));
}
