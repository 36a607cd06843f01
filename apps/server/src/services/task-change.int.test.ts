import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPaidOrder } from '../testing/live-fixtures.ts';
import { startTestServer, type TestServer } from '../testing/pipeline-fixtures.ts';
import { changeTask } from './task-change.ts';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer('task-change', { RECONCILE_INTERVAL_MS: '3600000' });
});
afterAll(async () => {
  await t?.close();
});

test('many task changes at once do not exhaust the MySQL pool (each read its order before its transaction)', async () => {
  // More changes at once than the pool has connections (10): when each transaction read its
  // task's order on the pool while holding its own connection, every connection ended up held
  // by a transaction waiting for another one, forever (the scale benchmark's 64 worker slots).
  const { taskIds } = await createPaidOrder(t.server.deps.db, { statuses: Array(30).fill('queued') });
  const changed = await Promise.race([
    Promise.all(
      taskIds.map((taskId) => changeTask(t.server.deps, taskId, async (_tx, locked) => locked.task.id)),
    ),
    new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 10_000).unref()),
  ]);
  expect(changed).toEqual(taskIds);
});
