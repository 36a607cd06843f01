import type { PaymentLiveEvent, PaymentStatusEvent, PaymentTransactionStatus } from '@paidflow/contracts';
import { type DbOrTx, insertOutboxRows, NOTIFICATION_TOPIC } from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import type { NotificationPayload } from '../notify/payloads.ts';
import type { RealtimeHub } from '../realtime/hub.ts';
import { publishLive } from '../realtime/publisher.ts';
import { refetchStream } from '../realtime/refetch-stream.ts';

type LiveDeps = Pick<AppDeps, 'redis' | 'logger' | 'namespace'>;

/** What a committed transaction did to one payment transaction, for payment:{id}:status. */
export interface PaymentChange {
  transactionId: number;
  orderId: number | null;
  previousStatus: PaymentTransactionStatus | null;
  status: PaymentTransactionStatus;
  amount: number;
}

/**
 * After commit: one payment:{id}:status per transaction the commit stored or settled, so that
 * every open inbox and attention count refetches. Best effort, like every live message.
 */
export async function publishPaymentChanges(deps: LiveDeps, changes: PaymentChange[]): Promise<void> {
  for (const change of changes) {
    await publishLive(deps, 'payment', change.transactionId, 'status', { ...change, timestamp: Date.now() });
  }
}

/**
 * A transfer no order took whole (unmatched or underpaid) alerts the admins, through the outbox,
 * in the transaction that settled it: a transaction is settled once (its row is locked and must
 * still be `received`), so it writes its one alert row once. Only when ADMIN_ALERT_EMAIL is set,
 * like the task alerts. Returns whether a row was written (the caller kicks the drainer).
 */
export async function writePaymentAlert(
  deps: Pick<AppDeps, 'env'>,
  tx: DbOrTx,
  transactionId: number,
  orderId: number | null,
): Promise<boolean> {
  if (!deps.env.ADMIN_ALERT_EMAIL) return false;
  const alert: NotificationPayload = {
    kind: 'payment_attention',
    transactionId,
    ...(orderId === null ? {} : { orderId }),
  };
  await insertOutboxRows(tx, [{ topic: NOTIFICATION_TOPIC, payload: alert }]);
  return true;
}

/**
 * The payments.live stream: `ready` first, then each payment:{id}:status the hub hears (clients
 * refetch on them), collapsed into one `resync` for a subscriber that falls behind or a hub
 * reconnect (see refetchStream).
 */
export function paymentLiveStream(options: {
  hub: RealtimeHub;
  signal: AbortSignal | undefined;
  limit?: number;
}): AsyncGenerator<PaymentLiveEvent> {
  return refetchStream({
    listen: options.hub.onPayment,
    toEvent: (data: PaymentStatusEvent): PaymentLiveEvent => ({ kind: 'payment.status', data }),
    signal: options.signal,
    limit: options.limit,
  });
}
