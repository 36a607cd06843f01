import { randomInt, randomUUID } from 'node:crypto';
import type { SepayTransaction } from '@paidflow/contracts';
import { type Db, insertTasks, orderAuditLogs, orders } from '@paidflow/db';
import { createTestDatabase, type TestDatabase } from '@paidflow/db/testing';
import { createLogger } from '@paidflow/runtime';
import { eq } from 'drizzle-orm';
import { type RunningServer, startServer } from '../app.ts';
import { type ServerEnv, testEnv } from '../env.ts';
import { signatureHeader } from '../webhooks/signature.ts';
import { deleteRedisPrefix } from './redis-prefix.ts';

export { deleteRedisPrefix };

/** Test helpers of the pipeline's integration tests (not shipped code paths). */

export const TEST_SECRET = 'test-webhook-secret-0123456789';

export interface TestServer {
  tdb: TestDatabase;
  server: RunningServer;
  prefix: string;
  /** Closes the server, drops the database and deletes every Redis key of the prefix. */
  close(): Promise<void>;
}

/** A real server on a random port, with its own database and Redis prefix. */
export async function startTestServer(
  label: string,
  overrides: Partial<Record<keyof ServerEnv, string>> = {},
): Promise<TestServer> {
  const tdb = await createTestDatabase(label);
  const prefix = `test-${randomUUID()}`;
  const env = testEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: tdb.url,
    REDIS_PREFIX: prefix,
    WEBHOOK_SECRETS: TEST_SECRET,
    ...overrides,
  });
  const server = await startServer(env, createLogger('silent'));
  return {
    tdb,
    server,
    prefix,
    async close() {
      await server.close();
      await deleteRedisPrefix(env.REDIS_URL, prefix);
      await tdb[Symbol.asyncDispose]();
    },
  };
}

let codeCounter = randomInt(100_000, 900_000);

/** A fresh, unique order code (DH + 8 digits). */
export function nextOrderCode(): string {
  codeCounter++;
  return `DH${String(codeCounter).padStart(8, '0')}`;
}

/**
 * A pending, unpaid order with `tasks` pending tasks, or one pending task per course when
 * `courses` is given.
 */
export async function createOrder(
  db: Db,
  options: {
    total?: number;
    tasks?: number;
    code?: string;
    courses?: Array<{ title: string; url: string }>;
  } = {},
): Promise<{ orderId: number; code: string; taskIds: number[]; total: number }> {
  const code = options.code ?? nextOrderCode();
  const total = options.total ?? 500_000;
  const [result] = await db
    .insert(orders)
    .values({ order_code: code, user_email: 'buyer@example.com', total_amount: total });
  const orderId = result.insertId;
  const taskIds = await insertTasks(
    db,
    orderId,
    options.courses
      ? options.courses.map((course) => ({ title: course.title, course_url: course.url }))
      : Array.from({ length: options.tasks ?? 2 }, (_, i) => ({
          title: `Course ${i + 1}`,
          course_url: `http://127.0.0.1:1/courses/${i + 1}/manifest.json`,
        })),
  );
  return { orderId, code, taskIds, total };
}

/** An order's audit events, oldest first. */
export async function auditEventsOf(db: Db, orderId: number) {
  return db
    .select()
    .from(orderAuditLogs)
    .where(eq(orderAuditLogs.order_id, orderId))
    .orderBy(orderAuditLogs.id);
}

let transactionCounter = randomInt(1, 1_000_000) * 1000;

/** A SePay transaction paying `amount` for `code`, with a unique id. */
export function sepayTransaction(
  code: string | null,
  amount: number,
  overrides: Partial<SepayTransaction> = {},
): SepayTransaction {
  transactionCounter++;
  return {
    id: transactionCounter,
    gateway: 'Vietcombank',
    transactionDate: '2025-06-01 10:20:30',
    accountNumber: '0123456789',
    code,
    content: code ? `Thanh toan ${code}` : 'Thanh toan',
    transferType: 'in',
    transferAmount: amount,
    accumulated: 10_000_000,
    subAccount: null,
    referenceCode: `FT${transactionCounter}`,
    description: 'test transfer',
    ...overrides,
  };
}

/** POSTs a body to the webhook, signed with `secret` (or with the headers given). */
export async function postWebhook(
  baseUrl: string,
  body: string | object,
  options: { secret?: string; t?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: { success: boolean; message?: string } }> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.headers) Object.assign(headers, options.headers);
  else headers['paidflow-signature'] = signatureHeader(options.secret ?? TEST_SECRET, raw, options.t);
  const response = await fetch(`${baseUrl}/webhooks/payment`, { method: 'POST', headers, body: raw });
  return { status: response.status, json: (await response.json()) as { success: boolean; message?: string } };
}

/** Polls until `check` returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
