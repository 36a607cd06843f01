import {
  formatChannel,
  type LiveUpdate,
  latestKey,
  type OrderProgress,
  orderTaskPercentsKey,
  redisNamespace,
} from '@paidflow/contracts';
import { createLogger, nodeGroups } from '@paidflow/runtime';
import { type ClusterClient, startClusterClient } from '@paidflow/runtime/testing';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { publishOrderProgress } from './order-progress.ts';
import { createOrderProgressRelay } from './order-progress-relay.ts';

// The order progress relay on a 3-master Redis Cluster: orders that fall due together lie in
// slots on every master, and each step sends one pipeline per master (nodeGroups).
let cluster: ClusterClient;
let redis: Cluster;
const namespace = redisNamespace('relay-cluster');
const logger = createLogger('silent');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const latestOf = (orderId: number) =>
  namespace.key(latestKey(formatChannel('order', orderId, 'progress'), orderId));

beforeAll(async () => {
  cluster = await startClusterClient({ masters: 3 });
  redis = cluster.redis;
});
afterAll(() => cluster?.stop());

const ids = Array.from({ length: 60 }, (_, i) => 900 + i);

test('orders are grouped by the master that holds their keys, one group per master', async () => {
  const groups = nodeGroups(redis, ids, latestOf);
  expect(groups).toHaveLength(3);
  expect(groups.flat().sort()).toEqual([...ids].sort());
  const masterOf = async (orderId: number) =>
    redis.slots[(await redis.cluster('KEYSLOT', latestOf(orderId))) as number]?.[0];
  const masters = await Promise.all(
    groups.map(async (group) => new Set(await Promise.all(group.map(masterOf)))),
  );
  expect(masters.map((set) => set.size)).toEqual([1, 1, 1]);
  expect(new Set(masters.flatMap((set) => [...set])).size).toBe(3);
});

test('orders on every master that fall due together are each relayed, with their percent', async () => {
  const deps = { redis, namespace, logger };
  for (const orderId of ids) {
    const order = { id: orderId, total_tasks: 2, completed_tasks: 0, failed_tasks: 0, cancelled_tasks: 0 };
    await publishOrderProgress(deps, order, { noTicksYet: true });
    await redis.hset(namespace.key(orderTaskPercentsKey(orderId)), { '1': 40 });
  }
  const relay = createOrderProgressRelay(deps, { intervalMs: 200, gridMs: 50, stepOrders: 8 });
  try {
    for (const orderId of ids) {
      const tick: LiveUpdate = {
        kind: 'task.progress',
        data: {
          taskId: 1,
          orderId,
          phase: 'download',
          percent: 40,
          currentFile: null,
          etaSeconds: null,
          timestamp: Date.now(),
          bytesDone: 0,
          bytesTotal: 0,
          speed: 0,
        },
      };
      relay.onLiveUpdate(tick);
    }
    await sleep(800);
    const latest = await Promise.all(ids.map(async (orderId) => await redis.get(latestOf(orderId))));
    const percents = latest.map((raw) => (JSON.parse(raw ?? '{}') as Partial<OrderProgress>).percent);
    expect(percents).toEqual(ids.map(() => 20));
  } finally {
    relay.close();
  }
});
