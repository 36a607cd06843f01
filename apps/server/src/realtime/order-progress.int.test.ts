import { randomUUID } from 'node:crypto';
import {
  encodeChannelMessage,
  entriesAfterTick,
  formatTaskRate,
  type LiveUpdate,
  latestKey,
  type OrderProgress,
  orderTaskPercentsKey,
  orderTaskRatesKey,
  parseChannelMessage,
  redisNamespace,
  taskEntryCommands,
} from '@paidflow/contracts';
import { createLogger } from '@paidflow/runtime';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { testEnv } from '../env.ts';
import { publishTaskStatus } from '../services/pipeline-events.ts';
import { deleteRedisPrefix } from '../testing/redis-prefix.ts';
import { publishOrderProgress } from './order-progress.ts';
import { createOrderProgressRelay, type OrderProgressRelay } from './order-progress-relay.ts';

// The one writer of order:{id}:progress, against the real Redis: the status-change path, the
// tick relay (one publish per order per interval, across server processes), and what it refuses.
const REDIS_URL = 'redis://127.0.0.1:6379';
const namespace = redisNamespace(`test-${randomUUID()}`);
const logger = createLogger('silent');
let redis: Redis;
let subscriber: Redis;
const heard: Array<{ channel: string; payload: OrderProgress }> = [];
const relays: OrderProgressRelay[] = [];

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  subscriber = new Redis(REDIS_URL);
  subscriber.on('pmessage', (_pattern, raw: string, message: string) => {
    const channel = namespace.unprefixChannel(raw)!;
    const parsed = parseChannelMessage(channel, message);
    if (!parsed.ok) throw new Error(`invalid message on ${channel}: ${parsed.detail}`);
    heard.push({ channel, payload: parsed.message.payload as OrderProgress });
  });
  await subscriber.psubscribe(namespace.channel('order:*:progress'));
});

afterEach(() => {
  for (const relay of relays.splice(0)) relay.close();
});

afterAll(async () => {
  await deleteRedisPrefix(REDIS_URL, namespace.prefix);
  await subscriber.quit();
  await redis.quit();
});

