import { randomUUID } from 'node:crypto';
import {
  DOWNLOAD_QUEUE,
  downloadJobId,
  formatChannel,
  latestKey,
  redisNamespace,
  WORKER_HEARTBEAT_SECONDS,
  workerHeartbeatKey,
} from '@paidflow/contracts';
import { appendAuditEvents } from '@paidflow/db';
import { TRPCError } from '@trpc/server';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createLimits } from '../../limits/limits.ts';
import { publishLive } from '../../realtime/publisher.ts';
import { callerFor, createPaidOrder, createTestAdmin, type TestAdmin } from '../../testing/live-fixtures.ts';
import { startTestServer, type TestServer, waitFor } from '../../testing/pipeline-fixtures.ts';

let t: TestServer;
let viewer: TestAdmin;
let operator: TestAdmin;
beforeAll(async () => {
  t = await startTestServer('queries', { RECONCILE_INTERVAL_MS: '3600000' });
  viewer = await createTestAdmin(t.server.deps, 'viewer');
  operator = await createTestAdmin(t.server.deps, 'operator');
});
afterAll(async () => {
  await t?.close();
});

async function codeOf(promise: Promise<unknown>): Promise<string | null> {
  return promise.then(
    () => null,
    (error: unknown) => (error instanceof TRPCError ? error.code : `not a TRPCError: ${String(error)}`),
  );
}

test('orders.list pages paid orders with a status filter and search, and dashboard.stats counts them', async () => {
  const email = `list-${randomUUID().slice(0, 6)}@example.com`;
  const a = await createPaidOrder(t.server.deps.db, {
    statuses: ['completed'],
    orderStatus: 'completed',
    email,
  });
  const b = await createPaidOrder(t.server.deps.db, { statuses: ['failed'], orderStatus: 'failed', email });
  const c = await createPaidOrder(t.server.deps.db, { statuses: ['downloading', 'queued'], email });
  const caller = await callerFor(t.server.deps, viewer.principal);
  const first = await caller.orders.list({ search: email, limit: 2 });
  expect(first.items.map((order) => order.id)).toEqual([c.orderId, b.orderId]);
  expect(first.nextCursor).not.toBeNull();
  const second = await caller.orders.list({ search: email, limit: 2, cursor: first.nextCursor! });
  expect(second.items.map((order) => order.id)).toEqual([a.orderId]);
  const failed = await caller.orders.list({ search: email, status: 'failed' });
  expect(failed.items.map((order) => order.id)).toEqual([b.orderId]);
  expect(first.items[0]?.stats).toMatchObject({ totalTasks: 2, activeTasks: 2 });
  expect(await codeOf(caller.orders.list({ cursor: 'garbage!' }))).toBe('BAD_REQUEST');
  const stats = await caller.dashboard.stats();
  expect(stats.totalPaid).toBeGreaterThanOrEqual(3);
  expect(stats.failed).toBeGreaterThanOrEqual(1);
});

test('orders.detail gives each task its latest progress and status from Redis; garbage there reads as none', async () => {
  const { orderId, taskIds } = await createPaidOrder(t.server.deps.db, {
    statuses: ['downloading', 'queued'],
  });
  const [running, waiting] = taskIds as [number, number];
  await publishLive(t.server.deps, 'task', running, 'progress', {
    taskId: running,
    orderId,
    phase: 'download',
    percent: 42.5,
    currentFile: 'lesson-3.mp4',
    bytesDone: 425,
    bytesTotal: 1000,
    speed: 100,
    etaSeconds: 6,
    timestamp: Date.now(),
  });
  const ns = redisNamespace(t.prefix);
  await t.server.deps.redis.set(
    ns.key(latestKey(formatChannel('task', waiting, 'progress'), orderId)),
    '{"percent":"x"',
  );
  const caller = await callerFor(t.server.deps, viewer.principal);
  const detail = await caller.orders.detail({ orderId });
  expect(detail.liveAvailable).toBe(true);
  expect(detail.tasks.map((task) => [task.id, task.liveProgress?.percent ?? null])).toEqual([
    [running, 42.5],
    [waiting, null],
  ]);
  expect(await codeOf(caller.orders.detail({ orderId: 999_999_999 }))).toBe('NOT_FOUND');
});

