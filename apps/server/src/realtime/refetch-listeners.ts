import type { AlertStatusEvent, ChannelMessage, PaymentStatusEvent } from '@paidflow/contracts';
import type { Logger } from '@paidflow/runtime';
import type { RealtimeMetrics } from './metrics.ts';

/** A listener of a refetch channel; it also gets the hub's RESYNC (events may have been missed). */
export type RefetchListener<Resync, Item> = (item: Item | Resync) => void;

/** One channel's listeners, counted in the subscriptions gauge under `topic`. */
function createListeners<Resync, Item>(options: { logger: Logger; metrics: RealtimeMetrics; topic: string }) {
  const listeners = new Set<RefetchListener<Resync, Item>>();
  const { logger, metrics, topic } = options;
  return {
    deliver(item: Item | Resync): void {
      for (const listener of listeners) {
        try {
          listener(item);
        } catch (error) {
          logger.error({ err: error, topic }, 'realtime listener failed');
        }
      }
    },
    /** Listens; returns the unsubscribe function. */
    on(listener: RefetchListener<Resync, Item>): () => void {
      listeners.add(listener);
      metrics.subscriptions.inc({ topic });
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        listeners.delete(listener);
        metrics.subscriptions.dec({ topic });
      };
    },
    clear(): void {
      listeners.clear();
    },
  };
}

/**
 * The channels whose listeners only refetch a list: payment:{id}:status (payments.live, decision
 * 045) and alert:{id}:status (alerts.live, decision 050). Their events never reach an order's, a
 * task's or the firehose's listeners: those streams carry order state, which neither changes.
 */
export function createRefetchChannels<Resync>(options: { logger: Logger; metrics: RealtimeMetrics }) {
  const payments = createListeners<Resync, PaymentStatusEvent>({ ...options, topic: 'payments' });
  const alerts = createListeners<Resync, AlertStatusEvent>({ ...options, topic: 'alerts' });
  return {
    onPayment: payments.on,
    onAlert: alerts.on,
    /**
     * Delivers a parsed message of a refetch channel and says so; false for any other channel.
     * The parser checked the payload against the channel's own schema.
     */
    take(message: ChannelMessage): boolean {
      const { scope } = message.channel;
      if (scope !== 'payment' && scope !== 'alert') return false;
      options.metrics.messages.inc({ kind: `${scope}.status` });
      if (scope === 'payment') payments.deliver(message.payload as PaymentStatusEvent);
      else alerts.deliver(message.payload as AlertStatusEvent);
      return true;
    },
    resync(resync: Resync): void {
      payments.deliver(resync);
      alerts.deliver(resync);
    },
    clear(): void {
      payments.clear();
      alerts.clear();
    },
  };
}
