import { createLogger, createRedis } from '@paidflow/runtime';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type RunningServer, startServer } from '../app.ts';
import { testEnv } from '../env.ts';
import { createTestAdmin, orderRow } from '../testing/live-fixtures.ts';
import {
  createOrder,
  sepayTransaction,
  startTestServer,
  TEST_SECRET,
  type TestServer,
  waitFor,
} from '../testing/pipeline-fixtures.ts';
import { signatureHeader } from '../webhooks/signature.ts';
import { createLimits } from './limits.ts';
import {
  closers,
  expectRetryAfter,
  nextIp as nextIpOf,
  trpcCall,
  upgrade,
  wsClient,
} from './test-clients.ts';

const NEW_TOKEN = 'new-worker-token-0123456789';
const OLD_TOKEN = 'old-worker-token-0123456789';
/** Small limits, so each test meets its own; every client address below is a test's own. */
const LIMITS = {
  TRPC_RATE_LIMIT_PER_IP: '8',
  TRPC_RATE_LIMIT_PER_SESSION: '5',
  WS_CONNECT_RATE_LIMIT_PER_IP: '4',
  WS_SOCKETS_PER_SESSION: '2',
  WS_SUBSCRIBE_RATE_LIMIT_PER_SESSION: '3',
  WEBHOOK_RATE_LIMIT_PER_IP: '3',
  LOGIN_RATE_LIMIT_PER_IP: '3',
  TRUST_PROXY: 'true',
  ALLOWED_ORIGINS: 'https://admin.example.com',
  RECONCILE_INTERVAL_MS: '3600000',
} as const;

let a: TestServer;
/** A second process of the same install (same MySQL, same Redis prefix), after the token rotation. */
let b: RunningServer;

beforeAll(async () => {
  a = await startTestServer('limits', { ...LIMITS, WORKER_TOKEN: `${NEW_TOKEN},${OLD_TOKEN}` });
  const shared = { PORT: '0', HOST: '127.0.0.1', DATABASE_URL: a.tdb.url, WEBHOOK_SECRETS: TEST_SECRET };
  b = await startServer(
    testEnv({ ...shared, ...LIMITS, REDIS_PREFIX: a.prefix, WORKER_TOKEN: NEW_TOKEN }),
    createLogger('silent'),
  );
});
afterAll(async () => {
  for (const close of closers) await close();
  await b?.close();
  await a?.close();
});

const trpcGet = (baseUrl: string, path: string, headers: Record<string, string>) =>
  trpcCall(baseUrl, path, headers);
const nextIp = () => nextIpOf(54);

test('tRPC over HTTP: past the per-address limit, 429 with Retry-After and TOO_MANY_REQUESTS; another address goes on', async () => {
  const ip = nextIp();
  for (let i = 0; i < Number(LIMITS.TRPC_RATE_LIMIT_PER_IP); i++) {
    expect((await trpcGet(a.server.url, 'auth.me', { 'x-forwarded-for': ip })).status, `call ${i}`).toBe(200);
  }
  const limited = await trpcGet(a.server.url, 'auth.me', { 'x-forwarded-for': ip });
  expect(limited).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
  expectRetryAfter(limited.retryAfter);
  expect((await trpcGet(a.server.url, 'auth.me', { 'x-forwarded-for': nextIp() })).status).toBe(200);
});

test('tRPC over HTTP: a session is limited whatever address it calls from', async () => {
  const admin = await createTestAdmin(a.server.deps, 'viewer');
  for (let i = 0; i < Number(LIMITS.TRPC_RATE_LIMIT_PER_SESSION); i++) {
    const reply = await trpcGet(a.server.url, 'auth.me', {
      cookie: admin.cookie,
      'x-forwarded-for': nextIp(),
    });
    expect(reply.status, `call ${i}`).toBe(200);
  }
  const limited = await trpcGet(a.server.url, 'auth.me', {
    cookie: admin.cookie,
    'x-forwarded-for': nextIp(),
  });
  expect(limited).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
  expectRetryAfter(limited.retryAfter);
});

