import {
  type AuditEventType,
  classifyError,
  type PipelineStep,
  type Severity,
  type TaskAttemptError,
  type TaskStatus,
} from '@paidflow/contracts';
import { type Course, FAILURES, LECTURE_FILES } from './catalog.ts';
import type { Random } from './random.ts';
import type { SeedEventRow, SeedTaskRow } from './rows.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** Where a task's story ends. */
export type TaskOutcome =
  | 'pending'
  | 'queued'
  | 'enrolled'
  | 'downloading'
  | 'uploading'
  | 'completed'
  | 'failed'
  | 'cancelled';

export interface TaskStoryInput {
  rng: Random;
  id: number;
  orderId: number;
  orderCode: string;
  course: Course;
  courseBase: string;
  outcome: TaskOutcome;
  createdAt: number;
  /** When the order was paid (null for a pending order). */
  paidAt: number | null;
}

const STEP_STATUS: Record<PipelineStep, TaskStatus> = {
  enroll: 'queued',
  download: 'downloading',
  upload: 'uploading',
  finalize: 'uploading',
};
const STEP_FAILED_EVENT: Record<PipelineStep, AuditEventType> = {
  enroll: 'enrollment_failed',
  download: 'download_failed',
  upload: 'upload_failed',
  finalize: 'upload_failed',
};

/**
 * Builds one task row and the audit events that tell its story up to its outcome:
 * queued -> enrolled -> downloaded -> uploaded and completed, or a failure at one step
 * (with retried attempts for retryable errors), or a cancellation.
 */
export function buildTaskStory(input: TaskStoryInput): { task: SeedTaskRow; events: SeedEventRow[] } {
  const { rng, id, orderId, course, outcome, createdAt, paidAt } = input;
  const task: SeedTaskRow = {
    id,
    order_id: orderId,
    title: course.title,
    course_url: `${input.courseBase}/${course.slug}/manifest.json`,
    status: outcome,
    progress: 0,
    current_file: null,
    error_log: null,
    drive_link: null,
    attempts: 0,
    queue_generation: 0,
    created_at: createdAt,
    updated_at: createdAt,
    started_at: null,
    completed_at: null,
  };
  const events: SeedEventRow[] = [];
  if (outcome === 'pending' || paidAt === null) return { task, events };

  function event(at: number, type: AuditEventType, fields: Partial<SeedEventRow> & { message: string }) {
    events.push({
      order_id: orderId,
      task_id: id,
      event_type: type,
      severity: 'info',
      details: null,
      previous_status: null,
      new_status: null,
      source: 'worker',
      error_type: null,
      created_at: at,
      ...fields,
    });
    task.updated_at = Math.max(task.updated_at, at);
  }

  const queuedAt = paidAt + rng.int(200, 2 * SECOND);
  task.queue_generation = 1;
  event(queuedAt, 'task_queued', {
    message: `Queued "${course.title}" for download`,
    previous_status: 'pending',
    new_status: 'queued',
    source: 'server',
  });
  if (outcome === 'queued') return { task, events };

  if (outcome === 'cancelled') {
    const at = queuedAt + rng.int(1, 120) * MINUTE;
    event(at, 'task_cancelled', {
      message: 'Cancelled by an operator',
      previous_status: 'queued',
      new_status: 'cancelled',
      source: 'admin',
      details: { actor: 'ops@paidflow.local', reason: 'Customer asked for a refund' },
    });
    task.completed_at = at;
    return { task, events };
  }

  const failure = outcome === 'failed' ? rng.pick(FAILURES) : null;
  const enrolledAt = queuedAt + rng.int(3, 60) * SECOND;
  task.started_at = queuedAt + Math.round((enrolledAt - queuedAt) / 2);
  task.attempts = 1;
  if (failure?.step === 'enroll') return failTask(input, task, events, event, failure, enrolledAt);
  event(enrolledAt, 'enrollment_success', {
    message: `Enrolled in "${course.title}"`,
    previous_status: 'queued',
    new_status: 'enrolled',
  });
  if (outcome === 'enrolled') return { task, events };

  const downloadStartAt = enrolledAt + rng.int(1, 5) * SECOND;
  const files = rng.int(8, 120);
  const bytes = files * rng.int(20, 400) * 1024 * 1024;
  if (outcome === 'downloading' || failure?.step === 'download') {
    event(downloadStartAt, 'download_started', {
      message: `Downloading ${files} files`,
      previous_status: 'enrolled',
      new_status: 'downloading',
      details: { files, bytes_total: bytes },
    });
    task.progress = rng.int(5, 85);
    task.current_file = rng.pick(LECTURE_FILES);
    if (failure)
      return failTask(input, task, events, event, failure, downloadStartAt + rng.int(1, 20) * MINUTE);
    return { task, events };
  }
  const downloadDoneAt = downloadStartAt + rng.int(2, 30) * MINUTE;
  event(downloadDoneAt, 'download_completed', {
    message: `Downloaded ${files} files (${(bytes / 1024 ** 3).toFixed(1)} GB)`,
    previous_status: 'downloading',
    new_status: 'uploading',
    details: { files, bytes, duration_ms: downloadDoneAt - downloadStartAt },
  });
  task.progress = rng.int(90, 99);
  if (outcome === 'uploading') return { task, events };
  const doneAt = downloadDoneAt + rng.int(1, 10) * MINUTE;
  if (failure) return failTask(input, task, events, event, failure, doneAt);

  task.progress = 100;
  task.drive_link = `https://drive.google.com/drive/folders/${input.orderCode}-${input.course.slug}`;
  task.completed_at = doneAt;
  event(doneAt, 'task_completed', {
    message: 'Uploaded to the customer folder',
    previous_status: 'uploading',
    new_status: 'completed',
    details: { drive_link: task.drive_link, files, bytes },
  });
  return { task, events };
}

type AddEvent = (
  at: number,
  type: AuditEventType,
  fields: Partial<SeedEventRow> & { message: string },
) => void;

/** Ends a task as failed at its step: one event per failed attempt, the last one final. */
function failTask(
  input: TaskStoryInput,
  task: SeedTaskRow,
  events: SeedEventRow[],
  event: AddEvent,
  failure: (typeof FAILURES)[number],
  firstAt: number,
): { task: SeedTaskRow; events: SeedEventRow[] } {
  const classification = classifyError(failure);
  const attempts = classification.retryable ? input.rng.int(1, 3) : 1;
  const history: TaskAttemptError[] = [];
  let at = firstAt;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const final = attempt === attempts;
    const severity: Severity = final ? classification.severity : 'warning';
    const file = failure.step === 'download' ? task.current_file : null;
    history.push({
      type: classification.type,
      message: failure.message,
      retryable: classification.retryable,
      attempt,
      step: failure.step,
      file,
      at: new Date(at).toISOString(),
    });
    event(at, STEP_FAILED_EVENT[failure.step], {
      severity,
      message: final
        ? `${failure.message} (attempt ${attempt}, giving up)`
        : `${failure.message} (attempt ${attempt}, retrying)`,
      error_type: classification.type,
      previous_status: final ? STEP_STATUS[failure.step] : null,
      new_status: final ? 'failed' : null,
      details: {
        error_type: classification.type,
        error_message: failure.message,
        attempt,
        step: failure.step,
        retryable: classification.retryable,
      },
    });
    if (!final) at += 30 * SECOND * 2 ** (attempt - 1) + input.rng.int(1, 60) * SECOND;
  }
  task.attempts = attempts;
  task.completed_at = at;
  task.error_log = { last: history[history.length - 1]!, history };
  return { task, events };
}
