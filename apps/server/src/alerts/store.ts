import { type AlertKind, AlertKind as AlertKindSchema } from '@paidflow/contracts';
import {
  type AlertRow,
  alertOpenKey,
  claimAlertReminder,
  type Db,
  insertAlert,
  markAlertNotified,
  openAlerts,
  resolveAlert,
  toAlertView,
  touchAlert,
} from '@paidflow/db';
import type { Logger, RedisClient } from '@paidflow/runtime';
import { z } from 'zod';
import type { Finding, TrackedAlert } from './types.ts';

/** Where the lifecycle keeps the alerts that fire: MySQL, or (while MySQL is down) the offline store. */
export interface AlertStore {
  open(): Promise<TrackedAlert[]>;
  /** Null: another evaluator raised the same (kind, subject) first. */
  raise(finding: Finding, at: Date): Promise<TrackedAlert | null>;
  /** Records the finding seen again (the lifecycle updated `alert` already). */
  touch(alert: TrackedAlert, finding: Finding, at: Date): Promise<void>;
  /** Records the raise's notification. */
  notified(alert: TrackedAlert, at: Date): Promise<void>;
  /**
   * Claims a reminder: records `reminded` (its count and last notified time moved on) only while
   * the alert was last notified at `previous`. False: another evaluator claimed it first, so
   * nothing is sent.
   */
  remind(reminded: TrackedAlert, previous: Date | null): Promise<boolean>;
  /** False: it was resolved already (by another evaluator). */
  resolve(alert: TrackedAlert, at: Date): Promise<boolean>;
}

/** A row as the lifecycle tracks it; a kind this version does not know is left alone. */
function fromRow(row: AlertRow): TrackedAlert | null {
  return AlertKindSchema.safeParse(row.kind).success ? toAlertView(row) : null;
}

/** The alerts table (packages/db queries/alerts.ts). */
export function mysqlAlertStore(db: Db): AlertStore {
  return {
    async open() {
      return (await openAlerts(db)).flatMap((row) => fromRow(row) ?? []);
    },
    async raise(finding, at) {
      const row = await insertAlert(db, { ...finding, raised_at: at });
      return row ? fromRow(row) : null;
    },
    async touch(alert, finding, at) {
      if (alert.id === null) return;
      await touchAlert(db, alert.id, { ...finding, at });
    },
    async notified(alert, at) {
      if (alert.id === null) return;
      await markAlertNotified(db, alert.id, at);
    },
    async remind(reminded, previous) {
      if (reminded.id === null || !reminded.lastNotifiedAt) return false;
      return claimAlertReminder(db, reminded.id, { previous, at: reminded.lastNotifiedAt });
    },
    async resolve(alert, at) {
      if (alert.id === null) return false;
      return resolveAlert(db, alert.id, at);
    },
  };
}

const Stored = z.object({
  kind: z.string(),
  subject: z.string(),
  severity: z.enum(['info', 'warning', 'error', 'critical']),
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
  raisedAt: z.coerce.date(),
  lastSeenAt: z.coerce.date(),
  lastNotifiedAt: z.coerce.date().nullable(),
  reminders: z.number(),
});

export interface OfflineStore extends AlertStore {
  /** Takes what a previous evaluator kept in Redis, when this one holds nothing yet. */
  load(): Promise<void>;
  /** The alerts held, to be recorded in MySQL once it answers; then forget them. */
  drain(): TrackedAlert[];
  restore(alerts: TrackedAlert[]): void;
}

/**
 * The alerts that fire while MySQL cannot record them (mysql_down itself, and redis_down when
 * both are down): kept in this process's memory and mirrored to Redis when it answers, so that
 * the next lease holder does not raise them again. They are written to MySQL once it is back.
 */
export function offlineAlertStore(options: {
  redis: RedisClient;
  key: string;
  logger: Logger;
}): OfflineStore {
  const held = new Map<string, TrackedAlert>();

  async function save(): Promise<void> {
    try {
      if (held.size === 0) await options.redis.del(options.key);
      else await options.redis.set(options.key, JSON.stringify([...held.values()]), 'EX', 7 * 86_400);
    } catch {
      // Redis is down too: memory alone keeps them.
    }
  }

  return {
    async open() {
      return [...held.values()];
    },
    async raise(finding, at) {
      const alert: TrackedAlert = {
        ...finding,
        id: null,
        raisedAt: at,
        lastSeenAt: at,
        lastNotifiedAt: null,
        reminders: 0,
        resolvedAt: null,
      };
      held.set(alertOpenKey(alert.kind, alert.subject), alert);
      await save();
      return alert;
    },
    // The lifecycle changed the held object itself: saving is all that is left.
    async touch() {
      await save();
    },
    async notified() {
      await save();
    },
    // Offline alerts are this process's own (the lease holder's, or each process's alone).
    async remind(reminded) {
      held.set(alertOpenKey(reminded.kind, reminded.subject), reminded);
      await save();
      return true;
    },
    async resolve(alert, at) {
      alert.resolvedAt = at;
      held.delete(alertOpenKey(alert.kind, alert.subject));
      await save();
      return true;
    },
    async load() {
      if (held.size > 0) return;
      try {
        const raw = await options.redis.get(options.key);
        if (!raw) return;
        const parsed = z.array(Stored).safeParse(JSON.parse(raw));
        if (!parsed.success) {
          options.logger.warn({ key: options.key }, 'alerts kept offline are malformed; dropped');
          return;
        }
        for (const item of parsed.data) {
          const kind = AlertKindSchema.safeParse(item.kind);
          if (!kind.success) continue;
          held.set(alertOpenKey(kind.data, item.subject), {
            ...item,
            kind: kind.data as AlertKind,
            id: null,
            resolvedAt: null,
          });
        }
      } catch {
        // Redis is down: nothing to take over.
      }
    },
    drain() {
      const alerts = [...held.values()];
      held.clear();
      void save();
      return alerts;
    },
    restore(alerts) {
      for (const alert of alerts) held.set(alertOpenKey(alert.kind, alert.subject), alert);
      void save();
    },
  };
}

/**
 * Writes the alerts kept offline to MySQL, open, with their own raised and notified times; the
 * lifecycle then resolves those that no longer fire (mysql_down, as MySQL answers now) and
 * announces it. One already open in MySQL (raised there meanwhile) is not written twice.
 */
export async function recordOffline(db: Db, offline: OfflineStore): Promise<number> {
  const alerts = offline.drain();
  let written = 0;
  for (const [index, alert] of alerts.entries()) {
    try {
      const row = await insertAlert(db, {
        kind: alert.kind,
        subject: alert.subject,
        severity: alert.severity,
        message: alert.message,
        details: { ...alert.details, recordedLate: true },
        raised_at: alert.raisedAt,
        last_seen_at: alert.lastSeenAt,
        last_notified_at: alert.lastNotifiedAt,
        reminders: alert.reminders,
      });
      if (row) written++;
    } catch (error) {
      // MySQL failed again: what is not written yet stays offline for the next check.
      offline.restore(alerts.slice(index));
      throw error;
    }
  }
  return written;
}
