import { DOWNLOAD_QUEUE, redisNamespace, workerHeartbeatKey } from '@paidflow/contracts';
import {
  downloadTasks,
  enqueueDownloads,
  markOutboxDispatched,
  orderAuditLogs,
  orders,
  pendingOutboxRows,
  transitionTask,
} from '@paidflow/db';
import { UnrecoverableError, Worker } from 'bullmq';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { callerFor, orderRow } from '../testing/live-fixtures.ts';
import {
  auditEventsOf,
  createOrder,
  deleteRedisPrefix,
  postWebhook,
  sepayTransaction,
  startTestServer,
  type TestServer,
  waitFor,
} from '../testing/pipeline-fixtures.ts';
import { reconcileOnce } from './reconciler.ts';

let t: TestServer;

beforeAll(async () => {
  // The drainer polls rarely here, so that a row left in the outbox stays there during a test.
  t = await startTestServer('reconciler', { OUTBOX_POLL_MS: '60000' });
});
afterAll(async () => {
  await t?.close();
});

async function tasksOf(orderId: number) {
  return t.tdb.db
    .select()
    .from(downloadTasks)
    .where(eq(downloadTasks.order_id, orderId))
    .orderBy(downloadTasks.id);
}

/** What happens when Redis loses its data: every key of the queue is gone. */
async function flushQueue() {
  const ns = redisNamespace(t.prefix);
  await deleteRedisPrefix(t.server.deps.env.REDIS_URL, ns.queuePrefix);
}

test('tasks whose jobs the queue lost are queued again with new job ids, once', async () => {
  const { orderId, code, total, taskIds } = await createOrder(t.tdb.db, { tasks: 2 });
  expect((await postWebhook(t.server.url, sepayTransaction(code, total))).status).toBe(200);
  await waitFor(async () => (await pendingOutboxRows(t.tdb.db)).length === 0, 10_000, 'the first dispatch');
  const { queue } = t.server.deps;
  expect(await queue.getJob(`task-${taskIds[0]}-1`)).toBeTruthy();
  // One task was mid-download when Redis lost everything.
  await transitionTask(t.tdb.db, { taskId: taskIds[1]!, to: 'downloading' });

  // Nothing is lost yet: nothing to do.
  expect((await reconcileOnce(t.server.deps, { staleSeconds: 0, lostAfterMs: 0 })).requeued).toEqual([]);

  await flushQueue();
  expect(await queue.getJob(`task-${taskIds[0]}-1`)).toBeUndefined();
  const result = await reconcileOnce(t.server.deps, { staleSeconds: 0, lostAfterMs: 0 });
  expect(result.requeued.sort()).toEqual([...taskIds].sort());

  const tasks = await tasksOf(orderId);
  expect(tasks.map((task) => [task.status, task.queue_generation])).toEqual([
    ['queued', 2],
    ['queued', 2],
  ]);
  const [order] = await t.tdb.db.select().from(orders).where(eq(orders.id, orderId));
  expect(order!.active_tasks).toBe(2);
  const events = await t.tdb.db.select().from(orderAuditLogs).where(eq(orderAuditLogs.order_id, orderId));
  const requeued = events.filter((event) => event.event_type === 'task_requeued');
  expect(requeued.map((event) => event.previous_status).sort()).toEqual(['downloading', 'queued']);
  expect(requeued[0]).toMatchObject({ severity: 'warning', source: 'reconciler' });

  await waitFor(
    async () => (await pendingOutboxRows(t.tdb.db)).length === 0,
    10_000,
    'the new jobs to dispatch',
  );
  for (const id of taskIds)
    expect((await queue.getJob(`task-${id}-2`))?.data).toMatchObject({ reason: 'reconcile' });
  // The queue knows them again: a second pass leaves them alone.
  expect((await reconcileOnce(t.server.deps, { staleSeconds: 0, lostAfterMs: 0 })).requeued).toEqual([]);
});

