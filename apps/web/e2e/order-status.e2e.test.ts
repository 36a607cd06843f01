import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test as vitestTest } from 'vitest';
import { launchBrowser, orderRow, SKIP_BROWSER_TESTS, screenshot, signedInPage } from './browser.ts';
import { type Stack, startStack } from './stack.ts';

// Honest statuses in Chromium, against the real server, worker, MariaDB and Redis: an order with
// one course delivered and one that cannot be (the course source answers 404 for missing-*).

const test = vitestTest.skipIf(SKIP_BROWSER_TESTS);

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  if (SKIP_BROWSER_TESTS) return;
  stack = await startStack('statuses');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

test('a partially completed order shows its status and the courses that are missing', async () => {
  const order = await stack.createOrder([
    {
      title: 'Delivered course',
      url: stack.source.manifestUrl('delivered-course', { files: 1, size: 10_000 }),
    },
    { title: 'Vanished course', url: stack.source.manifestUrl('missing-vanished-course') },
  ]);
  expect(await stack.pay(order.code, order.total)).toBe(200);

  const { page, errors } = await signedInPage(browser, stack.url, 'viewer', {
    path: `/orders/${order.orderId}`,
  });
  await page.getByRole('heading', { name: `Order ${order.code}` }).waitFor();
  const summary = page.getByRole('definition').filter({ hasText: 'partially completed' });
  await summary.waitFor({ timeout: 30_000 });
  await expect.poll(() => page.getByTestId('missing-courses').textContent()).toBe('Vanished course');
  await page.getByText('1 of 2 courses delivered').waitFor();
  await screenshot(page, 'order-partially-completed');

  // The list filters by the new status and shows the badge.
  await page.goto(`${stack.url}/orders?status=partially_completed`);
  const row = orderRow(page, order.code);
  await row.waitFor();
  expect(await row.getAttribute('data-status')).toBe('partially_completed');
  await row.getByText('partially completed').waitFor();

  // The overview counts it.
  await page.goto(stack.url);
  const card = page.locator('.stat-card').filter({ hasText: 'Partially completed' });
  await expect.poll(async () => (await card.locator('.stat-card__value').textContent())?.trim()).toBe('1');
  expect(errors).toEqual([]);
});
