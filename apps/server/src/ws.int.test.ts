import { redisNamespace, SESSION_ENDED_CLOSE_CODE } from '@paidflow/contracts';
import { adminSessions } from '@paidflow/db';
import { createLogger } from '@paidflow/runtime';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import WebSocket from 'ws';
import { startServer } from './app.ts';
import { endSession, hashToken } from './auth/session.ts';
import { collect, liveClient, sendOrderSubscription } from './testing/live-client.ts';
import { createPaidOrder, createTestAdmin, type TestAdmin } from './testing/live-fixtures.ts';
import {
  kinds,
  type LiveScenario,
  resumeAfterReconnect,
  snapshotThenLiveEvents,
  taskProgress,
  taskStatus,
} from './testing/live-scenarios.ts';
import { startTestServer, type TestServer, waitFor } from './testing/pipeline-fixtures.ts';

let t: TestServer;
let viewer: TestAdmin;
let publisher: Redis;
const clients: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  t = await startTestServer('ws', { RECONCILE_INTERVAL_MS: '3600000' });
  viewer = await createTestAdmin(t.server.deps, 'viewer');
  publisher = new Redis(t.server.deps.env.REDIS_URL);
});
afterAll(async () => {
  for (const client of clients) await client.close();
  publisher?.disconnect();
  await t?.close();
});

function client(cookie: string | null, options: Parameters<typeof liveClient>[2] = {}) {
  const live = liveClient(t.server.url, cookie, options);
  clients.push(live);
  return live;
}

/** PUBLISH as any publisher following the convention would: the prefixed channel, raw JSON. */
async function publishRaw(channel: string, payload: unknown): Promise<void> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  await publisher.publish(redisNamespace(t.prefix).channel(channel), body);
}

// These two scenarios run on a Redis Cluster too, in ws.cluster.test.ts.
const scenario = (): LiveScenario => ({ deps: t.server.deps, cookie: viewer.cookie, client, publishRaw });

test('events.order starts with a snapshot, then delivers typed progress and status published on Redis', async () => {
  await snapshotThenLiveEvents(scenario());
});

test('stopping a subscription, or closing its socket, ends its stream and releases its hub listener', async () => {
  const hub = t.server.deps.realtime!.hub;
  const { orderId, taskIds } = await createPaidOrder(t.server.deps.db, { statuses: ['downloading'] });
  const [taskId] = taskIds as [number];
  const listeners = () => hub.topicListenerCount({ kind: 'order', id: orderId });
  const first = client(viewer.cookie);
  const second = client(viewer.cookie);
  const stopped = collect((handlers) => first.client.events.order.subscribe({ orderId }, handlers));
  const closed = collect((handlers) => second.client.events.order.subscribe({ orderId }, handlers));
  await waitFor(() => stopped.events.length >= 1 && closed.events.length >= 1, 10_000, 'snapshots');
  await waitFor(() => listeners() === 2, 5_000, 'two listeners');
  // The stream is parked waiting for its next event when the stop arrives: the abort must end it
  // there, not on the next event (none is coming).
  stopped.unsubscribe();
  await waitFor(() => listeners() === 1, 5_000, 'the stopped listener released');
  await second.close();
  await waitFor(() => listeners() === 0, 5_000, 'the closed listener released');
  // Events published afterwards reach no one and break nothing.
  await publishRaw(`task:${taskId}:progress`, taskProgress(taskId, orderId, 50));
  const third = client(viewer.cookie);
  const fresh = collect((handlers) => third.client.events.order.subscribe({ orderId }, handlers));
  await waitFor(() => fresh.events.length >= 1, 10_000, 'a new subscriber still works');
  expect(stopped.events).toHaveLength(1);
  fresh.unsubscribe();
});

test('a client that reconnects with lastEventId after its task finished ends on the final state', async () => {
  await resumeAfterReconnect(scenario());
});

