// The scale benchmark's WebSocket clients: the real @trpc/client (the server's live-client), each
// on a socket of its own through haproxy, subscribed to one order's events. Every message is
// counted under the phase it arrived in, with its delivery latency (arrival - the event's own
// timestamp, set by its publisher on this machine's clock).
import type { LiveEvent } from '@paidflow/contracts';
import { type LiveClient, liveClient } from '@paidflow/server/testing';
import { waitUntil } from '../lib/wait.ts';

type Update = Exclude<LiveEvent, { kind: 'batch' }>;

export interface Watcher {
  orderId: number;
  live: LiveClient;
  /** Every event but progress, in order, a batch's one by one, with its arrival time. */
  events: Array<{ data: Update; at: number }>;
  errors: number;
}

export interface PhaseDeliveries {
  /** Frames received (a batch is one), snapshots left out. */
  messages: number;
  /** Updates received (each of a batch counted). */
  events: number;
  latenciesMs: number[];
  firstAt: number;
  lastAt: number;
}

export interface Fleet {
  watchers: Watcher[];
  /** From now on, deliveries count under this phase. */
  phase(name: string): void;
  deliveries: Map<string, PhaseDeliveries>;
  close(): Promise<void>;
}

function timestampOf(update: Update): number | null {
  return update.kind === 'snapshot' ? null : update.data.timestamp;
}

/**
 * Opens `count` clients, client i on order i % orders, `batch` at a time, each counted open once
 * its subscription's snapshot has arrived.
 */
export async function openFleet(options: {
  url: string;
  cookie: string;
  orderIds: number[];
  count: number;
  batch?: number;
}): Promise<Fleet> {
  const deliveries = new Map<string, PhaseDeliveries>();
  let current: PhaseDeliveries | null = null;
  const phase = (name: string) => {
    current = { messages: 0, events: 0, latenciesMs: [], firstAt: 0, lastAt: 0 };
    deliveries.set(name, current);
  };
  phase('connect');
  const watchers: Watcher[] = [];
  const record = (watcher: Watcher, value: { data: LiveEvent }) => {
    const at = Date.now();
    const updates = value.data.kind === 'batch' ? value.data.events : [value.data];
    const counted = current!;
    if (value.data.kind !== 'snapshot') {
      counted.messages++;
      counted.firstAt ||= at;
      counted.lastAt = at;
    }
    for (const update of updates) {
      // Progress is counted, not kept: a thousand clients' worth of it is gigabytes.
      if (update.kind !== 'task.progress' && update.kind !== 'order.progress')
        watcher.events.push({ data: update, at });
      const stamp = timestampOf(update);
      if (stamp === null) continue;
      counted.events++;
      counted.latenciesMs.push(at - stamp);
    }
  };
  const open = (i: number): Watcher => {
    const orderId = options.orderIds[i % options.orderIds.length]!;
    const live = liveClient(options.url, options.cookie, { retryDelayMs: 200 });
    const watcher: Watcher = { orderId, live, events: [], errors: 0 };
    live.client.events.order.subscribe(
      { orderId },
      {
        onData: (value) => record(watcher, value),
        onError: () => {
          watcher.errors++;
        },
      },
    );
    return watcher;
  };
  const batch = options.batch ?? 50;
  try {
    for (let start = 0; start < options.count; start += batch) {
      const fresh = Array.from({ length: Math.min(batch, options.count - start) }, (_, i) => open(start + i));
      watchers.push(...fresh);
      await waitUntil(
        () => fresh.every((w) => w.events.length > 0),
        30_000,
        `clients ${start + 1}..${start + fresh.length} to get their snapshots`,
      );
    }
  } catch (error) {
    await Promise.all(watchers.map((w) => w.live.close()));
    throw error;
  }
  return {
    watchers,
    phase,
    deliveries,
    close: async () => {
      await Promise.all(watchers.map((w) => w.live.close()));
    },
  };
}
