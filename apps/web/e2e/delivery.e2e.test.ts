import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { CourseManifest } from '@paidflow/contracts';
import { type CourseSource, startCourseSource } from '@paidflow/course-source';
import { createLogger } from '@paidflow/runtime';
import {
  decodeMail,
  deleteRedisPrefix,
  ensureDemoAdmins,
  freePort,
  nextOrderCode,
  postWebhook,
  type RunningServer,
  type SmtpSink,
  sepayTransaction,
  testEnv as serverTestEnv,
  startServer,
  startSmtpSink,
  waitFor,
} from '@paidflow/server/testing';
import { type RunningWorker, startWorker, testEnv as workerTestEnv } from '@paidflow/worker/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test as vitestTest } from 'vitest';
import { insertTasks, orders } from '../../../packages/db/src/index.ts';
import { createTestDatabase, type TestDatabase } from '../../../packages/db/src/testing.ts';
import { launchBrowser, SKIP_BROWSER_TESTS, screenshot, signedInPage } from './browser.ts';
import { buildWeb, WEB_DIST } from './stack.ts';

// The customer's side of a delivery, in headless Chromium, against the real server, worker,
// MariaDB, Redis and an SMTP sink: the link comes from the e-mail the sink captured.

const test = vitestTest.skipIf(SKIP_BROWSER_TESTS);
const SECRET = 'e2e-webhook-secret-0123456789';

let db: TestDatabase;
let server: RunningServer;
let worker: RunningWorker;
let source: CourseSource;
let sink: SmtpSink;
let browser: Browser;
let root: string;
let prefix: string;
let baseUrl: string;

beforeAll(async () => {
  if (SKIP_BROWSER_TESTS) return;
  await buildWeb();
  db = await createTestDatabase('e2e_delivery');
  prefix = `test-${randomUUID()}`;
  root = await mkdtemp(path.join(os.tmpdir(), 'paidflow-e2e-delivery-'));
  source = await startCourseSource({ bytesPerSecond: null });
  sink = await startSmtpSink();
  // The e-mail's links must reach this server: its port is chosen first.
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  server = await startServer(
    serverTestEnv({
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: baseUrl,
      DATABASE_URL: db.url,
      REDIS_PREFIX: prefix,
      WEBHOOK_SECRETS: SECRET,
      WEB_DIST_DIR: WEB_DIST,
      OUTBOX_POLL_MS: '100',
      SMTP_URL: sink.url,
      DELIVERY_DIR: path.join(root, 'delivery'),
    }),
    createLogger('silent'),
  );
  await ensureDemoAdmins(db.db);
  worker = await startWorker(
    workerTestEnv({
      REDIS_PREFIX: prefix,
      SERVER_URL: server.url,
      STORAGE_DIR: path.join(root, 'storage'),
      DELIVERY_DIR: path.join(root, 'delivery'),
      HEALTH_HOST: '127.0.0.1',
      WORKER_ID: 'e2e-worker-delivery',
    }),
    createLogger('silent'),
  );
  browser = await launchBrowser();
});

afterAll(async () => {
  if (SKIP_BROWSER_TESTS) return;
  await browser?.close();
  await worker?.close();
  await server?.close();
  await source?.close();
  await sink?.close();
  if (prefix) await deleteRedisPrefix('redis://127.0.0.1:6379', prefix);
  await db?.[Symbol.asyncDispose]();
  if (root) await rm(root, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The page link of the n-th e-mail the sink captured (its text part). */
async function linkFromMail(index: number): Promise<string> {
  await waitFor(() => sink.messages.length > index, 60_000, `e-mail ${index + 1}`);
  const { text } = decodeMail(sink.messages[index]!.data);
  const match = /Your download page \(valid until [^)]*\):\n(\S+)/.exec(text ?? '');
  expect(match, text ?? '').not.toBeNull();
  return match![1]!;
}

/** A GET that the "network" drops after `limit` bytes: what the client had received by then. */
function droppedDownload(url: string, limit: number): Promise<{ received: Buffer; etag: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= limit) {
          req.destroy();
          resolve({ received: Buffer.concat(chunks), etag: String(res.headers.etag) });
        }
      });
      res.on('error', () => {});
    });
    req.on('error', (error) => {
      if (!req.destroyed) reject(error);
    });
  });
}

