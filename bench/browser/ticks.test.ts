import { expect, test } from 'vitest';
import { spreadTasks } from './plan.ts';
import { matchTicks, tickFileName, tickKeyOf, tickOffsetMs, ticksDue } from './ticks.ts';

test('a tick file name carries its task and sequence, and reads back', () => {
  const name = tickFileName(412, 37);
  expect(name).toMatch(/\.mp4$/);
  expect(tickKeyOf(name)).toBe('412-37');
  expect(tickKeyOf(`downloading ${name} now`)).toBe('412-37');
  expect(tickKeyOf('lesson.mp4')).toBeNull();
});

test('ticks are matched to the first time the page showed them, inside the window only', () => {
  const published = [
    { taskId: 1, seq: 1, publishedAt: 900 }, // before the window
    { taskId: 1, seq: 2, publishedAt: 1_000 },
    { taskId: 1, seq: 3, publishedAt: 1_250 }, // never shown (superseded)
    { taskId: 2, seq: 1, publishedAt: 1_100 },
    { taskId: 3, seq: 1, publishedAt: 1_100 }, // a task the page does not show
    { taskId: 2, seq: 2, publishedAt: 2_500 }, // after the window
  ];
  const seen = new Map([
    ['1-1', 950],
    ['1-2', 1_030],
    ['2-1', 1_190],
    ['3-1', 1_101],
    ['2-2', 2_510],
  ]);
  const match = matchTicks({ published, seen, taskIds: new Set([1, 2]), from: 1_000, to: 2_000 });
  expect(match.sampled).toBe(3);
  expect(match.seen).toBe(2);
  expect(match.seenFraction).toBe(0.667);
  expect(match.latency.p50).toBe(30);
  expect(match.latency.max).toBe(90);
});

test('a page shown a moment before the publisher clock reads it counts as no delay, not less', () => {
  const match = matchTicks({
    published: [{ taskId: 1, seq: 1, publishedAt: 1_000 }],
    seen: new Map([['1-1', 999.6]]),
    taskIds: new Set([1]),
    from: 0,
    to: 2_000,
  });
  expect(match.latency.max).toBe(0);
});

test('tasks tick spread over the interval, one tick per interval each, from their offset', () => {
  const offsets = [0, 1, 2, 3].map((index) => tickOffsetMs(index, 4, 250));
  expect(offsets).toEqual([0, 62.5, 125, 187.5]);
  expect(ticksDue(0, 0, 250)).toBe(1);
  expect(ticksDue(62, 62.5, 250)).toBe(0);
  expect(ticksDue(62.5, 62.5, 250)).toBe(1);
  expect(ticksDue(312.5, 62.5, 250)).toBe(2);
  // 500 tasks at 4 Hz: 2,000 ticks in a second, about 20 in any 10 ms.
  const due = (ms: number) =>
    Array.from({ length: 500 }, (_, i) => ticksDue(ms, tickOffsetMs(i, 500, 250), 250)).reduce(
      (a, b) => a + b,
    );
  expect(due(999.999)).toBe(2_000);
  expect(due(510) - due(500)).toBe(20);
});

test('the opened order gets its tasks and the other orders share the rest evenly', () => {
  const counts = spreadTasks({ orders: 100, tasks: 500, firstOrderTasks: 20 });
  expect(counts).toHaveLength(100);
  expect(counts[0]).toBe(20);
  expect(counts.reduce((a, b) => a + b)).toBe(500);
  expect(Math.max(...counts.slice(1)) - Math.min(...counts.slice(1))).toBeLessThanOrEqual(1);
  expect(spreadTasks({ orders: 1, tasks: 5, firstOrderTasks: 20 })).toEqual([20]);
});
