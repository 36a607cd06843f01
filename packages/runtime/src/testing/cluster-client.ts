import { Cluster } from 'ioredis';
import { createLogger } from '../logger.ts';
import { createRedis, whenReady } from '../redis.ts';
import { type RedisClusterHandle, type RedisClusterOptions, startRedisCluster } from './redis-cluster.ts';

/** A test cluster and a client of it; stop() disconnects the client, then stops the cluster. */
export interface ClusterClient {
  cluster: RedisClusterHandle;
  redis: Cluster;
  stop(): Promise<void>;
}

/**
 * Starts a Redis Cluster (startRedisCluster) and a Cluster client of it, made as the apps make
 * theirs (createRedis), once it knows the slots.
 */
export async function startClusterClient(
  options: RedisClusterOptions,
  timeoutMs = 10_000,
): Promise<ClusterClient> {
  const cluster = await startRedisCluster(options);
  const client = createRedis(
    { url: 'redis://127.0.0.1', clusterNodes: cluster.nodes },
    createLogger('silent'),
  );
  const stop = async () => {
    client.disconnect();
    await cluster.stop();
  };
  if (!(client instanceof Cluster) || !(await whenReady(client, timeoutMs))) {
    await stop();
    throw new Error('the client did not reach the cluster');
  }
  return { cluster, redis: client, stop };
}
