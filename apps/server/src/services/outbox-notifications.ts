import { type Db, type DbOrTx, markOutboxDispatched, markOutboxFailed, type OutboxRow } from '@paidflow/db';
import { jitteredBackoffMs } from '@paidflow/runtime';
import type { AppDeps } from '../deps.ts';
import { deliverNotification, recordNotificationFailed } from '../notify/deliver.ts';
import { NotificationPayload } from '../notify/payloads.ts';
import { type DrainResult, errorText } from './outbox-result.ts';

/** How many times a notification is tried before it is given up on (about 4 minutes in all). */
export const MAX_NOTIFICATION_ATTEMPTS = 8;

/**
 * The outbox's 'notification' rows go to the notifier, each with a backoff of its own (kept in
 * memory: another server may try a row sooner, harmlessly), until MAX_NOTIFICATION_ATTEMPTS,
 * after which the failure is audited and the row set aside.
 */
export function createNotificationDispatcher(deps: Pick<AppDeps, 'logger' | 'notifier' | 'env'>) {
  const { logger } = deps;
  const rowRetryAt = new Map<number, number>();

  async function dispatch(tx: DbOrTx, row: OutboxRow, result: DrainResult): Promise<void> {
    if (Date.now() < (rowRetryAt.get(row.id) ?? 0)) return;
    const parsed = NotificationPayload.safeParse(row.payload);
    if (!parsed.success) {
      logger.error(
        { outboxId: row.id, issues: parsed.error.issues },
        'outbox row with an invalid notification',
      );
      await markOutboxDispatched(tx, [row.id], `invalid payload: ${parsed.error.message}`);
      return;
    }
    try {
      // A savepoint: a failed delivery leaves no half-written audit event behind.
      await (tx as Db).transaction((inner) =>
        deliverNotification(
          {
            notifier: deps.notifier,
            adminEmail: deps.env.ADMIN_ALERT_EMAIL,
            publicBaseUrl: deps.env.PUBLIC_BASE_URL,
          },
          inner,
          row.id,
          parsed.data,
        ),
      );
      await markOutboxDispatched(tx, [row.id]);
      rowRetryAt.delete(row.id);
      result.dispatched++;
    } catch (error) {
      const attempts = row.attempts + 1;
      result.failed++;
      if (attempts >= MAX_NOTIFICATION_ATTEMPTS) {
        logger.error({ err: error, outboxId: row.id, attempts }, 'notification given up');
        await recordNotificationFailed(tx, row.id, parsed.data, errorText(error), attempts);
        await markOutboxDispatched(tx, [row.id], `given up after ${attempts} attempts: ${errorText(error)}`);
        rowRetryAt.delete(row.id);
        return;
      }
      logger.warn({ err: error, outboxId: row.id, attempts }, 'notification not delivered; will retry');
      await markOutboxFailed(tx, [row.id], errorText(error));
      rowRetryAt.set(row.id, Date.now() + jitteredBackoffMs(attempts, 1000, 300_000));
    }
  }

  return { dispatch };
}
