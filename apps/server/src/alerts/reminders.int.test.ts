import { alerts, claimAlertReminder } from '@paidflow/db';
import { createTestDatabase, type TestDatabase } from '@paidflow/db/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { applyOutcomes } from './lifecycle.ts';
import { mysqlAlertStore } from './store.ts';
import type { Finding } from './types.ts';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase('alertremind');
});
afterAll(() => tdb[Symbol.asyncDispose]());

const backlog: Finding = {
  kind: 'queue_backlog',
  subject: 'downloads',
  severity: 'warning',
  message: 'backlog',
  details: {},
};

test('two evaluators due to remind at once: one reminder is claimed, sent and counted', async () => {
  await tdb.db.delete(alerts);
  const store = mysqlAlertStore(tdb.db);
  const raisedAt = new Date(Date.now() - 60_000);
  const round = (now: Date) =>
    applyOutcomes({
      store,
      outcomes: [{ kinds: ['queue_backlog'], firing: [backlog] }],
      now,
      remindMs: 1_000,
    });
  expect((await round(raisedAt)).map((event) => event.type)).toEqual(['raised']);
  const now = new Date();
  const [first, second] = await Promise.all([round(now), round(new Date(now.getTime() + 1))]);
  expect([...first, ...second].map((event) => `${event.type} ${event.alert.reminders}`)).toEqual([
    'reminder 1',
  ]);
  const [row] = await tdb.db.select().from(alerts);
  expect(row!.reminders).toBe(1);
});

test('the reminder claim is fenced on the previous notified time, NULL included', async () => {
  await tdb.db.delete(alerts);
  const store = mysqlAlertStore(tdb.db);
  const raised = await store.raise(backlog, new Date(Date.now() - 60_000));
  const id = raised!.id!;
  const at = new Date();
  // Never notified yet (NULL): the first claim wins, the second (same previous) loses.
  expect(await claimAlertReminder(tdb.db, id, { previous: null, at })).toBe(true);
  expect(await claimAlertReminder(tdb.db, id, { previous: null, at })).toBe(false);
  const later = new Date(at.getTime() + 5_000);
  expect(await claimAlertReminder(tdb.db, id, { previous: at, at: later })).toBe(true);
  expect(await claimAlertReminder(tdb.db, id, { previous: at, at: later })).toBe(false);
  const [row] = await tdb.db.select().from(alerts);
  expect(row).toMatchObject({ reminders: 2, last_notified_at: later });
  // A resolved alert is not reminded.
  await store.resolve(raised!, new Date());
  expect(await claimAlertReminder(tdb.db, id, { previous: later, at: new Date() })).toBe(false);
});
