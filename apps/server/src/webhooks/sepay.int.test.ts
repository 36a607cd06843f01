import { latestKey, redisNamespace } from '@paidflow/contracts';
import { downloadTasks, outbox } from '@paidflow/db';
import { createLogger } from '@paidflow/runtime';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startServer } from '../app.ts';
import { testEnv } from '../env.ts';
import { callerFor, orderRow } from '../testing/live-fixtures.ts';
import {
  auditEventsOf,
  createOrder,
  postWebhook,
  sepayTransaction,
  startTestServer,
  storedPayments,
  TEST_SECRET,
  type TestServer,
  waitFor,
} from '../testing/pipeline-fixtures.ts';
import { signatureHeader } from './signature.ts';

const OLD_SECRET = 'old-webhook-secret-0123456789';
const RETIRED_SECRET = 'retired-webhook-secret-012345';
const API_KEY = 'sepay-api-key-0123456789abcdef';

let t: TestServer;
let url: string;

beforeAll(async () => {
  t = await startTestServer('webhook', {
    WEBHOOK_SECRETS: `${TEST_SECRET},${OLD_SECRET}`,
    SEPAY_API_KEY: API_KEY,
  });
  url = t.server.url;
});
afterAll(async () => {
  await t?.close();
});

function transactionsFor(providerId: number) {
  return storedPayments(t.tdb.db, providerId);
}

async function taskStatuses(orderId: number) {
  const rows = await t.tdb.db.select().from(downloadTasks).where(eq(downloadTasks.order_id, orderId));
  return rows.map((row) => row.status);
}

async function downloadRowsFor(taskIds: number[]) {
  const rows = await t.tdb.db.select().from(outbox).where(eq(outbox.topic, 'download'));
  return rows.filter((row) => taskIds.includes((row.payload as { taskId: number }).taskId));
}

test('a signed payment makes the order paid and processing, queues its tasks and reaches the queue', async () => {
  const { orderId, code, taskIds, total } = await createOrder(t.tdb.db, { tasks: 3 });
  const transaction = sepayTransaction(code, total);
  const response = await postWebhook(url, transaction);
  expect(response).toEqual({ status: 200, json: { success: true } });

  const order = await orderRow(t.tdb.db, orderId);
  expect(order).toMatchObject({ payment_status: 'paid', order_status: 'processing', active_tasks: 3 });
  expect(order.paid_at).toBeInstanceOf(Date);
  expect(await taskStatuses(orderId)).toEqual(['queued', 'queued', 'queued']);

  const events = await auditEventsOf(t.tdb.db, orderId);
  expect(events.map((event) => event.event_type)).toEqual([
    'payment_received',
    'task_queued',
    'task_queued',
    'task_queued',
  ]);
  expect(events[0]!.details).toMatchObject({
    amount: total,
    gateway: 'Vietcombank',
    referenceCode: transaction.referenceCode,
    transactionId: transaction.id,
  });
  const [stored] = await transactionsFor(transaction.id);
  expect(stored).toMatchObject({
    status: 'applied',
    order_id: orderId,
    provider: 'sepay',
    gateway: 'Vietcombank',
    reference_code: transaction.referenceCode,
    content: transaction.content,
  });
  expect(stored!.raw_payload).toEqual(transaction);

  // The drainer moves the outbox rows to BullMQ: one job per task, with the agreed options.
  await waitFor(
    async () => (await downloadRowsFor(taskIds)).every((row) => row.dispatched_at),
    10_000,
    'dispatch',
  );
  const jobs = await Promise.all(taskIds.map((id) => t.server.deps.queue.getJob(`task-${id}-1`)));
  expect(jobs.map((job) => job?.data)).toEqual(
    taskIds.map((taskId) => ({ taskId, orderId, reason: 'payment' })),
  );
  expect(jobs[0]!.opts).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 1000 } });

  // Live state for newcomers: the order's status and each task's status.
  const ns = redisNamespace(t.prefix);
  const latest = await t.server.deps.redis.get(ns.key(latestKey(`order:${orderId}:status`, orderId)));
  expect(JSON.parse(latest!)).toMatchObject({ orderId, newStatus: 'processing', paymentStatus: 'paid' });
  const taskLatest = await t.server.deps.redis.get(ns.key(latestKey(`task:${taskIds[0]}:status`, orderId)));
  expect(JSON.parse(taskLatest!)).toMatchObject({ previousStatus: 'pending', newStatus: 'queued' });
});

