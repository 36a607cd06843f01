import { type AlertKind, type AlertsPage, type AlertView, ListAlertsInput } from '@paidflow/contracts';
import { and, count, desc, eq, gte, inArray, isNotNull, isNull, type SQL, sql } from 'drizzle-orm';
import type { Pool } from 'mysql2/promise';
import type { Db, DbOrTx } from '../client.ts';
import { isDuplicateKeyError } from '../errors.ts';
import { downloadTasks } from '../schema.ts';
import { type AlertRow, alerts } from '../schema-ops.ts';
import { afterTimeId, timeIdPage } from './keyset.ts';

// The alerts table (docs/alerts.md): one row per firing of a (kind, subject). open_key is
// `kind:subject` while it fires and NULL once resolved, so a unique key keeps one open row each.

/** The open key of a (kind, subject): what the unique index holds while the alert fires. */
export function alertOpenKey(kind: string, subject: string): string {
  return `${kind}:${subject}`.slice(0, 255);
}

export function toAlertView(row: AlertRow): AlertView {
  return {
    id: row.id,
    kind: row.kind as AlertKind,
    subject: row.subject,
    severity: row.severity,
    message: row.message,
    details: row.details ?? {},
    raisedAt: row.raised_at,
    lastSeenAt: row.last_seen_at,
    lastNotifiedAt: row.last_notified_at,
    reminders: row.reminders,
    resolvedAt: row.resolved_at,
  };
}

/** Every alert firing now. */
export async function openAlerts(db: DbOrTx): Promise<AlertRow[]> {
  return db.select().from(alerts).where(isNotNull(alerts.open_key)).orderBy(alerts.id);
}

export interface NewAlert {
  kind: string;
  subject: string;
  severity: AlertRow['severity'];
  message: string;
  details: Record<string, unknown>;
  raised_at: Date;
  last_seen_at?: Date;
  last_notified_at?: Date | null;
  reminders?: number;
  /** Set: the row is written resolved (an alert that fired while MySQL could not record it). */
  resolved_at?: Date | null;
}

/**
 * Records a raised alert. Returns its row, or null when the (kind, subject) already fires (another
 * evaluator raised it first: the unique open key refused the second row).
 */
export async function insertAlert(db: DbOrTx, alert: NewAlert): Promise<AlertRow | null> {
  const resolved = alert.resolved_at ?? null;
  try {
    const [result] = await db.insert(alerts).values({
      kind: alert.kind,
      subject: alert.subject.slice(0, 191),
      open_key: resolved ? null : alertOpenKey(alert.kind, alert.subject),
      severity: alert.severity,
      message: alert.message.slice(0, 1000),
      details: alert.details,
      raised_at: alert.raised_at,
      last_seen_at: alert.last_seen_at ?? alert.raised_at,
      last_notified_at: alert.last_notified_at ?? null,
      reminders: alert.reminders ?? 0,
      resolved_at: resolved,
    });
    const [row] = await db.select().from(alerts).where(eq(alerts.id, result.insertId));
    return row ?? null;
  } catch (error) {
    if (isDuplicateKeyError(error)) return null;
    throw error;
  }
}

/** The condition still holds: its newest message and figures, seen now. */
export async function touchAlert(
  db: DbOrTx,
  id: number,
  values: { message: string; details: Record<string, unknown>; severity: AlertRow['severity']; at: Date },
): Promise<void> {
  await db
    .update(alerts)
    .set({
      message: values.message.slice(0, 1000),
      details: values.details,
      severity: values.severity,
      last_seen_at: values.at,
    })
    .where(and(eq(alerts.id, id), isNotNull(alerts.open_key)));
}

/** The raise went out: when it was notified. */
export async function markAlertNotified(db: DbOrTx, id: number, at: Date): Promise<void> {
  await db.update(alerts).set({ last_notified_at: at }).where(eq(alerts.id, id));
}

/**
 * Claims a reminder: counts it and moves last_notified_at to `at`, only while last_notified_at is
 * still `previous` (NULL-safe, `<=>`). False: another evaluator reminded first; do not send.
 */
export async function claimAlertReminder(
  db: DbOrTx,
  id: number,
  options: { previous: Date | null; at: Date },
): Promise<boolean> {
  const [result] = await db
    .update(alerts)
    .set({ last_notified_at: options.at, reminders: sql`${alerts.reminders} + 1` })
    .where(
      and(
        eq(alerts.id, id),
        isNotNull(alerts.open_key),
        options.previous === null
          ? isNull(alerts.last_notified_at)
          : eq(alerts.last_notified_at, options.previous),
      ),
    );
  return result.affectedRows === 1;
}

