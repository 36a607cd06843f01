import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AuditArchiveRow,
  archivesToFinish,
  type Db,
  deleteArchivedBatch,
  recordAuditArchive,
} from '@paidflow/db';
import type { Logger } from '@paidflow/runtime';
import { removeLeftovers, writeArchiveFile } from './audit-archive-file.ts';

export interface ArchivePassOptions {
  dir: string;
  /** Rows older than this are archived. */
  cutoff: Date;
  /** Rows per read and per DELETE. */
  batch: number;
  /** Pause between two deletes. */
  pauseMs: number;
  fileRows: number;
  /** Called between steps: false stops the pass (the lease was lost, or the server stops). */
  keepGoing?: () => Promise<boolean> | boolean;
}

export interface ArchivePassResult {
  files: Array<{ file: string; rows: number; bytes: number }>;
  /** Rows deleted from order_audit_logs, resumed ranges included. */
  deleted: number;
  /** Archives of an earlier, stopped run whose delete this pass finished. */
  resumed: number;
  /** Leftover files of a stopped run, removed. */
  removed: string[];
  /** The pass was stopped by keepGoing before it was done. */
  stopped: boolean;
}

type Deps = { db: Db; logger: Logger };

/** Deletes an archive's rows batch by batch, pausing between batches, until done or stopped. */
async function deleteArchive(
  deps: Deps,
  archive: Pick<AuditArchiveRow, 'first_audit_id' | 'last_audit_id' | 'cutoff_at'>,
  options: ArchivePassOptions,
): Promise<{ deleted: number; done: boolean }> {
  let deleted = 0;
  let afterId = archive.first_audit_id - 1;
  for (;;) {
    const batch = await deleteArchivedBatch(deps.db, archive, { afterId, batch: options.batch });
    deleted += batch.deleted;
    if (batch.nextAfterId === null) return { deleted, done: true };
    afterId = batch.nextAfterId;
    if (options.pauseMs > 0) await sleep(options.pauseMs);
    if (options.keepGoing && !(await options.keepGoing())) return { deleted, done: false };
  }
}

/**
 * One archiving pass (decision 055). First the leftovers of a stopped run: unrecorded files are
 * removed, recorded archives whose rows are still in the table are deleted. Then, file by file:
 * the oldest rows older than the cutoff are written to a gzip NDJSON file, which is fsynced and
 * renamed, then recorded with its orders in audit_archives / audit_archive_orders, and only then
 * deleted, in short batches. A stop at any point leaves either rows not yet archived, or a
 * recorded range to finish deleting: never a row in two files, never a row lost.
 */
export async function archiveAuditOnce(deps: Deps, options: ArchivePassOptions): Promise<ArchivePassResult> {
  const result: ArchivePassResult = { files: [], deleted: 0, resumed: 0, removed: [], stopped: false };
  const keepGoing = async () => {
    if (!options.keepGoing || (await options.keepGoing())) return true;
    result.stopped = true;
    return false;
  };
  await mkdir(options.dir, { recursive: true });
  result.removed = await removeLeftovers(deps.db, options.dir);
  if (result.removed.length > 0) {
    deps.logger.warn(
      { files: result.removed },
      'audit retention: removed files a stopped run left unrecorded',
    );
  }
  for (const archive of await archivesToFinish(deps.db)) {
    const { deleted, done } = await deleteArchive(deps, archive, { ...options, keepGoing });
    result.deleted += deleted;
    if (deleted > 0) result.resumed += 1;
    if (!done) return result;
  }
  for (;;) {
    if (!(await keepGoing())) return result;
    const written = await writeArchiveFile(deps.db, {
      dir: options.dir,
      cutoff: options.cutoff,
      pageRows: options.batch,
      fileRows: options.fileRows,
    });
    if (!written) return result;
    await recordAuditArchive(deps.db, { ...written, cutoffAt: options.cutoff });
    result.files.push({ file: written.file, rows: written.rowCount, bytes: written.bytes });
    const { deleted, done } = await deleteArchive(
      deps,
      { first_audit_id: written.firstAuditId, last_audit_id: written.lastAuditId, cutoff_at: options.cutoff },
      { ...options, keepGoing },
    );
    result.deleted += deleted;
    if (!done) return result;
    if (written.rowCount < options.fileRows) return result;
  }
}
