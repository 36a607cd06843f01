import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { downloadTasks, outbox } from '@paidflow/db';
import type { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { callerFor, createTestAdmin, type TestAdmin } from '../../testing/live-fixtures.ts';
import {
  auditEventsOf,
  createOrder,
  deliverTestTask,
  postWebhook,
  sepayTransaction,
  startTestServer,
  type TestServer,
  waitFor,
} from '../../testing/pipeline-fixtures.ts';

let t: TestServer;
let deliveryDir: string;
let operator: TestAdmin;
let viewer: TestAdmin;

beforeAll(async () => {
  deliveryDir = await mkdtemp(path.join(os.tmpdir(), 'paidflow-delivery-ops-'));
  t = await startTestServer('delivery_ops', { DELIVERY_DIR: deliveryDir, OUTBOX_POLL_MS: '100' });
  operator = await createTestAdmin(t.server.deps, 'operator');
  viewer = await createTestAdmin(t.server.deps, 'viewer');
});
afterAll(async () => {
  await t?.close();
  await rm(deliveryDir, { recursive: true, force: true });
});

/** A paid order of two courses, both delivered: the order is completed and has one link. */
async function deliveredOrder() {
  const order = await createOrder(t.tdb.db, { tasks: 2 });
  expect((await postWebhook(t.server.url, sepayTransaction(order.code, order.total))).status).toBe(200);
  for (const taskId of order.taskIds) {
    await deliverTestTask(t.server, { taskId, files: [{ path: `course-${taskId}.mp4`, content: 'abc' }] });
  }
  return order;
}

async function status(pathname: string) {
  return (await fetch(`${t.server.url}${pathname}`)).status;
}

async function linksOf(taskIds: number[]) {
  const rows = await t.tdb.db.select().from(downloadTasks);
  return rows.filter((row) => taskIds.includes(row.id)).map((row) => row.drive_link!);
}

const codeOf = (error: unknown) => (error as TRPCError).code;

test('a viewer sees the link with its status and the per-file download counts, and may change nothing', async () => {
  const order = await deliveredOrder();
  const api = await callerFor(t.server.deps, viewer.principal);
  const overview = await api.delivery.links({ orderId: order.orderId });
  expect(overview.links).toHaveLength(1);
  const [link] = overview.links;
  expect(link).toMatchObject({ status: 'active', createdBy: 'system', revokedAt: null, lastOpenedOn: null });
  expect(link!.url).toMatch(/\/d\/\d+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
  expect(link!.expiresAt.getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000);
  // Both tasks link to the page (at their course), so the e-mail does.
  for (const [i, driveLink] of (await linksOf(order.taskIds)).entries()) {
    expect(driveLink).toBe(`${link!.url}#course-${order.taskIds[i]}`);
  }
  expect(overview.files).toEqual(
    order.taskIds.map((taskId, i) => ({
      taskId,
      title: `Course ${i + 1}`,
      path: `course-${taskId}.mp4`,
      size: 3,
      downloads: 0,
      bytesSent: 0,
      lastDownloadAt: null,
    })),
  );
  const pathname = new URL(link!.url).pathname;
  expect(
    await (
      await fetch(`${t.server.url}${pathname}/f/${order.taskIds[0]}/course-${order.taskIds[0]}.mp4`)
    ).text(),
  ).toBe('abc');
  await waitFor(async () => (await api.delivery.links({ orderId: order.orderId })).files[0]!.downloads === 1);

  for (const call of [
    () => api.delivery.revoke({ linkId: link!.id }),
    () => api.delivery.reissue({ orderId: order.orderId }),
    () => api.delivery.resend({ orderId: order.orderId }),
  ]) {
    expect(codeOf(await call().catch((e: unknown) => e))).toBe('FORBIDDEN');
  }
  const signedOut = await callerFor(t.server.deps, null);
  expect(codeOf(await signedOut.delivery.links({ orderId: order.orderId }).catch((e: unknown) => e))).toBe(
    'UNAUTHORIZED',
  );
  expect(codeOf(await api.delivery.links({ orderId: 999_999 }).catch((e: unknown) => e))).toBe('NOT_FOUND');
});

test('revoke: the page answers 410 from then on, audited with the operator; twice is CONFLICT', async () => {
  const order = await deliveredOrder();
  const api = await callerFor(t.server.deps, operator.principal);
  const [link] = (await api.delivery.links({ orderId: order.orderId })).links;
  const pathname = new URL(link!.url).pathname;
  expect(await status(pathname)).toBe(200);
  expect(await api.delivery.revoke({ linkId: link!.id })).toEqual({ ok: true });
  expect(await status(pathname)).toBe(410);
  const [after] = (await api.delivery.links({ orderId: order.orderId })).links;
  expect(after).toMatchObject({ id: link!.id, status: 'revoked', revokedBy: operator.email });
  const events = (await auditEventsOf(t.tdb.db, order.orderId)).filter(
    (e) => e.event_type === 'delivery_link_revoked',
  );
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({
    source: `operator:${operator.email}`,
    details: { actor: { id: operator.id, email: operator.email }, linkId: link!.id },
  });
  expect(codeOf(await api.delivery.revoke({ linkId: link!.id }).catch((e: unknown) => e))).toBe('CONFLICT');
  expect(codeOf(await api.delivery.revoke({ linkId: 999_999 }).catch((e: unknown) => e))).toBe('NOT_FOUND');
});

test('reissue: the active link is revoked, a new one works, and every task links to it; audited with the operator', async () => {
  const order = await deliveredOrder();
  const api = await callerFor(t.server.deps, operator.principal);
  const [old] = (await api.delivery.links({ orderId: order.orderId })).links;
  const fresh = await api.delivery.reissue({ orderId: order.orderId });
  expect(fresh.linkId).not.toBe(old!.id);
  const links = (await api.delivery.links({ orderId: order.orderId })).links;
  expect(links.map((link) => [link.id, link.status])).toEqual([
    [fresh.linkId, 'active'],
    [old!.id, 'revoked'],
  ]);
  expect(links[0]!.createdBy).toBe(operator.email);
  expect(await status(new URL(old!.url).pathname)).toBe(410);
  expect(await status(new URL(fresh.url).pathname)).toBe(200);
  for (const [i, driveLink] of (await linksOf(order.taskIds)).entries()) {
    expect(driveLink).toBe(`${fresh.url}#course-${order.taskIds[i]}`);
  }
  const events = await auditEventsOf(t.tdb.db, order.orderId);
  const issued = events.filter((e) => e.event_type === 'delivery_link_issued');
  expect(issued).toHaveLength(2);
  expect(issued[1]).toMatchObject({
    source: `operator:${operator.email}`,
    details: { actor: { id: operator.id, email: operator.email }, linkId: fresh.linkId, replaces: [old!.id] },
  });
  // The token is the customer's key: the audit log never holds it.
  expect(JSON.stringify(events)).not.toContain(new URL(fresh.url).pathname.slice(3));
  const revoked = events.filter((e) => e.event_type === 'delivery_link_revoked');
  expect(revoked).toMatchObject([
    { details: { linkId: old!.id, reason: 'reissued', actor: { email: operator.email } } },
  ]);

  const nothing = await createOrder(t.tdb.db, { tasks: 1 });
  expect(codeOf(await api.delivery.reissue({ orderId: nothing.orderId }).catch((e: unknown) => e))).toBe(
    'CONFLICT',
  );
  expect(codeOf(await api.delivery.reissue({ orderId: 999_999 }).catch((e: unknown) => e))).toBe('NOT_FOUND');
});

test('resend: a second customer e-mail through the outbox, audited with the operator; a revoked link is replaced first', async () => {
  const order = await deliveredOrder();
  const api = await callerFor(t.server.deps, operator.principal);
  const notifications = async () =>
    (await t.tdb.db.select().from(outbox).where(eq(outbox.topic, 'notification'))).filter(
      (row) => (row.payload as { orderId: number }).orderId === order.orderId,
    );
  await waitFor(
    async () => (await notifications()).every((row) => row.dispatched_at),
    10_000,
    'the first e-mail',
  );
  const [link] = (await api.delivery.links({ orderId: order.orderId })).links;
  await api.delivery.revoke({ linkId: link!.id });
  expect(await api.delivery.resend({ orderId: order.orderId })).toEqual({ ok: true });
  const rows = await notifications();
  expect(rows).toHaveLength(2);
  expect(rows[1]!.payload).toEqual({
    kind: 'order_completed',
    orderId: order.orderId,
    resentBy: operator.email,
  });
  const links = (await api.delivery.links({ orderId: order.orderId })).links;
  expect(links.map((l) => l.status)).toEqual(['active', 'revoked']);
  await waitFor(
    async () =>
      (await auditEventsOf(t.tdb.db, order.orderId)).filter((e) => e.event_type === 'notification_sent')
        .length === 2,
    10_000,
    'the second e-mail',
  );
  const events = await auditEventsOf(t.tdb.db, order.orderId);
  expect(events.find((e) => e.event_type === 'notification_resend_requested')).toMatchObject({
    source: `operator:${operator.email}`,
    details: { actor: { id: operator.id, email: operator.email } },
  });
  const sent = events.filter((e) => e.event_type === 'notification_sent');
  expect(sent[1]).toMatchObject({ details: { resentBy: operator.email, link: true } });

  const running = await createOrder(t.tdb.db, { tasks: 1 });
  expect((await postWebhook(t.server.url, sepayTransaction(running.code, running.total))).status).toBe(200);
  expect(codeOf(await api.delivery.resend({ orderId: running.orderId }).catch((e: unknown) => e))).toBe(
    'CONFLICT',
  );
});
