import { orderAuditLogs, orders } from '@paidflow/db';
import { placeDemoOrder } from '@paidflow/db/seed';
import { createLogger } from '@paidflow/runtime';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createOrder, startTestServer, TEST_SECRET, type TestServer } from '../testing/pipeline-fixtures.ts';
import { payOnePendingOrder } from './demo-sender.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer('demo');
});
afterAll(async () => {
  await t?.close();
});

test('the demo sender pays pending orders one at a time with signed webhooks the server accepts', async () => {
  const first = await createOrder(t.tdb.db, { tasks: 1 });
  const second = await createOrder(t.tdb.db, { tasks: 2 });
  const options = {
    db: t.tdb.db,
    secret: TEST_SECRET,
    url: `${t.server.url}/webhooks/payment`,
    logger: createLogger('silent'),
  };
  const tried = new Set<number>();
  const one = await payOnePendingOrder(options, tried);
  expect(one).toMatchObject({ kind: 'sent', orderCode: first.code, status: 200 });
  const two = await payOnePendingOrder(options, tried);
  expect(two).toMatchObject({ kind: 'sent', orderCode: second.code, status: 200 });
  expect(await payOnePendingOrder(options, tried)).toEqual({ kind: 'idle' });
  for (const { orderId } of [first, second]) {
    const [row] = await t.tdb.db.select().from(orders).where(eq(orders.id, orderId));
    expect(row).toMatchObject({ payment_status: 'paid', order_status: 'processing' });
  }
});

test('a wrong secret is refused by the server, and a server that is down is reported, not thrown', async () => {
  const order = await createOrder(t.tdb.db, { tasks: 1 });
  const base = { db: t.tdb.db, logger: createLogger('silent') };
  const refused = await payOnePendingOrder(
    { ...base, secret: 'wrong-secret', url: `${t.server.url}/webhooks/payment` },
    new Set(),
  );
  expect(refused).toMatchObject({ kind: 'sent', orderCode: order.code, status: 401 });
  const down = await payOnePendingOrder(
    { ...base, secret: TEST_SECRET, url: 'http://127.0.0.1:1/webhooks/payment' },
    new Set(),
  );
  expect(down).toMatchObject({ kind: 'unreachable', orderCode: order.code });
});

test('with no pending order left, the demo shop places a new one that the sender then pays', async () => {
  const placed = await placeDemoOrder(t.tdb.db, { courseBase: 'http://127.0.0.1:4100/courses' });
  const [row] = await t.tdb.db.select().from(orders).where(eq(orders.id, placed.id));
  expect(row).toMatchObject({ payment_status: 'pending', order_status: 'pending' });
  expect(row!.total_tasks).toBeGreaterThanOrEqual(1);
  expect(row!.total_amount).toBeGreaterThan(0);
  const events = await t.tdb.db.select().from(orderAuditLogs).where(eq(orderAuditLogs.order_id, placed.id));
  expect(events.map((event) => event.event_type)).toEqual(['order_created']);
  const options = {
    db: t.tdb.db,
    secret: TEST_SECRET,
    url: `${t.server.url}/webhooks/payment`,
    logger: createLogger('silent'),
  };
  const tried = new Set<number>();
  let result = await payOnePendingOrder(options, tried);
  while (result.kind === 'sent' && result.orderCode !== placed.order_code)
    result = await payOnePendingOrder(options, tried);
  expect(result).toMatchObject({ kind: 'sent', orderCode: placed.order_code, status: 200 });
});
