import type { AuditCategory, ErrorType, OrderStatus, Severity, TaskStatus } from '@paidflow/contracts';

/** A status's tone: the badge colour, always with its word (colour is never the only cue). */
export type Tone = 'neutral' | 'info' | 'active' | 'success' | 'danger' | 'warning' | 'muted';

const TASK_TONES: Record<TaskStatus, Tone> = {
  pending: 'neutral',
  queued: 'info',
  enrolled: 'active',
  downloading: 'active',
  uploading: 'active',
  completed: 'success',
  failed: 'danger',
  cancelled: 'muted',
};

const ORDER_TONES: Record<OrderStatus, Tone> = {
  pending: 'neutral',
  processing: 'active',
  completed: 'success',
  partially_completed: 'warning',
  failed: 'danger',
  cancelled: 'muted',
};

const SEVERITY_TONES: Record<Severity, Tone> = {
  info: 'info',
  warning: 'warning',
  error: 'danger',
  critical: 'danger',
};

export function taskTone(status: TaskStatus): Tone {
  return TASK_TONES[status];
}

export function orderTone(status: OrderStatus): Tone {
  return ORDER_TONES[status];
}

export function severityTone(severity: Severity): Tone {
  return SEVERITY_TONES[severity];
}

export const ERROR_TYPE_LABELS: Record<ErrorType, string> = {
  DISK_SPACE: 'Disk space',
  AUTHENTICATION: 'Authentication',
  TIMEOUT: 'Timeout',
  NETWORK: 'Network',
  PERMISSION: 'Permission',
  NOT_FOUND: 'Not found',
  UNKNOWN: 'Unknown',
  WORKER_LOST: 'Worker lost',
};

export const CATEGORY_LABELS: Record<AuditCategory, string> = {
  payment: 'Payment',
  enrollment: 'Enrollment',
  download: 'Download',
  notification: 'Notification',
  system: 'System',
};

/** "download_started" -> "Download started". */
export function humanize(identifier: string): string {
  const text = identifier.replace(/[_:.-]+/g, ' ').trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
