import type { LiveEvent, LiveSnapshot, LiveUpdate } from '@paidflow/contracts';
import { LAGGING_CLOSE_CODE } from '@paidflow/contracts';
import type { Logger } from '@paidflow/runtime';
import { TRPCError, type TrackedEnvelope, tracked } from '@trpc/server';
import type { WebSocket } from 'ws';
import { sendDataFrame, wsFramePrefix } from './direct-send.ts';
import { type HubItem, RESYNC, type RealtimeHub, type Topic } from './hub.ts';
import { LiveQueue } from './live-queue.ts';
import type { RealtimeMetrics } from './metrics.ts';
import { markPlainJson } from './plain-json.ts';
import type { SnapshotReason } from './snapshot.ts';

/** Pending events one subscription may hold before it counts as too slow. */
export const MAX_PENDING_EVENTS = 1_000;
/** The most updates sent in one batch message. */
export const MAX_BATCH = 200;
/** Above this many bytes waiting in the socket, stop handing events to it (they coalesce meanwhile). */
export const SOCKET_HIGH_WATER_BYTES = 1024 * 1024;
/** WebSocket close code for a lagging client: 1013 "try again later". It reconnects and resyncs. */
export { LAGGING_CLOSE_CODE };

export interface LiveStreamOptions {
  hub: RealtimeHub;
  topic: Topic;
  signal: AbortSignal | undefined;
  /** Present over WebSocket: the stream watches its buffer, and closes it when the client lags. */
  socket?: WebSocket;
  lastEventId?: string | null;
  /** Reads the current state (Redis latest values, else MySQL). */
  snapshot(reason: SnapshotReason): Promise<LiveSnapshot>;
  logger: Logger;
  metrics: RealtimeMetrics;
  limit?: number;
}

/** True when a pending progress event is older than what the snapshot already holds. */
function staleAfter(snapshot: LiveSnapshot) {
  const taskProgressAt = new Map<number, number>();
  for (const task of snapshot.tasks) {
    if (task.progress) taskProgressAt.set(task.taskId, task.progress.timestamp);
  }
  const orderProgressAt = snapshot.order?.progress?.timestamp ?? -1;
  return (item: HubItem) => {
    const { event } = item;
    if (event.kind === 'task.progress') {
      return event.data.timestamp <= (taskProgressAt.get(event.data.taskId) ?? -1);
    }
    if (event.kind === 'order.progress') return event.data.timestamp <= orderProgressAt;
    return false;
  };
}

