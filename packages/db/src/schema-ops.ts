// The operations tables: alerts (decision 050), the audit archives (decision 055) and the
// dashboard's order counts (decision 060). Their own module beside schema.ts; drizzle.config.ts
// reads both, and the package exports both.
import { ORDER_STATUSES, PAYMENT_STATUSES, SEVERITIES } from '@paidflow/contracts';
import {
  bigint,
  datetime,
  index,
  int,
  json,
  mysqlEnum,
  mysqlTable,
  primaryKey,
  tinyint,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';
import { orders } from './schema.ts';
import { createdAt, now } from './schema-columns.ts';

/**
 * Operational alerts (worker down, backlog, failure rate...): one row per firing, from raised to
 * resolved. open_key is `kind:subject` while the alert fires and NULL once resolved, so that a
 * kind and subject fire at most once at a time (a unique key that ignores NULLs).
 */
export const alerts = mysqlTable(
  'alerts',
  {
    id: int('id', { unsigned: true }).autoincrement().primaryKey(),
    kind: varchar('kind', { length: 64 }).notNull(),
    subject: varchar('subject', { length: 191 }).notNull(),
    open_key: varchar('open_key', { length: 255 }),
    severity: mysqlEnum('severity', SEVERITIES).notNull().default('warning'),
    message: varchar('message', { length: 1000 }).notNull(),
    details: json('details').$type<Record<string, unknown>>(),
    raised_at: datetime('raised_at', { mode: 'date', fsp: 3 }).notNull().default(now),
    last_seen_at: datetime('last_seen_at', { mode: 'date', fsp: 3 }).notNull().default(now),
    last_notified_at: datetime('last_notified_at', { mode: 'date', fsp: 3 }),
    reminders: int('reminders', { unsigned: true }).notNull().default(0),
    resolved_at: datetime('resolved_at', { mode: 'date', fsp: 3 }),
  },
  (t) => [
    uniqueIndex('uq_alerts_open').on(t.open_key),
    // The history, newest first; the firing ones.
    index('idx_alerts_raised').on(t.raised_at, t.id),
    index('idx_alerts_resolved').on(t.resolved_at, t.id),
    // The history of one kind, newest first: a rare kind would otherwise walk every alert.
    index('idx_alerts_kind_raised').on(t.kind, t.raised_at, t.id),
  ],
);

/** One archive file of audit rows older than the retention (compressed NDJSON under ARCHIVE_DIR). */
export const auditArchives = mysqlTable(
  'audit_archives',
  {
    id: int('id', { unsigned: true }).autoincrement().primaryKey(),
    file: varchar('file', { length: 1024 }).notNull(),
    cutoff_at: datetime('cutoff_at', { mode: 'date', fsp: 3 }).notNull(),
    first_audit_id: bigint('first_audit_id', { mode: 'number', unsigned: true }).notNull(),
    last_audit_id: bigint('last_audit_id', { mode: 'number', unsigned: true }).notNull(),
    row_count: int('row_count', { unsigned: true }).notNull(),
    bytes: bigint('bytes', { mode: 'number', unsigned: true }).notNull().default(0),
    created_at: createdAt(),
  },
  (t) => [index('idx_audit_archives_created').on(t.created_at, t.id)],
);

/** Which archives hold an order's older events, and how many: what the order's page points to. */
export const auditArchiveOrders = mysqlTable(
  'audit_archive_orders',
  {
    order_id: int('order_id', { unsigned: true })
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    archive_id: int('archive_id', { unsigned: true })
      .notNull()
      .references(() => auditArchives.id, { onDelete: 'cascade' }),
    events: int('events', { unsigned: true }).notNull(),
    oldest_at: datetime('oldest_at', { mode: 'date', fsp: 3 }).notNull(),
    newest_at: datetime('newest_at', { mode: 'date', fsp: 3 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.order_id, t.archive_id] })],
);

/**
 * How many orders stand in each (payment status, order status), spread over slots (an order
 * counts in slot id % ORDER_COUNT_SLOTS) so that concurrent payments rarely wait on one row.
 * Kept exact by triggers on orders (migration 0005), in the transaction of every insert, status
 * change and delete; the dashboard sums the slots (decision 060).
 */
export const orderStatusCounts = mysqlTable(
  'order_status_counts',
  {
    payment_status: mysqlEnum('payment_status', PAYMENT_STATUSES).notNull(),
    order_status: mysqlEnum('order_status', ORDER_STATUSES).notNull(),
    slot: tinyint('slot', { unsigned: true }).notNull(),
    n: bigint('n', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.payment_status, t.order_status, t.slot] })],
);

export type AlertRow = typeof alerts.$inferSelect;
export type AuditArchiveRow = typeof auditArchives.$inferSelect;
