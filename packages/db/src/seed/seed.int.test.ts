import { ACTIVE_TASK_STATUSES, OrderCode, TaskErrorLog, type TaskStatus } from '@paidflow/contracts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing.ts';
import { placeDemoOrder } from './demo-order.ts';
import { isDatabaseEmpty, seedDatabase } from './seed.ts';

const NOW = new Date('2026-05-01T08:00:00.000Z');
const BASE = 'http://127.0.0.1:4999/courses';
let tdb: TestDatabase;
let wasEmpty: boolean;

type Row = Record<string, unknown>;
async function rows(sql: string, params: unknown[] = [], pool = tdb.pool): Promise<Row[]> {
  const [result] = await pool.query(sql, params);
  return result as Row[];
}

beforeAll(async () => {
  tdb = await createTestDatabase('seed');
  wasEmpty = await isDatabaseEmpty(tdb);
  await seedDatabase(tdb, { orders: 300, seed: 11, now: NOW, courseBase: `${BASE}/`, batchSize: 64 });
});
afterAll(async () => {
  await tdb?.[Symbol.asyncDispose]();
});

async function expectCountersMatchTasks(pool = tdb.pool) {
  const mismatches = await rows(
    `
    SELECT o.id, o.total_tasks, o.completed_tasks, o.failed_tasks, o.cancelled_tasks, o.active_tasks, t.*
    FROM orders o LEFT JOIN (
      SELECT order_id, COUNT(*) AS n, SUM(status = 'completed') AS c, SUM(status = 'failed') AS f,
             SUM(status = 'cancelled') AS x, SUM(status IN (${ACTIVE_TASK_STATUSES.map((s) => `'${s}'`).join(',')})) AS a
      FROM download_tasks GROUP BY order_id) t ON t.order_id = o.id
    WHERE NOT (o.total_tasks <=> COALESCE(t.n, 0) AND o.completed_tasks <=> COALESCE(t.c, 0)
      AND o.failed_tasks <=> COALESCE(t.f, 0) AND o.cancelled_tasks <=> COALESCE(t.x, 0)
      AND o.active_tasks <=> COALESCE(t.a, 0))`,
    [],
    pool,
  );
  expect(mismatches).toEqual([]);
}

test('the seed fills an empty database with about 90% paid orders, 1 to 5 tasks each', async () => {
  expect(wasEmpty).toBe(true);
  expect(await isDatabaseEmpty(tdb)).toBe(false);
  const [summary] = await rows(`SELECT COUNT(*) AS n, SUM(payment_status = 'paid') AS paid,
    MIN(total_tasks) AS min_tasks, MAX(total_tasks) AS max_tasks, COUNT(DISTINCT user_email) AS customers FROM orders`);
  expect(Number(summary!.n)).toBe(300);
  expect(Number(summary!.paid) / 300).toBeGreaterThan(0.82);
  expect(Number(summary!.paid) / 300).toBeLessThan(0.97);
  expect(summary).toMatchObject({ min_tasks: 1, max_tasks: 5 });
  // Several orders per customer.
  expect(Number(summary!.customers)).toBeLessThan(200);
});

test('order counters equal a GROUP BY over download_tasks', async () => {
  await expectCountersMatchTasks();
  const statuses = await rows('SELECT DISTINCT order_status FROM orders ORDER BY 1');
  expect(statuses.map((row) => row.order_status)).toEqual([
    'pending',
    'processing',
    'completed',
    'partially_completed',
    'failed',
    'cancelled',
  ]);
});

test('order codes are unique DH codes; course URLs point at the course source', async () => {
  const orders = await rows('SELECT order_code FROM orders');
  expect(new Set(orders.map((row) => row.order_code)).size).toBe(orders.length);
  for (const row of orders) expect(OrderCode.safeParse(row.order_code).success).toBe(true);
  const tasks = await rows('SELECT course_url FROM download_tasks');
  for (const row of tasks)
    expect(row.course_url).toMatch(/^http:\/\/127\.0\.0\.1:4999\/courses\/[a-z0-9-]+\/manifest\.json$/);
});

test("tasks match their order's status", async () => {
  const tasks =
    await rows(`SELECT t.*, o.order_status, o.payment_status, o.paid_at, o.completed_at AS order_completed_at
    FROM download_tasks t JOIN orders o ON o.id = t.order_id`);
  const byOrder = new Map<unknown, Row[]>();
  for (const task of tasks) byOrder.set(task.order_id, [...(byOrder.get(task.order_id) ?? []), task]);
  for (const list of byOrder.values()) {
    const statuses = list.map((task) => task.status as TaskStatus);
    const order = list[0]!;
    if (order.order_status === 'pending') {
      expect(order.payment_status).toBe('pending');
      expect(order.paid_at).toBeNull();
      expect(statuses.every((s) => s === 'pending')).toBe(true);
    } else {
      expect(order.payment_status).toBe('paid');
      expect(order.paid_at).toBeInstanceOf(Date);
    }
    if (order.order_status === 'completed') {
      expect(order.order_completed_at).toBeInstanceOf(Date);
      for (const task of list)
        expect(task).toMatchObject({ status: 'completed', progress: 100, drive_link: expect.any(String) });
    }
    // Only an order whose every task failed is failed; some of each is partially completed.
    if (order.order_status === 'failed') expect(statuses.every((s) => s === 'failed')).toBe(true);
    if (order.order_status === 'partially_completed') {
      expect(statuses).toContain('failed');
      expect(statuses).toContain('completed');
      expect(statuses.every((s) => ['completed', 'failed'].includes(s))).toBe(true);
    }
    if (order.order_status === 'processing') {
      expect(statuses.some((s) => (ACTIVE_TASK_STATUSES as readonly string[]).includes(s))).toBe(true);
      expect(
        statuses.every((s) => ['queued', 'enrolled', 'downloading', 'uploading', 'completed'].includes(s)),
      ).toBe(true);
    }
    if (order.order_status === 'cancelled') expect(statuses.every((s) => s === 'cancelled')).toBe(true);
    for (const task of list.filter((t) => t.status === 'failed')) {
      const log = TaskErrorLog.safeParse(
        typeof task.error_log === 'string' ? JSON.parse(task.error_log) : task.error_log,
      );
      expect(log.success).toBe(true);
      expect(log.data!.history.at(-1)).toEqual(log.data!.last);
      expect(task.attempts).toBe(log.data!.history.length);
    }
  }
});

