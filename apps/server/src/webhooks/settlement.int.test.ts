import { downloadTasks, outbox, recordPaymentTransaction } from '@paidflow/db';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SEPAY_PROVIDER } from '../services/payment-settle.ts';
import { orderRow } from '../testing/live-fixtures.ts';
import {
  auditEventsOf,
  createOrder,
  postWebhook,
  sepayTransaction,
  startTestServer,
  storedPayments,
  type TestServer,
} from '../testing/pipeline-fixtures.ts';

// A payment is stored and settled in one transaction; these are the ways that transaction can
// fail or be cut short, and what makes sure the payment is neither lost nor applied twice.

let t: TestServer;
let url: string;

beforeAll(async () => {
  t = await startTestServer('settlement');
  url = t.server.url;
});
afterAll(async () => {
  await t?.close();
});

async function downloadRowsOf(taskIds: number[]) {
  const rows = await t.tdb.db.select().from(outbox).where(eq(outbox.topic, 'download'));
  return rows.filter((row) => taskIds.includes((row.payload as { taskId: number }).taskId));
}

async function expectPaidOnce(orderId: number, taskIds: number[]) {
  expect(await orderRow(t.tdb.db, orderId)).toMatchObject({
    payment_status: 'paid',
    order_status: 'processing',
    active_tasks: taskIds.length,
  });
  const events = await auditEventsOf(t.tdb.db, orderId);
  expect(events.filter((event) => event.event_type === 'payment_received')).toHaveLength(1);
  expect(events.filter((event) => event.event_type === 'task_queued')).toHaveLength(taskIds.length);
  expect(await downloadRowsOf(taskIds)).toHaveLength(taskIds.length);
  const tasks = await t.tdb.db.select().from(downloadTasks).where(eq(downloadTasks.order_id, orderId));
  expect(tasks.map((task) => [task.status, task.queue_generation])).toEqual(taskIds.map(() => ['queued', 1]));
}

test('a payment whose settlement fails is still stored, and the retry pays the order once', async () => {
  const { orderId, code, total, taskIds } = await createOrder(t.tdb.db, { tasks: 2 });
  const trigger = `fail_queue_${orderId}`;
  // A real failure inside the settling transaction, after the order was locked and the payment
  // written: MySQL refuses the tasks' UPDATE for this order.
  await t.tdb.db.execute(
    sql.raw(
      `CREATE TRIGGER ${trigger} BEFORE UPDATE ON download_tasks FOR EACH ROW ` +
        `BEGIN IF NEW.order_id = ${orderId} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected'; END IF; END`,
    ),
  );
  const transaction = sepayTransaction(code, total);
  try {
    const failed = await postWebhook(url, transaction);
    // A 5xx: the provider retries it.
    expect(failed.status).toBe(500);
  } finally {
    await t.tdb.db.execute(sql.raw(`DROP TRIGGER ${trigger}`));
  }
  // Nothing of the settlement is left, but the body is: as received, waiting for the retry.
  const [kept] = await storedPayments(t.tdb.db, transaction.id);
  expect(kept).toMatchObject({ status: 'received', order_id: null, amount: total });
  expect(kept?.raw_payload).toMatchObject({ id: transaction.id, code });
  expect(await orderRow(t.tdb.db, orderId)).toMatchObject({ payment_status: 'pending', active_tasks: 0 });
  expect(await auditEventsOf(t.tdb.db, orderId)).toEqual([]);
  expect(await downloadRowsOf(taskIds)).toEqual([]);

  expect(await postWebhook(url, transaction)).toEqual({ status: 200, json: { success: true } });
  const [settled] = await storedPayments(t.tdb.db, transaction.id);
  expect(settled).toMatchObject({ id: kept!.id, status: 'applied', order_id: orderId });
  await expectPaidOnce(orderId, taskIds);
  const again = await postWebhook(url, transaction);
  expect(again.json).toEqual({ success: true, message: 'duplicate delivery (already applied)' });
  await expectPaidOnce(orderId, taskIds);
});

test('a payment stored but never settled (the process died) is settled by concurrent retries exactly once', async () => {
  const { orderId, code, total, taskIds } = await createOrder(t.tdb.db, { tasks: 3 });
  const transaction = sepayTransaction(code, total);
  // What a delivery leaves when its process dies after storing the body: a received row.
  await recordPaymentTransaction(t.tdb.db, {
    provider: SEPAY_PROVIDER,
    providerTransactionId: String(transaction.id),
    amount: transaction.transferAmount,
    transferType: transaction.transferType,
    rawPayload: transaction,
  });
  const raw = JSON.stringify(transaction);
  const responses = await Promise.all(Array.from({ length: 12 }, () => postWebhook(url, raw)));
  expect(responses.map((response) => response.status)).toEqual(Array(12).fill(200));
  const messages = responses.map((response) => response.json.message ?? 'paid');
  expect(messages.filter((message) => message === 'paid')).toHaveLength(1);
  expect(messages.filter((message) => message === 'duplicate delivery (already applied)')).toHaveLength(11);
  expect(await storedPayments(t.tdb.db, transaction.id)).toMatchObject([
    { status: 'applied', order_id: orderId },
  ]);
  await expectPaidOnce(orderId, taskIds);
});

test('concurrent deliveries of one unmatched transfer store it once', async () => {
  const transaction = sepayTransaction(null, 70_000, { content: 'no code at all' });
  const raw = JSON.stringify(transaction);
  // Once a 500: the waiting deliveries each held a shared lock on the row and deadlocked
  // turning it into an exclusive one.
  const responses = await Promise.all(Array.from({ length: 20 }, () => postWebhook(url, raw)));
  expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
  const messages = responses.map((response) => response.json.message);
  expect(messages.filter((message) => message?.startsWith('recorded for review'))).toHaveLength(1);
  expect(messages.filter((message) => message === 'duplicate delivery (already unmatched)')).toHaveLength(19);
  expect(await storedPayments(t.tdb.db, transaction.id)).toMatchObject([{ status: 'unmatched' }]);
});

test('concurrent retries of an unmatched transfer stored but never settled settle it once', async () => {
  const transaction = sepayTransaction(null, 80_000, { content: 'no code either' });
  await recordPaymentTransaction(t.tdb.db, {
    provider: SEPAY_PROVIDER,
    providerTransactionId: String(transaction.id),
    amount: transaction.transferAmount,
    transferType: transaction.transferType,
    rawPayload: transaction,
  });
  const raw = JSON.stringify(transaction);
  const responses = await Promise.all(Array.from({ length: 20 }, () => postWebhook(url, raw)));
  expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
  const messages = responses.map((response) => response.json.message);
  expect(messages.filter((message) => message?.startsWith('recorded for review'))).toHaveLength(1);
  expect(messages.filter((message) => message === 'duplicate delivery (already unmatched)')).toHaveLength(19);
  expect(await storedPayments(t.tdb.db, transaction.id)).toMatchObject([{ status: 'unmatched' }]);
});
