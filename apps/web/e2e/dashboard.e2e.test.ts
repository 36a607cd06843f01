import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test as vitestTest } from 'vitest';
import {
  launchBrowser,
  markDocument,
  orderRow,
  SKIP_BROWSER_TESTS,
  screenshot,
  signedInPage,
  stillSameDocument,
  taskCard,
  watchValues,
} from './browser.ts';
import { type Stack, startStack } from './stack.ts';

// Against the real server, worker, MariaDB and Redis, in headless Chromium.

const test = vitestTest.skipIf(SKIP_BROWSER_TESTS);

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  if (SKIP_BROWSER_TESTS) return;
  stack = await startStack('dashboard');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Network noise a test may cause on purpose is not an application error. */
function appErrors(errors: string[]): string[] {
  return errors.filter((line) => !/status of 403|Failed to load resource/.test(line));
}

test('an operator pays an order and watches it complete live, in the list and in the detail, with its audit trail', async () => {
  // Three files of 400 kB at 300 kB/s per task: about four seconds each, long enough to watch.
  const course = (slug: string) => stack.source.manifestUrl(slug, { files: 3, size: 400_000, bps: 300_000 });
  const order = await stack.createOrder([
    { title: 'React from scratch', url: course('react-from-scratch') },
    { title: 'Python for data', url: course('python-for-data') },
  ]);

  const signIn = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signIn.goto(stack.url);
  await signIn.getByRole('button', { name: 'Sign in' }).waitFor();
  await screenshot(signIn, 'sign-in');
  await signIn.context().close();

  const list = await signedInPage(browser, stack.url, 'operator');
  await list.page.getByRole('heading', { name: 'Overview' }).waitFor();
  await list.page.getByRole('status').filter({ hasText: /^Live/ }).waitFor();
  await screenshot(list.page, 'overview');
  await list.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Orders' }).click();
  await list.page.getByRole('heading', { name: 'Paid orders' }).waitFor();
  // Unpaid orders are not in the paid list.
  await expect.poll(() => orderRow(list.page, order.code).count()).toBe(0);
  await markDocument(list.page);

  const detail = await signedInPage(browser, stack.url, 'operator', { path: `/orders/${order.orderId}` });
  await detail.page.getByRole('heading', { name: `Order ${order.code}` }).waitFor();
  await detail.page.getByRole('button', { name: 'Show audit logs' }).click();
  // Nothing has happened to the order yet (it was created without an audit event).
  await detail.page.getByText('No events yet.').waitFor();
  await markDocument(detail.page);

  expect(await stack.pay(order.code, order.total)).toBe(200);

  // The list: the order appears, its bar moves through intermediate values to 100%, the current
  // file shows while it runs, and the status becomes completed.
  const row = orderRow(list.page, order.code);
  await row.waitFor({ timeout: 15_000 });
  const firstCard = taskCard(detail.page, order.taskIds[0]!);
  const [listValues, detailValues] = await Promise.all([
    watchValues(
      () => row.getByRole('progressbar').getAttribute('aria-valuenow'),
      (v) => v === '100',
      60_000,
    ),
    watchValues(
      () => firstCard.getByRole('progressbar').getAttribute('aria-valuenow'),
      (v) => v === '100',
      60_000,
    ),
  ]);
  expect(listValues.some((value) => Number(value) > 0 && Number(value) < 100)).toBe(true);
  expect(detailValues.some((value) => Number(value) > 0 && Number(value) < 100)).toBe(true);
  await row.locator('.badge', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
  await expect.poll(() => row.getByRole('cell').nth(3).textContent()).toContain('2/2');
  await screenshot(list.page, 'orders');

  // The detail: every task completed at 100% with its destination, the order completed.
  for (const taskId of order.taskIds) {
    const card = taskCard(detail.page, taskId);
    await card.locator('.badge', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
    expect(await card.getByTestId('task-percent').textContent()).toBe('100%');
    await card.getByRole('link', { name: 'Open the destination' }).waitFor();
  }
  await detail.page.locator('.summary .badge', { hasText: 'completed' }).waitFor({ timeout: 30_000 });

  // The audit trail filled in live, newest first, from payment to completion.
  await detail.page.locator('[data-event-type="order_completed"]').waitFor({ timeout: 15_000 });
  const types = await detail.page
    .locator('.timeline__item')
    .evaluateAll((items) => items.map((item) => item.getAttribute('data-event-type')));
  for (const type of [
    'payment_received',
    'task_queued',
    'download_started',
    'task_completed',
    'order_completed',
  ]) {
    expect(types).toContain(type);
  }
  expect(types.indexOf('order_completed')).toBeLessThan(types.indexOf('payment_received'));
  await detail.page.getByRole('button', { name: 'Show details' }).first().click();
  await detail.page.locator('.json-details__body').first().waitFor();
  await screenshot(detail.page, 'order-detail');

  // Filters narrow the timeline and live in the URL.
  await detail.page.getByRole('checkbox', { name: 'Payment' }).check();
  await expect.poll(() => detail.page.locator('.timeline__item').count()).toBeLessThan(types.length);
  expect(new URL(detail.page.url()).searchParams.get('cat')).toBe('payment');

  expect(await stillSameDocument(list.page)).toBe(true);
  expect(await stillSameDocument(detail.page)).toBe(true);

  // The list's filters live in the URL: a search and a status filter, then Back undoes the latter.
  await list.page.getByLabel('Search by order code or email').fill(order.code);
  await list.page.waitForURL((url) => url.searchParams.get('q') === order.code);
  await list.page.getByLabel('Status').selectOption('completed');
  await list.page.waitForURL((url) => url.searchParams.get('status') === 'completed');
  await expect.poll(() => list.page.locator('tbody tr').count()).toBe(1);
  await list.page.goBack();
  await list.page.waitForURL(
    (url) => !url.searchParams.has('status') && url.searchParams.get('q') === order.code,
  );
  expect(await list.page.getByLabel('Status').inputValue()).toBe('');
  expect(await list.page.getByLabel('Search by order code or email').inputValue()).toBe(order.code);
  expect(await stillSameDocument(list.page)).toBe(true);

  expect(appErrors(list.errors)).toEqual([]);
  expect(appErrors(detail.errors)).toEqual([]);
  await list.page.context().close();
  await detail.page.context().close();

  // The same screens at 360 px wide.
  const narrow = await signedInPage(browser, stack.url, 'operator', { path: '/orders', width: 360 });
  await orderRow(narrow.page, order.code).waitFor();
  await screenshot(narrow.page, 'orders-360px');
  await narrow.page.getByRole('link', { name: order.code, exact: true }).click();
  await narrow.page.getByRole('heading', { name: `Order ${order.code}` }).waitFor();
  await screenshot(narrow.page, 'order-detail-360px');
  expect(appErrors(narrow.errors)).toEqual([]);
  await narrow.page.context().close();
});

test("a failing task shows its classified error, and an operator's retry sets it moving again", async () => {
  // The file's first three requests answer 503: three attempts fail (NETWORK), the fourth works.
  const order = await stack.createOrder([
    {
      title: 'Flaky course',
      url: stack.source.manifestUrl('flaky-e2e', { files: 1, size: 200_000, fail: 3, flaky: '503' }),
    },
  ]);
  const taskId = order.taskIds[0]!;
  const { page, errors } = await signedInPage(browser, stack.url, 'operator', {
    path: `/orders/${order.orderId}`,
  });
  await page.getByRole('heading', { name: `Order ${order.code}` }).waitFor();
  expect(await stack.pay(order.code, order.total)).toBe(200);

  const card = taskCard(page, taskId);
  await card.locator('.badge', { hasText: 'failed' }).waitFor({ timeout: 45_000 });
  const error = card.getByRole('note', { name: 'Task error' });
  await error.waitFor();
  expect(await error.locator('.error-type').textContent()).toBe('NETWORK');
  expect(await error.textContent()).toMatch(/503/);
  await screenshot(page, 'order-failed-task');

  await markDocument(page);
  await card.getByRole('button', { name: 'Retry' }).click();
  // Moving again: out of failed, then through to completed, without a reload.
  await card.locator('.badge', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
  expect(await card.getByTestId('task-percent').textContent()).toBe('100%');
  expect(await card.getByRole('note', { name: 'Task error' }).count()).toBe(0);

  // The retry is in the audit trail with the operator who asked for it.
  await page.getByRole('button', { name: 'Show audit logs' }).click();
  const retried = page
    .locator('[data-event-type="task_retry_requested"]')
    .filter({ hasText: `task #${taskId}` });
  await retried.waitFor();
  expect(await retried.textContent()).toContain('by operator@paidflow.local');
  await screenshot(page, 'order-retried');
  expect(await stillSameDocument(page)).toBe(true);
  expect(appErrors(errors)).toEqual([]);
  await page.context().close();
});

test('a viewer sees no action buttons, and the server refuses the action anyway', async () => {
  const order = await stack.createOrder([
    { title: 'Gone course', url: stack.source.manifestUrl('missing-e2e') },
    { title: 'Fine course', url: stack.source.manifestUrl('fine-e2e', { files: 1, size: 50_000 }) },
  ]);
  const [failedTask] = order.taskIds;
  expect(await stack.pay(order.code, order.total)).toBe(200);

  const { page, errors } = await signedInPage(browser, stack.url, 'viewer', {
    path: `/orders/${order.orderId}`,
  });
  const card = taskCard(page, failedTask!);
  await card.locator('.badge', { hasText: 'failed' }).waitFor({ timeout: 30_000 });
  expect(await card.locator('.error-type').first().textContent()).toBe('NOT_FOUND');
  expect(await page.getByText('viewer', { exact: true }).count()).toBeGreaterThan(0);
  // No action anywhere: task, order, orders list, queue.
  expect(await page.getByRole('button', { name: /Retry|Cancel/ }).count()).toBe(0);
  await screenshot(page, 'order-as-viewer');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Orders' }).click();
  await page.getByRole('heading', { name: 'Paid orders' }).waitFor();
  expect(await page.getByRole('button', { name: /Retry/ }).count()).toBe(0);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Queue' }).click();
  await page.getByRole('heading', { name: 'Queue' }).waitFor();
  await page.getByRole('heading', { name: 'Dead letters' }).waitFor();
  expect(await page.getByRole('button', { name: /Retry|Remove/ }).count()).toBe(0);
  await screenshot(page, 'queue-as-viewer');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Errors' }).click();
  await page.getByRole('heading', { name: 'Errors' }).waitFor();
  await page.getByText('NOT_FOUND').first().waitFor({ timeout: 15_000 });
  expect(await page.getByRole('button', { name: /Retry/ }).count()).toBe(0);
  await screenshot(page, 'errors-as-viewer');

  // The same call the Retry button makes, from the viewer's own session: refused.
  const answer = await page.evaluate(async (taskId) => {
    const response = await fetch('/trpc/tasks.retry', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { taskId } }),
    });
    return { status: response.status, body: await response.text() };
  }, failedTask!);
  expect(answer.status).toBe(403);
  expect(answer.body).toContain('FORBIDDEN');
  await page.goto(`${stack.url}/orders/${order.orderId}`);
  await card.locator('.badge', { hasText: 'failed' }).waitFor();
  expect(appErrors(errors)).toEqual([]);
  await page.context().close();
});

