import type { LiveUpdate, TaskStatus } from '@paidflow/contracts';
import { expect, test } from 'vitest';
import { createOrderTicks, entriesOfHashes, type OrderCounts } from './order-ticks.ts';

// What the relay knows of an order, kept from the updates heard: the same rule as the hashes in
// Redis (task-entries.ts), and the seed read once with the updates heard meanwhile applied over it.

function tick(orderId: number, taskId: number, percent: number, phase?: 'enroll' | 'download'): LiveUpdate {
  return {
    kind: 'task.progress',
    data: {
      taskId,
      orderId,
      ...(phase ? { phase } : {}),
      percent,
      currentFile: null,
      bytesDone: percent,
      bytesTotal: 100,
      speed: 10,
      etaSeconds: null,
      timestamp: 1,
    },
  };
}

function status(orderId: number, taskId: number, newStatus: TaskStatus): LiveUpdate {
  return { kind: 'task.status', data: { taskId, orderId, previousStatus: null, newStatus, timestamp: 1 } };
}

const counts = (completedTasks: number): OrderCounts => ({
  completedTasks,
  failedTasks: 0,
  cancelledTasks: 0,
  totalTasks: 3,
});

const noSeed = () => ({ counts: null, ...entriesOfHashes(null, null) });

test('an order is followed only once its seed is asked for, and known only once it is read', () => {
  const ticks = createOrderTicks({ staleMs: 1_000 });
  ticks.hear(tick(1, 10, 50));
  expect(ticks.has(1)).toBe(false);
  const seeded = ticks.follow(1);
  expect(ticks.has(1)).toBe(true);
  expect(ticks.get(1)).toBeUndefined();
  const state = seeded({ counts: counts(0), ...entriesOfHashes({ '10': '50' }, null) });
  expect(ticks.get(1)).toBe(state);
  expect([...state!.percents]).toEqual([[10, 50]]);
});

test('updates heard while the seed is read apply over it, in the order heard', () => {
  const ticks = createOrderTicks({ staleMs: 1_000 });
  const seeded = ticks.follow(2);
  ticks.hear(tick(2, 10, 60));
  ticks.hear(status(2, 11, 'completed'));
  ticks.hear({
    kind: 'order.progress',
    data: { orderId: 2, percent: 0, ...counts(1), etaSeconds: null, timestamp: 1 },
  });
  ticks.hear(tick(2, 12, 30));
  ticks.hear(status(2, 12, 'queued'));
  // Another order's updates are not this one's.
  ticks.hear(tick(3, 10, 99));
  // The read came back older than what was heard: the heard updates win.
  const state = seeded({
    counts: counts(0),
    ...entriesOfHashes({ '10': '40', '11': '90', '13': '5' }, { '11': '9:10:1', '13': 'garbage' }),
  });
  expect(state?.counts).toEqual(counts(1));
  expect(Object.fromEntries(state!.percents)).toEqual({ 10: 60, 11: 100, 13: 5 });
  // An ended task has no rate, a downloading tick has one; a malformed rate was left out.
  expect(Object.fromEntries(state!.rates)).toEqual({ 10: { bytesDone: 60, bytesTotal: 100, speed: 10 } });
});

test('the entries follow ticks and status changes as the hashes do', () => {
  const ticks = createOrderTicks({ staleMs: 1_000 });
  ticks.follow(4)(noSeed());
  ticks.hear(tick(4, 1, 20, 'download'));
  ticks.hear(tick(4, 1, 95, 'enroll'));
  // A phase other than the download keeps the download's rate; a running status keeps both.
  ticks.hear(status(4, 1, 'uploading'));
  expect(ticks.get(4)?.percents.get(1)).toBe(95);
  expect(ticks.get(4)?.rates.get(1)).toEqual({ bytesDone: 20, bytesTotal: 100, speed: 10 });
  ticks.hear(status(4, 1, 'failed'));
  expect(ticks.get(4)?.percents.get(1)).toBe(100);
  expect(ticks.get(4)?.rates.has(1)).toBe(false);
  ticks.hear(status(4, 1, 'pending'));
  expect(ticks.get(4)?.percents.has(1)).toBe(false);
});

test('a failed seed forgets the order; a seed read across a clear is dropped', () => {
  const ticks = createOrderTicks({ staleMs: 1_000 });
  ticks.follow(5)(null);
  expect(ticks.has(5)).toBe(false);
  const seeded = ticks.follow(6);
  ticks.clear();
  expect(seeded(noSeed())).toBeUndefined();
  expect(ticks.size()).toBe(0);
});

test('a seed lives for staleMs: then get() forgets the order, and so does the sweep (a seed still read too)', () => {
  const ticks = createOrderTicks({ staleMs: 1_000 });
  const now = Date.now();
  ticks.follow(7)(noSeed());
  ticks.follow(8)(noSeed());
  ticks.follow(9);
  // Heard or not, what was read grows old.
  ticks.hear(tick(7, 1, 10));
  expect(ticks.get(7, now + 500)).toBeDefined();
  ticks.sweep(now + 500);
  expect(ticks.size()).toBe(3);
  expect(ticks.get(7, now + 5_000)).toBeUndefined();
  expect(ticks.has(7)).toBe(false);
  ticks.sweep(now + 5_000);
  expect(ticks.size()).toBe(0);
  ticks.follow(10)(noSeed());
  ticks.forget(10);
  expect(ticks.has(10)).toBe(false);
});
