import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from './client.ts';
import { preparedPerPool } from './prepared.ts';
import { findActiveSession, insertSession, upsertAdmin } from './queries/admins.ts';
import { findTaskWithOrder } from './queries/order-state.ts';
import { getOrderDetail } from './queries/orders.ts';
import { downloadTasks } from './schema.ts';
import { createTestDatabase, insertTestOrder, type TestDatabase } from './testing.ts';

let tdb: TestDatabase;
let userId: number;
const EXPIRES = new Date('2031-05-06T07:08:09.123Z');

beforeAll(async () => {
  tdb = await createTestDatabase('prepared');
  userId = await upsertAdmin(tdb.db, { email: 'ops@example.com', passwordHash: 'x', role: 'operator' });
  await insertSession(tdb.db, { tokenHash: 'a'.repeat(64), userId, expiresAt: EXPIRES });
  await insertSession(tdb.db, { tokenHash: 'b'.repeat(64), userId, expiresAt: new Date('2020-01-01Z') });
});
afterAll(() => tdb?.[Symbol.asyncDispose]());

describe('preparedPerPool', () => {
  it('keeps one prepared query per pool handle, and builds afresh for a transaction', async () => {
    let builds = 0;
    const prepared = preparedPerPool(() => ({ build: ++builds }));
    expect(prepared(tdb.db)).toBe(prepared(tdb.db));
    expect(builds).toBe(1);
    await tdb.db.transaction(async (tx) => {
      expect(prepared(tx)).not.toBe(prepared(tx));
    });
    expect(builds).toBe(3);
  });
});

describe('the prepared session lookup', () => {
  it('finds an unexpired session with its admin, and compares the expiry to the millisecond', async () => {
    const found = await findActiveSession(tdb.db, 'a'.repeat(64), new Date(EXPIRES.getTime() - 1));
    expect(found).toEqual({
      tokenHash: 'a'.repeat(64),
      userId,
      email: 'ops@example.com',
      role: 'operator',
      expiresAt: EXPIRES,
    });
    // Expired at its own instant (expires_at > now), and for each token its own row.
    expect(await findActiveSession(tdb.db, 'a'.repeat(64), EXPIRES)).toBeNull();
    expect(await findActiveSession(tdb.db, 'b'.repeat(64))).toBeNull();
    expect(await findActiveSession(tdb.db, 'c'.repeat(64))).toBeNull();
  });

  it('answers concurrent lookups each with its own parameters, on the pool and in a transaction', async () => {
    await insertSession(tdb.db, { tokenHash: 'd'.repeat(64), userId, expiresAt: EXPIRES });
    const tokens = ['a', 'b', 'c', 'd', 'a', 'd'].map((c) => c.repeat(64));
    const found = await Promise.all(tokens.map((token) => findActiveSession(tdb.db, token)));
    expect(found.map((row) => row?.tokenHash ?? null)).toEqual(
      tokens.map((t) => (/^[ad]/.test(t) ? t : null)),
    );
    const inTx = await tdb.db.transaction((tx) => findActiveSession(tx, 'd'.repeat(64)));
    expect(inTx?.tokenHash).toBe('d'.repeat(64));
  });
});

describe('the prepared snapshot reads', () => {
  it('read an order with its tasks in id order, and a task with its order', async () => {
    const orderId = await insertTestOrder(tdb.db, { order_code: 'DH900001', total_tasks: 2 });
    const other = await insertTestOrder(tdb.db, { order_code: 'DH900002', total_tasks: 1 });
    await tdb.db.insert(downloadTasks).values([
      { order_id: orderId, title: 'B', course_url: 'https://example.com/b' },
      { order_id: other, title: 'X', course_url: 'https://example.com/x' },
      { order_id: orderId, title: 'A', course_url: 'https://example.com/a' },
    ]);
    const [first, second] = await Promise.all([
      getOrderDetail(tdb.db, orderId),
      getOrderDetail(tdb.db, other),
    ]);
    expect(first?.order_code).toBe('DH900001');
    expect(first?.tasks.map((task) => task.title)).toEqual(['B', 'A']);
    expect(second?.tasks.map((task) => task.title)).toEqual(['X']);
    expect(await getOrderDetail(tdb.db, 987654)).toBeNull();

    const taskId = first?.tasks[1]?.id ?? 0;
    const found = await findTaskWithOrder(tdb.db, taskId);
    expect(found?.task.title).toBe('A');
    expect(found?.order.order_code).toBe('DH900001');
    expect(await findTaskWithOrder(tdb.db, 987654)).toBeNull();
    // An order without tasks is still found, with none.
    const empty = await insertTestOrder(tdb.db, { order_code: 'DH900003', total_tasks: 0 });
    expect(await getOrderDetail(tdb.db, empty)).toMatchObject({ order_code: 'DH900003', tasks: [] });
  });

  it('read each in one statement: one round trip, and one view of the order and its tasks', async () => {
    const orderId = await insertTestOrder(tdb.db, { order_code: 'DH900004', total_tasks: 2 });
    await tdb.db.insert(downloadTasks).values([
      { order_id: orderId, title: 'P', course_url: 'https://example.com/p' },
      { order_id: orderId, title: 'Q', course_url: 'https://example.com/q' },
    ]);
    // A pool of one connection: the session's counters are that connection's.
    const single = createDb({ url: tdb.url, connectionLimit: 1 });
    try {
      const selects = async () => {
        const [rows] = (await single.db.execute(sql`SHOW SESSION STATUS LIKE 'Com_select'`)) as unknown as [
          Array<{ Value: string }>,
        ];
        return Number(rows[0]?.Value);
      };
      // What reading the counter itself adds (none on MariaDB; counted in case it does).
      const start = await selects();
      const idle = (await selects()) - start;
      const before = await selects();
      const detail = await getOrderDetail(single.db, orderId);
      const afterDetail = await selects();
      await findTaskWithOrder(single.db, detail?.tasks[0]?.id ?? 0);
      const afterTask = await selects();
      expect(detail?.tasks.map((task) => task.title)).toEqual(['P', 'Q']);
      expect(afterDetail - before - idle).toBe(1);
      expect(afterTask - afterDetail - idle).toBe(1);
    } finally {
      await single.close();
    }
  });
});

describe("drizzle's mysql2 queries (patches/drizzle-orm@0.45.4.patch)", () => {
  it('read dates as strings through mysql2 dateStrings, with no per-query typeCast', async () => {
    const prepared = tdb.db.select().from(downloadTasks).prepare() as unknown as {
      query: { typeCast?: unknown; dateStrings?: unknown };
    };
    expect(prepared.query.typeCast).toBeUndefined();
    expect(prepared.query.dateStrings).toEqual(['DATE', 'DATETIME', 'TIMESTAMP']);
    // The strings drizzle's date columns are mapped from: a DATETIME(3) to the millisecond, a
    // DATE as it is written, a NULL as null.
    const [row] = (await tdb.db.execute(
      "SELECT CAST('2031-05-06 07:08:09.123' AS DATETIME(3)) AS at, CAST('2025-06-02' AS DATE) AS day, CAST(NULL AS DATETIME) AS none",
    )) as unknown as [Array<Record<string, unknown>>];
    expect(row[0]).toEqual({ at: '2031-05-06 07:08:09.123', day: '2025-06-02', none: null });
  });
});