test('signing out in one tab takes the other tabs of the browser to the sign-in page at once', async () => {
  const { page } = await signedInPage(browser, stack.url, 'viewer');
  // A second tab of the same browser: same cookie, same session, its own WebSocket.
  const other = await page.context().newPage();
  await other.goto(`${stack.url}/orders`);
  await other.getByRole('heading', { name: 'Paid orders' }).waitFor();
  await other.getByRole('status').filter({ hasText: 'Live' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  // The server closes the other tab's socket (4401); the tab asks who is signed in: no one.
  await other.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 5_000 });
  await screenshot(other, 'signed-out-elsewhere');
  await page.context().close();
});

test('the queue page lists dead letters, and an operator retries them in bulk', async () => {
  const { page, errors } = await signedInPage(browser, stack.url, 'operator', { path: '/queue' });
  await page.getByRole('heading', { name: 'Dead letters' }).waitFor();
  // The missing course of the viewer test is a dead letter: one attempt, its 404 as last error.
  const rows = page.locator('tbody tr');
  await rows.first().waitFor({ timeout: 15_000 });
  expect(await rows.first().textContent()).toMatch(/404|not found/i);
  await screenshot(page, 'queue');
  const before = await rows.count();
  await page.getByRole('button', { name: 'Select all on this page' }).click();
  await page.getByRole('button', { name: `Retry selected (${before})` }).click();
  await page.getByRole('button', { name: `Press to retry ${before}` }).click();
  await page.getByText(/job(s)? done/).waitFor();
  expect(appErrors(errors)).toEqual([]);
  await page.context().close();
});
