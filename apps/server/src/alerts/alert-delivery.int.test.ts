import { alerts, downloadTasks, insertOutboxRows, outbox } from '@paidflow/db';
import { eq, sql } from 'drizzle-orm';
import { expect, test } from 'vitest';
import { callerFor, createPaidOrder, createTestAdmin } from '../testing/live-fixtures.ts';
import { useAlertTestServer } from './alert-server.ts';
import { alertSubjects, hookEvents } from './test-fixtures.ts';

// The lifecycle's reminders, failing channels, the alerts router and the live channel.

const LABEL = 'alertsapi';

const a = useAlertTestServer(LABEL);

const check = () => a.t.server.alerts.runOnce();

test('a firing alert is reminded about at the set interval, counted, and a failing channel is retried on the next check', async () => {
  const env = a.t.server.deps.env;
  const saved = env.ALERT_REMIND_SECONDS;
  env.ALERT_REMIND_SECONDS = 1;
  try {
    await createPaidOrder(a.t.tdb.db, { statuses: ['failed', 'failed', 'failed'] });
    a.hook.status = 500;
    await check();
    expect(hookEvents(a.hook, 'failure_rate')).toEqual(['raised']);
    expect(a.t.server.alerts.sender.pending()).toBe(1);
    // E-mail worked; the webhook answered 500 and is retried first thing on the next check.
    expect(alertSubjects(a.sink)).toHaveLength(1);
    a.hook.status = 200;
    await check();
    expect(hookEvents(a.hook, 'failure_rate')).toEqual(['raised', 'raised']);
    expect(a.t.server.alerts.sender.pending()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await check();
    expect(hookEvents(a.hook, 'failure_rate')).toEqual(['raised', 'raised', 'reminder']);
    expect(alertSubjects(a.sink).at(-1)).toMatch(/^\[Paidflow\] Still firing \(reminder 1\): /);
    const [row] = await a.t.tdb.db.select().from(alerts);
    expect(row!.reminders).toBe(1);
  } finally {
    env.ALERT_REMIND_SECONDS = saved;
  }
});

test('SMTP refusing the alert is logged and retried; nothing throws out of the check', async () => {
  await createPaidOrder(a.t.tdb.db, { statuses: ['failed', 'failed', 'failed'] });
  a.sink.refuseRecipients = true;
  await expect(check()).resolves.toHaveLength(1);
  expect(alertSubjects(a.sink)).toEqual([]);
  expect(hookEvents(a.hook, 'failure_rate')).toEqual(['raised']);
  a.sink.refuseRecipients = false;
  await check();
  expect(alertSubjects(a.sink)).toEqual([expect.stringMatching(/^\[Paidflow\] ERROR: /)]);
});

test('the alerts router lists the history by state and kind with keyset pages, and the firing ones first by severity', async () => {
  await createPaidOrder(a.t.tdb.db, { statuses: ['failed', 'failed', 'failed'] });
  await insertOutboxRows(a.t.tdb.db, [{ topic: 'notification', payload: { kind: 'test' } }]);
  await a.t.tdb.db
    .update(outbox)
    .set({ created_at: new Date(Date.now() - 120_000) })
    .where(sql`${outbox.dispatched_at} IS NULL`);
  await check();
  const viewer = await createTestAdmin(a.t.server.deps, 'viewer');
  const caller = await callerFor(a.t.server.deps, viewer.principal);
  const firing = await caller.alerts.firing();
  expect(firing.total).toBe(2);
  expect(firing.items.map((item) => item.kind)).toEqual(['failure_rate', 'outbox_stuck']);
  const first = await caller.alerts.list({ state: 'firing', limit: 1 });
  expect(first.items).toHaveLength(1);
  const second = await caller.alerts.list({ state: 'firing', limit: 1, cursor: first.nextCursor! });
  expect(second.items).toHaveLength(1);
  expect(second.nextCursor).toBeNull();
  expect(new Set([first.items[0]!.kind, second.items[0]!.kind])).toEqual(
    new Set(['failure_rate', 'outbox_stuck']),
  );
  expect((await caller.alerts.list({ kind: 'outbox_stuck' })).items.map((item) => item.subject)).toEqual([
    'outbox',
  ]);
  expect((await caller.alerts.list({ state: 'resolved' })).items).toEqual([]);
  await expect(caller.alerts.list({ cursor: 'garbage' })).rejects.toThrow(/cursor/i);
});

test('every alert raised or resolved goes out on alert:{id}:status, which the hub hands to alerts.live', async () => {
  const heard: Array<{ alertId: number; status: string }> = [];
  const unsubscribe = a.t.server.deps.realtime.hub.onAlert((item) => {
    if (typeof item === 'object' && 'alertId' in item)
      heard.push({ alertId: item.alertId, status: item.status });
  });
  try {
    await createPaidOrder(a.t.tdb.db, { statuses: ['failed', 'failed', 'failed'] });
    const [raised] = await check();
    await expect
      .poll(() => heard, { timeout: 5_000 })
      .toEqual([{ alertId: raised!.alert.id, status: 'raised' }]);
    await a.t.tdb.db
      .update(downloadTasks)
      .set({ updated_at: new Date(0) })
      .where(eq(downloadTasks.status, 'failed'));
    await check();
    await expect
      .poll(() => heard.map((event) => event.status), { timeout: 5_000 })
      .toEqual(['raised', 'resolved']);
  } finally {
    unsubscribe();
  }
});
