import { z } from 'zod';
import { Id } from './common.ts';

/**
 * The customer's delivery links (decision 044): what the operator's API answers, and the layout
 * of the `local` destination, which the worker writes and the server reads.
 */

export const DELIVERY_LINK_STATUSES = ['active', 'expired', 'revoked'] as const;
export const DeliveryLinkStatus = z.enum(DELIVERY_LINK_STATUSES);
export type DeliveryLinkStatus = z.infer<typeof DeliveryLinkStatus>;

/** A link's status now: revoked wins over expired (an operator's act is the news). */
export function deliveryLinkStatus(
  link: { expires_at: Date; revoked_at: Date | null },
  now: Date = new Date(),
): DeliveryLinkStatus {
  if (link.revoked_at) return 'revoked';
  return link.expires_at.getTime() <= now.getTime() ? 'expired' : 'active';
}

export const DeliveryOrderInput = z.object({ orderId: Id });
export type DeliveryOrderInput = z.infer<typeof DeliveryOrderInput>;

export const DeliveryLinkInput = z.object({ linkId: Id });
export type DeliveryLinkInput = z.infer<typeof DeliveryLinkInput>;

/** One link of an order, as the operator sees it. */
export const DeliveryLinkView = z.object({
  id: Id,
  status: DeliveryLinkStatus,
  /** The public page: what the customer's e-mail carries. */
  url: z.string(),
  expiresAt: z.date(),
  createdAt: z.date(),
  createdBy: z.string(),
  revokedAt: z.date().nullable(),
  revokedBy: z.string().nullable(),
  /** The last day (UTC, YYYY-MM-DD) the page was opened, if ever. */
  lastOpenedOn: z.string().nullable(),
});
export type DeliveryLinkView = z.infer<typeof DeliveryLinkView>;

/** One delivered file with its download counts (requests that started the file). */
export const DeliveredFileStats = z.object({
  taskId: Id,
  title: z.string(),
  path: z.string(),
  size: z.int().nonnegative(),
  downloads: z.int().nonnegative(),
  bytesSent: z.int().nonnegative(),
  lastDownloadAt: z.date().nullable(),
});
export type DeliveredFileStats = z.infer<typeof DeliveredFileStats>;

/** delivery.links: an order's links, newest first, and its delivered files. */
export const DeliveryOverview = z.object({
  links: z.array(DeliveryLinkView),
  files: z.array(DeliveredFileStats),
});
export type DeliveryOverview = z.infer<typeof DeliveryOverview>;

/** delivery.reissue: the new link. */
export const DeliveryReissueResult = z.object({ ok: z.literal(true), linkId: Id, url: z.string() });
export type DeliveryReissueResult = z.infer<typeof DeliveryReissueResult>;

/** A directory-name-safe slug of a course title (ASCII, lower case, at most 60 characters). */
export function deliverySlug(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || 'course';
}

/** Keeps a path segment a single segment, whatever the order code holds. */
export function deliverySegment(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9_-]/g, '_');
  return safe || 'order';
}

/**
 * Where the `local` destination keeps a task's files, relative to DELIVERY_DIR (POSIX):
 * `<order code>/<task id>-<slug of the title>`. The worker writes there and the server serves
 * from there, so both compute it here.
 */
export function localDeliveryPath(task: { orderCode: string; taskId: number; title: string }): string {
  return `${deliverySegment(task.orderCode)}/${task.taskId}-${deliverySlug(task.title)}`;
}