test('audit trails tell each story in time order, about ten events per order', async () => {
  const events = await rows('SELECT * FROM order_audit_logs ORDER BY order_id, id');
  const perOrder = new Map<unknown, Row[]>();
  for (const event of events) perOrder.set(event.order_id, [...(perOrder.get(event.order_id) ?? []), event]);
  expect(perOrder.size).toBe(300);
  const mean = events.length / 300;
  expect(mean).toBeGreaterThan(8);
  expect(mean).toBeLessThan(18);
  const orders = new Map(
    (await rows('SELECT id, order_status, payment_status FROM orders')).map((o) => [o.id, o]),
  );
  for (const [orderId, trail] of perOrder) {
    const order = orders.get(orderId)!;
    expect(trail[0]!.event_type).toBe('order_created');
    const times = trail.map((event) => (event.created_at as Date).getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(Math.max(...times)).toBeLessThanOrEqual(NOW.getTime());
    const types = trail.map((event) => event.event_type);
    if (order.payment_status === 'paid') expect(types[1]).toBe('payment_received');
    if (order.order_status === 'completed') expect(types.at(-1)).toBe('order_completed');
    if (order.order_status === 'failed') {
      expect(types.at(-1)).toBe('order_failed');
      const failures = trail.filter((event) => event.severity === 'error' || event.severity === 'critical');
      const typed = failures.filter((event) => event.error_type !== null);
      expect(typed.length).toBeGreaterThan(0);
      for (const event of typed) {
        const details = typeof event.details === 'string' ? JSON.parse(event.details) : event.details;
        expect(details).toMatchObject({
          error_type: event.error_type,
          error_message: expect.any(String),
          attempt: expect.any(Number),
          step: expect.stringMatching(/^(enroll|download|upload)$/),
        });
      }
    }
  }
});

test('seeding again adds after the existing ids and keeps counters exact', async () => {
  const progress = await seedDatabase(tdb.pool, { orders: 40, seed: 12, now: NOW });
  expect(progress).toMatchObject({ orders: 40, total: 40 });
  const [count] = await rows('SELECT COUNT(*) AS n, COUNT(DISTINCT order_code) AS codes FROM orders');
  expect(count).toMatchObject({ n: 340, codes: 340 });
  await expectCountersMatchTasks();
});

test('the same seed and clock give the same data', async () => {
  await using other = await createTestDatabase('seed_again');
  await seedDatabase(other, { orders: 300, seed: 11, now: NOW, courseBase: BASE });
  const dump = async (pool: TestDatabase['pool']) => {
    const [orders] = await pool.query('SELECT * FROM orders WHERE id <= 300 ORDER BY id');
    const [events] = await pool.query('SELECT * FROM order_audit_logs WHERE order_id <= 300 ORDER BY id');
    return { orders, events };
  };
  const ours = await dump(tdb.pool);
  const theirs = await dump(other.pool);
  expect(theirs.orders).toEqual(ours.orders);
  expect(theirs.events).toEqual(ours.events);
});

test('seeding a database in use works: live inserts take ids from the same tables all along', async () => {
  await using live = await createTestDatabase('seed_live');
  let placed = 0;
  let seeded = 0;
  for (let round = 0; round < 4; round++) {
    let stop = false;
    // Two shop checkouts place orders (each with tasks and an audit event) without a pause.
    const shops = Array.from({ length: 2 }, async () => {
      while (!stop) {
        await placeDemoOrder(live.db, { courseBase: BASE });
        placed++;
      }
    });
    try {
      const progress = await seedDatabase(live, { orders: 300, seed: 20 + round, batchSize: 25 });
      expect(progress).toMatchObject({ orders: 300, total: 300 });
      seeded += 300;
    } finally {
      stop = true;
      await Promise.all(shops);
    }
  }
  expect(placed).toBeGreaterThan(20);
  const [count] = await rows(
    "SELECT COUNT(*) AS n, COUNT(DISTINCT order_code) AS codes, SUM(order_code NOT LIKE 'DH%') AS odd FROM orders",
    [],
    live.pool,
  );
  expect(count).toMatchObject({ n: seeded + placed, codes: seeded + placed, odd: 0 });
  await expectCountersMatchTasks(live.pool);
  // Every seeded event names a task of its own order.
  const strays = await rows(
    `SELECT a.id FROM order_audit_logs a JOIN download_tasks t ON t.id = a.task_id WHERE t.order_id <> a.order_id`,
    [],
    live.pool,
  );
  expect(strays).toEqual([]);
  const [missing] = await rows(
    "SELECT COUNT(*) AS n FROM order_audit_logs WHERE task_id IS NULL AND event_type LIKE 'task%'",
    [],
    live.pool,
  );
  expect(missing).toMatchObject({ n: 0 });
}, 120_000);
