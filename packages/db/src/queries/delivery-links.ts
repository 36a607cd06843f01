import { createHash } from 'node:crypto';
import { DeliveredFile } from '@paidflow/contracts';
import { and, asc, desc, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../client.ts';
import {
  type DeliveryLinkRow,
  deliveryDownloads,
  deliveryLinks,
  downloadTasks,
  orderAuditLogs,
} from '../schema.ts';
import { readJson } from './orders.ts';

// The customer's delivery links and the download counts of their files (decision 044). The
// server decides when a link is issued or revoked (with the order locked); these are the writes.

export interface NewDeliveryLink {
  orderId: number;
  nonce: string;
  expiresAt: Date;
  createdBy: string;
}

/** Inserts a link and returns its row. */
export async function insertDeliveryLink(tx: DbOrTx, link: NewDeliveryLink): Promise<DeliveryLinkRow> {
  const [result] = await tx.insert(deliveryLinks).values({
    order_id: link.orderId,
    nonce: link.nonce,
    expires_at: link.expiresAt,
    created_by: link.createdBy.slice(0, 255),
  });
  const [row] = await tx.select().from(deliveryLinks).where(eq(deliveryLinks.id, result.insertId));
  return row!;
}

export async function findDeliveryLink(db: DbOrTx, linkId: number): Promise<DeliveryLinkRow | undefined> {
  const [row] = await db.select().from(deliveryLinks).where(eq(deliveryLinks.id, linkId));
  return row;
}

const activeAt = (now: Date) => and(isNull(deliveryLinks.revoked_at), gt(deliveryLinks.expires_at, now));

/** The order's newest link that is neither revoked nor expired at `now`, if any. */
export async function activeDeliveryLink(
  db: DbOrTx,
  orderId: number,
  now: Date = new Date(),
): Promise<DeliveryLinkRow | undefined> {
  const [row] = await db
    .select()
    .from(deliveryLinks)
    .where(and(eq(deliveryLinks.order_id, orderId), activeAt(now)))
    .orderBy(desc(deliveryLinks.id))
    .limit(1);
  return row;
}

/** Every link of an order, newest first. */
export async function deliveryLinksOf(db: DbOrTx, orderId: number): Promise<DeliveryLinkRow[]> {
  return db
    .select()
    .from(deliveryLinks)
    .where(eq(deliveryLinks.order_id, orderId))
    .orderBy(desc(deliveryLinks.id));
}

/** Revokes one link; false when it was revoked already (or does not exist). */
export async function revokeDeliveryLink(
  tx: DbOrTx,
  linkId: number,
  revokedBy: string,
  at: Date = new Date(),
): Promise<boolean> {
  const [result] = await tx
    .update(deliveryLinks)
    .set({ revoked_at: at, revoked_by: revokedBy.slice(0, 255) })
    .where(and(eq(deliveryLinks.id, linkId), isNull(deliveryLinks.revoked_at)));
  return result.affectedRows > 0;
}

/** Revokes every active link of an order; returns their ids. */
export async function revokeActiveDeliveryLinks(
  tx: DbOrTx,
  orderId: number,
  revokedBy: string,
  at: Date = new Date(),
): Promise<number[]> {
  const rows = await tx
    .select({ id: deliveryLinks.id })
    .from(deliveryLinks)
    .where(and(eq(deliveryLinks.order_id, orderId), activeAt(at)))
    .for('update');
  const ids = rows.map((row) => row.id);
  if (ids.length > 0) {
    await tx
      .update(deliveryLinks)
      .set({ revoked_at: at, revoked_by: revokedBy.slice(0, 255) })
      .where(inArray(deliveryLinks.id, ids));
  }
  return ids;
}

/**
 * Records that a link was opened on `day` (YYYY-MM-DD, UTC). True only for the first open of
 * that day: the row changes once a day however many requests arrive, and the caller audits then.
 */
export async function markDeliveryLinkOpened(db: DbOrTx, linkId: number, day: string): Promise<boolean> {
  const [result] = await db
    .update(deliveryLinks)
    .set({ last_opened_on: day })
    .where(
      and(
        eq(deliveryLinks.id, linkId),
        or(isNull(deliveryLinks.last_opened_on), lt(deliveryLinks.last_opened_on, day)),
      ),
    );
  return result.affectedRows > 0;
}

/** The key of a delivered file's counts: the sha256 of its path (paths are too long for a key). */
export function deliveredFileKey(path: string): string {
  return createHash('sha256').update(path).digest('hex');
}

/**
 * Counts one response of a delivered file. A response that started the file (no Range, or one
 * from byte 0) counts as a download and creates the file's row if needed; a later range only adds
 * its bytes to a row that exists, so resuming never adds rows.
 */
export async function countDeliveryDownload(
  db: DbOrTx,
  input: { taskId: number; path: string; started: boolean; bytes: number; at?: Date },
): Promise<void> {
  const at = input.at ?? new Date();
  const fileKey = deliveredFileKey(input.path);
  if (input.started) {
    await db
      .insert(deliveryDownloads)
      .values({
        task_id: input.taskId,
        file_key: fileKey,
        file_path: input.path.slice(0, 1024),
        downloads: 1,
        bytes_sent: input.bytes,
        last_download_at: at,
      })
      .onDuplicateKeyUpdate({
        set: {
          downloads: sql`${deliveryDownloads.downloads} + 1`,
          bytes_sent: sql`${deliveryDownloads.bytes_sent} + ${input.bytes}`,
          last_download_at: at,
        },
      });
    return;
  }
  if (input.bytes === 0) return;
  await db
    .update(deliveryDownloads)
    .set({ bytes_sent: sql`${deliveryDownloads.bytes_sent} + ${input.bytes}` })
    .where(and(eq(deliveryDownloads.task_id, input.taskId), eq(deliveryDownloads.file_key, fileKey)));
}

export interface DeliveryDownloadRow {
  taskId: number;
  path: string;
  downloads: number;
  bytesSent: number;
  lastDownloadAt: Date | null;
}

/** The download counts of the given tasks' files. */
export async function deliveryDownloadsOf(db: DbOrTx, taskIds: number[]): Promise<DeliveryDownloadRow[]> {
  if (taskIds.length === 0) return [];
  const rows = await db.select().from(deliveryDownloads).where(inArray(deliveryDownloads.task_id, taskIds));
  return rows.map((row) => ({
    taskId: row.task_id,
    path: row.file_path,
    downloads: row.downloads,
    bytesSent: row.bytes_sent,
    lastDownloadAt: row.last_download_at,
  }));
}

export interface DeliveredTask {
  id: number;
  title: string;
  status: (typeof downloadTasks.$inferSelect)['status'];
  driveLink: string | null;
  /** Null when the task was not delivered with a manifest (not completed, or a legacy link). */
  files: DeliveredFile[] | null;
}

const DeliveredFiles = z.array(DeliveredFile);

/** An order's tasks, in id order, with what each delivered. */
export async function deliveredTasksOf(db: DbOrTx, orderId: number): Promise<DeliveredTask[]> {
  const rows = await db
    .select({
      id: downloadTasks.id,
      title: downloadTasks.title,
      status: downloadTasks.status,
      drive_link: downloadTasks.drive_link,
      delivered_files: downloadTasks.delivered_files,
    })
    .from(downloadTasks)
    .where(eq(downloadTasks.order_id, orderId))
    .orderBy(asc(downloadTasks.id));
  return rows.map((row) => {
    // A manifest that is not in the contract's shape serves nothing rather than anything.
    const files = DeliveredFiles.safeParse(readJson(row.delivered_files));
    return {
      id: row.id,
      title: row.title,
      status: row.status,
      driveLink: row.drive_link,
      files: row.status === 'completed' && files.success ? files.data : null,
    };
  });
}

/** Sets a task's public link (the order's page, at the course). */
export async function setTaskDriveLink(tx: DbOrTx, taskId: number, driveLink: string): Promise<void> {
  await tx.update(downloadTasks).set({ drive_link: driveLink }).where(eq(downloadTasks.id, taskId));
}

/**
 * Whether an admin alert was sent about the order (an admin_alert_sent event): the customer's
 * e-mail says that the team was told only then.
 */
export async function adminAlertSentFor(db: DbOrTx, orderId: number): Promise<boolean> {
  const [row] = await db
    .select({ id: orderAuditLogs.id })
    .from(orderAuditLogs)
    .where(and(eq(orderAuditLogs.order_id, orderId), eq(orderAuditLogs.event_type, 'admin_alert_sent')))
    .limit(1);
  return Boolean(row);
}
