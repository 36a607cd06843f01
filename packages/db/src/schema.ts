import {
  ADMIN_ROLES,
  AUDIT_CATEGORIES,
  AUDIT_EVENT_TYPES,
  type DeliveredFile,
  ERROR_TYPES,
  ORDER_PRIORITIES,
  ORDER_STATUSES,
  PAYMENT_STATUSES,
  PAYMENT_TRANSACTION_STATUSES,
  SEVERITIES,
  TASK_STATUSES,
  type TaskErrorLog,
} from '@paidflow/contracts';
import {
  bigint,
  char,
  date,
  datetime,
  decimal,
  index,
  int,
  json,
  mysqlEnum,
  mysqlTable,
  primaryKey,
  smallint,
  text,
  tinyint,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';

import { counter, createdAt, mediumblob, now, updatedAt } from './schema-columns.ts';

export const orders = mysqlTable(
  'orders',
  {
    id: int('id', { unsigned: true }).autoincrement().primaryKey(),
    order_code: varchar('order_code', { length: 32 }).notNull(),
    user_email: varchar('user_email', { length: 255 }).notNull(),
    payment_status: mysqlEnum('payment_status', PAYMENT_STATUSES).notNull().default('pending'),
    order_status: mysqlEnum('order_status', ORDER_STATUSES).notNull().default('pending'),
    total_amount: decimal('total_amount', { precision: 15, scale: 2, mode: 'number' }).notNull(),
    currency: char('currency', { length: 3 }).notNull().default('VND'),
    priority: mysqlEnum('priority', ORDER_PRIORITIES).notNull().default('normal'),
    // Task counters, kept exact by the one function that changes a task's status
    // (queries/tasks.ts), so that a page of orders reads its stats without touching tasks.
    total_tasks: counter('total_tasks'),
    completed_tasks: counter('completed_tasks'),
    failed_tasks: counter('failed_tasks'),
    cancelled_tasks: counter('cancelled_tasks'),
    active_tasks: counter('active_tasks'),
    created_at: createdAt(),
    updated_at: updatedAt(),
    paid_at: datetime('paid_at', { mode: 'date', fsp: 3 }),
    completed_at: datetime('completed_at', { mode: 'date', fsp: 3 }),
  },
  (t) => [
    uniqueIndex('uq_orders_order_code').on(t.order_code),
    // Newest-first keyset pages of paid orders, with and without a status filter.
    // The code and email ride along so that a broad search's walk of the newest-first list
    // filters in the index (index condition pushdown) and reads only its matching rows.
    index('idx_orders_payment_created').on(t.payment_status, t.created_at, t.id, t.order_code, t.user_email),
    index('idx_orders_payment_status_created').on(t.payment_status, t.order_status, t.created_at, t.id),
    // payment_status rides along so that a narrow email search picks its page in the index.
    index('idx_orders_email_created').on(t.user_email, t.created_at, t.id, t.payment_status),
  ],
);

export const downloadTasks = mysqlTable(
  'download_tasks',
  {
    id: int('id', { unsigned: true }).autoincrement().primaryKey(),
    order_id: int('order_id', { unsigned: true })
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    title: varchar('title', { length: 255 }).notNull(),
    course_url: varchar('course_url', { length: 2048 }).notNull(),
    status: mysqlEnum('status', TASK_STATUSES).notNull().default('pending'),
    progress: tinyint('progress', { unsigned: true }).notNull().default(0),
    current_file: varchar('current_file', { length: 512 }),
    error_log: json('error_log').$type<TaskErrorLog>(),
    // The public URL the customer opens (the delivery page of the order's link).
    drive_link: varchar('drive_link', { length: 2048 }),
    // What the destination holds for this task: [{ path, size, contentType }] (decision 044).
    delivered_files: json('delivered_files').$type<DeliveredFile[]>(),
    attempts: smallint('attempts', { unsigned: true }).notNull().default(0),
    // How many times the task was put on the queue; part of its job id.
    queue_generation: smallint('queue_generation', { unsigned: true }).notNull().default(0),
    // The fencing token of the task's current run: raised by every claim and every enqueue, so a
    // report carrying an older one is refused (decision 013).
    run_token: int('run_token', { unsigned: true }).notNull().default(0),
    // The attempt the current run claimed, until it ends (completed, failed, or fenced): a run lost
    // with its worker while this is set costs that attempt.
    run_attempt: smallint('run_attempt', { unsigned: true }),
    created_at: createdAt(),
    updated_at: updatedAt(),
    started_at: datetime('started_at', { mode: 'date', fsp: 3 }),
    completed_at: datetime('completed_at', { mode: 'date', fsp: 3 }),
  },
  (t) => [
    index('idx_tasks_order').on(t.order_id, t.id),
    index('idx_tasks_status_updated').on(t.status, t.updated_at),
  ],
);

export const orderAuditLogs = mysqlTable(
  'order_audit_logs',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    order_id: int('order_id', { unsigned: true })
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    task_id: int('task_id', { unsigned: true }).references(() => downloadTasks.id, { onDelete: 'set null' }),
    event_type: mysqlEnum('event_type', AUDIT_EVENT_TYPES).notNull(),
    event_category: mysqlEnum('event_category', AUDIT_CATEGORIES).notNull(),
    severity: mysqlEnum('severity', SEVERITIES).notNull().default('info'),
    message: text('message').notNull(),
    details: json('details').$type<Record<string, unknown>>(),
    previous_status: varchar('previous_status', { length: 50 }),
    new_status: varchar('new_status', { length: 50 }),
    source: varchar('source', { length: 50 }).notNull(),
    error_type: mysqlEnum('error_type', ERROR_TYPES),
    // Makes a retried write land once (the error bridge reports each failed attempt exactly once).
    dedupe_key: varchar('dedupe_key', { length: 191 }),
    created_at: createdAt(),
  },
  (t) => [
    // An order's log, newest first (id order is insertion order), optionally by severity or task.
    index('idx_audit_order').on(t.order_id, t.id),
    index('idx_audit_order_severity').on(t.order_id, t.severity, t.id),
    index('idx_audit_order_category').on(t.order_id, t.event_category, t.id),
    index('idx_audit_task').on(t.task_id, t.id),
    // The error summary: newest errors first, across orders.
    index('idx_audit_severity').on(t.severity, t.id),
    // The error summary's time window (newest errors first, counts per type since a time):
    // without it, counting a day of errors reads every error row ever written. The id keeps
    // the (created_at, id) order; error_type and order_id let the count read no audit row.
    index('idx_audit_severity_created').on(t.severity, t.created_at, t.id, t.error_type, t.order_id),
    index('idx_audit_event_type').on(t.event_type),
    uniqueIndex('uq_audit_dedupe').on(t.dedupe_key),
  ],
);

