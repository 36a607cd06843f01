import { redisNamespace } from '@paidflow/contracts';
import {
  keysByMaster,
  masterOfKey,
  type RedisClusterHandle,
  startRedisCluster,
} from '@paidflow/runtime/testing';
import { createOrder } from '@paidflow/server/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunningWorker } from './app.ts';
import { type Pipeline, startPipeline } from './testing/fixtures.ts';
import { paidOrderRunsToCompletion } from './testing/pipeline-scenario.ts';

// The pipeline's happy path (pipeline.int.test.ts) on a 3-master Redis Cluster: server, worker,
// recorder and cleanup all in cluster mode (REDIS_CLUSTER_NODES), the keys spread over masters.

let cluster: RedisClusterHandle;
let p: Pipeline;
let worker: RunningWorker | null = null;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  p = await startPipeline('worker-pipeline-cluster', { REDIS_CLUSTER_NODES: cluster.env });
});
afterAll(async () => {
  await worker?.close();
  await p?.close();
  await cluster?.stop();
});

/** Which masters hold keys matching `pattern`. */
async function holders(pattern: string): Promise<number[]> {
  const found = await keysByMaster(cluster, pattern);
  return [...found].filter(([, keys]) => keys.length > 0).map(([port]) => port);
}

test('on a 3-master cluster, a signed payment runs to completion, watched live, its keys spread over masters', async () => {
  expect(p.t.server.deps.env.REDIS_CLUSTER_NODES).toHaveLength(3);
  const namespace = redisNamespace(p.t.prefix);
  const queueMaster = await masterOfKey(cluster, `${namespace.queuePrefix}:downloads:id`);
  // Spends order ids until the next order's slot tag lies on another master than the queue's, so
  // that the run needs two masters by construction (ids come from MySQL's auto-increment).
  for (;;) {
    const { orderId } = await createOrder(p.t.tdb.db, { tasks: 0 });
    if ((await masterOfKey(cluster, `{o:${orderId + 1}}`)) !== queueMaster) break;
  }

  worker = await p.startWorker({ WORKER_CONCURRENCY: '3' });
  const { orderId } = await paidOrderRunsToCompletion(p, worker);

  // BullMQ's keys share the {bull} slot: all on the queue's master. The order's latest values
  // share its {o:N} slot: all on one other master. Both exist, so two masters served this run.
  expect(await holders(`${namespace.queuePrefix}:*`)).toEqual([queueMaster]);
  const orderHolders = await holders(`${p.t.prefix}:*{o:${orderId}}*`);
  expect(orderHolders).toHaveLength(1);
  expect(orderHolders[0]).not.toBe(queueMaster);
  expect((await keysByMaster(cluster, `${namespace.queuePrefix}:*`)).get(queueMaster)).toContain(
    `${namespace.queuePrefix}:downloads:completed`,
  );
});
