// Debian's Chromium driven by playwright-core (never a downloaded browser), and the page helpers
// the browser tests share.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { WEB_ROOT } from './stack.ts';

export const CHROMIUM = '/usr/bin/chromium';
/** `npm test` sets this when Chromium cannot be installed: the browser tests are then skipped. */
export const SKIP_BROWSER_TESTS = process.env.SKIP_BROWSER_TESTS === '1';
export const ARTIFACTS = path.join(WEB_ROOT, 'test-artifacts');

export const DEMO = {
  operator: { email: 'operator@paidflow.local', password: 'operator-demo' },
  viewer: { email: 'viewer@paidflow.local', password: 'viewer-demo' },
} as const;

/** A fresh headless Chromium; each context gets its own temporary profile. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: install Debian's package (apt-get install -y chromium)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface WatchedPage {
  page: Page;
  /** console.error lines and uncaught errors of the page, for the tests to check. */
  errors: string[];
}

/** A page in a context of its own (its own cookies), signed in with the given role. */
export async function signedInPage(
  browser: Browser,
  baseUrl: string,
  role: keyof typeof DEMO,
  options: { path?: string; width?: number } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  await page.goto(`${baseUrl}${options.path ?? '/'}`);
  await page.getByLabel('Email').fill(DEMO[role].email);
  await page.getByLabel('Password').fill(DEMO[role].password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('status').filter({ hasText: /^Live/ }).waitFor();
  return { page, errors };
}

/** Saves a full-page screenshot to apps/web/test-artifacts/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Marks the document; `stillSameDocument` then proves there was no reload in between. */
export async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    (globalThis as unknown as Record<string, unknown>).__paidflowE2e = true;
  });
}

export async function stillSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as Record<string, unknown>).__paidflowE2e === true);
}

/** The row of an order in the paid orders table. */
export function orderRow(page: Page, code: string): Locator {
  return page.locator('tbody tr').filter({ has: page.getByRole('link', { name: code, exact: true }) });
}

/** A task's card on the order page. */
export function taskCard(page: Page, taskId: number): Locator {
  return page.locator(`li.task-card[data-task-id="${taskId}"]`);
}

/**
 * Samples a value until `done` says so, keeping every distinct value seen: proves that a bar
 * moved through intermediate values on the same page, not only that it ended full.
 */
export async function watchValues(
  read: () => Promise<string | null>,
  done: (value: string | null) => boolean,
  timeoutMs: number,
): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => null);
    if (value !== null && seen.at(-1) !== value) seen.push(value);
    if (done(value)) return seen;
    if (Date.now() > deadline) throw new Error(`timed out; values seen: ${seen.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
