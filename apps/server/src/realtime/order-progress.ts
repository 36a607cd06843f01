import {
  formatChannel,
  latestKey,
  OrderProgress,
  orderPercent,
  orderTaskPercentsKey,
  type RedisNamespace,
} from '@paidflow/contracts';
import type { Logger } from '@paidflow/runtime';
import type { Redis } from 'ioredis';
import { publishLive } from './publisher.ts';

// order:{id}:progress has one writer, the server, and one formula, orderPercent (contracts).
// It goes out (1) after each committed task status change, with the order's counters from MySQL,
// and (2) between them, at most once a second per order, as task:{id}:progress ticks arrive on
// the hub, with the counters of the order's latest message (decision 043).

type ProgressDeps = { redis: Redis; namespace: RedisNamespace; logger: Logger };

export interface OrderCounters {
  id: number;
  total_tasks: number;
  completed_tasks: number;
  failed_tasks: number;
  cancelled_tasks: number;
}

/** The order's task percents hash, as numbers. */
function percentsOf(hash: Record<string, string> | null | undefined): number[] {
  return Object.values(hash ?? {}).map(Number);
}

/** After a committed change: the order's percent from its counters and its tasks' percents. */
export async function publishOrderProgress(deps: ProgressDeps, order: OrderCounters): Promise<void> {
  const timestamp = Date.now();
  let percents: number[] = [];
  try {
    percents = percentsOf(await deps.redis.hgetall(deps.namespace.key(orderTaskPercentsKey(order.id))));
  } catch (error) {
    deps.logger.warn(
      { err: error, orderId: order.id },
      'task percents unreadable; order progress from counters',
    );
  }
  const ended = order.completed_tasks + order.failed_tasks + order.cancelled_tasks;
  await publishLive(deps, 'order', order.id, 'progress', {
    orderId: order.id,
    percent: orderPercent({ totalTasks: order.total_tasks, endedTasks: ended, taskPercents: percents }),
    completedTasks: order.completed_tasks,
    failedTasks: order.failed_tasks,
    cancelledTasks: order.cancelled_tasks,
    totalTasks: order.total_tasks,
    timestamp,
  });
}

/** How long an order whose latest progress message is missing is left alone by the relay. */
const UNKNOWN_ORDER_BACKOFF_MS = 10_000;
const RELAY_INTERVAL_MS = 1_000;

export interface OrderProgressRelay {
  /** A task:{id}:progress tick of this order arrived: its order's percent goes out within the interval. */
  onTaskProgress(orderId: number): void;
  /** Drops the publishes still waiting (shutdown). */
  close(): void;
}

/**
 * Between status changes, the order's percent follows its tasks' ticks: one trailing publish per
 * order per interval, carrying the counters of the order's latest message (the status-change
 * path keeps them true). Several server processes hear every tick; a per-order lease in Redis
 * (SET NX PX interval) makes one of them publish. An order without a latest message (none yet,
 * or not ours) is not made up and is skipped for a while. Redis failures are logged once per
 * outage and never thrown: progress is ephemeral.
 */
export function createOrderProgressRelay(
  deps: ProgressDeps,
  options: { intervalMs?: number } = {},
): OrderProgressRelay {
  const intervalMs = options.intervalMs ?? RELAY_INTERVAL_MS;
  const due = new Map<number, NodeJS.Timeout>();
  const skipUntil = new Map<number, number>();
  let warned = false;

  async function relay(orderId: number): Promise<void> {
    const { redis, namespace } = deps;
    const timestamp = Date.now();
    const channel = formatChannel('order', orderId, 'progress');
    try {
      const replies = await redis
        .pipeline()
        .set(namespace.key(`${orderTaskPercentsKey(orderId)}:relay`), '1', 'PX', intervalMs, 'NX')
        .get(namespace.key(latestKey(channel)))
        .hgetall(namespace.key(orderTaskPercentsKey(orderId)))
        .exec();
      warned = false;
      // Another server process publishes this order in this interval.
      if (replies?.[0]?.[1] !== 'OK') return;
      const latestRaw = replies[1]?.[1];
      const latest =
        typeof latestRaw === 'string'
          ? OrderProgress.safeParse(safeJson(latestRaw))
          : { success: false as const };
      if (!latest.success) {
        skipUntil.set(orderId, Date.now() + UNKNOWN_ORDER_BACKOFF_MS);
        return;
      }
      const { completedTasks, failedTasks, cancelledTasks, totalTasks } = latest.data;
      const percent = orderPercent({
        totalTasks,
        endedTasks: completedTasks + failedTasks + cancelledTasks,
        taskPercents: percentsOf(replies[2]?.[1] as Record<string, string> | undefined),
      });
      await publishLive(deps, 'order', orderId, 'progress', {
        ...latest.data,
        percent,
        timestamp,
      });
    } catch (error) {
      if (warned) return;
      warned = true;
      deps.logger.warn({ err: error, channel }, 'order progress not relayed (Redis unavailable?)');
    }
  }

  return {
    onTaskProgress(orderId) {
      if (due.has(orderId)) return;
      const skip = skipUntil.get(orderId);
      if (skip !== undefined) {
        if (Date.now() < skip) return;
        skipUntil.delete(orderId);
      }
      const timer = setTimeout(() => {
        due.delete(orderId);
        void relay(orderId);
      }, intervalMs);
      timer.unref();
      due.set(orderId, timer);
    },
    close() {
      for (const timer of due.values()) clearTimeout(timer);
      due.clear();
      skipUntil.clear();
    },
  };
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}