test('two server processes on the same Redis share the count', async () => {
  const ip = nextIp();
  const half = Number(LIMITS.TRPC_RATE_LIMIT_PER_IP) / 2;
  for (const server of [a.server, b]) {
    for (let i = 0; i < half; i++) {
      expect((await trpcGet(server.url, 'auth.me', { 'x-forwarded-for': ip })).status).toBe(200);
    }
  }
  expect((await trpcGet(a.server.url, 'auth.me', { 'x-forwarded-for': ip })).status).toBe(429);
  expect((await trpcGet(b.url, 'auth.me', { 'x-forwarded-for': ip })).status).toBe(429);

  // WebSockets open at once per session, one on each process: the third is refused on either.
  const admin = await createTestAdmin(a.server.deps, 'viewer');
  const headers = () => ({ cookie: admin.cookie, 'x-forwarded-for': nextIp() });
  expect((await upgrade(a.server, headers(), true)).status).toBe(101);
  const onB = await upgrade(b, headers(), true);
  expect(onB.status).toBe(101);
  const third = await upgrade(a.server, headers());
  expect(third.status).toBe(429);
  expectRetryAfter(third.headers['retry-after']);
  // Closing one frees its slot (on the other process too).
  onB.ws.terminate();
  await waitFor(async () => (await upgrade(a.server, headers())).status === 101, 5_000, 'a freed slot');
});

test('the worker token is never limited like a browser; the rotation accepts old and new, and refuses a removed token', async () => {
  const ip = nextIp();
  const call = (server: RunningServer, token: string) =>
    trpcCall(server.url, 'worker.claim', { authorization: `Bearer ${token}`, 'x-forwarded-for': ip }, {});
  // Three times the address's limit, old token and new: authenticated (the input is refused), never 429.
  for (let i = 0; i < 3 * Number(LIMITS.TRPC_RATE_LIMIT_PER_IP); i++) {
    const reply = await call(a.server, i % 2 ? OLD_TOKEN : NEW_TOKEN);
    expect(reply, `call ${i}`).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  }
  expect((await call(a.server, 'some-other-token-0123456789')).code).toBe('UNAUTHORIZED');
  // Process b runs after the rotation (WORKER_TOKEN=new only): the old token is refused there.
  expect((await call(b, NEW_TOKEN)).code).toBe('BAD_REQUEST');
  expect((await call(b, OLD_TOKEN)).code).toBe('UNAUTHORIZED');
});

