import type { AuditCategory, Severity } from '@paidflow/contracts';
import { AUDIT_CATEGORIES, SEVERITIES } from '@paidflow/contracts/constants';

/** The audit timeline's filters; empty lists mean "all". */
export interface AuditFilters {
  severity: Severity[];
  category: AuditCategory[];
  taskId: number | null;
}

export const NO_AUDIT_FILTERS: AuditFilters = { severity: [], category: [], taskId: null };

function list<T extends string>(raw: string | null, allowed: readonly T[]): T[] {
  if (!raw) return [];
  const wanted = new Set(raw.split(','));
  // In the canonical order, so that one filter has one URL.
  return allowed.filter((value) => wanted.has(value));
}

/** Reads the filters from the URL: ?sev=error,critical&cat=download&task=12. */
export function readAuditFilters(search: URLSearchParams): AuditFilters {
  const task = Number(search.get('task'));
  return {
    severity: list(search.get('sev'), SEVERITIES),
    category: list(search.get('cat'), AUDIT_CATEGORIES),
    taskId: Number.isSafeInteger(task) && task > 0 ? task : null,
  };
}

/** The URL parameters for the filters (null leaves a parameter out). */
export function auditFilterParams(filters: AuditFilters): Record<string, string | null> {
  return {
    sev: filters.severity.length > 0 ? filters.severity.join(',') : null,
    cat: filters.category.length > 0 ? filters.category.join(',') : null,
    task: filters.taskId === null ? null : String(filters.taskId),
  };
}

/** Adds or removes one value of a filter list, keeping the canonical order. */
export function toggle<T extends string>(values: T[], value: T, all: readonly T[]): T[] {
  const set = new Set(values);
  if (set.has(value)) set.delete(value);
  else set.add(value);
  return all.filter((item) => set.has(item));
}

/** Who did it, for operator actions: details.actor is { id, email } (or a plain name). */
export function actorOf(details: Record<string, unknown> | null): string | null {
  const actor = details?.actor;
  if (typeof actor === 'string' && actor) return actor;
  if (actor && typeof actor === 'object') {
    const { email, id } = actor as { email?: unknown; id?: unknown };
    if (typeof email === 'string' && email) return email;
    if (typeof id === 'number' || typeof id === 'string') return `admin #${id}`;
  }
  return null;
}

/** The worker that ran the attempt an event belongs to (details.workerId), if it says. */
export function workerOf(details: unknown): string | null {
  const value = (details as { workerId?: unknown } | null)?.workerId;
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** A failure event's stack trace (details.stack), if it carries one. */
export function stackOf(details: unknown): string | null {
  const value = (details as { stack?: unknown } | null)?.stack;
  return typeof value === 'string' && value.length > 0 ? value : null;
}
