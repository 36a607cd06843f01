import os from 'node:os';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestServer, type TestServer } from '../testing/pipeline-fixtures.ts';
import { createReconciler, RECONCILER_LEASE_KEY } from './reconciler.ts';
import { createRedisLease } from './redis-lease.ts';

// One reconciler pass at a time across server processes (decision 057), through the shared
// Redis lease that the alert evaluator and the audit retention use too.

let t: TestServer;
let unreachable: Redis;

beforeAll(async () => {
  t = await startTestServer('reconcilerlease', { RECONCILE_INTERVAL_MS: '3600000' });
  // The test server's own reconciler took the lease at start: these tests hand it out themselves.
  await t.server.deps.redis.del(t.server.deps.namespace.key(RECONCILER_LEASE_KEY));
  // A Redis nobody answers on: every call fails at once.
  unreachable = new Redis('redis://127.0.0.1:1', {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  unreachable.on('error', () => {});
});
afterAll(async () => {
  unreachable?.disconnect();
  await t?.close();
});

const options = { intervalMs: 1000, staleSeconds: 60 };

test('a lease has one holder: the other is refused until it is released or lapses, and cannot renew or release it', async () => {
  const { redis, namespace } = t.server.deps;
  const key = namespace.key('test:lease');
  const a = createRedisLease(redis, { key, ttlMs: 300 });
  const b = createRedisLease(redis, { key, ttlMs: 300 });
  expect(a.token).toMatch(new RegExp(`^${os.hostname()}/${process.pid}/`));
  expect(await a.acquire()).toBe(true);
  expect(await a.acquire()).toBe(true);
  expect(await b.acquire()).toBe(false);
  expect(await b.renew()).toBe(false);
  await b.release();
  expect(await redis.get(key)).toBe(a.token);
  expect(await a.renew()).toBe(true);
  await a.release();
  expect(await b.acquire()).toBe(true);
  // B stalls past its lease: A takes it, and B's late renewal does not revive its own.
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(await a.acquire()).toBe(true);
  expect(await b.renew()).toBe(false);
  expect(await redis.get(key)).toBe(a.token);
  await a.release();
  expect(await redis.exists(key)).toBe(0);
});

test('two reconcilers on one prefix: one runs every pass, the other none, until the holder stops', async () => {
  const { deps } = t.server;
  const first = createReconciler(deps, options);
  const second = createReconciler(deps, options);
  const runs = { first: 0, second: 0 };
  for (let pass = 0; pass < 5; pass++) {
    const [a, b] = await Promise.all([first.runOnce(), second.runOnce()]);
    if (a) runs.first++;
    if (b) runs.second++;
  }
  expect(Math.min(runs.first, runs.second)).toBe(0);
  expect(Math.max(runs.first, runs.second)).toBe(5);
  const [holder, other] = runs.first > 0 ? [first, second] : [second, first];
  const key = deps.namespace.key(RECONCILER_LEASE_KEY);
  // The lease lasts three intervals, and names the process holding it.
  expect(await deps.redis.pttl(key)).toBeGreaterThan(2000);
  expect(await deps.redis.get(key)).toMatch(`/${process.pid}/`);
  // The holder stops: it releases the lease, and the other runs from its next pass on.
  await holder.stop();
  expect(await deps.redis.exists(key)).toBe(0);
  expect(await other.runOnce()).not.toBeNull();
  expect(await holder.runOnce()).toBeNull();
  await other.stop();
});

test('a reconciler that cannot reach Redis for the lease runs its pass alone rather than not at all', async () => {
  const { deps } = t.server;
  const holder = createReconciler(deps, options);
  expect(await holder.runOnce()).not.toBeNull();
  const cutOff = createReconciler({ ...deps, redis: unreachable }, options);
  // No task is stale here, so the pass needs no queue read: it completes.
  expect(await cutOff.runOnce()).toMatchObject({ checked: 0 });
  expect(await holder.runOnce()).not.toBeNull();
  await cutOff.stop();
  await holder.stop();
});
