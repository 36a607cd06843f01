import { Redis } from 'ioredis';
import type { RedisClusterHandle } from './redis-cluster.ts';
import { nodeCommand } from './redis-node.ts';

/**
 * The port of the master that serves `key`'s slot now (CLUSTER KEYSLOT, then CLUSTER SLOTS asked
 * of a live master): for tests that kill the node holding given keys.
 */
export async function masterOfKey(cluster: RedisClusterHandle, key: string): Promise<number> {
  const [port] = await cluster.masters();
  if (port === undefined) throw new Error('the Redis Cluster has no master');
  const slot = Number(await nodeCommand(port, 'CLUSTER', 'KEYSLOT', key));
  for (const master of await cluster.masters()) {
    const text = await nodeCommand(master, 'CLUSTER', 'NODES');
    const mine = text.split('\n').find((line) => line.includes('myself'));
    const ranges = mine?.trim().split(' ').slice(8) ?? [];
    const serves = ranges.some((range) => {
      if (range.startsWith('[')) return false; // a slot being migrated
      const [from, to = from] = range.split('-').map(Number);
      return from !== undefined && to !== undefined && slot >= from && slot <= to;
    });
    if (serves) return master;
  }
  throw new Error(`no master serves slot ${slot} of ${key}`);
}

/**
 * The keys matching `pattern` on each master serving slots now (SCAN on each node): shows how a
 * test's keys spread over the cluster. Masters without a match are listed with no keys.
 */
export async function keysByMaster(
  cluster: RedisClusterHandle,
  pattern: string,
): Promise<Map<number, string[]>> {
  const found = new Map<number, string[]>();
  for (const port of await cluster.masters()) {
    const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
    node.on('error', () => {});
    try {
      await node.connect();
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      found.set(port, keys.sort());
    } finally {
      node.disconnect();
    }
  }
  return found;
}
