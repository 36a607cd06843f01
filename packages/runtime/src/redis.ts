/// <reference path="./cluster-key-slot.d.ts" />
import calculateSlot from 'cluster-key-slot';
import { type ChainableCommander, Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.ts';
import { withTimeout } from './timeout.ts';

/** A Redis connection of either kind: one server, or a Redis Cluster (decision 058). */
export type RedisClient = Redis | Cluster;

/** One node of a Redis Cluster, as REDIS_CLUSTER_NODES lists it. */
export interface ClusterNode {
  host: string;
  port: number;
}

/**
 * Where Redis is: `url` alone is one server; with `clusterNodes` every client runs in cluster
 * mode and the URL only gives the credentials and TLS (rediss://) used on every node.
 */
export interface RedisTarget {
  url: string;
  clusterNodes?: ClusterNode[] | undefined;
}

/** The target a process's environment names (REDIS_URL, REDIS_CLUSTER_NODES). */
export function redisTarget(env: {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES?: ClusterNode[] | undefined;
}): RedisTarget {
  return { url: env.REDIS_URL, clusterNodes: env.REDIS_CLUSTER_NODES };
}

/** True when the target is a Redis Cluster. */
export function isClusterTarget(target: RedisTarget | string): boolean {
  return typeof target !== 'string' && (target.clusterNodes?.length ?? 0) > 0;
}

/** The per-node options a URL carries: credentials, database, TLS. */
export function nodeOptionsFromUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  const options: RedisOptions = {};
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === 'rediss:') options.tls = { servername: parsed.hostname };
  return options;
}

/** The cluster options every client of ours shares; `node` holds the per-connection ones. */
export function clusterOptions(target: RedisTarget, node: RedisOptions): ClusterOptions {
  const { enableOfflineQueue, lazyConnect, ...redisOptions } = node;
  return {
    redisOptions: { ...nodeOptionsFromUrl(target.url), ...redisOptions },
    enableOfflineQueue: enableOfflineQueue ?? false,
    ...(lazyConnect !== undefined ? { lazyConnect } : {}),
    // Only masters: a replica's read may be behind what this process just wrote.
    scaleReads: 'master',
    clusterRetryStrategy: (times) => Math.min(times * 200, 2_000),
    // A failover takes the node timeout (a few seconds): commands wait for it, then fail.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    slotsRefreshTimeout: 2_000,
  };
}

/**
 * A Redis connection that never crashes the process: it logs once per outage (not once per retry) and says when it is back, while
 * ioredis reconnects. By default commands fail fast while Redis is down (no offline queue), so
 * callers can answer 503, fall back or skip, instead of hanging; a subscriber that must wait for
 * the connection passes `enableOfflineQueue: true`. With a cluster target it is an ioredis
 * Cluster with the same behaviour: multi-key commands must then stay within one slot.
 */
export function createRedis(
  target: RedisTarget | string,
  logger: Logger,
  options: RedisOptions = {},
): RedisClient {
  const defaults: RedisOptions = {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...options,
  };
  const resolved = typeof target === 'string' ? { url: target } : target;
  const redis: RedisClient =
    resolved.clusterNodes && resolved.clusterNodes.length > 0
      ? new Cluster(resolved.clusterNodes, clusterOptions(resolved, defaults))
      : new Redis(resolved.url, defaults);
  let down = false;
  redis.on('error', (error) => {
    if (down) return;
    down = true;
    logger.warn({ err: error, connection: options.connectionName }, 'redis connection error; reconnecting');
  });
  redis.on('ready', () => {
    if (down) logger.info({ connection: options.connectionName }, 'redis connection restored');
    down = false;
  });
  // A cluster reports each node's trouble apart from its own state: logged once per outage too.
  if (redis instanceof Cluster) {
    redis.on('node error', (error, node) => {
      if (down) return;
      down = true;
      logger.warn(
        { err: error, node, connection: options.connectionName },
        'redis cluster node error; reconnecting',
      );
    });
  }
  return redis;
}

/**
 * Resolves true once the client is ready (a cluster: once it knows its slots), false when it is not
 * within `timeoutMs` or its connection has ended. A process waits on it at start, so that its first
 * commands do not fail on a connection still coming up (commands fail fast: no offline queue).
 */
export function whenReady(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  if (redis.status === 'end') return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('end', onEnd);
      resolve(ready);
    };
    const onReady = () => done(true);
    const onEnd = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.once('ready', onReady);
    redis.once('end', onEnd);
    if (redis.status === 'wait') redis.connect().catch(() => {});
  });
}

/**
 * The servers that hold the keys: a cluster's masters (empty until it knows its slots), or the
 * one server. Per-node commands (INFO, SCAN) must go to each of them.
 */
export function redisMasters(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

function groupBy<T, K>(items: T[], groupOf: (item: T) => K): T[][] {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const id = groupOf(item);
    const group = groups.get(id);
    if (group) group.push(item);
    else groups.set(id, [item]);
  }
  return [...groups.values()];
}