/** Resolves a firing alert; false when it was no longer open (another evaluator resolved it). */
export async function resolveAlert(db: DbOrTx, id: number, at: Date): Promise<boolean> {
  const [result] = await db
    .update(alerts)
    .set({ open_key: null, resolved_at: at })
    .where(and(eq(alerts.id, id), isNotNull(alerts.open_key)));
  return result.affectedRows === 1;
}

export async function findAlert(db: DbOrTx, id: number): Promise<AlertRow | undefined> {
  const [row] = await db.select().from(alerts).where(eq(alerts.id, id));
  return row;
}

/** The Alerts page: newest raised first, firing or resolved, of one kind; keyset on (raised_at, id). */
export async function listAlerts(db: DbOrTx, rawInput: ListAlertsInput = {}): Promise<AlertsPage> {
  const input = ListAlertsInput.parse(rawInput);
  const conditions: SQL[] = [];
  if (input.state === 'firing') conditions.push(isNotNull(alerts.open_key));
  if (input.state === 'resolved') conditions.push(isNull(alerts.open_key));
  if (input.kind) conditions.push(eq(alerts.kind, input.kind));
  if (input.cursor) conditions.push(afterTimeId(alerts.raised_at, alerts.id, input.cursor));
  const rows = await db
    .select()
    .from(alerts)
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(desc(alerts.raised_at), desc(alerts.id))
    .limit(input.limit + 1);
  const { page, nextCursor } = timeIdPage(rows, input.limit, (row) => row.raised_at);
  return { items: page.map(toAlertView), nextCursor };
}

const SEVERITY_RANK = sql`FIELD(${alerts.severity}, 'critical', 'error', 'warning', 'info')`;

/** What fires now, the most severe first (the banner), and how many in all. */
export async function firingAlerts(db: DbOrTx, limit = 5): Promise<{ total: number; items: AlertView[] }> {
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(alerts)
      .where(isNotNull(alerts.open_key))
      .orderBy(SEVERITY_RANK, desc(alerts.raised_at))
      .limit(limit),
    db.select({ n: count() }).from(alerts).where(isNotNull(alerts.open_key)),
  ]);
  return { total: total?.n ?? 0, items: rows.map(toAlertView) };
}

// The figures the checks decide on beyond the ops gauges (ops-gauges.ts) they share.

/** Tasks that ended since `since`: delivered (completed) and failed for good. */
export async function taskOutcomesSince(
  db: DbOrTx,
  since: Date,
): Promise<{ completed: number; failed: number }> {
  const rows = await db
    .select({ status: downloadTasks.status, n: count() })
    .from(downloadTasks)
    .where(and(inArray(downloadTasks.status, ['completed', 'failed']), gte(downloadTasks.updated_at, since)))
    .groupBy(downloadTasks.status);
  const of = (status: string) => rows.find((row) => row.status === status)?.n ?? 0;
  return { completed: of('completed'), failed: of('failed') };
}

/** A MySQL named lock held on a connection of its own (GET_LOCK): gone when that connection is. */
export interface AdvisoryLock {
  /** Whether the lock is still held (its connection answers and still owns it). */
  held(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * Takes MySQL's named lock `name` without waiting, on a pool connection kept for it; null when
 * another session holds it. The alert evaluator's lease while Redis cannot be reached.
 */
export async function tryAdvisoryLock(db: Db, name: string): Promise<AdvisoryLock | null> {
  // drizzle(pool) keeps its pool as $client; the Db type does not name it.
  const pool = (db as Db & { $client?: Pool }).$client;
  if (!pool) throw new Error('the database handle has no mysql2 pool');
  const connection = await pool.getConnection();
  try {
    const [rows] = await connection.query('SELECT GET_LOCK(?, 0) AS got', [name]);
    if ((rows as Array<{ got: number | null }>)[0]?.got !== 1) {
      connection.release();
      return null;
    }
  } catch (error) {
    connection.destroy();
    throw error;
  }
  let released = false;
  return {
    async held() {
      if (released) return false;
      try {
        const [rows] = await connection.query('SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS mine', [name]);
        return (rows as Array<{ mine: number | null }>)[0]?.mine === 1;
      } catch {
        return false;
      }
    },
    async release() {
      if (released) return;
      released = true;
      try {
        await connection.query('SELECT RELEASE_LOCK(?)', [name]);
        connection.release();
      } catch {
        // A dead connection's locks are gone with it.
        connection.destroy();
      }
    },
  };
}
