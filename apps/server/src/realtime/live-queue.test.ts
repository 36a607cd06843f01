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

test('a long backlog coalesces through its index, in order, and drains back to reuse', () => {
  const queue = new LiveQueue<string>(1_000);
  for (let i = 0; i < 100; i++) queue.push(`s${i}`, null);
  for (let round = 0; round < 3; round++) {
    for (let task = 0; task < 50; task++) queue.push(`p${task}@${round}`, `task:${task}`);
  }
  expect(queue.size).toBe(150);
  expect(queue.coalesced).toBe(100);
  const out = drain(queue);
  expect(out.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => `s${i}`));
  expect(out.slice(100)).toEqual(Array.from({ length: 50 }, (_, task) => `p${task}@2`));
  queue.push('again', 'task:1');
  queue.push('again2', 'task:1');
  expect(drain(queue)).toEqual(['again2']);
});

test('a subscriber that never catches up does not grow the queue: vacated slots are reclaimed', () => {
  const queue = new LiveQueue<number>(10);
  for (let i = 0; i < 100_000; i++) {
    queue.push(i, `task:${i % 3}`);
    if (i % 2 === 0) queue.shift();
  }
  expect(queue.size).toBeLessThanOrEqual(3);
  expect(queue.slots).toBeLessThanOrEqual(2 * 3 + 33);
  const rest = drain(queue);
  expect(new Set(rest).size).toBe(rest.length);
  expect(rest.every((n) => n >= 99_990)).toBe(true);
});

test('removeWhere and clear leave a queue that works as new', () => {
  const queue = new LiveQueue<number>(100);
  for (let i = 0; i < 60; i++) queue.push(i, i % 2 === 0 ? `task:${i}` : null);
  expect(queue.removeWhere((n) => n < 30)).toBe(30);
  queue.push(100, 'task:40');
  expect(queue.size).toBe(30);
  expect(drain(queue)[29]).toBe(100);
  queue.push(1, null);
  queue.clear();
  expect(queue.size).toBe(0);
  expect(queue.shift()).toBeUndefined();
  queue.push(7, 'task:7');
  expect(drain(queue)).toEqual([7]);
});
