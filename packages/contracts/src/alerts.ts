import { z } from 'zod';
import { Cursor, EpochMs, Id, keysetPage } from './common.ts';
import { ALERT_KINDS, SEVERITIES } from './constants.ts';

// Operational alerts (docs/alerts.md, decision 050): one row per firing of a (kind, subject),
// from raised to resolved, shown in the dashboard's banner and Alerts page.

export const AlertKind = z.enum(ALERT_KINDS);
export type AlertKind = z.infer<typeof AlertKind>;

export const AlertSeverity = z.enum(SEVERITIES);
export type AlertSeverity = z.infer<typeof AlertSeverity>;

/** One alert as the dashboard shows it. */
export const AlertView = z.object({
  id: Id,
  kind: AlertKind,
  /** What fires: a worker's id, `downloads`, `outbox`, `inbox`, `mysql`, `redis`. */
  subject: z.string(),
  severity: AlertSeverity,
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
  raisedAt: z.date(),
  lastSeenAt: z.date(),
  lastNotifiedAt: z.date().nullable(),
  reminders: z.int().nonnegative(),
  /** Null while the alert fires. */
  resolvedAt: z.date().nullable(),
});
export type AlertView = z.infer<typeof AlertView>;

/** The history's state filter. */
export const AlertStateFilter = z.enum(['firing', 'resolved']);
export type AlertStateFilter = z.infer<typeof AlertStateFilter>;

/** The Alerts page: newest raised first, by state and kind; keyset cursor. */
export const ListAlertsInput = z.object({
  state: AlertStateFilter.optional(),
  kind: AlertKind.optional(),
  limit: z.int().min(1).max(100).default(25),
  cursor: Cursor.optional(),
});
export type ListAlertsInput = z.input<typeof ListAlertsInput>;

export const AlertsPage = keysetPage(AlertView);
export type AlertsPage = z.infer<typeof AlertsPage>;

/** What fires now (the banner): at most `limit` of them, the most severe first, and how many in all. */
export const FiringAlerts = z.object({
  total: z.int().nonnegative(),
  items: z.array(AlertView),
});
export type FiringAlerts = z.infer<typeof FiringAlerts>;

/** alert:{id}:status: an alert was raised, reminded about or resolved (after its row was written). */
export const AlertStatusEvent = z.object({
  alertId: Id,
  kind: AlertKind,
  subject: z.string(),
  status: z.enum(['raised', 'reminded', 'resolved']),
  timestamp: EpochMs,
});
export type AlertStatusEvent = z.infer<typeof AlertStatusEvent>;

/** What alerts.live yields: `ready` (fetch what you show), `resync` (refetch), each status change. */
export const AlertLiveEvent = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ready') }),
  z.object({ kind: z.literal('resync') }),
  z.object({ kind: z.literal('alert.status'), data: AlertStatusEvent }),
]);
export type AlertLiveEvent = z.infer<typeof AlertLiveEvent>;
