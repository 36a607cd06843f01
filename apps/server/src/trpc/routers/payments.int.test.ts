import type { PaymentLiveEvent } from '@paidflow/contracts';
import { downloadTasks, outbox, paymentTransactions } from '@paidflow/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { liveClient } from '../../testing/live-client.ts';
import { callerFor, createTestAdmin, orderRow, type TestAdmin } from '../../testing/live-fixtures.ts';
import {
  auditEventsOf,
  createOrder,
  decodeMail,
  nextOrderCode,
  postWebhook,
  sepayTransaction,
  startTestServer,
  type TestServer,
  waitFor,
} from '../../testing/pipeline-fixtures.ts';
import { type SmtpSink, startSmtpSink } from '../../testing/smtp-sink.ts';

// The payments inbox against the real server: MariaDB, Redis, the outbox drainer and an SMTP sink.

const ADMIN = 'payments-admin@example.com';
let t: TestServer;
let sink: SmtpSink;
let operator: TestAdmin;
let viewer: TestAdmin;

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestServer('payments', {
    SMTP_URL: sink.url,
    ADMIN_ALERT_EMAIL: ADMIN,
    OUTBOX_POLL_MS: '100',
    RECONCILE_INTERVAL_MS: '3600000',
  });
  operator = await createTestAdmin(t.server.deps, 'operator');
  viewer = await createTestAdmin(t.server.deps, 'viewer');
});
afterAll(async () => {
  await t?.close();
  await sink?.close();
});

const as = (admin: TestAdmin) => callerFor(t.server.deps, admin.principal);

/** An unmatched transfer, stored by the webhook; its inbox row id. */
async function unmatchedTransfer(amount: number, content = `chuyen khoan ${nextOrderCode()}x`) {
  const transaction = sepayTransaction(null, amount, { content });
  expect((await postWebhook(t.server.url, transaction)).status).toBe(200);
  return rowOf(transaction.id);
}

async function rowOf(providerId: number) {
  const [row] = await t.tdb.db
    .select()
    .from(paymentTransactions)
    .where(eq(paymentTransactions.provider_transaction_id, String(providerId)));
  return row!;
}

async function transaction(id: number) {
  const [row] = await t.tdb.db.select().from(paymentTransactions).where(eq(paymentTransactions.id, id));
  return row!;
}

async function taskStatuses(orderId: number) {
  const rows = await t.tdb.db.select().from(downloadTasks).where(eq(downloadTasks.order_id, orderId));
  return rows.map((row) => row.status);
}

async function paymentAlerts(transactionId: number) {
  const rows = await t.tdb.db.select().from(outbox).where(eq(outbox.topic, 'notification'));
  return rows.filter((row) => (row.payload as { transactionId?: number }).transactionId === transactionId);
}

