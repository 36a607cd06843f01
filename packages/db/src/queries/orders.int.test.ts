import type { OrderStatus, PaymentStatus } from '@paidflow/contracts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { downloadTasks, orders } from '../schema.ts';
import { createTestDatabase, type TestDatabase } from '../testing.ts';
import { encodeTimeIdCursor, InvalidCursorError } from './cursor.ts';
import { NARROW_CODE_SEARCH_LIMIT, NARROW_SEARCH_LIMIT } from './order-search.ts';
import { findOrderByCode, getOrderDetail, listPaidOrders } from './orders.ts';

let tdb: TestDatabase;
interface Fixture {
  id: number;
  code: string;
  email: string;
  paid: boolean;
  status: OrderStatus;
  createdAt: Date;
}
const fixtures: Fixture[] = [];
const STATUSES: OrderStatus[] = ['processing', 'completed', 'failed', 'cancelled'];
const BASE = Date.parse('2026-01-01T00:00:00.000Z');

beforeAll(async () => {
  tdb = await createTestDatabase('orders');
  // 60 orders; every three share one created_at, so the id must break ties; every fifth is unpaid.
  const rows = Array.from({ length: 60 }, (_, i) => {
    const paid = i % 5 !== 4;
    const payment_status: PaymentStatus = paid ? 'paid' : 'pending';
    return {
      order_code: `DH${String(200100 + i)}`,
      user_email: i % 4 === 0 ? 'an_le@example.com' : `customer${i % 7}@example.com`,
      payment_status,
      order_status: paid ? STATUSES[i % 4]! : ('pending' as const),
      total_amount: 100000 + i,
      created_at: new Date(BASE + Math.floor(i / 3) * 60_000),
      paid_at: paid ? new Date(BASE + Math.floor(i / 3) * 60_000 + 1000) : null,
      total_tasks: 4,
      completed_tasks: 2,
      failed_tasks: 1,
      active_tasks: 1,
    };
  });
  // Inserted in a shuffled order so that id order and time order differ.
  const shuffled = rows.map((row, i) => ({ row, key: (i * 37) % 60 })).sort((a, b) => a.key - b.key);
  for (const { row } of shuffled) {
    const [result] = await tdb.db.insert(orders).values(row);
    fixtures.push({
      id: result.insertId,
      code: row.order_code,
      email: row.user_email,
      paid: row.payment_status === 'paid',
      status: row.order_status,
      createdAt: row.created_at,
    });
  }
});
afterAll(async () => {
  await tdb?.[Symbol.asyncDispose]();
});

function expected(filter: (f: Fixture) => boolean): number[] {
  return fixtures
    .filter((f) => f.paid && filter(f))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id)
    .map((f) => f.id);
}

async function walk(input: Omit<Parameters<typeof listPaidOrders>[1], 'cursor'>): Promise<number[][]> {
  const pages: number[][] = [];
  let cursor: string | undefined;
  do {
    const page = await listPaidOrders(tdb.db, { ...input, cursor });
    pages.push(page.items.map((item) => item.id));
    cursor = page.nextCursor ?? undefined;
    expect(pages.length).toBeLessThan(1000);
  } while (cursor);
  return pages;
}

test('walking the cursor lists every paid order once, newest first, ties broken by id', async () => {
  const pages = await walk({ limit: 7 });
  expect(pages.slice(0, -1).every((page) => page.length === 7)).toBe(true);
  expect(pages.flat()).toEqual(expected(() => true));
  expect(new Set(pages.flat()).size).toBe(pages.flat().length);
});

test('pending orders are never listed', async () => {
  const listed = new Set((await walk({ limit: 100 })).flat());
  const pending = fixtures.filter((f) => !f.paid);
  expect(pending.length).toBeGreaterThan(0);
  for (const order of pending) expect(listed.has(order.id)).toBe(false);
  expect(listed.size).toBe(fixtures.length - pending.length);
});

test('a page ending exactly at the last row has no next cursor', async () => {
  const total = expected(() => true).length;
  const page = await listPaidOrders(tdb.db, { limit: total });
  expect(page.items).toHaveLength(total);
  expect(page.nextCursor).toBeNull();
});

