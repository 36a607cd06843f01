import type { ListPaymentsInput } from '@paidflow/contracts';
import { keepPreviousData, skipToken } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { throttle } from '../lib/throttle.ts';
import { trpc } from '../trpc.ts';
import { useSessionErrorHandler } from './use-session.ts';

/** The inbox and its counts refetch at most this often while payment events pour in. */
const REFRESH_MS = 500;
/** A safety net under the events: counts that move without one (a restart, a missed message). */
const POLL_MS = 30_000;

/** A page of the inbox (skipped while the filters are invalid); the previous page stays while the next loads. */
export function usePaymentsList(input: ListPaymentsInput | null) {
  return trpc.payments.list.useQuery(input ?? skipToken, { placeholderData: keepPreviousData });
}

/** How many transfers wait for an operator (the overview's card and the navigation's count). */
export function usePaymentAttention() {
  return trpc.payments.attention.useQuery(undefined, { refetchInterval: POLL_MS });
}

/** Match, refund or ignore a transfer (operator); each refetches the inbox, and the orders it may have paid. */
export function usePaymentActions() {
  const utils = trpc.useUtils();
  const onSettled = () => {
    void utils.payments.invalidate();
    void utils.orders.invalidate();
    void utils.dashboard.invalidate();
  };
  return {
    match: trpc.payments.match.useMutation({ onSettled }),
    resolve: trpc.payments.resolve.useMutation({ onSettled }),
  };
}

/**
 * Follows payments.live for the whole signed-in app: each transfer stored or settled refetches
 * the inbox and the attention count (throttled). Payment events are not order events: they go
 * nowhere near the orders' live store. `ready` (every (re)subscribe) and `resync` refetch too,
 * since events may have been missed meanwhile.
 */
export function usePaymentsLive(): void {
  const utils = trpc.useUtils();
  const onError = useSessionErrorHandler();
  const refresh = useMemo(() => throttle(() => void utils.payments.invalidate(), REFRESH_MS), [utils]);
  useEffect(() => () => refresh.cancel(), [refresh]);
  trpc.payments.live.useSubscription(undefined, {
    // Every kind means "what you show may be stale": the events carry no state to merge.
    onData: () => refresh(),
    onError,
  });
}
