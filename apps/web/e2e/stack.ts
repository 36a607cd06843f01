// The whole product for the browser tests, in this process: a fresh MySQL database, a Redis
// prefix of its own, the real server (serving the built SPA), a real worker and the course
// source. The other apps' runtime code is reached through the workspace by path, in tests only,
// as the worker's own fixtures do; the web app itself never imports it.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CourseSource, startCourseSource } from '@paidflow/course-source';
import { createLogger } from '@paidflow/runtime';
import {
  deleteRedisPrefix,
  ensureDemoAdmins,
  freePort,
  nextOrderCode,
  postWebhook,
  type ServerEnv,
  sepayTransaction,
  testEnv as serverTestEnv,
  startServer,
} from '@paidflow/server/testing';
import { startWorker, testEnv as workerTestEnv } from '@paidflow/worker/testing';
import { insertTasks, orders } from '../../../packages/db/src/index.ts';
import { createTestDatabase, type TestDatabase } from '../../../packages/db/src/testing.ts';

export const WEB_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WEB_DIST = path.join(WEB_ROOT, 'dist');
const SECRET = 'e2e-webhook-secret-0123456789';

let built: Promise<void> | null = null;

/** Builds the SPA once per run, so the browser tests exercise the code as it is now. */
export function buildWeb(): Promise<void> {
  built ??= new Promise<void>((resolve, reject) => {
    if (process.env.E2E_SKIP_BUILD === '1' && existsSync(path.join(WEB_DIST, 'index.html'))) {
      resolve();
      return;
    }
    const result = spawnSync('pnpm', ['exec', 'vite', 'build', '--logLevel', 'error'], {
      cwd: WEB_ROOT,
      encoding: 'utf8',
    });
    if (result.status === 0) resolve();
    else reject(new Error(`vite build failed (${result.status}):\n${result.stderr}${result.stdout}`));
  });
  return built;
}

export interface Course {
  title: string;
  url: string;
}

export interface Stack {
  /** The server's base URL; its port stays the same across restarts. */
  url: string;
  db: TestDatabase;
  source: CourseSource;
  /** A pending order (not in the paid list yet) with one task per course. */
  createOrder(
    courses: Course[],
  ): Promise<{ orderId: number; code: string; taskIds: number[]; total: number }>;
  /** Pays an order the way SePay would, with a correctly signed webhook. */
  pay(code: string, amount: number): Promise<number>;
  stopServer(): Promise<void>;
  startServerAgain(): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(
  label: string,
  /** Server settings a test needs (the alert thresholds, say). */
  serverOverrides: Partial<Record<keyof ServerEnv, string>> = {},
): Promise<Stack> {
  await buildWeb();
  const db = await createTestDatabase(`e2e_${label}`);
  const prefix = `test-${randomUUID()}`;
  const root = await mkdtemp(path.join(os.tmpdir(), `paidflow-e2e-${label}-`));
  // Ordinary courses unthrottled unless a test asks (?bps=); slow-* ones at 256 KB/s.
  const source = await startCourseSource({ bytesPerSecond: null });
  const logger = createLogger('silent');
  // A port known before the server starts: the customers' links carry it (PUBLIC_BASE_URL).
  const port = await freePort();
  const deliveryDir = path.join(root, 'delivery');
  const env = serverTestEnv({
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    DELIVERY_DIR: deliveryDir,
    DATABASE_URL: db.url,
    REDIS_PREFIX: prefix,
    WEBHOOK_SECRETS: SECRET,
    WEB_DIST_DIR: WEB_DIST,
    OUTBOX_POLL_MS: '100',
    ...serverOverrides,
  });
  let server = await startServer(env, logger);
  // Restarts reuse the port: the open page reconnects to the same address.
  const fixedEnv = { ...env, PORT: server.port };
  let serverUp = true;
  await ensureDemoAdmins(db.db);
  const worker = await startWorker(
    workerTestEnv({
      REDIS_PREFIX: prefix,
      SERVER_URL: server.url,
      STORAGE_DIR: path.join(root, 'storage'),
      DELIVERY_DIR: deliveryDir,
      HEALTH_HOST: '127.0.0.1',
      WORKER_ID: `e2e-worker-${label}`,
      WORKER_CONCURRENCY: '4',
      // Long enough to ride out the server restart of the reconnect test.
      SERVER_REPORT_DEADLINE_MS: '60000',
    }),
    createLogger('silent'),
  );

  return {
    url: server.url,
    db,
    source,
    async createOrder(courses) {
      const code = nextOrderCode();
      const total = 300_000 * courses.length;
      const [result] = await db.db
        .insert(orders)
        .values({ order_code: code, user_email: `buyer${code.slice(2)}@example.com`, total_amount: total });
      const orderId = result.insertId;
      const taskIds = await insertTasks(
        db.db,
        orderId,
        courses.map((course) => ({ title: course.title, course_url: course.url })),
      );
      return { orderId, code, taskIds, total };
    },
    async pay(code, amount) {
      const { status } = await postWebhook(server.url, sepayTransaction(code, amount), { secret: SECRET });
      return status;
    },
    async stopServer() {
      serverUp = false;
      await server.close();
    },
    async startServerAgain() {
      server = await startServer(fixedEnv, logger);
      serverUp = true;
    },
    async close() {
      // Every step runs even when one fails.
      const steps: Array<() => Promise<unknown>> = [
        () => worker.close(),
        () => (serverUp ? server.close() : Promise.resolve()),
        () => source.close(),
        () => deleteRedisPrefix(env.REDIS_URL, prefix),
        () => db[Symbol.asyncDispose](),
        () => rm(root, { recursive: true, force: true }),
      ];
      const failures: unknown[] = [];
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, 'e2e stack cleanup failed');
    },
  };
}
