import { Cluster, type Redis } from 'ioredis';
import { redisMasters } from './redis.ts';

/**
 * Every key matching `pattern`, a batch at a time (SCAN + MATCH). On a single Redis it is one SCAN
 * loop; on a Cluster, SCAN is a per-node command, so it runs one loop on each master in turn
 * (replicas hold the same keys, so they are skipped). A batch may be empty, and a key may show up
 * twice when slots move during the scan (SCAN's usual guarantee): callers must be idempotent.
 */
export async function* scanKeys(
  redis: Redis | Cluster,
  pattern: string,
  count = 500,
): AsyncGenerator<string[]> {
  const nodes = redis instanceof Cluster ? await masterNodes(redis) : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}

/** The cluster's masters, once it knows its slots (`nodes()` is empty until the client is ready). */
async function masterNodes(cluster: Cluster): Promise<Redis[]> {
  if (cluster.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      const onReady = () => {
        cluster.off('end', onEnd);
        resolve();
      };
      const onEnd = () => {
        cluster.off('ready', onReady);
        reject(new Error('the Redis Cluster connection ended before it was ready'));
      };
      cluster.once('ready', onReady);
      cluster.once('end', onEnd);
      if (cluster.status === 'wait') cluster.connect().catch(() => {});
    });
  }
  return redisMasters(cluster);
}
