import { randomUUID } from 'node:crypto';
import { redisNamespace } from '@paidflow/contracts';
import { createLogger, createRedis, type RedisClient, whenReady } from '@paidflow/runtime';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startPrivateRedis } from '../testing/private-redis.ts';
import { deleteRedisPrefix } from '../testing/redis-prefix.ts';
import { createSocketLeases, RENEW_STEP_LEASES } from './socket-leases.ts';

// The WebSocket leases' renewal on the real Redis: every held lease is pushed forward, step by
// step; a lease gone from Redis is not brought back; and a Redis that dies or stops answering
// is logged, never thrown, and renewal goes on once it is back.
const REDIS_URL = 'redis://127.0.0.1:6379';
const namespace = redisNamespace(`test-${randomUUID()}`);
const redis = createRedis(REDIS_URL, createLogger('silent'));
// Renewed every 500 ms: a lease outlives a renewal held up by a second on a loaded machine.
const LEASE_MS = 1_500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const keyOf = (session: string) => namespace.key(`ratelimit:ws-sockets:${session}`);
/** How many unexpired leases the session holds. */
const live = (client: RedisClient, session: string) => client.zcount(keyOf(session), Date.now(), '+inf');

beforeAll(async () => {
  expect(await whenReady(redis, 5_000)).toBe(true);
});
afterAll(async () => {
  await deleteRedisPrefix(REDIS_URL, namespace.prefix);
  redis.disconnect();
});

test('every held lease is renewed, more than one step of them; a lease gone from Redis stays gone', async () => {
  const leases = createSocketLeases({ redis, namespace, logger: createLogger('silent') }, 3, {
    leaseMs: LEASE_MS,
  });
  try {
    const sessions = Array.from({ length: RENEW_STEP_LEASES * 2 + 30 }, (_, i) => `renew-${i}`);
    const taken = await Promise.all(sessions.map((session) => leases.acquire(session)));
    expect(taken.every((t) => t.decision.allowed && t.lease)).toBe(true);
    // One released by its socket; one removed behind the process's back (ZADD XX: not re-added).
    taken[0]!.lease!.release();
    await redis.zremrangebyrank(keyOf(sessions[1]!), 0, -1);
    // Past two whole lives of a lease: only renewals keep the others.
    await sleep(LEASE_MS * 2 + 200);
    const counts = await Promise.all(sessions.map((session) => live(redis, session)));
    expect(counts.slice(0, 2)).toEqual([0, 0]);
    expect(counts.slice(2)).toEqual(sessions.slice(2).map(() => 1));
    // The keys live on with their leases.
    expect(await redis.pttl(keyOf(sessions[2]!))).toBeGreaterThan(0);
  } finally {
    leases.close();
  }
});

test('a Redis that dies and comes back empty: renewal goes on after, and does not make up what it lost', async () => {
  const own = await startPrivateRedis();
  const client = createRedis(own.url, createLogger('silent'), { connectTimeout: 200 });
  const leases = createSocketLeases({ redis: client, namespace, logger: createLogger('silent') }, 3, {
    leaseMs: LEASE_MS,
  });
  try {
    expect(await whenReady(client, 5_000)).toBe(true);
    expect((await leases.acquire('before')).lease).not.toBeNull();
    await own.restartEmpty();
    expect(await whenReady(client, 10_000)).toBe(true);
    expect((await leases.acquire('after')).lease).not.toBeNull();
    await sleep(LEASE_MS * 2 + 200);
    expect(await live(client, 'after')).toBe(1);
    // The lease Redis lost is not made up by the renewal (ZADD XX).
    expect(await live(client, 'before')).toBe(0);
  } finally {
    leases.close();
    client.disconnect();
    await own.close();
  }
});

test('a Redis that stops answering: the stuck step is given up and logged while it is still silent', async () => {
  const own = await startPrivateRedis();
  const lines: string[] = [];
  const logger = createLogger('info', 'leases-test', { write: (line: string) => void lines.push(line) });
  const client = createRedis(own.url, createLogger('silent'));
  const leases = createSocketLeases({ redis: client, namespace, logger }, 3, { leaseMs: LEASE_MS });
  const failures = () => lines.filter((line) => line.includes('could not renew the WebSocket leases'));
  try {
    expect(await whenReady(client, 5_000)).toBe(true);
    expect((await leases.acquire('silent')).lease).not.toBeNull();
    own.pause();
    // A round starts within 500 ms and gives its step up 2 s later; Redis is still frozen.
    await sleep(3_500);
    expect(failures()).toHaveLength(1);
    own.resume();
    // Back: renewals reach Redis again (the lease was renewed before the freeze ran it out, or
    // is gone; either way no round is stuck, and a new lease is renewed).
    expect((await leases.acquire('thawed')).lease).not.toBeNull();
    await sleep(LEASE_MS * 2 + 200);
    expect(await live(client, 'thawed')).toBe(1);
  } finally {
    own.resume();
    leases.close();
    client.disconnect();
    await own.close();
  }
}, 20_000);
