import type { ChainableCommander, Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { nodeGroups, pipelinePerNode } from './redis.ts';
import { connectCluster, type RedisClusterHandle, startRedisCluster } from './testing/index.ts';

// pipelinePerNode on a 3-master Redis Cluster: keys of many slots go as one pipeline per master,
// and a master that stops answering costs only its own group.
let cluster: RedisClusterHandle;
let redis: Cluster;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  redis = await connectCluster(cluster);
});
afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

const keys = Array.from({ length: 60 }, (_, i) => `key-${i}`);
const each = (queue: (pipeline: ChainableCommander, key: string) => void, timeoutMs = 2_000) =>
  pipelinePerNode(redis, keys, (key) => key, queue, { timeoutMs, what: 'test' });

test('keys of many slots are grouped one pipeline per master, and each answers in item order', async () => {
  expect(nodeGroups(redis, keys, (key) => key)).toHaveLength(3);
  const written = await each((pipeline, key) => pipeline.set(key, key));
  for (const batch of written)
    expect('replies' in batch && batch.replies).toEqual(batch.items.map(() => 'OK'));
  const read = await each((pipeline, key) => pipeline.get(key));
  for (const batch of read) expect('replies' in batch && batch.replies).toEqual(batch.items);
});

test('a master that stops answering fails its own pipeline within the limit; the others answer', async () => {
  const master = redis.nodes('master')[0]!;
  const pid = Number((await master.info('server')).match(/process_id:(\d+)/)?.[1]);
  const masterKey = `${master.options.host}:${master.options.port}`;
  const owned = await Promise.all(
    keys.map(async (key) => redis.slots[(await master.cluster('KEYSLOT', key)) as number]?.[0] === masterKey),
  );
  const frozenKeys = keys.filter((_, at) => owned[at]);
  expect(frozenKeys.length).toBeGreaterThan(0);
  process.kill(pid, 'SIGSTOP');
  try {
    const started = Date.now();
    const read = await each((pipeline, key) => pipeline.get(key), 500);
    expect(Date.now() - started).toBeLessThan(2_000);
    const failed = read.filter((batch) => 'error' in batch);
    expect(failed).toHaveLength(1);
    expect(String((failed[0] as { error: unknown }).error)).toMatch(/test timed out after 500 ms/);
    expect([...failed[0]!.items].sort()).toEqual([...frozenKeys].sort());
    for (const batch of read) if ('replies' in batch) expect(batch.replies).toEqual(batch.items);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
});
