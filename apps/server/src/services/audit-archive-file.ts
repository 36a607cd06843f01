import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { type ArchivedOrderEvents, type Db, readArchivePage, recordedArchiveFiles } from '@paidflow/db';
import { commitFile, fileTimestamp } from '@paidflow/db/backup';

/** Final archive files: `audit-<UTC timestamp>-<first id>-<last id>.ndjson.gz`. */
const ARCHIVE_FILE = /^audit-\d{8}T\d{9}Z-\d+-\d+\.ndjson\.gz$/;
/** Files being written: never recorded, always safe to delete when no run holds the lease. */
const PARTIAL_FILE = /^\.audit-\d{8}T\d{9}Z\.partial$/;

export interface WrittenArchive {
  file: string;
  firstAuditId: number;
  lastAuditId: number;
  rowCount: number;
  bytes: number;
  orders: ArchivedOrderEvents[];
}

export interface WriteArchiveOptions {
  dir: string;
  cutoff: Date;
  /** Rows per read. */
  pageRows: number;
  /** Rows in this file at most. */
  fileRows: number;
  now?: Date;
}

/**
 * Writes the oldest audit rows older than the cutoff (a prefix of the log by id) to one gzip
 * NDJSON file, one row per line, streamed page by page; fsyncs it and gives it its final name.
 * Returns null when no row is old enough (no file is left behind).
 */
export async function writeArchiveFile(db: Db, options: WriteArchiveOptions): Promise<WrittenArchive | null> {
  const stamp = fileTimestamp(options.now ?? new Date());
  const temp = path.join(options.dir, `.audit-${stamp}.partial`);
  const gzip = createGzip({ level: 6 });
  const written = pipeline(gzip, createWriteStream(temp, { mode: 0o640 }));
  const orders = new Map<number, ArchivedOrderEvents>();
  let first = 0;
  let last = 0;
  let count = 0;
  try {
    for (;;) {
      const limit = Math.min(options.pageRows, options.fileRows - count);
      if (limit <= 0) break;
      const page = await readArchivePage(db, { afterId: last, cutoff: options.cutoff, limit });
      for (const row of page.rows) {
        if (!gzip.write(`${JSON.stringify(row)}\n`)) await once(gzip, 'drain');
        const order = orders.get(row.order_id);
        if (order) {
          order.events += 1;
          if (row.created_at < order.oldestAt) order.oldestAt = row.created_at;
          if (row.created_at > order.newestAt) order.newestAt = row.created_at;
        } else {
          orders.set(row.order_id, {
            orderId: row.order_id,
            events: 1,
            oldestAt: row.created_at,
            newestAt: row.created_at,
          });
        }
        if (count === 0) first = row.id;
        last = row.id;
        count += 1;
      }
      if (page.reachedNewer || page.rows.length < limit) break;
    }
    gzip.end();
    await written;
  } catch (error) {
    gzip.destroy();
    await written.catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
  if (count === 0) {
    await rm(temp, { force: true });
    return null;
  }
  const file = path.join(options.dir, `audit-${stamp}-${first}-${last}.ndjson.gz`);
  await commitFile(temp, file);
  const { size } = await stat(file);
  return {
    file,
    firstAuditId: first,
    lastAuditId: last,
    rowCount: count,
    bytes: size,
    orders: [...orders.values()],
  };
}

/**
 * Deletes what a stopped run left in the archive directory: files being written, and finished
 * files that were never recorded (their rows are still in the table and will be archived again).
 * Only the holder of the retention lease calls it. Returns the deleted paths.
 */
export async function removeLeftovers(db: Db, dir: string): Promise<string[]> {
  const names = await readdir(dir);
  const partial = names.filter((name) => PARTIAL_FILE.test(name)).map((name) => path.join(dir, name));
  const finished = names.filter((name) => ARCHIVE_FILE.test(name)).map((name) => path.join(dir, name));
  const recorded = await recordedArchiveFiles(db, finished);
  const doomed = [...partial, ...finished.filter((file) => !recorded.has(file))];
  for (const file of doomed) await rm(file, { force: true });
  return doomed;
}