test('the order code is also found in the content, in any case', async () => {
  const { orderId, code, total } = await createOrder(t.tdb.db, { tasks: 1 });
  const transaction = sepayTransaction(null, total, { content: `chuyen tien ${code.toLowerCase()} cam on` });
  expect((await postWebhook(url, transaction)).status).toBe(200);
  expect((await orderRow(t.tdb.db, orderId)).payment_status).toBe('paid');
});

test('bad or missing authentication is refused with 401 and nothing is stored', async () => {
  const { code, total, orderId } = await createOrder(t.tdb.db, { tasks: 1 });
  const transaction = sepayTransaction(code, total);
  const raw = JSON.stringify(transaction);
  const now = Math.floor(Date.now() / 1000);
  const tampered = JSON.stringify({ ...transaction, transferAmount: total * 10 });
  const attempts: Array<[string, Record<string, string>, string?]> = [
    ['wrong secret', { 'paidflow-signature': signatureHeader('not-the-secret', raw) }],
    ['stale timestamp', { 'paidflow-signature': signatureHeader(TEST_SECRET, raw, now - 360) }],
    ['future timestamp', { 'paidflow-signature': signatureHeader(TEST_SECRET, raw, now + 360) }],
    ['tampered body', { 'paidflow-signature': signatureHeader(TEST_SECRET, raw) }, tampered],
    ['missing header', {}],
    ['malformed header', { 'paidflow-signature': 'sha256=abc' }],
    ['rotated-out secret', { 'paidflow-signature': signatureHeader(RETIRED_SECRET, raw) }],
    ['wrong api key', { authorization: 'Apikey not-the-key-0123456789' }],
  ];
  for (const [what, headers, body] of attempts) {
    const response = await postWebhook(url, body ?? raw, {
      headers: { 'content-type': 'application/json', ...headers },
    });
    expect(response.status, what).toBe(401);
    expect(response.json.success, what).toBe(false);
  }
  expect(await transactionsFor(transaction.id)).toHaveLength(0);
  expect((await orderRow(t.tdb.db, orderId)).payment_status).toBe('pending');
});

test('every secret of WEBHOOK_SECRETS works during a rotation, and several v1 values are accepted', async () => {
  const first = await createOrder(t.tdb.db, { tasks: 1 });
  const byOld = await postWebhook(url, sepayTransaction(first.code, first.total), { secret: OLD_SECRET });
  expect(byOld.status).toBe(200);

  const second = await createOrder(t.tdb.db, { tasks: 1 });
  const raw = JSON.stringify(sepayTransaction(second.code, second.total));
  const header = signatureHeader([RETIRED_SECRET, TEST_SECRET], raw);
  const response = await postWebhook(url, raw, {
    headers: { 'content-type': 'application/json', 'paidflow-signature': header },
  });
  expect(response.status).toBe(200);
  expect((await orderRow(t.tdb.db, second.orderId)).payment_status).toBe('paid');
});

test("SePay's Apikey mode authenticates when SEPAY_API_KEY is set", async () => {
  const { orderId, code, total } = await createOrder(t.tdb.db, { tasks: 1 });
  const response = await postWebhook(url, sepayTransaction(code, total), {
    headers: { 'content-type': 'application/json', authorization: `Apikey ${API_KEY}` },
  });
  expect(response.status).toBe(200);
  expect((await orderRow(t.tdb.db, orderId)).payment_status).toBe('paid');
});

test('a repeated delivery answers 200 and changes nothing', async () => {
  const { orderId, code, total } = await createOrder(t.tdb.db, { tasks: 2 });
  const transaction = sepayTransaction(code, total);
  expect((await postWebhook(url, transaction)).json).toEqual({ success: true });
  const before = await auditEventsOf(t.tdb.db, orderId);
  const again = await postWebhook(url, transaction);
  expect(again.status).toBe(200);
  expect(again.json.success).toBe(true);
  expect(again.json.message).toMatch(/duplicate/);
  expect(await auditEventsOf(t.tdb.db, orderId)).toEqual(before);
  expect(await transactionsFor(transaction.id)).toHaveLength(1);
});

