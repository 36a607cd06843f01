import { type ChildProcess, spawn } from 'node:child_process';
import { DOWNLOAD_JOB_OPTIONS } from '@paidflow/contracts';
import { insertOutboxRows, outbox, pendingOutboxRows } from '@paidflow/db';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from '../testing/net.ts';
import {
  createOrder,
  postWebhook,
  sepayTransaction,
  startTestServer,
  type TestServer,
  waitFor,
} from '../testing/pipeline-fixtures.ts';

/** A Redis of the test's own, that the test can stop and start again (empty, like after a crash). */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await waitFor(
    async () => {
      const probe = new Redis({
        port,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    },
    10_000,
    'redis-server to start',
  );
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

let redisPort: number;
let redisProcess: ChildProcess;
let t: TestServer;

beforeAll(async () => {
  redisPort = await freePort();
  redisProcess = await startRedis(redisPort);
  t = await startTestServer('outbox', { REDIS_URL: `redis://127.0.0.1:${redisPort}` });
});
afterAll(async () => {
  await t?.close();
  if (redisProcess) await stopRedis(redisProcess);
});

test('with Redis down the webhook still answers 200, and the job reaches the queue once Redis is back', async () => {
  const { orderId, code, total, taskIds } = await createOrder(t.tdb.db, { tasks: 2 });
  await stopRedis(redisProcess);

  const response = await postWebhook(t.server.url, sepayTransaction(code, total));
  expect(response.status).toBe(200);
  // The jobs wait in MySQL while the queue cannot be reached; the drainer keeps trying.
  const pending = await pendingOutboxRows(t.tdb.db, 'download');
  expect(pending.map((row) => (row.payload as { taskId: number }).taskId).sort()).toEqual(
    [...taskIds].sort(),
  );
  await waitFor(
    async () => (await pendingOutboxRows(t.tdb.db, 'download')).every((row) => row.attempts > 0),
    10_000,
    'a failed dispatch attempt',
  );
  const [failed] = await pendingOutboxRows(t.tdb.db, 'download');
  expect(failed!.last_error).toBeTruthy();

  redisProcess = await startRedis(redisPort);
  await waitFor(
    async () => (await pendingOutboxRows(t.tdb.db, 'download')).length === 0,
    20_000,
    'the outbox to drain',
  );

  const { queue } = t.server.deps;
  const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'prioritized']);
  expect(jobs.map((job) => job.id).sort()).toEqual(taskIds.map((id) => `task-${id}-1`).sort());
  expect(jobs.every((job) => job.data.orderId === orderId)).toBe(true);

  // A crash between adding a job and marking its row would add it again: BullMQ keeps one.
  const first = jobs[0]!;
  await queue.add('download', first.data, { ...DOWNLOAD_JOB_OPTIONS, jobId: first.id! });
  const counts = await queue.getJobCounts('waiting', 'prioritized');
  expect((counts.waiting ?? 0) + (counts.prioritized ?? 0)).toBe(2);
});

test('an outbox row that can never be delivered is set aside instead of blocking the others', async () => {
  await insertOutboxRows(t.tdb.db, [
    { topic: 'download', payload: { taskId: 'not-a-number' } },
    { topic: 'mystery', payload: {} },
  ]);
  await waitFor(async () => (await pendingOutboxRows(t.tdb.db)).length === 0, 10_000, 'bad rows set aside');
  const rows = await t.tdb.db.select().from(outbox).where(eq(outbox.topic, 'mystery'));
  expect(rows[0]!.last_error).toBe('unknown topic');
});
