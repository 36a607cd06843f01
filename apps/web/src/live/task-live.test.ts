import type { TaskProgress, TaskStatusEvent, TaskWithLive } from '@paidflow/contracts';
import { expect, test } from 'vitest';
import { mergeTask, reduceTaskLive, type TaskLive } from './task-live.ts';

function tick(percent: number, timestamp: number, currentFile = 'lesson-01.bin'): TaskProgress {
  return {
    taskId: 5,
    orderId: 1,
    phase: 'download',
    percent,
    currentFile,
    bytesDone: percent * 100,
    bytesTotal: 10_000,
    speed: 2048,
    etaSeconds: 12,
    timestamp,
  };
}

function status(
  newStatus: TaskStatusEvent['newStatus'],
  timestamp: number,
  error?: TaskStatusEvent['error'],
) {
  return {
    kind: 'task.status' as const,
    data: { taskId: 5, orderId: 1, previousStatus: null, newStatus, error, timestamp },
  };
}

function task(overrides: Partial<TaskWithLive> = {}): TaskWithLive {
  const now = new Date(0);
  return {
    id: 5,
    order_id: 1,
    title: 'React course',
    course_url: 'http://127.0.0.1:4100/courses/react/manifest.json',
    status: 'downloading',
    progress: 10,
    current_file: null,
    error_log: null,
    delivered_files: null,
    drive_link: null,
    attempts: 1,
    created_at: now,
    updated_at: now,
    started_at: now,
    completed_at: null,
    liveProgress: null,
    liveStatus: null,
    ...overrides,
  };
}

test('newer progress replaces older progress; a late tick is dropped', () => {
  let live: TaskLive | undefined;
  live = reduceTaskLive(live, { kind: 'task.progress', data: tick(40, 2) });
  live = reduceTaskLive(live, { kind: 'task.progress', data: tick(20, 1) });
  expect(live.progress?.percent).toBe(40);
});

test('a finished task never flickers back to an older tick', () => {
  let live = reduceTaskLive(undefined, { kind: 'task.progress', data: tick(99, 10) });
  live = reduceTaskLive(live, status('completed', 20));
  const after = reduceTaskLive(live, { kind: 'task.progress', data: tick(98, 15) });
  expect(after).toBe(live);
  expect(mergeTask(task(), after).percent).toBe(100);
});

test('a failed status carries its classified error; a retry clears it and the old progress', () => {
  let live = reduceTaskLive(undefined, { kind: 'task.progress', data: tick(30, 1) });
  live = reduceTaskLive(live, status('failed', 2, { type: 'NETWORK', message: 'socket hang up' }));
  expect(live.error).toEqual({ type: 'NETWORK', message: 'socket hang up' });
  live = reduceTaskLive(live, status('queued', 3));
  expect(live.error).toBeNull();
  expect(live.progress).toBeNull();
  const view = mergeTask(task({ status: 'failed' }), live);
  expect(view.status).toBe('queued');
  expect(view.percent).toBe(0);
  expect(view.error).toBeNull();
});

test('the view takes live values over the query, and the query when there are none', () => {
  const fromQuery = mergeTask(task({ progress: 10, current_file: 'intro.bin' }), undefined);
  expect(fromQuery).toMatchObject({
    status: 'downloading',
    percent: 10,
    currentFile: 'intro.bin',
    speed: null,
  });
  const live = reduceTaskLive(undefined, { kind: 'task.progress', data: tick(55, 5, 'lesson-02.bin') });
  expect(mergeTask(task(), live)).toMatchObject({
    percent: 55,
    currentFile: 'lesson-02.bin',
    speed: 2048,
    etaSeconds: 12,
    bytesDone: 5500,
  });
});

test('a failed task shows the last error from its error log', () => {
  const at = new Date(0).toISOString();
  const view = mergeTask(
    task({
      status: 'failed',
      attempts: 3,
      error_log: {
        last: {
          type: 'NOT_FOUND',
          message: 'HTTP 404',
          retryable: false,
          attempt: 3,
          step: 'download',
          file: null,
          at,
        },
        history: [],
      },
    }),
    undefined,
  );
  expect(view.error).toEqual({ type: 'NOT_FOUND', message: 'HTTP 404' });
  expect(view.lastError).toEqual({ type: 'NOT_FOUND', message: 'HTTP 404', attempt: 3 });
  expect(view.speed).toBeNull();
});

test('the view names the running phase; a tick without one is a download, an idle task has none', () => {
  const uploading = reduceTaskLive(undefined, {
    kind: 'task.progress',
    data: { ...tick(95, 5), phase: 'upload' },
  });
  expect(mergeTask(task(), uploading).phase).toBe('upload');
  const { phase: _, ...older } = tick(40, 6);
  const legacy = reduceTaskLive(undefined, { kind: 'task.progress', data: older });
  expect(mergeTask(task(), legacy).phase).toBe('download');
  expect(mergeTask(task({ status: 'queued' }), undefined).phase).toBeNull();
});
