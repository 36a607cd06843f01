import type { AlertStatusEvent, PaymentStatusEvent } from '@paidflow/contracts';
import {
  CHANNEL_PATTERNS,
  LIVE_RESYNC_CHANNEL,
  type LiveUpdate,
  type ParseMessageResult,
  parseChannelMessage,
  type RedisNamespace,
  SESSION_REVOKED_CHANNEL,
} from '@paidflow/contracts';
import type { Logger, RedisTarget } from '@paidflow/runtime';
import type { WireFrame } from './direct-send.ts';
import { createHubSubscriber } from './hub-subscriber.ts';
import { createLostAnnouncements } from './lost-announcements.ts';
import type { RealtimeMetrics } from './metrics.ts';
import { markPlainJson } from './plain-json.ts';
import { createRefetchChannels, type RefetchListener } from './refetch-listeners.ts';
import { createSessionRevocations } from './session-revocations.ts';
import { createThrottledLog } from './throttled-log.ts';

/** A live event as the hub hands it out: one object shared by every listener. */
export interface HubItem {
  /** The tracked id: `<hub epoch>-<sequence>`, unique within this server process. */
  id: string;
  event: LiveUpdate;
  /** Progress of the same task (or order) shares a key, so a slow listener keeps the latest only. */
  coalesceKey: string | null;
  /** Its data message, encoded once for every WebSocket subscriber (direct-send.ts). */
  wire?: WireFrame;
}

/** Sent to every listener after the subscriber connection came back: events may have been missed. */
export const RESYNC = Symbol('resync');
export type HubListener = (item: HubItem | typeof RESYNC) => void;

export type Topic = { kind: 'order'; id: number } | { kind: 'task'; id: number } | { kind: 'firehose' };

