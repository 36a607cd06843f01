import { randomBytes } from 'node:crypto';
import { createDb } from '@paidflow/db';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunningWorker } from './app.ts';
import { createPaidOrder, type Pipeline, startPipeline, waitFor } from './testing/fixtures.ts';

// Least privilege (docs/security.md): the whole pipeline runs with the server connected as the
// application user, who holds SELECT, INSERT, UPDATE and DELETE on Paidflow's tables and nothing more.

let p: Pipeline;
let worker: RunningWorker;

beforeAll(async () => {
  p = await startPipeline('app-user', {}, { databaseUser: 'app-user' });
  worker = await p.startWorker({ WORKER_CONCURRENCY: '2' });
});
afterAll(async () => {
  await worker?.close();
  await p?.close();
});

test('as the application user, a signed payment leads to every task delivered and the order completed', async () => {
  expect(p.t.server.deps.env.DATABASE_URL).toMatch(/^mysql:\/\/pf_test_/);
  const courses = ['intro-typescript', 'node-streams'].map((slug, i) => ({
    title: `Course ${i + 1}: ${slug}`,
    url: p.source.manifestUrl(slug, { files: 2, min: 50_000, max: 100_000, bps: 2_000_000 }),
  }));
  const { orderId } = await createPaidOrder(p, courses);
  const order = await waitFor(
    async () => {
      const [rows] = await p.t.tdb.pool.query('SELECT * FROM orders WHERE id = ?', [orderId]);
      const found = (rows as Array<{ order_status: string; completed_tasks: number }>)[0];
      return found?.order_status === 'completed' || found?.order_status === 'failed' ? found : null;
    },
    40_000,
    'the order to end',
  );
  expect(order).toMatchObject({ order_status: 'completed', completed_tasks: 2 });
  const [events] = await p.t.tdb.pool.query(
    "SELECT event_type FROM order_audit_logs WHERE order_id = ? AND event_type IN ('payment_received', 'order_completed')",
    [orderId],
  );
  expect((events as Array<{ event_type: string }>).map((row) => row.event_type).sort()).toEqual([
    'order_completed',
    'payment_received',
  ]);
});

test('the application user cannot DROP, ALTER, CREATE, GRANT, TRUNCATE or touch the migration journal', async () => {
  const app = createDb({ url: p.t.server.deps.env.DATABASE_URL, connectionLimit: 1 });
  const database = p.t.tdb.name;
  try {
    const refused: Array<[string, RegExp]> = [
      ['DROP TABLE orders', /DROP command denied/],
      ['ALTER TABLE orders ADD COLUMN sneaky INT', /ALTER command denied/],
      ['CREATE TABLE sneaky (id INT)', /CREATE command denied/],
      [`CREATE DATABASE ${database}_sneaky`, /Access denied/],
      [
        `GRANT SELECT ON \`${database}\`.\`orders\` TO '${`pf_x_${randomBytes(3).toString('hex')}`}'@'%'`,
        /GRANT command denied|Access denied/,
      ],
      ['TRUNCATE TABLE outbox', /DROP command denied/],
      ['SELECT * FROM __drizzle_migrations', /SELECT command denied/],
      ['CREATE USER sneaky_user', /Access denied|CREATE USER/],
    ];
    for (const [statement, message] of refused) {
      await expect(app.pool.query(statement), statement).rejects.toThrow(message);
    }
    // What it may do, it can: read and write the rows of Paidflow's tables.
    const [rows] = await app.pool.query('SELECT COUNT(*) AS n FROM orders');
    expect((rows as Array<{ n: number }>)[0]!.n).toBeGreaterThan(0);
  } finally {
    await app.close();
  }
  // The tables are all still there, unchanged.
  const [columns] = await p.t.tdb.pool.query(
    "SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND COLUMN_NAME = 'sneaky'",
    [database],
  );
  expect(columns).toEqual([{ n: 0 }]);
});
