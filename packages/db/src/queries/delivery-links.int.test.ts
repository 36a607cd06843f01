import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { deliveryDownloads, downloadTasks } from '../schema.ts';
import { createTestDatabase, insertTestOrder, type TestDatabase } from '../testing.ts';
import { appendAuditEvents } from './audit.ts';
import {
  activeDeliveryLink,
  adminAlertSentFor,
  countDeliveryDownload,
  deliveredFileKey,
  deliveredTasksOf,
  deliveryDownloadsOf,
  deliveryLinksOf,
  insertDeliveryLink,
  markDeliveryLinkOpened,
  revokeActiveDeliveryLinks,
  revokeDeliveryLink,
  setTaskDriveLink,
} from './delivery-links.ts';
import { insertTasks, transitionTask } from './tasks.ts';

let tdb: TestDatabase;
let code = 200_000;
beforeAll(async () => {
  tdb = await createTestDatabase('delivery_links');
});
afterAll(async () => {
  await tdb?.[Symbol.asyncDispose]();
});

const nonce = (c: string) => c.repeat(22);
const hour = 3_600_000;

async function order() {
  code++;
  return insertTestOrder(tdb.db, { order_code: `DH${code}` });
}

test('links: the newest unrevoked, unexpired one is active; revoking is once; re-issuing revokes the active', async () => {
  const orderId = await order();
  const now = new Date();
  const expired = await insertDeliveryLink(tdb.db, {
    orderId,
    nonce: nonce('a'),
    expiresAt: new Date(now.getTime() - hour),
    createdBy: 'system',
  });
  expect(await activeDeliveryLink(tdb.db, orderId, now)).toBeUndefined();
  const first = await insertDeliveryLink(tdb.db, {
    orderId,
    nonce: nonce('b'),
    expiresAt: new Date(now.getTime() + hour),
    createdBy: 'system',
  });
  expect(first).toMatchObject({
    order_id: orderId,
    nonce: nonce('b'),
    revoked_at: null,
    last_opened_on: null,
  });
  expect((await activeDeliveryLink(tdb.db, orderId, now))?.id).toBe(first.id);
  expect(await revokeDeliveryLink(tdb.db, first.id, 'ops@example.com')).toBe(true);
  expect(await revokeDeliveryLink(tdb.db, first.id, 'ops@example.com')).toBe(false);
  expect(await activeDeliveryLink(tdb.db, orderId, now)).toBeUndefined();

  const second = await insertDeliveryLink(tdb.db, {
    orderId,
    nonce: nonce('c'),
    expiresAt: new Date(now.getTime() + hour),
    createdBy: 'ops@example.com',
  });
  expect(await revokeActiveDeliveryLinks(tdb.db, orderId, 'ops2@example.com')).toEqual([second.id]);
  expect(await revokeActiveDeliveryLinks(tdb.db, orderId, 'ops2@example.com')).toEqual([]);
  const all = await deliveryLinksOf(tdb.db, orderId);
  expect(all.map((link) => link.id)).toEqual([second.id, first.id, expired.id]);
  expect(all[0]).toMatchObject({ revoked_by: 'ops2@example.com' });
  expect(all[2]!.revoked_at).toBeNull();
});

test('the first open of a day changes the link once; a later day again', async () => {
  const orderId = await order();
  const link = await insertDeliveryLink(tdb.db, {
    orderId,
    nonce: nonce('d'),
    expiresAt: new Date(Date.now() + hour),
    createdBy: 'system',
  });
  expect(await markDeliveryLinkOpened(tdb.db, link.id, '2025-06-01')).toBe(true);
  expect(await markDeliveryLinkOpened(tdb.db, link.id, '2025-06-01')).toBe(false);
  // A request that arrives late with an earlier day changes nothing either.
  expect(await markDeliveryLinkOpened(tdb.db, link.id, '2025-05-31')).toBe(false);
  expect(await markDeliveryLinkOpened(tdb.db, link.id, '2025-06-02')).toBe(true);
  expect((await deliveryLinksOf(tdb.db, orderId))[0]!.last_opened_on).toBe('2025-06-02');
});