test('a task changed recently, or whose job still waits in the outbox, is left alone', async () => {
  const { orderId, taskIds } = await createOrder(t.tdb.db, { tasks: 2 });
  const [recent, waiting] = taskIds as [number, number];
  await t.tdb.db
    .update(orders)
    .set({ payment_status: 'paid', order_status: 'processing' })
    .where(eq(orders.id, orderId));
  await transitionTask(t.tdb.db, { taskId: recent, to: 'queued' });
  await transitionTask(t.tdb.db, { taskId: waiting, to: 'queued' });
  // The waiting task's job is written to the outbox but not yet on the queue (nobody kicked the drainer).
  await enqueueDownloads(t.tdb.db, [{ taskId: waiting, orderId }], 'payment');
  // The other one's row went out, but its job never made it (Redis lost it).
  await enqueueDownloads(t.tdb.db, [{ taskId: recent, orderId }], 'payment');
  const rows = await pendingOutboxRows(t.tdb.db, 'download');
  const sent = rows.filter((row) => (row.payload as { taskId: number }).taskId === recent);
  await markOutboxDispatched(
    t.tdb.db,
    sent.map((row) => row.id),
  );

  const deps = { ...t.server.deps, kickOutbox: () => {} };
  // 60 s of staleness: the task queued a moment ago is not checked at all.
  const patient = await reconcileOnce(deps, { staleSeconds: 60, lostAfterMs: 0 });
  expect(patient.requeued).not.toContain(recent);
  const eager = await reconcileOnce(deps, { staleSeconds: 0, lostAfterMs: 0 });
  expect(eager.requeued).toContain(recent);
  expect(eager.requeued).not.toContain(waiting);
});

/** A paid order's task, claimed by a worker and downloading, as a live run leaves it. */
async function downloadingTask(attempt = 1) {
  const { orderId, code, total, taskIds } = await createOrder(t.tdb.db, { tasks: 1 });
  expect((await postWebhook(t.server.url, sepayTransaction(code, total))).status).toBe(200);
  await t.server.deps.kickOutbox();
  const taskId = taskIds[0]!;
  const jobId = `task-${taskId}-1`;
  await waitFor(async () => (await t.server.deps.queue.getJob(jobId)) !== undefined, 10_000, 'the job');
  const api = await callerFor(t.server.deps, { kind: 'worker' });
  const claim = await api.worker.claim({ taskId, jobId, attempt });
  if (!claim.proceed) throw new Error(claim.reason);
  const run = { taskId, jobId, runToken: claim.runToken };
  await api.worker.transition({ ...run, to: 'enrolled' });
  await api.worker.transition({ ...run, to: 'downloading' });
  return { orderId, taskId, jobId, run, api };
}

/** Ends a job in BullMQ's failed set without its worker's report, as a stalled-out job ends. */
async function failInQueue(jobId: string, reason: string) {
  const ns = redisNamespace(t.prefix);
  const worker = new Worker(
    DOWNLOAD_QUEUE,
    async (job) => {
      if (job.id !== jobId) throw new Error('not this one');
      throw new UnrecoverableError(reason);
    },
    { connection: { url: t.server.deps.env.REDIS_URL }, prefix: ns.queuePrefix },
  );
  try {
    await waitFor(
      async () => (await t.server.deps.queue.getJob(jobId).then((job) => job?.getState())) === 'failed',
      10_000,
      'the job to fail',
    );
  } finally {
    await worker.close();
  }
}

/** A live worker's heartbeat that lists `runs` (for a minute); returns its key. */
async function writeHeartbeat(
  workerId: string,
  runs: Array<{ taskId: number; jobId: string; runToken: number }>,
) {
  const key = redisNamespace(t.prefix).key(workerHeartbeatKey(workerId));
  const now = Date.now();
  const beat = {
    workerId,
    hostname: 'h',
    pid: 1,
    concurrency: 1,
    activeJobs: runs.length,
    startedAt: now,
    lastSeen: now,
    healthUrl: null,
    runs,
  };
  await t.server.deps.redis.set(key, JSON.stringify(beat), 'EX', 60);
  return key;
}

async function taskRow(taskId: number) {
  const [row] = await t.tdb.db.select().from(downloadTasks).where(eq(downloadTasks.id, taskId));
  return row!;
}

