import { useEffect, useState } from 'react';
import { useLive } from '../live/live-context.tsx';
import { minuteOf } from '../live/throughput.ts';
import { trpc } from '../trpc.ts';

/** A safety net under the event-driven refetches: counts that move without an event. */
const POLL_MS = 10_000;

export function useDashboardStats() {
  return trpc.dashboard.stats.useQuery(undefined, { refetchInterval: POLL_MS });
}

/** The queue's job counts (the overview asks for no dead letters, only the counts). */
export function useQueueCounts() {
  return trpc.queue.overview.useQuery(
    { limit: 1 },
    { refetchInterval: POLL_MS, select: (data) => data.counts },
  );
}

/** Heartbeats are not events: poll them about as often as workers beat. */
export function useWorkerHealth() {
  return trpc.workers.health.useQuery(undefined, { refetchInterval: 5_000 });
}

/**
 * Tasks completed and failed per minute over the last hour, with the minute the chart ends on
 * (it moves on by itself each minute). Counted from live events since the session began: the
 * API has no per-minute query yet (see docs/decisions/034).
 */
export function useThroughput() {
  const { throughput } = useLive();
  const [state, setState] = useState(() => ({ points: throughput.points(), end: minuteOf(Date.now()) }));
  useEffect(() => {
    const update = () => setState({ points: throughput.points(), end: minuteOf(Date.now()) });
    update();
    const stop = throughput.subscribe(update);
    const timer = setInterval(update, 15_000);
    return () => {
      stop();
      clearInterval(timer);
    };
  }, [throughput]);
  return { ...state, since: throughput.since };
}
