import { randomUUID } from 'node:crypto';
import { redisNamespace } from '@paidflow/contracts';
import { createLogger, createRedis, whenReady } from '@paidflow/runtime';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startPrivateRedis } from '../testing/private-redis.ts';
import { deleteRedisPrefix } from '../testing/redis-prefix.ts';
import { createSocketLeases, RENEW_STEP_LEASES } from './socket-leases.ts';

// The WebSocket leases' renewal on the real Redis: every held lease is pushed forward, step by
// step, a released one is not brought back, and a Redis outage is logged, never thrown.
const REDIS_URL = 'redis://127.0.0.1:6379';
const namespace = redisNamespace(`test-${randomUUID()}`);
const redis = createRedis(REDIS_URL, createLogger('silent'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const keyOf = (session: string) => namespace.key(`ratelimit:ws-sockets:${session}`);

beforeAll(async () => {
  expect(await whenReady(redis, 5_000)).toBe(true);
});
afterAll(async () => {
  await deleteRedisPrefix(REDIS_URL, namespace.prefix);
  redis.disconnect();
});

test('every held lease is renewed, more than one step of them, and a released one stays gone', async () => {
  const leaseMs = 900;
  const leases = createSocketLeases({ redis, namespace, logger: createLogger('silent') }, 3, { leaseMs });
  try {
    const sessions = Array.from({ length: RENEW_STEP_LEASES * 2 + 30 }, (_, i) => `renew-${i}`);
    const taken = await Promise.all(sessions.map((session) => leases.acquire(session)));
    expect(taken.every((t) => t.decision.allowed && t.lease)).toBe(true);
    taken[0]!.lease!.release();
    await sleep(50);
    // Past the first lease's whole life: only renewals (every 300 ms) keep the others.
    await sleep(leaseMs * 2);
    const now = Date.now();
    const counts = await Promise.all(sessions.map((session) => redis.zcount(keyOf(session), now, '+inf')));
    expect(counts[0]).toBe(0);
    expect(counts.slice(1)).toEqual(sessions.slice(1).map(() => 1));
    // The keys live on with their leases, and go with them.
    expect(await redis.pttl(keyOf(sessions[1]!))).toBeGreaterThan(0);
  } finally {
    leases.close();
  }
});

test('a Redis gone mid-life: each round fails, logged once per outage, and nothing is thrown', async () => {
  const own = await startPrivateRedis();
  const lines: string[] = [];
  const logger = createLogger('info', 'leases-test', { write: (line: string) => void lines.push(line) });
  const client = createRedis(own.url, createLogger('silent'), { connectTimeout: 200 });
  const leases = createSocketLeases({ redis: client, namespace, logger }, 3, { leaseMs: 300 });
  try {
    expect(await whenReady(client, 5_000)).toBe(true);
    expect((await leases.acquire('outage')).lease).not.toBeNull();
    await own.close();
    await sleep(700);
    expect(lines.filter((line) => line.includes('could not renew the WebSocket leases'))).toHaveLength(1);
  } finally {
    leases.close();
    client.disconnect();
    await own.close();
  }
});
