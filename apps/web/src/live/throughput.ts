import type { TaskStatusEvent } from '@paidflow/contracts';

export interface MinuteCount {
  minute: number;
  completed: number;
  failed: number;
}

/**
 * Tasks completed and failed per minute, counted from the firehose's task.status events while
 * this page is open. It keeps the last `minutes` minutes and ignores a repeated event.
 */
export interface ThroughputCounter {
  record(event: TaskStatusEvent): void;
  points(): MinuteCount[];
  /** When counting began (epoch ms): the chart is only complete after this. */
  readonly since: number;
  subscribe(listener: () => void): () => void;
}

export function minuteOf(epochMs: number): number {
  return Math.floor(epochMs / 60_000) * 60_000;
}

export function createThroughputCounter(
  options: { minutes?: number; now?: () => number } = {},
): ThroughputCounter {
  const minutes = options.minutes ?? 60;
  const now = options.now ?? Date.now;
  const since = now();
  const buckets = new Map<number, MinuteCount>();
  const seen = new Map<string, number>();
  const listeners = new Set<() => void>();

  function trim() {
    const oldest = minuteOf(now()) - (minutes - 1) * 60_000;
    for (const minute of buckets.keys()) if (minute < oldest) buckets.delete(minute);
    for (const [key, minute] of seen) if (minute < oldest) seen.delete(key);
  }

  return {
    since,
    record(event) {
      if (event.newStatus !== 'completed' && event.newStatus !== 'failed') return;
      const key = `${event.taskId}:${event.newStatus}:${event.timestamp}`;
      if (seen.has(key)) return;
      const minute = minuteOf(event.timestamp);
      seen.set(key, minute);
      const bucket = buckets.get(minute) ?? { minute, completed: 0, failed: 0 };
      buckets.set(minute, {
        ...bucket,
        completed: bucket.completed + (event.newStatus === 'completed' ? 1 : 0),
        failed: bucket.failed + (event.newStatus === 'failed' ? 1 : 0),
      });
      trim();
      for (const listener of [...listeners]) listener();
    },
    points() {
      trim();
      return [...buckets.values()].sort((a, b) => a.minute - b.minute);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
