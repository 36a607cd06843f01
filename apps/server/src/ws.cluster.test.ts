import {
  encodeChannelMessage,
  entriesAfterTick,
  publishCommands,
  redisNamespace,
  taskEntryCommands,
} from '@paidflow/contracts';
import { transitionTask } from '@paidflow/db';
import { createLogger, createRedis, type RedisClient, redisTarget, whenReady } from '@paidflow/runtime';
import { masterOfKey, type RedisClusterHandle, startRedisCluster } from '@paidflow/runtime/testing';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { publishOrderProgress } from './realtime/order-progress.ts';
import { publishLive } from './realtime/publisher.ts';
import { collect, type LiveClient, liveClient } from './testing/live-client.ts';
import { createPaidOrder, createTestAdmin, type TestAdmin } from './testing/live-fixtures.ts';
import {
  type LiveScenario,
  resumeAfterReconnect,
  snapshotThenLiveEvents,
  taskStatus,
} from './testing/live-scenarios.ts';
import { startTestServer, type TestServer, waitFor } from './testing/pipeline-fixtures.ts';

// The live subscriptions of ws.int.test.ts on a 3-master Redis Cluster (each with a replica, for
// the last test): the server's hub hears PUBLISH on any node, its snapshots read latest values
// spread over the masters.

let cluster: RedisClusterHandle;
let t: TestServer;
let viewer: TestAdmin;
let publisher: RedisClient;
const clients: LiveClient[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  t = await startTestServer('ws-cluster', {
    RECONCILE_INTERVAL_MS: '3600000',
    REDIS_CLUSTER_NODES: cluster.env,
  });
  viewer = await createTestAdmin(t.server.deps, 'viewer');
  publisher = createRedis(redisTarget(t.server.deps.env), createLogger('silent'));
  if (!(await whenReady(publisher, 10_000))) throw new Error('the publisher did not reach the cluster');
});
afterAll(async () => {
  for (const client of clients) await client.close();
  publisher?.disconnect();
  await t?.close();
  await cluster?.stop();
});

function scenario(): LiveScenario {
  return {
    deps: t.server.deps,
    cookie: viewer.cookie,
    client(cookie, options = {}) {
      const live = liveClient(t.server.url, cookie, options);
      clients.push(live);
      return live;
    },
    async publishRaw(channel, payload) {
      const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
      await publisher.publish(redisNamespace(t.prefix).channel(channel), body);
    },
  };
}

test('the server and the publisher run in cluster mode', () => {
  expect(t.server.deps.redis).toBeInstanceOf(Cluster);
  expect(publisher).toBeInstanceOf(Cluster);
});

test('on a cluster, events.order starts with a snapshot, then delivers typed progress and status published on Redis', async () => {
  await snapshotThenLiveEvents(scenario());
});

test('on a cluster, a client that reconnects with lastEventId after its task finished ends on the final state', async () => {
  await resumeAfterReconnect(scenario());
});

test('on a cluster, the order progress relay follows the ticks the hub hears, past its first read', async () => {
  // The order's keys on another master than the one the hub's subscriber sits on: its messages
  // reach the hub over the cluster bus.
  const hubNode = await nodeOfClient('realtime');
  expect(hubNode).toBeDefined();
  const paid = () => createPaidOrder(t.server.deps.db, { statuses: ['downloading', 'queued'] });
  let order = await paid();
  while ((await masterOfKey(cluster, `{o:${order.orderId}}`)) === hubNode) order = await paid();
  const { orderId, taskIds } = order;
  const [taskId] = taskIds as [number];
  const counters = { id: orderId, total_tasks: 2, completed_tasks: 0, failed_tasks: 0, cancelled_tasks: 0 };
  await publishOrderProgress(t.server.deps, counters, { noTicksYet: true });
  const sub = collect((handlers) =>
    scenario().client(viewer.cookie).client.events.order.subscribe({ orderId }, handlers),
  );
  await waitFor(() => sub.events.length >= 1, 10_000, 'snapshot');
  const relayed = () =>
    sub.events.flatMap((event) => (event.data.kind === 'order.progress' ? [event.data.data.percent] : []));
  const namespace = redisNamespace(t.prefix);
  // 3.5 s of ticks at 4 Hz, written as a worker writes them: the relay's first publish reads the
  // order from Redis, the later ones take the lease and publish in one script on its master.
  for (let i = 1; i <= 14; i++) {
    const payload = {
      taskId,
      orderId,
      phase: 'download' as const,
      percent: i * 5,
      currentFile: null,
      bytesDone: i * 5,
      bytesTotal: 100,
      speed: 20,
      etaSeconds: null,
      timestamp: Date.now(),
    };
    const [channel, json] = encodeChannelMessage('task', taskId, 'progress', payload);
    await publisher
      .multi([
        ...publishCommands(channel, json, namespace, orderId),
        ...taskEntryCommands(namespace, orderId, taskId, entriesAfterTick(payload)),
      ])
      .exec();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await waitFor(() => relayed().at(-1) === 35, 5_000, 'the last tick relayed (70 % of one task of two)');
  const percents = relayed();
  expect(percents.length).toBeGreaterThanOrEqual(3);
  expect(percents).toEqual([...percents].sort((a, b) => a - b));
  sub.unsubscribe();
});

/** The port of the node holding the client connection named `name` (CLIENT LIST on each master). */
async function nodeOfClient(name: string): Promise<number | undefined> {
  for (const port of await cluster.masters()) {
    const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
    node.on('error', () => {});
    try {
      await node.connect();
      const list = String(await node.call('CLIENT', 'LIST'));
      if (list.split('\n').some((line) => line.includes(` name=${name} `))) return port;
    } finally {
      node.disconnect();
    }
  }
  return undefined;
}

// Last: it kills a master.
test('an announcement lost while its order’s master fails over still reaches the live view (resync)', async () => {
  // The hub's subscriber sits on a node that stays up: it hears of no outage of its own.
  const hubNode = await nodeOfClient('realtime');
  expect(hubNode).toBeDefined();
  const victim = (await cluster.masters()).find((port) => port !== hubNode)!;
  let order = await createPaidOrder(t.server.deps.db, { statuses: ['downloading'] });
  while ((await masterOfKey(cluster, `{o:${order.orderId}}`)) !== victim) {
    order = await createPaidOrder(t.server.deps.db, { statuses: ['downloading'] });
  }
  const { orderId, taskIds } = order;
  const [taskId] = taskIds as [number];
  const sub = collect((handlers) =>
    scenario().client(viewer.cookie).client.events.order.subscribe({ orderId }, handlers),
  );
  await waitFor(() => sub.events.length >= 1, 10_000, 'snapshot');

  await cluster.kill(victim);
  // The task ends meanwhile; its announcement cannot reach the order's slot, and is lost.
  await transitionTask(t.server.deps.db, { taskId, to: 'completed', patch: { progress: 100 } });
  const published = await publishLive(
    t.server.deps,
    'task',
    taskId,
    'status',
    taskStatus(taskId, orderId, 'downloading', 'completed'),
  );
  expect(published).toBe(false);

  await waitFor(
    () =>
      sub.events.some(
        (event) =>
          event.data.kind === 'snapshot' &&
          event.data.reason === 'resync' &&
          event.data.tasks[0]?.status === 'completed',
      ),
    15_000,
    'a resync snapshot with the task completed',
  );
  await cluster.waitForFailover(victim);
  // The hub never moved: the resync came from the lost announcement, not from its connection.
  expect(await nodeOfClient('realtime')).toBe(hubNode);
  sub.unsubscribe();
});
