import type { ErrorType, NewAuditEvent } from '@paidflow/contracts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestDatabase, insertTestOrder, type TestDatabase } from '../testing.ts';
import { appendAuditEvents } from './audit.ts';
import { errorSummary } from './error-summary.ts';
import { insertTasks } from './tasks.ts';

let tdb: TestDatabase;
let paidOrder: number;
let pendingOrder: number;
let taskId: number;
const NOW = new Date('2026-06-01T12:00:00.000Z');
const hoursAgo = (hours: number) => new Date(NOW.getTime() - hours * 3_600_000);

async function write(events: Array<NewAuditEvent & { created_at: Date }>) {
  for (const { created_at, ...event } of events) {
    await appendAuditEvents(tdb.db, [event]);
    await tdb.pool.query('UPDATE order_audit_logs SET created_at = ? WHERE id = LAST_INSERT_ID()', [
      created_at,
    ]);
  }
}

beforeAll(async () => {
  tdb = await createTestDatabase('error_summary');
  paidOrder = await insertTestOrder(tdb.db, { order_code: 'DH500001' });
  pendingOrder = await insertTestOrder(tdb.db, { order_code: 'DH500002', payment_status: 'pending' });
  [taskId] = (await insertTasks(tdb.db, paidOrder, [
    { title: 'Course', course_url: 'http://127.0.0.1:4100/courses/c/manifest.json' },
  ])) as [number];
  const failure = (severity: 'error' | 'critical', type: ErrorType, at: Date, order = paidOrder) => ({
    order_id: order,
    task_id: order === paidOrder ? taskId : null,
    event_type: 'download_failed' as const,
    severity,
    error_type: type,
    message: `${type} at ${at.toISOString()}`,
    source: 'worker',
    details: { error_type: type },
    created_at: at,
  });
  await write([
    failure('error', 'NETWORK', hoursAgo(48)),
    failure('critical', 'DISK_SPACE', hoursAgo(10)),
    failure('error', 'NETWORK', hoursAgo(5)),
    failure('error', 'NETWORK', hoursAgo(4), pendingOrder),
    {
      order_id: paidOrder,
      event_type: 'order_failed',
      severity: 'error',
      message: 'order failed',
      source: 'server',
      created_at: hoursAgo(3),
    },
    {
      order_id: paidOrder,
      event_type: 'download_started',
      severity: 'info',
      message: 'fine',
      source: 'worker',
      created_at: hoursAgo(2),
    },
    failure('critical', 'DISK_SPACE', hoursAgo(1)),
    { ...failure('error', 'NETWORK', hoursAgo(1)), severity: 'warning' as const },
    // Written last but older: the summary orders by time, not by write order.
    failure('error', 'TIMEOUT', hoursAgo(30)),
  ]);
});
afterAll(async () => {
  await tdb?.[Symbol.asyncDispose]();
});

test('recent errors and criticals of paid orders come newest first with code and course', async () => {
  const summary = await errorSummary(tdb.db, { limit: 50 }, NOW);
  expect(summary.recent.map((item) => item.message)).toEqual([
    `DISK_SPACE at ${hoursAgo(1).toISOString()}`,
    'order failed',
    `NETWORK at ${hoursAgo(5).toISOString()}`,
    `DISK_SPACE at ${hoursAgo(10).toISOString()}`,
    `TIMEOUT at ${hoursAgo(30).toISOString()}`,
    `NETWORK at ${hoursAgo(48).toISOString()}`,
  ]);
  expect(summary.recent[0]).toMatchObject({
    order_id: paidOrder,
    order_code: 'DH500001',
    task_id: taskId,
    course_url: 'http://127.0.0.1:4100/courses/c/manifest.json',
    severity: 'critical',
    error_type: 'DISK_SPACE',
    created_at: hoursAgo(1),
  });
  expect(summary.recent[1]).toMatchObject({ task_id: null, course_url: null, error_type: null });
});

test('the limit keeps the newest across both severities', async () => {
  const summary = await errorSummary(tdb.db, { limit: 2 }, NOW);
  expect(summary.recent.map((item) => item.severity)).toEqual(['critical', 'error']);
});

test('byType counts typed errors of paid orders within the window', async () => {
  expect((await errorSummary(tdb.db, { windowHours: 24 }, NOW)).byType).toEqual([
    { error_type: 'DISK_SPACE', count: 2, last_at: hoursAgo(1) },
    { error_type: 'NETWORK', count: 1, last_at: hoursAgo(5) },
  ]);
  expect((await errorSummary(tdb.db, { windowHours: 72 }, NOW)).byType).toEqual([
    { error_type: 'DISK_SPACE', count: 2, last_at: hoursAgo(1) },
    { error_type: 'NETWORK', count: 2, last_at: hoursAgo(5) },
    { error_type: 'TIMEOUT', count: 1, last_at: hoursAgo(30) },
  ]);
  expect((await errorSummary(tdb.db, { windowHours: 1 }, hoursAgo(20))).byType).toEqual([]);
});
