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

const test = vitestTest.skipIf(SKIP_BROWSER_TESTS);

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  if (SKIP_BROWSER_TESTS) return;
  stack = await startStack('reconnect');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** While the server is down the browser logs failed requests and sockets: expected here. */
function appErrors(errors: string[]): string[] {
  return errors.filter(
    (line) => !/WebSocket connection|Failed to load resource|ERR_CONNECTION_REFUSED|net::ERR_/.test(line),
  );
}

test('the server stops and restarts mid-download, and the page recovers to the true state', async () => {
  // One task of 4 files x 500 kB at 250 kB/s: about eight seconds of download.
  const order = await stack.createOrder([
    {
      title: 'Long course',
      url: stack.source.manifestUrl('long-course', { files: 4, size: 500_000, bps: 250_000 }),
    },
  ]);
  const taskId = order.taskIds[0]!;
  const detail = await signedInPage(browser, stack.url, 'operator', { path: `/orders/${order.orderId}` });
  const list = await signedInPage(browser, stack.url, 'operator', { path: '/orders' });
  const { page } = detail;
  await page.getByRole('heading', { name: `Order ${order.code}` }).waitFor();
  await markDocument(page);
  await markDocument(list.page);
  expect(await stack.pay(order.code, order.total)).toBe(200);

  // Mid-download: some progress, not done.
  const card = taskCard(page, taskId);
  const bar = card.getByRole('progressbar');
  await watchValues(
    () => bar.getAttribute('aria-valuenow'),
    (value) => Number(value) >= 10,
    30_000,
  );
  const before = Number(await bar.getAttribute('aria-valuenow'));
  expect(before).toBeLessThan(100);

  await stack.stopServer();
  const indicator = page.getByRole('status').filter({ hasText: /^(Reconnecting|Offline)/ });
  await indicator.waitFor({ timeout: 15_000 });
  await list.page
    .getByRole('status')
    .filter({ hasText: /^(Reconnecting|Offline)/ })
    .waitFor({ timeout: 15_000 });
  await screenshot(page, 'reconnecting');
  // The download goes on meanwhile (worker -> course source), unseen by the page.
  await new Promise((resolve) => setTimeout(resolve, 3_000));

  await stack.startServerAgain();
  await page.getByRole('status').filter({ hasText: /^Live/ }).waitFor({ timeout: 20_000 });
  await list.page.getByRole('status').filter({ hasText: /^Live/ }).waitFor({ timeout: 20_000 });

  // Back live, the page catches up with what happened while it was away, then sees the end.
  await watchValues(
    () => bar.getAttribute('aria-valuenow'),
    (value) => Number(value) > before,
    20_000,
  );
  await card.locator('.badge', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
  expect(await card.getByTestId('task-percent').textContent()).toBe('100%');
  await page.locator('.summary .badge', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
  await screenshot(page, 'recovered-detail');

  // The list, open all along, shows the true state too.
  const row = orderRow(list.page, order.code);
  await row.locator('.badge', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
  expect(await row.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
  await screenshot(list.page, 'recovered-orders');

  expect(await stillSameDocument(page)).toBe(true);
  expect(await stillSameDocument(list.page)).toBe(true);
  expect(appErrors(detail.errors)).toEqual([]);
  expect(appErrors(list.errors)).toEqual([]);
});
