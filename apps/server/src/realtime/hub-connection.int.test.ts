import { redisNamespace } from '@paidflow/contracts';
import { createLogger } from '@paidflow/runtime';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { expect, test } from 'vitest';
import { taskProgress } from '../testing/live-scenarios.ts';
import { startPrivateRedis } from '../testing/private-redis.ts';
import { createRealtimeHub, type HubItem, RESYNC } from './hub.ts';
import { createRealtimeMetrics } from './metrics.ts';

// The hub's own connection going away and coming back, on a Redis of the test's own: what the
// order progress relay hears of it (it pauses on onDown, and reads everything again on onResync).

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

test('the hub says when its subscriber drops, then when it has resubscribed, once each', async () => {
  const redis = await startPrivateRedis();
  const namespace = redisNamespace('hub-down');
  const calls: string[] = [];
  const hub = createRealtimeHub({
    redis: { url: redis.url },
    namespace,
    logger: createLogger('silent'),
    metrics: createRealtimeMetrics(new Registry()),
    onDown: () => calls.push('down'),
    onResync: () => calls.push('resync'),
  });
  const heard: string[] = [];
  hub.subscribe({ kind: 'task', id: 1 }, (item: HubItem | typeof RESYNC) => {
    heard.push(item === RESYNC ? 'resync' : item.event.kind);
  });
  const publisher = new Redis(redis.url, { lazyConnect: true });
  publisher.on('error', () => {});
  try {
    await hub.start();
    expect(calls).toEqual([]);
    await redis.restartEmpty();
    await until(() => calls.includes('resync'), 10_000);
    expect(calls).toEqual(['down', 'resync']);
    // Heard again once resynced.
    await publisher.publish(namespace.channel('task:1:progress'), JSON.stringify(taskProgress(1, 2, 5)));
    await until(() => heard.includes('task.progress'), 5_000);
    expect(heard).toEqual(['resync', 'task.progress']);
  } finally {
    publisher.disconnect();
    await hub.stop();
    await redis.close();
  }
});
