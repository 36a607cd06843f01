import { expect, test } from 'vitest';
import { OrderComplete, OrderProgress, OrderStatusEvent, TaskProgress, TaskStatusEvent } from './progress.ts';

const NOW = 1_700_000_000_000;

const taskProgress = {
  taskId: 456,
  orderId: 123,
  percent: 37.5,
  currentFile: 'module-2/lesson-04.mp4',
  bytesDone: 3_750_000,
  bytesTotal: 10_000_000,
  speed: 2_500_000,
  etaSeconds: 2.5,
  timestamp: NOW,
};

function without<T extends object>(value: T, key: keyof T): Partial<T> {
  const copy: Partial<T> = { ...value };
  delete copy[key];
  return copy;
}

test('TaskProgress accepts a realistic progress tick, from 0 to 100 percent', () => {
  // A tick without a phase (older workers, outside publishers) is accepted (read as a download's).
  expect(TaskProgress.parse(taskProgress)).toEqual(taskProgress);
  expect(TaskProgress.parse({ ...taskProgress, phase: 'upload' }).phase).toBe('upload');
  expect(TaskProgress.safeParse({ ...taskProgress, phase: 'finalize' }).success).toBe(false);
  expect(TaskProgress.safeParse({ ...taskProgress, percent: 0 }).success).toBe(true);
  expect(TaskProgress.safeParse({ ...taskProgress, percent: 100, etaSeconds: 0 }).success).toBe(true);
  // Before the first file starts, nothing is known about the file or the remaining time.
  expect(
    TaskProgress.safeParse({ ...taskProgress, currentFile: null, etaSeconds: null, speed: 0 }).success,
  ).toBe(true);
});

test('TaskProgress rejects a percent outside 0..100', () => {
  expect(TaskProgress.safeParse({ ...taskProgress, percent: 101 }).success).toBe(false);
  expect(TaskProgress.safeParse({ ...taskProgress, percent: 100.01 }).success).toBe(false);
  expect(TaskProgress.safeParse({ ...taskProgress, percent: -1 }).success).toBe(false);
  expect(TaskProgress.safeParse({ ...taskProgress, percent: Number.NaN }).success).toBe(false);
  expect(TaskProgress.safeParse({ ...taskProgress, percent: '50' }).success).toBe(false);
});

test('TaskProgress rejects negative or fractional byte counts and negative speeds', () => {
  expect(TaskProgress.safeParse({ ...taskProgress, bytesDone: -1 }).success).toBe(false);
  expect(TaskProgress.safeParse({ ...taskProgress, bytesTotal: -1 }).success).toBe(false);
  expect(TaskProgress.safeParse({ ...taskProgress, bytesDone: 1.5 }).success).toBe(false);
  expect(TaskProgress.safeParse({ ...taskProgress, speed: -10 }).success).toBe(false);
  expect(TaskProgress.safeParse({ ...taskProgress, etaSeconds: -1 }).success).toBe(false);
});

test('TaskProgress rejects a missing timestamp or id, and a non-positive id', () => {
  expect(TaskProgress.safeParse(without(taskProgress, 'timestamp')).success).toBe(false);
  expect(TaskProgress.safeParse(without(taskProgress, 'taskId')).success).toBe(false);
  expect(TaskProgress.safeParse(without(taskProgress, 'orderId')).success).toBe(false);
  expect(TaskProgress.safeParse(without(taskProgress, 'currentFile')).success).toBe(false);
  expect(TaskProgress.safeParse({ ...taskProgress, taskId: 0 }).success).toBe(false);
  expect(TaskProgress.safeParse({ ...taskProgress, timestamp: -1 }).success).toBe(false);
  expect(TaskProgress.safeParse({ ...taskProgress, timestamp: new Date(NOW).toISOString() }).success).toBe(
    false,
  );
});

test('TaskProgress rejects an over-long file name', () => {
  expect(TaskProgress.safeParse({ ...taskProgress, currentFile: 'x'.repeat(513) }).success).toBe(false);
});

