import { useEffect, useState } from 'react';
import { trpc } from '../trpc.ts';

/** A safety net under the event-driven refetches: counts that move without an event. */
const POLL_MS = 10_000;

export function useDashboardStats() {
  return trpc.dashboard.stats.useQuery(undefined, { refetchInterval: POLL_MS });
}

/** The design's KPIs; they move slowly, a minute's poll is plenty. */
export function useTaskKpis() {
  return trpc.dashboard.kpis.useQuery(undefined, { refetchInterval: 60_000 });
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

/** The start of the minute `epochMs` falls in. */
function minuteOf(epochMs: number): number {
  return Math.floor(epochMs / 60_000) * 60_000;
}

/**
 * Tasks completed and failed per minute over the last hour, from the server (true after a reload),
 * with the minute the chart ends on. The firehose refetches it (throttled) when it sees a task end.
 */
export function useThroughput() {
  const query = trpc.dashboard.throughput.useQuery({ minutes: 60 }, { refetchInterval: POLL_MS });
  const [end, setEnd] = useState(() => minuteOf(Date.now()));
  useEffect(() => {
    const timer = setInterval(() => setEnd(minuteOf(Date.now())), 15_000);
    return () => clearInterval(timer);
  }, []);
  return { points: query.data?.points ?? [], end, loading: query.isPending };
}
