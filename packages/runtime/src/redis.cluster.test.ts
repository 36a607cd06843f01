import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { nodeGroups, pipelinePerNode } from './redis.ts';
import { type ClusterClient, startClusterClient } from './testing/index.ts';

// pipelinePerNode on a 3-master Redis Cluster: keys of many slots go as one pipeline per master,
// and a master that stops answering costs only its own group.
let cluster: ClusterClient;
let redis: Cluster;

beforeAll(async () => {
  cluster = await startClusterClient({ masters: 3 });
  redis = cluster.redis;
});
afterAll(() => cluster?.stop());

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

/** Moves the slot of `tag`'s keys to another master (CLUSTER SETSLOT, MIGRATE) without telling the client. */
async function moveSlotBehindClient(
  tag: string,
): Promise<{ moved: string[]; neighbours: string[]; slot: number; to: string }> {
  const masters = redis.nodes('master');
  const nodeKey = (node: Redis) => `${node.options.host}:${node.options.port}`;
  const moved = [1, 2, 3].map((n) => `{${tag}}${n}`);
  const slot = (await masters[0]!.cluster('KEYSLOT', moved[0]!)) as number;
  const from = masters.find((node) => nodeKey(node) === redis.slots[slot]?.[0])!;
  const to = masters.find((node) => node !== from)!;
  // Keys of other slots on the same master, so that its pipeline spans several slots.
  const owned = await Promise.all(
    keys.map(
      async (key) => redis.slots[(await from.cluster('KEYSLOT', key)) as number]?.[0] === nodeKey(from),
    ),
  );
  for (const key of moved) await redis.set(key, key);
  const [fromId, toId] = [String(await from.cluster('MYID')), String(await to.cluster('MYID'))];
  await to.cluster('SETSLOT', slot, 'IMPORTING', fromId);
  await from.cluster('SETSLOT', slot, 'MIGRATING', toId);
  await from.migrate(to.options.host!, to.options.port!, '', 0, 5_000, 'KEYS', ...moved);
  for (const node of masters) await node.cluster('SETSLOT', slot, 'NODE', toId);
  expect(redis.slots[slot]?.[0]).toBe(nodeKey(from));
  return { moved, neighbours: keys.filter((_, at) => owned[at]), slot, to: nodeKey(to) };
}

test('a slot moved behind the client: a node’s pipeline of reads over many slots is sent again, per slot', async () => {
  const { moved, neighbours, slot, to } = await moveSlotBehindClient('read');
  const all = [...neighbours, ...moved];
  const read = await pipelinePerNode(
    redis,
    all,
    (key) => key,
    (pipeline, key) => pipeline.get(key),
    {
      timeoutMs: 2_000,
      what: 'test',
    },
  );
  expect(read.filter((batch) => 'error' in batch)).toEqual([]);
  expect(read.flatMap((batch) => ('replies' in batch ? batch.replies : [])).sort()).toEqual([...all].sort());
  expect(redis.slots[slot]?.[0]).toBe(to);
});

test('a slot moved behind the client: a node’s pipeline of writes over many slots is sent again, per slot', async () => {
  const { moved, neighbours } = await moveSlotBehindClient('write');
  const all = [...neighbours, ...moved];
  const written = await pipelinePerNode(
    redis,
    all,
    (key) => key,
    (pipeline, key) => pipeline.set(key, `w-${key}`),
    {
      timeoutMs: 2_000,
      what: 'test',
    },
  );
  expect(written.filter((batch) => 'error' in batch)).toEqual([]);
  expect(await Promise.all(all.map((key) => redis.get(key)))).toEqual(all.map((key) => `w-${key}`));
});