test('a job BullMQ failed on its own (stalled out): its attempt is recorded once as WORKER_LOST, then retried on a new job', async () => {
  const { orderId, taskId, jobId, run, api } = await downloadingTask();
  await failInQueue(jobId, 'job stalled more than allowable limit');
  const result = await reconcileOnce(t.server.deps, { staleSeconds: 0, lostAfterMs: 0 });
  expect(result.requeued).toContain(taskId);
  const task = await taskRow(taskId);
  expect(task).toMatchObject({ status: 'queued', queue_generation: 2, run_attempt: null, attempts: 1 });
  expect(task.run_token).toBeGreaterThan(run.runToken);
  expect(task.error_log?.last).toMatchObject({ type: 'WORKER_LOST', attempt: 1, step: 'download' });

  const events = (await auditEventsOf(t.tdb.db, orderId)).filter((event) => event.task_id === taskId);
  const lost = events.filter((event) => event.error_type === 'WORKER_LOST');
  expect(lost.map((event) => event.event_type)).toEqual(['download_failed', 'download_retry_scheduled']);
  expect(lost[0]).toMatchObject({
    severity: 'error',
    source: 'reconciler',
    dedupe_key: expect.stringMatching(new RegExp(`^failure:${jobId}:1:`)),
  });
  expect(lost[0]!.message).toMatch(/stalled more than allowable limit/);
  expect(lost[1]!.details).toMatchObject({ newJobId: `task-${taskId}-2`, nextAttempt: 2 });

  // The new job numbers its attempts after the lost one, out of the same budget; the old one is gone.
  await waitFor(
    async () => (await t.server.deps.queue.getJob(`task-${taskId}-2`)) !== undefined,
    10_000,
    'job 2',
  );
  const next = (await t.server.deps.queue.getJob(`task-${taskId}-2`))!;
  expect(next.data).toMatchObject({ reason: 'reconcile', attemptsBefore: 1 });
  expect(next.opts.attempts).toBe(2);
  expect(await t.server.deps.queue.getJob(jobId)).toBeUndefined();

  // The lost run, should it still be alive somewhere, is fenced: each of its reports is refused.
  for (const report of [
    () => api.worker.transition({ ...run, to: 'uploading' }),
    () => api.worker.complete({ ...run, driveLink: 'file:///x', files: 1, bytes: 1, durationMs: 1 }),
  ]) {
    await expect(report()).rejects.toMatchObject({ code: 'CONFLICT' });
  }
  expect((await taskRow(taskId)).status).toBe('queued');
  const metrics = await (await fetch(`${t.server.url}/metrics`)).text();
  expect(metrics).toMatch(/paidflow_lost_runs_total\{job_state="failed"\} [1-9]/);
  expect(metrics).toMatch(/paidflow_worker_reports_refused_total\{procedure="complete"\} [1-9]/);

  // Brought to MySQL once: a second pass finds nothing to do.
  const again = await reconcileOnce(t.server.deps, { staleSeconds: 0, lostAfterMs: 0 });
  expect(again.requeued).not.toContain(taskId);
  expect((await auditEventsOf(t.tdb.db, orderId)).filter((e) => e.error_type === 'WORKER_LOST')).toHaveLength(
    2,
  );
});

test('a run a live worker lists is never lost; a missing job counts as lost only once it stayed missing for lostAfterMs', async () => {
  const { taskId, jobId, run } = await downloadingTask();
  await (await t.server.deps.queue.getJob(jobId))!.remove();
  // The worker that runs it is alive: its heartbeat lists the run.
  const key = await writeHeartbeat('reconciler-test', [run]);
  expect((await reconcileOnce(t.server.deps, { staleSeconds: 0, lostAfterMs: 0 })).requeued).not.toContain(
    taskId,
  );
  expect((await taskRow(taskId)).status).toBe('downloading');

  // The worker is gone too. Missing for less than lostAfterMs: not yet.
  await t.server.deps.redis.del(key);
  const suspects = new Map<string, number>();
  const patient = { staleSeconds: 0, lostAfterMs: 60_000, suspects };
  expect((await reconcileOnce(t.server.deps, patient)).requeued).not.toContain(taskId);
  expect(suspects.has(jobId)).toBe(true);
  expect((await taskRow(taskId)).status).toBe('downloading');
  // Seen missing for long enough: lost.
  suspects.set(jobId, Date.now() - 61_000);
  expect((await reconcileOnce(t.server.deps, patient)).requeued).toContain(taskId);
  expect(await taskRow(taskId)).toMatchObject({ status: 'queued', queue_generation: 2 });
  expect(suspects.has(jobId)).toBe(false);
});