test('20 concurrent duplicates give one payment, one set of queued tasks and one payment_received', async () => {
  const { orderId, code, total, taskIds } = await createOrder(t.tdb.db, { tasks: 4 });
  const raw = JSON.stringify(sepayTransaction(code, total));
  const header = signatureHeader(TEST_SECRET, raw);
  const responses = await Promise.all(
    Array.from({ length: 20 }, () =>
      postWebhook(url, raw, {
        headers: { 'content-type': 'application/json', 'paidflow-signature': header },
      }),
    ),
  );
  expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
  expect(await transactionsFor(JSON.parse(raw).id)).toHaveLength(1);
  const events = await auditEventsOf(t.tdb.db, orderId);
  expect(events.filter((event) => event.event_type === 'payment_received')).toHaveLength(1);
  expect(events.filter((event) => event.event_type === 'task_queued')).toHaveLength(4);
  expect(await downloadRowsFor(taskIds)).toHaveLength(4);
  const order = await orderRow(t.tdb.db, orderId);
  expect(order).toMatchObject({ payment_status: 'paid', active_tasks: 4, total_tasks: 4 });
  const tasks = await t.tdb.db.select().from(downloadTasks).where(eq(downloadTasks.order_id, orderId));
  expect(tasks.map((task) => task.queue_generation)).toEqual([1, 1, 1, 1]);
});

test('a huge body is refused before it is read', async () => {
  const huge = JSON.stringify({ ...sepayTransaction('DH12345678', 1), description: 'x'.repeat(200_000) });
  const response = await postWebhook(url, huge);
  expect([400, 413]).toContain(response.status);
  expect(response.json.success).toBe(false);
});

test('an unknown order answers 200 and the transaction waits in the inbox as unmatched', async () => {
  // Not 404 (decision 045): the delivery succeeded, and retrying cannot match it.
  const transaction = sepayTransaction('DH99999999999', 100_000);
  const response = await postWebhook(url, transaction);
  expect(response).toEqual({
    status: 200,
    json: {
      success: true,
      message: 'recorded for review, no matching order: no order with code DH99999999999',
    },
  });
  const [stored] = await transactionsFor(transaction.id);
  expect(stored).toMatchObject({
    status: 'unmatched',
    order_id: null,
    status_reason: 'no order with code DH99999999999',
    reference_code: transaction.referenceCode,
    content: transaction.content,
  });

  const noCode = sepayTransaction(null, 100_000, { content: 'no code here' });
  const answer = await postWebhook(url, noCode);
  expect(answer.status).toBe(200);
  expect(answer.json.success).toBe(true);
  expect((await transactionsFor(noCode.id))[0]?.status).toBe('unmatched');

  // A retry of it is a duplicate: nothing changes.
  const again = await postWebhook(url, noCode);
  expect(again.json).toEqual({ success: true, message: 'duplicate delivery (already unmatched)' });
  expect(await transactionsFor(noCode.id)).toHaveLength(1);
});

test('an under-payment answers 200, records a warning, marks the order underpaid and starts no work', async () => {
  const { orderId, code, total } = await createOrder(t.tdb.db, { tasks: 2 });
  const short = sepayTransaction(code, total - 1000);
  const response = await postWebhook(url, short);
  expect(response).toEqual({
    status: 200,
    json: {
      success: true,
      message: `recorded as underpaid: ${total - 1000} of the order total ${total} paid`,
    },
  });
  expect((await transactionsFor(short.id))[0]).toMatchObject({ status: 'underpaid', order_id: orderId });
  expect(await taskStatuses(orderId)).toEqual(['pending', 'pending']);
  // Still payable; marked underpaid so that the next transfer adds up.
  expect(await orderRow(t.tdb.db, orderId)).toMatchObject({
    payment_status: 'underpaid',
    order_status: 'pending',
  });
  const [warning] = await auditEventsOf(t.tdb.db, orderId);
  expect(warning).toMatchObject({
    event_type: 'payment_underpaid',
    severity: 'warning',
    event_category: 'payment',
  });
  expect(warning!.details).toMatchObject({
    amount: total - 1000,
    total,
    paid: total - 1000,
    shortfall: 1000,
  });
  // A retry of it is a duplicate and changes nothing.
  expect((await postWebhook(url, short)).json.message).toBe('duplicate delivery (already underpaid)');
  expect(await auditEventsOf(t.tdb.db, orderId)).toHaveLength(1);
});