test('the status filter pages through that status only', async () => {
  for (const status of STATUSES) {
    expect((await walk({ limit: 4, status })).flat()).toEqual(expected((f) => f.status === status));
  }
});

test('search finds orders by code or code prefix', async () => {
  const target = fixtures.find((f) => f.paid)!;
  const exact = await listPaidOrders(tdb.db, { search: target.code.toLowerCase() });
  expect(exact.items.map((item) => item.id)).toEqual([target.id]);
  expect((await walk({ limit: 3, search: 'DH20011' })).flat()).toEqual(
    expected((f) => f.code.startsWith('DH20011')),
  );
  expect((await walk({ limit: 5, search: '2001' })).flat()).toEqual(
    expected((f) => f.code.startsWith('DH2001')),
  );
});

test('search finds a customer by email or email prefix, with wildcards taken literally', async () => {
  expect((await walk({ limit: 2, search: 'an_le@example.com' })).flat()).toEqual(
    expected((f) => f.email === 'an_le@example.com'),
  );
  expect((await walk({ limit: 3, search: 'customer3' })).flat()).toEqual(
    expected((f) => f.email.startsWith('customer3')),
  );
  // "an_" must not match "an" followed by any character.
  expect((await listPaidOrders(tdb.db, { search: 'an%' })).items).toEqual([]);
  expect((await listPaidOrders(tdb.db, { search: 'customer_' })).items).toEqual([]);
});

test('search combines with the status filter', async () => {
  expect((await walk({ limit: 2, search: 'customer', status: 'failed' })).flat()).toEqual(
    expected((f) => f.email.startsWith('customer') && f.status === 'failed'),
  );
});

test('the list shows stats from the order counters', async () => {
  const page = await listPaidOrders(tdb.db, { limit: 1 });
  expect(page.items[0]!.stats).toEqual({
    totalTasks: 4,
    completedTasks: 2,
    failedTasks: 1,
    activeTasks: 1,
    progressPercentage: 75,
  });
});

test('a malformed cursor is rejected with InvalidCursorError, not a SQL error', async () => {
  for (const cursor of ['%%%', 'bm90LWEtY3Vyc29y', Buffer.from('t:1:0').toString('base64url')]) {
    await expect(listPaidOrders(tdb.db, { cursor })).rejects.toBeInstanceOf(InvalidCursorError);
  }
  // A well-formed cursor past every row is simply an empty page.
  const past = encodeTimeIdCursor({ createdAt: new Date(0), id: 1 });
  expect(await listPaidOrders(tdb.db, { cursor: past })).toEqual({ items: [], nextCursor: null });
});

/** `count` orders coded `<code><i>`, e-mailed `<email><i>@example.com`, two per second the day before BASE. */
async function insertBulk(
  count: number,
  code: string,
  email: string,
  statuses: (i: number) => [PaymentStatus, OrderStatus],
) {
  const rows = Array.from({ length: count }, (_, i) => {
    const [payment_status, order_status] = statuses(i);
    return {
      order_code: `${code}${String(i).padStart(7, '0')}`,
      user_email: `${email}${i}@example.com`,
      payment_status,
      order_status,
      total_amount: 1000,
      created_at: new Date(BASE - 86_400_000 + Math.floor(i / 2) * 1000),
    };
  });
  for (let i = 0; i < rows.length; i += 1000) await tdb.db.insert(orders).values(rows.slice(i, i + 1000));
  return rows;
}

