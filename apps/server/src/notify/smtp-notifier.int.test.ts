import { orderAuditLogs, outbox } from '@paidflow/db';
import { eq } from 'drizzle-orm';
import { afterEach, expect, test } from 'vitest';
import { callerFor } from '../testing/live-fixtures.ts';
import {
  createOrder,
  postWebhook,
  sepayTransaction,
  startTestServer,
  type TestServer,
  waitFor,
} from '../testing/pipeline-fixtures.ts';
import { type SmtpSink, startSmtpSink } from '../testing/smtp-sink.ts';
import { adminAlertMail } from './admin-alerts.ts';
import { type OrderNotice, orderCompletedMail } from './order-notification.ts';
import { createSmtpNotifier } from './smtp-notifier.ts';

const notice: OrderNotice = {
  order: { id: 7, order_code: 'DH00000007', user_email: 'buyer@example.com', order_status: 'completed' },
  tasks: [
    { id: 1, title: 'Course A', status: 'completed', drive_link: '/deliveries/7/a' },
    { id: 2, title: 'Course B', status: 'completed', drive_link: '/deliveries/7/b' },
  ],
};

const sinks: SmtpSink[] = [];
let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  for (const sink of sinks.splice(0)) await sink.close();
});

test('the SMTP notifier sends one message per order to the customer, listing every task', async () => {
  const sink = await startSmtpSink();
  sinks.push(sink);
  const notifier = createSmtpNotifier({ url: sink.url, from: 'Paidflow <no-reply@paidflow.test>' });
  await notifier.send(orderCompletedMail(notice));
  await notifier.close();
  expect(sink.messages).toHaveLength(1);
  const [mail] = sink.messages;
  expect(mail!.from).toContain('no-reply@paidflow.test');
  expect(mail!.to).toEqual(['<buyer@example.com>']);
  expect(mail!.data).toMatch(/Subject: Your order DH00000007 is ready/);
  expect(mail!.data).toContain('Course A: /deliveries/7/a');
  expect(mail!.data).toContain('Course B: /deliveries/7/b');
});

test('a message the SMTP server refuses, or an SMTP server that is down, is an error the caller sees', async () => {
  const sink = await startSmtpSink();
  sinks.push(sink);
  sink.refuseRecipients = true;
  const refused = createSmtpNotifier({ url: sink.url, from: 'no-reply@paidflow.test' });
  await expect(refused.send(orderCompletedMail(notice))).rejects.toThrow();
  await refused.close();

  const down = createSmtpNotifier({
    url: 'smtp://127.0.0.1:1',
    from: 'no-reply@paidflow.test',
    timeoutMs: 2000,
  });
  await expect(
    down.send(
      adminAlertMail('ops@example.com', {
        orderId: 1,
        orderCode: 'DH00000001',
        taskId: 1,
        errorType: 'DISK_SPACE',
        message: 'no space left on device',
        step: 'download',
        attempt: 1,
      }),
    ),
  ).rejects.toThrow();
  await down.close();
});

test('a completed order sends the customer one e-mail and records notification_sent; SMTP down is retried', async () => {
  // The SMTP server is down when the order completes, and comes up later on the same port.
  const probe = await startSmtpSink();
  const port = probe.port;
  await probe.close();
  t = await startTestServer('smtp', { SMTP_URL: `smtp://127.0.0.1:${port}` });
  const { orderId, code, total, taskIds } = await createOrder(t.tdb.db, { tasks: 2 });
  expect((await postWebhook(t.server.url, sepayTransaction(code, total))).status).toBe(200);

  const api = await callerFor(t.server.deps, { kind: 'worker' });
  for (const taskId of taskIds) {
    const jobId = `task-${taskId}-1`;
    const claim = await api.worker.claim({ taskId, jobId, attempt: 1 });
    const runToken = claim.proceed ? claim.runToken : 0;
    await api.worker.transition({ taskId, jobId, runToken, to: 'uploading' });
    await api.worker.complete({
      taskId,
      jobId,
      runToken,
      driveLink: `/deliveries/${taskId}`,
      files: 1,
      bytes: 10,
      durationMs: 5,
    });
  }
  const db = t.tdb.db;
  const notificationRow = async () => {
    const rows = await db.select().from(outbox).where(eq(outbox.topic, 'notification'));
    return rows.find((row) => (row.payload as { orderId: number }).orderId === orderId);
  };
  await waitFor(async () => ((await notificationRow())?.attempts ?? 0) > 0, 10_000, 'a failed delivery');
  expect((await notificationRow())?.dispatched_at).toBeNull();

  const sink = await startSmtpSink(port);
  sinks.push(sink);
  await waitFor(async () => (await notificationRow())?.dispatched_at, 20_000, 'the delivery');
  expect(sink.messages).toHaveLength(1);
  expect(sink.messages[0]!.to).toEqual(['<buyer@example.com>']);
  expect(sink.messages[0]!.data).toContain(`Subject: Your order ${code} is ready`);
  const events = await db.select().from(orderAuditLogs).where(eq(orderAuditLogs.order_id, orderId));
  const sent = events.filter((event) => event.event_type === 'notification_sent');
  expect(sent).toHaveLength(1);
  expect(sent[0]!.details).toMatchObject({ channel: 'smtp', to: 'buyer@example.com', tasks: 2 });
});
