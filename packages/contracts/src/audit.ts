import { z } from 'zod';
import { Cursor, Id, keysetPage } from './common.ts';
import { AUDIT_CATEGORIES, SEVERITIES } from './constants.ts';
import { ErrorType } from './errors.ts';

export const AuditCategory = z.enum(AUDIT_CATEGORIES);
export type AuditCategory = z.infer<typeof AuditCategory>;

export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

/**
 * Every event type, each with the category it belongs to. One per state change of the
 * pipeline and one per operator action, so the audit trail tells the whole story.
 */
export const AUDIT_EVENT_CATEGORY = {
  order_created: 'system',
  payment_received: 'payment',
  payment_underpaid: 'payment',
  payment_refunded: 'payment',
  payment_overpaid: 'payment',
  payment_matched: 'payment',
  payment_ignored: 'payment',
  task_created: 'system',
  task_queued: 'system',
  task_requeued: 'system',
  enrollment_started: 'enrollment',
  enrollment_success: 'enrollment',
  enrollment_failed: 'enrollment',
  download_started: 'download',
  download_completed: 'download',
  download_failed: 'download',
  download_retry_scheduled: 'download',
  upload_started: 'download',
  upload_completed: 'download',
  upload_failed: 'download',
  task_completed: 'system',
  task_failed: 'system',
  task_cancelled: 'system',
  task_retry_requested: 'system',
  task_cancel_requested: 'system',
  dead_letter_removed: 'system',
  order_completed: 'system',
  order_failed: 'system',
  notification_sent: 'notification',
  notification_failed: 'notification',
  admin_alert_sent: 'notification',
  notification_resend_requested: 'notification',
  delivery_link_issued: 'notification',
  delivery_link_revoked: 'notification',
  delivery_opened: 'notification',
  priority_changed: 'system',
} as const satisfies Record<string, AuditCategory>;

export type AuditEventType = keyof typeof AUDIT_EVENT_CATEGORY;
export const AUDIT_EVENT_TYPES = Object.keys(AUDIT_EVENT_CATEGORY) as [AuditEventType, ...AuditEventType[]];
export const AuditEventType = z.enum(AUDIT_EVENT_TYPES);

/** Event types written on behalf of an admin: they always carry the admin in details.actor. */
export const OPERATOR_EVENT_TYPES = [
  'task_retry_requested',
  'task_cancel_requested',
  'dead_letter_removed',
  'payment_matched',
  'payment_ignored',
  'payment_refunded',
  'notification_resend_requested',
  'delivery_link_revoked',
  'priority_changed',
] as const satisfies AuditEventType[];

export function categoryOf(eventType: AuditEventType): AuditCategory {
  return AUDIT_EVENT_CATEGORY[eventType];
}

/** Who wrote an event: a system component or an operator. */
export const AuditSource = z
  .string()
  .min(1)
  .max(50)
  .regex(
    /^[a-z][a-z0-9_:.@+-]*$/,
    'source must be a lower-case identifier such as worker, webhook:sepay or operator:ops@example.com',
  );

/** JSON details: any JSON object. */
export const AuditDetails = z.record(z.string(), z.unknown());
export type AuditDetails = z.infer<typeof AuditDetails>;

/** An event to write. category defaults to the event type's own. */
export const NewAuditEvent = z
  .object({
    order_id: Id,
    task_id: Id.nullable().default(null),
    event_type: AuditEventType,
    event_category: AuditCategory.optional(),
    severity: Severity.default('info'),
    message: z.string().min(1).max(4000),
    details: AuditDetails.nullable().default(null),
    previous_status: z.string().max(50).nullable().default(null),
    new_status: z.string().max(50).nullable().default(null),
    source: AuditSource,
    /** The classified error type, for error and critical events. */
    error_type: ErrorType.nullable().default(null),
    /** Makes a write idempotent: a second event with the same key is ignored. */
    dedupe_key: z.string().min(1).max(191).nullable().default(null),
  })
  .refine((event) => !event.event_category || event.event_category === categoryOf(event.event_type), {
    message: "event_category must be the event type's own category",
    path: ['event_category'],
  });
export type NewAuditEvent = z.input<typeof NewAuditEvent>;

export const AuditEvent = z.object({
  id: Id,
  order_id: Id,
  task_id: Id.nullable(),
  event_type: AuditEventType,
  event_category: AuditCategory,
  severity: Severity,
  message: z.string(),
  details: AuditDetails.nullable(),
  previous_status: z.string().nullable(),
  new_status: z.string().nullable(),
  source: z.string(),
  error_type: ErrorType.nullable(),
  created_at: z.date(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

export const ListAuditLogInput = z.object({
  orderId: Id,
  severity: z.array(Severity).max(SEVERITIES.length).optional(),
  category: z.array(AuditCategory).max(AUDIT_CATEGORIES.length).optional(),
  taskId: Id.optional(),
  limit: z.int().min(1).max(200).default(50),
  cursor: Cursor.optional(),
});
export type ListAuditLogInput = z.input<typeof ListAuditLogInput>;

export const AuditLogPage = keysetPage(AuditEvent.extend({ task_title: z.string().nullable() }));
export type AuditLogPage = z.infer<typeof AuditLogPage>;

/**
 * An order's audit events that the retention job archived out of the live table (decision 055):
 * how many, their time span, and the files (on the server's ARCHIVE_DIR) that hold them.
 */
export const OrderAuditArchives = z.object({
  events: z.int().nonnegative(),
  oldestAt: z.date().nullable(),
  newestAt: z.date().nullable(),
  files: z.array(
    z.object({
      file: z.string(),
      events: z.int().nonnegative(),
      oldestAt: z.date(),
      newestAt: z.date(),
      archivedAt: z.date(),
    }),
  ),
});
export type OrderAuditArchives = z.infer<typeof OrderAuditArchives>;