function closeLaggingSocket(socket: WebSocket): void {
  if (socket.readyState !== socket.OPEN) return;
  socket.close(LAGGING_CLOSE_CODE, 'lagging: reconnect to resync');
  // A client that reads nothing never answers the close handshake: cut it after a grace period.
  setTimeout(() => socket.terminate(), 5_000).unref();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The current state as a tracked event; pending progress it already covers is dropped. */
async function snapshotEvent(
  options: LiveStreamOptions,
  queue: LiveQueue<HubItem>,
  reason: SnapshotReason,
): Promise<TrackedEnvelope<LiveEvent>> {
  const snapshot = await options.snapshot(reason);
  queue.removeWhere(staleAfter(snapshot));
  return tracked(options.hub.nextId(), markPlainJson(snapshot));
}

/**
 * What a subscriber is sent next: its oldest pending update, or every pending update (up to
 * MAX_BATCH, in order) as one batch, tracked with the last one's id; undefined when none is pending.
 */
function takeNext(queue: LiveQueue<HubItem>): TrackedEnvelope<LiveEvent> | undefined {
  const first = queue.shift();
  if (first === undefined) return undefined;
  if (queue.size === 0) return tracked(first.id, first.event);
  const events: LiveUpdate[] = [first.event];
  let last = first;
  for (let item = queue.shift(); item; item = events.length < MAX_BATCH ? queue.shift() : undefined) {
    events.push(item.event);
    last = item;
  }
  return tracked(last.id, markPlainJson({ kind: 'batch', events }));
}

/**
 * A subscription's stream: the current state first (a snapshot), then the live updates of its
 * topic, each with a tracked id. The hub listener is attached BEFORE the snapshot is read, so
 * nothing published meanwhile is missed; pending progress the snapshot already covers is dropped.
 * A reconnecting client (lastEventId) or a hub resync gets a fresh snapshot: whatever happened
 * while it was away, it never ends on stale state.
 *
 * Updates that piled up while this subscriber waited (the process was busy, or its socket full)
 * go out as one batch message, in order. A slow client does not hurt the others: the hub only
 * pushes into this stream's bounded queue, superseded progress is coalesced there, and past
 * MAX_PENDING_EVENTS non-droppable events the connection is closed (the client reconnects and
 * resyncs from a snapshot).
 */
/**
 * Live streams per socket. A socket that carries several (the orders list follows each processing
 * row's order) gets no direct sends: there, the generator's batches (updates that piled up while it
 * stepped, as one message) are what keep a browser's message rate, and its main thread, in bounds;
 * bench browser's list page at 1,900 ticks/s went from frame p99 16.8 ms to 150 ms with them.
 */
const streamsOnSocket = new WeakMap<WebSocket, number>();

export async function* liveStream(options: LiveStreamOptions): AsyncGenerator<TrackedEnvelope<LiveEvent>> {
  const { hub, signal, socket, logger, metrics } = options;
  let resync = false;
  const queue = new LiveQueue<HubItem>(options.limit ?? MAX_PENDING_EVENTS, () => {
    metrics.overflows.inc();
    logger.warn({ topic: options.topic, pending: queue.size }, 'live subscriber too slow; disconnecting it');
    if (socket) closeLaggingSocket(socket);
    queue.wake();
  });
  // Over the patched WebSocket adapter, an update that finds this stream idle (all it yielded is
  // sent, nothing pending, the socket not backed up, no other stream on the socket) is written to
  // the socket right here, as the adapter would send it: no generator step, no promise, and the
  // event encoded once for all.
  const prefix = socket ? wsFramePrefix(signal) : null;
  if (socket) streamsOnSocket.set(socket, (streamsOnSocket.get(socket) ?? 0) + 1);
  // Kept by the abort listener below: reading signal.aborted for every message was 1 % of the
  // fan-out's busy time (Node checks the receiver's brand on each read).
  let aborted = signal?.aborted ?? false;
  const idle = (ws: WebSocket) =>
    streamsOnSocket.get(ws) === 1 &&
    queue.waiting &&
    !resync &&
    !queue.overflowed &&
    !aborted &&
    ws.readyState === ws.OPEN &&
    ws.bufferedAmount <= SOCKET_HIGH_WATER_BYTES;
  const unsubscribe = hub.subscribe(options.topic, (item) => {
    if (item === RESYNC) {
      resync = true;
      queue.wake();
      return;
    }
    if (prefix !== null && socket !== undefined && idle(socket)) {
      sendDataFrame(socket, item, prefix);
      return;
    }
    const coalesced = queue.coalesced;
    queue.push(item, item.coalesceKey);
    if (queue.coalesced > coalesced) metrics.coalesced.inc();
  });
  const onAbort = () => {
    aborted = true;
    queue.wake();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let out: TrackedEnvelope<LiveEvent> | undefined;
  try {
    let reason: SnapshotReason = options.lastEventId ? 'resume' : 'subscribe';
    while (!signal?.aborted) {
      resync = false;
      out = await snapshotEvent(options, queue, reason);
      yield out;
      // Nor should it keep the snapshot (the order and all its tasks) for the stream's life.
      out = undefined;
      while (!signal?.aborted && !resync) {
        if (queue.overflowed) {
          // Over WebSocket the socket is closing and the adapter will abort us; elsewhere fail.
          if (!socket) throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: 'subscriber too slow' });
          while (!signal?.aborted) await queue.wait().then(() => sleep(100));
          return;
        }
        if (socket && socket.bufferedAmount > SOCKET_HIGH_WATER_BYTES) {
          await sleep(10);
          continue;
        }
        out = takeNext(queue);
        if (out === undefined) {
          await queue.wait();
          continue;
        }
        yield out;
        // A suspended generator keeps its variables: without this, each subscriber would hold
        // its last event until the next one (a fifth of a second apart at 5 messages a second),
        // long enough to be copied out of the young generation.
        out = undefined;
      }
      queue.clear();
      reason = 'resync';
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    unsubscribe();
    if (socket) streamsOnSocket.set(socket, (streamsOnSocket.get(socket) ?? 1) - 1);
  }
}
