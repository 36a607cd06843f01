import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { orders } from '../schema.ts';
import { createTestDatabase, type TestDatabase } from '../testing.ts';
import { enqueueDownloads, insertTasks, transitionTask } from './tasks.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase('tasks');
});
afterAll(async () => {
  await tdb?.[Symbol.asyncDispose]();
});

async function newOrder(code: string) {
  const [result] = await tdb.db
    .insert(orders)
    .values({ order_code: code, user_email: 'a@example.com', total_amount: 100000, payment_status: 'paid' });
  return result.insertId;
}

async function counters(orderId: number) {
  const [row] = await tdb.db.select().from(orders).where(eq(orders.id, orderId));
  return {
    total: row!.total_tasks,
    active: row!.active_tasks,
    completed: row!.completed_tasks,
    failed: row!.failed_tasks,
    cancelled: row!.cancelled_tasks,
  };
}

test('order counters follow every task status change exactly', async () => {
  const orderId = await newOrder('DH100001');
  const [a, b, c] = await insertTasks(tdb.db, orderId, [
    { title: 'A', course_url: 'http://x/a' },
    { title: 'B', course_url: 'http://x/b' },
    { title: 'C', course_url: 'http://x/c', status: 'queued' },
  ]);
  expect(await counters(orderId)).toEqual({ total: 3, active: 1, completed: 0, failed: 0, cancelled: 0 });
  await transitionTask(tdb.db, { taskId: a!, to: 'queued' });
  await transitionTask(tdb.db, { taskId: a!, to: 'downloading' });
  await transitionTask(tdb.db, { taskId: a!, to: 'completed', patch: { progress: 100 } });
  await transitionTask(tdb.db, { taskId: b!, to: 'failed' });
  await transitionTask(tdb.db, { taskId: c!, to: 'cancelled' });
  expect(await counters(orderId)).toEqual({ total: 3, active: 0, completed: 1, failed: 1, cancelled: 1 });
});

test('a transition from an unexpected status changes nothing', async () => {
  const orderId = await newOrder('DH100002');
  const [taskId] = await insertTasks(tdb.db, orderId, [
    { title: 'A', course_url: 'http://x/a', status: 'completed' },
  ]);
  const result = await transitionTask(tdb.db, { taskId: taskId!, to: 'downloading', from: ['queued'] });
  expect(result).toMatchObject({ changed: false, reason: 'status_mismatch' });
  expect(await counters(orderId)).toMatchObject({ completed: 1, active: 0 });
});

test('concurrent transitions of many tasks keep the counters exact', async () => {
  const orderId = await newOrder('DH100003');
  const ids = await insertTasks(
    tdb.db,
    orderId,
    Array.from({ length: 10 }, (_, i) => ({
      title: `T${i}`,
      course_url: 'http://x',
      status: 'queued' as const,
    })),
  );
  await Promise.all(
    ids.map((taskId, i) => transitionTask(tdb.db, { taskId, to: i % 2 ? 'completed' : 'failed' })),
  );
  expect(await counters(orderId)).toEqual({ total: 10, active: 0, completed: 5, failed: 5, cancelled: 0 });
});

test('each enqueue gives the task a new job id', async () => {
  const orderId = await newOrder('DH100004');
  const [taskId] = await insertTasks(tdb.db, orderId, [{ title: 'A', course_url: 'http://x/a' }]);
  const first = await enqueueDownloads(tdb.db, [{ taskId: taskId!, orderId }], 'payment');
  const second = await enqueueDownloads(tdb.db, [{ taskId: taskId!, orderId }], 'retry');
  expect(first).toEqual([`task-${taskId}-1`]);
  expect(second).toEqual([`task-${taskId}-2`]);
});
