import {
  type Backlog,
  outboxBacklog,
  paymentsAwaitingBacklog,
  pingDatabase,
  queuedTaskBacklog,
} from '@paidflow/db';
import { type RedisClient, redisMasters, withTimeout } from '@paidflow/runtime';
import type { AppDeps } from '../deps.ts';
import { workerHealth } from '../services/worker-health.ts';
import { parseRedisInfo } from './redis-info.ts';

/** How long each read of a scrape may take: a dead MySQL or Redis must not hang /metrics. */
export const PROBE_TIMEOUT_MS = 1_000;

/** The BullMQ states the server reports (prioritized jobs are waiting jobs with a priority). */
export const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;

export type SnapshotDeps = Pick<AppDeps, 'db' | 'redis' | 'queue' | 'namespace' | 'logger'>;

/**
 * What a scrape reports beyond the process's own counters. A part that could not be read in
 * time is absent (its gauges read NaN), never a stale value.
 */
export interface OpsSnapshot {
  mysqlUp: boolean;
  redisUp: boolean;
  redisMemory?: { usedBytes: number; maxBytes: number };
  queue?: Record<(typeof QUEUE_STATES)[number], number>;
  workers?: { up: number; late: number };
  queuedTasks?: Backlog;
  outbox?: Backlog;
  payments?: { unmatched: Backlog; underpaid: Backlog };
}

type Part<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function part<T>(what: string, run: () => Promise<T>): Promise<Part<T>> {
  try {
    return { ok: true, value: await withTimeout(run(), PROBE_TIMEOUT_MS, what) };
  } catch (error) {
    return { ok: false, error };
  }
}

function readValue<T>(read: Part<T>): T | undefined {
  return read.ok ? read.value : undefined;
}

/** INFO memory's fields, summed over the masters (a cluster's memory is its masters' together). */
async function memoryInfo(redis: RedisClient): Promise<Map<string, number>> {
  const masters = redisMasters(redis);
  if (masters.length === 0) throw new Error('the Redis Cluster knows no master yet');
  const sums = new Map<string, number>();
  for (const text of await Promise.all(masters.map((node) => node.info('memory')))) {
    for (const [name, value] of parseRedisInfo(text)) sums.set(name, (sums.get(name) ?? 0) + value);
  }
  return sums;
}

async function redisParts(deps: SnapshotDeps) {
  const info = await part('redis INFO', () => memoryInfo(deps.redis));
  if (!info.ok) return { redisUp: false, failed: info.error };
  const fields = info.value;
  const [queue, workers] = await Promise.all([
    part('queue counts', () => deps.queue.getJobCounts(...QUEUE_STATES)),
    part('worker heartbeats', () => workerHealth(deps)),
  ]);
  const counts = readValue(queue);
  const health = readValue(workers);
  return {
    redisUp: true,
    redisMemory: { usedBytes: fields.get('used_memory') ?? 0, maxBytes: fields.get('maxmemory') ?? 0 },
    queue:
      counts &&
      (Object.fromEntries(QUEUE_STATES.map((state) => [state, counts[state] ?? 0])) as Record<
        (typeof QUEUE_STATES)[number],
        number
      >),
    workers: health && {
      up: health.workers.filter((worker) => worker.state === 'up').length,
      late: health.workers.filter((worker) => worker.state === 'late').length,
    },
    failed: queue.ok ? (workers.ok ? undefined : workers.error) : queue.error,
  };
}

async function mysqlParts(deps: SnapshotDeps) {
  const ping = await part('mysql ping', () => pingDatabase(deps.db));
  if (!ping.ok) return { mysqlUp: false, failed: ping.error };
  const [queuedTasks, outbox, payments] = await Promise.all([
    part('queued tasks', () => queuedTaskBacklog(deps.db)),
    part('outbox backlog', () => outboxBacklog(deps.db)),
    part('payments inbox', () => paymentsAwaitingBacklog(deps.db)),
  ]);
  const failed = [queuedTasks, outbox, payments].find((read) => !read.ok);
  return {
    mysqlUp: true,
    queuedTasks: readValue(queuedTasks),
    outbox: readValue(outbox),
    payments: readValue(payments),
    failed: failed && !failed.ok ? failed.error : undefined,
  };
}

/** Reads MySQL and Redis side by side, each read bounded by PROBE_TIMEOUT_MS. Never throws. */
export async function readOpsSnapshot(
  deps: SnapshotDeps,
): Promise<OpsSnapshot & { errors: Array<{ part: string; error: unknown }> }> {
  const [redis, mysql] = await Promise.all([redisParts(deps), mysqlParts(deps)]);
  const { failed: redisFailed, ...redisValues } = redis;
  const { failed: mysqlFailed, ...mysqlValues } = mysql;
  const errors = [
    ...(redisFailed ? [{ part: 'redis', error: redisFailed }] : []),
    ...(mysqlFailed ? [{ part: 'mysql', error: mysqlFailed }] : []),
  ];
  return { ...redisValues, ...mysqlValues, errors };
}
