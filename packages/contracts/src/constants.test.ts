import { readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import * as constants from './constants.ts';
import { OrderStatus, TaskStatus } from './index.ts';

test('the constants entry imports nothing: the browser gets it without zod', async () => {
  const source = await readFile(new URL('./constants.ts', import.meta.url), 'utf8');
  expect(source).not.toMatch(/^\s*import\b/m);
  expect(source).not.toMatch(/\brequire\(|\bimport\(/);
});

test("the schemas are built over the constants' arrays", () => {
  expect(TaskStatus.options).toEqual([...constants.TASK_STATUSES]);
  expect(OrderStatus.options).toEqual([...constants.ORDER_STATUSES]);
});

test('the status groups say what the pipeline means', () => {
  const running = constants.TASK_STATUSES.filter(constants.isRunningTaskStatus);
  expect(running).toEqual(['enrolled', 'downloading', 'uploading']);
  expect(constants.TASK_STATUSES.filter(constants.isActiveTaskStatus)).toEqual(['queued', ...running]);
  expect(constants.TASK_STATUSES.filter(constants.isCancellableTaskStatus)).toEqual([
    'pending',
    'queued',
    ...running,
  ]);
  expect(constants.TASK_STATUSES.filter(constants.isTerminalTaskStatus)).toEqual([
    'completed',
    'failed',
    'cancelled',
  ]);
  // Every status is in exactly one of waiting (pending), active and ended.
  for (const status of constants.TASK_STATUSES) {
    const groups = [
      status === 'pending',
      constants.isActiveTaskStatus(status),
      constants.isTerminalTaskStatus(status),
    ];
    expect(groups.filter(Boolean), status).toHaveLength(1);
  }
  expect(constants.ORDER_STATUSES.filter(constants.isEndedOrderStatus)).toEqual([
    'completed',
    'partially_completed',
    'failed',
    'cancelled',
  ]);
});
