import type { PaymentStatusEvent } from '@paidflow/contracts';
import type { Logger } from '@paidflow/runtime';
import type { RealtimeMetrics } from './metrics.ts';

/** The hub's RESYNC, for payment listeners too (events may have been missed). */
export type PaymentListener<Resync> = (item: PaymentStatusEvent | Resync) => void;

/**
 * The listeners of payment:{id}:status, fed by the hub (decision 045): the payments inbox's
 * stream (payments.live) only. Payment events never reach an order's, a task's or the firehose's
 * listeners: those streams carry order state, which a transfer does not change by itself.
 */
export function createPaymentListeners<Resync>(options: { logger: Logger; metrics: RealtimeMetrics }) {
  const listeners = new Set<PaymentListener<Resync>>();
  return {
    deliver(item: PaymentStatusEvent | Resync): void {
      for (const listener of listeners) {
        try {
          listener(item);
        } catch (error) {
          options.logger.error({ err: error }, 'realtime payment listener failed');
        }
      }
    },
    /** Listens; returns the unsubscribe function. */
    on(listener: PaymentListener<Resync>): () => void {
      listeners.add(listener);
      options.metrics.subscriptions.inc({ topic: 'payments' });
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        listeners.delete(listener);
        options.metrics.subscriptions.dec({ topic: 'payments' });
      };
    },
    clear(): void {
      listeners.clear();
    },
  };
}
