import { withTimeout } from '@paidflow/runtime';
import type { AppDeps } from '../deps.ts';
import { QUEUE_TIMEOUT_MS } from '../services/queue-overview.ts';
import type { AlertSettings } from './env.ts';
import type { CheckOutcome, Finding } from './types.ts';

/** The dead letters' count over time (a sorted set, score = when): how the growth is measured. */
export const DEAD_LETTER_SAMPLES_KEY = 'alerts:dead-letters';

/**
 * queue_backlog (BullMQ's waiting and prioritized jobs) and dead_letters (its failed set grew by
 * ALERT_DEAD_LETTER_GROWTH within ALERT_DEAD_LETTER_WINDOW_SECONDS; it resolves once a whole
 * window passed without that growth, or once the dead letters are retried or removed).
 */
export async function checkQueue(
  deps: Pick<AppDeps, 'queue' | 'redis' | 'namespace'>,
  settings: AlertSettings,
  now: number,
): Promise<CheckOutcome> {
  const counts = await withTimeout(
    deps.queue.getJobCounts('waiting', 'prioritized', 'failed'),
    QUEUE_TIMEOUT_MS,
    'queue counts',
  );
  const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
  const failed = counts.failed ?? 0;
  const firing: Finding[] = [];
  if (settings.ALERT_BACKLOG_MAX > 0 && waiting >= settings.ALERT_BACKLOG_MAX) {
    firing.push({
      kind: 'queue_backlog',
      subject: 'downloads',
      severity: 'warning',
      message: `${waiting} download jobs wait in the queue (threshold ${settings.ALERT_BACKLOG_MAX})`,
      details: { waiting, threshold: settings.ALERT_BACKLOG_MAX },
    });
  }
  const key = deps.namespace.key(DEAD_LETTER_SAMPLES_KEY);
  const windowMs = settings.ALERT_DEAD_LETTER_WINDOW_SECONDS * 1000;
  const [, , samples] =
    (await deps.redis
      .multi()
      .zadd(key, now, `${now}:${failed}`)
      .zremrangebyscore(key, '-inf', now - windowMs)
      .zrange(key, 0, -1)
      .pexpire(key, windowMs * 2)
      .exec()) ?? [];
  const values = ((samples?.[1] as string[] | undefined) ?? []).map((member) => Number(member.split(':')[1]));
  const lowest = Math.min(failed, ...values.filter(Number.isFinite));
  const growth = failed - lowest;
  if (settings.ALERT_DEAD_LETTER_GROWTH > 0 && growth >= settings.ALERT_DEAD_LETTER_GROWTH) {
    firing.push({
      kind: 'dead_letters',
      subject: 'downloads',
      severity: 'warning',
      message: `Dead letters grew by ${growth} in ${settings.ALERT_DEAD_LETTER_WINDOW_SECONDS} s (${failed} in all)`,
      details: { deadLetters: failed, growth, windowSeconds: settings.ALERT_DEAD_LETTER_WINDOW_SECONDS },
    });
  }
  return { kinds: ['queue_backlog', 'dead_letters'], firing };
}
