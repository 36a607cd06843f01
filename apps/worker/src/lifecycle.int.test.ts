import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  CourseManifest,
  redisNamespace,
  type TaskProgress,
  WorkerHeartbeat,
  workerHeartbeatKey,
} from '@paidflow/contracts';
import { downloadTasks, orderAuditLogs } from '@paidflow/db';
import { cancelTask } from '@paidflow/server/testing';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { RunningWorker } from './app.ts';
import { localTaskDirectory } from './destinations/local.ts';
import {
  createPaidOrder,
  type Pipeline,
  spawnWorkerProcess,
  startPipeline,
  type WorkerProcess,
  waitFor,
} from './testing/fixtures.ts';

let p: Pipeline;
const workers: RunningWorker[] = [];
const children: WorkerProcess[] = [];

beforeAll(async () => {
  p = await startPipeline('worker-lifecycle');
});
afterEach(async () => {
  for (const child of children.splice(0)) await child.kill();
  for (const worker of workers.splice(0)) await worker.close();
});
afterAll(async () => {
  await p?.close();
});

async function startWorker(overrides: Parameters<Pipeline['startWorker']>[0] = {}) {
  const worker = await p.startWorker(overrides);
  workers.push(worker);
  return worker;
}

async function taskOf(taskId: number) {
  const rows = await p.t.tdb.db.select().from(downloadTasks);
  return rows.find((row) => row.id === taskId)!;
}

async function eventsOf(taskId: number) {
  const rows = await p.t.tdb.db.select().from(orderAuditLogs);
  return rows
    .filter((row) => row.task_id === taskId)
    .sort((a, b) => a.id - b.id)
    .map((row) => row.event_type);
}

function progressOf(taskId: number): TaskProgress[] {
  return p.heard.filter((m) => m.channel === `task:${taskId}:progress`).map((m) => m.payload as TaskProgress);
}

async function waitForDownloading(taskId: number) {
  await waitFor(() => progressOf(taskId).some((m) => m.bytesDone > 0), 20_000, `task ${taskId} downloading`);
}

async function jobState(taskId: number) {
  const job = await p.t.server.deps.queue.getJob(`task-${taskId}-1`);
  return job ? { state: await job.getState(), attemptsMade: job.attemptsMade, value: job.returnvalue } : null;
}

function slowCourse(slug: string, seconds: number) {
  // Two files at 400 KB/s: `seconds` of download in all.
  return p.source.manifestUrl(slug, { files: 2, size: seconds * 200_000, bps: 400_000 });
}

test('a cancelled task stops its download and its job ends without an error', async () => {
  await startWorker();
  const { taskIds } = await createPaidOrder(p, [{ title: 'To cancel', url: slowCourse('cancel-me', 6) }]);
  const taskId = taskIds[0]!;
  await waitForDownloading(taskId);
  const outcome = await cancelTask(p.t.server.deps, { taskId, actor: { id: 1, email: 'op@paidflow.local' } });
  expect(outcome).toEqual({ ok: true });
  await waitFor(async () => (await jobState(taskId))?.state === 'completed', 10_000, 'job to end');
  expect((await jobState(taskId))!.value).toEqual({ outcome: 'cancelled' });
  expect((await taskOf(taskId)).status).toBe('cancelled');
  const events = await eventsOf(taskId);
  expect(events).toContain('task_cancel_requested');
  expect(events).not.toContain('task_completed');
  expect(events.some((type) => type.endsWith('_failed'))).toBe(false);
  // Nothing partial is left in storage and nothing was delivered.
  await expect(stat(path.join(p.storageDir, String(taskId)))).rejects.toThrow();
  expect((await readdir(p.deliveryDir).catch(() => [])).length).toBe(0);
  expect(progressOf(taskId).some((m) => m.percent === 100)).toBe(false);
});

