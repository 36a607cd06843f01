import { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import { nodeOptionsFromUrl, type RedisTarget } from './redis.ts';

/**
 * A pub/sub connection that survives its server: it queues (p)subscribes while disconnected and
 * emits 'ready' each time it is connected again, so its owner can resynchronise (messages sent
 * meanwhile are gone). Events: 'message' (channel, message), 'pmessage' (pattern, channel,
 * message), 'ready', 'close', 'error' (error).
 */
export interface Subscriber extends EventEmitter {
  psubscribe(...patterns: string[]): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  /** Connects now (the connection is lazy until the first (p)subscribe or this call). */
  connect(): Promise<void>;
  quit(): Promise<void>;
  disconnect(): void;
}

/** Failed reconnects to one cluster node before the subscriber moves to the next one. */
const ATTEMPTS_PER_NODE = 3;

/**
 * The subscriber of a target. One server: one ioredis connection that reconnects forever and
 * subscribes again by itself. A Redis Cluster: classic PUBLISH reaches every node, so one
 * connection to any node hears every message; when its node is gone (a killed master, a node
 * taken out) it moves to the next node of REDIS_CLUSTER_NODES, subscribes again to everything,
 * and emits 'ready'. Unlike ioredis's own cluster subscriber, which moves silently, the owner
 * learns that messages may have been missed (decision 058).
 */
export function createSubscriber(target: RedisTarget, options: { connectionName?: string } = {}): Subscriber {
  const emitter = new EventEmitter() as Subscriber;
  const base: RedisOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    connectTimeout: 5_000,
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
  };
  const nodes = target.clusterNodes ?? [];
  const channels = new Set<string>();
  const patterns = new Set<string>();
  let next = nodes.length > 0 ? Math.floor(Math.random() * nodes.length) : 0;
  let stopped = false;
  let current = open();

  function open(): Redis {
    const node = nodes[next % Math.max(nodes.length, 1)];
    next += 1;
    const redis = node
      ? new Redis({
          ...nodeOptionsFromUrl(target.url),
          ...base,
          host: node.host,
          port: node.port,
          // A node that does not come back is left for the next one.
          retryStrategy: (times) => (times > ATTEMPTS_PER_NODE ? null : times * 200),
        })
      : new Redis(target.url, { ...base, retryStrategy: (times) => Math.min(times * 200, 2_000) });
    redis.on('message', (channel: string, message: string) => emitter.emit('message', channel, message));
    redis.on('pmessage', (pattern: string, channel: string, message: string) =>
      emitter.emit('pmessage', pattern, channel, message),
    );
    redis.on('ready', () => emitter.emit('ready'));
    redis.on('close', () => emitter.emit('close'));
    redis.on('error', (error: unknown) => {
      if (emitter.listenerCount('error') > 0) emitter.emit('error', error);
    });
    if (node) redis.once('end', () => moveOn(redis));
    return redis;
  }

  function moveOn(ended: Redis): void {
    if (stopped || ended !== current) return;
    current = open();
    // The new connection's offline queue holds these until it is ready.
    if (patterns.size > 0) current.psubscribe(...patterns).catch(() => {});
    if (channels.size > 0) current.subscribe(...channels).catch(() => {});
    current.connect().catch(() => {});
  }

  emitter.psubscribe = (...names) => {
    for (const name of names) patterns.add(name);
    return current.psubscribe(...names);
  };
  emitter.subscribe = (...names) => {
    for (const name of names) channels.add(name);
    return current.subscribe(...names);
  };
  emitter.unsubscribe = (...names) => {
    for (const name of names) channels.delete(name);
    return current.unsubscribe(...names);
  };
  emitter.connect = () => current.connect();
  emitter.quit = async () => {
    stopped = true;
    await current.quit().catch(() => current.disconnect());
  };
  emitter.disconnect = () => {
    stopped = true;
    current.disconnect();
  };
  return emitter;
}
