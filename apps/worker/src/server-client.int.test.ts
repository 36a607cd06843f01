import { randomUUID } from 'node:crypto';
import { downloadTasks, insertTasks, orderAuditLogs, orders } from '@paidflow/db';
import { createTestDatabase, type TestDatabase } from '@paidflow/db/testing';
import { createLogger } from '@paidflow/runtime';
import {
  deleteRedisPrefix,
  freePort,
  type RunningServer,
  testEnv as serverTestEnv,
  startServer,
} from '@paidflow/server/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DEV_WORKER_TOKEN } from './env.ts';
import { classify, JobStopped } from './errors.ts';
import { createServerClient, ServerCallError } from './server-client.ts';

const logger = createLogger('silent');
const prefix = `test-${randomUUID()}`;
let tdb: TestDatabase;
let server: RunningServer | null = null;
let taskId: number;

beforeAll(async () => {
  tdb = await createTestDatabase('worker-client');
  const [result] = await tdb.db
    .insert(orders)
    .values({ order_code: 'DH55550001', user_email: 'buyer@example.com', total_amount: 1000 });
  [taskId] = (await insertTasks(tdb.db, result.insertId, [
    { title: 'Course', course_url: 'http://127.0.0.1:1/c/manifest.json', status: 'queued' },
  ])) as [number];
  // As the outbox and a claim leave it: job task-<id>-1 is current, and its run holds token 1.
  await tdb.db
    .update(downloadTasks)
    .set({ queue_generation: 1, run_token: 1 })
    .where(eq(downloadTasks.id, taskId));
});
afterAll(async () => {
  await server?.close();
  await deleteRedisPrefix('redis://127.0.0.1:6379', prefix);
  await tdb?.[Symbol.asyncDispose]();
});

/** A port nothing listens on (for now). */
function failure(attempt: number) {
  return {
    taskId,
    jobId: `task-${taskId}-1`,
    runToken: 1,
    attempt,
    maxAttempts: 3,
    step: 'download' as const,
    error: { type: 'NETWORK' as const, message: 'HTTP 503', retryable: true, file: 'lesson-01.bin' },
    final: false,
    at: new Date().toISOString(),
  };
}

test('a report made while the server is down is retried until it lands, and lands once', async () => {
  const port = await freePort();
  const client = createServerClient({
    serverUrl: `http://127.0.0.1:${port}`,
    token: DEV_WORKER_TOKEN,
    logger,
    deadlineMs: 30_000,
  });
  const report = failure(1);
  const pending = client.reportFailure(report);
  // The server comes up a moment later, on the port the worker keeps trying.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  server = await startServer(
    serverTestEnv({ PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: tdb.url, REDIS_PREFIX: prefix }),
    logger,
  );
  expect(await pending).toEqual({ ok: true, duplicate: false });
  // The same report again (a retry whose first answer was lost) changes nothing.
  expect(await client.reportFailure(report)).toEqual({ ok: true, duplicate: true });
  const events = (await tdb.db.select().from(orderAuditLogs)).filter(
    (event) => event.task_id === taskId && event.event_type === 'download_failed',
  );
  expect(events).toHaveLength(1);
});

test('a wrong worker token is refused at once, as an AUTHENTICATION error', async () => {
  expect(server).not.toBeNull();
  const client = createServerClient({
    serverUrl: server!.url,
    token: 'not-the-worker-token-0123',
    logger,
    deadlineMs: 30_000,
  });
  const error = await client
    .claim({ taskId, jobId: `task-${taskId}-1`, attempt: 1 })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ServerCallError);
  expect((error as ServerCallError).status).toBe(401);
  expect(classify(error)).toMatchObject({ type: 'AUTHENTICATION', retryable: false });
});

test('a server that stays down makes the call fail once its deadline has passed', async () => {
  const client = createServerClient({
    serverUrl: `http://127.0.0.1:${await freePort()}`,
    token: DEV_WORKER_TOKEN,
    logger,
    deadlineMs: 500,
  });
  const error = await client
    .complete({
      taskId,
      jobId: 'task-1-1',
      runToken: 1,
      driveLink: 'file:///x',
      files: 1,
      bytes: 1,
      durationMs: 1,
    })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ServerCallError);
  expect((error as ServerCallError).status).toBeNull();
  expect(classify(error)).toMatchObject({ type: 'NETWORK', retryable: true });
});

test('a report from a superseded run is refused at once, as JobStopped(superseded), and records nothing', async () => {
  expect(server).not.toBeNull();
  const client = createServerClient({
    serverUrl: server!.url,
    token: DEV_WORKER_TOKEN,
    logger,
    deadlineMs: 30_000,
  });
  const before = (await tdb.db.select().from(orderAuditLogs)).length;
  const started = Date.now();
  const stale = { ...failure(2), runToken: 2 };
  const error = await client.reportFailure(stale).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(JobStopped);
  expect((error as JobStopped).reason).toBe('superseded');
  expect((error as Error).message).toMatch(/run token 2 /);
  // Not retried: refused in one round trip, well inside the deadline.
  expect(Date.now() - started).toBeLessThan(5_000);
  expect((await tdb.db.select().from(orderAuditLogs)).length).toBe(before);
  const metrics = await (await fetch(`${server!.url}/metrics`)).text();
  expect(metrics).toMatch(/paidflow_worker_reports_refused_total\{procedure="reportFailure"\} 1/);
});
