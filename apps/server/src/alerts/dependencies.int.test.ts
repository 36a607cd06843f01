import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { alerts, insertOutboxRows, outbox } from '@paidflow/db';
import { createTestDatabase, type TestDatabase } from '@paidflow/db/testing';
import { createLogger } from '@paidflow/runtime';
import { isNull } from 'drizzle-orm';
import { afterEach, expect, test, vi } from 'vitest';
import { type RunningServer, startServer } from '../app.ts';
import { testEnv } from '../env.ts';
import { TEST_SECRET } from '../testing/pipeline-fixtures.ts';
import { deleteRedisPrefix } from '../testing/redis-prefix.ts';
import { type SmtpSink, startSmtpSink } from '../testing/smtp-sink.ts';
import { OFFLINE_KEY } from './evaluator.ts';
import { LEASE_KEY } from './lease.ts';
import {
  alertSubjects,
  hookEvents,
  startTcpProxy,
  startWebhookReceiver,
  type TcpProxy,
  type WebhookReceiver,
} from './test-fixtures.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The SMTP sink, the webhook receiver, a database and a Redis prefix of the test's own. */
async function fixture(label: string) {
  const sink = await startSmtpSink();
  const hook = await startWebhookReceiver();
  const tdb: TestDatabase = await createTestDatabase(label);
  const prefix = `test-${randomUUID()}`;
  cleanups.push(
    () => sink.close(),
    () => hook.close(),
    () => tdb[Symbol.asyncDispose](),
  );
  cleanups.push(() => deleteRedisPrefix('redis://127.0.0.1:6379', prefix));
  return { sink, hook, tdb, prefix };
}

async function server(
  f: { sink: SmtpSink; hook: WebhookReceiver; tdb: TestDatabase; prefix: string },
  overrides: Record<string, string> = {},
): Promise<RunningServer> {
  const env = testEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: f.tdb.url,
    REDIS_PREFIX: f.prefix,
    WEBHOOK_SECRETS: TEST_SECRET,
    SMTP_URL: f.sink.url,
    ADMIN_ALERT_EMAIL: 'ops@example.com',
    ALERT_WEBHOOK_URL: f.hook.url,
    ALERTS_ENABLED: 'false',
    OUTBOX_POLL_MS: '60000',
    ALERT_OUTBOX_AGE_SECONDS: '60',
    ALERT_PROBE_TIMEOUT_MS: '1000',
    ALERT_DOWN_CHECKS: '2',
    ...overrides,
  });
  const running = await startServer(env, createLogger('silent'));
  cleanups.push(() => running.close());
  return running;
}

function proxied(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.host = `127.0.0.1:${proxy.port}`;
  return parsed.toString();
}

test('two server processes on one Redis and database: one evaluates, so an alert is e-mailed once, and the other takes over when it stops', async () => {
  const f = await fixture('alerttwo');
  const [a, b] = [await server(f), await server(f)];
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await insertOutboxRows(f.tdb.db, [{ topic: 'notification', payload: { kind: 'test' } }]);
  await f.tdb.db
    .update(outbox)
    .set({ created_at: new Date(Date.now() - 120_000) })
    .where(isNull(outbox.dispatched_at));
  const [fromA, fromB] = await Promise.all([a.alerts.runOnce(), b.alerts.runOnce()]);
  expect([...fromA, ...fromB].map((event) => event.type)).toEqual(['raised']);
  await Promise.all([a.alerts.runOnce(), b.alerts.runOnce()]);
  expect(alertSubjects(f.sink)).toHaveLength(1);
  expect(hookEvents(f.hook, 'outbox_stuck')).toEqual(['raised']);
  // The lease holder stops (and releases it): the other one evaluates from its next check on.
  const [holder, other] = fromA.length > 0 ? [a, b] : [b, a];
  await holder.alerts.stop();
  await f.tdb.db.update(outbox).set({ dispatched_at: new Date() });
  expect((await other.alerts.runOnce()).map((event) => event.type)).toEqual(['resolved']);
  expect(alertSubjects(f.sink)).toEqual([
    expect.stringMatching(/ERROR: The outbox/),
    '[Paidflow] Resolved: outbox_stuck outbox',
  ]);
});