export const adminUsers = mysqlTable(
  'admin_users',
  {
    id: int('id', { unsigned: true }).autoincrement().primaryKey(),
    email: varchar('email', { length: 255 }).notNull(),
    password_hash: varchar('password_hash', { length: 255 }).notNull(),
    role: mysqlEnum('role', ADMIN_ROLES).notNull().default('viewer'),
    created_at: createdAt(),
    updated_at: updatedAt(),
    last_login_at: datetime('last_login_at', { mode: 'date', fsp: 3 }),
  },
  (t) => [uniqueIndex('uq_admin_users_email').on(t.email)],
);

export const adminSessions = mysqlTable(
  'admin_sessions',
  {
    // SHA-256 of the session token: a stolen table does not yield usable cookies.
    token_hash: char('token_hash', { length: 64 }).primaryKey(),
    user_id: int('user_id', { unsigned: true })
      .notNull()
      .references(() => adminUsers.id, { onDelete: 'cascade' }),
    created_at: createdAt(),
    expires_at: datetime('expires_at', { mode: 'date', fsp: 3 }).notNull(),
  },
  (t) => [index('idx_sessions_user').on(t.user_id), index('idx_sessions_expires').on(t.expires_at)],
);

export { PAYMENT_TRANSACTION_STATUSES };