test('downloads: a request that starts the file counts and creates its row; a later range only adds bytes', async () => {
  const orderId = await order();
  const [taskId] = await insertTasks(tdb.db, orderId, [{ title: 'A', course_url: 'http://x/a' }]);
  const path = 'week 1/lesson.mp4';
  // A range first (a client resuming a download started elsewhere): no row appears.
  await countDeliveryDownload(tdb.db, { taskId: taskId!, path, started: false, bytes: 500 });
  expect(await deliveryDownloadsOf(tdb.db, [taskId!])).toEqual([]);
  await countDeliveryDownload(tdb.db, { taskId: taskId!, path, started: true, bytes: 1000 });
  await countDeliveryDownload(tdb.db, { taskId: taskId!, path, started: false, bytes: 500 });
  await countDeliveryDownload(tdb.db, { taskId: taskId!, path, started: true, bytes: 1500 });
  const rows = await tdb.db.select().from(deliveryDownloads).where(eq(deliveryDownloads.task_id, taskId!));
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({
    file_key: deliveredFileKey(path),
    file_path: path,
    downloads: 2,
    bytes_sent: 3000,
  });
  expect(deliveredFileKey(path)).toMatch(/^[0-9a-f]{64}$/);
  expect((await deliveryDownloadsOf(tdb.db, [taskId!]))[0]).toMatchObject({
    path,
    downloads: 2,
    bytesSent: 3000,
  });
});

test('delivered tasks: a completed task with a manifest serves it; anything else serves nothing', async () => {
  const orderId = await order();
  const [done, legacy, broken, queued] = await insertTasks(tdb.db, orderId, [
    { title: 'Done', course_url: 'http://x/a' },
    { title: 'Legacy', course_url: 'http://x/b' },
    { title: 'Broken', course_url: 'http://x/c' },
    { title: 'Queued', course_url: 'http://x/d', status: 'queued' },
  ]);
  const files = [{ path: 'a.mp4', size: 3, contentType: 'video/mp4' }];
  await transitionTask(tdb.db, { taskId: done!, to: 'completed', patch: { delivered_files: files } });
  await transitionTask(tdb.db, { taskId: legacy!, to: 'completed', patch: { drive_link: 'file:///old' } });
  await transitionTask(tdb.db, { taskId: broken!, to: 'completed' });
  // Not in the contract's shape: served as nothing, never as whatever it holds.
  await tdb.db
    .update(downloadTasks)
    .set({ delivered_files: [{ path: '../../etc/passwd', size: 1, contentType: 'text/plain' }] })
    .where(eq(downloadTasks.id, broken!));
  await setTaskDriveLink(tdb.db, done!, 'https://shop.example/d/x#course-1');
  const tasks = await deliveredTasksOf(tdb.db, orderId);
  expect(tasks.map((task) => [task.id, task.files])).toEqual([
    [done, files],
    [legacy, null],
    [broken, null],
    [queued, null],
  ]);
  expect(tasks[0]!.driveLink).toBe('https://shop.example/d/x#course-1');
});

test('an order is known to have had an admin alert only once one was sent', async () => {
  const orderId = await order();
  expect(await adminAlertSentFor(tdb.db, orderId)).toBe(false);
  await appendAuditEvents(tdb.db, [
    { order_id: orderId, event_type: 'notification_sent', message: 'sent', source: 'notifier' },
  ]);
  expect(await adminAlertSentFor(tdb.db, orderId)).toBe(false);
  await appendAuditEvents(tdb.db, [
    {
      order_id: orderId,
      event_type: 'admin_alert_sent',
      severity: 'warning',
      message: 'alert',
      source: 'notifier',
    },
  ]);
  expect(await adminAlertSentFor(tdb.db, orderId)).toBe(true);
});
