// A worker process told to stop (SIGTERM, as the supervisor and systemd do) with a job in flight
// leaves the job for the next start: back to the queue, no attempt used, nothing failed.
import { startCourseSource } from '@paidflow/course-source';
import { downloadTasks, orderAuditLogs } from '@paidflow/db';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import {
  createPaidOrder,
  type Pipeline,
  spawnWorkerProcess,
  startPipeline,
  type WorkerProcess,
  waitFor,
} from './testing/fixtures.ts';

let p: Pipeline;
const children: WorkerProcess[] = [];

beforeAll(async () => {
  p = await startPipeline('worker-shutdown');
});
afterEach(async () => {
  for (const child of children.splice(0)) await child.kill();
});
afterAll(async () => {
  await p?.close();
});

async function taskOf(taskId: number) {
  const rows = await p.t.tdb.db.select().from(downloadTasks);
  return rows.find((row) => row.id === taskId)!;
}

async function eventsOf(taskId: number) {
  const rows = await p.t.tdb.db.select().from(orderAuditLogs);
  return rows.filter((row) => row.task_id === taskId).map((row) => row.event_type);
}

async function jobOf(taskId: number) {
  const job = await p.t.server.deps.queue.getJob(`task-${taskId}-1`);
  if (!job) return null;
  return { state: await job.getState(), attemptsMade: job.attemptsMade, failedReason: job.failedReason };
}

function downloading(taskId: number) {
  return waitFor(
    () => p.heard.some((m) => m.channel === `task:${taskId}:progress` && Number(m.payload.bytesDone) > 0),
    20_000,
    `task ${taskId} downloading`,
  );
}

function startProcess(overrides: Parameters<Pipeline['workerEnv']>[0]) {
  const worker = spawnWorkerProcess(p.workerEnv({ HEALTH_PORT: '0', LOG_LEVEL: 'info', ...overrides }));
  children.push(worker);
  return worker;
}

function exitOf(worker: WorkerProcess): Promise<number | null> {
  const { child } = worker;
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** The job is waiting for the next start, with every attempt still to use, and nothing failed. */
async function expectReleased(taskId: number, worker: WorkerProcess) {
  expect(await jobOf(taskId)).toMatchObject({ state: 'prioritized', attemptsMade: 0 });
  const task = await taskOf(taskId);
  expect(task.status).not.toBe('failed');
  expect(task.error_log).toBeNull();
  expect((await eventsOf(taskId)).some((type) => type.endsWith('_failed'))).toBe(false);
  const logged = worker.lines.join('\n');
  expect(logged).toContain('job released: worker shutting down');
  expect(logged).not.toContain('attempt failed');
  expect(logged).not.toContain('server call failed');
}

test('on SIGTERM, past its grace, a worker process releases its running job and exits 0', async () => {
  const worker = startProcess({ WORKER_SHUTDOWN_GRACE_MS: '500' });
  const url = p.source.manifestUrl('sigterm-release', { files: 2, size: 1_500_000, bps: 400_000 });
  const { taskIds } = await createPaidOrder(p, [{ title: 'Released on SIGTERM', url }]);
  const taskId = taskIds[0]!;
  await downloading(taskId);
  worker.child.kill('SIGTERM');
  expect(await exitOf(worker)).toBe(0);
  await expectReleased(taskId, worker);
  expect(worker.lines.join('\n')).toContain('active jobs still running after the grace period');

  // The next start takes it up and completes it.
  startProcess({});
  await waitFor(async () => (await taskOf(taskId)).status === 'completed', 40_000, 'the task to complete');
  expect((await eventsOf(taskId)).filter((type) => type === 'task_completed')).toHaveLength(1);
});

test('when the course source goes away during the stop ("terminated"), the job is released, not failed', async () => {
  // Its own source, stopped mid-download as the old `npm start` did (everything at once).
  const source = await startCourseSource({});
  try {
    const worker = startProcess({ WORKER_SHUTDOWN_GRACE_MS: '15000' });
    const url = source.manifestUrl('source-goes-away', { files: 1, size: 4_000_000, bps: 400_000 });
    const { taskIds } = await createPaidOrder(p, [{ title: 'Source stops too', url }]);
    const taskId = taskIds[0]!;
    await downloading(taskId);
    worker.child.kill('SIGTERM');
    await waitFor(() => worker.lines.some((line) => line.includes('"msg":"stopping')), 5_000, 'the stop');
    await source.close();
    expect(await exitOf(worker)).toBe(0);
    await expectReleased(taskId, worker);
  } finally {
    await source.close().catch(() => {});
  }
});
