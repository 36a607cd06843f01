import {
  formatChannel,
  type LiveUpdate,
  latestKey,
  OrderProgress,
  orderTaskPercentsKey,
} from '@paidflow/contracts';
import { runPipeline, withTimeout } from '@paidflow/runtime';
import { parseLatest } from './latest.ts';
import {
  orderProgressOf,
  PROGRESS_REDIS_TIMEOUT_MS,
  type ProgressDeps,
  readTaskEntries,
} from './order-progress.ts';
import { countsOf, createOrderTicks, entriesOfHashes, type OrderTickState } from './order-ticks.ts';
import { liveMessage, publishUnderLease } from './publisher.ts';

const RELAY_INTERVAL_MS = 1_000;
/**
 * Relays in flight at once. Orders that began ticking together fall due together: a thousand
 * relays started in one go held the event loop for 180 ms, and every live message behind them.
 * A few at a time, the hub's deliveries run between them.
 */
const RELAYS_IN_FLIGHT = 8;
/** What the relay knows of an order is read from Redis again after this long (its seed's life). */
const FORGET_AFTER_MS = 30_000;

export interface OrderProgressRelay {
  /**
   * A live update the hub heard. A task:{id}:progress tick makes its order's percent go out within
   * the interval; ticks, task status changes and order progress keep what the relay knows of the order.
   */
  onLiveUpdate(event: LiveUpdate): void;
  /** The hub's connection is down: updates are being missed, so nothing is relayed until reset(). */
  suspend(): void;
  /** The hub's connection is back and resubscribed: every order is read again, and relays resume. */
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
 * kept from the updates this process hears (order-ticks.ts, decision 067), read from Redis on its
 * first relay and every FORGET_AFTER_MS (the seed, one pipeline). Each publish is one script that
 * goes ahead only if the order's latest message in Redis still has the counters it was built on,
 * and takes the lease; if the counters moved, the order is read again on its next relay. An
 * order without a latest message (none yet, or not one of ours) is not made up. While the hub's
 * connection is down nothing is relayed. Orders that fall due together are relayed a few at a
 * time (RELAYS_IN_FLIGHT), in the order they fell due. Redis failures are logged once per outage
 * and never thrown: progress is ephemeral.
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
  let suspended = false;
  // Bumped by suspend() and reset(): a relay that started before drops what it built.
  let generation = 0;

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
  const latestOf = (orderId: number) =>
    deps.namespace.key(latestKey(formatChannel('order', orderId, 'progress'), orderId));

  /** What Redis holds of the order, read once (the seed), with the updates heard meanwhile applied over it. */
  async function seed(orderId: number): Promise<OrderTickState | undefined> {
    const seeded = ticks.follow(orderId);
    let replies: unknown[];
    try {
      const reads = readTaskEntries(deps.redis.pipeline().get(latestOf(orderId)), deps.namespace, orderId);
      replies = await withTimeout(runPipeline(reads), PROGRESS_REDIS_TIMEOUT_MS, 'order progress seed');
    } catch (error) {
      seeded(null);
      throw error;
    }
    const [latestRaw, percents, rates] = replies as [
      string | null,
      Record<string, string>,
      Record<string, string>,
    ];
    const latest = parseLatest(OrderProgress, latestRaw);
    return seeded({ counts: latest && countsOf(latest), ...entriesOfHashes(percents, rates) });
  }

  async function relay(orderId: number): Promise<void> {
    const timestamp = Date.now();
    try {
      // In the try: the relay never rejects (the queue counts on it).
      // The hub is not hearing updates: what the relay knows is going stale.
      if (suspended) return;
      const started = generation;
      let state = ticks.get(orderId);
      if (!state) {
        // Its seed is still being read by an earlier relay: that one publishes.
        if (ticks.has(orderId)) return;
        state = await seed(orderId);
      }
      if (!state?.counts) return;
      const progress = await orderProgressOf(deps, orderId, state.counts, state, timestamp);
      // Paused, reset or read again meanwhile: what was built may be stale.
      if (started !== generation || ticks.get(orderId) !== state) return;
      const guard = {
        leaseKey: leaseKey(orderId),
        ttlMs: intervalMs,
        latestKey: latestOf(orderId),
        expect: state.counts,
      };
      const outcome = await withTimeout(
        publishUnderLease(deps, guard, liveMessage(deps, 'order', orderId, 'progress', progress)),
        PROGRESS_REDIS_TIMEOUT_MS,
        'order progress',
      );
      // Redis holds other counters (a status change not heard yet, or missed): read it again.
      if (outcome === 'moved') ticks.forget(orderId, state);
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
    suspend() {
      suspended = true;
      generation += 1;
      ticks.clear();
    },
    reset() {
      suspended = false;
      generation += 1;
      ticks.clear();
    },
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
