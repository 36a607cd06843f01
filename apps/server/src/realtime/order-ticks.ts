import {
  entriesAfterStatus,
  entriesAfterTick,
  type LiveUpdate,
  type OrderProgress,
  parseTaskRate,
  type TaskEntries,
  type TaskRate,
} from '@paidflow/contracts';

// What the order progress relay knows of an order between its status changes, kept from the live
// updates this server process hears rather than read from Redis once a second per order
// (decision 067). Every write of an order's percents and rates hashes goes out in the MULTI of a
// task message (taskEntryCommands), and every write of its latest progress with that message, so
// the hub hears each of them, in the order Redis ran them (on a Redis Cluster, in that order per
// node, and one order's keys live on one node): the same rule (entriesAfterTick,
// entriesAfterStatus) applied to what it hears gives what Redis holds. What happened before this
// process heard an order is read from Redis, the seed; updates heard while the seed is read are
// applied over it. A message this process missed without noticing (a cluster link that dropped
// it, a message its schema refused) would leave it wrong: so the seed is read again every
// `staleMs`, and a publish whose counters Redis no longer holds drops the order (the relay's
// guard, queueUnderLease).

export type OrderCounts = Pick<
  OrderProgress,
  'completedTasks' | 'failedTasks' | 'cancelledTasks' | 'totalTasks'
>;

/** An order's task entries: each task's latest percent, and the rates of those that download. */
export interface TaskEntryMaps {
  percents: Map<number, number>;
  rates: Map<number, TaskRate>;
}

/** What the relay knows of one order: the counters of its latest progress message (null: it has none), and its tasks' entries. */
export interface OrderTickState extends TaskEntryMaps {
  counts: OrderCounts | null;
}

/** The order's percents and rates hashes as Redis returns them (HGETALL), as entries; garbage is left out. */
export function entriesOfHashes(
  percents: Record<string, string> | null | undefined,
  rates: Record<string, string> | null | undefined,
): TaskEntryMaps {
  const maps: TaskEntryMaps = { percents: new Map(), rates: new Map() };
  for (const [field, value] of Object.entries(percents ?? {})) {
    const taskId = Number(field);
    const percent = Number(value);
    if (Number.isInteger(taskId) && Number.isFinite(percent)) maps.percents.set(taskId, percent);
  }
  for (const [field, value] of Object.entries(rates ?? {})) {
    const taskId = Number(field);
    const rate = parseTaskRate(value);
    if (Number.isInteger(taskId) && rate) maps.rates.set(taskId, rate);
  }
  return maps;
}

export function countsOf(progress: OrderProgress): OrderCounts {
  const { completedTasks, failedTasks, cancelledTasks, totalTasks } = progress;
  return { completedTasks, failedTasks, cancelledTasks, totalTasks };
}

interface Followed extends OrderTickState {
  /** When the seed was asked for. */
  since: number;
  /** Updates heard while the seed is read, in order; null once seeded. */
  pending: LiveUpdate[] | null;
}

export interface OrderTicks {
  /** A live update heard by the hub: applied to its order when the order is followed. */
  hear(event: LiveUpdate): void;
  /** A followed order's state, once seeded; undefined (and forgotten) once its seed is `staleMs` old. */
  get(orderId: number, now?: number): OrderTickState | undefined;
  /** Whether the order is followed, or its seed is being read. */
  has(orderId: number): boolean;
  /**
   * Starts following the order: updates heard from now on apply over the seed. Call before the
   * seed's read is sent; the function returned takes what was read (null: the read failed, and the
   * order is forgotten) and answers the order's state.
   */
  follow(
    orderId: number,
  ): (seed: (TaskEntryMaps & { counts: OrderCounts | null }) | null) => OrderTickState | undefined;
  /** Forgets one order (only if `state` is still what is kept of it): its next relay reads its seed again. */
  forget(orderId: number, state?: OrderTickState): void;
  /** Forgets the orders seeded `staleMs` ago (heard since or not): the next tick of one seeds it again. */
  sweep(now?: number): void;
  /** Forgets every order (the hub may have missed updates). */
  clear(): void;
  size(): number;
}

function applyEntries(state: TaskEntryMaps, taskId: number, entries: TaskEntries): void {
  if (entries.percent === null) state.percents.delete(taskId);
  else if (entries.percent !== undefined) state.percents.set(taskId, entries.percent);
  if (entries.rate === null) state.rates.delete(taskId);
  else if (entries.rate !== undefined) state.rates.set(taskId, entries.rate);
}

function apply(state: OrderTickState, event: LiveUpdate): void {
  switch (event.kind) {
    case 'task.progress':
      applyEntries(state, event.data.taskId, entriesAfterTick(event.data));
      return;
    case 'task.status':
      applyEntries(state, event.data.taskId, entriesAfterStatus(event.data.newStatus));
      return;
    case 'order.progress':
      state.counts = countsOf(event.data);
      return;
    default:
      return;
  }
}

/** The orders this process follows, from the updates it hears (see above). */
export function createOrderTicks(options: { staleMs: number }): OrderTicks {
  const orders = new Map<number, Followed>();

  return {
    hear(event) {
      const followed = orders.get(event.data.orderId);
      if (!followed) return;
      if (followed.pending) followed.pending.push(event);
      else apply(followed, event);
    },
    get(orderId, now = Date.now()) {
      const followed = orders.get(orderId);
      if (!followed || followed.pending) return undefined;
      if (now - followed.since <= options.staleMs) return followed;
      orders.delete(orderId);
      return undefined;
    },
    forget: (orderId, state) => {
      if (state === undefined || orders.get(orderId) === state) orders.delete(orderId);
    },
    has: (orderId) => orders.has(orderId),
    follow(orderId) {
      const now = Date.now();
      const followed: Followed = {
        counts: null,
        percents: new Map(),
        rates: new Map(),
        since: now,
        pending: [],
      };
      orders.set(orderId, followed);
      return (seed) => {
        // Forgotten meanwhile (cleared, swept): what was read may have missed updates.
        if (orders.get(orderId) !== followed) return undefined;
        if (!seed) {
          orders.delete(orderId);
          return undefined;
        }
        followed.counts = seed.counts;
        followed.percents = seed.percents;
        followed.rates = seed.rates;
        for (const event of followed.pending ?? []) apply(followed, event);
        followed.pending = null;
        return followed;
      };
    },
    sweep(now = Date.now()) {
      // A seed still being read that long is given up too: its answer, if it comes, is dropped.
      for (const [orderId, followed] of orders)
        if (now - followed.since > options.staleMs) orders.delete(orderId);
    },
    clear: () => orders.clear(),
    size: () => orders.size,
  };
}
