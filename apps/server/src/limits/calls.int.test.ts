import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestAdmin } from '../testing/live-fixtures.ts';
import { startTestServer, type TestServer } from '../testing/pipeline-fixtures.ts';
import { closers, expectRetryAfter, nextIp as nextIpOf, trpcCall, wsClient } from './test-clients.ts';
import { TRPC_MAX_BATCH_SIZE } from './trpc.ts';

// The tRPC limits count calls, not requests: each call of an HTTP batch, and each query or
// mutation over a WebSocket. Small limits, so each test meets its own; every address is its own.
const LIMITS = {
  TRPC_RATE_LIMIT_PER_IP: '8',
  TRPC_RATE_LIMIT_PER_SESSION: '5',
  TRUST_PROXY: 'true',
  RECONCILE_INTERVAL_MS: '3600000',
} as const;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer('limits_calls', LIMITS);
});
afterAll(async () => {
  for (const close of closers) await close();
  await t?.close();
});

const nextIp = () => nextIpOf(56);
const trpcGet = (baseUrl: string, path: string, headers: Record<string, string>) =>
  trpcCall(baseUrl, path, headers);

/** One batched GET of `count` auth.me calls (what httpBatchLink sends: /trpc/a,b,c?batch=1). */
async function batchGet(count: number, headers: Record<string, string>) {
  const paths = Array.from({ length: count }, () => 'auth.me').join(',');
  const input = encodeURIComponent(JSON.stringify({}));
  const response = await fetch(`${t.server.url}/trpc/${paths}?batch=1&input=${input}`, { headers });
  const reply = (await response.json()) as unknown;
  const codes = (Array.isArray(reply) ? reply : [reply]).map(
    (item: { error?: { json?: { data?: { code?: string } } } }) => item.error?.json?.data?.code ?? 'OK',
  );
  return { status: response.status, retryAfter: response.headers.get('retry-after'), codes };
}

test('tRPC over HTTP: a batch of N calls costs N; a batch past the remaining budget gets 429 with Retry-After', async () => {
  const admin = await createTestAdmin(t.server.deps, 'viewer');
  const session = Number(LIMITS.TRPC_RATE_LIMIT_PER_SESSION);
  // A fresh address per request: only the session's budget is met.
  const headers = () => ({ cookie: admin.cookie, 'x-forwarded-for': nextIp() });
  const first = await batchGet(session - 2, headers());
  expect(first).toMatchObject({ status: 200, codes: Array(session - 2).fill('OK') });
  // Two calls left: a batch of three is refused as a whole, every call of it limited.
  const limited = await batchGet(3, headers());
  expect(limited).toMatchObject({ status: 429, codes: Array(3).fill('TOO_MANY_REQUESTS') });
  expectRetryAfter(limited.retryAfter);
  expect((await trpcGet(t.server.url, 'auth.me', headers())).status).toBe(429);

  // The per-address limit counts calls too: one batch of the whole budget, then nothing.
  const ip = { 'x-forwarded-for': nextIp() };
  const whole = Number(LIMITS.TRPC_RATE_LIMIT_PER_IP);
  expect((await batchGet(whole, ip)).status).toBe(200);
  expect((await trpcGet(t.server.url, 'auth.me', ip)).status).toBe(429);
});

test('tRPC over HTTP: a batch over TRPC_MAX_BATCH_SIZE is refused with 400 BAD_REQUEST, and costs nothing', async () => {
  const admin = await createTestAdmin(t.server.deps, 'viewer');
  const headers = { cookie: admin.cookie, 'x-forwarded-for': nextIp() };
  const tooBig = await batchGet(TRPC_MAX_BATCH_SIZE + 1, headers);
  expect(tooBig.status).toBe(400);
  expect(tooBig.codes.every((code) => code === 'BAD_REQUEST')).toBe(true);
  // Refused before createContext: the session's budget is whole.
  const session = Number(LIMITS.TRPC_RATE_LIMIT_PER_SESSION);
  expect((await batchGet(session, headers)).status).toBe(200);
});

test('queries over a WebSocket count against the session’s tRPC budget: past it, TOO_MANY_REQUESTS; the socket goes on', async () => {
  const admin = await createTestAdmin(t.server.deps, 'viewer');
  const client = wsClient(t.server, { cookie: admin.cookie, 'x-forwarded-for': nextIp() });
  const session = Number(LIMITS.TRPC_RATE_LIMIT_PER_SESSION);
  for (let i = 0; i < session; i++) {
    expect(await client.auth.me.query(), `call ${i}`).toMatchObject({ id: admin.id });
  }
  await expect(client.auth.me.query()).rejects.toMatchObject({ data: { code: 'TOO_MANY_REQUESTS' } });
  // The same budget as HTTP: the session's HTTP calls are refused now too.
  const overHttp = await trpcGet(t.server.url, 'auth.me', {
    cookie: admin.cookie,
    'x-forwarded-for': nextIp(),
  });
  expect(overHttp).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
  // The socket is still open: a subscription (its own budget) still starts.
  const started = await new Promise<boolean>((resolve) => {
    const subscription = client.events.firehose.subscribe(undefined, {
      onStarted: () => {
        subscription.unsubscribe();
        resolve(true);
      },
      onError: () => resolve(false),
    });
  });
  expect(started).toBe(true);
});
