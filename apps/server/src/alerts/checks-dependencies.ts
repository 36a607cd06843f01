import { hostname } from 'node:os';
import { alertOpenKey } from '@paidflow/db';
import type { AlertSettings } from './env.ts';
import type { CheckOutcome, TrackedAlert } from './types.ts';

const DEPENDENCY_KINDS = new Set(['mysql_down', 'redis_down']);

/** This server process's name in mysql_down and redis_down: ALERT_INSTANCE_ID, else hostname-pid. */
export function alertInstanceId(configured: string | undefined): string {
  return configured ?? `${hostname()}-${process.pid}`;
}

/**
 * How long another instance's dependency alert stays open without being seen: its server died
 * or stopped evaluating (its Redis is back, so it no longer holds the MySQL lock); the evaluator
 * then resolves it. A few checks, and never less than the lease.
 */
export function staleDependencyMs(env: Pick<AlertSettings, 'ALERT_INTERVAL_MS' | 'ALERT_LEASE_MS'>): number {
  return Math.max(3 * env.ALERT_INTERVAL_MS, env.ALERT_LEASE_MS);
}

/**
 * mysql_down and redis_down as seen from this server process (subject: its instance id), decided
 * only once the probes agree (N failures in a row, or a success). Each server resolves only its
 * own: another server's (a partition: its Redis gone, ours fine) stays open while that server
 * still sees it (last_seen_at fresher than `staleDependencyMs`), and is resolved once it is stale.
 */
export function checkDependencies(options: {
  env: Pick<
    AlertSettings,
    'ALERT_DOWN_CHECKS' | 'ALERT_PROBE_TIMEOUT_MS' | 'ALERT_INTERVAL_MS' | 'ALERT_LEASE_MS'
  >;
  instance: string;
  failures: { mysql: number; redis: number };
  open: TrackedAlert[];
  now: number;
}): CheckOutcome {
  const { env, instance, failures, now } = options;
  const outcome: CheckOutcome = { kinds: [], firing: [], keep: [] };
  for (const [name, kind] of [
    ['mysql', 'mysql_down'],
    ['redis', 'redis_down'],
  ] as const) {
    const count = failures[name];
    if (count === 0) outcome.kinds.push(kind);
    if (count < env.ALERT_DOWN_CHECKS) continue;
    outcome.kinds.push(kind);
    outcome.firing.push({
      kind,
      subject: instance,
      severity: 'critical',
      message: `${name === 'mysql' ? 'MySQL' : 'Redis'} cannot be reached from server ${instance} (${count} checks in a row)`,
      details: { instance, failedChecks: count, timeoutMs: env.ALERT_PROBE_TIMEOUT_MS },
    });
  }
  const staleBefore = now - staleDependencyMs(env);
  for (const alert of options.open) {
    if (!DEPENDENCY_KINDS.has(alert.kind) || alert.subject === instance) continue;
    if (alert.lastSeenAt.getTime() >= staleBefore)
      outcome.keep!.push(alertOpenKey(alert.kind, alert.subject));
  }
  return outcome;
}
