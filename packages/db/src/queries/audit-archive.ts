import { and, asc, desc, eq, gt, gte, inArray, lt, lte, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../client.ts';
import { type AuditLogRow, orderAuditLogs } from '../schema.ts';
import { type AuditArchiveRow, auditArchiveOrders, auditArchives } from '../schema-ops.ts';

// Audit retention (decision 055). An archive is a prefix of the log by id: recorded ranges never
// overlap (recordAuditArchive refuses one that would), each new file starts after the last
// recorded id, and a row is deleted only by its id as written in its file, after the file and
// this record are durable. A row that committed late inside a range being read is not in the file
// and so is never deleted with it.

/** One page of the oldest audit rows, by id, that are older than `cutoff`. */
export interface ArchivePage {
  rows: AuditLogRow[];
  /** A row at or after the cutoff ended the page: the archivable prefix ends here for now. */
  reachedNewer: boolean;
}

/**
 * Reads up to `limit` rows with id > `afterId` in id order and keeps the prefix older than
 * `cutoff`. A consistent (non-locking) read of a primary key range: writers are not blocked.
 */
export async function readArchivePage(
  db: DbOrTx,
  options: { afterId: number; cutoff: Date; limit: number },
): Promise<ArchivePage> {
  const rows = await db
    .select()
    .from(orderAuditLogs)
    .where(gt(orderAuditLogs.id, options.afterId))
    .orderBy(asc(orderAuditLogs.id))
    .limit(options.limit);
  const newer = rows.findIndex((row) => row.created_at >= options.cutoff);
  if (newer === -1) return { rows, reachedNewer: false };
  return { rows: rows.slice(0, newer), reachedNewer: true };
}

/** What one archive file holds for one order. */
export interface ArchivedOrderEvents {
  orderId: number;
  events: number;
  oldestAt: Date;
  newestAt: Date;
}

export interface NewAuditArchive {
  file: string;
  cutoffAt: Date;
  firstAuditId: number;
  lastAuditId: number;
  rowCount: number;
  bytes: number;
  orders: ArchivedOrderEvents[];
}

/** The last audit id already archived (0 when none): a new archive starts after it. */
export async function archivedUpTo(db: DbOrTx): Promise<number> {
  const [row] = await db
    .select({ id: sql<number | null>`MAX(${auditArchives.last_audit_id})` })
    .from(auditArchives);
  return Number(row?.id ?? 0);
}

/**
 * Records a written, fsynced archive file and its orders, in one transaction. Returns its id, or
 * null when its range starts at or before the last recorded id (another writer archived those
 * rows first): the caller then removes its file. The MAX is read FOR UPDATE, so two writers
 * recording at once are serialised (or one fails on a deadlock, which records nothing either).
 */
export async function recordAuditArchive(db: Db, archive: NewAuditArchive): Promise<number | null> {
  return db.transaction(async (tx) => {
    const [latest] = await tx
      .select({ id: sql<number | null>`MAX(${auditArchives.last_audit_id})` })
      .from(auditArchives)
      .for('update');
    if (Number(latest?.id ?? 0) >= archive.firstAuditId) return null;
    const [result] = await tx.insert(auditArchives).values({
      file: archive.file,
      cutoff_at: archive.cutoffAt,
      first_audit_id: archive.firstAuditId,
      last_audit_id: archive.lastAuditId,
      row_count: archive.rowCount,
      bytes: archive.bytes,
    });
    const archiveId = result.insertId;
    for (let i = 0; i < archive.orders.length; i += 1000) {
      await tx.insert(auditArchiveOrders).values(
        archive.orders.slice(i, i + 1000).map((order) => ({
          archive_id: archiveId,
          order_id: order.orderId,
          events: order.events,
          oldest_at: order.oldestAt,
          newest_at: order.newestAt,
        })),
      );
    }
    return archiveId;
  });
}

/**
 * The archive whose delete a stopped run may have left unfinished: a pass finishes one archive's
 * delete before it writes the next file, and ranges never overlap, so only the latest recorded
 * archive can still have rows in the table. Null when there is none or its range is empty.
 */
export async function archiveToFinish(db: DbOrTx): Promise<AuditArchiveRow | null> {
  const [latest] = await db.select().from(auditArchives).orderBy(desc(auditArchives.last_audit_id)).limit(1);
  if (!latest) return null;
  const [left] = await db
    .select({ id: orderAuditLogs.id })
    .from(orderAuditLogs)
    .where(
      and(
        gte(orderAuditLogs.id, latest.first_audit_id),
        lte(orderAuditLogs.id, latest.last_audit_id),
        lt(orderAuditLogs.created_at, latest.cutoff_at),
      ),
    )
    .limit(1);
  return left ? latest : null;
}

/**
 * Deletes archived rows by their ids (those written to the archive's file; at most a batch, one
 * short autocommit statement on the primary key), and only if still older than the cutoff.
 */
export async function deleteArchivedRows(db: Db, ids: number[], cutoff: Date): Promise<number> {
  if (ids.length === 0) return 0;
  const [result] = await db
    .delete(orderAuditLogs)
    .where(and(inArray(orderAuditLogs.id, ids), lt(orderAuditLogs.created_at, cutoff)));
  return result.affectedRows;
}

/** Which of these archive files are recorded (the rest are leftovers of a stopped run). */
export async function recordedArchiveFiles(db: DbOrTx, files: string[]): Promise<Set<string>> {
  if (files.length === 0) return new Set();
  const rows = await db
    .select({ file: auditArchives.file })
    .from(auditArchives)
    .where(inArray(auditArchives.file, files));
  return new Set(rows.map((row) => row.file));
}

/** An order's archived audit events: how many, from when to when, and in which files. */
export interface OrderAuditArchives {
  events: number;
  oldestAt: Date | null;
  newestAt: Date | null;
  files: Array<{ file: string; events: number; oldestAt: Date; newestAt: Date; archivedAt: Date }>;
}

/** What the order's page says of its archived events (nothing archived: events 0, no files). */
export async function orderAuditArchives(db: DbOrTx, orderId: number): Promise<OrderAuditArchives> {
  const rows = await db
    .select({
      file: auditArchives.file,
      events: auditArchiveOrders.events,
      oldestAt: auditArchiveOrders.oldest_at,
      newestAt: auditArchiveOrders.newest_at,
      archivedAt: auditArchives.created_at,
    })
    .from(auditArchiveOrders)
    .innerJoin(auditArchives, eq(auditArchives.id, auditArchiveOrders.archive_id))
    .where(eq(auditArchiveOrders.order_id, orderId))
    .orderBy(desc(auditArchiveOrders.archive_id))
    .limit(100);
  const events = rows.reduce((sum, row) => sum + row.events, 0);
  const times = (pick: (row: (typeof rows)[number]) => Date) => rows.map((row) => pick(row).getTime());
  return {
    events,
    oldestAt: rows.length ? new Date(Math.min(...times((row) => row.oldestAt))) : null,
    newestAt: rows.length ? new Date(Math.max(...times((row) => row.newestAt))) : null,
    files: rows,
  };
}
