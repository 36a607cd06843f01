import { redisNamespace } from '@paidflow/contracts';
import { createLogger, type RedisClient } from '@paidflow/runtime';
import { type ClusterClient, startClusterClient } from '@paidflow/runtime/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createSocketLeases, RENEW_STEP_LEASES } from './socket-leases.ts';

// The WebSocket leases' renewal on a 3-master Redis Cluster: the sessions' keys lie in many
// slots on every master, and a step is one pipeline per master (pipelinePerNode).
let cluster: ClusterClient;
let redis: RedisClient;
const namespace = redisNamespace('leases-cluster');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  cluster = await startClusterClient({ masters: 3 });
  redis = cluster.redis;
});
afterAll(() => cluster?.stop());

test('every held lease is renewed, its key in whichever slot and master', async () => {
  expect(redis).toBeInstanceOf(Cluster);
  const leaseMs = 1_500;
  const leases = createSocketLeases({ redis, namespace, logger: createLogger('silent') }, 3, { leaseMs });
  try {
    const sessions = Array.from({ length: RENEW_STEP_LEASES + 50 }, (_, i) => `cluster-${i}`);
    const taken = await Promise.all(sessions.map((session) => leases.acquire(session)));
    expect(taken.every((t) => t.decision.allowed && t.lease)).toBe(true);
    await sleep(leaseMs * 2 + 200);
    const now = Date.now();
    const key = (session: string) => namespace.key(`ratelimit:ws-sockets:${session}`);
    const counts = await Promise.all(sessions.map((session) => redis.zcount(key(session), now, '+inf')));
    expect(counts).toEqual(sessions.map(() => 1));
  } finally {
    leases.close();
  }
});
