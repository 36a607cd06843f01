import { Cluster, Redis } from 'ioredis';
import { scanKeys } from '../cluster-scan.ts';
import { clusterOptions, type RedisTarget, slotGroups } from '../redis.ts';

/**
 * Deletes every key under a test or bench prefix (queues, latest values), on one Redis or on a
 * Redis Cluster: SCAN on each master, then one UNLINK per slot (a multi-key command must stay
 * within one slot in cluster mode). Answers how many keys it deleted.
 */
export async function deletePrefix(target: RedisTarget, prefix: string): Promise<number> {
  const redis = target.clusterNodes?.length
    ? new Cluster(target.clusterNodes, clusterOptions(target, { maxRetriesPerRequest: 1 }))
    : new Redis(target.url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  let deleted = 0;
  try {
    for await (const keys of scanKeys(redis, `${prefix}:*`)) {
      const counts = await Promise.all(
        slotGroups(redis, keys, (key) => key).map((group) => redis.unlink(...group)),
      );
      deleted += counts.reduce((sum, n) => sum + n, 0);
    }
    return deleted;
  } finally {
    redis.disconnect();
  }
}