test('a viewer lists the inbox newest first with the attention count, and may not act', async () => {
  const api = await as(viewer);
  const before = await api.payments.attention();
  const first = await unmatchedTransfer(111_000);
  const second = await unmatchedTransfer(222_000);
  const page = await api.payments.list({ limit: 2 });
  expect(page.items.map((item) => item.id)).toEqual([second.id, first.id]);
  expect(page.items[0]).toMatchObject({
    status: 'unmatched',
    amount: 222_000,
    order: null,
    gateway: 'Vietcombank',
  });
  expect(await api.payments.attention()).toEqual({
    total: before.total + 2,
    unmatched: before.unmatched + 2,
    underpaid: before.underpaid,
  });
  const found = await api.payments.list({ search: String(222_000), outcome: 'attention' });
  expect(found.items.map((item) => item.id)).toContain(second.id);

  const { code } = await createOrder(t.tdb.db, { tasks: 1, total: 222_000 });
  await expect(api.payments.match({ transactionId: second.id, orderCode: code })).rejects.toMatchObject({
    code: 'FORBIDDEN',
  });
  await expect(
    api.payments.resolve({ transactionId: second.id, resolution: 'ignored', note: 'x' }),
  ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  expect((await transaction(second.id)).status).toBe('unmatched');
  const signedOut = await callerFor(t.server.deps, null);
  await expect(signedOut.payments.list({})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
});

test('an operator matches an unmatched transfer: the order is paid, its tasks queued, the audit names the operator', async () => {
  const { orderId, code, taskIds, total } = await createOrder(t.tdb.db, { tasks: 2, total: 350_000 });
  const row = await unmatchedTransfer(350_000);
  const api = await as(operator);
  const result = await api.payments.match({
    transactionId: row.id,
    orderCode: code.toLowerCase(),
    note: 'typo in code',
  });
  expect(result).toEqual({
    transactionId: row.id,
    status: 'applied',
    orderId,
    orderPaid: true,
    paid: total,
    total,
  });
  expect(await orderRow(t.tdb.db, orderId)).toMatchObject({
    payment_status: 'paid',
    order_status: 'processing',
  });
  expect(await taskStatuses(orderId)).toEqual(['queued', 'queued']);
  expect(await transaction(row.id)).toMatchObject({
    status: 'applied',
    order_id: orderId,
    resolved_by: operator.email,
    note: 'typo in code',
  });
  expect((await transaction(row.id)).resolved_at).toBeInstanceOf(Date);
  const events = await auditEventsOf(t.tdb.db, orderId);
  expect(events.map((event) => event.event_type)).toEqual([
    'payment_matched',
    'payment_received',
    'task_queued',
    'task_queued',
  ]);
  expect(events[0]).toMatchObject({
    source: `operator:${operator.email}`.slice(0, 50),
    new_status: 'applied',
  });
  expect(events[0]!.details).toMatchObject({
    actor: { id: operator.id, email: operator.email },
    note: 'typo in code',
    paid: total,
  });
  // Through the same path as a webhook: the jobs reach BullMQ.
  await waitFor(
    async () =>
      (await Promise.all(taskIds.map((id) => t.server.deps.queue.getJob(`task-${id}-1`)))).every(Boolean),
    10_000,
    'the jobs',
  );
  // The inbox shows it applied, on the order.
  const [view] = (await api.payments.list({ search: row.reference_code! })).items;
  expect(view).toMatchObject({
    id: row.id,
    status: 'applied',
    order: { id: orderId, code, paymentStatus: 'paid' },
  });
});

test('a match short of the total leaves the transfer underpaid on the order; the next match adds up and pays it', async () => {
  const { orderId, code, total } = await createOrder(t.tdb.db, { tasks: 1, total: 500_000 });
  const api = await as(operator);
  const first = await unmatchedTransfer(200_000);
  const short = await api.payments.match({ transactionId: first.id, orderCode: code });
  expect(short).toMatchObject({ status: 'underpaid', orderPaid: false, paid: 200_000, total });
  expect(await orderRow(t.tdb.db, orderId)).toMatchObject({
    payment_status: 'underpaid',
    order_status: 'pending',
  });
  expect(await taskStatuses(orderId)).toEqual(['pending']);
  // Matching it there again changes nothing.
  await expect(api.payments.match({ transactionId: first.id, orderCode: code })).rejects.toMatchObject({
    code: 'CONFLICT',
    message: `the transaction is already matched to ${code}`,
  });

  const second = await unmatchedTransfer(350_000);
  const paid = await api.payments.match({ transactionId: second.id, orderCode: code });
  expect(paid).toMatchObject({ status: 'overpaid', orderPaid: true, paid: 550_000, total });
  expect(await orderRow(t.tdb.db, orderId)).toMatchObject({
    payment_status: 'paid',
    order_status: 'processing',
  });
  expect((await transaction(first.id)).status).toBe('applied');
  expect((await transaction(second.id)).status).toBe('overpaid');
  const types = (await auditEventsOf(t.tdb.db, orderId)).map((event) => event.event_type);
  expect(types.filter((type) => type === 'payment_received')).toHaveLength(1);
  expect(types).toContain('payment_overpaid');
});

test('refused actions say why: applied, unknown, paid order, bad input; nothing changes', async () => {
  const api = await as(operator);
  const { code, total } = await createOrder(t.tdb.db, { tasks: 1 });
  const paying = sepayTransaction(code, total);
  await postWebhook(t.server.url, paying);
  const applied = await rowOf(paying.id);
  expect(applied.status).toBe('applied');
  const other = await createOrder(t.tdb.db, { tasks: 1 });
  await expect(
    api.payments.match({ transactionId: applied.id, orderCode: other.code }),
  ).rejects.toMatchObject({
    code: 'CONFLICT',
    message: 'the transaction is applied: only an unmatched or underpaid one can be matched',
  });
  await expect(
    api.payments.resolve({ transactionId: applied.id, resolution: 'refunded', note: 'asked by customer' }),
  ).rejects.toMatchObject({ code: 'CONFLICT' });
  expect((await transaction(applied.id)).status).toBe('applied');

  const loose = await unmatchedTransfer(10_000);
  await expect(api.payments.match({ transactionId: loose.id, orderCode: code })).rejects.toMatchObject({
    code: 'CONFLICT',
    message: `order ${code} is already paid: refund or ignore this transfer instead`,
  });
  await expect(
    api.payments.match({ transactionId: loose.id, orderCode: 'DH999999999999' }),
  ).rejects.toMatchObject({
    code: 'NOT_FOUND',
  });
  await expect(api.payments.match({ transactionId: 99_999_999, orderCode: code })).rejects.toMatchObject({
    code: 'NOT_FOUND',
  });
  for (const bad of [
    () => api.payments.match({ transactionId: loose.id, orderCode: 'not-a-code' }),
    () => api.payments.match({ transactionId: -1, orderCode: code }),
    () => api.payments.resolve({ transactionId: loose.id, resolution: 'refunded', note: '  ' }),
    () => api.payments.resolve({ transactionId: loose.id, resolution: 'paid' as 'refunded', note: 'x' }),
    () => api.payments.list({ cursor: '!!' }),
    () => api.payments.list({ from: new Date(2), to: new Date(1) }),
  ]) {
    await expect(bad()).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  }
  expect((await transaction(loose.id)).status).toBe('unmatched');
});

test('refund and ignore need a note and are audited with the actor; an underpaid refund frees its order', async () => {
  const api = await as(operator);
  const loose = await unmatchedTransfer(70_000);
  const ignored = await api.payments.resolve({
    transactionId: loose.id,
    resolution: 'ignored',
    note: 'test transfer by the bank',
  });
  expect(ignored).toMatchObject({ status: 'ignored', orderId: null, orderPaid: false });
  expect(await transaction(loose.id)).toMatchObject({
    status: 'ignored',
    resolved_by: operator.email,
    note: 'test transfer by the bank',
  });
  // Ignored by an operator, it may still be refunded; refunded, nothing more.
  expect(
    await api.payments.resolve({ transactionId: loose.id, resolution: 'refunded', note: 'sent back' }),
  ).toMatchObject({
    status: 'refunded',
  });
  await expect(
    api.payments.resolve({ transactionId: loose.id, resolution: 'ignored', note: 'again' }),
  ).rejects.toMatchObject({ code: 'CONFLICT' });

  const { orderId, code } = await createOrder(t.tdb.db, { tasks: 1, total: 900_000 });
  const partial = sepayTransaction(code, 100_000);
  await postWebhook(t.server.url, partial);
  const row = await rowOf(partial.id);
  expect((await orderRow(t.tdb.db, orderId)).payment_status).toBe('underpaid');
  await api.payments.resolve({ transactionId: row.id, resolution: 'refunded', note: 'FT-REFUND-77' });
  expect((await transaction(row.id)).status).toBe('refunded');
  // Nothing underpaid is left on the order: it is plainly pending again, its full payment applies.
  expect((await orderRow(t.tdb.db, orderId)).payment_status).toBe('pending');
  const refund = (await auditEventsOf(t.tdb.db, orderId)).find(
    (event) => event.event_type === 'payment_refunded',
  );
  expect(refund).toMatchObject({ previous_status: 'underpaid', new_status: 'refunded' });
  expect(refund!.details).toMatchObject({
    actor: { id: operator.id, email: operator.email },
    note: 'FT-REFUND-77',
  });
  const full = sepayTransaction(code, 900_000);
  expect((await postWebhook(t.server.url, full)).json).toEqual({ success: true });
  expect((await transaction((await rowOf(full.id)).id)).status).toBe('applied');
});

test('an unmatched or underpaid transfer e-mails the admins once, with what they need and a link to the inbox', async () => {
  const before = sink.messages.length;
  const content = 'tien hoc phi thang 6';
  const loose = sepayTransaction(null, 123_000, { content, referenceCode: 'FT-ALERT-1' });
  await postWebhook(t.server.url, loose);
  await postWebhook(t.server.url, loose);
  const row = await rowOf(loose.id);
  const mail = (await waitFor(
    () => sink.messages.slice(before).find((message) => message.data.includes('FT-ALERT-1')),
    10_000,
    'the alert',
  ))!;
  expect(mail.to).toEqual([`<${ADMIN}>`]);
  expect(mail.data).toMatch(/Subject: \[Paidflow\] Payment of 123,000 VND unmatched/);
  expect(mail.data).toContain('Reference: FT-ALERT-1 (Vietcombank)');
  expect(mail.data).toContain(`Content: ${content}`);
  expect(mail.data).toContain('Reason: no order code in code or content');
  expect(mail.data).toContain('/payments?q=FT-ALERT-1');
  // One alert row for the transaction, however often it was delivered.
  expect(await paymentAlerts(row.id)).toHaveLength(1);

  const { orderId, code } = await createOrder(t.tdb.db, { tasks: 1, total: 400_000 });
  const partial = sepayTransaction(code, 150_000);
  await postWebhook(t.server.url, partial);
  const partialRow = await rowOf(partial.id);
  const sent = (await waitFor(
    async () =>
      (await auditEventsOf(t.tdb.db, orderId)).find((event) => event.event_type === 'admin_alert_sent'),
    10_000,
    'the audited alert',
  ))!;
  expect(sent.details).toMatchObject({
    channel: 'smtp',
    paymentTransactionId: partialRow.id,
    status: 'underpaid',
  });
  const underpaidMail = sink.messages.find((message) => message.data.includes(`order ${code}`));
  expect(underpaidMail?.data).toContain('Reason: amount 150000 < total 400000');
  const [alert] = await paymentAlerts(partialRow.id);
  expect(alert?.payload).toEqual({ kind: 'payment_attention', transactionId: partialRow.id, orderId });
  expect(alert?.dispatched_at).toBeInstanceOf(Date);
});

test('a signed body that is no valid transaction is listed as rejected and e-mailed to the admins once', async () => {
  const before = sink.messages.length;
  const body = { ...sepayTransaction(null, 1), transferAmount: 77_000.5, referenceCode: 'FT-REJECTED-1' };
  await postWebhook(t.server.url, body);
  await postWebhook(t.server.url, body);
  const mail = (await waitFor(
    () => sink.messages.slice(before).find((message) => message.data.includes('FT-REJECTED-1')),
    10_000,
    'the alert',
  ))!;
  expect(mail.data).toMatch(/Subject: \[Paidflow\] Payment of 0 VND rejected/);
  expect(decodeMail(mail.data).text).toContain('Reason: invalid transaction: transferAmount');
  const page = await (await as(viewer)).payments.list({ limit: 5, outcome: 'rejected' });
  const listed = page.items.filter((item) => item.referenceCode === 'FT-REJECTED-1');
  expect(listed).toHaveLength(1);
  expect(await paymentAlerts(listed[0]!.id)).toHaveLength(1);
});

test('live: a payments.live subscriber hears each transfer stored and each operator action, without polling', async () => {
  const client = liveClient(t.server.url, operator.cookie);
  const heard: PaymentLiveEvent[] = [];
  const subscription = client.client.payments.live.subscribe(undefined, {
    onData: (event) => heard.push(event),
    onError: () => {},
  });
  try {
    await waitFor(() => heard.some((event) => event.kind === 'ready'), 10_000, 'ready');
    const loose = sepayTransaction(null, 42_000, { content: 'no code' });
    await postWebhook(t.server.url, loose);
    const row = await rowOf(loose.id);
    const stored = await waitFor(
      () => heard.find((event) => event.kind === 'payment.status' && event.data.transactionId === row.id),
      10_000,
      'the stored transfer',
    );
    expect(stored).toMatchObject({
      data: { status: 'unmatched', previousStatus: 'received', amount: 42_000 },
    });
    await (await as(operator)).payments.resolve({
      transactionId: row.id,
      resolution: 'ignored',
      note: 'noise',
    });
    await waitFor(
      () =>
        heard.find(
          (event) =>
            event.kind === 'payment.status' &&
            event.data.transactionId === row.id &&
            event.data.status === 'ignored',
        ),
      10_000,
      'the resolution',
    );
    // Signed out, the stream is refused (a WebSocket without a session is refused at the upgrade).
    const signedOut = await callerFor(t.server.deps, null);
    await expect(signedOut.payments.live()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  } finally {
    subscription.unsubscribe();
    await client.close();
  }
});

test('an underpaid transfer moved to another order frees the first one', async () => {
  const api = await as(operator);
  const first = await createOrder(t.tdb.db, { tasks: 1, total: 300_000 });
  const second = await createOrder(t.tdb.db, { tasks: 1, total: 299_000 });
  // The customer wrote the first order's code for the second order's amount.
  const wrong = sepayTransaction(first.code, 299_000);
  await postWebhook(t.server.url, wrong);
  const row = await rowOf(wrong.id);
  expect(row).toMatchObject({ status: 'underpaid', order_id: first.orderId });
  expect((await orderRow(t.tdb.db, first.orderId)).payment_status).toBe('underpaid');
  const moved = await api.payments.match({ transactionId: row.id, orderCode: second.code });
  expect(moved).toMatchObject({ status: 'applied', orderId: second.orderId, orderPaid: true });
  expect((await orderRow(t.tdb.db, first.orderId)).payment_status).toBe('pending');
  expect((await orderRow(t.tdb.db, second.orderId)).payment_status).toBe('paid');
  // (The underpaid transfer's alert may or may not have gone out before the match: left aside.)
  const onFirst = (await auditEventsOf(t.tdb.db, first.orderId))
    .map((event) => event.event_type)
    .filter((type) => type !== 'admin_alert_sent');
  expect(onFirst).toEqual(['payment_underpaid', 'payment_matched']);
});
