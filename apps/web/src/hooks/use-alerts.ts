import type { ListAlertsInput } from '@paidflow/contracts';
import { keepPreviousData } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { throttle } from '../lib/throttle.ts';
import { trpc } from '../trpc.ts';
import { useSessionErrorHandler } from './use-session.ts';

/** The banner and the Alerts page refetch at most this often while alert events arrive. */
const REFRESH_MS = 500;
/** A safety net under the events (a missed message, a restart). */
const POLL_MS = 30_000;

/** A page of the alert history; the previous page stays while the next loads. */
export function useAlertsList(input: ListAlertsInput) {
  return trpc.alerts.list.useQuery(input, { placeholderData: keepPreviousData });
}

/** What fires now (the banner). */
export function useFiringAlerts() {
  return trpc.alerts.firing.useQuery(undefined, { refetchInterval: POLL_MS });
}

/**
 * Follows alerts.live for the whole signed-in app: every alert raised, reminded about or resolved
 * refetches the banner and the history (throttled); `ready` and `resync` refetch too.
 */
export function useAlertsLive(): void {
  const utils = trpc.useUtils();
  const onError = useSessionErrorHandler();
  const refresh = useMemo(() => throttle(() => void utils.alerts.invalidate(), REFRESH_MS), [utils]);
  useEffect(() => () => refresh.cancel(), [refresh]);
  trpc.alerts.live.useSubscription(undefined, { onData: () => refresh(), onError });
}