test('MySQL unreachable from the server: mysql_down is sent (not recorded), then recorded and resolved when MySQL is back', async () => {
  const f = await fixture('alertmysql');
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 3306 });
  cleanups.push(() => proxy.close());
  const s = await server(f, { DATABASE_URL: proxied(f.tdb.url, proxy) });
  expect(await s.alerts.runOnce()).toEqual([]);

  await proxy.cut();
  // One failed probe is not enough (ALERT_DOWN_CHECKS=2).
  expect(await s.alerts.runOnce()).toEqual([]);
  const raised = await s.alerts.runOnce();
  expect(raised.map((event) => `${event.type} ${event.alert.kind} ${event.alert.id}`)).toEqual([
    'raised mysql_down null',
  ]);
  expect(alertSubjects(f.sink)).toEqual([
    expect.stringMatching(
      /^\[Paidflow\] CRITICAL: MySQL cannot be reached from server \S+ \(2 checks in a row\)$/,
    ),
  ]);
  expect(hookEvents(f.hook, 'mysql_down')).toEqual(['raised']);
  // Nothing could be written to MySQL (read here on a direct connection); Redis keeps it meanwhile.
  expect(await f.tdb.db.select().from(alerts)).toEqual([]);
  expect(await s.deps.redis.exists(s.deps.namespace.key(OFFLINE_KEY))).toBe(1);
  expect(await s.alerts.runOnce()).toEqual([]);

  await proxy.restore();
  const resolved = await s.alerts.runOnce();
  expect(resolved.map((event) => `${event.type} ${event.alert.kind}`)).toEqual(['resolved mysql_down']);
  expect(alertSubjects(f.sink).at(-1)).toBe(`[Paidflow] Resolved: mysql_down ${hostname()}-${process.pid}`);
  const [row] = await f.tdb.db.select().from(alerts);
  expect(row).toMatchObject({
    kind: 'mysql_down',
    subject: `${hostname()}-${process.pid}`,
    open_key: null,
    severity: 'critical',
  });
  expect(row!.details).toMatchObject({ recordedLate: true });
  expect(row!.resolved_at!.getTime()).toBeGreaterThan(row!.raised_at.getTime());
  expect(row!.last_notified_at).not.toBeNull();
  expect(await s.deps.redis.exists(s.deps.namespace.key(OFFLINE_KEY))).toBe(0);
});

