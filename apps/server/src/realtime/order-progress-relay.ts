import {
  formatChannel,
  type LiveUpdate,
  latestKey,
  OrderProgress,
  orderTaskPercentsKey,
} from '@paidflow/contracts';
import { pipelinePerNode } from '@paidflow/runtime';
import type { ChainableCommander } from 'ioredis';
import { parseLatest } from './latest.ts';
import {
  orderProgressOf,
  PROGRESS_REDIS_TIMEOUT_MS,
  type ProgressDeps,
  readTaskEntries,
} from './order-progress.ts';
import { countsOf, createOrderTicks, entriesOfHashes, type OrderTickState } from './order-ticks.ts';
import {
  type LeaseGuard,
  type LiveMessage,
  leaseOutcome,
  liveMessage,
  queueUnderLease,
} from './publisher.ts';

const RELAY_INTERVAL_MS = 1_000;
/**
 * Orders fall due on a grid of this step of the wall clock, the same in every server process, so
 * that orders due within one step go out together: one pipeline per Redis node, not one script
 * call (a write and a read of its own) per order. An order's relay comes `interval` to
 * `interval + grid` after the tick that armed it.
 */
const RELAY_GRID_MS = 10;
/**
 * Orders relayed in one step, and steps in flight at once. A thousand relays built in one go held
 * the event loop for 180 ms; a pipeline of 100 scripts holds Redis, and the ticks behind it, for
 * milliseconds. In small steps, a few at a time, the hub's deliveries run between them.
 */
const RELAY_STEP_ORDERS = 16;
const RELAY_STEPS_IN_FLIGHT = 4;
/** What the relay knows of an order is read from Redis again after this long (its seed's life). */
const FORGET_AFTER_MS = 30_000;
/** Relay failures are logged at most this often. */
const FAILURE_LOG_MS = 30_000;

