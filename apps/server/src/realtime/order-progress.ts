import {
  formatChannel,
  latestKey,
  OrderProgress,
  orderEtaSeconds,
  orderPercent,
  orderTaskPercentsKey,
  orderTaskRatesKey,
  parseTaskRate,
  type RedisNamespace,
  type TaskRate,
} from '@paidflow/contracts';
import type { Logger, RedisClient } from '@paidflow/runtime';
import { liveConcurrency } from '../services/worker-health.ts';
import { parseLatest } from './latest.ts';
import { type LiveMessage, liveMessage, publishLive, publishLiveMessages } from './publisher.ts';

// order:{id}:progress has one writer, the server, and one formula each for its percent and its
// ETA (orderPercent, orderEtaSeconds in contracts). It goes out (1) after each committed task
// status change, with the order's counters from MySQL, and (2) between them, at most once a
// second per order, as task:{id}:progress ticks arrive on the hub, with the counters of the
// order's latest message (decision 043).

type ProgressDeps = { redis: RedisClient; namespace: RedisNamespace; logger: Logger };

export interface OrderCounters {
  id: number;
  total_tasks: number;
  completed_tasks: number;
  failed_tasks: number;
  cancelled_tasks: number;
}

type Counts = Pick<OrderProgress, 'completedTasks' | 'failedTasks' | 'cancelledTasks' | 'totalTasks'>;

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
  const value = await liveConcurrency(deps).catch(() => concurrency?.value ?? 0);
  concurrency = { value, at: now, key };
  return value;
}

type Hashes = { percents?: Record<string, string>; rates?: Record<string, string> };
type Pipeline = ReturnType<RedisClient['pipeline']>;

/** Queues the reads of the order's task percents and rates on a pipeline. */
function readHashes(pipeline: Pipeline, namespace: RedisNamespace, orderId: number): Pipeline {
  return pipeline
    .hgetall(namespace.key(orderTaskPercentsKey(orderId)))
    .hgetall(namespace.key(orderTaskRatesKey(orderId)));
}

/** A pipeline's replies, or its first command's error thrown (a pipeline resolves with them). */
async function run(pipeline: Pipeline): Promise<unknown[]> {
  const replies = await pipeline.exec();
  const failed = replies?.find(([error]) => error)?.[0];
  if (!replies || failed) throw failed ?? new Error('no reply from Redis');
  return replies.map(([, value]) => value);
}

function ratesOf(hash: Record<string, string> | null | undefined): TaskRate[] {
  return Object.values(hash ?? {}).flatMap((value) => parseTaskRate(value) ?? []);
}

/** The message for these counters and the order's task percents and rates. */
async function aggregate(
  deps: ProgressDeps,
  orderId: number,
  counts: Counts,
  hashes: Hashes,
  timestamp: number,
): Promise<OrderProgress> {
  const ended = counts.completedTasks + counts.failedTasks + counts.cancelledTasks;
  const running = ratesOf(hashes.rates);
  const waiting = Math.max(0, counts.totalTasks - ended - running.length);
  return {
    orderId,
    ...counts,
    percent: orderPercent({
      totalTasks: counts.totalTasks,
      endedTasks: ended,
      taskPercents: Object.values(hashes.percents ?? {}).map(Number),
    }),
    // No running task measured a speed: no ETA, and no need to count the workers' slots.
    etaSeconds:
      ended >= counts.totalTasks || running.length === 0
        ? null
        : orderEtaSeconds({ running, waitingTasks: waiting, concurrency: await slots(deps) }),
    timestamp,
  };
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
  let hashes: Hashes = {};
  if (!options.noTicksYet) {
    try {
      const [percents, rates] = await run(readHashes(deps.redis.pipeline(), deps.namespace, order.id));
      hashes = { percents: percents as Hashes['percents'], rates: rates as Hashes['rates'] };
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
    await aggregate(deps, order.id, counts, hashes, timestamp),
  );
}

/**
 * How long an order whose latest progress message is missing is left alone by the relay, give or
 * take half: orders that began ticking together must not come back together.
 */
const UNKNOWN_ORDER_BACKOFF_MS = 10_000;
const RELAY_INTERVAL_MS = 1_000;
/**
 * Relays in flight at once. Orders that began ticking together fall due together: a thousand
 * relays started in one go held the event loop for 180 ms, and every live message behind them.
 * A few at a time, the hub's deliveries run between them.
 */
const RELAYS_IN_FLIGHT = 8;

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
 * or not one of ours) is not made up and is skipped for a while. Orders that fall due together
 * are relayed a few at a time (RELAYS_IN_FLIGHT), in the order they fell due. Redis failures are
 * logged once per outage and never thrown: progress is ephemeral.
 */
