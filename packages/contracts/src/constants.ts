// The contract's enumerations, status groups and close codes, with no zod and no import at all:
// the browser imports this entry (@paidflow/contracts/constants) without pulling zod into its
// bundle (decisions 031 and 042). The zod schemas are built over these same arrays.

/** A download task's whole lifecycle, in pipeline order. */
export const TASK_STATUSES = [
  'pending',
  'queued',
  'enrolled',
  'downloading',
  'uploading',
  'completed',
  'failed',
  'cancelled',
] as const;
type TaskStatusValue = (typeof TASK_STATUSES)[number];

/** Statuses from which a task never moves on its own. */
export const TERMINAL_TASK_STATUSES = [
  'completed',
  'failed',
  'cancelled',
] as const satisfies TaskStatusValue[];
/** Statuses in which a worker owns the task (or is about to). */
export const ACTIVE_TASK_STATUSES = [
  'queued',
  'enrolled',
  'downloading',
  'uploading',
] as const satisfies TaskStatusValue[];
/** A worker is on it right now: the steps after it left the queue. */
export const RUNNING_TASK_STATUSES = [
  'enrolled',
  'downloading',
  'uploading',
] as const satisfies TaskStatusValue[];
/** What an operator may cancel: anything not ended yet. */
export const CANCELLABLE_TASK_STATUSES = [
  'pending',
  ...ACTIVE_TASK_STATUSES,
] as const satisfies TaskStatusValue[];

function isIn(list: readonly string[], value: string): boolean {
  return list.includes(value);
}
export function isTerminalTaskStatus(status: TaskStatusValue): boolean {
  return isIn(TERMINAL_TASK_STATUSES, status);
}
export function isActiveTaskStatus(status: TaskStatusValue): boolean {
  return isIn(ACTIVE_TASK_STATUSES, status);
}
export function isRunningTaskStatus(status: TaskStatusValue): boolean {
  return isIn(RUNNING_TASK_STATUSES, status);
}
export function isCancellableTaskStatus(status: TaskStatusValue): boolean {
  return isIn(CANCELLABLE_TASK_STATUSES, status);
}

/**
 * The phases a task's progress goes through, each with a fixed share of its bar (decision 048):
 * enrolment is short, the download is most of the time, the delivery (upload) the rest. 100 is
 * reached only when the task is delivered.
 */
export const TASK_PHASES = ['enroll', 'download', 'upload'] as const;
export const PHASE_BANDS = {
  enroll: { start: 0, end: 5 },
  download: { start: 5, end: 90 },
  upload: { start: 90, end: 100 },
} as const satisfies Record<(typeof TASK_PHASES)[number], { start: number; end: number }>;

/** The pipeline steps a worker runs, each a status change. */
export const PIPELINE_STEPS = ['enroll', 'download', 'upload', 'finalize'] as const;

export const PAYMENT_STATUSES = ['pending', 'paid', 'underpaid', 'refunded', 'failed', 'cancelled'] as const;
export const ORDER_STATUSES = [
  'pending',
  'processing',
  'completed',
  // Every task ended, some delivered and some failed: the customer has part of the order.
  'partially_completed',
  'failed',
  'cancelled',
] as const;
/** An order in one of these has ended: every task of it has. */
export const ENDED_ORDER_STATUSES = [
  'completed',
  'partially_completed',
  'failed',
  'cancelled',
] as const satisfies Array<(typeof ORDER_STATUSES)[number]>;
export function isEndedOrderStatus(status: (typeof ORDER_STATUSES)[number]): boolean {
  return isIn(ENDED_ORDER_STATUSES, status);
}

/** Whose tasks the workers take first: a VIP order's jobs carry a higher BullMQ priority. */
export const ORDER_PRIORITIES = ['normal', 'vip'] as const;

/**
 * What became of a transfer the provider sent. `received`: stored, not yet settled; `ignored`:
 * an outgoing transfer, a payment for an order already paid, or an operator's "ignore";
 * `rejected`: refused by validation.
 */
export const PAYMENT_TRANSACTION_STATUSES = [
  'received',
  'applied',
  'overpaid',
  'underpaid',
  'unmatched',
  'ignored',
  'refunded',
  'rejected',
] as const;
/** Transactions an operator must look at: money arrived and no order took it (whole). */
export const PAYMENT_ATTENTION_STATUSES = ['unmatched', 'underpaid'] as const satisfies Array<
  (typeof PAYMENT_TRANSACTION_STATUSES)[number]
>;

/** The design's targets for the pipeline (the job-status report): what the overview compares to. */
export const KPI_TARGETS = {
  /** Failed tasks, as a share of the tasks that ended, stay under this. */
  maxFailureRate: 0.02,
  /** Of the tasks that needed a retry, at least this share end delivered. */
  minRetrySuccessRate: 0.8,
} as const;

export const AUDIT_CATEGORIES = ['payment', 'enrollment', 'download', 'notification', 'system'] as const;
export const SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;

/** The classes every failure is sorted into (the seeds' error bridge). */
export const ERROR_TYPES = [
  'DISK_SPACE',
  'AUTHENTICATION',
  'TIMEOUT',
  'NETWORK',
  'PERMISSION',
  'NOT_FOUND',
  'UNKNOWN',
  // The run's worker died or lost its job (stalled out, Redis lost the job): found by the reconciler.
  'WORKER_LOST',
] as const;

export const ADMIN_ROLES = ['viewer', 'operator'] as const;

/**
 * WebSocket close codes of the live API. SESSION_ENDED: the session ended (expired, or signed out
 * in any tab or server): the client must sign in again rather than reconnect. LAGGING: the client
 * fell too far behind; it reconnects and resyncs. RESTART: the server is restarting; reconnect.
 */
export const SESSION_ENDED_CLOSE_CODE = 4401;
export const LAGGING_CLOSE_CODE = 1013;
export const RESTART_CLOSE_CODE = 1012;

/**
 * What Paidflow alerts a person about (docs/alerts.md): each kind has its own condition and
 * thresholds; an alert is one (kind, subject) firing from raised to resolved.
 */
export const ALERT_KINDS = [
  'worker_down',
  'no_workers',
  'queue_backlog',
  'queue_wait',
  'failure_rate',
  'dead_letters',
  'outbox_stuck',
  'payment_unmatched',
  'mysql_down',
  'redis_down',
] as const;
export type AlertKindValue = (typeof ALERT_KINDS)[number];