/**
 * Items grouped so that each group's keys may share one MULTI or MGET: all of them together on a
 * single server; one group per slot on a cluster, which refuses multi-key commands across slots.
 */
export function slotGroups<T>(redis: RedisClient, items: T[], keyOf: (item: T) => string): T[][] {
  if (!(redis instanceof Cluster)) return items.length > 0 ? [items] : [];
  return groupBy(items, (item) => calculateSlot(keyOf(item)));
}

/**
 * Items grouped so that each group's commands may share one pipeline (each command's own keys in
 * one slot): all of them together on a single server; on a cluster, one group per node (the set
 * of servers ioredis's pipeline checks, `_groupsBySlot`), one per slot while the slots are unknown.
 */
export function nodeGroups<T>(redis: RedisClient, items: T[], keyOf: (item: T) => string): T[][] {
  if (!(redis instanceof Cluster)) return items.length > 0 ? [items] : [];
  return groupBy(items, (item) => {
    const slot = calculateSlot(keyOf(item));
    return redis._groupsBySlot[slot] ?? `slot ${slot}`;
  });
}

/** A pipeline's replies, or its first command's error thrown (a pipeline resolves with them). */
export async function runPipeline(pipeline: ChainableCommander): Promise<unknown[]> {
  const replies = await pipeline.exec();
  const failed = replies?.find(([error]) => error)?.[0];
  if (!replies || failed) throw failed ?? new Error('no reply from Redis');
  return replies.map(([, value]) => value);
}

/** One node's pipeline of pipelinePerNode: its items, and their replies or the error that stopped it. */
export type NodeBatch<T> = { items: T[]; replies: unknown[] } | { items: T[]; error: unknown };

async function sendGroups<T>(
  redis: RedisClient,
  groups: T[][],
  queue: (pipeline: ChainableCommander, item: T) => void,
  limit: { timeoutMs: number; what: string },
): Promise<Array<NodeBatch<T>>> {
  const settled = await Promise.allSettled(
    groups.map((group) => {
      const pipeline = redis.pipeline();
      for (const item of group) queue(pipeline, item);
      return withTimeout(runPipeline(pipeline), limit.timeoutMs, limit.what);
    }),
  );
  return settled.map((result, at) => {
    const group = groups[at] ?? [];
    return result.status === 'fulfilled'
      ? { items: group, replies: result.value }
      : { items: group, error: result.reason };
  });
}

// MOVED or ASK for part of a pipeline; or, when the rest of it only read, ioredis's own retry of
// the whole pipeline, refused because the slot it learnt of now lies on another node.
const REDIRECTED = /^(MOVED|ASK) |should belong to the same slots allocation group/;
const redirected = <T>(batch: NodeBatch<T>): boolean =>
  'error' in batch && REDIRECTED.test(batch.error instanceof Error ? batch.error.message : '');

/**
 * The items' commands (`queue` puts one item's on the pipeline) as one pipeline per node
 * (nodeGroups), sent together, each answered within `timeoutMs`. Each stands alone: one that
 * fails or times out leaves the others' replies as they are.
 *
 * On a cluster, a slot may have moved since the client last read the slot map. ioredis follows a
 * pipeline's MOVED or ASK only when every command of it got the same one (and the others only
 * read), and then sends the whole pipeline to one node again, which a node's pipeline over many
 * slots no longer fits: so the map is read again and such a group is sent again, one pipeline per
 * slot (ioredis follows a single slot's redirection itself). Its commands may run twice: they
 * must be safe to (renewals, reads, a script that takes a lease).
 */
export async function pipelinePerNode<T>(
  redis: RedisClient,
  items: T[],
  keyOf: (item: T) => string,
  queue: (pipeline: ChainableCommander, item: T) => void,
  limit: { timeoutMs: number; what: string },
): Promise<Array<NodeBatch<T>>> {
  const batches = await sendGroups(redis, nodeGroups(redis, items, keyOf), queue, limit);
  if (!(redis instanceof Cluster) || !batches.some(redirected)) return batches;
  const refreshed = new Promise<void>((resolve) => redis.refreshSlotsCache(() => resolve()));
  await withTimeout(refreshed, limit.timeoutMs, `${limit.what}: slot map`).catch(() => {});
  const again = await Promise.all(
    batches.map((batch) =>
      redirected(batch) ? sendGroups(redis, slotGroups(redis, batch.items, keyOf), queue, limit) : [batch],
    ),
  );
  return again.flat();
}

/** MGET of keys that may lie in different slots (slotGroups), run together; values in key order. */
export async function mgetAnySlot(redis: RedisClient, keys: string[]): Promise<Array<string | null>> {
  const values = new Map<string, string | null>();
  await Promise.all(
    slotGroups(redis, [...new Set(keys)], (key) => key).map(async (group) => {
      const found = await redis.mget(group);
      group.forEach((key, at) => {
        values.set(key, found[at] ?? null);
      });
    }),
  );
  return keys.map((key) => values.get(key) ?? null);
}
