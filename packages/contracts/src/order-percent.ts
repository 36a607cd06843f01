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
  return `progress:${orderSlotTag(orderId)}:tasks`;
}

/**
 * The Redis Cluster hash tag of an order's keys: its latest values, its tasks' latest values and
 * its hashes share one slot, so one MULTI can write them together (decision 058).
 */
export function orderSlotTag(orderId: number): string {
  return `{o:${orderId}}`;
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

/**
 * The hash of an order's running tasks' rates (task id -> "bytesDone:bytesTotal:speed"), beside
 * the percents: what the order's ETA is computed from. Written and cleared like the percents.
 */
export function orderTaskRatesKey(orderId: number): string {
  return `progress:${orderSlotTag(orderId)}:rates`;
}

export interface TaskRate {
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second, as the task last measured it. */
  speed: number;
}

/** A rate as the rates hash keeps it, and back (null for anything malformed). */
export function formatTaskRate(rate: TaskRate): string {
  return `${Math.round(rate.bytesDone)}:${Math.round(rate.bytesTotal)}:${Math.round(rate.speed)}`;
}
export function parseTaskRate(value: string): TaskRate | null {
  const parts = value.split(':').map(Number);
  if (parts.length !== 3 || parts.some((part) => !Number.isFinite(part) || part < 0)) return null;
  const [bytesDone, bytesTotal, speed] = parts as [number, number, number];
  return { bytesDone, bytesTotal, speed };
}

export interface OrderEtaInput {
  /** The order's running tasks, as they last reported. */
  running: TaskRate[];
  /** Tasks of the order not started yet (queued or pending). */
  waitingTasks: number;
  /** Task slots of the live workers (the sum of their concurrency). */
  concurrency: number;
}

/**
 * Seconds until the order is delivered, or null when nothing measured a speed yet. The bytes
 * left are the running tasks' own plus, for each waiting task, the mean size of the running ones;
 * they move at the running tasks' mean speed per task, times as many tasks as can run at once
 * (the workers' slots, never more than the tasks left). An estimate: shared slots and uneven
 * courses make it move, and it is recomputed with every order progress message.
 */
export function orderEtaSeconds({ running, waitingTasks, concurrency }: OrderEtaInput): number | null {
  const measured = running.filter((rate) => rate.speed > 0);
  if (measured.length === 0) return null;
  const speed = measured.reduce((sum, rate) => sum + rate.speed, 0) / measured.length;
  const meanSize = running.reduce((sum, rate) => sum + rate.bytesTotal, 0) / running.length;
  const runningLeft = running.reduce((sum, rate) => sum + Math.max(0, rate.bytesTotal - rate.bytesDone), 0);
  const tasksLeft = running.length + Math.max(0, waitingTasks);
  const parallel = Math.max(1, Math.min(Math.max(1, concurrency), tasksLeft));
  const seconds = (runningLeft + Math.max(0, waitingTasks) * meanSize) / (speed * parallel);
  return Math.round(seconds * 10) / 10;
}