export function createOrderProgressRelay(
  deps: ProgressDeps,
  options: { intervalMs?: number; inFlight?: number } = {},
): OrderProgressRelay {
  const intervalMs = options.intervalMs ?? RELAY_INTERVAL_MS;
  const inFlight = Math.max(1, Math.floor(options.inFlight ?? RELAYS_IN_FLIGHT));
  const due = new Map<number, NodeJS.Timeout>();
  const skipUntil = new Map<number, number>();
  // Orders whose interval is over, oldest first (a Set keeps insertion order), and relays running.
  const ready = new Set<number>();
  let running = 0;
  let warned = false;

  function pump(): void {
    while (running < inFlight && ready.size > 0) {
      const orderId = ready.values().next().value as number;
      ready.delete(orderId);
      running += 1;
      // relay() logs its failures and never rejects.
      void relay(orderId).finally(() => {
        running -= 1;
        pump();
      });
    }
  }

  async function relay(orderId: number): Promise<void> {
    const { redis, namespace } = deps;
    const timestamp = Date.now();
    try {
      // In the try: the relay never rejects (the queue counts on it).
      const channel = formatChannel('order', orderId, 'progress');
      const [lease, latestRaw, percents, rates] = await run(
        readHashes(
          redis
            .pipeline()
            .set(namespace.key(`${orderTaskPercentsKey(orderId)}:relay`), '1', 'PX', intervalMs, 'NX')
            .get(namespace.key(latestKey(channel, orderId))),
          namespace,
          orderId,
        ),
      );
      warned = false;
      // Another server process publishes this order in this interval.
      if (lease !== 'OK') return;
      const latest = parseLatest(OrderProgress, latestRaw as string | null);
      if (!latest) {
        skipUntil.set(orderId, Date.now() + UNKNOWN_ORDER_BACKOFF_MS * (0.5 + Math.random()));
        return;
      }
      const { completedTasks, failedTasks, cancelledTasks, totalTasks } = latest;
      const message = await aggregate(
        deps,
        orderId,
        { completedTasks, failedTasks, cancelledTasks, totalTasks },
        { percents: percents as Hashes['percents'], rates: rates as Hashes['rates'] },
        timestamp,
      );
      await publishLive(deps, 'order', orderId, 'progress', message);
    } catch (error) {
      if (warned) return;
      warned = true;
      deps.logger.warn({ err: error, orderId }, 'order progress not relayed (Redis unavailable?)');
    }
  }

  return {
    onTaskProgress(orderId) {
      // Fallen due and waiting for a slot: its relay reads the hashes when it runs, this tick
      // included. A timer armed now would fire inside the lease that relay takes, and be lost.
      if (due.has(orderId) || ready.has(orderId)) return;
      const skip = skipUntil.get(orderId);
      if (skip !== undefined) {
        if (Date.now() < skip) return;
        skipUntil.delete(orderId);
      }
      const timer = setTimeout(() => {
        due.delete(orderId);
        ready.add(orderId);
        pump();
      }, intervalMs);
      timer.unref();
      due.set(orderId, timer);
    },
    close() {
      for (const timer of due.values()) clearTimeout(timer);
      due.clear();
      ready.clear();
      skipUntil.clear();
    },
  };
}
