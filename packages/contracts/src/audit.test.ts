import { expect, test } from 'vitest';
import {
  AUDIT_EVENT_CATEGORY,
  AUDIT_EVENT_TYPES,
  AuditEvent,
  AuditEventType,
  AuditLogPage,
  AuditSource,
  categoryOf,
  ListAuditLogInput,
  NewAuditEvent,
  OPERATOR_EVENT_TYPES,
} from './audit.ts';
import { AUDIT_CATEGORIES, SEVERITIES, TASK_STATUSES } from './constants.ts';
import type { TaskStatus } from './tasks.ts';

const paymentReceived = {
  order_id: 1042,
  event_type: 'payment_received',
  message: 'Payment of 2,277,000 VND received for DH240315',
  source: 'webhook:sepay',
};

test('NewAuditEvent fills in the defaults: order-level, info, no details or statuses', () => {
  expect(NewAuditEvent.parse(paymentReceived)).toEqual({
    ...paymentReceived,
    task_id: null,
    severity: 'info',
    details: null,
    previous_status: null,
    new_status: null,
    error_type: null,
    dedupe_key: null,
  });
});

test('NewAuditEvent accepts a task-level failure with its details', () => {
  const event = {
    order_id: 1042,
    task_id: 7,
    event_type: 'download_failed',
    event_category: 'download',
    severity: 'critical',
    message: 'No space left on device',
    details: { file: 'lesson-02.mp4', attempt: 3, errno: -28 },
    previous_status: 'downloading',
    new_status: 'failed',
    source: 'worker',
    error_type: 'DISK_SPACE',
    dedupe_key: 'failure:task-7-1:3',
  };
  expect(NewAuditEvent.parse(event)).toEqual(event);
});

test('NewAuditEvent rejects an unknown event type', () => {
  for (const type of ['payment_recieved', 'PAYMENT_RECEIVED', 'download', '']) {
    expect(NewAuditEvent.safeParse({ ...paymentReceived, event_type: type }).success, type).toBe(false);
  }
});

test('NewAuditEvent rejects bad sources', () => {
  for (const source of ['', 'Worker', 'python worker', '1worker', 'worker;drop', 'w'.repeat(51), ':sepay']) {
    expect(NewAuditEvent.safeParse({ ...paymentReceived, source }).success, source).toBe(false);
  }
  const { source: _, ...withoutSource } = paymentReceived;
  expect(NewAuditEvent.safeParse(withoutSource).success).toBe(false);
  for (const source of ['worker', 'webhook:sepay', 'admin', 'node_worker', 'reconciler-2']) {
    expect(AuditSource.safeParse(source).success, source).toBe(true);
  }
});

test('NewAuditEvent rejects an empty message, an unknown severity or category, and bad ids', () => {
  expect(NewAuditEvent.safeParse({ ...paymentReceived, message: '' }).success).toBe(false);
  expect(NewAuditEvent.safeParse({ ...paymentReceived, message: 'x'.repeat(4001) }).success).toBe(false);
  expect(NewAuditEvent.safeParse({ ...paymentReceived, severity: 'debug' }).success).toBe(false);
  expect(NewAuditEvent.safeParse({ ...paymentReceived, event_category: 'billing' }).success).toBe(false);
  expect(NewAuditEvent.safeParse({ ...paymentReceived, order_id: 0 }).success).toBe(false);
  expect(NewAuditEvent.safeParse({ ...paymentReceived, task_id: -3 }).success).toBe(false);
  expect(NewAuditEvent.safeParse({ ...paymentReceived, details: ['not', 'an', 'object'] }).success).toBe(
    false,
  );
  expect(NewAuditEvent.safeParse({ ...paymentReceived, error_type: 'BOOM' }).success).toBe(false);
  expect(NewAuditEvent.safeParse({ ...paymentReceived, dedupe_key: '' }).success).toBe(false);
  expect(NewAuditEvent.safeParse({ ...paymentReceived, new_status: 'x'.repeat(51) }).success).toBe(false);
});

test('there are at least 19 event types, each with one of the five categories', () => {
  expect(AUDIT_EVENT_TYPES.length).toBeGreaterThanOrEqual(19);
  expect(new Set(AUDIT_EVENT_TYPES).size).toBe(AUDIT_EVENT_TYPES.length);
  for (const type of AUDIT_EVENT_TYPES) {
    expect(AUDIT_CATEGORIES, type).toContain(categoryOf(type));
    expect(AuditEventType.parse(type)).toBe(type);
  }
  expect(Object.keys(AUDIT_EVENT_CATEGORY)).toEqual([...AUDIT_EVENT_TYPES]);
});

test("the seeds' event types are all there, in their categories", () => {
  expect(categoryOf('payment_received')).toBe('payment');
  expect(categoryOf('enrollment_success')).toBe('enrollment');
  expect(categoryOf('download_started')).toBe('download');
  expect(categoryOf('download_completed')).toBe('download');
  expect(categoryOf('download_failed')).toBe('download');
  expect(categoryOf('order_completed')).toBe('system');
});

