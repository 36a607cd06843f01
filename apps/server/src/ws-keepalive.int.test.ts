import { redisNamespace } from '@paidflow/contracts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import WebSocket from 'ws';
import { collect, liveClient, sendOrderSubscription } from './testing/live-client.ts';
import { createPaidOrder, createTestAdmin, type TestAdmin } from './testing/live-fixtures.ts';
import { startTestServer, type TestServer, waitFor } from './testing/pipeline-fixtures.ts';

const PING_MS = 200;
let t: TestServer;
let viewer: TestAdmin;
let publisher: Redis;

beforeAll(async () => {
  t = await startTestServer('ws_keepalive', {
    RECONCILE_INTERVAL_MS: '3600000',
    WS_PING_MS: String(PING_MS),
  });
  viewer = await createTestAdmin(t.server.deps, 'viewer');
  publisher = new Redis(t.server.deps.env.REDIS_URL);
});
afterAll(async () => {
  publisher?.disconnect();
  await t?.close();
});

test('a silent WebSocket is pinged, and terminated when it never answers; its subscription is released', async () => {
  const { orderId } = await createPaidOrder(t.server.deps.db, { statuses: ['downloading'] });
  const hub = t.server.deps.realtime!.hub;
  const socket = new WebSocket(`${t.server.url.replace(/^http/, 'ws')}/trpc`, {
    headers: { cookie: viewer.cookie },
    autoPong: false,
  });
  const pings: string[] = [];
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  socket.on('message', (raw) => {
    if (String(raw) === 'PING') pings.push('PING');
  });
  await new Promise((resolve) => socket.once('open', resolve));
  sendOrderSubscription(socket, orderId);
  await waitFor(() => hub.topicListenerCount({ kind: 'order', id: orderId }) === 1, 5_000, 'subscribed');
  // The client now stays silent: no PONG, nothing.
  const code = await closed;
  expect(pings.length).toBeGreaterThanOrEqual(1);
  expect(code).toBe(1006); // terminated, not closed politely
  await waitFor(() => hub.topicListenerCount({ kind: 'order', id: orderId }) === 0, 5_000, 'released');
});

test('the real client answers the pings: its connection outlives many ping intervals and keeps receiving', async () => {
  const { orderId, taskIds } = await createPaidOrder(t.server.deps.db, { statuses: ['downloading'] });
  const [taskId] = taskIds as [number];
  let closes = 0;
  const live = liveClient(t.server.url, viewer.cookie, { onClose: () => closes++ });
  try {
    const sub = collect((handlers) => live.client.events.order.subscribe({ orderId }, handlers));
    await waitFor(() => sub.events.length >= 1, 10_000, 'snapshot');
    await new Promise((resolve) => setTimeout(resolve, PING_MS * 8));
    expect(closes).toBe(0);
    expect(sub.events.filter((event) => event.data.kind === 'snapshot')).toHaveLength(1);
    const progress = { taskId, orderId, percent: 42, currentFile: 'a.mp4', bytesDone: 42, bytesTotal: 100 };
    await publisher.publish(
      redisNamespace(t.prefix).channel(`task:${taskId}:progress`),
      JSON.stringify({ ...progress, speed: 1, etaSeconds: 1, timestamp: Date.now() }),
    );
    await waitFor(() => sub.events.some((event) => event.data.kind === 'task.progress'), 5_000, 'progress');
    sub.unsubscribe();
  } finally {
    await live.close();
  }
});
