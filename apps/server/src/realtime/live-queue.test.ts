import { expect, test } from 'vitest';
import { LiveQueue } from './live-queue.ts';

function drain<T>(queue: LiveQueue<T>): T[] {
  const out: T[] = [];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) out.push(item);
  return out;
}

test('superseded progress of the same task is coalesced: the latest wins and moves to the back', () => {
  const queue = new LiveQueue<string>(10);
  queue.push('p7=10', 'task:7');
  queue.push('status7=downloading', null);
  queue.push('p8=5', 'task:8');
  queue.push('p7=60', 'task:7');
  expect(drain(queue)).toEqual(['status7=downloading', 'p8=5', 'p7=60']);
  expect(queue.coalesced).toBe(1);
});

test('status events are never coalesced or dropped', () => {
  const queue = new LiveQueue<string>(10);
  for (const status of ['queued', 'downloading', 'completed']) queue.push(status, null);
  expect(drain(queue)).toEqual(['queued', 'downloading', 'completed']);
});

test('the queue reports an overflow once when non-droppable events pass the bound', () => {
  let overflows = 0;
  const queue = new LiveQueue<number>(3, () => overflows++);
  expect([1, 2, 3].map((n) => queue.push(n, null))).toEqual([true, true, true]);
  expect(queue.push(4, null)).toBe(false);
  expect(queue.push(5, null)).toBe(false);
  expect(overflows).toBe(1);
  expect(queue.overflowed).toBe(true);
});

test('coalescing keeps a flood of progress within the bound', () => {
  let overflows = 0;
  const queue = new LiveQueue<number>(5, () => overflows++);
  for (let i = 0; i < 10_000; i++) queue.push(i, `task:${i % 4}`);
  expect(queue.size).toBe(4);
  expect(overflows).toBe(0);
  expect(drain(queue)).toEqual([9996, 9997, 9998, 9999]);
});

test('wait resolves when an event arrives, and on wake', async () => {
  const queue = new LiveQueue<number>(5);
  const waiting = queue.wait();
  queue.push(1, null);
  await waiting;
  expect(queue.shift()).toBe(1);
  const woken = queue.wait();
  queue.wake();
  await woken;
  expect(queue.size).toBe(0);
});

test('removeWhere drops the stale events only', () => {
  const queue = new LiveQueue<number>(10);
  for (const n of [1, 2, 3, 4]) queue.push(n, null);
  expect(queue.removeWhere((n) => n % 2 === 0)).toBe(2);
  expect(drain(queue)).toEqual([1, 3]);
});