test("a second transfer that brings the order's transfers to its total pays it, once", async () => {
  const { orderId, code, total, taskIds } = await createOrder(t.tdb.db, { tasks: 2, total: 500_000 });
  const first = sepayTransaction(code, 200_000);
  const second = sepayTransaction(null, 300_000, { content: `con lai ${code.toLowerCase()}` });
  expect((await postWebhook(url, first)).json.message).toMatch(/underpaid: 200000 of the order total 500000/);
  const response = await postWebhook(url, second);
  expect(response).toEqual({ status: 200, json: { success: true } });

  expect(await orderRow(t.tdb.db, orderId)).toMatchObject({
    payment_status: 'paid',
    order_status: 'processing',
  });
  expect(await taskStatuses(orderId)).toEqual(['queued', 'queued']);
  expect((await transactionsFor(first.id))[0]).toMatchObject({ status: 'applied', order_id: orderId });
  expect((await transactionsFor(second.id))[0]).toMatchObject({ status: 'applied', order_id: orderId });
  const events = await auditEventsOf(t.tdb.db, orderId);
  expect(events.map((event) => event.event_type)).toEqual([
    'payment_underpaid',
    'payment_received',
    'task_queued',
    'task_queued',
  ]);
  expect(events[1]!.details).toMatchObject({
    paid: total,
    total,
    transfers: [{ amount: 200_000 }, { amount: 300_000 }],
  });
  expect(await downloadRowsFor(taskIds)).toHaveLength(2);
  // A third transfer for the paid order is ignored as already paid.
  const third = sepayTransaction(code, 100_000);
  expect((await postWebhook(url, third)).json.message).toMatch(/already paid/);
  expect((await transactionsFor(third.id))[0]).toMatchObject({ status: 'ignored', order_id: orderId });
});

test('two partial transfers sent at the same time add up and pay the order exactly once', async () => {
  for (let round = 0; round < 3; round++) {
    const { orderId, code, taskIds } = await createOrder(t.tdb.db, { tasks: 3, total: 600_000 });
    const halves = [sepayTransaction(code, 300_000), sepayTransaction(code, 300_000)];
    const responses = await Promise.all(halves.map((half) => postWebhook(url, half)));
    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    // One of them was first (underpaid), the other paid the order.
    expect(responses.map((response) => response.json.message ?? 'paid').sort()).toEqual([
      'paid',
      'recorded as underpaid: 300000 of the order total 600000 paid',
    ]);
    const order = await orderRow(t.tdb.db, orderId);
    expect(order).toMatchObject({ payment_status: 'paid', order_status: 'processing', active_tasks: 3 });
    const events = await auditEventsOf(t.tdb.db, orderId);
    expect(events.filter((event) => event.event_type === 'payment_received')).toHaveLength(1);
    expect(events.filter((event) => event.event_type === 'task_queued')).toHaveLength(3);
    expect(await downloadRowsFor(taskIds)).toHaveLength(3);
    for (const half of halves) expect((await transactionsFor(half.id))[0]?.status).toBe('applied');
  }
});

