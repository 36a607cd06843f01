import type { RedisTarget } from '@paidflow/runtime';
import { deletePrefix } from '@paidflow/runtime/testing';

/**
 * Deletes every key under a test or bench prefix (queues, latest values) on the Redis at `target`:
 * a URL (one server), or a target naming a Redis Cluster's nodes (every master is scanned).
 * Its own module, free of the server's graph, so that the benchmarks can clean up with it too.
 */
export async function deleteRedisPrefix(target: RedisTarget | string, prefix: string): Promise<void> {
  await deletePrefix(typeof target === 'string' ? { url: target } : target, prefix);
}