test('a customer opens the link from the e-mail, sees the page, and downloads files byte-identical to the source, a resumed Range download included', async () => {
  const manifestUrl = source.manifestUrl('react-from-scratch', { files: 2, size: 1_500_000 });
  const code = nextOrderCode();
  const [inserted] = await db.db
    .insert(orders)
    .values({ order_code: code, user_email: 'customer@example.com', total_amount: 600_000 });
  const orderId = inserted.insertId;
  const [taskId] = await insertTasks(db.db, orderId, [
    { title: 'React from scratch', course_url: manifestUrl },
    { title: 'A course that is gone', course_url: source.manifestUrl('missing-e2e-delivery') },
  ]);
  expect((await postWebhook(server.url, sepayTransaction(code, 600_000), { secret: SECRET })).status).toBe(
    200,
  );

  const pageUrl = await linkFromMail(0);
  expect(pageUrl.startsWith(`${baseUrl}/d/`)).toBe(true);
  const mail = decodeMail(sink.messages[0]!.data);
  expect(mail.text).toContain('1 of 2 courses is ready');
  expect(mail.text).toContain('- A course that is gone: could not be delivered');
  expect(mail.html).toContain(`href="${pageUrl}"`);

  const manifest = CourseManifest.parse(await (await fetch(manifestUrl)).json());
  const sourceBytes = new Map<string, Buffer>();
  for (const file of manifest.files)
    sourceBytes.set(file.name, Buffer.from(await (await fetch(file.url)).arrayBuffer()));

  // The page, in Vietnamese (the browser asks for it), then in English.
  const context = await browser.newContext({
    viewport: { width: 1000, height: 800 },
    locale: 'vi-VN',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const response = await page.goto(pageUrl);
  expect(response?.status()).toBe(200);
  await page.getByRole('heading', { name: 'Tải khoá học của bạn' }).waitFor();
  await page.getByRole('heading', { name: 'React from scratch' }).waitFor();
  await page.getByText('A course that is gone: không giao được').waitFor();
  expect(await page.getByRole('link', { name: 'Tải tất cả (ZIP)' }).count()).toBe(1);
  await screenshot(page, 'delivery-page');
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Your course downloads' }).waitFor();
  await screenshot(page, 'delivery-page-en');

  // A file, downloaded by Chromium from the page: the same bytes as the course source's.
  const first = manifest.files[0]!;
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: first.name }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(first.name);
  const downloaded = await readFile((await download.path())!);
  expect(sha256(downloaded)).toBe(sha256(sourceBytes.get(first.name)!));

  // "Download all": a ZIP that unzip checks whole.
  const [archive] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download all (ZIP)' }).click(),
  ]);
  expect(archive.suggestedFilename()).toBe('react-from-scratch.zip');
  const unzip = spawnSync('unzip', ['-tq', (await archive.path())!], { encoding: 'utf8' });
  expect(unzip.status, unzip.stdout + unzip.stderr).toBe(0);

  // The second file: the connection drops part-way, and the download resumes with a Range.
  const second = manifest.files[1]!;
  const fileUrl = `${pageUrl}/f/${taskId}/${encodeURIComponent(second.name)}`;
  expect(await page.getByRole('link', { name: second.name }).getAttribute('href')).toBe(
    new URL(fileUrl).pathname,
  );
  const dropped = await droppedDownload(fileUrl, 500_000);
  expect(dropped.received.length).toBeGreaterThanOrEqual(500_000);
  expect(dropped.received.length).toBeLessThan(second.size);
  const resumed = await fetch(fileUrl, {
    headers: { range: `bytes=${dropped.received.length}-`, 'if-range': dropped.etag },
  });
  expect(resumed.status).toBe(206);
  expect(resumed.headers.get('content-range')).toBe(
    `bytes ${dropped.received.length}-${second.size - 1}/${second.size}`,
  );
  const whole = Buffer.concat([dropped.received, Buffer.from(await resumed.arrayBuffer())]);
  expect(sha256(whole)).toBe(sha256(sourceBytes.get(second.name)!));
  expect(errors).toEqual([]);

  // The operator sees the link and the counts, and revokes it: the customer's page says so (410).
  // Signed in elsewhere first: on this order's page, signedInPage's wait for the "Live" status
  // would also match the notice "1 of 2 courses deLIVEred".
  const operator = await signedInPage(browser, server.url, 'operator');
  await operator.page.goto(`${server.url}/orders/${orderId}`);
  const panel = operator.page.getByRole('region', { name: 'Customer delivery' });
  await panel.getByTestId('link-status').filter({ hasText: 'active' }).waitFor();
  expect(await panel.getByLabel('Customer link').inputValue()).toBe(pageUrl);
  await panel
    .locator(`tr[data-file="${first.name}"] [data-testid="download-count"]`)
    .filter({ hasText: /^[1-9]/ })
    .waitFor({ timeout: 20_000 });
  await screenshot(operator.page, 'delivery-panel');
  await panel.getByRole('button', { name: 'Revoke link' }).click();
  await panel.getByRole('button', { name: 'Press to revoke' }).click();
  await panel.getByTestId('link-status').filter({ hasText: 'revoked' }).waitFor();

  const gone = await page.goto(pageUrl);
  expect(gone?.status()).toBe(410);
  await page.getByRole('heading', { name: 'Liên kết không còn hiệu lực' }).waitFor();
  await page.getByText(code).waitFor();
  await screenshot(page, 'delivery-gone');

  // Re-issued and resent: the second e-mail's link works, the first stays gone.
  await panel.getByRole('button', { name: 'Re-issue link' }).click();
  await panel.getByRole('button', { name: 'Press to re-issue' }).click();
  await panel.getByTestId('link-status').filter({ hasText: 'active' }).waitFor();
  await panel.getByRole('button', { name: 'Resend e-mail' }).click();
  await panel.getByRole('button', { name: 'Press to resend' }).click();
  const newUrl = await linkFromMail(1);
  expect(newUrl).not.toBe(pageUrl);
  expect((await page.goto(newUrl))?.status()).toBe(200);
  expect((await fetch(pageUrl)).status).toBe(410);
  expect(operator.errors.filter((line) => !/Failed to load resource/.test(line))).toEqual([]);
  await operator.page.context().close();
  await context.close();
});
