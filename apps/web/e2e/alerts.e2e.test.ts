import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test as vitestTest } from 'vitest';
import { launchBrowser, SKIP_BROWSER_TESTS, screenshot, signedInPage } from './browser.ts';
import { type Stack, startStack } from './stack.ts';

// Alerts in the dashboard against the real server, worker, MariaDB and Redis, in headless
// Chromium: the banner on every page while an alert fires, and the Alerts page's history.

const test = vitestTest.skipIf(SKIP_BROWSER_TESTS);

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  if (SKIP_BROWSER_TESTS) return;
  // A transfer matching no order alerts at once, and the checks run twice a second.
  stack = await startStack('alerts', {
    ALERTS_ENABLED: 'true',
    ALERT_INTERVAL_MS: '500',
    ALERT_PAYMENT_UNMATCHED_SECONDS: '0',
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

test('an alert shows as a banner on every page, live, links to the Alerts page, and goes when it resolves', async () => {
  const { page, errors } = await signedInPage(browser, stack.url, 'operator', { path: '/orders' });
  await page.getByRole('heading', { name: 'Orders' }).waitFor();
  expect(await page.getByTestId('alerts-banner').count()).toBe(0);

  // A transfer for a code no order has: the payments inbox alert fires, and the open page hears it.
  expect(await stack.pay('DH98765432', 150_000)).toBe(200);
  const banner = page.getByTestId('alerts-banner');
  await banner.waitFor({ timeout: 15_000 });
  expect(await banner.textContent()).toMatch(/An alert fires.*1 transfer\(s\) wait in the payments inbox/);
  await screenshot(page, 'alerts-banner');

  await banner.getByRole('link', { name: 'See the alerts' }).click();
  await page.getByRole('heading', { name: 'Alerts' }).waitFor();
  expect(new URL(page.url()).search).toBe('?state=firing');
  const row = page.getByTestId('alert-row').filter({ hasText: 'transfer(s) wait in the payments inbox' });
  await row.waitFor();
  expect(await row.locator('.badge', { hasText: 'firing' }).count()).toBe(1);

  // The operator ignores the transfer in the inbox; the alert resolves and the banner goes, live.
  await page.getByRole('link', { name: 'Payments' }).click();
  await page.getByRole('heading', { name: 'Payments' }).waitFor();
  const transfer = page.locator('tbody tr').filter({ hasText: 'DH98765432' });
  await transfer.getByRole('button', { name: 'Ignore' }).click();
  const form = page.getByRole('form', { name: /^Mark ignored/ });
  await form.getByLabel('Note').fill('test transfer, not ours');
  await form.getByRole('button', { name: 'Mark ignored' }).click();
  await banner.waitFor({ state: 'detached', timeout: 15_000 });

  await page.goto(`${stack.url}/alerts?state=resolved&kind=payment_unmatched`);
  const resolved = page.getByTestId('alert-row').filter({ hasText: 'payments inbox' });
  await resolved.locator('.badge', { hasText: 'resolved' }).waitFor({ timeout: 10_000 });
  expect(errors).toEqual([]);
});
