import type { AlertKind, AlertSeverity } from '@paidflow/contracts';

/** A condition that holds now: one (kind, subject) that fires. */
export interface Finding {
  kind: AlertKind;
  subject: string;
  severity: AlertSeverity;
  message: string;
  details: Record<string, unknown>;
}

/**
 * What one check found. Only the kinds it evaluated may resolve: a check that could not run
 * (its store is down) says nothing, and its open alerts stay as they are.
 */
export interface CheckOutcome {
  kinds: AlertKind[];
  firing: Finding[];
  /** Open alerts (open keys) of these kinds to leave open though not firing now (state unknown). */
  keep?: string[];
}

/** An alert as the lifecycle handles it, recorded in MySQL (id) or, while MySQL is down, not yet (null). */
export interface TrackedAlert {
  id: number | null;
  kind: AlertKind;
  subject: string;
  severity: AlertSeverity;
  message: string;
  details: Record<string, unknown>;
  raisedAt: Date;
  lastSeenAt: Date;
  lastNotifiedAt: Date | null;
  reminders: number;
  resolvedAt: Date | null;
}

export type AlertEventType = 'raised' | 'reminder' | 'resolved';

/** What is announced on the channels. */
export interface AlertEvent {
  type: AlertEventType;
  alert: TrackedAlert;
  at: Date;
}