test('sign-in over HTTP past the per-address limit answers 429 with Retry-After', async () => {
  const ip = nextIp();
  const login = () =>
    fetch(`${a.server.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify({ json: { email: `nobody-${ip}@example.com`, password: 'wrong password' } }),
    });
  for (let i = 0; i < Number(LIMITS.LOGIN_RATE_LIMIT_PER_IP); i++) expect((await login()).status).toBe(401);
  const limited = await login();
  expect(limited.status).toBe(429);
  expectRetryAfter(limited.headers.get('retry-after'), 15 * 60);
});

test('WebSocket connection attempts past the per-address limit get 429 with Retry-After before the upgrade', async () => {
  const admin = await createTestAdmin(a.server.deps, 'viewer');
  const ip = nextIp();
  for (let i = 0; i < Number(LIMITS.WS_CONNECT_RATE_LIMIT_PER_IP); i++) {
    // Anonymous attempts count too: the address is counted before the session is read.
    const headers: Record<string, string> =
      i % 2 ? { 'x-forwarded-for': ip } : { 'x-forwarded-for': ip, cookie: admin.cookie };
    expect((await upgrade(a.server, headers)).status, `attempt ${i}`).toBe(i % 2 ? 401 : 101);
  }
  const limited = await upgrade(a.server, { 'x-forwarded-for': ip, cookie: admin.cookie });
  expect(limited.status).toBe(429);
  expectRetryAfter(limited.headers['retry-after']);
});

test('subscriptions past the per-session limit get TOO_MANY_REQUESTS; the socket and its other subscriptions go on', async () => {
  const admin = await createTestAdmin(a.server.deps, 'viewer');
  const client = wsClient(a.server, { cookie: admin.cookie, 'x-forwarded-for': nextIp() });
  const started: number[] = [];
  const errors: string[] = [];
  const subscriptions = Array.from(
    { length: Number(LIMITS.WS_SUBSCRIBE_RATE_LIMIT_PER_SESSION) + 1 },
    (_, i) =>
      client.events.firehose.subscribe(undefined, {
        onData: () => started.push(i),
        onError: (error) => errors.push(String((error.data as { code?: string } | undefined)?.code)),
      }),
  );
  closers.push(() => {
    for (const subscription of subscriptions) subscription.unsubscribe();
  });
  await waitFor(
    () => errors.length === 1 && new Set(started).size === 3,
    5_000,
    'three streams and one refusal',
  );
  expect(errors).toEqual(['TOO_MANY_REQUESTS']);
  // The refused one's socket still answers calls.
  expect(await client.auth.me.query()).toMatchObject({ id: admin.id });
});

async function postSigned(body: object, ip: string) {
  const raw = JSON.stringify(body);
  const response = await fetch(`${a.server.url}/webhooks/payment`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'paidflow-signature': signatureHeader(TEST_SECRET, raw),
      'x-forwarded-for': ip,
    },
    body: raw,
  });
  await response.arrayBuffer();
  return { status: response.status, retryAfter: response.headers.get('retry-after') };
}

test('the payment webhook past its limit answers 429 with Retry-After; the provider’s retry after the window pays the order', async () => {
  const ip = nextIp();
  for (let i = 0; i < Number(LIMITS.WEBHOOK_RATE_LIMIT_PER_IP); i++) {
    expect((await postSigned(sepayTransaction(null, 1000), ip)).status, `transfer ${i}`).toBe(200);
  }
  const order = await createOrder(a.tdb.db, { tasks: 1 });
  const payment = sepayTransaction(order.code, order.total);
  const limited = await postSigned(payment, ip);
  expect(limited.status).toBe(429);
  expectRetryAfter(limited.retryAfter);
  expect((await orderRow(a.tdb.db, order.orderId)).payment_status).toBe('pending');
  // The window ends (its key expires; here, deleted): the provider's retry of the same delivery pays.
  const redis = a.server.deps.redis;
  const keys = await redis.keys(a.server.deps.namespace.key('ratelimit:webhook-ip:*'));
  expect(keys.length).toBeGreaterThan(0);
  await redis.del(...keys);
  expect((await postSigned(payment, ip)).status).toBe(200);
  expect((await orderRow(a.tdb.db, order.orderId)).payment_status).toBe('paid');
});

test('the WebSocket upgrade checks Origin: own and allowed origins and none pass, a foreign one gets 403', async () => {
  const attempt = async (origin: string | null) => {
    const admin = await createTestAdmin(a.server.deps, 'viewer');
    const headers: Record<string, string> = { cookie: admin.cookie, 'x-forwarded-for': nextIp() };
    if (origin !== null) headers.origin = origin;
    return (await upgrade(a.server, headers)).status;
  };
  const own = new URL(a.server.deps.env.PUBLIC_BASE_URL).origin;
  expect(await attempt(own)).toBe(101);
  expect(await attempt(own.toUpperCase())).toBe(101);
  expect(await attempt('https://admin.example.com')).toBe(101);
  // Non-browser clients (the worker, the benchmarks) send none; browsers always do.
  expect(await attempt(null)).toBe(101);
  expect(await attempt('https://evil.example.com')).toBe(403);
  expect(await attempt('http://admin.example.com')).toBe(403);
  expect(await attempt('null')).toBe(403);
  // Outside production with ALLOWED_ORIGINS set, the dev defaults do not apply.
  expect(await attempt('http://localhost:5173')).toBe(403);
});

test('with Redis down every limit lets requests through, logged once per limit, except sign-in, which fails closed', async () => {
  const lines: string[] = [];
  const logger = createLogger('info', 'limits-test', { write: (line: string) => void lines.push(line) });
  const deadRedis = createRedis('redis://127.0.0.1:1', createLogger('silent'), { connectTimeout: 200 });
  const limits = createLimits({ ...a.server.deps, redis: deadRedis, logger });
  try {
    for (let i = 0; i < 3; i++) {
      for (const limit of [
        limits.trpcIp,
        limits.trpcSession,
        limits.wsConnectIp,
        limits.webhookIp,
        limits.delivery,
      ]) {
        expect(await limit.take('10.9.9.9'), limit.spec.name).toEqual({ allowed: true });
      }
      expect(await limits.wsSockets.acquire('a-session')).toEqual({
        decision: { allowed: true },
        lease: null,
      });
      await expect(limits.loginEmail.take('someone@example.com')).rejects.toMatchObject({
        code: 'UNAVAILABLE',
      });
    }
    const outages = lines.filter((line) => line.includes('letting requests through'));
    expect(outages).toHaveLength(5);
  } finally {
    limits.close();
    deadRedis.disconnect();
  }
});