test('Redis unreachable from the server: the evaluator falls back to a MySQL lock, records redis_down, and resolves it when Redis is back', async () => {
  // Every Redis connection of the server has an 'error' listener (the queue's too, see app.ts):
  // nothing may reach console.error, ioredis's "Unhandled error event" included.
  const printed: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    printed.push(args.join(' '));
  });
  cleanups.push(async () => {
    spy.mockRestore();
    expect(printed).toEqual([]);
  });
  const f = await fixture('alertredis');
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
  cleanups.push(() => proxy.close());
  const s = await server(f, { REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
  expect(await s.alerts.runOnce()).toEqual([]);

  await proxy.cut();
  expect(await s.alerts.runOnce()).toEqual([]);
  const raised = await s.alerts.runOnce();
  expect(raised.map((event) => `${event.type} ${event.alert.kind}`)).toEqual(['raised redis_down']);
  expect(alertSubjects(f.sink)).toEqual([
    expect.stringMatching(
      /^\[Paidflow\] CRITICAL: Redis cannot be reached from server \S+ \(2 checks in a row\)$/,
    ),
  ]);
  const [row] = await f.tdb.db.select().from(alerts);
  expect(row).toMatchObject({ kind: 'redis_down', open_key: `redis_down:${row!.subject}` });
  expect(row!.subject).toBe(`${hostname()}-${process.pid}`);

  await proxy.restore();
  // ioredis reconnects on its own schedule (at most 2 s between tries).
  const resolved = await (async () => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const events = await s.alerts.runOnce();
      if (events.length > 0 || Date.now() > deadline) return events;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  expect(resolved.map((event) => `${event.type} ${event.alert.kind}`)).toEqual(['resolved redis_down']);
  expect(hookEvents(f.hook, 'redis_down')).toEqual(['raised', 'resolved']);
  const [closed] = await f.tdb.db.select().from(alerts);
  expect(closed!.open_key).toBeNull();
});

test('a partition (one server cut off from Redis, the other fine): one redis_down of that server, not resolved by the other while it is seen, resolved once stale', async () => {
  const f = await fixture('alertpart');
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
  cleanups.push(() => proxy.close());
  const timing = { ALERT_INTERVAL_MS: '500', ALERT_LEASE_MS: '2000' };
  const a = await server(f, { ...timing, ALERT_INSTANCE_ID: 'server-a' });
  const b = await server(f, {
    ...timing,
    ALERT_INSTANCE_ID: 'server-b',
    REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
  });
  expect(await a.alerts.runOnce()).toEqual([]);
  expect(await b.alerts.runOnce()).toEqual([]);

  await proxy.cut();
  const events: string[] = [];
  const both = async () => {
    for (const s of [a, b]) {
      const from = s === a ? 'a' : 'b';
      for (const event of await s.alerts.runOnce())
        events.push(`${from} ${event.type} ${event.alert.kind} ${event.alert.subject}`);
    }
  };
  for (let i = 0; i < 6; i++) await both();
  // B (the MySQL lock) raised its own redis_down once; A (the Redis lease) left it open.
  expect(events).toEqual(['b raised redis_down server-b']);
  expect(hookEvents(f.hook, 'redis_down')).toEqual(['raised']);

  // B reaches Redis again; A holds the lease, so B no longer evaluates: A resolves B's alert
  // once it has not been seen for the stale time (here the lease, 2 s).
  await proxy.restore();
  const deadline = Date.now() + 20_000;
  while (events.length < 2 && Date.now() < deadline) {
    await both();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(events).toEqual(['b raised redis_down server-b', 'a resolved redis_down server-b']);
  expect(alertSubjects(f.sink)).toEqual([
    expect.stringMatching(/CRITICAL: Redis cannot be reached from server server-b/),
    '[Paidflow] Resolved: redis_down server-b',
  ]);
  const [row] = await f.tdb.db.select().from(alerts);
  expect(row).toMatchObject({ kind: 'redis_down', subject: 'server-b', open_key: null });
});

test('a process that loses the lease drops its unsent messages instead of re-sending them', async () => {
  const f = await fixture('alertdrop');
  const [a, b] = [await server(f), await server(f)];
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await insertOutboxRows(f.tdb.db, [{ topic: 'notification', payload: { kind: 'test' } }]);
  await f.tdb.db.update(outbox).set({ created_at: new Date(Date.now() - 120_000) });
  f.hook.status = 500;
  const [fromA, fromB] = await Promise.all([a.alerts.runOnce(), b.alerts.runOnce()]);
  const [holder, other] = fromA.length > 0 ? [a, b] : [b, a];
  expect([...fromA, ...fromB].map((event) => event.type)).toEqual(['raised']);
  expect(holder.alerts.sender.pending()).toBe(1);
  // The lease moves to the other process (as when the holder stalled past it).
  await holder.deps.redis.del(holder.deps.namespace.key(LEASE_KEY));
  await other.alerts.runOnce();
  const posted = f.hook.bodies.length;
  expect(await holder.alerts.runOnce()).toEqual([]);
  expect(holder.alerts.sender.pending()).toBe(0);
  expect(f.hook.bodies).toHaveLength(posted);
});
