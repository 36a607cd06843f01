import { outboxBacklog, paymentsAwaitingBacklog, queuedTaskBacklog, taskOutcomesSince } from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import type { AlertSettings } from './env.ts';
import type { CheckOutcome, Finding } from './types.ts';

const seconds = (ms: number) => Math.round(ms / 1000);

/**
 * The checks that need MySQL only: queue_wait (the oldest queued task), failure_rate (tasks that
 * ended in the window), outbox_stuck and payment_unmatched (one aggregate alert for the inbox).
 */
export async function checkDatabase(
  deps: Pick<AppDeps, 'db'>,
  settings: AlertSettings,
  now: number,
): Promise<CheckOutcome> {
  const since = new Date(now - settings.ALERT_FAILURE_WINDOW_SECONDS * 1000);
  const [queued, outcomes, outbox, payments] = await Promise.all([
    queuedTaskBacklog(deps.db),
    taskOutcomesSince(deps.db, since),
    outboxBacklog(deps.db),
    paymentsAwaitingBacklog(deps.db),
  ]);
  const firing: Finding[] = [];

  const waitedMs = queued.oldestAt ? now - queued.oldestAt.getTime() : 0;
  if (settings.ALERT_QUEUE_WAIT_SECONDS > 0 && waitedMs >= settings.ALERT_QUEUE_WAIT_SECONDS * 1000) {
    firing.push({
      kind: 'queue_wait',
      subject: 'downloads',
      severity: 'warning',
      message: `The oldest queued task has waited ${seconds(waitedMs)} s for a worker (${queued.count} queued)`,
      details: { queuedTasks: queued.count, oldestQueuedAt: queued.oldestAt?.toISOString() },
    });
  }

  const ended = outcomes.completed + outcomes.failed;
  const rate = ended > 0 ? outcomes.failed / ended : 0;
  if (ended >= settings.ALERT_FAILURE_MIN_TASKS && rate >= settings.ALERT_FAILURE_RATE) {
    firing.push({
      kind: 'failure_rate',
      subject: 'downloads',
      severity: 'error',
      message: `${Math.round(rate * 100)} % of the tasks that ended in the last ${settings.ALERT_FAILURE_WINDOW_SECONDS} s failed (${outcomes.failed} of ${ended})`,
      details: {
        ...outcomes,
        rate: Number(rate.toFixed(3)),
        windowSeconds: settings.ALERT_FAILURE_WINDOW_SECONDS,
      },
    });
  }

  const outboxAgeMs = outbox.oldestAt ? now - outbox.oldestAt.getTime() : 0;
  const tooOld =
    settings.ALERT_OUTBOX_AGE_SECONDS > 0 && outboxAgeMs >= settings.ALERT_OUTBOX_AGE_SECONDS * 1000;
  const tooMany = settings.ALERT_OUTBOX_MAX > 0 && outbox.count >= settings.ALERT_OUTBOX_MAX;
  if (tooOld || tooMany) {
    firing.push({
      kind: 'outbox_stuck',
      subject: 'outbox',
      severity: 'error',
      message: `The outbox is not draining: ${outbox.count} row(s) undelivered, the oldest for ${seconds(outboxAgeMs)} s`,
      details: { undelivered: outbox.count, oldestAt: outbox.oldestAt?.toISOString() },
    });
  }

  const waiting = [payments.unmatched, payments.underpaid].filter((backlog) => backlog.count > 0);
  const oldest = Math.min(...waiting.map((backlog) => backlog.oldestAt?.getTime() ?? now));
  const paymentMs = waiting.length > 0 ? now - oldest : 0;
  if (waiting.length > 0 && paymentMs >= settings.ALERT_PAYMENT_UNMATCHED_SECONDS * 1000) {
    const total = payments.unmatched.count + payments.underpaid.count;
    firing.push({
      kind: 'payment_unmatched',
      subject: 'inbox',
      severity: 'warning',
      message: `${total} transfer(s) wait in the payments inbox (${payments.unmatched.count} unmatched, ${payments.underpaid.count} underpaid), the oldest for ${seconds(paymentMs)} s`,
      details: {
        unmatched: payments.unmatched.count,
        underpaid: payments.underpaid.count,
        oldestAt: new Date(oldest).toISOString(),
      },
    });
  }
  return { kinds: ['queue_wait', 'failure_rate', 'outbox_stuck', 'payment_unmatched'], firing };
}
