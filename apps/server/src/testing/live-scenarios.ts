// Test helpers (not shipped code paths): live-subscription scenarios that the single-Redis
// (ws.int.test.ts) and the Redis Cluster (ws.cluster.test.ts) tests both run.
import type { LiveEvent, TaskProgress, TaskStatusEvent } from '@paidflow/contracts';
import { transitionTask } from '@paidflow/db';
import { expect } from 'vitest';
import type { AppDeps } from '../deps.ts';
import { publishLive } from '../realtime/publisher.ts';
import { collect, type LiveClient, type liveClient } from './live-client.ts';
import { createPaidOrder } from './live-fixtures.ts';
import { waitFor } from './pipeline-fixtures.ts';

export interface LiveScenario {
  deps: AppDeps;
  /** A viewer's session cookie. */
  cookie: string;
  /** A live client of the server under test (closed by the test's own cleanup). */
  client(cookie: string | null, options?: Parameters<typeof liveClient>[2]): LiveClient;
  /** PUBLISH as any publisher following the convention would: the prefixed channel, raw JSON. */
  publishRaw(channel: string, payload: unknown): Promise<void>;
}

/** A valid task progress message. */
export function taskProgress(taskId: number, orderId: number, percent: number): TaskProgress {
  return {
    taskId,
    orderId,
    phase: 'download',
    percent,
    currentFile: 'lesson.mp4',
    bytesDone: percent * 10,
    bytesTotal: 1000,
    speed: 1000,
    etaSeconds: 1,
    timestamp: Date.now(),
  };
}

/** A valid task status message. */
export function taskStatus(
  taskId: number,
  orderId: number,
  previous: TaskStatusEvent['previousStatus'],
  next: TaskStatusEvent['newStatus'],
): TaskStatusEvent {
  return { taskId, orderId, previousStatus: previous, newStatus: next, timestamp: Date.now() };
}

export function kinds(events: Array<{ data: LiveEvent }>): string[] {
  return events.map((event) => event.data.kind);
}

/** events.order starts with a snapshot, then delivers typed progress and status published on Redis. */
export async function snapshotThenLiveEvents(s: LiveScenario): Promise<void> {
  const { orderId, taskIds } = await createPaidOrder(s.deps.db, { statuses: ['downloading', 'queued'] });
  const [taskId] = taskIds as [number];
  const { client: api } = s.client(s.cookie);
  const sub = collect((handlers) => api.events.order.subscribe({ orderId }, handlers));
  await waitFor(() => sub.events.length >= 1, 10_000, 'snapshot');
  const snapshot = sub.events[0]!.data;
  expect(snapshot).toMatchObject({
    kind: 'snapshot',
    reason: 'subscribe',
    order: { orderId, status: 'processing' },
  });
  expect(snapshot.kind === 'snapshot' && snapshot.tasks.map((task) => task.status)).toEqual([
    'downloading',
    'queued',
  ]);

  await s.publishRaw(`task:${taskId}:progress`, taskProgress(taskId, orderId, 37));
  await s.publishRaw(`task:${taskId}:status`, taskStatus(taskId, orderId, 'downloading', 'uploading'));
  await waitFor(() => sub.events.length >= 3, 10_000, 'live events');
  expect(kinds(sub.events)).toEqual(['snapshot', 'task.progress', 'task.status']);
  const live = sub.events[1]!.data;
  expect(live.kind === 'task.progress' && live.data.percent).toBe(37);
  // Tracked ids are distinct strings, one per message.
  expect(new Set(sub.messages.map((message) => message.id)).size).toBe(sub.messages.length);
  sub.unsubscribe();
}

/** A client that reconnects with lastEventId after its task finished ends on the final state. */
export async function resumeAfterReconnect(s: LiveScenario): Promise<void> {
  const { orderId, taskIds } = await createPaidOrder(s.deps.db, { statuses: ['downloading'] });
  const [taskId] = taskIds as [number];
  const live = s.client(s.cookie, { retryDelayMs: 400 });
  const sub = collect((handlers) => live.client.events.order.subscribe({ orderId }, handlers));
  await waitFor(() => sub.events.length >= 1, 10_000, 'snapshot');
  await s.publishRaw(`task:${taskId}:progress`, taskProgress(taskId, orderId, 60));
  await waitFor(() => sub.events.length >= 2, 10_000, 'progress 60');

  // The connection drops; meanwhile the task finishes (the live messages are missed).
  live.wsClient.connection?.ws.close();
  await waitFor(() => live.wsClient.connection?.state !== 'open', 5_000, 'disconnect');
  await transitionTask(s.deps.db, { taskId, to: 'completed', patch: { progress: 100 } });
  await publishLive(s.deps, 'task', taskId, 'progress', taskProgress(taskId, orderId, 100));
  await publishLive(s.deps, 'task', taskId, 'status', taskStatus(taskId, orderId, 'uploading', 'completed'));

  await waitFor(
    () => sub.events.some((event) => event.data.kind === 'snapshot' && event.data.reason === 'resume'),
    10_000,
    'resume snapshot',
  );
  const resumed = sub.events.find(
    (event) => event.data.kind === 'snapshot' && event.data.reason === 'resume',
  )!.data;
  expect(resumed.kind === 'snapshot' && resumed.tasks[0]).toMatchObject({
    taskId,
    status: 'completed',
    percent: 100,
  });
  const last = sub.events[sub.events.length - 1]!.data;
  expect(
    last.kind === 'snapshot' || (last.kind === 'task.status' && last.data.newStatus === 'completed'),
  ).toBe(true);
  sub.unsubscribe();
}
