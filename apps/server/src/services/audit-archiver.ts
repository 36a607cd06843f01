import { mkdir, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { archivedUpTo, archiveToFinish, type Db, deleteArchivedRows, recordAuditArchive } from '@paidflow/db';
import type { Logger } from '@paidflow/runtime';
import { removeLeftovers, writeArchiveFile } from './audit-archive-file.ts';
import { type IdRuns, readArchiveIds } from './audit-archive-ids.ts';

export interface ArchivePassOptions {
  dir: string;
  /** Rows older than this are archived. */
  cutoff: Date;
  /** Rows per read and per DELETE. */
  batch: number;
  /** Pause between two deletes. */
  pauseMs: number;
  fileRows: number;
  /**
   * Called before each page written, before recording a file and between deletes (it renews the
   * lease): false stops the pass (the lease was lost, or the server stops).
   */
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
  /** Files written but not recorded: another writer recorded those rows first (removed). */
  refused: string[];
}

type Deps = { db: Db; logger: Logger };

/** Deletes an archive's rows, by the ids written to its file, a batch at a time, until done or stopped. */
async function deleteArchive(
  deps: Deps,
  ids: IdRuns,
  cutoff: Date,
  options: ArchivePassOptions,
): Promise<{ deleted: number; done: boolean }> {
  let deleted = 0;
  let first = true;
  for (const batch of ids.batches(options.batch)) {
    if (!first) {
      if (options.pauseMs > 0) await sleep(options.pauseMs);
      if (options.keepGoing && !(await options.keepGoing())) return { deleted, done: false };
    }
    first = false;
    deleted += await deleteArchivedRows(deps.db, batch, cutoff);
  }
  return { deleted, done: true };
}

/**
 * One archiving pass (decision 055). First the leftovers of a stopped run: unrecorded files are
 * removed, and the latest recorded archive whose rows are still in the table has them deleted (by
 * the ids its file holds). Then, file by file: the oldest rows after the last archived id and
 * older than the cutoff are written to a gzip NDJSON file, which is fsynced and renamed, then
 * recorded with its orders in audit_archives / audit_archive_orders (refused if another writer
 * recorded those ids first: the file is removed), and only then its rows deleted by id, in short
 * batches. A stop at any point leaves either rows not yet archived, or a
 * recorded range to finish deleting: never a row in two files, never a row lost.
 */
export async function archiveAuditOnce(deps: Deps, options: ArchivePassOptions): Promise<ArchivePassResult> {
  const result: ArchivePassResult = {
    files: [],
    deleted: 0,
    resumed: 0,
    removed: [],
    stopped: false,
    refused: [],
  };
  const keepGoing = async () => {
    if (!options.keepGoing || (await options.keepGoing())) return true;
    result.stopped = true;
    return false;
  };
  const pass = { ...options, keepGoing };
  await mkdir(options.dir, { recursive: true });
  result.removed = await removeLeftovers(deps.db, options.dir);
  if (result.removed.length > 0) {
    deps.logger.warn(
      { files: result.removed },
      'audit retention: removed files a stopped run left unrecorded',
    );
  }
  const unfinished = await archiveToFinish(deps.db);
  if (unfinished) {
    const ids = await readArchiveIds(unfinished.file);
    const { deleted, done } = await deleteArchive(deps, ids, unfinished.cutoff_at, pass);
    result.deleted += deleted;
    if (deleted > 0) result.resumed += 1;
    if (!done) return result;
  }
  for (;;) {
    const written = await writeArchiveFile(deps.db, {
      dir: options.dir,
      cutoff: options.cutoff,
      pageRows: options.batch,
      fileRows: options.fileRows,
      afterId: await archivedUpTo(deps.db),
      keepGoing,
    });
    if (written === null || written === 'stopped') return result;
    // The lease, checked (and renewed) again just before the record: a writer that lost it
    // records nothing; and the record itself refuses a range another writer recorded first.
    const recorded = (await keepGoing())
      ? await recordAuditArchive(deps.db, { ...written, cutoffAt: options.cutoff })
      : null;
    if (recorded === null) {
      await rm(written.file, { force: true });
      if (!result.stopped) result.refused.push(written.file);
      deps.logger.warn(
        { file: written.file, firstAuditId: written.firstAuditId, lastAuditId: written.lastAuditId },
        result.stopped
          ? 'audit retention: lease lost before recording; archive file removed'
          : 'audit retention: these rows were archived by another server first; archive file removed',
      );
      return result;
    }
    result.files.push({ file: written.file, rows: written.rowCount, bytes: written.bytes });
    const { deleted, done } = await deleteArchive(deps, written.ids, options.cutoff, pass);
    result.deleted += deleted;
    if (!done) return result;
    if (written.rowCount < options.fileRows) return result;
  }
}
