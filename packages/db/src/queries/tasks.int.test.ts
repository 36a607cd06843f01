import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { downloadTasks, orders, outbox } from '../schema.ts';
import { createTestDatabase, insertTestOrder, type TestDatabase } from '../testing.ts';
import { enqueueDownloads, insertTasks, queuePendingTasks, transitionTask } from './tasks.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase('tasks');
});
afterAll(async () => {
  await tdb?.[Symbol.asyncDispose]();
});

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
  const orderId = await insertTestOrder(tdb.db, { order_code: 'DH100001', total_amount: 100000 });
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
  const orderId = await insertTestOrder(tdb.db, { order_code: 'DH100002', total_amount: 100000 });
  const [taskId] = await insertTasks(tdb.db, orderId, [
    { title: 'A', course_url: 'http://x/a', status: 'completed' },
  ]);
  const result = await transitionTask(tdb.db, { taskId: taskId!, to: 'downloading', from: ['queued'] });
  expect(result).toMatchObject({ changed: false, reason: 'status_mismatch' });
  expect(await counters(orderId)).toMatchObject({ completed: 1, active: 0 });
});

test('concurrent transitions of many tasks keep the counters exact', async () => {
  const orderId = await insertTestOrder(tdb.db, { order_code: 'DH100003', total_amount: 100000 });
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
  const orderId = await insertTestOrder(tdb.db, { order_code: 'DH100004', total_amount: 100000 });
  const [taskId] = await insertTasks(tdb.db, orderId, [{ title: 'A', course_url: 'http://x/a' }]);
  const first = await enqueueDownloads(tdb.db, [{ taskId: taskId!, orderId }], 'payment');
  const second = await enqueueDownloads(tdb.db, [{ taskId: taskId!, orderId }], 'retry');
  expect(first).toEqual([`task-${taskId}-1`]);
  expect(second).toEqual([`task-${taskId}-2`]);
});

test("queuing an order's pending tasks at once keeps counters, generations and the outbox exact", async () => {
  const orderId = await insertTestOrder(tdb.db, {
    order_code: 'DH100005',
    total_amount: 100000,
    payment_status: 'pending',
  });
  const [a, b, done] = await insertTasks(tdb.db, orderId, [
    { title: 'A', course_url: 'http://x/a' },
    { title: 'B', course_url: 'http://x/b' },
    { title: 'C', course_url: 'http://x/c', status: 'completed' },
  ]);
  // A re-enqueued task gets the next generation, not generation 1.
  await enqueueDownloads(tdb.db, [{ taskId: b!, orderId }], 'payment');
  const paidAt = new Date();
  const queued = await tdb.db.transaction(async (tx) => {
    const [order] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
    return queuePendingTasks(tx, {
      order: order!,
      reason: 'payment',
      orderPatch: { payment_status: 'paid', order_status: 'processing', paid_at: paidAt },
    });
  });
  expect(queued.tasks).toEqual([
    { taskId: a, orderId, jobId: `task-${a}-1` },
    { taskId: b, orderId, jobId: `task-${b}-2` },
  ]);
  expect(await counters(orderId)).toEqual({ total: 3, active: 2, completed: 1, failed: 0, cancelled: 0 });
  const [stored] = await tdb.db.select().from(orders).where(eq(orders.id, orderId));
  expect(stored).toMatchObject({ payment_status: 'paid', order_status: 'processing' });
  expect(queued.order).toMatchObject({ payment_status: 'paid', order_status: 'processing', active_tasks: 2 });
  const tasks = await tdb.db
    .select({ id: downloadTasks.id, status: downloadTasks.status })
    .from(downloadTasks)
    .where(inArray(downloadTasks.id, [a!, b!, done!]));
  expect(tasks).toEqual([
    { id: a, status: 'queued' },
    { id: b, status: 'queued' },
    { id: done, status: 'completed' },
  ]);
  const rows = await tdb.db.select().from(outbox);
  const payloads = rows.map((row) => row.payload).filter((payload) => payload.orderId === orderId);
  expect(payloads).toEqual([
    { taskId: b, orderId, reason: 'payment', jobId: `task-${b}-1` },
    { taskId: a, orderId, reason: 'payment', jobId: `task-${a}-1` },
    { taskId: b, orderId, reason: 'payment', jobId: `task-${b}-2` },
  ]);
  // Nothing is pending any more: a second call queues nothing and leaves the counters alone.
  const again = await tdb.db.transaction(async (tx) => {
    const [order] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
    return queuePendingTasks(tx, { order: order!, reason: 'payment' });
  });
  expect(again.tasks).toEqual([]);
  expect(await counters(orderId)).toEqual({ total: 3, active: 2, completed: 1, failed: 0, cancelled: 0 });
});

test('queuing an order takes no gap lock: tasks can be added to a newer order meanwhile', async () => {
  const orderId = await insertTestOrder(tdb.db, {
    order_code: 'DH100090',
    total_amount: 1,
    payment_status: 'pending',
  });
  await insertTasks(tdb.db, orderId, [{ title: 'A', course_url: 'http://x/a' }]);
  const newer = await insertTestOrder(tdb.db, { order_code: 'DH100091', total_amount: 1 });
  const other = await tdb.pool.getConnection();
  try {
    await other.query('SET SESSION innodb_lock_wait_timeout = 2');
    await tdb.db.transaction(async (tx) => {
      const [order] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
      await queuePendingTasks(tx, { order: order!, reason: 'payment' });
      // With the paying transaction still open: the order index's gap after its tasks is free.
      await other.query('INSERT INTO download_tasks (order_id, title, course_url) VALUES (?, ?, ?)', [
        newer,
        'B',
        'http://x/b',
      ]);
    });
  } finally {
    other.release();
  }
  const rows = await tdb.db.select().from(downloadTasks).where(eq(downloadTasks.order_id, newer));
  expect(rows).toHaveLength(1);
});
