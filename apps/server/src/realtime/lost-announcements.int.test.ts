import { randomUUID } from 'node:crypto';
import { LIVE_RESYNC_CHANNEL, redisNamespace } from '@paidflow/contracts';
import { createLogger, createRedis } from '@paidflow/runtime';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { waitFor } from '../testing/pipeline-fixtures.ts';
import { createRealtimeHub, type HubItem, RESYNC, type RealtimeHub } from './hub.ts';
import { createRealtimeMetrics } from './metrics.ts';

// Two server processes' hubs on the real Redis, one namespace: a live message one of them could
// not publish reached no listener anywhere, so both resynchronise (decision 058).
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const namespace = redisNamespace(`test-${randomUUID()}`);
const logger = createLogger('silent');
const redis = createRedis(REDIS_URL, logger);
const registries = [new Registry(), new Registry()];
let hubs: RealtimeHub[] = [];
const heard: Array<Array<HubItem | typeof RESYNC>> = [[], []];

beforeAll(async () => {
  hubs = registries.map((registry) =>
    createRealtimeHub({
      redis: { url: REDIS_URL },
      namespace,
      logger,
      metrics: createRealtimeMetrics(registry),
      publish: (channel, message) => redis.publish(channel, message),
    }),
  );
  await Promise.all(hubs.map((hub) => hub.start()));
  for (const [i, hub] of hubs.entries()) {
    hub.subscribe({ kind: 'order', id: 7 }, (item) => {
      heard[i]!.push(item);
    });
  }
});
afterAll(async () => {
  await Promise.all(hubs.map((hub) => hub.stop()));
  redis.disconnect();
});

const resyncs = (i: number) => heard[i]!.filter((item) => item === RESYNC).length;

test('a lost announcement resyncs this server once, and every other server through Redis', async () => {
  // Three losses within a second (one outage) share one resync and one announcement.
  hubs[0]!.announcementLost();
  hubs[0]!.announcementLost();
  hubs[0]!.announcementLost();
  await waitFor(() => resyncs(0) === 1 && resyncs(1) === 1, 5_000, 'both hubs to resync');
  // The announcer ignores its own message heard back; nothing more follows.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect([resyncs(0), resyncs(1)]).toEqual([1, 1]);
});

test('garbage on the resync channel is dropped and counted; nobody resyncs', async () => {
  const before = [resyncs(0), resyncs(1)];
  await redis.publish(namespace.channel(LIVE_RESYNC_CHANNEL), 'not json');
  await redis.publish(namespace.channel(LIVE_RESYNC_CHANNEL), JSON.stringify({ from: '' }));
  await waitFor(
    async () => {
      const metric = await registries[1]!.getSingleMetric('paidflow_realtime_malformed_total')?.get();
      const count = (reason: string) => metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
      return count('bad_json') >= 1 && count('bad_payload') >= 1;
    },
    5_000,
    'the malformed messages to be counted',
  );
  expect([resyncs(0), resyncs(1)]).toEqual(before);
});
