import type { LiveSnapshot, LiveUpdate } from '@paidflow/contracts';
import { useEffect, useMemo } from 'react';
import { throttle } from '../lib/throttle.ts';
import { unbatch } from '../live/events.ts';
import { useLive } from '../live/live-context.tsx';
import { orderIdOf, pruneOrderLive } from '../live/order-live.ts';
import { trpc } from '../trpc.ts';
import { usePaymentsLive } from './use-payments.ts';
import { useSessionErrorHandler } from './use-session.ts';

/** Lists and counters refetch at most this often while events pour in. */
const LIST_REFRESH_MS = 1_000;
const SLOW_REFRESH_MS = 3_000;
/** Live state of orders no row shows, and not heard of for this long, is forgotten. */
const FORGET_AFTER_MS = 60_000;

/**
 * The firehose feeds every list and counter: order events go into the live store that rows read
 * (once per frame); status changes and new paid orders refetch the lists and counters (throttled),
 * since they move rows between filters and pages. Its snapshot, sent on every (re)subscribe, means
 * "what you hold may be stale": refetch, then forget the live parts the refetch covers.
 */
export function useFirehose(): void {
  const live = useLive();
  const utils = trpc.useUtils();
  const onError = useSessionErrorHandler();
  // The payments inbox and its attention count have a stream of their own (decision 045).
  usePaymentsLive();

  const refresh = useMemo(
    () => ({
      lists: throttle(() => {
        void utils.orders.list.invalidate();
        void utils.dashboard.invalidate();
      }, LIST_REFRESH_MS),
      dashboard: throttle(() => void utils.dashboard.invalidate(), LIST_REFRESH_MS),
      slow: throttle(() => {
        void utils.queue.overview.invalidate();
        void utils.errors.summary.invalidate();
      }, SLOW_REFRESH_MS),
    }),
    [utils],
  );

  useEffect(
    () => () => {
      refresh.lists.cancel();
      refresh.dashboard.cancel();
      refresh.slow.cancel();
    },
    [refresh],
  );

  // Forget what nobody shows any more, so a dashboard left open for days does not grow.
  useEffect(() => {
    const timer = setInterval(() => {
      const before = Date.now() - FORGET_AFTER_MS;
      live.orders.rewrite((_id, value, watched) =>
        watched ? value : (pruneOrderLive(value, before) ?? undefined),
      );
    }, FORGET_AFTER_MS);
    return () => clearInterval(timer);
  }, [live]);

  async function resync() {
    const startedAt = Date.now();
    await Promise.allSettled([utils.orders.list.invalidate(), utils.dashboard.invalidate()]);
    live.orders.rewrite((_id, value) => pruneOrderLive(value, startedAt) ?? undefined);
    refresh.slow();
  }

  function onEvent(event: LiveSnapshot | LiveUpdate) {
    if (event.kind === 'snapshot') {
      if (event.reason !== 'subscribe') void resync();
      return;
    }
    live.orders.write(orderIdOf(event), { event, seenAt: Date.now() });
    switch (event.kind) {
      case 'order.status':
      case 'order.complete':
        refresh.lists();
        refresh.slow();
        break;
      case 'task.status':
        refresh.slow();
        // The overview's per-minute chart counts task completions and failures.
        if (event.data.newStatus === 'completed' || event.data.newStatus === 'failed') refresh.dashboard();
        break;
      default:
        break;
    }
  }

  trpc.events.firehose.useSubscription(undefined, {
    onData: (envelope) => {
      for (const event of unbatch(envelope.data)) onEvent(event);
    },
    onError,
  });
}
