import { existsSync } from 'node:fs';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanKeys } from '../cluster-scan.ts';
import type { ClusterNode } from '../redis.ts';
import { deletePrefix } from './cluster-prefix.ts';
import { type RedisClusterHandle, startRedisCluster } from './redis-cluster.ts';
import { nodeCommand } from './redis-node.ts';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function clusterClient(nodes: ClusterNode[]): Cluster {
  const cluster = new Cluster(nodes, {
    redisOptions: { maxRetriesPerRequest: 3 },
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
  });
  return cluster;
}

async function collect(cluster: Cluster, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of scanKeys(cluster, pattern, 50)) keys.push(...batch);
  return keys.sort();
}

describe('a 3-master Redis Cluster', () => {
  let redis: RedisClusterHandle;
  let client: Cluster;

  beforeAll(async () => {
    redis = await startRedisCluster({ masters: 3 });
    client = clusterClient(redis.nodes);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('spreads keys over every master; scanKeys finds them all; deletePrefix removes them', async () => {
    expect(redis.nodes).toHaveLength(3);
    expect(await redis.masters()).toHaveLength(3);
    const keys = Array.from({ length: 600 }, (_, i) => `harness:${i}`);
    await Promise.all(keys.map((key) => client.set(key, key)));
    await client.set('other:1', 'kept');

    const perMaster = await Promise.all(
      (await redis.masters()).map(async (port) => Number(await nodeCommand(port, 'DBSIZE'))),
    );
    expect(perMaster.every((n) => n > 100)).toBe(true);

    expect(await collect(client, 'harness:*')).toEqual([...keys].sort());
    expect(await deletePrefix({ url: 'redis://127.0.0.1', clusterNodes: redis.nodes }, 'harness')).toBe(600);
    expect(await collect(client, 'harness:*')).toEqual([]);
    expect(await client.get('other:1')).toBe('kept');
  });
});

describe('a 3+3 Redis Cluster when a master dies', () => {
  it('fails over to the replica; the client keeps working; stop leaves no process', async () => {
    let pids: number[] = [];
    let dir = '';
    {
      await using redis = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
      pids = redis.pids();
      dir = redis.dir;
      expect(pids).toHaveLength(6);
      const client = clusterClient(redis.nodes);
      try {
        const before = await redis.masters();
        expect(before).toHaveLength(3);
        const victim = before[0] as number;
        // A key whose slot the victim serves.
        const ranges = await client.cluster('SLOTS');
        const servedByVictim = (slot: number) =>
          ranges.some(([from, to, owner]) => owner?.[1] === victim && slot >= from && slot <= to);
        let key = '';
        for (let i = 0; !key; i++) {
          const slot = Number(await nodeCommand(victim, 'CLUSTER', 'KEYSLOT', `failover:${i}`));
          if (servedByVictim(slot)) key = `failover:${i}`;
        }
        await client.set(key, 'before');

        await redis.kill(victim);
        expect(redis.pids()).toHaveLength(5);
        expect(pids.filter(isRunning)).toHaveLength(5);
        await redis.waitForFailover(victim);
        const after = await redis.masters();
        expect(after).toHaveLength(3);
        expect(after).not.toContain(victim);

        // A command sent while the client's slot map still names the dead master may fail with
        // "Connection is closed" (ioredis retries it only while the cluster client is `ready`);
        // within a few seconds the client must have moved to the promoted replica.
        // The read back goes in the same loop: CI saw it fail so once the write had got through.
        const deadline = Date.now() + 10_000;
        let read: string | null;
        for (;;) {
          try {
            await client.set(key, 'after');
            read = await client.get(key);
            break;
          } catch (error) {
            if (Date.now() > deadline) throw error;
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }
        expect(read).toBe('after');
      } finally {
        client.disconnect();
      }
    }
    expect(pids.filter(isRunning)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});
