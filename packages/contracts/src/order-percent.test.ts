import { expect, test } from 'vitest';
import {
  formatTaskRate,
  orderEtaSeconds,
  orderPercent,
  orderTaskPercentsKey,
  parseTaskRate,
} from './order-percent.ts';

test('an order counts each task by its latest percent, to one decimal', () => {
  expect(orderPercent({ totalTasks: 3, endedTasks: 0, taskPercents: [50, 20] })).toBe(23.3);
  expect(orderPercent({ totalTasks: 2, endedTasks: 1, taskPercents: [100, 40] })).toBe(70);
  expect(orderPercent({ totalTasks: 2, endedTasks: 2, taskPercents: [100, 100] })).toBe(100);
});

test('never less than the share of ended tasks, when task percents are missing or expired', () => {
  expect(orderPercent({ totalTasks: 4, endedTasks: 3 })).toBe(75);
  expect(orderPercent({ totalTasks: 4, endedTasks: 2, taskPercents: [10] })).toBe(50);
});

test('out-of-range and non-numeric percents are clamped or ignored, and 100 is the ceiling', () => {
  expect(orderPercent({ totalTasks: 2, endedTasks: 0, taskPercents: [250, -5] })).toBe(50);
  expect(orderPercent({ totalTasks: 1, endedTasks: 0, taskPercents: [Number.NaN, 30] })).toBe(30);
  expect(orderPercent({ totalTasks: 1, endedTasks: 5, taskPercents: [100, 100] })).toBe(100);
});

test('an order without tasks is at 0, not NaN', () => {
  expect(orderPercent({ totalTasks: 0, endedTasks: 0, taskPercents: [] })).toBe(0);
});

test('the task percents hash is keyed by order', () => {
  expect(orderTaskPercentsKey(12)).toBe('progress:{o:12}:tasks');
});

test('task rates survive the hash, and malformed ones read as none', () => {
  const rate = { bytesDone: 500, bytesTotal: 2_000, speed: 100 };
  expect(parseTaskRate(formatTaskRate(rate))).toEqual(rate);
  expect(parseTaskRate('1:2')).toBeNull();
  expect(parseTaskRate('a:b:c')).toBeNull();
  expect(parseTaskRate('-1:2:3')).toBeNull();
});

test('an order ETA: the bytes left at the measured speed, as many tasks at once as slots allow', () => {
  const running = [
    { bytesDone: 500, bytesTotal: 1_000, speed: 100 },
    { bytesDone: 0, bytesTotal: 1_000, speed: 100 },
  ];
  // 1,500 bytes left, two tasks at 100 B/s each: 7.5 s.
  expect(orderEtaSeconds({ running, waitingTasks: 0, concurrency: 4 })).toBe(7.5);
  // Two more tasks of the mean size (1,000 B each) and 4 slots: 3,500 B at 4 x 100 B/s.
  expect(orderEtaSeconds({ running, waitingTasks: 2, concurrency: 4 })).toBe(8.8);
  // One slot only: everything at 100 B/s.
  expect(orderEtaSeconds({ running, waitingTasks: 2, concurrency: 1 })).toBe(35);
});

test('no ETA before a speed is measured', () => {
  expect(orderEtaSeconds({ running: [], waitingTasks: 3, concurrency: 2 })).toBeNull();
  expect(
    orderEtaSeconds({
      running: [{ bytesDone: 0, bytesTotal: 10, speed: 0 }],
      waitingTasks: 0,
      concurrency: 1,
    }),
  ).toBeNull();
});
