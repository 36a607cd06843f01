import { expect, test } from 'vitest';
import { computeSegments, inProgressFromPercent } from './segments.ts';

test('segments split the bar by completed, failed and in-progress work', () => {
  const segments = computeSegments({ total: 4, completed: 1, failed: 1, inProgress: 0.5 });
  expect(segments).toEqual({ completed: 25, failed: 25, inProgress: 12.5, remaining: 37.5, percent: 62 });
});

test('the widths always sum to 100', () => {
  for (const counts of [
    { total: 3, completed: 1, failed: 1, inProgress: 0.33 },
    { total: 7, completed: 2, failed: 0, inProgress: 1.7 },
    { total: 1, completed: 0, failed: 0, inProgress: 0.999 },
  ]) {
    const { completed, failed, inProgress, remaining } = computeSegments(counts);
    expect(completed + failed + inProgress + remaining).toBeCloseTo(100, 5);
  }
});

test('100% only once every task has ended, whatever the running work says', () => {
  expect(computeSegments({ total: 2, completed: 1, failed: 0, inProgress: 0.9999 }).percent).toBe(99);
  expect(computeSegments({ total: 2, completed: 1, failed: 1, inProgress: 0 }).percent).toBe(100);
});

test('an order without tasks draws an empty bar', () => {
  expect(computeSegments({ total: 0, completed: 0, failed: 0, inProgress: 0 })).toEqual({
    completed: 0,
    failed: 0,
    inProgress: 0,
    remaining: 100,
    percent: 0,
  });
});

test('inconsistent counters are clamped: never past 100%, never negative', () => {
  const over = computeSegments({ total: 2, completed: 3, failed: 1, inProgress: 1 });
  expect(over).toEqual({ completed: 100, failed: 0, inProgress: 0, remaining: 0, percent: 100 });
  const negative = computeSegments({ total: 2, completed: -1, failed: Number.NaN, inProgress: -5 });
  expect(negative).toEqual({ completed: 0, failed: 0, inProgress: 0, remaining: 100, percent: 0 });
  const failedOverflow = computeSegments({ total: 4, completed: 3, failed: 3, inProgress: 2 });
  expect(failedOverflow.failed).toBe(25);
  expect(failedOverflow.inProgress).toBe(0);
});

test('running work comes from the order percent minus what has ended', () => {
  expect(inProgressFromPercent({ percent: 50, total: 4, completed: 1, failed: 0 })).toBe(1);
  expect(inProgressFromPercent({ percent: 25, total: 4, completed: 1, failed: 1 })).toBe(0);
  expect(inProgressFromPercent({ percent: 80, total: 0, completed: 0, failed: 0 })).toBe(0);
  expect(inProgressFromPercent({ percent: 150, total: 2, completed: 0, failed: 0 })).toBe(2);
});