const deps = () => ({ redis, namespace, logger, env: testEnv({}) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ofOrder = (orderId: number) =>
  heard.filter((m) => m.channel === `order:${orderId}:progress`).map((m) => m.payload);

function relay(intervalMs = 200): OrderProgressRelay {
  const created = createOrderProgressRelay({ redis, namespace, logger }, { intervalMs });
  relays.push(created);
  return created;
}

async function taskPercents(orderId: number, percents: Record<string, number>): Promise<void> {
  await redis.hset(namespace.key(orderTaskPercentsKey(orderId)), percents);
}

type TickUpdate = Extract<LiveUpdate, { kind: 'task.progress' }>;

/** A worker's tick as the hub hands it to the relay (the hashes are written by the caller, or not). */
function tick(
  orderId: number,
  taskId: number,
  percent: number,
  rate = { bytesDone: 0, bytesTotal: 0, speed: 0 },
): TickUpdate {
  return {
    kind: 'task.progress',
    data: {
      taskId,
      orderId,
      phase: 'download',
      percent,
      currentFile: null,
      etaSeconds: null,
      timestamp: Date.now(),
      ...rate,
    },
  };
}

const orderProgress = (orderId: number, totalTasks: number, completedTasks = 0): OrderProgress => ({
  orderId,
  percent: 0,
  completedTasks,
  failedTasks: 0,
  cancelledTasks: 0,
  totalTasks,
  etaSeconds: null,
  timestamp: Date.now(),
});

/** A tick written to its order's hashes as the worker writes it, before the hub hears it. */
async function written(event: TickUpdate): Promise<LiveUpdate> {
  const { orderId, taskId } = event.data;
  await redis.multi(taskEntryCommands(namespace, orderId, taskId, entriesAfterTick(event.data))).exec();
  return event;
}

/** An order with a stored progress message (as its payment published it) and these task percents. */
async function storedOrder(
  orderId: number,
  totalTasks: number,
  percents: Record<string, number>,
): Promise<void> {
  await publishOrderProgress(deps(), counters(orderId, totalTasks));
  await taskPercents(orderId, percents);
  await sleep(50);
}

const counters = (id: number, total: number, completed = 0, failed = 0, cancelled = 0) => ({
  id,
  total_tasks: total,
  completed_tasks: completed,
  failed_tasks: failed,
  cancelled_tasks: cancelled,
});

test('after a status change the order percent counts every task by its latest percent', async () => {
  await taskPercents(31, { '1': 100, '2': 40 });
  await publishOrderProgress(deps(), counters(31, 4, 1));
  await sleep(50);
  expect(ofOrder(31).at(-1)).toMatchObject({
    orderId: 31,
    percent: 35,
    completedTasks: 1,
    failedTasks: 0,
    cancelledTasks: 0,
    totalTasks: 4,
  });
});

test('the order ETA: the bytes left of running and waiting tasks at the measured speed', async () => {
  await redis.hset(namespace.key(orderTaskRatesKey(38)), {
    '1': formatTaskRate({ bytesDone: 500, bytesTotal: 1_000, speed: 100 }),
  });
  // No worker heartbeat in this namespace: one slot. 500 B left + one waiting task of 1,000 B.
  await publishOrderProgress(deps(), counters(38, 2));
  await sleep(50);
  expect(ofOrder(38).at(-1)).toMatchObject({ orderId: 38, etaSeconds: 15 });
  // An ended order has no ETA.
  await publishOrderProgress(deps(), counters(38, 2, 2));
  await sleep(50);
  expect(ofOrder(38).at(-1)).toMatchObject({ percent: 100, etaSeconds: null });
});

test('a task status change keeps the order hash true: ended counts whole, re-queued starts over', async () => {
  const key = namespace.key(orderTaskPercentsKey(32));
  await taskPercents(32, { '5': 70, '6': 30 });
  const change = { orderId: 32, previousStatus: 'uploading' as const };
  await publishTaskStatus(deps(), { ...change, taskId: 5, newStatus: 'failed' });
  await publishTaskStatus(deps(), { ...change, taskId: 6, newStatus: 'queued' });
  expect(await redis.hgetall(key)).toEqual({ '5': '100' });
  // A running status leaves the workers' ticks alone.
  await taskPercents(32, { '6': 12 });
  await publishTaskStatus(deps(), { ...change, previousStatus: 'queued', taskId: 6, newStatus: 'enrolled' });
  expect(await redis.hgetall(key)).toEqual({ '5': '100', '6': '12' });
});

test('between status changes, ticks move the order at most once per interval, with its counters', async () => {
  await taskPercents(33, { '1': 100, '2': 0 });
  await publishOrderProgress(deps(), counters(33, 2, 1));
  await sleep(50);
  const relayer = relay(200);
  const before = ofOrder(33).length;
  const started = Date.now();
  while (Date.now() - started < 700) {
    relayer.onLiveUpdate(await written(tick(33, 2, Math.min(99, Math.floor((Date.now() - started) / 7)))));
    await sleep(10);
  }
  await sleep(300);
  const relayed = ofOrder(33).slice(before);
  // About 70 ticks over 700 ms (and a trailing publish) at one publish per 200 ms: at most 5
  // messages, not one per tick.
  expect(relayed.length).toBeGreaterThanOrEqual(2);
  expect(relayed.length).toBeLessThanOrEqual(5);
  for (let i = 1; i < relayed.length; i++) {
    expect(relayed[i]!.timestamp - relayed[i - 1]!.timestamp).toBeGreaterThanOrEqual(190);
    expect(relayed[i]!.percent).toBeGreaterThan(relayed[i - 1]!.percent);
  }
  expect(relayed.every((m) => m.completedTasks === 1 && m.totalTasks === 2)).toBe(true);
  expect(relayed.every((m) => m.percent > 50 && m.percent < 100)).toBe(true);
});

test('two server processes hearing the same ticks publish one message per interval between them', async () => {
  await publishOrderProgress(deps(), counters(34, 2));
  await taskPercents(34, { '1': 10 });
  await sleep(50);
  const [a, b] = [relay(300), relay(300)];
  const before = ofOrder(34).length;
  for (let i = 0; i < 5; i++) {
    a.onLiveUpdate(tick(34, 1, 10));
    b.onLiveUpdate(tick(34, 1, 10));
    await sleep(100);
  }
  await sleep(400);
  // 500 ms of ticks, two relays, a 300 ms lease: one or two publishes, never one per relay.
  const relayed = ofOrder(34).slice(before);
  expect(relayed.length).toBeGreaterThanOrEqual(1);
  expect(relayed.length).toBeLessThanOrEqual(2);
  expect(relayed[0]).toMatchObject({ percent: 5, totalTasks: 2 });
});

test('orders that fall due together are each relayed once, a step at a time; close drops the rest', async () => {
  const ids = Array.from({ length: 40 }, (_, i) => 500 + i);
  for (const id of ids) {
    await publishOrderProgress(deps(), counters(id, 2));
    await taskPercents(id, { '1': 20 });
  }
  await sleep(50);
  const relayer = createOrderProgressRelay(
    { redis, namespace, logger },
    { intervalMs: 100, stepOrders: 2, steps: 1 },
  );
  relays.push(relayer);
  const before = new Map(ids.map((id) => [id, ofOrder(id).length]));
  for (const id of ids) relayer.onLiveUpdate(tick(id, 1, 20));
  await sleep(600);
  for (const id of ids) {
    const relayed = ofOrder(id).slice(before.get(id));
    expect(relayed, `order ${id}`).toHaveLength(1);
    expect(relayed[0]).toMatchObject({ orderId: id, percent: 10, totalTasks: 2 });
  }
  // Fallen due but not started when the relay closes: never published. It closes as the first of
  // them is heard; one at a time, the others are still waiting then.
  const late = Array.from({ length: 20 }, (_, i) => 600 + i);
  for (const id of late) await publishOrderProgress(deps(), counters(id, 1));
  await sleep(50);
  const slow = createOrderProgressRelay(
    { redis, namespace, logger },
    { intervalMs: 50, stepOrders: 1, steps: 1 },
  );
  const lateBefore = new Map(late.map((id) => [id, ofOrder(id).length]));
  const closeOnFirst = (_pattern: string, raw: string) => {
    if (late.some((id) => raw.endsWith(`:order:${id}:progress`))) slow.close();
  };
  subscriber.on('pmessage', closeOnFirst);
  for (const id of late) slow.onLiveUpdate(tick(id, 1, 20));
  await sleep(300);
  subscriber.off('pmessage', closeOnFirst);
  const published = late.filter((id) => ofOrder(id).length > lateBefore.get(id)!);
  expect(published.length).toBeGreaterThanOrEqual(1);
  expect(published.length).toBeLessThan(late.length / 2);
  // The first to fall due went first.
  expect(published[0]).toBe(late[0]);
});

test('an order with no progress message of its own gets none made up', async () => {
  await taskPercents(35, { '1': 50 });
  const relayer = relay(100);
  relayer.onLiveUpdate(tick(35, 1, 50));
  await sleep(300);
  expect(ofOrder(35)).toEqual([]);
  // A malformed latest value is treated the same way, never thrown.
  const [channel] = encodeChannelMessage('order', 36, 'progress', {
    orderId: 36,
    percent: 0,
    completedTasks: 0,
    failedTasks: 0,
    cancelledTasks: 0,
    totalTasks: 1,
    etaSeconds: null,
    timestamp: Date.now(),
  });
  await redis.set(namespace.key(latestKey(channel, 36)), '{not json');
  const before = ofOrder(36).length;
  relayer.onLiveUpdate(tick(36, 1, 50));
  await sleep(300);
  expect(ofOrder(36).length).toBe(before);
  // A progress message heard but never stored (a bare PUBLISH, not one of ours): still none.
  relayer.onLiveUpdate({ kind: 'order.progress', data: orderProgress(35, 2) });
  relayer.onLiveUpdate(tick(35, 1, 60));
  await sleep(300);
  expect(ofOrder(35)).toEqual([]);
  // Its first progress message, stored and heard: from then on its ticks move it.
  await publishOrderProgress(deps(), counters(35, 2));
  await sleep(50);
  relayer.onLiveUpdate({ kind: 'order.progress', data: ofOrder(35).at(-1)! });
  relayer.onLiveUpdate(await written(tick(35, 1, 60)));
  await sleep(300);
  expect(ofOrder(35).map((m) => m.percent)).toEqual([25, 30]);
});

test('Redis being down is logged once and never thrown', async () => {
  const down = new Redis('redis://127.0.0.1:1', {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  down.on('error', () => {});
  const lines: string[] = [];
  const captured = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
  const relayer = createOrderProgressRelay({ redis: down, namespace, logger: captured }, { intervalMs: 50 });
  relayer.onLiveUpdate(tick(37, 1, 5));
  await sleep(120);
  relayer.onLiveUpdate(tick(37, 1, 6));
  await sleep(120);
  relayer.close();
  await expect(
    publishOrderProgress({ redis: down, namespace, logger: captured }, counters(37, 1)),
  ).resolves.toBeUndefined();
  const relayWarnings = lines.filter((line) => line.includes('order progress not relayed'));
  expect(relayWarnings).toHaveLength(1);
  expect(lines.join('')).toMatch(/task percents unreadable/);
  down.disconnect();
});

test('after its first relay an order follows the updates heard, not Redis; a reset reads Redis again', async () => {
  await publishOrderProgress(deps(), counters(40, 4));
  await taskPercents(40, { '1': 40, '2': 20 });
  await sleep(50);
  const relayer = relay(100);
  const before = ofOrder(40).length;
  relayer.onLiveUpdate(tick(40, 1, 40));
  await sleep(200);
  // The seed from Redis: (40 + 20) / 4.
  expect(ofOrder(40).slice(before)).toEqual([expect.objectContaining({ percent: 15 })]);
  expect(relayer.followed()).toBe(1);
  // The order's counters move (its status-change message, stored and heard); then Redis changes
  // behind the relay's back: it is not read again.
  await publishOrderProgress(deps(), counters(40, 4, 1));
  await sleep(50);
  relayer.onLiveUpdate({ kind: 'order.progress', data: ofOrder(40).at(-1)! });
  await taskPercents(40, { '1': 90, '2': 70 });
  // Heard: task 2 ended (whole), task 3 ticks with a rate, a task re-queued starts over.
  const status = (taskId: number, newStatus: 'completed' | 'queued'): LiveUpdate => ({
    kind: 'task.status',
    data: { taskId, orderId: 40, previousStatus: 'uploading', newStatus, timestamp: Date.now() },
  });
  relayer.onLiveUpdate(status(2, 'completed'));
  relayer.onLiveUpdate(tick(40, 3, 20, { bytesDone: 200, bytesTotal: 1_000, speed: 100 }));
  relayer.onLiveUpdate(tick(40, 4, 50));
  relayer.onLiveUpdate(status(4, 'queued'));
  relayer.onLiveUpdate(tick(40, 1, 60));
  await sleep(200);
  // (60 + 100 + 20) / 4 = 45. ETA: task 3's 800 B left and one waiting task of the running
  // tasks' mean size (500 B: task 1 has measured no speed yet), at 100 B/s on one slot.
  expect(ofOrder(40).slice(before).at(-1)).toMatchObject({ percent: 45, completedTasks: 1, etaSeconds: 13 });
  // The hub reconnected: what the relay knew is gone, and the next relay reads Redis.
  relayer.reset();
  expect(relayer.followed()).toBe(0);
  relayer.onLiveUpdate(tick(40, 1, 60));
  await sleep(200);
  // Redis: tasks 1 and 2 at 90 and 70 (as the test wrote them), 3 and 4 never written; the
  // counters the relay published last, 1 of 4; no rates.
  expect(ofOrder(40).slice(before).at(-1)).toMatchObject({
    percent: 40,
    completedTasks: 1,
    etaSeconds: null,
  });
});

test('what the relay knows of an order is read again from Redis once its seed is old', async () => {
  await storedOrder(41, 2, { '1': 10 });
  const relayer = createOrderProgressRelay(
    { redis, namespace, logger },
    { intervalMs: 50, forgetAfterMs: 600 },
  );
  relays.push(relayer);
  const before = ofOrder(41).length;
  relayer.onLiveUpdate(tick(41, 1, 10));
  await sleep(200);
  expect(relayer.followed()).toBe(1);
  // A change the relay never heard of (a message it missed): it stays wrong until the seed is old.
  await taskPercents(41, { '1': 10, '2': 50 });
  relayer.onLiveUpdate(tick(41, 1, 10));
  await sleep(600);
  relayer.onLiveUpdate(tick(41, 1, 10));
  await sleep(200);
  expect(
    ofOrder(41)
      .slice(before)
      .map((m) => m.percent),
  ).toEqual([5, 5, 30]);
});

test('a publish whose counters Redis no longer holds is dropped, and the order read again', async () => {
  await storedOrder(42, 2, { '1': 10 });
  const relayer = relay(100);
  relayer.onLiveUpdate(tick(42, 1, 10));
  await sleep(200);
  // A task ended and its status change stored the new counters, but this relay has not heard it.
  await publishOrderProgress(deps(), counters(42, 2, 1));
  await sleep(50);
  const before = ofOrder(42).length;
  relayer.onLiveUpdate(tick(42, 1, 10));
  await sleep(200);
  // Built on 0 completed: refused, never published over the stored 1.
  expect(ofOrder(42).slice(before)).toEqual([]);
  relayer.onLiveUpdate(tick(42, 1, 10));
  await sleep(200);
  // Read again: 1 of 2 ended, which counts whole.
  expect(ofOrder(42).slice(before)).toEqual([expect.objectContaining({ completedTasks: 1, percent: 50 })]);
});

test('while the hub is down nothing is relayed; once it is back every order is read again', async () => {
  await storedOrder(43, 2, { '1': 20 });
  const relayer = relay(100);
  relayer.onLiveUpdate(tick(43, 1, 20));
  await sleep(200);
  expect(ofOrder(43).at(-1)).toMatchObject({ percent: 10 });
  const before = ofOrder(43).length;
  // A tick heard just before the connection dropped (its relay due after) is not relayed from a
  // view going stale, nor is one heard after.
  relayer.onLiveUpdate(tick(43, 1, 30));
  relayer.suspend();
  expect(relayer.followed()).toBe(0);
  relayer.onLiveUpdate(tick(43, 1, 35));
  await sleep(200);
  expect(ofOrder(43).length).toBe(before);
  await taskPercents(43, { '1': 80 });
  relayer.reset();
  relayer.onLiveUpdate(tick(43, 1, 80));
  await sleep(200);
  expect(ofOrder(43).slice(before)).toEqual([expect.objectContaining({ percent: 40 })]);
});
