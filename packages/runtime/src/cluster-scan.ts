import { Cluster, type Redis } from 'ioredis';
import { redisMasters, whenReady } from './redis.ts';

/** How long a scan waits for a cluster that is still connecting (or down) before it fails. */
const SCAN_READY_TIMEOUT_MS = 10_000;

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
  if (!(await whenReady(cluster, SCAN_READY_TIMEOUT_MS))) {
    throw new Error(`the Redis Cluster was not ready within ${SCAN_READY_TIMEOUT_MS} ms`);
  }
  return redisMasters(cluster);
}
