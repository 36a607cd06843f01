import { randomBytes, randomUUID } from 'node:crypto';
import { createDb, createReadRouter, type DbHandle, migrateDatabase, orders } from '@paidflow/db';
import { type ReplicaPair, startReplicaPair } from '@paidflow/db/testing';
import { createLogger } from '@paidflow/runtime';
import { eq } from 'drizzle-orm';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type RunningServer, startServer } from '../app.ts';
import { testEnv } from '../env.ts';
import { liveClient } from '../testing/live-client.ts';
import { createPaidOrder, createTestAdmin, type TestAdmin } from '../testing/live-fixtures.ts';
import { deleteRedisPrefix, nextOrderCode, waitFor } from '../testing/pipeline-fixtures.ts';

// Decision 056 against a real primary and a real replica (two mariadbd of the test's own).
// Two servers share the database and Redis, as behind a load balancer without sticky sessions.

let pair: ReplicaPair;
let database: string;
let primary: DbHandle;
const servers: RunningServer[] = [];
const prefix = `test-${randomUUID()}`;
let operator: TestAdmin;
let viewer: TestAdmin;
const clients: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  pair = await startReplicaPair();
  database = `paidflow_test_replica_${randomBytes(4).toString('hex')}`;
  await migrateDatabase(pair.primary.url(database), { warn: () => {} });
  await pair.caughtUp();
  primary = createDb({ url: pair.primary.url(database), connectionLimit: 3 });
  for (let i = 0; i < 2; i++) {
    const env = testEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: pair.primary.url(database),
      DATABASE_REPLICA_URLS: pair.replica.url(database),
      // Generous: in these tests a lagging replica still serves (the lag bound has its own test).
      REPLICA_MAX_LAG_SECONDS: '30',
      REPLICA_POLL_MS: '200',
      REDIS_PREFIX: prefix,
      RECONCILE_INTERVAL_MS: '3600000',
    });
    servers.push(await startServer(env, createLogger('silent')));
  }
  const deps = servers[0]!.deps;
  operator = await createTestAdmin(deps, 'operator');
  viewer = await createTestAdmin(deps, 'viewer');
  await pair.caughtUp();
  for (const server of servers) {
    await waitFor(() => server.deps.reads.statuses()[0]?.healthy, 10_000, 'the replica to serve');
  }
}, 90_000);

afterAll(async () => {
  for (const client of clients) await client.close();
  for (const server of servers) await server.close();
  await primary?.close();
  await deleteRedisPrefix(testEnv().REDIS_URL, prefix);
  await pair?.close();
});

/** A tRPC client of one of the servers as a browser has it; `ws`: every call over the WebSocket. */
function api(server: RunningServer, admin: TestAdmin, ws = false) {
  const live = liveClient(server.url, admin.cookie, { allOverWebSocket: ws });
  clients.push(live);
  return live.client;
}

async function metric(server: RunningServer, name: string): Promise<number | undefined> {
  const body = await (await fetch(`${server.url}/metrics`)).text();
  const line = body
    .split('\n')
    .find((row) => row.startsWith(`${name}{replica="127.0.0.1:${pair.replica.port}"}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** Holds the replica's SQL thread (it waits for the global read lock): it lags, still healthy. */
async function holdReplica(): Promise<{ release(): Promise<void> }> {
  const connection = await mysql.createConnection({ uri: pair.replica.url() });
  await connection.query('FLUSH TABLES WITH READ LOCK');
  return {
    async release() {
      await connection.query('UNLOCK TABLES');
      await connection.end();
      await pair.caughtUp();
    },
  };
}

test('the dashboard reads are served by the replica, and /metrics shows it healthy', async () => {
  // A row only the replica has (written there, not replicated): only a replica read can see it.
  const code = nextOrderCode();
  await pair.replica.query(
    `INSERT INTO \`${database}\`.orders (id, order_code, user_email, total_amount, payment_status, paid_at)
     VALUES (900001, ?, 'replica@example.com', 1, 'paid', NOW())`,
    [code],
  );
  try {
    for (const server of servers) {
      const page = await api(server, viewer).orders.list.query({ search: code });
      expect(page.items.map((order) => order.order_code)).toEqual([code]);
    }
    expect(await primary.db.select().from(orders).where(eq(orders.order_code, code))).toEqual([]);
    expect(await metric(servers[0]!, 'paidflow_mysql_replica_healthy')).toBe(1);
    expect(await metric(servers[0]!, 'paidflow_mysql_replica_lag_seconds')).toBe(0);
  } finally {
    await pair.replica.query(`DELETE FROM \`${database}\`.orders WHERE id = 900001`);
  }
});

