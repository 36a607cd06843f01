import type { AuditCategory, ErrorType, OrderStatus, Severity, TaskStatus } from '@paidflow/contracts';

// The contract's enumerations, restated for the browser. Importing their runtime values from
// @paidflow/contracts would pull zod into the bundle, whose schema compiler probes `new Function`
// and trips the server's Content-Security-Policy (docs/decisions/031). Each list is written as a
// Record over the contract's type, so the compiler rejects a missing or an unknown value, and
// domain.test.ts checks the order against the contract's own arrays.

function keysOf<T extends string>(record: Record<T, unknown>): T[] {
  return Object.keys(record) as T[];
}

export const ORDER_STATUSES = keysOf<OrderStatus>({
  pending: 1,
  processing: 1,
  completed: 1,
  failed: 1,
  cancelled: 1,
});

const TASK_PHASE: Record<TaskStatus, 'waiting' | 'active' | 'ended'> = {
  pending: 'waiting',
  queued: 'active',
  enrolled: 'active',
  downloading: 'active',
  uploading: 'active',
  completed: 'ended',
  failed: 'ended',
  cancelled: 'ended',
};

export const TASK_STATUSES = keysOf(TASK_PHASE);

/** Completed, failed or cancelled: the task does not move on its own any more. */
export function isTerminalTaskStatus(status: TaskStatus): boolean {
  return TASK_PHASE[status] === 'ended';
}

/** Queued or running: a worker owns the task, or is about to. */
export function isActiveTaskStatus(status: TaskStatus): boolean {
  return TASK_PHASE[status] === 'active';
}

/** A worker is on it right now (the steps after it left the queue). */
export function isRunningTaskStatus(status: TaskStatus): boolean {
  return status === 'enrolled' || status === 'downloading' || status === 'uploading';
}

export const SEVERITIES = keysOf<Severity>({ info: 1, warning: 1, error: 1, critical: 1 });

export const AUDIT_CATEGORIES = keysOf<AuditCategory>({
  payment: 1,
  enrollment: 1,
  download: 1,
  notification: 1,
  system: 1,
});

export const ERROR_TYPES = keysOf<ErrorType>({
  DISK_SPACE: 1,
  AUTHENTICATION: 1,
  TIMEOUT: 1,
  NETWORK: 1,
  PERMISSION: 1,
  NOT_FOUND: 1,
  UNKNOWN: 1,
  WORKER_LOST: 1,
});