test('every category is used by at least one event type', () => {
  const used = new Set(AUDIT_EVENT_TYPES.map(categoryOf));
  for (const category of AUDIT_CATEGORIES) expect(used, category).toContain(category);
});

test('every task status a worker or operator can reach has an event that records it', () => {
  const eventFor: Record<TaskStatus, string[]> = {
    pending: ['task_created'],
    queued: ['task_queued', 'task_requeued'],
    enrolled: ['enrollment_success'],
    downloading: ['download_started'],
    uploading: ['upload_started'],
    completed: ['task_completed'],
    failed: ['task_failed'],
    cancelled: ['task_cancelled'],
  };
  for (const status of TASK_STATUSES) {
    for (const type of eventFor[status]) expect(AUDIT_EVENT_TYPES, `${status}: ${type}`).toContain(type);
  }
});

test('every operator action has an event type, and operators write nothing else', () => {
  expect([...OPERATOR_EVENT_TYPES].sort()).toEqual(
    [
      'dead_letter_removed',
      'task_cancel_requested',
      'task_retry_requested',
      'payment_matched',
      'payment_ignored',
      'payment_refunded',
      'notification_resend_requested',
      'delivery_link_revoked',
      'priority_changed',
    ].sort(),
  );
  for (const type of OPERATOR_EVENT_TYPES) expect(AUDIT_EVENT_TYPES).toContain(type);
});

test('each step that can fail has a failure event, and each end of an order has one', () => {
  for (const type of [
    'enrollment_failed',
    'download_failed',
    'upload_failed',
    'notification_failed',
    'order_completed',
    'order_failed',
    'payment_underpaid',
    'payment_refunded',
  ]) {
    expect(AUDIT_EVENT_TYPES).toContain(type);
  }
});

test('the severities are info, warning, error and critical', () => {
  expect([...SEVERITIES]).toEqual(['info', 'warning', 'error', 'critical']);
});

const storedEvent = {
  id: 1,
  order_id: 1042,
  task_id: null,
  event_type: 'payment_received',
  event_category: 'payment',
  severity: 'info',
  message: 'Payment received',
  details: { amount: 2_277_000 },
  previous_status: 'pending',
  new_status: 'paid',
  source: 'webhook:sepay',
  error_type: null,
  created_at: new Date('2024-03-15T08:02:37Z'),
};

test('AuditEvent accepts a stored row and rejects one without a category or date', () => {
  expect(AuditEvent.parse(storedEvent)).toEqual(storedEvent);
  const { event_category: _, ...withoutCategory } = storedEvent;
  expect(AuditEvent.safeParse(withoutCategory).success).toBe(false);
  expect(AuditEvent.safeParse({ ...storedEvent, created_at: '2024-03-15' }).success).toBe(false);
});

test('AuditLogPage carries the task title with each event', () => {
  expect(
    AuditLogPage.safeParse({ items: [{ ...storedEvent, task_title: null }], nextCursor: 'next' }).success,
  ).toBe(true);
  expect(AuditLogPage.safeParse({ items: [storedEvent], nextCursor: null }).success).toBe(false);
});

test('ListAuditLogInput defaults to 50 per page and accepts severity, category and task filters', () => {
  expect(ListAuditLogInput.parse({ orderId: 1042 })).toEqual({ orderId: 1042, limit: 50 });
  const filtered = {
    orderId: 1042,
    severity: ['error', 'critical'],
    category: ['download'],
    taskId: 7,
    limit: 200,
  };
  expect(ListAuditLogInput.parse(filtered)).toEqual(filtered);
});

test('ListAuditLogInput rejects unknown filters and out-of-range limits', () => {
  expect(ListAuditLogInput.safeParse({}).success).toBe(false);
  expect(ListAuditLogInput.safeParse({ orderId: 1042, severity: ['fatal'] }).success).toBe(false);
  expect(ListAuditLogInput.safeParse({ orderId: 1042, category: ['billing'] }).success).toBe(false);
  expect(ListAuditLogInput.safeParse({ orderId: 1042, limit: 201 }).success).toBe(false);
  expect(ListAuditLogInput.safeParse({ orderId: 1042, limit: 0 }).success).toBe(false);
  expect(ListAuditLogInput.safeParse({ orderId: 1042, taskId: 0 }).success).toBe(false);
  expect(
    ListAuditLogInput.safeParse({ orderId: 1042, severity: ['info', 'info', 'info', 'info', 'info'] })
      .success,
  ).toBe(false);
});

test('an operator source names the admin, and a category must match its event type', () => {
  expect(AuditSource.safeParse('operator:ops@example.com').success).toBe(true);
  const result = NewAuditEvent.safeParse({ ...paymentReceived, event_category: 'download' });
  expect(result.success).toBe(false);
});