test('an operator who retries a task and reloads on another server sees the retry while the replica lags', async () => {
  const deps = servers[0]!.deps;
  const overHttp = await createPaidOrder(deps.db, { statuses: ['failed'] });
  const overWs = await createPaidOrder(deps.db, { statuses: ['failed'] });
  await pair.caughtUp();
  const held = await holdReplica();
  try {
    // Over HTTP on server 0, reload on server 1.
    await api(servers[0]!, operator).tasks.retry.mutate({ taskId: overHttp.taskIds[0]! });
    const reloaded = await api(servers[1]!, operator).orders.detail.query({ orderId: overHttp.orderId });
    expect(reloaded.tasks[0]?.status).toBe('queued');
    const trail = await api(servers[1]!, operator).audit.list.query({ orderId: overHttp.orderId });
    expect(trail.items.map((event) => event.event_type)).toContain('task_retry_requested');
    // Another session, which wrote nothing, reads the replica: still failed there (it lags).
    const stale = await api(servers[1]!, viewer).orders.detail.query({ orderId: overHttp.orderId });
    expect(stale.tasks[0]?.status).toBe('failed');

    // The same over the WebSocket (the web app's wsLink) on server 1, reload over HTTP on server 0.
    const second = await createTestAdmin(deps, 'operator');
    await api(servers[1]!, second, true).tasks.retry.mutate({ taskId: overWs.taskIds[0]! });
    const again = await api(servers[0]!, second).orders.detail.query({ orderId: overWs.orderId });
    expect(again.tasks[0]?.status).toBe('queued');
    expect(
      (await api(servers[0]!, viewer).orders.detail.query({ orderId: overWs.orderId })).tasks[0]?.status,
    ).toBe('failed');
  } finally {
    await held.release();
  }
  // Caught up, the replica has the retries for everyone.
  const caught = await api(servers[1]!, viewer).orders.detail.query({ orderId: overHttp.orderId });
  expect(caught.tasks[0]?.status).toBe('queued');
});

test('a replica beyond the lag bound is skipped until it catches up', async () => {
  const routed: string[] = [];
  const reads = createReadRouter({
    primary: primary.db,
    replicaUrls: [pair.replica.url(database)],
    maxLagSeconds: 1,
    pollMs: 200,
    onRoute: (target) => routed.push(target),
  });
  reads.start();
  try {
    await waitFor(() => reads.statuses()[0]?.healthy, 5_000, 'the replica to serve');
    const held = await holdReplica();
    const code = nextOrderCode();
    try {
      await primary.db
        .insert(orders)
        .values({ order_code: code, user_email: 'lag@example.com', total_amount: 1 });
      const lagging = await waitFor(
        () => {
          const [status] = reads.statuses();
          return status && !status.healthy && (status.lagSeconds ?? 0) > 1 ? status : null;
        },
        10_000,
        'the replica to fall behind the bound',
      );
      expect(lagging?.problem).toMatch(/behind/);
      // The servers' gauge shows the lag too (their bound is 30 s: still healthy there).
      await waitFor(
        async () => ((await metric(servers[0]!, 'paidflow_mysql_replica_lag_seconds')) ?? 0) > 1,
        5_000,
        'the lag gauge',
      );
      routed.length = 0;
      // Skipped: the primary answers, so the new row is there.
      expect(await reads.db.select().from(orders).where(eq(orders.order_code, code))).toHaveLength(1);
      expect(routed).toEqual(['primary']);
    } finally {
      await held.release();
    }
    await waitFor(() => reads.statuses()[0]?.healthy, 5_000, 'the replica to serve again');
    routed.length = 0;
    expect(await reads.db.select().from(orders).where(eq(orders.order_code, code))).toHaveLength(1);
    expect(routed).toEqual([`127.0.0.1:${pair.replica.port}`]);
  } finally {
    await reads.close();
  }
});

test('the dashboard keeps working when the replica stops, and the healthy gauge drops', async () => {
  const { orderId, code } = await createPaidOrder(servers[0]!.deps.db, { statuses: ['completed'] });
  await pair.caughtUp();
  await pair.replica.kill();
  // At once, before any poll noticed: the read the replica fails is asked of the primary.
  const client = api(servers[0]!, viewer);
  expect((await client.orders.list.query({ search: code })).items).toHaveLength(1);
  await waitFor(
    async () => (await metric(servers[0]!, 'paidflow_mysql_replica_healthy')) === 0,
    5_000,
    'gauge 0',
  );
  expect(Number.isNaN(await metric(servers[0]!, 'paidflow_mysql_replica_lag_seconds'))).toBe(true);
  expect((await client.orders.detail.query({ orderId })).order_code).toBe(code);
  expect((await client.audit.list.query({ orderId })).items).toBeDefined();
  expect((await client.dashboard.stats.query()).totalPaid).toBeGreaterThan(0);
  await client.errors.summary.query({});
  await client.payments.list.query({});
  await client.alerts.firing.query();
});
