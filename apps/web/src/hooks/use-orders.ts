import type { ListPaidOrdersInput, OrderSummary } from '@paidflow/contracts';
import { keepPreviousData, skipToken } from '@tanstack/react-query';
import { applyOrderStreamEvent, useLive } from '../live/live-context.tsx';
import { mergeOrderRow, type OrderRowView } from '../live/order-live.ts';
import { useFrameValue } from '../live/use-frame-value.ts';
import { trpc } from '../trpc.ts';
import { useSessionErrorHandler } from './use-session.ts';

/** A page of paid orders; the previous page stays on screen while the next one loads. */
export function useOrdersList(input: ListPaidOrdersInput) {
  return trpc.orders.list.useQuery(input, { placeholderData: keepPreviousData });
}

/** A row as it is now: the query's values with what live events said since. */
export function useOrderRow(order: OrderSummary): OrderRowView {
  const { orders } = useLive();
  return mergeOrderRow(order, useFrameValue(orders, order.id));
}

/**
 * Follows one order's own stream (task progress included, which the firehose leaves out): the
 * list does this for the rows that are processing, to show their current file and fine progress.
 */
export function useOrderStream(orderId: number, enabled = true): void {
  const stores = useLive();
  const onError = useSessionErrorHandler();
  trpc.events.order.useSubscription(enabled ? { orderId } : skipToken, {
    onData: (envelope) => applyOrderStreamEvent(stores, envelope.data),
    onError,
  });
}

/** Retries every failed task a filter matches: the orders list's or an error type (operator). */
export function useRetryMatching() {
  const utils = trpc.useUtils();
  return trpc.tasks.retryMatching.useMutation({
    onSettled: () => {
      void utils.orders.list.invalidate();
      void utils.errors.summary.invalidate();
    },
  });
}
