import { deletePrefix } from '@paidflow/runtime/testing';

/**
 * Deletes every key under a test or bench prefix (queues, latest values) on the Redis at `url`.
 * Its own module, free of the server's graph, so that the benchmarks can clean up with it too.
 */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  await deletePrefix({ url }, prefix);
}
