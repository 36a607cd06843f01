import { Cluster } from 'ioredis';
import { scanKeys } from '../cluster-scan.ts';
import type { ClusterNodeAddress } from './redis-cluster.ts';

/** `127.0.0.1:7000,127.0.0.1:7001` (REDIS_CLUSTER_NODES) or a list of addresses, as ioredis takes them. */
export function clusterStartupNodes(nodes: string | ClusterNodeAddress[]): ClusterNodeAddress[] {
  if (typeof nodes !== 'string') return nodes;
  return nodes
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.lastIndexOf(':');
      return { host: entry.slice(0, at), port: Number(entry.slice(at + 1)) };
    });
}

/**
 * Deletes every key under a test or bench prefix on a Redis Cluster: SCAN on each master, then one
 * UNLINK per key (a multi-key DEL must stay within one slot in cluster mode, and single-key
 * commands are routed to the right node by the client).
 */
export async function deleteClusterPrefix(
  nodes: string | ClusterNodeAddress[],
  prefix: string,
): Promise<number> {
  const cluster = new Cluster(clusterStartupNodes(nodes), {
    redisOptions: { maxRetriesPerRequest: 1 },
  });
  cluster.on('error', () => {});
  let deleted = 0;
  try {
    for await (const keys of scanKeys(cluster, `${prefix}:*`)) {
      const counts = await Promise.all(keys.map((key) => cluster.unlink(key)));
      deleted += counts.reduce((sum, n) => sum + n, 0);
    }
    return deleted;
  } finally {
    cluster.disconnect();
  }
}
