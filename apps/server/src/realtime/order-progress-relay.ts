import {
  formatChannel,
  type LiveUpdate,
  latestKey,
  OrderProgress,
  orderTaskPercentsKey,
} from '@paidflow/contracts';
import { parseLatest } from './latest.ts';
import { orderProgressOf, type ProgressDeps, readTaskEntries, runPipeline } from './order-progress.ts';
import { countsOf, createOrderTicks, entriesOfHashes, type OrderTickState } from './order-ticks.ts';
import { liveMessage, publishLive, publishUnderLease } from './publisher.ts';

const RELAY_INTERVAL_MS = 1_000;
/**
 * Relays in flight at once. Orders that began ticking together fall due together: a thousand
 * relays started in one go held the event loop for 180 ms, and every live message behind them.
 * A few at a time, the hub's deliveries run between them.
 */
const RELAYS_IN_FLIGHT = 8;
/** An order not heard for this long is forgotten; its next tick reads its seed again. */
const FORGET_AFTER_MS = 30_000;

export interface OrderProgressRelay {
  /**
   * A live update the hub heard. A task:{id}:progress tick makes its order's percent go out within
   * the interval; ticks, task status changes and order progress keep what the relay knows of the order.
   */
  onLiveUpdate(event: LiveUpdate): void;
  /** The hub may have missed updates (its connection came back): every order is read again. */
  reset(): void;
  /** Drops the publishes still waiting and what it knows (shutdown). */
  close(): void;
  /** Orders it follows (tests, metrics). */
  followed(): number;
}

/**
 * Between status changes, the order's percent follows its tasks' ticks: one trailing publish per
 * order per interval, carrying the counters of the order's latest message (the status-change
 * path keeps them true). Several server processes hear every tick; a per-order lease in Redis
 * (SET NX PX interval) makes one of them publish.
 *
 * What an order's message is made of, its tasks' percents and rates and its latest counters, is
 * kept from the updates this process hears (order-ticks.ts, decision 067). The first relay of an
 * order reads it from Redis with the lease (one pipeline), then publishes; every later one is a
 * single script that takes the lease and publishes. An order without a latest message (none yet,
 * or not one of ours) is not made up. Orders that fall due together are relayed a few at a time
 * (RELAYS_IN_FLIGHT), in the order they fell due. Redis failures are logged once per outage and
 * never thrown: progress is ephemeral.
 */
export function createOrderProgressRelay(
  deps: ProgressDeps,
  options: { intervalMs?: number; inFlight?: number; forgetAfterMs?: number } = {},
): OrderProgressRelay {
  const intervalMs = options.intervalMs ?? RELAY_INTERVAL_MS;
  const inFlight = Math.max(1, Math.floor(options.inFlight ?? RELAYS_IN_FLIGHT));
  const forgetAfterMs = options.forgetAfterMs ?? FORGET_AFTER_MS;
  const ticks = createOrderTicks({ staleMs: forgetAfterMs });
  const sweeper = setInterval(() => ticks.sweep(), Math.max(1_000, forgetAfterMs / 2));
  sweeper.unref();
  const due = new Map<number, NodeJS.Timeout>();
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

  const leaseKey = (orderId: number) => deps.namespace.key(`${orderTaskPercentsKey(orderId)}:relay`);

  /** The first relay of an order: its seed and the lease in one pipeline, then the publish. */
  async function relayFirst(orderId: number, timestamp: number): Promise<void> {
    const { redis, namespace } = deps;
    const seeded = ticks.follow(orderId);
    let replies: unknown[];
    try {
      replies = await runPipeline(
        readTaskEntries(
          redis
            .pipeline()
            .set(leaseKey(orderId), '1', 'PX', intervalMs, 'NX')
            .get(namespace.key(latestKey(formatChannel('order', orderId, 'progress'), orderId))),
          namespace,
          orderId,
        ),
      );
    } catch (error) {
      seeded(null);
      throw error;
    }
    const [lease, latestRaw, percents, rates] = replies as [
      string | null,
      string | null,
      Record<string, string>,
      Record<string, string>,
    ];
    const latest = parseLatest(OrderProgress, latestRaw);
    const state = seeded({ counts: latest && countsOf(latest), ...entriesOfHashes(percents, rates) });
    // Another server process publishes this order in this interval.
    if (lease !== 'OK' || !state?.counts) return;
    await publishLive(deps, 'order', orderId, 'progress', await messageOf(orderId, state, timestamp));
  }

  async function messageOf(
    orderId: number,
    state: OrderTickState,
    timestamp: number,
  ): Promise<OrderProgress> {
    return orderProgressOf(deps, orderId, state.counts!, state, timestamp);
  }

  async function relay(orderId: number): Promise<void> {
    const timestamp = Date.now();
    try {
      // In the try: the relay never rejects (the queue counts on it).
      const state = ticks.get(orderId);
      if (!state) {
        // Its seed is still being read by an earlier relay: that one publishes.
        if (!ticks.has(orderId)) await relayFirst(orderId, timestamp);
      } else if (state.counts) {
        const message = liveMessage(
          deps,
          'order',
          orderId,
          'progress',
          await messageOf(orderId, state, timestamp),
        );
        await publishUnderLease(deps, leaseKey(orderId), intervalMs, message);
      }
      warned = false;
    } catch (error) {
      if (warned) return;
      warned = true;
      deps.logger.warn({ err: error, orderId }, 'order progress not relayed (Redis unavailable?)');
    }
  }

  function onTaskProgress(orderId: number): void {
    // Fallen due and waiting for a slot: its relay reads what it knows when it runs, this tick
    // included. A timer armed now would fire inside the lease that relay takes, and be lost.
    if (due.has(orderId) || ready.has(orderId)) return;
    const timer = setTimeout(() => {
      due.delete(orderId);
      ready.add(orderId);
      pump();
    }, intervalMs);
    timer.unref();
    due.set(orderId, timer);
  }

  return {
    onLiveUpdate(event) {
      ticks.hear(event);
      if (event.kind === 'task.progress') onTaskProgress(event.data.orderId);
    },
    reset: () => ticks.clear(),
    close() {
      clearInterval(sweeper);
      for (const timer of due.values()) clearTimeout(timer);
      due.clear();
      ready.clear();
      ticks.clear();
    },
    followed: () => ticks.size(),
  };
}
