import { randomUUID } from 'node:crypto';
import {
  LATEST_TTL_SECONDS,
  latestKey,
  orderTaskPercentsKey,
  parseChannelMessage,
  redisNamespace,
  type TaskProgress,
} from '@paidflow/contracts';
import { createLogger } from '@paidflow/runtime';
import { deleteRedisPrefix } from '@paidflow/server/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createProgressPublisher } from './progress.ts';

const namespace = redisNamespace(`test-${randomUUID()}`);
const logger = createLogger('silent');
let redis: Redis;
let subscriber: Redis;
const heard: Array<{ channel: string; payload: unknown; at: number }> = [];

beforeAll(async () => {
  redis = new Redis('redis://127.0.0.1:6379');
  subscriber = new Redis('redis://127.0.0.1:6379');
  subscriber.on('pmessage', (_pattern, raw: string, message: string) => {
    const channel = namespace.unprefixChannel(raw)!;
    const parsed = parseChannelMessage(channel, message);
    if (!parsed.ok) throw new Error(`invalid message on ${channel}: ${parsed.detail}`);
    heard.push({ channel, payload: parsed.message.payload, at: Date.now() });
  });
  await subscriber.psubscribe(namespace.channel('task:*:progress'), namespace.channel('order:*:progress'));
});

afterAll(async () => {
  await deleteRedisPrefix('redis://127.0.0.1:6379', namespace.prefix);
  await subscriber.quit();
  await redis.quit();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Feeds a tracker like a download does: many small updates over `ms`. */
async function simulate(
  tracker: ReturnType<ReturnType<typeof createProgressPublisher>['track']>,
  total: number,
  ms: number,
): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    const done = Math.floor((total * (Date.now() - started)) / ms);
    tracker.update(done, 'lesson-01.bin');
    await sleep(5);
  }
  await tracker.finish('lesson-01.bin');
}

function messagesOf(channel: string): Array<{ payload: TaskProgress; at: number }> {
  return heard.filter((m) => m.channel === channel) as Array<{ payload: TaskProgress; at: number }>;
}

test('task progress goes out at most every 250 ms, grows, and always ends with 100%', async () => {
  const publisher = createProgressPublisher({ redis, namespace, logger });
  const tracker = publisher.track({ taskId: 101, orderId: 11, bytesTotal: 1_000_000, phase: 'upload' });
  await simulate(tracker, 1_000_000, 1_600);
  await sleep(100);
  const messages = messagesOf('task:101:progress');
  // 1.6 s at one message per 250 ms: at most 7 regular ones plus the final.
  expect(messages.length).toBeGreaterThanOrEqual(4);
  expect(messages.length).toBeLessThanOrEqual(8);
  for (let i = 1; i < messages.length; i++) {
    expect(messages[i]!.payload.timestamp - messages[i - 1]!.payload.timestamp).toBeGreaterThanOrEqual(250);
    expect(messages[i]!.payload.percent).toBeGreaterThanOrEqual(messages[i - 1]!.payload.percent);
  }
  const last = messages.at(-1)!.payload;
  expect(last).toMatchObject({ percent: 100, bytesDone: 1_000_000, bytesTotal: 1_000_000, etaSeconds: 0 });
  expect(messages.slice(0, -1).every((m) => m.payload.percent < 100)).toBe(true);
  // Mid-way messages carry a speed and an ETA.
  const middle = messages[Math.floor(messages.length / 2)]!.payload;
  expect(middle.speed).toBeGreaterThan(0);
  expect(middle.etaSeconds).toBeGreaterThan(0);
  expect(middle.currentFile).toBe('lesson-01.bin');

  // The latest value is kept for newcomers, with a one-hour TTL.
  const key = namespace.key(latestKey('task:101:progress', 11));
  expect(JSON.parse((await redis.get(key))!)).toEqual(last);
  const ttl = await redis.ttl(key);
  expect(ttl).toBeGreaterThan(LATEST_TTL_SECONDS - 10);
  expect(ttl).toBeLessThanOrEqual(LATEST_TTL_SECONDS);
});

