import { DOWNLOAD_QUEUE } from '@paidflow/contracts';
import { alerts, downloadTasks, insertOutboxRows, markOutboxDispatched, outbox } from '@paidflow/db';
import { UnrecoverableError, Worker } from 'bullmq';
import { eq, inArray, sql } from 'drizzle-orm';
import { expect, test } from 'vitest';
import { callerFor, createPaidOrder, createTestAdmin } from '../testing/live-fixtures.ts';
import { postWebhook, sepayTransaction } from '../testing/pipeline-fixtures.ts';
import { useAlertTestServer } from './alert-server.ts';
import { alertSubjects, hookEvents, lastAlertText } from './test-fixtures.ts';

// Each alert kind end to end: its condition made real, the check run, the e-mail in the SMTP sink
// and the call at the webhook receiver; then the condition cleared and the resolution announced.

const LABEL = 'alerts';

const a = useAlertTestServer(LABEL);

const check = () => a.t.server.alerts.runOnce();

async function openKinds(): Promise<string[]> {
  const rows = await a.t.tdb.db.select().from(alerts).where(sql`${alerts.open_key} IS NOT NULL`);
  return rows.map((row) => row.kind).sort();
}

test('an outbox that does not drain raises outbox_stuck once, by e-mail and webhook, and its resolution is announced', async () => {
  await insertOutboxRows(a.t.tdb.db, [{ topic: 'notification', payload: { kind: 'test' } }]);
  const [row] = await a.t.tdb.db.select().from(outbox).orderBy(sql`${outbox.id} DESC`).limit(1);
  await a.t.tdb.db
    .update(outbox)
    .set({ created_at: new Date(Date.now() - 120_000) })
    .where(eq(outbox.id, row!.id));

  const raised = await check();
  expect(raised.map((event) => `${event.type} ${event.alert.kind}`)).toEqual(['raised outbox_stuck']);
  expect(await check()).toEqual([]);
  expect(alertSubjects(a.sink)).toEqual([
    expect.stringMatching(/^\[Paidflow\] ERROR: The outbox is not draining: 1 row/),
  ]);
  expect(lastAlertText(a.sink, 'outbox_stuck')).toContain('/alerts');
  expect(hookEvents(a.hook, 'outbox_stuck')).toEqual(['raised']);
  expect(a.hook.bodies[0]!.text).toMatch(/^\[Paidflow\] ERROR: The outbox is not draining/);
  const [open] = await a.t.tdb.db.select().from(alerts);
  expect(open).toMatchObject({
    kind: 'outbox_stuck',
    subject: 'outbox',
    open_key: 'outbox_stuck:outbox',
    reminders: 0,
  });
  expect(open!.last_notified_at).not.toBeNull();

  await markOutboxDispatched(a.t.tdb.db, [row!.id]);
  const resolved = await check();
  expect(resolved.map((event) => event.type)).toEqual(['resolved']);
  expect(alertSubjects(a.sink).at(-1)).toBe('[Paidflow] Resolved: outbox_stuck outbox');
  expect(hookEvents(a.hook, 'outbox_stuck')).toEqual(['raised', 'resolved']);
  const [closed] = await a.t.tdb.db.select().from(alerts);
  expect(closed!.open_key).toBeNull();
  expect(closed!.resolved_at).not.toBeNull();
});

test('a transfer that matches no order raises one payment_unmatched alert for the inbox, resolved when an operator ignores it', async () => {
  const transfer = sepayTransaction('DH99999999', 120_000);
  expect((await postWebhook(a.t.server.url, transfer)).status).toBe(200);
  await check();
  expect(hookEvents(a.hook, 'payment_unmatched')).toEqual(['raised']);
  expect(lastAlertText(a.sink, 'payment_unmatched')).toMatch(
    /1 transfer\(s\) wait in the payments inbox \(1 unmatched, 0 underpaid\)/,
  );
  // A second unmatched transfer is the same alert, not a second one.
  expect((await postWebhook(a.t.server.url, sepayTransaction(null, 5_000))).status).toBe(200);
  await check();
  expect(hookEvents(a.hook, 'payment_unmatched')).toEqual(['raised']);
  expect((await a.t.tdb.db.select().from(alerts))[0]!.message).toMatch(/^2 transfer/);

  const operator = await createTestAdmin(a.t.server.deps, 'operator');
  const caller = await callerFor(a.t.server.deps, operator.principal);
  const inbox = await caller.payments.list({ outcome: 'attention' });
  for (const item of inbox.items) {
    expect(
      await caller.payments.resolve({ transactionId: item.id, resolution: 'ignored', note: 'test transfer' }),
    ).toMatchObject({ status: 'ignored' });
  }
  await check();
  expect(hookEvents(a.hook, 'payment_unmatched')).toEqual(['raised', 'resolved']);
});

