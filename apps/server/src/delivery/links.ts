import {
  activeDeliveryLink,
  appendAuditEvents,
  type DbOrTx,
  type DeliveryLinkRow,
  deliveredTasksOf,
  insertDeliveryLink,
  setTaskDriveLink,
} from '@paidflow/db';
import type { ServerEnv } from '../env.ts';
import { newDeliveryNonce, signDeliveryToken } from './tokens.ts';

type LinkEnv = Pick<ServerEnv, 'DELIVERY_SECRETS' | 'DELIVERY_LINK_TTL' | 'PUBLIC_BASE_URL'>;

/** The link's token, signed with the first of DELIVERY_SECRETS. */
export function deliveryToken(env: LinkEnv, link: Pick<DeliveryLinkRow, 'id' | 'nonce'>): string {
  return signDeliveryToken(env.DELIVERY_SECRETS[0]!, { linkId: link.id, nonce: link.nonce });
}

/** The customer's page: `${PUBLIC_BASE_URL}/d/<token>`. */
export function deliveryPageUrl(env: LinkEnv, link: Pick<DeliveryLinkRow, 'id' | 'nonce'>): string {
  return `${env.PUBLIC_BASE_URL}/d/${deliveryToken(env, link)}`;
}

/** A task's drive_link: the order's page, at the course. */
export function courseUrl(env: LinkEnv, link: Pick<DeliveryLinkRow, 'id' | 'nonce'>, taskId: number): string {
  return `${deliveryPageUrl(env, link)}#course-${taskId}`;
}

export interface IssueOptions {
  orderId: number;
  /** Who asked: `system` or an operator's e-mail (delivery_links.created_by). */
  createdBy: string;
  /** The audit source (worker, operator:<email>). */
  source: string;
  /** Extra audit details (the operator as `actor`, the reason). */
  details?: Record<string, unknown>;
}

/**
 * Issues a new link for an order and points every delivered task's drive_link at it, audited as
 * delivery_link_issued. Call it with the order locked, so that an order has one active link
 * (unless an operator re-issues, which revokes the old one first).
 */
export async function issueDeliveryLink(
  tx: DbOrTx,
  env: LinkEnv,
  options: IssueOptions,
  now: Date = new Date(),
): Promise<DeliveryLinkRow> {
  const link = await insertDeliveryLink(tx, {
    orderId: options.orderId,
    nonce: newDeliveryNonce(),
    expiresAt: new Date(now.getTime() + env.DELIVERY_LINK_TTL * 1000),
    createdBy: options.createdBy,
  });
  for (const task of await deliveredTasksOf(tx, options.orderId)) {
    if (task.files) await setTaskDriveLink(tx, task.id, courseUrl(env, link, task.id));
  }
  await appendAuditEvents(tx, [
    {
      order_id: options.orderId,
      event_type: 'delivery_link_issued',
      message: `Delivery link #${link.id} issued, valid until ${link.expires_at.toISOString()}`,
      // Never the token: the audit log is readable by every admin, the token is the customer's key.
      details: { linkId: link.id, expiresAt: link.expires_at.toISOString(), ...options.details },
      source: options.source,
    },
  ]);
  return link;
}

/** The order's active link, or a new one (with the order locked). */
export async function ensureDeliveryLink(
  tx: DbOrTx,
  env: LinkEnv,
  options: IssueOptions,
  now: Date = new Date(),
): Promise<DeliveryLinkRow> {
  return (await activeDeliveryLink(tx, options.orderId, now)) ?? issueDeliveryLink(tx, env, options, now);
}