export const paymentTransactions = mysqlTable(
  'payment_transactions',
  {
    id: int('id', { unsigned: true }).autoincrement().primaryKey(),
    provider: varchar('provider', { length: 32 }).notNull(),
    provider_transaction_id: varchar('provider_transaction_id', { length: 64 }).notNull(),
    order_id: int('order_id', { unsigned: true }).references(() => orders.id, { onDelete: 'set null' }),
    amount: decimal('amount', { precision: 15, scale: 2, mode: 'number' }).notNull(),
    transfer_type: varchar('transfer_type', { length: 8 }).notNull(),
    status: mysqlEnum('status', PAYMENT_TRANSACTION_STATUSES).notNull().default('received'),
    status_reason: varchar('status_reason', { length: 255 }),
    // Copied out of the payload for the inbox's search and display.
    gateway: varchar('gateway', { length: 100 }),
    reference_code: varchar('reference_code', { length: 100 }),
    content: varchar('content', { length: 1000 }),
    // The body as JSON when MySQL's JSON type can hold it; otherwise a lossless stand-in
    // (see webhooks/), with the exact bytes in raw_body.
    raw_payload: json('raw_payload').notNull(),
    // The exact signed bytes, kept when the body is not JSON that MySQL accepts as-is
    // (lone surrogates, NUL, duplicate keys, out-of-range numbers...).
    raw_body: mediumblob('raw_body'),
    received_at: datetime('received_at', { mode: 'date', fsp: 3 }).notNull().default(now),
    processed_at: datetime('processed_at', { mode: 'date', fsp: 3 }),
    // An operator's settlement (match, refund, ignore): who, when, and why.
    resolved_by: varchar('resolved_by', { length: 255 }),
    resolved_at: datetime('resolved_at', { mode: 'date', fsp: 3 }),
    note: varchar('note', { length: 1000 }),
  },
  (t) => [
    uniqueIndex('uq_payment_provider_txn').on(t.provider, t.provider_transaction_id),
    index('idx_payment_order').on(t.order_id),
    // The inbox: newest first, all or by outcome.
    index('idx_payment_received').on(t.received_at, t.id),
    index('idx_payment_status_received').on(t.status, t.received_at, t.id),
    // The inbox's search (decision 064): a reference code's start, and an amount, each newest
    // first. The content's words have a FULLTEXT index that migration 0007 adds by hand.
    index('idx_payment_reference').on(t.reference_code, t.received_at, t.id),
    index('idx_payment_amount').on(t.amount, t.received_at, t.id),
  ],
);

/**
 * The customer's links to their delivered order (GET /d/<token>). The token is signed and names
 * the row (id and nonce); revoking or re-issuing is a row change. One audited first open per day.
 */
export const deliveryLinks = mysqlTable(
  'delivery_links',
  {
    id: int('id', { unsigned: true }).autoincrement().primaryKey(),
    order_id: int('order_id', { unsigned: true })
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    nonce: char('nonce', { length: 22 }).notNull(),
    expires_at: datetime('expires_at', { mode: 'date', fsp: 3 }).notNull(),
    revoked_at: datetime('revoked_at', { mode: 'date', fsp: 3 }),
    revoked_by: varchar('revoked_by', { length: 255 }),
    created_by: varchar('created_by', { length: 255 }).notNull(),
    created_at: createdAt(),
    last_opened_on: date('last_opened_on', { mode: 'string' }),
  },
  (t) => [index('idx_delivery_links_order').on(t.order_id, t.id)],
);

/** Downloads per delivered file (one row per file, counted per request that starts the file). */
export const deliveryDownloads = mysqlTable(
  'delivery_downloads',
  {
    task_id: int('task_id', { unsigned: true })
      .notNull()
      .references(() => downloadTasks.id, { onDelete: 'cascade' }),
    // SHA-256 of the file's path within the task (paths are too long for a key).
    file_key: char('file_key', { length: 64 }).notNull(),
    file_path: varchar('file_path', { length: 1024 }).notNull(),
    downloads: int('downloads', { unsigned: true }).notNull().default(0),
    bytes_sent: bigint('bytes_sent', { mode: 'number', unsigned: true }).notNull().default(0),
    last_download_at: datetime('last_download_at', { mode: 'date', fsp: 3 }),
  },
  (t) => [primaryKey({ columns: [t.task_id, t.file_key] })],
);

/**
 * The transactional outbox: rows written in the same MySQL transaction as the state change
 * they announce, then drained to BullMQ, so the database and the queue never disagree for long.
 */
export const outbox = mysqlTable(
  'outbox',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    topic: varchar('topic', { length: 64 }).notNull(),
    payload: json('payload').$type<Record<string, unknown>>().notNull(),
    created_at: createdAt(),
    dispatched_at: datetime('dispatched_at', { mode: 'date', fsp: 3 }),
    attempts: int('attempts', { unsigned: true }).notNull().default(0),
    last_error: varchar('last_error', { length: 1000 }),
  },
  (t) => [index('idx_outbox_pending').on(t.dispatched_at, t.id)],
);

export type OrderRow = typeof orders.$inferSelect;
export type DownloadTaskRow = typeof downloadTasks.$inferSelect;
export type AuditLogRow = typeof orderAuditLogs.$inferSelect;
export type AdminUserRow = typeof adminUsers.$inferSelect;
export type PaymentTransactionRow = typeof paymentTransactions.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
export type DeliveryLinkRow = typeof deliveryLinks.$inferSelect;
