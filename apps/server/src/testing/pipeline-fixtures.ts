import { randomInt, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { localDeliveryPath, type SepayTransaction } from '@paidflow/contracts';
import {
  type Db,
  downloadTasks,
  insertTasks,
  orderAuditLogs,
  orders,
  paymentTransactions,
} from '@paidflow/db';
import { createTestDatabase, createTestDbUser, type TestDatabase } from '@paidflow/db/testing';
import { createLogger, redisTarget } from '@paidflow/runtime';
import { eq } from 'drizzle-orm';
import { type RunningServer, startServer } from '../app.ts';
import { type ServerEnv, testEnv } from '../env.ts';
import { createContextInner } from '../trpc/context.ts';
import { createCallerFactory } from '../trpc/init.ts';
import { appRouter } from '../trpc/routers/_app.ts';
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

export interface TestServerOptions {
  /**
   * Whom the server connects as: the database's owner (the default), or an application user
   * made for the run by create-db-user's function (SELECT, INSERT, UPDATE, DELETE only), dropped
   * on close. The test's own handle (`tdb`) stays the owner's.
   */
  databaseUser?: 'owner' | 'app-user';
}

/**
 * A real server on a random port, with its own database and Redis prefix. Overrides with
 * REDIS_CLUSTER_NODES put it on a Redis Cluster (decision 058).
 */
export async function startTestServer(
  label: string,
  overrides: Partial<Record<keyof ServerEnv, string>> = {},
  options: TestServerOptions = {},
): Promise<TestServer> {
  const tdb = await createTestDatabase(label);
  const appUser = options.databaseUser === 'app-user' ? await createTestDbUser(tdb) : null;
  const prefix = `test-${randomUUID()}`;
  const env = testEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: appUser?.url ?? tdb.url,
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
      // A cluster's keys are spread over its masters: the cleanup follows REDIS_CLUSTER_NODES.
      await deleteRedisPrefix(redisTarget(env), prefix);
      await appUser?.drop();
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

/** The stored payment rows under a provider key: a transaction's id, or a rejected body's key. */
export async function storedPayments(db: Db, providerKey: number | string) {
  return db
    .select()
    .from(paymentTransactions)
    .where(eq(paymentTransactions.provider_transaction_id, String(providerKey)));
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

/** A file a test delivers: its path in the task, its bytes and its media type. */
export interface TestDeliveredFile {
  path: string;
  content: string | Buffer;
  contentType?: string;
}

/**
 * Delivers a paid task as the worker does (decision 044): claims it, moves it to uploading,
 * writes its files under the server's DELIVERY_DIR in the local destination's layout, and
 * completes it with their manifest. Returns the task's drive_link (the customer's page).
 */
export async function deliverTestTask(
  server: RunningServer,
  input: { taskId: number; files: TestDeliveredFile[]; generation?: number },
): Promise<string> {
  const { db, env } = server.deps;
  const [row] = await db
    .select({ title: downloadTasks.title, code: orders.order_code })
    .from(downloadTasks)
    .innerJoin(orders, eq(orders.id, downloadTasks.order_id))
    .where(eq(downloadTasks.id, input.taskId));
  if (!row) throw new Error(`task ${input.taskId} does not exist`);
  const api = createCallerFactory(appRouter)(
    await createContextInner(server.deps, { principal: { kind: 'worker' } }),
  );
  const jobId = `task-${input.taskId}-${input.generation ?? 1}`;
  const claim = await api.worker.claim({ taskId: input.taskId, jobId, attempt: 1 });
  if (!claim.proceed) throw new Error(`task ${input.taskId} not claimed: ${claim.reason}`);
  const run = { taskId: input.taskId, jobId, runToken: claim.runToken };
  await api.worker.transition({ ...run, to: 'uploading' });
  const relative = localDeliveryPath({ orderCode: row.code, taskId: input.taskId, title: row.title });
  const dir = path.join(env.DELIVERY_DIR, ...relative.split('/'));
  let bytes = 0;
  for (const file of input.files) {
    const target = path.join(dir, ...file.path.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.content);
    bytes += Buffer.byteLength(file.content);
  }
  await api.worker.complete({
    ...run,
    deliveredFiles: input.files.map((file) => ({
      path: file.path,
      size: Buffer.byteLength(file.content),
      contentType: file.contentType ?? 'application/octet-stream',
    })),
    files: input.files.length,
    bytes,
    durationMs: 1,
  });
  const [task] = await db
    .select({ link: downloadTasks.drive_link })
    .from(downloadTasks)
    .where(eq(downloadTasks.id, input.taskId));
  return task!.link!;
}

/** A message as the SMTP sink received it, decoded: its headers, and its text and HTML parts. */
export interface DecodedMail {
  headers: string;
  text: string | null;
  html: string | null;
}

function decodePart(headers: string, body: string): string {
  const encoding = /content-transfer-encoding:\s*([\w-]+)/i.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const joined = body.replace(/=\r?\n/g, '');
    const bytes: number[] = [];
    for (let i = 0; i < joined.length; i++) {
      const hex = joined[i] === '=' ? /^[0-9A-F]{2}$/i.exec(joined.slice(i + 1, i + 3))?.[0] : undefined;
      if (hex) {
        bytes.push(Number.parseInt(hex, 16));
        i += 2;
      } else bytes.push(...Buffer.from(joined[i]!, 'utf8'));
    }
    return Buffer.from(bytes).toString('utf8');
  }
  return body;
}

/** Splits a raw message (as the sink keeps it, lines ending in \n) into its decoded parts. */
export function decodeMail(raw: string): DecodedMail {
  const split = (text: string) => {
    const at = text.indexOf('\n\n');
    return at < 0 ? { headers: text, body: '' } : { headers: text.slice(0, at), body: text.slice(at + 2) };
  };
  const top = split(raw);
  const boundary = /boundary="?([^";\n]+)"?/i.exec(top.headers)?.[1];
  const parts = boundary
    ? top.body
        .split(`--${boundary}`)
        .slice(1, -1)
        .map((part) => split(part.replace(/^\n/, '')))
    : [top];
  const find = (type: string) => {
    const part = parts.find((p) => new RegExp(`content-type:\\s*${type}`, 'i').test(p.headers));
    return part ? decodePart(part.headers, part.body.replace(/\n$/, '')) : null;
  };
  return { headers: top.headers, text: find('text/plain'), html: find('text/html') };
}
