import { and, asc, desc, eq, gt, gte, inArray, lt, lte, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../client.ts';
import {
  type AuditArchiveRow,
  type AuditLogRow,
  auditArchiveOrders,
  auditArchives,
  orderAuditLogs,
} from '../schema.ts';

// Audit retention (decision 055). An archive is a prefix of the log by id: every row in
// [first_audit_id, last_audit_id] older than its cutoff_at is in its file, and is deleted after
// the file and this record are durable. The delete is keyed by the recorded range and cutoff, so
// a run that stopped half-way resumes it without archiving any row twice.

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

/** Records a written, fsynced archive file and its orders, in one transaction. Returns its id. */
export async function recordAuditArchive(db: Db, archive: NewAuditArchive): Promise<number> {
  return db.transaction(async (tx) => {
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
 * Archives whose range may still have rows in the live table (a run stopped between recording
 * and deleting): those whose last id is at or past the oldest audit row.
 */
export async function archivesToFinish(db: DbOrTx): Promise<AuditArchiveRow[]> {
  const [oldest] = await db.select({ id: sql<number>`MIN(${orderAuditLogs.id})` }).from(orderAuditLogs);
  if (oldest?.id === null || oldest?.id === undefined) return [];
  return db
    .select()
    .from(auditArchives)
    .where(gte(auditArchives.last_audit_id, Number(oldest.id)))
    .orderBy(asc(auditArchives.id));
}

/**
 * Deletes one batch of an archive's rows: the next `batch` ids after `afterId`, up to the
 * archive's last id, that are older than its cutoff. One short autocommit statement over a
 * primary key range. Returns the rows deleted and the id to continue after (null when done).
 */
export async function deleteArchivedBatch(
  db: Db,
  archive: Pick<AuditArchiveRow, 'first_audit_id' | 'last_audit_id' | 'cutoff_at'>,
  options: { afterId: number; batch: number },
): Promise<{ deleted: number; nextAfterId: number | null }> {
  const from = Math.max(options.afterId, archive.first_audit_id - 1);
  const ids = await db
    .select({ id: orderAuditLogs.id })
    .from(orderAuditLogs)
    .where(and(gt(orderAuditLogs.id, from), lte(orderAuditLogs.id, archive.last_audit_id)))
    .orderBy(asc(orderAuditLogs.id))
    .limit(options.batch);
  const last = ids.at(-1)?.id;
  if (last === undefined) return { deleted: 0, nextAfterId: null };
  const [result] = await db
    .delete(orderAuditLogs)
    .where(
      and(
        gt(orderAuditLogs.id, from),
        lte(orderAuditLogs.id, last),
        lt(orderAuditLogs.created_at, archive.cutoff_at),
      ),
    );
  return {
    deleted: result.affectedRows,
    nextAfterId: ids.length < options.batch || last >= archive.last_audit_id ? null : last,
  };
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
