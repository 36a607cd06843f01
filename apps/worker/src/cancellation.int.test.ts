import { randomUUID } from 'node:crypto';
import { encodeChannelMessage, publishCommands, redisNamespace } from '@paidflow/contracts';
import { deleteRedisPrefix } from '@paidflow/server/testing';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type CancellationListener, createCancellationListener } from './cancellation.ts';

const namespace = redisNamespace(`test-${randomUUID()}`);
const lines: string[] = [];
const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
let redis: Redis;
let listener: CancellationListener;

beforeAll(() => {
  redis = new Redis('redis://127.0.0.1:6379');
  listener = createCancellationListener({ redis: { url: 'redis://127.0.0.1:6379' }, namespace, logger });
});
afterAll(async () => {
  await listener.close();
  await deleteRedisPrefix('redis://127.0.0.1:6379', namespace.prefix);
  await redis.quit();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function publishStatus(
  taskId: number,
  newStatus: 'cancelled' | 'downloading' | 'queued',
  runToken?: number,
): Promise<void> {
  const [channel, json] = encodeChannelMessage('task', taskId, 'status', {
    taskId,
    orderId: 1,
    previousStatus: 'queued',
    newStatus,
    ...(runToken !== undefined ? { runToken } : {}),
    timestamp: Date.now(),
  });
  await redis.multi(publishCommands(channel, json, namespace, 1)).exec();
}

/** A watcher that only hears cancellations. */
function onCancel(heard: () => void) {
  return { onCancel: heard, onRunToken: () => {} };
}

test('a running task hears its cancellation, and only its own', async () => {
  const cancelled: number[] = [];
  const a = listener.watch(
    7,
    onCancel(() => cancelled.push(7)),
  );
  const b = listener.watch(
    8,
    onCancel(() => cancelled.push(8)),
  );
  await Promise.all([a.ready, b.ready]);
  await publishStatus(7, 'downloading');
  await publishStatus(7, 'cancelled');
  await sleep(200);
  expect(cancelled).toEqual([7]);
  a.stop();
  b.stop();
});

test('a task no longer watched is not listened to any more', async () => {
  const cancelled: number[] = [];
  const watch = listener.watch(
    9,
    onCancel(() => cancelled.push(9)),
  );
  await watch.ready;
  watch.stop();
  await sleep(50);
  await publishStatus(9, 'cancelled');
  await sleep(200);
  expect(cancelled).toEqual([]);
  // No Redis subscriber listens on the channel any more.
  const [, count] = (await redis.pubsub('NUMSUB', namespace.channel('task:9:status'))) as [string, number];
  expect(Number(count)).toBe(0);
});

test('garbage on a status channel is logged and ignored, and the listener keeps working', async () => {
  const cancelled: number[] = [];
  const watch = listener.watch(
    10,
    onCancel(() => cancelled.push(10)),
  );
  await watch.ready;
  const channel = namespace.channel('task:10:status');
  await redis.publish(channel, 'not json');
  await redis.publish(channel, JSON.stringify({ taskId: 10, newStatus: 'cancelled' }));
  await redis.publish(
    channel,
    JSON.stringify({ taskId: 11, orderId: 1, previousStatus: null, newStatus: 'cancelled', timestamp: 1 }),
  );
  await sleep(200);
  expect(cancelled).toEqual([]);
  expect(lines.filter((line) => line.includes('ignored a bad status message'))).toHaveLength(3);
  await publishStatus(10, 'cancelled');
  await sleep(200);
  expect(cancelled).toEqual([10]);
  watch.stop();
});

test('a running task hears the run tokens its task is given (a newer claim or a fence)', async () => {
  const tokens: number[] = [];
  const cancelled: number[] = [];
  const watch = listener.watch(12, { onCancel: () => cancelled.push(12), onRunToken: (t) => tokens.push(t) });
  await watch.ready;
  await publishStatus(12, 'downloading');
  await publishStatus(12, 'queued', 5);
  await sleep(200);
  expect(tokens).toEqual([5]);
  expect(cancelled).toEqual([]);
  watch.stop();
});