test('a quick task still gets its final 100%, spaced from the previous message', async () => {
  const publisher = createProgressPublisher({ redis, namespace, logger });
  const tracker = publisher.track({ taskId: 102, orderId: 11, bytesTotal: 10, phase: 'upload' });
  tracker.update(5, 'a.bin');
  await tracker.finish('a.bin');
  await sleep(100);
  const messages = messagesOf('task:102:progress');
  // Half of the upload band (90..100), then delivered.
  expect(messages.map((m) => m.payload.percent)).toEqual([95, 100]);
  expect(messages[1]!.payload.timestamp - messages[0]!.payload.timestamp).toBeGreaterThanOrEqual(250);
});

test('the phases share one bar: enrol to 5, download to 90, upload to 100 (delivered), spaced across phases', async () => {
  const publisher = createProgressPublisher({ redis, namespace, logger });
  const task = { taskId: 501, orderId: 15 };
  await publisher.track({ ...task, bytesTotal: 0, phase: 'enroll' }).finish(null);
  const download = publisher.track({ ...task, bytesTotal: 1_000, phase: 'download' });
  // Too soon after the enrolment's message: the throttle spans phases.
  download.update(100, 'a.bin');
  await sleep(300);
  download.update(500, 'a.bin');
  await download.finish('a.bin');
  await publisher.track({ ...task, bytesTotal: 1_000, phase: 'upload' }).finish('a.bin');
  await sleep(100);
  const messages = messagesOf('task:501:progress');
  expect(messages.map((m) => [m.payload.phase, m.payload.percent])).toEqual([
    ['enroll', 5],
    ['download', 47.5],
    ['download', 90],
    ['upload', 100],
  ]);
  for (let i = 1; i < messages.length; i++) {
    expect(messages[i]!.payload.timestamp - messages[i - 1]!.payload.timestamp).toBeGreaterThanOrEqual(250);
  }
});

test('each task message records its percent in the order hash; the worker publishes no order aggregate', async () => {
  const orderId = 12;
  const publisher = createProgressPublisher({ redis, namespace, logger });
  const first = publisher.track({ taskId: 201, orderId, bytesTotal: 1_000, phase: 'download' });
  const second = publisher.track({ taskId: 202, orderId, bytesTotal: 1_000, phase: 'download' });
  first.update(400, 'a.bin');
  await first.close();
  await simulate(second, 1_000, 300);
  await sleep(1_100);
  const key = namespace.key(orderTaskPercentsKey(orderId));
  // 40 % of the download band (5..90) is 39 % of the task; a finished download is at 90.
  expect(await redis.hgetall(key)).toEqual({ '201': '39', '202': '90' });
  const ttl = await redis.ttl(key);
  expect(ttl).toBeGreaterThan(LATEST_TTL_SECONDS - 10);
  expect(ttl).toBeLessThanOrEqual(LATEST_TTL_SECONDS);
  // order:{id}:progress is the server's alone (apps/server/src/realtime/order-progress.ts).
  expect(heard.some((m) => m.channel === 'order:12:progress')).toBe(false);
});

test('Redis being down never fails the download: progress is skipped and logged', async () => {
  const down = new Redis('redis://127.0.0.1:1', {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  down.on('error', () => {});
  const lines: string[] = [];
  const { pino } = await import('pino');
  const captured = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
  const publisher = createProgressPublisher({ redis: down, namespace, logger: captured });
  const tracker = publisher.track({ taskId: 401, orderId: 14, bytesTotal: 100, phase: 'download' });
  tracker.update(10, 'a.bin');
  await expect(tracker.finish('a.bin')).resolves.toBeUndefined();
  expect(lines.join('')).toMatch(/progress not published/);
  down.disconnect();
});
