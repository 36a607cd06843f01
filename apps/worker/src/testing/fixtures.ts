// Test helpers of the worker's integration tests (not shipped code paths). They start the real
// server (its runtime code is imported here, in tests only), the real course source, and real
// workers against a database and a Redis prefix of their own.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseChannelMessage, redisNamespace } from '@paidflow/contracts';
import { type CourseSource, startCourseSource } from '@paidflow/course-source';
import { type ClusterNode, createLogger, createSubscriber, redisTarget } from '@paidflow/runtime';
import type { ServerEnv } from '@paidflow/server/testing';
import {
  createOrder,
  postWebhook,
  sepayTransaction,
  startTestServer,
  type TestServer,
  type TestServerOptions,
  waitFor,
} from '@paidflow/server/testing';
import { type RunningWorker, startWorker } from '../app.ts';
import { testEnv, type WorkerEnv } from '../env.ts';

export { postWebhook, sepayTransaction, type TestServer, waitFor };

export interface Heard {
  channel: string;
  payload: Record<string, unknown>;
  at: number;
}

export interface Pipeline {
  t: TestServer;
  source: CourseSource;
  storageDir: string;
  deliveryDir: string;
  /** Every valid live message heard under the test's prefix, in arrival order. */
  heard: Heard[];
  /** Messages that failed the contract (should stay empty). */
  invalid: string[];
  workerEnv(overrides?: Partial<Record<keyof WorkerEnv, string>>): WorkerEnv;
  startWorker(overrides?: Partial<Record<keyof WorkerEnv, string>>): Promise<RunningWorker>;
  close(): Promise<void>;
}

/**
 * The real server (own database and prefix), a course source, directories and a live-message
 * recorder. `serverEnv` overrides the server's environment (REDIS_URL: the workers follow it);
 * `serverOptions` picks whom the server connects to MySQL as.
 */
export async function startPipeline(
  label: string,
  serverEnv: Partial<Record<keyof ServerEnv, string>> = {},
  serverOptions: TestServerOptions = {},
): Promise<Pipeline> {
  const t = await startTestServer(label, { OUTBOX_POLL_MS: '100', ...serverEnv }, serverOptions);
  const { REDIS_URL: redisUrl, REDIS_CLUSTER_NODES: clusterNodes } = t.server.deps.env;
  const source = await startCourseSource({ flakyFailures: 2 });
  const root = await mkdtemp(path.join(os.tmpdir(), `paidflow-${label}-`));
  const storageDir = path.join(root, 'storage');
  const deliveryDir = path.join(root, 'delivery');
  const namespace = redisNamespace(t.prefix);
  const heard: Heard[] = [];
  const invalid: string[] = [];
  // The product's own subscriber: on a cluster it hears every node's PUBLISH from one node, and
  // moves on when that node dies. It reconnects by itself (a test may restart Redis or kill a
  // cluster node): an outage is no test failure.
  const subscriber = createSubscriber(redisTarget(t.server.deps.env), { connectionName: 'test-recorder' });
  subscriber.on('error', () => {});
  subscriber.on('pmessage', (_pattern, raw: string, message: string) => {
    const channel = namespace.unprefixChannel(raw);
    if (!channel) return;
    const parsed = parseChannelMessage(channel, message);
    if (!parsed.ok) {
      invalid.push(`${channel}: ${parsed.detail}`);
      return;
    }
    heard.push({ channel, payload: parsed.message.payload as Record<string, unknown>, at: Date.now() });
  });
  await subscriber.psubscribe(namespace.channel('task:*'), namespace.channel('order:*'));
  const workers: RunningWorker[] = [];

  function workerEnv(overrides: Partial<Record<keyof WorkerEnv, string>> = {}): WorkerEnv {
    return testEnv({
      REDIS_URL: redisUrl,
      // The workers follow the server onto its Redis Cluster, if it runs on one.
      ...(clusterNodes ? { REDIS_CLUSTER_NODES: clusterNodesEnv(clusterNodes) } : {}),
      REDIS_PREFIX: t.prefix,
      SERVER_URL: t.server.url,
      STORAGE_DIR: storageDir,
      DELIVERY_DIR: deliveryDir,
      HEALTH_HOST: '127.0.0.1',
      WORKER_ID: `test-worker-${randomUUID().slice(0, 8)}`,
      WORKER_CONCURRENCY: '4',
      SERVER_REPORT_DEADLINE_MS: '10000',
      ...overrides,
    });
  }

  return {
    t,
    source,
    storageDir,
    deliveryDir,
    heard,
    invalid,
    workerEnv,
    async startWorker(overrides = {}) {
      const worker = await startWorker(workerEnv(overrides), createLogger('silent'));
      workers.push(worker);
      return worker;
    },
    async close() {
      for (const worker of workers) await worker.close();
      await subscriber.quit();
      await source.close();
      await t.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * Creates an order whose tasks download the given course URLs, and pays it with a signed
 * webhook; the server queues its tasks.
 */
export async function createPaidOrder(
  pipeline: Pipeline,
  courses: Array<{ title: string; url: string }>,
): Promise<{ orderId: number; code: string; taskIds: number[] }> {
  const order = await createOrder(pipeline.t.tdb.db, { courses, total: 300_000 });
  const response = await postWebhook(pipeline.t.server.url, sepayTransaction(order.code, order.total));
  if (response.status !== 200)
    throw new Error(`webhook answered ${response.status}: ${response.json.message}`);
  return order;
}

/** REDIS_CLUSTER_NODES as the environment spells it (host:port,..., IPv6 hosts in brackets). */
export function clusterNodesEnv(nodes: ClusterNode[]): string {
  return nodes.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`).join(',');
}

/** A parsed environment back in the strings a child process reads. */
function envStrings(env: WorkerEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [
      key,
      key === 'REDIS_CLUSTER_NODES' ? clusterNodesEnv(value as ClusterNode[]) : String(value),
    ]),
  );
}

const WORKER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface WorkerProcess {
  child: ChildProcess;
  /** Every line it logged (pino JSON), in order. */
  lines: string[];
  /** SIGKILL, and wait for it to be gone. */
  kill(): Promise<void>;
}

/**
 * A worker in a process of its own, for tests that SIGKILL it: node itself with tsx's loader (not
 * the tsx CLI, which would run the worker in a grandchild that a SIGKILL of its parent leaves running).
 */
export function spawnWorkerProcess(env: WorkerEnv): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: WORKER_DIR,
    env: { ...process.env, ...envStrings(env) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let rest = '';
  const collect = (chunk: Buffer) => {
    const text = rest + chunk.toString('utf8');
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts.filter((line) => line.length > 0));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return {
    child,
    lines,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
