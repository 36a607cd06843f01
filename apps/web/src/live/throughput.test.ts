import type { TaskStatusEvent } from '@paidflow/contracts';
import { expect, test } from 'vitest';
import { createThroughputCounter, minuteOf } from './throughput.ts';

const MINUTE = 60_000;

function event(taskId: number, newStatus: TaskStatusEvent['newStatus'], timestamp: number): TaskStatusEvent {
  return { taskId, orderId: 1, previousStatus: 'uploading', newStatus, timestamp };
}

test('completions and failures are counted per minute, and repeats once', () => {
  const now = 100 * MINUTE;
  const counter = createThroughputCounter({ now: () => now });
  counter.record(event(1, 'completed', now - 30_000));
  counter.record(event(1, 'completed', now - 30_000));
  counter.record(event(2, 'failed', now - 20_000));
  counter.record(event(3, 'completed', now - MINUTE - 5_000));
  counter.record(event(4, 'downloading', now));
  expect(counter.points()).toEqual([
    { minute: minuteOf(now - MINUTE - 5_000), completed: 1, failed: 0 },
    { minute: minuteOf(now - 30_000), completed: 1, failed: 1 },
  ]);
});

test('minutes older than the window are dropped', () => {
  let now = 100 * MINUTE;
  const counter = createThroughputCounter({ minutes: 60, now: () => now });
  counter.record(event(1, 'completed', now));
  now += 61 * MINUTE;
  expect(counter.points()).toEqual([]);
});
