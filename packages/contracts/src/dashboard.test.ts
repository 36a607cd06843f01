import { expect, test } from 'vitest';
import { DashboardStats, ErrorSummary, ErrorSummaryInput } from './dashboard.ts';

const recent = {
  audit_id: 99,
  order_id: 1042,
  order_code: 'DH240315',
  order_status: 'partially_completed',
  task_id: 7,
  course_url: 'https://courses.example.com/react',
  severity: 'critical',
  message: 'No space left on device',
  error_type: 'DISK_SPACE',
  created_at: new Date('2024-03-15T08:05:00Z'),
};

test('DashboardStats accepts five counts and rejects negative or missing ones', () => {
  const stats = { totalPaid: 1000, processing: 12, completed: 950, partiallyCompleted: 5, failed: 33 };
  expect(DashboardStats.parse(stats)).toEqual(stats);
  expect(DashboardStats.safeParse({ ...stats, failed: -1 }).success).toBe(false);
  expect(DashboardStats.safeParse({ totalPaid: 1 }).success).toBe(false);
});

test('ErrorSummary accepts recent errors and counts by type', () => {
  const summary = {
    recent: [recent, { ...recent, audit_id: 100, task_id: null, course_url: null, error_type: null }],
    byType: [{ error_type: 'DISK_SPACE', count: 1, last_at: recent.created_at }],
  };
  expect(ErrorSummary.parse(summary)).toEqual(summary);
});

test('ErrorSummary rejects unknown severities and error types', () => {
  expect(ErrorSummary.safeParse({ recent: [{ ...recent, severity: 'fatal' }], byType: [] }).success).toBe(
    false,
  );
  expect(
    ErrorSummary.safeParse({ recent: [], byType: [{ error_type: 'OOPS', count: 1, last_at: new Date() }] })
      .success,
  ).toBe(false);
});

test('ErrorSummaryInput defaults to 50 errors over the last 24 hours and caps its window at 90 days', () => {
  expect(ErrorSummaryInput.parse({})).toEqual({ limit: 50, windowHours: 24 });
  expect(ErrorSummaryInput.safeParse({ windowHours: 24 * 90 }).success).toBe(true);
  expect(ErrorSummaryInput.safeParse({ windowHours: 24 * 90 + 1 }).success).toBe(false);
  expect(ErrorSummaryInput.safeParse({ windowHours: 0 }).success).toBe(false);
  expect(ErrorSummaryInput.safeParse({ limit: 201 }).success).toBe(false);
});