test('garbage on a channel is dropped and counted; the server stays fine and the next valid message arrives', async () => {
  const { orderId, taskIds } = await createPaidOrder(t.server.deps.db, { statuses: ['downloading'] });
  const [taskId] = taskIds as [number];
  const { client: api } = client(viewer.cookie);
  const sub = collect((handlers) => api.events.order.subscribe({ orderId }, handlers));
  await waitFor(() => sub.events.length >= 1, 10_000, 'snapshot');
  await publishRaw(`task:${taskId}:progress`, 'this is not json');
  await publishRaw(`task:${taskId}:progress`, { taskId, orderId, percent: 250 });
  await publishRaw(`task:${taskId}:status`, taskStatus(taskId + 1, orderId, null, 'queued'));
  await publishRaw(`order:${orderId}:status`, Buffer.from([0xff, 0xfe, 0x00]).toString('latin1'));
  await publishRaw(`task:${taskId}:progress`, taskProgress(taskId, orderId, 80));
  await waitFor(() => sub.events.length >= 2, 10_000, 'the valid message');
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(kinds(sub.events)).toEqual(['snapshot', 'task.progress']);
  const metrics = await (await fetch(`${t.server.url}/metrics`)).text();
  expect(metrics).toMatch(/paidflow_realtime_malformed_total\{reason="bad_json"\} [2-9]/);
  expect(metrics).toMatch(/paidflow_realtime_malformed_total\{reason="bad_payload"\} [1-9]/);
  expect(metrics).toMatch(/paidflow_realtime_malformed_total\{reason="id_mismatch"\} [1-9]/);
  expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200);
  sub.unsubscribe();
});

test('the firehose carries order-level events and task status changes, not task progress', async () => {
  const { orderId, code, taskIds } = await createPaidOrder(t.server.deps.db, { statuses: ['downloading'] });
  const [taskId] = taskIds as [number];
  const { client: api } = client(viewer.cookie);
  const sub = collect((handlers) => api.events.firehose.subscribe(undefined, handlers));
  await waitFor(() => sub.events.length >= 1, 10_000, 'snapshot');
  await publishRaw(`task:${taskId}:progress`, taskProgress(taskId, orderId, 10));
  await publishRaw(`task:${taskId}:status`, taskStatus(taskId, orderId, 'downloading', 'completed'));
  await publishRaw(`order:${orderId}:progress`, {
    orderId,
    percent: 100,
    completedTasks: 1,
    failedTasks: 0,
    totalTasks: 1,
    timestamp: Date.now(),
  });
  await publishRaw(`order:${orderId}:complete`, {
    orderId,
    totalTasks: 1,
    completedTasks: 1,
    failedTasks: 0,
    timestamp: Date.now(),
  });
  await publishRaw(`order:${orderId}:status`, {
    orderId,
    orderCode: code,
    paymentStatus: 'paid',
    previousStatus: 'processing',
    newStatus: 'completed',
    timestamp: Date.now(),
  });
  await waitFor(() => sub.events.length >= 5, 10_000, 'firehose events');
  expect(kinds(sub.events)).toEqual([
    'snapshot',
    'task.status',
    'order.progress',
    'order.complete',
    'order.status',
  ]);
  sub.unsubscribe();
});

test('subscribing to an order that does not exist fails with NOT_FOUND', async () => {
  const { client: api } = client(viewer.cookie);
  const sub = collect((handlers) => api.events.order.subscribe({ orderId: 999_999_999 }, handlers));
  await waitFor(() => sub.errors.length >= 1, 10_000, 'error');
  expect(sub.errors[0]?.data?.code).toBe('NOT_FOUND');
});

