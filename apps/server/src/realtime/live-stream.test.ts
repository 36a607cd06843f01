import { type LiveSnapshot, type LiveUpdate, redisNamespace } from '@paidflow/contracts';
import { createLogger } from '@paidflow/runtime';
import { Registry } from 'prom-client';
import { afterEach, expect, test } from 'vitest';
import { createRealtimeHub, type RealtimeHub } from './hub.ts';
import { type LiveStreamOptions, liveStream } from './live-stream.ts';
import { createRealtimeMetrics } from './metrics.ts';

let hub: RealtimeHub | undefined;
afterEach(async () => {
  await hub?.stop();
});

function setup() {
  const metrics = createRealtimeMetrics(new Registry());
  hub = createRealtimeHub({
    redis: { url: 'redis://127.0.0.1:6379' },
    namespace: redisNamespace('t'),
    logger: createLogger('silent'),
    metrics,
  });
  return { hub, metrics };
}

const snapshotOf = (reason: LiveSnapshot['reason']): LiveSnapshot => ({
  kind: 'snapshot',
  reason,
  order: null,
  tasks: [],
  liveAvailable: true,
  at: Date.now(),
});

/** A stream of order 1 with a plain snapshot; a test passes only what differs. */
function openStream(
  deps: Pick<LiveStreamOptions, 'hub' | 'metrics'>,
  overrides: Partial<LiveStreamOptions> = {},
): ReturnType<typeof liveStream> {
  return liveStream({
    ...deps,
    logger: createLogger('silent'),
    topic: { kind: 'order', id: 1 },
    signal: undefined,
    snapshot: async (reason) => snapshotOf(reason),
    ...overrides,
  });
}

function progress(taskId: number, percent: number, timestamp = Date.now()) {
  return JSON.stringify({
    taskId,
    orderId: 1,
    percent,
    currentFile: null,
    bytesDone: 0,
    bytesTotal: 0,
    speed: 0,
    etaSeconds: null,
    timestamp,
  });
}

function status(taskId: number, newStatus: string) {
  return JSON.stringify({ taskId, orderId: 1, previousStatus: null, newStatus, timestamp: Date.now() });
}

test('the stream starts with a snapshot, then live events with tracked ids', async () => {
  const { hub, metrics } = setup();
  const controller = new AbortController();
  const stream = openStream({ hub, metrics }, { signal: controller.signal });
  const first = await stream.next();
  expect(first.value?.[1]).toMatchObject({ kind: 'snapshot', reason: 'subscribe' });
  hub.handleMessage('t:task:4:status', status(4, 'downloading'));
  const second = await stream.next();
  expect(second.value?.[1]).toMatchObject({
    kind: 'task.status',
    data: { taskId: 4, newStatus: 'downloading' },
  });
  expect(second.value?.[0]).not.toBe(first.value?.[0]);
  controller.abort();
  expect((await stream.next()).done).toBe(true);
  expect(hub.listenerCount().order).toBe(0);
});

test('a reconnect (lastEventId) starts with a resume snapshot', async () => {
  const stream = openStream(setup(), { topic: { kind: 'firehose' }, lastEventId: 'abc-12' });
  expect((await stream.next()).value?.[1]).toMatchObject({ kind: 'snapshot', reason: 'resume' });
  await stream.return(undefined);
});

test('updates that piled up go out as one batch: latest progress per task, every status change', async () => {
  const { hub, metrics } = setup();
  const stream = openStream({ hub, metrics });
  await stream.next(); // snapshot; the consumer now stops reading for a while
  for (let i = 1; i <= 500; i++) {
    hub.handleMessage('t:task:1:progress', progress(1, i / 5));
    hub.handleMessage('t:task:2:progress', progress(2, i / 5));
    if (i === 250) hub.handleMessage('t:task:3:status', status(3, 'completed'));
  }
  const { value } = await stream.next();
  const message = value![1];
  expect(message.kind).toBe('batch');
  const events: LiveUpdate[] = message.kind === 'batch' ? message.events : [];
  expect(
    events.map((event) =>
      event.kind === 'task.progress' ? `p${event.data.taskId}=${event.data.percent}` : event.kind,
    ),
  ).toEqual(['task.status', 'p1=100', 'p2=100']);
  expect(value![0]).toMatch(/-\d+$/);
  const coalesced = await metrics.coalesced.get();
  expect(coalesced.values[0]?.value).toBe(998);
  // A lone update is sent as itself.
  hub.handleMessage('t:task:1:status', status(1, 'completed'));
  expect((await stream.next()).value?.[1]).toMatchObject({
    kind: 'task.status',
    data: { newStatus: 'completed' },
  });
  await stream.return(undefined);
});

test('past the bound of pending status events, the subscription fails instead of growing', async () => {
  const { hub, metrics } = setup();
  const stream = openStream({ hub, metrics }, { limit: 10 });
  await stream.next();
  for (let i = 0; i < 11; i++) hub.handleMessage('t:task:1:status', status(1, 'downloading'));
  await expect(stream.next()).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
  expect((await metrics.overflows.get()).values[0]?.value).toBe(1);
  expect(hub.listenerCount().order).toBe(0);
});

test('progress the snapshot already covers is dropped from what was pending', async () => {
  const { hub, metrics } = setup();
  const stamp = Date.now();
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const stream = openStream(
    { hub, metrics },
    {
      snapshot: async (reason) => {
        await gate;
        const progressPayload = JSON.parse(progress(1, 50, stamp));
        return {
          ...snapshotOf(reason),
          tasks: [
            {
              taskId: 1,
              orderId: 1,
              title: 'A',
              status: 'downloading',
              percent: 50,
              currentFile: null,
              progress: progressPayload,
              error: null,
              updatedAt: stamp,
            },
          ],
        };
      },
    },
  );
  const first = stream.next();
  // Published while the snapshot is being read: one older than it, one newer.
  await new Promise((resolve) => setTimeout(resolve, 10));
  hub.handleMessage('t:task:1:progress', progress(1, 40, stamp - 10));
  hub.handleMessage('t:task:2:progress', progress(2, 70, stamp + 10));
  release();
  expect((await first).value?.[1].kind).toBe('snapshot');
  const next = (await stream.next()).value?.[1];
  expect(next).toMatchObject({ kind: 'task.progress', data: { taskId: 2, percent: 70 } });
  await stream.return(undefined);
});
