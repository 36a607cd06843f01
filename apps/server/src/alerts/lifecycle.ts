import { alertOpenKey } from '@paidflow/db';
import type { AlertStore } from './store.ts';
import type { AlertEvent, CheckOutcome } from './types.ts';

/**
 * Applies one round of findings to the store: a finding with no open alert is raised, one that
 * fires already is seen again (and reminded about every `remindMs`), and an open alert of a kind
 * that was evaluated, no longer found and not kept is resolved. Returns what to announce.
 */
export async function applyOutcomes(options: {
  store: AlertStore;
  outcomes: CheckOutcome[];
  now: Date;
  remindMs: number;
}): Promise<AlertEvent[]> {
  const { store, outcomes, now, remindMs } = options;
  const open = new Map((await store.open()).map((alert) => [alertOpenKey(alert.kind, alert.subject), alert]));
  const evaluated = new Set(outcomes.flatMap((outcome) => outcome.kinds));
  const keep = new Set(outcomes.flatMap((outcome) => outcome.keep ?? []));
  const firing = new Set<string>();
  const events: AlertEvent[] = [];
  for (const finding of outcomes.flatMap((outcome) => outcome.firing)) {
    const key = alertOpenKey(finding.kind, finding.subject);
    if (firing.has(key)) continue;
    firing.add(key);
    const existing = open.get(key);
    if (!existing) {
      const raised = await store.raise(finding, now);
      if (!raised) continue;
      raised.lastNotifiedAt = now;
      await store.notified(raised, now);
      events.push({ type: 'raised', alert: { ...raised }, at: now });
      continue;
    }
    // The lifecycle changes the tracked alert; the store records the change.
    Object.assign(existing, {
      message: finding.message,
      details: finding.details,
      severity: finding.severity,
      lastSeenAt: now,
    });
    await store.touch(existing, finding, now);
    const previous = existing.lastNotifiedAt;
    if (now.getTime() - (previous ?? existing.raisedAt).getTime() < remindMs) continue;
    // Fenced on the last notified time: of two evaluators, one sends the reminder.
    const reminded = { ...existing, lastNotifiedAt: now, reminders: existing.reminders + 1 };
    if (!(await store.remind(reminded, previous))) continue;
    events.push({ type: 'reminder', alert: reminded, at: now });
  }
  for (const [key, alert] of open) {
    if (!evaluated.has(alert.kind) || firing.has(key) || keep.has(key)) continue;
    if (!(await store.resolve(alert, now))) continue;
    events.push({ type: 'resolved', alert: { ...alert, resolvedAt: now }, at: now });
  }
  return events;
}
