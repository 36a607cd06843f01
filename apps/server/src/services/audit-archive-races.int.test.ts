import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { auditArchives, recordAuditArchive } from '@paidflow/db';
import { createLogger } from '@paidflow/runtime';
import { expect, test } from 'vitest';
import { createOrder } from '../testing/pipeline-fixtures.ts';
import { writeArchiveFile } from './audit-archive-file.ts';
import { type ArchivePassOptions, archiveAuditOnce } from './audit-archiver.ts';
import { createAuditRetention } from './audit-retention.ts';
import {
  DAY,
  fixture,
  insertOldRows,
  oldRowsLeft,
  recordedIds,
  retentionDeps,
  useRetentionServer,
} from './audit-retention-fixtures.ts';

// The audit retention's failure paths (decision 055): writers racing after a lease expiry, a lease
// lost before the record, a row committed late inside a range, and a file that cannot be written.
useRetentionServer();

/** A fresh archive directory, one order with `rows` old audit rows, and pass options for them. */
async function oldLog(rows: number) {
  const dir = mkdtempSync(path.join(tmpdir(), 'paidflow-archive-'));
  const { orderId } = await createOrder(fixture.deps.db);
  const ids = await insertOldRows([orderId], rows);
  const options: ArchivePassOptions = {
    dir,
    cutoff: new Date(Date.now() - DAY),
    batch: 50,
    pauseMs: 0,
    fileRows: 1000,
  };
  return { dir, orderId, ids, options };
}

/** True once a finished (named) archive file is in `dir`: the moment just before its record. */
const hasFinishedFile = (dir: string) => readdirSync(dir).some((name) => name.endsWith('.ndjson.gz'));

test('two archivers racing (a lease expired under a stalled holder) never record the same rows twice', async () => {
  const { dir, ids, options } = await oldLog(600);
  // Both believe they hold the lease: only the database can keep them apart.
  const both = { ...options, keepGoing: () => true };
  const runs = await Promise.allSettled([
    archiveAuditOnce(fixture.deps, both),
    archiveAuditOnce(fixture.deps, both),
  ]);
  const done = runs.flatMap((run) => (run.status === 'fulfilled' ? [run.value] : []));
  expect(done.length, 'at least one pass succeeds').toBeGreaterThan(0);
  expect(done.flatMap((run) => run.files)).toHaveLength(1);
  // A clean pass afterwards finishes whatever a loser left, and finds nothing more to archive.
  expect((await archiveAuditOnce(fixture.deps, options)).files).toEqual([]);
  const records = await fixture.deps.db.select().from(auditArchives);
  expect(records).toHaveLength(1);
  expect(await recordedIds()).toEqual(ids);
  expect(await oldRowsLeft(options.cutoff)).toBe(0);
  expect(readdirSync(dir).map((name) => path.join(dir, name))).toEqual([records[0]!.file]);
  // The guard itself: a range that starts at or before the last recorded id is refused.
  const last = records[0]!.last_audit_id;
  const overlapping = {
    file: path.join(dir, 'other.ndjson.gz'),
    cutoffAt: options.cutoff,
    firstAuditId: last,
    lastAuditId: last + 10,
    rowCount: 11,
    bytes: 1,
    orders: [],
  };
  expect(await recordAuditArchive(fixture.deps.db, overlapping)).toBeNull();
  expect(await fixture.deps.db.select().from(auditArchives)).toHaveLength(1);
});

test('a writer that loses the lease before recording removes its file and records nothing', async () => {
  const { dir, ids, options } = await oldLog(120);
  // The lease is gone once the file has its final name: the check before the record sees it.
  const lost = await archiveAuditOnce(fixture.deps, { ...options, keepGoing: () => !hasFinishedFile(dir) });
  expect(lost).toMatchObject({ stopped: true, files: [], deleted: 0 });
  expect(readdirSync(dir)).toEqual([]);
  expect(await fixture.deps.db.select().from(auditArchives)).toEqual([]);
  expect(await oldRowsLeft(options.cutoff)).toBe(120);
  expect((await archiveAuditOnce(fixture.deps, options)).deleted).toBe(120);
  expect(await recordedIds()).toEqual(ids);
});

