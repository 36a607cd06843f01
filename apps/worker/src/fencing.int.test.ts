// The two ways a task once got two live runs, or none: Redis restarted empty under running
// downloads, and a worker killed again and again while it held the same jobs (decision 013).
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CourseManifest, redisNamespace, WorkerHeartbeat, workerHeartbeatKey } from '@paidflow/contracts';
import { downloadTasks, orderAuditLogs, orders } from '@paidflow/db';
import { type PrivateRedis, startPrivateRedis } from '@paidflow/server/testing';
import { afterEach, expect, test } from 'vitest';
import { localTaskDirectory } from './destinations/local.ts';
import {
  createPaidOrder,
  type Pipeline,
  spawnWorkerProcess,
  startPipeline,
  type WorkerProcess,
  waitFor,
} from './testing/fixtures.ts';

const RECONCILE_FAST = { RECONCILE_INTERVAL_MS: '1000', RECONCILE_STALE_SECONDS: '0' };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tasksOf(p: Pipeline, taskIds: number[]) {
  const rows = await p.t.tdb.db.select().from(downloadTasks);
  return taskIds.map((id) => rows.find((row) => row.id === id)!);
}

async function eventsOf(p: Pipeline, taskId: number) {
  const rows = await p.t.tdb.db.select().from(orderAuditLogs);
  return rows.filter((row) => row.task_id === taskId).sort((a, b) => a.id - b.id);
}

function downloading(p: Pipeline, taskIds: number[], since: number) {
  return taskIds.every((id) =>
    p.heard.some(
      (m) => m.channel === `task:${id}:progress` && m.at >= since && Number(m.payload.bytesDone) > 0,
    ),
  );
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

/** Every delivered file of every task is whole: its manifest's size and sha256, where the customer reads it. */
async function expectDeliveredWhole(p: Pipeline, courses: Array<{ url: string }>, taskIds: number[]) {
  const tasks = await tasksOf(p, taskIds);
  const codes = new Map(
    (await p.t.tdb.db.select().from(orders)).map((order) => [order.id, order.order_code]),
  );
  for (const [i, task] of tasks.entries()) {
    const manifest = CourseManifest.parse(await (await fetch(courses[i]!.url)).json());
    const orderCode = codes.get(task.order_id)!;
    const dir = localTaskDirectory(p.deliveryDir, { orderCode, taskId: task.id, title: task.title });
    expect((await readdir(dir)).sort()).toEqual(manifest.files.map((file) => file.name).sort());
    for (const file of manifest.files) {
      const target = path.join(dir, file.name);
      expect((await stat(target)).size, target).toBe(file.size);
      expect(await sha256(target), target).toBe(file.sha256);
    }
  }
}

/**
 * No task ever had two live runs: the run tokens its audit trail carries never go back (a run's
 * report after a newer run started would), and the server refused no report of a superseded run.
 */
async function expectOneLiveRunAtATime(p: Pipeline, taskIds: number[]) {
  for (const taskId of taskIds) {
    const tokens = (await eventsOf(p, taskId))
      .map((event) => (event.details as { runToken?: number } | null)?.runToken)
      .filter((token): token is number => typeof token === 'number');
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens, `task ${taskId}`).toEqual([...tokens].sort((a, b) => a - b));
  }
  const metrics = await (await fetch(`${p.t.server.url}/metrics`)).text();
  expect(metrics).not.toMatch(/paidflow_worker_reports_refused_total\{[^}]*\} [1-9]/);
}

test('Redis restarted empty mid-download: the running downloads stay the only runs, and every file is whole', async () => {
  const redis: PrivateRedis = await startPrivateRedis();
  cleanups.push(() => redis.close());
  const p = await startPipeline('fence-redis', { REDIS_URL: redis.url, ...RECONCILE_FAST });
  cleanups.push(() => p.close());
  await p.startWorker({ WORKER_CONCURRENCY: '3' });
  await p.startWorker({ WORKER_CONCURRENCY: '3' });
  // Five throttled courses: about 8 s of download each, so that Redis goes away mid-way.
  const courses = Array.from({ length: 5 }, (_, i) => ({
    title: `Long course ${i}`,
    url: p.source.manifestUrl(`redis-loss-${i}`, { files: 3, size: 400_000, bps: 150_000 }),
  }));
  const { orderId, taskIds } = await createPaidOrder(p, courses);
  await waitFor(() => downloading(p, taskIds, 0), 20_000, 'every task downloading');

  await redis.restartEmpty();
  // The jobs are gone with Redis's data, but the runs are alive: the reconciler, passing every
  // second, must leave them be, however long they still take.
  await waitFor(
    async () => (await tasksOf(p, taskIds)).every((task) => task.status === 'completed'),
    60_000,
    'every task to complete',
  );

  for (const taskId of taskIds) {
    const types = (await eventsOf(p, taskId)).map((event) => event.event_type);
    // One run each: enrolled once, completed once, nothing lost, nothing requeued.
    expect(
      types.filter((type) => type === 'enrollment_success'),
      `task ${taskId}`,
    ).toHaveLength(1);
    expect(types.filter((type) => type === 'task_completed')).toHaveLength(1);
    expect(types).not.toContain('task_requeued');
    expect(types.some((type) => type.endsWith('_failed'))).toBe(false);
  }
  await expectOneLiveRunAtATime(p, taskIds);
  await expectDeliveredWhole(p, courses, taskIds);
  const orderEvents = (await p.t.tdb.db.select().from(orderAuditLogs)).filter((e) => e.order_id === orderId);
  expect(orderEvents.filter((e) => e.event_type === 'order_completed')).toHaveLength(1);
  // No scratch space is left behind.
  expect(await readdir(p.storageDir).catch(() => [])).toEqual([]);
}, 120_000);

