import type { PaymentLiveEvent, PaymentStatusEvent, PaymentTransactionStatus } from '@paidflow/contracts';
import { type DbOrTx, insertOutboxRows, NOTIFICATION_TOPIC } from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import type { NotificationPayload } from '../notify/payloads.ts';
import { RESYNC, type RealtimeHub } from '../realtime/hub.ts';
import { publishLive } from '../realtime/publisher.ts';

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

/** Pending events one payments.live subscriber may hold; past it they collapse into one resync. */
const MAX_PENDING = 100;

/**
 * The payments.live stream: `ready` first (a client refetches what it shows), then each
 * payment:{id}:status the hub hears. Clients only refetch on these events, so a subscriber that
 * falls behind loses nothing by getting one `resync` instead of what piled up, and a hub
 * reconnect (events may have been missed) is a `resync` too.
 */
export async function* paymentLiveStream(options: {
  hub: RealtimeHub;
  signal: AbortSignal | undefined;
  limit?: number;
}): AsyncGenerator<PaymentLiveEvent> {
  const { hub, signal } = options;
  const limit = options.limit ?? MAX_PENDING;
  const pending: PaymentLiveEvent[] = [];
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const unsubscribe = hub.onPayment((item: PaymentStatusEvent | typeof RESYNC) => {
    if (item === RESYNC || pending.length >= limit) pending.splice(0, pending.length, { kind: 'resync' });
    else pending.push({ kind: 'payment.status', data: item });
    notify();
  });
  signal?.addEventListener('abort', notify);
  try {
    yield { kind: 'ready' };
    while (!signal?.aborted) {
      const next = pending.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', notify);
  }
}
