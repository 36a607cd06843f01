import { expect, test } from 'vitest';
import {
  WorkerAck,
  WorkerClaimInput,
  WorkerClaimResult,
  WorkerCompleteInput,
  WorkerFailureInput,
  WorkerTransitionInput,
  WorkerTransitionResult,
} from './worker-api.ts';

const claim = { taskId: 7, jobId: 'task-7-1', attempt: 1 };

const failure = {
  taskId: 7,
  jobId: 'task-7-1',
  runToken: 2,
  attempt: 2,
  maxAttempts: 3,
  step: 'download',
  error: { type: 'TIMEOUT', message: 'Request timed out', retryable: true, file: 'lesson-02.mp4' },
  final: false,
  at: '2024-03-15T08:05:00.000Z',
};

const complete = {
  taskId: 7,
  jobId: 'task-7-1',
  runToken: 2,
  driveLink: 'https://drive.google.com/drive/folders/1AbCdEf',
  files: 12,
  bytes: 734_003_200,
  durationMs: 95_000,
};

test('WorkerClaimInput accepts a first attempt and rejects attempt 0 or a missing job id', () => {
  expect(WorkerClaimInput.parse(claim)).toEqual(claim);
  expect(WorkerClaimInput.safeParse({ ...claim, attempt: 0 }).success).toBe(false);
  expect(WorkerClaimInput.safeParse({ ...claim, attempt: 1.5 }).success).toBe(false);
  expect(WorkerClaimInput.safeParse({ ...claim, jobId: '' }).success).toBe(false);
  expect(WorkerClaimInput.safeParse({ ...claim, jobId: 'x'.repeat(129) }).success).toBe(false);
  expect(WorkerClaimInput.safeParse({ ...claim, taskId: 0 }).success).toBe(false);
  expect(WorkerClaimInput.safeParse({ taskId: 7, attempt: 1 }).success).toBe(false);
});

test('WorkerClaimResult is either go ahead with the task and order, or stop with a reason', () => {
  const proceed = {
    proceed: true,
    task: { id: 7, order_id: 1042, title: 'React', course_url: 'https://x.example/react', status: 'queued' },
    order: { id: 1042, order_code: 'DH240315', user_email: 'a@example.com' },
    runToken: 2,
  };
  expect(WorkerClaimResult.parse(proceed)).toEqual(proceed);
  // A go-ahead always hands the run its fencing token.
  const { runToken: _, ...withoutToken } = proceed;
  expect(WorkerClaimResult.safeParse(withoutToken).success).toBe(false);
  expect(WorkerClaimResult.parse({ proceed: false, reason: 'task cancelled' })).toEqual({
    proceed: false,
    reason: 'task cancelled',
  });
  expect(WorkerClaimResult.safeParse({ proceed: true, reason: 'x' }).success).toBe(false);
  expect(WorkerClaimResult.safeParse({ proceed: false }).success).toBe(false);
  expect(WorkerClaimResult.safeParse({ ...proceed, task: { ...proceed.task, status: 'paid' } }).success).toBe(
    false,
  );
});

test('WorkerTransitionInput accepts only the steps a worker moves a task into', () => {
  for (const to of ['enrolled', 'downloading', 'uploading']) {
    expect(
      WorkerTransitionInput.safeParse({ taskId: 7, jobId: 'task-7-1', runToken: 2, to }).success,
      to,
    ).toBe(true);
  }
  // Completion, failure and cancellation have their own procedures or belong to operators.
  for (const to of ['completed', 'failed', 'cancelled', 'pending', 'queued', 'done']) {
    expect(
      WorkerTransitionInput.safeParse({ taskId: 7, jobId: 'task-7-1', runToken: 2, to }).success,
      to,
    ).toBe(false);
  }
});

test('WorkerTransitionInput takes an optional message and details object', () => {
  const input = {
    taskId: 7,
    jobId: 'task-7-1',
    runToken: 2,
    to: 'downloading',
    message: 'Starting 12 files',
    details: { files: 12 },
  };
  expect(WorkerTransitionInput.parse(input)).toEqual(input);
  expect(WorkerTransitionInput.safeParse({ ...input, details: 'files=12' }).success).toBe(false);
  expect(WorkerTransitionInput.safeParse({ ...input, message: 'x'.repeat(1001) }).success).toBe(false);
});

test('WorkerTransitionResult says whether to go on and the status now', () => {
  expect(WorkerTransitionResult.safeParse({ proceed: false, status: 'cancelled' }).success).toBe(true);
  expect(WorkerTransitionResult.safeParse({ proceed: 'no', status: 'cancelled' }).success).toBe(false);
});