test('an overpayment is applied, and flagged overpaid on the transaction and in the audit log', async () => {
  const { orderId, code, total } = await createOrder(t.tdb.db, { tasks: 1, total: 400_000 });
  const transaction = sepayTransaction(code, 450_000);
  const response = await postWebhook(url, transaction);
  expect(response).toEqual({ status: 200, json: { success: true, message: 'applied; overpaid by 50000' } });
  expect(await orderRow(t.tdb.db, orderId)).toMatchObject({
    payment_status: 'paid',
    order_status: 'processing',
  });
  expect((await transactionsFor(transaction.id))[0]).toMatchObject({ status: 'overpaid', order_id: orderId });
  const events = await auditEventsOf(t.tdb.db, orderId);
  expect(events.map((event) => event.event_type)).toEqual([
    'payment_received',
    'task_queued',
    'payment_overpaid',
  ]);
  expect(events[2]).toMatchObject({ severity: 'warning' });
  expect(events[2]!.details).toMatchObject({ paid: 450_000, total, excess: 50_000 });

  // A short transfer and then the full amount: the order is paid, overpaid by the first.
  const second = await createOrder(t.tdb.db, { tasks: 1, total: 300_000 });
  await postWebhook(url, sepayTransaction(second.code, 100_000));
  const full = sepayTransaction(second.code, 300_000);
  expect((await postWebhook(url, full)).json.message).toBe('applied; overpaid by 100000');
  expect((await transactionsFor(full.id))[0]?.status).toBe('overpaid');
});

test('an outgoing transfer is stored and ignored', async () => {
  const { orderId, code, total } = await createOrder(t.tdb.db, { tasks: 1 });
  const transaction = sepayTransaction(code, total, { transferType: 'out' });
  const response = await postWebhook(url, transaction);
  expect(response.status).toBe(200);
  expect((await transactionsFor(transaction.id))[0]).toMatchObject({ status: 'ignored' });
  expect((await orderRow(t.tdb.db, orderId)).payment_status).toBe('pending');
  expect(await auditEventsOf(t.tdb.db, orderId)).toHaveLength(0);
});

test('a second payment for an order already paid is recorded and ignored, with no new audit event', async () => {
  const { orderId, code, total } = await createOrder(t.tdb.db, { tasks: 1 });
  expect((await postWebhook(url, sepayTransaction(code, total))).status).toBe(200);
  const before = await auditEventsOf(t.tdb.db, orderId);
  const second = sepayTransaction(code, total);
  const response = await postWebhook(url, second);
  expect(response.status).toBe(200);
  expect(response.json.message).toMatch(/already paid/);
  expect((await transactionsFor(second.id))[0]).toMatchObject({ status: 'ignored', order_id: orderId });
  expect(await auditEventsOf(t.tdb.db, orderId)).toEqual(before);
});

test('an order without tasks is paid and completed at once, with its one notification', async () => {
  const { orderId, code, total } = await createOrder(t.tdb.db, { tasks: 0 });
  expect((await postWebhook(url, sepayTransaction(code, total))).status).toBe(200);
  expect(await orderRow(t.tdb.db, orderId)).toMatchObject({
    payment_status: 'paid',
    order_status: 'completed',
  });
  const types = (await auditEventsOf(t.tdb.db, orderId)).map((event) => event.event_type);
  expect(types.slice(0, 2)).toEqual(['payment_received', 'order_completed']);
  await waitFor(
    async () =>
      (await auditEventsOf(t.tdb.db, orderId)).some((event) => event.event_type === 'notification_sent'),
    10_000,
    'notification',
  );
  const notifications = await t.tdb.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.topic, 'notification')));
  expect(
    notifications.filter((row) => (row.payload as { orderId: number }).orderId === orderId),
  ).toHaveLength(1);
});

test('MySQL unreachable answers 503 so that the provider retries', async () => {
  const down = await startServer(
    testEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: 'mysql://root@127.0.0.1:1/paidflow_unreachable',
      REDIS_PREFIX: t.prefix,
      WEBHOOK_SECRETS: TEST_SECRET,
    }),
    createLogger('silent'),
  );
  try {
    const response = await postWebhook(down.url, sepayTransaction('DH12345678', 100_000));
    expect(response.status).toBe(503);
    expect(response.json).toEqual({ success: false, message: 'database unavailable; retry later' });
    // A body that is no transaction is stored too, so without MySQL it waits for a retry as well.
    expect((await postWebhook(down.url, '{')).status).toBe(503);
    // The worker's reports get SERVICE_UNAVAILABLE, which it retries.
    const api = await callerFor(down.deps, { kind: 'worker' });
    await expect(api.worker.claim({ taskId: 1, jobId: 'task-1-1', attempt: 1 })).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
  } finally {
    await down.close();
  }
});
