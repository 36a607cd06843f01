import { downloadTasks, orderAuditLogs, outbox } from '@paidflow/db';
import { eq } from 'drizzle-orm';
import { afterEach, expect, test } from 'vitest';
import { callerFor } from '../testing/live-fixtures.ts';
import {
  createOrder,
  decodeMail,
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

const PAGE = 'https://shop.example/d/12.AbCdEfGhIjKlMnOpQrStUv.0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';

const notice: OrderNotice = {
  order: { id: 7, order_code: 'DH00000007', user_email: 'buyer@example.com', order_status: 'completed' },
  tasks: [
    { id: 1, title: 'Course A', status: 'completed', drive_link: `${PAGE}#course-1` },
    { id: 2, title: 'Course <B> & co', status: 'completed', drive_link: `${PAGE}#course-2` },
  ],
  page: { url: PAGE, expiresAt: new Date('2025-07-01T03:00:00Z') },
  alertSent: false,
};

/** A partially delivered order: one course ready, one failed, one cancelled. */
const partial = (alertSent: boolean): OrderNotice => ({
  order: {
    id: 8,
    order_code: 'DH00000008',
    user_email: 'buyer@example.com',
    order_status: 'partially_completed',
  },
  tasks: [
    { id: 1, title: 'Ready course', status: 'completed', drive_link: `${PAGE}#course-1` },
    { id: 2, title: 'Broken course', status: 'failed', drive_link: null },
    { id: 3, title: 'Dropped course', status: 'cancelled', drive_link: null },
  ],
  page: { url: PAGE, expiresAt: new Date('2025-07-01T03:00:00Z') },
  alertSent,
});

const sinks: SmtpSink[] = [];
let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  for (const sink of sinks.splice(0)) await sink.close();
});

test('the SMTP notifier sends one message per order to the customer: a text and an HTML part, listing every course with the link', async () => {
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
  expect(mail!.data).toMatch(/Content-Type: multipart\/alternative/i);
  const { text, html } = decodeMail(mail!.data);
  expect(text).toContain('All 2 courses are ready to download.');
  expect(text).toContain(PAGE);
  expect(text).toContain(`- Course A: ${PAGE}#course-1`);
  expect(text).toContain(`- Course <B> & co: ${PAGE}#course-2`);
  expect(text).not.toMatch(/Not ready|team has been/);
  // The HTML part links the page and each course, with every text escaped.
  expect(html).toContain(
    `<a href="${PAGE}" style="color:#0b62c4"><strong>Open your download page</strong></a>`,
  );
  expect(html).toContain(`<a href="${PAGE}#course-2" style="color:#0b62c4">Course &lt;B&gt; &amp; co</a>`);
  expect(html).not.toContain('<B>');
});

test('a partial order lists what is ready and what is not, and says the team was told only when it was', async () => {
  const quiet = orderCompletedMail(partial(false));
  expect(quiet.subject).toBe('Your order DH00000008 has finished: 1 of 3 courses delivered');
  expect(quiet.text).toContain(`Ready:\n- Ready course: ${PAGE}#course-1`);
  expect(quiet.text).toContain(
    'Not ready:\n- Broken course: could not be delivered\n- Dropped course: cancelled',
  );
  expect(quiet.text).toContain('Reply to this e-mail about the courses that are not ready and we will help.');
  for (const part of [quiet.text, quiet.html!]) expect(part).not.toMatch(/has been (told|alerted)/);
  expect(quiet.html).toContain('<li>Broken course: could not be delivered</li>');

  const alerted = orderCompletedMail(partial(true));
  expect(alerted.text).toContain('Our team has been alerted about the courses that are not ready');
  expect(alerted.html).toContain('Our team has been alerted');

  // Nothing delivered: no page, no ready list.
  const none = orderCompletedMail({
    ...partial(false),
    order: { ...partial(false).order, order_status: 'failed' },
    tasks: [{ id: 2, title: 'Broken course', status: 'failed', drive_link: null }],
    page: null,
  });
  expect(none.text).not.toMatch(/Ready:|download page/);
  expect(none.text).toContain('0 of 1 courses are ready');
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
      deliveredFiles: [{ path: 'lesson.mp4', size: 10, contentType: 'video/mp4' }],
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
  // The e-mail carries the order's public page, the one every task links to.
  const { text, html } = decodeMail(sink.messages[0]!.data);
  const page = `${t.server.deps.env.PUBLIC_BASE_URL}/d/`;
  const tasks = await db.select().from(downloadTasks).where(eq(downloadTasks.order_id, orderId));
  for (const task of tasks) {
    expect(task.drive_link!.startsWith(page)).toBe(true);
    expect(text).toContain(`- ${task.title}: ${task.drive_link}`);
    expect(html).toContain(`href="${task.drive_link}"`);
  }
  expect(text).toContain(`Your download page (valid until`);
  expect(text).not.toContain('file://');
  const events = await db.select().from(orderAuditLogs).where(eq(orderAuditLogs.order_id, orderId));
  const sent = events.filter((event) => event.event_type === 'notification_sent');
  expect(sent).toHaveLength(1);
  expect(sent[0]!.details).toMatchObject({
    channel: 'smtp',
    to: 'buyer@example.com',
    tasks: 2,
    ready: 2,
    link: true,
  });
});
