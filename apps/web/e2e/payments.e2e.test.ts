import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test as vitestTest } from 'vitest';
import {
  launchBrowser,
  markDocument,
  SKIP_BROWSER_TESTS,
  screenshot,
  signedInPage,
  stillSameDocument,
} from './browser.ts';
import { type Stack, startStack } from './stack.ts';

// The payments inbox against the real server, worker, MariaDB and Redis, in headless Chromium.

const test = vitestTest.skipIf(SKIP_BROWSER_TESTS);

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  if (SKIP_BROWSER_TESTS) return;
  stack = await startStack('payments');
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

test('an operator matches an unmatched payment and watches the order start', async () => {
  // Three files of 400 kB at 100 kB/s: long enough to see the order processing.
  const course = stack.source.manifestUrl('payments-course', { files: 3, size: 400_000, bps: 100_000 });
  const order = await stack.createOrder([{ title: 'Accounting basics', url: course }]);
  // The customer mistyped the code: a valid-looking code that names no order.
  const typo = `DH9${order.code.slice(2)}`;

  const inbox = await signedInPage(browser, stack.url, 'operator', { path: '/payments' });
  const { page } = inbox;
  await page.getByRole('heading', { name: 'Payments' }).waitFor();
  await markDocument(page);
  const overview = await signedInPage(browser, stack.url, 'viewer');
  await overview.page.getByRole('heading', { name: 'Overview' }).waitFor();

  // SePay's delivery succeeds (200) and the transfer waits in the inbox, shown live.
  expect(await stack.pay(typo, order.total)).toBe(200);
  const row = page.locator('tbody tr').filter({ hasText: typo });
  await row.waitFor({ timeout: 15_000 });
  await row.locator('.badge', { hasText: 'unmatched' }).waitFor();
  expect(await row.textContent()).toContain(`no order with code ${typo}`);
  await page.getByTestId('nav-payments-attention').filter({ hasText: '1' }).waitFor();

  // The viewer's overview counts it, live, and links to the inbox; a viewer gets no actions.
  const card = overview.page.locator('.stat-card').filter({ hasText: 'Payments to review' });
  await card.locator('.stat-card__value', { hasText: '1' }).waitFor({ timeout: 15_000 });
  await screenshot(overview.page, 'overview-payments');
  await overview.page.getByRole('link', { name: 'Payments needing attention' }).click();
  await overview.page.waitForURL(
    (url) => url.pathname === '/payments' && url.searchParams.get('outcome') === 'attention',
  );
  const viewerRow = overview.page.locator('tbody tr').filter({ hasText: typo });
  await viewerRow.waitFor();
  expect(await viewerRow.getByRole('button').count()).toBe(0);
  expect(await overview.page.getByRole('columnheader', { name: 'Actions' }).count()).toBe(0);

  await screenshot(page, 'payments');

  // The operator matches it to the right order: the order is paid and starts.
  await row.getByRole('button', { name: 'Match' }).click();
  const form = page.getByRole('form', { name: /^Match to an order/ });
  const codeBox = form.getByLabel('Order code');
  // The form starts from the code the transfer named.
  expect(await codeBox.inputValue()).toBe(typo);
  await codeBox.fill(order.code.toLowerCase());
  await form.getByLabel('Note (optional)').fill('customer mistyped the code');
  await form.getByRole('button', { name: 'Match to an order' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Matched to ${order.code}` })
    .filter({ hasText: 'The order is paid and its tasks are queued.' })
    .waitFor();
  await row.locator('.badge', { hasText: 'applied' }).waitFor();
  expect(await row.textContent()).toContain('by operator@paidflow.local: customer mistyped the code');
  // Nothing needs attention any more: the viewer's filtered list empties live.
  await overview.page.getByText('No payment matches these filters.').waitFor({ timeout: 15_000 });
  expect(await page.getByTestId('nav-payments-attention').count()).toBe(0);
  expect(await stillSameDocument(page)).toBe(true);
  await screenshot(page, 'payments-matched');

  // The order page shows the order processing, its task moving, and the match in its audit trail.
  await row.getByRole('link', { name: order.code, exact: true }).click();
  await page.getByRole('heading', { name: `Order ${order.code}` }).waitFor();
  await page.locator('.summary .badge', { hasText: 'processing' }).waitFor({ timeout: 15_000 });
  await page.getByRole('button', { name: 'Show audit logs' }).click();
  const matched = page.locator('[data-event-type="payment_matched"]');
  await matched.waitFor();
  expect(await matched.textContent()).toContain('operator@paidflow.local');
  await page.locator('[data-event-type="payment_received"]').waitFor();
  await page.locator('.summary .badge', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
  expect(await stillSameDocument(page)).toBe(true);

  expect(appErrors(inbox.errors)).toEqual([]);
  expect(appErrors(overview.errors)).toEqual([]);
  await page.context().close();
  await overview.page.context().close();
});
