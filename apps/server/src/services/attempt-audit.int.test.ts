import { TASK_ERROR_STACK_MAX } from '@paidflow/contracts';
import { downloadTasks } from '@paidflow/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { callerFor } from '../testing/live-fixtures.ts';
import {
  auditEventsOf,
  createOrder,
  postWebhook,
  sepayTransaction,
  startTestServer,
  type TestServer,
} from '../testing/pipeline-fixtures.ts';

// Audit detail for debugging (issue 11, part 7): each attempt's events name the worker that ran
// it, and a failure keeps its stack trace (bounded) in error_log and on its audit event.
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer('attempt-audit');
});
afterAll(async () => {
  await t?.close();
});

test('the worker of each attempt is in its audit events, and the stack trace in error_log and the event', async () => {
  const order = await createOrder(t.tdb.db, { tasks: 1 });
  expect((await postWebhook(t.server.url, sepayTransaction(order.code, order.total))).status).toBe(200);
  const taskId = order.taskIds[0]!;
  const api = await callerFor(t.server.deps, { kind: 'worker' });
  const jobId = `task-${taskId}-1`;
  const claim = await api.worker.claim({ taskId, jobId, attempt: 1, workerId: 'host-a-101' });
  if (!claim.proceed) throw new Error('claim refused');
  const { runToken } = claim;
  await api.worker.transition({ taskId, jobId, runToken, to: 'enrolled', workerId: 'host-a-101' });
  const stack = `Error: socket hang up\n${'    at download (steps/download.ts:10:5)\n'.repeat(200)}`.slice(
    0,
    TASK_ERROR_STACK_MAX,
  );
  await api.worker.reportFailure({
    taskId,
    jobId,
    runToken,
    attempt: 1,
    maxAttempts: 3,
    step: 'enroll',
    error: { type: 'NETWORK', message: 'socket hang up', retryable: true, file: null, stack },
    workerId: 'host-a-101',
    final: false,
    at: new Date().toISOString(),
  });

  const [row] = await t.tdb.db.select().from(downloadTasks).where(eq(downloadTasks.id, taskId));
  const log = typeof row!.error_log === 'string' ? JSON.parse(row!.error_log) : row!.error_log;
  expect(log.last).toMatchObject({ workerId: 'host-a-101', stack, attempt: 1 });
  const events = await auditEventsOf(t.tdb.db, order.orderId);
  const enrolled = events.find((event) => event.event_type === 'enrollment_success');
  const failed = events.find((event) => event.event_type === 'enrollment_failed');
  expect(enrolled?.details).toMatchObject({ workerId: 'host-a-101' });
  expect(failed?.details).toMatchObject({ workerId: 'host-a-101', stack });

  // A stack over the bound is refused with a clear error, not stored cut silently by the server.
  await expect(
    api.worker.reportFailure({
      taskId,
      jobId,
      runToken,
      attempt: 2,
      maxAttempts: 3,
      step: 'enroll',
      error: {
        type: 'NETWORK',
        message: 'x',
        retryable: true,
        file: null,
        stack: 'x'.repeat(TASK_ERROR_STACK_MAX + 1),
      },
      final: false,
      at: new Date().toISOString(),
    }),
  ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
});