test('TaskStatusEvent accepts a status change, with an error when a task fails', () => {
  const started = {
    taskId: 456,
    orderId: 123,
    previousStatus: 'queued',
    newStatus: 'enrolled',
    timestamp: NOW,
  };
  expect(TaskStatusEvent.parse(started)).toEqual(started);
  expect(TaskStatusEvent.safeParse({ ...started, previousStatus: null, newStatus: 'pending' }).success).toBe(
    true,
  );
  const failed = {
    ...started,
    previousStatus: 'downloading',
    newStatus: 'failed',
    error: { type: 'DISK_SPACE', message: 'No space left on device' },
  };
  expect(TaskStatusEvent.parse(failed)).toEqual(failed);
});

test('TaskStatusEvent rejects unknown statuses and error types', () => {
  const base = { taskId: 456, orderId: 123, previousStatus: 'queued', newStatus: 'enrolled', timestamp: NOW };
  expect(TaskStatusEvent.safeParse({ ...base, newStatus: 'done' }).success).toBe(false);
  expect(TaskStatusEvent.safeParse({ ...base, previousStatus: 'paid' }).success).toBe(false);
  expect(TaskStatusEvent.safeParse(without(base, 'newStatus')).success).toBe(false);
  expect(TaskStatusEvent.safeParse(without(base, 'timestamp')).success).toBe(false);
  expect(TaskStatusEvent.safeParse({ ...base, error: { type: 'BOOM', message: 'x' } }).success).toBe(false);
  expect(
    TaskStatusEvent.safeParse({ ...base, error: { type: 'NETWORK', message: 'x'.repeat(2001) } }).success,
  ).toBe(false);
});

test('OrderProgress accepts an aggregate and rejects impossible ones', () => {
  const progress = {
    orderId: 123,
    percent: 66.7,
    completedTasks: 2,
    failedTasks: 0,
    totalTasks: 3,
    timestamp: NOW,
  };
  // Fields added later read as their defaults in older messages.
  expect(OrderProgress.parse(progress)).toEqual({ ...progress, cancelledTasks: 0, etaSeconds: null });
  expect(OrderProgress.parse({ ...progress, etaSeconds: 12.5 }).etaSeconds).toBe(12.5);
  expect(OrderProgress.safeParse({ ...progress, etaSeconds: -1 }).success).toBe(false);
  expect(OrderProgress.safeParse({ ...progress, percent: 101 }).success).toBe(false);
  expect(OrderProgress.safeParse({ ...progress, completedTasks: -1 }).success).toBe(false);
  expect(OrderProgress.safeParse({ ...progress, totalTasks: 2.5 }).success).toBe(false);
  expect(OrderProgress.safeParse(without(progress, 'timestamp')).success).toBe(false);
});

test('OrderComplete accepts the final tally and rejects a broken one', () => {
  const complete = { orderId: 123, totalTasks: 3, completedTasks: 2, failedTasks: 1, timestamp: NOW };
  expect(OrderComplete.parse(complete)).toEqual(complete);
  expect(OrderComplete.safeParse({ ...complete, orderId: 0 }).success).toBe(false);
  expect(OrderComplete.safeParse({ ...complete, failedTasks: -1 }).success).toBe(false);
  expect(OrderComplete.safeParse(without(complete, 'totalTasks')).success).toBe(false);
});

test("OrderStatusEvent accepts an order's status change and rejects unknown statuses", () => {
  const event = {
    orderId: 123,
    orderCode: 'DH123456',
    paymentStatus: 'paid',
    previousStatus: 'pending',
    newStatus: 'processing',
    timestamp: NOW,
  };
  expect(OrderStatusEvent.parse(event)).toEqual(event);
  expect(OrderStatusEvent.safeParse({ ...event, previousStatus: null }).success).toBe(true);
  expect(OrderStatusEvent.safeParse({ ...event, paymentStatus: 'settled' }).success).toBe(false);
  expect(OrderStatusEvent.safeParse({ ...event, newStatus: 'downloading' }).success).toBe(false);
  expect(OrderStatusEvent.safeParse(without(event, 'orderCode')).success).toBe(false);
});