test('a worker SIGKILLed three times while it holds the same jobs: every task ends, each lost attempt recorded once', async () => {
  const p = await startPipeline('fence-kill', RECONCILE_FAST);
  cleanups.push(() => p.close());
  const children: WorkerProcess[] = [];
  cleanups.push(async () => {
    for (const child of children) await child.kill();
  });
  const fastStall = {
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    WORKER_CONCURRENCY: '4',
  };
  // Four courses of about 10 s each: a "poison" batch that keeps its worker busy until it dies.
  const courses = Array.from({ length: 4 }, (_, i) => ({
    title: `Poison course ${i}`,
    url: p.source.manifestUrl(`poison-${i}`, { files: 2, size: 1_000_000, bps: 200_000 }),
  }));
  const { orderId, taskIds } = await createPaidOrder(p, courses);
  const jobIds = taskIds.map((id) => `task-${id}-1`);
  const ns = redisNamespace(p.t.prefix);

  for (let kill = 1; kill <= 3; kill++) {
    const workerId = `doomed-${kill}`;
    const started = Date.now();
    const child = spawnWorkerProcess(
      p.workerEnv({ ...fastStall, HEALTH_PORT: '0', WORKER_ID: workerId, LOG_LEVEL: 'info' }),
    );
    children.push(child);
    // It holds the same four jobs (its heartbeat lists each, claimed) and downloads them.
    await waitFor(
      async () => {
        const raw = await p.t.server.deps.redis.get(ns.key(workerHeartbeatKey(workerId)));
        if (!raw) return false;
        const { runs } = WorkerHeartbeat.parse(JSON.parse(raw));
        return jobIds.every((jobId) => runs.some((run) => run.jobId === jobId && run.runToken !== null));
      },
      30_000,
      `worker ${kill} to hold the jobs`,
    );
    await waitFor(() => downloading(p, taskIds, started), 20_000, `worker ${kill} downloading`);
    await child.kill();
  }

  // A healthy worker: BullMQ fails the jobs as stalled once too often, the reconciler brings each
  // lost attempt to MySQL once the dead worker's heartbeat has expired, and the tasks run again.
  await p.startWorker(fastStall);
  await waitFor(
    async () => (await tasksOf(p, taskIds)).every((task) => task.status === 'completed'),
    90_000,
    'every task to complete',
  );

  for (const taskId of taskIds) {
    const events = await eventsOf(p, taskId);
    const lost = events.filter((event) => event.error_type === 'WORKER_LOST');
    expect(
      lost.map((event) => event.event_type),
      `task ${taskId}`,
    ).toEqual(['download_failed', 'download_retry_scheduled']);
    expect(lost[0]).toMatchObject({
      source: 'reconciler',
      dedupe_key: expect.stringMatching(new RegExp(`^failure:task-${taskId}-1:1:`)),
    });
    expect(lost[0]!.message).toMatch(/stalled more than allowable limit/);
    expect(events.filter((event) => event.event_type === 'task_completed')).toHaveLength(1);
    // The stalled-out job was brought to MySQL and removed; the task's second job did the work.
    expect(await p.t.server.deps.queue.getJob(`task-${taskId}-1`)).toBeUndefined();
    const second = await p.t.server.deps.queue.getJob(`task-${taskId}-2`);
    expect(second?.data).toMatchObject({ reason: 'reconcile', attemptsBefore: 1 });
  }
  const [first] = await tasksOf(p, taskIds);
  expect(first!.error_log?.history.map((entry) => entry.type)).toEqual(['WORKER_LOST']);
  await expectOneLiveRunAtATime(p, taskIds);
  await expectDeliveredWhole(p, courses, taskIds);
  for (const child of children) expect(child.lines.join('\n')).not.toMatch(/superseded/);
  const orderEvents = (await p.t.tdb.db.select().from(orderAuditLogs)).filter((e) => e.order_id === orderId);
  expect(orderEvents.filter((e) => e.event_type === 'order_completed')).toHaveLength(1);
}, 180_000);