test('a broad search (more matches than the narrow plan sorts) still pages exactly', async () => {
  const rows = await insertBulk(NARROW_SEARCH_LIMIT + 50, 'DH9', 'bulk', (i) =>
    i % 10 === 0 ? ['pending', 'pending'] : ['paid', 'completed'],
  );
  const [stored] = await tdb.pool.query(
    "SELECT id, created_at FROM orders WHERE user_email LIKE 'bulk%' AND payment_status = 'paid'",
  );
  const want = (stored as Array<{ id: number; created_at: Date }>)
    .sort((a, b) => b.created_at.getTime() - a.created_at.getTime() || b.id - a.id)
    .map((row) => row.id);
  expect(want).toHaveLength(rows.filter((row) => row.payment_status === 'paid').length);
  const ids = (await walk({ limit: 100, search: 'bulk' })).flat();
  expect(ids).toEqual(want);
  const codeSearch = (await walk({ limit: 100, search: 'DH9' })).flat();
  expect(codeSearch).toEqual(ids);
  await tdb.pool.query("DELETE FROM orders WHERE user_email LIKE 'bulk%'");
});

test('a code prefix past the code limit walks the list and pages exactly, with and without a status', async () => {
  // Between the two limits: broad for codes (the list walk), narrow for the same rows' emails.
  const many = NARROW_CODE_SEARCH_LIMIT + 30;
  expect(many).toBeLessThan(NARROW_SEARCH_LIMIT);
  await insertBulk(many, 'DH8', 'codewalk', (i) => [
    i % 7 === 0 ? 'pending' : 'paid',
    i % 3 === 0 ? 'failed' : 'completed',
  ]);
  const [stored] = await tdb.pool.query(
    "SELECT id, created_at, order_status FROM orders WHERE order_code LIKE 'DH8%' AND payment_status = 'paid'",
  );
  const sorted = (stored as Array<{ id: number; created_at: Date; order_status: string }>).sort(
    (a, b) => b.created_at.getTime() - a.created_at.getTime() || b.id - a.id,
  );
  const want = sorted.map((row) => row.id);
  expect((await walk({ limit: 50, search: 'DH8' })).flat()).toEqual(want);
  expect((await walk({ limit: 50, search: 'codewalk' })).flat()).toEqual(want);
  const failed = sorted.filter((row) => row.order_status === 'failed').map((row) => row.id);
  expect((await walk({ limit: 50, search: 'dh8', status: 'failed' })).flat()).toEqual(failed);
  await tdb.pool.query("DELETE FROM orders WHERE user_email LIKE 'codewalk%'");
});

test('order detail has the order, its stats and its tasks in id order, with parsed error logs', async () => {
  const order = fixtures.find((f) => f.paid)!;
  const errorLog = {
    last: {
      type: 'NETWORK',
      message: 'socket hang up',
      retryable: true,
      attempt: 2,
      step: 'download',
      file: 'a.mp4',
      at: '2026-01-01T00:00:00.000Z',
    },
    history: [],
  };
  await tdb.db.insert(downloadTasks).values([
    {
      order_id: order.id,
      title: 'First',
      course_url: 'http://127.0.0.1:4100/courses/a/manifest.json',
      status: 'completed',
      progress: 100,
    },
    {
      order_id: order.id,
      title: 'Second',
      course_url: 'http://x/b',
      status: 'failed',
      error_log: errorLog as never,
    },
    {
      order_id: order.id,
      title: 'Third',
      course_url: 'http://x/c',
      status: 'failed',
      error_log: { nonsense: true } as never,
    },
  ]);
  const detail = await getOrderDetail(tdb.db, order.id);
  expect(detail).toMatchObject({ id: order.id, order_code: order.code, stats: { totalTasks: 4 } });
  expect(detail!.tasks.map((task) => task.title)).toEqual(['First', 'Second', 'Third']);
  expect(detail!.tasks[1]!.error_log).toEqual(errorLog);
  expect(detail!.tasks[2]!.error_log).toBeNull();
  expect(detail!.tasks[0]!.error_log).toBeNull();
  expect(await getOrderDetail(tdb.db, 999_999)).toBeNull();
});

test('an order is found by its code, whatever the case; an unknown code is null', async () => {
  const order = fixtures[10]!;
  expect((await findOrderByCode(tdb.db, order.code))?.id).toBe(order.id);
  expect((await findOrderByCode(tdb.db, order.code.toLowerCase()))?.id).toBe(order.id);
  expect(await findOrderByCode(tdb.db, 'DH000000')).toBeNull();
});
