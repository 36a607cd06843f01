import type { LiveSnapshot, OrderSummary } from '@paidflow/contracts';
import { expect, test } from 'vitest';
import {
  mergeOrderRow,
  type OrderEvent,
  type OrderLive,
  pruneOrderLive,
  reduceOrderLive,
} from './order-live.ts';

function order(overrides: Partial<OrderSummary> = {}): OrderSummary {
  return {
    id: 9,
    order_code: 'DH123456',
    user_email: 'an@example.com',
    payment_status: 'paid',
    order_status: 'processing',
    total_amount: 300_000,
    currency: 'VND',
    priority: 'normal',
    created_at: new Date(0),
    paid_at: new Date(0),
    completed_at: null,
    stats: { totalTasks: 4, completedTasks: 1, failedTasks: 0, activeTasks: 3, progressPercentage: 25 },
    ...overrides,
  };
}

function fold(events: OrderEvent[], seenAt = 1): OrderLive | undefined {
  let live: OrderLive | undefined;
  for (const event of events) live = reduceOrderLive(live, { event, seenAt });
  return live;
}

const progress = (percent: number, completed: number, failed: number, timestamp: number): OrderEvent => ({
  kind: 'order.progress',
  data: {
    orderId: 9,
    percent,
    completedTasks: completed,
    failedTasks: failed,
    cancelledTasks: 0,
    totalTasks: 4,
    etaSeconds: 42,
    timestamp,
  },
});

test('without live events a row is the query row', () => {
  expect(mergeOrderRow(order(), undefined)).toEqual({
    id: 9,
    code: 'DH123456',
    email: 'an@example.com',
    status: 'processing',
    priority: 'normal',
    total: 4,
    completed: 1,
    failed: 0,
    inProgress: 0,
    currentFile: null,
    etaSeconds: null,
  });
});

test('order progress moves the counts, the in-progress segment and the ETA', () => {
  const live = fold([progress(50, 1, 0, 10)]);
  expect(mergeOrderRow(order(), live)).toMatchObject({
    completed: 1,
    failed: 0,
    inProgress: 1,
    etaSeconds: 42,
  });
  // An ended order has no ETA.
  expect(mergeOrderRow(order({ order_status: 'completed' }), live).etaSeconds).toBeNull();
});

test('the newest order progress is the truth, lower or not; an older one is ignored', () => {
  // One writer and one formula (the server's orderPercent): a lower figure later is real (a
  // retried task starting again), and no hold timer second-guesses it.
  expect(fold([progress(60, 1, 0, 1_000), progress(25, 1, 0, 1_500)])?.counts?.percent).toBe(25);
  expect(fold([progress(60, 1, 0, 1_000), progress(50, 2, 0, 1_500)])?.counts?.percent).toBe(50);
  expect(fold([progress(60, 1, 0, 1_500), progress(40, 1, 0, 1_000)])?.counts?.percent).toBe(60);
});

test('status and completion events update the row; late ones are ignored', () => {
  const live = fold([
    {
      kind: 'order.status',
      data: {
        orderId: 9,
        orderCode: 'DH123456',
        paymentStatus: 'paid',
        previousStatus: 'processing',
        newStatus: 'completed',
        timestamp: 20,
      },
    },
    {
      kind: 'order.complete',
      data: { orderId: 9, totalTasks: 4, completedTasks: 4, failedTasks: 0, timestamp: 20 },
    },
    {
      kind: 'order.status',
      data: {
        orderId: 9,
        orderCode: 'DH123456',
        paymentStatus: 'paid',
        previousStatus: 'pending',
        newStatus: 'processing',
        timestamp: 5,
      },
    },
    progress(30, 1, 0, 6),
  ]);
  expect(mergeOrderRow(order(), live)).toMatchObject({ status: 'completed', completed: 4, inProgress: 0 });
});

test('the current file comes from task progress and goes when that task ends', () => {
  const tick: OrderEvent = {
    kind: 'task.progress',
    data: {
      taskId: 3,
      orderId: 9,
      phase: 'download',
      percent: 40,
      currentFile: 'lesson-02.bin',
      bytesDone: 4,
      bytesTotal: 10,
      speed: 1,
      etaSeconds: 6,
      timestamp: 10,
    },
  };
  const running = fold([tick]);
  expect(mergeOrderRow(order(), running).currentFile).toBe('lesson-02.bin');
  const ended = fold([
    tick,
    {
      kind: 'task.status',
      data: { taskId: 3, orderId: 9, previousStatus: 'uploading', newStatus: 'completed', timestamp: 11 },
    },
  ]);
  expect(mergeOrderRow(order(), ended).currentFile).toBeNull();
});

test('a snapshot replaces what was known', () => {
  const stale = fold([progress(90, 3, 0, 10)]);
  const snapshot: LiveSnapshot & { order: NonNullable<LiveSnapshot['order']> } = {
    kind: 'snapshot',
    reason: 'resume',
    order: {
      orderId: 9,
      orderCode: 'DH123456',
      paymentStatus: 'paid',
      status: 'failed',
      stats: { totalTasks: 4, completedTasks: 2, failedTasks: 2, activeTasks: 0, progressPercentage: 100 },
      progress: null,
    },
    tasks: [],
    liveAvailable: true,
    at: 50,
  };
  const live = reduceOrderLive(stale, { snapshot, seenAt: 2 });
  expect(mergeOrderRow(order(), live)).toMatchObject({
    status: 'failed',
    completed: 2,
    failed: 2,
    inProgress: 0,
  });
});

test('pruning forgets the parts received before a refetch', () => {
  const early = fold([progress(50, 1, 0, 10)], 100);
  const late = reduceOrderLive(early, {
    event: {
      kind: 'order.status',
      data: {
        orderId: 9,
        orderCode: 'DH123456',
        paymentStatus: 'paid',
        previousStatus: 'processing',
        newStatus: 'failed',
        timestamp: 11,
      },
    },
    seenAt: 300,
  });
  const pruned = pruneOrderLive(late, 200);
  expect(pruned?.counts).toBeNull();
  expect(pruned?.status?.value).toBe('failed');
  expect(pruneOrderLive(late, 400)).toBeNull();
  expect(pruneOrderLive(late, 50)).toBe(late);
});