export interface OrderProgressRelay {
  /**
   * A live update the hub heard. A task:{id}:progress tick makes its order's percent go out within
   * the interval (and a grid step); ticks, task status changes and order progress keep what the
   * relay knows of the order.
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

/** Defaults: RELAY_INTERVAL_MS, RELAY_GRID_MS, RELAY_STEP_ORDERS, RELAY_STEPS_IN_FLIGHT, FORGET_AFTER_MS. */
export interface OrderProgressRelayOptions {
  intervalMs?: number;
  gridMs?: number;
  stepOrders?: number;
  steps?: number;
  forgetAfterMs?: number;
}

const orderIdOf = (item: { orderId: number }) => item.orderId;

/** One order's publish, built in a step. */
interface Built {
  orderId: number;
  state: OrderTickState;
  guard: LeaseGuard;
  message: LiveMessage;
}

/**
 * Between status changes, the order's percent follows its tasks' ticks: one trailing publish per
 * order per interval, carrying the counters of the order's latest message (the status-change
 * path keeps them true). Several server processes hear every tick; a per-order lease in Redis
 * (SET NX PX interval) makes one of them publish.
 *
 * What an order's message is made of, its tasks' percents and rates and its latest counters, is
 * kept from the updates this process hears (order-ticks.ts, decision 067), read from Redis on its
 * first relay and every FORGET_AFTER_MS (the seed). Each publish is one script that goes ahead
 * only if the order's latest message in Redis still has the counters it was built on, and takes
 * the lease; if the counters moved, the order is read again on its next relay. An order without a
 * latest message (none yet, or not one of ours) is not made up. While the hub's connection is down
 * nothing is relayed.
 *
 * Orders fall due on a wall-clock grid (RELAY_GRID_MS) and are relayed in steps of
 * RELAY_STEP_ORDERS, in the order they fell due, RELAY_STEPS_IN_FLIGHT steps at a time: a step's
 * seeds go out as one pipeline per Redis node, then its publishes, one script per order, as one
 * pipeline per node (decision 070). Each pipeline stands alone and has a time limit (a hung node
 * holds its steps that long); failures are logged at most every FAILURE_LOG_MS, never thrown.
 */
export function createOrderProgressRelay(
  deps: ProgressDeps,
  options: OrderProgressRelayOptions = {},
): OrderProgressRelay {
  const intervalMs = options.intervalMs ?? RELAY_INTERVAL_MS;
  const gridMs = Math.max(1, options.gridMs ?? RELAY_GRID_MS);
  const stepOrders = Math.max(1, Math.floor(options.stepOrders ?? RELAY_STEP_ORDERS));
  const steps = Math.max(1, Math.floor(options.steps ?? RELAY_STEPS_IN_FLIGHT));
  const forgetAfterMs = options.forgetAfterMs ?? FORGET_AFTER_MS;
  const ticks = createOrderTicks({ staleMs: forgetAfterMs });
  const sweeper = setInterval(() => ticks.sweep(), Math.max(1_000, forgetAfterMs / 2));
  sweeper.unref();
  // Orders armed, by the grid time they fall due at (one timer each), and the set of them.
  const grid = new Map<number, { orders: number[]; timer: NodeJS.Timeout }>();
  const armed = new Set<number>();
  // Orders whose interval is over, oldest first (a Set keeps insertion order).
  const ready = new Set<number>();
  let running = 0;
  // When a failure was last logged (an outage fails every step).
  let loggedAt = Number.NEGATIVE_INFINITY;
  let suspended = false;
  // Bumped by suspend(), reset() and close(): a step that started before drops what it built.
  let generation = 0;

  const leaseKey = (orderId: number) => deps.namespace.key(`${orderTaskPercentsKey(orderId)}:relay`);
  const latestOf = (orderId: number) =>
    deps.namespace.key(latestKey(formatChannel('order', orderId, 'progress'), orderId));

  function failed(error: unknown, orders: number[], what = 'order progress not relayed'): void {
    const now = Date.now();
    if (now - loggedAt < FAILURE_LOG_MS) return;
    loggedAt = now;
    deps.logger.warn({ err: error, orders: orders.length, orderId: orders[0] }, what);
  }

  /** The items' commands, a pipeline per Redis node (placed by `keyOf`); failed ones logged, left out. */
  async function perNode<T extends { orderId: number }>(
    items: T[],
    keyOf: (item: T) => string,
    queue: (pipeline: ChainableCommander, item: T) => void,
    what: string,
  ): Promise<Array<{ items: T[]; replies: unknown[] }>> {
    const batches = await pipelinePerNode(deps.redis, items, keyOf, queue, {
      timeoutMs: PROGRESS_REDIS_TIMEOUT_MS,
      what,
    });
    return batches.filter((batch): batch is { items: T[]; replies: unknown[] } => {
      if ('replies' in batch) return true;
      failed(batch.error, batch.items.map(orderIdOf));
      return false;
    });
  }

  /** Reads what Redis holds of these orders (the seeds), with the updates heard meanwhile applied over it. */
  async function seed(orderIds: number[]): Promise<void> {
    const seeded = new Map(orderIds.map((orderId) => [orderId, ticks.follow(orderId)]));
    const answered = await perNode(
      orderIds.map((orderId) => ({ orderId, latestKey: latestOf(orderId) })),
      (item) => item.latestKey,
      (pipeline, { orderId, latestKey }) => readTaskEntries(pipeline.get(latestKey), deps.namespace, orderId),
      'order progress seed',
    );
    for (const { items, replies } of answered) {
      items.forEach(({ orderId }, at) => {
        const [latestRaw, percents, rates] = replies.slice(3 * at, 3 * at + 3) as [
          string | null,
          Record<string, string>,
          Record<string, string>,
        ];
        const latest = parseLatest(OrderProgress, latestRaw);
        seeded.get(orderId)!({ counts: latest && countsOf(latest), ...entriesOfHashes(percents, rates) });
        seeded.delete(orderId);
      });
    }
    // Not read: forgotten, so that the next relay reads them again.
    for (const forget of seeded.values()) forget(null);
  }

  async function step(orderIds: number[]): Promise<void> {
    // The hub is not hearing updates: what the relay knows is going stale.
    if (suspended) return;
    const started = generation;
    const timestamp = Date.now();
    // An order whose seed an earlier step is still reading is left to that step.
    const unseeded = orderIds.filter((orderId) => !ticks.get(orderId) && !ticks.has(orderId));
    if (unseeded.length > 0) await seed(unseeded);
    const built: Built[] = [];
    for (const orderId of orderIds) {
      const state = ticks.get(orderId);
      if (!state?.counts) continue;
      try {
        const progress = await orderProgressOf(deps, orderId, state.counts, state, timestamp);
        built.push({
          orderId,
          state,
          guard: {
            leaseKey: leaseKey(orderId),
            ttlMs: intervalMs,
            latestKey: latestOf(orderId),
            expect: state.counts,
          },
          message: liveMessage(deps, 'order', orderId, 'progress', progress),
        });
      } catch (error) {
        // One order's message the contract refuses: the step's other orders go on.
        failed(error, [orderId], 'order progress not built');
      }
    }
    // Paused, reset or closed meanwhile: what was built may be stale.
    if (started !== generation) return;
    const fresh = built.filter(({ orderId, state }) => ticks.get(orderId) === state);
    if (fresh.length === 0) return;
    const answered = await perNode(
      fresh,
      (item) => item.guard.latestKey,
      (pipeline, { guard, message }) => queueUnderLease(pipeline, guard, message),
      'order progress',
    );
    for (const { items, replies } of answered) {
      // Redis holds other counters (a status change not heard yet, or missed): read it again.
      items.forEach(({ orderId, state }, at) => {
        if (leaseOutcome(replies[at]) === 'moved') ticks.forget(orderId, state);
      });
    }
  }

  function pump(): void {
    while (running < steps && ready.size > 0) {
      const orderIds: number[] = [];
      for (const orderId of ready) {
        if (orderIds.length === stepOrders) break;
        orderIds.push(orderId);
      }
      for (const orderId of orderIds) ready.delete(orderId);
      running += 1;
      step(orderIds)
        .catch((error: unknown) => failed(error, orderIds))
        .finally(() => {
          running -= 1;
          pump();
        });
    }
  }

  function fallDue(at: number): void {
    const slot = grid.get(at);
    if (!slot) return;
    grid.delete(at);
    for (const orderId of slot.orders) {
      armed.delete(orderId);
      ready.add(orderId);
    }
    pump();
  }

  function onTaskProgress(orderId: number): void {
    // Armed, or fallen due and waiting for its step: its relay reads what it knows when it runs,
    // this tick included. A relay armed now would fall due inside the lease that one takes, and be lost.
    if (armed.has(orderId) || ready.has(orderId)) return;
    armed.add(orderId);
    const now = Date.now();
    const at = Math.ceil((now + intervalMs) / gridMs) * gridMs;
    const slot = grid.get(at);
    if (slot) {
      slot.orders.push(orderId);
      return;
    }
    const timer = setTimeout(() => fallDue(at), at - now);
    timer.unref();
    grid.set(at, { orders: [orderId], timer });
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
      for (const { timer } of grid.values()) clearTimeout(timer);
      grid.clear();
      armed.clear();
      ready.clear();
      generation += 1;
      ticks.clear();
    },
    followed: () => ticks.size(),
  };
}
