import type { NewAuditEvent } from '@paidflow/contracts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestDatabase, insertTestOrder, type TestDatabase } from '../testing.ts';
import { appendAuditEvents } from './audit.ts';
import { listAuditLog } from './audit-log.ts';
import { InvalidCursorError } from './cursor.ts';
import { insertTasks } from './tasks.ts';

let tdb: TestDatabase;
let orderId: number;
let otherOrderId: number;
let taskA: number;
let taskB: number;
let allIds: number[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase('audit_log');
  orderId = await insertTestOrder(tdb.db, { order_code: 'DH300001' });
  otherOrderId = await insertTestOrder(tdb.db, { order_code: 'DH300002' });
  [taskA, taskB] = (await insertTasks(tdb.db, orderId, [
    { title: 'Course A', course_url: 'http://x/a' },
    { title: 'Course B', course_url: 'http://x/b' },
  ])) as [number, number];
  const events: NewAuditEvent[] = [
    { order_id: orderId, event_type: 'order_created', message: 'created', source: 'checkout' },
    { order_id: orderId, event_type: 'payment_received', message: 'paid', source: 'webhook:sepay' },
  ];
  for (let round = 0; round < 6; round++) {
    for (const taskId of [taskA, taskB]) {
      events.push(
        {
          order_id: orderId,
          task_id: taskId,
          event_type: 'download_started',
          message: `start ${round}`,
          source: 'worker',
        },
        {
          order_id: orderId,
          task_id: taskId,
          event_type: 'download_failed',
          severity: round % 2 ? 'critical' : 'error',
          message: `fail ${round}`,
          source: 'worker',
          error_type: 'NETWORK',
          details: { error_type: 'NETWORK', attempt: round + 1, step: 'download' },
        },
        {
          order_id: orderId,
          task_id: taskId,
          event_type: 'enrollment_success',
          severity: 'warning',
          message: `enrolled ${round}`,
          source: 'worker',
        },
      );
    }
  }
  events.push({ order_id: otherOrderId, event_type: 'order_created', message: 'other', source: 'checkout' });
  await appendAuditEvents(tdb.db, events);
  const [rows] = await tdb.pool.query('SELECT id FROM order_audit_logs WHERE order_id = ? ORDER BY id DESC', [
    orderId,
  ]);
  allIds = (rows as Array<{ id: number }>).map((row) => row.id);
});
afterAll(async () => {
  await tdb?.[Symbol.asyncDispose]();
});

async function walk(input: Omit<Parameters<typeof listAuditLog>[1], 'cursor'>) {
  const items: Awaited<ReturnType<typeof listAuditLog>>['items'] = [];
  let cursor: string | undefined;
  do {
    const page = await listAuditLog(tdb.db, { ...input, cursor });
    expect(page.items.length).toBeLessThanOrEqual(input.limit ?? 50);
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

test("an order's log pages newest first through every event once, and only that order's", async () => {
  const items = await walk({ orderId, limit: 5 });
  expect(items.map((item) => item.id)).toEqual(allIds);
  expect(items.every((item) => item.order_id === orderId)).toBe(true);
  expect(items.at(-1)!.event_type).toBe('order_created');
});

test('events carry the task title, null for order-level events, and parsed details', async () => {
  const items = await walk({ orderId, limit: 50 });
  const failed = items.find((item) => item.event_type === 'download_failed' && item.task_id === taskB)!;
  expect(failed).toMatchObject({ task_title: 'Course B', error_type: 'NETWORK', event_category: 'download' });
  expect(failed.details).toMatchObject({ error_type: 'NETWORK', step: 'download' });
  expect(items.find((item) => item.event_type === 'payment_received')).toMatchObject({
    task_id: null,
    task_title: null,
    event_category: 'payment',
  });
});

test('severity, category and task filters combine', async () => {
  const severe = await walk({ orderId, severity: ['error', 'critical'], limit: 4 });
  expect(severe).toHaveLength(12);
  expect(severe.every((item) => item.severity === 'error' || item.severity === 'critical')).toBe(true);
  expect(severe.map((item) => item.id)).toEqual([...severe.map((item) => item.id)].sort((a, b) => b - a));

  const critical = await walk({ orderId, severity: ['critical'], taskId: taskA, limit: 2 });
  expect(critical).toHaveLength(3);
  expect(critical.every((item) => item.task_id === taskA && item.severity === 'critical')).toBe(true);

  const enrollment = await walk({ orderId, category: ['enrollment'], limit: 50 });
  expect(enrollment).toHaveLength(12);
  const payment = await walk({ orderId, category: ['payment', 'system'], limit: 50 });
  expect(payment.map((item) => item.event_type).sort()).toEqual(['order_created', 'payment_received']);

  const ofTask = await walk({ orderId, taskId: taskB, limit: 7 });
  expect(ofTask).toHaveLength(18);
  expect(await walk({ orderId, severity: ['info'], category: ['enrollment'], limit: 10 })).toEqual([]);
});

test('a malformed cursor is rejected with InvalidCursorError', async () => {
  await expect(listAuditLog(tdb.db, { orderId, cursor: 'garbage!' })).rejects.toBeInstanceOf(
    InvalidCursorError,
  );
  await expect(
    listAuditLog(tdb.db, { orderId, cursor: Buffer.from('i:0').toString('base64url') }),
  ).rejects.toThrow(InvalidCursorError);
});