test('WorkerFailureInput accepts a classified failure of one attempt', () => {
  expect(WorkerFailureInput.parse(failure)).toEqual(failure);
  expect(
    WorkerFailureInput.safeParse({
      ...failure,
      attempt: 3,
      final: true,
      error: { ...failure.error, type: 'DISK_SPACE', file: null },
    }).success,
  ).toBe(true);
});

test('WorkerFailureInput rejects an unclassified error, an unknown step and a bad time', () => {
  expect(
    WorkerFailureInput.safeParse({ ...failure, error: { ...failure.error, type: 'OOPS' } }).success,
  ).toBe(false);
  expect(WorkerFailureInput.safeParse({ ...failure, error: { message: 'x' } }).success).toBe(false);
  expect(WorkerFailureInput.safeParse({ ...failure, step: 'unzip' }).success).toBe(false);
  expect(WorkerFailureInput.safeParse({ ...failure, at: 'yesterday' }).success).toBe(false);
  expect(WorkerFailureInput.safeParse({ ...failure, at: 1_700_000_000_000 }).success).toBe(false);
  expect(WorkerFailureInput.safeParse({ ...failure, maxAttempts: 0 }).success).toBe(false);
  const { final: _, ...withoutFinal } = failure;
  expect(WorkerFailureInput.safeParse(withoutFinal).success).toBe(false);
});

test('WorkerCompleteInput accepts a delivered task and rejects a missing link or negative counts', () => {
  expect(WorkerCompleteInput.parse(complete)).toEqual(complete);
  expect(WorkerCompleteInput.safeParse({ ...complete, driveLink: '' }).success).toBe(false);
  expect(WorkerCompleteInput.safeParse({ ...complete, files: -1 }).success).toBe(false);
  expect(WorkerCompleteInput.safeParse({ ...complete, bytes: 1.5 }).success).toBe(false);
  expect(WorkerCompleteInput.safeParse({ ...complete, durationMs: -5 }).success).toBe(false);
});

test('WorkerCompleteInput carries the manifest of delivered files; the server builds the link', () => {
  const { driveLink: _, ...base } = complete;
  const delivered = {
    ...base,
    deliveredFiles: [
      { path: 'lesson-01.mp4', size: 1000, contentType: 'video/mp4' },
      { path: 'notes/slides.pdf', size: 20, contentType: 'application/pdf' },
    ],
  };
  expect(WorkerCompleteInput.parse(delivered)).toEqual(delivered);
  // Neither a manifest nor a (legacy) link: nothing says where the files are.
  expect(WorkerCompleteInput.safeParse(base).success).toBe(false);
  // Paths stay inside the task, and each is listed once.
  for (const path of ['../x', '/etc/passwd', 'a//b', 'a/../b', '']) {
    const files = [{ path, size: 1, contentType: 'text/plain' }];
    expect(WorkerCompleteInput.safeParse({ ...base, deliveredFiles: files }).success, path).toBe(false);
  }
  const twice = [delivered.deliveredFiles[0], delivered.deliveredFiles[0]];
  expect(WorkerCompleteInput.safeParse({ ...base, deliveredFiles: twice }).success).toBe(false);
  expect(WorkerCompleteInput.safeParse({ ...base, deliveredFiles: [] }).success).toBe(true);
});

test('every report of a run carries its fencing token, a positive integer', () => {
  const transition = { taskId: 7, jobId: 'task-7-1', runToken: 2, to: 'enrolled' };
  for (const [schema, input] of [
    [WorkerTransitionInput, transition],
    [WorkerFailureInput, failure],
    [WorkerCompleteInput, complete],
  ] as const) {
    expect(schema.safeParse(input).success).toBe(true);
    const { runToken: _, ...withoutToken } = input;
    expect(schema.safeParse(withoutToken).success).toBe(false);
    expect(schema.safeParse({ ...input, runToken: 0 }).success).toBe(false);
    expect(schema.safeParse({ ...input, runToken: 1.5 }).success).toBe(false);
  }
});

test('WorkerAck is ok with a duplicate flag', () => {
  expect(WorkerAck.safeParse({ ok: true, duplicate: true }).success).toBe(true);
  expect(WorkerAck.safeParse({ ok: false, duplicate: false }).success).toBe(false);
  expect(WorkerAck.safeParse({ ok: true }).success).toBe(false);
});
