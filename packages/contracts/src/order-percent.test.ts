import { expect, test } from 'vitest';
import { orderPercent, orderTaskPercentsKey } from './order-percent.ts';

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
  expect(orderTaskPercentsKey(12)).toBe('progress:order:12:tasks');
});
