import { expect, test } from 'vitest';
import {
  ACTIVE_TASK_STATUSES,
  isActiveTaskStatus,
  isTerminalTaskStatus,
  TASK_STATUSES,
  TERMINAL_TASK_STATUSES,
} from './constants.ts';
import { DownloadTask, PipelineStep, TaskAttemptError, TaskErrorLog, TaskStatus } from './tasks.ts';

const attemptError = {
  type: 'NETWORK',
  message: 'read ECONNRESET',
  retryable: true,
  attempt: 1,
  step: 'download',
  file: 'module-1/lesson-02.mp4',
  at: '2024-03-15T08:05:00.000Z',
};

const task = {
  id: 7,
  order_id: 1042,
  title: 'Advanced TypeScript',
  course_url: 'https://courses.example.com/advanced-typescript',
  status: 'completed',
  progress: 100,
  current_file: null,
  error_log: { last: attemptError, history: [attemptError] },
  drive_link: 'https://drive.google.com/drive/folders/1AbCdEf',
  delivered_files: [{ path: 'lesson-01.mp4', size: 1024, contentType: 'video/mp4' }],
  attempts: 2,
  created_at: new Date('2024-03-15T08:02:40Z'),
  updated_at: new Date('2024-03-15T08:30:00Z'),
  started_at: new Date('2024-03-15T08:03:00Z'),
  completed_at: new Date('2024-03-15T08:30:00Z'),
};

test('DownloadTask accepts a completed task that needed a retry', () => {
  expect(DownloadTask.parse(task)).toEqual(task);
});

test('DownloadTask accepts a fresh pending task with nothing filled in yet', () => {
  const fresh = {
    ...task,
    status: 'pending',
    progress: 0,
    error_log: null,
    drive_link: null,
    attempts: 0,
    started_at: null,
    completed_at: null,
  };
  expect(DownloadTask.safeParse(fresh).success).toBe(true);
});

test('DownloadTask accepts every status of the lifecycle and nothing else', () => {
  expect(TASK_STATUSES).toEqual([
    'pending',
    'queued',
    'enrolled',
    'downloading',
    'uploading',
    'completed',
    'failed',
    'cancelled',
  ]);
  for (const status of TASK_STATUSES) expect(DownloadTask.safeParse({ ...task, status }).success).toBe(true);
  for (const status of ['paid', 'done', 'COMPLETED', '']) {
    expect(DownloadTask.safeParse({ ...task, status }).success, status).toBe(false);
  }
});

test('DownloadTask rejects progress outside 0..100 or fractional', () => {
  expect(DownloadTask.safeParse({ ...task, progress: 101 }).success).toBe(false);
  expect(DownloadTask.safeParse({ ...task, progress: -1 }).success).toBe(false);
  expect(DownloadTask.safeParse({ ...task, progress: 50.5 }).success).toBe(false);
});

test('DownloadTask rejects an empty title or source, negative attempts and a missing field', () => {
  expect(DownloadTask.safeParse({ ...task, title: '' }).success).toBe(false);
  expect(DownloadTask.safeParse({ ...task, course_url: '' }).success).toBe(false);
  expect(DownloadTask.safeParse({ ...task, attempts: -1 }).success).toBe(false);
  const { drive_link: _, ...withoutLink } = task;
  expect(DownloadTask.safeParse(withoutLink).success).toBe(false);
});

test('DownloadTask rejects an error log that is not the error bridge shape', () => {
  expect(DownloadTask.safeParse({ ...task, error_log: 'ECONNRESET' }).success).toBe(false);
  expect(DownloadTask.safeParse({ ...task, error_log: { history: [] } }).success).toBe(false);
});

test('TaskErrorLog accepts the last error with its history', () => {
  const log = { last: attemptError, history: [attemptError, { ...attemptError, attempt: 2, file: null }] };
  expect(TaskErrorLog.parse(log)).toEqual(log);
  expect(TaskErrorLog.safeParse({ last: attemptError, history: [] }).success).toBe(true);
});

test('TaskErrorLog caps the history at 50 attempts', () => {
  const history = Array.from({ length: 50 }, (_, i) => ({ ...attemptError, attempt: i + 1 }));
  expect(TaskErrorLog.safeParse({ last: attemptError, history }).success).toBe(true);
  expect(TaskErrorLog.safeParse({ last: attemptError, history: [...history, attemptError] }).success).toBe(
    false,
  );
});

test('TaskAttemptError rejects an unknown error type, step, attempt 0 or a non-ISO time', () => {
  expect(TaskAttemptError.safeParse({ ...attemptError, type: 'BOOM' }).success).toBe(false);
  expect(TaskAttemptError.safeParse({ ...attemptError, step: 'unzip' }).success).toBe(false);
  expect(TaskAttemptError.safeParse({ ...attemptError, attempt: 0 }).success).toBe(false);
  expect(TaskAttemptError.safeParse({ ...attemptError, at: '15/03/2024 08:05' }).success).toBe(false);
  expect(TaskAttemptError.safeParse({ ...attemptError, at: new Date() }).success).toBe(false);
  expect(TaskAttemptError.safeParse({ ...attemptError, message: 'x'.repeat(2001) }).success).toBe(false);
  expect(TaskAttemptError.safeParse({ ...attemptError, retryable: 'yes' }).success).toBe(false);
});

test('the pipeline steps are enroll, download, upload and finalize', () => {
  for (const step of ['enroll', 'download', 'upload', 'finalize'])
    expect(PipelineStep.parse(step)).toBe(step);
  expect(PipelineStep.safeParse('queue').success).toBe(false);
});

test('every status is exactly one of: waiting (pending), active or terminal', () => {
  for (const status of TaskStatus.options) {
    const kinds = [status === 'pending', isActiveTaskStatus(status), isTerminalTaskStatus(status)];
    expect(kinds.filter(Boolean), status).toHaveLength(1);
  }
  expect([...TERMINAL_TASK_STATUSES]).toEqual(['completed', 'failed', 'cancelled']);
  expect([...ACTIVE_TASK_STATUSES]).toEqual(['queued', 'enrolled', 'downloading', 'uploading']);
});