test("audit.list filters an order's trail by severity, category and task", async () => {
  const { orderId, taskIds } = await createPaidOrder(t.server.deps.db, { statuses: ['failed', 'completed'] });
  await appendAuditEvents(t.server.deps.db, [
    { order_id: orderId, event_type: 'payment_received', message: 'paid', source: 'webhook:sepay' },
    {
      order_id: orderId,
      task_id: taskIds[0]!,
      event_type: 'download_failed',
      severity: 'error',
      message: 'reset',
      source: 'worker',
      error_type: 'NETWORK',
    },
    {
      order_id: orderId,
      task_id: taskIds[1]!,
      event_type: 'task_completed',
      message: 'done',
      source: 'worker',
    },
  ]);
  const caller = await callerFor(t.server.deps, viewer.principal);
  const errors = await caller.audit.list({ orderId, severity: ['error'] });
  expect(errors.items.map((event) => event.event_type)).toEqual(['download_failed']);
  const payment = await caller.audit.list({ orderId, category: ['payment'] });
  expect(payment.items.map((event) => event.event_type)).toEqual(['payment_received']);
  const byTask = await caller.audit.list({ orderId, taskId: taskIds[1]! });
  expect(byTask.items.map((event) => event.task_title)).toEqual(['Course 2']);
  const paged = await caller.audit.list({ orderId, limit: 2 });
  expect(paged.items).toHaveLength(2);
  const rest = await caller.audit.list({ orderId, limit: 2, cursor: paged.nextCursor! });
  expect(rest.items).toHaveLength(1);
  const summary = await caller.errors.summary({});
  expect(summary.recent.some((item) => item.order_id === orderId && item.error_type === 'NETWORK')).toBe(
    true,
  );
});

test('queue.overview counts the jobs and lists the dead letters with attempts, last error and names', async () => {
  const { orderId, code, taskIds } = await createPaidOrder(t.server.deps.db, {
    statuses: ['failed', 'failed'],
  });
  const ns = redisNamespace(t.prefix);
  const queue = t.server.deps.queue;
  for (const taskId of taskIds) {
    await queue.add(
      'download',
      { taskId, orderId, reason: 'payment' },
      { jobId: downloadJobId(taskId, 0), attempts: 1 },
    );
  }
  const worker = new Worker(
    DOWNLOAD_QUEUE,
    async () => {
      throw new Error('source answered 404');
    },
    { connection: { url: t.server.deps.env.REDIS_URL }, prefix: ns.queuePrefix },
  );
  worker.on('error', () => {});
  await waitFor(async () => (await queue.getFailedCount()) >= 2, 10_000, 'two failed jobs');
  await worker.close();
  const caller = await callerFor(t.server.deps, viewer.principal);
  const overview = await caller.queue.overview({ limit: 1 });
  expect(overview.counts.failed).toBeGreaterThanOrEqual(2);
  expect(overview.deadLetters).toHaveLength(1);
  expect(overview.deadLetters[0]).toMatchObject({
    orderId,
    orderCode: code,
    attemptsMade: 1,
    failedReason: 'source answered 404',
  });
  const next = await caller.queue.overview({ limit: 1, cursor: overview.nextCursor! });
  expect(next.deadLetters[0]?.jobId).not.toBe(overview.deadLetters[0]?.jobId);
});

test('workers.health lists the heartbeats found by SCAN, marks late ones and skips garbage', async () => {
  const ns = redisNamespace(t.prefix);
  const now = Date.now();
  const beat = (workerId: string, lastSeen: number) =>
    JSON.stringify({
      workerId,
      hostname: 'host',
      pid: 123,
      concurrency: 4,
      activeJobs: 1,
      startedAt: now - 60_000,
      lastSeen,
      healthUrl: null,
    });
  const redis = t.server.deps.redis;
  await redis.set(ns.key(workerHeartbeatKey('w-up')), beat('w-up', now), 'EX', 15);
  await redis.set(
    ns.key(workerHeartbeatKey('w-late')),
    beat('w-late', now - 3 * WORKER_HEARTBEAT_SECONDS * 1000),
    'EX',
    15,
  );
  await redis.set(ns.key(workerHeartbeatKey('w-bad')), '{"workerId":', 'EX', 15);
  const caller = await callerFor(t.server.deps, viewer.principal);
  const health = await caller.workers.health();
  expect(health.workers.map((worker) => [worker.workerId, worker.state])).toEqual([
    ['w-late', 'late'],
    ['w-up', 'up'],
  ]);
  expect(health.malformed).toBe(1);
});

