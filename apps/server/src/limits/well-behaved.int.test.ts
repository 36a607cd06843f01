import { createTRPCClient, httpBatchLink, httpLink } from '@trpc/client';
import superjson from 'superjson';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestAdmin } from '../testing/live-fixtures.ts';
import { startTestServer, type TestServer } from '../testing/pipeline-fixtures.ts';
import type { AppRouter } from '../trpc/routers/_app.ts';
import { closers, nextIp as nextIpOf, upgrade } from './test-clients.ts';

// The default limits, as in production: what well-behaved clients do must never meet them.
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer('limits_defaults', { TRUST_PROXY: 'true', RECONCILE_INTERVAL_MS: '3600000' });
});
afterAll(async () => {
  for (const close of closers) await close();
  await t?.close();
});

const nextIp = () => nextIpOf(55);

test('a well-behaved dashboard is never limited: five tabs’ minute of polling and page loads, each call of a batch counted', async () => {
  const admin = await createTestAdmin(t.server.deps, 'operator');
  const headers = { cookie: admin.cookie, 'x-forwarded-for': nextIp() };
  // A page load: the web app's httpBatchLink sends its queries as one request.
  const batched = createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${t.server.url}/trpc`, transformer: superjson, headers })],
  });
  for (let load = 0; load < 10; load++) {
    await Promise.all([
      batched.auth.me.query(),
      batched.dashboard.stats.query(),
      batched.dashboard.kpis.query(),
      batched.workers.health.query(),
      batched.payments.attention.query(),
    ]);
  }
  // The polls of one tab a minute (apps/web/src/hooks: stats, counts and throughput every 10 s,
  // workers every 5 s, queue every 10 s, errors and payments every 30 s, KPIs every 60 s): 45,
  // five tabs, each poll its own request (the worst case: no two polls batched together).
  const single = createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${t.server.url}/trpc`, transformer: superjson, headers })],
  });
  const polls = 5 * 45;
  for (let i = 0; i < polls; i += 15) {
    await Promise.all(Array.from({ length: 15 }, () => single.auth.me.query()));
  }
  // Every call counted, a page load's batch as its five calls: 275 of the session's 600.
  const { redis, namespace, env } = t.server.deps;
  const keys = await redis.keys(namespace.key('ratelimit:trpc-session:*'));
  expect(keys).toHaveLength(1);
  const counted = Number(await redis.get(keys[0]!));
  expect(counted).toBe(10 * 5 + polls);
  expect(counted).toBeLessThan(env.TRPC_RATE_LIMIT_PER_SESSION / 2);
});

test('reconnects at the web app’s backoff are never limited: twenty tabs behind one address for a minute', async () => {
  const admins = await Promise.all(Array.from({ length: 4 }, () => createTestAdmin(t.server.deps, 'viewer')));
  const ip = nextIp();
  // reconnectDelayMs (apps/web/src/api/clients.ts): 250 ms doubling to 5 s, so 16 attempts in a
  // minute of outage. Four admins with five tabs each, behind one office address.
  const attempts = 20 * 16;
  for (let i = 0; i < attempts; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: 10 }, (_, k) =>
        upgrade(t.server, { cookie: admins[(i + k) % 4]!.cookie, 'x-forwarded-for': ip }),
      ),
    );
    expect(batch.map((reply) => reply.status)).toEqual(Array(10).fill(101));
  }
});