test('a row committed late inside the range being written is not deleted: only the ids written are', async () => {
  const { dir, orderId, ids, options } = await oldLog(200);
  const pool = fixture.t.tdb.pool;
  // A backdated row the reader did not see: removed before the pass, put back with its id once
  // the file is written, as a transaction committing late would appear.
  const lateId = ids[100]!;
  const [rows] = await pool.query('SELECT created_at FROM order_audit_logs WHERE id = ?', [lateId]);
  const lateAt = (rows as Array<{ created_at: Date }>)[0]!.created_at;
  await pool.query('DELETE FROM order_audit_logs WHERE id = ?', [lateId]);
  let putBack = false;
  const keepGoing = async () => {
    if (!putBack && hasFinishedFile(dir)) {
      putBack = true;
      await pool.query(
        `INSERT INTO order_audit_logs (id, order_id, event_type, event_category, severity, message, details, source, created_at)
         VALUES (?, ?, 'download_started', 'download', 'info', 'late', '{}', 'test', ?)`,
        [lateId, orderId, lateAt],
      );
    }
    return true;
  };
  const result = await archiveAuditOnce(fixture.deps, { ...options, keepGoing });
  expect(putBack).toBe(true);
  expect(result.deleted).toBe(199);
  expect(await recordedIds()).toEqual(ids.filter((id) => id !== lateId));
  const [left] = await pool.query('SELECT id FROM order_audit_logs WHERE created_at < ?', [options.cutoff]);
  expect(left).toEqual([{ id: lateId }]);
  // It stays (never deleted unarchived); later passes neither archive it twice nor stall.
  await insertOldRows([orderId], 30);
  const again = await archiveAuditOnce(fixture.deps, options);
  expect(again.files.map((file) => file.rows)).toEqual([30]);
  expect(await oldRowsLeft(options.cutoff)).toBe(1);
});

test('an archive file that cannot be written fails the pass with a log line; nothing is deleted, stop() is prompt', async () => {
  const { options } = await oldLog(500);
  // The stream itself failing (the directory is gone when the file is opened): the write rejects.
  const gone = path.join(mkdtempSync(path.join(tmpdir(), 'paidflow-archive-')), 'missing');
  const write = writeArchiveFile(fixture.deps.db, {
    dir: gone,
    cutoff: options.cutoff,
    pageRows: 50,
    fileRows: 1000,
  });
  await expect(write).rejects.toMatchObject({ code: 'ENOENT' });
  // ARCHIVE_DIR under a file: the periodic pass logs the error, deletes nothing, and stops promptly.
  const parent = mkdtempSync(path.join(tmpdir(), 'paidflow-archive-'));
  writeFileSync(path.join(parent, 'a-file'), 'not a directory');
  const lines: string[] = [];
  const logger = createLogger('info', 'test', { write: (line: string) => lines.push(line) });
  const retention = createAuditRetention({
    ...retentionDeps(path.join(parent, 'a-file', 'archive'), { AUDIT_ARCHIVE_INTERVAL_MS: 1000 }),
    logger,
  });
  expect(await retention.runOnce()).toBeNull();
  retention.start();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stopping = Date.now();
  await retention.stop();
  expect(Date.now() - stopping).toBeLessThan(2000);
  const failures = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg.includes('pass failed'));
  expect(failures.length).toBeGreaterThan(0);
  expect(failures[0].err.code).toMatch(/ENOTDIR|EEXIST/);
  expect(await oldRowsLeft(options.cutoff)).toBe(500);
  expect(await fixture.deps.db.select().from(auditArchives)).toEqual([]);
});
