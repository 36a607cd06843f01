import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { type ArchivedOrderEvents, type Db, readArchivePage, recordedArchiveFiles } from '@paidflow/db';
import { fileTimestamp, fsyncPath } from '@paidflow/db/backup';
import { IdRuns } from './audit-archive-ids.ts';

/** Final archive files: `audit-<UTC timestamp>-<first id>-<last id>.ndjson.gz`. */
const ARCHIVE_FILE = /^audit-\d{8}T\d{9}Z-\d+-\d+\.ndjson\.gz$/;
/** Files being written: never recorded, always safe to delete when no run holds the lease. */
const PARTIAL_FILE = /^\.audit-\d{8}T\d{9}Z(-[0-9a-f]+)?\.partial$/;

export interface WrittenArchive {
  file: string;
  firstAuditId: number;
  lastAuditId: number;
  rowCount: number;
  bytes: number;
  orders: ArchivedOrderEvents[];
  /** The ids written: the only rows deleted with this archive. */
  ids: IdRuns;
}

export interface WriteArchiveOptions {
  dir: string;
  cutoff: Date;
  /** Rows per read. */
  pageRows: number;
  /** Rows in this file at most. */
  fileRows: number;
  /** The file starts after this id (the last one already archived). */
  afterId?: number;
  /** Called before each page (renews the lease): false stops the write, and no file is left. */
  keepGoing?: () => Promise<boolean> | boolean;
  now?: Date;
}

function countOrderEvent(orders: Map<number, ArchivedOrderEvents>, orderId: number, at: Date): void {
  const order = orders.get(orderId);
  if (!order) {
    orders.set(orderId, { orderId, events: 1, oldestAt: at, newestAt: at });
    return;
  }
  order.events += 1;
  if (at < order.oldestAt) order.oldestAt = at;
  if (at > order.newestAt) order.newestAt = at;
}

/** Renames without ever replacing a file (another writer's, of the same name), then syncs the dir. */
async function commitNew(temp: string, final: string): Promise<void> {
  await fsyncPath(temp);
  await link(temp, final);
  await rm(temp, { force: true });
  await fsyncPath(path.dirname(final));
}

/**
 * Writes the oldest audit rows after `afterId` older than the cutoff (a prefix of the log by id)
 * to one gzip NDJSON file, one row per line, streamed page by page; fsyncs it and gives it its
 * final name. Returns null when no row is old enough, 'stopped' when keepGoing said so (no file
 * is left behind in either case). A write error (disk full, no permission) rejects, after the
 * partial file is removed: the stream is one pipeline, so an error anywhere ends all of it.
 */
export async function writeArchiveFile(
  db: Db,
  options: WriteArchiveOptions,
): Promise<WrittenArchive | 'stopped' | null> {
  const stamp = fileTimestamp(options.now ?? new Date());
  const temp = path.join(options.dir, `.audit-${stamp}-${randomBytes(4).toString('hex')}.partial`);
  const orders = new Map<number, ArchivedOrderEvents>();
  const ids = new IdRuns();
  let last = options.afterId ?? 0;
  let stopped = false;
  async function* lines(): AsyncGenerator<string> {
    for (;;) {
      const limit = Math.min(options.pageRows, options.fileRows - ids.count);
      if (limit <= 0) return;
      if (options.keepGoing && !(await options.keepGoing())) {
        stopped = true;
        return;
      }
      const page = await readArchivePage(db, { afterId: last, cutoff: options.cutoff, limit });
      let text = '';
      for (const row of page.rows) {
        text += `${JSON.stringify(row)}\n`;
        countOrderEvent(orders, row.order_id, row.created_at);
        ids.add(row.id);
        last = row.id;
      }
      if (text) yield text;
      if (page.reachedNewer || page.rows.length < limit) return;
    }
  }
  try {
    await pipeline(
      Readable.from(lines()),
      createGzip({ level: 6 }),
      createWriteStream(temp, { mode: 0o640 }),
    );
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  const first = ids.runs[0]?.[0];
  if (stopped || first === undefined) {
    await rm(temp, { force: true });
    return stopped ? 'stopped' : null;
  }
  const file = path.join(options.dir, `audit-${stamp}-${first}-${last}.ndjson.gz`);
  try {
    await commitNew(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
  const { size } = await stat(file);
  return {
    file,
    firstAuditId: first,
    lastAuditId: last,
    rowCount: ids.count,
    bytes: size,
    orders: [...orders.values()],
    ids,
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
