import {
  type DeliveryOverview,
  type DeliveryReissueResult,
  deliveryLinkStatus,
  isEndedOrderStatus,
} from '@paidflow/contracts';
import {
  appendAuditEvents,
  deliveredTasksOf,
  deliveryDownloadsOf,
  deliveryLinksOf,
  findDeliveryLink,
  findOrder,
  insertOutboxRows,
  lockOrder,
  NOTIFICATION_TOPIC,
  revokeActiveDeliveryLinks,
  revokeDeliveryLink,
  withTransaction,
} from '@paidflow/db';
import { deliveryPageUrl, ensureDeliveryLink, issueDeliveryLink } from '../delivery/links.ts';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors.ts';
import type { NotificationPayload } from '../notify/payloads.ts';
import { type Actor, actorDetails, operatorSource } from './operator-actions.ts';

// The operator's control of an order's delivery links (decision 044): each action runs with the
// order locked (the lock every writer of order state takes first) and is audited with its actor.

export type DeliveryActionDeps = Pick<AppDeps, 'db' | 'env' | 'logger' | 'kickOutbox'>;

/** An order's links (newest first, with their status now) and its delivered files with their counts. */
export async function deliveryOverview(deps: DeliveryActionDeps, orderId: number): Promise<DeliveryOverview> {
  if (!(await findOrder(deps.db, orderId)))
    throw new AppError('NOT_FOUND', `order ${orderId} does not exist`);
  const now = new Date();
  const links = (await deliveryLinksOf(deps.db, orderId)).map((link) => ({
    id: link.id,
    status: deliveryLinkStatus(link, now),
    url: deliveryPageUrl(deps.env, link),
    expiresAt: link.expires_at,
    createdAt: link.created_at,
    createdBy: link.created_by,
    revokedAt: link.revoked_at,
    revokedBy: link.revoked_by,
    lastOpenedOn: link.last_opened_on,
  }));
  const tasks = (await deliveredTasksOf(deps.db, orderId)).filter((task) => task.files);
  const counts = new Map(
    (
      await deliveryDownloadsOf(
        deps.db,
        tasks.map((task) => task.id),
      )
    ).map((row) => [`${row.taskId}/${row.path}`, row]),
  );
  const files = tasks.flatMap((task) =>
    (task.files ?? []).map((file) => {
      const count = counts.get(`${task.id}/${file.path}`);
      return {
        taskId: task.id,
        title: task.title,
        path: file.path,
        size: file.size,
        downloads: count?.downloads ?? 0,
        bytesSent: count?.bytesSent ?? 0,
        lastDownloadAt: count?.lastDownloadAt ?? null,
      };
    }),
  );
  return { links, files };
}

/** Revokes one link: the customer's page answers 410 from now on. CONFLICT when revoked already. */
export async function revokeLink(
  deps: DeliveryActionDeps,
  input: { linkId: number; actor: Actor },
): Promise<void> {
  const { linkId, actor } = input;
  const found = await findDeliveryLink(deps.db, linkId);
  if (!found) throw new AppError('NOT_FOUND', `delivery link ${linkId} does not exist`);
  await withTransaction(deps.db, async (tx) => {
    await lockOrder(tx, found.order_id);
    if (!(await revokeDeliveryLink(tx, linkId, actor.email))) {
      throw new AppError('CONFLICT', `delivery link ${linkId} is revoked already`);
    }
    await appendAuditEvents(tx, [
      {
        order_id: found.order_id,
        event_type: 'delivery_link_revoked',
        severity: 'warning',
        message: `Delivery link #${linkId} revoked by ${actor.email}`,
        details: { ...actorDetails(actor), linkId },
        source: operatorSource(actor),
      },
    ]);
  });
  deps.logger.info({ linkId, orderId: found.order_id, actor: actor.email }, 'delivery link revoked');
}

/**
 * Re-issues an order's link: every active link is revoked, a new one is issued, and the delivered
 * tasks' drive_link point at it. CONFLICT when nothing of the order was delivered.
 */
export async function reissueLink(
  deps: DeliveryActionDeps,
  input: { orderId: number; actor: Actor },
): Promise<DeliveryReissueResult> {
  const { orderId, actor } = input;
  const link = await withTransaction(deps.db, async (tx) => {
    if (!(await lockOrder(tx, orderId))) throw new AppError('NOT_FOUND', `order ${orderId} does not exist`);
    if (!(await deliveredTasksOf(tx, orderId)).some((task) => task.files)) {
      throw new AppError('CONFLICT', `order ${orderId} has no delivered course to link to`);
    }
    const revoked = await revokeActiveDeliveryLinks(tx, orderId, actor.email);
    await appendAuditEvents(
      tx,
      revoked.map((id) => ({
        order_id: orderId,
        event_type: 'delivery_link_revoked' as const,
        severity: 'warning' as const,
        message: `Delivery link #${id} revoked by ${actor.email}: a new link replaces it`,
        details: { ...actorDetails(actor), linkId: id, reason: 'reissued' },
        source: operatorSource(actor),
      })),
    );
    return issueDeliveryLink(tx, deps.env, {
      orderId,
      createdBy: actor.email,
      source: operatorSource(actor),
      details: { ...actorDetails(actor), reason: 'reissued', replaces: revoked },
    });
  });
  deps.logger.info({ linkId: link.id, orderId, actor: actor.email }, 'delivery link re-issued');
  return { ok: true, linkId: link.id, url: deliveryPageUrl(deps.env, link) };
}

/**
 * Sends the customer's order notification again (an order_completed outbox row with resentBy).
 * An order with delivered courses but no working link gets a new one first, so that the e-mail's
 * link works. CONFLICT while the order has not ended.
 */
export async function resendNotification(
  deps: DeliveryActionDeps,
  input: { orderId: number; actor: Actor },
): Promise<void> {
  const { orderId, actor } = input;
  await withTransaction(deps.db, async (tx) => {
    const order = await lockOrder(tx, orderId);
    if (!order) throw new AppError('NOT_FOUND', `order ${orderId} does not exist`);
    if (!isEndedOrderStatus(order.order_status)) {
      throw new AppError('CONFLICT', `order ${orderId} is ${order.order_status}: it has not ended yet`);
    }
    if ((await deliveredTasksOf(tx, orderId)).some((task) => task.files)) {
      await ensureDeliveryLink(tx, deps.env, {
        orderId,
        createdBy: actor.email,
        source: operatorSource(actor),
        details: { ...actorDetails(actor), reason: 'resend without a working link' },
      });
    }
    const payload: NotificationPayload = { kind: 'order_completed', orderId, resentBy: actor.email };
    await insertOutboxRows(tx, [{ topic: NOTIFICATION_TOPIC, payload }]);
    await appendAuditEvents(tx, [
      {
        order_id: orderId,
        event_type: 'notification_resend_requested',
        message: `Customer notification resend requested by ${actor.email}`,
        details: { ...actorDetails(actor) },
        source: operatorSource(actor),
      },
    ]);
  });
  deps.kickOutbox();
  deps.logger.info({ orderId, actor: actor.email }, 'customer notification resend requested');
}
