import {
  formatChannel,
  latestKey,
  type OrderProgress,
  orderTaskPercentsKey,
  parseChannelMessage,
} from '@paidflow/contracts';
import { Redis } from 'ioredis';
import { expect, test } from 'vitest';
import { taskProgress } from '../testing/live-scenarios.ts';
import { startTestServer } from '../testing/pipeline-fixtures.ts';
import { startPrivateRedis } from '../testing/private-redis.ts';
import { publishOrderProgress } from './order-progress.ts';

// The whole server, on a Redis of the test's own that goes away and comes back empty. app.ts
// pauses the order progress relay when the hub's connection drops (onDown -> suspend) and starts
// it again once the hub has resubscribed (onResync -> reset). hub-connection.int.test.ts checks
// the hub's two calls, order-progress.int.test.ts the relay's answer to each; this checks the
// end of it through the real server: a relay paused by an outage does not stay paused. (The pause
// itself shows only on a relay in flight as the connection drops: the relay's own test.)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a server relays order progress again once its Redis is back after an outage', async () => {
  const redis = await startPrivateRedis();
  const t = await startTestServer('relay_outage', { REDIS_URL: redis.url, RECONCILE_INTERVAL_MS: '3600000' });
  const { deps } = t.server;
  const { namespace } = deps;
  const heard: OrderProgress[] = [];
  const listener = new Redis(redis.url);
  listener.on('error', () => {});
  listener.on('pmessage', (_pattern, raw: string, message: string) => {
    const channel = namespace.unprefixChannel(raw);
    const parsed = channel ? parseChannelMessage(channel, message) : null;
    if (parsed?.ok) heard.push(parsed.message.payload as OrderProgress);
  });
  const publisher = new Redis(redis.url);
  publisher.on('error', () => {});

  /**
   * An order of one task, stored as its payment left it (0 %, once: only the relay can then make
   * another percent), then one tick of that task, written to its order's hashes and heard.
   */
  async function tick(orderId: number, percent: number): Promise<void> {
    const taskId = orderId * 10;
    const stored = namespace.key(latestKey(formatChannel('order', orderId, 'progress'), orderId));
    if (!(await publisher.exists(stored))) {
      const counters = {
        id: orderId,
        total_tasks: 1,
        completed_tasks: 0,
        failed_tasks: 0,
        cancelled_tasks: 0,
      };
      await publishOrderProgress(deps, counters, { noTicksYet: true });
    }
    await publisher.hset(namespace.key(orderTaskPercentsKey(orderId)), { [taskId]: percent });
    await publisher.publish(
      namespace.channel(`task:${taskId}:progress`),
      JSON.stringify(taskProgress(taskId, orderId, percent)),
    );
  }
  /** Ticks until the order's progress at `percent` is relayed, or `ms` have passed. */
  async function relayedWithin(orderId: number, percent: number, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      try {
        await tick(orderId, percent);
      } catch {
        // Redis still coming back: tick again.
      }
      await sleep(300);
      if (heard.some((p) => p.orderId === orderId && p.percent === percent)) return true;
    }
    return false;
  }

  try {
    await listener.psubscribe(namespace.channel('order:*:progress'));
    expect(await relayedWithin(7, 40, 10_000)).toBe(true);
    // The outage: every connection of the server drops, and Redis comes back with nothing.
    await redis.restartEmpty();
    expect(await relayedWithin(8, 60, 20_000)).toBe(true);
  } finally {
    listener.disconnect();
    publisher.disconnect();
    await t.close();
    await redis.close();
  }
}, 60_000);
