// How far an order is, as one number: the only formula for it. The server publishes it on
// order:{id}:progress (apps/server/src/realtime/order-progress.ts) and derives the list's stats
// with it (orderStats); nothing else computes an order percent. Zod-free, like constants.ts.

/**
 * The Redis hash of an order's task percents (task id -> latest percent). Workers write a task's
 * entry with each task:{id}:progress message; the server sets an ended task's entry to 100 and
 * removes a re-queued task's entry with its task:{id}:status message. Expires with the latest
 * values.
 */
export function orderTaskPercentsKey(orderId: number): string {
  return `progress:order:${orderId}:tasks`;
}

export interface OrderPercentInput {
  totalTasks: number;
  /** Tasks that have ended: completed, failed or cancelled. */
  endedTasks: number;
  /** The latest percent of each task that has one (ended tasks at 100), in any order. */
  taskPercents?: Iterable<number>;
}

/**
 * An order's percent, to one decimal: each task counts by its latest percent, and never less
 * than the share of ended tasks (a task's percent may have expired, or never been sent). An
 * order without tasks is at 0.
 */
export function orderPercent({ totalTasks, endedTasks, taskPercents = [] }: OrderPercentInput): number {
  if (totalTasks <= 0) return 0;
  let sum = 0;
  for (const percent of taskPercents) {
    if (Number.isFinite(percent)) sum += Math.min(100, Math.max(0, percent));
  }
  const share = Math.max(sum, Math.min(endedTasks, totalTasks) * 100) / totalTasks;
  return Math.min(100, Math.round(share * 10) / 10);
}