export interface RealtimeHub {
  /** psubscribes (resolves once subscribed, or after `timeoutMs` while Redis is unreachable). */
  start(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  /** Listens to a topic; returns the unsubscribe function. */
  subscribe(topic: Topic, listener: HubListener): () => void;
  /** A fresh tracked id for a snapshot, ordered after every event handed out so far. */
  nextId(): string;
  /** Feeds one raw pub/sub message in (what the subscriber connection does; exported for tests). */
  handleMessage(prefixedChannel: string, raw: string): void;
  /** A live message of this process was not published: every listener resyncs soon (lost-announcements.ts). */
  announcementLost(): void;
  /**
   * Listens to session revocations announced by any server process (SESSION_REVOKED_CHANNEL, on
   * the same subscriber connection); returns the unsubscribe function.
   */
  onSessionRevoked(listener: (tokenHash: string) => void): () => void;
  /** Listens to payment:{id}:status (payments.live only; see refetch-listeners.ts). */
  onPayment(listener: RefetchListener<typeof RESYNC, PaymentStatusEvent>): () => void;
  /** Listens to alert:{id}:status (alerts.live only; docs/alerts.md). */
  onAlert(listener: RefetchListener<typeof RESYNC, AlertStatusEvent>): () => void;
  /** Open listeners per topic kind. */
  listenerCount(): { order: number; task: number; firehose: number };
  /** Open listeners of one topic. */
  topicListenerCount(topic: Topic): number;
}

export interface RealtimeHubOptions {
  /** Where Redis is: one server, or a cluster (any node hears every PUBLISH). */
  redis: RedisTarget;
  namespace: RedisNamespace;
  logger: Logger;
  metrics: RealtimeMetrics;
  /**
   * Hears every valid live update, listened to or not, before its listeners do (the order
   * progress relay follows the ticks, status changes and order progress it hears).
   */
  onLiveUpdate?: (event: LiveUpdate) => void;
  /** Called when the subscriber connection drops: events are being missed until onResync. */
  onDown?: () => void;
  /**
   * Called when the subscriber connection is back and resubscribed, before every listener
   * resyncs: events may have been missed (the relay forgets what it followed).
   */
  onResync?: () => void;
  /** Publishes on the command connection: a lost live message is announced to every server. */
  publish?: (channel: string, message: string) => Promise<unknown>;
}

type MalformedReason = Extract<ParseMessageResult, { ok: false }>['reason'] | 'foreign_prefix';

/**
 * The realtime hub of one server process: ONE Redis connection psubscribed to the few fixed
 * CHANNEL_PATTERNS (so PUBSUB NUMPAT stays small however many browsers connect), every message
 * parsed with the contracts' schemas, and an in-process emitter keyed by order id and task id.
 * A malformed message is dropped, counted and logged (throttled): never forwarded, never thrown.
 */
export function createRealtimeHub(options: RealtimeHubOptions): RealtimeHub {
  const { namespace, logger, metrics } = options;
  const patterns = CHANNEL_PATTERNS.map((pattern) => namespace.channel(pattern));
  const revokedChannel = namespace.channel(SESSION_REVOKED_CHANNEL);
  const resyncChannel = namespace.channel(LIVE_RESYNC_CHANNEL);
  const epoch = Date.now().toString(36);
  let seq = 0;
  const byOrder = new Map<number, Set<HubListener>>();
  const byTask = new Map<number, Set<HubListener>>();
  const firehose = new Set<HubListener>();
  const refetch = createRefetchChannels<typeof RESYNC>({ logger, metrics });
  const logMalformed = createThrottledLog<MalformedReason>(logger);
  const revocations = createSessionRevocations({
    logger,
    onMalformed: (reason, raw) => dropMalformed(reason, SESSION_REVOKED_CHANNEL, raw),
  });

  const subscriber = createHubSubscriber({
    redis: options.redis,
    logger,
    patterns,
    channels: [revokedChannel, resyncChannel],
    onPMessage: (channel, message) => handleMessage(channel, message),
    onMessage(channel, message) {
      if (channel === revokedChannel) revocations.handle(message);
      else if (channel === resyncChannel) lostAnnouncements.handle(message);
    },
    ...(options.onDown ? { onDown: options.onDown } : {}),
    onRestored() {
      options.onResync?.();
      broadcastResync();
    },
  });

  function nextId(): string {
    seq += 1;
    return `${epoch}-${seq}`;
  }

  function deliver(listeners: Set<HubListener> | undefined, item: HubItem | typeof RESYNC): void {
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        listener(item);
      } catch (error) {
        logger.error({ err: error }, 'realtime listener failed');
      }
    }
  }

  function broadcastResync(): void {
    for (const listeners of [...byOrder.values(), ...byTask.values(), firehose]) deliver(listeners, RESYNC);
    refetch.resync(RESYNC);
  }
  const lostAnnouncements = createLostAnnouncements({
    resync: broadcastResync,
    publish: options.publish,
    channel: resyncChannel,
    logger,
    onMalformed: (reason, raw) => dropMalformed(reason, LIVE_RESYNC_CHANNEL, raw),
  });

  function dropMalformed(reason: MalformedReason, channel: string, detail: string): void {
    metrics.malformed.inc({ reason });
    logMalformed(reason, { channel: channel.slice(0, 200), detail: detail.slice(0, 500) });
  }

  function handleMessage(prefixedChannel: string, raw: string): void {
    const channelName = namespace.unprefixChannel(prefixedChannel);
    if (channelName === null) {
      dropMalformed('foreign_prefix', prefixedChannel, 'channel outside our namespace');
      return;
    }
    const parsed = parseChannelMessage(channelName, raw);
    if (!parsed.ok) {
      dropMalformed(parsed.reason, channelName, parsed.detail);
      return;
    }
    if (refetch.take(parsed.message)) return;
    const { channel, payload } = parsed.message;
    const event = markPlainJson({
      kind: `${channel.scope}.${channel.type}`,
      data: payload,
    } as HubItem['event']);
    metrics.messages.inc({ kind: event.kind });
    options.onLiveUpdate?.(event);
    switch (event.kind) {
      case 'task.progress': {
        const item: HubItem = { id: nextId(), event, coalesceKey: `task:${event.data.taskId}` };
        deliver(byTask.get(event.data.taskId), item);
        deliver(byOrder.get(event.data.orderId), item);
        return;
      }
      case 'task.status': {
        const item: HubItem = { id: nextId(), event, coalesceKey: null };
        deliver(byTask.get(event.data.taskId), item);
        deliver(byOrder.get(event.data.orderId), item);
        deliver(firehose, item);
        return;
      }
      case 'order.progress': {
        const item: HubItem = { id: nextId(), event, coalesceKey: `order:${event.data.orderId}` };
        deliver(byOrder.get(event.data.orderId), item);
        deliver(firehose, item);
        return;
      }
      case 'order.complete':
      case 'order.status': {
        const item: HubItem = { id: nextId(), event, coalesceKey: null };
        deliver(byOrder.get(event.data.orderId), item);
        deliver(firehose, item);
        return;
      }
    }
  }

  function subscribe(topic: Topic, listener: HubListener): () => void {
    let set: Set<HubListener>;
    let release: () => void;
    if (topic.kind === 'firehose') {
      set = firehose;
      release = () => {};
    } else {
      const map = topic.kind === 'order' ? byOrder : byTask;
      set = map.get(topic.id) ?? new Set();
      map.set(topic.id, set);
      release = () => {
        if (set.size === 0) map.delete(topic.id);
      };
    }
    set.add(listener);
    metrics.subscriptions.inc({ topic: topic.kind });
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      set.delete(listener);
      release();
      metrics.subscriptions.dec({ topic: topic.kind });
    };
  }

  async function start(timeoutMs = 5_000): Promise<void> {
    await subscriber.start(timeoutMs);
  }

  async function stop(): Promise<void> {
    byOrder.clear();
    byTask.clear();
    firehose.clear();
    refetch.clear();
    revocations.clear();
    lostAnnouncements.stop();
    await subscriber.stop();
  }

  function listenerCount() {
    let order = 0;
    let task = 0;
    for (const set of byOrder.values()) order += set.size;
    for (const set of byTask.values()) task += set.size;
    return { order, task, firehose: firehose.size };
  }

  function topicListenerCount(topic: Topic): number {
    if (topic.kind === 'firehose') return firehose.size;
    return (topic.kind === 'order' ? byOrder : byTask).get(topic.id)?.size ?? 0;
  }

  return {
    start,
    stop,
    subscribe,
    onSessionRevoked: revocations.on,
    onPayment: refetch.onPayment,
    onAlert: refetch.onAlert,
    nextId,
    handleMessage,
    announcementLost: lostAnnouncements.lost,
    listenerCount,
    topicListenerCount,
  };
}
