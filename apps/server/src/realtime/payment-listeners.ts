import type { PaymentStatusEvent } from '@paidflow/contracts';
import type { Logger } from '@paidflow/runtime';
import type { RealtimeMetrics } from './metrics.ts';

/** The hub's RESYNC, for payment listeners too (events may have been missed). */
export type PaymentListener<Resync, Item = PaymentStatusEvent> = (item: Item | Resync) => void;

/**
 * The listeners of payment:{id}:status, fed by the hub (decision 045): the payments inbox's
 * stream (payments.live) only. Payment events never reach an order's, a task's or the firehose's
 * listeners: those streams carry order state, which a transfer does not change by itself.
 */
export function createPaymentListeners<Resync, Item = PaymentStatusEvent>(options: {
  logger: Logger;
  metrics: RealtimeMetrics;
  /** The subscriptions gauge's topic label; alert:{id}:status listeners (alerts.live) use 'alerts'. */
  topic?: string;
}) {
  const listeners = new Set<PaymentListener<Resync, Item>>();
  const topic = options.topic ?? 'payments';
  return {
    deliver(item: Item | Resync): void {
      for (const listener of listeners) {
        try {
          listener(item);
        } catch (error) {
          options.logger.error({ err: error, topic }, 'realtime payment listener failed');
        }
      }
    },
    /** Listens; returns the unsubscribe function. */
    on(listener: PaymentListener<Resync, Item>): () => void {
      listeners.add(listener);
      options.metrics.subscriptions.inc({ topic });
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        listeners.delete(listener);
        options.metrics.subscriptions.dec({ topic });
      };
    },
    clear(): void {
      listeners.clear();
    },
  };
}