test('tasks waiting with no worker raise no_workers and queue_wait; both resolve when the tasks move on', async () => {
  const { taskIds } = await createPaidOrder(a.t.tdb.db, { statuses: ['queued', 'queued'] });
  await a.t.tdb.db
    .update(downloadTasks)
    .set({ updated_at: new Date(Date.now() - 700_000) })
    .where(inArray(downloadTasks.id, taskIds));
  await check();
  expect(await openKinds()).toEqual(['no_workers', 'queue_wait']);
  expect(alertSubjects(a.sink)).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/CRITICAL: No worker is running while 2 task\(s\) wait/),
      expect.stringMatching(/WARNING: The oldest queued task has waited 70\d s/),
    ]),
  );
  await a.t.tdb.db
    .update(downloadTasks)
    .set({ status: 'cancelled' })
    .where(inArray(downloadTasks.id, taskIds));
  await check();
  expect(await openKinds()).toEqual([]);
  expect(hookEvents(a.hook, 'no_workers')).toEqual(['raised', 'resolved']);
  expect(hookEvents(a.hook, 'queue_wait')).toEqual(['raised', 'resolved']);
});

test('a high failure rate over the window raises failure_rate; it resolves once the failures leave the window', async () => {
  const { taskIds } = await createPaidOrder(a.t.tdb.db, {
    statuses: ['failed', 'failed', 'failed', 'completed'],
  });
  await check();
  expect(lastAlertText(a.sink, 'failure_rate')).toContain(
    '75 % of the tasks that ended in the last 900 s failed (3 of 4)',
  );
  await a.t.tdb.db
    .update(downloadTasks)
    .set({ updated_at: new Date(Date.now() - 3_600_000) })
    .where(inArray(downloadTasks.id, taskIds));
  await check();
  expect(hookEvents(a.hook, 'failure_rate')).toEqual(['raised', 'resolved']);
});

test('a queue backlog over the threshold raises queue_backlog, resolved when the queue drains', async () => {
  const { queue } = a.t.server.deps;
  for (let i = 1; i <= 3; i++)
    await queue.add('download', { taskId: i, orderId: 1 } as never, { jobId: `backlog-${i}` });
  await check();
  expect(lastAlertText(a.sink, 'queue_backlog')).toContain('3 download jobs wait in the queue (threshold 3)');
  await queue.drain();
  await check();
  expect(hookEvents(a.hook, 'queue_backlog')).toEqual(['raised', 'resolved']);
});

test('dead letters growing raise dead_letters; after a window without growth it resolves', async () => {
  const { queue, namespace, env } = a.t.server.deps;
  await check();
  // A real BullMQ worker on the same queue fails two jobs for good: they become dead letters.
  const worker = new Worker(
    DOWNLOAD_QUEUE,
    async () => {
      throw new UnrecoverableError('broken for the test');
    },
    { connection: { url: env.REDIS_URL, maxRetriesPerRequest: null }, prefix: namespace.queuePrefix },
  );
  try {
    for (const id of ['dead-1', 'dead-2'])
      await queue.add('download', { taskId: 1, orderId: 1 } as never, { jobId: id });
    await expect.poll(() => queue.getFailedCount(), { timeout: 10_000 }).toBe(2);
  } finally {
    await worker.close();
  }
  await check();
  expect(lastAlertText(a.sink, 'dead_letters')).toMatch(/Dead letters grew by 2 in 2 s \(2 in all\)/);
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  await check();
  expect(hookEvents(a.hook, 'dead_letters')).toEqual(['raised', 'resolved']);
});