test('graceful shutdown lets a running job finish and takes no new job', async () => {
  const worker = await startWorker({ WORKER_SHUTDOWN_GRACE_MS: '30000' });
  const first = await createPaidOrder(p, [{ title: 'Finishing', url: slowCourse('finish-me', 2) }]);
  const taskId = first.taskIds[0]!;
  await waitForDownloading(taskId);
  const closing = worker.close();
  // A job queued during shutdown stays on the queue for another worker.
  const second = await createPaidOrder(p, [{ title: 'Later', url: slowCourse('later', 1) }]);
  await closing;
  expect((await taskOf(taskId)).status).toBe('completed');
  expect((await jobState(taskId))!.state).toBe('completed');
  // Waiting with its order's priority (decision 046).
  await waitFor(
    async () => (await jobState(second.taskIds[0]!))?.state === 'prioritized',
    5_000,
    'job queued',
  );
  expect((await taskOf(second.taskIds[0]!)).status).toBe('queued');
  // The next worker takes it.
  await startWorker();
  await waitFor(async () => (await taskOf(second.taskIds[0]!)).status === 'completed', 20_000, 'later task');
});

test('past the grace period, shutdown releases the running job without using an attempt', async () => {
  const worker = await startWorker({ WORKER_SHUTDOWN_GRACE_MS: '300' });
  const { taskIds } = await createPaidOrder(p, [{ title: 'Released', url: slowCourse('release-me', 6) }]);
  const taskId = taskIds[0]!;
  await waitForDownloading(taskId);
  await worker.close();
  const released = await jobState(taskId);
  expect(released).toMatchObject({ state: 'prioritized', attemptsMade: 0 });
  const task = await taskOf(taskId);
  expect(task.status).toBe('downloading');
  expect(task.error_log).toBeNull();
  expect((await eventsOf(taskId)).some((type) => type.endsWith('_failed'))).toBe(false);
  // Another worker resumes it from the start and completes it.
  await startWorker();
  await waitFor(
    async () => (await taskOf(taskId)).status === 'completed',
    30_000,
    'released task to complete',
  );
  const events = await eventsOf(taskId);
  expect(events).toContain('task_requeued');
  expect(events.filter((type) => type === 'task_completed')).toHaveLength(1);
});

test('a worker killed with SIGKILL mid-download: its task is picked up again and completes', async () => {
  const env = p.workerEnv({
    HEALTH_PORT: '0',
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
  });
  const worker = spawnWorkerProcess(env);
  children.push(worker);
  const { child } = worker;
  const url = slowCourse('kill-me', 5);
  const { taskIds, code } = await createPaidOrder(p, [{ title: 'Survivor', url }]);
  const taskId = taskIds[0]!;
  await waitForDownloading(taskId);
  // The child's heartbeat is in Redis while it lives.
  const ns = redisNamespace(p.t.prefix);
  const beat = await p.t.server.deps.redis.get(ns.key(workerHeartbeatKey(env.WORKER_ID)));
  expect(WorkerHeartbeat.parse(JSON.parse(beat!))).toMatchObject({ workerId: env.WORKER_ID, pid: child.pid });
  await worker.kill();
  expect((await taskOf(taskId)).status).toBe('downloading');

  await startWorker({ WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' });
  await waitFor(async () => (await taskOf(taskId)).status === 'completed', 40_000, 'task to complete');
  const task = await taskOf(taskId);
  const manifest = CourseManifest.parse(await (await fetch(url)).json());
  for (const file of manifest.files) {
    const dir = localTaskDirectory(p.deliveryDir, { orderCode: code, taskId, title: task.title });
    expect((await stat(path.join(dir, file.name))).size).toBe(file.size);
  }
  const events = await eventsOf(taskId);
  expect(events).toContain('task_requeued');
  expect(events.filter((type) => type === 'task_completed')).toHaveLength(1);
  expect(progressOf(taskId).at(-1)!.percent).toBe(100);
});

test('a running worker keeps its heartbeat in Redis and removes it when it stops', async () => {
  const worker = await startWorker({ WORKER_ID: 'heartbeat-check', WORKER_CONCURRENCY: '2' });
  const ns = redisNamespace(p.t.prefix);
  const key = ns.key(workerHeartbeatKey('heartbeat-check'));
  const raw = await waitFor(() => p.t.server.deps.redis.get(key), 5_000, 'heartbeat');
  expect(WorkerHeartbeat.parse(JSON.parse(raw!))).toMatchObject({
    workerId: 'heartbeat-check',
    concurrency: 2,
    activeJobs: 0,
    healthUrl: `${worker.health.url}/healthz`,
  });
  expect(await p.t.server.deps.redis.ttl(key)).toBeGreaterThan(0);
  await worker.close();
  expect(await p.t.server.deps.redis.exists(key)).toBe(0);
});