function upgradeStatus(cookie: string | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${t.server.url.replace('http', 'ws')}/trpc`, {
      headers: cookie ? { cookie } : {},
    });
    socket.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('open', () => {
      resolve(101);
      socket.close();
    });
    socket.on('error', (error) => {
      if (!String(error.message).includes('Unexpected server response')) reject(error);
    });
  });
}

test('a WebSocket without a valid session is refused at the upgrade', async () => {
  expect(await upgradeStatus(null)).toBe(401);
  expect(await upgradeStatus('paidflow_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toBe(401);
  expect(await upgradeStatus(viewer.cookie)).toBe(101);
  const metrics = await (await fetch(`${t.server.url}/metrics`)).text();
  expect(metrics).toMatch(/paidflow_websocket_rejected_upgrades_total\{reason="unauthenticated"\} [2-9]/);
});

test('over WebSocket and over HTTP: viewers cannot act, admins cannot call worker procedures, anonymous cannot read', async () => {
  const { taskIds } = await createPaidOrder(t.server.deps.db, { statuses: ['failed'] });
  const operator = await createTestAdmin(t.server.deps, 'operator');
  for (const allOverWebSocket of [true, false]) {
    const asViewer = client(viewer.cookie, { allOverWebSocket }).client;
    const retry = await asViewer.tasks.retry
      .mutate({ taskId: taskIds[0]! })
      .catch((e: { data?: { code?: string } }) => e);
    expect((retry as { data?: { code?: string } }).data?.code).toBe('FORBIDDEN');
    const asOperator = client(operator.cookie, { allOverWebSocket }).client;
    const claim = await asOperator.worker.claim
      .mutate({ taskId: taskIds[0]!, jobId: 'task-1-1', attempt: 1 })
      .catch((e: { data?: { code?: string } }) => e);
    expect((claim as { data?: { code?: string } }).data?.code).toBe('UNAUTHORIZED');
    expect(await asViewer.dashboard.stats.query()).toMatchObject({ totalPaid: expect.any(Number) });
  }
  const anonymous = client(null).client;
  const read = await anonymous.orders.list.query({}).catch((e: { data?: { code?: string } }) => e);
  expect((read as { data?: { code?: string } }).data?.code).toBe('UNAUTHORIZED');
});

test('a WebSocket is closed when its session expires', async () => {
  const admin = await createTestAdmin(t.server.deps, 'viewer');
  await t.server.deps.db
    .update(adminSessions)
    .set({ expires_at: new Date(Date.now() + 1_500) })
    .where(eq(adminSessions.token_hash, hashToken(admin.token)));
  const code = await new Promise<number>((resolve, reject) => {
    const socket = new WebSocket(`${t.server.url.replace('http', 'ws')}/trpc`, {
      headers: { cookie: admin.cookie },
    });
    socket.on('close', (closeCode) => resolve(closeCode));
    socket.on('error', reject);
  });
  expect(code).toBe(4401);
});

test('on shutdown the server tells WebSocket clients to reconnect before closing them', async () => {
  const other = await startTestServer('ws-stop', { RECONCILE_INTERVAL_MS: '3600000' });
  try {
    const admin = await createTestAdmin(other.server.deps, 'viewer');
    const messages: string[] = [];
    const socket = new WebSocket(`${other.server.url.replace('http', 'ws')}/trpc`, {
      headers: { cookie: admin.cookie },
    });
    await new Promise((resolve, reject) => {
      socket.on('open', resolve);
      socket.on('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.on('close', (closeCode) => resolve(closeCode)));
    socket.on('message', (data) => messages.push(String(data)));
    await other.server.close();
    expect(await closed).toBe(1012);
    expect(messages.map((message) => JSON.parse(message))).toContainEqual({ id: null, method: 'reconnect' });
  } finally {
    await other.close().catch(() => {});
  }
});

test('a client that stops reading is disconnected (bounded buffer) while the others keep receiving', async () => {
  const { orderId, taskIds } = await createPaidOrder(t.server.deps.db, { statuses: ['downloading'] });
  const [taskId] = taskIds as [number];
  const slow = new WebSocket(`${t.server.url.replace('http', 'ws')}/trpc`, {
    headers: { cookie: viewer.cookie },
  });
  const firstMessage = new Promise<void>((resolve, reject) => {
    slow.once('message', () => resolve());
    slow.once('error', reject);
  });
  await new Promise((resolve) => slow.once('open', resolve));
  sendOrderSubscription(slow, orderId);
  await firstMessage;
  slow.pause();
  const healthy = client(viewer.cookie).client;
  const sub = collect((handlers) => healthy.events.order.subscribe({ orderId }, handlers));
  await waitFor(() => sub.events.length >= 1, 10_000, 'healthy snapshot');

  // Status changes are never dropped: enough of them to fill the socket and pass the bound.
  const channel = redisNamespace(t.prefix).channel(`task:${taskId}:status`);
  for (let batch = 0; batch < 20; batch++) {
    const pipeline = publisher.pipeline();
    for (let i = 0; i < 2_000; i++) {
      pipeline.publish(channel, JSON.stringify(taskStatus(taskId, orderId, 'downloading', 'uploading')));
    }
    await pipeline.exec();
  }
  await waitFor(
    async () =>
      /paidflow_realtime_overflows_total [1-9]/.test(await (await fetch(`${t.server.url}/metrics`)).text()),
    30_000,
    'the slow client to be cut off',
  );
  const closed = new Promise<number>((resolve) => slow.once('close', (code) => resolve(code)));
  slow.resume();
  expect([1013, 1006]).toContain(await closed);
  // The healthy client got everything, and still gets what comes next.
  await waitFor(() => sub.events.length >= 40_001, 30_000, 'the healthy client to catch up');
  await publishRaw(`task:${taskId}:progress`, taskProgress(taskId, orderId, 99));
  await waitFor(() => sub.events.some((e) => e.data.kind === 'task.progress'), 10_000, 'a later message');
  sub.unsubscribe();
});

test('signing out closes that session’s WebSockets, on this server and on another one, and only those', async () => {
  const { orderId, taskIds } = await createPaidOrder(t.server.deps.db, { statuses: ['downloading'] });
  const [taskId] = taskIds as [number];
  // A second server process on the same database and Redis prefix (a scaled-out deployment).
  const other = await startServer({ ...t.server.deps.env, PORT: 0 }, createLogger('silent'));
  try {
    const leaving = await createTestAdmin(t.server.deps, 'operator');
    const staying = await createTestAdmin(t.server.deps, 'viewer');
    const closeCodes = { here: [] as number[], there: [] as number[], staying: [] as number[] };
    const open = (url: string, admin: TestAdmin, codes: number[]) => {
      const live = liveClient(url, admin.cookie, {
        retryDelayMs: 60_000,
        onClose: (code) => codes.push(code ?? 0),
      });
      clients.push(live);
      const sub = collect((handlers) => live.client.events.order.subscribe({ orderId }, handlers));
      return { live, sub };
    };
    const here = open(t.server.url, leaving, closeCodes.here);
    const there = open(other.url, leaving, closeCodes.there);
    const stays = open(t.server.url, staying, closeCodes.staying);
    await waitFor(
      () => [here, there, stays].every(({ sub }) => sub.events.length >= 1),
      10_000,
      'three snapshots',
    );
    // Garbage on the control channel is dropped; it closes nothing.
    const control = redisNamespace(t.prefix).channel('control:session-revoked');
    await publisher.publish(control, 'not json');
    await publisher.publish(control, JSON.stringify({ tokenHash: 'short' }));

    await here.live.client.auth.logout.mutate();

    await waitFor(
      () => closeCodes.here.length > 0 && closeCodes.there.length > 0,
      5_000,
      'both sockets closed',
    );
    expect(closeCodes.here[0]).toBe(SESSION_ENDED_CLOSE_CODE);
    expect(closeCodes.there[0]).toBe(SESSION_ENDED_CLOSE_CODE);
    // The other admin's socket is untouched and still receives.
    await publishRaw(`task:${taskId}:progress`, taskProgress(taskId, orderId, 64));
    await waitFor(
      () => stays.sub.events.some((event) => event.data.kind === 'task.progress'),
      5_000,
      'progress',
    );
    expect(closeCodes.staying).toEqual([]);
    // And the ended session cannot open a new one.
    const retry = new WebSocket(`${other.url.replace('http', 'ws')}/trpc`, {
      headers: { cookie: leaving.cookie },
    });
    const refused = await new Promise<number>((resolve) =>
      retry.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(refused).toBe(401);
    stays.sub.unsubscribe();
  } finally {
    await other.close();
  }
});

test('a sign-out while Redis refuses the announcement still ends the session; the failure is logged', async () => {
  const admin = await createTestAdmin(t.server.deps, 'viewer');
  const deadRedis = new Redis({
    port: 1,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
  const warnings: string[] = [];
  const logger = createLogger('silent');
  logger.warn = ((_fields: unknown, message?: string) => {
    warnings.push(message ?? '');
  }) as typeof logger.warn;
  const session = admin.principal.kind === 'admin' ? admin.principal.session : null;
  try {
    await endSession({ ...t.server.deps, redis: deadRedis, logger }, session!.tokenHash);
  } finally {
    deadRedis.disconnect();
  }
  expect(warnings).toEqual(['session revocation not announced to other server processes']);
  const rows = await t.server.deps.db
    .select()
    .from(adminSessions)
    .where(eq(adminSessions.token_hash, session!.tokenHash));
  expect(rows).toHaveLength(0);
});