test("a lost run that was the task's last attempt fails it for good, and the order ends once", async () => {
  const { orderId, taskId, jobId } = await downloadingTask(3);
  await failInQueue(jobId, 'job stalled more than allowable limit');
  const result = await reconcileOnce(t.server.deps, { staleSeconds: 0, lostAfterMs: 0 });
  expect(result.failed).toContain(taskId);
  expect(await taskRow(taskId)).toMatchObject({ status: 'failed', run_attempt: null });
  expect(await orderRow(t.tdb.db, orderId)).toMatchObject({ order_status: 'failed', failed_tasks: 1 });
  const events = await auditEventsOf(t.tdb.db, orderId);
  expect(events.filter((e) => e.event_type === 'task_failed')).toMatchObject([{ error_type: 'WORKER_LOST' }]);
  expect(events.filter((e) => e.event_type === 'order_completed')).toHaveLength(1);
  // The job stays in the failed set: it is the dead letter an operator retries.
  expect(await (await t.server.deps.queue.getJob(jobId))!.getState()).toBe('failed');
});

test('a heartbeat listing an older run of the job does not keep the current run alive', async () => {
  const { taskId, jobId, run } = await downloadingTask();
  // The same job was claimed again (a stalled run re-run): a live worker still holds the old run.
  const api = await callerFor(t.server.deps, { kind: 'worker' });
  const again = await api.worker.claim({ taskId, jobId, attempt: 1 });
  if (!again.proceed) throw new Error(again.reason);
  await (await t.server.deps.queue.getJob(jobId))!.remove();
  const key = await writeHeartbeat('old-run-holder', [run]);
  try {
    expect((await reconcileOnce(t.server.deps, { staleSeconds: 0, lostAfterMs: 0 })).requeued).toContain(
      taskId,
    );
  } finally {
    await t.server.deps.redis.del(key);
  }
});

test('a job BullMQ failed before any run could claim its task costs an attempt, so it cannot come back for ever', async () => {
  const { orderId, code, total, taskIds } = await createOrder(t.tdb.db, { tasks: 1 });
  expect((await postWebhook(t.server.url, sepayTransaction(code, total))).status).toBe(200);
  t.server.deps.kickOutbox();
  const taskId = taskIds[0]!;
  for (let generation = 1; generation <= 3; generation++) {
    const jobId = `task-${taskId}-${generation}`;
    await waitFor(async () => (await t.server.deps.queue.getJob(jobId)) !== undefined, 10_000, jobId);
    // Every claim of this job failed to reach the server: BullMQ used up the job's attempts.
    await failInQueue(jobId, 'worker.claim: fetch failed');
    const result = await reconcileOnce(t.server.deps, { staleSeconds: 0, lostAfterMs: 0 });
    if (generation < 3) {
      expect(result.requeued).toContain(taskId);
      expect(await taskRow(taskId)).toMatchObject({ status: 'queued', attempts: generation });
      t.server.deps.kickOutbox();
    } else {
      expect(result.failed).toContain(taskId);
    }
  }
  expect(await taskRow(taskId)).toMatchObject({ status: 'failed', attempts: 3 });
  const lost = (await auditEventsOf(t.tdb.db, orderId)).filter(
    (event) => event.error_type === 'WORKER_LOST' && event.event_type === 'enrollment_failed',
  );
  expect(lost).toHaveLength(3);
  expect(lost[0]!.message).toMatch(/job failed before a run took it/);
  expect(await orderRow(t.tdb.db, orderId)).toMatchObject({ order_status: 'failed' });
});
