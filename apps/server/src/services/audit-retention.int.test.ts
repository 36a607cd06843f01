import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { appendAuditEvents, auditArchiveOrders, auditArchives } from '@paidflow/db';
import { expect, test } from 'vitest';
import { callerFor, createTestAdmin } from '../testing/live-fixtures.ts';
import { createOrder } from '../testing/pipeline-fixtures.ts';
import { archiveAuditOnce } from './audit-archiver.ts';
import { createAuditRetention } from './audit-retention.ts';
import {
  DAY,
  fixture,
  insertOldRows,
  oldRowsLeft,
  readArchive,
  retentionDeps,
  startAppender,
  useRetentionServer,
} from './audit-retention-fixtures.ts';

useRetentionServer();

test('old audit rows are archived to files exactly once and deleted while the log is written; the order page says so', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'paidflow-archive-'));
  const orders = [
    await createOrder(fixture.deps.db),
    await createOrder(fixture.deps.db),
    await createOrder(fixture.deps.db),
  ];
  const orderIds = orders.map((order) => order.orderId);
  const oldIds = await insertOldRows(orderIds, 334); // 1002 rows: 3 files of at most 400
  for (const orderId of orderIds) {
    await appendAuditEvents(fixture.deps.db, [
      { order_id: orderId, event_type: 'order_created', message: 'new', source: 'test' },
    ]);
  }
  const [newRows] = await fixture.t.tdb.pool.query(
    'SELECT * FROM order_audit_logs WHERE created_at >= NOW() - INTERVAL 1 HOUR ORDER BY id',
  );
  const appender = startAppender(orderIds);
  const result = await createAuditRetention(retentionDeps(dir)).runOnce();
  const appended = await appender.stop();
  expect(appended, 'audit writes while the archive ran').toBeGreaterThan(10);

  expect(result).toMatchObject({ deleted: 1002, resumed: 0, removed: [], stopped: false });
  expect(result!.files.map((file) => file.rows)).toEqual([400, 400, 202]);
  // Every archived row is in the files exactly once, whole.
  const archived = result!.files.flatMap((file) => readArchive(file.file));
  expect(archived.map((row) => row.id)).toEqual(oldIds);
  expect(archived[0]).toMatchObject({
    order_id: orderIds[0],
    message: 'old 0',
    details: { n: 0 },
    source: 'test',
  });
  expect(new Date(archived[0]!.created_at as string).getTime()).toBeLessThan(Date.now() - 2 * DAY);
  // Deleted from the table; the newer rows (and the ones appended meanwhile) untouched.
  expect(await oldRowsLeft(new Date(Date.now() - DAY))).toBe(0);
  const [kept] = await fixture.t.tdb.pool.query(
    'SELECT * FROM order_audit_logs WHERE id IN (?) ORDER BY id',
    [(newRows as Array<{ id: number }>).map((row) => row.id)],
  );
  expect(kept).toEqual(newRows);
  const [live] = await fixture.t.tdb.pool.query(
    "SELECT COUNT(*) AS n FROM order_audit_logs WHERE message LIKE 'live %'",
  );
  expect(Number((live as Array<{ n: number }>)[0]!.n)).toBe(appended);
  // The archive tables: one row per file with its range and size, and per order its events.
  const records = await fixture.deps.db.select().from(auditArchives).orderBy(auditArchives.id);
  expect(records.map((r) => [r.file, r.first_audit_id, r.last_audit_id, r.row_count, r.bytes])).toEqual(
    result!.files.map((file) => {
      const rows = readArchive(file.file);
      return [file.file, rows[0]!.id, rows.at(-1)!.id, rows.length, statSync(file.file).size];
    }),
  );
  const perOrder = await fixture.deps.db.select().from(auditArchiveOrders);
  for (const orderId of orderIds) {
    const mine = archived.filter((row) => row.order_id === orderId);
    const rows = perOrder.filter((row) => row.order_id === orderId);
    expect(rows.reduce((sum, row) => sum + row.events, 0)).toBe(mine.length);
    expect(Math.min(...rows.map((row) => row.oldest_at.getTime()))).toBe(
      new Date(mine[0]!.created_at as string).getTime(),
    );
  }
  // What the order's page shows at the end of its timeline.
  const viewer = await createTestAdmin(fixture.deps, 'viewer');
  const caller = await callerFor(fixture.deps, viewer.principal);
  const note = await caller.audit.archived({ orderId: orderIds[1]! });
  expect(note.events).toBe(334);
  expect(note.files.map((file) => file.file).sort()).toEqual(result!.files.map((file) => file.file).sort());
  expect(await caller.audit.archived({ orderId: (await createOrder(fixture.deps.db)).orderId })).toEqual({
    events: 0,
    oldestAt: null,
    newestAt: null,
    files: [],
  });
  // A second run finds nothing more to archive and writes no file.
  const again = await createAuditRetention(retentionDeps(dir)).runOnce();
  expect(again).toMatchObject({ files: [], deleted: 0 });
  expect(readdirSync(dir)).toHaveLength(3);
});

test('a run stopped after its file is recorded resumes the delete, and a stopped run leaves no duplicate file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'paidflow-archive-'));
  const { orderId } = await createOrder(fixture.deps.db);
  const oldIds = await insertOldRows([orderId], 300);
  const cutoff = new Date(Date.now() - DAY);
  const options = { dir, cutoff, batch: 50, pauseMs: 0, fileRows: 1000 };
  // What a crash before the record leaves: a finished but unrecorded file, and a partial one.
  writeFileSync(path.join(dir, 'audit-20260101T000000000Z-1-5.ndjson.gz'), 'left over');
  writeFileSync(path.join(dir, '.audit-20260101T000000000Z.partial'), 'half');
  // Stops after the first delete batch: the file is recorded, 250 of its rows still in the table.
  const first = await archiveAuditOnce(fixture.deps, {
    ...options,
    keepGoing: async () => (await oldRowsLeft(cutoff)) === 300,
  });
  expect(first.removed.map((file) => path.basename(file)).sort()).toEqual([
    '.audit-20260101T000000000Z.partial',
    'audit-20260101T000000000Z-1-5.ndjson.gz',
  ]);
  expect(first).toMatchObject({ stopped: true, deleted: 50 });
  expect(await oldRowsLeft(cutoff)).toBe(250);

  const second = await archiveAuditOnce(fixture.deps, options);
  expect(second).toMatchObject({ stopped: false, resumed: 1, deleted: 250, files: [] });
  expect(await oldRowsLeft(cutoff)).toBe(0);
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  expect(readArchive(path.join(dir, files[0]!)).map((row) => row.id)).toEqual(oldIds);
});

test('one server archives at a time (Redis lease); without AUDIT_RETENTION_DAYS nothing runs', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'paidflow-archive-'));
  const { orderId } = await createOrder(fixture.deps.db);
  await insertOldRows([orderId], 200);
  const [a, b] = await Promise.all([
    createAuditRetention(retentionDeps(dir)).runOnce(),
    createAuditRetention(retentionDeps(dir)).runOnce(),
  ]);
  expect([a, b].filter((run) => run !== null)).toHaveLength(1);
  expect((a ?? b)!.deleted).toBe(200);
  const off = createAuditRetention(retentionDeps(dir, { AUDIT_RETENTION_DAYS: undefined }));
  await insertOldRows([orderId], 10);
  expect(await off.runOnce()).toBeNull();
  off.start();
  await off.stop();
  expect(await oldRowsLeft(new Date(Date.now() - DAY))).toBe(10);
});