test('signed out, every procedure but auth.login and auth.me is refused', async () => {
  const anonymous = await callerFor(t.server.deps, null);
  expect(await anonymous.auth.me()).toBeNull();
  for (const call of [
    () => anonymous.dashboard.stats(),
    () => anonymous.orders.list({}),
    () => anonymous.orders.detail({ orderId: 1 }),
    () => anonymous.audit.list({ orderId: 1 }),
    () => anonymous.errors.summary({}),
    () => anonymous.queue.overview({}),
    () => anonymous.workers.health(),
    () => anonymous.tasks.retry({ taskId: 1 }),
    () => anonymous.auth.logout(),
  ]) {
    expect(await codeOf(call())).toBe('UNAUTHORIZED');
  }
});

test('a viewer may read but every action answers FORBIDDEN', async () => {
  const { orderId, taskIds } = await createPaidOrder(t.server.deps.db, { statuses: ['failed'] });
  const caller = await callerFor(t.server.deps, viewer.principal);
  for (const call of [
    () => caller.tasks.retry({ taskId: taskIds[0]! }),
    () => caller.tasks.cancel({ taskId: taskIds[0]! }),
    () => caller.tasks.retryMany({ taskIds }),
    () => caller.tasks.retryMatching({ filter: {} }),
    () => caller.orders.retryFailed({ orderId }),
    () => caller.queue.retryJob({ jobId: 'x' }),
    () => caller.queue.removeJob({ jobId: 'x' }),
    () => caller.queue.retryJobs({ jobIds: ['x'] }),
    () => caller.queue.removeJobs({ jobIds: ['x'] }),
  ]) {
    expect(await codeOf(call())).toBe('FORBIDDEN');
  }
});

test('admin sessions cannot call worker procedures, and the worker token can call nothing else', async () => {
  const input = { taskId: 1, jobId: 'task-1-1', attempt: 1 };
  for (const admin of [viewer, operator]) {
    const caller = await callerFor(t.server.deps, admin.principal);
    expect(await codeOf(caller.worker.claim(input))).toBe('UNAUTHORIZED');
  }
  const worker = await callerFor(t.server.deps, { kind: 'worker' });
  expect(await codeOf(worker.orders.list({}))).toBe('UNAUTHORIZED');
  expect(await codeOf(worker.tasks.retry({ taskId: 1 }))).toBe('UNAUTHORIZED');
  expect(await worker.auth.me()).toBeNull();
});

test('with Redis down, the detail degrades to MySQL values and Redis-only views answer SERVICE_UNAVAILABLE', async () => {
  const deadUrl = 'redis://127.0.0.1:1';
  const redis = new Redis(deadUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  const queue = new Queue(DOWNLOAD_QUEUE, {
    connection: {
      url: deadUrl,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    },
  });
  queue.on('error', () => {});
  // The limits hold their own Redis reference (AppDeps.limits): built on the dead one too.
  const limits = createLimits({ ...t.server.deps, redis });
  const deps = { ...t.server.deps, redis, queue, limits };
  try {
    const { orderId } = await createPaidOrder(t.server.deps.db, { statuses: ['downloading'] });
    const caller = await callerFor(deps, viewer.principal, { setCookie: () => {}, clientIp: '10.9.9.9' });
    const detail = await caller.orders.detail({ orderId });
    expect(detail.liveAvailable).toBe(false);
    expect(detail.tasks[0]?.liveProgress).toBeNull();
    expect(await codeOf(caller.queue.overview({}))).toBe('SERVICE_UNAVAILABLE');
    expect(await codeOf(caller.workers.health())).toBe('SERVICE_UNAVAILABLE');
    expect(await codeOf(caller.auth.login({ email: viewer.email, password: 'whatever' }))).toBe(
      'SERVICE_UNAVAILABLE',
    );
  } finally {
    limits.close();
    await queue.close().catch(() => {});
    redis.disconnect();
  }
});

test('with MySQL down, reads answer SERVICE_UNAVAILABLE', async () => {
  const { createDb } = await import('@paidflow/db');
  const dead = createDb({ url: 'mysql://root@127.0.0.1:1/none', connectionLimit: 1 });
  try {
    const caller = await callerFor({ ...t.server.deps, db: dead.db }, viewer.principal);
    expect(await codeOf(caller.orders.list({}))).toBe('SERVICE_UNAVAILABLE');
    expect(await codeOf(caller.dashboard.stats())).toBe('SERVICE_UNAVAILABLE');
    expect(await codeOf(caller.orders.detail({ orderId: 1 }))).toBe('SERVICE_UNAVAILABLE');
  } finally {
    await dead.close();
  }
});
