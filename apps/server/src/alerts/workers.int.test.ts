import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { workerHeartbeatKey } from '@paidflow/contracts';
import { alerts } from '@paidflow/db';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestServer, type TestServer, waitFor } from '../testing/pipeline-fixtures.ts';
import { type SmtpSink, startSmtpSink } from '../testing/smtp-sink.ts';
import { KNOWN_WORKERS_KEY } from './checks-workers.ts';
import { alertSubjects, hookEvents, startWebhookReceiver, type WebhookReceiver } from './test-fixtures.ts';
import type { AlertEvent } from './types.ts';

// The worker app in a process of its own: node with tsx's loader, so that a SIGKILL kills it
// (the tsx CLI would leave the worker running in a grandchild).
const WORKER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../worker');

let t: TestServer;
let sink: SmtpSink;
let hook: WebhookReceiver;
let root: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  sink = await startSmtpSink();
  hook = await startWebhookReceiver();
  root = await mkdtemp(path.join(os.tmpdir(), 'paidflow-alert-workers-'));
  t = await startTestServer('alertworkers', {
    SMTP_URL: sink.url,
    ADMIN_ALERT_EMAIL: 'ops@example.com',
    ALERT_WEBHOOK_URL: hook.url,
    ALERTS_ENABLED: 'false',
    ALERT_WORKER_DOWN_SECONDS: '1',
  });
});

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await t.close();
  await hook.close();
  await sink.close();
  await rm(root, { recursive: true, force: true });
});

function spawnWorker(workerId: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: WORKER_DIR,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      REDIS_URL: t.server.deps.env.REDIS_URL,
      REDIS_PREFIX: t.prefix,
      SERVER_URL: t.server.url,
      STORAGE_DIR: path.join(root, 'storage'),
      DELIVERY_DIR: path.join(root, 'delivery'),
      HEALTH_PORT: '0',
      HEALTH_HOST: '127.0.0.1',
      WORKER_ID: workerId,
      WORKER_CONCURRENCY: '1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function heartbeatSeen(workerId: string): Promise<void> {
  const key = t.server.deps.namespace.key(workerHeartbeatKey(workerId));
  await waitFor(() => t.server.deps.redis.exists(key), 30_000, `${workerId}'s heartbeat`);
  // The evaluator sees it alive once, and remembers it.
  expect(await t.server.alerts.runOnce()).toEqual([]);
  expect(await t.server.deps.redis.hexists(t.server.deps.namespace.key(KNOWN_WORKERS_KEY), workerId)).toBe(1);
}

async function stopped(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/** Runs the checks until one announces an event of `type` about `workerId`. */
async function untilEvent(
  type: AlertEvent['type'],
  workerId: string,
  timeoutMs: number,
): Promise<AlertEvent> {
  const found = await waitFor(
    async () => {
      const events = await t.server.alerts.runOnce();
      return events.find((event) => event.type === type && event.alert.subject === workerId);
    },
    timeoutMs,
    `${type} worker_down ${workerId}`,
  );
  return found!;
}

test('a worker killed with SIGKILL raises worker_down once its heartbeat expires, and it resolves when the worker is back', async () => {
  const workerId = `alert-kill-${process.pid}`;
  const worker = spawnWorker(workerId);
  await heartbeatSeen(workerId);
  const killedAt = Date.now();
  await stopped(worker, 'SIGKILL');

  // The heartbeat key outlives the process by up to its TTL (15 s); the alert follows it.
  const raised = await untilEvent('raised', workerId, 30_000);
  expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1_000);
  expect(raised.alert).toMatchObject({ kind: 'worker_down', severity: 'critical' });
  expect(raised.alert.message).toMatch(
    new RegExp(`^Worker ${workerId} on .+ is down: no heartbeat for \\d+ s$`),
  );
  expect(alertSubjects(sink)).toEqual([`[Paidflow] CRITICAL: ${raised.alert.message}`]);
  expect(hookEvents(hook, 'worker_down')).toEqual(['raised']);
  const [row] = await t.tdb.db.select().from(alerts);
  expect(row).toMatchObject({ kind: 'worker_down', subject: workerId, open_key: `worker_down:${workerId}` });
  // Further checks while it stays down raise nothing more.
  expect(await t.server.alerts.runOnce()).toEqual([]);

  spawnWorker(workerId);
  const resolved = await untilEvent('resolved', workerId, 30_000);
  expect(resolved.alert.resolvedAt).not.toBeNull();
  expect(alertSubjects(sink).at(-1)).toBe(`[Paidflow] Resolved: worker_down ${workerId}`);
  expect(hookEvents(hook, 'worker_down')).toEqual(['raised', 'resolved']);
  const [closed] = await t.tdb.db.select().from(alerts);
  expect(closed!.open_key).toBeNull();
}, 90_000);

test('a worker that stops cleanly (SIGTERM) removes its heartbeat and raises nothing', async () => {
  const workerId = `alert-clean-${process.pid}`;
  const worker = spawnWorker(workerId);
  await heartbeatSeen(workerId);
  const before = sink.messages.length;
  await stopped(worker, 'SIGTERM');
  expect(await t.server.alerts.runOnce()).toEqual([]);
  // Forgotten at once: past the down threshold, still nothing.
  expect(await t.server.deps.redis.hexists(t.server.deps.namespace.key(KNOWN_WORKERS_KEY), workerId)).toBe(0);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(await t.server.alerts.runOnce()).toEqual([]);
  expect(sink.messages.length).toBe(before);
}, 60_000);
