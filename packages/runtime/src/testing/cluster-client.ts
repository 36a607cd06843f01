import { Cluster } from 'ioredis';
import { createLogger } from '../logger.ts';
import { createRedis, whenReady } from '../redis.ts';
import type { RedisClusterHandle } from './redis-cluster.ts';

/** A Cluster client of a test cluster, made as the apps make theirs (createRedis), once it knows the slots. */
export async function connectCluster(cluster: RedisClusterHandle, timeoutMs = 10_000): Promise<Cluster> {
  const client = createRedis(
    { url: 'redis://127.0.0.1', clusterNodes: cluster.nodes },
    createLogger('silent'),
  );
  if (!(client instanceof Cluster)) throw new Error('not a cluster client');
  if (!(await whenReady(client, timeoutMs))) {
    client.disconnect();
    throw new Error('the client did not reach the cluster');
  }
  return client;
}
