import type { AddressInfo } from 'node:net';
import { createDb } from '@paidflow/db';
import { createLogger, createRedis } from '@paidflow/runtime';
import { initTRPC } from '@trpc/server';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { healthRoutes } from './health.ts';
import { createHttpServer, MAX_BODY_BYTES } from './http.ts';
import { createServerMetrics } from './metrics.ts';
import { startTestServer, type TestServer } from './testing/pipeline-fixtures.ts';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer('http', { RECONCILE_INTERVAL_MS: '3600000' });
});
afterAll(async () => {
  await t?.close();
});

test('every response carries the security headers: routes, tRPC, and not-found alike', async () => {
  for (const path of ['/healthz', '/trpc/auth.me', '/nope']) {
    const response = await fetch(`${t.server.url}${path}`);
    expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
    expect(response.headers.get('x-frame-options'), path).toBe('DENY');
    expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
    expect(response.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
  }
  expect((await fetch(`${t.server.url}/nope`)).status).toBe(404);
});

test('a tRPC request body over the limit is refused with 413, and the server goes on', async () => {
  const response = await fetch(`${t.server.url}/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ json: { email: 'a@b.c', password: 'x'.repeat(MAX_BODY_BYTES) } }),
  });
  expect(response.status).toBe(413);
  expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200);
});

test('/readyz answers 200 when MySQL and Redis answer, and 503 naming the one that does not', async () => {
  const ready = await fetch(`${t.server.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ ok: true, mysql: { ok: true }, redis: { ok: true } });

  // The same routes over dependencies that are down: a Redis and a MySQL nobody listens for.
  const deadRedis = createRedis('redis://127.0.0.1:1', createLogger('silent'));
  const deadDb = createDb({ url: 'mysql://root@127.0.0.1:1/none', connectionLimit: 1 });
  const metrics = createServerMetrics();
  const server = createHttpServer({
    deps: { ...t.server.deps, redis: deadRedis, db: deadDb.db, logger: createLogger('silent') },
    metrics,
    router: initTRPC.create().router({}),
    createContext: async () => ({}),
    routes: healthRoutes({ ...t.server.deps, redis: deadRedis, db: deadDb.db }, metrics),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { ok: boolean; mysql: { ok: boolean }; redis: { ok: boolean } };
    expect(body).toMatchObject({ ok: false, mysql: { ok: false }, redis: { ok: false } });
    // The process itself is up.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  } finally {
    await new Promise((resolve) => server.close(resolve));
    deadRedis.disconnect();
    await deadDb.close();
  }
});
