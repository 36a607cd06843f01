import { type LiveUpdate, redisNamespace } from '@paidflow/contracts';
import { createLogger } from '@paidflow/runtime';
import { Registry } from 'prom-client';
import { afterEach, expect, test } from 'vitest';
import { createRealtimeHub, type HubItem, RESYNC, type RealtimeHub } from './hub.ts';
import { createRealtimeMetrics } from './metrics.ts';

// The hub is fed through handleMessage here (what its subscriber connection calls); the Redis
// path itself is covered by the WebSocket integration tests.
let hub: RealtimeHub | undefined;
afterEach(async () => {
  await hub?.stop();
});

function setup(prefix = 'p1', onLiveUpdate?: (event: LiveUpdate) => void) {
  const registry = new Registry();
  const metrics = createRealtimeMetrics(registry);
  hub = createRealtimeHub({
    redis: { url: 'redis://127.0.0.1:6379' },
    namespace: redisNamespace(prefix),
    logger: createLogger('silent'),
    metrics,
    ...(onLiveUpdate ? { onLiveUpdate } : {}),
  });
  return { hub, registry };
}

function progress(taskId: number, orderId: number, percent: number) {
  return JSON.stringify({
    taskId,
    orderId,
    percent,
    currentFile: null,
    bytesDone: 0,
    bytesTotal: 0,
    speed: 0,
    etaSeconds: null,
    timestamp: Date.now(),
  });
}

function status(taskId: number, orderId: number, newStatus: string) {
  return JSON.stringify({ taskId, orderId, previousStatus: null, newStatus, timestamp: Date.now() });
}

async function malformedCount(registry: Registry, reason: string): Promise<number> {
  const metric = await registry.getSingleMetric('paidflow_realtime_malformed_total')?.get();
  return metric?.values.find((value) => value.labels.reason === reason)?.value ?? 0;
}

test('a task message reaches the task, its order, and (status only) the firehose', () => {
  const { hub } = setup();
  const got: Record<string, string[]> = { task: [], order: [], other: [], firehose: [] };
  const record = (name: string) => (item: HubItem | typeof RESYNC) => {
    if (item !== RESYNC) got[name]!.push(item.event.kind);
  };
  hub.subscribe({ kind: 'task', id: 7 }, record('task'));
  hub.subscribe({ kind: 'order', id: 3 }, record('order'));
  hub.subscribe({ kind: 'order', id: 4 }, record('other'));
  hub.subscribe({ kind: 'firehose' }, record('firehose'));
  hub.handleMessage('p1:task:7:progress', progress(7, 3, 10));
  hub.handleMessage('p1:task:7:status', status(7, 3, 'downloading'));
  hub.handleMessage(
    'p1:order:3:progress',
    JSON.stringify({
      orderId: 3,
      percent: 50,
      completedTasks: 1,
      failedTasks: 0,
      totalTasks: 2,
      timestamp: 1,
    }),
  );
  expect(got).toEqual({
    task: ['task.progress', 'task.status'],
    order: ['task.progress', 'task.status', 'order.progress'],
    other: [],
    firehose: ['task.status', 'order.progress'],
  });
});

test('malformed messages are dropped and counted by reason, never delivered', async () => {
  const { hub, registry } = setup();
  const got: unknown[] = [];
  hub.subscribe({ kind: 'task', id: 7 }, (item) => got.push(item));
  hub.subscribe({ kind: 'firehose' }, (item) => got.push(item));
  hub.handleMessage('p1:task:7:progress', 'not json {');
  hub.handleMessage('p1:task:7:progress', JSON.stringify({ taskId: 7, percent: 'lots' }));
  hub.handleMessage('p1:task:7:status', status(8, 3, 'downloading'));
  hub.handleMessage('p1:task:7:explode', '{}');
  hub.handleMessage('other:task:7:status', status(7, 3, 'downloading'));
  expect(got).toEqual([]);
  expect(await malformedCount(registry, 'bad_json')).toBe(1);
  expect(await malformedCount(registry, 'bad_payload')).toBe(1);
  expect(await malformedCount(registry, 'id_mismatch')).toBe(1);
  expect(await malformedCount(registry, 'bad_channel')).toBe(1);
  expect(await malformedCount(registry, 'foreign_prefix')).toBe(1);
  hub.handleMessage('p1:task:7:status', status(7, 3, 'completed'));
  expect(got).toHaveLength(2);
});

test("with an empty prefix the convention's bare channel names are heard", () => {
  const { hub } = setup('');
  const got: string[] = [];
  hub.subscribe({ kind: 'task', id: 9 }, (item) => {
    if (item !== RESYNC) got.push(item.id);
  });
  hub.handleMessage('task:9:progress', progress(9, 1, 5));
  expect(got).toHaveLength(1);
});

test('a listener that throws does not stop delivery to the others; unsubscribe stops delivery', () => {
  const { hub } = setup();
  let delivered = 0;
  hub.subscribe({ kind: 'task', id: 1 }, () => {
    throw new Error('boom');
  });
  const off = hub.subscribe({ kind: 'task', id: 1 }, () => delivered++);
  hub.handleMessage('p1:task:1:progress', progress(1, 1, 1));
  off();
  hub.handleMessage('p1:task:1:progress', progress(1, 1, 2));
  expect(delivered).toBe(1);
  expect(hub.listenerCount()).toEqual({ order: 0, task: 1, firehose: 0 });
});

test('event ids increase and progress carries a coalesce key, status none', () => {
  const { hub } = setup();
  const items: HubItem[] = [];
  hub.subscribe({ kind: 'order', id: 2 }, (item) => {
    if (item !== RESYNC) items.push(item);
  });
  hub.handleMessage('p1:task:5:progress', progress(5, 2, 1));
  hub.handleMessage('p1:task:5:status', status(5, 2, 'completed'));
  const [a, b] = items.map((item) => Number(item.id.split('-')[1]));
  expect(b! > a!).toBe(true);
  expect(items.map((item) => item.coalesceKey)).toEqual(['task:5', null]);
});

test('every valid live update, listened to or not, reaches the order progress relay', () => {
  const heard: string[] = [];
  const { hub } = setup('p1', (event) => heard.push(`${event.kind} ${event.data.orderId}`));
  hub.handleMessage('p1:task:5:progress', progress(5, 2, 1));
  hub.handleMessage('p1:task:6:progress', 'not json {');
  hub.handleMessage('p1:task:6:status', status(6, 4, 'completed'));
  hub.handleMessage('p1:task:7:progress', progress(7, 3, 1));
  hub.handleMessage('p2:task:8:progress', progress(8, 3, 1));
  expect(heard).toEqual(['task.progress 2', 'task.status 4', 'task.progress 3']);
});
