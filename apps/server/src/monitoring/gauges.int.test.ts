import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { DOWNLOAD_QUEUE, JOB_PRIORITIES, redisNamespace } from '@paidflow/contracts';
import { createDb, downloadTasks, insertOutboxRows, outbox, paymentTransactions } from '@paidflow/db';
import { createTestDatabase, insertTestOrder, type TestDatabase } from '@paidflow/db/testing';
import { createLogger, createRedis } from '@paidflow/runtime';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { testEnv } from '../env.ts';
import { createServerMetrics } from '../metrics.ts';
import { deleteRedisPrefix } from '../testing/redis-prefix.ts';
import { registerOpsGauges } from './gauges.ts';
import type { SnapshotDeps } from './snapshot.ts';

// The gauges /metrics reads when scraped, against a real MariaDB and Redis, and with each of
// them dead or silent: the scrape still answers, promptly, with NaN for what it could not read.

const { REDIS_URL } = testEnv();
let tdb: TestDatabase;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  tdb = await createTestDatabase('ops-gauges');
});
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  await tdb?.[Symbol.asyncDispose]();
});

async function deps(options: { redisUrl?: string; dbUrl?: string } = {}): Promise<SnapshotDeps> {
  const prefix = `test-${randomUUID()}`;
  const logger = createLogger('silent');
  const redis = createRedis(options.redisUrl ?? REDIS_URL, logger);
  redis.on('error', () => {});
  // The queue's connection is ours, so that it can be ended before the queue closes: a BullMQ
  // queue that never reached Redis, closed first, drops its error listeners and then rejects its
  // pending connect with nobody listening (an unhandled rejection in the test run).
  const queueRedis = new Redis(options.redisUrl ?? REDIS_URL, {
    maxRetriesPerRequest: null,
    enableOfflineQueue: false,
  });
  queueRedis.on('error', () => {});
  const queue = new Queue(DOWNLOAD_QUEUE, {
    connection: queueRedis,
    prefix: redisNamespace(prefix).queuePrefix,
  });
  queue.on('error', () => {});
  const database = options.dbUrl ? createDb({ url: options.dbUrl }) : null;
  closers.push(async () => {
    if (options.redisUrl) {
      queueRedis.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await queue.close();
    queueRedis.disconnect();
    redis.disconnect();
    await database?.close();
    if (!options.redisUrl) await deleteRedisPrefix(REDIS_URL, prefix);
  });
  // Commands fail fast until the connection is ready (no offline queue): a live Redis is awaited.
  if (!options.redisUrl) await new Promise((resolve) => redis.once('ready', resolve));
  return { db: database?.db ?? tdb.db, redis, queue, namespace: redisNamespace(prefix), logger };
}

async function scrape(d: SnapshotDeps): Promise<{ text: string; ms: number }> {
  const metrics = createServerMetrics();
  registerOpsGauges({ ...d, metrics });
  const started = Date.now();
  const text = await metrics.registry.metrics();
  return { text, ms: Date.now() - started };
}

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no ${series} in the scrape`);
  return Number(line.slice(series.length + 1).replace(/^Nan$/, 'NaN'));
}

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

test('a scrape reports the backlogs, the queue, Redis memory and both dependencies up', async () => {
  const d = await deps();
  await insertOutboxRows(tdb.db, [
    { topic: 'download', payload: { taskId: 1 } },
    { topic: 'download', payload: { taskId: 2 } },
  ]);
  await tdb.db.update(outbox).set({ created_at: minutesAgo(5) });
  const orderId = await insertTestOrder(tdb.db, { order_code: 'DH00000001' });
  await tdb.db.insert(downloadTasks).values([
    { order_id: orderId, title: 'a', course_url: 'http://x/a', status: 'queued', updated_at: minutesAgo(11) },
    { order_id: orderId, title: 'b', course_url: 'http://x/b', status: 'queued' },
    {
      order_id: orderId,
      title: 'c',
      course_url: 'http://x/c',
      status: 'completed',
      updated_at: minutesAgo(60),
    },
  ]);
  await tdb.db.insert(paymentTransactions).values({
    provider: 'sepay',
    provider_transaction_id: 'tx-1',
    amount: 10,
    transfer_type: 'in',
    status: 'unmatched',
    raw_payload: {},
    received_at: minutesAgo(20),
  });
  await d.queue.add('download', { taskId: 1, orderId, reason: 'payment' }, { priority: JOB_PRIORITIES.vip });
  await d.queue.add(
    'download',
    { taskId: 2, orderId, reason: 'payment' },
    { priority: JOB_PRIORITIES.normal },
  );

  const { text } = await scrape(d);
  expect(value(text, 'paidflow_dependency_up{dependency="mysql"}')).toBe(1);
  expect(value(text, 'paidflow_dependency_up{dependency="redis"}')).toBe(1);
  expect(value(text, 'paidflow_redis_memory_used_bytes')).toBeGreaterThan(100_000);
  expect(value(text, 'paidflow_redis_memory_max_bytes')).toBeGreaterThanOrEqual(0);
  expect(value(text, 'paidflow_queue_jobs{state="prioritized"}')).toBe(2);
  expect(value(text, 'paidflow_queue_jobs{state="failed"}')).toBe(0);
  expect(value(text, 'paidflow_workers{state="up"}')).toBe(0);
  expect(value(text, 'paidflow_tasks_queued')).toBe(2);
  expect(value(text, 'paidflow_tasks_queued_oldest_seconds')).toBeGreaterThan(10 * 60);
  expect(value(text, 'paidflow_tasks_queued_oldest_seconds')).toBeLessThan(12 * 60);
  expect(value(text, 'paidflow_outbox_pending')).toBe(2);
  expect(value(text, 'paidflow_outbox_oldest_pending_seconds')).toBeGreaterThan(4 * 60);
  expect(value(text, 'paidflow_payments_awaiting{status="unmatched"}')).toBe(1);
  expect(value(text, 'paidflow_payments_awaiting{status="underpaid"}')).toBe(0);
  expect(value(text, 'paidflow_payments_awaiting_oldest_seconds{status="unmatched"}')).toBeGreaterThan(
    19 * 60,
  );
  expect(value(text, 'paidflow_payments_awaiting_oldest_seconds{status="underpaid"}')).toBe(0);
});

test('with Redis unreachable the scrape answers: Redis down, its gauges NaN, MySQL ones read', async () => {
  const { text, ms } = await scrape(await deps({ redisUrl: 'redis://127.0.0.1:1' }));
  expect(ms).toBeLessThan(2_500);
  expect(value(text, 'paidflow_dependency_up{dependency="redis"}')).toBe(0);
  expect(value(text, 'paidflow_dependency_up{dependency="mysql"}')).toBe(1);
  expect(value(text, 'paidflow_redis_memory_used_bytes')).toBeNaN();
  expect(value(text, 'paidflow_queue_jobs{state="waiting"}')).toBeNaN();
  expect(value(text, 'paidflow_workers{state="up"}')).toBeNaN();
  expect(value(text, 'paidflow_outbox_pending')).toBeGreaterThanOrEqual(0);
});

test('a MySQL that accepts connections and never answers does not hang the scrape', async () => {
  const silent = net.createServer(() => {});
  const sockets = new Set<net.Socket>();
  silent.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });
  const { port } = silent.address() as net.AddressInfo;
  const { text, ms } = await scrape(await deps({ dbUrl: `mysql://root@127.0.0.1:${port}/nothing` }));
  expect(ms).toBeLessThan(2_500);
  expect(value(text, 'paidflow_dependency_up{dependency="mysql"}')).toBe(0);
  expect(value(text, 'paidflow_dependency_up{dependency="redis"}')).toBe(1);
  expect(value(text, 'paidflow_outbox_pending')).toBeNaN();
  expect(value(text, 'paidflow_tasks_queued_oldest_seconds')).toBeNaN();
  expect(value(text, 'paidflow_payments_awaiting{status="unmatched"}')).toBeNaN();
  expect(value(text, 'paidflow_queue_jobs{state="waiting"}')).toBe(0);
});
