import {
  type OrderProgress,
  orderEtaSeconds,
  orderPercent,
  orderTaskPercentsKey,
  orderTaskRatesKey,
  type RedisNamespace,
} from '@paidflow/contracts';
import { type Logger, type RedisClient, runPipeline, withTimeout } from '@paidflow/runtime';
import { liveConcurrency } from '../services/worker-health.ts';
import { entriesOfHashes, type OrderCounts, type TaskEntryMaps } from './order-ticks.ts';
import { type LiveMessage, liveMessage, publishLiveMessages } from './publisher.ts';

// order:{id}:progress has one writer, the server, and one formula each for its percent and its
// ETA (orderPercent, orderEtaSeconds in contracts). It goes out (1) after each committed task
// status change, with the order's counters from MySQL, and (2) between them, at most once a
// second per order, as task:{id}:progress ticks arrive on the hub, with the counters of the
// order's latest message (decision 043).

export type ProgressDeps = { redis: RedisClient; namespace: RedisNamespace; logger: Logger };

export interface OrderCounters {
  id: number;
  total_tasks: number;
  completed_tasks: number;
  failed_tasks: number;
  cancelled_tasks: number;
}

type Hash = Record<string, string> | null;
type Pipeline = ReturnType<RedisClient['pipeline']>;

/** Each Redis call of the relay's path fails after this long: a hung Redis must not hold its slots. */
export const PROGRESS_REDIS_TIMEOUT_MS = 2_000;
/** How long the live workers' slot count is reused before the heartbeats are read again. */
const CONCURRENCY_TTL_MS = 10_000;
let concurrency: { value: number; at: number; key: string } | null = null;

/** The live workers' task slots, read from their heartbeats at most every 10 s (0 when unknown). */
async function slots(deps: ProgressDeps): Promise<number> {
  const now = Date.now();
  const key = deps.namespace.prefix;
  if (concurrency && concurrency.key === key && now - concurrency.at < CONCURRENCY_TTL_MS) {
    return concurrency.value;
  }
  // Bounded: the relay awaits this.
  const value = await withTimeout(liveConcurrency(deps), PROGRESS_REDIS_TIMEOUT_MS, 'worker slots').catch(
    () => concurrency?.value ?? 0,
  );
  concurrency = { value, at: now, key };
  return value;
}

/** The order's progress message for these counters and its tasks' entries. */
export async function orderProgressOf(
  deps: ProgressDeps,
  orderId: number,
  counts: OrderCounts,
  entries: TaskEntryMaps,
  timestamp: number,
): Promise<OrderProgress> {
  const ended = counts.completedTasks + counts.failedTasks + counts.cancelledTasks;
  const running = [...entries.rates.values()];
  const waiting = Math.max(0, counts.totalTasks - ended - running.length);
  return {
    orderId,
    ...counts,
    percent: orderPercent({
      totalTasks: counts.totalTasks,
      endedTasks: ended,
      taskPercents: entries.percents.values(),
    }),
    // No running task measured a speed: no ETA, and no need to count the workers' slots.
    etaSeconds:
      ended >= counts.totalTasks || running.length === 0
        ? null
        : orderEtaSeconds({ running, waitingTasks: waiting, concurrency: await slots(deps) }),
    timestamp,
  };
}

/** Queues the reads of the order's task percents and rates hashes on a pipeline. */
export function readTaskEntries(pipeline: Pipeline, namespace: RedisNamespace, orderId: number): Pipeline {
  return pipeline
    .hgetall(namespace.key(orderTaskPercentsKey(orderId)))
    .hgetall(namespace.key(orderTaskRatesKey(orderId)));
}

/**
 * After a committed change: the order's percent and ETA from its counters and its tasks' ticks.
 * `noTicksYet`: every task was only just queued (a payment), so there is nothing to read.
 */
export async function publishOrderProgress(
  deps: ProgressDeps,
  order: OrderCounters,
  options: { noTicksYet?: boolean } = {},
): Promise<void> {
  await publishLiveMessages(deps, [await orderProgressMessage(deps, order, options)]);
}

/** order:{id}:progress for these counters (publishOrderProgress). */
export async function orderProgressMessage(
  deps: ProgressDeps,
  order: OrderCounters,
  options: { noTicksYet?: boolean } = {},
): Promise<LiveMessage> {
  const timestamp = Date.now();
  let entries = entriesOfHashes(null, null);
  if (!options.noTicksYet) {
    try {
      const [percents, rates] = await runPipeline(
        readTaskEntries(deps.redis.pipeline(), deps.namespace, order.id),
      );
      entries = entriesOfHashes(percents as Hash, rates as Hash);
    } catch (error) {
      deps.logger.warn(
        { err: error, orderId: order.id },
        'task percents unreadable; order progress from counters',
      );
    }
  }
  const counts = {
    completedTasks: order.completed_tasks,
    failedTasks: order.failed_tasks,
    cancelledTasks: order.cancelled_tasks,
    totalTasks: order.total_tasks,
  };
  return liveMessage(
    deps,
    'order',
    order.id,
    'progress',
    await orderProgressOf(deps, order.id, counts, entries, timestamp),
  );
}
