import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { localDeliveryPath } from '@paidflow/contracts';
import {
  deliveryDownloads,
  deliveryLinks,
  downloadTasks,
  orderAuditLogs,
  revokeDeliveryLink,
} from '@paidflow/db';
import { createLogger, createRedis } from '@paidflow/runtime';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createLimits } from '../limits/limits.ts';
import { callerFor } from '../testing/live-fixtures.ts';
import {
  auditEventsOf,
  createOrder,
  deliverTestTask,
  postWebhook,
  sepayTransaction,
  startTestServer,
  type TestServer,
  waitFor,
} from '../testing/pipeline-fixtures.ts';
import { takeDeliveryRequest } from './rate-limit.ts';
import { newDeliveryNonce, signDeliveryToken } from './tokens.ts';

const SECRET = 'delivery-test-secret-0123456789';
const RATE_LIMIT = 40;
let t: TestServer;
let deliveryDir: string;
let outside: string;
let ipCounter = 0;

beforeAll(async () => {
  deliveryDir = await mkdtemp(path.join(os.tmpdir(), 'paidflow-delivery-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'paidflow-outside-'));
  t = await startTestServer('delivery', {
    DELIVERY_DIR: deliveryDir,
    DELIVERY_SECRETS: `${SECRET},older-delivery-secret-0123456789`,
    DELIVERY_RATE_LIMIT: String(RATE_LIMIT),
    // Each test is its own client (X-Forwarded-For), so that the limit is only met where it is tested.
    TRUST_PROXY: 'true',
  });
});
afterAll(async () => {
  await t?.close();
  await rm(deliveryDir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request with its path exactly as given (fetch would normalise `..` away). */
function request(
  rawPath: string,
  options: { method?: string; headers?: Record<string, string>; ip?: string } = {},
): Promise<Reply> {
  const { port } = new URL(t.server.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: rawPath,
        method: options.method ?? 'GET',
        headers: { 'x-forwarded-for': options.ip ?? '10.0.0.1', ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A client address of its own for one test. */
function nextIp(): string {
  ipCounter++;
  return `10.1.${Math.floor(ipCounter / 250)}.${ipCounter % 250}`;
}

async function failTask(taskId: number) {
  const api = await callerFor(t.server.deps, { kind: 'worker' });
  const jobId = `task-${taskId}-1`;
  const claim = await api.worker.claim({ taskId, jobId, attempt: 1 });
  if (!claim.proceed) throw new Error('not claimed');
  await api.worker.reportFailure({
    taskId,
    jobId,
    runToken: claim.runToken,
    attempt: 1,
    maxAttempts: 3,
    step: 'enroll',
    error: { type: 'NOT_FOUND', message: 'course gone', retryable: false, file: null },
    final: true,
    at: new Date().toISOString(),
  });
}

const video = randomBytes(300_000);
const pdfName = 'Bài giảng 1.pdf';
const pdf = Buffer.from('%PDF-1.4 a tiny document');

/** A paid order of three courses: two delivered (one with a nested file), the third failed. */
async function deliveredOrder() {
  const order = await createOrder(t.tdb.db, {
    courses: [
      { title: 'Intro <script>alert(1)</script>', url: 'http://127.0.0.1:1/a.json' },
      { title: 'Lập trình Node.js', url: 'http://127.0.0.1:1/b.json' },
      { title: 'Missing course', url: 'http://127.0.0.1:1/c.json' },
    ],
  });
  expect((await postWebhook(t.server.url, sepayTransaction(order.code, order.total))).status).toBe(200);
  const [first, second, third] = order.taskIds as [number, number, number];
  const link = await deliverTestTask(t.server, {
    taskId: first,
    files: [
      { path: 'lesson-01.mp4', content: video, contentType: 'video/mp4' },
      { path: 'notes/week 1.txt', content: 'notes', contentType: 'text/plain; charset=utf-8' },
    ],
  });
  await deliverTestTask(t.server, {
    taskId: second,
    files: [{ path: pdfName, content: pdf, contentType: 'application/pdf' }],
  });
  await failTask(third);
  const url = new URL(link);
  expect(url.hash).toBe(`#course-${first}`);
  return { ...order, first, second, third, page: url.pathname };
}

let shared: Awaited<ReturnType<typeof deliveredOrder>>;
beforeAll(async () => {
  shared = await deliveredOrder();
});

test('the page lists the delivered courses with sizes and a download-all, and those not ready, in both languages', async () => {
  const ip = nextIp();
  const vi = await request(shared.page, { ip });
  expect(vi.status).toBe(200);
  expect(vi.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(vi.headers['cache-control']).toBe('no-store');
  expect(vi.headers['x-content-type-options']).toBe('nosniff');
  const page = vi.body.toString('utf8');
  expect(page).toContain('<html lang="vi">');
  expect(page).toContain(`Đơn hàng ${shared.code}`);
  expect(page).toContain('Tải tất cả (ZIP)');
  expect(page).toContain('300 kB');
  // The title is text, never markup.
  expect(page).toContain('Intro &lt;script&gt;alert(1)&lt;/script&gt;');
  expect(page).not.toContain('<script>');
  expect(page).toContain(`${shared.page}/zip/${shared.first}`);
  expect(page).toContain(`${shared.page}/f/${shared.second}/${encodeURIComponent(pdfName)}`);
  expect(page).toContain('Missing course: không giao được');

  const en = await request(shared.page, { ip, headers: { 'accept-language': 'en-US,en;q=0.9' } });
  expect(en.status).toBe(200);
  const english = en.body.toString('utf8');
  expect(english).toContain('<html lang="en">');
  expect(english).toContain('Download all (ZIP)');
  expect(english).toContain('Missing course: could not be delivered');
  // ?lang= wins over the browser.
  const forced = await request(`${shared.page}?lang=vi`, { ip, headers: { 'accept-language': 'en' } });
  expect(forced.body.toString('utf8')).toContain('<html lang="vi">');
});

test('a file downloads byte-identical with its type and name; a Range resumes it; past the end is 416; HEAD has no body', async () => {
  const ip = nextIp();
  const file = `${shared.page}/f/${shared.first}/lesson-01.mp4`;
  const whole = await request(file, { ip });
  expect(whole.status).toBe(200);
  expect(whole.headers['content-type']).toBe('video/mp4');
  expect(whole.headers['content-disposition']).toBe(
    `attachment; filename="lesson-01.mp4"; filename*=UTF-8''lesson-01.mp4`,
  );
  expect(whole.headers['accept-ranges']).toBe('bytes');
  expect(Number(whole.headers['content-length'])).toBe(video.length);
  expect(whole.body.equals(video)).toBe(true);

  // A dropped connection after 100 000 bytes, then the rest.
  const head = await request(file, { ip, headers: { range: 'bytes=0-99999' } });
  expect(head.status).toBe(206);
  expect(head.headers['content-range']).toBe(`bytes 0-99999/${video.length}`);
  const rest = await request(file, {
    ip,
    headers: { range: 'bytes=100000-', 'if-range': whole.headers.etag! },
  });
  expect(rest.status).toBe(206);
  expect(rest.headers['content-range']).toBe(`bytes 100000-${video.length - 1}/${video.length}`);
  expect(Number(rest.headers['content-length'])).toBe(video.length - 100_000);
  expect(Buffer.concat([head.body, rest.body]).equals(video)).toBe(true);
  const suffix = await request(file, { ip, headers: { range: 'bytes=-10' } });
  expect(suffix.body.equals(video.subarray(-10))).toBe(true);

  const past = await request(file, { ip, headers: { range: `bytes=${video.length}-` } });
  expect(past.status).toBe(416);
  expect(past.headers['content-range']).toBe(`bytes */${video.length}`);
  // A validator for another version of the file: the whole (current) file, not a range of it.
  const stale = await request(file, { ip, headers: { range: 'bytes=10-', 'if-range': '"other"' } });
  expect(stale.status).toBe(200);
  expect(stale.body.length).toBe(video.length);

  const headOnly = await request(file, { ip, method: 'HEAD' });
  expect(headOnly.status).toBe(200);
  expect(Number(headOnly.headers['content-length'])).toBe(video.length);
  expect(headOnly.body.length).toBe(0);

  const unicode = await request(`${shared.page}/f/${shared.second}/${encodeURIComponent(pdfName)}`, { ip });
  expect(unicode.status).toBe(200);
  expect(unicode.headers['content-type']).toBe('application/pdf');
  expect(unicode.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent(pdfName)}`);
  expect(unicode.body.equals(pdf)).toBe(true);
  const nested = await request(`${shared.page}/f/${shared.first}/notes/week%201.txt`, { ip });
  expect(nested.status).toBe(200);
  expect(nested.body.toString()).toBe('notes');
});

test('download all is a ZIP of the course with its announced length, which unzip reads back whole', async () => {
  const reply = await request(`${shared.page}/zip/${shared.first}`, { ip: nextIp() });
  expect(reply.status).toBe(200);
  expect(reply.headers['content-type']).toBe('application/zip');
  expect(reply.headers['content-disposition']).toContain('filename="intro-script-alert-1-script.zip"');
  expect(Number(reply.headers['content-length'])).toBe(reply.body.length);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'paidflow-zip-'));
  try {
    await writeFile(path.join(dir, 'c.zip'), reply.body);
    const script =
      'import hashlib,json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))';
    const result = spawnSync('python3', ['-c', script, path.join(dir, 'c.zip')], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const sha = (content: Buffer | string) => createHash('sha256').update(content).digest('hex');
    expect(JSON.parse(result.stdout)).toEqual({
      'intro-script-alert-1-script/lesson-01.mp4': sha(video),
      'intro-script-alert-1-script/notes/week 1.txt': sha('notes'),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a path outside the order's files is refused with the same 404 as an unknown link", async () => {
  const ip = nextIp();
  const other = await createOrder(t.tdb.db, { tasks: 1 });
  expect((await postWebhook(t.server.url, sepayTransaction(other.code, other.total))).status).toBe(200);
  const otherTask = other.taskIds[0]!;
  await deliverTestTask(t.server, { taskId: otherTask, files: [{ path: 'secret.mp4', content: 'theirs' }] });
  const unknown = await request(
    `/d/${signDeliveryToken(SECRET, { linkId: 999_999, nonce: newDeliveryNonce() })}`,
    {
      ip,
    },
  );
  expect(unknown.status).toBe(404);
  const base = `${shared.page}/f/${shared.first}`;
  const refused = [
    `${base}/../../../../../../etc/passwd`,
    `${base}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd`,
    `${base}/..%2F..%2F..%2Fetc%2Fpasswd`,
    `${base}//etc/passwd`,
    `${base}/%2Fetc%2Fpasswd`,
    `${base}/lesson-01.mp4%00`,
    `${base}/missing.mp4`,
    `${base}/%E0%A4%A`,
    // The order's failed course, and another order's course (with its real file name).
    `${shared.page}/f/${shared.third}/lesson-01.mp4`,
    `${shared.page}/f/${otherTask}/secret.mp4`,
    `${shared.page}/zip/${otherTask}`,
    `${shared.page}/f/abc/lesson-01.mp4`,
    `${shared.page}/other`,
  ];
  for (const rawPath of refused) {
    const reply = await request(rawPath, { ip });
    expect(reply.status, rawPath).toBe(404);
    expect(reply.body.equals(unknown.body), rawPath).toBe(true);
  }
});

test('a delivered file that is a link leading out of DELIVERY_DIR is refused', async () => {
  const order = await createOrder(t.tdb.db, { tasks: 1 });
  expect((await postWebhook(t.server.url, sepayTransaction(order.code, order.total))).status).toBe(200);
  const taskId = order.taskIds[0]!;
  const link = await deliverTestTask(t.server, { taskId, files: [{ path: 'a.txt', content: 'mine' }] });
  // Replaced by a link to a file of the same size elsewhere on the machine.
  await writeFile(path.join(outside, 'b.txt'), 'evil');
  const [row] = await t.tdb.db.select().from(downloadTasks).where(eq(downloadTasks.id, taskId));
  const target = path.join(
    deliveryDir,
    ...localDeliveryPath({ orderCode: order.code, taskId, title: row!.title }).split('/'),
    'a.txt',
  );
  await unlink(target);
  await symlink(path.join(outside, 'b.txt'), target);
  const reply = await request(`${new URL(link).pathname}/f/${taskId}/a.txt`, { ip: nextIp() });
  expect(reply.status).toBe(404);
  expect(reply.body.toString()).not.toContain('evil');
});

test('a tampered and an unknown token get the same 404; an expired or revoked link gets 410 saying how to get a new one', async () => {
  const ip = nextIp();
  const order = await deliveredOrder();
  const token = order.page.slice('/d/'.length);
  const [id, nonce, mac] = token.split('.') as [string, string, string];
  const flipped = `${mac.slice(0, 5)}${mac[5] === 'A' ? 'B' : 'A'}${mac.slice(6)}`;
  const variants = [
    `/d/${id}.${nonce}.${flipped}`,
    `/d/${signDeliveryToken(SECRET, { linkId: Number(id), nonce: newDeliveryNonce() })}`,
    `/d/${signDeliveryToken(SECRET, { linkId: 999_998, nonce })}`,
    `/d/${signDeliveryToken('not-our-secret-0123456789', { linkId: Number(id), nonce })}`,
    '/d/garbage',
    '/d/',
  ];
  const replies = await Promise.all(variants.map((variant) => request(variant, { ip })));
  for (const [index, reply] of replies.entries()) {
    expect(reply.status, variants[index]).toBe(404);
    expect(reply.body.equals(replies[0]!.body), variants[index]).toBe(true);
  }
  expect(replies[0]!.body.toString()).not.toContain(order.code);
  // The old secret of a rotation still opens the page.
  const rotated = await request(
    `/d/${signDeliveryToken('older-delivery-secret-0123456789', { linkId: Number(id), nonce })}`,
    {
      ip,
    },
  );
  expect(rotated.status).toBe(200);

  await t.tdb.db
    .update(deliveryLinks)
    .set({ expires_at: new Date(Date.now() - 1000) })
    .where(eq(deliveryLinks.id, Number(id)));
  const expired = await request(order.page, { ip });
  expect(expired.status).toBe(410);
  expect(expired.body.toString()).toContain('Liên kết đã hết hạn');
  expect(expired.body.toString()).toContain(order.code);
  const expiredFile = await request(`${order.page}/f/${order.first}/lesson-01.mp4`, {
    ip,
    headers: { 'accept-language': 'en' },
  });
  expect(expiredFile.status).toBe(410);
  expect(expiredFile.body.toString()).toContain('This link has expired');
  expect(expiredFile.body.toString()).toContain('reply to the delivery e-mail');

  const second = await deliveredOrder();
  const secondId = Number(second.page.slice(3).split('.')[0]);
  expect(await revokeDeliveryLink(t.tdb.db, secondId, 'ops@example.com')).toBe(true);
  const revoked = await request(second.page, { ip, headers: { 'accept-language': 'en' } });
  expect(revoked.status).toBe(410);
  expect(revoked.body.toString()).toContain('This link is no longer valid');
});

test('downloads are counted per file (ranges add no rows), and the first open of the day is audited once', async () => {
  const ip = nextIp();
  const order = await deliveredOrder();
  const linkId = Number(order.page.slice(3).split('.')[0]);
  const file = `${order.page}/f/${order.first}/lesson-01.mp4`;
  for (let i = 0; i < 3; i++) expect((await request(order.page, { ip })).status).toBe(200);
  expect((await request(file, { ip })).status).toBe(200);
  expect((await request(file, { ip, headers: { range: 'bytes=0-999' } })).status).toBe(206);
  expect((await request(file, { ip, headers: { range: 'bytes=1000-' } })).status).toBe(206);
  expect((await request(file, { ip, method: 'HEAD' })).status).toBe(200);
  expect((await request(`${order.page}/zip/${order.second}`, { ip })).status).toBe(200);

  const rows = () =>
    t.tdb.db
      .select()
      .from(deliveryDownloads)
      .where(inArray(deliveryDownloads.task_id, [order.first, order.second]));
  // Counted once the response has ended.
  await waitFor(
    async () =>
      (await rows()).length === 2 && (await rows()).some((row) => row.bytes_sent === 2 * video.length),
  );
  const byPath = new Map((await rows()).map((row) => [row.file_path, row]));
  // The whole file and the range from byte 0 are downloads; the resumed range only adds bytes.
  expect(byPath.get('lesson-01.mp4')).toMatchObject({ downloads: 2, bytes_sent: 2 * video.length });
  expect(byPath.get(pdfName)).toMatchObject({ downloads: 1, bytes_sent: pdf.length });

  const opened = async () =>
    (await auditEventsOf(t.tdb.db, order.orderId)).filter((event) => event.event_type === 'delivery_opened');
  expect(await opened()).toHaveLength(1);
  expect((await opened())[0]).toMatchObject({ source: 'customer', details: { linkId } });
  // As if that open had been on an earlier day: today's first open is audited, once.
  await t.tdb.db
    .update(deliveryLinks)
    .set({ last_opened_on: '2000-01-01' })
    .where(eq(deliveryLinks.id, linkId));
  await t.tdb.db
    .update(orderAuditLogs)
    .set({ dedupe_key: `delivery_opened:${linkId}:2000-01-01` })
    .where(eq(orderAuditLogs.id, (await opened())[0]!.id));
  await request(order.page, { ip });
  await request(file, { ip, headers: { range: 'bytes=5-' } });
  expect(await opened()).toHaveLength(2);
  expect((await opened())[1]!.details).toMatchObject({ linkId, day: new Date().toISOString().slice(0, 10) });
});

test('the endpoint is rate-limited per client (429 with Retry-After), and serves on when Redis is down', async () => {
  const ip = nextIp();
  for (let i = 0; i < RATE_LIMIT; i++)
    expect((await request(shared.page, { ip })).status, `request ${i}`).toBe(200);
  const limited = await request(shared.page, { ip });
  expect(limited.status).toBe(429);
  expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
  expect(limited.body.toString()).toContain('Quá nhiều yêu cầu');
  // Another client is not limited.
  expect((await request(shared.page, { ip: nextIp() })).status).toBe(200);

  const deadRedis = createRedis('redis://127.0.0.1:1', createLogger('silent'), { connectTimeout: 200 });
  try {
    const limits = createLimits({ ...t.server.deps, redis: deadRedis });
    try {
      expect(await takeDeliveryRequest({ limits }, '10.9.9.9')).toEqual({ allowed: true });
    } finally {
      limits.close();
    }
  } finally {
    deadRedis.disconnect();
  }
});
