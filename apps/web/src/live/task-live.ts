import type {
  ErrorType,
  LiveTaskState,
  TaskProgress,
  TaskStatus,
  TaskStatusEvent,
  TaskWithLive,
} from '@paidflow/contracts';
import { isRunningTaskStatus, isTerminalTaskStatus } from '@paidflow/contracts/constants';

/** What the live events say about one task, newer than what the query returned. */
export interface TaskLive {
  status: TaskStatus | null;
  /** Event time of the status, to drop late progress ticks of an ended task. */
  statusAt: number;
  error: { type: ErrorType; message: string } | null;
  progress: TaskProgress | null;
}

export type TaskLiveWrite =
  | { kind: 'task.progress'; data: TaskProgress }
  | { kind: 'task.status'; data: TaskStatusEvent };

const EMPTY: TaskLive = { status: null, statusAt: 0, error: null, progress: null };

/**
 * Folds one event into a task's live state. Superseded progress loses to newer progress; a tick
 * older than the last status change is dropped, so a finished task never flickers back.
 */
export function reduceTaskLive(current: TaskLive | undefined, write: TaskLiveWrite): TaskLive {
  const state = current ?? EMPTY;
  if (write.kind === 'task.progress') {
    const tick = write.data;
    if (state.progress && state.progress.timestamp > tick.timestamp) return state;
    if (state.status && isTerminalTaskStatus(state.status) && tick.timestamp <= state.statusAt) return state;
    return { ...state, progress: tick };
  }
  const event = write.data;
  if (event.timestamp < state.statusAt) return state;
  const restarted = event.newStatus === 'queued' || event.newStatus === 'pending';
  return {
    status: event.newStatus,
    statusAt: event.timestamp,
    error: event.newStatus === 'failed' ? (event.error ?? null) : null,
    // A task sent round again starts from zero: its old ticks no longer describe it.
    progress: restarted ? null : state.progress,
  };
}

/** The live state a snapshot gives for a task: it replaces what the client held. */
export function taskLiveFromSnapshot(state: LiveTaskState): TaskLive {
  return { status: state.status, statusAt: state.updatedAt, error: state.error, progress: state.progress };
}

/** One task as a view shows it: the query's row with the newer live facts on top. */
export interface TaskView {
  id: number;
  orderId: number;
  title: string;
  courseUrl: string;
  status: TaskStatus;
  percent: number;
  /** The running task's phase (enrol, download, upload); null when it is not running. */
  phase: NonNullable<TaskProgress['phase']> | null;
  currentFile: string | null;
  speed: number | null;
  etaSeconds: number | null;
  bytesDone: number | null;
  bytesTotal: number | null;
  error: { type: ErrorType; message: string } | null;
  /** The last failed attempt, kept after a retry so that an operator sees what happened. */
  lastError: { type: ErrorType; message: string; attempt: number } | null;
  driveLink: string | null;
  attempts: number;
}

export function mergeTask(task: TaskWithLive, live: TaskLive | undefined): TaskView {
  const status = live?.status ?? task.liveStatus?.newStatus ?? task.status;
  const progress = live ? live.progress : (task.liveProgress ?? null);
  const running = isRunningTaskStatus(status);
  let percent = progress?.percent ?? task.progress;
  if (status === 'completed') percent = 100;
  else if (status === 'queued' || status === 'pending') percent = progress?.percent ?? 0;
  const last = task.error_log?.last ?? null;
  const liveError = live?.status ? live.error : null;
  const error =
    status === 'failed' ? (liveError ?? (last ? { type: last.type, message: last.message } : null)) : null;
  return {
    id: task.id,
    orderId: task.order_id,
    title: task.title,
    courseUrl: task.course_url,
    status,
    percent: Math.min(100, Math.max(0, percent)),
    // A tick without a phase is a download's (older workers, outside publishers).
    phase: running && progress ? (progress.phase ?? 'download') : null,
    currentFile: running
      ? (progress?.currentFile ?? task.current_file)
      : status === 'completed'
        ? null
        : task.current_file,
    speed: running ? (progress?.speed ?? null) : null,
    etaSeconds: running ? (progress?.etaSeconds ?? null) : null,
    bytesDone: progress?.bytesDone ?? null,
    bytesTotal: progress?.bytesTotal ?? null,
    error,
    lastError: last ? { type: last.type, message: last.message, attempt: last.attempt } : null,
    driveLink: task.drive_link,
    attempts: task.attempts,
  };
}
